#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: fargate_task_roles
short_description: Converge the IAM roles of a Fargate cluster's services in one call
version_added: 0.2.0
description:
  - Creates or updates, in one module invocation, the IAM roles a cluster's services need.
  - The task execution role (ECS pulls images, writes logs and resolves secrets with it) with
    C(AmazonECSTaskExecutionRolePolicy) attached and an inline policy that reads the environment's SSM
    parameters (C(ssm:GetParameters) on C(parameter/<prefix>*)), Secrets Manager secrets under a name prefix,
    and C(kms:Decrypt) on the given keys.
  - One task role per service that asks for one (the application's own permissions), with the service's
    statements as its inline policy. Its trust policy lets only this account's ECS assume it
    (C(aws:SourceAccount), C(aws:SourceArn)).
  - Optionally the scale_to_zero waker's Lambda role - its own logs, C(ecs:UpdateService) and
    C(ecs:DescribeServices) on the cluster's services, C(elasticloadbalancing:ModifyRule) on the listener
    rules of the given load balancers, and C(elasticloadbalancing:DescribeRules) and
    C(elasticloadbalancing:DescribeTargetHealth), which IAM only grants on C(*).
  - The module owns one inline policy per role (I(inline_policy_name)); other inline policies are left alone.
    Managed policy attachments are managed (attached and detached) on the execution role and where
    I(managed_policies) is given.
  - A converge that changes nothing makes 2 calls per role (GetRole, GetRolePolicy), 3 for the execution role
    (ListAttachedRolePolicies).
  - IAM is eventually consistent - a new role can take a few seconds before ECS or Lambda can assume it.
author:
  - ecsops.fargate contributors (@ecsops)
options:
  cluster:
    description:
      - The ECS cluster's ARN (preferred - it gives the account and region the policies name), or its name.
      - With a name, the account comes from I(account_id), else from C(sts:GetCallerIdentity).
    type: str
    required: true
  account_id:
    description: AWS account id, when I(cluster) is a name. Not given, one STS call finds it.
    type: str
  state:
    description: C(present) creates or updates the roles; C(absent) deletes them with their policies.
    type: str
    choices: [present, absent]
    default: present
  execution_role:
    description: The task execution role. Not given, no execution role is managed.
    type: dict
    suboptions:
      name:
        description: Role name. Defaults to C(<cluster>-execution).
        type: str
      ssm_parameter_prefix:
        description: SSM parameter path the tasks' secrets come from, e.g. C(/dev/); allows C(ssm:GetParameters) on it.
        type: str
      secrets_prefix:
        description: Secrets Manager name prefix, e.g. C(dev/); allows C(secretsmanager:GetSecretValue) on it.
        type: str
      kms_key_arns:
        description: KMS keys (or alias ARNs) that encrypt those parameters and secrets; allows C(kms:Decrypt).
        type: list
        elements: str
        default: []
      managed_policies:
        description: Managed policies (names of AWS managed policies, or ARNs). Defaults to C(AmazonECSTaskExecutionRolePolicy).
        type: list
        elements: str
      statements:
        description: More statements for the inline policy.
        type: list
        elements: dict
        default: []
  task_roles:
    description: One task role per service that needs AWS permissions of its own.
    type: list
    elements: dict
    default: []
    suboptions:
      service:
        description: The service's name.
        type: str
        required: true
      name:
        description: Role name. Defaults to C(<cluster>-<service>-task).
        type: str
      statements:
        description: IAM policy statements (C(Effect), C(Action), C(Resource)) of the role's inline policy.
        type: list
        elements: dict
        default: []
      managed_policies:
        description: Managed policies to attach (names of AWS managed policies, or ARNs). Not given, attachments are left alone.
        type: list
        elements: str
  waker_role:
    description: The scale_to_zero waker's Lambda role. Not given, none is managed.
    type: dict
    suboptions:
      name:
        description: Role name. Defaults to C(<cluster>-waker).
        type: str
      function_prefix:
        description: Name prefix of the waker's Lambda functions, which scopes its log permissions. Defaults to C(<cluster>-).
        type: str
      load_balancer_names:
        description: Names of the load balancers whose listener rules the waker may modify. Not given, any in the account.
        type: list
        elements: str
        default: []
      statements:
        description: More statements for its inline policy.
        type: list
        elements: dict
        default: []
  inline_policy_name:
    description: Name of the inline policy the module owns in each role.
    type: str
    default: ecsops-fargate
  permissions_boundary:
    description: ARN of a managed policy set as permissions boundary of every role.
    type: str
  tags:
    description: Tags of the roles.
    type: dict
    default: {}
  purge_tags:
    description: Remove role tags not in I(tags).
    type: bool
    default: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - ecsops.fargate.attributes
  - ecsops.fargate.attributes.actiongroup_aws
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  idempotent:
    support: full
"""

EXAMPLES = r"""
- name: Execution role reading /dev/ parameters, a task role for the API, the waker's role
  ecsops.fargate.fargate_task_roles:
    cluster: arn:aws:ecs:eu-west-1:123456789012:cluster/dev
    execution_role:
      ssm_parameter_prefix: /dev/
      secrets_prefix: dev/
      kms_key_arns:
        - arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-0000-1111-2222-333344445555
    task_roles:
      - service: api
        statements:
          - Effect: Allow
            Action: ["s3:GetObject"]
            Resource: arn:aws:s3:::dev-uploads/*
    waker_role:
      load_balancer_names: [dev]
    tags:
      environment: dev
  register: roles

- name: Use them
  ansible.builtin.debug:
    msg: "{{ roles.execution_role_arn }} {{ roles.task_role_arns.api }} {{ roles.waker_role_arn }}"

- name: Remove them
  ecsops.fargate.fargate_task_roles:
    cluster: arn:aws:ecs:eu-west-1:123456789012:cluster/dev
    state: absent
    execution_role: {}
    task_roles:
      - service: api
    waker_role: {}
"""

RETURN = r"""
execution_role_arn:
  description: ARN of the execution role (predicted in check mode before it exists; None when not managed or absent).
  returned: always
  type: str
  sample: arn:aws:iam::123456789012:role/dev-execution
task_role_arns:
  description: Task role ARN per service.
  returned: always
  type: dict
  sample: {"api": "arn:aws:iam::123456789012:role/dev-api-task"}
waker_role_arn:
  description: ARN of the waker's role (None when not managed or absent).
  returned: always
  type: str
role_names:
  description: Role name per purpose (C(execution), C(waker)) or service.
  returned: always
  type: dict
  sample: {"execution": "dev-execution", "api": "dev-api-task"}
actions:
  description: What the run changed, or would change in check mode, one line per step.
  returned: always
  type: list
  elements: str
  sample: ["create role dev-execution", "put role policy dev-execution"]
diff:
  description: Each role's managed state C(before) and C(after) the run (trust and inline policies, managed policies,
    tags, description, permissions boundary).
  returned: always
  type: dict
api_calls:
  description: AWS API calls made (C(total), C(attempts) including retries, C(by_operation)).
  returned: always
  type: dict
"""

from ansible_collections.ecsops.fargate.plugins.module_utils.api import EcsopsAWSError
from ansible_collections.ecsops.fargate.plugins.module_utils.cluster import RolesInputError
from ansible_collections.ecsops.fargate.plugins.module_utils.cluster import role_options
from ansible_collections.ecsops.fargate.plugins.module_utils.cluster import run_roles_module
from ansible_collections.ecsops.fargate.plugins.module_utils.module import EcsopsAWSModule


def argument_spec():
    return dict(
        cluster=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        tags=dict(type="dict", default={}),
        purge_tags=dict(type="bool", default=True),
        **role_options(),
    )


def main():
    module = EcsopsAWSModule(argument_spec=argument_spec(), supports_check_mode=True)
    try:
        result = run_roles_module(module)
    except RolesInputError as e:
        module.fail_json(msg=str(e))
    except EcsopsAWSError as e:
        module.fail_json_aws_error(e)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
