# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""scale_to_zero, step by step: check, read, plan, write. Decisions are plan.py's and waker.py's; this file
reads, hands over and writes. Every check runs before the first write, and check mode writes nothing."""

from __future__ import annotations

import datetime
import functools
import time

from ansible_collections.ecsops.fargate.plugins.module_utils import autoscaling
from ansible_collections.ecsops.fargate.plugins.module_utils import awslambda
from ansible_collections.ecsops.fargate.plugins.module_utils import cloudwatch
from ansible_collections.ecsops.fargate.plugins.module_utils import elbv2
from ansible_collections.ecsops.fargate.plugins.module_utils import fargate_pricing as pricing
from ansible_collections.ecsops.fargate.plugins.module_utils import iam
from ansible_collections.ecsops.fargate.plugins.module_utils._ecs import api as ecs_api
from ansible_collections.ecsops.fargate.plugins.module_utils._scale_to_zero import plan
from ansible_collections.ecsops.fargate.plugins.module_utils._scale_to_zero import waker as wk
from ansible_collections.ecsops.fargate.plugins.module_utils.api import EcsopsAWSError

ScaleToZeroInputError = plan.ScaleToZeroInputError


class Clients:
    """boto3 clients made on first use."""

    _SERVICES = {"autoscaling": "application-autoscaling", "awslambda": "lambda"}

    def __init__(self, module):
        self._client = functools.cache(module.client)

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return self._client(self._SERVICES.get(name, name))


def _utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


class ScaleToZero:
    def __init__(self, module, clients=None, clock=time.monotonic, sleep=time.sleep, now=_utcnow):
        self.module = module
        self.params = module.params
        self.aws = clients or Clients(module)
        self.clock = clock
        self.sleep = sleep
        self.now = now
        self.check_mode = module.check_mode
        self.cluster = plan.name_of(self.params["cluster"])
        self.service_name = plan.name_of(self.params["service"])
        self.names = plan.alarm_names(self.cluster, self.service_name)
        self.warnings = []

    # --- entry point ------------------------------------------------------------------------

    def run(self):
        plan.validate(self.params)
        waker = self.params.get("waker")
        if waker:
            try:
                wk.role_name(waker["role"])
            except wk.WakerInputError as e:
                raise ScaleToZeroInputError(str(e)) from e
        state = self.params["state"]
        service = self.read_service()
        handler = {"present": self.present, "absent": self.absent, "parked": self.parked, "awake": self.awake}[state]
        result = handler(service)
        result.setdefault("changed", False)
        result["state"] = state
        return result

    # --- reading ----------------------------------------------------------------------------

    def read_service(self):
        try:
            service = ecs_api.describe_service(self.aws.ecs, self.params["cluster"], self.service_name)
        except EcsopsAWSError as e:
            if e.code == "ClusterNotFoundException":
                raise ScaleToZeroInputError(f"cluster {self.params['cluster']} does not exist") from e
            raise
        if service is None:
            raise ScaleToZeroInputError(f"service {self.service_name} does not exist in cluster {self.cluster}")
        return service

    def balancing(self, service, required=True):
        """(target group ARN, load balancer ARN) of the service's first load balancer entry."""
        groups = [lb["targetGroupArn"] for lb in service.get("loadBalancers") or [] if lb.get("targetGroupArn")]
        if not groups:
            if required:
                raise ScaleToZeroInputError(
                    f"service {self.service_name} has no load balancer: state={self.params['state']} needs the "
                    f"target group the service registers its tasks in (policy mode watches its requests)")
            return None, None
        found = elbv2.describe_target_groups(self.aws.elbv2, arns=groups[:1])
        if not found or not found[0].get("LoadBalancerArns"):
            raise ScaleToZeroInputError(f"target group {groups[0]} of service {self.service_name} is not attached "
                                        f"to a load balancer")
        return groups[0], found[0]["LoadBalancerArns"][0]

    def resource_id(self):
        return autoscaling.service_resource_id(self.cluster, self.service_name)

    # --- state: present (policy mode) ---------------------------------------------------------

    def present(self, service):
        tg_arn, lb_arn = self.balancing(service)
        lb_dim, tg_dim = elbv2.load_balancer_dimension(lb_arn), elbv2.target_group_dimension(tg_arn)
        rid = self.resource_id()
        target = autoscaling.describe_scalable_target(self.aws.autoscaling, rid)
        policies = {p["PolicyName"]: p for p in autoscaling.describe_scaling_policies(self.aws.autoscaling, rid)}
        alarms = {a["AlarmName"]: a for a in cloudwatch.describe_alarms(self.aws.cloudwatch, list(self.names.values()))}
        actions = {a["ScheduledActionName"]: a for a in autoscaling.describe_scheduled_actions(self.aws.autoscaling, rid)}

        schedule = self.params.get("schedule")
        limits, record = plan.target_limits(target, service.get("desiredCount"), self.params["wake_count"],
                                            self.params.get("max_capacity"), bool(schedule))
        kept = plan.read_record(alarms.get(self.names["idle"]))
        if kept is not None:
            record = kept  # what was there before the first run, not what the first run made
        if self.params["alarms"] or schedule:
            plan.check_limits(limits, self.params["wake_count"])

        before, after, changes = {}, {}, []
        use_alarms = self.params["alarms"]
        if use_alarms and self.params["idle_minutes"] < 2:
            self.warnings.append("idle_minutes 1: the idle alarm may park the service again before a woken task "
                                 "is healthy (a task takes about a minute to start); 2 or more is safer")
        current_limits = {"min": target["MinCapacity"], "max": target["MaxCapacity"]} if target else None
        if not use_alarms and not schedule:
            limits = current_limits  # the waker alone needs no scalable target
        before["scalable_target"], after["scalable_target"] = current_limits, limits
        if current_limits != limits:
            changes.append("scalable_target")
            if not self.check_mode:
                autoscaling.register_scalable_target(self.aws.autoscaling, rid, limits["min"], limits["max"])

        policy_arns = {}
        wanted_policies = ((plan.IDLE_POLICY, plan.idle_policy()),
                           (plan.WAKE_POLICY, plan.wake_policy(self.params["wake_count"]))) if use_alarms else ()
        for name, config in wanted_policies:
            current = policies.get(name)
            before.setdefault("policies", {})[name] = plan.normalise_policy(current)
            after.setdefault("policies", {})[name] = plan.normalise_policy(config)
            if current is not None and plan.normalise_policy(current) == plan.normalise_policy(config):
                policy_arns[name] = current["PolicyARN"]
                continue
            changes.append(f"policy {name}")
            if self.check_mode:
                policy_arns[name] = current["PolicyARN"] if current else f"(new policy {name})"
            else:
                policy_arns[name] = autoscaling.put_scaling_policy(self.aws.autoscaling, rid, name, "StepScaling",
                                                                   config)["PolicyARN"]

        wanted_alarms = {
            self.names["idle"]: plan.idle_alarm(self.names["idle"], self.params["idle_minutes"], lb_dim, tg_dim,
                                                policy_arns[plan.IDLE_POLICY],
                                                plan.record(record["restore_min_capacity"], record["registered_target"])),
            self.names["wake"]: plan.wake_alarm(self.names["wake"], lb_dim, policy_arns[plan.WAKE_POLICY]),
        } if use_alarms else {}
        for name, wanted in wanted_alarms.items():
            current = plan.normalise_alarm(alarms.get(name))
            before.setdefault("alarms", {})[name] = current
            after.setdefault("alarms", {})[name] = plan.normalise_alarm(wanted)
            if current != plan.normalise_alarm(wanted):
                changes.append(f"alarm {name}")
                if not self.check_mode:
                    cloudwatch.put_metric_alarm(self.aws.cloudwatch, **wanted)
        if not use_alarms:
            # alarms=false after a run with alarms: take ours away.
            stale_alarms = sorted(alarms)
            stale_policies = [n for n in plan.OUR_POLICIES if n in policies]
            if stale_alarms:
                changes.append("alarms removed")
                before["alarms"], after["alarms"] = stale_alarms, []
                if not self.check_mode:
                    cloudwatch.delete_alarms(self.aws.cloudwatch, stale_alarms)
            for name in stale_policies:
                changes.append(f"policy {name} removed")
                if not self.check_mode:
                    autoscaling.delete_scaling_policy(self.aws.autoscaling, rid, name)

        wanted_actions = plan.schedule_actions(schedule, self.params["wake_count"], (limits or {}).get("max"))
        for name in plan.OUR_SCHEDULES:
            current = plan.normalise_scheduled_action(actions.get(name))
            wanted = wanted_actions.get(name)
            before.setdefault("scheduled_actions", {})[name] = current
            after.setdefault("scheduled_actions", {})[name] = wanted
            if current == wanted:
                continue
            changes.append(f"scheduled action {name}")
            if self.check_mode:
                continue
            if wanted is None:
                autoscaling.delete_scheduled_action(self.aws.autoscaling, rid, name)
            else:
                timezone = None if wanted["schedule"].startswith("rate(") else wanted["timezone"]
                autoscaling.put_scheduled_action(self.aws.autoscaling, rid, name, wanted["schedule"],
                                                 timezone=timezone, min_capacity=wanted["min_capacity"],
                                                 max_capacity=wanted["max_capacity"])

        result = {"resource_id": rid, "target_group_arn": tg_arn, "load_balancer_arn": lb_arn,
                  "alarm_names": self.names if use_alarms else {},
                  "policy_names": list(plan.OUR_POLICIES) if use_alarms else [],
                  "scalable_target": limits, "restore": record}
        if self.params.get("waker"):
            waker_changes, waker_before, waker_after, result["waker"] = self.deploy_waker(tg_arn, lb_arn)
            changes.extend(waker_changes)
            before["waker"], after["waker"] = waker_before, waker_after
        savings = self.savings(service)
        if savings:
            result["savings"] = savings
        result["changed"] = bool(changes)
        result["changes"] = changes
        result["diff"] = {"before": before, "after": after}
        return result

    # --- the waker ------------------------------------------------------------------------------

    def waker_state(self, tg_arn, lb_arn):
        """What exists of the waker: function, its target group, the service's rules and the keep-alive rule."""
        function_name, tg_name = plan.waker_names(self.cluster, self.service_name)
        function = awslambda.get_function(self.aws.awslambda, function_name)
        groups = elbv2.describe_target_groups(self.aws.elbv2, names=[tg_name])
        waker_tg = groups[0]["TargetGroupArn"] if groups else None
        keepalive = wk.keepalive_value(self.cluster, self.service_name)
        rules, keepalive_rules, listeners = [], [], []
        if lb_arn:
            for listener in elbv2.describe_listeners(self.aws.elbv2, lb_arn):
                listener_rules = elbv2.describe_rules(self.aws.elbv2, listener_arn=listener["ListenerArn"])
                listeners.append((listener, listener_rules))
                rules.extend(wk.service_rules(listener_rules, tg_arn, waker_tg, keepalive))
                keepalive_rules.extend(r for r in listener_rules if wk.is_keepalive(r, keepalive))
        return {"function_name": function_name, "function": function, "tg_name": tg_name, "tg_arn": waker_tg,
                "rules": rules, "keepalive_rules": keepalive_rules, "listeners": listeners, "keepalive": keepalive}

    def deploy_waker(self, tg_arn, lb_arn):
        spec = self.params["waker"]
        state = self.waker_state(tg_arn, lb_arn)
        if not state["rules"]:
            raise ScaleToZeroInputError(
                f"the waker needs a listener rule that forwards to the service's target group {tg_arn}; the "
                f"service is reached only through a listener's default action (give it a rule)")
        role = iam.get_role(self.aws.iam, wk.role_name(spec["role"]))
        if role is None:
            raise ScaleToZeroInputError(f"waker.role {spec['role']} does not exist")
        variables = wk.environment(self.cluster, self.service_name, self.params["wake_count"], tg_arn,
                                   [r["RuleArn"] for r in state["rules"]], spec["refresh_seconds"],
                                   spec["hold_seconds"])
        config = wk.function_config(role["Arn"], variables,
                                    f"ecsops.fargate scale_to_zero waker for {self.cluster}/{self.service_name}")
        code = wk.package()
        changes = []
        function = state["function"]
        current = (function or {}).get("Configuration") or {}
        before = {"function": state["function_name"] if function else None, "target_group": state["tg_name"]
                  if state["tg_arn"] else None, "keepalive_rule": bool(state["keepalive_rules"])}
        after = {"function": state["function_name"], "target_group": state["tg_name"], "keepalive_rule": True}
        write = not self.check_mode
        function_arn = None
        if function is None:
            changes.append("waker function")
            if write:
                function_arn = awslambda.create_function(
                    self.aws.awslambda, FunctionName=state["function_name"], Code={"ZipFile": code},
                    Tags={"ecsops:scale_to_zero": f"{self.cluster}/{self.service_name}"}, **config)["FunctionArn"]
        else:
            function_arn = current["FunctionArn"]
            if current.get("CodeSha256") != awslambda.code_sha256(code):
                changes.append("waker code")
                if write:
                    awslambda.update_function_code(self.aws.awslambda, state["function_name"], code)
            updates = wk.config_changes(current, config)
            if updates:
                changes.append("waker configuration")
                if write:
                    awslambda.update_function_configuration(self.aws.awslambda, state["function_name"], **updates)
        waker_tg = state["tg_arn"]
        if waker_tg is None:
            changes.append("waker target group")
            if write:
                waker_tg = elbv2.create_target_group(
                    self.aws.elbv2, Name=state["tg_name"], TargetType="lambda",
                    Tags=[{"Key": "ecsops:scale_to_zero", "Value": f"{self.cluster}/{self.service_name}"}]
                )["TargetGroupArn"]
        policy = awslambda.get_policy(self.aws.awslambda, state["function_name"]) if function else None
        if policy is None or wk.PERMISSION_ID not in policy:
            changes.append("waker permission")
            if write:
                awslambda.add_permission(self.aws.awslambda, state["function_name"], wk.PERMISSION_ID,
                                         "lambda:InvokeFunction", "elasticloadbalancing.amazonaws.com",
                                         source_arn=waker_tg)
        registered = elbv2.describe_target_health(self.aws.elbv2, waker_tg) if state["tg_arn"] and function else []
        if not any((d.get("Target") or {}).get("Id") == function_arn for d in registered):
            changes.append("waker target")
            if write:
                elbv2.register_targets(self.aws.elbv2, waker_tg, [{"Id": function_arn}])
        if not state["keepalive_rules"]:
            changes.append("keep-alive rule")
            if write:
                listener, listener_rules = next((l, r) for l, r in state["listeners"]
                                                if any(x["RuleArn"] == state["rules"][0]["RuleArn"] for x in r))
                spec_rule = wk.keepalive_rule(state["keepalive"], tg_arn, [r.get("Priority") for r in listener_rules])
                elbv2.create_rule(self.aws.elbv2, listener["ListenerArn"], spec_rule["priority"],
                                  spec_rule["conditions"], spec_rule["actions"])
        info = {"function_name": state["function_name"], "target_group_name": state["tg_name"],
                "target_group_arn": waker_tg, "rule_arns": [r["RuleArn"] for r in state["rules"]],
                "parked_behind_waker": bool(waker_tg) and all(wk.forwarded(r) == {waker_tg} for r in state["rules"])}
        return changes, before, after, info

    def switch_rules(self, rules, to_tg):
        """Point the rules' forwards at one target group; returns the ARNs changed (none in check mode)."""
        switched = []
        for rule in rules:
            if wk.forwarded(rule) == {to_tg}:
                continue
            switched.append(rule["RuleArn"])
            if not self.check_mode:
                elbv2.modify_rule(self.aws.elbv2, rule["RuleArn"], actions=wk.forward_to(rule, to_tg))
        return switched

    # --- state: absent --------------------------------------------------------------------------

    def absent(self, service):
        rid = self.resource_id()
        target = autoscaling.describe_scalable_target(self.aws.autoscaling, rid)
        policies = {p["PolicyName"]: p for p in autoscaling.describe_scaling_policies(self.aws.autoscaling, rid)}
        alarms = {a["AlarmName"]: a for a in cloudwatch.describe_alarms(self.aws.cloudwatch, list(self.names.values()))}
        actions = {a["ScheduledActionName"]: a for a in autoscaling.describe_scheduled_actions(self.aws.autoscaling, rid)}
        record = plan.read_record(alarms.get(self.names["idle"]))
        changes, removed = [], {"alarms": sorted(alarms), "policies": sorted(n for n in policies if n in plan.OUR_POLICIES),
                                "scheduled_actions": sorted(n for n in actions if n in plan.OUR_SCHEDULES)}
        write = not self.check_mode

        tg_arn, lb_arn = self.balancing(service, required=False)
        state = self.waker_state(tg_arn, lb_arn) if self.params.get("waker") or lb_arn else None
        if state and (state["function"] or state["tg_arn"] or state["keepalive_rules"]):
            if state["tg_arn"] and tg_arn:
                switched = self.switch_rules(state["rules"], tg_arn)
                if switched:
                    changes.append("listener rules back to the service")
            for rule in state["keepalive_rules"]:
                changes.append("keep-alive rule")
                if write:
                    elbv2.delete_rule(self.aws.elbv2, rule["RuleArn"])
            if state["tg_arn"]:
                changes.append("waker target group")
                if write:
                    elbv2.delete_target_group(self.aws.elbv2, state["tg_arn"])
            if state["function"]:
                changes.append("waker function")
                if write:
                    awslambda.delete_function(self.aws.awslambda, state["function_name"])
            removed["waker"] = state["function_name"]
        if alarms:
            changes.append("alarms")
            if write:
                cloudwatch.delete_alarms(self.aws.cloudwatch, sorted(alarms))
        for name in removed["policies"]:
            changes.append(f"policy {name}")
            if write:
                autoscaling.delete_scaling_policy(self.aws.autoscaling, rid, name)
        for name in removed["scheduled_actions"]:
            changes.append(f"scheduled action {name}")
            if write:
                autoscaling.delete_scheduled_action(self.aws.autoscaling, rid, name)

        before_target = {"min": target["MinCapacity"], "max": target["MaxCapacity"]} if target else None
        after_target = before_target
        if target and record:
            others = [n for n in policies if n not in plan.OUR_POLICIES] + \
                     [n for n in actions if n not in plan.OUR_SCHEDULES]
            if record.get("registered_target") and not others:
                after_target = None
                changes.append("scalable target deregistered")
                if write:
                    autoscaling.deregister_scalable_target(self.aws.autoscaling, rid)
            elif record.get("restore_min_capacity") is not None and record["restore_min_capacity"] != target["MinCapacity"]:
                after_target = {"min": record["restore_min_capacity"], "max": target["MaxCapacity"]}
                changes.append("scalable target MinCapacity restored")
                if write:
                    autoscaling.register_scalable_target(self.aws.autoscaling, rid, record["restore_min_capacity"],
                                                         target["MaxCapacity"])
        return {"changed": bool(changes), "changes": changes, "removed": removed, "resource_id": rid,
                "diff": {"before": {"scalable_target": before_target, **removed},
                         "after": {"scalable_target": after_target, "alarms": [], "policies": [],
                                   "scheduled_actions": []}}}

    # --- state: parked (controller mode) ------------------------------------------------------

    def parked(self, service):
        tg_arn, lb_arn = self.balancing(service)
        now = self.now()
        minutes = self.params["idle_minutes"]
        datapoints = cloudwatch.get_metric_statistics(
            self.aws.cloudwatch, Namespace=plan.NAMESPACE, MetricName="RequestCount",
            Dimensions=plan.dimensions(elbv2.load_balancer_dimension(lb_arn), elbv2.target_group_dimension(tg_arn)),
            StartTime=now - datetime.timedelta(minutes=minutes), EndTime=now, Period=60, Statistics=["Sum"])
        decision = plan.idle_decision(datapoints, minutes, service.get("desiredCount", 0), now,
                                      force=self.params["force"])
        result = {"decision": decision["decision"], "reason": decision["reason"],
                  "data": {"requests": decision["requests"], "minutes": minutes,
                           "window_start": decision["window_start"], "window_end": decision["window_end"],
                           "datapoints": len(datapoints)},
                  "desired_count": service.get("desiredCount", 0), "target_group_arn": tg_arn}
        changes = []
        if decision["decision"] == "park":
            changes.append("desired count 0")
            result["diff"] = {"before": {"desired_count": service.get("desiredCount")}, "after": {"desired_count": 0}}
            result["desired_count"] = 0
            if not self.check_mode:
                ecs_api.update_service(self.aws.ecs, self.params["cluster"], self.service_name, {"desiredCount": 0})
        if self.params.get("waker") and decision["decision"] != "stay":
            state = self.waker_state(tg_arn, lb_arn)
            if not state["tg_arn"]:
                raise ScaleToZeroInputError("the waker is not deployed: run state=present with waker first")
            switched = self.switch_rules(state["rules"], state["tg_arn"])
            if switched:
                changes.append("listener rules to the waker")
            result["rules_switched"] = switched
        savings = self.savings(service)
        if savings:
            result["savings"] = savings
        result["changed"] = bool(changes)
        result["changes"] = changes
        return result

    # --- state: awake (controller mode) -------------------------------------------------------

    def awake(self, service):
        tg_arn, lb_arn = self.balancing(service, required=False)
        wanted = self.params["wake_count"]
        started = self.clock()
        changes = []
        result = {"desired_count": service.get("desiredCount", 0), "target_group_arn": tg_arn}
        if service.get("desiredCount", 0) < wanted:
            changes.append(f"desired count {wanted}")
            result["diff"] = {"before": {"desired_count": service.get("desiredCount")},
                              "after": {"desired_count": wanted}}
            result["desired_count"] = wanted
            if not self.check_mode:
                ecs_api.update_service(self.aws.ecs, self.params["cluster"], self.service_name, {"desiredCount": wanted})
        result["decision"] = "wake" if changes else "already_awake"
        state = self.waker_state(tg_arn, lb_arn) if self.params.get("waker") and tg_arn else None
        if state and state["tg_arn"] and any(wk.forwarded(r) != {tg_arn} for r in state["rules"]):
            changes.append("listener rules back to the service")
        result["changed"] = bool(changes)
        result["changes"] = changes
        if self.check_mode or not self.params["wait"]:
            return result
        healthy = self.wait_healthy(tg_arn, wanted)
        result["healthy_targets"] = healthy
        result["wake_duration"] = round(self.clock() - started, 3)
        if state and state["tg_arn"]:
            result["rules_switched"] = self.switch_rules(state["rules"], tg_arn)
        if healthy is None:
            result["failed"] = True
            result["msg"] = (f"service {self.service_name} did not reach {wanted} healthy task(s) within "
                             f"{self.params['wait_timeout']} s")
        return result

    def wait_healthy(self, tg_arn, wanted):
        """Healthy targets (or running tasks without a load balancer) once there are ``wanted``; None on timeout."""
        deadline = self.clock() + self.params["wait_timeout"]
        while True:
            if tg_arn:
                count, done = plan.wait_for_healthy(elbv2.describe_target_health(self.aws.elbv2, tg_arn), wanted)
            else:
                described = ecs_api.describe_service(self.aws.ecs, self.params["cluster"], self.service_name) or {}
                count = described.get("runningCount", 0)
                done = count >= wanted
            if done:
                return count
            if self.clock() >= deadline:
                return None
            self.sleep(self.params["poll_interval"])

    # --- the estimate -------------------------------------------------------------------------

    def savings(self, service):
        spec = self.params.get("savings") or {}
        schedule = self.params.get("schedule") or {}
        hours = spec.get("hours_parked_per_month")
        if hours is None and schedule.get("wake_at") and schedule.get("park_at"):
            hours = pricing.hours_parked_by_schedule(schedule["wake_at"], schedule["park_at"],
                                                     plan.days_count(schedule.get("days") or "MON-FRI"))
        if hours is None:
            return None
        td = ecs_api.describe_task_definition(self.aws.ecs, service["taskDefinition"]) or {}
        architecture = (td.get("runtimePlatform") or {}).get("cpuArchitecture") or "X86_64"
        try:
            return pricing.monthly_savings(int(td.get("cpu") or 256), int(td.get("memory") or 512),
                                           spec.get("tasks") or self.params["wake_count"], hours, self.module.region,
                                           pricing.capacity_provider_of(service), spec.get("prices"), architecture)
        except pricing.PricingError as e:
            self.warnings.append(f"no savings estimate: {e}")
            return None


def run_module(module):
    runner = ScaleToZero(module)
    result = runner.run()
    for warning in runner.warnings:
        module.warn(warning)
    return result
