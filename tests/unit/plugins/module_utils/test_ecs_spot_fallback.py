"""The Fargate Spot -> FARGATE fallback decision, and the service name check."""

from __future__ import annotations

import pytest

from ansible_collections.ecsops.fargate.plugins.module_utils import ecs

SPOT_ONLY = [{"capacityProvider": "FARGATE_SPOT", "weight": 1, "base": 0}]
MIXED = [{"capacityProvider": "FARGATE", "weight": 1, "base": 1}, {"capacityProvider": "FARGATE_SPOT", "weight": 3}]


def deployment(running=0, desired=2, state="IN_PROGRESS"):
    return {"id": "ecs-svc/1", "status": "PRIMARY", "rolloutState": state, "runningCount": running,
            "desiredCount": desired}


def test_spot_only_falls_back_to_fargate():
    assert ecs.spot_fallback(SPOT_ONLY, True, deployment()) == [{"capacityProvider": "FARGATE", "base": 0, "weight": 1}]


def test_mixed_strategy_adds_up_bases_and_weights_on_fargate():
    assert ecs.spot_fallback(MIXED, True, deployment(running=1)) == [
        {"capacityProvider": "FARGATE", "base": 1, "weight": 4}]


@pytest.mark.parametrize("strategy, unavailable, dep", [
    (SPOT_ONLY, False, deployment()),                                     # no capacity event seen
    ([{"capacityProvider": "FARGATE", "weight": 1}], True, deployment()),  # no Spot in the strategy
    (None, True, deployment()),                                           # launch type FARGATE
    (SPOT_ONLY, True, deployment(running=2)),                             # every task placed after all
    (SPOT_ONLY, True, deployment(state="COMPLETED")),
    (SPOT_ONLY, True, deployment(state="FAILED")),
    (SPOT_ONLY, True, None),                                              # deployment not seen
])
def test_no_fallback(strategy, unavailable, dep):
    assert ecs.spot_fallback(strategy, unavailable, dep) is None


def test_the_waiter_sees_the_capacity_event_of_its_deployment_only():
    old_event = {"id": "e0", "message": "(service api) was unable to place a task. Reason: Capacity is unavailable "
                                        "at this time."}
    watch = ecs.RolloutWatch("ecs-svc/1", started=0, timeout=60, known_events=[old_event])
    watch.observe_service(1, {"status": "ACTIVE", "deployments": [deployment()], "events": [old_event]})
    assert not watch.spot_unavailable
    watch.observe_service(2, {"status": "ACTIVE", "deployments": [deployment()],
                              "events": [dict(old_event, id="e1"), old_event]})
    assert watch.spot_unavailable
    strategy = ecs.spot_fallback(SPOT_ONLY, watch.spot_unavailable, watch.deployment)
    watch.fall_back(3, strategy)
    assert watch.done and not watch.failed and watch.outcome == "spot_fallback"
    assert watch.fallback_strategy == strategy and watch.durations["total"] == 3


@pytest.mark.parametrize("name", ["api", "A_b-9", "x" * 255])
def test_service_names_ecs_accepts(name):
    ecs.validate_service_name(name)


@pytest.mark.parametrize("name", ["", "x" * 256, "api.v2", "api/v2", "api v2"])
def test_service_names_ecs_rejects(name):
    with pytest.raises(ecs.ServicePlanError, match="1 to 255 letters, numbers, hyphens or underscores"):
        ecs.validate_service_name(name)
