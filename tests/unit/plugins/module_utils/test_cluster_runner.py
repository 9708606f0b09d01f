"""fargate_cluster's runner against botocore Stubbers: which calls, in which order, and no more."""

from __future__ import annotations

import re

import boto3
import pytest
from botocore.stub import ANY
from botocore.stub import Stubber

from ansible_collections.ecsops.fargate.plugins.module_utils import cloudmap
from ansible_collections.ecsops.fargate.plugins.module_utils.cluster import ClusterRun
from ansible_collections.ecsops.fargate.plugins.module_utils.cluster import OperationFailed
from ansible_collections.ecsops.fargate.plugins.module_utils.cluster import RolesInputError
from ansible_collections.ecsops.fargate.plugins.module_utils.cluster import desired_roles
from ansible_collections.ecsops.fargate.plugins.module_utils._cluster.roles import Context

from test_cluster_plan import existing_cluster
from test_cluster_plan import params
from test_cluster_plan import summary
from test_cluster_roles import KEY
from test_cluster_roles import S3
from test_cluster_roles import expect_converged
from test_cluster_roles import params as role_params_with_defaults

NAMESPACE = {"Id": "ns-1", "Arn": "arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-1",
             "Name": "dev.local", "Type": "DNS_PRIVATE",
             "Properties": {"DnsProperties": {"HostedZoneId": "Z0123"}}}
GROUPS = [{"logGroupName": f"/ecs/dev/{s}", "retentionInDays": 7} for s in ("api", "backend", "web")]
NS_FILTERS = [{"Name": "TYPE", "Values": ["DNS_PRIVATE"], "Condition": "EQ"},
              {"Name": "NAME", "Values": ["dev.local"], "Condition": "EQ"}]
SRV_FILTERS = [{"Name": "NAMESPACE_ID", "Values": ["ns-1"], "Condition": "EQ"}]


@pytest.fixture(name="aws")
def fixture_aws():
    clients, stubbers = {}, {}
    for name in ("ecs", "logs", "servicediscovery"):
        clients[name] = boto3.client(name, region_name="us-east-1", aws_access_key_id="testing",
                                     aws_secret_access_key="testing", endpoint_url="http://127.0.0.1:1")
        stubbers[name] = Stubber(clients[name])
        stubbers[name].activate()
    yield clients, stubbers
    for stubber in stubbers.values():
        stubber.assert_no_pending_responses()
        stubber.deactivate()


def expect_reads(stubbers, cluster=None, groups=GROUPS, namespaces=(NAMESPACE,), services=None):
    stubbers["ecs"].add_response("describe_clusters", {"clusters": [cluster] if cluster else [], "failures": []},
                                 {"clusters": ["dev"], "include": ["SETTINGS", "TAGS"]})
    stubbers["logs"].add_response("describe_log_groups", {"logGroups": list(groups)},
                                  {"logGroupNamePrefix": "/ecs/dev/"})
    stubbers["servicediscovery"].add_response("list_namespaces", {"Namespaces": list(namespaces)},
                                              {"Filters": NS_FILTERS})
    if namespaces:
        stubbers["servicediscovery"].add_response(
            "list_services", {"Services": services if services is not None else [summary("api"), summary("backend")]},
            {"Filters": SRV_FILTERS})


def run(clients, check_mode=False, sleeps=None, **extra):
    return ClusterRun(params(**extra), clients.__getitem__, check_mode=check_mode,
                      sleep=(sleeps.append if sleeps is not None else None)).run()


def test_a_converged_environment_costs_four_reads(aws):
    clients, stubbers = aws
    expect_reads(stubbers, existing_cluster())
    result = run(clients)
    assert result["changed"] is False
    assert result["actions"] == []
    assert result["cluster_arn"] == "arn:aws:ecs:us-east-1:123456789012:cluster/dev"
    assert result["discovery_service_arns"] == {
        "api": "arn:aws:servicediscovery:us-east-1:123456789012:service/srv-api",
        "backend": "arn:aws:servicediscovery:us-east-1:123456789012:service/srv-backend"}
    assert result["namespace"] == {"id": "ns-1", "arn": NAMESPACE["Arn"], "name": "dev.local", "hosted_zone_id": "Z0123"}
    assert result["log_groups"] == {"web": "/ecs/dev/web", "api": "/ecs/dev/api", "backend": "/ecs/dev/backend"}
    assert result["diff"]["before"] == result["diff"]["after"]


def test_check_mode_on_nothing_reads_and_writes_nothing(aws):
    clients, stubbers = aws
    expect_reads(stubbers, None, groups=[], namespaces=[])
    result = run(clients, check_mode=True)
    assert result["changed"] is True
    assert result["cluster_arn"] is None
    assert result["namespace"] is None
    assert result["discovery_service_arns"] == {"api": None, "backend": None}
    assert result["actions"][0].startswith("create cluster")
    assert result["diff"]["before"]["cluster"] is None
    assert result["diff"]["after"]["cluster"]["container_insights"] == "disabled"


def test_creates_everything_and_waits_for_the_namespace(aws):
    clients, stubbers = aws
    expect_reads(stubbers, None, groups=[], namespaces=[])
    created = existing_cluster()
    stubbers["ecs"].add_response("create_cluster", {"cluster": created}, {
        "clusterName": "dev", "settings": [{"name": "containerInsights", "value": "disabled"}],
        "capacityProviders": ["FARGATE", "FARGATE_SPOT"],
        "defaultCapacityProviderStrategy": [{"capacityProvider": "FARGATE_SPOT", "weight": 1, "base": 0}],
        "tags": [{"key": "env", "value": "dev"}]})
    for service in ("api", "backend", "web"):
        stubbers["logs"].add_response("create_log_group", {}, {"logGroupName": f"/ecs/dev/{service}",
                                                               "tags": {"env": "dev"}})
        stubbers["logs"].add_response("put_retention_policy", {}, {"logGroupName": f"/ecs/dev/{service}",
                                                                   "retentionInDays": 7})
    sd = stubbers["servicediscovery"]
    sd.add_response("create_private_dns_namespace", {"OperationId": "op-1"}, {
        "Name": "dev.local", "Vpc": "vpc-0123456789abcdef0", "CreatorRequestId": ANY,
        "Tags": [{"Key": "env", "Value": "dev"}]})
    sd.add_response("get_operation", {"Operation": {"Id": "op-1", "Status": "PENDING"}}, {"OperationId": "op-1"})
    sd.add_response("get_operation", {"Operation": {"Id": "op-1", "Status": "SUCCESS",
                                                    "Targets": {"NAMESPACE": "ns-1"}}}, {"OperationId": "op-1"})
    sd.add_response("get_namespace", {"Namespace": NAMESPACE}, {"Id": "ns-1"})
    for service in ("api", "backend"):
        sd.add_response("create_service", {"Service": summary(service)}, {
            "Name": service, "NamespaceId": "ns-1", "CreatorRequestId": ANY,
            "DnsConfig": {"RoutingPolicy": "MULTIVALUE", "DnsRecords": [{"Type": "A", "TTL": 10}]},
            "HealthCheckCustomConfig": {"FailureThreshold": 1}, "Tags": [{"Key": "env", "Value": "dev"}]})
    sleeps = []
    result = run(clients, sleeps=sleeps)
    assert result["changed"] is True
    assert sleeps == [2.0]
    assert result["cluster_arn"] == created["clusterArn"]
    assert result["namespace"]["id"] == "ns-1"
    assert result["discovery_service_arns"]["backend"].endswith("srv-backend")


def test_drift_is_put_back_with_the_update_calls(aws):
    clients, stubbers = aws
    expect_reads(stubbers, existing_cluster(settings=[{"name": "containerInsights", "value": "enabled"}],
                                            tags=[{"key": "env", "value": "dev"}, {"key": "old", "value": "1"}]),
                 services=[summary("api", ttl=60), summary("backend")])
    stubbers["ecs"].add_response("update_cluster", {"cluster": existing_cluster()}, {
        "cluster": "dev", "settings": [{"name": "containerInsights", "value": "disabled"}]})
    stubbers["ecs"].add_response("untag_resource", {}, {"resourceArn": existing_cluster()["clusterArn"],
                                                        "tagKeys": ["old"]})
    sd = stubbers["servicediscovery"]
    sd.add_response("update_service", {"OperationId": "op-2"}, {
        "Id": "srv-api", "Service": {"DnsConfig": {"DnsRecords": [{"Type": "A", "TTL": 10}]}}})
    sd.add_response("get_operation", {"Operation": {"Id": "op-2", "Status": "SUCCESS"}}, {"OperationId": "op-2"})
    result = run(clients)
    assert result["actions"] == ["update settings (container_insights=disabled)", "untag cluster (keys=['old'])",
                                 "update discovery service (service=api, ttl=10)"]


def test_absent_removes_in_dependency_order(aws):
    clients, stubbers = aws
    expect_reads(stubbers, existing_cluster())
    sd = stubbers["servicediscovery"]
    sd.add_response("delete_service", {}, {"Id": "srv-api"})
    sd.add_response("delete_service", {}, {"Id": "srv-backend"})
    sd.add_response("delete_namespace", {"OperationId": "op-3"}, {"Id": "ns-1"})
    sd.add_response("get_operation", {"Operation": {"Id": "op-3", "Status": "SUCCESS"}}, {"OperationId": "op-3"})
    for service in ("api", "backend", "web"):
        stubbers["logs"].add_response("delete_log_group", {}, {"logGroupName": f"/ecs/dev/{service}"})
    stubbers["ecs"].add_response("delete_cluster", {"cluster": existing_cluster(status="INACTIVE")}, {"cluster": "dev"})
    result = run(clients, state="absent")
    assert result["changed"] is True
    assert result["cluster_arn"] is None
    assert result["discovery_service_arns"] == {}


def test_a_failed_or_slow_cloud_map_operation_fails_the_run():
    class FakeSD:
        def __init__(self, statuses):
            self.statuses = list(statuses)

        def get_operation(self, OperationId):
            return {"Operation": {"Id": OperationId, "Type": "CREATE_NAMESPACE", "Status": self.statuses.pop(0),
                                  "ErrorMessage": "VPC not found"}}

    with pytest.raises(OperationFailed, match="failed: VPC not found"):
        cloudmap.wait_for_operation(FakeSD(["PENDING", "FAIL"]), "op", sleep=lambda s: None)
    clock = iter(range(0, 1000, 5))
    with pytest.raises(OperationFailed, match="still PENDING after 10 s"):
        cloudmap.wait_for_operation(FakeSD(["PENDING"] * 10), "op", timeout=10, sleep=lambda s: None,
                                    clock=lambda: next(clock))


# --- the iam option: fargate_task_roles' work in the same run -------------------------------------

@pytest.fixture(name="aws_iam")
def fixture_aws_iam(aws):
    clients, stubbers = aws
    clients["iam"] = boto3.client("iam", region_name="us-east-1", aws_access_key_id="testing",
                                  aws_secret_access_key="testing", endpoint_url="http://127.0.0.1:1")
    stubbers["iam"] = Stubber(clients["iam"])
    stubbers["iam"].activate()
    return clients, stubbers


@pytest.mark.parametrize("iam, message", [
    ({"task_roles": [{"statements": []}]}, "iam: missing required arguments: service"),
    ({"execution_role": {"nmae": "x"}}, "nmae"),
    ({"task_roles": [{"service": "api"}, {"service": "api"}]}, "task_roles lists service api twice"),
    ({"task_roles": [{"service": "api", "name": "bad name!"}]}, "bad name!"),
])
def test_bad_iam_input_fails_before_any_call(aws_iam, iam, message):
    clients, _stubbers = aws_iam  # no response queued: any call would fail the test
    with pytest.raises(RolesInputError, match=re.escape(message)):
        run(clients, iam=iam)


def test_a_converged_cluster_with_its_roles_reads_and_changes_nothing(aws_iam):
    clients, stubbers = aws_iam
    expect_reads(stubbers, existing_cluster())
    arn = existing_cluster()["clusterArn"]
    roles = desired_roles(role_params_with_defaults(cluster=arn, waker_role=None), Context.from_cluster(arn))
    expect_converged(stubbers["iam"], roles)
    result = run(clients, iam={"execution_role": {"ssm_parameter_prefix": "/dev/", "secrets_prefix": "dev/",
                                                  "kms_key_arns": [KEY]},
                               "task_roles": [{"service": "api", "statements": [S3]}]})
    assert result["changed"] is False
    assert result["actions"] == []
    assert result["iam"]["execution_role_arn"] == "arn:aws:iam::123456789012:role/dev-execution"
    assert result["iam"]["task_role_arns"] == {"api": "arn:aws:iam::123456789012:role/dev-api-task"}
    assert set(result["diff"]["before"]["iam"]) == {"dev-execution", "dev-api-task"}


def test_check_mode_on_nothing_plans_the_cluster_and_its_roles(aws_iam):
    clients, stubbers = aws_iam
    expect_reads(stubbers, None, groups=[], namespaces=[])
    # No cluster ARN yet: the account comes from STS (with account_id, not even that).
    stubbers["iam"].add_client_error("get_role", "NoSuchEntity", "not found", 404,
                                     expected_params={"RoleName": "dev-execution"})
    result = run(clients, check_mode=True, iam={"execution_role": {}, "account_id": "123456789012"})
    assert result["changed"] is True
    assert "create role dev-execution" in result["actions"]
    assert result["actions"].index("create role dev-execution") > 0  # after the cluster's own steps
    assert result["diff"]["before"]["iam"] == {"dev-execution": None}
    assert result["iam"]["execution_role_arn"] == "arn:aws:iam::123456789012:role/dev-execution"
