# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Attribute docs shared by ecsops.fargate modules.

amazon.aws.common.modules and amazon.aws.region.modules already document the
connection options; what they do not say is how our modules behave (check mode,
diff, idempotence) and that they answer to group/ecsops.fargate.aws. Use:

    extends_documentation_fragment:
      - amazon.aws.common.modules
      - amazon.aws.region.modules
      - amazon.aws.boto3
      - ecsops.fargate.attributes
      - ecsops.fargate.attributes.actiongroup_aws
"""

from __future__ import annotations


class ModuleDocFragment:

    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    description: Can run in C(check_mode) and return the changes it would make without making them.
  diff_mode:
    description: Returns C(diff) with the before and after state of what changed, or would change in C(check_mode).
  idempotent:
    description:
      - Run twice in a row with the same arguments, the second run reports no change.
      - This assumes nothing else changed the resources in between.
"""

    ACTIONGROUP_AWS = r"""
options: {}
attributes:
  action_group:
    description:
      - Use C(group/ecsops.fargate.aws) in C(module_defaults) to set defaults for this module.
      - The same group also covers the modules of amazon.aws and community.aws.
    support: full
    membership:
      - ecsops.fargate.aws
"""

    # For *_info modules, together with DOCUMENTATION.
    INFO_MODULE = r"""
options: {}
attributes:
  check_mode:
    support: full
    details:
      - This action does not modify state.
  diff_mode:
    support: N/A
    details:
      - This action does not modify state.
  idempotent:
    support: full
    details:
      - This action does not modify state.
"""
