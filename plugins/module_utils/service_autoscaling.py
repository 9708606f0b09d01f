# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""fargate_service_autoscaling: validate, normalise, compare and plan (pure), then read, apply, report.

What the module owns on a service's scalable target (``service/<cluster>/<service>``):

- the target's MinCapacity and MaxCapacity (with ``state: present``);
- the target tracking policies with fixed names, ``ecsops-cpu`` (ECSServiceAverageCPUUtilization),
  ``ecsops-memory`` (ECSServiceAverageMemoryUtilization) and ``ecsops-requests``
  (ALBRequestCountPerTarget). Every other policy and scheduled action on the target (scale_to_zero's
  ``ecsops-s2z-*``, hand-made ones) is someone else's: listed in the result, never changed.

A run that changes nothing reads the scalable target and its policies (two calls), plus the target
group when request count tracking is asked for (three). The ECS service is described only when
something is about to change (so a missing service is a clear error before any write), and scheduled
actions only by ``state: absent`` when it is about to deregister the target.
"""

from __future__ import annotations

import copy
import functools

from ansible_collections.ecsops.fargate.plugins.module_utils import autoscaling
from ansible_collections.ecsops.fargate.plugins.module_utils import elbv2
from ansible_collections.ecsops.fargate.plugins.module_utils._ecs import api as ecs_api
from ansible_collections.ecsops.fargate.plugins.module_utils.api import EcsopsAWSError

TARGET_TRACKING = "TargetTrackingScaling"

# option -> (policy name, predefined metric)
POLICIES = {
    "cpu": ("ecsops-cpu", "ECSServiceAverageCPUUtilization"),
    "memory": ("ecsops-memory", "ECSServiceAverageMemoryUtilization"),
    "requests": ("ecsops-requests", "ALBRequestCountPerTarget"),
}
OUR_POLICIES = tuple(name for name, _metric in POLICIES.values())
SCALE_TO_ZERO_PREFIX = "ecsops-s2z-"

# Application Auto Scaling's default cooldown for ECS services, used when a policy read back has none.
AWS_DEFAULT_COOLDOWN = 300
MAX_COOLDOWN = 31536000  # one year, the API's documented maximum
MAX_CAPACITY = 1000000000  # RegisterScalableTarget's documented maximum


class AutoscalingInputError(Exception):
    """Bad input, found before any write."""


# --- input -------------------------------------------------------------------------------------

def options():
    """The argument spec of the scaling itself (fargate_service_autoscaling's options without state, cluster
    and service; fargate_service_rollout's ``autoscaling``)."""
    return dict(
        min_capacity=dict(type="int"),
        max_capacity=dict(type="int"),
        cpu_target=dict(type="float"),
        memory_target=dict(type="float"),
        request_count_target=dict(type="float"),
        target_group=dict(type="str"),
        scale_out_cooldown=dict(type="int", default=120),
        scale_in_cooldown=dict(type="int", default=300),
        disable_scale_in=dict(type="bool", default=False),
    )


def validate(params):
    """Every check that needs no AWS call; returns the resource id. Raises AutoscalingInputError."""
    try:
        resource_id = autoscaling.service_resource_id(params["cluster"], params["service"])
    except ValueError as e:
        raise AutoscalingInputError(str(e)) from None
    if params.get("state", "present") == "absent":
        return resource_id
    minimum, maximum = params.get("min_capacity"), params.get("max_capacity")
    if minimum is None or maximum is None:
        raise AutoscalingInputError("state=present needs min_capacity and max_capacity")
    for key, value in (("min_capacity", minimum), ("max_capacity", maximum)):
        if value < 0:
            raise AutoscalingInputError(f"{key} must be 0 or more, not {value}")
        if value > MAX_CAPACITY:
            raise AutoscalingInputError(f"{key} must be at most {MAX_CAPACITY}, not {value}")
    if minimum > maximum:
        raise AutoscalingInputError(f"min_capacity {minimum} is above max_capacity {maximum}")
    for key in ("cpu_target", "memory_target"):
        value = params.get(key)
        if value is not None and not 0 < value <= 100:
            raise AutoscalingInputError(f"{key} is a utilisation in percent: above 0 and at most 100, not {value}")
    requests = params.get("request_count_target")
    if requests is not None and requests <= 0:
        raise AutoscalingInputError(f"request_count_target must be above 0, not {requests}")
    if (requests is None) != (not params.get("target_group")):
        raise AutoscalingInputError("request_count_target and target_group go together: the requests per target "
                                    "are counted on that target group")
    for key in ("scale_out_cooldown", "scale_in_cooldown"):
        value = params.get(key)
        if value is not None and not 0 <= value <= MAX_COOLDOWN:
            raise AutoscalingInputError(f"{key} must be between 0 and {MAX_COOLDOWN} seconds, not {value}")
    return resource_id


def is_target_group_arn(value):
    return isinstance(value, str) and value.startswith("arn:") and ":targetgroup/" in value


# --- desired and current state (normalised, snake_case) ----------------------------------------

def desired_policies(params, resource_label=None):
    """{policy name: normalised config} for the policies asked for (state present)."""
    wanted = {}
    targets = {"cpu": params.get("cpu_target"), "memory": params.get("memory_target"),
               "requests": params.get("request_count_target")}
    for option, value in targets.items():
        if value is None:
            continue
        name, metric = POLICIES[option]
        wanted[name] = {
            "metric": metric,
            "target_value": float(value),
            "resource_label": resource_label if option == "requests" else None,
            "scale_out_cooldown": int(params["scale_out_cooldown"]),
            "scale_in_cooldown": int(params["scale_in_cooldown"]),
            "disable_scale_in": bool(params.get("disable_scale_in")),
        }
    return wanted


def normalise_policy(policy):
    """A policy as DescribeScalingPolicies returns it -> the normalised config compared with the wanted one.

    Step scaling policies (and target tracking on customised metrics) normalise to a config with
    ``metric`` None, so they never compare equal to ours and are replaced.
    """
    if policy.get("PolicyType") != TARGET_TRACKING:
        return {"policy_type": policy.get("PolicyType"), "metric": None}
    config = policy.get("TargetTrackingScalingPolicyConfiguration") or {}
    predefined = config.get("PredefinedMetricSpecification") or {}
    return {
        "metric": predefined.get("PredefinedMetricType"),
        "target_value": float(config["TargetValue"]) if config.get("TargetValue") is not None else None,
        "resource_label": predefined.get("ResourceLabel") or None,
        "scale_out_cooldown": int(config.get("ScaleOutCooldown", AWS_DEFAULT_COOLDOWN)),
        "scale_in_cooldown": int(config.get("ScaleInCooldown", AWS_DEFAULT_COOLDOWN)),
        "disable_scale_in": bool(config.get("DisableScaleIn", False)),
    }


def policy_configuration(config):
    """The normalised config -> TargetTrackingScalingPolicyConfiguration for PutScalingPolicy."""
    predefined = {"PredefinedMetricType": config["metric"]}
    if config.get("resource_label"):
        predefined["ResourceLabel"] = config["resource_label"]
    return {
        "TargetValue": float(config["target_value"]),
        "PredefinedMetricSpecification": predefined,
        "ScaleOutCooldown": int(config["scale_out_cooldown"]),
        "ScaleInCooldown": int(config["scale_in_cooldown"]),
        "DisableScaleIn": bool(config["disable_scale_in"]),
    }


def current_target(target):
    if target is None:
        return None
    return {"min_capacity": target["MinCapacity"], "max_capacity": target["MaxCapacity"]}


def split_policies(policies):
    """(ours {name: policy}, others [names]) from DescribeScalingPolicies."""
    ours = {p["PolicyName"]: p for p in policies if p["PolicyName"] in OUR_POLICIES}
    others = sorted(p["PolicyName"] for p in policies if p["PolicyName"] not in OUR_POLICIES)
    return ours, others


# --- plan ----------------------------------------------------------------------------------------

def plan(params, target, ours, wanted):
    """The steps that take the current state to the wanted one.

    :param target: current_target(...) (None when not registered).
    :param ours: {name: normalised config} of our policies that exist.
    :param wanted: desired_policies(...) ({} for state absent).
    Returns a list of steps: {"action": "register_target", "min_capacity", "max_capacity"},
    {"action": "put_policy", "name", "config", "replace": bool}, {"action": "delete_policy", "name"},
    and for state absent {"action": "deregister_target"} (decided later, see removal_tail).
    """
    steps = []
    if params.get("state", "present") == "absent":
        for name in sorted(ours):
            steps.append({"action": "delete_policy", "name": name})
        return steps
    limits = {"min_capacity": params["min_capacity"], "max_capacity": params["max_capacity"]}
    if target != limits:
        steps.append(dict(limits, action="register_target"))
    for name in sorted(wanted):
        current = ours.get(name)
        if current != wanted[name]:
            # A policy of another type (or metric) under our name is deleted first: PutScalingPolicy
            # cannot turn a step scaling policy into a target tracking one.
            replace = current is not None and (current.get("policy_type") is not None
                                               or current.get("metric") != wanted[name]["metric"])
            steps.append({"action": "put_policy", "name": name, "config": wanted[name], "replace": replace})
    for name in sorted(ours):
        if name not in wanted:
            steps.append({"action": "delete_policy", "name": name})
    return steps


def may_deregister(other_policies, scheduled_actions):
    """state absent: the target goes only when nothing but our policies used it."""
    return not other_policies and not scheduled_actions


def after_state(target, ours, steps):
    """(target, {name: config}) once the steps have run."""
    after_target = copy.deepcopy(target)
    after_policies = copy.deepcopy(ours)
    for step in steps:
        if step["action"] == "register_target":
            after_target = {"min_capacity": step["min_capacity"], "max_capacity": step["max_capacity"]}
        elif step["action"] == "deregister_target":
            after_target = None
        elif step["action"] == "put_policy":
            after_policies[step["name"]] = copy.deepcopy(step["config"])
        elif step["action"] == "delete_policy":
            after_policies.pop(step["name"], None)
    return after_target, after_policies


def describe_step(step, resource_id):
    action = step["action"]
    if action == "register_target":
        return (f"register scalable target {resource_id} (min_capacity={step['min_capacity']}, "
                f"max_capacity={step['max_capacity']})")
    if action == "deregister_target":
        return f"deregister scalable target {resource_id}"
    if action == "delete_policy":
        return f"delete scaling policy {step['name']}"
    config = step["config"]
    verb = "replace" if step.get("replace") else "put"
    return (f"{verb} target tracking policy {step['name']} ({config['metric']} target {config['target_value']:g}, "
            f"out {config['scale_out_cooldown']} s, in {config['scale_in_cooldown']} s"
            f"{', no scale-in' if config['disable_scale_in'] else ''})")


def state_view(target, policies):
    return {"scalable_target": target, "policies": {name: policies[name] for name in sorted(policies)}}


def coexistence_warnings(params, other_policies):
    """scale_to_zero sets MinCapacity 0; a min_capacity above 0 here would undo it on every run."""
    if params.get("state", "present") != "present" or not params.get("min_capacity"):
        return []
    s2z = [name for name in other_policies if name.startswith(SCALE_TO_ZERO_PREFIX)]
    if not s2z:
        return []
    return [f"scale_to_zero policies {s2z} are on this service, which parks it with MinCapacity 0: "
            f"min_capacity {params['min_capacity']} here undoes that on every run (and scale_to_zero undoes "
            f"this). Pass min_capacity 0 for a service that also scales to zero."]


# --- runner --------------------------------------------------------------------------------------

class ServiceAutoscaling:
    """One invocation of fargate_service_autoscaling. ``clients`` maps a boto3 service name to a client."""

    def __init__(self, params, clients, check_mode=False, warn=None, service_exists=False):
        self.params = params
        self.client = functools.cache(clients)  # one client per AWS service for the run
        self.check_mode = check_mode
        self.warn = warn or (lambda msg: None)
        self.service_exists = service_exists  # the rollout has just described or created it

    @property
    def aas(self):
        return self.client("application-autoscaling")

    # --- read ------------------------------------------------------------------------------------

    def resolve_resource_label(self):
        """ALBRequestCountPerTarget's ResourceLabel from the target group (name or ARN): one describe."""
        target_group = self.params["target_group"]
        if is_target_group_arn(target_group):
            groups = elbv2.describe_target_groups(self.client("elbv2"), arns=[target_group])
        else:
            if ":" in target_group or "/" in target_group:
                raise AutoscalingInputError(f"target_group '{target_group}' is neither a target group name nor "
                                            "a target group ARN (arn:aws:elasticloadbalancing:...:targetgroup/...)")
            groups = elbv2.describe_target_groups(self.client("elbv2"), names=[target_group])
        if not groups:
            raise AutoscalingInputError(f"target group '{target_group}' does not exist")
        group = groups[0]
        balancers = group.get("LoadBalancerArns") or []
        if not balancers:
            raise AutoscalingInputError(f"target group '{target_group}' is not attached to a load balancer: "
                                        "ALBRequestCountPerTarget counts the requests a load balancer sends it")
        if len(balancers) > 1:
            raise AutoscalingInputError(f"target group '{target_group}' is attached to {len(balancers)} load "
                                        "balancers; ALBRequestCountPerTarget needs exactly one")
        self.target_group_arn = group["TargetGroupArn"]
        return elbv2.target_group_resource_label(balancers[0], group["TargetGroupArn"])

    def check_service(self):
        """A clear error before any write when the cluster or service is missing."""
        cluster, service = self.resource_id.split("/", 2)[1:]
        try:
            found = ecs_api.describe_service(self.client("ecs"), cluster, service)
        except EcsopsAWSError as e:
            if e.code == "ClusterNotFoundException":
                raise AutoscalingInputError(f"cluster '{cluster}' does not exist") from None
            raise
        if found is None:
            raise AutoscalingInputError(f"ECS service '{service}' does not exist in cluster '{cluster}' (or is INACTIVE)")
        if found.get("status") != "ACTIVE":
            raise AutoscalingInputError(f"ECS service '{service}' is {found.get('status')}, not ACTIVE")
        if self.target_group_arn is not None:
            attached = [lb.get("targetGroupArn") for lb in found.get("loadBalancers") or []]
            if self.target_group_arn not in attached:
                self.warn(f"target group {self.target_group_arn} is not one of service {service}'s load balancer "
                          "target groups: its request count per target does not follow this service's tasks")
        return found

    # --- run -------------------------------------------------------------------------------------

    def run(self):
        self.resource_id = validate(self.params)
        self.target_group_arn = None
        absent = self.params.get("state") == "absent"
        label = None
        if not absent and self.params.get("request_count_target") is not None:
            label = self.resolve_resource_label()
        raw_target = autoscaling.describe_scalable_target(self.aas, self.resource_id)
        policies = autoscaling.describe_scaling_policies(self.aas, self.resource_id) if raw_target else []
        ours_raw, others = split_policies(policies)
        target = current_target(raw_target)
        ours = {name: normalise_policy(p) for name, p in ours_raw.items()}
        wanted = {} if absent else desired_policies(self.params, label)

        steps = plan(self.params, target, ours, wanted)
        actions_left = None
        if absent and target is not None:
            actions_left = autoscaling.describe_scheduled_actions(self.aas, self.resource_id)
            if may_deregister(others, actions_left):
                steps.append({"action": "deregister_target"})
            elif steps:
                kept = others + [a["ScheduledActionName"] for a in actions_left]
                self.warn(f"scalable target {self.resource_id} is kept: other policies or scheduled actions use it "
                          f"({', '.join(sorted(kept))})")
        for message in coexistence_warnings(self.params, others):
            self.warn(message)

        if steps and not absent and not self.service_exists:
            self.check_service()

        responses = {}
        if steps and not self.check_mode:
            for step in steps:
                response = getattr(self, "_" + step["action"])(step)
                if response is not None:
                    responses[step["name"]] = response

        after_target, after_policies = after_state(target, ours, steps)
        return self.result(target, ours, after_target, after_policies, ours_raw, responses, others, steps)

    # --- apply -----------------------------------------------------------------------------------

    def _register_target(self, step):
        autoscaling.register_scalable_target(self.aas, self.resource_id, step["min_capacity"], step["max_capacity"])

    def _deregister_target(self, step):
        autoscaling.deregister_scalable_target(self.aas, self.resource_id)

    def _put_policy(self, step):
        if step.get("replace"):
            autoscaling.delete_scaling_policy(self.aas, self.resource_id, step["name"])
        return autoscaling.put_scaling_policy(self.aas, self.resource_id, step["name"], TARGET_TRACKING,
                                              policy_configuration(step["config"]))

    def _delete_policy(self, step):
        autoscaling.delete_scaling_policy(self.aas, self.resource_id, step["name"])

    # --- report ----------------------------------------------------------------------------------

    def result(self, target, ours, after_target, after_policies, ours_raw, responses, others, steps):
        policies = {}
        for name in sorted(after_policies):
            view = dict(after_policies[name])
            raw = ours_raw.get(name) or {}
            response = responses.get(name) or {}
            view["policy_arn"] = response.get("PolicyARN") or raw.get("PolicyARN")
            alarms = response.get("Alarms") if response else raw.get("Alarms")
            view["alarms"] = sorted(a["AlarmName"] for a in alarms or [])
            policies[name] = view
        return {
            "changed": bool(steps),
            "resource_id": self.resource_id,
            "scalable_target": after_target,
            "policies": policies,
            "other_policies": others,
            "actions": [describe_step(s, self.resource_id) for s in steps],
            "diff": {"before": state_view(target, ours), "after": state_view(after_target, after_policies)},
        }


def run_module(module):
    """fargate_service_autoscaling's body: the result dict (raises AutoscalingInputError, EcsopsAWSError)."""
    return ServiceAutoscaling(module.params, module.client, check_mode=module.check_mode, warn=module.warn).run()
