"""The rollout runner's main paths against a scripted fake ECS client: what it writes, in which order."""

from __future__ import annotations

import copy

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from botocore.exceptions import ClientError

from ansible_collections.ecsops.fargate.plugins.module_utils import ecs
from ansible_collections.ecsops.fargate.plugins.module_utils._ecs import alarms
from ansible_collections.ecsops.fargate.plugins.module_utils._ecs import taskdef
from ansible_collections.ecsops.fargate.plugins.modules.fargate_service_rollout import argument_spec

TD = "arn:aws:ecs:us-east-1:123456789012:task-definition/api:{}"
SERVICE_ARN = "arn:aws:ecs:us-east-1:123456789012:service/apps/api"
SPOT = [{"capacityProvider": "FARGATE_SPOT", "weight": 1, "base": 0}]
NO_CAPACITY = "(service api) was unable to place a task. Reason: Capacity is unavailable at this time."


def params(**extra):
    raw = {"cluster": "apps", "name": "api", "cpu": "256", "memory": "512",
           "containers": [{"name": "web", "image": "repo/web:v2"}], "desired_count": 2,
           "poll_interval": 1.0, "poll_max_interval": 1.0, "wait_timeout": 60}
    raw.update(extra)
    result = ArgumentSpecValidator(argument_spec()).validate(raw)
    assert not result.error_messages, result.error_messages
    return result.validated_parameters


class Module:
    def __init__(self, check_mode=False, **extra):
        self.params = params(**extra)
        self.check_mode = check_mode
        self.region = "us-east-1"
        self.warnings = []

    def warn(self, message):
        self.warnings.append(message)


def deployment(id_, td, status="PRIMARY", state="IN_PROGRESS", running=0, desired=2, failed=0, strategy=None,
               reason=None):
    out = {"id": id_, "status": status, "taskDefinition": td, "rolloutState": state, "runningCount": running,
           "pendingCount": 0, "desiredCount": desired, "failedTasks": failed,
           "rolloutStateReason": reason or f"{id_} {state}"}
    if strategy:
        out["capacityProviderStrategy"] = strategy
    return out


def service(td, *deployments, events=(), strategy=None):
    out = {"serviceArn": SERVICE_ARN, "serviceName": "api", "status": "ACTIVE", "taskDefinition": td,
           "desiredCount": 2, "launchType": "FARGATE", "platformVersion": "LATEST", "loadBalancers": [],
           "deploymentConfiguration": {"maximumPercent": 200, "minimumHealthyPercent": 100},
           "deployments": list(deployments) or [deployment("ecs-svc/1", td, state="COMPLETED", running=2)],
           "events": [{"id": m, "message": m} for m in events], "tags": []}
    if strategy:
        out.pop("launchType")
        out["capacityProviderStrategy"] = strategy
    return out


class Pages:
    def __init__(self, pages):
        self.pages = pages

    def paginate(self, **kwargs):
        return iter(self.pages)


class FakeECS:
    """DescribeServices answers from ``script`` (the last answer repeats); writes are recorded."""

    def __init__(self, script, updates=(), task_definitions=None, stopped=None, listed=(), services=()):
        self.script = list(script)
        self.updates = list(updates)
        self.task_definitions = task_definitions or {}
        self.stopped = stopped or {}
        self.listed = list(listed)
        self.services = list(services)
        self.calls = []

    def _call(self, name, **kwargs):
        self.calls.append((name, kwargs))

    def describe_services(self, cluster, services, include=None):
        self._call("describe_services", services=services)
        if services != ["api"]:
            return {"services": [s for s in self.services if s["serviceArn"] in services]}
        answer = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        return {"services": [copy.deepcopy(answer)]}

    def describe_task_definition(self, taskDefinition):
        self._call("describe_task_definition", taskDefinition=taskDefinition)
        if taskDefinition not in self.task_definitions:
            raise ClientError({"Error": {"Code": "ClientException", "Message": "Unable to describe"}},
                              "DescribeTaskDefinition")
        return {"taskDefinition": self.task_definitions[taskDefinition]}

    def register_task_definition(self, **request):
        self._call("register_task_definition", **request)
        return {"taskDefinition": dict(request, taskDefinitionArn=TD.format(9), revision=9)}

    def update_service(self, cluster, service, **request):
        self._call("update_service", **request)
        return {"service": self.updates.pop(0)}

    def list_tasks(self, cluster, startedBy, desiredStatus):
        self._call("list_tasks", startedBy=startedBy, desiredStatus=desiredStatus)
        return {"taskArns": [t["taskArn"] for t in self.stopped.get(startedBy, [])]}

    def describe_tasks(self, cluster, tasks):
        self._call("describe_tasks", tasks=tasks)
        everything = [t for ts in self.stopped.values() for t in ts]
        return {"tasks": [t for t in everything if t["taskArn"] in tasks]}

    def get_paginator(self, name):
        self._call(name)
        if name == "list_task_definitions":
            return Pages([{"taskDefinitionArns": self.listed[:2]}, {"taskDefinitionArns": self.listed[2:]}])
        return Pages([{"serviceArns": [s["serviceArn"] for s in self.services]}])

    def delete_service(self, cluster, service, force):
        self._call("delete_service", service=service, force=force)
        return {"service": dict(self.script[0], status="DRAINING")}

    def deregister_task_definition(self, taskDefinition):
        self._call("deregister_task_definition", taskDefinition=taskDefinition)
        return {"taskDefinition": {"taskDefinitionArn": taskDefinition, "status": "INACTIVE"}}

    def writes(self):
        return [c for c in self.calls if c[0] in ("register_task_definition", "update_service",
                                                  "deregister_task_definition", "delete_service")]


class Clients:
    def __init__(self, fake):
        self.ecs = fake


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += max(seconds, 0.001)


def described_td(module, revision):
    request = taskdef.build(module.params, {}, "us-east-1")
    return dict(request, taskDefinitionArn=TD.format(revision), revision=revision, status="ACTIVE")


def rollout(module, fake):
    clock = Clock()
    return ecs.Rollout(module, clients=Clients(fake), clock=clock, sleep=clock.sleep)


def test_a_service_name_over_255_characters_fails_before_any_call():
    fake = FakeECS([service(TD.format(1))])
    with pytest.raises(ecs.RolloutInputError, match="1 to 255 letters"):
        rollout(Module(name="a" * 256), fake).run()
    assert fake.calls == []


def test_no_op_writes_nothing_and_reads_two_things():
    module = Module()
    fake = FakeECS([service(TD.format(1))], task_definitions={TD.format(1): described_td(module, 1)})
    result = rollout(module, fake).run()
    assert not result["changed"] and fake.writes() == []
    assert [c[0] for c in fake.calls] == ["describe_services", "describe_task_definition"]


def test_image_change_registers_one_revision_updates_and_waits_for_completion():
    module = Module()
    v1 = described_td(Module(containers=[{"name": "web", "image": "repo/web:v1"}]), 1)
    new = deployment("ecs-svc/2", TD.format(9))
    old = deployment("ecs-svc/1", TD.format(1), status="ACTIVE", state="COMPLETED", running=2)
    fake = FakeECS(
        [service(TD.format(1)), service(TD.format(9), dict(new, running=2), old),
         service(TD.format(9), dict(new, running=2, rolloutState="COMPLETED"))],
        updates=[service(TD.format(9), new, old)], task_definitions={TD.format(1): v1, "api": v1})
    result = rollout(module, fake).run()
    assert [c[0] for c in fake.writes()] == ["register_task_definition", "update_service"]
    assert fake.writes()[1][1] == {"taskDefinition": TD.format(9)}
    assert result["deployment_outcome"] == "succeeded" and result["revision_now"] == TD.format(9)
    assert result["task_definition_differences"] == ["containerDefinitions[web].image"]


def test_spot_unavailable_switches_to_fargate_redeploys_and_reports_it():
    module = Module(capacity_provider_strategy=[{"capacity_provider": "FARGATE_SPOT", "weight": 1}])
    fargate = [{"capacityProvider": "FARGATE", "base": 0, "weight": 1}]
    current = service(TD.format(1), strategy=SPOT)
    spot = deployment("ecs-svc/2", TD.format(1), strategy=SPOT)
    on_demand = deployment("ecs-svc/3", TD.format(1), strategy=fargate)
    fake = FakeECS(
        [current, service(TD.format(1), spot, events=[NO_CAPACITY], strategy=SPOT),
         service(TD.format(1), dict(on_demand, running=2, rolloutState="COMPLETED"), strategy=fargate)],
        updates=[service(TD.format(1), spot, strategy=SPOT), service(TD.format(1), on_demand, strategy=fargate)],
        task_definitions={TD.format(1): described_td(module, 1)})
    result = _forced(module, fake)
    updates = [c[1] for c in fake.writes()]
    assert updates[-1] == {"capacityProviderStrategy": fargate, "forceNewDeployment": True}
    assert result["deployment_outcome"] == "succeeded" and not result.get("failed")
    assert result["spot_fallback"]["to"] == fargate and result["spot_fallback"]["from"] == SPOT
    assert result["spot_fallback"]["spot_deployment_id"] == "ecs-svc/2"
    assert result["deployment_id"] == "ecs-svc/3" and "fell back to FARGATE" in result["message"]


def _forced(module, fake):
    """Force a deployment: the service already has the Spot strategy the arguments ask for."""
    module.params["force_new_deployment"] = True
    return rollout(module, fake).run()


def test_spot_fallback_off_waits_on_spot_until_the_timeout():
    module = Module(capacity_provider_strategy=[{"capacity_provider": "FARGATE_SPOT", "weight": 1}],
                    spot_fallback=False, rollback_on_failure=False, wait_timeout=5, force_new_deployment=True)
    spot = deployment("ecs-svc/2", TD.format(1), strategy=SPOT)
    stuck = service(TD.format(1), spot, events=[NO_CAPACITY], strategy=SPOT)
    fake = FakeECS([service(TD.format(1), strategy=SPOT), stuck],
                   updates=[service(TD.format(1), spot, strategy=SPOT)],
                   task_definitions={TD.format(1): described_td(module, 1)})
    result = rollout(module, fake).run()
    assert result["failed"] and result["deployment_outcome"] == "timeout"
    assert "Fargate Spot capacity was unavailable" in result["msg"] and "spot_fallback" not in result


def test_rollback_on_failure_returns_to_the_previous_revision_when_ecs_does_not():
    module = Module()
    v1 = described_td(Module(containers=[{"name": "web", "image": "repo/web:v1"}]), 1)
    new = deployment("ecs-svc/2", TD.format(9))
    back = deployment("ecs-svc/3", TD.format(1))
    failed = dict(new, rolloutState="FAILED", failedTasks=3, rolloutStateReason="circuit breaker: tasks failed")
    fake = FakeECS(
        [service(TD.format(1)), service(TD.format(9), failed),
         service(TD.format(1), dict(back, running=2, rolloutState="COMPLETED"))],
        updates=[service(TD.format(9), new), service(TD.format(1), back)],
        task_definitions={TD.format(1): v1, "api": v1},
        stopped={"ecs-svc/2": [{"taskArn": "t1", "lastStatus": "STOPPED",
                                "stoppedReason": "Essential container in task exited"}]})
    result = rollout(module, fake).run()
    assert [c[1].get("taskDefinition") for c in fake.writes() if c[0] == "update_service"] == [TD.format(9),
                                                                                               TD.format(1)]
    assert result["failed"] and result["rolled_back"] and result["rollback"]["outcome"] == "succeeded"
    assert f"rolled back to {TD.format(1)}" in result["msg"] and "Essential container in task exited" in result["msg"]


def test_ecs_rollback_stop_reasons_include_the_failed_deployments_late_tasks():
    module = Module()
    v1 = described_td(Module(containers=[{"name": "web", "image": "repo/web:v1"}]), 1)
    new = deployment("ecs-svc/2", TD.format(9))
    failed = dict(new, status="ACTIVE", rolloutState="FAILED", failedTasks=3)
    back = deployment("ecs-svc/3", TD.format(1))
    crashed = [{"taskArn": f"t{i}", "lastStatus": "STOPPED", "stoppedReason": "Essential container in task exited"}
               for i in range(3)]
    fake = FakeECS(
        [service(TD.format(1)), service(TD.format(1), back, failed, events=["rolling back to deployment ecs-svc/1"]),
         service(TD.format(1), dict(back, running=2, rolloutState="COMPLETED"))],
        updates=[service(TD.format(9), new)], task_definitions={TD.format(1): v1, "api": v1},
        stopped={"ecs-svc/2": crashed})
    result = rollout(module, fake).run()
    assert result["deployment_outcome"] == "rolled_back"
    assert result["stop_reasons"] == {"Essential container in task exited": 3}
    listed = {c[1]["startedBy"] for c in fake.calls if c[0] == "list_tasks"}
    assert "ecs-svc/2" in listed


def test_keep_revisions_deregisters_old_unused_revisions_with_one_paged_listing():
    module = Module(keep_revisions=2)
    other = dict(service(TD.format(5)), serviceArn="arn:aws:ecs:us-east-1:123456789012:service/apps/api-canary")
    listed = [TD.format(n) for n in (9, 8, 7, 5, 3)] + ["arn:aws:ecs:us-east-1:123456789012:task-definition/api-w:1"]
    fake = FakeECS([service(TD.format(9))], task_definitions={TD.format(9): described_td(module, 9)},
                   listed=listed, services=[other, service(TD.format(9))])
    result = rollout(module, fake).run()
    assert result["deregistered_revisions"] == [TD.format(3), TD.format(7)] and result["changed"]
    assert [c[1]["taskDefinition"] for c in fake.writes()] == [TD.format(3), TD.format(7)]
    assert "describe_task_definition" not in [c[0] for c in fake.calls[2:]]


def test_keep_revisions_in_check_mode_predicts_and_writes_nothing():
    module = Module(check_mode=True, keep_revisions=1)
    fake = FakeECS([service(TD.format(9))], task_definitions={TD.format(9): described_td(module, 9)},
                   listed=[TD.format(9), TD.format(8)], services=[service(TD.format(9))])
    result = rollout(module, fake).run()
    assert result["deregistered_revisions"] == [TD.format(8)] and fake.writes() == []


def test_keep_revisions_below_one_is_refused_before_any_call():
    fake = FakeECS([service(TD.format(1))])
    with pytest.raises(ecs.RolloutInputError, match="at least 1"):
        rollout(Module(keep_revisions=0), fake).run()
    assert fake.calls == []


def test_absent_deletes_with_force_and_waits_until_inactive():
    active = service(TD.format(1))
    fake = FakeECS([active, dict(active, status="DRAINING", runningCount=2), dict(active, status="INACTIVE")])
    result = rollout(Module(state="absent"), fake).run()
    assert result["changed"] and result["service"] == {}
    assert fake.writes() == [("delete_service", {"service": "api", "force": True})]
    assert [c[0] for c in fake.calls].count("describe_services") == 3


def test_absent_on_a_missing_service_changes_nothing():
    fake = FakeECS([dict(service(TD.format(1)), status="INACTIVE")])
    result = rollout(Module(state="absent"), fake).run()
    assert not result["changed"] and fake.writes() == []


def test_absent_in_check_mode_writes_nothing_and_shows_the_diff():
    fake = FakeECS([service(TD.format(1))])
    result = rollout(Module(check_mode=True, state="absent"), fake).run()
    assert result["changed"] and fake.writes() == []
    assert result["diff"]["after"] == {"service": "api", "status": "INACTIVE"}


def test_absent_that_does_not_drain_in_time_fails_with_the_count():
    draining = dict(service(TD.format(1)), status="DRAINING", runningCount=1)
    fake = FakeECS([draining])
    result = rollout(Module(state="absent", wait_timeout=5), fake).run()
    assert result["failed"] and "still DRAINING with 1 running task(s) after 5 s" in result["msg"]


def test_absent_when_the_cluster_is_gone_changes_nothing():
    class NoCluster(FakeECS):
        def describe_services(self, cluster, services, include=None):
            self._call("describe_services", services=services)
            raise ClientError({"Error": {"Code": "ClusterNotFoundException", "Message": "Cluster not found."}},
                              "DescribeServices")
    fake = NoCluster([service(TD.format(1))])
    result = rollout(Module(state="absent"), fake).run()
    assert not result["changed"] and fake.writes() == []


# --- alarms ---------------------------------------------------------------------------------------

CPU_ALARM = {"name": "api-cpu-high", "metric": "CPUUtilization", "comparison": "GreaterThanThreshold", "threshold": 80}


class FakeCloudWatch:
    """DescribeAlarms answers from ``existing``; writes go to the ECS fake's call log, to see the order."""

    def __init__(self, fake_ecs, existing=()):
        self.log = fake_ecs.calls
        self.existing = {a["AlarmName"]: a for a in existing}

    def get_paginator(self, name):
        assert name == "describe_alarms"
        return self

    def paginate(self, AlarmNames, AlarmTypes):
        self.log.append(("describe_alarms", {"AlarmNames": AlarmNames}))
        return iter([{"MetricAlarms": [copy.deepcopy(self.existing[n]) for n in AlarmNames if n in self.existing]}])

    def put_metric_alarm(self, **request):
        self.log.append(("put_metric_alarm", request))

    def delete_alarms(self, AlarmNames):
        self.log.append(("delete_alarms", {"AlarmNames": AlarmNames}))


class AlarmClients:
    def __init__(self, fake, cloudwatch):
        self.ecs, self.cloudwatch = fake, cloudwatch


def rollout_with_alarms(module, fake, existing=()):
    clock = Clock()
    cloudwatch = FakeCloudWatch(fake, existing)
    return ecs.Rollout(module, clients=AlarmClients(fake, cloudwatch), clock=clock, sleep=clock.sleep)


def put_request(module, name="api-cpu-high"):
    return alarms.desired(module.params["alarms"], "apps", "api")[name]


def test_no_op_with_alarms_adds_one_read_and_writes_nothing():
    module = Module(alarms=[CPU_ALARM])
    fake = FakeECS([service(TD.format(1))], task_definitions={TD.format(1): described_td(module, 1)})
    result = rollout_with_alarms(module, fake, [put_request(module)]).run()
    assert not result["changed"] and result["alarms_changed"] == []
    assert [c[0] for c in fake.calls] == ["describe_services", "describe_task_definition", "describe_alarms"]


def test_an_alarm_that_drifted_is_put_back_and_the_service_is_left_alone():
    module = Module(alarms=[dict(CPU_ALARM, threshold=90)])
    fake = FakeECS([service(TD.format(1))], task_definitions={TD.format(1): described_td(module, 1)})
    old = dict(put_request(module), Threshold=80.0)
    result = rollout_with_alarms(module, fake, [old]).run()
    assert result["changed"] and result["alarms_changed"] == ["api-cpu-high"]
    assert result["diff"]["before"]["alarms"]["api-cpu-high"]["Threshold"] == 80.0
    assert result["diff"]["after"]["alarms"]["api-cpu-high"]["Threshold"] == 90.0
    assert [c for c in fake.calls if c[0] == "put_metric_alarm"] == [("put_metric_alarm", put_request(module))]
    assert fake.writes() == []


def test_check_mode_reports_the_alarm_and_puts_nothing():
    module = Module(check_mode=True, alarms=[CPU_ALARM])
    fake = FakeECS([service(TD.format(1))], task_definitions={TD.format(1): described_td(module, 1)})
    result = rollout_with_alarms(module, fake).run()
    assert result["changed"] and result["alarms_changed"] == ["api-cpu-high"]
    assert result["diff"]["before"]["alarms"] == {"api-cpu-high": None}
    assert [c[0] for c in fake.calls if c[0] == "put_metric_alarm"] == [] and fake.writes() == []


def test_a_rollback_alarm_is_put_before_the_service_update_that_watches_it():
    module = Module(alarms=[dict(CPU_ALARM, rollback=True)], wait=False)
    updated = service(TD.format(1))
    updated["deploymentConfiguration"]["alarms"] = {"alarmNames": ["api-cpu-high"], "enable": True, "rollback": True}
    fake = FakeECS([service(TD.format(1))], updates=[updated],
                   task_definitions={TD.format(1): described_td(module, 1)})
    result = rollout_with_alarms(module, fake).run()
    names = [c[0] for c in fake.calls]
    assert names.index("put_metric_alarm") < names.index("update_service")
    update = next(c[1] for c in fake.calls if c[0] == "update_service")
    assert update["deploymentConfiguration"]["alarms"] == {"alarmNames": ["api-cpu-high"], "enable": True, "rollback": True}
    assert result["changed"]


def test_bad_alarm_input_fails_before_any_call():
    fake = FakeECS([service(TD.format(1))])
    with pytest.raises(ecs.RolloutInputError, match="period must be 10, 20, 30"):
        rollout_with_alarms(Module(alarms=[dict(CPU_ALARM, period=45)]), fake).run()
    assert fake.calls == []


def test_absent_deletes_the_services_alarms_that_exist():
    module = Module(state="absent", alarms=[CPU_ALARM, dict(CPU_ALARM, name="gone")], wait=False)
    fake = FakeECS([service(TD.format(1))])
    result = rollout_with_alarms(module, fake, [put_request(module)]).run()
    assert result["changed"] and result["alarms_changed"] == ["api-cpu-high"]
    assert ("delete_alarms", {"AlarmNames": ["api-cpu-high"]}) in fake.calls


# --- autoscaling ----------------------------------------------------------------------------------

RESOURCE = "service/apps/api"


class FakeAutoscaling:
    """Application Auto Scaling with one scalable target (or none); writes go to the ECS fake's call log."""

    def __init__(self, fake_ecs, target=None, policies=()):
        self.log = fake_ecs.calls
        self.target = target
        self.policies = list(policies)

    def describe_scalable_targets(self, **kwargs):
        self.log.append(("describe_scalable_targets", kwargs))
        return {"ScalableTargets": [self.target] if self.target else []}

    def get_paginator(self, name):
        assert name == "describe_scaling_policies"
        return self

    def paginate(self, **kwargs):
        self.log.append(("describe_scaling_policies", kwargs))
        return iter([{"ScalingPolicies": copy.deepcopy(self.policies)}])

    def register_scalable_target(self, **kwargs):
        self.log.append(("register_scalable_target", kwargs))

    def put_scaling_policy(self, **kwargs):
        self.log.append(("put_scaling_policy", kwargs))
        return {"PolicyARN": "arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:1", "Alarms": []}


class ScalingClients:
    def __init__(self, fake, autoscaling):
        self.ecs, self.autoscaling = fake, autoscaling


def rollout_with_autoscaling(module, fake, **state):
    clock = Clock()
    return ecs.Rollout(module, clients=ScalingClients(fake, FakeAutoscaling(fake, **state)), clock=clock,
                       sleep=clock.sleep)


SCALING = {"min_capacity": 2, "max_capacity": 6, "cpu_target": 60}
TARGET = {"ServiceNamespace": "ecs", "ResourceId": RESOURCE, "ScalableDimension": "ecs:service:DesiredCount",
          "MinCapacity": 2, "MaxCapacity": 6}
CPU_POLICY = {"PolicyName": "ecsops-cpu", "ResourceId": RESOURCE, "ScalableDimension": "ecs:service:DesiredCount",
              "PolicyType": "TargetTrackingScaling", "PolicyARN": "arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:1",
              "TargetTrackingScalingPolicyConfiguration": {
                  "TargetValue": 60.0, "ScaleOutCooldown": 120, "ScaleInCooldown": 300, "DisableScaleIn": False,
                  "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"}}}


@pytest.mark.parametrize("scaling, message", [
    ({"min_capacity": 3, "max_capacity": 2}, "autoscaling: min_capacity 3 is above max_capacity 2"),
    ({"max_capacity": 2}, "autoscaling: state=present needs min_capacity and max_capacity"),
    ({"min_capacity": 1, "max_capacity": 2, "cpu_target": 120}, "cpu_target is a utilisation in percent"),
    ({"min_capacity": 1, "max_capacity": 2, "cpu_tagret": 50}, "cpu_tagret"),
])
def test_bad_autoscaling_input_fails_before_any_call(scaling, message):
    fake = FakeECS([service(TD.format(1))])
    with pytest.raises(ecs.RolloutInputError, match=message):
        rollout_with_autoscaling(Module(autoscaling=scaling), fake).run()
    assert fake.calls == []


def test_no_op_with_autoscaling_adds_two_reads_and_writes_nothing():
    module = Module(autoscaling=SCALING)
    fake = FakeECS([service(TD.format(1))], task_definitions={TD.format(1): described_td(module, 1)})
    result = rollout_with_autoscaling(module, fake, target=TARGET, policies=[CPU_POLICY]).run()
    assert not result["changed"] and result["autoscaling"]["actions"] == []
    assert [c[0] for c in fake.calls] == ["describe_services", "describe_task_definition",
                                          "describe_scalable_targets", "describe_scaling_policies"]


def test_autoscaling_registers_the_target_and_its_policy_once_the_service_runs():
    module = Module(autoscaling=SCALING)
    fake = FakeECS([service(TD.format(1))], task_definitions={TD.format(1): described_td(module, 1)})
    result = rollout_with_autoscaling(module, fake).run()
    assert result["changed"]
    writes = [c for c in fake.calls if c[0] in ("register_scalable_target", "put_scaling_policy")]
    assert [w[0] for w in writes] == ["register_scalable_target", "put_scaling_policy"]
    assert (writes[0][1]["MinCapacity"], writes[0][1]["MaxCapacity"]) == (2, 6)
    assert result["diff"]["before"]["autoscaling"] != result["diff"]["after"]["autoscaling"]
    # the rollout did not describe the service again for the scaling: it knows the service exists
    assert [c[0] for c in fake.calls].count("describe_services") == 1


def test_with_autoscaling_a_changed_desired_count_is_left_to_the_scaling_without_asking():
    module = Module(autoscaling=SCALING, desired_count=5)
    fake = FakeECS([service(TD.format(1))], task_definitions={TD.format(1): described_td(module, 1)})
    runner = rollout_with_autoscaling(module, fake, target=TARGET, policies=[CPU_POLICY])
    result = runner.run()
    assert not result["changed"] and fake.writes() == []
    assert any("desired_count 5 not applied" in w for w in runner.warnings)
    assert [c[0] for c in fake.calls].count("describe_scalable_targets") == 1  # the scaling's own read only
