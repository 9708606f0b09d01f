"""Application Auto Scaling of ECS services, driven through boto3: step and target tracking policies
run by CloudWatch alarms, scheduled actions, Min/Max clamping, scaling activities and moto's filters."""

import json
import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from botocore.exceptions import ClientError

from helpers import wait_until

CLUSTER = "apps"
DIMENSION = "ecs:service:DesiredCount"
LB_DIMENSIONS = [{"Name": "LoadBalancer", "Value": "app/alb/0123456789abcdef"}]


class Env:
    """A cluster without container instances: EC2 services keep their desiredCount and place no task,
    which is all scaling needs (and skips the VPC and image setup a Fargate service would)."""

    def __init__(self, sandbox):
        self.sandbox = sandbox
        self.ecs = sandbox.aws("ecs")
        self.aas = sandbox.aws("application-autoscaling")
        self.cloudwatch = sandbox.aws("cloudwatch")
        self.ecs.create_cluster(clusterName=CLUSTER)
        self.task_definition = self.ecs.register_task_definition(
            family="web", containerDefinitions=[{"name": "web", "image": "nginx", "memory": 128}],
        )["taskDefinition"]["taskDefinitionArn"]
        self.time_scale = sandbox.health()["time_scale"]

    def seconds(self, aws_seconds: float) -> float:
        return aws_seconds / self.time_scale

    def create_service(self, name="web", desired=2):
        self.ecs.create_service(cluster=CLUSTER, serviceName=name, taskDefinition=self.task_definition,
                                desiredCount=desired, launchType="EC2")
        return f"service/{CLUSTER}/{name}"

    def register(self, resource_id, low, high, **extra):
        self.aas.register_scalable_target(ServiceNamespace="ecs", ResourceId=resource_id, ScalableDimension=DIMENSION,
                                          MinCapacity=low, MaxCapacity=high, **extra)

    def step_policy(self, resource_id, name, config) -> str:
        return self.aas.put_scaling_policy(PolicyName=name, ServiceNamespace="ecs", ResourceId=resource_id,
                                           ScalableDimension=DIMENSION, PolicyType="StepScaling",
                                           StepScalingPolicyConfiguration=config)["PolicyARN"]

    def desired(self, name="web") -> int:
        return self.ecs.describe_services(cluster=CLUSTER, services=[name])["services"][0]["desiredCount"]

    def desired_becomes(self, expected, name="web", timeout=5.0):
        return wait_until(lambda: self.desired(name) == expected, timeout,
                          message=f"desiredCount of {name} never became {expected} (is {self.desired(name)})")

    def activities(self, resource_id, **extra):
        return self.aas.describe_scaling_activities(ServiceNamespace="ecs", ResourceId=resource_id,
                                                    ScalableDimension=DIMENSION, **extra)["ScalingActivities"]

    def target(self, resource_id) -> dict:
        return self.aas.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=[resource_id])[
            "ScalableTargets"][0]

    def put_values(self, metric, dimensions, values_by_minutes_ago, namespace="AWS/ApplicationELB"):
        now = datetime.now(timezone.utc)
        data = [{"MetricName": metric, "Dimensions": dimensions, "Value": value,
                 "Timestamp": now - timedelta(seconds=60 * age + 30)}
                for age, values in values_by_minutes_ago.items() for value in values]
        self.cloudwatch.put_metric_data(Namespace=namespace, MetricData=data)

    def alarm_on(self, name, policy_arn, metric="RequestCount", **overrides):
        spec = dict(AlarmName=name, Namespace="AWS/ApplicationELB", MetricName=metric, Dimensions=LB_DIMENSIONS,
                    Statistic="Maximum", Period=60, EvaluationPeriods=1, Threshold=50,
                    ComparisonOperator="GreaterThanThreshold", AlarmActions=[policy_arn])
        spec.update(overrides)
        self.cloudwatch.put_metric_alarm(**spec)


@pytest.fixture
def env(sandbox):
    return Env(sandbox)


def test_idle_alarm_runs_its_step_policy_and_scales_the_service_to_zero(env):
    resource = env.create_service(desired=2)
    env.register(resource, 0, 4)
    policy = env.step_policy(resource, "scale-to-zero", {
        "AdjustmentType": "ExactCapacity", "Cooldown": 60,
        "StepAdjustments": [{"MetricIntervalUpperBound": 0, "ScalingAdjustment": 0}]})
    env.alarm_on("idle", policy, Statistic="Sum", EvaluationPeriods=5, Threshold=0,
                 ComparisonOperator="LessThanOrEqualToThreshold", TreatMissingData="breaching")
    env.put_values("RequestCount", LB_DIMENSIONS, {age: [0] for age in range(5)})
    started = time.monotonic()
    env.desired_becomes(0)
    assert time.monotonic() - started < 5

    [activity] = env.activities(resource)
    assert activity["Description"] == "Setting desired count to 0."
    assert activity["Cause"] == "monitor alarm idle in state ALARM triggered policy scale-to-zero"
    assert activity["StatusCode"] == "Successful"
    assert activity["StatusMessage"] == "Successfully set desired count to 0. Change successfully fulfilled by ecs."
    assert activity["ServiceNamespace"] == "ecs" and activity["ResourceId"] == resource
    assert activity["StartTime"] <= activity["EndTime"]

    actions = env.cloudwatch.describe_alarm_history(AlarmName="idle", HistoryItemType="Action")["AlarmHistoryItems"]
    assert actions[0]["HistorySummary"] == f"Successfully executed action {policy}"
    [described] = env.aas.describe_scaling_policies(ServiceNamespace="ecs", PolicyNames=["scale-to-zero"])[
        "ScalingPolicies"]
    assert [a["AlarmName"] for a in described["Alarms"]] == ["idle"]


def test_step_is_chosen_by_breach_delta_and_cooldown_holds_the_next_scale_out(env):
    resource = env.create_service(desired=1)
    env.register(resource, 1, 8)
    policy = env.step_policy(resource, "scale-out", {
        "AdjustmentType": "ChangeInCapacity", "Cooldown": 200, "MetricAggregationType": "Maximum",
        "StepAdjustments": [{"MetricIntervalLowerBound": 0, "MetricIntervalUpperBound": 10, "ScalingAdjustment": 1},
                            {"MetricIntervalLowerBound": 10, "ScalingAdjustment": 3}]})
    env.alarm_on("busy", policy)
    env.put_values("RequestCount", LB_DIMENSIONS, {0: [65]})  # 15 above the threshold: +3
    env.desired_becomes(4)
    # The alarm stays in ALARM and invokes the policy at every evaluation; during the cooldown the
    # 3 tasks already added count towards the next +3, so nothing more happens.
    time.sleep(env.seconds(120))
    assert env.desired() == 4
    env.desired_becomes(7, timeout=env.seconds(200) + 5)  # the cooldown ended: +3 again
    env.desired_becomes(8, timeout=env.seconds(200) + 5)  # then capped by MaxCapacity
    time.sleep(env.seconds(300))
    assert env.desired() == 8
    descriptions = [a["Description"] for a in env.activities(resource)]
    assert descriptions == ["Setting desired count to 8.", "Setting desired count to 7.",
                            "Setting desired count to 4."]


def test_percent_change_honours_min_adjustment_magnitude(env):
    """The API reference's example: +25 % of 4 tasks is 1, MinAdjustmentMagnitude 2 makes it 2."""
    resource = env.create_service(desired=4)
    env.register(resource, 1, 10)
    policy = env.step_policy(resource, "percent", {
        "AdjustmentType": "PercentChangeInCapacity", "MinAdjustmentMagnitude": 2, "Cooldown": 3600,
        "StepAdjustments": [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 25}]})
    env.alarm_on("busy", policy)
    env.put_values("RequestCount", LB_DIMENSIONS, {0: [60]})
    env.desired_becomes(6)


def test_scale_in_is_clamped_to_min_capacity_and_refusals_are_not_scaled_activities(env):
    resource = env.create_service(desired=3)
    env.register(resource, 1, 5)
    policy = env.step_policy(resource, "to-zero", {
        "AdjustmentType": "ExactCapacity", "Cooldown": 0,
        "StepAdjustments": [{"MetricIntervalUpperBound": 0, "ScalingAdjustment": 0}]})
    env.alarm_on("idle", policy, Statistic="Sum", Threshold=0, ComparisonOperator="LessThanOrEqualToThreshold",
                 TreatMissingData="breaching")
    env.desired_becomes(1)
    wait_until(lambda: len(env.activities(resource, IncludeNotScaledActivities=True)) == 2, 5)
    refused, scaled = env.activities(resource, IncludeNotScaledActivities=True)
    assert scaled["Description"] == "Setting desired count to 1."
    assert refused["StatusCode"] == "Failed"
    assert refused["NotScaledReasons"] == [{"Code": "AlreadyAtMinCapacity", "MinCapacity": 1, "CurrentCapacity": 1}]
    assert [a["Description"] for a in env.activities(resource)] == ["Setting desired count to 1."]


def test_dynamic_scaling_in_suspended_keeps_the_count(env):
    resource = env.create_service(desired=2)
    env.register(resource, 0, 4, SuspendedState={"DynamicScalingInSuspended": True})
    policy = env.step_policy(resource, "to-zero", {
        "AdjustmentType": "ExactCapacity", "StepAdjustments": [{"MetricIntervalUpperBound": 0, "ScalingAdjustment": 0}]})
    env.alarm_on("idle", policy, Statistic="Sum", Threshold=0, ComparisonOperator="LessThanOrEqualToThreshold",
                 TreatMissingData="breaching")
    wait_until(lambda: env.cloudwatch.describe_alarms(AlarmNames=["idle"])["MetricAlarms"][0]["StateValue"] == "ALARM",
               5)
    time.sleep(env.seconds(180))
    assert env.desired() == 2
    assert env.target(resource)["SuspendedState"] == {"DynamicScalingInSuspended": True,
                                                      "DynamicScalingOutSuspended": False,
                                                      "ScheduledScalingSuspended": False}


def test_registering_new_limits_moves_desired_count_into_range(env):
    resource = env.create_service(desired=2)
    env.register(resource, 3, 5)
    env.desired_becomes(3)
    env.register(resource, 0, 1)
    env.desired_becomes(1)
    causes = [a["Cause"] for a in env.activities(resource)]
    assert causes == ["minimum capacity was set to 0 and maximum capacity was set to 1",
                      "minimum capacity was set to 3 and maximum capacity was set to 5"]


def test_target_tracking_creates_aws_alarms_and_scales_out_proportionally(env):
    resource = env.create_service(desired=2)
    env.register(resource, 1, 10)
    answer = env.aas.put_scaling_policy(
        PolicyName="cpu50", ServiceNamespace="ecs", ResourceId=resource, ScalableDimension=DIMENSION,
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 50.0, "ScaleOutCooldown": 300,
            "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"}})
    names = sorted(a["AlarmName"] for a in answer["Alarms"])
    assert len(names) == 2
    assert names[0].startswith(f"TargetTracking-{resource}-AlarmHigh-")
    assert names[1].startswith(f"TargetTracking-{resource}-AlarmLow-")
    alarms = {a["AlarmName"]: a for a in env.cloudwatch.describe_alarms(AlarmNames=names)["MetricAlarms"]}
    high, low = alarms[names[0]], alarms[names[1]]
    assert (high["Threshold"], high["EvaluationPeriods"], high["ComparisonOperator"]) == (50.0, 3, "GreaterThanThreshold")
    assert (low["Threshold"], low["EvaluationPeriods"], low["ComparisonOperator"]) == (45.0, 15, "LessThanThreshold")
    assert high["AlarmActions"][0].startswith(answer["PolicyARN"] + ":createdBy/")
    dims = [{"Name": "ClusterName", "Value": CLUSTER}, {"Name": "ServiceName", "Value": "web"}]
    env.put_values("CPUUtilization", dims, {0: [90], 1: [90], 2: [90]}, namespace="AWS/ECS")
    env.desired_becomes(4)  # ceil(2 x 90 / 50)


def test_scheduled_at_action_in_a_time_zone_sets_limits_and_capacity(env):
    resource = env.create_service(desired=1)
    env.register(resource, 0, 3)
    for zone in ("Asia/Kolkata", "America/New_York"):
        env.aas.put_scheduled_action(
            ServiceNamespace="ecs", ScheduledActionName=f"wrong-zone-{zone.split('/')[1]}", ResourceId=resource,
            ScalableDimension=DIMENSION, Timezone=zone,
            Schedule=f"at({(datetime.now(timezone.utc) + timedelta(seconds=2)).strftime('%Y-%m-%dT%H:%M:%S')})",
            ScalableTargetAction={"MinCapacity": 9, "MaxCapacity": 9})
    local = datetime.now(ZoneInfo("Asia/Kolkata")) + timedelta(seconds=2)
    env.aas.put_scheduled_action(
        ServiceNamespace="ecs", ScheduledActionName="morning", ResourceId=resource, ScalableDimension=DIMENSION,
        Schedule=f"at({local.strftime('%Y-%m-%dT%H:%M:%S')})", Timezone="Asia/Kolkata",
        ScalableTargetAction={"MinCapacity": 2, "MaxCapacity": 6})
    env.desired_becomes(2, timeout=6)
    target = env.target(resource)
    assert (target["MinCapacity"], target["MaxCapacity"]) == (2, 6)
    [activity] = env.activities(resource)
    assert activity["Cause"] == "scheduled action name morning was triggered"
    assert activity["Description"] == "Setting desired count to 2."
    assert activity["StatusCode"] == "Successful"


def test_scheduled_rate_action_fires_every_interval(env):
    resource = env.create_service(desired=5)
    env.register(resource, 0, 10)
    env.aas.put_scheduled_action(ServiceNamespace="ecs", ScheduledActionName="night", ResourceId=resource,
                                 ScalableDimension=DIMENSION, Schedule="rate(1 minute)",
                                 ScalableTargetAction={"MaxCapacity": 2})
    env.desired_becomes(2, timeout=env.seconds(60) + 3)
    assert env.activities(resource)[0]["Cause"] == "scheduled action name night was triggered"


def test_cron_action_fires_at_the_next_minute_of_its_time_zone(env):
    resource = env.create_service(desired=1)
    env.register(resource, 0, 5)
    zone = ZoneInfo("Asia/Kolkata")  # UTC+05:30: an hour-only conversion would miss it
    fire = (datetime.now(zone) + timedelta(minutes=1)).replace(second=0, microsecond=0)
    env.aas.put_scheduled_action(
        ServiceNamespace="ecs", ScheduledActionName="cron", ResourceId=resource, ScalableDimension=DIMENSION,
        Schedule=f"cron({fire.minute} {fire.hour} ? * * *)", Timezone="Asia/Kolkata",
        ScalableTargetAction={"MinCapacity": 3})
    # Waits for a real minute boundary (up to 60 s, mostly idle): xdist runs other tests meanwhile.
    env.desired_becomes(3, timeout=70)
    assert abs(time.time() - fire.timestamp()) < 10


@pytest.mark.parametrize("schedule", ["cron(0 8 * * MON-FRI *)", "cron(0 8 * *)", "rate(0 minutes)",
                                      "at(2030-13-01T00:00:00)", "every day"])
def test_invalid_schedules_are_rejected(env, schedule):
    resource = env.create_service(desired=0)
    env.register(resource, 0, 1)
    with pytest.raises(ClientError) as error:
        env.aas.put_scheduled_action(ServiceNamespace="ecs", ScheduledActionName="bad", ResourceId=resource,
                                     ScalableDimension=DIMENSION, Schedule=schedule,
                                     ScalableTargetAction={"MinCapacity": 1})
    assert error.value.response["Error"]["Code"] == "ValidationException"


def test_policies_and_actions_need_a_registered_target(env):
    resource = env.create_service(desired=0)
    expected = (f"No scalable target registered for service namespace: ecs, resource ID: {resource}, "
                f"scalable dimension: {DIMENSION}")
    with pytest.raises(ClientError) as error:
        env.step_policy(resource, "p", {"AdjustmentType": "ChangeInCapacity",
                                        "StepAdjustments": [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}]})
    assert error.value.response["Error"]["Code"] == "ObjectNotFoundException"
    assert error.value.response["Error"]["Message"] == expected
    with pytest.raises(ClientError) as error:
        env.aas.put_scheduled_action(ServiceNamespace="ecs", ScheduledActionName="a", ResourceId=resource,
                                     ScalableDimension=DIMENSION, Schedule="rate(1 hour)",
                                     ScalableTargetAction={"MinCapacity": 1})
    assert error.value.response["Error"]["Code"] == "ObjectNotFoundException"


def test_describe_scaling_policies_filters_exactly(env):
    step = {"AdjustmentType": "ChangeInCapacity", "StepAdjustments": [{"MetricIntervalLowerBound": 0,
                                                                       "ScalingAdjustment": 1}]}
    for name in ("svc-a", "svc-a-pr42"):
        resource = env.create_service(name=name, desired=0)
        env.register(resource, 0, 2)
        env.step_policy(resource, "up", step)
        env.step_policy(resource, "down", {**step, "StepAdjustments": [{"MetricIntervalUpperBound": 0,
                                                                        "ScalingAdjustment": -1}]})

    def found(**filters):
        policies = env.aas.describe_scaling_policies(ServiceNamespace="ecs", **filters)["ScalingPolicies"]
        return sorted((p["ResourceId"], p["PolicyName"]) for p in policies)

    assert found(ResourceId="service/apps/svc-a") == [("service/apps/svc-a", "down"), ("service/apps/svc-a", "up")]
    assert found(ResourceId="service/apps/svc-a", PolicyNames=["up"]) == [("service/apps/svc-a", "up")]
    assert found(PolicyNames=["down"]) == [("service/apps/svc-a", "down"), ("service/apps/svc-a-pr42", "down")]
    assert found(ResourceId="service/apps/svc-a", ScalableDimension=DIMENSION, PolicyNames=["up", "down"]) == [
        ("service/apps/svc-a", "down"), ("service/apps/svc-a", "up")]
    assert found(ResourceId="service/apps/svc") == []
    page = env.aas.describe_scaling_policies(ServiceNamespace="ecs", MaxResults=3)
    assert len(page["ScalingPolicies"]) == 3 and page["NextToken"]


def test_updating_a_policy_keeps_its_arn(env):
    resource = env.create_service(desired=0)
    env.register(resource, 0, 2)
    config = {"AdjustmentType": "ChangeInCapacity", "StepAdjustments": [{"MetricIntervalLowerBound": 0,
                                                                         "ScalingAdjustment": 1}]}
    first = env.step_policy(resource, "up", config)
    assert env.step_policy(resource, "up", {**config, "Cooldown": 30}) == first
    [policy] = env.aas.describe_scaling_policies(ServiceNamespace="ecs", ResourceId=resource)["ScalingPolicies"]
    assert policy["StepScalingPolicyConfiguration"]["Cooldown"] == 30


def test_describe_scheduled_actions_filters_exactly_and_names_the_arn_as_aws(env):
    for name in ("svc-a", "svc-a-pr42"):
        resource = env.create_service(name=name, desired=0)
        env.register(resource, 0, 2)
        env.aas.put_scheduled_action(ServiceNamespace="ecs", ScheduledActionName="nightly", ResourceId=resource,
                                     ScalableDimension=DIMENSION, Schedule="cron(0 22 * * ? *)",
                                     Timezone="Europe/Paris", ScalableTargetAction={"MaxCapacity": 0})
    actions = env.aas.describe_scheduled_actions(ServiceNamespace="ecs", ResourceId="service/apps/svc-a")[
        "ScheduledActions"]
    assert [a["ResourceId"] for a in actions] == ["service/apps/svc-a"]
    action = actions[0]
    assert action["Timezone"] == "Europe/Paris"
    assert action["ScalableTargetAction"] == {"MaxCapacity": 0}
    assert action["ScheduledActionARN"].endswith(":resource/ecs/service/apps/svc-a:scheduledActionName/nightly")
    assert env.desired("svc-a") == 0


def test_deregistering_a_target_deletes_its_policies_and_scheduled_actions(env):
    resource = env.create_service(desired=0)
    env.register(resource, 0, 2)
    env.step_policy(resource, "up", {"AdjustmentType": "ChangeInCapacity",
                                     "StepAdjustments": [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}]})
    env.aas.put_scheduled_action(ServiceNamespace="ecs", ScheduledActionName="a", ResourceId=resource,
                                 ScalableDimension=DIMENSION, Schedule="rate(1 hour)",
                                 ScalableTargetAction={"MinCapacity": 1})
    env.aas.deregister_scalable_target(ServiceNamespace="ecs", ResourceId=resource, ScalableDimension=DIMENSION)
    assert env.aas.describe_scaling_policies(ServiceNamespace="ecs")["ScalingPolicies"] == []
    assert env.aas.describe_scheduled_actions(ServiceNamespace="ecs")["ScheduledActions"] == []
    with pytest.raises(ClientError) as error:
        env.aas.deregister_scalable_target(ServiceNamespace="ecs", ResourceId=resource, ScalableDimension=DIMENSION)
    assert error.value.response["Error"]["Code"] == "ObjectNotFoundException"


def test_alarm_history_records_a_failed_policy_action(env):
    resource = env.create_service(desired=1)
    env.register(resource, 0, 2)
    policy = env.step_policy(resource, "only-above", {
        "AdjustmentType": "ChangeInCapacity",
        "StepAdjustments": [{"MetricIntervalLowerBound": 100, "ScalingAdjustment": 1}]})
    env.alarm_on("busy", policy)
    env.put_values("RequestCount", LB_DIMENSIONS, {0: [60]})  # breach delta 10: no step covers it
    items = wait_until(lambda: env.cloudwatch.describe_alarm_history(AlarmName="busy", HistoryItemType="Action")[
        "AlarmHistoryItems"], 5)
    assert items[0]["HistorySummary"].startswith(f"Failed to execute action {policy}.")
    assert json.loads(items[0]["HistoryData"])["actionState"] == "Failed"
    assert env.desired() == 1


def test_deleting_the_service_deregisters_its_scalable_target(env):
    resource = env.create_service(desired=0)
    env.register(resource, 0, 2)
    env.step_policy(resource, "up", {"AdjustmentType": "ChangeInCapacity",
                                     "StepAdjustments": [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}]})
    env.ecs.delete_service(cluster=CLUSTER, service="web", force=True)
    assert env.aas.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"] == []
    assert env.aas.describe_scaling_policies(ServiceNamespace="ecs")["ScalingPolicies"] == []


@pytest.mark.parametrize("schedule", ["cron(0 18 ? * 6L *)", "cron(0 10 LW * ? *)", "cron(15 9 ? * MON#1 2030-2031)",
                                      "cron(0/15 8-17 ? JAN-MAR MON-FRI *)", "rate(1 day)", "at(2031-01-01T00:00:00)"])
def test_aws_schedule_expressions_are_accepted(env, schedule):
    resource = env.create_service(desired=0)
    env.register(resource, 0, 1)
    env.aas.put_scheduled_action(ServiceNamespace="ecs", ScheduledActionName="ok", ResourceId=resource,
                                 ScalableDimension=DIMENSION, Schedule=schedule, ScalableTargetAction={"MinCapacity": 1})
    [action] = env.aas.describe_scheduled_actions(ServiceNamespace="ecs", ScheduledActionNames=["ok"])[
        "ScheduledActions"]
    assert action["Schedule"] == schedule
