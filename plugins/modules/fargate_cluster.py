#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: fargate_cluster
short_description: Converge an ECS Fargate cluster with its log groups and Cloud Map names in one call
version_added: 0.2.0
description:
  - Creates or updates an ECS cluster for Fargate - Container Insights, the capacity providers C(FARGATE) and
    C(FARGATE_SPOT) with a default capacity provider strategy, tags - together with what its services share,
    in one module invocation.
  - One CloudWatch log group per service (C(/ecs/<cluster>/<service>) unless named), with a retention.
  - A Cloud Map private DNS namespace (e.g. C(dev.local)) in a VPC, and a Cloud Map service with A records
    (C(MULTIVALUE)) for each service that others call, so C(backend.dev.local) resolves once ECS registers the
    tasks. Pass the returned I(discovery_service_arns) to M(ecsops.fargate.fargate_service_rollout)'s
    I(service_registries).
  - A converge that changes nothing makes four read calls (DescribeClusters, DescribeLogGroups, ListNamespaces,
    ListServices), however many services there are.
  - Tags are compared and updated on the cluster. Log groups, the namespace and Cloud Map services get I(tags)
    when they are created; their tags are not read back (that would be one call per resource).
  - Log groups and Cloud Map services of services no longer listed are left in place.
author:
  - ecsops.fargate contributors (@ecsops)
options:
  name:
    description: Name of the ECS cluster.
    type: str
    required: true
    aliases: [cluster]
  state:
    description:
      - C(present) creates or updates; C(absent) deletes the Cloud Map services of the listed I(services), the
        namespace (only when no other service is left in it), their log groups and the cluster.
      - The cluster can only be deleted once it has no services left.
    type: str
    choices: [present, absent]
    default: present
  container_insights:
    description: CloudWatch Container Insights for the cluster. Not given, the setting is left as it is.
    type: str
    choices: [enabled, disabled, enhanced]
  capacity_providers:
    description: Capacity providers associated with the cluster (Fargate's only).
    type: list
    elements: str
    choices: [FARGATE, FARGATE_SPOT]
    default: [FARGATE, FARGATE_SPOT]
  capacity_provider_strategy:
    description:
      - Default capacity provider strategy of the cluster, used by services that give none.
      - Not given, the current strategy is kept.
    type: list
    elements: dict
    suboptions:
      capacity_provider:
        description: C(FARGATE) or C(FARGATE_SPOT); must be in I(capacity_providers).
        type: str
        required: true
      weight:
        description: Relative share of tasks (0 to 1000).
        type: int
        default: 1
      base:
        description: Tasks placed on this provider first (only one provider may have a base).
        type: int
        default: 0
  tags:
    description: Tags of the cluster, and of the log groups, namespace and Cloud Map services it creates.
    type: dict
  purge_tags:
    description: Remove cluster tags not in I(tags).
    type: bool
    default: true
  services:
    description: The ECS services that will run in the cluster.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Service name.
        type: str
        required: true
      log_group:
        description: Log group name. Defaults to I(log_group_prefix) followed by the service name.
        type: str
      discoverable:
        description:
          - Give the service a Cloud Map name (C(<service>.<namespace>)).
          - Not given, a service is discoverable when another service lists it in I(calls).
        type: bool
      calls:
        description: Services this one calls, by name.
        type: list
        elements: str
        default: []
  log_group_prefix:
    description: Prefix of the default log group names. Defaults to C(/ecs/<name>/).
    type: str
  log_retention_days:
    description:
      - Days CloudWatch Logs keeps the services' logs (1, 3, 5, 7, 14, 30, 60, 90, ... 3653); C(0) for never expire.
      - Not given, the retention of existing log groups is left alone and new ones never expire.
    type: int
  log_kms_key_id:
    description: ARN of a KMS key that encrypts log groups this module creates.
    type: str
  namespace:
    description: Cloud Map private DNS namespace for service discovery.
    type: dict
    suboptions:
      name:
        description: Namespace name, a DNS domain such as C(dev.local).
        type: str
        required: true
      vpc_id:
        description: VPC the namespace resolves in. Needed to create it.
        type: str
      id:
        description: Namespace id, to pick one when several namespaces share I(name) (in different VPCs).
        type: str
      description:
        description: Description, set when the namespace is created.
        type: str
  discovery_dns_ttl:
    description: TTL in seconds of the A records of the Cloud Map services.
    type: int
    default: 10
  wait_timeout:
    description: Seconds to wait for Cloud Map's asynchronous operations (namespace creation takes about a minute).
    type: int
    default: 300
  iam:
    description:
      - The cluster's IAM roles, converged in the same module run (one process instead of two) - the options of
        M(ecsops.fargate.fargate_task_roles) other than I(cluster), I(state), I(tags) and I(purge_tags), which come
        from this module (C(account_id), C(execution_role), C(task_roles), C(waker_role), C(inline_policy_name),
        C(permissions_boundary)), validated against that module's argument spec before anything is written.
      - The roles follow I(state) - with C(absent) they are deleted after the cluster - and get I(tags).
      - Not given, no role is managed.
    type: dict
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
- name: Cluster for dev, with Cloud Map names for the services others call
  ecsops.fargate.fargate_cluster:
    name: dev
    container_insights: disabled
    capacity_provider_strategy:
      - capacity_provider: FARGATE_SPOT
        weight: 1
    log_retention_days: 7
    services:
      - name: web
        calls: [api]
      - name: api
        calls: [backend]
      - name: backend
    namespace:
      name: dev.local
      vpc_id: vpc-0123456789abcdef0
    tags:
      environment: dev
  register: cluster

- name: Roll the backend out, registered as backend.dev.local
  ecsops.fargate.fargate_service_rollout:
    cluster: dev
    name: backend
    cpu: "256"
    memory: "512"
    containers:
      - name: app
        image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/backend:v1
        ports:
          - container_port: 8000
    subnets: [subnet-0a]
    security_groups: [sg-0123]
    service_registries:
      - registry_arn: "{{ cluster.discovery_service_arns.backend }}"

- name: Cluster and its roles in one module run - the execution role and a task role for the API
  ecsops.fargate.fargate_cluster:
    name: dev
    services:
      - name: api
    iam:
      execution_role:
        ssm_parameter_prefix: /dev/
      task_roles:
        - service: api
          statements:
            - Effect: Allow
              Action: ["s3:GetObject"]
              Resource: arn:aws:s3:::dev-uploads/*
  register: cluster_with_roles

- name: Production cluster on on-demand Fargate with Container Insights
  ecsops.fargate.fargate_cluster:
    name: prod
    container_insights: enabled
    capacity_provider_strategy:
      - capacity_provider: FARGATE
        weight: 1
        base: 1
    log_retention_days: 30
    services:
      - name: api

- name: Remove the cluster, its log groups and Cloud Map names (after its services are gone)
  ecsops.fargate.fargate_cluster:
    name: dev
    state: absent
    services:
      - name: api
        discoverable: true
    namespace:
      name: dev.local
"""

RETURN = r"""
cluster_name:
  description: Name of the cluster.
  returned: always
  type: str
  sample: dev
cluster_arn:
  description: ARN of the cluster (None in check mode before it exists, and after I(state=absent)).
  returned: always
  type: str
  sample: arn:aws:ecs:eu-west-1:123456789012:cluster/dev
cluster:
  description: The cluster's managed fields after the run (C(container_insights), C(capacity_providers),
    C(default_capacity_provider_strategy), C(tags)), with C(cluster_arn) and C(status).
  returned: always
  type: dict
log_groups:
  description: Log group name per service.
  returned: always
  type: dict
  sample: {"api": "/ecs/dev/api"}
namespace:
  description: The Cloud Map namespace (C(id), C(arn), C(name), C(hosted_zone_id)), None without one (or in check mode
    before it exists).
  returned: always
  type: dict
discovery_service_arns:
  description: Cloud Map service ARN per discoverable service, for I(service_registries) (None in check mode
    before it exists).
  returned: always
  type: dict
  sample: {"backend": "arn:aws:servicediscovery:eu-west-1:123456789012:service/srv-abcd1234"}
discovery_service_ids:
  description: Cloud Map service id per discoverable service.
  returned: always
  type: dict
iam:
  description: With I(iam), the roles as M(ecsops.fargate.fargate_task_roles) returns them (C(execution_role_arn),
    C(task_role_arns), C(waker_role_arn), C(role_names)); their C(before) and C(after) are under C(iam) in I(diff).
  returned: when I(iam) is given
  type: dict
  sample: {"execution_role_arn": "arn:aws:iam::123456789012:role/dev-execution", "task_role_arns": {"api": null},
           "waker_role_arn": null, "role_names": {"execution": "dev-execution"}}
actions:
  description: What the run changed, or would change in check mode, one line per step.
  returned: always
  type: list
  elements: str
  sample: ["create cluster (container_insights=disabled, ...)", "put retention (name=/ecs/dev/api, days=7)"]
diff:
  description: The managed state C(before) and C(after) the run.
  returned: always
  type: dict
api_calls:
  description: AWS API calls made (C(total), C(attempts) including retries, C(by_operation)).
  returned: always
  type: dict
"""

from ansible_collections.ecsops.fargate.plugins.module_utils.api import EcsopsAWSError
from ansible_collections.ecsops.fargate.plugins.module_utils.cluster import ClusterInputError
from ansible_collections.ecsops.fargate.plugins.module_utils.cluster import OperationFailed
from ansible_collections.ecsops.fargate.plugins.module_utils.cluster import RolesInputError
from ansible_collections.ecsops.fargate.plugins.module_utils.cluster import run_module
from ansible_collections.ecsops.fargate.plugins.module_utils.module import EcsopsAWSModule


def argument_spec():
    return dict(
        name=dict(type="str", required=True, aliases=["cluster"]),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        container_insights=dict(type="str", choices=["enabled", "disabled", "enhanced"]),
        capacity_providers=dict(type="list", elements="str", choices=["FARGATE", "FARGATE_SPOT"],
                                default=["FARGATE", "FARGATE_SPOT"]),
        capacity_provider_strategy=dict(type="list", elements="dict", options=dict(
            capacity_provider=dict(type="str", required=True), weight=dict(type="int", default=1),
            base=dict(type="int", default=0))),
        tags=dict(type="dict"),
        purge_tags=dict(type="bool", default=True),
        services=dict(type="list", elements="dict", default=[], options=dict(
            name=dict(type="str", required=True), log_group=dict(type="str"), discoverable=dict(type="bool"),
            calls=dict(type="list", elements="str", default=[]))),
        log_group_prefix=dict(type="str"),
        log_retention_days=dict(type="int"),
        log_kms_key_id=dict(type="str", no_log=False),
        namespace=dict(type="dict", options=dict(
            name=dict(type="str", required=True), vpc_id=dict(type="str"), id=dict(type="str"),
            description=dict(type="str"))),
        discovery_dns_ttl=dict(type="int", default=10),
        wait_timeout=dict(type="int", default=300),
        iam=dict(type="dict"),
    )


def main():
    module = EcsopsAWSModule(argument_spec=argument_spec(), supports_check_mode=True)
    try:
        result = run_module(module)
    except (ClusterInputError, OperationFailed, RolesInputError) as e:
        module.fail_json(msg=str(e))
    except EcsopsAWSError as e:
        module.fail_json_aws_error(e)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
