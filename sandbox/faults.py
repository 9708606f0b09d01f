"""Faults a test injects through POST /_sandbox/faults."""

import itertools
import random

from .protocol import AwsError, Call

EFFECTS = {
    "crash": {"image", "service", "cluster"},
    "unhealthy": {"image", "service", "cluster"},
    "slow_start": {"image", "service", "cluster"},
    "pull_error": {"image", "service", "cluster"},
    "spot_unavailable": {"cluster"},
    "throttle": {"operation"},
}


class FaultStore:
    def __init__(self):
        self._faults = []
        self._ids = itertools.count(1)
        self._random = random.Random()

    def add(self, spec: dict) -> dict:
        if not isinstance(spec, dict):
            raise AwsError("ValidationException", "a fault is a JSON object with match and effect")
        effect = spec.get("effect")
        match = spec.get("match")
        if effect not in EFFECTS:
            raise AwsError("ValidationException", f"effect must be one of {sorted(EFFECTS)}")
        if not isinstance(match, dict) or not match:
            raise AwsError("ValidationException", "match must be a non-empty object")
        unknown = set(match) - EFFECTS[effect]
        if unknown:
            raise AwsError(
                "ValidationException",
                f"effect {effect} matches on {sorted(EFFECTS[effect])}, not {sorted(unknown)}",
            )
        fault = {"id": next(self._ids), "match": dict(match), "effect": effect}
        if effect == "throttle":
            rate = spec.get("rate", 1.0)
            if not isinstance(rate, (int, float)) or not 0 < rate <= 1:
                raise AwsError("ValidationException", "rate must be a number in (0, 1]")
            if ":" not in str(match.get("operation", "")):
                raise AwsError("ValidationException", "operation is '<service>:<Operation>', e.g. ecs:DescribeServices")
            fault["rate"] = float(rate)
        self._faults.append(fault)
        return fault

    def list(self) -> list:
        return [dict(f) for f in self._faults]

    def clear(self):
        self._faults.clear()

    def task_effects(self, image: str, service: str | None, cluster: str | None) -> set:
        """Effects that apply to a task running `image` for `service` in `cluster`."""
        effects = set()
        for fault in self._faults:
            match = fault["match"]
            if fault["effect"] in ("throttle", "spot_unavailable"):
                continue
            if "image" in match and match["image"] not in (image or ""):
                continue
            if "service" in match and match["service"] != service:
                continue
            if "cluster" in match and match["cluster"] != cluster:
                continue
            effects.add(fault["effect"])
        return effects

    def spot_unavailable(self, cluster: str) -> bool:
        return any(f["effect"] == "spot_unavailable" and f["match"]["cluster"] == cluster for f in self._faults)

    def throttles(self, call: Call) -> bool:
        for fault in self._faults:
            if fault["effect"] != "throttle":
                continue
            service, _, operation = fault["match"]["operation"].partition(":")
            if operation != call.operation or service not in (call.service, _SIGNING_ALIASES.get(call.service)):
                continue
            if self._random.random() < fault["rate"]:
                return True
        return False


# Users may name a service by its botocore name or by its signing name.
_SIGNING_ALIASES = {"elbv2": "elasticloadbalancing", "cloudwatch": "monitoring"}
