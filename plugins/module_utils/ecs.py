# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""ECS for ecsops.fargate: the public face of the private ``_ecs`` package.

- ``_ecs/fargate.py``  the Fargate cpu/memory table (``validate_task_size``)
- ``_ecs/taskdef.py``  task definition: validate arguments, build, normalise, compare
- ``_ecs/service.py``  service: managed fields, create/update plan, tags
- ``_ecs/waiter.py``   the rollout state machine (``RolloutWatch``) fed by describe results
- ``_ecs/api.py``      the boto3 calls, each under ``api_call``
- ``_ecs/alarms.py``   the service's CloudWatch alarms: validate, build, compare
- ``_ecs/runner.py``   the rollout: validate, resolve, plan, apply, wait, roll back
"""

from __future__ import annotations

from ansible_collections.ecsops.fargate.plugins.module_utils._ecs.alarms import options as alarm_options
from ansible_collections.ecsops.fargate.plugins.module_utils._ecs.fargate import FARGATE_SIZES
from ansible_collections.ecsops.fargate.plugins.module_utils._ecs.fargate import TaskSizeError
from ansible_collections.ecsops.fargate.plugins.module_utils._ecs.fargate import validate_task_size
from ansible_collections.ecsops.fargate.plugins.module_utils._ecs.runner import Rollout
from ansible_collections.ecsops.fargate.plugins.module_utils._ecs.runner import RolloutInputError
from ansible_collections.ecsops.fargate.plugins.module_utils._ecs.runner import run_module
from ansible_collections.ecsops.fargate.plugins.module_utils._ecs.service import ServicePlanError
from ansible_collections.ecsops.fargate.plugins.module_utils._ecs.service import desired_service
from ansible_collections.ecsops.fargate.plugins.module_utils._ecs.service import plan as service_plan
from ansible_collections.ecsops.fargate.plugins.module_utils._ecs.service import spot_fallback
from ansible_collections.ecsops.fargate.plugins.module_utils._ecs.service import validate_name as validate_service_name
from ansible_collections.ecsops.fargate.plugins.module_utils._ecs.service import tag_plan
from ansible_collections.ecsops.fargate.plugins.module_utils._ecs.taskdef import TaskDefinitionError
from ansible_collections.ecsops.fargate.plugins.module_utils._ecs.taskdef import build as build_task_definition
from ansible_collections.ecsops.fargate.plugins.module_utils._ecs.taskdef import differences as task_definition_differences
from ansible_collections.ecsops.fargate.plugins.module_utils._ecs.taskdef import normalise as normalise_task_definition
from ansible_collections.ecsops.fargate.plugins.module_utils._ecs.taskdef import validate as validate_arguments
from ansible_collections.ecsops.fargate.plugins.module_utils._ecs.waiter import Backoff
from ansible_collections.ecsops.fargate.plugins.module_utils._ecs.waiter import RolloutWatch

__all__ = [
    "alarm_options",
    "FARGATE_SIZES",
    "TaskSizeError",
    "validate_task_size",
    "Rollout",
    "RolloutInputError",
    "run_module",
    "ServicePlanError",
    "desired_service",
    "service_plan",
    "spot_fallback",
    "validate_service_name",
    "tag_plan",
    "TaskDefinitionError",
    "build_task_definition",
    "task_definition_differences",
    "normalise_task_definition",
    "validate_arguments",
    "Backoff",
    "RolloutWatch",
]
