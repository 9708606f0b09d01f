# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Every AWS call the rollout makes, one small function each under ``api_call``."""

from __future__ import annotations

from ansible_collections.ecsops.fargate.plugins.module_utils.api import api_call


# --- ECS --------------------------------------------------------------------------------------

@api_call("describe ECS service")
def describe_service(ecs, cluster, name):
    """The service (with tags), or None when it does not exist or is INACTIVE."""
    services = ecs.describe_services(cluster=cluster, services=[name], include=["TAGS"])["services"]
    service = services[0] if services else None
    if service is None or service.get("status") == "INACTIVE":
        return None
    return service


@api_call("describe ECS task definition", missing_codes=["ClientException"])
def describe_task_definition(ecs, reference):
    """One revision (ARN, family:revision, or family for the latest ACTIVE), or None."""
    return ecs.describe_task_definition(taskDefinition=reference)["taskDefinition"]


@api_call("register ECS task definition")
def register_task_definition(ecs, request):
    return ecs.register_task_definition(**request)["taskDefinition"]


@api_call("create ECS service")
def create_service(ecs, cluster, name, request):
    return ecs.create_service(cluster=cluster, serviceName=name, **request)["service"]


@api_call("update ECS service")
def update_service(ecs, cluster, name, request):
    return ecs.update_service(cluster=cluster, service=name, **request)["service"]


@api_call("delete ECS service", missing_codes=["ServiceNotFoundException"])
def delete_service(ecs, cluster, name):
    """DeleteService with force: ECS stops the tasks itself (the service is DRAINING, then INACTIVE)."""
    return ecs.delete_service(cluster=cluster, service=name, force=True)["service"]


@api_call("tag ECS service")
def tag_resource(ecs, arn, tags):
    ecs.tag_resource(resourceArn=arn, tags=[{"key": k, "value": v} for k, v in sorted(tags.items())])


@api_call("untag ECS service")
def untag_resource(ecs, arn, keys):
    ecs.untag_resource(resourceArn=arn, tagKeys=list(keys))


@api_call("list ECS tasks of a deployment")
def list_deployment_tasks(ecs, cluster, deployment_id, desired_status):
    return ecs.list_tasks(cluster=cluster, startedBy=deployment_id, desiredStatus=desired_status)["taskArns"]


def _batches(items, size):
    """Split `items` into the largest lists one describe call accepts."""
    return [items[start:start + size] for start in range(0, len(items), size)]


@api_call("describe ECS tasks")
def describe_tasks(ecs, cluster, arns):
    return [task for batch in _batches(arns, 100) for task in ecs.describe_tasks(cluster=cluster, tasks=batch)["tasks"]]


@api_call("list ECS service deployments")
def list_successful_deployments(ecs, cluster, name):
    return ecs.list_service_deployments(cluster=cluster, service=name, status=["SUCCESSFUL"])["serviceDeployments"]


@api_call("describe ECS service revisions")
def describe_service_revisions(ecs, arns):
    return ecs.describe_service_revisions(serviceRevisionArns=arns)["serviceRevisions"]


# --- references the task definition and service name ----------------------------------------

@api_call("describe target groups", missing_codes=["TargetGroupNotFound", "TargetGroupNotFoundException"],
          missing_value=[])
def describe_target_groups(elbv2, names=None, arns=None):
    kwargs = {"Names": names} if names else {"TargetGroupArns": arns}
    return elbv2.describe_target_groups(**kwargs)["TargetGroups"]


@api_call("describe target health")
def describe_target_health(elbv2, arn):
    return elbv2.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]


@api_call("describe subnets", missing_codes=["InvalidSubnetID.NotFound"])
def describe_subnets(ec2, ids):
    return ec2.describe_subnets(SubnetIds=ids)["Subnets"]


@api_call("describe security groups", missing_codes=["InvalidGroup.NotFound", "InvalidGroupId.NotFound"])
def describe_security_groups(ec2, ids):
    return ec2.describe_security_groups(GroupIds=ids)["SecurityGroups"]


@api_call("get SSM parameters")
def get_parameters(ssm, names):
    """(parameters, invalid names) without decrypting: only the ARNs are wanted."""
    response = ssm.get_parameters(Names=names, WithDecryption=False)
    return response.get("Parameters") or [], response.get("InvalidParameters") or []


@api_call("describe Secrets Manager secret", missing_codes=["ResourceNotFoundException"])
def describe_secret(secretsmanager, secret_id):
    return secretsmanager.describe_secret(SecretId=secret_id)


@api_call("describe CloudWatch log groups")
def log_group_exists(logs, name):
    groups = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    return any(g["logGroupName"] == name for g in groups)


@api_call("get IAM role", missing_codes=["NoSuchEntity"])
def get_role(iam, name):
    return iam.get_role(RoleName=name)["Role"]


@api_call("describe Application Auto Scaling targets")
def scalable_target_exists(autoscaling, cluster, name):
    targets = autoscaling.describe_scalable_targets(
        ServiceNamespace="ecs", ResourceIds=[f"service/{cluster}/{name}"],
        ScalableDimension="ecs:service:DesiredCount")["ScalableTargets"]
    return bool(targets)


# --- housekeeping ------------------------------------------------------------------------------

@api_call("list ECS task definitions")
def list_active_revisions(ecs, family):
    """ARNs of the ACTIVE revisions whose family starts with ``family``, newest first: one paged call
    (ListTaskDefinitions with familyPrefix and sort DESC), never a DescribeTaskDefinition per revision."""
    paginator = ecs.get_paginator("list_task_definitions")
    pages = paginator.paginate(familyPrefix=family, status="ACTIVE", sort="DESC")
    return [arn for page in pages for arn in page.get("taskDefinitionArns") or []]


@api_call("list ECS services")
def list_services(ecs, cluster):
    paginator = ecs.get_paginator("list_services")
    return [arn for page in paginator.paginate(cluster=cluster) for arn in page.get("serviceArns") or []]


@api_call("describe ECS services")
def describe_services(ecs, cluster, arns):
    return [service for batch in _batches(arns, 10)
            for service in ecs.describe_services(cluster=cluster, services=batch)["services"]]


@api_call("deregister ECS task definition")
def deregister_task_definition(ecs, arn):
    return ecs.deregister_task_definition(taskDefinition=arn)["taskDefinition"]
