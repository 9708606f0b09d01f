#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: fargate_service_rollout
short_description: Roll a Fargate service out, wait for the real outcome, roll back when it is bad
version_added: 0.2.0
description:
  - Builds a Fargate task definition from its arguments and registers a new revision only when it differs
    from the revision the service runs now (task cpu and memory, roles, runtime platform and every container
    field compared after AWS defaults are normalised away). It never walks the revisions of the family.
  - Creates the ECS service or updates the fields given (network, load balancers, deployment configuration,
    capacity providers, platform version, execute command, tag propagation, tags). Fields not given are left alone.
  - Waits on the deployment it started, by id, until it is C(COMPLETED) and its tasks are healthy in every
    target group, not until the service is stable. A failed deployment, a circuit-breaker or alarm rollback,
    stopped tasks and a timeout fail the task with the stop reasons and the revision the service runs now.
  - With I(state=rolled_back) returns the service to the previous good revision, or to I(revision).
author:
  - ecsops.fargate contributors (@ecsops)
options:
  state:
    description:
      - C(present) deploys the arguments; C(rolled_back) returns the service to an earlier revision.
      - C(absent) deletes the service (ECS stops its tasks) and, with I(wait), waits until it is INACTIVE.
        Target groups, task definitions, log groups and alarms stay.
    type: str
    choices: [present, rolled_back, absent]
    default: present
  cluster:
    description: Name or ARN of the ECS cluster.
    type: str
    required: true
  name:
    description: Name of the ECS service.
    type: str
    required: true
    aliases: [service]
  family:
    description: Task definition family. Defaults to I(name).
    type: str
  revision:
    description:
      - With I(state=rolled_back), the revision to return to (a number in the service's family, C(family:N) or an ARN).
      - Without it, the newest earlier revision with a successful deployment.
    type: str
  cpu:
    description: Task CPU in units (C(256)) or vCPU (C(0.25 vCPU)); a Fargate size. Required with I(state=present).
    type: str
  memory:
    description: Task memory in MiB (C(512)) or GB (C(0.5 GB)); must fit I(cpu) on Fargate. Required with I(state=present).
    type: str
  execution_role:
    description: Task execution role, name or ARN. A name is looked up and must exist.
    type: str
  task_role:
    description: Task role, name or ARN. A name is looked up and must exist.
    type: str
  runtime_platform:
    description: CPU architecture and OS family. ECS defaults to C(X86_64) and C(LINUX).
    type: dict
    suboptions:
      cpu_architecture:
        description: CPU architecture.
        type: str
        choices: [X86_64, ARM64]
        default: X86_64
      operating_system_family:
        description: Operating system family.
        type: str
        default: LINUX
  ephemeral_storage_gib:
    description: Ephemeral storage in GiB (21 to 200); Fargate gives 20 without it.
    type: int
  containers:
    description: The containers of the task. Required with I(state=present).
    type: list
    elements: dict
    suboptions:
      name:
        description: Container name.
        type: str
        required: true
      image:
        description: Image reference, ideally pinned by digest.
        type: str
        required: true
      essential:
        description: Whether the task stops when this container stops.
        type: bool
        default: true
      cpu:
        description: CPU units reserved for the container.
        type: int
      memory:
        description: Hard memory limit in MiB.
        type: int
      memory_reservation:
        description: Soft memory limit in MiB.
        type: int
      command:
        description: Command.
        type: list
        elements: str
      entry_point:
        description: Entry point.
        type: list
        elements: str
      working_directory:
        description: Working directory.
        type: str
      user:
        description: User (and group) the container runs as.
        type: str
      readonly_root_filesystem:
        description: Mount the root filesystem read-only.
        type: bool
      stop_timeout:
        description: Seconds to wait after SIGTERM before SIGKILL.
        type: int
      ports:
        description: Port mappings (host port = container port on Fargate).
        type: list
        elements: dict
        suboptions:
          container_port:
            description: Container port.
            type: int
            required: true
          name:
            description: Port name (used by Service Connect).
            type: str
          protocol:
            description: Protocol.
            type: str
            choices: [tcp, udp]
            default: tcp
          app_protocol:
            description: Application protocol.
            type: str
            choices: [http, http2, grpc]
      environment:
        description: Environment variables. Secrets belong in I(secrets), never here.
        type: dict
      secrets:
        description: Environment variables from SSM Parameter Store or Secrets Manager, by name or ARN, resolved to ARNs and checked to exist.
        type: list
        elements: dict
        suboptions:
          name:
            description: Environment variable name.
            type: str
            required: true
          ssm_parameter:
            description: SSM parameter name or ARN.
            type: str
          secrets_manager_secret:
            description: Secrets Manager secret name or ARN.
            type: str
          json_key:
            description: Key of a JSON secret.
            type: str
      log:
        description: Send the container's output to CloudWatch Logs (awslogs); the log group must exist.
        type: dict
        suboptions:
          group:
            description: Log group name.
            type: str
            required: true
          stream_prefix:
            description: Stream prefix. Defaults to the container name.
            type: str
          region:
            description: Region of the log group. Defaults to the module's region.
            type: str
      health_check:
        description: Container health check.
        type: dict
        suboptions:
          command:
            description: Command, e.g. C([CMD-SHELL, curl -f http://localhost/health || exit 1]).
            type: list
            elements: str
            required: true
          interval:
            description: Seconds between checks (ECS default 30).
            type: int
          timeout:
            description: Seconds before a check fails (ECS default 5).
            type: int
          retries:
            description: Failures before unhealthy (ECS default 3).
            type: int
          start_period:
            description: Grace period in seconds.
            type: int
      depends_on:
        description: Containers that must reach a condition first.
        type: list
        elements: dict
        suboptions:
          container_name:
            description: The other container.
            type: str
            required: true
          condition:
            description: The condition.
            type: str
            choices: [START, COMPLETE, SUCCESS, HEALTHY]
            default: START
  desired_count:
    description:
      - Number of tasks. Set on create (default 1).
      - On update see I(desired_count_on_update).
    type: int
  desired_count_on_update:
    description:
      - C(auto) applies I(desired_count) to an existing service unless Application Auto Scaling manages its count;
        C(always) applies it; C(never) only sets it on create.
    type: str
    choices: [auto, always, never]
    default: auto
  subnets:
    description: Subnet ids of the awsvpc network configuration.
    type: list
    elements: str
  security_groups:
    description: Security group ids of the awsvpc network configuration.
    type: list
    elements: str
  assign_public_ip:
    description: Give tasks a public IP.
    type: bool
    default: false
  load_balancers:
    description: Target groups the service registers its tasks in.
    type: list
    elements: dict
    suboptions:
      target_group:
        description: Target group name or ARN; it must exist and be attached to a load balancer.
        type: str
        required: true
      container_name:
        description: Container receiving the traffic; must be one of I(containers).
        type: str
        required: true
      container_port:
        description: Port of that container; must be one of its I(ports).
        type: int
        required: true
  service_registries:
    description:
      - Cloud Map services the tasks register in, so other services reach them by name (C(backend.dev.local)).
      - ECS takes at most one. An empty list removes the registration; not given, it is left alone.
      - Adding, changing or removing it starts a new deployment.
    type: list
    elements: dict
    suboptions:
      registry_arn:
        description: ARN of the Cloud Map service (C(arn:aws:servicediscovery:<region>:<account>:service/srv-...)).
        type: str
        required: true
      container_name:
        description: Container whose address is registered (needed only for SRV records).
        type: str
      container_port:
        description: Port registered with I(container_name) (SRV records only).
        type: int
      port:
        description: Port registered for SRV records when no container is named.
        type: int
  health_check_grace_period:
    description: Seconds ECS ignores failing load balancer health checks after a task starts.
    type: int
  deployment:
    description: Deployment configuration. Only the sub-options given are managed.
    type: dict
    suboptions:
      minimum_healthy_percent:
        description: Lower limit of running tasks during a deployment, in percent of the desired count.
        type: int
      maximum_percent:
        description: Upper limit of tasks during a deployment, in percent of the desired count.
        type: int
      circuit_breaker:
        description: Deployment circuit breaker.
        type: dict
        suboptions:
          enable:
            description: Enable it.
            type: bool
            default: true
          rollback:
            description: Roll back to the last completed deployment when it trips.
            type: bool
            default: true
      alarms:
        description: CloudWatch alarms that fail the deployment.
        type: dict
        suboptions:
          names:
            description: Alarm names.
            type: list
            elements: str
            required: true
          enable:
            description: Watch them.
            type: bool
            default: true
          rollback:
            description: Roll back when one goes to ALARM.
            type: bool
            default: true
      strategy:
        description: ECS deployment strategy.
        type: str
        choices: [ROLLING, BLUE_GREEN]
      bake_time_minutes:
        description: Minutes a blue/green deployment bakes before the old tasks stop.
        type: int
  alarms:
    description:
      - The service's CloudWatch metric alarms, created or updated (C(PutMetricAlarm)) before the service so that the
        deployment about to start watches alarms that exist. A run that changes nothing reads them in one
        C(DescribeAlarms) call.
      - An alarm with I(rollback=true) joins I(deployment.alarms) (created enabled and rolling back when not given);
        ALARM during a deployment fails it and ECS rolls it back; the module then reports the failure.
      - With I(state=absent) the alarms named here are deleted with the service. Alarms not listed are never touched.
    type: list
    elements: dict
    suboptions:
      name:
        description: Alarm name (1 to 255 characters).
        type: str
        required: true
      metric:
        description: Metric name, e.g. C(CPUUtilization).
        type: str
        required: true
      namespace:
        description: Metric namespace.
        type: str
        default: AWS/ECS
      statistic:
        description: Statistic of the metric over each period.
        type: str
        choices: [SampleCount, Average, Sum, Minimum, Maximum]
        default: Average
      comparison:
        description: How the statistic compares with I(threshold).
        type: str
        choices: [GreaterThanThreshold, GreaterThanOrEqualToThreshold, LessThanThreshold, LessThanOrEqualToThreshold]
        required: true
      threshold:
        description: The threshold.
        type: float
        required: true
      period:
        description: Seconds per period - 10, 20, 30 or a multiple of 60.
        type: int
        default: 60
      evaluation_periods:
        description: Periods evaluated; I(period) x I(evaluation_periods) may not exceed one day.
        type: int
        default: 1
      datapoints_to_alarm:
        description: Breaching periods (out of I(evaluation_periods)) that set ALARM. Not given, all of them.
        type: int
      unit:
        description: Unit of the metric, e.g. C(Percent).
        type: str
      dimensions:
        description: Metric dimensions. Defaults to the service's - C(ClusterName) and C(ServiceName).
        type: dict
      description:
        description: Alarm description.
        type: str
      treat_missing_data:
        description: How missing data points are treated.
        type: str
        choices: [missing, notBreaching, breaching, ignore]
        default: missing
      alarm_actions:
        description: ARNs notified on ALARM (e.g. SNS topics).
        type: list
        elements: str
        default: []
      ok_actions:
        description: ARNs notified on OK.
        type: list
        elements: str
        default: []
      rollback:
        description: Add the alarm to the deployment's alarms, so ALARM fails the deployment and rolls it back.
        type: bool
        default: false
  autoscaling:
    description:
      - The service's autoscaling, converged in the same module run once the service exists (one process instead of
        two) - the options of M(ecsops.fargate.fargate_service_autoscaling) other than I(state), I(cluster) and
        I(service) (C(min_capacity), C(max_capacity), C(cpu_target), C(memory_target), C(request_count_target),
        C(target_group), C(scale_out_cooldown), C(scale_in_cooldown), C(disable_scale_in)), checked like that
        module's before anything is written.
      - While it is given, a changed I(desired_count) is not applied to an existing service with
        I(desired_count_on_update=auto) - the scaling owns the count.
      - With I(state=absent) the scalable target and its policies go too (kept when other policies or scheduled
        actions use it). Not given, autoscaling is left as it is.
    type: dict
  capacity_provider_strategy:
    description: Capacity providers, e.g. C(FARGATE_SPOT) by weight with a C(FARGATE) base. Excludes I(launch_type).
    type: list
    elements: dict
    suboptions:
      capacity_provider:
        description: C(FARGATE) or C(FARGATE_SPOT).
        type: str
        required: true
      weight:
        description: Relative weight.
        type: int
        default: 0
      base:
        description: Tasks placed here first.
        type: int
        default: 0
  launch_type:
    description: Launch type; C(FARGATE) is used on create when neither this nor I(capacity_provider_strategy) is given.
    type: str
    choices: [FARGATE]
  platform_version:
    description: Fargate platform version (ECS default C(LATEST)).
    type: str
  enable_execute_command:
    description: Allow ECS Exec into the tasks.
    type: bool
  propagate_tags:
    description: Copy tags to tasks from the service or the task definition.
    type: str
    choices: [SERVICE, TASK_DEFINITION, NONE]
  tags:
    description: Service tags. Not given, tags are left alone.
    type: dict
  purge_tags:
    description: Remove tags not in I(tags).
    type: bool
    default: true
  force_new_deployment:
    description: Start a new deployment even when nothing changed.
    type: bool
    default: false
  wait:
    description: Wait for the deployment's outcome.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for the deployment (and again for a rollback this module starts).
    type: int
    default: 900
  poll_interval:
    description: Seconds between polls while the deployment changes; the poll rate never exceeds one per this interval.
    type: float
    default: 2.0
  poll_max_interval:
    description: Longest pause between polls while nothing changes (the interval grows by half each quiet poll).
    type: float
    default: 10.0
  rollback_on_failure:
    description:
      - When the deployment fails or times out and ECS did not roll it back itself (circuit breaker or alarms
        without rollback), update the service back to the revision it ran before, if that one had completed,
        and wait for it. The task still fails.
    type: bool
    default: true
  spot_fallback:
    description:
      - When the deployment places tasks on C(FARGATE_SPOT) and ECS reports that it was unable to place a task
        because capacity is unavailable, switch the service's capacity provider strategy to C(FARGATE) only
        (bases and weights added up), start a new deployment and wait for it in what is left of I(wait_timeout).
        The result reports it under RV(spot_fallback) and a warning says so.
      - ECS has no such fallback of its own. The next run with a C(FARGATE_SPOT) strategy sees the drift and tries
        Spot again.
      - It acts only while the module waits (I(wait=true)), on the deployment this run started.
    type: bool
    default: true
  keep_revisions:
    description:
      - Housekeeping after a run that did not fail (check mode predicts it) deregisters the ACTIVE revisions of
        the task definition family beyond the newest I(keep_revisions), oldest first.
      - A revision in use is never deregistered. In use means the task definition of the service or of any of
        its deployments (PRIMARY, ACTIVE, rollback) of any service in I(cluster), this one included. Not covered,
        so kept only by the count, are services in other clusters, tasks started by RunTask or EventBridge
        schedules, and references in other tools (CodeDeploy app specs, scripts).
      - Revisions of other families sharing the prefix (C(api-worker) for C(api)) are never touched. The
        revisions are read with one paged ListTaskDefinitions call, not one describe per revision.
      - Not given, nothing is deregistered.
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
- name: Deploy the API and wait for the outcome
  ecsops.fargate.fargate_service_rollout:
    cluster: prod
    name: api
    cpu: "512"
    memory: "1024"
    execution_role: api-execution
    containers:
      - name: web
        image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/api@sha256:0123abcd...
        ports:
          - name: http
            container_port: 8080
        environment:
          NODE_ENV: production
        secrets:
          - name: DATABASE_URL
            ssm_parameter: /prod/api/database-url
        log:
          group: /ecs/prod/api
        health_check:
          command: [CMD-SHELL, "wget -qO- http://localhost:8080/health || exit 1"]
    desired_count: 2
    subnets: [subnet-0a, subnet-0b]
    security_groups: [sg-0123]
    load_balancers:
      - target_group: api-prod
        container_name: web
        container_port: 8080
    health_check_grace_period: 60
    deployment:
      circuit_breaker:
        enable: true
        rollback: true
    capacity_provider_strategy:
      - capacity_provider: FARGATE
        base: 1
        weight: 1

- name: Deploy with the service's alarms - a 5XX alarm rolls a bad deployment back, a CPU alarm only notifies
  ecsops.fargate.fargate_service_rollout:
    cluster: prod
    name: api
    cpu: "512"
    memory: "1024"
    containers:
      - name: web
        image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/api:v42
    subnets: [subnet-0a, subnet-0b]
    security_groups: [sg-0123]
    alarms:
      - name: prod-api-5xx
        namespace: AWS/ApplicationELB
        metric: HTTPCode_Target_5XX_Count
        statistic: Sum
        comparison: GreaterThanThreshold
        threshold: 10
        dimensions:
          TargetGroup: targetgroup/api-prod/0123456789abcdef
          LoadBalancer: app/prod/0123456789abcdef
        rollback: true
      - name: prod-api-cpu-high
        metric: CPUUtilization
        comparison: GreaterThanThreshold
        threshold: 80
        evaluation_periods: 5
        unit: Percent
        alarm_actions: [arn:aws:sns:eu-west-1:123456789012:ops]
    autoscaling:
      min_capacity: 2
      max_capacity: 10
      cpu_target: 60

- name: Roll back to the previous good revision
  ecsops.fargate.fargate_service_rollout:
    cluster: prod
    name: api
    state: rolled_back

- name: Roll back to revision 41 of the service's family
  ecsops.fargate.fargate_service_rollout:
    cluster: prod
    name: api
    state: rolled_back
    revision: "41"

- name: Remove a service (its tasks stop; the target group and task definitions stay)
  ecsops.fargate.fargate_service_rollout:
    cluster: prod
    name: api
    state: absent
"""

RETURN = r"""
task_definition_arn:
  description: The revision deployed (in check mode, a placeholder when a new revision would be registered).
  returned: unless I(state=absent)
  type: str
task_definition_registered:
  description: Whether a new revision was (or would be) registered.
  returned: unless I(state=absent)
  type: bool
task_definition_differences:
  description: Fields in which the arguments differ from the service's current revision.
  returned: unless I(state=absent)
  type: list
  elements: str
  sample: ["cpu", "containerDefinitions[web].image"]
service_changes:
  description: Service fields changed (or that would change), each with C(before) and C(after).
  returned: unless I(state=absent)
  type: dict
autoscaling:
  description: With I(autoscaling), the scaling after the run as M(ecsops.fargate.fargate_service_autoscaling) returns it
    (C(resource_id), C(scalable_target), C(policies), C(other_policies), C(actions)); its C(before) and C(after) are
    under C(autoscaling) in I(diff) when it changed.
  returned: when I(autoscaling) is given and the run did not fail
  type: dict
alarms_changed:
  description: Names of the I(alarms) created or updated (deleted with I(state=absent)), or that would be in check mode.
  returned: with I(state=present) or I(state=absent)
  type: list
  elements: str
  sample: ["api-cpu-high"]
service:
  description: The service as DescribeServices returns it after the run, in snake_case.
  returned: always
  type: dict
deployment_id:
  description: Id of the deployment this run started.
  returned: when a deployment was started
  type: str
deployment_outcome:
  description: C(succeeded), C(failed), C(rolled_back), C(superseded), C(timeout) or C(inactive).
  returned: when the module waited
  type: str
timeline:
  description: What the wait saw.
  returned: when the module waited
  type: dict
  contains:
    events:
      description: Service events, oldest first, each with C(at) (seconds since the deployment started) and C(message).
      type: list
      elements: dict
    task_counts:
      description: Desired, pending, running, failed and old running task counts, each time they changed.
      type: list
      elements: dict
    durations:
      description: Seconds to C(first_task_running), C(targets_healthy), C(old_drained) and C(total).
      type: dict
stop_reasons:
  description: Stop reasons of the deployment's stopped tasks, with how often each was seen.
  returned: when the module waited
  type: dict
rolled_back:
  description: Whether the service was rolled back (by ECS, or by this module).
  returned: when a rollout failed, or with state=rolled_back
  type: bool
spot_fallback:
  description: The switch from Fargate Spot to FARGATE this run made because Spot capacity was unavailable.
  returned: when spot_fallback acted
  type: dict
  contains:
    from:
      description: The capacity provider strategy that could not place the tasks.
      type: list
      elements: dict
    to:
      description: The strategy the service uses now.
      type: list
      elements: dict
    spot_deployment_id:
      description: The deployment that could not place its tasks on Fargate Spot.
      type: str
    deployment_id:
      description: The deployment started on FARGATE (also RV(deployment_id)).
      type: str
    timeline:
      description: What the wait saw of the Spot deployment.
      type: dict
deregistered_revisions:
  description: Revisions deregistered by I(keep_revisions) (in check mode, the ones that would be), oldest first.
  returned: when keep_revisions is given and the run did not fail
  type: list
  elements: str
rollback:
  description: The rollback this module made (deployment id, revision, outcome, timeline).
  returned: when rollback_on_failure acted
  type: dict
revision_now:
  description: The task definition the service runs after the run.
  returned: when the module waited
  type: str
api_calls:
  description: AWS API calls made (C(total), C(attempts) including retries, C(by_operation)).
  returned: always
  type: dict
"""

from ansible_collections.ecsops.fargate.plugins.module_utils.api import EcsopsAWSError
from ansible_collections.ecsops.fargate.plugins.module_utils.ecs import RolloutInputError
from ansible_collections.ecsops.fargate.plugins.module_utils.ecs import alarm_options
from ansible_collections.ecsops.fargate.plugins.module_utils.ecs import run_module
from ansible_collections.ecsops.fargate.plugins.module_utils.module import EcsopsAWSModule


def argument_spec():
    port = dict(container_port=dict(type="int", required=True), name=dict(type="str"),
                protocol=dict(type="str", choices=["tcp", "udp"], default="tcp"),
                app_protocol=dict(type="str", choices=["http", "http2", "grpc"]))
    secret = dict(name=dict(type="str", required=True), ssm_parameter=dict(type="str"),
                  secrets_manager_secret=dict(type="str", no_log=False), json_key=dict(type="str", no_log=False))
    container = dict(
        name=dict(type="str", required=True),
        image=dict(type="str", required=True),
        essential=dict(type="bool", default=True),
        cpu=dict(type="int"),
        memory=dict(type="int"),
        memory_reservation=dict(type="int"),
        command=dict(type="list", elements="str"),
        entry_point=dict(type="list", elements="str"),
        working_directory=dict(type="str"),
        user=dict(type="str"),
        readonly_root_filesystem=dict(type="bool"),
        stop_timeout=dict(type="int"),
        ports=dict(type="list", elements="dict", options=port),
        environment=dict(type="dict"),
        secrets=dict(type="list", elements="dict", options=secret, no_log=False,
                     mutually_exclusive=[["ssm_parameter", "secrets_manager_secret"]],
                     required_one_of=[["ssm_parameter", "secrets_manager_secret"]]),
        log=dict(type="dict", options=dict(group=dict(type="str", required=True), stream_prefix=dict(type="str"),
                                           region=dict(type="str"))),
        health_check=dict(type="dict", options=dict(
            command=dict(type="list", elements="str", required=True), interval=dict(type="int"),
            timeout=dict(type="int"), retries=dict(type="int"), start_period=dict(type="int"))),
        depends_on=dict(type="list", elements="dict", options=dict(
            container_name=dict(type="str", required=True),
            condition=dict(type="str", choices=["START", "COMPLETE", "SUCCESS", "HEALTHY"], default="START"))),
    )
    deployment = dict(
        minimum_healthy_percent=dict(type="int"),
        maximum_percent=dict(type="int"),
        circuit_breaker=dict(type="dict", options=dict(enable=dict(type="bool", default=True),
                                                       rollback=dict(type="bool", default=True))),
        alarms=dict(type="dict", options=dict(names=dict(type="list", elements="str", required=True),
                                              enable=dict(type="bool", default=True),
                                              rollback=dict(type="bool", default=True))),
        strategy=dict(type="str", choices=["ROLLING", "BLUE_GREEN"]),
        bake_time_minutes=dict(type="int"),
    )
    return dict(
        state=dict(type="str", choices=["present", "rolled_back", "absent"], default="present"),
        cluster=dict(type="str", required=True),
        name=dict(type="str", required=True, aliases=["service"]),
        family=dict(type="str"),
        revision=dict(type="str"),
        cpu=dict(type="str"),
        memory=dict(type="str"),
        execution_role=dict(type="str"),
        task_role=dict(type="str"),
        runtime_platform=dict(type="dict", options=dict(
            cpu_architecture=dict(type="str", choices=["X86_64", "ARM64"], default="X86_64"),
            operating_system_family=dict(type="str", default="LINUX"))),
        ephemeral_storage_gib=dict(type="int"),
        containers=dict(type="list", elements="dict", options=container),
        desired_count=dict(type="int"),
        desired_count_on_update=dict(type="str", choices=["auto", "always", "never"], default="auto"),
        subnets=dict(type="list", elements="str"),
        security_groups=dict(type="list", elements="str"),
        assign_public_ip=dict(type="bool", default=False),
        load_balancers=dict(type="list", elements="dict", options=dict(
            target_group=dict(type="str", required=True), container_name=dict(type="str", required=True),
            container_port=dict(type="int", required=True))),
        service_registries=dict(type="list", elements="dict", options=dict(
            registry_arn=dict(type="str", required=True), container_name=dict(type="str"),
            container_port=dict(type="int"), port=dict(type="int"))),
        health_check_grace_period=dict(type="int"),
        deployment=dict(type="dict", options=deployment),
        alarms=dict(type="list", elements="dict", options=alarm_options()),
        autoscaling=dict(type="dict"),
        capacity_provider_strategy=dict(type="list", elements="dict", options=dict(
            capacity_provider=dict(type="str", required=True), weight=dict(type="int", default=0),
            base=dict(type="int", default=0))),
        launch_type=dict(type="str", choices=["FARGATE"]),
        platform_version=dict(type="str"),
        enable_execute_command=dict(type="bool"),
        propagate_tags=dict(type="str", choices=["SERVICE", "TASK_DEFINITION", "NONE"]),
        tags=dict(type="dict"),
        purge_tags=dict(type="bool", default=True),
        force_new_deployment=dict(type="bool", default=False),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=900),
        poll_interval=dict(type="float", default=2.0),
        poll_max_interval=dict(type="float", default=10.0),
        rollback_on_failure=dict(type="bool", default=True),
        spot_fallback=dict(type="bool", default=True),
        keep_revisions=dict(type="int"),
    )


def main():
    module = EcsopsAWSModule(
        argument_spec=argument_spec(),
        supports_check_mode=True,
        required_if=[["state", "present", ["cpu", "memory", "containers"]]],
        mutually_exclusive=[["launch_type", "capacity_provider_strategy"]],
    )
    try:
        result = run_module(module)
    except RolloutInputError as e:
        module.fail_json(msg=str(e))
    except EcsopsAWSError as e:
        module.fail_json_aws_error(e)
    if result.pop("failed", False):
        module.fail_json(msg=result.pop("msg"), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
