"""Metric math alarms that sum metrics (what scale_to_zero's idle alarm uses), as CloudWatch evaluates them.

CloudWatch docs ("Using metric math", "Create a CloudWatch alarm based on a metric math expression"):
FILL(m, value) gives every period of the range a value; arithmetic on two time series keeps only the
timestamps where both have a value. The sandbox evaluates sums of MetricStat queries, plain or filled.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

from helpers import make_alb, make_network, wait_until

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


# --- the ALB side of scale_to_zero's waker -------------------------------------------------------------

TRUST = ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": '
         '{"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}')


def lambda_target_group_behind_alb(sandbox):
    alb = make_alb(sandbox, make_network(sandbox), name="waker")
    elbv2 = sandbox.aws("elbv2")
    group = elbv2.create_target_group(Name="waker-fn", TargetType="lambda")["TargetGroups"][0]["TargetGroupArn"]
    elbv2.modify_listener(ListenerArn=alb["listener"], DefaultActions=[{"Type": "forward", "TargetGroupArn": group}])
    return alb, group


def test_a_lambda_target_group_without_a_function_answers_503(sandbox):
    lambda_target_group_behind_alb(sandbox)
    status, body = sandbox.alb_request("waker", "/")
    assert status == 503 and "503 Service Temporarily Unavailable" in body


def test_a_lambda_target_group_with_a_function_answers_502_because_lambda_is_not_invoked(sandbox):
    _, group = lambda_target_group_behind_alb(sandbox)
    role = sandbox.aws("iam").create_role(RoleName="waker", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    function = sandbox.aws("lambda").create_function(
        FunctionName="waker", Runtime="python3.12", Role=role, Handler="scale_to_zero_waker.handler",
        Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18})["FunctionArn"]
    sandbox.aws("elbv2").register_targets(TargetGroupArn=group, Targets=[{"Id": function}])
    assert sandbox.alb_request("waker", "/")[0] == 502


def test_a_group_only_a_header_rule_uses_is_in_use_and_health_checked(sandbox):
    """scale_to_zero's keep-alive rule: the service's group keeps its health checks while the rules that
    carry traffic forward to the waker."""
    alb = make_alb(sandbox, make_network(sandbox), name="kept", target_groups=("default", "service"))
    elbv2 = sandbox.aws("elbv2")
    service = alb["target_groups"]["service"]
    elbv2.register_targets(TargetGroupArn=service, Targets=[{"Id": "10.0.1.70"}])
    unused = elbv2.describe_target_health(TargetGroupArn=service)["TargetHealthDescriptions"][0]["TargetHealth"]
    assert unused["State"] == "unused" and unused["Reason"] == "Target.NotInUse"
    elbv2.create_rule(ListenerArn=alb["listener"], Priority=50000, Conditions=[
        {"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "X-Ecsops-S2z-Keepalive",
                                                      "Values": ["dev/api"]}}],
        Actions=[{"Type": "forward", "TargetGroupArn": service}])

    def state():
        return elbv2.describe_target_health(TargetGroupArn=service)["TargetHealthDescriptions"][0]["TargetHealth"]["State"]
    wait_until(lambda: state() != "unused", timeout=3, message="the target stayed unused behind the header rule")
