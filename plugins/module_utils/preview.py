# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Preview environments per pull request. The public face of ``_preview``.

- ``_preview/names.py``     every name from the PR number and branch, within AWS limits (pure)
- ``_preview/priority.py``  the listener rule priority, kept on re-runs, next free on PriorityInUse (pure)
- ``_preview/reap.py``      expired previews, orphans, the ceiling decision (pure)
- ``_preview/plan.py``      tags, the inventory read from them, removal steps, DNS ownership, summary (pure)
- ``_preview/aws.py``       the few API calls the collection's other API modules lack
- ``_preview/runner.py``    read, plan, write for fargate_preview and fargate_preview_info
"""

from __future__ import annotations

from ansible_collections.ecsops.fargate.plugins.module_utils._preview.names import PreviewInputError
from ansible_collections.ecsops.fargate.plugins.module_utils._preview.runner import run_absent
from ansible_collections.ecsops.fargate.plugins.module_utils._preview.runner import run_info
from ansible_collections.ecsops.fargate.plugins.module_utils._preview.runner import run_present

__all__ = ["PreviewInputError", "run_absent", "run_info", "run_present"]
