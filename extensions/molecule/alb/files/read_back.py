"""Read back, with plain boto3 and plain HTTP, what the alb role made (or must not have made); print JSON.

Usage: read_back.py '<json: endpoint, region, name, zone, requests: [{host, path, port}]>'
Independent of the collection's code, so verify does not trust the module it checks. Requests go through
the sandbox's ALB simulation (GET /_sandbox/alb/<name>/<path>?port=<port> with a Host header).
"""

import json
import sys
import urllib.error
import urllib.request

import boto3

TAG = "ecsops.fargate/alb"


def tags_of(items):
    return {t["Key"]: t["Value"] for t in items or []}


def condition_values(condition):
    config = {"host-header": "HostHeaderConfig", "path-pattern": "PathPatternConfig"}.get(condition["Field"])
    return sorted((condition.get(config) or {}).get("Values") or condition.get("Values") or [])


def main():
    spec = json.loads(sys.argv[1])
    kwargs = dict(endpoint_url=spec["endpoint"], region_name=spec["region"], aws_access_key_id="testing",
                  aws_secret_access_key="testing")
    ec2, elb, r53 = (boto3.client(name, **kwargs) for name in ("ec2", "elbv2", "route53"))
    name = spec["name"]
    out = {}

    vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:ecsops.fargate/network", "Values": [name]}])["Vpcs"]
    out["vpcs"] = [v["VpcId"] for v in vpcs]
    if vpcs:
        vpc = vpcs[0]["VpcId"]
        subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
        out["subnets"] = {tags_of(s.get("Tags")).get("ecsops.fargate/part", s["SubnetId"]):
                          {"id": s["SubnetId"], "cidr": s["CidrBlock"], "zone": s["AvailabilityZone"]} for s in subnets}
        tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["RouteTables"]
        out["route_tables"] = {
            tags_of(t.get("Tags")).get("ecsops.fargate/part", "main"): {
                "routes": {r.get("DestinationCidrBlock"): r.get("GatewayId") for r in t.get("Routes") or []},
                "subnets": sorted(a["SubnetId"] for a in t.get("Associations") or [] if a.get("SubnetId"))}
            for t in tables}
        gateways = ec2.describe_internet_gateways(
            Filters=[{"Name": "attachment.vpc-id", "Values": [vpc]}])["InternetGateways"]
        out["gateways"] = [g["InternetGatewayId"] for g in gateways]

    groups = ec2.describe_security_groups(Filters=[{"Name": f"tag:{TAG}", "Values": [name]}])["SecurityGroups"]
    out["security_groups"] = {}
    for g in groups:
        rules = []
        for p in g.get("IpPermissions") or []:
            for r in p.get("IpRanges") or []:
                rules.append(f"{p['IpProtocol']}/{p.get('FromPort')}-{p.get('ToPort')} from {r['CidrIp']}")
            for r in p.get("UserIdGroupPairs") or []:
                rules.append(f"{p['IpProtocol']}/{p.get('FromPort')}-{p.get('ToPort')} from {r['GroupId']}")
        out["security_groups"][g["GroupName"]] = {"id": g["GroupId"], "vpc": g["VpcId"], "ingress": sorted(rules),
                                                  "tags": tags_of(g.get("Tags"))}

    try:
        lb = elb.describe_load_balancers(Names=[name])["LoadBalancers"][0]
    except elb.exceptions.LoadBalancerNotFoundException:
        lb = None
    out["load_balancer"] = None
    groups_all = elb.describe_target_groups()["TargetGroups"]
    tg_tags = {}
    if groups_all:
        for batch in range(0, len(groups_all), 20):
            for d in elb.describe_tags(ResourceArns=[g["TargetGroupArn"] for g in groups_all[batch:batch + 20]])["TagDescriptions"]:
                tg_tags[d["ResourceArn"]] = tags_of(d.get("Tags"))
    out["target_groups"] = {}
    for g in groups_all:
        if tg_tags.get(g["TargetGroupArn"], {}).get(TAG) != name:
            continue
        attributes = {a["Key"]: a["Value"] for a in
                      elb.describe_target_group_attributes(TargetGroupArn=g["TargetGroupArn"])["Attributes"]}
        out["target_groups"][g["TargetGroupName"]] = {
            "arn": g["TargetGroupArn"], "port": g["Port"], "protocol": g["Protocol"], "type": g["TargetType"],
            "vpc": g["VpcId"], "path": g["HealthCheckPath"], "codes": g["Matcher"]["HttpCode"],
            "interval": g["HealthCheckIntervalSeconds"], "timeout": g["HealthCheckTimeoutSeconds"],
            "healthy": g["HealthyThresholdCount"], "unhealthy": g["UnhealthyThresholdCount"],
            "deregistration_delay": attributes.get("deregistration_delay.timeout_seconds"),
            "tags": tg_tags[g["TargetGroupArn"]]}
    if lb is not None:
        out["load_balancer"] = {
            "arn": lb["LoadBalancerArn"], "dns": lb["DNSName"], "scheme": lb["Scheme"], "type": lb["Type"],
            "subnets": sorted(z["SubnetId"] for z in lb["AvailabilityZones"]), "security_groups": lb["SecurityGroups"],
            "tags": tags_of(elb.describe_tags(ResourceArns=[lb["LoadBalancerArn"]])["TagDescriptions"][0].get("Tags"))}
        out["listeners"] = {}
        for li in elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]:
            rules = elb.describe_rules(ListenerArn=li["ListenerArn"])["Rules"]
            out["listeners"][str(li["Port"])] = {
                "arn": li["ListenerArn"], "protocol": li["Protocol"], "ssl_policy": li.get("SslPolicy"),
                "certificates": [c["CertificateArn"] for c in li.get("Certificates") or []],
                "default": li["DefaultActions"],
                "rules": [{"priority": r["Priority"], "conditions": {c["Field"]: condition_values(c) for c in r["Conditions"]},
                           "forward": [a.get("TargetGroupArn") for a in r["Actions"]]}
                          for r in rules if not r["IsDefault"]]}

    zones = [z for z in r53.list_hosted_zones_by_name(DNSName=spec["zone"])["HostedZones"]
             if z["Name"] == spec["zone"].rstrip(".") + "."]
    out["records"] = {}
    if zones:
        for r in r53.list_resource_record_sets(HostedZoneId=zones[0]["Id"])["ResourceRecordSets"]:
            if r["Type"] == "A" and r.get("AliasTarget"):
                out["records"][r["Name"].rstrip(".")] = r["AliasTarget"]["DNSName"].rstrip(".")

    out["responses"] = []
    for request in spec.get("requests") or []:
        url = f"{spec['endpoint']}/_sandbox/alb/{name}{request['path']}?port={request['port']}"
        req = urllib.request.Request(url, headers={"Host": request["host"]})
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), NoRedirect)
        try:
            response = opener.open(req, timeout=10)
            status, headers, body = response.status, response.headers, response.read()
        except urllib.error.HTTPError as e:
            status, headers, body = e.code, e.headers, e.read()
        out["responses"].append({"request": request, "status": status, "location": headers.get("Location"),
                                 "body": body.decode("utf-8", "replace")[:200]})
    print(json.dumps(out))


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


if __name__ == "__main__":
    main()
