# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""What a preview is made of, read from tags, and what to create or remove. Pure functions.

Every resource a preview creates carries the same tags::

    preview=pr-42  branch=feature/login  created-at=2026-11-24T10:00:00Z  expires-at=...  managed-by=ecsops.fargate
    preview-alb=dev-shop         # the shared load balancer: dev's pr-42 is not staging's pr-42

A resource belongs to preview pr-N only when ``preview``, ``managed-by`` and ``preview-alb`` say so: a
look-alike name with other tags is someone else's. Route53 records cannot carry tags, so the alias record
has an ownership TXT record at the same name (as external-dns does): ``"ecsops.fargate preview=pr-42 alb=dev-shop"``.
"""

from __future__ import annotations

import datetime
import re

from ansible_collections.ecsops.fargate.plugins.module_utils._preview import reap
from ansible_collections.ecsops.fargate.plugins.module_utils._preview.names import PreviewInputError
from ansible_collections.ecsops.fargate.plugins.module_utils._preview.names import sanitize_branch

MANAGED_BY = "ecsops.fargate"
TAG_PREVIEW = "preview"
TAG_BRANCH = "branch"
TAG_CREATED = "created-at"
TAG_EXPIRES = "expires-at"
TAG_MANAGED = "managed-by"
TAG_SCOPE = "preview-alb"
OWN_TAGS = (TAG_PREVIEW, TAG_BRANCH, TAG_CREATED, TAG_EXPIRES, TAG_MANAGED, TAG_SCOPE)
# The TXT value that marks a Route53 name as a preview's (with its quotes, as Route53 stores it).
OWNER_TXT = '"ecsops.fargate preview={} alb={}"'
OWNER_TXT_PATTERN = re.compile(r'^"ecsops\.fargate preview=(pr-[0-9]+) alb=([A-Za-z0-9-]+)"$')
# ELBv2, ECS and CloudWatch Logs tag values: at most 256 of letters, digits, spaces and _ . : / = + - @.
TAG_VALUE = re.compile(r"^[A-Za-z0-9 _.:/=+@-]{0,256}$")
MAX_TTL_HOURS = 24 * 90
KINDS = ("rules", "target_groups", "services", "log_groups", "records")


def branch_tag(branch):
    """The branch as given when it is a valid tag value (``feature/login``), else its sanitised form."""
    if isinstance(branch, str) and branch and TAG_VALUE.match(branch):
        return branch
    return sanitize_branch(branch)


def expiry(created_at, ttl_hours):
    """``created_at + ttl_hours`` as a tag value."""
    if isinstance(ttl_hours, bool) or not isinstance(ttl_hours, int) or not 1 <= ttl_hours <= MAX_TTL_HOURS:
        raise PreviewInputError(f"ttl_hours must be an integer from 1 to {MAX_TTL_HOURS}, got {ttl_hours!r}")
    return reap.format_time(reap.parse_time(created_at, "created_at") + datetime.timedelta(hours=ttl_hours))


def preview_tags(pid, branch, created_at, expires_at, extra=None, scope=None):
    """The tags of every resource of preview ``pid`` on load balancer ``scope``; ``extra`` (the user's tags)
    never overrides ours."""
    own = {
        TAG_PREVIEW: pid,
        TAG_BRANCH: branch_tag(branch),
        TAG_CREATED: reap.format_time(created_at),
        TAG_EXPIRES: reap.format_time(expires_at),
        TAG_MANAGED: MANAGED_BY,
    }
    if scope:
        own[TAG_SCOPE] = scope
    extra = dict(extra or {})
    for key, value in extra.items():
        # An environment's tags may repeat one of ours with the same value (managed-by=ecsops.fargate).
        if key in own and value != own[key]:
            raise PreviewInputError(f"tag {key!r} is set by the preview itself ({own[key]!r}); remove it from tags")
        if not isinstance(value, str) or not TAG_VALUE.match(value):
            raise PreviewInputError(f"tag {key!r}: value {value!r} must be at most 256 of [A-Za-z0-9 _.:/=+@-]")
    extra.update(own)
    return extra


def scope_of(listener_arn):
    """The load balancer name in a listener ARN (``...:listener/app/<name>/<lb id>/<id>``): the previews' scope."""
    match = re.match(r"^arn:[^:]+:elasticloadbalancing:[^:]*:[^:]*:listener/(?:app|net)/([A-Za-z0-9-]+)/[^/]+/[^/]+$",
                     listener_arn or "")
    if not match:
        raise PreviewInputError(f"listener_arn {listener_arn!r} is not a load balancer listener ARN")
    return match.group(1)


def owner(tags, scope=None):
    """The preview id a resource's tags give it, or None when it is not a preview's (not ours, or, with
    ``scope``, another load balancer's)."""
    tags = tags or {}
    if tags.get(TAG_MANAGED) != MANAGED_BY:
        return None
    if scope is not None and tags.get(TAG_SCOPE) != scope:
        return None
    pid = tags.get(TAG_PREVIEW) or ""
    return pid if re.fullmatch(r"pr-[1-9][0-9]*", pid) else None


def owner_txt(pid, scope):
    return OWNER_TXT.format(pid, scope)


def host_condition(host):
    return [{"Field": "host-header", "HostHeaderConfig": {"Values": [host]}}]


def rule_hosts(rule):
    hosts = []
    for condition in rule.get("Conditions") or []:
        if condition.get("Field") == "host-header":
            hosts.extend((condition.get("HostHeaderConfig") or {}).get("Values") or condition.get("Values") or [])
    return hosts


def forward_action(target_group_arn):
    return [{"Type": "forward", "TargetGroupArn": target_group_arn}]


def _item(kind, key, tags, **extra):
    item = {"kind": kind, "id": key, "preview": owner(tags), "branch": (tags or {}).get(TAG_BRANCH),
            "created_at": (tags or {}).get(TAG_CREATED), "expires_at": (tags or {}).get(TAG_EXPIRES)}
    item.update(extra)
    return item


def dns_name(name):
    return (name or "").lower().rstrip(".")


def owned_records(record_sets, scope=None):
    """Route53 record sets grouped by the preview owning their name: ``{pid: [record sets]}``.

    A name is a preview's when it has our ownership TXT (with ``scope``: for that load balancer); the A/AAAA
    alias at that name goes with it.
    """
    owners = {}
    for record in record_sets or ():
        if record.get("Type") == "TXT":
            for value in record.get("ResourceRecords") or ():
                match = OWNER_TXT_PATTERN.match(value.get("Value") or "")
                if match and (scope is None or match.group(2) == scope):
                    owners[dns_name(record["Name"])] = match.group(1)
    grouped = {}
    for record in record_sets or ():
        pid = owners.get(dns_name(record.get("Name")))
        if pid and record.get("Type") in ("TXT", "A", "AAAA"):
            grouped.setdefault(pid, []).append(record)
    return grouped


def inventory(rules=(), target_groups=(), services=(), log_groups=(), record_sets=(), scope=None):
    """The tagged resources found, per kind, in reap.py's shape (only those carrying a preview's tags).

    rules: ``[(rule, tags)]``; target_groups: ``[(group, tags)]``; services: ECS services with ``tags``
    (DescribeServices include TAGS); log_groups: ``[(group, tags)]``; record_sets: the zone's record sets.
    With ``scope`` (the shared load balancer's name) only that load balancer's previews count.
    """
    found = {kind: [] for kind in KINDS}
    for rule, tags in rules:
        if owner(tags, scope):
            found["rules"].append(_item("rule", rule["RuleArn"], tags, priority=rule.get("Priority"),
                                        hosts=rule_hosts(rule), target_group_arns=[
                                            a.get("TargetGroupArn") for a in rule.get("Actions") or () if a.get("TargetGroupArn")]))
    for group, tags in target_groups:
        if owner(tags, scope):
            found["target_groups"].append(_item("target_group", group["TargetGroupArn"], tags, name=group.get("TargetGroupName")))
    for service in services:
        tags = {t["key"]: t.get("value", "") for t in service.get("tags") or ()}
        if owner(tags, scope) and service.get("status") != "INACTIVE":
            found["services"].append(_item("service", service["serviceArn"], tags, name=service.get("serviceName"),
                                           task_definition=service.get("taskDefinition")))
    for group, tags in log_groups:
        if owner(tags, scope):
            found["log_groups"].append(_item("log_group", group["logGroupName"], tags, name=group["logGroupName"]))
    for pid, records in sorted(owned_records(record_sets, scope).items()):
        for record in records:
            found["records"].append({"kind": "record", "id": f"{dns_name(record['Name'])} {record['Type']}", "preview": pid,
                                     "name": dns_name(record["Name"]), "type": record["Type"], "record": record})
    return found


def of_preview(found, pid):
    """Only preview ``pid``'s resources."""
    return {kind: [item for item in found.get(kind) or () if item["preview"] == pid] for kind in KINDS}


def previews(found):
    """The previews present, oldest first: ``[{id, pr_number, branch, created_at, expires_at, hosts, resources}]``.

    Created and expiry come from the first resource carrying them (rule, target group, service, log group).
    """
    by_id = {}
    for kind in KINDS:
        for item in found.get(kind) or ():
            entry = by_id.setdefault(item["preview"], {"id": item["preview"], "pr_number": int(item["preview"][3:]),
                                                       "branch": None, "created_at": None, "expires_at": None,
                                                       "hosts": [], "resources": {k: [] for k in KINDS}})
            entry["resources"][kind].append(item["id"])
            for key in ("branch", "created_at", "expires_at"):
                if entry[key] is None and item.get(key):
                    entry[key] = item[key]
            for one in item.get("hosts") or ():
                if one not in entry["hosts"]:
                    entry["hosts"].append(one)
    out = []
    for entry in by_id.values():
        # Records alone carry no dates: such a preview is as old as it gets, so it sorts first.
        entry["created_at"] = entry["created_at"] or "1970-01-01T00:00:00Z"
        entry["expires_at"] = entry["expires_at"] or entry["created_at"]
        out.append(entry)
    return sorted(out, key=lambda p: (reap.parse_time(p["created_at"]), p["pr_number"]))


def removal_steps(found, pid):
    """What removing preview ``pid`` deletes, in dependency order: DNS, rules, services (and their task
    definitions), target groups, log groups. Nothing without the preview's tags (or ownership TXT)."""
    mine = of_preview(found, pid)
    steps = []
    if mine["records"]:
        steps.append({"action": "delete_records", "names": sorted({r["name"] for r in mine["records"]}),
                      "_records": [r["record"] for r in mine["records"]]})
    steps += [{"action": "delete_rule", "arn": r["id"], "priority": r.get("priority")} for r in mine["rules"]]
    steps += [{"action": "delete_service", "arn": s["id"], "name": s["name"], "task_definition": s.get("task_definition")}
              for s in mine["services"]]
    steps += [{"action": "delete_target_group", "arn": g["id"], "name": g["name"]} for g in mine["target_groups"]]
    steps += [{"action": "delete_log_group", "name": g["name"]} for g in mine["log_groups"]]
    return steps


def tag_drift(current, wanted):
    """The tags to set so that a resource carries ``wanted`` (ours and the user's); others are kept."""
    return {k: v for k, v in wanted.items() if (current or {}).get(k) != v}


def record_changes(host, load_balancer, pid, existing, scope):
    """Route53 changes for the alias and its ownership TXT at ``host``; [] when both are right."""
    alias = {"Name": host + ".", "Type": "A", "AliasTarget": {
        "HostedZoneId": load_balancer["CanonicalHostedZoneId"], "DNSName": load_balancer["DNSName"],
        "EvaluateTargetHealth": False}}
    txt = {"Name": host + ".", "Type": "TXT", "TTL": 300, "ResourceRecords": [{"Value": owner_txt(pid, scope)}]}
    at_host = {r["Type"]: r for r in existing or () if dns_name(r.get("Name")) == host}
    changes = []
    current_alias = (at_host.get("A") or {}).get("AliasTarget") or {}
    if dns_name(current_alias.get("DNSName")) != dns_name(load_balancer["DNSName"]):
        changes.append({"Action": "UPSERT", "ResourceRecordSet": alias})
    current_txt = [v.get("Value") for v in (at_host.get("TXT") or {}).get("ResourceRecords") or ()]
    if current_txt != [owner_txt(pid, scope)]:
        changes.append({"Action": "UPSERT", "ResourceRecordSet": txt})
    return changes


def foreign_record(host, pid, existing, scope):
    """A record at ``host`` that is not ours (another preview's, or nobody's): the reason, else None."""
    at_host = [r for r in existing or () if dns_name(r.get("Name")) == host]
    owners = owned_records(at_host)
    if owners and pid not in owned_records(at_host, scope):
        return f"DNS name {host} belongs to preview {next(iter(owners))} of another load balancer or PR"
    if not owners and any(r.get("Type") in ("A", "AAAA", "CNAME") for r in at_host):
        return f"DNS name {host} already has a record not made by a preview (no ownership TXT); remove it or choose another domain"
    return None


def summary(pid, url, branch, expires_at, priority, changed, image=None):
    """A short markdown summary for the pull request."""
    lines = [f"### Preview {pid} {'deployed' if changed else 'up to date'}", "",
             f"- URL: {url}", f"- Branch: `{branch}`"]
    if image:
        lines.append(f"- Image: `{image}`")
    lines += [f"- Expires: {expires_at} (reaped after that; `preview_down` removes it now)",
              f"- Listener rule priority: {priority}"]
    return "\n".join(lines) + "\n"
