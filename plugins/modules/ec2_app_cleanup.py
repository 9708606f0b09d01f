#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ec2_app_cleanup
short_description: Remove a migrated EC2 app - its Auto Scaling group, launch template, own security groups and instance profile
version_added: 0.3.0
description:
  - Acts only on the ids recorded at discovery (I(recorded_ids), from M(ecsops.fargate.ec2_app_info)) and only when
    every guard holds, checked before any write - I(confirm) is true (check mode, which writes nothing, does not
    need it); the recorded listener rule forwards 100 % to
    I(fargate_target_group_arn) now; the cutover completed (I(cutover_completed_at)) at least I(bake_seconds) ago;
    the Auto Scaling group under the recorded name still launches the recorded launch template.
  - Then, in this order - scales the Auto Scaling group to 0 and waits for its instances to go, deletes the group,
    its launch template, the recorded security groups that nothing else uses (no other network interface, no other
    group's rule, no other launch template), the instance profile, and its roles that discovery saw behind it when
    no other instance profile uses them (their policies detached or deleted first).
  - Recorded ids that are not ids (C(lt-...), C(sg-...), C(i-...)) and a I(fargate_target_group_arn) that is no
    target group ARN fail before any call.
  - Check mode lists what would go (I(deleted)) and what stays and why (I(kept)), and writes nothing.
  - The EC2 target group, the listener rule, the load balancer and the SSM parameters stay - the Fargate service
    uses them.
author:
  - ecsops.fargate contributors (@ecsops)
options:
  recorded_ids:
    description: The I(recorded_ids) of M(ecsops.fargate.ec2_app_info) (the discovery file).
    type: dict
    required: true
  fargate_target_group_arn:
    description: The Fargate service's target group; the recorded rule must forward all traffic to it.
    type: str
    required: true
  cutover_completed_at:
    description: When the cutover completed (ISO 8601), as M(ecsops.fargate.alb_traffic_shift) returns it.
    type: str
  bake_seconds:
    description: Seconds that must have passed since I(cutover_completed_at).
    type: float
    default: 86400
  confirm:
    description: Must be true - the explicit confirmation that the EC2 app may go.
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait for the instances to terminate, and for their network interfaces to let go of the security groups.
    type: int
    default: 600
  poll_interval:
    description: Seconds between those checks.
    type: float
    default: 5
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
- name: What would go
  ecsops.fargate.ec2_app_cleanup:
    recorded_ids: "{{ (lookup('ansible.builtin.file', 'migration/shop-web.json') | from_json).recorded_ids }}"
    fargate_target_group_arn: "{{ fargate_target_group_arn }}"
    cutover_completed_at: "2026-11-24T12:00:00+00:00"
    confirm: true
  check_mode: true
  register: would_go
"""

RETURN = r"""
deleted:
  description: What was deleted (or would be, in check mode), in order - C(<kind> <id>).
  returned: always
  type: list
  elements: str
  sample: ["scale to zero shop-web", "auto scaling group shop-web", "launch template lt-0abc", "security group sg-0abc"]
kept:
  description: Recorded resources that stay, and why.
  returned: always
  type: list
  elements: str
diff:
  description: The resources before (those that go) and after (none of them).
  returned: always
  type: dict
api_calls:
  description: AWS API calls made (C(total), C(attempts) including retries, C(by_operation)).
  returned: always
  type: dict
"""

from ansible_collections.ecsops.fargate.plugins.module_utils.api import EcsopsAWSError
from ansible_collections.ecsops.fargate.plugins.module_utils.migration import Cleanup
from ansible_collections.ecsops.fargate.plugins.module_utils.migration import MigrationError
from ansible_collections.ecsops.fargate.plugins.module_utils.module import EcsopsAWSModule


def argument_spec():
    return dict(
        recorded_ids=dict(type="dict", required=True),
        fargate_target_group_arn=dict(type="str", required=True),
        cutover_completed_at=dict(type="str"),
        bake_seconds=dict(type="float", default=86400),
        confirm=dict(type="bool", default=False),
        wait_timeout=dict(type="int", default=600),
        poll_interval=dict(type="float", default=5),
    )


def main():
    module = EcsopsAWSModule(argument_spec=argument_spec(), supports_check_mode=True)
    try:
        result = Cleanup(module.params, module.client, check_mode=module.check_mode).run()
    except MigrationError as e:
        module.fail_json(msg=str(e))
    except EcsopsAWSError as e:
        module.fail_json_aws_error(e)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
