"""scale_to_zero's pure planning: the idle decision, input checks, names, the alarms and the schedule."""

from __future__ import annotations

import datetime

import pytest

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.ecsops.fargate.plugins.module_utils._scale_to_zero import plan
from ansible_collections.ecsops.fargate.plugins.modules.scale_to_zero import argument_spec

NOW = datetime.datetime(2026, 11, 24, 12, 0, tzinfo=datetime.timezone.utc)


def minutes_ago(n, value):
    return {"Timestamp": NOW - datetime.timedelta(minutes=n), "Sum": value}


def params(**extra):
    raw = {"cluster": "dev", "service": "api"}
    raw.update(extra)
    result = ArgumentSpecValidator(argument_spec()).validate(raw)
    assert not result.error_messages, result.error_messages
    return result.validated_parameters


# --- the idle decision ---------------------------------------------------------------------

def test_no_datapoint_at_all_is_idle():
    decision = plan.idle_decision([], 5, 1, NOW)
    assert decision["decision"] == "park" and decision["requests"] == 0
    assert decision["reason"] == "no request reached the service in the last 5 minute(s)"


def test_zero_sums_are_idle():
    assert plan.idle_decision([minutes_ago(1, 0.0), minutes_ago(3, 0.0)], 5, 2, NOW)["decision"] == "park"


def test_one_request_in_the_window_keeps_it_running():
    decision = plan.idle_decision([minutes_ago(4, 1.0)], 5, 1, NOW)
    assert decision["decision"] == "stay" and decision["requests"] == 1.0
    assert "1 request(s)" in decision["reason"]


def test_requests_before_the_window_do_not_count():
    assert plan.idle_decision([minutes_ago(6, 30.0)], 5, 1, NOW)["decision"] == "park"


def test_naive_timestamps_are_utc():
    naive = {"Timestamp": (NOW - datetime.timedelta(minutes=2)).replace(tzinfo=None), "Sum": 3.0}
    assert plan.idle_decision([naive], 5, 1, NOW)["decision"] == "stay"


def test_a_parked_service_stays_parked():
    assert plan.idle_decision([], 5, 0, NOW)["decision"] == "already_parked"


def test_force_parks_despite_traffic():
    assert plan.idle_decision([minutes_ago(1, 9.0)], 5, 1, NOW, force=True)["decision"] == "park"


def test_the_window_is_reported():
    decision = plan.idle_decision([], 10, 1, NOW)
    assert decision["window_start"] == "2026-11-24T11:50:00+00:00"
    assert decision["window_end"] == "2026-11-24T12:00:00+00:00"


# --- input ---------------------------------------------------------------------------------

@pytest.mark.parametrize("extra, message", [
    ({"idle_minutes": 0}, "idle_minutes must be at least 1, not 0"),
    ({"idle_minutes": 1441}, "at most 1440"),
    ({"wake_count": 0}, "wake_count must be at least 1, not 0"),
    ({"wake_count": 3, "max_capacity": 2}, "min > max: wake_count 3 is above max_capacity 2"),
    ({"service": "api/v2"}, "is not an ECS service name"),
    ({"schedule": {"wake_at": "8am", "park_at": "20:00"}}, "is not a time of day"),
    ({"schedule": {"wake_at": "08:00"}}, "needs wake_at"),
    ({"schedule": {"wake_at": "08:00", "park_at": "20:00", "days": "FRI-MON"}}, "day-of-week"),
    ({"schedule": {"wake_at": "08:00", "park_at": "20:00", "timezone": "Mars/Olympus"}}, "IANA time zone"),
    ({"schedule": {"wake_expression": "every day", "park_at": "20:00"}}, "not an Application Auto Scaling"),
    ({"savings": {"hours_parked_per_month": 800}}, "between 0 and 730"),
])
def test_bad_input_is_refused_before_any_call(extra, message):
    with pytest.raises(plan.ScaleToZeroInputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        plan.validate(params(**extra))


def test_good_input_passes():
    plan.validate(params(schedule={"wake_at": "08:00", "park_at": "20:00", "timezone": "Europe/Berlin"},
                         wake_count=2, max_capacity=4))


def test_existing_max_below_wake_count_is_refused():
    limits = plan.target_limits({"MinCapacity": 1, "MaxCapacity": 1}, 1, 2, None, False)[0]
    with pytest.raises(plan.ScaleToZeroInputError, match="min > max"):
        plan.check_limits(limits, 2)


# --- names and what policy mode wants -----------------------------------------------------------

def test_names_take_names_out_of_arns():
    assert plan.alarm_names("arn:aws:ecs:us-east-1:123456789012:cluster/dev", "api") == {
        "idle": "ecsops-s2z-dev-api-idle", "wake": "ecsops-s2z-dev-api-wake"}


def test_waker_names_fit_lambda_and_elb_limits():
    function, group = plan.waker_names("c" * 60, "s" * 60)
    assert len(function) <= 64 and len(group) <= 32
    assert plan.waker_names("dev", "api")[0] == "dev-s2z-api"
    assert plan.waker_names("dev", "api")[1] != plan.waker_names("dev", "web")[1]


def test_existing_target_keeps_max_and_records_its_min():
    limits, record = plan.target_limits({"MinCapacity": 2, "MaxCapacity": 5}, 2, 1, None, False)
    assert limits == {"min": 0, "max": 5}
    assert record == {"restore_min_capacity": 2, "registered_target": False}


def test_new_target_is_recorded_as_ours():
    limits, record = plan.target_limits(None, 3, 1, None, False)
    assert limits == {"min": 0, "max": 3} and record["registered_target"] is True


def test_the_record_survives_the_alarm_description():
    alarm = {"AlarmDescription": plan.record(2, False)}
    assert plan.read_record(alarm) == {"restore_min_capacity": 2, "registered_target": False}
    assert plan.read_record({"AlarmDescription": "someone else's"}) is None


def test_idle_alarm_counts_requests_and_elb_503s_for_idle_minutes():
    alarm = plan.idle_alarm("n", 5, "app/lb/1", "targetgroup/tg/2", "arn:policy", "d")
    assert alarm["EvaluationPeriods"] == 5 and alarm["DatapointsToAlarm"] == 5
    assert alarm["TreatMissingData"] == "breaching"
    assert alarm["ComparisonOperator"] == "LessThanThreshold" and alarm["Threshold"] == 1.0
    metrics = {q["Id"]: q for q in alarm["Metrics"]}
    assert metrics["traffic"]["Expression"] == "FILL(requests, 0) + FILL(elb503, 0)"
    assert metrics["requests"]["MetricStat"]["Metric"]["Dimensions"] == [
        {"Name": "TargetGroup", "Value": "targetgroup/tg/2"}, {"Name": "LoadBalancer", "Value": "app/lb/1"}]


def test_alarm_comparison_ignores_what_describe_adds_or_reorders():
    wanted = plan.wake_alarm("w", "app/lb/1", "arn:policy")
    described = dict(wanted, AlarmArn="arn:alarm", StateValue="OK", Threshold=1, Dimensions=list(wanted["Dimensions"]),
                     OKActions=[], InsufficientDataActions=[])
    assert plan.normalise_alarm(described) == plan.normalise_alarm(wanted)
    assert plan.normalise_alarm(dict(described, EvaluationPeriods=2)) != plan.normalise_alarm(wanted)


def test_policies_compare_on_their_configuration():
    described = {"PolicyName": plan.WAKE_POLICY, "PolicyARN": "arn",
                 "StepScalingPolicyConfiguration": plan.wake_policy(2)}
    assert plan.normalise_policy(described) == plan.normalise_policy(plan.wake_policy(2))
    assert plan.normalise_policy(described) != plan.normalise_policy(plan.wake_policy(1))


def test_schedule_becomes_two_cron_actions_in_the_time_zone():
    actions = plan.schedule_actions({"timezone": "Europe/Berlin", "days": "MON-FRI", "wake_at": "08:00",
                                     "park_at": "20:30"}, 1, 3)
    assert actions[plan.WAKE_SCHEDULE] == {"schedule": "cron(0 8 ? * MON-FRI *)", "timezone": "Europe/Berlin",
                                           "min_capacity": 1, "max_capacity": 3}
    assert actions[plan.PARK_SCHEDULE] == {"schedule": "cron(30 20 ? * MON-FRI *)", "timezone": "Europe/Berlin",
                                           "min_capacity": 0, "max_capacity": 0}


@pytest.mark.parametrize("days, count", [("MON-FRI", 5), ("*", 7), ("MON,WED,FRI", 3), ("SAT-SUN", None)])
def test_days_count(days, count):
    assert plan.days_count(days) == count


def test_rate_expressions_carry_no_time_zone():
    actions = plan.schedule_actions({"timezone": "Europe/Berlin", "wake_expression": "cron(0 8 ? * MON-FRI *)",
                                     "park_expression": "rate(1 minute)"}, 1, 2)
    assert actions[plan.PARK_SCHEDULE]["timezone"] == "UTC"
    assert actions[plan.WAKE_SCHEDULE]["timezone"] == "Europe/Berlin"
