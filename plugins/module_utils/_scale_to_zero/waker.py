# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The waker's deployment, pure part: its package, its function configuration, the listener rules it
switches, and the keep-alive rule. Nothing here calls AWS.

While the service is parked its listener rules forward to the waker's target group. A target group that no
listener rule uses reports its targets ``unused`` and runs no health check, so the waker could never see
the service's new tasks become healthy: a keep-alive rule (an ``http-header`` condition no client sends,
lowest priority) keeps forwarding to the service's target group.
"""

from __future__ import annotations

import io
import pkgutil
import re
import zipfile

from ansible_collections.ecsops.fargate.plugins.module_utils import scale_to_zero_waker as handler_module

RUNTIME = "python3.12"
TIMEOUT = 10
MEMORY = 128
KEEPALIVE_HEADER = "X-Ecsops-S2z-Keepalive"
PERMISSION_ID = "ecsops-s2z-elb"
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/(?:[\w+=,.@-]+/)*([\w+=,.@-]{1,64})$")
_ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")


class WakerInputError(ValueError):
    pass


def role_name(reference):
    """The role name of a name or role ARN; raises WakerInputError for anything else."""
    if reference.startswith("arn:"):
        match = _ROLE_ARN.match(reference)
        if not match:
            raise WakerInputError(f"waker.role '{reference}' is not an IAM role ARN")
        return match.group(1)
    if not _ROLE_NAME.match(reference):
        raise WakerInputError(f"waker.role '{reference}' is not an IAM role name")
    return reference


def package():
    """The deployment package: the handler file alone, zipped with fixed metadata so equal code gives equal
    bytes (and an equal CodeSha256) on every run."""
    # Modules run from an AnsiballZ zip: read the file through its loader, not the file system.
    code = pkgutil.get_data(handler_module.__name__.rsplit(".", 1)[0], handler_module.FILE_NAME)
    if code is None:  # a namespace package (a checkout): no loader to ask
        with open(handler_module.__file__, "rb") as source:
            code = source.read()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo(handler_module.FILE_NAME, date_time=(2020, 1, 1, 0, 0, 0))
        info.external_attr = 0o644 << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, code)
    return buffer.getvalue()


def environment(cluster, service, wake_count, target_group_arn, rule_arns, refresh, hold):
    return {"ECSOPS_CLUSTER": cluster, "ECSOPS_SERVICE": service, "ECSOPS_WAKE_COUNT": str(wake_count),
            "ECSOPS_TARGET_GROUP_ARN": target_group_arn, "ECSOPS_RULE_ARNS": ",".join(sorted(rule_arns)),
            "ECSOPS_REFRESH_SECONDS": str(refresh), "ECSOPS_HOLD_SECONDS": str(hold)}


def function_config(role_arn, variables, description):
    return {"Runtime": RUNTIME, "Role": role_arn, "Handler": handler_module.HANDLER, "Timeout": TIMEOUT,
            "MemorySize": MEMORY, "Description": description, "Environment": {"Variables": variables}}


def config_changes(current, wanted):
    """The configuration fields of a function that differ from ``wanted`` (UpdateFunctionConfiguration's)."""
    changes = {}
    for key in ("Runtime", "Role", "Handler", "Timeout", "MemorySize", "Description"):
        if current.get(key) != wanted[key]:
            changes[key] = wanted[key]
    if ((current.get("Environment") or {}).get("Variables") or {}) != wanted["Environment"]["Variables"]:
        changes["Environment"] = wanted["Environment"]
    return changes


def is_keepalive(rule, keepalive_value):
    for condition in rule.get("Conditions") or []:
        config = condition.get("HttpHeaderConfig") or {}
        if condition.get("Field") == "http-header" and config.get("HttpHeaderName") == KEEPALIVE_HEADER \
                and keepalive_value in (config.get("Values") or []):
            return True
    return False


def keepalive_value(cluster, service):
    return f"{cluster}/{service}"


def forwarded(rule):
    groups = set()
    for action in rule.get("Actions") or []:
        if action.get("Type") != "forward":
            continue
        if action.get("TargetGroupArn"):
            groups.add(action["TargetGroupArn"])
        for group in (action.get("ForwardConfig") or {}).get("TargetGroups") or []:
            groups.add(group["TargetGroupArn"])
    return groups


def service_rules(rules, service_tg, waker_tg, keepalive):
    """The non-default rules that send the service's traffic: forwarding to its target group or, while it is
    parked, to the waker's. Not the keep-alive rule."""
    found = []
    for rule in rules:
        if rule.get("IsDefault") or is_keepalive(rule, keepalive):
            continue
        if forwarded(rule) & {service_tg, waker_tg} - {None}:
            found.append(rule)
    return found


def forward_to(rule, target_group_arn):
    """The rule's actions with every forward sent to one target group (other actions kept)."""
    return handler_module.restore_actions(rule, target_group_arn)


def keepalive_rule(keepalive, service_tg, taken_priorities):
    """CreateRule parameters of the keep-alive rule: the lowest free priority (the highest number)."""
    priority = 50000
    taken = {int(p) for p in taken_priorities if str(p).isdigit()}
    while priority in taken:
        priority -= 1
    return {"priority": priority,
            "conditions": [{"Field": "http-header", "HttpHeaderConfig": {
                "HttpHeaderName": KEEPALIVE_HEADER, "Values": [keepalive]}}],
            "actions": [{"Type": "forward", "TargetGroupArn": service_tg}]}
