# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""fargate_preview and fargate_preview_info: read the tagged resources, plan (plan.py), act.

    result = run_present(module)   # target group, log group, host rule, alias + ownership TXT
    result = run_absent(module)    # everything tagged preview=pr-N (and managed-by), nothing else
    result = run_info(module)      # previews, expired, orphans, the ceiling decision (read-only)
"""

from __future__ import annotations

import datetime
import functools

from ansible_collections.ecsops.fargate.plugins.module_utils import elbv2
from ansible_collections.ecsops.fargate.plugins.module_utils.api import EcsopsAWSError
from ansible_collections.ecsops.fargate.plugins.module_utils import logs
from ansible_collections.ecsops.fargate.plugins.module_utils._ecs import api as ecs_api
from ansible_collections.ecsops.fargate.plugins.module_utils._elbv2 import route53
from ansible_collections.ecsops.fargate.plugins.module_utils._preview import aws
from ansible_collections.ecsops.fargate.plugins.module_utils._preview import names
from ansible_collections.ecsops.fargate.plugins.module_utils._preview import plan
from ansible_collections.ecsops.fargate.plugins.module_utils._preview import priority
from ansible_collections.ecsops.fargate.plugins.module_utils._preview import reap
from ansible_collections.ecsops.fargate.plugins.module_utils._preview.names import PreviewInputError

# CreateRule answers PriorityInUse when a concurrent preview took the priority first: re-read, take the next.
MAX_PRIORITY_ATTEMPTS = 10


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def _task_family(task_definition_arn):
    # arn:aws:ecs:<region>:<account>:task-definition/<family>:<revision>
    return (task_definition_arn or "").rsplit("/", 1)[-1].rsplit(":", 1)[0]


class Runner:
    """Reads and writes for one module run; ``client(service)`` comes from the module (counted, retried)."""

    def __init__(self, module, now=None):
        self.module = module
        self.params = module.params
        self.check_mode = module.check_mode
        self.now = now or utcnow()
        self.changes = []
        self.client = functools.cache(module.client)  # one client per AWS service for the run

    # --- reads -----------------------------------------------------------------------------------

    def listener(self):
        arn = self.params["listener_arn"]
        listener = aws.describe_listener(self.client("elbv2"), arn)
        if listener is None:
            raise PreviewInputError(f"listener {arn} does not exist")
        return listener

    def load_balancer(self, listener):
        found = elbv2.describe_load_balancers(self.client("elbv2"), arns=[listener["LoadBalancerArn"]])
        if not found:
            raise PreviewInputError(f"the load balancer of listener {listener['ListenerArn']} does not exist")
        return found[0]

    def rules(self):
        """[(rule, tags)] of the listener's non-default rules."""
        rules = [r for r in elbv2.describe_rules(self.client("elbv2"), listener_arn=self.params["listener_arn"])
                 if not r.get("IsDefault")]
        tags = elbv2.describe_tags(self.client("elbv2"), [r["RuleArn"] for r in rules]) if rules else {}
        return [(r, tags.get(r["RuleArn"], {})) for r in rules]

    def target_groups(self, groups=None):
        """[(group, tags)] of ``groups`` (default: every target group of the region)."""
        groups = elbv2.describe_target_groups(self.client("elbv2")) if groups is None else groups
        tags = elbv2.describe_tags(self.client("elbv2"), [g["TargetGroupArn"] for g in groups]) if groups else {}
        return [(g, tags.get(g["TargetGroupArn"], {})) for g in groups]

    def services(self):
        cluster = self.params.get("cluster")
        if not cluster:
            return []
        arns = aws.list_services(self.client("ecs"), cluster)
        return aws.describe_services_with_tags(self.client("ecs"), cluster, arns) if arns else []

    def log_groups(self, contains=None):
        """[(group, tags)] under the log group prefix; with ``contains``, only names holding it are tag-read."""
        groups = logs.describe_log_groups(self.client("logs"), self.params["log_group_prefix"].rstrip("/") + "/")
        if contains:
            groups = [g for g in groups if contains in g["logGroupName"]]
        return [(g, aws.log_group_tags(self.client("logs"), g)) for g in groups]

    def zone(self):
        name = self.params.get("hosted_zone")
        if not name:
            return None
        zone = route53.find_hosted_zone(self.client("route53"), name)
        if zone is None:
            raise PreviewInputError(f"hosted zone {name} does not exist")
        return zone

    def record_sets(self, zone):
        return route53.list_record_sets(self.client("route53"), zone["Id"]) if zone else []

    # --- writes ----------------------------------------------------------------------------------

    def do(self, phrase, call, *args, **kwargs):
        self.changes.append(phrase)
        if self.check_mode:
            return None
        return call(*args, **kwargs)

    def create_rule(self, pr_number, first, last, taken, conditions, actions, tags):
        """CreateRule at the allocated priority; on PriorityInUse re-read the listener and take the next free one."""
        wanted = priority.allocate(pr_number, first, last, taken)
        if self.check_mode:
            self.changes.append(f"create rule at priority {wanted}")
            return None, wanted
        for _attempt in range(MAX_PRIORITY_ATTEMPTS):
            try:
                rule = elbv2.create_rule(self.client("elbv2"), self.params["listener_arn"], wanted, conditions, actions, tags=tags)
                self.changes.append(f"create rule at priority {wanted}")
                return rule, wanted
            except EcsopsAWSError as e:
                if e.code != "PriorityInUse":
                    raise
                taken = [r["Priority"] for r in elbv2.describe_rules(self.client("elbv2"), listener_arn=self.params["listener_arn"])]
                wanted = priority.next_after_conflict(wanted, first, last, taken)
        raise PreviewInputError(f"no free listener rule priority after {MAX_PRIORITY_ATTEMPTS} attempts (PriorityInUse each time)")


def _validated(params):
    """Everything derivable from the arguments alone, checked before any call."""
    pr_number = params["pr_number"]
    pid = names.preview_id(pr_number)
    out = {"pr_number": pr_number, "pid": pid, "scope": plan.scope_of(params["listener_arn"])}
    if params.get("state", "present") == "present":
        if not params.get("branch"):
            raise PreviewInputError("branch is required with state=present")
        if not params.get("domain"):
            raise PreviewInputError("domain is required with state=present")
        out["names"] = names.names(pr_number, params["branch"], params["domain"], params.get("name_prefix"),
                                   params["log_group_prefix"])
        rng = params.get("priority_range") or {}
        out["first"], out["last"] = priority.validate_range(rng.get("first"), rng.get("last"))
        if params.get("expires_at"):
            out["expires_at"] = reap.format_time(params["expires_at"])
        plan.expiry(utcnow(), params["ttl_hours"])  # validates ttl_hours
        plan.preview_tags(pid, params["branch"], utcnow(), utcnow(), params.get("tags"), out["scope"])  # validates user tags
        if params["max_previews"] < 1:
            raise PreviewInputError(f"max_previews must be at least 1, got {params['max_previews']}")
    return out


def _target_group_request(params, name, vpc_id, tags):
    health = params.get("health_check") or {}
    return dict(Name=name, Protocol="HTTP", Port=params["port"], VpcId=vpc_id, TargetType="ip",
                HealthCheckPath=health.get("path") or "/health", HealthCheckIntervalSeconds=health.get("interval") or 30,
                Matcher={"HttpCode": health.get("codes") or "200"}, Tags=elbv2.tag_list(tags))


def run_present(module, now=None):
    params = module.params
    v = _validated(params)
    pid, n, scope = v["pid"], v["names"], v["scope"]
    run = Runner(module, now)
    elb = run.client("elbv2")
    listener = run.listener()
    balancer = run.load_balancer(listener)
    rules = run.rules()
    found = plan.inventory(rules=rules, scope=scope)
    mine_rules = [r for r in found["rules"] if r["preview"] == pid]
    groups = run.target_groups(elbv2.describe_target_groups(elb, names=[n["target_group"]]))
    group, group_tags = groups[0] if groups else (None, {})
    if group is not None and plan.owner(group_tags, scope) != pid:
        raise PreviewInputError(f"target group {n['target_group']} exists and is not preview {pid}'s (its tags say "
                                f"preview={group_tags.get('preview')!r}, managed-by={group_tags.get('managed-by')!r}, "
                                f"preview-alb={group_tags.get(plan.TAG_SCOPE)!r}; choose a name_prefix per environment)")
    log_group = logs.find_log_groups(run.client("logs"), [n["log_group"]]).get(n["log_group"])
    log_tags = aws.log_group_tags(run.client("logs"), log_group) if log_group else {}
    if log_group is not None and plan.owner(log_tags, scope) != pid:
        raise PreviewInputError(f"log group {n['log_group']} exists and is not preview {pid}'s")

    # Dates: kept from what exists (a re-run changes nothing), else from now; expires_at when given wins.
    existing = [t for t in [dict(created_at=r["created_at"], expires_at=r["expires_at"]) for r in mine_rules]
                + [dict(created_at=group_tags.get(plan.TAG_CREATED), expires_at=group_tags.get(plan.TAG_EXPIRES))]
                if t["created_at"]]
    created_at = existing[0]["created_at"] if existing else reap.format_time(run.now)
    expires_at = v.get("expires_at") or (existing[0]["expires_at"] if existing and existing[0]["expires_at"]
                                         else plan.expiry(created_at, params["ttl_hours"]))
    tags = plan.preview_tags(pid, params["branch"], created_at, expires_at, params.get("tags"), scope)

    # The ceiling counts the previews with a rule on this listener; an existing preview always fits.
    on_listener = plan.previews(found)
    decision = reap.ceiling(on_listener, params["max_previews"], run.now, pid)
    if decision["action"] != "allow":
        raise PreviewInputError(decision["message"])

    zone = run.zone()
    records = run.record_sets(zone)
    if zone is not None:
        clash = plan.foreign_record(n["host"], pid, records, scope)
        if clash:
            raise PreviewInputError(clash)

    before = {"target_group": bool(group), "log_group": bool(log_group), "rule": None, "records": [], "tags": {}}
    # Target group, then log group, then the rule that routes to it, then DNS (reap's orphan grace covers the gaps).
    if group is None:
        group = run.do(f"create target group {n['target_group']}", elbv2.create_target_group, elb,
                       **_target_group_request(params, n["target_group"], balancer["VpcId"], tags))
        group = group or {"TargetGroupArn": None, "TargetGroupName": n["target_group"]}
    else:
        before["tags"] = {k: group_tags.get(k) for k in plan.OWN_TAGS}
        drift = plan.tag_drift(group_tags, tags)
        if drift:
            run.do(f"tag target group {n['target_group']}", elbv2.add_tags, elb, [group["TargetGroupArn"]], drift)
    if log_group is None:
        run.do(f"create log group {n['log_group']}", logs.create_log_group, run.client("logs"), n["log_group"], tags=tags)
        if params.get("log_retention_days"):
            run.do(f"set log group retention {params['log_retention_days']} days", logs.put_retention_policy,
                   run.client("logs"), n["log_group"], params["log_retention_days"])
    else:
        drift = plan.tag_drift(log_tags, tags)
        if drift:
            run.do(f"tag log group {n['log_group']}", aws.tag_log_group, run.client("logs"), log_group, drift)

    conditions = plan.host_condition(n["host"])
    actions = plan.forward_action(group["TargetGroupArn"])
    if mine_rules:
        # More than one rule of this preview: two runs of the same PR raced before either could see the other's
        # rule (settle_rule_race covers the usual case). The lowest priority stays.
        mine_rules = sorted(mine_rules, key=lambda r: int(r["priority"]))
        for extra in mine_rules[1:]:
            run.do(f"delete duplicate rule at priority {extra['priority']}", elbv2.delete_rule, elb, extra["id"])
        rule = mine_rules[0]
        rule_priority = int(rule["priority"])
        before["rule"] = {"priority": rule_priority, "hosts": rule["hosts"]}
        if rule["hosts"] != [n["host"]] or rule["target_group_arns"] != [group["TargetGroupArn"]]:
            run.do(f"modify rule at priority {rule_priority}", elbv2.modify_rule, elb, rule["id"],
                   actions=actions, conditions=conditions)
        rule_tags = dict(next(t for r, t in rules if r["RuleArn"] == rule["id"]))
        drift = plan.tag_drift(rule_tags, tags)
        if drift:
            run.do(f"tag rule at priority {rule_priority}", elbv2.add_tags, elb, [rule["id"]], drift)
        rule_arn = rule["id"]
    else:
        created, rule_priority = run.create_rule(v["pr_number"], v["first"], v["last"], [r["Priority"] for r, _t in rules],
                                                 conditions, actions, tags)
        rule_arn = (created or {}).get("RuleArn")
        if created:
            rule_arn, rule_priority = settle_rule_race(run, pid, scope, rule_arn, rule_priority)

    if zone is not None:
        before["records"] = sorted(r["Type"] for r in records if plan.dns_name(r.get("Name")) == n["host"])
        changes = plan.record_changes(n["host"], balancer, pid, records, scope)
        if changes:
            run.do(f"upsert DNS {n['host']} (alias and ownership TXT)", route53.change_record_sets, run.client("route53"),
                   zone["Id"], changes, comment=f"ecsops.fargate preview {pid}")

    changed = bool(run.changes)
    url = f"{params['url_scheme']}://{n['host']}"
    after = {"target_group": True, "log_group": True, "rule": {"priority": rule_priority, "hosts": [n["host"]]},
             "records": ["A", "TXT"] if zone is not None else [], "tags": {k: tags[k] for k in plan.OWN_TAGS}}
    return {
        "changed": changed,
        "changes": run.changes,
        "preview_id": pid,
        "names": n,
        "host": n["host"],
        "url": url,
        "priority": rule_priority,
        "rule_arn": rule_arn,
        "target_group_arn": group.get("TargetGroupArn"),
        "log_group": n["log_group"],
        "service_name": n["service"],
        "created_at": created_at,
        "expires_at": expires_at,
        "tags": tags,
        "summary_markdown": plan.summary(pid, url, params["branch"], expires_at, rule_priority, changed, params.get("image")),
        "diff": {"before": before, "after": after},
    }


def settle_rule_race(run, pid, scope, rule_arn, rule_priority):
    """After CreateRule: a concurrent preview_up of the same PR may have created its own rule for the same host.
    Both runs re-read; the rule with the lowest priority stays and the other run's own rule goes, so exactly one
    remains whichever run finishes first. Returns the surviving rule's (arn, priority)."""
    mine = sorted((r for r in plan.inventory(rules=run.rules(), scope=scope)["rules"] if r["preview"] == pid),
                  key=lambda r: int(r["priority"]))
    if not mine or mine[0]["id"] == rule_arn:
        return rule_arn, rule_priority
    elbv2.delete_rule(run.client("elbv2"), rule_arn)
    run.changes.append(f"delete rule at priority {rule_priority} (a concurrent run of {pid} holds priority {mine[0]['priority']})")
    return mine[0]["id"], int(mine[0]["priority"])


def read_all(run, pid=None):
    """Every tagged preview resource of the listener's load balancer the arguments point at (with ``pid``, log
    groups narrowed by name first)."""
    rules = run.rules()
    groups = run.target_groups()
    services = run.services()
    log_groups = run.log_groups(contains=f"{pid}-" if pid else None)
    records = run.record_sets(run.zone())
    return plan.inventory(rules=rules, target_groups=groups, services=services, log_groups=log_groups, record_sets=records,
                          scope=plan.scope_of(run.params["listener_arn"]))


def remove(run, found, pid):
    """Carry out plan.removal_steps for ``pid``; returns the steps."""
    steps = plan.removal_steps(found, pid)
    elb, ecs = run.client("elbv2"), run.client("ecs")
    for step in steps:
        action = step["action"]
        if action == "delete_records":
            zone = run.zone()
            run.do(f"delete DNS {', '.join(step['names'])}", route53.change_record_sets, run.client("route53"), zone["Id"],
                   [{"Action": "DELETE", "ResourceRecordSet": r} for r in step["_records"]], comment=f"ecsops.fargate preview {pid} down")
        elif action == "delete_rule":
            run.do(f"delete rule at priority {step['priority']}", elbv2.delete_rule, elb, step["arn"])
        elif action == "delete_service":
            run.do(f"delete service {step['name']}", ecs_api.delete_service, ecs, run.params["cluster"], step["arn"])
            family = _task_family(step.get("task_definition"))
            # Only the family named after the preview's service is the preview's own (never a shared one).
            if family and family == step["name"]:
                for arn in ecs_api.list_active_revisions(ecs, family):
                    if _task_family(arn) == family:
                        run.do(f"deregister task definition {arn.rsplit('/', 1)[-1]}", ecs_api.deregister_task_definition, ecs, arn)
        elif action == "delete_target_group":
            run.do(f"delete target group {step['name']}", elbv2.delete_target_group, elb, step["arn"])
        elif action == "delete_log_group":
            run.do(f"delete log group {step['name']}", logs.delete_log_group, run.client("logs"), step["name"])
    return steps


def run_absent(module, now=None):
    v = _validated(module.params)
    pid = v["pid"]
    run = Runner(module, now)
    found = read_all(run, pid)
    mine = plan.of_preview(found, pid)
    before = {kind: sorted(item["id"] for item in items) for kind, items in mine.items()}
    remove(run, found, pid)
    return {"changed": bool(run.changes), "changes": run.changes, "preview_id": pid,
            "removed": before, "diff": {"before": before, "after": {kind: [] for kind in before}}}


def run_info(module, now=None):
    params = module.params
    run = Runner(module, now)
    pid = names.preview_id(params["pr_number"]) if params.get("pr_number") else None
    plan.scope_of(params["listener_arn"])  # validates the ARN before any call
    found = read_all(run, pid)
    if pid:
        found = plan.of_preview(found, pid)
    listed = plan.previews(found)
    expired = reap.expired(listed, run.now)
    orphans = reap.orphans(found, run.now, params["orphan_grace_seconds"])
    orphan_previews = sorted({item["preview"] for items in orphans.values() for item in items} - set(expired),
                             key=lambda pid: int(pid[3:]))
    for entry in listed:
        entry["expired"] = entry["id"] in expired
        entry["services"] = [s["name"] for s in found["services"] if s["preview"] == entry["id"]]
    result = {
        "changed": False,
        "previews": listed,
        "expired": expired,
        "kept": [p for p in reap.kept(listed, run.now) if p not in orphan_previews],
        "orphans": {kind: [{"id": item["id"], "preview": item["preview"]} for item in items] for kind, items in orphans.items()},
        "orphan_previews": orphan_previews,
        "now": reap.format_time(run.now),
    }
    if params.get("max_previews"):
        new_id = names.preview_id(params["new_pr_number"]) if params.get("new_pr_number") else None
        with_rule = [p for p in listed if p["resources"]["rules"]]
        result["ceiling"] = reap.ceiling(with_rule, params["max_previews"], run.now, new_id, params["reap_oldest_expired"])
    return result
