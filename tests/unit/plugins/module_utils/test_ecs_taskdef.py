"""Fargate sizes, task definition build, normalisation and compare (module_utils/_ecs)."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.ecsops.fargate.plugins.module_utils import ecs
from ansible_collections.ecsops.fargate.plugins.module_utils._ecs import taskdef

REGION = "us-east-1"
SSM_ARN = "arn:aws:ssm:us-east-1:123456789012:parameter/app/db"
SM_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:api-key-AbCdEf"
SECRETS = {("ssm", "/app/db"): SSM_ARN, ("secretsmanager", "api-key"): SM_ARN}


def params(**extra):
    base = {
        "name": "api", "family": None, "cpu": "256", "memory": "512", "runtime_platform": None,
        "ephemeral_storage_gib": None, "load_balancers": None,
        "containers": [{
            "name": "web", "image": "repo/app:v1", "essential": True,
            "ports": [{"name": "http", "container_port": 8080, "protocol": "tcp", "app_protocol": None}],
            "environment": {"B": "2", "A": 1},
            "secrets": [{"name": "DB", "ssm_parameter": "/app/db", "secrets_manager_secret": None, "json_key": None},
                        {"name": "KEY", "ssm_parameter": None, "secrets_manager_secret": "api-key", "json_key": "k"}],
            "log": {"group": "/ecs/api", "stream_prefix": None, "region": None},
            "health_check": {"command": ["CMD-SHELL", "true"], "interval": None, "timeout": None, "retries": None,
                             "start_period": None},
            "user": "1000", "readonly_root_filesystem": True,
        }],
    }
    base.update(extra)
    return base


def described(request, **overrides):
    """What DescribeTaskDefinition returns for `request`: AWS's defaults and bookkeeping added."""
    out = copy.deepcopy(request)
    out.update({"taskDefinitionArn": f"arn:aws:ecs:us-east-1:123456789012:task-definition/{request['family']}:7",
                "revision": 7, "status": "ACTIVE", "compatibilities": ["EC2", "FARGATE"],
                "requiresAttributes": [{"name": "com.amazonaws.ecs.capability.logging-driver.awslogs"}],
                "registeredAt": "2025-01-01T00:00:00Z", "volumes": [], "placementConstraints": []})
    for container in out["containerDefinitions"]:
        container.setdefault("cpu", 0)
        for key in ("mountPoints", "volumesFrom", "systemControls", "environmentFiles"):
            container.setdefault(key, [])
        container.setdefault("environment", [])
        for mapping in container.get("portMappings", []):
            mapping.pop("hostPort", None)       # AWS fills it in; the request may leave it out
        if "healthCheck" in container:
            container["healthCheck"] = dict(taskdef.HEALTH_CHECK_DEFAULTS, **container["healthCheck"])
    return out


@pytest.mark.parametrize("cpu,memory", [("256", "512"), ("256", "2048"), ("512", "4096"), ("1024", "8192"),
                                        ("2048", "16384"), ("4096", "30720"), ("8192", "16384"), ("8192", "61440"),
                                        ("16384", "32768"), ("16384", "122880"), ("0.25 vCPU", "0.5 GB"),
                                        ("1 vCPU", "2 GB"), ("16 vCPU", "120 GB")])
def test_fargate_sizes_accepted(cpu, memory):
    assert ecs.validate_task_size(cpu, memory)


@pytest.mark.parametrize("cpu,memory,fragment", [
    ("256", "4096", "512, 1024, 2048"), ("512", "512", "1024 to 4096 in steps of 1024"),
    ("8192", "18432", "16384 to 61440 in steps of 4096"), ("16384", "36864", "32768 to 122880 in steps of 8192"),
    ("300", "512", "not a Fargate size"), ("lots", "512", "not understood"), ("4096", "31744", "8192 to 30720"),
])
def test_fargate_sizes_rejected_with_what_fits(cpu, memory, fragment):
    with pytest.raises(ecs.TaskSizeError, match=fragment):
        ecs.validate_task_size(cpu, memory)


def test_build_resolves_secrets_logs_ports_and_defaults():
    request = ecs.build_task_definition(params(), SECRETS, REGION, execution_role_arn="arn:role/exec")
    assert request["family"] == "api" and request["cpu"] == "256" and request["memory"] == "512"
    assert request["requiresCompatibilities"] == ["FARGATE"] and request["networkMode"] == "awsvpc"
    web = request["containerDefinitions"][0]
    assert web["secrets"] == [{"name": "DB", "valueFrom": SSM_ARN}, {"name": "KEY", "valueFrom": f"{SM_ARN}:k::"}]
    assert web["environment"] == [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]
    assert web["portMappings"] == [{"containerPort": 8080, "hostPort": 8080, "protocol": "tcp", "name": "http"}]
    assert web["logConfiguration"]["options"] == {"awslogs-group": "/ecs/api", "awslogs-region": REGION,
                                                  "awslogs-stream-prefix": "web"}
    assert web["user"] == "1000" and web["readonlyRootFilesystem"] is True
    assert request["executionRoleArn"] == "arn:role/exec" and "taskRoleArn" not in request


def test_identical_after_aws_defaults_means_no_new_revision():
    request = ecs.build_task_definition(params(), SECRETS, REGION)
    assert ecs.task_definition_differences(request, described(request)) == []


def test_explicit_defaults_equal_omitted_ones():
    request = ecs.build_task_definition(params(runtime_platform={"cpu_architecture": "X86_64",
                                                                 "operating_system_family": "LINUX"}),
                                        SECRETS, REGION)
    bare = ecs.build_task_definition(params(), SECRETS, REGION)
    assert ecs.task_definition_differences(request, described(bare)) == []


def test_task_cpu_256_to_512_is_a_difference():
    current = described(ecs.build_task_definition(params(), SECRETS, REGION))
    request = ecs.build_task_definition(params(cpu="512", memory="1024"), SECRETS, REGION)
    assert ecs.task_definition_differences(request, current) == ["cpu", "memory"]


def test_cpu_given_as_vcpu_equals_units():
    current = described(ecs.build_task_definition(params(), SECRETS, REGION))
    request = ecs.build_task_definition(params(cpu="0.25 vCPU", memory="0.5 GB"), SECRETS, REGION)
    assert ecs.task_definition_differences(request, current) == []


@pytest.mark.parametrize("change,path", [
    (lambda p: p["containers"][0].update(image="repo/app:v2"), "containerDefinitions[web].image"),
    (lambda p: p["containers"][0]["environment"].update(C="3"), "containerDefinitions[web].environment"),
    (lambda p: p["containers"][0].update(user="root"), "containerDefinitions[web].user"),
    (lambda p: p["containers"][0].update(readonly_root_filesystem=False),
     "containerDefinitions[web].readonlyRootFilesystem"),
    (lambda p: p["containers"][0]["health_check"].update(interval=10), "containerDefinitions[web].healthCheck.interval"),
    (lambda p: p.update(ephemeral_storage_gib=30), "ephemeralStorage"),
    (lambda p: p.update(runtime_platform={"cpu_architecture": "ARM64", "operating_system_family": "LINUX"}),
     "runtimePlatform"),
])
def test_every_field_that_matters_is_compared(change, path):
    current = described(ecs.build_task_definition(params(), SECRETS, REGION))
    changed = params()
    change(changed)
    request = ecs.build_task_definition(changed, SECRETS, REGION)
    assert path in ecs.task_definition_differences(request, current)


def test_roles_are_compared():
    current = described(ecs.build_task_definition(params(), SECRETS, REGION, execution_role_arn="arn:a"))
    request = ecs.build_task_definition(params(), SECRETS, REGION, execution_role_arn="arn:b", task_role_arn="arn:t")
    assert ecs.task_definition_differences(request, current) == ["executionRoleArn", "taskRoleArn"]


def test_a_second_container_with_depends_on():
    two = params()
    two["containers"].append({"name": "sidecar", "image": "envoy", "essential": False,
                              "depends_on": [{"container_name": "web", "condition": "HEALTHY"}]})
    request = ecs.build_task_definition(two, SECRETS, REGION)
    sidecar = request["containerDefinitions"][1]
    assert sidecar["essential"] is False and sidecar["dependsOn"] == [{"containerName": "web", "condition": "HEALTHY"}]
    current = described(ecs.build_task_definition(params(), SECRETS, REGION))
    assert ecs.task_definition_differences(request, current) == ["containerDefinitions[sidecar]"]


@pytest.mark.parametrize("change,message", [
    (lambda p: p.update(cpu="256", memory="4096"), "does not fit cpu 256"),
    (lambda p: p["containers"].append(dict(p["containers"][0])), "container names must be unique"),
    (lambda p: p["containers"][0].update(essential=False), "at least one container must be essential"),
    (lambda p: p["containers"][0].update(depends_on=[{"container_name": "db"}]), "unknown container 'db'"),
    (lambda p: p["containers"][0].update(name="we b"), "must be 1 to 255 letters"),
    (lambda p: p.update(family="x" * 256), "family"),
    (lambda p: p.update(load_balancers=[{"target_group": "tg", "container_name": "api", "container_port": 8080}]),
     "unknown container 'api'"),
    (lambda p: p.update(load_balancers=[{"target_group": "tg", "container_name": "web", "container_port": 80}]),
     "has no port 80"),
    (lambda p: p.update(ephemeral_storage_gib=500), "between 21 and 200"),
])
def test_bad_input_is_rejected_before_any_call(change, message):
    bad = params()
    change(bad)
    with pytest.raises(ecs.TaskDefinitionError, match=message):
        ecs.validate_arguments(bad)


def test_good_input_validates():
    ecs.validate_arguments(params(load_balancers=[{"target_group": "tg", "container_name": "web",
                                                   "container_port": 8080}]))


def test_secret_references_are_unique():
    assert taskdef.secret_references(params()["containers"]) == [("ssm", "/app/db"), ("secretsmanager", "api-key")]
