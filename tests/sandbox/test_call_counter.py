"""The call counter of the control API: every AWS request the sandbox receives, by service and operation."""

import botocore.config
import pytest
from botocore.exceptions import ClientError

# total_max_attempts counts the first attempt; botocore's max_attempts counts retries only
NO_RETRY = botocore.config.Config(retries={"total_max_attempts": 1, "mode": "standard"})


def test_counts_each_request_by_service_and_operation(sandbox):
    assert sandbox.calls() == {"total": 0, "by_operation": {}}
    ecs = sandbox.aws("ecs")
    ecs.create_cluster(clusterName="counted")
    ecs.describe_clusters(clusters=["counted"])
    ecs.describe_clusters(clusters=["counted"])
    sandbox.aws("ec2").describe_vpcs()
    sandbox.aws("elbv2").describe_load_balancers()
    sandbox.aws("cloudwatch").describe_alarms()
    assert sandbox.calls() == {"total": 6, "by_operation": {
        "cloudwatch:DescribeAlarms": 1, "ec2:DescribeVpcs": 1, "ecs:CreateCluster": 1, "ecs:DescribeClusters": 2,
        "elbv2:DescribeLoadBalancers": 1}}


def test_control_requests_are_not_counted(sandbox):
    sandbox.health()
    sandbox.faults()
    sandbox.alb_request("nothing-here")
    assert sandbox.calls()["total"] == 0


def test_failed_and_throttled_requests_count_as_received(sandbox):
    ecs = sandbox.aws("ecs", config=NO_RETRY)
    with pytest.raises(ClientError):
        ecs.describe_services(cluster="missing", services=["x"])
    sandbox.add_fault({"operation": "ecs:ListClusters"}, "throttle", rate=1.0)
    with pytest.raises(ClientError):
        ecs.list_clusters()
    assert sandbox.calls()["by_operation"] == {"ecs:DescribeServices": 1, "ecs:ListClusters": 1}


def test_retries_are_separate_requests(sandbox):
    sandbox.add_fault({"operation": "ecs:ListClusters"}, "throttle", rate=1.0)
    ecs = sandbox.aws("ecs", config=botocore.config.Config(retries={"total_max_attempts": 3, "mode": "standard"}))
    with pytest.raises(ClientError):
        ecs.list_clusters()
    assert sandbox.calls()["by_operation"] == {"ecs:ListClusters": 3}


def test_rest_services_are_counted_by_service(sandbox):
    sandbox.aws("route53").list_hosted_zones()
    assert sandbox.calls()["by_operation"] == {"route53:(rest)": 1}


def test_clear_and_reset_start_from_zero(sandbox):
    sandbox.aws("ecs").list_clusters()
    assert sandbox.clear_calls() == {"total": 0, "by_operation": {}}
    sandbox.aws("ecs").list_clusters()
    assert sandbox.calls()["total"] == 1
    sandbox.reset()
    assert sandbox.calls()["total"] == 0
