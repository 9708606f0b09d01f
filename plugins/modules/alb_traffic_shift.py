#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: alb_traffic_shift
short_description: Move a listener rule's traffic from EC2 to Fargate in weighted steps, or back in one
version_added: 0.3.0
description:
  - Changes the weighted forward of one Application Load Balancer listener rule between two target groups - the
    EC2 app's and the Fargate service's. Other actions of the rule (authenticate, ...) are kept.
  - I(state=cutover) moves the Fargate share through I(steps) (strictly increasing, 1 to 100, ending at 100). Each
    step bakes for I(bake_seconds), checked right after the switch and every I(check_interval) seconds - the
    Fargate target group's healthy targets (DescribeTargetHealth) and its HTTPCode_Target_5XX_Count over its
    RequestCount (CloudWatch, AWS/ApplicationELB, dimensions TargetGroup and LoadBalancer, one-minute sums from
    the minute the step began).
  - On a breach (fewer healthy targets than I(min_healthy), or a 5XX rate above I(max_error_rate)) the rule goes
    back to 100 % EC2 in one call and the module fails with the evidence and the steps so far.
  - Steps at or below the rule's current share are skipped, so a cutover interrupted at 50 % resumes at the next
    step and a completed one changes nothing.
  - I(state=rollback) puts 100 % back on EC2 in one ModifyRule call and reports how long it took.
  - Stickiness is target-group-level (C(TargetGroupStickinessConfig) of the forward), as AWS documents for weighted
    forwards - a client stays on the group it first reached for I(stickiness_seconds), so a session does not
    flip between the EC2 and the Fargate app; it also means a rollback reaches sticky clients only when their
    duration ends. Off by default.
  - The listener's default rule is changed with ModifyListener (ModifyRule cannot change it).
author:
  - ecsops.fargate contributors (@ecsops)
options:
  rule_arn:
    description: The listener rule that serves the app (recorded by discovery).
    type: str
    required: true
  ec2_target_group_arn:
    description: The EC2 app's target group.
    type: str
    required: true
  fargate_target_group_arn:
    description: The Fargate service's target group.
    type: str
    required: true
  state:
    description: C(cutover) steps traffic to Fargate; C(rollback) puts all of it back on EC2.
    type: str
    choices: [cutover, rollback]
    default: cutover
  steps:
    description: The Fargate percentages, in order.
    type: list
    elements: int
    default: [10, 50, 100]
  bake_seconds:
    description: Seconds each step is watched before the next one (the last step too).
    type: float
    default: 300
  check_interval:
    description: Seconds between checks during a bake.
    type: float
    default: 15
  min_healthy:
    description: Healthy targets the Fargate target group must keep.
    type: int
    default: 1
  max_error_rate:
    description: Highest allowed fraction of the Fargate target group's requests answered 5XX by its targets.
    type: float
    default: 0.05
  stickiness_seconds:
    description: Target group stickiness of the weighted forward (1 to 604800 seconds); C(0) or unset turns it off.
    type: int
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
- name: Cut over in three steps, five minutes each
  ecsops.fargate.alb_traffic_shift:
    rule_arn: "{{ migration.recorded_ids.rule_arn }}"
    ec2_target_group_arn: "{{ migration.recorded_ids.target_group_arn }}"
    fargate_target_group_arn: "{{ fargate_target_group_arn }}"
    steps: [10, 50, 100]
    bake_seconds: 300
    max_error_rate: 0.01
    stickiness_seconds: 300
  register: cutover

- name: Everything back on EC2, now
  ecsops.fargate.alb_traffic_shift:
    state: rollback
    rule_arn: "{{ migration.recorded_ids.rule_arn }}"
    ec2_target_group_arn: "{{ migration.recorded_ids.target_group_arn }}"
    fargate_target_group_arn: "{{ fargate_target_group_arn }}"
  register: rollback
"""

RETURN = r"""
steps:
  description:
    - One item per step taken - fargate_percent, started_at, ended_at, seconds, checks, and the last check's
      healthy, target_states, requests, errors_5xx, and breach (None, or the evidence).
  returned: always
  type: list
  elements: dict
planned_steps:
  description: The Fargate percentages this run set (or would set in check mode); C([0]) for a rollback.
  returned: always
  type: list
  elements: int
fargate_percent:
  description: The Fargate share of the rule after the run.
  returned: always
  type: int
rollback:
  description: The rollback to EC2, when one happened - reason (requested or breach), seconds, at.
  returned: always
  type: dict
evidence:
  description: Why the cutover was rolled back (reasons, healthy, min_healthy, target_states, requests, errors_5xx,
    error_rate, max_error_rate).
  returned: on a breach
  type: dict
completed_at:
  description: When the last step's bake ended (ISO 8601, UTC); cleanup's bake period counts from it.
  returned: when a cutover reached 100 %
  type: str
before:
  description: fargate_percent, ec2_percent and stickiness before the run.
  returned: always
  type: dict
after:
  description: fargate_percent, ec2_percent and stickiness after the run (or what it would be, in check mode).
  returned: always
  type: dict
rule_arn:
  description: The rule.
  returned: always
  type: str
api_calls:
  description: AWS API calls made (C(total), C(attempts) including retries, C(by_operation)).
  returned: always
  type: dict
"""

from ansible_collections.ecsops.fargate.plugins.module_utils.api import EcsopsAWSError
from ansible_collections.ecsops.fargate.plugins.module_utils.migration import MigrationError
from ansible_collections.ecsops.fargate.plugins.module_utils.migration import TrafficShift
from ansible_collections.ecsops.fargate.plugins.module_utils.module import EcsopsAWSModule


def argument_spec():
    return dict(
        rule_arn=dict(type="str", required=True),
        ec2_target_group_arn=dict(type="str", required=True),
        fargate_target_group_arn=dict(type="str", required=True),
        state=dict(type="str", choices=["cutover", "rollback"], default="cutover"),
        steps=dict(type="list", elements="int", default=[10, 50, 100]),
        bake_seconds=dict(type="float", default=300),
        check_interval=dict(type="float", default=15),
        min_healthy=dict(type="int", default=1),
        max_error_rate=dict(type="float", default=0.05),
        stickiness_seconds=dict(type="int"),
    )


def main():
    module = EcsopsAWSModule(argument_spec=argument_spec(), supports_check_mode=True)
    try:
        result = TrafficShift(module.params, module.client, check_mode=module.check_mode).run()
    except MigrationError as e:
        module.fail_json(msg=str(e))
    except EcsopsAWSError as e:
        module.fail_json_aws_error(e)
    if result.pop("failed", False):
        module.fail_json(msg=result.pop("msg"), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
