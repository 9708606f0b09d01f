#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: fargate_service_autoscaling
short_description: Target tracking autoscaling of an ECS service (scalable target and policies) in one call
version_added: 0.2.0
description:
  - Works on an existing ECS service. Registers the service's Application Auto Scaling scalable target
    (C(service/<cluster>/<service>), dimension C(ecs:service:DesiredCount)) with I(min_capacity) and I(max_capacity),
    and puts target tracking scaling policies on it, each under a fixed name - C(ecsops-cpu) (average CPU
    utilisation, I(cpu_target)), C(ecsops-memory) (average memory utilisation, I(memory_target)) and
    C(ecsops-requests) (ALB requests per target of I(target_group), I(request_count_target)).
  - Application Auto Scaling creates the CloudWatch alarms of each target tracking policy itself
    (C(TargetTracking-service/<cluster>/<service>-AlarmHigh-<uuid>) and C(-AlarmLow-<uuid>), the latter not with
    I(disable_scale_in)); they are returned per policy and deleted by AWS with the policy. Do not edit them.
  - Policies under the three names that are not asked for are deleted. Every other policy and scheduled action on
    the scalable target (those of M(ecsops.fargate.scale_to_zero), hand-made ones) is left alone and listed in
    I(other_policies).
  - Idempotent by comparing each policy's normalised configuration (metric, target, resource label, cooldowns,
    scale-in) and the target's capacities. A run that changes nothing makes two read calls (DescribeScalableTargets,
    DescribeScalingPolicies), three with I(request_count_target) (DescribeTargetGroups). The ECS service is
    described only before a change, so that a missing cluster or service fails before any write.
  - B(Together with scale_to_zero.) M(ecsops.fargate.scale_to_zero) parks a service by setting the scalable
    target's C(MinCapacity) to 0. Both modules write C(MinCapacity); for a service that also scales to zero pass
    I(min_capacity=0) here, or each run of one module undoes the other (this module warns when it sees
    scale_to_zero's policies and a I(min_capacity) above 0). Target tracking never scales out from 0 tasks (there is
    no CPU or per-target metric without tasks); scale_to_zero's wake policy or waker brings the service back, then
    target tracking takes over. Scale-in of the target tracking policies is bounded by C(MinCapacity) only, so with
    I(min_capacity=0) set I(disable_scale_in) when scale_to_zero alone should decide when the service parks.
  - I(state=absent) deletes exactly the three policies above, then deregisters the scalable target only when no
    other scaling policy or scheduled action remains on it.
author:
  - ecsops.fargate contributors (@ecsops)
options:
  state:
    description:
      - C(present) registers the scalable target and converges the policies; C(absent) removes them.
    type: str
    choices: [present, absent]
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
  min_capacity:
    description:
      - Fewest tasks autoscaling leaves the service with (0 or more). Required with I(state=present).
      - Pass C(0) for a service that also uses M(ecsops.fargate.scale_to_zero).
    type: int
  max_capacity:
    description: Most tasks autoscaling gives the service (at least I(min_capacity)). Required with I(state=present).
    type: int
  cpu_target:
    description:
      - Target of the average CPU utilisation of the service's tasks, in percent (above 0, at most 100), as the
        target tracking policy C(ecsops-cpu) (C(ECSServiceAverageCPUUtilization)).
      - Not given, C(ecsops-cpu) is deleted if it exists.
    type: float
  memory_target:
    description:
      - Target of the average memory utilisation, in percent, as the policy C(ecsops-memory)
        (C(ECSServiceAverageMemoryUtilization)). Not given, C(ecsops-memory) is deleted if it exists.
    type: float
  request_count_target:
    description:
      - Target number of requests per task and minute that the load balancer sends to I(target_group), as the
        policy C(ecsops-requests) (C(ALBRequestCountPerTarget)). Not given, C(ecsops-requests) is deleted if it exists.
    type: float
  target_group:
    description:
      - Name or ARN of the target group whose requests per target I(request_count_target) tracks (usually the
        service's). Its load balancer is looked up; the target group must be attached to exactly one.
    type: str
  scale_out_cooldown:
    description: Seconds after a scale-out before the policies scale out again by less than the last step.
    type: int
    default: 120
  scale_in_cooldown:
    description: Seconds after a scale-in (or scale-out) before the policies scale in.
    type: int
    default: 300
  disable_scale_in:
    description: The policies only scale out; scaling in is left to other means (AWS then creates no low alarm).
    type: bool
    default: false
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
notes:
  - Application Auto Scaling uses its service-linked role for ECS (C(AWSServiceRoleForApplicationAutoScaling_ECSService));
    AWS creates it on the first registration when the caller may create it.
"""

EXAMPLES = r"""
- name: Production - CPU target tracking at 65 %, 2 to 5 tasks, out after 2 minutes, in after 5
  ecsops.fargate.fargate_service_autoscaling:
    cluster: prod
    service: api
    min_capacity: 2
    max_capacity: 5
    cpu_target: 65
    scale_out_cooldown: 120
    scale_in_cooldown: 300
  register: api_autoscaling

- name: CPU and request count per target (1000 requests per task and minute) on the service's target group
  ecsops.fargate.fargate_service_autoscaling:
    cluster: prod
    service: web
    min_capacity: 2
    max_capacity: 8
    cpu_target: 60
    request_count_target: 1000
    target_group: prod-web

- name: A preview service that also scales to zero - min_capacity 0, or the two modules fight over MinCapacity
  ecsops.fargate.fargate_service_autoscaling:
    cluster: dev
    service: api
    min_capacity: 0
    max_capacity: 3
    cpu_target: 70
    disable_scale_in: true

- name: Remove the policies this module made (the target stays while scale_to_zero's policies use it)
  ecsops.fargate.fargate_service_autoscaling:
    cluster: dev
    service: api
    state: absent
"""

RETURN = r"""
resource_id:
  description: The Application Auto Scaling resource id of the service.
  returned: always
  type: str
  sample: service/prod/api
scalable_target:
  description: C(min_capacity) and C(max_capacity) of the scalable target after the run (None when not registered).
  returned: always
  type: dict
  sample: {"min_capacity": 2, "max_capacity": 5}
policies:
  description:
    - This module's policies after the run, by name, each with C(metric), C(target_value), C(resource_label),
      C(scale_out_cooldown), C(scale_in_cooldown), C(disable_scale_in), C(policy_arn) and C(alarms) (the names of the
      CloudWatch alarms AWS made for it).
    - In check mode, a policy not created yet has C(policy_arn) None and no alarms.
  returned: always
  type: dict
  sample:
    ecsops-cpu:
      metric: ECSServiceAverageCPUUtilization
      target_value: 65.0
      resource_label: null
      scale_out_cooldown: 120
      scale_in_cooldown: 300
      disable_scale_in: false
      policy_arn: "arn:aws:autoscaling:eu-west-1:123456789012:scalingPolicy:...:resource/ecs/service/prod/api:policyName/ecsops-cpu"
      alarms:
        - TargetTracking-service/prod/api-AlarmHigh-0b6c1b5e-6b1d-4f7e-9d3c-1f1e2a3b4c5d
        - TargetTracking-service/prod/api-AlarmLow-5a9f0c4e-2d3b-4c5a-8e7f-6a5b4c3d2e1f
other_policies:
  description: Names of the scaling policies on the target that belong to others (never changed).
  returned: always
  type: list
  elements: str
  sample: ["ecsops-s2z-idle", "ecsops-s2z-wake"]
actions:
  description: What the run changed, or would change in check mode, one line per step.
  returned: always
  type: list
  elements: str
  sample: ["register scalable target service/prod/api (min_capacity=2, max_capacity=5)"]
diff:
  description: C(before) and C(after) of the scalable target and this module's policies.
  returned: always
  type: dict
api_calls:
  description: AWS API calls made (C(total), C(attempts) including retries, C(by_operation)).
  returned: always
  type: dict
"""

from ansible_collections.ecsops.fargate.plugins.module_utils.api import EcsopsAWSError
from ansible_collections.ecsops.fargate.plugins.module_utils.module import EcsopsAWSModule
from ansible_collections.ecsops.fargate.plugins.module_utils.service_autoscaling import AutoscalingInputError
from ansible_collections.ecsops.fargate.plugins.module_utils.service_autoscaling import options
from ansible_collections.ecsops.fargate.plugins.module_utils.service_autoscaling import run_module


def argument_spec():
    return dict(
        state=dict(type="str", choices=["present", "absent"], default="present"),
        cluster=dict(type="str", required=True),
        service=dict(type="str", required=True, aliases=["name"]),
        **options(),
    )


def main():
    module = EcsopsAWSModule(
        argument_spec=argument_spec(),
        supports_check_mode=True,
        required_if=[("state", "present", ("min_capacity", "max_capacity"))],
        required_together=[("request_count_target", "target_group")],
    )
    try:
        result = run_module(module)
    except AutoscalingInputError as e:
        module.fail_json(msg=str(e))
    except EcsopsAWSError as e:
        module.fail_json_aws_error(e)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
