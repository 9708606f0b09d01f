"""Service create/update plan: drift in every managed field, unset fields left alone, desired count rules."""

from __future__ import annotations

import pytest

from ansible_collections.ecsops.fargate.plugins.module_utils import ecs
from ansible_collections.ecsops.fargate.plugins.module_utils._ecs import service as svc

TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/api/1"
TD = "arn:aws:ecs:us-east-1:123456789012:task-definition/api:3"


def args(**extra):
    base = {"subnets": ["subnet-b", "subnet-a"], "security_groups": ["sg-1"], "assign_public_ip": False,
            "load_balancers": [{"target_group": "api", "container_name": "web", "container_port": 8080}],
            "health_check_grace_period": 60,
            "deployment": {"minimum_healthy_percent": 100, "maximum_percent": 200,
                           "circuit_breaker": {"enable": True, "rollback": True}, "alarms": None,
                           "strategy": None, "bake_time_minutes": None},
            "capacity_provider_strategy": None, "launch_type": None, "platform_version": None,
            "enable_execute_command": None, "propagate_tags": None}
    base.update(extra)
    return base


def described(**extra):
    base = {
        "serviceArn": "arn:aws:ecs:us-east-1:123456789012:service/apps/api", "status": "ACTIVE",
        "taskDefinition": TD, "desiredCount": 2, "launchType": "FARGATE", "platformVersion": "LATEST",
        "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-a", "subnet-b"],
                                                         "securityGroups": ["sg-1"], "assignPublicIp": "DISABLED"}},
        "loadBalancers": [{"targetGroupArn": TG, "containerName": "web", "containerPort": 8080}],
        "healthCheckGracePeriodSeconds": 60,
        "deploymentConfiguration": {"maximumPercent": 200, "minimumHealthyPercent": 100,
                                    "deploymentCircuitBreaker": {"enable": True, "rollback": True}},
        "enableExecuteCommand": False, "propagateTags": "NONE",
    }
    base.update(extra)
    return base


def plan_for(arguments, current, **kwargs):
    desired = ecs.desired_service(arguments, {"api": TG})
    return ecs.service_plan(current, desired, TD, **kwargs)


def test_create_sends_everything_with_desired_count_default_1():
    plan = plan_for(args(launch_type="FARGATE"), None)
    assert plan["action"] == "create"
    request = plan["request"]
    assert request["desiredCount"] == 1 and request["taskDefinition"] == TD and request["launchType"] == "FARGATE"
    assert request["networkConfiguration"]["awsvpcConfiguration"]["subnets"] == ["subnet-a", "subnet-b"]
    assert request["deploymentConfiguration"]["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}


def test_nothing_to_do_when_the_service_matches():
    assert plan_for(args(), described(), desired_count=2) == {"action": "none", "changes": {}, "request": {}}


def test_unset_fields_are_left_alone():
    bare = {k: None for k in args()}
    current = described(enableExecuteCommand=True, propagateTags="SERVICE", healthCheckGracePeriodSeconds=300)
    assert plan_for(bare, current)["action"] == "none"


@pytest.mark.parametrize("change,field", [
    ({"subnets": ["subnet-a"]}, "networkConfiguration"),
    ({"security_groups": ["sg-2"]}, "networkConfiguration"),
    ({"assign_public_ip": True}, "networkConfiguration"),
    ({"load_balancers": [{"target_group": "api", "container_name": "web", "container_port": 9090}]}, "loadBalancers"),
    ({"health_check_grace_period": 30}, "healthCheckGracePeriodSeconds"),
    ({"platform_version": "1.4.0"}, "platformVersion"),
    ({"enable_execute_command": True}, "enableExecuteCommand"),
    ({"propagate_tags": "SERVICE"}, "propagateTags"),
])
def test_drift_in_each_managed_field_is_planned(change, field):
    plan = plan_for(args(**change), described())
    assert plan["action"] == "update" and list(plan["changes"]) == [field]
    assert field in plan["request"]


@pytest.mark.parametrize("deployment,expected", [
    ({"minimum_healthy_percent": 50}, {"minimumHealthyPercent": 50}),
    ({"circuit_breaker": {"enable": True, "rollback": False}},
     {"deploymentCircuitBreaker": {"enable": True, "rollback": False}}),
    ({"alarms": {"names": ["5xx"], "enable": True, "rollback": True}},
     {"alarms": {"alarmNames": ["5xx"], "enable": True, "rollback": True}}),
    ({"strategy": "BLUE_GREEN", "bake_time_minutes": 5}, {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 5}),
])
def test_deployment_configuration_drift_keeps_the_other_sub_fields(deployment, expected):
    plan = plan_for(args(deployment=deployment), described())
    sent = plan["request"]["deploymentConfiguration"]
    assert {k: sent[k] for k in expected} == expected
    assert sent["maximumPercent"] == 200     # not given, kept as it is
    assert "taskDefinition" not in plan["request"]


def test_deployment_defaults_are_not_drift():
    current = described(deploymentConfiguration={})
    arguments = args(deployment={"minimum_healthy_percent": 100, "maximum_percent": 200,
                                 "circuit_breaker": {"enable": False, "rollback": False}})
    assert plan_for(arguments, current)["action"] == "none"


def test_capacity_provider_strategy_from_launch_type_forces_a_new_deployment():
    strategy = [{"capacity_provider": "FARGATE_SPOT", "weight": 3, "base": 0},
                {"capacity_provider": "FARGATE", "weight": 1, "base": 1}]
    plan = plan_for(args(capacity_provider_strategy=strategy), described())
    assert plan["request"]["capacityProviderStrategy"] == [
        {"capacityProvider": "FARGATE", "weight": 1, "base": 1},
        {"capacityProvider": "FARGATE_SPOT", "weight": 3, "base": 0}]
    assert plan["request"]["forceNewDeployment"] is True


def test_launch_type_cannot_replace_a_capacity_provider_strategy():
    current = described(capacityProviderStrategy=[{"capacityProvider": "FARGATE", "weight": 1, "base": 0}])
    del current["launchType"]
    with pytest.raises(ecs.ServicePlanError, match="cannot switch"):
        plan_for(args(launch_type="FARGATE"), current)


def test_new_revision_is_one_change():
    desired = ecs.desired_service(args(), {"api": TG})
    plan = ecs.service_plan(described(), desired, TD.replace(":3", ":4"))
    assert plan["request"] == {"taskDefinition": TD.replace(":3", ":4")}
    assert svc.starts_deployment(plan["request"])


@pytest.mark.parametrize("mode,managed,applied", [
    ("auto", False, True), ("auto", True, False), ("always", True, True), ("never", False, False)])
def test_desired_count_on_update(mode, managed, applied):
    plan = plan_for(args(), described(), desired_count=5, desired_count_on_update=mode,
                    desired_count_managed=managed)
    assert ("desiredCount" in plan["request"]) is applied
    if applied:
        assert not svc.starts_deployment(plan["request"])


def test_tags_added_changed_and_purged():
    plan = ecs.tag_plan({"team": "a", "old": "x", "aws:cloudformation:stack-name": "s"}, {"team": "b", "env": "dev"},
                        purge=True)
    assert plan == {"add": {"team": "b", "env": "dev"}, "remove": ["old"]}
    assert ecs.tag_plan({"old": "x"}, {"env": "dev"}, purge=False)["remove"] == []
    assert ecs.tag_plan({"old": "x"}, None, purge=True) == {"add": {}, "remove": []}


REGISTRY = "arn:aws:servicediscovery:us-east-1:123456789012:service/srv-abc123"


def test_service_registry_added_starts_a_deployment():
    desired = svc.desired_service(args(service_registries=[{"registry_arn": REGISTRY}]), {"api": TG})
    plan = svc.plan(described(), desired, TD)
    assert plan["request"] == {"serviceRegistries": [{"registryArn": REGISTRY}]}
    assert plan["changes"]["serviceRegistries"] == {"before": [], "after": [{"registryArn": REGISTRY}]}
    assert svc.starts_deployment(plan["request"])


def test_service_registry_in_place_is_no_change():
    desired = svc.desired_service(args(service_registries=[{"registry_arn": REGISTRY}]), {"api": TG})
    assert svc.plan(described(serviceRegistries=[{"registryArn": REGISTRY}]), desired, TD)["action"] == "none"


def test_service_registries_unset_are_left_alone():
    desired = svc.desired_service(args(), {"api": TG})
    assert svc.plan(described(serviceRegistries=[{"registryArn": REGISTRY}]), desired, TD)["action"] == "none"


@pytest.mark.parametrize("registries, message", [
    ([{"registry_arn": REGISTRY}, {"registry_arn": REGISTRY + "x"}], "at most one"),
    ([{"registry_arn": "srv-abc123"}], "is not a Cloud Map service ARN"),
    ([{"registry_arn": REGISTRY, "port": 80, "container_port": 80}], "not both"),
])
def test_bad_service_registries_are_refused(registries, message):
    with pytest.raises(svc.ServicePlanError, match=message):
        svc.validate_registries(registries)
