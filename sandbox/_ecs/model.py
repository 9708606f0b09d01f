"""The ECS service scheduler's records: services, deployments, tasks and service deployments.

moto keeps the configuration (clusters, task definitions, the service record); these records
hold what moto does not simulate: which tasks run for which deployment, in which state, and
the events ECS writes about them.
"""

import math
import random
import secrets
import string
import uuid
from dataclasses import dataclass, field

LIVE = ("PROVISIONING", "PENDING", "ACTIVATING", "RUNNING")  # lastStatus of a task ECS still counts

DEFAULT_DEPLOYMENT_CONFIGURATION = {
    "deploymentCircuitBreaker": {"enable": False, "rollback": False},
    "maximumPercent": 200,
    "minimumHealthyPercent": 100,
    "strategy": "ROLLING",
    "bakeTimeInMinutes": 0,
}
FARGATE_PLATFORM_VERSION = "1.4.0"  # what LATEST resolves to on Linux
MAX_EVENTS = 100  # describe_services returns the 100 most recent events


def is_fargate(config: dict) -> bool:
    """Whether a service (its configuration) runs on Fargate: launch type or capacity providers."""
    if config.get("launchType") == "FARGATE":
        return True
    return any(s["capacityProvider"] in ("FARGATE", "FARGATE_SPOT") for s in config.get("capacityProviderStrategy")
               or [])


def resolved_platform_version(requested: str | None) -> str:
    return FARGATE_PLATFORM_VERSION if requested in (None, "", "LATEST") else requested


def deployment_id() -> str:
    """ECS deployment ids are `ecs-svc/` and 19 digits."""
    return f"ecs-svc/{random.randint(10 ** 18, 10 ** 19 - 1)}"


def task_id() -> str:
    """Fargate task ids are 32 lowercase hex characters."""
    return uuid.uuid4().hex


def service_deployment_suffix() -> str:
    alphabet = string.ascii_letters + string.digits + "-_"
    return "".join(secrets.choice(alphabet) for _ in range(20))


@dataclass
class Target:
    """A task registered in a target group (ip target)."""

    tg_arn: str
    port: int


@dataclass
class Container:
    name: str
    image: str
    essential: bool
    ports: list  # containerPort values
    health_check: bool
    cpu: int = 0
    memory: int | None = None
    last_status: str = "PENDING"
    exit_code: int | None = None
    reason: str | None = None
    runtime_id: str = ""
    container_arn: str = ""


@dataclass
class Task:
    id: str
    arn: str
    region: str
    account: str
    cluster_arn: str
    cluster_name: str
    service: "Service"
    deployment: "Deployment"
    task_definition_arn: str
    family: str
    revision: int
    cpu: str | None
    memory: str | None
    containers: list
    launch_type: str | None
    capacity_provider: str | None
    platform_version: str
    subnet_id: str
    availability_zone: str
    ip: str
    eni_id: str
    mac: str
    private_dns: str
    attachment_id: str
    created_at: float
    next_at: float  # wall-clock time of the next lifecycle step
    effects: set = field(default_factory=set)
    last_status: str = "PROVISIONING"
    desired_status: str = "RUNNING"
    attachment_status: str = "PRECREATED"
    pull_started_at: float | None = None
    pull_stopped_at: float | None = None
    started_at: float | None = None
    connectivity_at: float | None = None
    stopping_at: float | None = None
    execution_stopped_at: float | None = None
    stopped_at: float | None = None
    stop_code: str | None = None
    stopped_reason: str | None = None
    crash_at: float | None = None
    healthy_since: float | None = None
    health_status: str = "UNKNOWN"
    targets: list = field(default_factory=list)
    counted_failure: bool = False
    enable_execute_command: bool = False
    tags: list = field(default_factory=list)
    version: int = 1

    @property
    def live(self) -> bool:
        return self.desired_status == "RUNNING" and self.last_status in LIVE

    @property
    def running(self) -> bool:
        return self.desired_status == "RUNNING" and self.last_status == "RUNNING"

    @property
    def pending(self) -> bool:
        return self.desired_status == "RUNNING" and self.last_status in ("PROVISIONING", "PENDING", "ACTIVATING")

    @property
    def stopped(self) -> bool:
        return self.last_status == "STOPPED"


@dataclass
class Deployment:
    """One entry of describe_services' deployments (a service revision being rolled out)."""

    id: str
    service: "Service"
    task_definition: str
    desired_count: int
    created_at: float
    updated_at: float
    launch_type: str | None
    capacity_provider_strategy: list | None
    platform_version: str | None
    network_configuration: dict | None
    load_balancers: list
    target_groups: list = field(default_factory=list)  # per load balancer entry: where its tasks register
    status: str = "PRIMARY"
    rollout_state: str = "IN_PROGRESS"
    rollout_state_reason: str = ""
    failed_tasks: int = 0
    settled: bool = False  # one task ran healthy: failures stop counting (unless cumulative)
    alarms_ignored: frozenset = frozenset()  # alarms already in ALARM when the deployment started
    bake_until: float | None = None
    traffic_shifted: bool = False  # BLUE_GREEN: production listener rule forwards to this revision
    start_impaired_reported: bool = False
    next_placement_at: float = 0.0
    record: "ServiceDeploymentRecord | None" = None

    def __post_init__(self):
        if not self.rollout_state_reason:
            self.rollout_state_reason = f"ECS deployment {self.id} in progress."

    @property
    def digits(self) -> str:
        return self.id.split("/", 1)[1]

    def snapshot(self) -> dict:
        """What a rollback to this deployment deploys again."""
        return {
            "id": self.id,
            "task_definition": self.task_definition,
            "launch_type": self.launch_type,
            "capacity_provider_strategy": self.capacity_provider_strategy,
            "platform_version": self.platform_version,
            "network_configuration": self.network_configuration,
            "load_balancers": self.load_balancers,
        }


@dataclass
class ServiceDeploymentRecord:
    """What list/describe_service_deployments answer for one deployment (and its rollback)."""

    arn: str
    service: "Service"
    target: Deployment
    created_at: float
    source_revisions: list  # [(revision arn, requested, running, pending)] when it started
    deployment_configuration: dict
    status: str = "IN_PROGRESS"
    status_reason: str | None = None
    lifecycle_stage: str = "SCALE_UP"
    started_at: float | None = None
    finished_at: float | None = None
    stopped_at: float | None = None
    updated_at: float | None = None
    rollback: dict | None = None
    circuit_breaker_status: str = "DISABLED"
    triggered_alarms: list = field(default_factory=list)


@dataclass
class Service:
    arn: str
    name: str
    region: str
    account: str
    cluster_arn: str
    cluster_name: str
    created_at: float
    config: dict  # the describe_services fields the sandbox keeps (see api.SERVICE_FIELDS)
    status: str = "ACTIVE"
    deployments: list = field(default_factory=list)  # PRIMARY first
    tasks: list = field(default_factory=list)
    events: list = field(default_factory=list)  # newest first
    last_completed: dict | None = None
    steady: bool = False
    live_target_groups: dict = field(default_factory=dict)  # BLUE_GREEN: lb index -> production target group
    last_placement_failure: str | None = None
    unhealthy_replacements: int = 0  # tasks stopped for failed health checks, told with the next start

    @property
    def desired_count(self) -> int:
        return self.config["desiredCount"]

    @property
    def primary(self) -> Deployment | None:
        return self.deployments[0] if self.deployments else None

    @property
    def deployment_configuration(self) -> dict:
        return self.config["deploymentConfiguration"]

    @property
    def strategy(self) -> str:
        return self.deployment_configuration.get("strategy") or "ROLLING"

    def live_tasks(self, deployment: Deployment | None = None) -> list:
        return [t for t in self.tasks if t.live and (deployment is None or t.deployment is deployment)]

    def revision_arn(self, deployment: Deployment) -> str:
        return (f"arn:aws:ecs:{self.region}:{self.account}:service-revision/"
                f"{self.cluster_name}/{self.name}/{deployment.digits}")


def circuit_breaker_threshold(breaker: dict, desired_count: int) -> int:
    """The number of failed tasks at which the deployment circuit breaker trips.

    Documented: 0.5 x desired count (rounded up), at least 3 and at most 200; the newer
    thresholdConfiguration (COUNT, BOUNDED_PERCENT, UNBOUNDED_PERCENT) changes the formula.
    """
    config = breaker.get("thresholdConfiguration") or {}
    kind = config.get("type", "BOUNDED_PERCENT")
    value = config.get("value", 50)
    if kind == "COUNT":
        return max(int(value), 1)
    threshold = math.ceil(desired_count * value / 100)
    if kind == "UNBOUNDED_PERCENT":
        return max(threshold, 1)
    return min(max(threshold, 3), 200)
