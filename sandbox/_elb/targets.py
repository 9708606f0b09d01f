"""Target registrations and their health, as DescribeTargetHealth reports them.

moto registers targets but calls every one of them healthy at once. Here each target's health
follows its target group's health check settings: `initial` while the first checks run, then
`healthy` after one passing check ("After your target is registered, it must pass one health check
to be considered healthy"; HealthyThresholdCount applies to a target coming back from unhealthy,
which the sandbox does not model), or `unhealthy` after UnhealthyThresholdCount x
HealthCheckIntervalSeconds when its checks fail; `draining` for
deregistration_delay.timeout_seconds after deregistration, then gone. Durations are AWS seconds
scaled by the profile. States, reason codes and descriptions are those of
https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html
"""

from dataclasses import dataclass, field

# (state, reason, description) as DescribeTargetHealth reports them.
HEALTHY = ("healthy", None, None)
REGISTERING = ("initial", "Elb.RegistrationInProgress", "Target registration is in progress")
INITIAL_CHECKS = ("initial", "Elb.InitialHealthChecking", "Initial health checks in progress")
DRAINING = ("draining", "Target.DeregistrationInProgress", "Target deregistration is in progress")
NOT_REGISTERED = ("unused", "Target.NotRegistered", "Target is not registered to the target group")
NOT_IN_USE = ("unused", "Target.NotInUse", "Target group is not configured to receive traffic from the load balancer")
CHECKS_DISABLED = ("unavailable", "Target.HealthCheckDisabled", "Health checks are disabled")
# How a failing target's checks fail.
APP_ERROR = ("unhealthy", "Target.ResponseCodeMismatch", "Health checks failed with these codes: [500]")
NO_ANSWER = ("unhealthy", "Target.Timeout", "Request timed out")


@dataclass
class Target:
    id: str  # IP address, instance id or Lambda function ARN
    port: int | None
    kind: str  # "task" (an ECS task's IP), "ip", "instance", "lambda"
    info: dict = field(default_factory=dict)  # what the simulated target answers (task id, image, ...)
    failure: tuple | None = None  # the unhealthy (state, reason, description) its checks end in; None: they pass
    checks_since: float | None = None  # when the load balancer started checking it; None while not in use
    drain_until: float | None = None
    instance_state: str = "running"  # last EC2 state seen, for instance targets

    @property
    def key(self) -> tuple:
        return self.id, self.port


def is_in_use(backend, tg_arn: str) -> bool:
    """Whether any listener of any load balancer forwards to the target group (default action or rule)."""
    for balancer in backend.load_balancers.values():
        for listener in balancer.listeners.values():
            for rule in listener.rules.values():
                for action in rule.actions:
                    if tg_arn in forwarded_target_groups(action.data):
                        return True
    return False


def forwarded_target_groups(action: dict) -> list[str]:
    arns = [tg["TargetGroupArn"] for tg in (action.get("ForwardConfig") or {}).get("TargetGroups", [])]
    if action.get("TargetGroupArn") and action["TargetGroupArn"] not in arns:
        arns.append(action["TargetGroupArn"])
    return arns if action.get("Type") == "forward" else []


def health_check_port(tg, target: Target) -> str | None:
    if tg.target_type == "lambda":
        return None
    port = tg.health_check_port
    return str(target.port) if port in (None, "traffic-port") else str(port)


def deregistration_delay(tg) -> float:
    return float(tg.attributes.get("deregistration_delay.timeout_seconds", 300))


def instance_state(ec2_backend, instance_id: str) -> str:
    instance = ec2_backend.get_instance_by_id(instance_id)
    return instance.state if instance else "terminated"


def health(tg, target: Target, now: float, seconds) -> tuple:
    """(state, reason, description) of a target at `now`; `seconds` scales AWS seconds to wall-clock."""
    if target.drain_until is not None:
        return DRAINING
    if target.checks_since is None:
        return NOT_IN_USE
    if target.kind == "instance" and target.instance_state != "running":
        return "unused", "Target.InvalidState", f"Target is in the {target.instance_state} state"
    if not tg.health_check_enabled:
        return CHECKS_DISABLED
    interval = seconds(int(tg.health_check_interval_seconds))
    elapsed = now - target.checks_since
    # A new target is healthy after its first passing check; a failing one after UnhealthyThresholdCount.
    checks = int(tg.unhealthy_threshold_count) if target.failure else 1
    if elapsed < checks * interval:
        return REGISTERING if elapsed < interval else INITIAL_CHECKS
    return target.failure or HEALTHY
