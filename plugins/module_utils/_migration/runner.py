# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The migration's runners: read, decide (pure functions in discover.py, cutover.py, cleanup.py), write.

- discover(): ec2_app_info, read-only.
- TrafficShift: alb_traffic_shift - steps with a bake each, checked against target health and CloudWatch;
  a breach puts 100 % back on EC2; a rollback is one modify call.
- Cleanup: ec2_app_cleanup - guards first, then the ASG to 0, the ASG, its launch template, the security
  groups only the app used, the instance profile and its role.
"""

from __future__ import annotations

import datetime
import functools
import time

from ansible_collections.ecsops.fargate.plugins.module_utils import cloudwatch
from ansible_collections.ecsops.fargate.plugins.module_utils import elbv2
from ansible_collections.ecsops.fargate.plugins.module_utils import iam
from ansible_collections.ecsops.fargate.plugins.module_utils import network
from ansible_collections.ecsops.fargate.plugins.module_utils._migration import api
from ansible_collections.ecsops.fargate.plugins.module_utils._migration import cleanup as c
from ansible_collections.ecsops.fargate.plugins.module_utils._migration import cutover as cut
from ansible_collections.ecsops.fargate.plugins.module_utils._migration.discover import starting_inventory
from ansible_collections.ecsops.fargate.plugins.module_utils.api import EcsopsAWSError


class MigrationError(ValueError):
    """Input or state that stops the migration step before any write; reported with fail_json."""


def _utc(clock):
    return datetime.datetime.fromtimestamp(clock(), datetime.timezone.utc)


# == discovery ===============================================================================================

def discover(params, clients):
    try:
        c.validate_discovery_input(params)
    except c.InputError as error:
        raise MigrationError(str(error)) from error
    client = functools.cache(clients)
    asg = api.describe_auto_scaling_group(client("autoscaling"), params["asg_name"])
    if asg is None:
        raise MigrationError(f"Auto Scaling group {params['asg_name']!r} not found")
    template = asg.get("LaunchTemplate") or asg.get("MixedInstancesPolicy", {}).get(
        "LaunchTemplate", {}).get("LaunchTemplateSpecification")
    if not template:
        raise MigrationError(f"Auto Scaling group {params['asg_name']!r} has no launch template (a launch configuration "
                             "cannot be read for user data here): migrate it to a launch template first")
    version = api.describe_launch_template_version(
        client("ec2"), template.get("LaunchTemplateId"), template.get("LaunchTemplateName"),
        template.get("Version") or "$Default")
    if version is None:
        raise MigrationError(f"launch template {template.get('LaunchTemplateId') or template.get('LaunchTemplateName')} not found")

    target_group_arn = params.get("target_group_arn")
    if not target_group_arn:
        if len(asg.get("TargetGroupARNs") or []) != 1:
            raise MigrationError(f"the group registers into {len(asg.get('TargetGroupARNs') or [])} target groups: "
                                 "name the one the app is served from with target_group_arn")
        target_group_arn = asg["TargetGroupARNs"][0]
    groups = elbv2.describe_target_groups(client("elbv2"), arns=[target_group_arn])
    if not groups:
        raise MigrationError(f"target group {target_group_arn} not found")
    target_group = groups[0]
    rule = _serving_rule(client("elbv2"), target_group, params.get("rule_arn"))

    parameters = []
    if params.get("ssm_path"):
        described = api.describe_parameters(client("ssm"), params["ssm_path"])
        plain = [p["Name"] for p in described if p.get("Type") != "SecureString"]
        # values only for plain parameters: a SecureString's value is never fetched, not even encrypted
        values = {p["Name"]: p.get("Value") for p in api.get_plain_parameters(client("ssm"), plain)} if plain else {}
        for meta in described:
            entry = {"Name": meta["Name"], "Type": meta.get("Type"), "ARN": meta.get("ARN")}
            if meta["Name"] in values:
                entry["Value"] = values[meta["Name"]]
            parameters.append(entry)

    inventory = starting_inventory(asg, version, target_group, rule, parameters)
    ids = inventory["recorded_ids"]
    ids.update({
        "launch_template_version": str(version.get("VersionNumber")),
        "instance_ids": sorted(i["InstanceId"] for i in asg.get("Instances") or []),
        "listener_arn": rule.get("RuleArn") and cut.listener_of_rule(rule["RuleArn"]),
        "load_balancer_arns": list(target_group.get("LoadBalancerArns") or []),
        "instance_type": version.get("LaunchTemplateData", {}).get("InstanceType"),
        "vpc_id": target_group.get("VpcId"),
        "subnet_ids": sorted(s for s in (asg.get("VPCZoneIdentifier") or "").split(",") if s),
    })
    profile_name = c.profile_name_of(ids.get("instance_profile"))
    profile = api.get_instance_profile(client("iam"), profile_name) if profile_name else None
    # the roles behind the profile: cleanup deletes a role only if discovery saw it there
    ids["instance_roles"] = sorted(role["RoleName"] for role in (profile or {}).get("Roles") or [])
    inventory["service"]["subnets"] = ids["subnet_ids"]
    return {"changed": False, "inventory": inventory, "service": inventory["service"],
            "not_inferred": inventory["not_inferred"], "recorded_ids": ids}


def _serving_rule(client, target_group, rule_arn):
    if rule_arn:
        rules = elbv2.describe_rules(client, rule_arns=[rule_arn])
        if not rules:
            raise MigrationError(f"listener rule {rule_arn} not found")
        return rules[0]
    found = []
    for balancer in target_group.get("LoadBalancerArns") or []:
        for listener in elbv2.describe_listeners(client, balancer):
            for rule in elbv2.describe_rules(client, listener_arn=listener["ListenerArn"]):
                for action in rule.get("Actions") or []:
                    arns = [action.get("TargetGroupArn")] + [g["TargetGroupArn"] for g in
                                                             (action.get("ForwardConfig") or {}).get("TargetGroups") or []]
                    if action.get("Type") == "forward" and target_group["TargetGroupArn"] in arns:
                        found.append(rule)
                        break
    if len(found) != 1:
        raise MigrationError(f"{len(found)} listener rules forward to {target_group['TargetGroupName']}: "
                             "name the one that serves the app with rule_arn")
    return found[0]


# == the traffic shift =======================================================================================

class TrafficShift:
    """Steps the rule's weighted forward from EC2 to Fargate, or rolls it back in one step."""

    def __init__(self, params, clients, check_mode=False, sleep=time.sleep, clock=time.time):
        self.params = params
        self.client = functools.cache(clients)
        self.check_mode = check_mode
        self.sleep = sleep
        self.clock = clock
        self.ec2_tg = params["ec2_target_group_arn"]
        self.fargate_tg = params["fargate_target_group_arn"]
        self.rule_arn = params["rule_arn"]

    def _validate(self):
        try:
            self.lb_dimension = cut.load_balancer_dimension_of_rule(self.rule_arn)
            cut.weights(0, self.ec2_tg, self.fargate_tg)
            self.sticky = cut.stickiness(self.params.get("stickiness_seconds"))
            if self.params["state"] == "cutover":
                self.steps = cut.validate_steps(self.params["steps"])
            cut.breach([], 0, 0, self.params["max_error_rate"], self.params["min_healthy"])
        except cut.CutoverInputError as error:
            raise MigrationError(str(error)) from error
        for key in ("bake_seconds", "check_interval"):
            if self.params[key] < 0:
                raise MigrationError(f"{key} is {self.params[key]}: it cannot be negative")

    def _read_rule(self):
        rules = elbv2.describe_rules(self.client("elbv2"), rule_arns=[self.rule_arn])
        if not rules:
            raise MigrationError(f"listener rule {self.rule_arn} not found")
        self.rule = rules[0]
        try:
            return cut.current_split(self.rule.get("Actions"), self.ec2_tg, self.fargate_tg)
        except cut.CutoverInputError as error:
            raise MigrationError(str(error)) from error

    def _set(self, percent):
        actions = cut.with_forward(self.rule.get("Actions"), cut.forward_action(
            percent, self.ec2_tg, self.fargate_tg, self.params.get("stickiness_seconds")))
        if self.rule.get("IsDefault"):
            # ModifyRule cannot change the default rule's actions; ModifyListener can
            elbv2.modify_listener(self.client("elbv2"), ListenerArn=cut.listener_of_rule(self.rule_arn), DefaultActions=actions)
        else:
            self.rule = elbv2.modify_rule(self.client("elbv2"), self.rule_arn, actions=actions)

    def run(self):
        self._validate()
        before_percent, before_sticky = self._read_rule()
        before = {"fargate_percent": before_percent, "ec2_percent": 100 - before_percent, "stickiness": before_sticky}
        result = {"changed": False, "rule_arn": self.rule_arn, "steps": [], "rollback": None, "failed": False}
        if self.params["state"] == "rollback":
            target_steps = [0] if (before_percent, before_sticky) != (0, self.sticky) else []
        else:
            target_steps = cut.remaining_steps(self.steps, before_percent)
            if not target_steps and before_sticky != self.sticky:
                target_steps = [100]  # already all on Fargate: only the stickiness moves
        after_percent = target_steps[-1] if target_steps else before_percent
        after = {"fargate_percent": after_percent, "ec2_percent": 100 - after_percent,
                 "stickiness": self.sticky if target_steps else before_sticky}
        result.update(changed=bool(target_steps), planned_steps=target_steps, before=before, after=after,
                      diff={"before": before, "after": after})
        if self.check_mode or not target_steps:
            result["fargate_percent"] = before_percent if self.check_mode else after_percent
            return result
        if self.params["state"] == "rollback":
            result["rollback"] = self._rollback("requested")
            result["fargate_percent"] = 0
            return result
        for percent in target_steps:
            evidence = self._step(percent)
            result["steps"].append(evidence)
            if evidence.get("breach"):
                result["rollback"] = self._rollback("breach")
                result.update(failed=True, fargate_percent=0, after={"fargate_percent": 0, "ec2_percent": 100, "stickiness": self.sticky},
                              evidence=evidence["breach"],
                              msg=(f"cutover stopped at {percent} % on Fargate and rolled back to EC2 in "
                                   f"{result['rollback']['seconds']} s: " + "; ".join(evidence["breach"]["reasons"])))
                result["diff"]["after"] = result["after"]
                return result
        result["fargate_percent"] = 100
        result["completed_at"] = _utc(self.clock).isoformat()
        return result

    def _rollback(self, reason):
        started = self.clock()
        self._set(0)
        seconds = round(self.clock() - started, 3)
        return {"reason": reason, "seconds": seconds, "at": _utc(self.clock).isoformat()}

    def _step(self, percent):
        started = self.clock()
        self._set(percent)
        evidence = {"fargate_percent": percent, "started_at": _utc(lambda: started).isoformat(), "checks": 0}
        # the first check right after the switch, then every check_interval until the bake time is over
        while True:
            checked = self._check(started)
            evidence.update(checked)
            evidence["checks"] += 1
            if checked["breach"] or self.clock() - started >= self.params["bake_seconds"]:
                break
            self.sleep(min(self.params["check_interval"], max(0.0, self.params["bake_seconds"] - (self.clock() - started))))
        evidence["ended_at"] = _utc(self.clock).isoformat()
        evidence["seconds"] = round(self.clock() - started, 3)
        return evidence

    def _check(self, since):
        health = elbv2.describe_target_health(self.client("elbv2"), self.fargate_tg)
        requests = self._metric("RequestCount", since)
        errors = self._metric("HTTPCode_Target_5XX_Count", since)
        decision = cut.breach(health, requests, errors, self.params["max_error_rate"], self.params["min_healthy"])
        states = {}
        for description in health:
            state = description.get("TargetHealth", {}).get("State", "unknown")
            states[state] = states.get(state, 0) + 1
        return {"healthy": states.get("healthy", 0), "target_states": states, "requests": int(requests or 0),
                "errors_5xx": int(errors or 0), "breach": decision}

    def _metric(self, name, since):
        # one-minute metrics: the window starts at the minute the step began, so it may hold some requests of
        # the step before; that only dilutes an error rate, and target health is checked on its own
        start = datetime.datetime.fromtimestamp(since // 60 * 60, datetime.timezone.utc)
        end = _utc(self.clock) + datetime.timedelta(minutes=1)
        points = cloudwatch.get_metric_statistics(
            self.client("cloudwatch"), Namespace="AWS/ApplicationELB", MetricName=name, Statistics=["Sum"],
            Period=60, StartTime=start, EndTime=end,
            Dimensions=[{"Name": "TargetGroup", "Value": cut.target_group_dimension(self.fargate_tg)},
                        {"Name": "LoadBalancer", "Value": self.lb_dimension}])
        total = cut.metric_sum(points)
        return None if total is None else int(total)  # counts: 6, not 6.0, in the evidence


# == cleanup =================================================================================================

class Cleanup:
    """Guards, then what goes: the ASG (scaled to 0 first), its launch template, the app-only security groups,
    the instance profile and its role. Everything else the app touched stays."""

    def __init__(self, params, clients, check_mode=False, sleep=time.sleep, clock=time.time):
        self.params = params
        self.client = functools.cache(clients)
        self.check_mode = check_mode
        self.sleep = sleep
        self.clock = clock
        self.ids = dict(params["recorded_ids"] or {})

    def run(self):
        ids = self.ids
        try:
            c.validate_cleanup_input(ids, self.params["fargate_target_group_arn"], self.params["bake_seconds"])
        except c.InputError as error:
            raise MigrationError(str(error)) from error
        percent = None
        if ids.get("rule_arn") and ids.get("target_group_arn"):
            rules = elbv2.describe_rules(self.client("elbv2"), rule_arns=[ids["rule_arn"]])
            if not rules:
                raise MigrationError(f"listener rule {ids['rule_arn']} not found: cannot prove the cutover is complete")
            try:
                percent = cut.current_split(rules[0].get("Actions"), ids["target_group_arn"],
                                            self.params["fargate_target_group_arn"])[0]
            except cut.CutoverInputError as error:
                raise MigrationError(str(error)) from error
        try:
            # check mode writes nothing: it lists what would go without the confirmation
            c.check_guards(self.params["confirm"] or self.check_mode, ids, percent, self.params.get("cutover_completed_at"),
                           self.params["bake_seconds"], _utc(self.clock))
            group = c.check_group_matches(ids, api.describe_auto_scaling_group(self.client("autoscaling"), ids["asg_name"]))
        except c.CleanupRefused as error:
            raise MigrationError(str(error)) from error

        plan, kept = self._plan(group)
        result = {"changed": bool(plan), "deleted": [f"{step['kind']} {step['id']}" for step in plan], "kept": kept,
                  "diff": {"before": {"resources": [f"{s['kind']} {s['id']}" for s in plan]}, "after": {"resources": []}}}
        if self.check_mode or not plan:
            return result
        for step in plan:
            getattr(self, "_delete_" + step["kind"].replace(" ", "_"))(step)
        return result

    def _plan(self, group):
        ids, plan, kept = self.ids, [], []
        if group is not None:
            if group.get("DesiredCapacity") or group.get("Instances"):
                plan.append({"kind": "scale to zero", "id": ids["asg_name"]})
            plan.append({"kind": "auto scaling group", "id": ids["asg_name"]})
        app_instances = set(ids.get("instance_ids") or []) | {i["InstanceId"] for i in (group or {}).get("Instances") or []}
        ec2 = self.client("ec2")
        templates = {t["LaunchTemplateId"]: t for t in api.describe_launch_templates(ec2)}
        if ids["launch_template_id"] in templates:
            plan.append({"kind": "launch template", "id": ids["launch_template_id"]})
        # one group per call: AWS fails the whole call when one of several ids is gone
        existing = {g["GroupId"] for group_id in ids.get("security_group_ids") or []
                    for g in network.describe_security_groups(ec2, group_ids=[group_id])}
        for group_id in sorted(existing):
            referencing = network.describe_security_groups(ec2, filters={"ip-permission.group-id": group_id})
            other_templates = self._templates_using(ec2, group_id, set(templates) - {ids["launch_template_id"]})
            ok, why = c.security_group_verdict(group_id, api.network_interfaces_of_group(ec2, group_id), app_instances,
                                               referencing, other_templates)
            if ok:
                plan.append({"kind": "security group", "id": group_id})
            else:
                kept.append(why)
        profile_name = c.profile_name_of(ids.get("instance_profile"))
        if profile_name:
            profile = api.get_instance_profile(self.client("iam"), profile_name)
            if profile is not None:
                roles = [role["RoleName"] for role in profile.get("Roles") or []]
                plan.append({"kind": "instance profile", "id": profile_name, "roles": roles})
                for role in roles:
                    if role not in (ids.get("instance_roles") or []):
                        kept.append(f"role {role} was not behind the instance profile at discovery")
                        continue
                    ok, why = c.role_verdict(role, api.instance_profiles_for_role(self.client("iam"), role), profile_name)
                    if ok:
                        plan.append({"kind": "role", "id": role})
                    else:
                        kept.append(why)
        return plan, kept

    def _templates_using(self, ec2, group_id, template_ids):
        using = []
        for template_id in sorted(template_ids):
            version = api.describe_launch_template_version(ec2, template_id=template_id)
            data = (version or {}).get("LaunchTemplateData", {})
            groups = set(data.get("SecurityGroupIds") or [])
            for interface in data.get("NetworkInterfaces") or []:
                groups.update(interface.get("Groups") or [])
            if group_id in groups:
                using.append(template_id)
        return using

    def _delete_scale_to_zero(self, step):
        api.scale_to_zero(self.client("autoscaling"), step["id"])
        deadline = self.clock() + self.params["wait_timeout"]
        while True:  # instances terminate before the group can go without ForceDelete surprises
            group = api.describe_auto_scaling_group(self.client("autoscaling"), step["id"])
            if group is None or not group.get("Instances"):
                return
            if self.clock() >= deadline:
                raise MigrationError(f"the Auto Scaling group {step['id']} still has {len(group['Instances'])} "
                                     f"instances after {self.params['wait_timeout']} s at zero")
            self.sleep(self.params["poll_interval"])

    def _delete_auto_scaling_group(self, step):
        api.delete_auto_scaling_group(self.client("autoscaling"), step["id"])

    def _delete_launch_template(self, step):
        api.delete_launch_template(self.client("ec2"), step["id"])

    def _delete_security_group(self, step):
        # the terminated instances' network interfaces may take a moment to go: DependencyViolation until then
        deadline = self.clock() + self.params["wait_timeout"]
        while True:
            try:
                network.delete_security_group(self.client("ec2"), step["id"])
                return
            except EcsopsAWSError as error:
                if error.code != "DependencyViolation" or self.clock() >= deadline:
                    raise
                self.sleep(self.params["poll_interval"])

    def _delete_instance_profile(self, step):
        for role in step["roles"]:
            api.remove_role_from_instance_profile(self.client("iam"), step["id"], role)
        api.delete_instance_profile(self.client("iam"), step["id"])

    def _delete_role(self, step):
        client = self.client("iam")
        for policy_arn in iam.list_attached_role_policies(client, step["id"]):
            iam.detach_role_policy(client, step["id"], policy_arn)
        for name in iam.list_role_policies(client, step["id"]):
            iam.delete_role_policy(client, step["id"], name)
        iam.delete_role(client, step["id"])
