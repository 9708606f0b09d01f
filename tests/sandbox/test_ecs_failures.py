"""Failing deployments in the sandbox's ECS: crashing, unhealthy, unpullable and slow tasks, missing
secrets, the deployment circuit breaker (threshold, failedTasks, rollback or not) as AWS documents it."""

import re
import time

import pytest

from helpers import awsvpc_configuration, fargate_task_definition, make_alb, make_network, pullable_image, wait_until

CLUSTER = "apps"
BREAKER_ROLLBACK = {"deploymentCircuitBreaker": {"enable": True, "rollback": True}}


@pytest.fixture
def env(sandbox):
    network = make_network(sandbox)
    ecs = sandbox.aws("ecs")
    ecs.create_cluster(clusterName=CLUSTER)
    good = pullable_image(sandbox, "good")
    return {"sandbox": sandbox, "ecs": ecs, "network": network, "good": good,
            "v1": fargate_task_definition(sandbox, good)}


def create_service(env, desired=2, configuration=BREAKER_ROLLBACK, **extra):
    return env["ecs"].create_service(
        cluster=CLUSTER, serviceName="api", taskDefinition=env["v1"], desiredCount=desired, launchType="FARGATE",
        networkConfiguration=awsvpc_configuration(env["network"]), deploymentConfiguration=configuration, **extra,
    )["service"]


def describe(env):
    return env["ecs"].describe_services(cluster=CLUSTER, services=["api"])["services"][0]


def settled(env):
    service = describe(env)
    return service if service["deployments"][0]["rolloutState"] != "IN_PROGRESS" else None


def stopped_tasks(env, task_definition):
    arns = env["ecs"].list_tasks(cluster=CLUSTER, serviceName="api", desiredStatus="STOPPED")["taskArns"]
    tasks = env["ecs"].describe_tasks(cluster=CLUSTER, tasks=arns)["tasks"] if arns else []
    return [t for t in tasks if t["taskDefinitionArn"] == task_definition]


def deploy_and_wait_for_rollback(env, task_definition, timeout=10):
    """Update to `task_definition` and wait until the circuit breaker has rolled back and completed."""
    first = wait_until(lambda: settled(env), timeout=5)
    env["ecs"].update_service(cluster=CLUSTER, service="api", taskDefinition=task_definition)
    failed_id = describe(env)["deployments"][0]["id"]

    def rolled_back():
        service = describe(env)
        primary = service["deployments"][0]
        return service if primary["id"] != failed_id and primary["rolloutState"] == "COMPLETED" \
            and len(service["deployments"]) == 1 else None

    started = time.monotonic()
    service = wait_until(rolled_back, timeout=timeout)
    return first, failed_id, service, time.monotonic() - started


def assert_rolled_back(env, first, failed_id, service, threshold):
    primary = service["deployments"][0]
    assert primary["taskDefinition"] == env["v1"]
    assert service["taskDefinition"] == env["v1"]
    assert primary["rolloutStateReason"] == f"ECS deployment {primary['id']} completed."
    messages = [e["message"] for e in service["events"]]
    failed_event = f"(service api) (deployment {failed_id}) deployment failed: tasks failed to start."
    rolling_back = f"(service api) rolling back to deployment {first['deployments'][0]['id']}."
    assert failed_event in messages and rolling_back in messages
    assert messages.index(rolling_back) < messages.index(failed_event)  # newest first
    deployments = env["sandbox"].aws("ecs").list_service_deployments(cluster=CLUSTER, service="api")
    failed = deployments["serviceDeployments"][0]
    assert failed["status"] == "ROLLBACK_SUCCESSFUL"
    detail = env["ecs"].describe_service_deployments(serviceDeploymentArns=[failed["serviceDeploymentArn"]])
    record = detail["serviceDeployments"][0]
    assert record["deploymentCircuitBreaker"]["threshold"] == threshold
    assert record["deploymentCircuitBreaker"]["failureCount"] == threshold
    assert record["rollback"]["reason"] == "ECS deployment circuit breaker: tasks failed to start."
    assert record["statusReason"] == "ECS deployment circuit breaker: tasks failed to start."


def test_crashing_image_fails_at_the_threshold_and_rolls_back(env):
    sandbox = env["sandbox"]
    crashing = pullable_image(sandbox, "crashing")
    sandbox.add_fault({"image": ":crashing"}, "crash")
    v2 = fargate_task_definition(sandbox, crashing)
    create_service(env, desired=2)
    first, failed_id, service, elapsed = deploy_and_wait_for_rollback(env, v2)
    assert elapsed <= 10
    assert_rolled_back(env, first, failed_id, service, threshold=3)  # 0.5 x 2 = 1, but at least 3
    crashed = stopped_tasks(env, v2)
    assert len(crashed) >= 3
    for task in crashed:
        assert task["stopCode"] == "EssentialContainerExited"
        assert task["stoppedReason"] == "Essential container in task exited"
        assert task["containers"][0]["exitCode"] == 1
        assert task["startedAt"] < task["stoppedAt"]  # it ran briefly


def test_crashing_image_behind_a_load_balancer_never_turns_healthy_and_rolls_back(env):
    # Health checks every 5 s pass long before the 10 s a crashing container runs: its targets must still
    # fail them, or the deployment would complete before the first crash.
    sandbox = env["sandbox"]
    alb = make_alb(sandbox, env["network"], health_interval=5, deregistration_delay=5)
    tg = alb["target_groups"]["tg"]
    sandbox.add_fault({"image": ":crashing"}, "crash")
    v2 = fargate_task_definition(sandbox, pullable_image(sandbox, "crashing"))
    create_service(env, loadBalancers=[{"targetGroupArn": tg, "containerName": "web", "containerPort": 80}],
                   healthCheckGracePeriodSeconds=0)
    first, failed_id, service, _ = deploy_and_wait_for_rollback(env, v2)
    assert_rolled_back(env, first, failed_id, service, threshold=3)


def test_threshold_is_half_the_desired_count_rounded_up(env):
    sandbox = env["sandbox"]
    sandbox.add_fault({"image": ":crashing"}, "crash")
    v2 = fargate_task_definition(sandbox, pullable_image(sandbox, "crashing"))
    create_service(env, desired=9, configuration={"deploymentCircuitBreaker": {"enable": True, "rollback": False},
                                                   "minimumHealthyPercent": 100, "maximumPercent": 200})
    wait_until(lambda: settled(env), timeout=5)
    env["ecs"].update_service(cluster=CLUSTER, service="api", taskDefinition=v2)
    service = wait_until(lambda: settled(env), timeout=10)
    failed = service["deployments"][0]
    assert failed["rolloutState"] == "FAILED"
    assert failed["failedTasks"] == 5  # ceil(0.5 x 9)


def test_without_rollback_the_failed_deployment_stays_primary_and_old_tasks_keep_running(env):
    sandbox = env["sandbox"]
    sandbox.add_fault({"image": ":crashing"}, "crash")
    v2 = fargate_task_definition(sandbox, pullable_image(sandbox, "crashing"))
    create_service(env, desired=2, configuration={"deploymentCircuitBreaker": {"enable": True, "rollback": False}})
    first = wait_until(lambda: settled(env), timeout=5)
    env["ecs"].update_service(cluster=CLUSTER, service="api", taskDefinition=v2)
    service = wait_until(lambda: settled(env), timeout=10)
    primary, active = service["deployments"]
    assert (primary["status"], primary["rolloutState"], primary["taskDefinition"]) == ("PRIMARY", "FAILED", v2)
    assert primary["failedTasks"] == 3
    assert primary["rolloutStateReason"] == "ECS deployment circuit breaker: tasks failed to start."
    assert (active["id"], active["runningCount"]) == (first["deployments"][0]["id"], 2)
    messages = [e["message"] for e in service["events"]]
    assert f"(service api) (deployment {primary['id']}) deployment failed: tasks failed to start." in messages
    assert not any("rolling back" in m for m in messages)
    time.sleep(0.5)  # a FAILED deployment launches no new tasks
    later = describe(env)
    assert later["deployments"][0]["pendingCount"] == later["deployments"][0]["runningCount"] == 0


def test_breaker_disabled_keeps_retrying_and_reports_impaired_starts(env):
    sandbox = env["sandbox"]
    sandbox.add_fault({"image": ":crashing"}, "crash")
    v2 = fargate_task_definition(sandbox, pullable_image(sandbox, "crashing"))
    create_service(env, desired=1, configuration={})
    wait_until(lambda: settled(env), timeout=5)
    env["ecs"].update_service(cluster=CLUSTER, service="api", taskDefinition=v2)
    wait_until(lambda: "(service api) is unable to consistently start tasks successfully." in
               [e["message"] for e in describe(env)["events"]], timeout=10)
    primary = describe(env)["deployments"][0]
    assert primary["rolloutState"] == "IN_PROGRESS" and primary["failedTasks"] >= 3


def test_pull_error_fault_fails_with_cannot_pull_container_error_and_rolls_back(env):
    sandbox = env["sandbox"]
    image = pullable_image(sandbox, "unpullable")
    sandbox.add_fault({"image": ":unpullable"}, "pull_error")
    v2 = fargate_task_definition(sandbox, image)
    create_service(env)
    first, failed_id, service, elapsed = deploy_and_wait_for_rollback(env, v2)
    assert elapsed <= 10
    assert_rolled_back(env, first, failed_id, service, threshold=3)
    for task in stopped_tasks(env, v2):
        assert task["stopCode"] == "TaskFailedToStart"
        assert task["stoppedReason"].startswith("CannotPullContainerError: ")
        assert image in task["stoppedReason"]
        assert "startedAt" not in task


def test_image_missing_from_the_registry_cannot_be_pulled(env):
    missing = env["good"].rsplit(":", 1)[0] + ":never-pushed"
    v2 = fargate_task_definition(env["sandbox"], missing)
    create_service(env)
    first, failed_id, service, _ = deploy_and_wait_for_rollback(env, v2)
    assert_rolled_back(env, first, failed_id, service, threshold=3)
    reasons = {t["stoppedReason"] for t in stopped_tasks(env, v2)}
    assert reasons == {"CannotPullContainerError: pull image manifest has been retried 5 time(s): "
                       f"failed to resolve ref {missing}: not found"}


@pytest.mark.parametrize("kind", ["ssm", "secretsmanager"])
def test_missing_secret_fails_with_resource_initialization_error(env, kind):
    sandbox = env["sandbox"]
    if kind == "ssm":
        value_from = "/app/missing-password"
        expected = "unable to retrieve secrets from ssm"
    else:
        value_from = "arn:aws:secretsmanager:us-east-1:123456789012:secret:app/missing-AbCdEf"
        expected = "unable to retrieve secret from asm"
    v2 = fargate_task_definition(sandbox, env["good"], secrets=[{"name": "PASSWORD", "valueFrom": value_from}])
    create_service(env)
    first, failed_id, service, _ = deploy_and_wait_for_rollback(env, v2)
    reasons = {t["stoppedReason"] for t in stopped_tasks(env, v2)}
    assert reasons
    for reason in reasons:
        assert reason.startswith("ResourceInitializationError: unable to pull secrets or registry auth: ")
        assert expected in reason and value_from.rsplit("/", 1)[-1] in reason


def test_existing_secret_lets_the_task_start(env):
    sandbox = env["sandbox"]
    sandbox.aws("ssm").put_parameter(Name="/app/password", Value="s3cret", Type="SecureString")
    arn = sandbox.aws("secretsmanager").create_secret(Name="app/token", SecretString="t")["ARN"]
    v2 = fargate_task_definition(sandbox, env["good"], secrets=[{"name": "PASSWORD", "valueFrom": "/app/password"},
                                                                 {"name": "TOKEN", "valueFrom": arn}])
    create_service(env)
    wait_until(lambda: settled(env), timeout=5)
    env["ecs"].update_service(cluster=CLUSTER, service="api", taskDefinition=v2)
    service = wait_until(lambda: (s := settled(env)) and len(s["deployments"]) == 1 and s, timeout=5)
    assert service["deployments"][0]["rolloutState"] == "COMPLETED"
    assert service["taskDefinition"] == v2


def test_unhealthy_targets_are_replaced_and_the_deployment_rolls_back(env):
    sandbox = env["sandbox"]
    alb = make_alb(sandbox, env["network"], deregistration_delay=5)
    tg = alb["target_groups"]["tg"]
    sick = pullable_image(sandbox, "sick")
    sandbox.add_fault({"image": ":sick"}, "unhealthy")
    v2 = fargate_task_definition(sandbox, sick)
    create_service(env, loadBalancers=[{"targetGroupArn": tg, "containerName": "web", "containerPort": 80}],
                   healthCheckGracePeriodSeconds=0)
    first, failed_id, service, elapsed = deploy_and_wait_for_rollback(env, v2)
    assert elapsed <= 10
    assert_rolled_back(env, first, failed_id, service, threshold=3)
    replaced = stopped_tasks(env, v2)
    assert replaced
    assert {t["stoppedReason"] for t in replaced} <= {f"Task failed ELB health checks in (target-group {tg})",
                                                      f"Scaling activity initiated by (deployment "
                                                      f"{service['deployments'][0]['id']})"}
    messages = [e["message"] for e in service["events"]]
    assert any(m.endswith(f"is unhealthy in (target-group {tg}) due to (reason Health checks failed).")
               for m in messages)
    assert any(re.fullmatch(r"\(service api\) has started \d+ tasks: .*\. Amazon ECS replaced \d+ tasks due to an "
                            r"unhealthy status\.", m) for m in messages)
    status, body = sandbox.alb_request("alb", "/")
    assert status == 200 and body["task_definition"] == env["v1"]


def test_health_check_grace_period_defers_replacement(env):
    sandbox = env["sandbox"]
    alb = make_alb(sandbox, env["network"], deregistration_delay=5)
    tg = alb["target_groups"]["tg"]
    sandbox.add_fault({"image": ":good"}, "unhealthy")
    scale = sandbox.health()["time_scale"]
    grace = int(3 * scale)  # three wall-clock seconds
    create_service(env, desired=1, configuration={}, healthCheckGracePeriodSeconds=grace,
                   loadBalancers=[{"targetGroupArn": tg, "containerName": "web", "containerPort": 80}])
    started = time.monotonic()
    task = wait_until(lambda: stopped_tasks(env, env["v1"]), timeout=10)[0]
    assert time.monotonic() - started >= 3
    assert task["stoppedReason"] == f"Task failed ELB health checks in (target-group {tg})"


def test_slow_start_takes_the_profile_factor_longer(env):
    sandbox = env["sandbox"]
    ecs = env["ecs"]
    create_service(env, desired=1, configuration={})

    def start_duration():
        arns = ecs.list_tasks(cluster=CLUSTER, serviceName="api")["taskArns"]
        task = ecs.describe_tasks(cluster=CLUSTER, tasks=arns)["tasks"][0] if arns else None
        if task and task["lastStatus"] == "RUNNING":
            return task["startedAt"].timestamp() - task["createdAt"].timestamp()
        return None

    normal = wait_until(start_duration, timeout=5)
    ecs.delete_service(cluster=CLUSTER, service="api", force=True)
    wait_until(lambda: describe(env)["status"] == "INACTIVE", timeout=5)
    sandbox.add_fault({"image": ":good"}, "slow_start")
    create_service(env, desired=1, configuration={})
    slow = wait_until(start_duration, timeout=10)
    assert slow >= 3 * normal  # the fast profile's slow_start_factor is 5; 3 leaves room for a busy machine
