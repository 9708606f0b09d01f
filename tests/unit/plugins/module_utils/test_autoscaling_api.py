"""The Application Auto Scaling API layer: resource ids (pure), exact matches, paging, 'missing' mapping."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from ansible_collections.ecsops.fargate.plugins.module_utils import autoscaling
from ansible_collections.ecsops.fargate.plugins.module_utils.api import EcsopsAWSError

CLUSTER_ARN = "arn:aws:ecs:us-east-1:123456789012:cluster/web-dev"
SERVICE_ARN = "arn:aws:ecs:us-east-1:123456789012:service/web-dev/api"
OLD_SERVICE_ARN = "arn:aws:ecs:us-east-1:123456789012:service/api"
RID = "service/web-dev/api"
DIM = "ecs:service:DesiredCount"


@pytest.fixture(name="aas")
def fixture_aas():
    client = boto3.client(
        "application-autoscaling", region_name="us-east-1", aws_access_key_id="testing",
        aws_secret_access_key="testing", endpoint_url="http://127.0.0.1:1",  # never reached: Stubber answers
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


@pytest.mark.parametrize("cluster, service", [
    ("web-dev", "api"),
    (CLUSTER_ARN, "api"),
    ("web-dev", SERVICE_ARN),
    (CLUSTER_ARN, SERVICE_ARN),
    ("web-dev", OLD_SERVICE_ARN),
    (" web-dev ", "api"),
])
def test_service_resource_id_from_names_and_arns(cluster, service):
    assert autoscaling.service_resource_id(cluster, service) == RID


def test_service_resource_id_keeps_underscores_and_digits():
    assert autoscaling.service_resource_id("c_1", "svc-2_b") == "service/c_1/svc-2_b"


@pytest.mark.parametrize("cluster, service", [
    ("", "api"),
    ("web-dev", ""),
    (None, "api"),
    ("web-dev", None),
    ("web/dev", "api"),
    ("web-dev", "a/b"),
    ("arn:aws:ecs:us-east-1:123456789012:service/web-dev/api", "api"),         # service ARN as the cluster
    ("web-dev", "arn:aws:ecs:us-east-1:123456789012:cluster/web-dev"),          # cluster ARN as the service
    ("web-dev", "arn:aws:elasticloadbalancing:us-east-1:123456789012:service/web-dev/api"),
    ("web-dev", "arn:aws:ecs:us-east-1:123456789012:service/"),
    ("other", SERVICE_ARN),                                                      # the ARN names another cluster
])
def test_service_resource_id_rejects_bad_input(cluster, service):
    with pytest.raises(ValueError):
        autoscaling.service_resource_id(cluster, service)


def test_describe_scalable_target_found_and_missing(aas):
    client, stubber = aas
    expected = {"ServiceNamespace": "ecs", "ResourceIds": [RID], "ScalableDimension": DIM}
    target = {"ServiceNamespace": "ecs", "ResourceId": RID, "ScalableDimension": DIM, "MinCapacity": 2,
              "MaxCapacity": 5, "RoleARN": "arn:aws:iam::123456789012:role/x", "CreationTime": "2026-01-01"}
    stubber.add_response("describe_scalable_targets", {"ScalableTargets": [target]}, expected)
    stubber.add_response("describe_scalable_targets", {"ScalableTargets": []}, expected)
    assert autoscaling.describe_scalable_target(client, RID)["MaxCapacity"] == 5
    assert autoscaling.describe_scalable_target(client, RID) is None


def test_describe_scalable_target_ignores_other_resources(aas):
    client, stubber = aas
    other = {"ServiceNamespace": "ecs", "ResourceId": "service/web-dev/api2", "ScalableDimension": DIM,
             "MinCapacity": 1, "MaxCapacity": 1, "RoleARN": "r", "CreationTime": "2026-01-01"}
    stubber.add_response("describe_scalable_targets", {"ScalableTargets": [other]})
    assert autoscaling.describe_scalable_target(client, RID) is None


def test_register_scalable_target_sends_ints_and_optional_suspended_state(aas):
    client, stubber = aas
    base = {"ServiceNamespace": "ecs", "ResourceId": RID, "ScalableDimension": DIM}
    stubber.add_response("register_scalable_target", {}, dict(base, MinCapacity=2, MaxCapacity=5))
    suspended = {"DynamicScalingInSuspended": True}
    stubber.add_response("register_scalable_target", {},
                         dict(base, MinCapacity=0, MaxCapacity=1, SuspendedState=suspended))
    autoscaling.register_scalable_target(client, RID, "2", 5)
    autoscaling.register_scalable_target(client, RID, 0, 1, suspended_state=suspended)


def test_deregister_and_deletes_missing_is_none(aas):
    client, stubber = aas
    stubber.add_client_error("deregister_scalable_target", "ObjectNotFoundException", http_status_code=400)
    stubber.add_client_error("delete_scaling_policy", "ObjectNotFoundException", http_status_code=400,
                             expected_params={"PolicyName": "ecsops-cpu", "ServiceNamespace": "ecs",
                                              "ResourceId": RID, "ScalableDimension": DIM})
    stubber.add_client_error("delete_scheduled_action", "ObjectNotFoundException", http_status_code=400)
    assert autoscaling.deregister_scalable_target(client, RID) is None
    assert autoscaling.delete_scaling_policy(client, RID, "ecsops-cpu") is None
    assert autoscaling.delete_scheduled_action(client, RID, "down") is None


def test_other_errors_raise(aas):
    client, stubber = aas
    stubber.add_client_error("delete_scaling_policy", "ValidationException", http_status_code=400)
    with pytest.raises(EcsopsAWSError):
        autoscaling.delete_scaling_policy(client, RID, "ecsops-cpu")


def _policy(name, rid=RID):
    return {"PolicyARN": f"arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:x:resource/ecs/{rid}:policyName/{name}",
            "PolicyName": name, "ServiceNamespace": "ecs", "ResourceId": rid, "ScalableDimension": DIM,
            "PolicyType": "TargetTrackingScaling", "CreationTime": "2026-01-01"}


def test_describe_scaling_policies_pages_and_keeps_exact_matches(aas):
    client, stubber = aas
    expected = {"ServiceNamespace": "ecs", "ResourceId": RID, "ScalableDimension": DIM}
    stubber.add_response("describe_scaling_policies",
                         {"ScalingPolicies": [_policy("a"), _policy("x", "service/web-dev/api-2")], "NextToken": "t"},
                         expected)
    stubber.add_response("describe_scaling_policies", {"ScalingPolicies": [_policy("b")]},
                         dict(expected, NextToken="t"))
    assert [p["PolicyName"] for p in autoscaling.describe_scaling_policies(client, RID)] == ["a", "b"]


def test_put_scaling_policy_uses_the_configuration_key_of_its_type(aas):
    client, stubber = aas
    tt = {"TargetValue": 60.0, "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"}}
    step = {"AdjustmentType": "ExactCapacity", "StepAdjustments": [{"MetricIntervalLowerBound": 0.0, "ScalingAdjustment": 0}]}
    base = {"ServiceNamespace": "ecs", "ResourceId": RID, "ScalableDimension": DIM}
    stubber.add_response("put_scaling_policy", {"PolicyARN": "arn:p1", "Alarms": [{"AlarmName": "a", "AlarmARN": "arn:a"}]},
                         dict(base, PolicyName="ecsops-cpu", PolicyType="TargetTrackingScaling",
                              TargetTrackingScalingPolicyConfiguration=tt))
    stubber.add_response("put_scaling_policy", {"PolicyARN": "arn:p2"},
                         dict(base, PolicyName="idle", PolicyType="StepScaling", StepScalingPolicyConfiguration=step))
    response = autoscaling.put_scaling_policy(client, RID, "ecsops-cpu", "TargetTrackingScaling", tt)
    assert response == {"PolicyARN": "arn:p1", "Alarms": [{"AlarmName": "a", "AlarmARN": "arn:a"}]}
    assert autoscaling.put_scaling_policy(client, RID, "idle", "StepScaling", step)["PolicyARN"] == "arn:p2"


def test_put_scaling_policy_rejects_unknown_type(aas):
    client, _stubber = aas
    with pytest.raises(ValueError):
        autoscaling.put_scaling_policy(client, RID, "p", "PredictiveScaling", {})


def test_scheduled_actions_describe_and_put(aas):
    client, stubber = aas
    base = {"ServiceNamespace": "ecs", "ResourceId": RID, "ScalableDimension": DIM}
    action = dict(base, ScheduledActionName="down", ScheduledActionARN="arn:s", Schedule="cron(0 20 ? * MON-FRI *)",
                  CreationTime="2026-01-01")
    stubber.add_response("describe_scheduled_actions",
                         {"ScheduledActions": [action, dict(action, ResourceId="service/other/api")]}, base)
    stubber.add_response("put_scheduled_action", {},
                         dict(base, ScheduledActionName="down", Schedule="cron(0 20 ? * MON-FRI *)",
                              Timezone="Europe/Berlin", ScalableTargetAction={"MinCapacity": 0, "MaxCapacity": 0}))
    stubber.add_response("put_scheduled_action", {}, dict(base, ScheduledActionName="up", Schedule="at(2026-01-01T08:00:00)"))
    assert [a["ScheduledActionName"] for a in autoscaling.describe_scheduled_actions(client, RID)] == ["down"]
    autoscaling.put_scheduled_action(client, RID, "down", "cron(0 20 ? * MON-FRI *)", timezone="Europe/Berlin",
                                     min_capacity=0, max_capacity=0)
    autoscaling.put_scheduled_action(client, RID, "up", "at(2026-01-01T08:00:00)")
