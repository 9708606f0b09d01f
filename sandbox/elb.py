"""Elastic Load Balancing v2: target health, ALB traffic and the validation moto lacks.

The `elb` area is what the ECS scheduler calls to put task IPs in target groups:
    register_task_target(region, tg_arn, ip, port, info, fail_health) -> None
    deregister_task_target(region, tg_arn, ip, port) -> float (wall-clock seconds of draining)
    target_health(region, tg_arn, ip, port) -> "initial" | "healthy" | "unhealthy" | "draining" | "unused" | None
    target_group(region, tg_arn) -> moto's FakeTargetGroup or None
Targets registered through the API (RegisterTargets) get the same simulated health: instance targets
follow their EC2 instance, ip targets with no task behind them fail their checks (Target.Timeout).
DescribeTargetHealth answers from this state (its XML is rewritten in an after-hook).
"""

import uuid
from xml.sax.saxutils import escape

from .hooks import after, area
from ._elb import asg, limits, traffic  # noqa: F401  (asg and limits register their hooks)
from ._elb.targets import (
    APP_ERROR, NO_ANSWER, NOT_REGISTERED, Target, deregistration_delay, health, health_check_port,
    instance_state, is_in_use,
)


@area("elb")
class ElbArea:
    def __init__(self, sandbox):
        self.sb = sandbox
        self.reset()

    def reset(self):
        # (region, target group ARN) -> {(id, port): Target}, in registration order
        self.groups: dict[tuple[str, str], dict[tuple, Target]] = {}
        self.traffic = traffic.Traffic(self.sb, self)

    # -- interface for the ECS scheduler --------------------------------------------------
    def target_group(self, region: str, tg_arn: str):
        return self.sb.backend("elbv2", region).target_groups.get(tg_arn)

    def register_task_target(self, region: str, tg_arn: str, ip: str, port: int, info: dict,
                             fail_health: bool) -> None:
        """Register a task's IP; its health starts `initial`. KeyError if the target group is gone."""
        tg = self.target_group(region, tg_arn)
        if tg is None:
            raise KeyError(f"target group {tg_arn} does not exist")
        tg.targets[ip] = {"Id": ip, "Port": port}
        tg.deregistered_targets.pop(ip, None)
        self._register(region, tg, Target(ip, int(port), "task", dict(info), APP_ERROR if fail_health else None))

    def deregister_task_target(self, region: str, tg_arn: str, ip: str, port: int) -> float:
        """Start draining a task's IP; returns the wall-clock seconds until it is gone (0 if not registered)."""
        tg = self.target_group(region, tg_arn)
        target = self.groups.get((region, tg_arn), {}).get((ip, int(port)))
        if tg is None or target is None:
            return 0.0
        now = self.sb.now()
        if target.drain_until is None:
            self._drain(region, tg, target, now)
        return max(0.0, target.drain_until - now)

    def target_health(self, region: str, tg_arn: str, ip: str, port: int) -> str | None:
        tg = self.target_group(region, tg_arn)
        target = self.groups.get((region, tg_arn), {}).get((ip, int(port)))
        if tg is None or target is None:
            return None
        return self.health(tg, target)[0]

    # -- state --------------------------------------------------------------------------
    def health(self, tg, target: Target, now: float | None = None) -> tuple:
        return health(tg, target, self.sb.now() if now is None else now, self.sb.profile.seconds)

    def targets(self, region: str, tg_arn: str) -> list[Target]:
        return list(self.groups.get((region, tg_arn), {}).values())

    def _register(self, region: str, tg, target: Target):
        group = self.groups.setdefault((region, tg.arn), {})
        current = group.get(target.key)
        if current is not None and current.drain_until is None:
            return  # registering a registered target changes nothing, as in AWS
        in_use = is_in_use(self.sb.backend("elbv2", region), tg.arn)
        target.checks_since = self.sb.now() if in_use else None
        group.pop(target.key, None)
        group[target.key] = target

    def _drain(self, region: str, tg, target: Target, now: float):
        target.drain_until = now + self.sb.profile.seconds(deregistration_delay(tg))
        if not any(t.id == target.id and t.drain_until is None for t in self.targets(region, tg.arn)):
            moto_target = tg.targets.pop(target.id, None)
            if moto_target:
                tg.deregistered_targets[target.id] = moto_target

    def _task_behind(self, region: str, ip: str) -> Target | None:
        """A live task target with this IP in any target group of the region."""
        for (group_region, _), group in self.groups.items():
            if group_region != region:
                continue
            for target in group.values():
                if target.kind == "task" and target.id == ip and target.drain_until is None:
                    return target
        return None

    def tick(self, now: float):
        self.traffic.flush()
        for (region, tg_arn), group in list(self.groups.items()):
            backend = self.sb.backend("elbv2", region)
            tg = backend.target_groups.get(tg_arn)
            if tg is None:  # deleting a target group deregisters its targets
                del self.groups[(region, tg_arn)]
                continue
            in_use = None
            for key, target in list(group.items()):
                if target.drain_until is not None:
                    if now >= target.drain_until:
                        del group[key]
                        tg.deregistered_targets.pop(target.id, None)
                    continue
                if target.kind == "instance":
                    self._follow_instance(region, tg, target, now)
                    if target.drain_until is not None:
                        continue
                if in_use is None:
                    in_use = is_in_use(backend, tg_arn)
                if in_use and target.checks_since is None:
                    target.checks_since = now
                elif not in_use and target.checks_since is not None:
                    target.checks_since = None

    def _follow_instance(self, region: str, tg, target: Target, now: float):
        state = instance_state(self.sb.backend("ec2", region), target.id)
        if state == target.instance_state:
            return
        if state == "terminated":  # Elastic Load Balancing deregisters terminated instances
            self._drain(region, tg, target, now)
        elif state == "running" and target.checks_since is not None:
            target.checks_since = now  # health checks start over when the instance is back
        target.instance_state = state

    def describe(self) -> dict:
        return {"elb": {"target_groups": len(self.groups),
                        "targets": sum(len(group) for group in self.groups.values())}}


# -- API hooks ---------------------------------------------------------------------------
@after("elbv2", "RegisterTargets")
def _registered(sb, call):
    elb = sb.area("elb")
    tg = elb.target_group(call.region, call.params["TargetGroupArn"])
    for spec in call.params.get("Targets", []):
        target_id = spec["Id"]
        port = None if tg.target_type == "lambda" else int(spec.get("Port") or tg.port)
        if tg.target_type == "instance":
            target = Target(target_id, port, "instance")
        elif tg.target_type == "ip":
            task = elb._task_behind(call.region, target_id)
            if task is not None:
                target = Target(target_id, port, "task", dict(task.info), task.failure)
            else:  # nothing listens on that address: the health checks time out
                target = Target(target_id, port, "ip", failure=NO_ANSWER)
        else:
            target = Target(target_id, port, tg.target_type)
        elb._register(call.region, tg, target)


@after("elbv2", "DeregisterTargets")
def _deregistered(sb, call):
    elb = sb.area("elb")
    tg = elb.target_group(call.region, call.params["TargetGroupArn"])
    group = elb.groups.get((call.region, tg.arn), {})
    now = sb.now()
    for spec in call.params.get("Targets", []):
        target = _find(group, tg, spec)
        if target is not None and target.drain_until is None:
            elb._drain(call.region, tg, target, now)


@after("elbv2", "DescribeTargetHealth")
def _describe_target_health(sb, call):
    elb = sb.area("elb")
    tg = elb.target_group(call.region, call.params["TargetGroupArn"])
    group = elb.groups.get((call.region, tg.arn), {})
    now = sb.now()
    rows = []
    requested = call.params.get("Targets")
    if requested:
        for spec in requested:
            target = _find(group, tg, spec)
            if target is None:
                port = spec.get("Port") or (None if tg.target_type == "lambda" else tg.port)
                target = Target(spec["Id"], port, "unknown")
                rows.append((target, NOT_REGISTERED))
            else:
                rows.append((target, elb.health(tg, target, now)))
    else:
        rows = [(target, elb.health(tg, target, now)) for target in group.values()]
    call.raw = _target_health_xml(tg, rows)


def _find(group: dict, tg, spec: dict) -> Target | None:
    port = spec.get("Port")
    if port is not None:
        return group.get((spec["Id"], int(port)))
    default = None if tg.target_type == "lambda" else int(tg.port)
    return group.get((spec["Id"], default)) or next((t for t in group.values() if t.id == spec["Id"]), None)


def _target_health_xml(tg, rows) -> bytes:
    members = []
    for target, (state, reason, description) in rows:
        target_xml = f"<Id>{escape(target.id)}</Id>"
        if target.port is not None:
            target_xml += f"<Port>{target.port}</Port>"
        hc_port = health_check_port(tg, target)
        health_xml = f"<State>{state}</State>"
        if reason:
            health_xml += f"<Reason>{reason}</Reason><Description>{escape(description)}</Description>"
        members.append(
            "<member>"
            + (f"<HealthCheckPort>{hc_port}</HealthCheckPort>" if hc_port else "")
            + f"<TargetHealth>{health_xml}</TargetHealth><Target>{target_xml}</Target></member>"
        )
    return (
        '<DescribeTargetHealthResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/">'
        f"<DescribeTargetHealthResult><TargetHealthDescriptions>{''.join(members)}</TargetHealthDescriptions>"
        f"</DescribeTargetHealthResult><ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata>"
        "</DescribeTargetHealthResponse>"
    ).encode()
