# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""fargate_cluster's runner: read (few calls), plan (pure, see plan.py), apply, report.

A converge that changes nothing makes at most four calls: DescribeClusters (settings and tags
included), DescribeLogGroups (one paged call for every group under the shared prefix),
ListNamespaces and ListServices (server-side filtered by name and namespace).
"""

from __future__ import annotations

import functools
import uuid

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.ecsops.fargate.plugins.module_utils import cloudmap
from ansible_collections.ecsops.fargate.plugins.module_utils import logs
from ansible_collections.ecsops.fargate.plugins.module_utils._cluster import api
from ansible_collections.ecsops.fargate.plugins.module_utils._cluster import plan as planning
from ansible_collections.ecsops.fargate.plugins.module_utils._cluster.roles import Context
from ansible_collections.ecsops.fargate.plugins.module_utils._cluster.roles import RolesInputError
from ansible_collections.ecsops.fargate.plugins.module_utils._cluster.roles import desired_roles
from ansible_collections.ecsops.fargate.plugins.module_utils._cluster.roles import role_options
from ansible_collections.ecsops.fargate.plugins.module_utils._cluster.roles_runner import RolesRun


class ClusterRun:
    """One invocation of fargate_cluster. ``clients`` maps service name to a boto3 client factory."""

    def __init__(self, params, clients, check_mode=False, sleep=None, warn=None, region=None):
        self.params = params
        self.client = functools.cache(clients)  # one client per AWS service for the run
        self.region = region
        self.check_mode = check_mode
        self.sleep = sleep
        self.warn = warn or (lambda msg: None)

    # --- read -----------------------------------------------------------------------------------

    def read(self, desired):
        cluster = api.describe_cluster(self.client("ecs"), desired["cluster"]["name"])
        groups = logs.find_log_groups(self.client("logs"), list(desired["log_groups"])) if desired["log_groups"] else {}
        namespace, services = None, []
        if desired["namespace"] is not None:
            wanted = dict(desired["namespace"], id=(self.params.get("namespace") or {}).get("id"))
            namespace = planning.pick_namespace(
                cloudmap.list_namespaces(self.client("servicediscovery"), desired["namespace"]["name"]), wanted)
            if namespace is not None:
                services = cloudmap.list_services(self.client("servicediscovery"), namespace["Id"])
        return cluster, groups, namespace, services

    # --- run ------------------------------------------------------------------------------------

    def run(self):
        desired = planning.desired_state(self.params)
        roles = iam_params(self.params, self.region)  # bad roles input fails here, before any write
        cluster, groups, namespace, services = self.read(desired)
        current = planning.current_state(cluster, groups, namespace, services, desired)
        if self.params.get("state") == "absent":
            ours = set(current["discovery_services"])
            others = sorted(s["Name"] for s in services if s["Name"] not in ours)
            if namespace is not None and others:
                self.warn(f"namespace {namespace['Name']} is kept: it still holds services {others}")
            steps = planning.removal_plan(current, desired, others)
        else:
            steps = planning.plan(current, desired, purge_tags=self.params.get("purge_tags", True))
        after = planning.after_state(current, desired, steps)

        self.cluster = cluster
        self.namespace = namespace
        self.services = {s["Name"]: s for s in services}
        if steps and not self.check_mode:
            for step in steps:
                getattr(self, "_" + step["action"])(step)

        result = self.result(desired, current, after, steps)
        if roles is not None:
            self.run_roles(result, roles)
        return result

    def run_roles(self, result, params):
        """The ``iam`` option: fargate_task_roles' work in this process (a module process costs ~0.7 s).
        The cluster's ARN names the account and region the policies refer to, with no STS call."""
        params = dict(params, cluster=result["cluster_arn"] or self.params["name"])
        roles = RolesRun(params, self.client, region=self.region, check_mode=self.check_mode).run()
        result["changed"] = result["changed"] or roles["changed"]
        result["actions"].extend(roles["actions"])
        result["diff"]["before"]["iam"] = roles["diff"]["before"]
        result["diff"]["after"]["iam"] = roles["diff"]["after"]
        result["iam"] = {key: roles[key] for key in ("execution_role_arn", "task_role_arns", "waker_role_arn", "role_names")}

    def result(self, desired, current, after, steps):
        absent = self.params.get("state") == "absent"
        cluster = None if absent else self.cluster
        groups = {} if absent else planning.log_group_names(self.params)
        namespace = None if absent or self.namespace is None else {
            "id": self.namespace["Id"], "arn": self.namespace["Arn"], "name": self.namespace["Name"],
            "hosted_zone_id": _zone_id(self.namespace),
        }
        arns, ids = {}, {}
        if not absent:
            for service in desired["discovery_services"]:
                summary = self.services.get(service)
                arns[service] = summary["Arn"] if summary else None
                ids[service] = summary["Id"] if summary else None
        state = planning.public(after)
        return {
            "changed": bool(steps),
            "cluster_name": self.params["name"],
            "cluster_arn": (cluster or {}).get("clusterArn"),
            "cluster": _cluster_result(cluster, state.get("cluster")),
            "log_groups": groups,
            "namespace": namespace,
            "discovery_service_arns": arns,
            "discovery_service_ids": ids,
            "actions": [planning.describe_step(s) for s in steps],
            "diff": {"before": planning.public(current), "after": state},
        }

    # --- apply: one method per step action ------------------------------------------------------

    def _create_cluster(self, step):
        settings = [{"name": "containerInsights", "value": step["container_insights"]}] \
            if step["container_insights"] else None
        self.cluster = api.create_cluster(
            self.client("ecs"), self.params["name"], settings=settings,
            capacity_providers=step["capacity_providers"], strategy=_camel_strategy(step["strategy"]),
            tags=step["tags"])

    def _update_settings(self, step):
        self.cluster = api.update_cluster_settings(
            self.client("ecs"), self.params["name"], [{"name": "containerInsights", "value": step["container_insights"]}])

    def _put_capacity_providers(self, step):
        self.cluster = api.put_cluster_capacity_providers(
            self.client("ecs"), self.params["name"], step["capacity_providers"], _camel_strategy(step["strategy"]))

    def _tag_cluster(self, step):
        api.tag_cluster(self.client("ecs"), self.cluster["clusterArn"], step["tags"])

    def _untag_cluster(self, step):
        api.untag_cluster(self.client("ecs"), self.cluster["clusterArn"], step["keys"])

    def _delete_cluster(self, step):
        api.delete_cluster(self.client("ecs"), step["name"])

    def _create_log_group(self, step):
        logs.create_log_group(self.client("logs"), step["name"], tags=step["tags"],
                              kms_key_id=self.params.get("log_kms_key_id"))

    def _put_retention(self, step):
        logs.put_retention_policy(self.client("logs"), step["name"], step["days"])

    def _delete_retention(self, step):
        logs.delete_retention_policy(self.client("logs"), step["name"])

    def _delete_log_group(self, step):
        logs.delete_log_group(self.client("logs"), step["name"])

    def _wait(self, operation_id):
        kwargs = {"timeout": self.params.get("wait_timeout", 300)}
        if self.sleep is not None:
            kwargs["sleep"] = self.sleep
        return cloudmap.wait_for_operation(self.client("servicediscovery"), operation_id, **kwargs)

    def _create_namespace(self, step):
        sd = self.client("servicediscovery")
        operation_id = cloudmap.create_private_dns_namespace(
            sd, step["name"], step["vpc_id"], creator_request_id=str(uuid.uuid4()),
            description=(self.params.get("namespace") or {}).get("description"), tags=step["tags"])
        operation = self._wait(operation_id)
        self.namespace = cloudmap.get_namespace(sd, operation["Targets"]["NAMESPACE"])

    def _delete_namespace(self, step):
        operation_id = cloudmap.delete_namespace(self.client("servicediscovery"), self.namespace["Id"])
        if operation_id:
            self._wait(operation_id)

    def _dns_records(self, ttl):
        return [{"Type": "A", "TTL": ttl}]

    def _create_discovery_service(self, step):
        created = cloudmap.create_service(
            self.client("servicediscovery"), self.namespace["Id"], step["service"], self._dns_records(step["ttl"]),
            routing_policy="MULTIVALUE", creator_request_id=str(uuid.uuid4()), tags=step["tags"])
        self.services[step["service"]] = created

    def _update_discovery_service(self, step):
        summary = self.services[step["service"]]
        operation_id = cloudmap.update_service_dns(self.client("servicediscovery"), summary["Id"],
                                                   self._dns_records(step["ttl"]))
        self._wait(operation_id)

    def _delete_discovery_service(self, step):
        cloudmap.delete_service(self.client("servicediscovery"), self.services[step["service"]]["Id"])


def iam_params(params, region):
    """fargate_task_roles' parameters from fargate_cluster's ``iam`` option (None without it), validated
    against that module's argument spec and planned once with a stand-in account, so that bad input fails
    before the cluster is written. Raises RolesInputError."""
    if params.get("iam") is None:
        return None
    validated = ArgumentSpecValidator(role_options()).validate(params["iam"])
    if validated.error_messages:
        raise RolesInputError("iam: " + "; ".join(validated.error_messages))
    roles = dict(validated.validated_parameters, state=params.get("state"), tags=params.get("tags") or {},
                 purge_tags=params.get("purge_tags", True))
    desired_roles(roles, Context(params["name"], region, roles.get("account_id") or "000000000000"))
    return roles


def _camel_strategy(strategy):
    return [{"capacityProvider": i["capacity_provider"], "weight": i["weight"], "base": i["base"]}
            for i in strategy or []]


def _cluster_result(cluster, state):
    if cluster is None and state is None:
        return None
    out = dict(state or {})
    if cluster:
        out.update({"cluster_arn": cluster.get("clusterArn"), "status": cluster.get("status")})
    return out


def run_module(module):
    """fargate_cluster's body: returns the result dict (raises ClusterInputError, EcsopsAWSError,
    cloudmap.OperationFailed)."""
    runner = ClusterRun(module.params, module.client, check_mode=module.check_mode, warn=module.warn,
                        region=module.region)
    return runner.run()


def _zone_id(namespace):
    zone = ((namespace.get("Properties") or {}).get("DnsProperties") or {}).get("HostedZoneId")
    return zone.rsplit("/", 1)[-1] if zone else None
