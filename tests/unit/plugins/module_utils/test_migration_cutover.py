"""The migration cutover's pure half: steps, weights, stickiness, the breach decision."""

from __future__ import annotations

import pytest

from ansible_collections.ecsops.fargate.plugins.module_utils._migration import cutover
from ansible_collections.ecsops.fargate.plugins.module_utils._migration.cutover import CutoverInputError

EC2_TG = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/app-ec2/0123456789abcdef"
FG_TG = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/app-fargate/fedcba9876543210"


def targets(*states):
    return [{"Target": {"Id": f"10.0.0.{i}", "Port": 80}, "TargetHealth": {"State": state}} for i, state in enumerate(states)]


@pytest.mark.parametrize("steps", [[100], [10, 50, 100], (1, 2, 100), [99, 100]])
def test_valid_steps_come_back_as_a_list(steps):
    assert cutover.validate_steps(steps) == list(steps)


@pytest.mark.parametrize("steps, message", [
    ([], "non-empty list"),
    (None, "non-empty list"),
    ("10,100", "non-empty list"),
    ([10, "50", 100], r"steps\[1\] is '50'"),
    ([10, 50.0, 100], r"steps\[1\] is 50.0"),
    ([True, 100], "integer percentage"),
    ([0, 100], r"steps\[0\] is 0: .*between 1 and 100"),
    ([10, 101], r"steps\[1\] is 101: .*between 1 and 100"),
    ([-5, 100], "between 1 and 100"),
    ([50, 50, 100], r"steps\[1\] is 50 after 50: .*strictly increasing"),
    ([60, 40, 100], "strictly increasing"),
    ([10, 50], "last step is 50: .*end at 100"),
])
def test_bad_steps_fail_with_a_clear_message(steps, message):
    with pytest.raises(CutoverInputError, match=message):
        cutover.validate_steps(steps)


@pytest.mark.parametrize("percent, ec2, fargate", [(0, 100, 0), (10, 90, 10), (50, 50, 50), (100, 0, 100)])
def test_weights_split_the_traffic_and_keep_both_groups(percent, ec2, fargate):
    assert cutover.weights(percent, EC2_TG, FG_TG) == [{"TargetGroupArn": EC2_TG, "Weight": ec2},
                                                       {"TargetGroupArn": FG_TG, "Weight": fargate}]


@pytest.mark.parametrize("percent", [-1, 101, 50.5, "50", None, True])
def test_weights_refuse_a_bad_percentage(percent):
    with pytest.raises(CutoverInputError, match="fargate_percent"):
        cutover.weights(percent, EC2_TG, FG_TG)


@pytest.mark.parametrize("ec2, fargate, message", [
    (EC2_TG, EC2_TG, "are the same"),
    ("app-ec2", FG_TG, "ec2_target_group_arn is 'app-ec2'"),
    (EC2_TG, None, "fargate_target_group_arn is None"),
    (EC2_TG, "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/alb/0123456789abcdef", "must be a target group ARN"),
])
def test_weights_refuse_bad_target_groups(ec2, fargate, message):
    with pytest.raises(CutoverInputError, match=message):
        cutover.weights(50, ec2, fargate)


def test_weights_accept_other_partitions():
    china = "arn:aws-cn:elasticloadbalancing:cn-north-1:123456789012:targetgroup/app-fargate/fedcba9876543210"
    assert cutover.weights(10, EC2_TG, china)[1] == {"TargetGroupArn": china, "Weight": 10}


@pytest.mark.parametrize("seconds", [None, 0])
def test_stickiness_off(seconds):
    assert cutover.stickiness(seconds) == {"Enabled": False}


@pytest.mark.parametrize("seconds", [1, 3600, 604800])
def test_stickiness_on_within_the_aws_range(seconds):
    assert cutover.stickiness(seconds) == {"Enabled": True, "DurationSeconds": seconds}


@pytest.mark.parametrize("seconds", [-1, 604801, 1.5, "3600", True, False])
def test_stickiness_outside_the_aws_range_fails(seconds):
    with pytest.raises(CutoverInputError, match="between 1 and 604800"):
        cutover.stickiness(seconds)


def test_forward_action_carries_weights_and_stickiness():
    action = cutover.forward_action(25, EC2_TG, FG_TG, stickiness_seconds=300)
    assert action == {"Type": "forward", "ForwardConfig": {
        "TargetGroups": [{"TargetGroupArn": EC2_TG, "Weight": 75}, {"TargetGroupArn": FG_TG, "Weight": 25}],
        "TargetGroupStickinessConfig": {"Enabled": True, "DurationSeconds": 300}}}
    assert cutover.forward_action(100, EC2_TG, FG_TG)["ForwardConfig"]["TargetGroupStickinessConfig"] == {"Enabled": False}


def test_no_breach_when_healthy_and_few_errors():
    assert cutover.breach(targets("healthy", "healthy"), 1000, 5, 0.01, 2) is None


def test_no_breach_at_exactly_the_allowed_rate():
    assert cutover.breach(targets("healthy"), 100, 1, 0.01, 1) is None


def test_no_datapoints_mean_no_traffic_not_a_breach():
    assert cutover.breach(targets("healthy"), None, None, 0.05, 1) is None


def test_too_few_healthy_targets_is_a_breach_with_evidence():
    evidence = cutover.breach(targets("healthy", "unhealthy", "draining"), 100, 0, 0.05, 2)
    assert evidence["healthy"] == 1
    assert evidence["target_states"] == {"healthy": 1, "unhealthy": 1, "draining": 1}
    assert evidence["reasons"] == ["1 healthy Fargate targets, fewer than the 2 required"]


def test_no_targets_at_all_is_a_breach():
    evidence = cutover.breach([], 0, 0, 0.05, 1)
    assert evidence["healthy"] == 0 and evidence["target_states"] == {}


def test_high_5xx_rate_is_a_breach_with_the_figures():
    evidence = cutover.breach(targets("healthy", "healthy"), 200, 30, 0.05, 1)
    assert evidence["error_rate"] == 0.15
    assert evidence["requests"] == 200 and evidence["errors_5xx"] == 30
    assert len(evidence["reasons"]) == 1 and "5XX rate 15.00% (30/200)" in evidence["reasons"][0]


def test_both_reasons_are_reported():
    evidence = cutover.breach(targets("unhealthy"), 10, 10, 0.05, 1)
    assert len(evidence["reasons"]) == 2


def test_5xx_without_counted_requests_is_a_breach():
    evidence = cutover.breach(targets("healthy"), 0, 3, 0.05, 1)
    assert evidence["error_rate"] == 1.0


def test_missing_target_health_state_counts_as_unknown():
    evidence = cutover.breach([{"Target": {"Id": "x"}}], 10, 0, 0.05, 1)
    assert evidence["target_states"] == {"unknown": 1}


@pytest.mark.parametrize("rate, healthy, message", [(1.5, 1, "max_error_rate"), (-0.1, 1, "max_error_rate"), (0.05, -1, "min_healthy")])
def test_breach_refuses_bad_thresholds(rate, healthy, message):
    with pytest.raises(CutoverInputError, match=message):
        cutover.breach(targets("healthy"), 10, 0, rate, healthy)
