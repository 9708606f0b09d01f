"""Preview environments: 20 previews up, then all down - wall time and API calls per preview, leftovers.

    .venv/bin/python benchmarks/preview_bench.py [--count 20] [--profile fast|realistic] [--port 0]

Starts a sandbox on a free port (pidfile in a temp dir, stopped by that PID at the end) and gives it what an
environment has before any preview: a VPC with two subnets, an ALB with a listener whose default answers 404,
a cluster with FARGATE_SPOT, a hosted zone, and a test image in ECR. Then one ``ansible-playbook`` process brings
``--count`` previews up through the role ``ecsops.fargate.preview_environment`` (per preview: the ceiling read,
``fargate_preview``, ``fargate_service_rollout`` waiting for the deployment, ``scale_to_zero``), one after the
other, and a second process takes them all down (per preview: ``fargate_preview_info``, ``scale_to_zero``
absent, ``fargate_preview`` absent). API calls are the sandbox's own count (``/_sandbox/calls``: every request
it received, retries included). Afterwards it counts what is left that a preview made (target: 0): listener
rules, target groups, ECS services not INACTIVE, ACTIVE task definitions, log groups under /ecs/preview,
Route53 records other than the zone's NS and SOA, CloudWatch alarms, scalable targets and scaling policies.
Exits 1 when anything is left or a run failed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent / "preview"
sys.path[:0] = [str(REPO), str(REPO / "tests" / "sandbox")]

from helpers import make_network  # noqa: E402
from sandbox.client import SandboxClient  # noqa: E402
from sandbox.images import push_test_image  # noqa: E402

CLUSTER = "bench"
FIXED_404 = [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}]


def sandbox_cli(*args: str, check: bool = True) -> str:
    out = subprocess.run([sys.executable, "-m", "sandbox", *args], cwd=REPO, capture_output=True, text=True, timeout=120)
    if check and out.returncode:
        raise SystemExit(f"python -m sandbox {' '.join(args)} failed: {out.stderr or out.stdout}")
    return out.stdout


def set_up(sb: SandboxClient) -> dict:
    network = make_network(sb, "10.90.0.0/16")
    elb = sb.aws("elbv2")
    balancer = elb.create_load_balancer(Name="bench", Subnets=network["subnets"],
                                        SecurityGroups=[network["security_group"]])["LoadBalancers"][0]
    listener = elb.create_listener(LoadBalancerArn=balancer["LoadBalancerArn"], Protocol="HTTP", Port=80,
                                   DefaultActions=FIXED_404)["Listeners"][0]["ListenerArn"]
    sb.aws("ecs").create_cluster(clusterName=CLUSTER, capacityProviders=["FARGATE", "FARGATE_SPOT"])
    sb.aws("route53").create_hosted_zone(Name="bench.test", CallerReference=str(time.time()))
    image = push_test_image(sb, "bench/preview", "v1", marker="preview-bench")["image"]
    return {"bench_listener_arn": listener, "bench_cluster": CLUSTER, "bench_subnets": network["subnets"],
            "bench_security_group": network["security_group"], "bench_image": image, "bench_endpoint_url": sb.endpoint}


def run(sb: SandboxClient, state: str, extra: dict, workdir: Path) -> dict:
    log = workdir / f"{state}.log"
    (workdir / "vars.json").write_text(json.dumps(dict(extra, bench_state=state)))
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_LOCALHOST_WARNING="false",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="false")
    before = sb.calls()
    began = time.monotonic()
    with open(log, "w", encoding="utf-8") as handle:
        rc = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), str(HERE / "previews.yml"),
                             "-e", f"@{workdir / 'vars.json'}"], cwd=REPO, env=env, stdout=handle,
                            stderr=subprocess.STDOUT).returncode
    wall = time.monotonic() - began
    after = sb.calls()
    by_operation = {op: n - before["by_operation"].get(op, 0) for op, n in after["by_operation"].items()
                    if n - before["by_operation"].get(op, 0)}
    return {"rc": rc, "wall": wall, "calls": after["total"] - before["total"], "by_operation": by_operation, "log": str(log)}


def leftovers(sb: SandboxClient, listener: str) -> dict:
    elb, ecs, logs = sb.aws("elbv2"), sb.aws("ecs"), sb.aws("logs")
    zone = sb.aws("route53").list_hosted_zones_by_name(DNSName="bench.test")["HostedZones"][0]["Id"]
    services = ecs.list_services(cluster=CLUSTER)["serviceArns"]
    live = [s for s in ecs.describe_services(cluster=CLUSTER, services=services)["services"]
            if s["status"] != "INACTIVE"] if services else []
    autoscaling = sb.aws("application-autoscaling")
    return {
        "listener rules": len([r for r in elb.describe_rules(ListenerArn=listener)["Rules"] if not r["IsDefault"]]),
        "target groups": len(elb.describe_target_groups()["TargetGroups"]),
        "ECS services": len(live),
        "task definitions (ACTIVE)": len(ecs.list_task_definitions(status="ACTIVE")["taskDefinitionArns"]),
        "log groups": len(logs.describe_log_groups(logGroupNamePrefix="/ecs/preview")["logGroups"]),
        "DNS records": len([r for r in sb.aws("route53").list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]
                            if r["Type"] not in ("NS", "SOA")]),
        "alarms": len(sb.aws("cloudwatch").describe_alarms()["MetricAlarms"]),
        "scalable targets": len(autoscaling.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"]),
        "scaling policies": len(autoscaling.describe_scaling_policies(ServiceNamespace="ecs")["ScalingPolicies"]),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--profile", default="fast", choices=["fast", "realistic"])
    parser.add_argument("--port", type=int, default=0, help="sandbox port (default: a free one)")
    parser.add_argument("--top", type=int, default=8, help="operations to list per phase")
    args = parser.parse_args()
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        pidfile = workdir / "sandbox.pid"
        sb = SandboxClient(sandbox_cli("start", "--port", str(args.port), "--profile", args.profile,
                                       "--pidfile", str(pidfile)).split()[1])
        try:
            extra = dict(set_up(sb), bench_count=args.count, bench_poll_interval=0.2 if args.profile == "fast" else 1)
            up = run(sb, "present", extra, workdir)
            print(f"  up: {up['wall']:.1f} s, {up['calls']} calls, rc {up['rc']}", file=sys.stderr)
            down = run(sb, "absent", extra, workdir)
            print(f"  down: {down['wall']:.1f} s, {down['calls']} calls, rc {down['rc']}", file=sys.stderr)
            left = leftovers(sb, extra["bench_listener_arn"])
            if up["rc"] or down["rc"]:
                for phase in (up, down):
                    if phase["rc"]:
                        print(Path(phase["log"]).read_text()[-3000:], file=sys.stderr)
        finally:
            sandbox_cli("stop", "--pidfile", str(pidfile), check=False)
    n = args.count
    print(f"\npreview_bench: {n} previews up, then down ({args.profile} profile; {machine})\n")
    print("| phase | wall s | wall s / preview | API calls | calls / preview | rc |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, phase in (("up", up), ("down", down)):
        print(f"| {name} | {phase['wall']:.1f} | {phase['wall'] / n:.2f} | {phase['calls']} | {phase['calls'] / n:.1f} | {phase['rc']} |")
    for name, phase in (("up", up), ("down", down)):
        top = sorted(phase["by_operation"].items(), key=lambda kv: -kv[1])[:args.top]
        print(f"\n{name}, calls per preview by operation: " + ", ".join(f"{op} {count / n:.1f}" for op, count in top))
    total_left = sum(left.values())
    print(f"\nleftover resources after down: {total_left} (target 0)"
          + ("" if not total_left else ": " + ", ".join(f"{k} {v}" for k, v in left.items() if v)))
    return 1 if total_left or up["rc"] or down["rc"] else 0


if __name__ == "__main__":
    sys.exit(main())
