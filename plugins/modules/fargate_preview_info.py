#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: fargate_preview_info
short_description: List preview environments, the expired ones, orphans and the ceiling decision (read-only)
version_added: 0.3.0
description:
  - Reads the resources tagged by M(ecsops.fargate.fargate_preview) and the preview's services - the rules of
    I(listener_arn), the region's target groups, the services of I(cluster), the log groups under
    I(log_group_prefix), the ownership TXT records of I(hosted_zone) - and groups them per preview.
  - Lists the previews past their C(expires-at), and orphans - a rule whose preview has no service, a target group
    whose preview has no rule, a log group whose preview has no service - older than I(orphan_grace_seconds).
  - With I(max_previews), says whether one more preview (I(new_pr_number)) fits on the listener, must first reap
    the oldest expired ones (I(reap_oldest_expired)), or is refused (with a message naming the oldest previews).
  - Never changes anything; C(playbooks/preview_reap.yml) uses it.
author:
  - ecsops.fargate contributors (@ecsops)
options:
  listener_arn:
    description: The shared listener the preview rules are on.
    type: str
    required: true
  cluster:
    description: The ECS cluster of the previews' services. Not given, no service is read (every rule is then an orphan).
    type: str
  hosted_zone:
    description: Route53 hosted zone (name or id) of the previews' records.
    type: str
  log_group_prefix:
    description: Where the previews' log groups are.
    type: str
    default: /ecs/preview
  pr_number:
    description:
      - Only this pull request's preview. Cheaper - only log groups whose name holds C(pr-<N>-) have their tags read.
    type: int
  orphan_grace_seconds:
    description: A resource younger than this is not an orphan yet (a preview being created has a rule before its service).
    type: int
    default: 900
  max_previews:
    description: The ceiling of previews on the listener; given, the result has RV(ceiling).
    type: int
  new_pr_number:
    description: The pull request about to get a preview (an existing preview always fits).
    type: int
  reap_oldest_expired:
    description: At the ceiling, decide C(reap) (the oldest expired previews) instead of C(refuse) when enough are expired.
    type: bool
    default: false
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - ecsops.fargate.attributes
  - ecsops.fargate.attributes.actiongroup_aws
  - ecsops.fargate.attributes.info_module
"""

EXAMPLES = r"""
- name: What would the reaper remove?
  ecsops.fargate.fargate_preview_info:
    listener_arn: "{{ alb_outputs.https_listener_arn }}"
    cluster: dev
    hosted_zone: example.com
  register: previews

- name: Does pr-43 fit?
  ecsops.fargate.fargate_preview_info:
    listener_arn: "{{ alb_outputs.https_listener_arn }}"
    cluster: dev
    max_previews: 40
    new_pr_number: 43
    reap_oldest_expired: true
  register: fits
"""

RETURN = r"""
previews:
  description:
    - The previews found, oldest first - C(id), C(pr_number), C(branch), C(created_at), C(expires_at), C(expired),
      C(hosts), C(services) (names) and C(resources) (ids per kind - rules, target_groups, services, log_groups, records).
  returned: always
  type: list
  elements: dict
expired:
  description: Ids of the previews past their expiry, oldest first.
  returned: always
  type: list
  elements: str
kept:
  description: Ids of the previews neither expired nor orphaned.
  returned: always
  type: list
  elements: str
orphans:
  description: Orphaned resources per kind (C(rules), C(target_groups), C(log_groups)), each with C(id) and C(preview).
  returned: always
  type: dict
orphan_previews:
  description: Ids of the (unexpired) previews with an orphaned resource; removing them removes the orphans.
  returned: always
  type: list
  elements: str
now:
  description: The time the decisions were taken at (UTC).
  returned: always
  type: str
ceiling:
  description: C(action) (C(allow), C(reap) with C(previews) to reap first, C(refuse) with C(message)).
  returned: with max_previews
  type: dict
api_calls:
  description: AWS API calls made (C(total), C(attempts) including retries, C(by_operation)).
  returned: always
  type: dict
"""

from ansible_collections.ecsops.fargate.plugins.module_utils.api import EcsopsAWSError
from ansible_collections.ecsops.fargate.plugins.module_utils.module import EcsopsAWSModule
from ansible_collections.ecsops.fargate.plugins.module_utils.preview import PreviewInputError
from ansible_collections.ecsops.fargate.plugins.module_utils.preview import run_info


def argument_spec():
    return dict(
        listener_arn=dict(type="str", required=True),
        cluster=dict(type="str"),
        hosted_zone=dict(type="str"),
        log_group_prefix=dict(type="str", default="/ecs/preview"),
        pr_number=dict(type="int"),
        orphan_grace_seconds=dict(type="int", default=900),
        max_previews=dict(type="int"),
        new_pr_number=dict(type="int"),
        reap_oldest_expired=dict(type="bool", default=False),
    )


def main():
    module = EcsopsAWSModule(argument_spec=argument_spec(), supports_check_mode=True)
    try:
        result = run_info(module)
    except PreviewInputError as e:
        module.fail_json(msg=str(e))
    except EcsopsAWSError as e:
        module.fail_json_aws_error(e)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
