# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The migration's AWS calls that no other concern of the collection makes: EC2 Auto Scaling, launch templates,
SSM parameter metadata, instance profiles, network interfaces. One call per function, under api_call."""

from __future__ import annotations

from ansible_collections.ecsops.fargate.plugins.module_utils.api import api_call

SSM_NAMES_PER_CALL = 10  # GetParameters takes at most 10 names


def _paged(client, operation, key, **params):
    found = []
    for page in client.get_paginator(operation).paginate(**params):
        found.extend(page.get(key) or [])
    return found


# -- EC2 Auto Scaling ---------------------------------------------------------------------------------

@api_call("describe Auto Scaling groups")
def describe_auto_scaling_group(client, name):
    """The group, or None."""
    groups = client.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"]
    return groups[0] if groups else None


@api_call("scale the Auto Scaling group to zero")
def scale_to_zero(client, name):
    client.update_auto_scaling_group(AutoScalingGroupName=name, MinSize=0, MaxSize=0, DesiredCapacity=0)


@api_call("delete Auto Scaling group", missing_codes=["ValidationError"])
def delete_auto_scaling_group(client, name):
    # ValidationError is how EC2 Auto Scaling says "not found"; ForceDelete because the group is at zero anyway
    client.delete_auto_scaling_group(AutoScalingGroupName=name, ForceDelete=True)
    return True


# -- EC2 ----------------------------------------------------------------------------------------------

_TEMPLATE_MISSING = ["InvalidLaunchTemplateId.NotFound", "InvalidLaunchTemplateName.NotFoundException"]


@api_call("describe launch template versions", missing_codes=_TEMPLATE_MISSING)
def describe_launch_template_version(client, template_id=None, template_name=None, version="$Default"):
    params = {"Versions": [str(version)]}
    if template_id:
        params["LaunchTemplateId"] = template_id
    else:
        params["LaunchTemplateName"] = template_name
    versions = client.describe_launch_template_versions(**params)["LaunchTemplateVersions"]
    return versions[0] if versions else None


@api_call("delete launch template", missing_codes=["InvalidLaunchTemplateId.NotFound"])
def delete_launch_template(client, template_id):
    client.delete_launch_template(LaunchTemplateId=template_id)
    return True


@api_call("describe network interfaces")
def network_interfaces_of_group(client, group_id):
    return _paged(client, "describe_network_interfaces", "NetworkInterfaces",
                  Filters=[{"Name": "group-id", "Values": [group_id]}])


@api_call("describe launch templates")
def describe_launch_templates(client):
    return _paged(client, "describe_launch_templates", "LaunchTemplates")


# -- SSM: metadata first, values only for plain parameters ----------------------------------------------

@api_call("describe SSM parameters")
def describe_parameters(client, path):
    """Metadata (Name, Type, ARN...) under a path, recursively; no value is read."""
    return _paged(client, "describe_parameters", "Parameters",
                  ParameterFilters=[{"Key": "Path", "Option": "Recursive", "Values": [path]}])


@api_call("get SSM parameters")
def get_plain_parameters(client, names):
    """Values of String/StringList parameters. Never called with a SecureString name; no decryption asked."""
    found = []
    names = list(names)
    for start in range(0, len(names), SSM_NAMES_PER_CALL):
        found.extend(client.get_parameters(Names=names[start:start + SSM_NAMES_PER_CALL],
                                           WithDecryption=False)["Parameters"])
    return found


# -- IAM instance profiles --------------------------------------------------------------------------------

_NO_SUCH_ENTITY = ["NoSuchEntity"]


@api_call("get IAM instance profile", missing_codes=_NO_SUCH_ENTITY)
def get_instance_profile(client, name):
    return client.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]


@api_call("list instance profiles for role", missing_codes=_NO_SUCH_ENTITY, missing_value=[])
def instance_profiles_for_role(client, role_name):
    return _paged(client, "list_instance_profiles_for_role", "InstanceProfiles", RoleName=role_name)


@api_call("remove role from instance profile", missing_codes=_NO_SUCH_ENTITY)
def remove_role_from_instance_profile(client, profile_name, role_name):
    client.remove_role_from_instance_profile(InstanceProfileName=profile_name, RoleName=role_name)


@api_call("delete IAM instance profile", missing_codes=_NO_SUCH_ENTITY)
def delete_instance_profile(client, name):
    client.delete_instance_profile(InstanceProfileName=name)
    return True
