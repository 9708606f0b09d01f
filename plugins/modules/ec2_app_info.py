#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ec2_app_info
short_description: Read an EC2 app behind an ALB and suggest its starting Fargate service
version_added: 0.3.0
description:
  - Reads, without changing anything, an app that runs on EC2 behind an Application Load Balancer - its Auto
    Scaling group, the launch template version the group launches (instance type, user data, security groups,
    instance profile), the target group it registers into (port, health check), the listener rule that serves it,
    and the parameters under its SSM Parameter Store path.
  - Returns a starting inventory for the Fargate side - service name, port, desired count, health check, a
    Fargate cpu/memory suggested from the instance type (the smallest valid Fargate size with at least the
    instance's vCPUs and memory), environment values from plain parameters and secrets as references to
    SecureString parameters - and what it could not infer (the image, packages installed by user data, pm2,
    systemd units, cron jobs...).
  - SecureString values are never read, not even encrypted - only their names and ARNs (DescribeParameters);
    GetParameters is called for String and StringList parameters only.
  - Returns the ids that cleanup needs (I(recorded_ids)); C(playbooks/migrate_discover.yml) writes them to a file.
  - Bad input (an Auto Scaling group name longer than 255 characters or with a colon, an SSM path not starting
    with C(/), a target group that is no target group ARN) fails before any call.
author:
  - ecsops.fargate contributors (@ecsops)
options:
  asg_name:
    description: Name of the app's Auto Scaling group.
    type: str
    required: true
  target_group_arn:
    description: The target group the app is served from. Needed only when the group registers into several.
    type: str
  rule_arn:
    description:
      - The listener rule that serves the app. Needed only when several rules of the target group's load
        balancers forward to it.
    type: str
  ssm_path:
    description: SSM Parameter Store path of the app's settings (read recursively), e.g. C(/shop/prod/).
    type: str
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - ecsops.fargate.attributes
  - ecsops.fargate.attributes.actiongroup_aws
  - ecsops.fargate.attributes.info_module
"""

EXAMPLES = r"""
- name: What runs on EC2 today
  ecsops.fargate.ec2_app_info:
    asg_name: shop-web
    ssm_path: /shop/prod/
  register: shop_web

- name: The suggested task size and what a container image must take over
  ansible.builtin.debug:
    msg: "{{ shop_web.service.cpu }}/{{ shop_web.service.memory }}; by hand: {{ shop_web.not_inferred | map(attribute='detail') }}"
"""

RETURN = r"""
service:
  description: The starting Fargate service - name, port, desired_count, health_check, cpu, memory, environment,
    secrets (name and value_from), subnets.
  returned: always
  type: dict
  sample:
    name: shop-web
    port: 3000
    desired_count: 2
    cpu: 1024
    memory: 2048
    health_check: {path: /health, codes: "200", interval: 30, timeout: 5, healthy_threshold: 2, unhealthy_threshold: 3}
    environment: {NODE_ENV: production}
    secrets: [{name: DB_PASSWORD, value_from: "arn:aws:ssm:eu-west-1:123456789012:parameter/shop/prod/db_password"}]
not_inferred:
  description: What discovery could not infer, one item per finding (kind, detail, and the user data line).
  returned: always
  type: list
  elements: dict
recorded_ids:
  description:
    - The ids cleanup acts on, and only on - asg_name, launch_template_id, launch_template_version,
      security_group_ids, instance_profile, instance_roles, instance_ids, instance_type, target_group_arn, rule_arn,
      listener_arn, load_balancer_arns, vpc_id, subnet_ids.
  returned: always
  type: dict
inventory:
  description: I(service), I(not_inferred) and I(recorded_ids) together, as the discovery file holds them.
  returned: always
  type: dict
api_calls:
  description: AWS API calls made (C(total), C(attempts) including retries, C(by_operation)).
  returned: always
  type: dict
"""

from ansible_collections.ecsops.fargate.plugins.module_utils.api import EcsopsAWSError
from ansible_collections.ecsops.fargate.plugins.module_utils.migration import MigrationError
from ansible_collections.ecsops.fargate.plugins.module_utils.migration import discover
from ansible_collections.ecsops.fargate.plugins.module_utils.module import EcsopsAWSModule


def argument_spec():
    return dict(
        asg_name=dict(type="str", required=True),
        target_group_arn=dict(type="str"),
        rule_arn=dict(type="str"),
        ssm_path=dict(type="str"),
    )


def main():
    module = EcsopsAWSModule(argument_spec=argument_spec(), supports_check_mode=True)
    try:
        result = discover(module.params, module.client)
    except MigrationError as e:
        module.fail_json(msg=str(e))
    except EcsopsAWSError as e:
        module.fail_json_aws_error(e)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
