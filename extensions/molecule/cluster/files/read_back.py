"""Read back, with plain boto3, what the cluster role made (or must not have made); print JSON.

Usage: read_back.py '<json: endpoint, region, cluster, log_groups, roles, namespace>'
Independent of the collection's code, so verify does not trust the module it checks.
"""

import json
import sys

import boto3


def main():
    spec = json.loads(sys.argv[1])
    kwargs = dict(endpoint_url=spec["endpoint"], region_name=spec["region"], aws_access_key_id="testing",
                  aws_secret_access_key="testing")
    ecs, logs, iam, sd = (boto3.client(name, **kwargs) for name in ("ecs", "logs", "iam", "servicediscovery"))
    out = {}

    clusters = ecs.describe_clusters(clusters=[spec["cluster"]], include=["SETTINGS", "TAGS"])["clusters"]
    clusters = [c for c in clusters if c["status"] != "INACTIVE"]
    out["cluster"] = None if not clusters else {
        "arn": clusters[0]["clusterArn"],
        "settings": {s["name"]: s["value"] for s in clusters[0].get("settings") or []},
        "capacity_providers": sorted(clusters[0].get("capacityProviders") or []),
        "strategy": clusters[0].get("defaultCapacityProviderStrategy") or [],
        "tags": {t["key"]: t["value"] for t in clusters[0].get("tags") or []},
    }

    out["log_groups"] = {}
    for name in spec["log_groups"]:
        found = [g for g in logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"] if g["logGroupName"] == name]
        out["log_groups"][name] = {"retention": found[0].get("retentionInDays")} if found else None

    out["roles"] = {}
    for name in spec["roles"]:
        try:
            role = iam.get_role(RoleName=name)["Role"]
        except iam.exceptions.NoSuchEntityException:
            out["roles"][name] = None
            continue
        inline = {p: iam.get_role_policy(RoleName=name, PolicyName=p)["PolicyDocument"]
                  for p in iam.list_role_policies(RoleName=name)["PolicyNames"]}
        attached = [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]]
        out["roles"][name] = {"arn": role["Arn"], "trust": role["AssumeRolePolicyDocument"], "inline": inline,
                              "attached": attached, "tags": {t["Key"]: t["Value"] for t in role.get("Tags") or []}}

    namespaces = [n for n in sd.list_namespaces()["Namespaces"] if n["Name"] == spec["namespace"]]
    out["namespaces"] = [n["Id"] for n in namespaces]
    out["discovery_services"] = {}
    for namespace in namespaces:
        for summary in sd.list_services()["Services"]:
            service = sd.get_service(Id=summary["Id"])["Service"]
            if service["NamespaceId"] == namespace["Id"]:
                out["discovery_services"][service["Name"]] = {
                    "arn": service["Arn"], "routing": service["DnsConfig"]["RoutingPolicy"],
                    "records": service["DnsConfig"]["DnsRecords"]}
    print(json.dumps(out, default=str))


if __name__ == "__main__":
    main()
