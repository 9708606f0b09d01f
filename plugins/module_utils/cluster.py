# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ECS cluster and what its services share: the public face of the private ``_cluster`` package.

- ``_cluster/api.py``     the ECS cluster calls, each under ``api_call``
- ``_cluster/plan.py``    fargate_cluster: validate, normalise, plan (pure)
- ``_cluster/runner.py``  fargate_cluster: read, plan, apply, report
- ``_cluster/roles.py``   fargate_task_roles: the policy documents and the plan (pure)
- ``_cluster/roles_runner.py``  fargate_task_roles: read, plan, apply, report

Log groups, Cloud Map and IAM calls live in logs.py, cloudmap.py and iam.py.
"""

from __future__ import annotations

from ansible_collections.ecsops.fargate.plugins.module_utils._cluster.plan import ClusterInputError
from ansible_collections.ecsops.fargate.plugins.module_utils._cluster.plan import desired_state
from ansible_collections.ecsops.fargate.plugins.module_utils._cluster.plan import discoverable_services
from ansible_collections.ecsops.fargate.plugins.module_utils._cluster.plan import plan
from ansible_collections.ecsops.fargate.plugins.module_utils._cluster.roles import RolesInputError
from ansible_collections.ecsops.fargate.plugins.module_utils._cluster.roles import desired_roles
from ansible_collections.ecsops.fargate.plugins.module_utils._cluster.roles import plan_role
from ansible_collections.ecsops.fargate.plugins.module_utils._cluster.roles import role_options
from ansible_collections.ecsops.fargate.plugins.module_utils._cluster.roles_runner import RolesRun
from ansible_collections.ecsops.fargate.plugins.module_utils._cluster.roles_runner import run_module as run_roles_module
from ansible_collections.ecsops.fargate.plugins.module_utils._cluster.runner import ClusterRun
from ansible_collections.ecsops.fargate.plugins.module_utils._cluster.runner import run_module
from ansible_collections.ecsops.fargate.plugins.module_utils.cloudmap import OperationFailed

__all__ = [
    "ClusterInputError",
    "ClusterRun",
    "OperationFailed",
    "RolesInputError",
    "RolesRun",
    "desired_state",
    "discoverable_services",
    "desired_roles",
    "role_options",
    "plan",
    "plan_role",
    "run_module",
    "run_roles_module",
]
