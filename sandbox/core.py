"""The Sandbox: one lock, one clock, the faults and every simulated area, driven by a tick loop."""

import logging
import threading
import time
import traceback
from collections import Counter

from moto.backends import get_backend
from moto.core import DEFAULT_ACCOUNT_ID

from . import hooks
from .faults import FaultStore
from .profiles import PROFILES

log = logging.getLogger("sandbox")

# Importing a behaviour module registers its hooks, areas and routes.
BEHAVIOUR_MODULES = ("validation", "ecs", "elb", "cloudwatch", "autoscaling", "ecr", "cloudmap")


def load_behaviour():
    import importlib

    for name in BEHAVIOUR_MODULES:
        try:
            importlib.import_module(f"sandbox.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"sandbox.{name}":
                raise


def reuse_aws_managed_policies():
    """Build moto's ~1,600 AWS managed IAM policies once per account, not on every reset.

    Rebuilding them costs 0.1 s idle and seconds under load, on every test's reset. AWS
    managed policies are read-only, so the same objects serve again with attachment counts
    zeroed.
    """
    from moto.iam.models import IAMBackend

    if getattr(IAMBackend._init_aws_policies, "sandbox_cached", False):
        return
    build = IAMBackend._init_aws_policies
    cache = {}

    def init_aws_policies(backend):
        key = (backend.account_id, backend.region_name)
        if key not in cache:
            cache[key] = build(backend)
        for policy in cache[key]:
            policy.attachment_count = 0
        return list(cache[key])

    init_aws_policies.sandbox_cached = True
    IAMBackend._init_aws_policies = init_aws_policies


class Sandbox:
    def __init__(self, profile: str = "fast", host: str = "127.0.0.1", port: int = 0):
        load_behaviour()
        reuse_aws_managed_policies()
        self.lock = threading.RLock()
        self.profile = PROFILES[profile]
        self.host = host
        self.port = port  # set by the server once bound
        self.faults = FaultStore()
        self.calls = Counter()  # AWS API requests received, by "<service>:<Operation>" (GET /_sandbox/calls)
        self.areas = {name: cls(self) for name, cls in hooks.AREAS.items()}
        self._stop = threading.Event()
        self._thread = None

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def area(self, name):
        return self.areas[name]

    @staticmethod
    def now() -> float:
        return time.time()

    @staticmethod
    def backend(service: str, region: str, account: str = DEFAULT_ACCOUNT_ID):
        """moto's backend for a service in a region (in-process, so the simulation can drive it)."""
        return get_backend(service)[account][region]

    def describe(self) -> dict:
        info = {"status": "ok", "endpoint": self.endpoint, "profile": self.profile.name,
                "time_scale": self.profile.time_scale, "areas": sorted(self.areas)}
        for area in self.areas.values():
            if hasattr(area, "describe"):
                info.update(area.describe())
        return info

    # -- life cycle ---------------------------------------------------------------------
    def start(self):
        for area in self.areas.values():
            if hasattr(area, "start"):
                area.start()
        self._thread = threading.Thread(target=self._loop, name="sandbox-sim", daemon=True)
        self._thread.start()

    def stop(self):
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
        for area in self.areas.values():
            if hasattr(area, "stop"):
                area.stop()

    def reset(self, reset_moto: bool = True):
        """Forget everything: moto's backends, faults, and every area's simulated state."""
        with self.lock:
            if reset_moto:
                from moto.moto_api._internal.models import moto_api_backend

                moto_api_backend.reset()
            self.faults.clear()
            self.calls.clear()
            for area in self.areas.values():
                if hasattr(area, "reset"):
                    area.reset()

    def count_call(self, call) -> None:
        """Count one AWS API request as received (throttled and failed ones too: AWS receives them)."""
        if call is None:
            key = "unknown"
        else:
            key = f"{call.service}:{call.operation or '(rest)'}"
        self.calls[key] += 1

    def call_counts(self) -> dict:
        return {"total": sum(self.calls.values()), "by_operation": dict(sorted(self.calls.items()))}

    def tick(self):
        now = self.now()
        with self.lock:
            for name, area in self.areas.items():
                if hasattr(area, "tick"):
                    try:
                        area.tick(now)
                    except Exception:  # one area's bug must not stop the others' clock
                        log.error("tick of %s failed:\n%s", name, traceback.format_exc())

    def _loop(self):
        while not self._stop.wait(self.profile.tick):
            self.tick()
