"""ECS validation moto lacks, answered before moto sees the call, with ECS's error codes and wording.

RegisterTaskDefinition (Fargate task size, network mode, port mappings), CreateService and
UpdateService (launch type vs capacity providers, duplicate names, subnets and security groups,
load balancers against the task definition and the target groups).
"""

import re

from .hooks import before
from .protocol import AwsError

# Fargate task sizes: cpu units -> allowed memory (MiB). 8 and 16 vCPU need Linux platform 1.4.0.
FARGATE_SIZES = {
    256: {512, 1024, 2048},
    512: {1024, 2048, 3072, 4096},
    1024: set(range(2048, 8192 + 1, 1024)),
    2048: set(range(4096, 16384 + 1, 1024)),
    4096: set(range(8192, 30720 + 1, 1024)),
    8192: set(range(16384, 61440 + 1, 4096)),
    16384: set(range(32768, 122880 + 1, 8192)),
}
SERVICE_ROLE_MESSAGE = ("Unable to assume role and validate the specified targetGroupArn. Please verify that the "
                        "ECS service role being passed has the proper permissions.")


def client_error(message: str) -> AwsError:
    return AwsError("ClientException", message)


def invalid(message: str) -> AwsError:
    return AwsError("InvalidParameterException", message)


# -- task definitions ----------------------------------------------------------------------
def parse_cpu(value) -> int | None:
    """Task cpu as CPU units: '256', 256, '1 vCPU', '0.25 vcpu'."""
    text = str(value).strip()
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*vcpu", text, re.IGNORECASE)
    if match:
        return int(float(match.group(1)) * 1024)
    return int(text) if text.isdigit() else None


def parse_memory(value) -> int | None:
    """Task memory as MiB: '512', 512, '2GB', '2 GB'."""
    text = str(value).strip()
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*gb", text, re.IGNORECASE)
    if match:
        return int(float(match.group(1)) * 1024)
    return int(text) if text.isdigit() else None


@before("ecs", "RegisterTaskDefinition")
def validate_task_definition(sb, call):
    params = call.params
    containers = params.get("containerDefinitions") or []
    network_mode = params.get("networkMode")
    if network_mode == "awsvpc":
        for container in containers:
            for mapping in container.get("portMappings") or []:
                host = mapping.get("hostPort")
                if host is not None and host != mapping.get("containerPort"):
                    raise client_error("When networkMode=awsvpc, the host ports and container ports in port "
                                       "mappings must match.")
    if "FARGATE" not in (params.get("requiresCompatibilities") or []):
        return None
    if network_mode != "awsvpc":
        raise client_error("Fargate only supports network mode \u2018awsvpc\u2019.")
    if params.get("cpu") is None:
        raise client_error("Fargate requires that 'cpu' be defined at the task level.")
    if params.get("memory") is None:
        raise client_error("Fargate requires that 'memory' be defined at the task level.")
    cpu, memory = parse_cpu(params["cpu"]), parse_memory(params["memory"])
    if cpu is None:
        raise client_error("Invalid 'cpu' setting for task.")
    if memory is None:
        raise client_error("Invalid 'memory' setting for task.")
    if memory not in FARGATE_SIZES.get(cpu, ()):
        raise client_error(f"No Fargate configuration exists for given values: {params['cpu']} CPU, "
                           f"{params['memory']} memory. See the Amazon ECS documentation for the valid values.")
    for container in containers:
        if container.get("memory") is not None and container["memory"] > memory:
            raise client_error(f"The 'memory' setting for container '{container.get('name')}' is greater than "
                               "for the task.")
        if container.get("cpu") is not None and container["cpu"] > cpu:
            raise client_error(f"The 'cpu' setting for container '{container.get('name')}' is greater than for "
                               "the task.")
    return None


# -- services -------------------------------------------------------------------------------
@before("ecs", "CreateService")
def validate_create_service(sb, call):
    params = call.params
    backend = sb.backend("ecs", call.region)
    cluster = _cluster(backend, params.get("cluster"))
    if cluster is None:
        return None  # moto answers ClusterNotFoundException
    if params.get("launchType") and params.get("capacityProviderStrategy"):
        raise invalid("Specifying both a launch type and capacity provider strategy is not supported. Remove one "
                      "and try again.")
    existing = backend.services.get(f"{cluster.name}:{params.get('serviceName')}")
    if existing is not None and _status(sb, existing) in ("ACTIVE", "DRAINING"):
        raise invalid("Creation of service was not idempotent.")
    task_definition = _task_definition(backend, params.get("taskDefinition"))
    _check_capacity_providers(cluster, params.get("capacityProviderStrategy"))
    _check_compatibility(task_definition, params.get("launchType"), params.get("capacityProviderStrategy"))
    _check_network(sb, call.region, task_definition, params.get("networkConfiguration"), required=True)
    _check_load_balancers(sb, call.region, task_definition, params.get("loadBalancers") or [])
    if params.get("healthCheckGracePeriodSeconds") is not None and not params.get("loadBalancers"):
        raise invalid("Health check grace period is only valid for services configured to use load balancers")
    return None


@before("ecs", "UpdateService")
def validate_update_service(sb, call):
    params = call.params
    backend = sb.backend("ecs", call.region)
    cluster = _cluster(backend, params.get("cluster"))
    if cluster is None:
        return None
    existing = backend.services.get(f"{cluster.name}:{params['service'].rsplit('/', 1)[-1]}")
    if existing is None:
        return None  # moto answers ServiceNotFoundException
    if _status(sb, existing) != "ACTIVE":
        raise AwsError("ServiceNotActiveException", "Service was not ACTIVE.")
    task_definition = _task_definition(backend, params.get("taskDefinition") or existing.task_definition)
    strategy = params.get("capacityProviderStrategy")
    _check_capacity_providers(cluster, strategy)
    launch_type = None if strategy else existing.launch_type
    _check_compatibility(task_definition, launch_type, strategy)
    ecs = sb.areas.get("ecs")
    svc = ecs.find(call.region, cluster.name, existing.name) if ecs is not None else None
    network = params.get("networkConfiguration") or (svc.config.get("networkConfiguration") if svc else None)
    _check_network(sb, call.region, task_definition, network, required=True)
    load_balancers = params.get("loadBalancers")
    if load_balancers is None and svc is not None:
        load_balancers = svc.config.get("loadBalancers")
    _check_load_balancers(sb, call.region, task_definition, load_balancers or [])
    if params.get("healthCheckGracePeriodSeconds") is not None and not load_balancers:
        raise invalid("Health check grace period is only valid for services configured to use load balancers")
    return None


def _cluster(backend, name):
    try:
        return backend._get_cluster(name or "default")
    except Exception:  # moto's ClusterNotFoundException, answered by moto itself
        return None


def _status(sb, moto_service) -> str:
    ecs = sb.areas.get("ecs")
    svc = ecs.services.get(moto_service.arn) if ecs is not None else None
    return svc.status if svc is not None else moto_service.status


def _task_definition(backend, reference):
    if not reference:
        return None
    try:
        return backend.describe_task_definition(reference)
    except Exception:  # moto answers the missing task definition with ECS's ClientException
        return None


def _check_capacity_providers(cluster, strategy):
    if not strategy:
        return
    associated = set(cluster.capacity_providers or [])
    for item in strategy:
        if item.get("capacityProvider") not in associated:
            raise invalid("The specified capacity provider strategy cannot contain a capacity provider that is not "
                          "associated with the cluster. Associate the capacity provider with the cluster or specify "
                          "a valid capacity provider and try again.")


def _check_compatibility(task_definition, launch_type, strategy):
    if task_definition is None:
        return
    fargate = launch_type == "FARGATE" or any(s.get("capacityProvider") in ("FARGATE", "FARGATE_SPOT")
                                              for s in strategy or [])
    if fargate and "FARGATE" not in (task_definition.requires_compatibilities or []):
        raise invalid("Task definition does not support launch_type FARGATE.")


def _check_network(sb, region, task_definition, network, required: bool):
    awsvpc = (network or {}).get("awsvpcConfiguration")
    if task_definition is not None and task_definition.network_mode == "awsvpc" and awsvpc is None and required:
        raise invalid("Network Configuration must be provided when networkMode 'awsvpc' is specified.")
    if awsvpc is None:
        return
    subnets = awsvpc.get("subnets") or []
    if not subnets:
        raise invalid("subnets can not be empty.")
    ec2 = sb.backend("ec2", region)
    known_subnets = {s.id: s for s in ec2.describe_subnets()}
    for subnet in subnets:
        if subnet not in known_subnets:
            raise invalid(f"Error retrieving subnet information for [{subnet}]: The subnet ID '{subnet}' does not "
                          "exist (ErrorCode: InvalidSubnetID.NotFound)")
    known_groups = {g.id for g in ec2.describe_security_groups()}
    for group in awsvpc.get("securityGroups") or []:
        if group not in known_groups:
            raise invalid(f"Error retrieving security group information for [{group}]: The security group "
                          f"'{group}' does not exist (ErrorCode: InvalidGroup.NotFound)")


def _check_load_balancers(sb, region, task_definition, load_balancers):
    elbv2 = sb.backend("elbv2", region)
    for lb in load_balancers:
        for tg_arn in (lb.get("targetGroupArn"), (lb.get("advancedConfiguration") or {}).get("alternateTargetGroupArn")):
            if not tg_arn:
                continue
            target_group = elbv2.target_groups.get(tg_arn)
            if target_group is None:
                raise invalid(SERVICE_ROLE_MESSAGE)
            if not target_group.load_balancer_arns:
                raise invalid(f"The target group with targetGroupArn {tg_arn} does not have an associated load "
                              "balancer.")
            if (task_definition is not None and task_definition.network_mode == "awsvpc"
                    and target_group.target_type != "ip"):
                raise invalid(f"The provided target group {tg_arn} has target type {target_group.target_type}, "
                              "which is incompatible with the awsvpc network mode specified in the task "
                              "definition.")
        if task_definition is None:
            continue
        name, port = lb.get("containerName"), lb.get("containerPort")
        container = next((c for c in task_definition.container_definitions if c.get("name") == name), None)
        if container is None:
            raise invalid(f"The container {name} does not exist in the task definition.")
        if port not in [m.get("containerPort") for m in container.get("portMappings") or []]:
            raise invalid(f"The container {name} did not have a container port {port} defined.")
