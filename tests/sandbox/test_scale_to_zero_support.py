"""Metric math alarms that sum metrics (what scale_to_zero's idle alarm uses), as CloudWatch evaluates them.

CloudWatch docs ("Using metric math", "Create a CloudWatch alarm based on a metric math expression"):
FILL(m, value) gives every period of the range a value; arithmetic on two time series keeps only the
timestamps where both have a value. The sandbox evaluates sums of MetricStat queries, plain or filled.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

from helpers import wait_until

NAMESPACE = "Sandbox/Test"
DIMENSIONS = [{"Name": "Service", "Value": "api"}]


def query(ident, metric):
    return {"Id": ident, "ReturnData": False, "MetricStat": {
        "Metric": {"Namespace": NAMESPACE, "MetricName": metric, "Dimensions": DIMENSIONS},
        "Period": 60, "Stat": "Sum"}}


def put_sum_alarm(cloudwatch, expression, name="math", evaluation_periods=3, missing="missing"):
    cloudwatch.put_metric_alarm(
        AlarmName=name, EvaluationPeriods=evaluation_periods, DatapointsToAlarm=evaluation_periods, Threshold=1,
        ComparisonOperator="LessThanThreshold", TreatMissingData=missing,
        Metrics=[query("requests", "Requests"), query("errors", "Errors"),
                 {"Id": "total", "Expression": expression, "ReturnData": True}])


def put_values(cloudwatch, metric, values_by_minutes_ago):
    now = datetime.now(timezone.utc)
    cloudwatch.put_metric_data(Namespace=NAMESPACE, MetricData=[
        {"MetricName": metric, "Dimensions": DIMENSIONS, "Value": value,
         "Timestamp": now - timedelta(seconds=60 * age + 30)}
        for age, values in values_by_minutes_ago.items() for value in values])


def state_becomes(cloudwatch, expected, name="math", timeout=5.0):
    def reached():
        alarm = cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]
        return alarm if alarm["StateValue"] == expected else None
    return wait_until(reached, timeout, message=f"alarm {name} did not reach {expected}")


def test_filled_sum_without_any_data_is_zero_in_every_period(sandbox):
    cloudwatch = sandbox.aws("cloudwatch")
    put_sum_alarm(cloudwatch, "FILL(requests, 0) + FILL(errors, 0)")
    reached = state_becomes(cloudwatch, "ALARM")
    assert reached["StateReason"].startswith("Threshold Crossed: 3 out of the last 3 datapoints [0.0 (")


def test_filled_sum_counts_either_metric(sandbox):
    cloudwatch = sandbox.aws("cloudwatch")
    put_sum_alarm(cloudwatch, "FILL(requests, 0) + FILL(errors, 0)")
    state_becomes(cloudwatch, "ALARM")
    put_values(cloudwatch, "Errors", {0: [2]})  # only the second metric has data
    state_becomes(cloudwatch, "OK")


def test_plain_sum_has_values_only_where_both_metrics_have_one(sandbox):
    cloudwatch = sandbox.aws("cloudwatch")
    put_values(cloudwatch, "Requests", {0: [0], 1: [0], 2: [0]})
    put_sum_alarm(cloudwatch, "requests + errors")
    time.sleep(1.0)  # several evaluations: no period has both, so every datapoint is missing
    alarm = cloudwatch.describe_alarms(AlarmNames=["math"])["MetricAlarms"][0]
    assert alarm["StateValue"] == "INSUFFICIENT_DATA"


def test_other_expressions_are_not_evaluated(sandbox):
    cloudwatch = sandbox.aws("cloudwatch")
    put_sum_alarm(cloudwatch, "requests * 2", missing="breaching")
    time.sleep(1.0)
    alarm = cloudwatch.describe_alarms(AlarmNames=["math"])["MetricAlarms"][0]
    assert alarm["StateValue"] == "INSUFFICIENT_DATA"
