# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""fargate_task_roles' runner: read each role (GetRole, GetRolePolicy, and ListAttachedRolePolicies
only where managed policies are managed), plan (pure, see roles.py), apply, report.

A role that does not exist costs one call (GetRole answers NoSuchEntity); a converge that changes
nothing costs 2 calls per role, 3 for the execution role.
"""

from __future__ import annotations

import functools

from ansible_collections.ecsops.fargate.plugins.module_utils import iam
from ansible_collections.ecsops.fargate.plugins.module_utils._cluster import roles as planning
from ansible_collections.ecsops.fargate.plugins.module_utils.api import api_call

DEFAULT_INLINE_POLICY = "ecsops-fargate"


@api_call("get caller identity")
def get_caller_account(sts):
    return sts.get_caller_identity()["Account"]


class RolesRun:
    def __init__(self, params, clients, region=None, check_mode=False):
        self.params = params
        self.client = functools.cache(clients)  # one client per AWS service for the run
        self.region = region
        self.check_mode = check_mode
        self.policy_name = params.get("inline_policy_name") or DEFAULT_INLINE_POLICY

    def context(self):
        context = planning.Context.from_cluster(self.params["cluster"], region=self.region,
                                                account=self.params.get("account_id"))
        if context.account is None:
            context.account = get_caller_account(self.client("sts"))
        return context

    def read(self, spec):
        client = self.client("iam")
        role = iam.get_role(client, spec.name)
        if role is None:
            return None
        inline = iam.get_role_policy(client, spec.name, self.policy_name)
        attached = iam.list_attached_role_policies(client, spec.name) if spec.managed is not None else None
        return planning.current_state(role, inline, attached)

    def run(self):
        context = self.context()
        wanted = planning.desired_roles(self.params, context)
        absent = self.params.get("state") == "absent"
        steps, before, after, arns = [], {}, {}, {}
        for name, spec in wanted.items():
            current = self.read(spec)
            before[name] = _public(current, spec)
            if absent:
                role_steps = [{"action": "delete_role", "role": name}] if current is not None else []
                after[name] = None
            else:
                role_steps = planning.plan_role(spec, current, purge_tags=self.params.get("purge_tags", True))
                after[name] = dict(spec.as_state(), arn=planning.role_arn(name, context, current))
                arns[name] = after[name]["arn"]
            if role_steps and not self.check_mode:
                for step in role_steps:
                    created = getattr(self, "_" + step["action"])(spec, step)
                    if step["action"] == "create_role":
                        arns[name] = after[name]["arn"] = created["Arn"]
            steps.extend(role_steps)

        by_purpose = {"execution": None, "waker": None}
        task_arns = {}
        for name, spec in wanted.items():
            arn = None if absent else arns.get(name)
            if spec.purpose == "task":
                task_arns[spec.service] = arn
            else:
                by_purpose[spec.purpose] = arn
        return {
            "changed": bool(steps),
            "execution_role_arn": by_purpose["execution"],
            "task_role_arns": task_arns,
            "waker_role_arn": by_purpose["waker"],
            "role_names": {spec.service or spec.purpose: name for name, spec in wanted.items()},
            "actions": [planning.describe_step(s) for s in steps],
            "diff": {"before": before, "after": after},
        }

    # --- apply ----------------------------------------------------------------------------------

    def _create_role(self, spec, step):
        return iam.create_role(self.client("iam"), spec.name, spec.trust, description=spec.description,
                               permissions_boundary=spec.boundary, tags=spec.tags)

    def _update_trust_policy(self, spec, step):
        iam.update_assume_role_policy(self.client("iam"), spec.name, spec.trust)

    def _update_description(self, spec, step):
        iam.update_role(self.client("iam"), spec.name, description=spec.description)

    def _put_boundary(self, spec, step):
        iam.put_role_permissions_boundary(self.client("iam"), spec.name, spec.boundary)

    def _tag_role(self, spec, step):
        iam.tag_role(self.client("iam"), spec.name, step["tags"])

    def _untag_role(self, spec, step):
        iam.untag_role(self.client("iam"), spec.name, step["keys"])

    def _put_role_policy(self, spec, step):
        iam.put_role_policy(self.client("iam"), spec.name, self.policy_name, spec.inline)

    def _delete_role_policy(self, spec, step):
        iam.delete_role_policy(self.client("iam"), spec.name, self.policy_name)

    def _attach_role_policy(self, spec, step):
        iam.attach_role_policy(self.client("iam"), spec.name, step["policy_arn"])

    def _detach_role_policy(self, spec, step):
        iam.detach_role_policy(self.client("iam"), spec.name, step["policy_arn"])

    def _delete_role(self, spec, step):
        """Everything IAM wants gone first: inline policies, attachments, then the role."""
        client = self.client("iam")
        for policy in iam.list_role_policies(client, spec.name):
            iam.delete_role_policy(client, spec.name, policy)
        for arn in iam.list_attached_role_policies(client, spec.name):
            iam.detach_role_policy(client, spec.name, arn)
        iam.delete_role(client, spec.name)


def _public(current, spec):
    # The purpose is the role's place in the cluster, not something IAM stores: carried over so that an
    # unchanged role's before and after are equal.
    if current is None:
        return None
    return dict(current, purpose=spec.purpose)


def run_module(module):
    """fargate_task_roles' body: returns the result dict (raises RolesInputError, EcsopsAWSError)."""
    return RolesRun(module.params, module.client, region=module.region, check_mode=module.check_mode).run()
