"""CloudWatch alarms as the CloudWatch User Guide describes them, driven through boto3.

Alarm windows end at now in real time, so back-dated PutMetricData drives a multi-minute alarm in one
evaluation; the sandbox evaluates every alarm once per (scaled) minute.
"""

import json
import time
from datetime import datetime, timedelta, timezone

import pytest

from helpers import wait_until

NAMESPACE = "Sandbox/Test"
METRIC = "Requests"
DIMENSIONS = [{"Name": "Service", "Value": "api"}]


def evaluation_interval(sandbox) -> float:
    """Wall-clock seconds between two evaluations of a one-minute alarm."""
    return 60 / sandbox.health()["time_scale"]


def put_alarm(cloudwatch, name="a1", **overrides):
    spec = dict(AlarmName=name, Namespace=NAMESPACE, MetricName=METRIC, Dimensions=DIMENSIONS, Statistic="Sum",
                Period=60, EvaluationPeriods=1, Threshold=10, ComparisonOperator="GreaterThanThreshold")
    spec.update(overrides)
    cloudwatch.put_metric_alarm(**spec)


def put_values(cloudwatch, values_by_minutes_ago: dict, dimensions=DIMENSIONS):
    """Datapoints in the middle of the periods that many minutes back: {0: [5], 2: [1, 2]}."""
    now = datetime.now(timezone.utc)
    data = [{"MetricName": METRIC, "Dimensions": dimensions, "Value": value,
             "Timestamp": now - timedelta(seconds=60 * age + 30)}
            for age, values in values_by_minutes_ago.items() for value in values]
    cloudwatch.put_metric_data(Namespace=NAMESPACE, MetricData=data)


def alarm(cloudwatch, name="a1") -> dict:
    return cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]


def state_becomes(cloudwatch, expected, name="a1", timeout=5.0) -> dict:
    return wait_until(lambda: (lambda a: a if a["StateValue"] == expected else None)(alarm(cloudwatch, name)),
                      timeout, message=f"alarm {name} did not reach {expected}")


def test_new_alarm_starts_in_insufficient_data(sandbox):
    cloudwatch = sandbox.aws("cloudwatch")
    put_alarm(cloudwatch)
    created = alarm(cloudwatch)
    assert created["StateValue"] == "INSUFFICIENT_DATA"
    assert created["StateReason"] == "Unchecked: Initial alarm creation"


def test_idle_alarm_over_five_minutes_reaches_alarm_from_backdated_data(sandbox):
    cloudwatch = sandbox.aws("cloudwatch")
    put_alarm(cloudwatch, Statistic="Sum", EvaluationPeriods=5, Threshold=0,
              ComparisonOperator="LessThanOrEqualToThreshold", TreatMissingData="breaching")
    put_values(cloudwatch, {age: [0] for age in range(5)})
    started = time.monotonic()
    reached = state_becomes(cloudwatch, "ALARM")
    assert time.monotonic() - started < 3
    assert reached["StateReason"].startswith("Threshold Crossed: 5 out of the last 5 datapoints [0.0 (")
    assert "were less than or equal to the threshold (0.0)" in reached["StateReason"]
    data = json.loads(reached["StateReasonData"])
    assert data["recentDatapoints"] == [0.0] * 5
    assert data["statistic"] == "Sum" and data["period"] == 60 and data["threshold"] == 0.0


def test_alarm_with_traffic_is_ok(sandbox):
    cloudwatch = sandbox.aws("cloudwatch")
    put_alarm(cloudwatch, EvaluationPeriods=5, Threshold=0, ComparisonOperator="LessThanOrEqualToThreshold",
              TreatMissingData="breaching")
    put_values(cloudwatch, {age: [3] for age in range(5)})
    reached = state_becomes(cloudwatch, "OK")
    assert "were not less than or equal to the threshold (0.0)" in reached["StateReason"]


@pytest.mark.parametrize("mode, start, expected", [
    ("missing", "ALARM", "INSUFFICIENT_DATA"),
    ("breaching", "OK", "ALARM"),
    ("notBreaching", "ALARM", "OK"),
])
def test_treat_missing_data_without_any_datapoint(sandbox, mode, start, expected):
    cloudwatch = sandbox.aws("cloudwatch")
    put_alarm(cloudwatch, EvaluationPeriods=3, TreatMissingData=mode)
    cloudwatch.set_alarm_state(AlarmName="a1", StateValue=start, StateReason="test")
    reached = state_becomes(cloudwatch, expected)
    if mode == "missing":
        assert reached["StateReason"] == "Insufficient Data: 3 datapoints were unknown."
    else:
        kind = "Breaching" if mode == "breaching" else "NonBreaching"
        assert reached["StateReason"] == ("Threshold Crossed: no datapoints were received for 3 periods and "
                                          f"3 missing datapoints were treated as [{kind}].")


def test_treat_missing_data_ignore_keeps_the_state(sandbox):
    cloudwatch = sandbox.aws("cloudwatch")
    put_alarm(cloudwatch, name="ignored", EvaluationPeriods=3, TreatMissingData="ignore")
    put_alarm(cloudwatch, name="missing", EvaluationPeriods=3, TreatMissingData="missing")
    for name in ("ignored", "missing"):
        cloudwatch.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="test")
    state_becomes(cloudwatch, "INSUFFICIENT_DATA", name="missing")  # evaluations have happened
    time.sleep(2 * evaluation_interval(sandbox))
    assert alarm(cloudwatch, "ignored")["StateValue"] == "ALARM"


@pytest.mark.parametrize("values, expected", [
    ({0: [20], 1: [5], 2: [20]}, "ALARM"),  # 2 of the last 3 breach
    ({0: [20], 1: [5], 2: [5]}, "OK"),
    ({0: [5], 1: [20], 2: [20], 3: [20]}, "ALARM"),  # the 4th period back is outside the last 3
    ({0: [5], 1: [5], 2: [20], 3: [20]}, "OK"),
])
def test_m_out_of_n(sandbox, values, expected):
    cloudwatch = sandbox.aws("cloudwatch")
    put_alarm(cloudwatch, EvaluationPeriods=3, DatapointsToAlarm=2)
    put_values(cloudwatch, values)
    reached = state_becomes(cloudwatch, expected)
    if expected == "ALARM":
        assert "(minimum 2 datapoints for INSUFFICIENT_DATA -> ALARM transition)" in reached["StateReason"]


def test_partial_data_breaching_fills_the_missing_periods(sandbox):
    cloudwatch = sandbox.aws("cloudwatch")
    put_alarm(cloudwatch, name="breaching", EvaluationPeriods=3, TreatMissingData="breaching")
    put_alarm(cloudwatch, name="not-breaching", EvaluationPeriods=3, TreatMissingData="notBreaching")
    put_values(cloudwatch, {0: [20]})
    reached = state_becomes(cloudwatch, "ALARM", name="breaching")
    assert "and 2 missing datapoints were treated as [Breaching]" in reached["StateReason"]
    state_becomes(cloudwatch, "OK", name="not-breaching")


def test_premature_alarm_rule_for_missing_data(sandbox):
    """The docs' row '- - X - -' goes to ALARM for a 3 of 3 alarm; '- - - - X' does not (yet)."""
    cloudwatch = sandbox.aws("cloudwatch")
    put_alarm(cloudwatch, name="old-breach", EvaluationPeriods=3, Dimensions=[{"Name": "Service", "Value": "old"}])
    put_alarm(cloudwatch, name="young-breach", EvaluationPeriods=3,
              Dimensions=[{"Name": "Service", "Value": "young"}])
    put_values(cloudwatch, {2: [20]}, dimensions=[{"Name": "Service", "Value": "old"}])
    put_values(cloudwatch, {0: [20]}, dimensions=[{"Name": "Service", "Value": "young"}])
    state_becomes(cloudwatch, "ALARM", name="old-breach")
    time.sleep(2 * evaluation_interval(sandbox))
    assert alarm(cloudwatch, "young-breach")["StateValue"] == "INSUFFICIENT_DATA"


@pytest.mark.parametrize("statistic, expected", [
    ("Sum", "ALARM"),  # 1 + 9 + 2 = 12 > 6
    ("Average", "OK"),  # 4
    ("Minimum", "OK"),  # 1
    ("Maximum", "ALARM"),  # 9
    ("SampleCount", "OK"),  # 3
])
def test_statistics(sandbox, statistic, expected):
    cloudwatch = sandbox.aws("cloudwatch")
    put_alarm(cloudwatch, Statistic=statistic, Threshold=6)
    put_values(cloudwatch, {0: [1, 9, 2]})
    state_becomes(cloudwatch, expected)


def test_extended_statistic_percentile(sandbox):
    cloudwatch = sandbox.aws("cloudwatch")
    spec = dict(AlarmName="p90", Namespace=NAMESPACE, MetricName=METRIC, Dimensions=DIMENSIONS,
                ExtendedStatistic="p90", Period=60, EvaluationPeriods=1, Threshold=50,
                ComparisonOperator="GreaterThanThreshold")
    cloudwatch.put_metric_alarm(**spec)
    put_values(cloudwatch, {0: [1] * 8 + [100, 100]})  # p90 = 100, average 20.8
    state_becomes(cloudwatch, "ALARM", name="p90")


def test_dimensions_must_match_exactly(sandbox):
    cloudwatch = sandbox.aws("cloudwatch")
    put_alarm(cloudwatch, TreatMissingData="notBreaching")
    put_values(cloudwatch, {0: [50]}, dimensions=DIMENSIONS + [{"Name": "Extra", "Value": "x"}])
    put_values(cloudwatch, {0: [50]}, dimensions=[{"Name": "Service", "Value": "other"}])
    reached = state_becomes(cloudwatch, "OK")
    assert "no datapoints were received" in reached["StateReason"]


def test_alarm_history_records_creation_and_state_updates(sandbox):
    cloudwatch = sandbox.aws("cloudwatch")
    put_alarm(cloudwatch)
    put_values(cloudwatch, {0: [50]})
    state_becomes(cloudwatch, "ALARM")
    updates = cloudwatch.describe_alarm_history(AlarmName="a1", HistoryItemType="StateUpdate")["AlarmHistoryItems"]
    assert [item["HistorySummary"] for item in updates] == ["Alarm updated from INSUFFICIENT_DATA to ALARM"]
    item = updates[0]
    assert item["AlarmType"] == "MetricAlarm"
    data = json.loads(item["HistoryData"])
    assert data["oldState"]["stateValue"] == "INSUFFICIENT_DATA"
    assert data["newState"]["stateValue"] == "ALARM"
    assert data["newState"]["stateReason"].startswith("Threshold Crossed: 1 datapoint [50.0 (")
    assert data["newState"]["stateReasonData"]["recentDatapoints"] == [50.0]
    everything = cloudwatch.describe_alarm_history(AlarmName="a1")["AlarmHistoryItems"]
    assert everything[-1]["HistoryItemType"] == "ConfigurationUpdate"
    assert everything[-1]["HistorySummary"] == 'Alarm "a1" created'
    assert everything[0]["Timestamp"] >= everything[-1]["Timestamp"]  # newest first


def test_updating_an_alarm_keeps_its_state(sandbox):
    cloudwatch = sandbox.aws("cloudwatch")
    put_alarm(cloudwatch)
    put_values(cloudwatch, {0: [50]})
    state_becomes(cloudwatch, "ALARM")
    put_alarm(cloudwatch, AlarmDescription="now with a description")
    updated = alarm(cloudwatch)
    assert updated["StateValue"] == "ALARM"
    assert updated["AlarmDescription"] == "now with a description"
    summaries = [i["HistorySummary"] for i in
                 cloudwatch.describe_alarm_history(AlarmName="a1", HistoryItemType="ConfigurationUpdate")[
                     "AlarmHistoryItems"]]
    assert summaries == ['Alarm "a1" updated', 'Alarm "a1" created']


def test_set_alarm_state_is_recorded_then_reevaluated(sandbox):
    cloudwatch = sandbox.aws("cloudwatch")
    put_alarm(cloudwatch, TreatMissingData="notBreaching")
    state_becomes(cloudwatch, "OK")
    cloudwatch.set_alarm_state(AlarmName="a1", StateValue="ALARM", StateReason="testing the pager")
    assert alarm(cloudwatch)["StateReason"] == "testing the pager"
    state_becomes(cloudwatch, "OK")
    summaries = [i["HistorySummary"] for i in
                 cloudwatch.describe_alarm_history(AlarmName="a1", HistoryItemType="StateUpdate")["AlarmHistoryItems"]]
    assert summaries == ["Alarm updated from ALARM to OK", "Alarm updated from OK to ALARM",
                         "Alarm updated from INSUFFICIENT_DATA to OK"]


def test_describe_alarms_applies_every_filter(sandbox):
    cloudwatch = sandbox.aws("cloudwatch")
    put_alarm(cloudwatch, name="x1", TreatMissingData="breaching")
    put_alarm(cloudwatch, name="x2")
    state_becomes(cloudwatch, "ALARM", name="x1")
    found = cloudwatch.describe_alarms(AlarmNames=["x1", "x2"], StateValue="ALARM")["MetricAlarms"]
    assert [a["AlarmName"] for a in found] == ["x1"]
    assert [a["AlarmName"] for a in cloudwatch.describe_alarms(AlarmNamePrefix="x", StateValue="INSUFFICIENT_DATA")[
        "MetricAlarms"]] == ["x2"]


def test_get_metric_statistics_matches_the_exact_dimension_set(sandbox):
    cw = sandbox.aws("cloudwatch")
    now = datetime.now(timezone.utc)
    lb = {"Name": "LoadBalancer", "Value": "app/web/0123456789abcdef"}
    tg = {"Name": "TargetGroup", "Value": "targetgroup/web/0123456789abcdef"}
    cw.put_metric_data(Namespace="AWS/ApplicationELB", MetricData=[
        {"MetricName": "RequestCount", "Dimensions": [lb], "Value": 3.0, "Timestamp": now},
        {"MetricName": "RequestCount", "Dimensions": [lb, tg], "Value": 3.0, "Timestamp": now}])

    def total(dimensions):
        points = cw.get_metric_statistics(Namespace="AWS/ApplicationELB", MetricName="RequestCount",
                                          Dimensions=dimensions, StartTime=now - timedelta(minutes=5),
                                          EndTime=now + timedelta(minutes=1), Period=60, Statistics=["Sum"])
        return sum(p["Sum"] for p in points["Datapoints"])

    assert total([lb]) == 3
    assert total([tg, lb]) == 3
    assert total([]) == 0  # no datum without dimensions was put
