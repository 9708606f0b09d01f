"""The JSON shapes ECS answers with (timestamps as epoch seconds, as the JSON protocol carries them)."""

from .model import (
    Deployment,
    Service,
    ServiceDeploymentRecord,
    Task,
    circuit_breaker_threshold,
    is_fargate,
    resolved_platform_version,
)


def service(svc: Service, include_tags: bool = False) -> dict:
    config = svc.config
    fargate = is_fargate(config)
    out = {
        "serviceArn": svc.arn,
        "serviceName": svc.name,
        "clusterArn": svc.cluster_arn,
        "loadBalancers": config["loadBalancers"],
        "serviceRegistries": config["serviceRegistries"],
        "status": svc.status,
        "desiredCount": config["desiredCount"],
        "runningCount": sum(1 for t in svc.tasks if t.running),
        "pendingCount": sum(1 for t in svc.tasks if t.pending),
    }
    if config.get("capacityProviderStrategy"):
        out["capacityProviderStrategy"] = config["capacityProviderStrategy"]
    else:
        out["launchType"] = config["launchType"]
    if fargate:
        out["platformVersion"] = config.get("platformVersion") or "LATEST"
        out["platformFamily"] = "Linux"
    out["taskDefinition"] = config["taskDefinition"]
    out["deploymentConfiguration"] = config["deploymentConfiguration"]
    out["deployments"] = [deployment(svc, d) for d in svc.deployments]
    out["roleArn"] = (f"arn:aws:iam::{svc.account}:role/aws-service-role/ecs.amazonaws.com/"
                      "AWSServiceRoleForECS")
    out["events"] = [dict(e) for e in svc.events]
    out["createdAt"] = svc.created_at
    primary = svc.primary
    if primary is not None and primary.record is not None:
        out["currentServiceDeployment"] = primary.record.arn
    out["currentServiceRevisions"] = [
        {"arn": svc.revision_arn(d), "requestedTaskCount": d.desired_count,
         "runningTaskCount": sum(1 for t in svc.tasks if t.deployment is d and t.running),
         "pendingTaskCount": sum(1 for t in svc.tasks if t.deployment is d and t.pending)}
        for d in svc.deployments
    ]
    out["placementConstraints"] = config["placementConstraints"]
    out["placementStrategy"] = config["placementStrategy"]
    if config.get("networkConfiguration"):
        out["networkConfiguration"] = config["networkConfiguration"]
    if config.get("healthCheckGracePeriodSeconds") is not None:
        out["healthCheckGracePeriodSeconds"] = config["healthCheckGracePeriodSeconds"]
    out["schedulingStrategy"] = config["schedulingStrategy"]
    out["deploymentController"] = config["deploymentController"]
    if include_tags:
        out["tags"] = config["tags"]
    out["createdBy"] = f"arn:aws:iam::{svc.account}:root"
    out["enableECSManagedTags"] = config["enableECSManagedTags"]
    out["propagateTags"] = config["propagateTags"]
    out["enableExecuteCommand"] = config["enableExecuteCommand"]
    out["availabilityZoneRebalancing"] = config["availabilityZoneRebalancing"]
    out["resourceManagementType"] = "CUSTOMER"
    return out


def deployment(svc: Service, d: Deployment) -> dict:
    out = {
        "id": d.id,
        "status": d.status,
        "taskDefinition": d.task_definition,
        "desiredCount": d.desired_count,
        "pendingCount": sum(1 for t in svc.tasks if t.deployment is d and t.pending),
        "runningCount": sum(1 for t in svc.tasks if t.deployment is d and t.running),
        "failedTasks": d.failed_tasks,
        "createdAt": d.created_at,
        "updatedAt": d.updated_at,
    }
    if d.capacity_provider_strategy:
        out["capacityProviderStrategy"] = d.capacity_provider_strategy
    else:
        out["launchType"] = d.launch_type
    if d.launch_type == "FARGATE" or d.capacity_provider_strategy:
        out["platformVersion"] = resolved_platform_version(d.platform_version)
        out["platformFamily"] = "Linux"
    if d.network_configuration:
        out["networkConfiguration"] = d.network_configuration
    out["rolloutState"] = d.rollout_state
    out["rolloutStateReason"] = d.rollout_state_reason
    return out


def task(t: Task, include_tags: bool = False) -> dict:
    details = [
        {"name": "subnetId", "value": t.subnet_id},
        {"name": "networkInterfaceId", "value": t.eni_id},
        {"name": "macAddress", "value": t.mac},
        {"name": "privateDnsName", "value": t.private_dns},
        {"name": "privateIPv4Address", "value": t.ip},
    ]
    out = {
        "attachments": [{"id": t.attachment_id, "type": "ElasticNetworkInterface", "status": t.attachment_status,
                         "details": details}],
        "attributes": [{"name": "ecs.cpu-architecture", "value": "x86_64"}],
        "availabilityZone": t.availability_zone,
        "clusterArn": t.cluster_arn,
        "connectivity": "CONNECTED" if t.connectivity_at else "DISCONNECTED",
        "containers": [container(t, c) for c in t.containers],
        "cpu": t.cpu,
        "createdAt": t.created_at,
        "desiredStatus": t.desired_status,
        "enableExecuteCommand": t.enable_execute_command,
        "group": f"service:{t.service.name}",
        "healthStatus": t.health_status,
        "lastStatus": t.last_status,
        "launchType": t.launch_type,
        "memory": t.memory,
        "overrides": {"containerOverrides": [{"name": c.name} for c in t.containers],
                      "inferenceAcceleratorOverrides": []},
        "platformVersion": t.platform_version,
        "platformFamily": "Linux",
        "startedBy": t.deployment.id,
        "taskArn": t.arn,
        "taskDefinitionArn": t.task_definition_arn,
        "version": t.version,
        "ephemeralStorage": {"sizeInGiB": 20},
        "fargateEphemeralStorage": {"sizeInGiB": 20},
    }
    if t.capacity_provider:
        out["capacityProviderName"] = t.capacity_provider
    optional = {
        "connectivityAt": t.connectivity_at,
        "pullStartedAt": t.pull_started_at,
        "pullStoppedAt": t.pull_stopped_at,
        "startedAt": t.started_at,
        "stoppingAt": t.stopping_at,
        "executionStoppedAt": t.execution_stopped_at,
        "stoppedAt": t.stopped_at,
        "stopCode": t.stop_code,
        "stoppedReason": t.stopped_reason,
    }
    out.update({k: v for k, v in optional.items() if v is not None})
    if include_tags:
        out["tags"] = t.tags
    return out


def container(t: Task, c) -> dict:
    out = {
        "containerArn": c.container_arn,
        "taskArn": t.arn,
        "name": c.name,
        "image": c.image,
        "lastStatus": c.last_status,
        "networkBindings": [],
        "networkInterfaces": [{"attachmentId": t.attachment_id, "privateIpv4Address": t.ip}],
        "healthStatus": t.health_status if c.health_check else "UNKNOWN",
        "cpu": str(c.cpu),
    }
    if c.runtime_id:
        out["runtimeId"] = c.runtime_id
    if c.exit_code is not None:
        out["exitCode"] = c.exit_code
    if c.reason:
        out["reason"] = c.reason
    if c.memory is not None:
        out["memory"] = str(c.memory)
    return out


def service_deployment(r: ServiceDeploymentRecord) -> dict:
    svc = r.service
    target = r.target
    breaker = svc.deployment_configuration.get("deploymentCircuitBreaker") or {}
    alarms = svc.deployment_configuration.get("alarms") or {}
    out = {
        "serviceDeploymentArn": r.arn,
        "serviceArn": svc.arn,
        "clusterArn": svc.cluster_arn,
        "createdAt": r.created_at,
        "sourceServiceRevisions": [
            {"arn": arn, "requestedTaskCount": requested, "runningTaskCount": running, "pendingTaskCount": pending}
            for arn, requested, running, pending in r.source_revisions
        ],
        "targetServiceRevision": {
            "arn": svc.revision_arn(target),
            "requestedTaskCount": target.desired_count,
            "runningTaskCount": sum(1 for t in svc.tasks if t.deployment is target and t.running),
            "pendingTaskCount": sum(1 for t in svc.tasks if t.deployment is target and t.pending),
        },
        "status": r.status,
        "lifecycleStage": r.lifecycle_stage,
        "deploymentConfiguration": r.deployment_configuration,
        "deploymentCircuitBreaker": {
            "status": r.circuit_breaker_status if breaker.get("enable") else "DISABLED",
            "failureCount": target.failed_tasks,
            "threshold": circuit_breaker_threshold(breaker, target.desired_count or svc.desired_count),
        },
    }
    if alarms:
        out["alarms"] = {"status": ("TRIGGERED" if r.triggered_alarms else "MONITORING") if alarms.get("enable")
                         else "DISABLED",
                         "alarmNames": list(alarms.get("alarmNames") or []),
                         "triggeredAlarmNames": list(r.triggered_alarms)}
    for key, value in (("startedAt", r.started_at), ("finishedAt", r.finished_at), ("stoppedAt", r.stopped_at),
                       ("updatedAt", r.updated_at), ("statusReason", r.status_reason), ("rollback", r.rollback)):
        if value is not None:
            out[key] = value
    return out


def service_revision(d, ecs_backend) -> dict:
    """DescribeServiceRevisions' view of a deployment: the configuration it rolled out."""
    svc = d.service
    task_definition = ecs_backend.describe_task_definition(d.task_definition)
    out = {
        "serviceRevisionArn": svc.revision_arn(d),
        "serviceArn": svc.arn,
        "clusterArn": svc.cluster_arn,
        "taskDefinition": d.task_definition,
        "platformFamily": "Linux",
        "loadBalancers": d.load_balancers or [],
        "serviceRegistries": svc.config.get("serviceRegistries") or [],
        "containerImages": [{"containerName": c["name"], "image": c["image"]}
                            for c in task_definition.container_definitions],
        "guardDutyEnabled": False,
        "createdAt": d.created_at,
    }
    if d.capacity_provider_strategy:
        out["capacityProviderStrategy"] = d.capacity_provider_strategy
    else:
        out["launchType"] = d.launch_type or "FARGATE"
    for key, value in (("platformVersion", d.platform_version), ("networkConfiguration", d.network_configuration)):
        if value:
            out[key] = value
    return out


def service_deployment_brief(r: ServiceDeploymentRecord) -> dict:
    out = {
        "serviceDeploymentArn": r.arn,
        "serviceArn": r.service.arn,
        "clusterArn": r.service.cluster_arn,
        "createdAt": r.created_at,
        "targetServiceRevisionArn": r.service.revision_arn(r.target),
        "status": r.status,
    }
    for key, value in (("startedAt", r.started_at), ("finishedAt", r.finished_at), ("statusReason", r.status_reason)):
        if value is not None:
            out[key] = value
    return out
