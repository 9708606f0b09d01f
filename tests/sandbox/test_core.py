"""The sandbox's own contract: control API, faults and the CLI, driven from outside like any tool."""

import subprocess
import sys

import botocore.config
import pytest
from botocore.exceptions import ClientError

from sandbox.client import SandboxClient

NO_RETRY = botocore.config.Config(retries={"max_attempts": 1, "mode": "standard"})


def test_health_names_profile_and_endpoint(sandbox):
    health = sandbox.health()
    assert health["status"] == "ok"
    assert health["endpoint"] == sandbox.endpoint
    assert health["profile"] in ("fast", "realistic")


@pytest.mark.parametrize(
    "service, method, operation, code",
    [
        ("ecs", "list_clusters", "ecs:ListClusters", "ThrottlingException"),
        ("elbv2", "describe_load_balancers", "elbv2:DescribeLoadBalancers", "Throttling"),
        ("ec2", "describe_vpcs", "ec2:DescribeVpcs", "RequestLimitExceeded"),
        ("application-autoscaling", "describe_scalable_targets", "application-autoscaling:DescribeScalableTargets",
         "ThrottlingException"),
    ],
)
def test_throttle_fault_answers_the_services_throttling_code(sandbox, service, method, operation, code):
    sandbox.add_fault({"operation": operation}, "throttle", rate=1.0)
    client = sandbox.aws(service, config=NO_RETRY)
    kwargs = {"ServiceNamespace": "ecs"} if service == "application-autoscaling" else {}
    with pytest.raises(ClientError) as err:
        getattr(client, method)(**kwargs)
    assert err.value.response["Error"]["Code"] == code


def test_partial_throttle_is_retried_by_botocore(sandbox):
    sandbox.add_fault({"operation": "ecs:ListClusters"}, "throttle", rate=0.3)
    client = sandbox.aws("ecs", config=botocore.config.Config(retries={"max_attempts": 10, "mode": "standard"}))
    throttled = 0
    for _ in range(30):
        response = client.list_clusters()
        throttled += response["ResponseMetadata"]["RetryAttempts"]
    assert throttled > 0  # 30 calls at 30 %: the chance of no throttle at all is 0.7**30 ~ 2e-5


def test_faults_list_and_clear(sandbox):
    fault = sandbox.add_fault({"image": "bad"}, "crash")
    assert sandbox.faults() == [fault]
    sandbox.clear_faults()
    assert sandbox.faults() == []


@pytest.mark.parametrize(
    "spec",
    [
        {"match": {"image": "x"}, "effect": "explode"},
        {"match": {}, "effect": "crash"},
        {"match": {"operation": "ecs:ListClusters"}, "effect": "crash"},
        {"match": {"operation": "ListClusters"}, "effect": "throttle"},
        {"match": {"operation": "ecs:ListClusters"}, "effect": "throttle", "rate": 2},
    ],
)
def test_bad_fault_is_refused(sandbox, spec):
    status, body = sandbox.request("POST", "/_sandbox/faults", spec)
    assert status == 400
    assert body["error"] == "ValidationException"
    assert sandbox.faults() == []


def test_reset_forgets_resources_and_faults(sandbox):
    ecs = sandbox.aws("ecs")
    ecs.create_cluster(clusterName="c1")
    sandbox.add_fault({"image": "x"}, "crash")
    sandbox.reset()
    assert ecs.list_clusters()["clusterArns"] == []
    assert sandbox.faults() == []


def test_moto_reset_still_works(sandbox):
    ecs = sandbox.aws("ecs")
    ecs.create_cluster(clusterName="c1")
    status, _ = sandbox.request("POST", "/moto-api/reset")
    assert status == 200
    assert ecs.list_clusters()["clusterArns"] == []


def test_unknown_control_path_is_404(sandbox):
    status, body = sandbox.request("GET", "/_sandbox/nothing-here")
    assert status == 404


def _run_cli(*args, timeout=60):
    return subprocess.run([sys.executable, "-m", "sandbox", *args], capture_output=True, text=True, timeout=timeout)


def test_cli_refuses_busy_port_and_stops_by_pid(tmp_path, sandbox_endpoint):
    busy_port = sandbox_endpoint.rsplit(":", 1)[1]
    refused = _run_cli("start", "--port", busy_port, "--pidfile", str(tmp_path / "x.pid"))
    assert refused.returncode != 0
    assert "busy" in refused.stderr

    out = _run_cli("start", "--port", "0", "--pidfile", str(tmp_path / "sb.pid"))
    assert out.returncode == 0, out.stderr
    try:
        pid = int((tmp_path / "sb.pid").read_text())
        endpoint = out.stdout.split()[1]
        assert endpoint.startswith("http://127.0.0.1:")
        assert SandboxClient(endpoint).is_up()
    finally:  # a failed assertion must not leave a sandbox running
        stopped = _run_cli("stop", "--pidfile", str(tmp_path / "sb.pid"))
    assert stopped.returncode == 0
    assert f"stopped pid {pid}" in stopped.stdout
    assert not (tmp_path / "sb.pid").exists()
    assert not SandboxClient(endpoint).is_up()


def test_throttle_on_a_json_protocol_service_that_also_speaks_cbor(sandbox):
    # CloudWatch lists smithy-rpc-v2-cbor first; botocore sends JSON, and the error must be JSON too.
    sandbox.add_fault({"operation": "cloudwatch:DescribeAlarms"}, "throttle", rate=1.0)
    with pytest.raises(ClientError) as err:
        sandbox.aws("cloudwatch", config=NO_RETRY).describe_alarms()
    assert err.value.response["Error"]["Code"] == "Throttling"
