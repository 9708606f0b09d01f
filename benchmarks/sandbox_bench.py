"""How fast the sandbox settles what the tests and the demo wait on, per profile.

    .venv/bin/python benchmarks/sandbox_bench.py [--runs 3]

Starts one sandbox per profile (fast, realistic) on free ports, drives it through boto3 as a
client would, and prints a side-by-side table of medians with the targets from issue 3.
Wall-clock figures: run it on an idle machine.
"""

import argparse
import datetime
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests" / "sandbox")]

from helpers import (  # noqa: E402  (the sandbox tests' builders)
    awsvpc_configuration, fargate_task_definition, make_alb, make_network, pullable_image, wait_until,
)

from sandbox.client import SandboxClient  # noqa: E402

CLUSTER = "bench"
TIMEOUT = 600


def cli(*args):
    return subprocess.run([sys.executable, "-m", "sandbox", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=120)


def start(profile, pidfile):
    began = time.monotonic()
    out = cli("start", "--port", "0", "--profile", profile, "--pidfile", str(pidfile))
    if out.returncode:
        raise SystemExit(out.stderr)
    return SandboxClient(out.stdout.split()[1]), time.monotonic() - began


def primary(ecs, service="api"):
    return ecs.describe_services(cluster=CLUSTER, services=[service])["services"][0]["deployments"][0]


def settle(ecs, service="api"):
    return wait_until(lambda: primary(ecs, service)["rolloutState"] != "IN_PROGRESS" and primary(ecs, service),
                      TIMEOUT, interval=0.05)


def rollout_and_rollback(sb):
    """Seconds for a two-task rollout to COMPLETED, and for a crashing image to FAILED and back."""
    network = make_network(sb)
    ecs = sb.aws("ecs")
    ecs.create_cluster(clusterName=CLUSTER)
    alb = make_alb(sb, network, deregistration_delay=30)
    revisions = [fargate_task_definition(sb, pullable_image(sb, tag)) for tag in ("v1", "v2", "v3-crash")]
    ecs.create_service(
        cluster=CLUSTER, serviceName="api", taskDefinition=revisions[0], desiredCount=2, launchType="FARGATE",
        networkConfiguration=awsvpc_configuration(network),
        loadBalancers=[{"targetGroupArn": alb["target_groups"]["tg"], "containerName": "web", "containerPort": 80}],
        deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": True}},
    )
    settle(ecs)
    began = time.monotonic()
    ecs.update_service(cluster=CLUSTER, service="api", taskDefinition=revisions[1])
    done = settle(ecs)
    rollout = time.monotonic() - began
    assert done["rolloutState"] == "COMPLETED", done

    sb.add_fault({"image": "v3-crash"}, "crash")
    began = time.monotonic()
    ecs.update_service(cluster=CLUSTER, service="api", taskDefinition=revisions[2])
    wait_until(lambda: any(d["rolloutState"] == "FAILED" for d in
                           ecs.describe_services(cluster=CLUSTER, services=["api"])["services"][0]["deployments"])
               or primary(ecs)["taskDefinition"] == revisions[1], TIMEOUT, interval=0.05)
    failed = time.monotonic() - began
    back = settle(ecs)
    rolled_back = time.monotonic() - began
    assert back["taskDefinition"] == revisions[1] and back["rolloutState"] == "COMPLETED", back
    return rollout, failed, rolled_back


def idle_to_zero(sb):
    """Seconds from an idle alarm's creation (5 back-dated idle minutes) to desiredCount 0."""
    ecs, aas, cw = sb.aws("ecs"), sb.aws("application-autoscaling"), sb.aws("cloudwatch")
    ecs.create_cluster(clusterName="idle")
    ecs.register_task_definition(family="idle", containerDefinitions=[{"name": "a", "image": "x", "memory": 64}])
    ecs.create_service(cluster="idle", serviceName="svc", taskDefinition="idle", desiredCount=1, launchType="EC2")
    resource = "service/idle/svc"
    aas.register_scalable_target(ServiceNamespace="ecs", ResourceId=resource,
                                 ScalableDimension="ecs:service:DesiredCount", MinCapacity=0, MaxCapacity=2)
    policy = aas.put_scaling_policy(
        PolicyName="park", ServiceNamespace="ecs", ResourceId=resource, ScalableDimension="ecs:service:DesiredCount",
        PolicyType="StepScaling", StepScalingPolicyConfiguration={
            "AdjustmentType": "ExactCapacity", "StepAdjustments": [{"MetricIntervalUpperBound": 0, "ScalingAdjustment": 0}]},
    )["PolicyARN"]
    dimensions = [{"Name": "LoadBalancer", "Value": "app/idle/0123456789abcdef"}]
    now = datetime.datetime.now(datetime.timezone.utc)
    cw.put_metric_data(Namespace="AWS/ApplicationELB", MetricData=[
        {"MetricName": "RequestCount", "Dimensions": dimensions, "Value": 0.0,
         "Timestamp": now - datetime.timedelta(minutes=m)} for m in range(1, 6)])
    began = time.monotonic()
    cw.put_metric_alarm(AlarmName="idle", Namespace="AWS/ApplicationELB", MetricName="RequestCount",
                        Dimensions=dimensions, Statistic="Sum", Period=60, EvaluationPeriods=5, Threshold=0,
                        ComparisonOperator="LessThanOrEqualToThreshold", TreatMissingData="breaching",
                        AlarmActions=[policy])
    wait_until(lambda: ecs.describe_services(cluster="idle", services=["svc"])["services"][0]["desiredCount"] == 0,
               TIMEOUT, interval=0.05)
    return time.monotonic() - began


def alb_request_ms(sb, count=100):
    network = make_network(sb, cidr="10.9.0.0/16")
    alb = make_alb(sb, network, name="reqs", target_groups=("reqs",))
    sb.aws("elbv2").register_targets(TargetGroupArn=alb["target_groups"]["reqs"], Targets=[{"Id": "10.9.1.10"}])
    began = time.monotonic()
    for _ in range(count):
        sb.alb_request("reqs", "/", host="example.com")
    return (time.monotonic() - began) * 1000 / count


def measure(profile, runs):
    rows = {k: [] for k in ("start", "rollout", "failed", "rolled_back", "idle", "request")}
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(runs):
            pidfile = Path(tmp) / f"{profile}-{run}.pid"
            sb, started = start(profile, pidfile)
            try:
                rows["start"].append(started)
                rollout, failed, rolled_back = rollout_and_rollback(sb)
                rows["rollout"].append(rollout)
                rows["failed"].append(failed)
                rows["rolled_back"].append(rolled_back)
                sb.reset()
                rows["idle"].append(idle_to_zero(sb))
                sb.reset()
                rows["request"].append(alb_request_ms(sb))
            finally:
                cli("stop", "--pidfile", str(pidfile))
    return {k: statistics.median(v) for k, v in rows.items()}


LINES = (
    ("start", "CLI start to ready (s)", "< 5"),
    ("rollout", "2-task rollout to COMPLETED (s)", "fast <= 5"),
    ("failed", "crashing image to FAILED (s)", ""),
    ("rolled_back", "crashing image rolled back (s)", "fast <= 10"),
    ("idle", "5-min idle alarm to desiredCount 0 (s)", "seconds"),
    ("request", "one request through /_sandbox/alb (ms)", ""),
)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profiles", default="fast,realistic")
    args = parser.parse_args()
    profiles = args.profiles.split(",")
    results = {p: measure(p, args.runs) for p in profiles}
    print(f"\nsandbox benchmark, median of {args.runs} runs\n")
    header = f"{'measure':42} " + " ".join(f"{p:>10}" for p in profiles) + f"  {'target':>12}"
    print(header)
    print("-" * len(header))
    for key, label, target in LINES:
        print(f"{label:42} " + " ".join(f"{results[p][key]:10.2f}" for p in profiles) + f"  {target:>12}")


if __name__ == "__main__":
    main()
