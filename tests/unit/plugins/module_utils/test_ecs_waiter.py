"""The rollout waiter as a state machine: fed describe results, it says when and how the deployment ended."""

from __future__ import annotations

from ansible_collections.ecsops.fargate.plugins.module_utils import ecs
from ansible_collections.ecsops.fargate.plugins.module_utils._ecs.waiter import stop_reason

NEW, OLD, BACK = "ecs-svc/222", "ecs-svc/111", "ecs-svc/333"
V1, V2 = "arn:td/api:1", "arn:td/api:2"
TG = "arn:tg/api"


def deployment(id_, status, td, state="IN_PROGRESS", running=0, pending=0, desired=2, failed=0, reason=None):
    return {"id": id_, "status": status, "taskDefinition": td, "rolloutState": state, "runningCount": running,
            "pendingCount": pending, "desiredCount": desired, "failedTasks": failed,
            "rolloutStateReason": reason or f"ECS deployment {id_} in progress."}


_event_ids = iter(range(1000))


def service(*deployments, events=(), td=V2):
    return {"status": "ACTIVE", "taskDefinition": td, "deployments": list(deployments),
            "events": [{"id": str(next(_event_ids)), "message": m} for m in events]}


def healthy(*ips, state="healthy"):
    return {TG: [{"Target": {"Id": ip}, "TargetHealth": {"State": state}} for ip in ips]}


def test_success_waits_for_completed_and_healthy_targets():
    watch = ecs.RolloutWatch(NEW, started=0, timeout=60, target_groups=[TG])
    assert watch.observe_service(1, service(deployment(NEW, "PRIMARY", V2, pending=2),
                                            deployment(OLD, "ACTIVE", V1, "COMPLETED", running=2))) == set()
    needs = watch.observe_service(3, service(deployment(NEW, "PRIMARY", V2, running=2),
                                             deployment(OLD, "ACTIVE", V1, "COMPLETED", running=2)))
    assert needs == {"targets"}
    watch.observe_targets(3, healthy("10.0.1.5", "10.0.2.6", state="initial"), ["10.0.1.5", "10.0.2.6"])
    assert not watch.done
    watch.observe_targets(4, healthy("10.0.1.5", "10.0.2.6"), ["10.0.1.5", "10.0.2.6"])
    assert watch.durations["targets_healthy"] == 4 and not watch.done
    needs = watch.observe_service(6, service(deployment(NEW, "PRIMARY", V2, "COMPLETED", running=2),
                                             events=["(service api) has reached a steady state."]))
    assert needs == {"targets"}
    watch.observe_targets(6, healthy("10.0.1.5", "10.0.2.6"), ["10.0.1.5", "10.0.2.6"])
    assert watch.outcome == "succeeded" and not watch.failed
    timeline = watch.timeline()
    assert timeline["durations"] == {"first_task_running": 3, "targets_healthy": 4, "old_drained": 6, "total": 6}
    assert [s["running"] for s in timeline["task_counts"]] == [0, 2, 2]
    assert timeline["events"] == [{"at": 6, "message": "(service api) has reached a steady state."}]


def test_completed_without_target_groups_succeeds_at_once():
    watch = ecs.RolloutWatch(NEW, started=0, timeout=60)
    watch.observe_service(2, service(deployment(NEW, "PRIMARY", V2, "COMPLETED", running=2)))
    assert watch.outcome == "succeeded"


def test_old_events_are_not_reported():
    before = service(deployment(OLD, "PRIMARY", V1, "COMPLETED"), events=["old news"])
    watch = ecs.RolloutWatch(NEW, started=0, timeout=60, known_events=before["events"])
    current = service(deployment(NEW, "PRIMARY", V2))
    current["events"] = before["events"]
    watch.observe_service(1, current)
    assert watch.events == []


def test_circuit_breaker_rollback_is_followed_to_its_end_and_fails():
    watch = ecs.RolloutWatch(NEW, started=0, timeout=60)
    needs = watch.observe_service(1, service(deployment(NEW, "PRIMARY", V2, failed=1),
                                             deployment(OLD, "ACTIVE", V1, "COMPLETED", running=2)))
    assert needs == {"stopped_tasks"}
    watch.observe_stopped_tasks(1, [{"taskArn": "t1", "lastStatus": "STOPPED", "stopCode": "EssentialContainerExited",
                                     "stoppedReason": "Essential container in task exited",
                                     "containers": [{"name": "web", "exitCode": 1}]}])
    breaker = "ECS deployment circuit breaker: tasks failed to start."
    watch.observe_service(2, service(
        deployment(BACK, "PRIMARY", V1), deployment(NEW, "ACTIVE", V2, "FAILED", failed=3, reason=breaker),
        deployment(OLD, "ACTIVE", V1, "COMPLETED", running=2),
        events=[f"(service api) rolling back to deployment {OLD}.",
                f"(service api) (deployment {NEW}) deployment failed: tasks failed to start."], td=V1))
    assert not watch.done and watch.watching == BACK
    watch.observe_service(4, service(deployment(BACK, "PRIMARY", V1, "COMPLETED", running=2), td=V1))
    assert watch.outcome == "rolled_back" and watch.failed and watch.rollback_completed
    message = watch.message(V1)
    assert breaker in message and "Essential container in task exited - web: exit code 1 (x1)" in message
    assert message.endswith(f"the service now runs {V1}")
    assert [e["message"] for e in watch.events][0].endswith("deployment failed: tasks failed to start.")


def test_rollback_seen_after_the_failed_deployment_already_left():
    watch = ecs.RolloutWatch(NEW, started=0, timeout=60)
    watch.observe_service(1, service(deployment(NEW, "PRIMARY", V2)))
    watch.observe_service(5, service(deployment(BACK, "PRIMARY", V1, "COMPLETED", running=2), td=V1,
                                     events=[f"(service api) rolling back to deployment {OLD}.",
                                             f"(service api) (deployment {NEW}) deployment failed: tasks failed to "
                                             f"start."]))
    assert watch.outcome == "rolled_back" and watch.rollback_completed
    assert "(deployment failed: tasks failed to start.)" in watch.message(V1)


def test_alarm_rollback_fails_with_the_alarm_named():
    reason = "ECS deployment alarm(s) triggered: api-5xx."
    watch = ecs.RolloutWatch(NEW, started=0, timeout=60)
    watch.observe_service(1, service(deployment(NEW, "PRIMARY", V2, running=2)))
    watch.observe_service(2, service(deployment(BACK, "PRIMARY", V1),
                                     deployment(NEW, "ACTIVE", V2, "FAILED", running=2, reason=reason)))
    watch.observe_service(3, service(deployment(BACK, "PRIMARY", V1, "COMPLETED", running=2), td=V1))
    assert watch.outcome == "rolled_back" and "api-5xx" in watch.message(V1)


def test_failed_without_rollback():
    watch = ecs.RolloutWatch(NEW, started=0, timeout=60)
    needs = watch.observe_service(1, service(deployment(NEW, "PRIMARY", V2, "FAILED", failed=3,
                                                        reason="ECS deployment circuit breaker: tasks failed to start."),
                                             deployment(OLD, "ACTIVE", V1, "COMPLETED", running=2)))
    assert watch.outcome == "failed" and "stopped_tasks" in needs
    assert "circuit breaker" in watch.message()


def test_superseded_by_someone_elses_deployment():
    watch = ecs.RolloutWatch(NEW, started=0, timeout=60)
    watch.observe_service(1, service(deployment(BACK, "PRIMARY", "arn:td/api:3")))
    assert watch.outcome == "superseded"


def test_timeout_is_honoured_and_the_last_sleep_ends_at_the_deadline():
    watch = ecs.RolloutWatch(NEW, started=100, timeout=10, backoff=ecs.Backoff(2, 8))
    watch.observe_service(101, service(deployment(NEW, "PRIMARY", V2, pending=2)))
    assert watch.next_delay(109) == 1
    watch.check_timeout(109.9)
    assert not watch.done
    watch.check_timeout(110)
    assert watch.outcome == "timeout" and "within wait_timeout (10 s)" in watch.message()


def test_backoff_grows_while_quiet_and_resets_on_change():
    watch = ecs.RolloutWatch(NEW, started=0, timeout=600, backoff=ecs.Backoff(2, 10))
    quiet = service(deployment(NEW, "PRIMARY", V2, pending=2))
    delays = []
    for now in range(6):
        watch.observe_service(now, dict(quiet, events=[]))
        delays.append(watch.next_delay(now))
    assert delays == [2, 3, 4.5, 6.75, 10, 10]
    watch.observe_service(7, service(deployment(NEW, "PRIMARY", V2, running=1, pending=1)))
    assert watch.next_delay(7) == 2


def test_spot_capacity_and_deleted_service():
    watch = ecs.RolloutWatch(NEW, started=0, timeout=60)
    watch.observe_service(1, service(deployment(NEW, "PRIMARY", V2), events=[
        "(service api) was unable to place a task. Reason: Capacity is unavailable at this time."]))
    assert watch.spot_unavailable
    watch.observe_service(2, {"status": "INACTIVE"})
    assert watch.outcome == "inactive"


def test_stop_reasons_count_each_task_once():
    watch = ecs.RolloutWatch(NEW, started=0, timeout=60)
    task = {"taskArn": "t1", "lastStatus": "STOPPED", "stoppedReason": "CannotPullContainerError: not found",
            "containers": [{"name": "web", "reason": "CannotPullContainerError: not found"}]}
    watch.observe_stopped_tasks(1, [task, task])
    assert watch.stop_reasons == {stop_reason(task): 1}


def test_stop_reasons_of_the_failed_deployment_are_still_read_while_following_the_rollback():
    watch = ecs.RolloutWatch(NEW, started=0, timeout=60)
    breaker = "ECS deployment circuit breaker: tasks failed to start."
    needs = watch.observe_service(1, service(
        deployment(BACK, "PRIMARY", V1), deployment(NEW, "ACTIVE", V2, "FAILED", failed=3, reason=breaker),
        events=[f"(service api) rolling back to deployment {OLD}."], td=V1))
    assert watch.watching == BACK and "stopped_tasks" in needs
    assert watch.stopped_task_sources() == [NEW, BACK]
    # A fourth task of the failed deployment stops after ECS started the rollback.
    needs = watch.observe_service(2, service(
        deployment(BACK, "PRIMARY", V1, running=1), deployment(NEW, "ACTIVE", V2, "FAILED", failed=4, reason=breaker),
        td=V1))
    assert "stopped_tasks" in needs
    # The rollback completes: one last read of the stop reasons.
    needs = watch.observe_service(3, service(deployment(BACK, "PRIMARY", V1, "COMPLETED", running=2), td=V1))
    assert watch.outcome == "rolled_back" and needs == {"stopped_tasks"}
    crashed = [{"taskArn": f"t{i}", "lastStatus": "STOPPED", "stoppedReason": "Essential container in task exited"}
               for i in range(4)]
    watch.observe_stopped_tasks(3, crashed)
    assert watch.stop_reasons == {"Essential container in task exited": 4}
    assert "(x4)" in watch.message(V1)
