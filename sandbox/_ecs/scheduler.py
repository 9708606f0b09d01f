"""The ECS service scheduler for Fargate: task life cycle, rolling and blue/green deployments,
the deployment circuit breaker, deployment alarms and the service events ECS writes.

Everything here runs under the sandbox lock, from EcsArea.tick() or from an API hook.
Durations come from the profile (AWS seconds, scaled); target health comes from the elb area.
"""

import ipaddress
import logging
import math
import random
import uuid

from moto.ec2.utils import random_mac_address

from .model import (
    MAX_EVENTS,
    Container,
    Deployment,
    Service,
    Target,
    Task,
    circuit_breaker_threshold,
    resolved_platform_version,
    task_id,
)

log = logging.getLogger("sandbox.ecs")

CAPACITY_UNAVAILABLE = ("Capacity is unavailable at this time. Please try again later or in a different "
                        "availability zone. For more information, see the Troubleshooting section of the "
                        "Amazon ECS Developer Guide.")
NO_CONTAINER_INSTANCES = ("No Container Instances were found in your cluster. For more information, see the "
                          "Troubleshooting section of the Amazon ECS Developer Guide.")
BREAKER_FAILED = "ECS deployment circuit breaker: tasks failed to start."


class Scheduler:
    def __init__(self, area):
        self.area = area
        self.sb = area.sb

    @property
    def profile(self):
        return self.sb.profile

    def seconds(self, aws_seconds: float) -> float:
        return self.profile.seconds(aws_seconds)

    # -- collaborators ----------------------------------------------------------------
    def elb(self):
        elb = self.sb.areas.get("elb")
        return elb if elb is not None and hasattr(elb, "register_task_target") else None

    def alarm_state(self, region: str, name: str) -> str | None:
        cloudwatch = self.sb.areas.get("cloudwatch")
        if cloudwatch is not None and hasattr(cloudwatch, "alarm_state"):
            return cloudwatch.alarm_state(region, name)
        alarm = self.sb.backend("cloudwatch", region).alarms.get(name)
        return alarm.state_value if alarm else None

    # -- events -----------------------------------------------------------------------
    def event(self, svc: Service, message: str, now: float):
        svc.events.insert(0, {"id": str(uuid.uuid4()), "createdAt": now, "message": message})
        del svc.events[MAX_EVENTS:]

    # -- the service loop -------------------------------------------------------------
    def tick_service(self, svc: Service, now: float):
        batch = EventBatch()
        for task in list(svc.tasks):
            if not task.stopped:
                self.advance_task(svc, task, now, batch)
        self.check_health(svc, now, batch)
        if svc.status == "ACTIVE" and svc.primary is not None:
            self.check_alarms(svc, now, batch)
            if svc.strategy == "BLUE_GREEN":
                self.schedule_blue_green(svc, now, batch)
            else:
                self.schedule_rolling(svc, now, batch)
        elif svc.status == "DRAINING":
            for task in svc.live_tasks():
                self.stop_task(svc, task, "ServiceSchedulerInitiated",
                               f"Scaling activity initiated by (deployment {task.deployment.id})", now, batch)
        self.retire_deployments(svc, now)
        batch.flush(self, svc, now)
        if svc.status == "ACTIVE":
            self.check_completion(svc, now)
        elif svc.status == "DRAINING" and all(t.stopped for t in svc.tasks):
            svc.status = "INACTIVE"
        self.area.sync_moto(svc)
        self.forget_old_tasks(svc, now)

    # -- task life cycle --------------------------------------------------------------
    def place_task(self, svc: Service, deployment: Deployment, provider: str | None, now: float) -> Task:
        ecs = self.sb.backend("ecs", svc.region)
        task_definition = ecs.describe_task_definition(deployment.task_definition)
        subnet_id = self.pick_subnet(svc, deployment)
        ec2 = self.sb.backend("ec2", svc.region)
        subnet = ec2.get_subnet(subnet_id)
        awsvpc = (deployment.network_configuration or {}).get("awsvpcConfiguration", {})
        ident = task_id()
        attachment_id = str(uuid.uuid4())
        eni = ec2.create_network_interface(
            subnet=subnet, private_ip_address=self.free_ip(subnet, svc.region),
            group_ids=awsvpc.get("securityGroups") or [],
            description=f"arn:aws:ecs:{svc.region}:{svc.account}:attachment/{attachment_id}",
        )
        eni.status = "in-use"
        containers = [
            Container(
                name=definition["name"], image=definition["image"], essential=definition.get("essential", True),
                ports=[m.get("containerPort") for m in definition.get("portMappings") or []],
                health_check=bool(definition.get("healthCheck")), cpu=int(definition.get("cpu") or 0),
                memory=definition.get("memory"),
                container_arn=f"arn:aws:ecs:{svc.region}:{svc.account}:container/{svc.cluster_name}/{ident}/"
                              f"{uuid.uuid4()}",
            )
            for definition in task_definition.container_definitions
        ]
        effects = set()
        for container in containers:
            effects |= self.sb.faults.task_effects(container.image, svc.name, svc.cluster_name)
        starting = self.profile.task_provisioning
        if "slow_start" in effects:
            starting *= self.profile.slow_start_factor
        task = Task(
            id=ident, arn=f"arn:aws:ecs:{svc.region}:{svc.account}:task/{svc.cluster_name}/{ident}",
            region=svc.region, account=svc.account, cluster_arn=svc.cluster_arn, cluster_name=svc.cluster_name,
            service=svc, deployment=deployment, task_definition_arn=task_definition.arn,
            family=task_definition.family, revision=task_definition.revision,
            cpu=task_definition.cpu, memory=task_definition.memory, containers=containers,
            launch_type="FARGATE" if deployment.launch_type == "FARGATE" or provider else deployment.launch_type,
            capacity_provider=provider,
            platform_version=resolved_platform_version(deployment.platform_version),
            subnet_id=subnet_id, availability_zone=subnet.availability_zone, ip=eni.private_ip_address,
            eni_id=eni.id, mac=eni.mac_address or random_mac_address(), private_dns=_private_dns(eni.private_ip_address, svc.region),
            attachment_id=attachment_id, created_at=now, next_at=now + self.seconds(starting), effects=effects,
            enable_execute_command=bool(svc.config.get("enableExecuteCommand")),
            tags=list(svc.config.get("tags") or []) if svc.config.get("propagateTags") == "SERVICE" else [],
        )
        svc.tasks.append(task)
        self.area.tasks[task.arn] = task
        return task

    def pick_subnet(self, svc: Service, deployment: Deployment) -> str:
        """Spread tasks across the service's subnets (Availability Zones), as ECS does by default."""
        subnets = (deployment.network_configuration or {}).get("awsvpcConfiguration", {}).get("subnets") or []
        counts = {s: 0 for s in subnets}
        for task in svc.live_tasks():
            if task.subnet_id in counts:
                counts[task.subnet_id] += 1
        return min(subnets, key=lambda s: (counts[s], subnets.index(s)))

    def free_ip(self, subnet, region: str) -> str:
        """A private IPv4 address of the subnet not used by another interface (AWS reserves the first
        four addresses and the last one of every subnet)."""
        network = ipaddress.ip_network(subnet.cidr_block, strict=False)
        used = {eni.private_ip_address for eni in self.sb.backend("ec2", region).enis.values()}
        first, last = int(network.network_address) + 4, int(network.broadcast_address) - 1
        for _ in range(200):
            candidate = str(ipaddress.ip_address(random.randint(first, last)))
            if candidate not in used:
                return candidate
        for value in range(first, last + 1):
            if str(ipaddress.ip_address(value)) not in used:
                return str(ipaddress.ip_address(value))
        raise RuntimeError(f"subnet {subnet.id} has no free address")

    def advance_task(self, svc: Service, task: Task, now: float, batch: "EventBatch"):
        if now < task.next_at and task.crash_at is None:
            return
        if task.last_status == "PROVISIONING" and now >= task.next_at:
            task.last_status = "PENDING"
            task.attachment_status = "ATTACHED"
            task.pull_started_at = now
            pending = self.profile.task_pending
            if "slow_start" in task.effects:
                pending *= self.profile.slow_start_factor
            task.next_at = now + self.seconds(pending)
        elif task.last_status == "PENDING" and now >= task.next_at:
            failure = self.start_failure(task)
            if failure:
                task.pull_stopped_at = now
                self.fail_to_start(svc, task, failure, now)
            else:
                self.start_running(svc, task, now, batch)
        elif task.last_status == "RUNNING" and task.crash_at is not None and now >= task.crash_at:
            for container in task.containers:
                container.last_status = "STOPPED"
                container.exit_code = 1 if container.essential else 0
            task.execution_stopped_at = now
            self.stop_task(svc, task, "EssentialContainerExited", "Essential container in task exited", now, batch,
                           failed=True)
        elif task.last_status in ("DEACTIVATING", "STOPPING", "DEPROVISIONING") and now >= task.next_at:
            self.continue_stopping(task, now)

    def start_failure(self, task: Task) -> str | None:
        """Why the task cannot start (secrets first, then images), in ECS's words; None if it can."""
        secret_error = self.area.secret_error(task)
        if secret_error:
            return secret_error
        for container in task.containers:
            if "pull_error" in task.effects or not self.area.image_available(container.image):
                return (f"CannotPullContainerError: pull image manifest has been retried 5 time(s): "
                        f"failed to resolve ref {container.image}: not found")
        return None

    def fail_to_start(self, svc: Service, task: Task, reason: str, now: float):
        task.desired_status = "STOPPED"
        task.stop_code = "TaskFailedToStart"
        task.stopped_reason = reason
        task.stopping_at = now
        task.execution_stopped_at = now
        for container in task.containers:
            container.last_status = "STOPPED"
            if reason.startswith("CannotPullContainerError"):
                container.reason = reason
        task.last_status = "DEPROVISIONING"
        task.next_at = now + self.seconds(self.profile.task_stopping / 2)
        self.record_failure(svc, task, now)

    def start_running(self, svc: Service, task: Task, now: float, batch: "EventBatch"):
        task.last_status = "RUNNING"
        task.pull_stopped_at = now
        task.started_at = now
        task.connectivity_at = task.pull_started_at
        for container in task.containers:
            container.last_status = "RUNNING"
            container.runtime_id = f"{task.id}-{random.randint(10 ** 9, 10 ** 10 - 1)}"
        if "crash" in task.effects:
            task.crash_at = now + self.seconds(self.profile.crash_after)
        if any(c.health_check for c in task.containers):
            task.health_status = "UNKNOWN"
        elb = self.elb()
        if elb is None:
            return
        for lb, tg_arn in zip(task.deployment.load_balancers, task.deployment.target_groups):
            if not tg_arn:
                continue
            port = lb["containerPort"]
            container = next(c for c in task.containers if c.name == lb["containerName"])
            info = {"task_id": task.id, "task_arn": task.arn, "task_definition": task.task_definition_arn,
                    "revision": task.revision, "image": container.image}
            try:
                # A crashing container never answers a health check in its short run.
                failing = "unhealthy" in task.effects or "crash" in task.effects
                elb.register_task_target(svc.region, tg_arn, task.ip, port, info, failing)
            except KeyError:  # the target group was deleted under the service: ECS cannot register there
                log.warning("%s: target group %s is gone", svc.arn, tg_arn)
                continue
            task.targets.append(Target(tg_arn, port))
            batch.registered.setdefault(tg_arn, []).append(task.id)

    def stop_task(self, svc: Service, task: Task, code: str, reason: str, now: float, batch: "EventBatch",
                  failed: bool = False):
        """Set the task's desired status to STOPPED and walk it through DEACTIVATING (deregistration
        and connection draining) and STOPPING to STOPPED."""
        if task.desired_status == "STOPPED":
            return
        was_running = task.last_status == "RUNNING"
        task.desired_status = "STOPPED"
        task.stop_code = code
        task.stopped_reason = reason
        task.stopping_at = now
        if code == "ServiceSchedulerInitiated" and was_running:
            batch.stopped.append(task.id)
        if task.targets:
            drain = 0.0
            elb = self.elb()
            for target in task.targets:
                if elb is not None:
                    drain = max(drain, elb.deregister_task_target(svc.region, target.tg_arn, task.ip, target.port))
                batch.deregistered.setdefault(target.tg_arn, []).append(task.id)
            batch.draining.setdefault(task.deployment.id, 0)
            batch.draining[task.deployment.id] += 1
            task.targets = []
            task.last_status = "DEACTIVATING"
            task.next_at = now + drain
        elif task.last_status in ("PROVISIONING", "PENDING"):
            task.last_status = "DEPROVISIONING"
            task.next_at = now + self.seconds(self.profile.task_stopping / 2)
        else:
            task.last_status = "STOPPING"
            task.next_at = now + self.seconds(self.profile.task_stopping / 2)
        if failed:
            self.record_failure(svc, task, now)

    def continue_stopping(self, task: Task, now: float):
        if task.last_status == "DEACTIVATING":
            task.last_status = "STOPPING"
            task.next_at = now + self.seconds(self.profile.task_stopping / 2)
            return
        if task.last_status == "STOPPING":
            for container in task.containers:
                if container.last_status != "STOPPED":
                    container.last_status = "STOPPED"
                    container.exit_code = 0 if task.stop_code != "EssentialContainerExited" else container.exit_code
            task.execution_stopped_at = task.execution_stopped_at or now
            task.last_status = "DEPROVISIONING"
            task.next_at = now + self.seconds(self.profile.task_stopping / 2)
            return
        task.last_status = "STOPPED"
        task.stopped_at = now
        task.attachment_status = "DELETED"
        task.version += 1
        self.sb.backend("ec2", task.region).enis.pop(task.eni_id, None)

    # -- health -----------------------------------------------------------------------
    def task_healthy(self, svc: Service, task: Task, now: float) -> bool:
        """Healthy as ECS counts it for minimumHealthyPercent and rollout completion: healthy in every
        target group it is registered in; without load balancers, RUNNING for task_stable_after."""
        if not task.running:
            return False
        if task.targets:
            elb = self.elb()
            return all(elb.target_health(svc.region, t.tg_arn, task.ip, t.port) == "healthy" for t in task.targets)
        return now - task.started_at >= self.seconds(self.profile.task_stable_after)

    def check_health(self, svc: Service, now: float, batch: "EventBatch"):
        grace = self.seconds(svc.config.get("healthCheckGracePeriodSeconds") or 0)
        elb = self.elb()
        for task in svc.live_tasks():
            if not task.running:
                continue
            if self.task_healthy(svc, task, now):
                if task.healthy_since is None:
                    task.healthy_since = now
                    if any(c.health_check for c in task.containers):
                        task.health_status = "HEALTHY"
                    self.settle(task.deployment)
                continue
            if task.targets and elb is not None and now - task.started_at >= grace:
                for target in task.targets:
                    if elb.target_health(svc.region, target.tg_arn, task.ip, target.port) == "unhealthy":
                        batch.unhealthy.append((task.id, target.port, target.tg_arn))
                        svc.unhealthy_replacements += 1
                        self.stop_task(svc, task, "ServiceSchedulerInitiated",
                                       f"Task failed ELB health checks in (target-group {target.tg_arn})", now,
                                       batch, failed=True)
                        break
            elif (not task.targets and "unhealthy" in task.effects and any(c.health_check for c in task.containers)
                  and now - task.started_at >= max(grace, self.seconds(self.profile.task_stable_after))):
                task.health_status = "UNHEALTHY"
                batch.container_unhealthy.append(task.id)
                svc.unhealthy_replacements += 1
                self.stop_task(svc, task, "ServiceSchedulerInitiated", "Task failed container health checks", now,
                               batch, failed=True)

    # -- circuit breaker and alarms ---------------------------------------------------
    def settle(self, deployment: Deployment):
        """A task of the deployment ran healthy: the failed task count resets and stops being evaluated
        (the documented default; resetOnHealthyTask false keeps counting failures)."""
        breaker = deployment.service.deployment_configuration.get("deploymentCircuitBreaker") or {}
        if deployment.settled or breaker.get("resetOnHealthyTask") is False:
            return
        deployment.settled = True
        deployment.failed_tasks = 0

    def record_failure(self, svc: Service, task: Task, now: float):
        deployment = task.deployment
        if task.counted_failure or task.healthy_since is not None or deployment.settled:
            return
        if deployment.rollout_state != "IN_PROGRESS":
            return
        task.counted_failure = True
        deployment.failed_tasks += 1
        deployment.updated_at = now
        breaker = svc.deployment_configuration.get("deploymentCircuitBreaker") or {}
        threshold = circuit_breaker_threshold(breaker, svc.desired_count)
        if deployment.failed_tasks < threshold or deployment is not svc.primary:
            return
        if breaker.get("enable"):
            self.fail_deployment(svc, deployment, BREAKER_FAILED, "tasks failed to start",
                                 bool(breaker.get("rollback")), "ECS deployment circuit breaker", now)
        elif not deployment.start_impaired_reported:
            deployment.start_impaired_reported = True
            self.event(svc, f"(service {svc.name}) is unable to consistently start tasks successfully.", now)

    def check_alarms(self, svc: Service, now: float, batch: "EventBatch"):
        alarms = svc.deployment_configuration.get("alarms") or {}
        deployment = svc.primary
        if not alarms.get("enable") or deployment.rollout_state != "IN_PROGRESS":
            return
        triggered = [name for name in alarms.get("alarmNames") or []
                     if name not in deployment.alarms_ignored and self.alarm_state(svc.region, name) == "ALARM"]
        if not triggered:
            return
        batch.flush(self, svc, now)
        if deployment.record is not None:
            deployment.record.triggered_alarms = triggered
        self.fail_deployment(svc, deployment, f"ECS deployment alarm(s) triggered: {', '.join(triggered)}.",
                             "alarm(s) detected", bool(alarms.get("rollback")), "ECS deployment alarm(s) triggered",
                             now)

    def fail_deployment(self, svc: Service, deployment: Deployment, reason: str, short: str, rollback: bool,
                        rollback_prefix: str, now: float):
        deployment.rollout_state = "FAILED"
        deployment.rollout_state_reason = reason
        deployment.updated_at = now
        self.event(svc, f"(service {svc.name}) (deployment {deployment.id}) deployment failed: {short}.", now)
        record = deployment.record
        target = svc.last_completed
        if not rollback or target is None or target["id"] == deployment.id:
            if record is not None:
                record.status = "STOPPED"
                record.status_reason = reason
                record.stopped_at = record.finished_at = record.updated_at = now
            return
        self.event(svc, f"(service {svc.name}) rolling back to deployment {target['id']}.", now)
        if record is not None:
            record.status = "ROLLBACK_IN_PROGRESS"
            record.status_reason = reason
            record.updated_at = now
            record.rollback = {"reason": reason, "startedAt": now,
                               "serviceRevisionArn": svc.revision_arn(_RevisionRef(target["id"]))}
        if svc.strategy == "BLUE_GREEN":
            self.roll_back_blue_green(svc, deployment, target, now)
            return
        rollback_deployment = self.area.new_deployment(svc, target, now)
        rollback_deployment.rollout_state_reason = f"{rollback_prefix}: rolling back to deploymentId {target['id']}."
        rollback_deployment.record = record
        svc.config["taskDefinition"] = target["task_definition"]
        self.area.sync_moto(svc)

    # -- rolling update ---------------------------------------------------------------
    def schedule_rolling(self, svc: Service, now: float, batch: "EventBatch"):
        primary = svc.primary
        config = svc.deployment_configuration
        desired = svc.desired_count
        max_tasks = math.floor(desired * config.get("maximumPercent", 200) / 100)
        min_healthy = math.ceil(desired * config.get("minimumHealthyPercent", 100) / 100)
        live = svc.live_tasks()
        primary_live = [t for t in live if t.deployment is primary]

        if primary.rollout_state != "FAILED":
            want = primary.desired_count - len(primary_live)
            room = max_tasks - len(live)
            if want > 0 and room > 0:
                self.launch(svc, primary, min(want, room), now, batch)
        for task in self.surplus(primary_live, primary.desired_count):
            self.stop_task(svc, task, "ServiceSchedulerInitiated",
                           f"Scaling activity initiated by (deployment {primary.id})", now, batch)

        if primary.rollout_state == "FAILED":
            return
        live = svc.live_tasks()
        old = [t for t in live if t.deployment is not primary]
        budget = sum(1 for t in live if self.task_healthy(svc, t, now)) - min_healthy
        for task in sorted(old, key=lambda t: (self.task_healthy(svc, t, now), t.created_at)):
            healthy = self.task_healthy(svc, task, now)
            if healthy and budget <= 0:
                continue
            budget -= 1 if healthy else 0
            self.stop_task(svc, task, "ServiceSchedulerInitiated",
                           f"Scaling activity initiated by (deployment {primary.id})", now, batch)

    @staticmethod
    def surplus(tasks: list, keep: int) -> list:
        """Tasks to stop when a deployment has more than `keep`: not yet running ones first, then newest."""
        if len(tasks) <= keep:
            return []
        ranked = sorted(tasks, key=lambda t: (t.running, -t.created_at))
        return ranked[:len(tasks) - keep]

    def launch(self, svc: Service, deployment: Deployment, count: int, now: float, batch: "EventBatch"):
        if now < deployment.next_placement_at:
            return
        started = []
        for provider in self.providers(svc, deployment, count):
            failure = self.placement_failure(svc, deployment, provider)
            if failure:
                deployment.next_placement_at = now + self.seconds(self.profile.placement_retry)
                if svc.last_placement_failure != failure:
                    svc.last_placement_failure = failure
                    self.event(svc, failure, now)
                continue
            started.append(self.place_task(svc, deployment, provider, now))
        if started:
            svc.last_placement_failure = None
            batch.started.extend(t.id for t in started)

    def providers(self, svc: Service, deployment: Deployment, count: int) -> list:
        """The capacity provider of each new task: the strategy's base first, then by weight."""
        strategy = deployment.capacity_provider_strategy
        if not strategy:
            return [None] * count
        placed = {}
        for task in svc.live_tasks(deployment):
            placed[task.capacity_provider] = placed.get(task.capacity_provider, 0) + 1
        chosen = []
        for _ in range(count):
            short_of_base = [s for s in strategy if placed.get(s["capacityProvider"], 0) < s.get("base", 0)]
            if short_of_base:
                pick = short_of_base[0]["capacityProvider"]
            else:
                weighted = [s for s in strategy if s.get("weight", 0) > 0] or strategy[:1]
                total = sum(placed.get(s["capacityProvider"], 0) for s in weighted) + 1
                weight_sum = sum(max(s.get("weight", 0), 0) for s in weighted) or 1
                pick = max(weighted, key=lambda s: s.get("weight", 0) / weight_sum * total
                           - placed.get(s["capacityProvider"], 0))["capacityProvider"]
            placed[pick] = placed.get(pick, 0) + 1
            chosen.append(pick)
        return chosen

    def placement_failure(self, svc: Service, deployment: Deployment, provider: str | None) -> str | None:
        fargate = deployment.launch_type == "FARGATE" if provider is None else provider in ("FARGATE", "FARGATE_SPOT")
        if not fargate:  # EC2 capacity: the sandbox runs no container instances
            return (f"(service {svc.name}) was unable to place a task because no container instance met all of "
                    f"its requirements. Reason: {NO_CONTAINER_INSTANCES}")
        if provider == "FARGATE_SPOT" and self.sb.faults.spot_unavailable(svc.cluster_name):
            return f"(service {svc.name}) was unable to place a task. Reason: {CAPACITY_UNAVAILABLE}"
        return None

    # -- blue/green (ECS native) ------------------------------------------------------
    def schedule_blue_green(self, svc: Service, now: float, batch: "EventBatch"):
        """Green tasks start at full size in the alternate target groups; once all are healthy the
        production listener rules forward to them; after the bake time blue tasks stop."""
        green = svc.primary
        blue = [d for d in svc.deployments[1:] if svc.live_tasks(d)]
        green_live = svc.live_tasks(green)
        if green.rollout_state != "FAILED":
            if len(green_live) < green.desired_count:
                self.launch(svc, green, green.desired_count - len(green_live), now, batch)
            for task in self.surplus(green_live, green.desired_count):
                self.stop_task(svc, task, "ServiceSchedulerInitiated",
                               f"Scaling activity initiated by (deployment {green.id})", now, batch)
        if green.rollout_state != "IN_PROGRESS":
            return
        green_live = svc.live_tasks(green)
        all_healthy = (len(green_live) == green.desired_count
                       and all(self.task_healthy(svc, t, now) for t in green_live))
        if not blue and not green.traffic_shifted:
            green.traffic_shifted = True  # nothing to shift from: the first revision takes production
            return
        if not green.traffic_shifted:
            if all_healthy:
                self.shift_traffic(svc, green, now)
                green.bake_until = now + self.seconds(60 * (svc.deployment_configuration.get("bakeTimeInMinutes")
                                                            or 0))
                if green.record is not None:
                    green.record.lifecycle_stage = "BAKE_TIME"
            return
        if green.bake_until is not None and now < green.bake_until:
            return
        if green.record is not None:
            green.record.lifecycle_stage = "CLEAN_UP"
        for deployment in blue:
            for task in svc.live_tasks(deployment):
                self.stop_task(svc, task, "ServiceSchedulerInitiated",
                               f"Scaling activity initiated by (deployment {green.id})", now, batch)

    def shift_traffic(self, svc: Service, deployment: Deployment, now: float):
        """Point every production listener rule at the target groups this deployment registered in."""
        for index, lb in enumerate(deployment.load_balancers):
            advanced = lb.get("advancedConfiguration") or {}
            rule_arn = advanced.get("productionListenerRule")
            target = deployment.target_groups[index]
            if rule_arn:
                self.area.forward_rule_to(svc.region, rule_arn, target, [lb.get("targetGroupArn"),
                                                                          advanced.get("alternateTargetGroupArn")])
            svc.live_target_groups[index] = target
        deployment.traffic_shifted = True
        if deployment.record is not None:
            deployment.record.lifecycle_stage = "PRODUCTION_TRAFFIC_SHIFT"

    def roll_back_blue_green(self, svc: Service, green: Deployment, target: dict, now: float):
        """Blue is still running at full size: traffic goes back to it (if it had moved) and green stops."""
        blue = next((d for d in svc.deployments if d.id == target["id"]), None)
        if blue is None:
            blue = self.area.new_deployment(svc, target, now)
            blue.rollout_state_reason = f"ECS deployment circuit breaker: rolling back to deploymentId {target['id']}."
            blue.record = green.record
        else:
            svc.deployments.remove(blue)
            svc.deployments.insert(0, blue)
            blue.status = "PRIMARY"
            blue.updated_at = now
        green.status = "ACTIVE"
        if green.traffic_shifted:
            for index, lb in enumerate(blue.load_balancers):
                advanced = lb.get("advancedConfiguration") or {}
                production = blue.target_groups[index]
                if advanced.get("productionListenerRule"):
                    self.area.forward_rule_to(svc.region, advanced["productionListenerRule"], production,
                                              [lb.get("targetGroupArn"), advanced.get("alternateTargetGroupArn")])
                svc.live_target_groups[index] = production
            green.traffic_shifted = False
        batch = EventBatch()
        for task in svc.live_tasks(green):
            self.stop_task(svc, task, "ServiceSchedulerInitiated",
                           f"Scaling activity initiated by (deployment {blue.id})", now, batch)
        batch.flush(self, svc, now)
        svc.config["taskDefinition"] = blue.task_definition
        self.area.sync_moto(svc)
        if green.record is not None and blue.rollout_state == "COMPLETED":
            green.record.status = "ROLLBACK_SUCCESSFUL"
            green.record.finished_at = green.record.updated_at = now

    # -- deployments ------------------------------------------------------------------
    def retire_deployments(self, svc: Service, now: float):
        """ACTIVE deployments scale down as their tasks stop and disappear once all have stopped."""
        for deployment in list(svc.deployments[1:]):
            live = svc.live_tasks(deployment)
            if deployment.desired_count != len(live):
                deployment.desired_count = len(live)
                deployment.updated_at = now
            if not live and all(t.stopped for t in svc.tasks if t.deployment is deployment):
                svc.deployments.remove(deployment)
                deployment.status = "INACTIVE"

    def check_completion(self, svc: Service, now: float):
        primary = svc.primary
        if primary is None:
            return
        live = svc.live_tasks(primary)
        steady = (len(svc.deployments) == 1 and len(live) == svc.desired_count == primary.desired_count
                  and all(self.task_healthy(svc, t, now) for t in live)
                  and not any(t.last_status in ("DEACTIVATING", "STOPPING", "DEPROVISIONING") for t in svc.tasks))
        if steady and primary.rollout_state == "IN_PROGRESS":
            if self.baking(svc, primary, now):
                return
            primary.rollout_state = "COMPLETED"
            primary.rollout_state_reason = f"ECS deployment {primary.id} completed."
            primary.updated_at = now
            svc.last_completed = primary.snapshot()
            self.event(svc, f"(service {svc.name}) (deployment {primary.id}) deployment completed.", now)
            record = primary.record
            if record is not None:
                record.status = "ROLLBACK_SUCCESSFUL" if record.target is not primary else "SUCCESSFUL"
                record.lifecycle_stage = "CLEAN_UP"
                record.finished_at = record.updated_at = now
        if steady and not svc.steady and primary.rollout_state != "IN_PROGRESS":
            self.event(svc, f"(service {svc.name}) has reached a steady state.", now)
        svc.steady = steady and primary.rollout_state != "IN_PROGRESS"

    def baking(self, svc: Service, deployment: Deployment, now: float) -> bool:
        """With deployment alarms, a rolling deployment stays IN_PROGRESS for a bake time computed from
        the alarms (the longest Period x EvaluationPeriods) while ECS keeps watching them."""
        alarms = svc.deployment_configuration.get("alarms") or {}
        if svc.strategy == "BLUE_GREEN" or not alarms.get("enable"):
            return False
        if deployment.bake_until is None:
            backend = self.sb.backend("cloudwatch", svc.region)
            longest = 0
            for name in alarms.get("alarmNames") or []:
                alarm = backend.alarms.get(name)
                if alarm is not None:
                    longest = max(longest, int(alarm.period or 60) * int(alarm.evaluation_periods or 1))
            deployment.bake_until = now + self.seconds(longest)
            if deployment.record is not None:
                deployment.record.lifecycle_stage = "BAKE_TIME"
        return now < deployment.bake_until

    def forget_old_tasks(self, svc: Service, now: float):
        """ECS shows stopped tasks for at least an hour; the sandbox forgets them after that (scaled,
        but never sooner than a minute of wall-clock time)."""
        horizon = max(self.seconds(3600), 60.0)
        keep = []
        for task in svc.tasks:
            if task.stopped and now - task.stopped_at > horizon:
                self.area.tasks.pop(task.arn, None)
            else:
                keep.append(task)
        svc.tasks[:] = keep


class _RevisionRef:
    """Enough of a Deployment for Service.revision_arn when only the id is known."""

    def __init__(self, deployment_id: str):
        self.digits = deployment_id.split("/", 1)[1]


def _private_dns(ip: str, region: str) -> str:
    host = "ip-" + ip.replace(".", "-")
    return f"{host}.ec2.internal" if region == "us-east-1" else f"{host}.{region}.compute.internal"


class EventBatch:
    """Service events of one scheduler step, written in the order ECS writes them."""

    def __init__(self):
        self.started = []
        self.registered = {}
        self.unhealthy = []
        self.container_unhealthy = []
        self.stopped = []
        self.deregistered = {}
        self.draining = {}

    def flush(self, scheduler: Scheduler, svc: Service, now: float):
        name = svc.name
        if self.started:
            message = (f"(service {name}) has started {len(self.started)} tasks: "
                       + " ".join(f"(task {i})" for i in self.started) + ".")
            if svc.unhealthy_replacements:
                message += f" Amazon ECS replaced {svc.unhealthy_replacements} tasks due to an unhealthy status."
                svc.unhealthy_replacements = 0
            scheduler.event(svc, message, now)
        for tg_arn, ids in self.registered.items():
            scheduler.event(svc, f"(service {name}) registered {len(ids)} targets in (target-group {tg_arn})", now)
        for ident, port, tg_arn in self.unhealthy:
            scheduler.event(svc, f"(service {name}) (task {ident}) (port {port}) is unhealthy in (target-group "
                                 f"{tg_arn}) due to (reason Health checks failed).", now)
        for ident in self.container_unhealthy:
            scheduler.event(svc, f"(service {name}) (task {ident}) failed container health checks.", now)
        if self.stopped:
            scheduler.event(svc, f"(service {name}) has stopped {len(self.stopped)} running tasks: "
                                 + " ".join(f"(task {i})" for i in self.stopped) + ".", now)
        for tg_arn, ids in self.deregistered.items():
            scheduler.event(svc, f"(service {name}) deregistered {len(ids)} targets in (target-group {tg_arn})",
                            now)
        for deployment_id, count in self.draining.items():
            scheduler.event(svc, f"(service {name}, taskSet {deployment_id}) has begun draining connections on "
                                 f"{count} tasks.", now)
        self.__init__()
