"""What ECS rejects, with its error codes and wording, and the service fields moto used to drop."""

import pytest
from botocore.exceptions import ClientError

from helpers import awsvpc_configuration, fargate_task_definition, make_alb, make_network, wait_until

CLUSTER = "apps"
IMAGE = "127.0.0.1:5000/app:v1"  # validation never pulls it


@pytest.fixture
def ecs(sandbox):
    client = sandbox.aws("ecs")
    client.create_cluster(clusterName=CLUSTER, capacityProviders=["FARGATE", "FARGATE_SPOT"])
    return client


def error(excinfo):
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["Error"]["Message"]


def register(ecs, cpu="256", memory="512", network_mode="awsvpc", **extra):
    options = dict(family="api", requiresCompatibilities=["FARGATE"], cpu=cpu, memory=memory,
                   containerDefinitions=[{"name": "web", "image": IMAGE, "portMappings": [{"containerPort": 80}]}])
    if network_mode:
        options["networkMode"] = network_mode
    options.update(extra)
    return ecs.register_task_definition(**options)["taskDefinition"]


# -- task definitions ------------------------------------------------------------------------
# The documented table (one reset per test is the expensive part, so each table is one test).
VALID_SIZES = [("256", "512"), ("256", "2048"), ("512", "4096"), ("1024", "8192"), ("2048", "16384"),
               ("4096", "30720"), ("8192", "16384"), ("8192", "61440"), ("16384", "32768"), ("16384", "122880"),
               ("1 vCPU", "2GB")]
INVALID_SIZES = [("256", "4096"), ("512", "512"), ("1024", "1024"), ("2048", "17408"), ("4096", "7168"),
                 ("8192", "18432"), ("16384", "36864"), ("16384", "131072"), ("128", "512")]


def test_fargate_sizes_from_the_documented_table_register(ecs):
    for cpu, memory in VALID_SIZES:
        assert register(ecs, cpu=cpu, memory=memory)["requiresCompatibilities"] == ["FARGATE"], (cpu, memory)


def test_fargate_sizes_outside_the_table_are_refused(ecs):
    for cpu, memory in INVALID_SIZES:
        with pytest.raises(ClientError) as err:
            register(ecs, cpu=cpu, memory=memory)
        assert error(err) == ("ClientException", f"No Fargate configuration exists for given values: {cpu} CPU, "
                                                 f"{memory} memory. See the Amazon ECS documentation for the valid "
                                                 "values.")
    assert ecs.list_task_definitions()["taskDefinitionArns"] == []


def test_fargate_requires_awsvpc(ecs):
    for network_mode in ("bridge", "host", None):
        with pytest.raises(ClientError) as err:
            register(ecs, network_mode=network_mode)
        assert error(err) == ("ClientException", "Fargate only supports network mode \u2018awsvpc\u2019.")


def test_fargate_requires_task_level_cpu(ecs):
    with pytest.raises(ClientError) as err:
        ecs.register_task_definition(family="api", requiresCompatibilities=["FARGATE"], networkMode="awsvpc",
                                     memory="512", containerDefinitions=[{"name": "web", "image": IMAGE}])
    assert error(err) == ("ClientException", "Fargate requires that 'cpu' be defined at the task level.")


def test_container_memory_above_the_task_is_refused(ecs):
    with pytest.raises(ClientError) as err:
        ecs.register_task_definition(family="api", requiresCompatibilities=["FARGATE"], networkMode="awsvpc",
                                     cpu="256", memory="512",
                                     containerDefinitions=[{"name": "web", "image": IMAGE, "memory": 1024}])
    assert error(err) == ("ClientException", "The 'memory' setting for container 'web' is greater than for the task.")


def test_awsvpc_host_port_must_match_container_port(ecs):
    with pytest.raises(ClientError) as err:
        register(ecs, containerDefinitions=[{"name": "web", "image": IMAGE,
                                             "portMappings": [{"containerPort": 80, "hostPort": 8080}]}])
    assert error(err)[0] == "ClientException"
    assert "host ports and container ports in port mappings must match" in error(err)[1]


# -- services ----------------------------------------------------------------------------------
@pytest.fixture
def env(sandbox, ecs):
    network = make_network(sandbox)
    return {"sandbox": sandbox, "ecs": ecs, "network": network, "td": fargate_task_definition(sandbox, IMAGE)}


def create(env, **overrides):
    options = dict(cluster=CLUSTER, serviceName="api", taskDefinition=env["td"], desiredCount=0,
                   launchType="FARGATE", networkConfiguration=awsvpc_configuration(env["network"]))
    options.update(overrides)
    options = {k: v for k, v in options.items() if v is not None}
    return env["ecs"].create_service(**options)["service"]


def refused(env, **overrides):
    with pytest.raises(ClientError) as err:
        create(env, **overrides)
    assert env["ecs"].list_services(cluster=overrides.get("cluster", CLUSTER))["serviceArns"] == []  # nothing created
    return error(err)


def test_launch_type_with_capacity_provider_strategy_is_refused(env):
    assert refused(env, capacityProviderStrategy=[{"capacityProvider": "FARGATE", "weight": 1}]) == (
        "InvalidParameterException",
        "Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.")


def test_capacity_provider_not_associated_with_the_cluster_is_refused(env):
    env["ecs"].create_cluster(clusterName="bare")
    code, message = refused(env, cluster="bare", launchType=None,
                            capacityProviderStrategy=[{"capacityProvider": "FARGATE", "weight": 1}])
    assert code == "InvalidParameterException"
    assert message.startswith("The specified capacity provider strategy cannot contain a capacity provider that is "
                              "not associated with the cluster.")


def test_duplicate_active_service_name_is_refused(env):
    create(env)
    with pytest.raises(ClientError) as err:
        create(env)
    assert error(err) == ("InvalidParameterException", "Creation of service was not idempotent.")


def test_unknown_subnet_and_security_group_are_refused(env):
    network = {"awsvpcConfiguration": {"subnets": ["subnet-0123456789abcdef0"]}}
    assert refused(env, networkConfiguration=network) == (
        "InvalidParameterException",
        "Error retrieving subnet information for [subnet-0123456789abcdef0]: The subnet ID "
        "'subnet-0123456789abcdef0' does not exist (ErrorCode: InvalidSubnetID.NotFound)")
    network = {"awsvpcConfiguration": {"subnets": env["network"]["subnets"], "securityGroups": ["sg-0123456789abcdef0"]}}
    assert refused(env, networkConfiguration=network) == (
        "InvalidParameterException",
        "Error retrieving security group information for [sg-0123456789abcdef0]: The security group "
        "'sg-0123456789abcdef0' does not exist (ErrorCode: InvalidGroup.NotFound)")


def test_awsvpc_service_without_network_configuration_is_refused(env):
    assert refused(env, networkConfiguration=None) == (
        "InvalidParameterException", "Network Configuration must be provided when networkMode 'awsvpc' is specified.")


def test_fargate_launch_type_needs_a_fargate_task_definition(env):
    ec2_only = env["ecs"].register_task_definition(
        family="legacy", networkMode="awsvpc", containerDefinitions=[{"name": "web", "image": IMAGE, "memory": 128}],
    )["taskDefinition"]["taskDefinitionArn"]
    assert refused(env, taskDefinition=ec2_only) == (
        "InvalidParameterException", "Task definition does not support launch_type FARGATE.")


def test_load_balancer_checks(env):
    sandbox = env["sandbox"]
    alb = make_alb(sandbox, env["network"])
    tg = alb["target_groups"]["tg"]
    unknown = tg.rsplit("/", 1)[0][:-2] + "xx/0123456789abcdef"
    assert refused(env, loadBalancers=[{"targetGroupArn": unknown, "containerName": "web", "containerPort": 80}]) == (
        "InvalidParameterException", "Unable to assume role and validate the specified targetGroupArn. Please verify "
        "that the ECS service role being passed has the proper permissions.")
    assert refused(env, loadBalancers=[{"targetGroupArn": tg, "containerName": "app", "containerPort": 80}]) == (
        "InvalidParameterException", "The container app does not exist in the task definition.")
    assert refused(env, loadBalancers=[{"targetGroupArn": tg, "containerName": "web", "containerPort": 8080}]) == (
        "InvalidParameterException", "The container web did not have a container port 8080 defined.")
    elbv2 = sandbox.aws("elbv2")
    lonely = elbv2.create_target_group(Name="lonely", Protocol="HTTP", Port=80, VpcId=env["network"]["vpc"],
                                       TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
    assert refused(env, loadBalancers=[{"targetGroupArn": lonely, "containerName": "web", "containerPort": 80}]) == (
        "InvalidParameterException", f"The target group with targetGroupArn {lonely} does not have an associated "
        "load balancer.")
    assert refused(env, healthCheckGracePeriodSeconds=30) == (
        "InvalidParameterException",
        "Health check grace period is only valid for services configured to use load balancers")


def test_update_service_validates_the_new_task_definition_against_the_load_balancer(env):
    sandbox = env["sandbox"]
    alb = make_alb(sandbox, env["network"])
    create(env, loadBalancers=[{"targetGroupArn": alb["target_groups"]["tg"], "containerName": "web",
                                "containerPort": 80}])
    other_port = fargate_task_definition(sandbox, IMAGE, port=8080)
    with pytest.raises(ClientError) as err:
        env["ecs"].update_service(cluster=CLUSTER, service="api", taskDefinition=other_port)
    assert error(err) == ("InvalidParameterException", "The container web did not have a container port 80 defined.")


# -- what moto used to drop --------------------------------------------------------------------
def test_create_and_update_service_keep_every_field(env):
    sandbox = env["sandbox"]
    alb = make_alb(sandbox, env["network"])
    lbs = [{"targetGroupArn": alb["target_groups"]["tg"], "containerName": "web", "containerPort": 80}]
    configuration = {"deploymentCircuitBreaker": {"enable": True, "rollback": True}, "maximumPercent": 150,
                     "minimumHealthyPercent": 50}
    created = create(env, launchType=None, capacityProviderStrategy=[
        {"capacityProvider": "FARGATE", "base": 1, "weight": 1}, {"capacityProvider": "FARGATE_SPOT", "weight": 3}],
        deploymentConfiguration=configuration, healthCheckGracePeriodSeconds=45, enableExecuteCommand=True,
        propagateTags="SERVICE", platformVersion="1.4.0", loadBalancers=lbs, enableECSManagedTags=True,
        tags=[{"key": "team", "value": "web"}])
    described = env["ecs"].describe_services(cluster=CLUSTER, services=["api"], include=["TAGS"])["services"][0]
    for service in (created, described):
        assert service["deploymentConfiguration"] == {**configuration, "strategy": "ROLLING", "bakeTimeInMinutes": 0}
        assert service["healthCheckGracePeriodSeconds"] == 45
        assert service["enableExecuteCommand"] is True and service["enableECSManagedTags"] is True
        assert service["capacityProviderStrategy"] == [{"capacityProvider": "FARGATE", "weight": 1, "base": 1},
                                                       {"capacityProvider": "FARGATE_SPOT", "weight": 3, "base": 0}]
        assert "launchType" not in service
        assert service["propagateTags"] == "SERVICE" and service["platformVersion"] == "1.4.0"
        assert service["platformFamily"] == "Linux"
        assert service["deploymentController"] == {"type": "ECS"}
        assert service["availabilityZoneRebalancing"] == "ENABLED"
        assert service["loadBalancers"] == lbs
    assert described["tags"] == [{"key": "team", "value": "web"}]
    assert "tags" not in env["ecs"].describe_services(cluster=CLUSTER, services=["api"])["services"][0]

    updated = env["ecs"].update_service(
        cluster=CLUSTER, service="api", healthCheckGracePeriodSeconds=10, enableExecuteCommand=False,
        deploymentConfiguration={"maximumPercent": 200, "alarms": {"alarmNames": ["a"], "enable": True,
                                                                   "rollback": False}},
        availabilityZoneRebalancing="DISABLED")["service"]
    assert updated["healthCheckGracePeriodSeconds"] == 10 and updated["enableExecuteCommand"] is False
    assert updated["deploymentConfiguration"]["maximumPercent"] == 200
    assert updated["deploymentConfiguration"]["minimumHealthyPercent"] == 50  # kept
    assert updated["deploymentConfiguration"]["alarms"] == {"alarmNames": ["a"], "enable": True, "rollback": False}
    assert updated["availabilityZoneRebalancing"] == "DISABLED"
    assert len(updated["deployments"]) == 1  # configuration only: no new deployment

    switched = env["ecs"].update_service(cluster=CLUSTER, service="api", capacityProviderStrategy=[
        {"capacityProvider": "FARGATE_SPOT", "weight": 1}])["service"]
    assert len(switched["deployments"]) == 2  # a capacity change is a new deployment
    assert switched["deployments"][0]["capacityProviderStrategy"] == [
        {"capacityProvider": "FARGATE_SPOT", "weight": 1, "base": 0}]


def test_service_defaults_follow_aws(env):
    service = create(env)
    assert service["deploymentConfiguration"] == {
        "deploymentCircuitBreaker": {"enable": False, "rollback": False}, "maximumPercent": 200,
        "minimumHealthyPercent": 100, "strategy": "ROLLING", "bakeTimeInMinutes": 0}
    assert service["launchType"] == "FARGATE" and service["platformVersion"] == "LATEST"
    assert service["deployments"][0]["platformVersion"] == "1.4.0"
    assert service["enableExecuteCommand"] is False and service["propagateTags"] == "NONE"
    assert service["schedulingStrategy"] == "REPLICA"
    assert "healthCheckGracePeriodSeconds" not in service
    assert isinstance(service["createdAt"], type(service["deployments"][0]["createdAt"]))
    wait_until(lambda: env["ecs"].describe_services(cluster=CLUSTER, services=["api"])["services"][0]
               ["deployments"][0]["rolloutState"] == "COMPLETED", timeout=5)
