"""alb_traffic_shift's runner against botocore Stubbers: the steps, the checks, the breach and its rollback,
check mode, idempotence and resume - which calls, in which order, and no more."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import ANY
from botocore.stub import Stubber

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.ecsops.fargate.plugins.module_utils.migration import MigrationError
from ansible_collections.ecsops.fargate.plugins.module_utils.migration import TrafficShift
from ansible_collections.ecsops.fargate.plugins.modules.alb_traffic_shift import argument_spec

PREFIX = "arn:aws:elasticloadbalancing:us-east-1:123456789012:"
EC2_TG = PREFIX + "targetgroup/shop-ec2/0123456789abcdef"
FARGATE_TG = PREFIX + "targetgroup/shop-fargate/fedcba9876543210"
RULE = PREFIX + "listener-rule/app/shop/1111111111111111/2222222222222222/3333333333333333"
LISTENER = PREFIX + "listener/app/shop/1111111111111111/2222222222222222"
HEALTHY = [{"Target": {"Id": "10.0.1.5", "Port": 80}, "TargetHealth": {"State": "healthy"}}]
UNHEALTHY = [{"Target": {"Id": "10.0.1.5", "Port": 80}, "TargetHealth": {"State": "unhealthy", "Reason": "Target.ResponseCodeMismatch"}}]


class Clock:
    """Time moves only when the runner sleeps, or by `tick` per reading."""

    def __init__(self, tick=0.0):
        self.now, self.tick, self.slept = 1_800_000_000.0, tick, []

    def __call__(self):
        self.now += self.tick
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture(name="aws")
def fixture_aws():
    clients = {name: boto3.client(name, region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b")
               for name in ("elbv2", "cloudwatch")}
    stubbers = {name: Stubber(client) for name, client in clients.items()}
    for stubber in stubbers.values():
        stubber.activate()
    yield clients, stubbers
    for stubber in stubbers.values():
        stubber.assert_no_pending_responses()


def params(**extra):
    raw = {"rule_arn": RULE, "ec2_target_group_arn": EC2_TG, "fargate_target_group_arn": FARGATE_TG,
           "bake_seconds": 0, "check_interval": 1}
    raw.update(extra)
    result = ArgumentSpecValidator(argument_spec()).validate(raw)
    assert not result.error_messages, result.error_messages
    return result.validated_parameters


def rule(fargate, ec2=None, default=False, sticky=None, extra_actions=()):
    ec2 = 100 - fargate if ec2 is None else ec2
    forward = {"Type": "forward", "Order": 2, "ForwardConfig": {
        "TargetGroups": [{"TargetGroupArn": EC2_TG, "Weight": ec2}, {"TargetGroupArn": FARGATE_TG, "Weight": fargate}],
        "TargetGroupStickinessConfig": sticky or {"Enabled": False}}}
    return {"RuleArn": RULE, "Priority": "default" if default else "10", "IsDefault": default,
            "Conditions": [], "Actions": list(extra_actions) + [forward]}


def expect_rule(stubbers, answer):
    stubbers["elbv2"].add_response("describe_rules", {"Rules": [answer]}, {"RuleArns": [RULE]})


def expect_set(stubbers, fargate, sticky=None):
    actions = [{"Type": "forward", "Order": 2, "ForwardConfig": {
        "TargetGroups": [{"TargetGroupArn": EC2_TG, "Weight": 100 - fargate}, {"TargetGroupArn": FARGATE_TG, "Weight": fargate}],
        "TargetGroupStickinessConfig": sticky or {"Enabled": False}}}]
    stubbers["elbv2"].add_response("modify_rule", {"Rules": [rule(fargate)]}, {"RuleArn": RULE, "Actions": actions})


def expect_check(stubbers, health=None, requests=None, errors=None):
    stubbers["elbv2"].add_response("describe_target_health", {"TargetHealthDescriptions": HEALTHY if health is None else health},
                                   {"TargetGroupArn": FARGATE_TG})
    for name, value in (("RequestCount", requests), ("HTTPCode_Target_5XX_Count", errors)):
        points = [] if value is None else [{"Sum": float(value), "Unit": "Count"}]
        stubbers["cloudwatch"].add_response("get_metric_statistics", {"Datapoints": points}, {
            "Namespace": "AWS/ApplicationELB", "MetricName": name, "Statistics": ["Sum"], "Period": 60,
            "StartTime": ANY, "EndTime": ANY,
            "Dimensions": [{"Name": "TargetGroup", "Value": "targetgroup/shop-fargate/fedcba9876543210"},
                           {"Name": "LoadBalancer", "Value": "app/shop/1111111111111111"}]})


def run(aws, check_mode=False, clock=None, **extra):
    clients = aws[0]
    clock = clock or Clock()
    return TrafficShift(params(**extra), clients.__getitem__, check_mode=check_mode, sleep=clock.sleep, clock=clock).run()


def test_cutover_takes_each_step_with_a_check_and_ends_at_100(aws):
    stubbers = aws[1]
    expect_rule(stubbers, rule(0))
    for percent, requests in ((10, 12), (50, 60), (100, 130)):
        expect_set(stubbers, percent)
        expect_check(stubbers, requests=requests, errors=None)
    result = run(aws)
    assert result["changed"] and not result["failed"]
    assert [step["fargate_percent"] for step in result["steps"]] == [10, 50, 100]
    assert [step["requests"] for step in result["steps"]] == [12, 60, 130]
    assert all(step["breach"] is None and step["healthy"] == 1 for step in result["steps"])
    assert result["fargate_percent"] == 100 and result["completed_at"]
    assert result["diff"] == {"before": {"fargate_percent": 0, "ec2_percent": 100, "stickiness": {"Enabled": False}},
                              "after": {"fargate_percent": 100, "ec2_percent": 0, "stickiness": {"Enabled": False}}}


def test_a_step_bakes_with_checks_every_interval(aws):
    stubbers = aws[1]
    clock = Clock()
    expect_rule(stubbers, rule(0))
    expect_set(stubbers, 100)
    for _check in range(3):  # at 0, 1 and 2 s; the bake of 2.5 s ends after the third sleep's check
        expect_check(stubbers, requests=5)
    expect_check(stubbers, requests=5)
    result = run(aws, clock=clock, steps=[100], bake_seconds=2.5, check_interval=1)
    assert result["steps"][0]["checks"] == 4
    assert clock.slept == [1, 1, 0.5]
    assert result["steps"][0]["seconds"] == 2.5


def test_a_breach_puts_everything_back_on_ec2_and_fails_with_the_evidence(aws):
    stubbers = aws[1]
    clock = Clock(tick=0.01)
    expect_rule(stubbers, rule(0))
    expect_set(stubbers, 10)
    expect_check(stubbers, requests=10)
    expect_set(stubbers, 50)
    expect_check(stubbers, health=UNHEALTHY, requests=40, errors=20)
    expect_set(stubbers, 0)  # the rollback; no step 100
    result = run(aws, clock=clock)
    assert result["failed"]
    assert [step["fargate_percent"] for step in result["steps"]] == [10, 50]
    assert result["evidence"]["healthy"] == 0 and result["evidence"]["error_rate"] == 0.5
    assert result["evidence"]["target_states"] == {"unhealthy": 1}
    assert len(result["evidence"]["reasons"]) == 2
    assert result["rollback"]["reason"] == "breach" and 0 < result["rollback"]["seconds"] < 1
    assert result["fargate_percent"] == 0
    assert "stopped at 50 %" in result["msg"] and "rolled back to EC2" in result["msg"]


def test_an_error_rate_alone_is_a_breach(aws):
    stubbers = aws[1]
    expect_rule(stubbers, rule(0))
    expect_set(stubbers, 10)
    expect_check(stubbers, requests=100, errors=6)
    expect_set(stubbers, 0)
    result = run(aws, max_error_rate=0.05)
    assert result["failed"] and result["evidence"]["reasons"] == ["5XX rate 6.00% (6/100) above the 5.00% allowed"]


def test_check_mode_reads_the_rule_and_writes_nothing(aws):
    stubbers = aws[1]
    expect_rule(stubbers, rule(0))
    result = run(aws, check_mode=True)
    assert result["changed"] and result["planned_steps"] == [10, 50, 100]
    assert result["steps"] == [] and result["fargate_percent"] == 0
    assert result["diff"]["after"]["fargate_percent"] == 100


def test_a_completed_cutover_changes_nothing(aws):
    stubbers = aws[1]
    expect_rule(stubbers, rule(100))
    result = run(aws)
    assert not result["changed"] and result["planned_steps"] == [] and result["fargate_percent"] == 100


def test_an_interrupted_cutover_resumes_at_the_next_step(aws):
    stubbers = aws[1]
    expect_rule(stubbers, rule(50))
    expect_set(stubbers, 100)
    expect_check(stubbers)
    result = run(aws)
    assert [step["fargate_percent"] for step in result["steps"]] == [100]


def test_rollback_is_one_call_and_reports_its_duration(aws):
    stubbers = aws[1]
    clock = Clock(tick=0.05)
    expect_rule(stubbers, rule(50))
    expect_set(stubbers, 0)
    result = run(aws, clock=clock, state="rollback")
    assert result["changed"] and result["fargate_percent"] == 0
    assert result["rollback"]["reason"] == "requested" and result["rollback"]["seconds"] == pytest.approx(0.05)


def test_rollback_when_already_on_ec2_changes_nothing(aws):
    stubbers = aws[1]
    expect_rule(stubbers, rule(0))
    result = run(aws, state="rollback")
    assert not result["changed"] and result["rollback"] is None


def test_stickiness_is_set_on_the_forward(aws):
    stubbers = aws[1]
    sticky = {"Enabled": True, "DurationSeconds": 300}
    expect_rule(stubbers, rule(100))
    expect_set(stubbers, 100, sticky=sticky)
    expect_check(stubbers)
    result = run(aws, stickiness_seconds=300)
    assert result["changed"] and result["after"]["stickiness"] == sticky


def test_other_actions_of_the_rule_are_kept(aws):
    stubbers = aws[1]
    auth = {"Type": "authenticate-oidc", "Order": 1, "AuthenticateOidcConfig": {
        "Issuer": "https://idp.example.com", "AuthorizationEndpoint": "https://idp.example.com/a",
        "TokenEndpoint": "https://idp.example.com/t", "UserInfoEndpoint": "https://idp.example.com/u", "ClientId": "c"}}
    expect_rule(stubbers, rule(50, extra_actions=[auth]))
    forward = {"Type": "forward", "Order": 2, "ForwardConfig": {
        "TargetGroups": [{"TargetGroupArn": EC2_TG, "Weight": 100}, {"TargetGroupArn": FARGATE_TG, "Weight": 0}],
        "TargetGroupStickinessConfig": {"Enabled": False}}}
    stubbers["elbv2"].add_response("modify_rule", {"Rules": [rule(0)]}, {"RuleArn": RULE, "Actions": [auth, forward]})
    assert run(aws, state="rollback")["changed"]


def test_the_default_rule_is_changed_through_its_listener(aws):
    stubbers = aws[1]
    expect_rule(stubbers, rule(100, default=True))
    stubbers["elbv2"].add_response("modify_listener", {"Listeners": [{"ListenerArn": LISTENER}]},
                                   {"ListenerArn": LISTENER, "DefaultActions": ANY})
    assert run(aws, state="rollback")["fargate_percent"] == 0


@pytest.mark.parametrize("extra, message", [
    ({"steps": [50, 10, 100]}, "strictly increasing"),
    ({"steps": [10, 50]}, "must end at 100"),
    ({"fargate_target_group_arn": EC2_TG}, "are the same"),
    ({"rule_arn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/shop/1/2"}, "listener rule ARN"),
    ({"stickiness_seconds": 700000}, "between 1 and 604800"),
    ({"max_error_rate": 5}, "fraction between 0 and 1"),
    ({"bake_seconds": -1}, "cannot be negative"),
])
def test_bad_input_fails_before_any_call(aws, extra, message):
    with pytest.raises(MigrationError, match=message):
        run(aws, **extra)


def test_a_rule_forwarding_to_a_third_group_is_refused_before_any_write(aws):
    stubbers = aws[1]
    answer = rule(0)
    answer["Actions"][0]["ForwardConfig"]["TargetGroups"].append(
        {"TargetGroupArn": PREFIX + "targetgroup/other/0000000000000000", "Weight": 1})
    expect_rule(stubbers, answer)
    with pytest.raises(MigrationError, match="also forwards to"):
        run(aws)


def test_a_missing_rule_fails(aws):
    stubbers = aws[1]
    stubbers["elbv2"].add_client_error("describe_rules", "RuleNotFound", expected_params={"RuleArns": [RULE]})
    with pytest.raises(MigrationError, match="not found"):
        run(aws)
