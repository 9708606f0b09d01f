"""The migration from EC2: what discovery, each cutover step, a rollback and the cleanup cost, and how fast a
rollback moves the traffic back, against issue 9's target (rollback under 5 minutes).

    .venv/bin/python benchmarks/migration_bench.py [--runs 3] [--profile realistic] [--port 4731]

Starts a sandbox (``realistic`` by default: 10 AWS seconds per second) on --port (pidfile in a temp dir, stopped
by that PID at the end) and, per run, the Molecule scenario's EC2 app (extensions/molecule/migrate/files/ground.py:
an Auto Scaling group of 2 behind an ALB host rule, its neighbour, SSM parameters) plus a two-task Fargate service
on its own target group. Then, through the collection's module_utils (the modules' code path), with a client
playing requests through the sandbox ALB all along:
- discovery (``ec2_app_info``): wall time, API calls;
- a 10 -> 50 -> 100 cutover (``alb_traffic_shift``) baking 30 modelled s per step, checked every 10: API calls
  per check and per step, and the client's Fargate share per step;
- a rollback: the call's wall time and API calls, and the client's time from the rollback call to its first answer
  from EC2 after which none came from Fargate (modelled s);
- a cutover again and the cleanup (``ec2_app_cleanup``): wall time, API calls, what went.
Modelled seconds are wall-clock seconds x the profile's time scale. Exits 1 when a rollback misses the target.
"""

from __future__ import annotations

import argparse
import datetime
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / ".collections"), str(REPO / "tests" / "sandbox")]

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator  # noqa: E402
from helpers import awsvpc_configuration, fargate_task_definition, wait_until  # noqa: E402

from ansible_collections.ecsops.fargate.plugins.module_utils.api import ApiCallCounter  # noqa: E402
from ansible_collections.ecsops.fargate.plugins.module_utils.migration import Cleanup, TrafficShift, discover  # noqa: E402
from ansible_collections.ecsops.fargate.plugins.modules.alb_traffic_shift import argument_spec as shift_spec  # noqa: E402
from sandbox.client import SandboxClient  # noqa: E402

NAME = "bench-mig"
ROLLBACK_TARGET = 300.0  # modelled seconds: "rollback possible in < 5 minutes"


class Client(threading.Thread):
    """Requests through the sandbox ALB, one after another: (wall time, target group) per answer."""

    def __init__(self, endpoint):
        super().__init__(daemon=True)
        self.url, self.answers, self.stop = f"{endpoint}/_sandbox/alb/{NAME}/", [], threading.Event()

    def run(self):
        while not self.stop.is_set():
            request = urllib.request.Request(self.url, headers={"Host": f"shop.{NAME}.test"})
            try:
                with urllib.request.urlopen(request, timeout=10) as answer:
                    self.answers.append((time.time(), json.loads(answer.read()).get("target_group")))
            except urllib.error.HTTPError as error:
                self.answers.append((time.time(), f"HTTP {error.code}"))
            time.sleep(0.01)


def counted(sb):
    counter = ApiCallCounter()
    clients = {}

    def client(name):
        if name not in clients:
            clients[name] = counter.attach(sb.aws(name))
        return clients[name]
    return counter, client


def shift_params(ids, fargate_tg, scale, **extra):
    raw = dict(rule_arn=ids["rule_arn"], ec2_target_group_arn=ids["target_group_arn"], fargate_target_group_arn=fargate_tg,
               bake_seconds=30 / scale, check_interval=10 / scale)
    raw.update(extra)
    return ArgumentSpecValidator(shift_spec()).validate(raw).validated_parameters


def one_run(sb, scale):
    ground = json.loads(subprocess.run([sys.executable, "extensions/molecule/migrate/files/ground.py", sb.endpoint, "up", NAME],
                                       cwd=REPO, check=True, capture_output=True, text=True).stdout)
    fargate_tg = ground["target_groups"]["fargate"]
    ecs = sb.aws("ecs")
    network = {"subnets": ground["subnets"], "security_group": ground["security_groups"]["shop-fargate"]}
    ecs.create_service(cluster=NAME, serviceName="shop", desiredCount=2, launchType="FARGATE",
                       taskDefinition=fargate_task_definition(sb, ground["images"]["v1"], family=f"{NAME}-shop"),
                       networkConfiguration=awsvpc_configuration(network), healthCheckGracePeriodSeconds=0,
                       loadBalancers=[{"targetGroupArn": fargate_tg, "containerName": "web", "containerPort": 80}])
    elbv2 = sb.aws("elbv2")
    wait_until(lambda: [d["TargetHealth"]["State"] for d in elbv2.describe_target_health(TargetGroupArn=fargate_tg)[
        "TargetHealthDescriptions"]].count("healthy") == 2, timeout=600 / scale + 30)
    row = {}
    client = Client(sb.endpoint)
    client.start()
    try:
        counter, clients = counted(sb)
        started = time.monotonic()
        found = discover({"asg_name": f"{NAME}-shop", "ssm_path": f"/{NAME}/shop", "target_group_arn": None, "rule_arn": None}, clients)
        row["discover"] = (time.monotonic() - started, counter.as_dict()["total"])
        ids = found["recorded_ids"]

        counter, clients = counted(sb)
        cut = TrafficShift(shift_params(ids, fargate_tg, scale), clients).run()
        checks = sum(step["checks"] for step in cut["steps"])
        row["cutover"] = (sum(step["seconds"] for step in cut["steps"]), counter.as_dict()["total"], checks)
        row["shares"] = []
        for step in cut["steps"]:
            start = datetime.datetime.fromisoformat(step["started_at"]).timestamp() + 0.2
            end = datetime.datetime.fromisoformat(step["ended_at"]).timestamp()
            window = [tg for t, tg in list(client.answers) if start <= t <= end]
            row["shares"].append(100 * sum(1 for tg in window if tg and tg.endswith("fargate")) / max(1, len(window)))

        counter, clients = counted(sb)
        called = time.time()
        back = TrafficShift(shift_params(ids, fargate_tg, scale, state="rollback"), clients).run()
        time.sleep(1.0)
        after = [(t, tg) for t, tg in list(client.answers) if t >= called]
        last_fargate = max((t for t, tg in after if tg and tg.endswith("fargate")), default=called)
        first_ec2_for_good = min(t for t, tg in after if t > last_fargate and tg and tg.endswith("ec2"))
        row["rollback"] = (back["rollback"]["seconds"], counter.as_dict()["total"], (first_ec2_for_good - called) * scale)

        TrafficShift(shift_params(ids, fargate_tg, scale, steps=[100], bake_seconds=0), clients).run()
        counter, clients = counted(sb)
        started = time.monotonic()
        gone = Cleanup({"recorded_ids": ids, "fargate_target_group_arn": fargate_tg, "bake_seconds": 0, "confirm": True,
                        "cutover_completed_at": datetime.datetime.now(datetime.timezone.utc).isoformat(),
                        "wait_timeout": 600, "poll_interval": 1 / scale}, clients).run()
        row["cleanup"] = (time.monotonic() - started, counter.as_dict()["total"], len(gone["deleted"]))
    finally:
        client.stop.set()
        client.join(5)
        ecs.delete_service(cluster=NAME, service="shop", force=True)
        subprocess.run([sys.executable, "extensions/molecule/migrate/files/ground.py", sb.endpoint, "down", NAME],
                       cwd=REPO, check=False, capture_output=True, text=True)
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", default="realistic", choices=["fast", "realistic", "realtime"])
    parser.add_argument("--port", type=int, default=4731)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        pidfile = Path(tmp) / "sandbox.pid"
        out = subprocess.run([sys.executable, "-m", "sandbox", "start", "--port", str(args.port), "--profile", args.profile,
                              "--pidfile", str(pidfile)], cwd=REPO, capture_output=True, text=True, timeout=120)
        if out.returncode:
            raise SystemExit(out.stderr)
        try:
            sb = SandboxClient(out.stdout.split()[1])
            scale = sb.health()["time_scale"]
            for run in range(args.runs):
                sb.reset()
                rows.append(one_run(sb, scale))
                print(f"  run {run + 1}: {rows[-1]}", file=sys.stderr)
        finally:
            subprocess.run([sys.executable, "-m", "sandbox", "stop", "--pidfile", str(pidfile)], cwd=REPO,
                           capture_output=True, text=True, timeout=60)

    def med(key, index):
        return statistics.median(row[key][index] for row in rows)
    print(f"\nmigration, median of {args.runs} ({args.profile}, time scale {scale:g}: modelled s = wall-clock s x {scale:g})")
    print(f"{'step':32} {'wall s':>8} {'API calls':>10}")
    print(f"{'discover (ec2_app_info)':32} {med('discover', 0):8.2f} {med('discover', 1):10.0f}")
    print(f"{'cutover 10/50/100, 30 s bakes':32} {med('cutover', 0):8.2f} {med('cutover', 1):10.0f}   "
          f"({med('cutover', 2):.0f} checks: {(med('cutover', 1) - 1 - 3) / med('cutover', 2):.1f} calls per check)")
    print(f"{'rollback (one ModifyRule)':32} {med('rollback', 0):8.3f} {med('rollback', 1):10.0f}")
    print(f"{'cleanup (ec2_app_cleanup)':32} {med('cleanup', 0):8.2f} {med('cleanup', 1):10.0f}   ({med('cleanup', 2):.0f} deleted)")
    shares = [statistics.median(row["shares"][i] for row in rows) for i in range(3)]
    print(f"client's Fargate share per step (10/50/100): {shares[0]:.1f} / {shares[1]:.1f} / {shares[2]:.1f} %")
    latency = med("rollback", 2)
    print(f"rollback call -> client on EC2 for good: {latency:.2f} modelled s (target < {ROLLBACK_TARGET:g})")
    ok = latency < ROLLBACK_TARGET
    print("target met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
