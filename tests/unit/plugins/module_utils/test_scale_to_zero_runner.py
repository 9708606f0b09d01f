"""scale_to_zero's runner against scripted fake clients: what it reads, what it writes, and when nothing."""

from __future__ import annotations

import datetime

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.ecsops.fargate.plugins.module_utils import scale_to_zero
from ansible_collections.ecsops.fargate.plugins.module_utils._scale_to_zero import plan
from ansible_collections.ecsops.fargate.plugins.modules.scale_to_zero import argument_spec
from fake_client import Fake

TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/api/0123456789abcdef"
LB = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/dev/fedcba9876543210"
RID = "service/dev/api"
NOW = datetime.datetime(2026, 11, 24, 12, 0, tzinfo=datetime.timezone.utc)
WRITES = ("put_", "register_", "deregister_", "delete_", "update_", "create_", "modify_", "add_", "remove_")


class Clients:
    def __init__(self, **clients):
        self.__dict__.update(clients)


class Module:
    def __init__(self, check_mode=False, **extra):
        raw = {"cluster": "dev", "service": "api"}
        raw.update(extra)
        result = ArgumentSpecValidator(argument_spec()).validate(raw)
        assert not result.error_messages, result.error_messages
        self.params = result.validated_parameters
        self.check_mode = check_mode
        self.region = "us-east-1"
        self.warnings = []

    def warn(self, message):
        self.warnings.append(message)


def service(load_balancers=True, desired=1):
    found = {"serviceName": "api", "status": "ACTIVE", "desiredCount": desired, "runningCount": desired,
             "taskDefinition": "arn:aws:ecs:us-east-1:123456789012:task-definition/api:3",
             "capacityProviderStrategy": [{"capacityProvider": "FARGATE_SPOT", "weight": 1}]}
    if load_balancers:
        found["loadBalancers"] = [{"targetGroupArn": TG, "containerName": "web", "containerPort": 80}]
    return found


def ours(item):
    """An Application Auto Scaling record of this service's scalable target."""
    return dict(item, ResourceId=RID, ScalableDimension="ecs:service:DesiredCount")


def world(svc=None, target=None, policies=(), alarms=(), actions=(), datapoints=()):
    log = []
    clients = Clients(
        ecs=Fake(log, describe_services={"services": [svc or service()]},
                 describe_task_definition={"taskDefinition": {"cpu": "256", "memory": "512"}},
                 update_service={"service": {}}),
        elbv2=Fake(log, describe_target_groups={"TargetGroups": [{"TargetGroupArn": TG, "LoadBalancerArns": [LB]}]}),
        autoscaling=Fake(log, describe_scalable_targets={"ScalableTargets": [ours(target)] if target else []},
                         describe_scaling_policies={"ScalingPolicies": [ours(p) for p in policies]},
                         describe_scheduled_actions={"ScheduledActions": [ours(a) for a in actions]},
                         put_scaling_policy=lambda **p: {"PolicyARN": f"arn:policy/{p['PolicyName']}", "Alarms": []}),
        cloudwatch=Fake(log, describe_alarms={"MetricAlarms": list(alarms)},
                        get_metric_statistics={"Datapoints": list(datapoints)}),
    )
    return clients, log


def run(clients, **extra):
    check_mode = extra.pop("check_mode", False)
    runner = scale_to_zero.ScaleToZero(Module(check_mode=check_mode, **extra), clients=clients, now=lambda: NOW)
    return runner.run()


def writes(log):
    return [entry[0] for entry in log if entry[0].startswith(WRITES)]


def converged():
    """What a first present left: the target at min 0, both policies, both alarms."""
    names = plan.alarm_names("dev", "api")
    policies = [{"PolicyName": plan.IDLE_POLICY, "PolicyARN": "arn:policy/idle", "StepScalingPolicyConfiguration": plan.idle_policy()},
                {"PolicyName": plan.WAKE_POLICY, "PolicyARN": "arn:policy/wake", "StepScalingPolicyConfiguration": plan.wake_policy(1)}]
    alarms = [plan.idle_alarm(names["idle"], 5, "app/dev/fedcba9876543210", "targetgroup/api/0123456789abcdef",
                              "arn:policy/idle", plan.record(2, False)),
              plan.wake_alarm(names["wake"], "app/dev/fedcba9876543210", "arn:policy/wake")]
    return {"target": {"MinCapacity": 0, "MaxCapacity": 4}, "policies": policies, "alarms": alarms}


def test_policy_mode_on_a_service_without_load_balancer_fails_before_any_write():
    clients, log = world(svc=service(load_balancers=False))
    with pytest.raises(plan.ScaleToZeroInputError, match="has no load balancer"):
        run(clients)
    assert writes(log) == []


def test_an_unknown_service_fails_clearly():
    clients, log = world()
    clients.ecs.answers["describe_services"] = {"services": []}
    with pytest.raises(plan.ScaleToZeroInputError, match="service api does not exist in cluster dev"):
        run(clients)


def test_first_run_registers_min_zero_keeps_max_and_records_the_old_min():
    clients, log = world(target={"MinCapacity": 2, "MaxCapacity": 4})
    result = run(clients)
    assert result["changed"] and result["scalable_target"] == {"min": 0, "max": 4}
    register = next(p for op, p in log if op == "register_scalable_target")
    assert (register["MinCapacity"], register["MaxCapacity"]) == (0, 4)
    idle = next(p for op, p in log if op == "put_metric_alarm" and p["AlarmName"].endswith("-idle"))
    assert plan.read_record(idle) == {"restore_min_capacity": 2, "registered_target": False}
    assert idle["AlarmActions"] == [f"arn:policy/{plan.IDLE_POLICY}"]


def test_check_mode_reads_and_writes_nothing():
    clients, log = world(target={"MinCapacity": 2, "MaxCapacity": 4})
    result = run(clients, check_mode=True)
    assert result["changed"] and writes(log) == []
    assert result["diff"]["after"]["scalable_target"] == {"min": 0, "max": 4}


def test_a_converged_service_changes_nothing_in_six_reads():
    state = converged()
    clients, log = world(target=state["target"], policies=state["policies"], alarms=state["alarms"])
    result = run(clients)
    assert not result["changed"], result["changes"]
    assert writes(log) == [] and len(log) == 6


def test_the_record_of_the_first_run_is_kept():
    state = converged()
    clients, log = world(target=state["target"], policies=state["policies"], alarms=state["alarms"])
    assert run(clients)["restore"] == {"restore_min_capacity": 2, "registered_target": False}


def test_absent_restores_the_min_and_deletes_only_ours():
    state = converged()
    foreign = {"PolicyName": "cpu", "PolicyARN": "arn:policy/cpu", "PolicyType": "TargetTrackingScaling"}
    clients, log = world(svc=service(load_balancers=False), target=state["target"],
                         policies=state["policies"] + [foreign], alarms=state["alarms"],
                         actions=[{"ScheduledActionName": "nightly-batch"}])
    result = run(clients, state="absent")
    assert result["changed"]
    deleted_policies = [p["PolicyName"] for op, p in log if op == "delete_scaling_policy"]
    assert deleted_policies == [plan.IDLE_POLICY, plan.WAKE_POLICY]
    assert [entry[0] for entry in log if entry[0] == "delete_scheduled_action"] == []
    register = next(p for op, p in log if op == "register_scalable_target")
    assert (register["MinCapacity"], register["MaxCapacity"]) == (2, 4)
    assert "deregister_scalable_target" not in writes(log)


def test_absent_deregisters_a_target_it_registered_when_nothing_else_uses_it():
    state = converged()
    state["alarms"][0]["AlarmDescription"] = plan.record(None, True)
    clients, log = world(svc=service(load_balancers=False), target=state["target"], policies=state["policies"],
                         alarms=state["alarms"])
    run(clients, state="absent")
    assert "deregister_scalable_target" in writes(log)


def test_parked_makes_one_metric_call_and_parks_an_idle_service():
    clients, log = world(datapoints=[])
    result = run(clients, state="parked")
    assert result["decision"] == "park" and result["changed"]
    assert [entry[0] for entry in log].count("get_metric_statistics") == 1
    update = next(p for op, p in log if op == "update_service")
    assert update["desiredCount"] == 0


def test_parked_keeps_a_busy_service_running():
    clients, log = world(datapoints=[{"Timestamp": NOW - datetime.timedelta(minutes=1), "Sum": 4.0}])
    result = run(clients, state="parked")
    assert result["decision"] == "stay" and not result["changed"] and writes(log) == []


def test_an_unknown_cluster_fails_clearly():
    from botocore.exceptions import ClientError

    clients, log = world()

    def missing(**params):
        raise ClientError({"Error": {"Code": "ClusterNotFoundException", "Message": "Cluster not found."}},
                          "DescribeServices")
    clients.ecs.answers["describe_services"] = missing
    with pytest.raises(plan.ScaleToZeroInputError, match="cluster dev does not exist"):
        run(clients)
    assert writes(log) == []


def test_bad_input_fails_before_the_first_call():
    clients, log = world()
    with pytest.raises(plan.ScaleToZeroInputError, match="wake_count must be at least 1"):
        run(clients, wake_count=0)
    assert log == []


def test_one_idle_minute_in_policy_mode_warns():
    clients, log = world(target={"MinCapacity": 1, "MaxCapacity": 2})
    runner = scale_to_zero.ScaleToZero(Module(idle_minutes=1), clients=clients, now=lambda: NOW)
    runner.run()
    assert any("idle_minutes 1" in warning for warning in runner.warnings)
