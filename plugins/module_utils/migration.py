# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The migration from EC2 to Fargate (issue 9). The public face of ``_migration``.

- ``_migration/discover.py``  from the EC2 app's descriptions to a starting Fargate inventory (pure)
- ``_migration/cutover.py``   weight steps, the weighted forward, the breach decision (pure)
- ``_migration/cleanup.py``   cleanup's guards and what may go (pure)
- ``_migration/api.py``       the AWS calls no other concern makes
- ``_migration/runner.py``    discover(), TrafficShift, Cleanup
"""

from __future__ import annotations

from ansible_collections.ecsops.fargate.plugins.module_utils._migration.runner import Cleanup
from ansible_collections.ecsops.fargate.plugins.module_utils._migration.runner import MigrationError
from ansible_collections.ecsops.fargate.plugins.module_utils._migration.runner import TrafficShift
from ansible_collections.ecsops.fargate.plugins.module_utils._migration.runner import discover

__all__ = ["Cleanup", "MigrationError", "TrafficShift", "discover"]
