#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: fargate_preview
short_description: The routing of a pull request's preview environment on a shared ALB, found and removed by its tags
version_added: 0.3.0
description:
  - With I(state=present), for pull request I(pr_number) on branch I(branch) - a target group (type ip), a log group,
    a host-header rule C(pr-<N>.<domain>) on the shared listener I(listener_arn) forwarding to the target group, and
    in I(hosted_zone) an alias A record to the load balancer with an ownership TXT record at the same name.
  - Everything it creates carries the tags C(preview=pr-<N>), C(branch), C(created-at), C(expires-at),
    C(managed-by=ecsops.fargate) and C(preview-alb) (the listener's load balancer, so that two environments' previews
    of one PR never mix). A re-run keeps the dates (and the rule's priority) and changes nothing.
  - The rule priority follows from the PR number inside I(priority_range); a taken one is skipped, and when a
    concurrent run takes it first (C(PriorityInUse)) the rules are re-read and the next free one is tried.
  - At I(max_previews) previews on the listener a new one is refused with a message naming the oldest.
  - The service itself is M(ecsops.fargate.fargate_service_rollout)'s (pass it RV(tags), RV(target_group_arn),
    RV(log_group) and RV(service_name)); the role C(ecsops.fargate.preview_environment) does all of it.
  - With I(state=absent), removes every resource tagged C(preview=pr-<N>), C(managed-by=ecsops.fargate) and
    C(preview-alb=<the listener's load balancer>) - the
    listener's rules, target groups, ECS services in I(cluster) (and the task definition family named after the
    service), log groups under I(log_group_prefix), and the records whose name has the preview's ownership TXT.
    Nothing is found by name alone; a second run finds nothing and changes nothing.
author:
  - ecsops.fargate contributors (@ecsops)
options:
  state:
    description: C(present) creates or converges the preview's routing; C(absent) removes everything of the preview.
    type: str
    choices: [present, absent]
    default: present
  pr_number:
    description: The pull request number (1 or more); the preview's id is C(pr-<N>).
    type: int
    required: true
  branch:
    description: The pull request's branch; part of the resource names (sanitised) and of the C(branch) tag. Required with I(state=present).
    type: str
  domain:
    description: The preview domain; the preview's host is C(pr-<N>.<domain>). Required with I(state=present).
    type: str
  listener_arn:
    description: The shared HTTPS (or HTTP) listener the preview rules go on.
    type: str
    required: true
  cluster:
    description: With I(state=absent), the ECS cluster whose services tagged for the preview are deleted.
    type: str
  hosted_zone:
    description: Route53 hosted zone (name or id) for the alias record. Not given, no DNS record is managed.
    type: str
  name_prefix:
    description: Prefix of the target group, service and log group names (letters, digits, hyphens).
    type: str
  log_group_prefix:
    description: Log groups are C(<log_group_prefix>/<service name>).
    type: str
    default: /ecs/preview
  log_retention_days:
    description: Retention of the log group it creates (0 keeps logs forever).
    type: int
    default: 7
  port:
    description: The container port the target group sends traffic to.
    type: int
    default: 80
  health_check:
    description: Health check of the target group it creates.
    type: dict
    suboptions:
      path:
        description: Path of the check.
        type: str
        default: /health
      interval:
        description: Seconds between checks.
        type: int
        default: 30
      codes:
        description: Healthy HTTP codes.
        type: str
        default: "200"
  priority_range:
    description:
      - Listener rule priorities previews may take. The default stays above the bands M(ecsops.fargate.fargate_alb)
        gives the environment's own services (1000 to 48999).
    type: dict
    default: {first: 49000, last: 49999}
    suboptions:
      first:
        description: Lowest priority.
        type: int
        default: 49000
      last:
        description: Highest priority.
        type: int
        default: 49999
  ttl_hours:
    description: When a new preview expires, in hours after its creation (1 to 2160). Kept on re-runs.
    type: int
    default: 72
  expires_at:
    description: An explicit expiry (ISO 8601 with a time zone, e.g. C(2026-12-01T00:00:00Z)); re-tags an existing preview.
    type: str
  max_previews:
    description:
      - The ceiling of previews on the listener (an ALB takes 100 rules by default and 100 target groups at most,
        which the environment's own services share). At the ceiling a new preview is refused.
    type: int
    default: 40
  tags:
    description: More tags for every resource (the preview's own tags cannot be overridden).
    type: dict
    default: {}
  url_scheme:
    description: Scheme of the returned URL.
    type: str
    choices: [https, http]
    default: https
  image:
    description: The image the preview runs, only shown in the summary.
    type: str
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
- name: Route pr-42.preview.example.com to a new target group
  ecsops.fargate.fargate_preview:
    pr_number: 42
    branch: feature/login
    domain: preview.example.com
    listener_arn: "{{ alb_outputs.https_listener_arn }}"
    hosted_zone: example.com
    port: 3000
  register: preview

- name: Post the summary on the pull request (CI)
  ansible.builtin.copy:
    content: "{{ preview.summary_markdown }}"
    dest: preview-summary.md
    mode: "0644"

- name: Remove everything tagged for pr-42
  ecsops.fargate.fargate_preview:
    state: absent
    pr_number: 42
    listener_arn: "{{ alb_outputs.https_listener_arn }}"
    cluster: dev
    hosted_zone: example.com
"""

RETURN = r"""
preview_id:
  description: C(pr-<N>).
  returned: always
  type: str
changes:
  description: What changed (or would change in check mode), one phrase each.
  returned: always
  type: list
  elements: str
names:
  description: The derived names (C(preview_id), C(target_group), C(dns_label), C(host), C(service), C(log_group)).
  returned: with state present
  type: dict
host:
  description: The preview's host name.
  returned: with state present
  type: str
url:
  description: The preview's URL.
  returned: with state present
  type: str
priority:
  description: The listener rule's priority.
  returned: with state present
  type: int
rule_arn:
  description: The listener rule (none in check mode before creation).
  returned: with state present
  type: str
target_group_arn:
  description: The target group (none in check mode before creation).
  returned: with state present
  type: str
log_group:
  description: The log group name.
  returned: with state present
  type: str
service_name:
  description: The ECS service name to give M(ecsops.fargate.fargate_service_rollout).
  returned: with state present
  type: str
created_at:
  description: When the preview was first created (its C(created-at) tag).
  returned: with state present
  type: str
expires_at:
  description: Its C(expires-at) tag.
  returned: with state present
  type: str
tags:
  description: The tags of every resource of the preview (give them to the service too).
  returned: with state present
  type: dict
summary_markdown:
  description: A short markdown summary (URL, branch, image, expiry) a pipeline can post on the pull request.
  returned: with state present
  type: str
removed:
  description: The resources of the preview found (and removed) per kind.
  returned: with state absent
  type: dict
api_calls:
  description: AWS API calls made (C(total), C(attempts) including retries, C(by_operation)).
  returned: always
  type: dict
"""

from ansible_collections.ecsops.fargate.plugins.module_utils.api import EcsopsAWSError
from ansible_collections.ecsops.fargate.plugins.module_utils.module import EcsopsAWSModule
from ansible_collections.ecsops.fargate.plugins.module_utils.preview import PreviewInputError
from ansible_collections.ecsops.fargate.plugins.module_utils.preview import run_absent
from ansible_collections.ecsops.fargate.plugins.module_utils.preview import run_present


def argument_spec():
    return dict(
        state=dict(type="str", choices=["present", "absent"], default="present"),
        pr_number=dict(type="int", required=True),
        branch=dict(type="str"),
        domain=dict(type="str"),
        listener_arn=dict(type="str", required=True),
        cluster=dict(type="str"),
        hosted_zone=dict(type="str"),
        name_prefix=dict(type="str"),
        log_group_prefix=dict(type="str", default="/ecs/preview"),
        log_retention_days=dict(type="int", default=7),
        port=dict(type="int", default=80),
        health_check=dict(type="dict", options=dict(
            path=dict(type="str", default="/health"),
            interval=dict(type="int", default=30),
            codes=dict(type="str", default="200"),
        )),
        priority_range=dict(type="dict", default={"first": 49000, "last": 49999}, options=dict(
            first=dict(type="int", default=49000),
            last=dict(type="int", default=49999),
        )),
        ttl_hours=dict(type="int", default=72),
        expires_at=dict(type="str"),
        max_previews=dict(type="int", default=40),
        tags=dict(type="dict", default={}),
        url_scheme=dict(type="str", choices=["https", "http"], default="https"),
        image=dict(type="str"),
    )


def main():
    module = EcsopsAWSModule(argument_spec=argument_spec(), supports_check_mode=True,
                             required_if=[("state", "present", ["branch", "domain"])])
    try:
        result = run_present(module) if module.params["state"] == "present" else run_absent(module)
    except PreviewInputError as e:
        module.fail_json(msg=str(e))
    except EcsopsAWSError as e:
        module.fail_json_aws_error(e)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
