"""fargate_service_rollout's alarms: validation, the PutMetricAlarm request, comparison, deployment alarms."""

from __future__ import annotations

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.ecsops.fargate.plugins.module_utils._ecs import alarms


def alarm(**extra):
    raw = {"name": "api-cpu-high", "metric": "CPUUtilization", "comparison": "GreaterThanThreshold", "threshold": 80}
    raw.update(extra)
    result = ArgumentSpecValidator(alarms.options()).validate(raw)
    assert not result.error_messages, result.error_messages
    return result.validated_parameters


def described(request, **overrides):
    """What DescribeAlarms gives back for a PutMetricAlarm request (plus fields the module ignores)."""
    out = dict(request, AlarmArn="arn:aws:cloudwatch:us-east-1:123456789012:alarm:" + request["AlarmName"],
               StateValue="OK", AlarmConfigurationUpdatedTimestamp="2026-11-24T00:00:00Z")
    out.update(overrides)
    return out


def test_the_request_defaults_to_the_services_ecs_metric():
    request = alarms.desired([alarm()], "prod", "api")["api-cpu-high"]
    assert request == {
        "AlarmName": "api-cpu-high", "MetricName": "CPUUtilization", "Namespace": "AWS/ECS", "Statistic": "Average",
        "ComparisonOperator": "GreaterThanThreshold", "Threshold": 80.0, "Period": 60, "EvaluationPeriods": 1,
        "Dimensions": [{"Name": "ClusterName", "Value": "prod"}, {"Name": "ServiceName", "Value": "api"}],
        "TreatMissingData": "missing", "ActionsEnabled": True, "AlarmActions": [], "OKActions": []}


def test_given_dimensions_replace_the_services_and_optional_fields_appear_when_set():
    request = alarms.desired([alarm(namespace="AWS/ApplicationELB", dimensions={"TargetGroup": "targetgroup/a/1"},
                                    unit="Count", datapoints_to_alarm=1, description="5XX")], "prod", "api")["api-cpu-high"]
    assert request["Dimensions"] == [{"Name": "TargetGroup", "Value": "targetgroup/a/1"}]
    assert (request["Unit"], request["DatapointsToAlarm"], request["AlarmDescription"]) == ("Count", 1, "5XX")


@pytest.mark.parametrize("extra, message", [
    ({"period": 45}, "period must be 10, 20, 30 or a multiple of 60, not 45"),
    ({"period": 90}, "multiple of 60, not 90"),
    ({"evaluation_periods": 0}, "evaluation_periods must be at least 1"),
    ({"period": 3600, "evaluation_periods": 25}, "may not exceed one day"),
    ({"evaluation_periods": 3, "datapoints_to_alarm": 4}, "datapoints_to_alarm must be between 1 and evaluation_periods (3)"),
    ({"name": ""}, "must be 1 to 255 characters"),
    ({"name": "x" * 256}, "must be 1 to 255 characters"),
    ({"name": "bad\nname"}, "without control characters"),
])
def test_bad_alarms_are_refused(extra, message):
    with pytest.raises(alarms.AlarmInputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        alarms.desired([alarm(**extra)], "prod", "api")


def test_an_alarm_listed_twice_is_refused():
    with pytest.raises(alarms.AlarmInputError, match="lists api-cpu-high twice"):
        alarms.desired([alarm(), alarm(threshold=90)], "prod", "api")


def test_short_periods_are_allowed_for_high_resolution_metrics():
    assert alarms.desired([alarm(period=10, evaluation_periods=9000)], "c", "s")["api-cpu-high"]["Period"] == 10


def test_an_alarm_as_described_is_not_put_again_whatever_the_order_of_dimensions_and_actions():
    wanted = alarms.desired([alarm(alarm_actions=["arn:b", "arn:a"])], "prod", "api")
    current = described(wanted["api-cpu-high"], Dimensions=list(reversed(wanted["api-cpu-high"]["Dimensions"])),
                        AlarmActions=["arn:a", "arn:b"], Threshold=80)
    assert alarms.to_put(wanted, {"api-cpu-high": current}) == []


@pytest.mark.parametrize("drift", [{"Threshold": 70.0}, {"EvaluationPeriods": 2}, {"AlarmActions": ["arn:x"]},
                                   {"TreatMissingData": "breaching"}, {"Statistic": "Maximum"},
                                   {"Dimensions": [{"Name": "ClusterName", "Value": "prod"}]}])
def test_each_drift_or_a_missing_alarm_is_put(drift):
    wanted = alarms.desired([alarm()], "prod", "api")
    assert alarms.to_put(wanted, {"api-cpu-high": described(wanted["api-cpu-high"], **drift)}) == ["api-cpu-high"]
    assert alarms.to_put(wanted, {}) == ["api-cpu-high"]


def test_rollback_alarms_join_the_deployment_alarms():
    assert alarms.with_deployment_alarms(None, [alarm(rollback=True), alarm(name="cpu")]) == {
        "alarms": {"names": ["api-cpu-high"], "enable": True, "rollback": True}}
    given = {"maximum_percent": 200, "alarms": {"names": ["theirs"], "enable": True, "rollback": False}}
    assert alarms.with_deployment_alarms(given, [alarm(rollback=True)]) == {
        "maximum_percent": 200, "alarms": {"names": ["api-cpu-high", "theirs"], "enable": True, "rollback": False}}
    assert alarms.with_deployment_alarms(given, [alarm()]) is given
