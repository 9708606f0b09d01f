#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: fargate_alb
short_description: Converge an internet-facing ALB for Fargate services, with its network, in one call
version_added: 0.2.0
description:
  - Converges, in one module invocation, what Fargate services need to be reached over HTTPS - optionally a
    small VPC (two public and two private subnets in two availability zones, an internet gateway, route
    tables; no NAT gateway), security groups, an internet-facing Application Load Balancer, an HTTP listener
    that redirects to HTTPS (301), an HTTPS listener whose default action is a fixed 404, one target group
    (type C(ip)) and one host/path listener rule per service, and Route53 alias records for the services'
    hosts.
  - Security groups - the load balancer's (TCP 80 and 443 from anywhere) and one per service for its tasks,
    which lets in the service's port only from the load balancer's group and from the groups of the services
    that call it (I(services[].calls)). Egress is left as AWS creates it (all traffic).
  - Without a NAT gateway, tasks in the private subnets cannot pull images or reach AWS APIs; run them in the
    public subnets with a public IP, or add VPC endpoints (ECR, S3, CloudWatch Logs, ...) or a NAT gateway.
  - Listener rule priorities are kept as given. Services without one keep the priority their rule has, or get
    one derived from a hash of their name, in bands that put the most specific rules first - host and path,
    then path only, then host only - and never collide with another rule.
  - Rules that forward to this module's target groups of services no longer listed are deleted, with those
    target groups (see I(purge_services)). Security groups of services no longer listed are left in place
    (their tasks may still use them).
  - Tags (I(tags) plus the module's own C(ecsops.fargate/*) tags, by which it finds what it created) are
    compared on the load balancer, target groups and security groups; listeners, rules and the parts of a
    created VPC get them when they are created.
  - A converge that changes nothing makes read calls only - with I(vpc_create) 4 for the network, then 1 for
    the security groups, 5 for the load balancer, target groups, tags, listeners and rules, 1 per service for
    its target group attributes, and 2 with I(hosted_zone).
author:
  - ecsops.fargate contributors (@ecsops)
options:
  name:
    description:
      - Name of the load balancer (1 to 32 letters, digits and hyphens); also the prefix of the security
        group names and of the target group names (C(<name>-<service>), shortened with a hash when longer
        than 32 characters).
    type: str
    required: true
  state:
    description:
      - C(present) converges; C(absent) deletes the Route53 aliases to the load balancer, the load balancer
        (with its listeners and rules), the target groups of I(services) and those tagged as this module's,
        the security groups it created and, with I(vpc_create), the VPC it created.
    type: str
    choices: [present, absent]
    default: present
  vpc_id:
    description: An existing VPC. Required with I(state=present) unless I(vpc_create) is given.
    type: str
  public_subnet_ids:
    description: Subnets of I(vpc_id) for the load balancer (at least two, in different availability zones).
    type: list
    elements: str
  private_subnet_ids:
    description: Subnets of I(vpc_id) for the tasks; returned as they are.
    type: list
    elements: str
  vpc_create:
    description:
      - Create a small VPC instead (found again by its tags on later runs) - the first four blocks of I(cidr)
        become public subnets a and b and private subnets a and b.
    type: dict
    suboptions:
      cidr:
        description: The VPC's IPv4 range, C(/16) to C(/26).
        type: str
        required: true
      subnet_prefix_length:
        description: Prefix length of the subnets. Defaults to the VPC's plus 4 (at most 28).
        type: int
      availability_zones:
        description: The two zones for subnets a and b. Defaults to the region's first two.
        type: list
        elements: str
  certificate_arn:
    description: ACM certificate of the HTTPS listener. Required with I(state=present).
    type: str
  ssl_policy:
    description: Security policy of the HTTPS listener.
    type: str
    default: ELBSecurityPolicy-TLS13-1-2-2021-06
  services:
    description: The services behind the load balancer.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Service name.
        type: str
        required: true
      port:
        description: The port the service's container listens on (target group port).
        type: int
        required: true
      health_check:
        description: Target group health check.
        type: dict
        suboptions:
          path:
            description: HTTP path.
            type: str
            default: /health
          codes:
            description: Healthy HTTP codes (C(200), C(200,202), C(200-299)).
            type: str
            default: "200"
          interval:
            description: Seconds between checks (5 to 300).
            type: int
            default: 30
          timeout:
            description: Seconds before a check fails (2 to 120, less than I(interval)).
            type: int
            default: 5
          healthy_threshold:
            description: Consecutive successes before a target is healthy (2 to 10).
            type: int
            default: 2
          unhealthy_threshold:
            description: Consecutive failures before a target is unhealthy (2 to 10).
            type: int
            default: 3
      deregistration_delay:
        description: Seconds a deregistered target keeps draining (0 to 3600).
        type: int
        default: 30
      hosts:
        description:
          - Host header values of the service's listener rule (wildcards C(*) and C(?) allowed).
          - With neither I(hosts) nor I(paths), the host is C(<name>.<domain>).
        type: list
        elements: str
        default: []
      paths:
        description: Path patterns of the service's listener rule (C(/api/*)).
        type: list
        elements: str
        default: []
      priority:
        description: Listener rule priority (1 to 50000). Derived when not given.
        type: int
      calls:
        description: Services this one calls; their task security groups let this service's tasks in.
        type: list
        elements: str
        default: []
      target_group_name:
        description: Target group name, instead of the derived C(<name>-<service>).
        type: str
  domain:
    description: Default host domain of services that give neither I(hosts) nor I(paths).
    type: str
  hosted_zone:
    description:
      - Route53 hosted zone (name, or id C(Z...)) for alias records of the services' hosts that lie in it.
        Not given, no record is managed.
    type: str
  hosted_zone_private:
    description: Pick the private (true) or public (false) zone when both have the name. Default is public first.
    type: bool
  purge_records:
    description: Delete alias records to the load balancer in I(hosted_zone) for hosts no longer listed.
    type: bool
    default: true
  purge_services:
    description: Delete the rules and target groups (tagged as this module's) of services no longer listed.
    type: bool
    default: true
  purge_rules:
    description: Delete every other rule of the HTTPS listener too (rules this module did not create).
    type: bool
    default: false
  tags:
    description: Tags of everything the module creates.
    type: dict
  purge_tags:
    description: Remove tags not in I(tags) (the module's own C(ecsops.fargate/*) tags are kept).
    type: bool
    default: true
  wait_timeout:
    description:
      - With I(state=absent), seconds to keep retrying security group, subnet and VPC deletion while the
        deleted load balancer's network interfaces go away.
    type: int
    default: 600
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
- name: ALB for dev in an existing VPC, with DNS names in Route53
  ecsops.fargate.fargate_alb:
    name: shop-dev
    vpc_id: vpc-0a1b2c3d4e5f60001
    public_subnet_ids: [subnet-0a1b2c3d4e5f60011, subnet-0a1b2c3d4e5f60012]
    private_subnet_ids: [subnet-0a1b2c3d4e5f60021, subnet-0a1b2c3d4e5f60022]
    certificate_arn: arn:aws:acm:eu-west-1:123456789012:certificate/0f0e0d0c-0b0a-0908-0706-050403020100
    services:
      - name: api
        port: 8000
        health_check: {path: /health}
        hosts: [api.dev.shop.example.com]
        priority: 10
      - name: web
        port: 3000
        health_check: {path: /}
        hosts: [dev.shop.example.com]
        calls: [api]
    hosted_zone: shop.example.com
    tags:
      environment: dev
  register: alb

- name: A new account - create the VPC too
  ecsops.fargate.fargate_alb:
    name: shop-sandbox
    vpc_create:
      cidr: 10.70.0.0/16
    certificate_arn: arn:aws:acm:eu-west-1:123456789012:certificate/0f0e0d0c-0b0a-0908-0706-050403020100
    domain: sandbox.shop.example.com
    services:
      - name: api
        port: 8000

- name: Remove it all, the created VPC included
  ecsops.fargate.fargate_alb:
    name: shop-sandbox
    state: absent
    vpc_create:
      cidr: 10.70.0.0/16
    services:
      - name: api
        port: 8000
"""

RETURN = r"""
vpc_id:
  description: The VPC (None in check mode before it is created).
  returned: when I(state=present)
  type: str
public_subnet_ids:
  description: Subnets of the load balancer.
  returned: when I(state=present)
  type: list
  elements: str
private_subnet_ids:
  description: Subnets for the tasks.
  returned: when I(state=present)
  type: list
  elements: str
load_balancer_arn:
  description: ARN of the load balancer.
  returned: when I(state=present)
  type: str
load_balancer_name:
  description: Name of the load balancer.
  returned: always
  type: str
dns_name:
  description: DNS name of the load balancer.
  returned: when I(state=present)
  type: str
canonical_hosted_zone_id:
  description: Route53 zone id of the load balancer's DNS name (for aliases).
  returned: when I(state=present)
  type: str
http_listener_arn:
  description: The HTTP listener (port 80, redirect to HTTPS).
  returned: when I(state=present)
  type: str
https_listener_arn:
  description: The HTTPS listener (port 443).
  returned: when I(state=present)
  type: str
alb_security_group_id:
  description: Security group of the load balancer.
  returned: when I(state=present)
  type: str
target_group_arns:
  description: Target group ARN per service.
  returned: when I(state=present)
  type: dict
  sample: {"api": "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/shop-dev-api/73e2d6bc24d8a067"}
task_security_group_ids:
  description: Security group of each service's tasks.
  returned: when I(state=present)
  type: dict
rule_priorities:
  description: Listener rule priority per service.
  returned: when I(state=present)
  type: dict
urls:
  description: C(https://<first host><path prefix>) per service (None for a service with only wildcard hosts or paths).
  returned: when I(state=present)
  type: dict
records:
  description: Alias record names managed in I(hosted_zone).
  returned: when I(state=present)
  type: list
  elements: str
hosted_zone_id:
  description: Id of I(hosted_zone), None without one.
  returned: when I(state=present)
  type: str
actions:
  description: What the run changed, or would change in check mode, one line per step.
  returned: always
  type: list
  elements: str
diff:
  description: The managed state C(before) and C(after) the run.
  returned: always
  type: dict
api_calls:
  description: AWS API calls made (C(total), C(attempts) including retries, C(by_operation)).
  returned: always
  type: dict
"""

from ansible_collections.ecsops.fargate.plugins.module_utils._elbv2.plan import AlbInputError
from ansible_collections.ecsops.fargate.plugins.module_utils._elbv2.runner import run_module
from ansible_collections.ecsops.fargate.plugins.module_utils.api import EcsopsAWSError
from ansible_collections.ecsops.fargate.plugins.module_utils.module import EcsopsAWSModule


def argument_spec():
    health = dict(
        path=dict(type="str", default="/health"), codes=dict(type="str", default="200"),
        interval=dict(type="int", default=30), timeout=dict(type="int", default=5),
        healthy_threshold=dict(type="int", default=2), unhealthy_threshold=dict(type="int", default=3))
    service = dict(
        name=dict(type="str", required=True), port=dict(type="int", required=True),
        health_check=dict(type="dict", options=health), deregistration_delay=dict(type="int", default=30),
        hosts=dict(type="list", elements="str", default=[]), paths=dict(type="list", elements="str", default=[]),
        priority=dict(type="int"), calls=dict(type="list", elements="str", default=[]),
        target_group_name=dict(type="str"))
    return dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        vpc_id=dict(type="str"),
        public_subnet_ids=dict(type="list", elements="str"),
        private_subnet_ids=dict(type="list", elements="str"),
        vpc_create=dict(type="dict", options=dict(
            cidr=dict(type="str", required=True), subnet_prefix_length=dict(type="int"),
            availability_zones=dict(type="list", elements="str"))),
        certificate_arn=dict(type="str"),
        ssl_policy=dict(type="str", default="ELBSecurityPolicy-TLS13-1-2-2021-06"),
        services=dict(type="list", elements="dict", default=[], options=service),
        domain=dict(type="str"),
        hosted_zone=dict(type="str"),
        hosted_zone_private=dict(type="bool"),
        purge_records=dict(type="bool", default=True),
        purge_services=dict(type="bool", default=True),
        purge_rules=dict(type="bool", default=False),
        tags=dict(type="dict"),
        purge_tags=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=600),
    )


def main():
    module = EcsopsAWSModule(argument_spec=argument_spec(), supports_check_mode=True,
                             mutually_exclusive=[("vpc_id", "vpc_create")])
    try:
        result = run_module(module)
    except AlbInputError as e:
        module.fail_json(msg=str(e))
    except EcsopsAWSError as e:
        module.fail_json_aws_error(e)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
