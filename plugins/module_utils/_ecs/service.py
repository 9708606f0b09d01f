# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""ECS service: the fields the module manages, normalised, and the create/update plan. Pure functions.

Only fields the user set are managed: what is left unset is never compared and never sent, so a
value changed by someone else (or a default) is left alone. ``desired_count`` is special: it is set
on create; on update only when ``desired_count_on_update`` allows it (see ``plan``).
"""

from __future__ import annotations

import copy
import re

DEPLOYMENT_DEFAULTS = {"maximumPercent": 200, "minimumHealthyPercent": 100}
BREAKER_DEFAULT = {"enable": False, "rollback": False}

# Fields that start a new deployment when changed (UpdateService then needs no forceNewDeployment).
DEPLOYING_FIELDS = ("taskDefinition", "networkConfiguration", "loadBalancers", "capacityProviderStrategy",
                    "platformVersion", "serviceRegistries")


SERVICE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
REGISTRY_ARN = re.compile(r"^arn:aws[a-z-]*:servicediscovery:[a-z0-9-]+:\d{12}:service/srv-[a-z0-9]+$")


class ServicePlanError(ValueError):
    """The requested change is one ECS cannot make to an existing service."""


def validate_name(name):
    """ECS service names: 1 to 255 letters, numbers, hyphens and underscores. Raises ServicePlanError."""
    if not SERVICE_NAME.match(name or ""):
        raise ServicePlanError(f"service name '{name}' must be 1 to 255 letters, numbers, hyphens or underscores"
                               f" (it has {len(name or '')} characters)")


def desired_service(params, target_group_arns):
    """The managed fields (camelCase, normalised) the arguments ask for; unset arguments are absent.

    :param target_group_arns: {target_group argument: ARN}, resolved and checked to exist.
    """
    out = {}
    if params.get("subnets") is not None or params.get("security_groups") is not None:
        out["networkConfiguration"] = {"awsvpcConfiguration": {
            "subnets": sorted(params.get("subnets") or []),
            "securityGroups": sorted(params.get("security_groups") or []),
            "assignPublicIp": "ENABLED" if params.get("assign_public_ip") else "DISABLED",
        }}
    if params.get("load_balancers") is not None:
        out["loadBalancers"] = sorted(
            ({"targetGroupArn": target_group_arns[lb["target_group"]], "containerName": lb["container_name"],
              "containerPort": lb["container_port"]} for lb in params["load_balancers"]),
            key=_lb_key)
    if params.get("service_registries") is not None:
        out["serviceRegistries"] = normalise_registries(
            [{"registryArn": r["registry_arn"], "containerName": r.get("container_name"),
              "containerPort": r.get("container_port"), "port": r.get("port")} for r in params["service_registries"]])
    if params.get("health_check_grace_period") is not None:
        out["healthCheckGracePeriodSeconds"] = params["health_check_grace_period"]
    deployment = deployment_configuration(params.get("deployment") or {})
    if deployment:
        out["deploymentConfiguration"] = deployment
    if params.get("capacity_provider_strategy") is not None:
        out["capacityProviderStrategy"] = normalise_strategy(
            [{"capacityProvider": s["capacity_provider"], "weight": s.get("weight"), "base": s.get("base")}
             for s in params["capacity_provider_strategy"]])
    if params.get("launch_type") is not None:
        out["launchType"] = params["launch_type"]
    if params.get("platform_version") is not None:
        out["platformVersion"] = params["platform_version"]
    if params.get("enable_execute_command") is not None:
        out["enableExecuteCommand"] = params["enable_execute_command"]
    if params.get("propagate_tags") is not None:
        out["propagateTags"] = params["propagate_tags"]
    return out


def deployment_configuration(args):
    """deploymentConfiguration from the ``deployment`` argument: only what was set."""
    out = {}
    if args.get("minimum_healthy_percent") is not None:
        out["minimumHealthyPercent"] = args["minimum_healthy_percent"]
    if args.get("maximum_percent") is not None:
        out["maximumPercent"] = args["maximum_percent"]
    breaker = args.get("circuit_breaker")
    if breaker is not None:
        out["deploymentCircuitBreaker"] = {"enable": bool(breaker.get("enable", True)),
                                           "rollback": bool(breaker.get("rollback", True))}
    alarms = args.get("alarms")
    if alarms is not None:
        out["alarms"] = {"alarmNames": sorted(alarms.get("names") or []),
                         "enable": bool(alarms.get("enable", True)), "rollback": bool(alarms.get("rollback", True))}
    if args.get("strategy") is not None:
        out["strategy"] = args["strategy"]
    if args.get("bake_time_minutes") is not None:
        out["bakeTimeInMinutes"] = args["bake_time_minutes"]
    return out


def validate_registries(registries):
    """ECS takes one Cloud Map service per service, by ARN. Raises ServicePlanError."""
    if len(registries or []) > 1:
        raise ServicePlanError(f"service_registries: ECS takes at most one service registry, {len(registries)} given")
    for registry in registries or []:
        if not REGISTRY_ARN.match(registry["registry_arn"]):
            raise ServicePlanError(f"service_registries: '{registry['registry_arn']}' is not a Cloud Map service ARN"
                                   f" (arn:aws:servicediscovery:<region>:<account>:service/srv-...)")
        if registry.get("port") is not None and registry.get("container_port") is not None:
            raise ServicePlanError("service_registries: give port or container_name/container_port, not both")


def normalise_registries(registries):
    """serviceRegistries without unset keys, in a stable order."""
    return sorted(({k: v for k, v in r.items() if v is not None} for r in registries or []),
                  key=lambda r: r.get("registryArn") or "")


def _lb_key(lb):
    return (lb.get("targetGroupArn") or "", lb.get("containerName") or "", lb.get("containerPort") or 0)


def normalise_strategy(strategy):
    return sorted(({"capacityProvider": s["capacityProvider"], "weight": s.get("weight") or 0,
                    "base": s.get("base") or 0} for s in strategy or []), key=lambda s: s["capacityProvider"])


def current_fields(service):
    """The same managed fields read from a described service, normalised as desired_service does."""
    out = {}
    awsvpc = (service.get("networkConfiguration") or {}).get("awsvpcConfiguration")
    if awsvpc:
        out["networkConfiguration"] = {"awsvpcConfiguration": {
            "subnets": sorted(awsvpc.get("subnets") or []),
            "securityGroups": sorted(awsvpc.get("securityGroups") or []),
            "assignPublicIp": awsvpc.get("assignPublicIp") or "DISABLED",
        }}
    out["loadBalancers"] = sorted(({"targetGroupArn": lb.get("targetGroupArn"), "containerName": lb.get("containerName"),
                                    "containerPort": lb.get("containerPort")}
                                   for lb in service.get("loadBalancers") or []), key=_lb_key)
    out["serviceRegistries"] = normalise_registries(service.get("serviceRegistries"))
    out["healthCheckGracePeriodSeconds"] = service.get("healthCheckGracePeriodSeconds") or 0
    out["deploymentConfiguration"] = copy.deepcopy(service.get("deploymentConfiguration") or {})
    if service.get("capacityProviderStrategy"):
        out["capacityProviderStrategy"] = normalise_strategy(service["capacityProviderStrategy"])
    if service.get("launchType"):
        out["launchType"] = service["launchType"]
    out["platformVersion"] = service.get("platformVersion") or "LATEST"
    out["enableExecuteCommand"] = bool(service.get("enableExecuteCommand"))
    out["propagateTags"] = service.get("propagateTags") or "NONE"
    return out


def _deployment_view(current, desired):
    """The sub-fields of the current deploymentConfiguration that the desired one sets, defaults filled in."""
    view = {}
    for key in desired:
        if key in DEPLOYMENT_DEFAULTS:
            view[key] = current.get(key, DEPLOYMENT_DEFAULTS[key])
        elif key == "deploymentCircuitBreaker":
            view[key] = dict(BREAKER_DEFAULT, **(current.get(key) or {}))
        elif key == "alarms":
            alarms = current.get(key) or {}
            view[key] = {"alarmNames": sorted(alarms.get("alarmNames") or []),
                         "enable": bool(alarms.get("enable")), "rollback": bool(alarms.get("rollback"))}
        elif key == "strategy":
            view[key] = current.get(key) or "ROLLING"
        else:
            view[key] = current.get(key)
    return view


def plan(current, desired, task_definition_arn, desired_count=None, desired_count_on_update="auto",
         desired_count_managed=False, force_new_deployment=False):
    """What to send: ``{"action": "create"|"update"|"none", "changes": {field: {"before", "after"}}, "request"}``.

    ``request`` holds the CreateService/UpdateService fields that change (cluster and name excluded).
    ``desired_count_managed`` (Application Auto Scaling owns it): with ``desired_count_on_update: auto``
    the count is then left alone.
    """
    if current is None or current.get("status") == "INACTIVE":
        request = dict(copy.deepcopy(desired), taskDefinition=task_definition_arn,
                       desiredCount=1 if desired_count is None else desired_count)
        changes = {k: {"before": None, "after": v} for k, v in request.items()}
        return {"action": "create", "changes": changes, "request": request}

    before = current_fields(current)
    changes, request = {}, {}
    if current.get("taskDefinition") != task_definition_arn:
        changes["taskDefinition"] = {"before": current.get("taskDefinition"), "after": task_definition_arn}
        request["taskDefinition"] = task_definition_arn
    for field, wanted in desired.items():
        if field == "deploymentConfiguration":
            have = _deployment_view(before.get(field) or {}, wanted)
            if have != wanted:
                changes[field] = {"before": have, "after": wanted}
                request[field] = dict(before.get(field) or {}, **wanted)
            continue
        have = before.get(field)
        if have != wanted:
            changes[field] = {"before": have, "after": wanted}
            request[field] = wanted
    if "launchType" in changes and before.get("capacityProviderStrategy"):
        raise ServicePlanError(
            f"service uses capacity provider strategy {before['capacityProviderStrategy']}; ECS cannot switch an "
            f"existing service to launch_type {desired['launchType']}: give a capacity_provider_strategy with "
            f"FARGATE instead")
    request.pop("launchType", None)  # UpdateService has no launchType; the check above covers a real change
    changes.pop("launchType", None)
    if "capacityProviderStrategy" in changes and not before.get("capacityProviderStrategy"):
        request["forceNewDeployment"] = True  # launch type -> capacity provider strategy needs a new deployment
    if desired_count is not None and desired_count != current.get("desiredCount"):
        if desired_count_on_update == "always" or (desired_count_on_update == "auto" and not desired_count_managed):
            changes["desiredCount"] = {"before": current.get("desiredCount"), "after": desired_count}
            request["desiredCount"] = desired_count
    if force_new_deployment:
        request["forceNewDeployment"] = True
        changes.setdefault("forceNewDeployment", {"before": False, "after": True})
    return {"action": "update" if request else "none", "changes": changes, "request": request}


def starts_deployment(request):
    return any(k in request for k in DEPLOYING_FIELDS) or bool(request.get("forceNewDeployment"))


def tag_plan(current_tags, desired_tags, purge):
    """``{"add": {k: v}, "remove": [k]}`` for the service's tags; desired None leaves tags alone."""
    if desired_tags is None:
        return {"add": {}, "remove": []}
    current_tags = current_tags or {}
    add = {k: str(v) for k, v in desired_tags.items() if current_tags.get(k) != str(v)}
    remove = sorted(k for k in current_tags if k not in desired_tags and not k.startswith("aws:")) if purge else []
    return {"add": add, "remove": remove}


def tags_dict(tag_list):
    return {t["key"]: t["value"] for t in tag_list or []}


# --- Fargate Spot -> FARGATE fallback ------------------------------------------------------

SPOT = "FARGATE_SPOT"


def spot_fallback(strategy, spot_unavailable, deployment):
    """The FARGATE-only strategy to switch to when Fargate Spot cannot place the deployment's tasks, or None.

    ECS has no fallback of its own: unplaceable Spot tasks are retried for ever, the circuit breaker does
    not count them, and the deployment stays IN_PROGRESS until the wait times out. Fall back when

    - ``strategy`` (the deployment's capacity provider strategy) places tasks on FARGATE_SPOT,
    - ``spot_unavailable``: ECS wrote "was unable to place a task. Reason: Capacity is unavailable at this
      time" since the deployment started, and
    - ``deployment`` (as DescribeServices lists it) still runs fewer tasks than it wants and has not ended.

    The new strategy puts every task on FARGATE: bases add up, weights add up (at least 1).
    """
    strategy = normalise_strategy(strategy)
    if not spot_unavailable or not deployment or not any(s["capacityProvider"] == SPOT for s in strategy):
        return None
    if deployment.get("rolloutState") in ("COMPLETED", "FAILED"):
        return None
    if (deployment.get("runningCount") or 0) >= (deployment.get("desiredCount") or 0):
        return None
    return [{"capacityProvider": "FARGATE", "base": sum(s["base"] for s in strategy),
             "weight": max(1, sum(s["weight"] for s in strategy))}]
