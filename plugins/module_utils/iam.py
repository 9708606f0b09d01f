# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""IAM for ecsops.fargate: roles, inline policies and managed attachments.

Every boto3 call is one small function under ``api_call`` (client first, plain boto3 shapes
back); the pure helpers at the end build and compare policy documents.

    role = get_role(iam, "apps-execution")            # None when it does not exist
    document = get_role_policy(iam, name, "ecsops")   # None when the role has no such policy

IAM returns policy documents URL-encoded; botocore decodes them into dicts, so callers always
see dicts. ``policies_differ`` compares two documents as IAM would (statement order, single
values versus one-element lists, "Version" default), via amazon.aws's ``compare_policies``.
"""

from __future__ import annotations

import json
import re

from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies

from ansible_collections.ecsops.fargate.plugins.module_utils.api import api_call

NO_SUCH_ENTITY = ["NoSuchEntity", "NoSuchEntityException"]

ROLE_NAME_PATTERN = re.compile(r"^[\w+=,.@-]{1,64}$")
POLICY_NAME_PATTERN = re.compile(r"^[\w+=,.@-]{1,128}$")
MAX_ROLE_NAME_LENGTH = 64
# IAM's quotas for inline policies: 10,240 characters for all of a role's inline policies
# together (whitespace not counted), 6,144 for a managed policy.
MAX_INLINE_POLICY_CHARS = 10240


# --- roles ------------------------------------------------------------------------------------

@api_call("get IAM role", missing_codes=NO_SUCH_ENTITY)
def get_role(client, name):
    """The role (with AssumeRolePolicyDocument as a dict, Tags, PermissionsBoundary), or None."""
    return client.get_role(RoleName=name)["Role"]


@api_call("create IAM role")
def create_role(client, name, trust_policy, description=None, path=None, max_session_duration=None,
                permissions_boundary=None, tags=None):
    params = {"RoleName": name, "AssumeRolePolicyDocument": _dump(trust_policy)}
    if description:
        params["Description"] = description
    if path:
        params["Path"] = path
    if max_session_duration:
        params["MaxSessionDuration"] = max_session_duration
    if permissions_boundary:
        params["PermissionsBoundary"] = permissions_boundary
    if tags:
        params["Tags"] = [{"Key": k, "Value": v} for k, v in sorted(tags.items())]
    return client.create_role(**params)["Role"]


@api_call("update IAM role trust policy")
def update_assume_role_policy(client, name, trust_policy):
    client.update_assume_role_policy(RoleName=name, PolicyDocument=_dump(trust_policy))


@api_call("update IAM role")
def update_role(client, name, description=None, max_session_duration=None):
    params = {"RoleName": name}
    if description is not None:
        params["Description"] = description
    if max_session_duration is not None:
        params["MaxSessionDuration"] = max_session_duration
    client.update_role(**params)


@api_call("put IAM role permissions boundary")
def put_role_permissions_boundary(client, name, policy_arn):
    client.put_role_permissions_boundary(RoleName=name, PermissionsBoundary=policy_arn)


@api_call("delete IAM role permissions boundary", missing_codes=NO_SUCH_ENTITY)
def delete_role_permissions_boundary(client, name):
    client.delete_role_permissions_boundary(RoleName=name)


@api_call("delete IAM role", missing_codes=NO_SUCH_ENTITY)
def delete_role(client, name):
    """Delete the role; the caller removes its inline and attached policies first. Missing -> None."""
    client.delete_role(RoleName=name)


@api_call("tag IAM role")
def tag_role(client, name, tags):
    client.tag_role(RoleName=name, Tags=[{"Key": k, "Value": v} for k, v in sorted(tags.items())])


@api_call("untag IAM role")
def untag_role(client, name, keys):
    client.untag_role(RoleName=name, TagKeys=list(keys))


# --- inline policies ----------------------------------------------------------------------------

@api_call("get IAM role policy", missing_codes=NO_SUCH_ENTITY)
def get_role_policy(client, role_name, policy_name):
    """The inline policy's document (a dict), or None when the role has no such policy."""
    return client.get_role_policy(RoleName=role_name, PolicyName=policy_name)["PolicyDocument"]


@api_call("list IAM role policies", missing_codes=NO_SUCH_ENTITY, missing_value=[])
def list_role_policies(client, role_name):
    """Names of the role's inline policies (paged); [] when the role does not exist."""
    paginator = client.get_paginator("list_role_policies")
    return [name for page in paginator.paginate(RoleName=role_name) for name in page.get("PolicyNames") or []]


@api_call("put IAM role policy")
def put_role_policy(client, role_name, policy_name, document):
    client.put_role_policy(RoleName=role_name, PolicyName=policy_name, PolicyDocument=_dump(document))


@api_call("delete IAM role policy", missing_codes=NO_SUCH_ENTITY)
def delete_role_policy(client, role_name, policy_name):
    client.delete_role_policy(RoleName=role_name, PolicyName=policy_name)


# --- managed policy attachments -----------------------------------------------------------------

@api_call("list IAM role attached policies", missing_codes=NO_SUCH_ENTITY, missing_value=[])
def list_attached_role_policies(client, role_name):
    """ARNs of the managed policies attached to the role (paged); [] when the role does not exist."""
    paginator = client.get_paginator("list_attached_role_policies")
    return [p["PolicyArn"] for page in paginator.paginate(RoleName=role_name)
            for p in page.get("AttachedPolicies") or []]


@api_call("attach IAM role policy")
def attach_role_policy(client, role_name, policy_arn):
    client.attach_role_policy(RoleName=role_name, PolicyArn=policy_arn)


@api_call("detach IAM role policy", missing_codes=NO_SUCH_ENTITY)
def detach_role_policy(client, role_name, policy_arn):
    client.detach_role_policy(RoleName=role_name, PolicyArn=policy_arn)


# --- pure helpers -------------------------------------------------------------------------------

def service_trust_policy(service_principal, conditions=None):
    """The trust policy that lets one AWS service (``ecs-tasks.amazonaws.com``) assume the role."""
    statement = {"Effect": "Allow", "Principal": {"Service": service_principal}, "Action": "sts:AssumeRole"}
    if conditions:
        statement["Condition"] = conditions
    return {"Version": "2012-10-17", "Statement": [statement]}


def policy_document(statements):
    """A policy document from a list of statements (``Version`` 2012-10-17)."""
    return {"Version": "2012-10-17", "Statement": list(statements)}


def policies_differ(current, desired):
    """True when two policy documents (dicts or JSON strings; None = no policy) differ for IAM."""
    current = _load(current)
    desired = _load(desired)
    if current is None or desired is None:
        return current is not desired
    return compare_policies(current, desired, default_version="2012-10-17")


def policy_size(document):
    """Characters IAM counts against its policy quotas (whitespace excluded)."""
    return len(json.dumps(_load(document), separators=(",", ":"), sort_keys=True))


def managed_policy_arn(name_or_arn, partition="aws"):
    """An AWS managed policy's ARN from its name (``AmazonECSTaskExecutionRolePolicy``) or path; ARNs pass."""
    if name_or_arn.startswith("arn:"):
        return name_or_arn
    known_paths = {"AmazonECSTaskExecutionRolePolicy": "service-role/",
                   "AWSLambdaBasicExecutionRole": "service-role/"}
    path = known_paths.get(name_or_arn, "")
    return f"arn:{partition}:iam::aws:policy/{path}{name_or_arn}"


def role_tags(role):
    """A role's tags (GetRole's ``Tags`` list) as a dict."""
    return {t["Key"]: t["Value"] for t in (role or {}).get("Tags") or []}


def validate_role_name(name, what="role name"):
    """Return ``name`` if IAM accepts it as a role name, else raise ValueError saying why."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"{what} must be a non-empty string")
    if len(name) > MAX_ROLE_NAME_LENGTH:
        raise ValueError(f"{what} '{name}' is {len(name)} characters long; IAM allows at most {MAX_ROLE_NAME_LENGTH}")
    if not ROLE_NAME_PATTERN.match(name):
        raise ValueError(f"{what} '{name}' may only hold letters, digits and + = , . @ _ -")
    return name


def _load(document):
    if document is None or isinstance(document, dict):
        return document
    return json.loads(document)


def _dump(document):
    return document if isinstance(document, str) else json.dumps(document, sort_keys=True)
