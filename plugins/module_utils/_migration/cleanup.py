# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Cleanup's pure half: may the EC2 app go, and what goes (and what stays, and why). No AWS calls."""

from __future__ import annotations

import datetime
import re

# EC2 Auto Scaling group names: 1 to 255 characters, no colon (the ARN separator).
_ASG_NAME = re.compile(r"^[^:]{1,255}$")
_IDS = {
    "launch_template_id": re.compile(r"^lt-[0-9a-f]{8,17}$"),
    "security_group_ids": re.compile(r"^sg-[0-9a-f]{8,17}$"),
    "instance_ids": re.compile(r"^i-[0-9a-f]{8,17}$"),
}
_TARGET_GROUP_ARN = re.compile(r"^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:targetgroup/[A-Za-z0-9-]{1,32}/[0-9a-f]+$")


class InputError(ValueError):
    """Input that is not what discovery writes or AWS accepts; raised before any call."""


class CleanupRefused(InputError):
    """Cleanup must not run (yet); raised before any write."""


def validate_discovery_input(params):
    """Raise InputError on an unusable Auto Scaling group name or SSM path, before any call."""
    if not _ASG_NAME.match(str(params.get("asg_name") or "")):
        raise InputError(f"asg_name {params.get('asg_name')!r} is not an Auto Scaling group name (1 to 255 characters, no colon)")
    path = params.get("ssm_path")
    if path is not None and (not path.startswith("/") or len(path) > 2048):
        raise InputError(f"ssm_path {path!r} must be an SSM parameter path starting with / (e.g. /shop/prod/)")
    if params.get("target_group_arn") and not _TARGET_GROUP_ARN.match(params["target_group_arn"]):
        raise InputError(f"target_group_arn {params['target_group_arn']!r} is not a target group ARN")


def validate_cleanup_input(recorded_ids, fargate_target_group_arn, bake_seconds):
    """Raise InputError when the recorded ids or the other input are not what discovery writes."""
    ids = recorded_ids or {}
    if not _ASG_NAME.match(str(ids.get("asg_name") or "")):
        raise InputError(f"recorded asg_name {ids.get('asg_name')!r} is not an Auto Scaling group name: "
                         "run playbooks/migrate_discover.yml first")
    for key, pattern in _IDS.items():
        values = ids.get(key)
        for value in (values if isinstance(values, list) else [values] if values else []):
            if not isinstance(value, str) or not pattern.match(value):
                raise InputError(f"recorded {key} has {value!r}, which is not such an id: the discovery file is damaged")
    if not _TARGET_GROUP_ARN.match(str(fargate_target_group_arn or "")):
        raise InputError(f"fargate_target_group_arn {fargate_target_group_arn!r} is not a target group ARN")
    if bake_seconds < 0:
        raise InputError(f"bake_seconds is {bake_seconds}: it cannot be negative")


def check_guards(confirm, recorded_ids, fargate_percent, completed_at, bake_seconds, now):
    """Raise CleanupRefused unless every guard holds: confirmation, recorded ids, a complete cutover, the bake."""
    if confirm is not True:
        raise CleanupRefused("cleanup deletes the EC2 app: set confirm to true (the playbook's migrate_cleanup_confirm) to go on")
    for key in ("asg_name", "launch_template_id", "rule_arn"):
        if not (recorded_ids or {}).get(key):
            raise CleanupRefused(f"the ids recorded at discovery lack {key}: run playbooks/migrate_discover.yml first")
    if fargate_percent is None:
        raise CleanupRefused("the listener rule's split is unknown (no target_group_arn recorded): cleanup needs a complete "
                             "cutover, 100 % on Fargate, and deletes nothing without proof of it")
    if fargate_percent != 100:
        raise CleanupRefused(f"the listener rule sends {100 - fargate_percent} % of the traffic to EC2: cleanup needs "
                             "a complete cutover (100 % on Fargate)")
    if completed_at is None:
        raise CleanupRefused("no record of a completed cutover: run playbooks/migrate_cutover.yml to the end first")
    baked = (now - parse_time(completed_at)).total_seconds()
    if baked < bake_seconds:
        raise CleanupRefused(f"the cutover completed {baked:.0f} s ago: wait the bake period of {bake_seconds} s "
                             f"({bake_seconds - baked:.0f} s more)")


def parse_time(value):
    if isinstance(value, datetime.datetime):
        moment = value
    else:
        try:
            moment = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError as error:
            raise CleanupRefused(f"cutover_completed_at {value!r} is not an ISO 8601 time") from error
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)


def check_group_matches(recorded_ids, group):
    """The Auto Scaling group found under the recorded name must be the one discovery saw (same launch template)."""
    if group is None:
        return None
    template = group.get("LaunchTemplate") or group.get("MixedInstancesPolicy", {}).get(
        "LaunchTemplate", {}).get("LaunchTemplateSpecification", {})
    if template.get("LaunchTemplateId") and template["LaunchTemplateId"] != recorded_ids["launch_template_id"]:
        raise CleanupRefused(f"the Auto Scaling group {group['AutoScalingGroupName']} now uses launch template "
                             f"{template['LaunchTemplateId']}, not {recorded_ids['launch_template_id']} as recorded at "
                             "discovery: it is not the group discovery saw; nothing deleted")
    return group


def security_group_verdict(group_id, interfaces, app_instance_ids, referencing_groups, other_templates):
    """(True, None) when only the EC2 app uses the security group, else (False, why it stays)."""
    others = sorted(interface["NetworkInterfaceId"] for interface in interfaces or []
                    if (interface.get("Attachment") or {}).get("InstanceId") not in app_instance_ids)
    if others:
        return False, f"{group_id} is attached to other network interfaces ({', '.join(others)})"
    referencing = sorted(group["GroupId"] for group in referencing_groups or [] if group["GroupId"] != group_id)
    if referencing:
        return False, f"{group_id} is referenced by the rules of {', '.join(referencing)}"
    if other_templates:
        return False, f"{group_id} is used by other launch templates ({', '.join(sorted(other_templates))})"
    return True, None


def role_verdict(role_name, profiles_of_role, profile_name):
    """(True, None) when the role serves only the app's instance profile, else (False, why it stays)."""
    others = sorted(profile["InstanceProfileName"] for profile in profiles_of_role or []
                    if profile["InstanceProfileName"] != profile_name)
    if others:
        return False, f"role {role_name} also serves instance profiles {', '.join(others)}"
    return True, None


def profile_name_of(reference):
    """An instance profile ARN or name -> its name."""
    if not reference:
        return None
    return str(reference).rsplit("/", 1)[-1]
