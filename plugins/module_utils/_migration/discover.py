# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Discovery's pure half: from the EC2 app's boto3 descriptions to a starting Fargate inventory. No AWS calls.

SecureString parameters become references (ARN or name) for the task's secrets; their values are never read here.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import re

from ansible_collections.ecsops.fargate.plugins.module_utils._ecs.fargate import FARGATE_SIZES, TaskSizeError, validate_task_size

# instance size -> (vCPU, memory GiB), from the EC2 instance type pages of the families migrations meet most.
_BURSTABLE = {"nano": (2, 0.5), "micro": (2, 1), "small": (2, 2), "medium": (2, 4), "large": (2, 8), "xlarge": (4, 16), "2xlarge": (8, 32)}
_GENERAL = {"large": (2, 8), "xlarge": (4, 16), "2xlarge": (8, 32), "4xlarge": (16, 64), "8xlarge": (32, 128)}
_BURSTABLE_FAMILIES = ("t2", "t3", "t3a", "t4g")
INSTANCE_TYPES = {
    "t2": {"nano": (1, 0.5), "micro": (1, 1), "small": (1, 2), "medium": (2, 4), "large": (2, 8), "xlarge": (4, 16), "2xlarge": (8, 32)},
    "t3": _BURSTABLE,
    "t3a": _BURSTABLE,
    "t4g": _BURSTABLE,
    "m5": _GENERAL,
    "m6i": _GENERAL,
    "c5": {"large": (2, 4), "xlarge": (4, 8), "2xlarge": (8, 16), "4xlarge": (16, 32), "9xlarge": (36, 72)},
    "c6i": {"large": (2, 4), "xlarge": (4, 8), "2xlarge": (8, 16), "4xlarge": (16, 32), "8xlarge": (32, 64)},
    "r5": {"large": (2, 16), "xlarge": (4, 32), "2xlarge": (8, 64), "4xlarge": (16, 128)},
}


def suggest_task_size(instance_type):
    """Return ((cpu, memory), reason): the smallest Fargate size with at least the instance's vCPU and memory.

    (None, reason) when the type is unknown or larger than any Fargate task.
    """
    family, _sep, size = str(instance_type or "").partition(".")
    spec = INSTANCE_TYPES.get(family, {}).get(size)
    if spec is None:
        return None, (f"instance type {instance_type!r} is not in the known table ({', '.join(sorted(INSTANCE_TYPES))}); "
                      "choose the task cpu/memory yourself")
    vcpus, memory_gib = spec
    want_cpu, want_memory = vcpus * 1024, int(memory_gib * 1024)
    # Walk the collection's own Fargate table (not a copy of it), smallest cpu first.
    for cpu in sorted(FARGATE_SIZES):
        if cpu < want_cpu:
            continue
        fitting = [memory for memory in FARGATE_SIZES[cpu] if memory >= want_memory]
        if fitting:
            try:
                suggested = validate_task_size(str(cpu), str(fitting[0]))
            except TaskSizeError as error:  # would mean the table and the validation disagree
                return None, str(error)
            reason = f"{instance_type} has {vcpus} vCPU and {memory_gib:g} GiB: Fargate cpu {suggested[0]}, memory {suggested[1]} MiB"
            if family in _BURSTABLE_FAMILIES:
                # a t-instance runs at a fraction of its vCPUs most of the time; sizing on them over-provisions
                reason += "; burstable instance: its baseline CPU is a fraction of its vCPUs, a smaller cpu may do (check its CPUUtilization)"
            return suggested, reason
    return None, f"{instance_type} ({vcpus} vCPU, {memory_gib:g} GiB) is larger than any Fargate task size"


def _user_data_text(user_data_b64):
    if not user_data_b64:
        return ""
    raw = user_data_b64.encode() if isinstance(user_data_b64, str) else bytes(user_data_b64)
    try:
        data = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        data = raw  # already plain text (a script given as is)
    if data[:2] == b"\x1f\x8b":  # cloud-init accepts gzip-compressed user data
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError):
            return ""
    return data.decode("utf-8", errors="replace")


_PATTERNS = (
    ("packages", re.compile(r"\b(?:apt-get|apt|yum|dnf)\s+(?:-\S+\s+)*install\s+(?P<what>.+)")),
    ("npm_global", re.compile(r"\bnpm\s+(?:install|i)\b(?=.*\s(?:-g|--global)\b)\s*(?P<what>.*)")),
    ("pm2", re.compile(r"\bpm2\s+(?P<what>\S.*)")),
    ("systemd", re.compile(r"\bsystemctl\s+(?:enable|start|restart)\s+(?:--now\s+)?(?P<what>.+)")),
    ("systemd", re.compile(r"(?P<what>/etc/systemd/system/\S+)")),
    ("node_version", re.compile(r"\bnvm\s+(?:install|use|alias\s+default)\s+(?P<what>\S+)")),
    # the whole command: the schedule is usually before "| crontab -"
    ("cron", re.compile(r"(?P<what>.*(?:\bcrontab\b|/etc/cron).*)")),
)


def user_data_findings(user_data_b64):
    """What the user data sets up on the instance that a container image must take over: a list of dicts
    {kind, detail, line}. Empty, undecodable or gzip input never raises."""
    findings = []
    for number, text in _commands(_user_data_text(user_data_b64)):
        for kind, pattern in _PATTERNS:
            match = pattern.search(text)
            if match:
                detail = re.sub(r"(?:^|\s)(?:-y|-g|--global|-q|--yes)(?=\s|$)", "", match.group("what")).strip()
                findings.append({"kind": kind, "detail": " ".join(detail.split()), "line": number})
                break
    return findings


def _commands(script):
    """(line number, command) pairs: continuation lines joined, comments skipped, `a && b; c` split into commands."""
    start, pending = None, ""
    for number, line in enumerate(script.splitlines(), start=1):
        text = line.strip()
        if not pending and (not text or text.startswith("#")):
            continue
        start = start if pending else number
        if text.endswith("\\"):
            pending += text[:-1] + " "
            continue
        for command in re.split(r"&&|\|\||;", pending + text):
            if command.strip():
                yield start, command.strip()
        pending = ""
    if pending.strip():
        yield start, pending.strip()


def _env_name(parameter_name):
    name = re.sub(r"[^A-Za-z0-9_]", "_", parameter_name.rstrip("/").rsplit("/", 1)[-1]).upper()
    return name if not name[:1].isdigit() else f"_{name}"


def _service_name(asg_name):
    # ECS service names: letters, numbers, hyphens and underscores, up to 255.
    return re.sub(r"[^A-Za-z0-9_-]", "-", asg_name)[:255]


def _security_groups(template_data):
    groups = list(template_data.get("SecurityGroupIds", []))
    for interface in template_data.get("NetworkInterfaces", []):
        groups.extend(interface.get("Groups", []))
    return sorted(set(groups))


def starting_inventory(asg, launch_template_version, target_group, rule, parameters):
    """The starting Fargate service entry, what could not be inferred, and the ids discovery records for cleanup.

    asg: one AutoScalingGroups item; launch_template_version: one LaunchTemplateVersions item;
    target_group: one TargetGroups item; rule: one Rules item; parameters: SSM parameters (Name, Type, ARN and,
    for String/StringList only, Value). SecureString values are ignored even if present.
    """
    template_data = launch_template_version.get("LaunchTemplateData", {})
    not_inferred = [{"kind": "image", "detail": "the container image: build one that does what the instance did"}]

    instance_type = template_data.get("InstanceType")
    size, reason = suggest_task_size(instance_type)
    if size is None:
        not_inferred.append({"kind": "task_size", "detail": reason})
    not_inferred.extend(user_data_findings(template_data.get("UserData")))

    environment, secrets = {}, []
    for parameter in sorted(parameters or [], key=lambda item: item["Name"]):
        name = _env_name(parameter["Name"])
        if parameter.get("Type") == "SecureString":
            secrets.append({"name": name, "value_from": parameter.get("ARN") or parameter["Name"]})
        elif "Value" in parameter:
            environment[name] = parameter["Value"]
        else:
            not_inferred.append({"kind": "parameter", "detail": f"{parameter['Name']}: no value given"})

    target_group_arn = target_group["TargetGroupArn"]
    if target_group_arn not in asg.get("TargetGroupARNs", []):
        not_inferred.append({"kind": "target_group", "detail": f"the Auto Scaling group does not register into {target_group_arn}"})
    forwarded = [group.get("TargetGroupArn") for action in rule.get("Actions", []) if action.get("Type") == "forward"
                 for group in ([{"TargetGroupArn": action.get("TargetGroupArn")}] + action.get("ForwardConfig", {}).get("TargetGroups", []))]
    if target_group_arn not in forwarded:
        not_inferred.append({"kind": "listener_rule", "detail": f"the rule does not forward to {target_group_arn}"})

    service = {
        "name": _service_name(asg["AutoScalingGroupName"]),
        "port": target_group.get("Port"),
        "desired_count": asg.get("DesiredCapacity"),
        "health_check": {
            "path": target_group.get("HealthCheckPath"),
            "codes": target_group.get("Matcher", {}).get("HttpCode"),
            "interval": target_group.get("HealthCheckIntervalSeconds"),
            "timeout": target_group.get("HealthCheckTimeoutSeconds"),
            "healthy_threshold": target_group.get("HealthyThresholdCount"),
            "unhealthy_threshold": target_group.get("UnhealthyThresholdCount"),
        },
        "cpu": size[0] if size else None,
        "memory": size[1] if size else None,
        "environment": environment,
        "secrets": secrets,
    }
    template = asg.get("LaunchTemplate") or asg.get("MixedInstancesPolicy", {}).get("LaunchTemplate", {}).get("LaunchTemplateSpecification", {})
    profile = template_data.get("IamInstanceProfile", {})
    recorded_ids = {
        "asg_name": asg["AutoScalingGroupName"],
        "launch_template_id": launch_template_version.get("LaunchTemplateId") or template.get("LaunchTemplateId"),
        "security_group_ids": _security_groups(template_data),
        "instance_profile": profile.get("Arn") or profile.get("Name"),
        "target_group_arn": target_group_arn,
        "rule_arn": rule.get("RuleArn"),
    }
    return {"service": service, "not_inferred": not_inferred, "recorded_ids": recorded_ids}
