# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The rollout waiter: a state machine fed by describe results. No AWS call and no clock of its own.

It watches one deployment, by id (the one UpdateService or CreateService started), not "the
service is stable": a service that is stable on the old revision after a circuit-breaker rollback
is a failed rollout. The caller polls and feeds:

    watch = RolloutWatch(deployment_id, started=now(), timeout=600, target_groups=[...], known_events=[...])
    while not watch.done:
        needs = watch.observe_service(now(), describe_services(...))
        if "stopped_tasks" in needs: watch.observe_stopped_tasks(now(), describe stopped tasks of the deployment)
        if "targets" in needs:       watch.observe_targets(now(), {tg: [target health]}, task_ips)
        watch.check_timeout(now())
        sleep(watch.next_delay(now()))

Outcomes: ``succeeded`` (deployment COMPLETED and its tasks healthy in every target group),
``failed`` (rolloutState FAILED, no ECS rollback), ``rolled_back`` (ECS rolled it back: circuit
breaker or alarms; the waiter then follows the rollback deployment to its end), ``superseded``
(another deployment replaced it), ``timeout``, ``inactive`` (service deleted meanwhile), and
``spot_fallback`` (the caller gave up on Fargate Spot through ``fall_back``: not a failure, the
caller redeploys on FARGATE and watches that deployment).
"""

from __future__ import annotations

import re

_ROLLING_BACK = re.compile(r"rolling back to deployment (ecs-svc/\d+)")
_DEPLOYMENT_FAILED = re.compile(r"\(deployment (ecs-svc/\d+)\) deployment failed: (.*)")
_NO_CAPACITY = "Capacity is unavailable"
FAILED_OUTCOMES = ("failed", "rolled_back", "superseded", "timeout", "inactive")


class Backoff:
    """Poll delay: ``initial`` while things change, growing by ``factor`` up to ``maximum`` while quiet.

    The floor ``initial`` bounds the call rate: one DescribeServices per ``initial`` seconds at most.
    """

    def __init__(self, initial=2.0, maximum=10.0, factor=1.5):
        self.initial, self.maximum, self.factor = initial, maximum, factor
        self.current = initial

    def changed(self):
        self.current = self.initial

    def quiet(self):
        self.current = min(self.maximum, self.current * self.factor)


class RolloutWatch:
    def __init__(self, deployment_id, started, timeout, target_groups=(), known_events=(), backoff=None):
        self.deployment_id = deployment_id
        self.watching = deployment_id       # becomes the rollback deployment's id when ECS rolls back
        self.started = started
        self.deadline = started + timeout
        self.timeout = timeout
        self.target_groups = list(target_groups)
        self.backoff = backoff or Backoff()
        self.outcome = None
        self.reason = None
        self.rollout_state_reason = None
        self.rollback_deployment_id = None
        self.rollback_completed = None
        self.spot_unavailable = False       # ECS wrote "Capacity is unavailable" since the deployment started
        self.fallback_strategy = None
        self.events = []                    # [{"at": seconds since start, "message"}], oldest first
        self.samples = []                   # task counts whenever they changed
        self.stop_reasons = {}              # reason -> count
        self.durations = {}
        self.service_task_definition = None
        self.deployment = None              # the last state seen of the watched deployment
        self._known_events = {e.get("id") for e in known_events}
        self.seen_stopped = set()
        self._failed_tasks = 0
        self._last_counts = None
        self._completed = False
        self._rollback_event = False

    # --- feeding -----------------------------------------------------------------------------

    @property
    def done(self):
        return self.outcome is not None

    @property
    def failed(self):
        return self.outcome in FAILED_OUTCOMES

    def observe_service(self, now, service):
        """Feed one DescribeServices result; returns the set of extra reads wanted ("stopped_tasks", "targets")."""
        if self.done:
            return set()
        needs = set()
        changed = self._read_events(now, service.get("events") or [])
        self.service_task_definition = service.get("taskDefinition")
        if service.get("status") in ("INACTIVE", "DRAINING"):
            return self._finish(now, "inactive", f"the service is {service['status']}: it was deleted during the rollout")
        deployments = service.get("deployments") or []
        mine = next((d for d in deployments if d.get("id") == self.watching), None)
        primary = next((d for d in deployments if d.get("status") == "PRIMARY"), None)
        if mine is None:
            return self._lost(now, primary)
        self.deployment = mine
        counts = (mine.get("desiredCount"), mine.get("pendingCount"), mine.get("runningCount"),
                  mine.get("failedTasks"), sum(d.get("runningCount") or 0 for d in deployments if d is not mine))
        if counts != self._last_counts:
            changed = True
            self._last_counts = counts
            self.samples.append({"at": self._at(now), "desired": counts[0], "pending": counts[1],
                                 "running": counts[2], "failed": counts[3], "old_running": counts[4]})
        if self.watching == self.deployment_id:
            if (mine.get("runningCount") or 0) > 0:
                self.durations.setdefault("first_task_running", self._at(now))
            if len(deployments) == 1 and (mine.get("runningCount") or 0) >= (mine.get("desiredCount") or 0):
                self.durations.setdefault("old_drained", self._at(now))
        # The failed deployment's tasks keep stopping while ECS rolls it back: count them too.
        ours = next((d for d in deployments if d.get("id") == self.deployment_id), None)
        if ours is not None and (ours.get("failedTasks") or 0) > self._failed_tasks:
            self._failed_tasks = ours["failedTasks"]
            needs.add("stopped_tasks")
        state = mine.get("rolloutState")
        if state == "FAILED":
            needs.add("stopped_tasks")
            self.rollout_state_reason = mine.get("rolloutStateReason")
            if self.watching != self.deployment_id:
                self.rollback_completed = False
                return needs | self._finish(now, "rolled_back", "the rollback deployment failed too")
            rollback = self._rollback_deployment(deployments)
            if rollback is None:
                return needs | self._finish(now, "failed", mine.get("rolloutStateReason") or "deployment failed")
            self._follow_rollback(now, rollback)
        elif state == "COMPLETED":
            if self.watching != self.deployment_id:
                self.rollback_completed = True
                return needs | self._finish_rolled_back(now)
            self._completed = True
            if not self.target_groups:
                return self._finish(now, "succeeded", mine.get("rolloutStateReason"))
            needs.add("targets")
        elif self.watching == self.deployment_id and self.target_groups and \
                (mine.get("runningCount") or 0) >= (mine.get("desiredCount") or 0) > 0:
            needs.add("targets")        # all running: time the moment their targets turn healthy
        if changed:
            self.backoff.changed()
        else:
            self.backoff.quiet()
        return needs

    def stopped_task_sources(self):
        """Deployment ids whose stopped tasks to read: ours, and the rollback ECS started, if any."""
        return [d for d in (self.deployment_id, self.rollback_deployment_id) if d]

    def observe_stopped_tasks(self, now, tasks):
        """Feed DescribeTasks results of the stopped tasks of ``stopped_task_sources()``; collects stop reasons."""
        for task in tasks:
            if task.get("lastStatus") != "STOPPED" and task.get("desiredStatus") != "STOPPED":
                continue
            if task.get("taskArn") in self.seen_stopped:
                continue
            self.seen_stopped.add(task.get("taskArn"))
            reason = stop_reason(task)
            if reason:
                self.stop_reasons[reason] = self.stop_reasons.get(reason, 0) + 1

    def observe_targets(self, now, health_by_target_group, task_ips):
        """Feed DescribeTargetHealth per target group and the IPs of the deployment's running tasks."""
        if self.done or not task_ips:
            return
        for target_group in self.target_groups:
            states = {d["Target"]["Id"]: d["TargetHealth"]["State"]
                      for d in health_by_target_group.get(target_group) or []}
            if any(states.get(ip) != "healthy" for ip in task_ips):
                return
        self.durations.setdefault("targets_healthy", self._at(now))
        if self._completed:
            self._finish(now, "succeeded", (self.deployment or {}).get("rolloutStateReason"))

    def fall_back(self, now, strategy):
        """Stop watching: the caller switches the service from Fargate Spot to ``strategy`` and redeploys."""
        self.fallback_strategy = strategy
        self._finish(now, "spot_fallback", "Fargate Spot capacity was unavailable for the deployment's tasks")

    def check_timeout(self, now):
        if not self.done and now >= self.deadline:
            doing = "the rollback deployment" if self.watching != self.deployment_id else "the deployment"
            self._finish(now, "timeout", f"{doing} {self.watching} did not finish within wait_timeout "
                                         f"({self.timeout} s)")

    def next_delay(self, now):
        """Seconds to sleep before the next poll: the backoff, never past the deadline."""
        return max(0.0, min(self.backoff.current, self.deadline - now))

    # --- result ------------------------------------------------------------------------------

    def timeline(self):
        return {"events": list(self.events), "task_counts": list(self.samples), "durations": dict(self.durations)}

    def message(self, revision_now=None):
        if self.outcome == "succeeded":
            return f"deployment {self.deployment_id} completed"
        parts = [{
            "failed": f"deployment {self.deployment_id} failed: {self.reason}",
            "rolled_back": f"deployment {self.deployment_id} failed and ECS rolled it back "
                           f"({self.rollout_state_reason or 'no reason given'})",
            "superseded": f"deployment {self.deployment_id} was replaced by another deployment before it completed",
            "timeout": f"timed out: {self.reason}",
            "inactive": self.reason,
        }.get(self.outcome, self.reason or "")]
        if self.outcome == "rolled_back" and self.rollback_completed is False:
            parts.append(f"the rollback deployment {self.rollback_deployment_id} did not complete")
        if self.stop_reasons:
            parts.append("tasks stopped: " + "; ".join(f"{r} (x{n})" for r, n in sorted(self.stop_reasons.items())))
        if self.spot_unavailable:
            parts.append("Fargate Spot capacity was unavailable")
        if revision_now:
            parts.append(f"the service now runs {revision_now}")
        return "; ".join(p for p in parts if p)

    # --- internals ---------------------------------------------------------------------------

    def _at(self, now):
        return round(now - self.started, 3)

    def _finish(self, now, outcome, reason):
        self.outcome = outcome
        self.reason = reason
        self.durations["total"] = self._at(now)
        return set()

    def _read_events(self, now, events):
        new = [e for e in events if e.get("id") not in self._known_events]
        for event in reversed(new):     # ECS lists newest first
            self._known_events.add(event.get("id"))
            message = event.get("message") or ""
            self.events.append({"at": self._at(now), "message": message})
            if _NO_CAPACITY in message:
                self.spot_unavailable = True
            failed = _DEPLOYMENT_FAILED.search(message)
            if failed and failed.group(1) == self.deployment_id and not self.rollout_state_reason:
                self.rollout_state_reason = f"deployment failed: {failed.group(2)}"
            if _ROLLING_BACK.search(message):
                self._rollback_event = True
        return bool(new)

    def _rollback_deployment(self, deployments):
        """The deployment ECS started to roll ours back, if any: a PRIMARY that is not ours."""
        primary = next((d for d in deployments if d.get("status") == "PRIMARY"), None)
        if primary is not None and primary.get("id") != self.deployment_id:
            return primary
        return None

    def _follow_rollback(self, now, rollback):
        self.rollback_deployment_id = rollback["id"]
        self.watching = rollback["id"]
        self.backoff.changed()

    def _finish_rolled_back(self, now):
        """Rolled back: read the stop reasons one last time (the failed deployment's tasks included)."""
        self._finish(now, "rolled_back", self.rollout_state_reason)
        return {"stopped_tasks"}

    def _lost(self, now, primary):
        """The watched deployment left DescribeServices."""
        if self.watching != self.deployment_id:
            return self._finish_rolled_back(now)
        if primary is not None and self._rollback_event:
            # ECS rolled back and the failed deployment is already gone: follow the rollback.
            self.rollout_state_reason = self.rollout_state_reason or "ECS rolled the deployment back"
            self._follow_rollback(now, primary)
            if primary.get("rolloutState") == "COMPLETED":
                self.rollback_completed = True
                return self._finish_rolled_back(now)
            return {"stopped_tasks"}
        return self._finish(now, "superseded", f"deployment {self.deployment_id} is no longer listed; "
                                               f"deployment {(primary or {}).get('id')} is PRIMARY")


def stop_reason(task):
    """One line per stopped task: stopCode / stoppedReason, and a container's reason or exit code."""
    parts = [task.get("stoppedReason") or task.get("stopCode") or "stopped"]
    for container in task.get("containers") or []:
        if container.get("reason"):
            parts.append(f"{container.get('name')}: {container['reason']}")
        elif container.get("exitCode") not in (None, 0):
            parts.append(f"{container.get('name')}: exit code {container['exitCode']}")
    return " - ".join(parts)
