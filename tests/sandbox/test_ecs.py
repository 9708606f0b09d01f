"""The ECS service scheduler for Fargate, driven through boto3 as any tool would: deployments, task
life cycle, target registration, events, scaling and deletion, against the AWS documented outcome."""

import ipaddress
import re
import time

import pytest
from botocore.exceptions import ClientError, WaiterError

from helpers import awsvpc_configuration, fargate_task_definition, make_alb, make_network, pullable_image, wait_until

CLUSTER = "apps"
DEPLOYMENT_ID = r"ecs-svc/\d{19}"


@pytest.fixture
def env(sandbox):
    """A network, a Fargate cluster, two images in the sandbox registry and one task definition per image."""
    network = make_network(sandbox)
    ecs = sandbox.aws("ecs")
    ecs.create_cluster(clusterName=CLUSTER, capacityProviders=["FARGATE", "FARGATE_SPOT"])
    v1 = fargate_task_definition(sandbox, pullable_image(sandbox, "v1"))
    v2 = fargate_task_definition(sandbox, pullable_image(sandbox, "v2"))
    return {"sandbox": sandbox, "ecs": ecs, "network": network, "v1": v1, "v2": v2}


def create_service(env, name="api", desired=2, task_definition=None, **extra):
    options = dict(cluster=CLUSTER, serviceName=name, taskDefinition=task_definition or env["v1"],
                   desiredCount=desired, networkConfiguration=awsvpc_configuration(env["network"]))
    if "capacityProviderStrategy" not in extra:
        options["launchType"] = "FARGATE"
    options.update(extra)
    return env["ecs"].create_service(**options)["service"]


def describe(env, name="api"):
    return env["ecs"].describe_services(cluster=CLUSTER, services=[name])["services"][0]


def rollout_done(env, name="api"):
    def done():
        service = describe(env, name)
        return service if service["deployments"][0]["rolloutState"] != "IN_PROGRESS" else None
    return done


def service_tasks(env, name="api", desired_status="RUNNING"):
    arns = env["ecs"].list_tasks(cluster=CLUSTER, serviceName=name, desiredStatus=desired_status)["taskArns"]
    return env["ecs"].describe_tasks(cluster=CLUSTER, tasks=arns)["tasks"] if arns else []


def messages(service):
    return [e["message"] for e in service["events"]]


def target_health(sandbox, tg_arn):
    descriptions = sandbox.aws("elbv2").describe_target_health(TargetGroupArn=tg_arn)["TargetHealthDescriptions"]
    return {d["Target"]["Id"]: d["TargetHealth"]["State"] for d in descriptions}


def test_two_task_rollout_completes_with_events_task_states_and_target_health(env):
    sandbox = env["sandbox"]
    alb = make_alb(sandbox, env["network"])
    tg = alb["target_groups"]["tg"]
    lbs = [{"targetGroupArn": tg, "containerName": "web", "containerPort": 80}]
    create_service(env, loadBalancers=lbs)
    first = wait_until(rollout_done(env), timeout=5)
    old_ids = {t["taskArn"].rsplit("/", 1)[1] for t in service_tasks(env)}

    started = time.monotonic()
    env["ecs"].update_service(cluster=CLUSTER, service="api", taskDefinition=env["v2"])
    during = describe(env)
    assert [d["status"] for d in during["deployments"]] == ["PRIMARY", "ACTIVE"]
    assert during["deployments"][0]["taskDefinition"] == env["v2"]
    assert during["deployments"][1]["id"] == first["deployments"][0]["id"]
    service = wait_until(rollout_done(env), timeout=5)
    assert time.monotonic() - started <= 5

    primary = service["deployments"][0]
    assert primary["rolloutState"] == "COMPLETED"
    assert primary["rolloutStateReason"] == f"ECS deployment {primary['id']} completed."
    assert primary["id"] != first["deployments"][0]["id"]
    assert len(service["deployments"]) == 1  # the old deployment is gone once drained
    assert (service["runningCount"], service["pendingCount"], primary["runningCount"]) == (2, 0, 2)

    tasks = service_tasks(env)
    new_ids = {t["taskArn"].rsplit("/", 1)[1] for t in tasks}
    assert not new_ids & old_ids
    subnets = {s["SubnetId"]: s["CidrBlock"] for s in sandbox.aws("ec2").describe_subnets(
        SubnetIds=env["network"]["subnets"])["Subnets"]}
    ips = set()
    for task in tasks:
        assert task["lastStatus"] == task["desiredStatus"] == "RUNNING"
        assert task["taskDefinitionArn"] == env["v2"]
        assert task["startedBy"] == primary["id"]
        assert task["group"] == "service:api"
        assert task["launchType"] == "FARGATE"
        assert task["containers"][0]["lastStatus"] == "RUNNING"
        details = {d["name"]: d["value"] for d in task["attachments"][0]["details"]}
        ip = details["privateIPv4Address"]
        assert ipaddress.ip_address(ip) in ipaddress.ip_network(subnets[details["subnetId"]])
        assert task["createdAt"] <= task["startedAt"]
        ips.add(ip)
    assert len({t["attachments"][0]["details"][0]["value"] for t in tasks}) == 2  # spread over both subnets
    assert target_health(sandbox, tg) == {ip: "healthy" for ip in ips}

    stopped = service_tasks(env, desired_status="STOPPED")
    assert {t["taskArn"].rsplit("/", 1)[1] for t in stopped} == old_ids
    for task in stopped:
        assert task["lastStatus"] == "STOPPED"
        assert task["stopCode"] == "ServiceSchedulerInitiated"
        assert task["stoppedReason"] == f"Scaling activity initiated by (deployment {primary['id']})"
        assert task["stoppingAt"] <= task["stoppedAt"]

    # Newest first, in ECS's words and order.
    new = messages(service)[:len(messages(service)) - len(messages(first))]
    assert new[0] == "(service api) has reached a steady state."
    assert new[1] == f"(service api) (deployment {primary['id']}) deployment completed."
    # Oldest first from here. Each new target turns healthy on its own health check schedule, so the old
    # tasks may be replaced in one step or one by one (as on ECS, and here on a busy machine): each step
    # stops, deregisters and drains the same number of old tasks, 2 in all.
    steps = new[2:][::-1]
    assert steps[0].startswith("(service api) has started 2 tasks: ")
    assert sorted(re.findall(r"\(task (\w+)\)", steps[0])) == sorted(new_ids)
    assert steps[1] == f"(service api) registered 2 targets in (target-group {tg})"
    replaced = steps[2:]
    assert replaced and len(replaced) % 3 == 0
    stopped_ids = []
    for stop, deregister, drain in zip(replaced[0::3], replaced[1::3], replaced[2::3]):
        count = int(re.match(r"\(service api\) has stopped (\d+) running tasks: ", stop).group(1))
        stopped_ids += re.findall(r"\(task (\w+)\)", stop)
        assert deregister == f"(service api) deregistered {count} targets in (target-group {tg})"
        assert drain == (f"(service api, taskSet {first['deployments'][0]['id']}) has begun draining "
                         f"connections on {count} tasks.")
    assert sorted(stopped_ids) == sorted(old_ids)


def test_first_deployment_and_task_life_cycle(env):
    service = create_service(env)
    assert service["status"] == "ACTIVE"
    assert (service["desiredCount"], service["runningCount"]) == (2, 0)
    deployment = service["deployments"][0]
    assert deployment["status"] == "PRIMARY" and deployment["rolloutState"] == "IN_PROGRESS"
    assert deployment["rolloutStateReason"] == f"ECS deployment {deployment['id']} in progress."
    assert re.fullmatch(DEPLOYMENT_ID, deployment["id"])
    seen = set()

    def all_running():
        tasks = service_tasks(env)
        seen.update(t["lastStatus"] for t in tasks)
        return len(tasks) == 2 and all(t["lastStatus"] == "RUNNING" for t in tasks)

    wait_until(all_running, timeout=5, interval=0.005)
    assert {"PROVISIONING", "PENDING"} & seen  # the start is observable
    done = wait_until(rollout_done(env), timeout=5)
    assert done["deployments"][0]["rolloutState"] == "COMPLETED"
    assert messages(done)[:2] == ["(service api) has reached a steady state.",
                                  f"(service api) (deployment {deployment['id']}) deployment completed."]


def test_desired_count_change_does_not_start_a_deployment(env):
    create_service(env, desired=1)
    first = wait_until(rollout_done(env), timeout=5)
    updated = env["ecs"].update_service(cluster=CLUSTER, service="api", desiredCount=3)["service"]
    assert [d["id"] for d in updated["deployments"]] == [first["deployments"][0]["id"]]
    assert updated["deployments"][0]["desiredCount"] == 3
    wait_until(lambda: describe(env)["runningCount"] == 3, timeout=5)
    assert len(describe(env)["deployments"]) == 1


def test_force_new_deployment_replaces_tasks_with_the_same_revision(env):
    create_service(env, desired=1)
    first = wait_until(rollout_done(env), timeout=5)
    old = service_tasks(env)[0]["taskArn"]
    env["ecs"].update_service(cluster=CLUSTER, service="api", forceNewDeployment=True)
    done = wait_until(rollout_done(env), timeout=5)
    assert done["deployments"][0]["id"] != first["deployments"][0]["id"]
    assert done["deployments"][0]["taskDefinition"] == env["v1"]
    assert [t["taskArn"] for t in service_tasks(env)] != [old]


def test_network_configuration_change_starts_a_deployment(env):
    create_service(env, desired=1)
    first = wait_until(rollout_done(env), timeout=5)
    one_subnet = {"awsvpcConfiguration": {"subnets": env["network"]["subnets"][:1],
                                          "securityGroups": [env["network"]["security_group"]]}}
    updated = env["ecs"].update_service(cluster=CLUSTER, service="api", networkConfiguration=one_subnet)["service"]
    assert len(updated["deployments"]) == 2
    assert updated["deployments"][0]["networkConfiguration"]["awsvpcConfiguration"]["subnets"] == \
        env["network"]["subnets"][:1]
    wait_until(rollout_done(env), timeout=5)
    assert service_tasks(env)[0]["attachments"][0]["details"][0]["value"] == env["network"]["subnets"][0]
    assert first["deployments"][0]["id"] not in [d["id"] for d in describe(env)["deployments"]]


def test_services_stable_waiter_waits_for_the_rollout(env):
    create_service(env)
    env["ecs"].get_waiter("services_stable").wait(cluster=CLUSTER, services=["api"],
                                                   WaiterConfig={"Delay": 0.1, "MaxAttempts": 60})
    service = describe(env)
    assert len(service["deployments"]) == 1 and service["runningCount"] == service["desiredCount"] == 2
    with pytest.raises(WaiterError):  # DRAINING is a failure state of the waiter, as against AWS
        env["ecs"].delete_service(cluster=CLUSTER, service="api", force=True)
        env["ecs"].get_waiter("services_stable").wait(cluster=CLUSTER, services=["api"],
                                                       WaiterConfig={"Delay": 0.1, "MaxAttempts": 5})


def test_scale_to_zero_stops_all_tasks_and_empties_the_target_group(env):
    sandbox = env["sandbox"]
    alb = make_alb(sandbox, env["network"], deregistration_delay=10)
    tg = alb["target_groups"]["tg"]
    create_service(env, loadBalancers=[{"targetGroupArn": tg, "containerName": "web", "containerPort": 80}])
    wait_until(rollout_done(env), timeout=5)
    assert len(target_health(sandbox, tg)) == 2
    env["ecs"].update_service(cluster=CLUSTER, service="api", desiredCount=0)
    wait_until(lambda: target_health(sandbox, tg) == {}, timeout=5)
    service = wait_until(lambda: (s := describe(env))["runningCount"] == 0 and not service_tasks(env) and s,
                         timeout=5)
    assert service["desiredCount"] == 0 and service["pendingCount"] == 0
    stopped = service_tasks(env, desired_status="STOPPED")
    assert len(stopped) == 2
    wait_until(lambda: all(t["lastStatus"] == "STOPPED" for t in service_tasks(env, desired_status="STOPPED")),
               timeout=5)
    assert wait_until(lambda: messages(describe(env))[0] == "(service api) has reached a steady state.", timeout=5)
    status, _ = sandbox.alb_request("alb", "/")
    assert status == 503


def test_delete_service_drains_then_goes_inactive(env):
    create_service(env)
    wait_until(rollout_done(env), timeout=5)
    with pytest.raises(ClientError) as err:
        env["ecs"].delete_service(cluster=CLUSTER, service="api")
    assert err.value.response["Error"]["Code"] == "InvalidParameterException"
    deleted = env["ecs"].delete_service(cluster=CLUSTER, service="api", force=True)["service"]
    assert deleted["status"] == "DRAINING" and deleted["desiredCount"] == 0
    wait_until(lambda: describe(env)["status"] == "INACTIVE", timeout=5)
    assert service_tasks(env) == []
    assert all(t["lastStatus"] == "STOPPED" for t in service_tasks(env, desired_status="STOPPED"))
    assert env["ecs"].list_services(cluster=CLUSTER)["serviceArns"] == []
    with pytest.raises(ClientError) as err:
        env["ecs"].update_service(cluster=CLUSTER, service="api", desiredCount=1)
    assert err.value.response["Error"]["Code"] == "ServiceNotActiveException"
    again = create_service(env)  # the name is free again once INACTIVE
    assert again["status"] == "ACTIVE"


def test_list_tasks_filters_and_describe_tasks_failures(env):
    create_service(env, name="api")
    create_service(env, name="worker", desired=1)
    wait_until(rollout_done(env, "api"), timeout=5)
    wait_until(rollout_done(env, "worker"), timeout=5)
    ecs = env["ecs"]
    api = ecs.list_tasks(cluster=CLUSTER, serviceName="api")["taskArns"]
    worker = ecs.list_tasks(cluster=CLUSTER, serviceName="worker")["taskArns"]
    assert len(api) == 2 and len(worker) == 1
    assert set(ecs.list_tasks(cluster=CLUSTER)["taskArns"]) == set(api + worker)
    deployment = describe(env, "worker")["deployments"][0]["id"]
    assert ecs.list_tasks(cluster=CLUSTER, startedBy=deployment)["taskArns"] == worker
    assert ecs.list_tasks(cluster=CLUSTER, serviceName="api", desiredStatus="STOPPED")["taskArns"] == []
    page = ecs.list_tasks(cluster=CLUSTER, maxResults=2)
    rest = ecs.list_tasks(cluster=CLUSTER, maxResults=2, nextToken=page["nextToken"])
    assert set(page["taskArns"] + rest["taskArns"]) == set(api + worker)
    missing = api[0].rsplit("/", 1)[0] + "/0123456789abcdef0123456789abcdef"
    described = ecs.describe_tasks(cluster=CLUSTER, tasks=[api[0], missing])
    assert [t["taskArn"] for t in described["tasks"]] == [api[0]]
    assert described["failures"] == [{"arn": missing, "reason": "MISSING"}]


def test_stop_task_is_user_initiated_and_the_service_replaces_it(env):
    create_service(env, desired=1)
    wait_until(rollout_done(env), timeout=5)
    victim = service_tasks(env)[0]["taskArn"]
    stopped = env["ecs"].stop_task(cluster=CLUSTER, task=victim, reason="test says so")["task"]
    assert stopped["desiredStatus"] == "STOPPED"
    assert stopped["stopCode"] == "UserInitiated" and stopped["stoppedReason"] == "test says so"
    replacement = wait_until(lambda: [t for t in service_tasks(env) if t["lastStatus"] == "RUNNING"], timeout=5)
    assert replacement[0]["taskArn"] != victim
    assert describe(env)["deployments"][0]["failedTasks"] == 0


def test_capacity_provider_strategy_places_base_then_weight(env):
    create_service(env, desired=4, capacityProviderStrategy=[
        {"capacityProvider": "FARGATE", "base": 1, "weight": 1},
        {"capacityProvider": "FARGATE_SPOT", "weight": 1}])
    wait_until(rollout_done(env), timeout=5)
    providers = sorted(t["capacityProviderName"] for t in service_tasks(env))
    assert providers == ["FARGATE", "FARGATE", "FARGATE_SPOT", "FARGATE_SPOT"]  # base 1, then 1:1
    assert all(t["launchType"] == "FARGATE" for t in service_tasks(env))
    service = describe(env)
    assert "launchType" not in service
    assert service["capacityProviderStrategy"][0] == {"capacityProvider": "FARGATE", "weight": 1, "base": 1}


def test_spot_unavailable_writes_the_capacity_event_and_places_no_spot_task(env):
    sandbox = env["sandbox"]
    sandbox.add_fault({"cluster": CLUSTER}, "spot_unavailable")
    create_service(env, desired=2, capacityProviderStrategy=[{"capacityProvider": "FARGATE_SPOT", "weight": 1}])
    expected = ("(service api) was unable to place a task. Reason: Capacity is unavailable at this time. Please try "
                "again later or in a different availability zone. For more information, see the Troubleshooting "
                "section of the Amazon ECS Developer Guide.")
    service = wait_until(lambda: expected in messages(s := describe(env)) and s, timeout=5)
    assert service["runningCount"] == service["pendingCount"] == 0
    assert service_tasks(env) == []
    assert service["deployments"][0]["rolloutState"] == "IN_PROGRESS"
    sandbox.clear_faults()  # capacity comes back: ECS retries the placement
    wait_until(rollout_done(env), timeout=5)


def test_exec_flag_and_propagated_tags_reach_tasks(env):
    create_service(env, desired=1, enableExecuteCommand=True, propagateTags="SERVICE",
                   tags=[{"key": "team", "value": "web"}])
    wait_until(rollout_done(env), timeout=5)
    arn = env["ecs"].list_tasks(cluster=CLUSTER, serviceName="api")["taskArns"]
    task = env["ecs"].describe_tasks(cluster=CLUSTER, tasks=arn, include=["TAGS"])["tasks"][0]
    assert task["enableExecuteCommand"] is True
    assert task["tags"] == [{"key": "team", "value": "web"}]


def test_ec2_launch_type_finds_no_container_instances(env):
    ecs = env["ecs"]
    bridge = ecs.register_task_definition(
        family="legacy", networkMode="bridge",
        containerDefinitions=[{"name": "web", "image": pullable_image(env["sandbox"], "v1"), "memory": 128}],
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(cluster=CLUSTER, serviceName="legacy", taskDefinition=bridge, desiredCount=1,
                       launchType="EC2")
    expected = ("(service legacy) was unable to place a task because no container instance met all of its "
                "requirements. Reason: No Container Instances were found in your cluster. For more information, "
                "see the Troubleshooting section of the Amazon ECS Developer Guide.")
    service = wait_until(lambda: expected in messages(s := describe(env, "legacy")) and s, timeout=5)
    assert service["runningCount"] == service["pendingCount"] == 0


def test_a_cluster_without_capacity_providers_lists_them_empty(sandbox):
    ecs = sandbox.aws("ecs")
    created = ecs.create_cluster(clusterName="plain")["cluster"]
    described = ecs.describe_clusters(clusters=["plain"])["clusters"][0]
    for cluster in (created, described):
        assert cluster["capacityProviders"] == []
        assert cluster["defaultCapacityProviderStrategy"] == []
