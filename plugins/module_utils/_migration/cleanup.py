# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Cleanup's pure half: may the EC2 app go, and what goes (and what stays, and why). No AWS calls."""

from __future__ import annotations

import datetime


class CleanupRefused(ValueError):
    """Cleanup must not run (yet); raised before any write."""


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
