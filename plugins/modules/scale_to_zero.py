#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: scale_to_zero
short_description: Park an idle ECS service at zero tasks and wake it on demand
version_added: 0.2.0
description:
  - Works on an existing ECS service behind an Application Load Balancer.
  - With I(state=present) (policy mode) the service parks and wakes itself with AWS primitives only. The
    service's scalable target gets C(MinCapacity) 0 (an existing C(MaxCapacity) is kept). An idle alarm
    (the target group's C(RequestCount) plus the load balancer's C(HTTPCode_ELB_503_Count), summed per
    minute, below 1 for I(idle_minutes) minutes, missing data counted as idle) runs a step policy to 0.
    A wake alarm (an ELB 503 on the service's load balancer, which is what a request to a parked
    service gets) runs a step policy that adds I(wake_count) tasks. Target tracking policies of the
    service keep working; see docs/scale_to_zero.md for how they interact.
  - With I(schedule), business-hours scheduled actions park the service in the evening and wake it in the
    morning (cron in a time zone).
  - With I(waker), a small AWS Lambda function (packaged from this collection) behind a target group of type
    C(lambda) answers while the service is parked, sets the desired count and shows a self-refreshing
    "starting up" page; once a target is healthy it points the listener rules back at the service. The
    rules are switched to the waker by I(state=parked).
  - I(state=parked) and I(state=awake) (controller mode, for CI, cron or AWX schedules) park now when the
    target group had no request for I(idle_minutes) (one metric call), or wake now and wait until the
    targets are healthy.
  - I(state=absent) removes exactly what I(state=present) made (alarms, policies and scheduled actions by
    their names, the waker) and restores the scalable target's C(MinCapacity) recorded at the first run
    (or deregisters the target when this module registered it and nothing else uses it).
author:
  - ecsops.fargate contributors (@ecsops)
options:
  state:
    description:
      - C(present) sets up policy mode (and the waker, the schedule); C(absent) removes it.
      - C(parked) parks the service now when it was idle; C(awake) wakes it now.
    type: str
    choices: [present, absent, parked, awake]
    default: present
  cluster:
    description: Name or ARN of the ECS cluster.
    type: str
    required: true
  service:
    description: Name or ARN of the ECS service.
    type: str
    required: true
    aliases: [name]
  idle_minutes:
    description: Minutes without a request after which the service is idle (1 to 1440).
    type: int
    default: 5
  wake_count:
    description: Tasks the service runs when it wakes (at least 1).
    type: int
    default: 1
  max_capacity:
    description:
      - C(MaxCapacity) of the scalable target. Not given, an existing target keeps its own; a new one gets
        the larger of I(wake_count) and the service's desired count.
    type: int
  alarms:
    description:
      - With I(state=present), create the idle and wake alarms and their step scaling policies (policy mode).
      - C(false) deploys only the waker and the schedule, for controller mode; alarms and policies a
        previous run made are removed. Without alarms there is no record of the scalable target's
        C(MinCapacity), and I(state=absent) leaves the target as it is.
    type: bool
    default: true
  schedule:
    description: Business hours. C(wake_at) and C(park_at) become scheduled actions on I(days) in I(timezone).
    type: dict
    suboptions:
      timezone:
        description: IANA time zone of the times.
        type: str
        default: UTC
      days:
        description: Cron day-of-week field of both actions.
        type: str
        default: MON-FRI
      wake_at:
        description: Time of day (HH:MM) at which C(MinCapacity) becomes I(wake_count).
        type: str
      park_at:
        description: Time of day (HH:MM) at which C(MinCapacity) and C(MaxCapacity) become 0.
        type: str
      wake_expression:
        description: An Application Auto Scaling schedule (C(at()), C(rate()), C(cron())) instead of I(wake_at).
        type: str
      park_expression:
        description: An Application Auto Scaling schedule instead of I(park_at).
        type: str
  waker:
    description: Deploy the waker (with I(state=present)) and use it (with I(state=parked) and I(state=awake)).
    type: dict
    suboptions:
      role:
        description:
          - Name or ARN of an existing IAM role for the Lambda function. It needs C(ecs:DescribeServices),
            C(ecs:UpdateService), C(elasticloadbalancing:DescribeTargetHealth), C(DescribeRules), C(ModifyRule)
            and its own logs; M(ecsops.fargate.fargate_task_roles) creates one (I(waker_role)).
        type: str
        required: true
      refresh_seconds:
        description: How often the "starting up" page reloads itself.
        type: int
        default: 5
      hold_seconds:
        description:
          - Once the service's new task is registered (its health checks have begun), how long the waker holds
            a request re-reading the target health every second before it answers the page (0 to 7; the
            function's timeout is 10 s).
        type: int
        default: 5
  savings:
    description: Inputs of the savings estimate. Without hours (given or from I(schedule)) no estimate is made.
    type: dict
    suboptions:
      hours_parked_per_month:
        description: Hours a month the service is parked (0 to 730). Defaults to what I(schedule) leaves parked.
        type: float
      tasks:
        description: Tasks that would run while parked. Defaults to I(wake_count).
        type: int
      prices:
        description:
          - "Prices per hour instead of the collection's dated table: a dict with C(vcpu_hour), C(gb_hour) and
            optionally C(currency), or one such dict per capacity provider under C(FARGATE) and C(FARGATE_SPOT)."
        type: dict
  force:
    description: With I(state=parked), park even when there was traffic.
    type: bool
    default: false
  wait:
    description: With I(state=awake), wait until I(wake_count) targets are healthy.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for healthy targets.
    type: int
    default: 300
  poll_interval:
    description: Seconds between two reads of the target health while waiting.
    type: float
    default: 2.0
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - ecsops.fargate.attributes
  - ecsops.fargate.attributes.actiongroup_aws
notes:
  - The service must register its tasks in a target group of an Application Load Balancer for I(state=present)
    and I(state=parked).
  - The wake alarm watches the load balancer's 503s, which AWS publishes per load balancer only; on a shared
    load balancer a request to another parked service also wakes this one (it never shrinks it).
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  idempotent:
    support: full
    details:
      - I(state=parked) and I(state=awake) decide from the traffic and the service at the time of the run; a
        second run right after the first changes nothing.
"""

EXAMPLES = r"""
- name: Park the preview API after 5 idle minutes, wake it on the next request
  ecsops.fargate.scale_to_zero:
    cluster: preview
    service: api-pr-42
    idle_minutes: 5
    wake_count: 1

- name: Business hours for dev, Monday to Friday in Berlin, with an estimate of the saving
  ecsops.fargate.scale_to_zero:
    cluster: dev
    service: api
    schedule:
      timezone: Europe/Berlin
      wake_at: "08:00"
      park_at: "20:00"

- name: Deploy the waker (30-60 s wake) next to the policies
  ecsops.fargate.scale_to_zero:
    cluster: dev
    service: api
    waker:
      role: dev-waker

- name: Nightly job - park when idle, switching the rules to the waker
  ecsops.fargate.scale_to_zero:
    cluster: dev
    service: api
    state: parked
    waker:
      role: dev-waker
  register: park

- name: Before the test suite - wake and wait for healthy targets
  ecsops.fargate.scale_to_zero:
    cluster: dev
    service: api
    state: awake
    waker:
      role: dev-waker

- name: Remove what present made
  ecsops.fargate.scale_to_zero:
    cluster: dev
    service: api
    state: absent
"""

RETURN = r"""
state:
  description: The state asked for.
  returned: always
  type: str
changes:
  description: What changed (or would change in check mode), one phrase each.
  returned: always
  type: list
  elements: str
resource_id:
  description: The Application Auto Scaling resource id (C(service/<cluster>/<service>)).
  returned: with state present and absent
  type: str
alarm_names:
  description: Names of the idle and wake alarms (C(idle), C(wake)).
  returned: with state present
  type: dict
policy_names:
  description: Names of the step scaling policies.
  returned: with state present
  type: list
  elements: str
scalable_target:
  description: C(min) and C(max) capacity of the scalable target after the run.
  returned: with state present
  type: dict
restore:
  description: What I(state=absent) restores (C(restore_min_capacity), C(registered_target)).
  returned: with state present
  type: dict
target_group_arn:
  description: The service's target group.
  returned: except with state absent
  type: str
load_balancer_arn:
  description: The load balancer of that target group.
  returned: with state present
  type: str
waker:
  description: The waker (C(function_name), C(target_group_name), C(target_group_arn), C(rule_arns), C(parked_behind_waker)).
  returned: with state present and waker
  type: dict
removed:
  description: The alarms, policies, scheduled actions and waker absent removed (or would remove).
  returned: with state absent
  type: dict
decision:
  description: C(park), C(stay) or C(already_parked) with state parked; C(wake) or C(already_awake) with state awake.
  returned: with state parked and awake
  type: str
reason:
  description: Why the decision was taken.
  returned: with state parked
  type: str
data:
  description: The data the decision used (C(requests), C(minutes), C(window_start), C(window_end), C(datapoints)).
  returned: with state parked
  type: dict
desired_count:
  description: The service's desired count after the run.
  returned: with state parked and awake
  type: int
rules_switched:
  description: Listener rules pointed at the waker (parked) or back at the service (awake).
  returned: with state parked or awake and waker
  type: list
  elements: str
healthy_targets:
  description: Healthy targets when the wait ended.
  returned: with state awake and wait
  type: int
wake_duration:
  description: Seconds from the wake to I(wake_count) healthy targets.
  returned: with state awake and wait
  type: float
savings:
  description:
    - The monthly estimate (C(monthly_saving), C(monthly_cost_always_on), C(monthly_cost_with_parking),
      C(currency), C(per_task_hour), C(hours_parked_per_month), C(capacity_provider), C(prices_as_of), ...).
  returned: when hours parked are known (savings.hours_parked_per_month or schedule)
  type: dict
api_calls:
  description: AWS API calls made (C(total), C(attempts) including retries, C(by_operation)).
  returned: always
  type: dict
"""

from ansible_collections.ecsops.fargate.plugins.module_utils.api import EcsopsAWSError
from ansible_collections.ecsops.fargate.plugins.module_utils.module import EcsopsAWSModule
from ansible_collections.ecsops.fargate.plugins.module_utils.scale_to_zero import ScaleToZeroInputError
from ansible_collections.ecsops.fargate.plugins.module_utils.scale_to_zero import run_module


def argument_spec():
    return dict(
        state=dict(type="str", choices=["present", "absent", "parked", "awake"], default="present"),
        cluster=dict(type="str", required=True),
        service=dict(type="str", required=True, aliases=["name"]),
        idle_minutes=dict(type="int", default=5),
        wake_count=dict(type="int", default=1),
        max_capacity=dict(type="int"),
        alarms=dict(type="bool", default=True),
        schedule=dict(type="dict", options=dict(
            timezone=dict(type="str", default="UTC"),
            days=dict(type="str", default="MON-FRI"),
            wake_at=dict(type="str"),
            park_at=dict(type="str"),
            wake_expression=dict(type="str"),
            park_expression=dict(type="str"),
        )),
        waker=dict(type="dict", options=dict(
            role=dict(type="str", required=True),
            refresh_seconds=dict(type="int", default=5),
            hold_seconds=dict(type="int", default=5),
        )),
        savings=dict(type="dict", options=dict(
            hours_parked_per_month=dict(type="float"),
            tasks=dict(type="int"),
            prices=dict(type="dict"),
        )),
        force=dict(type="bool", default=False),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=300),
        poll_interval=dict(type="float", default=2.0),
    )


def main():
    module = EcsopsAWSModule(argument_spec=argument_spec(), supports_check_mode=True)
    try:
        result = run_module(module)
    except ScaleToZeroInputError as e:
        module.fail_json(msg=str(e))
    except EcsopsAWSError as e:
        module.fail_json_aws_error(e)
    if result.pop("failed", False):
        module.fail_json(msg=result.pop("msg"), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
