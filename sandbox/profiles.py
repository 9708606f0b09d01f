"""Time profiles: how long simulated things take.

Durations are written in AWS magnitudes (seconds as AWS would take) and divided by the
profile's time_scale to get wall-clock seconds. Timestamps stay real (UTC now), so metric
data and alarm windows line up with what clients send; only durations are scaled.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    name: str
    time_scale: float  # AWS seconds per wall-clock second
    tick: float  # wall-clock seconds between simulation steps
    task_provisioning: float = 20.0  # ENI attach (PROVISIONING)
    task_pending: float = 30.0  # image pull and container start (PENDING)
    crash_after: float = 10.0  # how long a crashing essential container runs
    task_stopping: float = 15.0  # DEACTIVATING/STOPPING after draining
    slow_start_factor: float = 5.0  # the slow_start fault multiplies provisioning+pending
    placement_retry: float = 30.0  # ECS retries unplaceable tasks
    task_stable_after: float = 30.0  # a RUNNING task without load balancer health checks counts as healthy

    def seconds(self, aws_seconds: float) -> float:
        """Wall-clock seconds for a duration given in AWS seconds."""
        return float(aws_seconds) / self.time_scale


PROFILES = {
    # A two-task rollout with default health checks settles in about 2-3 s.
    "fast": Profile(name="fast", time_scale=200.0, tick=0.02),
    # AWS-like magnitudes, ten times faster than AWS, for benchmarks and the demo.
    "realistic": Profile(name="realistic", time_scale=10.0, tick=0.1),
    # AWS's own durations, for benchmarks that measure rates per minute (API calls of a poller).
    "realtime": Profile(name="realtime", time_scale=1.0, tick=0.25),
}
