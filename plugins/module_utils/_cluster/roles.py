# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""fargate_task_roles' pure half: the roles a cluster's services need, as documents, and the plan.

    context = Context.from_cluster("arn:aws:ecs:eu-west-1:123456789012:cluster/dev")
    wanted = desired_roles(params, context)      # {role name: RoleSpec}; raises RolesInputError
    steps = plan_role(spec, current)             # current: read_role()'s dict or None

Three kinds of role:

- the task execution role (ECS pulls images, writes logs, resolves secrets): trust ecs-tasks,
  AmazonECSTaskExecutionRolePolicy, and an inline policy reading the environment's SSM parameters
  (ssm:GetParameters on ``parameter/<prefix>*``), Secrets Manager secrets under a name prefix and
  kms:Decrypt on the given keys;
- one task role per service that asks for one (the app's own permissions): trust ecs-tasks limited
  to this account's ECS, inline statements from the service's config;
- the scale_to_zero waker's Lambda role: trust lambda, its own logs, ecs:UpdateService and
  DescribeServices on the cluster's services, elasticloadbalancing:ModifyRule on the listener
  rules of the given load balancers, DescribeRules and DescribeTargetHealth (which IAM only
  grants on ``*``).
"""

from __future__ import annotations

import re

from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.ecsops.fargate.plugins.module_utils import iam

EXECUTION_POLICY = "AmazonECSTaskExecutionRolePolicy"
_CLUSTER_ARN = re.compile(r"^arn:(aws[a-z-]*):ecs:([a-z0-9-]+):(\d{12}):cluster/([A-Za-z0-9_-]{1,255})$")
_KMS_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)/.+$")
_ACCOUNT = re.compile(r"^\d{12}$")
_EFFECTS = ("Allow", "Deny")


def role_options():
    """The argument spec of the roles (fargate_task_roles' options, and fargate_cluster's ``iam``)."""
    statements = dict(type="list", elements="dict", default=[])
    return dict(
        account_id=dict(type="str"),
        execution_role=dict(type="dict", options=dict(
            name=dict(type="str"), ssm_parameter_prefix=dict(type="str"), secrets_prefix=dict(type="str", no_log=False),
            kms_key_arns=dict(type="list", elements="str", default=[], no_log=False),
            managed_policies=dict(type="list", elements="str"), statements=statements)),
        task_roles=dict(type="list", elements="dict", default=[], options=dict(
            service=dict(type="str", required=True), name=dict(type="str"), statements=statements,
            managed_policies=dict(type="list", elements="str"))),
        waker_role=dict(type="dict", options=dict(
            name=dict(type="str"), function_prefix=dict(type="str"),
            load_balancer_names=dict(type="list", elements="str", default=[]), statements=statements)),
        inline_policy_name=dict(type="str", default="ecsops-fargate"),
        permissions_boundary=dict(type="str"),
    )


class RolesInputError(ValueError):
    """The arguments cannot describe roles IAM would accept; raised before any call."""


class Context:
    """Where the roles live: partition, region, account and cluster name (from the cluster's ARN)."""

    def __init__(self, cluster, region, account, partition=None):
        self.cluster = cluster
        self.region = region
        self.account = account
        self.partition = partition or partition_of(region)

    @classmethod
    def from_cluster(cls, cluster, region=None, account=None):
        match = _CLUSTER_ARN.match(cluster or "")
        if match:
            partition, arn_region, arn_account, name = match.groups()
            return cls(name, arn_region, arn_account, partition)
        if not re.match(r"^[A-Za-z0-9_-]{1,255}$", cluster or ""):
            raise RolesInputError(f"cluster '{cluster}' is neither a cluster name nor a cluster ARN")
        if account is not None and not _ACCOUNT.match(str(account)):
            raise RolesInputError(f"account_id '{account}' is not a 12-digit AWS account id")
        return cls(cluster, region, account)

    def arn(self, service, resource, region=True, account=True):
        return (f"arn:{self.partition}:{service}:{self.region if region else ''}:"
                f"{self.account if account else ''}:{resource}")


def partition_of(region):
    region = region or ""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


class RoleSpec:
    """One role as wanted: name, purpose, trust policy, inline policy (or None), managed policies
    (None: not managed), description, tags, permissions boundary."""

    def __init__(self, name, purpose, trust, inline, managed, description, tags, boundary, service=None):
        self.name = name
        self.purpose = purpose
        self.trust = trust
        self.inline = inline
        self.managed = managed
        self.description = description
        self.tags = tags
        self.boundary = boundary
        self.service = service

    def as_state(self):
        return {"purpose": self.purpose, "trust_policy": self.trust, "inline_policy": self.inline,
                "managed_policies": sorted(self.managed) if self.managed is not None else None,
                "description": self.description, "tags": self.tags, "permissions_boundary": self.boundary}


# --- statements ---------------------------------------------------------------------------------

def ecs_tasks_trust(context, confused_deputy=True):
    """ecs-tasks.amazonaws.com may assume the role; for task roles only on behalf of this account's ECS."""
    conditions = None
    if confused_deputy and context.account:
        conditions = {"ArnLike": {"aws:SourceArn": context.arn("ecs", "*")},
                      "StringEquals": {"aws:SourceAccount": context.account}}
    return iam.service_trust_policy("ecs-tasks.amazonaws.com", conditions)


def execution_statements(spec, context):
    statements = []
    prefix = spec.get("ssm_parameter_prefix")
    if prefix:
        statements.append({"Sid": "ReadParameters", "Effect": "Allow", "Action": ["ssm:GetParameters"],
                           "Resource": context.arn("ssm", f"parameter/{prefix.lstrip('/')}*")})
    prefix = spec.get("secrets_prefix")
    if prefix:
        statements.append({"Sid": "ReadSecrets", "Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"],
                           "Resource": context.arn("secretsmanager", f"secret:{prefix}*")})
    keys = spec.get("kms_key_arns") or []
    for key in keys:
        if not _KMS_ARN.match(key):
            raise RolesInputError(f"kms_key_arns: '{key}' is not a KMS key or alias ARN")
    if keys:
        statements.append({"Sid": "DecryptSecrets", "Effect": "Allow", "Action": ["kms:Decrypt"],
                           "Resource": sorted(keys)})
    return statements + validate_statements(spec.get("statements"), "execution_role.statements")


def waker_statements(spec, context):
    function_prefix = spec.get("function_prefix") or f"{context.cluster}-"
    log_group = context.arn("logs", f"log-group:/aws/lambda/{function_prefix}*")
    balancers = spec.get("load_balancer_names") or ["*"]
    return [
        {"Sid": "WriteOwnLogs", "Effect": "Allow", "Action": ["logs:CreateLogGroup"], "Resource": log_group},
        {"Sid": "WriteOwnLogStreams", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": f"{log_group}:*"},
        {"Sid": "WakeServices", "Effect": "Allow", "Action": ["ecs:DescribeServices", "ecs:UpdateService"],
         "Resource": context.arn("ecs", f"service/{context.cluster}/*")},
        {"Sid": "SwitchListenerRules", "Effect": "Allow", "Action": ["elasticloadbalancing:ModifyRule"],
         "Resource": sorted(context.arn("elasticloadbalancing", f"listener-rule/app/{lb}/*") for lb in balancers)},
        # DescribeRules and DescribeTargetHealth take no resource-level permissions: IAM wants "*".
        {"Sid": "ReadListenerRulesAndTargets", "Effect": "Allow",
         "Action": ["elasticloadbalancing:DescribeRules", "elasticloadbalancing:DescribeTargetHealth"],
         "Resource": "*"},
    ] + validate_statements(spec.get("statements"), "waker_role.statements")


def validate_statements(statements, what):
    """Policy statements as given (dicts with Effect, Action or NotAction, Resource or NotResource)."""
    out = []
    for index, statement in enumerate(statements or []):
        where = f"{what}[{index}]"
        if not isinstance(statement, dict):
            raise RolesInputError(f"{where} must be a policy statement (a dict)")
        effect = statement.get("Effect", "Allow")
        if effect not in _EFFECTS:
            raise RolesInputError(f"{where}: Effect must be Allow or Deny, not {effect!r}")
        if not (statement.get("Action") or statement.get("NotAction")):
            raise RolesInputError(f"{where} has no Action")
        if not (statement.get("Resource") or statement.get("NotResource")):
            raise RolesInputError(f"{where} has no Resource")
        if "Principal" in statement or "NotPrincipal" in statement:
            raise RolesInputError(f"{where}: an identity policy statement has no Principal")
        out.append(dict(statement, Effect=effect))
    return out


def _inline(statements):
    if not statements:
        return None
    document = iam.policy_document(statements)
    if iam.policy_size(document) > iam.MAX_INLINE_POLICY_CHARS:
        raise RolesInputError(f"the inline policy is {iam.policy_size(document)} characters; IAM allows "
                              f"{iam.MAX_INLINE_POLICY_CHARS} per role")
    return document


# --- what is wanted -----------------------------------------------------------------------------

def desired_roles(params, context):
    """``{role name: RoleSpec}`` for the execution role, each task role and the waker role."""
    tags = dict(params.get("tags") or {})
    boundary = params.get("permissions_boundary")
    cluster = context.cluster
    roles = []

    execution = params.get("execution_role")
    if execution is not None:
        managed = execution.get("managed_policies")
        if managed is None:
            managed = [EXECUTION_POLICY]
        roles.append(RoleSpec(
            execution.get("name") or f"{cluster}-execution", "execution", ecs_tasks_trust(context, False),
            _inline(execution_statements(execution, context)),
            [iam.managed_policy_arn(p, context.partition) for p in managed],
            f"ECS task execution role of cluster {cluster} (ecsops.fargate)", tags, boundary))

    seen = set()
    for task in params.get("task_roles") or []:
        service = task["service"]
        if service in seen:
            raise RolesInputError(f"task_roles lists service {service} twice")
        seen.add(service)
        managed = task.get("managed_policies")
        roles.append(RoleSpec(
            task.get("name") or f"{cluster}-{service}-task", "task", ecs_tasks_trust(context),
            _inline(validate_statements(task.get("statements"), f"task_roles[{service}].statements")),
            [iam.managed_policy_arn(p, context.partition) for p in managed] if managed is not None else None,
            f"ECS task role of service {service} in cluster {cluster} (ecsops.fargate)", tags, boundary,
            service=service))

    waker = params.get("waker_role")
    if waker is not None:
        roles.append(RoleSpec(
            waker.get("name") or f"{cluster}-waker", "waker", iam.service_trust_policy("lambda.amazonaws.com"),
            _inline(waker_statements(waker, context)), None,
            f"scale_to_zero waker (Lambda) of cluster {cluster} (ecsops.fargate)", tags, boundary))

    out = {}
    for spec in roles:
        try:
            iam.validate_role_name(spec.name, f"{spec.purpose} role name")
        except ValueError as e:
            raise RolesInputError(str(e)) from e
        if spec.name in out:
            raise RolesInputError(f"two roles would be named {spec.name}")
        out[spec.name] = spec
    return out


# --- plan ---------------------------------------------------------------------------------------

def current_state(role, inline, attached):
    """What exists of one role, in RoleSpec.as_state()'s shape; None when the role does not exist.
    ``attached`` is None when the attachments were not read (not managed)."""
    if role is None:
        return None
    return {"arn": role["Arn"], "trust_policy": role.get("AssumeRolePolicyDocument"), "inline_policy": inline,
            "managed_policies": sorted(attached) if attached is not None else None,
            "description": role.get("Description"), "tags": iam.role_tags(role),
            "permissions_boundary": (role.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")}


def plan_role(spec, current, purge_tags=True):
    """Steps that take one role from ``current`` (current_state) to ``spec``; [] when it matches."""
    name = spec.name
    if current is None:
        steps = [{"action": "create_role", "role": name}]
        if spec.inline is not None:
            steps.append({"action": "put_role_policy", "role": name})
        steps.extend({"action": "attach_role_policy", "role": name, "policy_arn": arn}
                     for arn in sorted(spec.managed or []))
        return steps
    steps = []
    if iam.policies_differ(current["trust_policy"], spec.trust):
        steps.append({"action": "update_trust_policy", "role": name})
    if (current["description"] or None) != spec.description:
        steps.append({"action": "update_description", "role": name})
    if spec.boundary and current["permissions_boundary"] != spec.boundary:
        steps.append({"action": "put_boundary", "role": name})
    to_set, to_unset = compare_aws_tags(current["tags"], spec.tags, purge_tags=purge_tags)
    if to_set:
        steps.append({"action": "tag_role", "role": name, "tags": to_set})
    if to_unset:
        steps.append({"action": "untag_role", "role": name, "keys": sorted(to_unset)})
    if spec.inline is None:
        if current["inline_policy"] is not None:
            steps.append({"action": "delete_role_policy", "role": name})
    elif iam.policies_differ(current["inline_policy"], spec.inline):
        steps.append({"action": "put_role_policy", "role": name})
    if spec.managed is not None and current["managed_policies"] is not None:
        have, want = set(current["managed_policies"]), set(spec.managed)
        steps.extend({"action": "attach_role_policy", "role": name, "policy_arn": arn} for arn in sorted(want - have))
        steps.extend({"action": "detach_role_policy", "role": name, "policy_arn": arn} for arn in sorted(have - want))
    return steps


def role_arn(spec_name, context, current=None):
    """The role's ARN: read, or (before it exists, in check mode) the one IAM will give it."""
    if current is not None:
        return current["arn"]
    if context.account is None:
        return None
    return f"arn:{context.partition}:iam::{context.account}:role/{spec_name}"


def describe_step(step):
    detail = {k: v for k, v in step.items() if k not in ("action", "role", "tags")}
    words = ", ".join(f"{k}={v}" for k, v in detail.items())
    return f"{step['action'].replace('_', ' ')} {step['role']}" + (f" ({words})" if words else "")
