# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""scale_to_zero: park idle ECS services at zero tasks and wake them. The public face of ``_scale_to_zero``.

- ``_scale_to_zero/plan.py``    names, input checks, the alarms/policies/schedule policy mode wants,
                                comparisons, the idle decision (pure)
- ``_scale_to_zero/waker.py``   the waker's package, function configuration and listener rules (pure)
- ``_scale_to_zero/runner.py``  read, plan, write for each state
- ``scale_to_zero_waker.py``    the Lambda handler itself (zipped and deployed as it is)
- ``fargate_pricing.py``        the dated price table and the savings estimate
"""

from __future__ import annotations

from ansible_collections.ecsops.fargate.plugins.module_utils._scale_to_zero.plan import ScaleToZeroInputError
from ansible_collections.ecsops.fargate.plugins.module_utils._scale_to_zero.plan import alarm_names
from ansible_collections.ecsops.fargate.plugins.module_utils._scale_to_zero.plan import idle_decision
from ansible_collections.ecsops.fargate.plugins.module_utils._scale_to_zero.plan import waker_names
from ansible_collections.ecsops.fargate.plugins.module_utils._scale_to_zero.runner import ScaleToZero
from ansible_collections.ecsops.fargate.plugins.module_utils._scale_to_zero.runner import run_module

__all__ = ["ScaleToZeroInputError", "alarm_names", "idle_decision", "waker_names", "ScaleToZero", "run_module"]
