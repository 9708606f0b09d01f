"""scale_to_zero: first request after parking to first 200, alarm path against waker path, in modelled seconds.

    .venv/bin/python benchmarks/scale_to_zero_bench.py [--runs 3] [--profile realistic] [--health-interval 5]

Starts a sandbox (``realistic`` profile by default: 10 AWS seconds per second, task provisioning 20 s and
pending 30 s in AWS seconds) on a free port (pidfile in a temp dir, stopped by that PID at the end). Each run
uses a fresh service of one task (0.25 vCPU) behind its own ALB, reached through a host-header listener rule,
in a target group with ``--health-interval`` (default 5 s, the least AWS allows); a new target is healthy after
one passing check, as the ALB guide says:

- ``alarm path``: ``scale_to_zero`` policy mode (``module_utils.scale_to_zero`` in-process, the module's code
  path) with idle_minutes 5. With no traffic the idle alarm parks the service; once desiredCount is 0 and the
  target group is empty the clock starts: one request through the sandbox ALB (503), then a client retrying
  every modelled second until the first 200. The wake alarm (ELB 503s, one-minute period) runs the wake policy.
- ``waker path``: ``scale_to_zero`` with ``alarms: false`` and the waker deployed, parked with
  ``state: parked`` (the rule goes to the waker's lambda target group). The sandbox cannot invoke Lambda, so
  the ALB's part is played here: the first request is handed to the collection's handler in-process (it sets
  the desired count and answers the refreshing page), then the page's refresh (``refresh_seconds`` 1,
  modelled; the handler holds a request up to ``hold_seconds`` 5 once health checks have begun, its waits
  on the profile's time scale) hands it the next one, until it answers 307 (rule back on the service); the redirected request
  goes through the sandbox ALB and must answer 200.

Modelled seconds are wall-clock seconds x the profile's time scale (10 on realistic), i.e. how long it would
take on AWS with the sandbox's durations. Prints the median per path and their ratio, and exits 1 when the
waker path misses issue 6's target (<= 60 modelled seconds). The floor of both paths is the task start
(20 + 30 s) plus one health check interval (5 s): about 55 s.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / ".collections"), str(REPO / "tests" / "sandbox")]

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator  # noqa: E402
from helpers import awsvpc_configuration, fargate_task_definition, make_network, pullable_image  # noqa: E402

from ansible_collections.ecsops.fargate.plugins.module_utils import scale_to_zero  # noqa: E402
from ansible_collections.ecsops.fargate.plugins.module_utils import scale_to_zero_waker as waker  # noqa: E402
from ansible_collections.ecsops.fargate.plugins.modules.scale_to_zero import argument_spec  # noqa: E402
from sandbox.client import SandboxClient  # noqa: E402

CLUSTER = "bench"
WAKER_TARGET = 60.0
REFRESH = 1  # modelled seconds between two reloads of the waker's page
ROLE = "bench-waker"


class BenchModule:
    """What ScaleToZero needs of an Ansible module: params, check_mode, region, client(), warn()."""

    def __init__(self, sb, **raw):
        result = ArgumentSpecValidator(argument_spec()).validate(dict(cluster=CLUSTER, **raw))
        if result.error_messages:
            raise SystemExit(result.error_messages)
        self.sb, self.params, self.check_mode, self.region = sb, result.validated_parameters, False, sb.region

    def client(self, service):
        return self.sb.aws(service)

    def warn(self, message):
        print(f"  warning: {message}", file=sys.stderr)


def run_module(sb, **raw):
    result = scale_to_zero.run_module(BenchModule(sb, **raw))
    if result.get("failed"):
        raise SystemExit(f"scale_to_zero failed: {result.get('msg')}")
    return result


def request(sb, balancer, host):
    req = urllib.request.Request(f"{sb.endpoint}/_sandbox/alb/{balancer}/", headers={"Host": host})
    try:
        with urllib.request.urlopen(req, timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as e:
        return e.code


def wait_until(check, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise SystemExit(f"timed out waiting for {what}")


def service_with_rule(sb, network, image, name, health_interval):
    """A service of one task behind its own ALB, reached through a host rule; returns (balancer, host)."""
    elbv2, ecs = sb.aws("elbv2"), sb.aws("ecs")
    lb = elbv2.create_load_balancer(Name=f"lb-{name}", Subnets=network["subnets"],
                                    SecurityGroups=[network["security_group"]])["LoadBalancers"][0]["LoadBalancerArn"]
    tg = elbv2.create_target_group(Name=f"tg-{name}", Protocol="HTTP", Port=80, VpcId=network["vpc"], TargetType="ip",
                                   HealthCheckPath="/health", HealthCheckIntervalSeconds=health_interval,
                                   HealthyThresholdCount=2)["TargetGroups"][0]["TargetGroupArn"]
    elbv2.modify_target_group_attributes(TargetGroupArn=tg, Attributes=[
        {"Key": "deregistration_delay.timeout_seconds", "Value": "5"}])
    listener = elbv2.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80, DefaultActions=[
        {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}])["Listeners"][0]["ListenerArn"]
    host = f"{name}.bench.test"
    elbv2.create_rule(ListenerArn=listener, Priority=10, Conditions=[{"Field": "host-header", "Values": [host]}],
                      Actions=[{"Type": "forward", "TargetGroupArn": tg}])
    ecs.create_service(cluster=CLUSTER, serviceName=name, taskDefinition=image, desiredCount=1,
                       capacityProviderStrategy=[{"capacityProvider": "FARGATE_SPOT", "weight": 1}],
                       networkConfiguration=awsvpc_configuration(network),
                       loadBalancers=[{"targetGroupArn": tg, "containerName": "web", "containerPort": 80}])
    ecs.get_waiter("services_stable").wait(cluster=CLUSTER, services=[name], WaiterConfig={"Delay": 1})
    return f"lb-{name}", host, tg


def parked(sb, name, tg):
    service = sb.aws("ecs").describe_services(cluster=CLUSTER, services=[name])["services"][0]
    targets = sb.aws("elbv2").describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]
    return service["desiredCount"] == 0 and service["runningCount"] == 0 and not targets


def alarm_path(sb, network, task_definition, name, scale, health_interval):
    balancer, host, tg = service_with_rule(sb, network, task_definition, name, health_interval)
    run_module(sb, service=name, idle_minutes=5, wake_count=1)
    wait_until(lambda: parked(sb, name, tg), 600 / scale * 10, f"{name} parked by its idle alarm")
    started = time.monotonic()
    status = request(sb, balancer, host)
    if status != 503:
        raise SystemExit(f"{name}: the first request after parking answered {status}, not 503")
    while status != 200:
        time.sleep(1.0 / scale)  # a client retrying every modelled second
        status = request(sb, balancer, host)
        if time.monotonic() - started > 600 / scale:
            raise SystemExit(f"{name}: no 200 within 600 modelled seconds")
    return (time.monotonic() - started) * scale


def waker_path(sb, network, task_definition, name, scale, health_interval):
    balancer, host, tg = service_with_rule(sb, network, task_definition, name, health_interval)
    deployed = run_module(sb, service=name, alarms=False, waker={"role": ROLE, "refresh_seconds": REFRESH})
    timing = {"sleep": lambda seconds: time.sleep(seconds / scale), "clock": lambda: time.monotonic() * scale}
    run_module(sb, service=name, state="parked", force=True, waker={"role": ROLE})
    wait_until(lambda: parked(sb, name, tg), 600 / scale * 10, f"{name} parked")
    if request(sb, balancer, host) != 502:  # the rule forwards to the lambda target group now
        raise SystemExit(f"{name}: the rule does not forward to the waker")
    env = sb.aws("lambda").get_function(FunctionName=deployed["waker"]["function_name"])["Configuration"]
    config = waker.config_from_env(env["Environment"]["Variables"])
    ecs, elbv2 = sb.aws("ecs"), sb.aws("elbv2")
    event = {"httpMethod": "GET", "path": "/", "headers": {"host": host}, "queryStringParameters": {}}
    started = time.monotonic()
    response = waker.handle(event, ecs, elbv2, config, **timing)  # the first request, as the ALB would invoke it
    if response["statusCode"] != 503 or response["_waker"]["action"] != "woke":
        raise SystemExit(f"{name}: the waker's first answer was {response['statusCode']} {response['_waker']}")
    while response["statusCode"] == 503:
        time.sleep(REFRESH / scale)  # the page reloads itself
        response = waker.handle(event, ecs, elbv2, config, **timing)
        if time.monotonic() - started > 600 / scale:
            raise SystemExit(f"{name}: the waker did not redirect within 600 modelled seconds")
    status = request(sb, balancer, host)  # the redirected request
    elapsed = (time.monotonic() - started) * scale
    if response["statusCode"] != 307 or status != 200:
        raise SystemExit(f"{name}: the waker answered {response['statusCode']}, then the ALB {status}")
    return elapsed


def measure(sb, runs, health_interval):
    scale = sb.health()["time_scale"]
    network = make_network(sb)
    sb.aws("ecs").create_cluster(clusterName=CLUSTER, capacityProviders=["FARGATE", "FARGATE_SPOT"])
    sb.aws("iam").create_role(RoleName=ROLE, AssumeRolePolicyDocument=(
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},'
        '"Action":"sts:AssumeRole"}]}'))
    task_definition = fargate_task_definition(sb, pullable_image(sb, "v1"), family="bench")
    rows = {"alarm path": [], "waker path": []}
    for run in range(runs):
        for label, path in (("alarm path", alarm_path), ("waker path", waker_path)):
            seconds = path(sb, network, task_definition, f"{label.split()[0]}{run}", scale, health_interval)
            rows[label].append(seconds)
            print(f"  run {run + 1} {label:11} first request -> first 200: {seconds:6.1f} modelled s", file=sys.stderr)
    return rows, scale


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", default="realistic", choices=["fast", "realistic", "realtime"])
    parser.add_argument("--health-interval", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        pidfile = Path(tmp) / "sandbox.pid"
        out = subprocess.run([sys.executable, "-m", "sandbox", "start", "--port", "0", "--profile", args.profile,
                              "--pidfile", str(pidfile)], cwd=REPO, capture_output=True, text=True, timeout=120)
        if out.returncode:
            raise SystemExit(out.stderr)
        try:
            rows, scale = measure(SandboxClient(out.stdout.split()[1]), args.runs, args.health_interval)
        finally:
            subprocess.run([sys.executable, "-m", "sandbox", "stop", "--pidfile", str(pidfile)], cwd=REPO,
                           capture_output=True, text=True, timeout=60)
    medians = {label: statistics.median(values) for label, values in rows.items()}
    print(f"\nfirst request after parking -> first 200, median of {args.runs} ({args.profile}, time scale "
          f"{scale:g}: modelled s = wall-clock s x {scale:g}; health check every {args.health_interval} s)")
    for label, value in medians.items():
        print(f"{label:12} {value:7.1f} modelled s   ({value / scale:5.2f} wall-clock s)")
    print(f"{'factor':12} {medians['alarm path'] / medians['waker path']:7.2f} x (alarm path / waker path)")
    print(f"{'target':12} waker path <= {WAKER_TARGET:g} modelled s")
    ok = medians["waker path"] <= WAKER_TARGET
    print("target met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
