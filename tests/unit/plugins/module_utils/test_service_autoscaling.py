"""fargate_service_autoscaling: validation, normalisation, plan (pure), and the runner against Stubbers."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from ansible_collections.ecsops.fargate.plugins.module_utils import service_autoscaling as sa
from ansible_collections.ecsops.fargate.plugins.module_utils.service_autoscaling import AutoscalingInputError
from ansible_collections.ecsops.fargate.plugins.module_utils.service_autoscaling import ServiceAutoscaling

RID = "service/prod/api"
DIM = "ecs:service:DesiredCount"
LB = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/prod/50dc6c495c0c9188"
TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/prod-api/73e2d6bc24d8a067"
LABEL = "app/prod/50dc6c495c0c9188/targetgroup/prod-api/73e2d6bc24d8a067"
SCOPE = {"ServiceNamespace": "ecs", "ResourceId": RID, "ScalableDimension": DIM}


def params(**overrides):
    base = dict(state="present", cluster="prod", service="api", min_capacity=2, max_capacity=5, cpu_target=65,
                memory_target=None, request_count_target=None, target_group=None, scale_out_cooldown=120,
                scale_in_cooldown=300, disable_scale_in=False)
    base.update(overrides)
    return base


def cpu_config(target=65.0, out=120, scale_in=300, disable=False):
    return {"metric": "ECSServiceAverageCPUUtilization", "target_value": target, "resource_label": None,
            "scale_out_cooldown": out, "scale_in_cooldown": scale_in, "disable_scale_in": disable}


def aws_policy(name, configuration=None, policy_type="TargetTrackingScaling", alarms=()):
    policy = {"PolicyARN": f"arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:1:resource/ecs/{RID}:policyName/{name}",
              "PolicyName": name, "PolicyType": policy_type, "CreationTime": "2026-01-01",
              "Alarms": [{"AlarmName": a, "AlarmARN": f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:{a}"} for a in alarms],
              **SCOPE}
    if policy_type == "TargetTrackingScaling":
        policy["TargetTrackingScalingPolicyConfiguration"] = configuration or sa.policy_configuration(cpu_config())
    else:
        policy["StepScalingPolicyConfiguration"] = configuration or {
            "AdjustmentType": "ExactCapacity", "StepAdjustments": [{"MetricIntervalUpperBound": 0.0, "ScalingAdjustment": 0}]}
    return policy


# --- validate --------------------------------------------------------------------------------------

def test_validate_returns_the_resource_id():
    assert sa.validate(params()) == RID
    assert sa.validate(params(cluster="arn:aws:ecs:us-east-1:123456789012:cluster/prod",
                              service="arn:aws:ecs:us-east-1:123456789012:service/prod/api")) == RID


@pytest.mark.parametrize("overrides, message", [
    (dict(min_capacity=3, max_capacity=2), "min_capacity 3 is above max_capacity 2"),
    (dict(min_capacity=-1), "min_capacity must be 0 or more, not -1"),
    (dict(min_capacity=0, max_capacity=-1), "max_capacity must be 0 or more, not -1"),
    (dict(max_capacity=None), "state=present needs min_capacity and max_capacity"),
    (dict(cpu_target=0), "cpu_target is a utilisation in percent"),
    (dict(cpu_target=120), "cpu_target is a utilisation in percent"),
    (dict(memory_target=-5), "memory_target is a utilisation in percent"),
    (dict(request_count_target=0, target_group="tg"), "request_count_target must be above 0"),
    (dict(request_count_target=100), "request_count_target and target_group go together"),
    (dict(target_group="tg"), "request_count_target and target_group go together"),
    (dict(scale_out_cooldown=-1), "scale_out_cooldown must be between 0 and"),
    (dict(scale_in_cooldown=40000000), "scale_in_cooldown must be between 0 and"),
    (dict(service="a/b"), "not a valid ECS service name"),
    (dict(cluster=""), "cluster must be a non-empty name or ARN"),
])
def test_validate_rejects_bad_input(overrides, message):
    with pytest.raises(AutoscalingInputError, match=message.replace("(", r"\(")):
        sa.validate(params(**overrides))


def test_validate_absent_needs_only_names():
    assert sa.validate(params(state="absent", min_capacity=None, max_capacity=None, cpu_target=None)) == RID


def test_zero_capacities_are_valid():
    assert sa.validate(params(min_capacity=0, max_capacity=0)) == RID


# --- desired and current ---------------------------------------------------------------------------

def test_desired_policies_have_fixed_names_and_shared_cooldowns():
    wanted = sa.desired_policies(params(memory_target=80, request_count_target=1000, target_group="prod-api",
                                        disable_scale_in=True), LABEL)
    assert sorted(wanted) == ["ecsops-cpu", "ecsops-memory", "ecsops-requests"]
    assert wanted["ecsops-cpu"] == cpu_config(disable=True)
    assert wanted["ecsops-memory"]["metric"] == "ECSServiceAverageMemoryUtilization"
    assert wanted["ecsops-requests"]["metric"] == "ALBRequestCountPerTarget"
    assert wanted["ecsops-requests"]["resource_label"] == LABEL
    assert wanted["ecsops-memory"]["resource_label"] is None


def test_policy_configuration_round_trips_through_normalise():
    config = dict(cpu_config(), metric="ALBRequestCountPerTarget", resource_label=LABEL)
    body = sa.policy_configuration(config)
    assert body == {"TargetValue": 65.0, "PredefinedMetricSpecification": {
        "PredefinedMetricType": "ALBRequestCountPerTarget", "ResourceLabel": LABEL},
        "ScaleOutCooldown": 120, "ScaleInCooldown": 300, "DisableScaleIn": False}
    assert sa.normalise_policy(aws_policy("ecsops-requests", body)) == config


def test_normalise_fills_aws_defaults():
    policy = aws_policy("ecsops-cpu", {"TargetValue": 65, "PredefinedMetricSpecification": {
        "PredefinedMetricType": "ECSServiceAverageCPUUtilization"}})
    assert sa.normalise_policy(policy) == cpu_config(out=300, scale_in=300)


def test_normalise_step_policy_never_equals_a_target_tracking_one():
    normalised = sa.normalise_policy(aws_policy("ecsops-cpu", policy_type="StepScaling"))
    assert normalised == {"policy_type": "StepScaling", "metric": None}


def test_split_policies_keeps_others_apart():
    ours, others = sa.split_policies([aws_policy("ecsops-cpu"), aws_policy("ecsops-s2z-idle", policy_type="StepScaling"),
                                      aws_policy("hand-made")])
    assert list(ours) == ["ecsops-cpu"]
    assert others == ["ecsops-s2z-idle", "hand-made"]


# --- plan --------------------------------------------------------------------------------------------

def test_plan_nothing_to_do():
    target = {"min_capacity": 2, "max_capacity": 5}
    assert sa.plan(params(), target, {"ecsops-cpu": cpu_config()}, {"ecsops-cpu": cpu_config()}) == []


def test_plan_from_scratch():
    steps = sa.plan(params(), None, {}, {"ecsops-cpu": cpu_config()})
    assert steps == [{"action": "register_target", "min_capacity": 2, "max_capacity": 5},
                     {"action": "put_policy", "name": "ecsops-cpu", "config": cpu_config(), "replace": False}]


def test_plan_changes_capacity_and_policy_and_drops_unasked_ones():
    target = {"min_capacity": 1, "max_capacity": 5}
    ours = {"ecsops-cpu": cpu_config(target=70.0), "ecsops-memory": dict(cpu_config(), metric="ECSServiceAverageMemoryUtilization")}
    steps = sa.plan(params(), target, ours, {"ecsops-cpu": cpu_config()})
    assert [s["action"] for s in steps] == ["register_target", "put_policy", "delete_policy"]
    assert steps[1]["replace"] is False and steps[2]["name"] == "ecsops-memory"


@pytest.mark.parametrize("change", [dict(out=60), dict(scale_in=600), dict(disable=True), dict(target=65.5)])
def test_plan_notices_each_policy_field(change):
    target = {"min_capacity": 2, "max_capacity": 5}
    steps = sa.plan(params(), target, {"ecsops-cpu": cpu_config(**change)}, {"ecsops-cpu": cpu_config()})
    assert [s["action"] for s in steps] == ["put_policy"]


def test_plan_replaces_a_step_policy_under_our_name():
    steps = sa.plan(params(), {"min_capacity": 2, "max_capacity": 5},
                    {"ecsops-cpu": {"policy_type": "StepScaling", "metric": None}}, {"ecsops-cpu": cpu_config()})
    assert steps[0]["replace"] is True


def test_plan_absent_deletes_ours_only():
    steps = sa.plan(params(state="absent"), {"min_capacity": 2, "max_capacity": 5},
                    {"ecsops-requests": {}, "ecsops-cpu": {}}, {})
    assert steps == [{"action": "delete_policy", "name": "ecsops-cpu"}, {"action": "delete_policy", "name": "ecsops-requests"}]


def test_may_deregister_only_when_nothing_else_uses_the_target():
    assert sa.may_deregister([], [])
    assert not sa.may_deregister(["ecsops-s2z-idle"], [])
    assert not sa.may_deregister([], [{"ScheduledActionName": "ecsops-s2z-park"}])


def test_after_state_and_steps_described():
    steps = [{"action": "register_target", "min_capacity": 2, "max_capacity": 5},
             {"action": "put_policy", "name": "ecsops-cpu", "config": cpu_config(disable=True), "replace": True},
             {"action": "delete_policy", "name": "ecsops-memory"}]
    target, policies = sa.after_state(None, {"ecsops-memory": {}}, steps)
    assert target == {"min_capacity": 2, "max_capacity": 5}
    assert policies == {"ecsops-cpu": cpu_config(disable=True)}
    assert [sa.describe_step(s, RID) for s in steps] == [
        "register scalable target service/prod/api (min_capacity=2, max_capacity=5)",
        "replace target tracking policy ecsops-cpu (ECSServiceAverageCPUUtilization target 65, out 120 s, in 300 s, "
        "no scale-in)",
        "delete scaling policy ecsops-memory"]
    assert sa.after_state({"min_capacity": 0, "max_capacity": 1}, {}, [{"action": "deregister_target"}]) == (None, {})


def test_coexistence_warning_only_with_scale_to_zero_and_min_above_zero():
    others = ["ecsops-s2z-idle", "ecsops-s2z-wake", "hand-made"]
    [warning] = sa.coexistence_warnings(params(min_capacity=2), others)
    assert "ecsops-s2z-idle" in warning and "min_capacity 0" in warning
    assert sa.coexistence_warnings(params(min_capacity=0), others) == []
    assert sa.coexistence_warnings(params(min_capacity=2), ["hand-made"]) == []
    assert sa.coexistence_warnings(params(state="absent"), others) == []


# --- runner against Stubbers -------------------------------------------------------------------------

@pytest.fixture(name="aws")
def fixture_aws():
    clients, stubbers = {}, {}
    for name in ("application-autoscaling", "ecs", "elbv2"):
        clients[name] = boto3.client(name, region_name="us-east-1", aws_access_key_id="testing",
                                     aws_secret_access_key="testing", endpoint_url="http://127.0.0.1:1")
        stubbers[name] = Stubber(clients[name])
        stubbers[name].activate()
    yield clients, stubbers
    for stubber in stubbers.values():
        stubber.assert_no_pending_responses()
        stubber.deactivate()


def target(minimum=2, maximum=5):
    return {"ServiceNamespace": "ecs", "ResourceId": RID, "ScalableDimension": DIM, "MinCapacity": minimum,
            "MaxCapacity": maximum, "RoleARN": "arn:aws:iam::123456789012:role/aws-service-role/x",
            "CreationTime": "2026-01-01"}


def expect_target(stubbers, found):
    stubbers["application-autoscaling"].add_response(
        "describe_scalable_targets", {"ScalableTargets": [found] if found else []},
        {"ServiceNamespace": "ecs", "ResourceIds": [RID], "ScalableDimension": DIM})


def expect_policies(stubbers, policies):
    stubbers["application-autoscaling"].add_response("describe_scaling_policies", {"ScalingPolicies": policies}, SCOPE)


def expect_service(stubbers, status="ACTIVE", load_balancers=()):
    services = [] if status is None else [{"serviceName": "api", "status": status, "loadBalancers": list(load_balancers)}]
    stubbers["ecs"].add_response("describe_services", {"services": services, "failures": []},
                                 {"cluster": "prod", "services": ["api"], "include": ["TAGS"]})


def run(clients, check_mode=False, warnings=None, **overrides):
    warn = warnings.append if warnings is not None else None
    return ServiceAutoscaling(params(**overrides), clients.__getitem__, check_mode=check_mode, warn=warn).run()


def test_no_op_costs_two_reads(aws):
    clients, stubbers = aws
    expect_target(stubbers, target())
    expect_policies(stubbers, [aws_policy("ecsops-cpu", alarms=["TargetTracking-service/prod/api-AlarmHigh-1",
                                                                "TargetTracking-service/prod/api-AlarmLow-2"])])
    result = run(clients)
    assert result["changed"] is False and result["actions"] == []
    assert result["scalable_target"] == {"min_capacity": 2, "max_capacity": 5}
    assert result["policies"]["ecsops-cpu"]["alarms"] == ["TargetTracking-service/prod/api-AlarmHigh-1",
                                                          "TargetTracking-service/prod/api-AlarmLow-2"]
    assert result["diff"]["before"] == result["diff"]["after"]


def test_create_checks_the_service_first_then_registers_and_puts(aws):
    clients, stubbers = aws
    expect_target(stubbers, None)
    expect_service(stubbers)
    stubbers["application-autoscaling"].add_response(
        "register_scalable_target", {}, dict(SCOPE, MinCapacity=2, MaxCapacity=5))
    alarm = {"AlarmName": "TargetTracking-service/prod/api-AlarmHigh-x", "AlarmARN": "arn:a"}
    stubbers["application-autoscaling"].add_response(
        "put_scaling_policy", {"PolicyARN": "arn:p", "Alarms": [alarm]},
        dict(SCOPE, PolicyName="ecsops-cpu", PolicyType="TargetTrackingScaling",
             TargetTrackingScalingPolicyConfiguration=sa.policy_configuration(cpu_config())))
    result = run(clients)
    assert result["changed"] is True
    assert result["policies"]["ecsops-cpu"]["policy_arn"] == "arn:p"
    assert result["policies"]["ecsops-cpu"]["alarms"] == ["TargetTracking-service/prod/api-AlarmHigh-x"]
    assert result["diff"]["before"] == {"scalable_target": None, "policies": {}}


def test_check_mode_reads_and_writes_nothing(aws):
    clients, stubbers = aws
    expect_target(stubbers, None)
    expect_service(stubbers)
    result = run(clients, check_mode=True)
    assert result["changed"] is True
    assert result["scalable_target"] == {"min_capacity": 2, "max_capacity": 5}
    assert result["policies"]["ecsops-cpu"]["policy_arn"] is None


@pytest.mark.parametrize("status, message", [(None, "does not exist in cluster 'prod'"), ("DRAINING", "is DRAINING")])
def test_missing_service_fails_before_any_write(aws, status, message):
    clients, stubbers = aws
    expect_target(stubbers, None)
    expect_service(stubbers, status=status)
    with pytest.raises(AutoscalingInputError, match=message):
        run(clients)


def test_missing_cluster_is_a_clear_error(aws):
    clients, stubbers = aws
    expect_target(stubbers, None)
    stubbers["ecs"].add_client_error("describe_services", "ClusterNotFoundException", http_status_code=400)
    with pytest.raises(AutoscalingInputError, match="cluster 'prod' does not exist"):
        run(clients)


def expect_target_group(stubbers, groups, **expected):
    stubbers["elbv2"].add_response("describe_target_groups", {"TargetGroups": groups}, expected)


def group(balancers=(LB,)):
    return {"TargetGroupArn": TG, "TargetGroupName": "prod-api", "LoadBalancerArns": list(balancers)}


def test_request_count_label_from_the_target_group_name(aws):
    clients, stubbers = aws
    expect_target_group(stubbers, [group()], Names=["prod-api"])
    expect_target(stubbers, target())
    config = sa.policy_configuration(dict(cpu_config(target=1000.0), metric="ALBRequestCountPerTarget",
                                          resource_label=LABEL))
    expect_policies(stubbers, [aws_policy("ecsops-cpu"), aws_policy("ecsops-requests", config)])
    result = run(clients, request_count_target=1000, target_group="prod-api")
    assert result["changed"] is False
    assert result["policies"]["ecsops-requests"]["resource_label"] == LABEL


def test_request_count_by_arn_and_warning_when_not_the_services_group(aws):
    clients, stubbers = aws
    expect_target_group(stubbers, [group()], TargetGroupArns=[TG])
    expect_target(stubbers, target())
    expect_policies(stubbers, [aws_policy("ecsops-cpu")])
    expect_service(stubbers, load_balancers=[{"targetGroupArn": TG.replace("prod-api", "other")}])
    warnings = []
    result = run(clients, check_mode=True, warnings=warnings, request_count_target=1000, target_group=TG)
    assert result["actions"] == ["put target tracking policy ecsops-requests (ALBRequestCountPerTarget target 1000, "
                                 "out 120 s, in 300 s)"]
    assert len(warnings) == 1 and "is not one of service api's" in warnings[0]


@pytest.mark.parametrize("groups, message", [
    ([], "target group 'prod-api' does not exist"),
    ([group(balancers=())], "is not attached to a load balancer"),
    ([group(balancers=(LB, LB.replace("prod", "other")))], "attached to 2 load balancers"),
])
def test_request_count_target_group_errors(aws, groups, message):
    clients, stubbers = aws
    expect_target_group(stubbers, groups, Names=["prod-api"])
    with pytest.raises(AutoscalingInputError, match=message):
        run(clients, request_count_target=1000, target_group="prod-api")


def test_request_count_rejects_other_arns_without_a_call(aws):
    clients, _stubbers = aws
    with pytest.raises(AutoscalingInputError, match="neither a target group name nor"):
        run(clients, request_count_target=1000, target_group=LB)


def test_absent_keeps_the_target_for_others_and_warns(aws):
    clients, stubbers = aws
    expect_target(stubbers, target(0, 5))
    expect_policies(stubbers, [aws_policy("ecsops-cpu"), aws_policy("ecsops-s2z-idle", policy_type="StepScaling")])
    stubbers["application-autoscaling"].add_response("describe_scheduled_actions", {"ScheduledActions": []}, SCOPE)
    stubbers["application-autoscaling"].add_response("delete_scaling_policy", {}, dict(SCOPE, PolicyName="ecsops-cpu"))
    warnings = []
    result = run(clients, warnings=warnings, state="absent")
    assert result["actions"] == ["delete scaling policy ecsops-cpu"]
    assert result["scalable_target"] == {"min_capacity": 0, "max_capacity": 5}
    assert result["other_policies"] == ["ecsops-s2z-idle"]
    assert "is kept" in warnings[0] and "ecsops-s2z-idle" in warnings[0]


def test_absent_keeps_the_target_for_scheduled_actions(aws):
    clients, stubbers = aws
    expect_target(stubbers, target())
    expect_policies(stubbers, [])
    action = dict(SCOPE, ScheduledActionName="ecsops-s2z-park", ScheduledActionARN="arn:s",
                  Schedule="cron(0 20 * * ? *)", CreationTime="2026-01-01")
    stubbers["application-autoscaling"].add_response("describe_scheduled_actions", {"ScheduledActions": [action]}, SCOPE)
    result = run(clients, state="absent")
    assert result["changed"] is False


def test_absent_deregisters_an_unused_target(aws):
    clients, stubbers = aws
    expect_target(stubbers, target())
    expect_policies(stubbers, [aws_policy("ecsops-cpu")])
    stubbers["application-autoscaling"].add_response("describe_scheduled_actions", {"ScheduledActions": []}, SCOPE)
    stubbers["application-autoscaling"].add_response("delete_scaling_policy", {}, dict(SCOPE, PolicyName="ecsops-cpu"))
    stubbers["application-autoscaling"].add_response("deregister_scalable_target", {}, SCOPE)
    result = run(clients, state="absent")
    assert result["actions"] == ["delete scaling policy ecsops-cpu", "deregister scalable target service/prod/api"]
    assert result["scalable_target"] is None and result["policies"] == {}


def test_absent_without_a_target_is_one_call(aws):
    clients, stubbers = aws
    expect_target(stubbers, None)
    result = run(clients, state="absent")
    assert result["changed"] is False and result["scalable_target"] is None


def test_replacing_a_step_policy_deletes_it_first(aws):
    clients, stubbers = aws
    expect_target(stubbers, target())
    expect_policies(stubbers, [aws_policy("ecsops-cpu", policy_type="StepScaling")])
    expect_service(stubbers)
    stubbers["application-autoscaling"].add_response("delete_scaling_policy", {}, dict(SCOPE, PolicyName="ecsops-cpu"))
    stubbers["application-autoscaling"].add_response(
        "put_scaling_policy", {"PolicyARN": "arn:p2"},
        dict(SCOPE, PolicyName="ecsops-cpu", PolicyType="TargetTrackingScaling",
             TargetTrackingScalingPolicyConfiguration=sa.policy_configuration(cpu_config())))
    result = run(clients)
    assert result["actions"][0].startswith("replace target tracking policy ecsops-cpu")
    assert result["policies"]["ecsops-cpu"]["alarms"] == []


def test_scale_to_zero_coexistence_warning_from_the_runner(aws):
    clients, stubbers = aws
    expect_target(stubbers, target(0, 5))
    expect_policies(stubbers, [aws_policy("ecsops-cpu"), aws_policy("ecsops-s2z-wake", policy_type="StepScaling")])
    expect_service(stubbers)
    stubbers["application-autoscaling"].add_response("register_scalable_target", {},
                                                     dict(SCOPE, MinCapacity=2, MaxCapacity=5))
    warnings = []
    run(clients, warnings=warnings)
    assert len(warnings) == 1 and "min_capacity 0" in warnings[0]
