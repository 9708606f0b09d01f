# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Application Auto Scaling for ECS services, one small function per call under ``api_call``.

Every call here is about one ECS service's desired count: ServiceNamespace ``ecs`` and
ScalableDimension ``ecs:service:DesiredCount``. The resource id is ``service/<cluster>/<service>``
(``service_resource_id`` builds it from names or ARNs). Shapes are boto3's (CamelCase).

The describe calls page and keep only exact ResourceId matches: DescribeScalingPolicies and
DescribeScheduledActions take a ResourceId filter, but a caller must never act on a neighbour's
policy because a filter was loose (or ignored by an emulator).
"""

from __future__ import annotations

from ansible_collections.ecsops.fargate.plugins.module_utils.api import api_call

SERVICE_NAMESPACE = "ecs"
SCALABLE_DIMENSION = "ecs:service:DesiredCount"

_MISSING = ["ObjectNotFoundException"]


def _name(value, kind, marker):
    """A name from a name or an ECS ARN (``arn:...:cluster/<name>`` or ``arn:...:service/[<cluster>/]<name>``)."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{kind} must be a non-empty name or ARN, got {value!r}")
    value = value.strip()
    if value.startswith("arn:"):
        parts = value.split(":", 5)
        if len(parts) != 6 or parts[2] != "ecs" or not parts[5].startswith(marker):
            raise ValueError(f"'{value}' is not an ECS {kind} ARN (arn:aws:ecs:<region>:<account>:{marker}...)")
        resource = parts[5][len(marker):]
        name = resource.rsplit("/", 1)[-1]
        cluster = resource.rsplit("/", 1)[0] if "/" in resource else None
        if not name:
            raise ValueError(f"'{value}' is not an ECS {kind} ARN (no name after '{marker}')")
        return name, cluster
    if "/" in value or ":" in value:
        raise ValueError(f"'{value}' is not a valid ECS {kind} name (letters, digits, hyphens, underscores)")
    return value, None


def service_resource_id(cluster, service):
    """``service/<cluster name>/<service name>`` from cluster and service names or ARNs.

    A long-format service ARN (``...:service/<cluster>/<service>``) carries its cluster; if it
    disagrees with ``cluster``, that is an error rather than a silent pick.
    """
    cluster_name, _unused = _name(cluster, "cluster", "cluster/")
    service_name, service_cluster = _name(service, "service", "service/")
    if service_cluster is not None and service_cluster != cluster_name:
        raise ValueError(f"service ARN '{service}' belongs to cluster '{service_cluster}', not '{cluster_name}'")
    return f"service/{cluster_name}/{service_name}"


def _describe_exact(client, operation, key, resource_id):
    """A paged describe of this service's items, keeping exact ResourceId and dimension matches only."""
    found = []
    pages = client.get_paginator(operation).paginate(
        ServiceNamespace=SERVICE_NAMESPACE, ResourceId=resource_id, ScalableDimension=SCALABLE_DIMENSION)
    for page in pages:
        found.extend(item for item in page.get(key) or []
                     if item.get("ResourceId") == resource_id
                     and item.get("ScalableDimension", SCALABLE_DIMENSION) == SCALABLE_DIMENSION)
    return found


# -- scalable targets ---------------------------------------------------------------------------------

@api_call("describe Application Auto Scaling scalable targets")
def describe_scalable_target(client, resource_id):
    """The ScalableTarget of this ECS service, or None when it is not registered."""
    targets = client.describe_scalable_targets(
        ServiceNamespace=SERVICE_NAMESPACE, ResourceIds=[resource_id],
        ScalableDimension=SCALABLE_DIMENSION)["ScalableTargets"]
    for target in targets:
        if target.get("ResourceId") == resource_id and target.get("ScalableDimension") == SCALABLE_DIMENSION:
            return target
    return None


@api_call("register Application Auto Scaling scalable target")
def register_scalable_target(client, resource_id, min_capacity, max_capacity, suspended_state=None):
    """RegisterScalableTarget (creates or updates; AWS keeps the service-linked role itself)."""
    params = dict(ServiceNamespace=SERVICE_NAMESPACE, ResourceId=resource_id, ScalableDimension=SCALABLE_DIMENSION,
                  MinCapacity=int(min_capacity), MaxCapacity=int(max_capacity))
    if suspended_state is not None:
        params["SuspendedState"] = suspended_state
    client.register_scalable_target(**params)


@api_call("deregister Application Auto Scaling scalable target", missing_codes=_MISSING)
def deregister_scalable_target(client, resource_id):
    """DeregisterScalableTarget; AWS deletes the target's policies and scheduled actions with it."""
    client.deregister_scalable_target(
        ServiceNamespace=SERVICE_NAMESPACE, ResourceId=resource_id, ScalableDimension=SCALABLE_DIMENSION)


# -- scaling policies ---------------------------------------------------------------------------------

@api_call("describe Application Auto Scaling scaling policies")
def describe_scaling_policies(client, resource_id):
    """All scaling policies of this ECS service (paged), exact ResourceId and dimension matches only."""
    return _describe_exact(client, "describe_scaling_policies", "ScalingPolicies", resource_id)


_POLICY_CONFIGURATION_KEYS = {
    "StepScaling": "StepScalingPolicyConfiguration",
    "TargetTrackingScaling": "TargetTrackingScalingPolicyConfiguration",
}


@api_call("put Application Auto Scaling scaling policy")
def put_scaling_policy(client, resource_id, name, policy_type, configuration):
    """PutScalingPolicy (creates or replaces); returns the response (PolicyARN, Alarms)."""
    if policy_type not in _POLICY_CONFIGURATION_KEYS:
        raise ValueError(f"policy_type must be one of {sorted(_POLICY_CONFIGURATION_KEYS)}, got {policy_type!r}")
    response = client.put_scaling_policy(
        PolicyName=name, ServiceNamespace=SERVICE_NAMESPACE, ResourceId=resource_id,
        ScalableDimension=SCALABLE_DIMENSION, PolicyType=policy_type,
        **{_POLICY_CONFIGURATION_KEYS[policy_type]: configuration})
    response.pop("ResponseMetadata", None)
    return response


@api_call("delete Application Auto Scaling scaling policy", missing_codes=_MISSING)
def delete_scaling_policy(client, resource_id, name):
    """DeleteScalingPolicy (AWS deletes a target tracking policy's alarms with it)."""
    client.delete_scaling_policy(
        PolicyName=name, ServiceNamespace=SERVICE_NAMESPACE, ResourceId=resource_id,
        ScalableDimension=SCALABLE_DIMENSION)


# -- scheduled actions --------------------------------------------------------------------------------

@api_call("describe Application Auto Scaling scheduled actions")
def describe_scheduled_actions(client, resource_id):
    """All scheduled actions of this ECS service (paged), exact ResourceId and dimension matches only."""
    return _describe_exact(client, "describe_scheduled_actions", "ScheduledActions", resource_id)


@api_call("put Application Auto Scaling scheduled action")
def put_scheduled_action(client, resource_id, name, schedule, timezone=None, min_capacity=None, max_capacity=None,
                         start_time=None, end_time=None):
    """PutScheduledAction (creates or replaces). Capacities left None are not sent (AWS leaves them alone)."""
    params = dict(ServiceNamespace=SERVICE_NAMESPACE, ResourceId=resource_id, ScalableDimension=SCALABLE_DIMENSION,
                  ScheduledActionName=name, Schedule=schedule)
    if timezone is not None:
        params["Timezone"] = timezone
    if start_time is not None:
        params["StartTime"] = start_time
    if end_time is not None:
        params["EndTime"] = end_time
    action = {}
    if min_capacity is not None:
        action["MinCapacity"] = int(min_capacity)
    if max_capacity is not None:
        action["MaxCapacity"] = int(max_capacity)
    if action:
        params["ScalableTargetAction"] = action
    client.put_scheduled_action(**params)


@api_call("delete Application Auto Scaling scheduled action", missing_codes=_MISSING)
def delete_scheduled_action(client, resource_id, name):
    client.delete_scheduled_action(
        ServiceNamespace=SERVICE_NAMESPACE, ScheduledActionName=name, ResourceId=resource_id,
        ScalableDimension=SCALABLE_DIMENSION)
