"""Elastic Load Balancing in the sandbox: target health, ALB traffic, metrics and limits, driven like any tool would."""

import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone

import pytest
from botocore.exceptions import ClientError

from helpers import (awsvpc_configuration, fargate_task_definition, make_alb, make_network, pullable_image,
                     wait_until)

# Small health check settings keep the tests short; every wait below is derived from them.
INTERVAL = 10
HEALTHY_THRESHOLD = 3
UNHEALTHY_THRESHOLD = 2
DEREGISTRATION_DELAY = 20
AMI = "ami-03cf127a"  # one of the images moto knows


@pytest.fixture
def scale(sandbox):
    """Wall-clock seconds for AWS seconds in the running profile."""
    time_scale = sandbox.health()["time_scale"]
    return lambda aws_seconds: aws_seconds / time_scale


@pytest.fixture
def env(sandbox):
    """A VPC, an ALB with an HTTP listener whose default action answers 404, and a helper to add target groups."""
    network = make_network(sandbox)
    elb = sandbox.aws("elbv2")
    balancer = elb.create_load_balancer(Name="web", Subnets=network["subnets"],
                                        SecurityGroups=[network["security_group"]])["LoadBalancers"][0]
    listener = elb.create_listener(
        LoadBalancerArn=balancer["LoadBalancerArn"], Protocol="HTTP", Port=80,
        DefaultActions=[{"Type": "fixed-response",
                         "FixedResponseConfig": {"StatusCode": "404", "ContentType": "text/plain",
                                                 "MessageBody": "no route"}}],
    )["Listeners"][0]

    def target_group(name, target_type="instance", **extra):
        tg = elb.create_target_group(
            Name=name, Protocol="HTTP", Port=80, VpcId=network["vpc"], TargetType=target_type,
            HealthCheckIntervalSeconds=INTERVAL, HealthCheckTimeoutSeconds=5,
            HealthyThresholdCount=HEALTHY_THRESHOLD, UnhealthyThresholdCount=UNHEALTHY_THRESHOLD, **extra,
        )["TargetGroups"][0]["TargetGroupArn"]
        elb.modify_target_group_attributes(TargetGroupArn=tg, Attributes=[
            {"Key": "deregistration_delay.timeout_seconds", "Value": str(DEREGISTRATION_DELAY)}])
        return tg

    def route(priority, conditions, tg_arn):
        elb.create_rule(ListenerArn=listener["ListenerArn"], Priority=priority, Conditions=conditions,
                        Actions=[{"Type": "forward", "TargetGroupArn": tg_arn}])

    return {"network": network, "elb": elb, "ec2": sandbox.aws("ec2"), "balancer": balancer,
            "listener": listener, "target_group": target_group, "route": route}


def instances(env, count=1):
    reservation = env["ec2"].run_instances(ImageId=AMI, MinCount=count, MaxCount=count, InstanceType="t3.micro",
                                    SubnetId=env["network"]["subnets"][0])
    return [instance["InstanceId"] for instance in reservation["Instances"]]


def health(env, tg_arn, **kwargs):
    """{target id: (state, reason)} from DescribeTargetHealth."""
    descriptions = env["elb"].describe_target_health(TargetGroupArn=tg_arn, **kwargs)["TargetHealthDescriptions"]
    return {d["Target"]["Id"]: (d["TargetHealth"]["State"], d["TargetHealth"].get("Reason")) for d in descriptions}


def state_of(env, tg_arn, target_id):
    return health(env, tg_arn).get(target_id, (None, None))[0]


def forward_everything_to(env, tg_arn):
    env["elb"].modify_listener(ListenerArn=env["listener"]["ListenerArn"],
                               DefaultActions=[{"Type": "forward", "TargetGroupArn": tg_arn}])


def healthy_instance_group(env, scale, name="app", count=1):
    tg = env["target_group"](name)
    ids = instances(env, count)
    env["elb"].register_targets(TargetGroupArn=tg, Targets=[{"Id": i} for i in ids])
    return tg, ids


def wait_healthy(env, scale, tg, ids):
    wait_until(lambda: all(state_of(env, tg, i) == "healthy" for i in ids),
               timeout=3 * scale(HEALTHY_THRESHOLD * INTERVAL) + 2)


def metric_sum(sandbox, name, dimensions):
    now = datetime.now(timezone.utc)
    points = sandbox.aws("cloudwatch").get_metric_statistics(
        Namespace="AWS/ApplicationELB", MetricName=name, Statistics=["Sum"], Period=60,
        StartTime=now - timedelta(minutes=5), EndTime=now + timedelta(minutes=1),
        Dimensions=[{"Name": k, "Value": v} for k, v in dimensions.items()],
    )["Datapoints"]
    return sum(point["Sum"] for point in points)


# -- target health -------------------------------------------------------------------------------
def test_instance_target_is_initial_then_healthy_after_its_first_passing_check(env, scale):
    tg = env["target_group"]("app")
    forward_everything_to(env, tg)
    [instance] = instances(env)
    registered_at = time.monotonic()
    env["elb"].register_targets(TargetGroupArn=tg, Targets=[{"Id": instance}])

    description = env["elb"].describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"][0]
    assert description["Target"] == {"Id": instance, "Port": 80}
    assert description["HealthCheckPort"] == "80"
    assert description["TargetHealth"]["State"] == "initial"
    assert description["TargetHealth"]["Reason"] in ("Elb.RegistrationInProgress", "Elb.InitialHealthChecking")

    wait_until(lambda: state_of(env, tg, instance) == "healthy", timeout=3 * scale(HEALTHY_THRESHOLD * INTERVAL) + 2)
    assert time.monotonic() - registered_at >= scale(INTERVAL)
    assert health(env, tg)[instance] == ("healthy", None)


def test_a_new_target_needs_one_passing_check_and_a_failing_one_unhealthy_threshold_checks():
    """The ALB guide: "After your target is registered, it must pass one health check to be considered
    healthy"; HealthyThresholdCount is for a target returning to service. Driven with a fixed clock."""
    from types import SimpleNamespace

    from sandbox._elb import targets

    group = SimpleNamespace(health_check_enabled=True, health_check_interval_seconds=INTERVAL,
                            healthy_threshold_count=5, unhealthy_threshold_count=UNHEALTHY_THRESHOLD)
    passing = targets.Target(id="i-1", port=80, kind="instance", checks_since=0.0)
    failing = targets.Target(id="i-2", port=80, kind="instance", checks_since=0.0, failure=targets.NO_ANSWER)
    aws_seconds = float  # time scale 1

    assert targets.health(group, passing, INTERVAL - 0.1, aws_seconds)[0] == "initial"
    assert targets.health(group, passing, INTERVAL, aws_seconds) == targets.HEALTHY
    assert targets.health(group, failing, INTERVAL, aws_seconds) == targets.INITIAL_CHECKS
    assert targets.health(group, failing, UNHEALTHY_THRESHOLD * INTERVAL, aws_seconds) == targets.NO_ANSWER


def test_target_is_unused_until_a_listener_forwards_to_its_group(env, scale):
    tg = env["target_group"]("idle")
    [instance] = instances(env)
    env["elb"].register_targets(TargetGroupArn=tg, Targets=[{"Id": instance}])
    time.sleep(scale(HEALTHY_THRESHOLD * INTERVAL) + 0.1)
    assert health(env, tg)[instance] == ("unused", "Target.NotInUse")

    env["route"](10, [{"Field": "path-pattern", "Values": ["/idle/*"]}], tg)
    wait_until(lambda: state_of(env, tg, instance) == "initial", timeout=2)
    wait_until(lambda: state_of(env, tg, instance) == "healthy", timeout=3 * scale(HEALTHY_THRESHOLD * INTERVAL) + 2)


def test_ip_target_with_nothing_behind_it_fails_its_checks_with_timeout(env, scale):
    tg = env["target_group"]("ips", target_type="ip")
    forward_everything_to(env, tg)
    env["elb"].register_targets(TargetGroupArn=tg, Targets=[{"Id": "10.0.1.50", "Port": 8080}])
    assert health(env, tg)["10.0.1.50"][0] == "initial"
    wait_until(lambda: state_of(env, tg, "10.0.1.50") == "unhealthy",
               timeout=3 * scale(UNHEALTHY_THRESHOLD * INTERVAL) + 2)
    description = env["elb"].describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"][0]
    assert description["Target"] == {"Id": "10.0.1.50", "Port": 8080}
    assert description["TargetHealth"] == {"State": "unhealthy", "Reason": "Target.Timeout",
                                           "Description": "Request timed out"}


def test_instance_target_follows_its_instance_stopped_running_terminated(env, scale):
    tg, [instance] = healthy_instance_group(env, scale)
    forward_everything_to(env, tg)
    wait_healthy(env, scale, tg, [instance])

    env["ec2"].stop_instances(InstanceIds=[instance])
    wait_until(lambda: health(env, tg)[instance] == ("unused", "Target.InvalidState"), timeout=2)

    env["ec2"].start_instances(InstanceIds=[instance])
    wait_until(lambda: state_of(env, tg, instance) == "initial", timeout=2)
    wait_healthy(env, scale, tg, [instance])

    env["ec2"].terminate_instances(InstanceIds=[instance])
    wait_until(lambda: health(env, tg).get(instance) == ("draining", "Target.DeregistrationInProgress"), timeout=2)
    wait_until(lambda: instance not in health(env, tg), timeout=3 * scale(DEREGISTRATION_DELAY) + 2)


def test_deregistered_target_drains_for_the_deregistration_delay_then_is_gone(env, scale):
    tg, [instance] = healthy_instance_group(env, scale)
    forward_everything_to(env, tg)
    wait_healthy(env, scale, tg, [instance])

    deregistered_at = time.monotonic()
    env["elb"].deregister_targets(TargetGroupArn=tg, Targets=[{"Id": instance}])
    assert health(env, tg)[instance] == ("draining", "Target.DeregistrationInProgress")
    wait_until(lambda: instance not in health(env, tg), timeout=3 * scale(DEREGISTRATION_DELAY) + 2)
    assert time.monotonic() - deregistered_at >= scale(DEREGISTRATION_DELAY)
    assert health(env, tg, Targets=[{"Id": instance}])[instance] == ("unused", "Target.NotRegistered")


def test_describe_target_health_of_unknown_group_is_target_group_not_found(env):
    missing = env["target_group"]("gone")
    env["elb"].delete_target_group(TargetGroupArn=missing)
    with pytest.raises(ClientError) as err:
        env["elb"].describe_target_health(TargetGroupArn=missing)
    assert err.value.response["Error"]["Code"] == "TargetGroupNotFound"


# -- traffic ---------------------------------------------------------------------------------------
def test_requests_reach_the_target_group_their_host_and_path_match(sandbox, env, scale):
    api, [api_instance] = healthy_instance_group(env, scale, "api")
    docs, [docs_instance] = healthy_instance_group(env, scale, "docs")
    env["route"](10, [{"Field": "host-header", "HostHeaderConfig": {"Values": ["api.example.com"]}},
                      {"Field": "path-pattern", "PathPatternConfig": {"Values": ["/v?/*"]}}], api)
    env["route"](20, [{"Field": "host-header", "HostHeaderConfig": {"Values": ["*.example.com"]}}], docs)
    wait_healthy(env, scale, api, [api_instance])
    wait_healthy(env, scale, docs, [docs_instance])

    status, body = sandbox.alb_request("web", "/v1/orders", host="API.example.com")
    assert status == 200
    assert (body["target_group"], body["instance_id"]) == ("api", api_instance)
    status, body = sandbox.alb_request("web", "/v10/orders", host="api.example.com")  # ? is one character
    assert (status, body["target_group"]) == (200, "docs")
    status, body = sandbox.alb_request("web", "/anything", host="www.example.com")
    assert (status, body["target_group"]) == (200, "docs")
    status, body = sandbox.alb_request("web", "/v1/orders", host="example.org")
    assert (status, body) == (404, "no route")


def test_weighted_forward_splits_requests_by_weight(sandbox, env, scale):
    blue, blue_ids = healthy_instance_group(env, scale, "blue")
    green, green_ids = healthy_instance_group(env, scale, "green")
    env["elb"].modify_listener(ListenerArn=env["listener"]["ListenerArn"], DefaultActions=[{
        "Type": "forward",
        "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": blue, "Weight": 3},
                                           {"TargetGroupArn": green, "Weight": 1}]},
    }])
    wait_healthy(env, scale, blue, blue_ids)
    wait_healthy(env, scale, green, green_ids)
    served = [sandbox.alb_request("web", "/")[1]["target_group"] for _ in range(40)]
    assert served.count("blue") == 30
    assert served.count("green") == 10


def test_weight_zero_gets_no_requests(sandbox, env, scale):
    blue, blue_ids = healthy_instance_group(env, scale, "blue")
    green, green_ids = healthy_instance_group(env, scale, "green")
    env["elb"].modify_listener(ListenerArn=env["listener"]["ListenerArn"], DefaultActions=[{
        "Type": "forward",
        "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": blue, "Weight": 0},
                                           {"TargetGroupArn": green, "Weight": 100}]},
    }])
    wait_healthy(env, scale, green, green_ids)
    assert {sandbox.alb_request("web", "/")[1]["target_group"] for _ in range(10)} == {"green"}


def test_requests_round_robin_over_healthy_targets_only(sandbox, env, scale):
    tg, ids = healthy_instance_group(env, scale, "pool", count=2)
    forward_everything_to(env, tg)
    wait_healthy(env, scale, tg, ids)
    assert {sandbox.alb_request("web", "/")[1]["instance_id"] for _ in range(4)} == set(ids)

    env["ec2"].stop_instances(InstanceIds=[ids[0]])
    wait_until(lambda: state_of(env, tg, ids[0]) == "unused", timeout=2)
    assert {sandbox.alb_request("web", "/")[1]["instance_id"] for _ in range(4)} == {ids[1]}


def unfollowed(sandbox, path, host):
    """(status, Location) of an ALB request, without following redirects."""

    class NoFollow(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    request = urllib.request.Request(sandbox.endpoint + "/_sandbox/alb/web" + path, headers={"Host": host})
    try:
        with urllib.request.build_opener(NoFollow).open(request, timeout=10) as answer:
            return answer.status, answer.headers.get("Location")
    except urllib.error.HTTPError as answer:
        return answer.code, answer.headers.get("Location")


def test_redirect_answers_with_location(sandbox, env):
    env["elb"].create_rule(
        ListenerArn=env["listener"]["ListenerArn"], Priority=5,
        Conditions=[{"Field": "path-pattern", "Values": ["/old/*"]}],
        Actions=[{"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443",
                                                         "Path": "/new/#{path}", "StatusCode": "HTTP_302"}}],
    )
    assert unfollowed(sandbox, "/old/page?x=1", "shop.example.com") == (
        302, "https://shop.example.com:443/new/old/page?x=1")


def test_http_to_https_redirect_is_301_to_port_443(sandbox, env):
    env["elb"].modify_listener(ListenerArn=env["listener"]["ListenerArn"], DefaultActions=[{
        "Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}])
    assert unfollowed(sandbox, "/a/b", "x.example.com") == (301, "https://x.example.com:443/a/b")


def test_fixed_response_answers_its_status_type_and_body(sandbox, env):
    env["elb"].create_rule(
        ListenerArn=env["listener"]["ListenerArn"], Priority=1,
        Conditions=[{"Field": "path-pattern", "Values": ["/health"]}],
        Actions=[{"Type": "fixed-response", "FixedResponseConfig": {
            "StatusCode": "200", "ContentType": "application/json", "MessageBody": '{"ok": true}'}}],
    )
    assert sandbox.alb_request("web", "/health") == (200, {"ok": True})
    assert sandbox.alb_request("web", "/healthz") == (404, "no route")


def test_rules_apply_in_priority_order_not_creation_order(sandbox, env):
    listener = env["listener"]["ListenerArn"]
    for priority, body in ((20, "broad"), (10, "narrow")):
        pattern = "/*" if body == "broad" else "/narrow/*"
        env["elb"].create_rule(ListenerArn=listener, Priority=priority,
                               Conditions=[{"Field": "path-pattern", "Values": [pattern]}],
                               Actions=[{"Type": "fixed-response", "FixedResponseConfig": {
                                   "StatusCode": "200", "ContentType": "text/plain", "MessageBody": body}}])
    assert sandbox.alb_request("web", "/narrow/x") == (200, "narrow")
    assert sandbox.alb_request("web", "/other") == (200, "broad")


def test_no_healthy_target_is_503_counted_as_elb_5xx(sandbox, env):
    tg = env["target_group"]("empty")
    forward_everything_to(env, tg)
    for _ in range(3):
        status, body = sandbox.alb_request("web", "/")
        assert status == 503
        assert "503 Service Temporarily Unavailable" in body
    lb = {"LoadBalancer": env["balancer"]["LoadBalancerArn"].split(":loadbalancer/")[1]}
    wait_until(lambda: metric_sum(sandbox, "HTTPCode_ELB_503_Count", lb) == 3, timeout=5)
    assert metric_sum(sandbox, "HTTPCode_ELB_5XX_Count", lb) == 3


def test_targets_still_initial_get_no_requests(sandbox, env, scale):
    tg = env["target_group"]("slow", HealthCheckPath="/ready")
    [instance] = instances(env)
    forward_everything_to(env, tg)
    env["elb"].register_targets(TargetGroupArn=tg, Targets=[{"Id": instance}])
    assert sandbox.alb_request("web", "/")[0] == 503
    wait_healthy(env, scale, tg, [instance])
    assert sandbox.alb_request("web", "/")[0] == 200


def test_only_unhealthy_targets_fail_open_and_a_target_that_never_answers_is_504(sandbox, env, scale):
    tg = env["target_group"]("dead", target_type="ip")
    forward_everything_to(env, tg)
    env["elb"].register_targets(TargetGroupArn=tg, Targets=[{"Id": "10.0.1.60"}])
    wait_until(lambda: state_of(env, tg, "10.0.1.60") == "unhealthy", timeout=3 * scale(UNHEALTHY_THRESHOLD * INTERVAL) + 2)
    status, body = sandbox.alb_request("web", "/")
    assert status == 504
    assert "504 Gateway Time-out" in body


def test_request_count_per_load_balancer_and_target_group_with_aws_dimensions(sandbox, env, scale):
    tg, ids = healthy_instance_group(env, scale, "counted")
    forward_everything_to(env, tg)
    wait_healthy(env, scale, tg, ids)
    for _ in range(25):
        assert sandbox.alb_request("web", "/")[0] == 200

    lb_dimension = env["balancer"]["LoadBalancerArn"].split(":loadbalancer/")[1]
    tg_dimension = tg.split(":")[-1]
    assert lb_dimension.startswith("app/web/")
    assert tg_dimension.startswith("targetgroup/counted/")
    by_lb = {"LoadBalancer": lb_dimension}
    by_tg = {"TargetGroup": tg_dimension, "LoadBalancer": lb_dimension}
    wait_until(lambda: metric_sum(sandbox, "RequestCount", by_tg) == 25, timeout=5)
    assert metric_sum(sandbox, "HTTPCode_Target_2XX_Count", by_tg) == 25
    assert metric_sum(sandbox, "RequestCountPerTarget", by_tg) == pytest.approx(25)  # one healthy target

    metrics = sandbox.aws("cloudwatch").list_metrics(Namespace="AWS/ApplicationELB", MetricName="RequestCount")
    dimension_sets = {tuple(sorted(d["Name"] for d in m["Dimensions"])) for m in metrics["Metrics"]}
    assert dimension_sets == {("LoadBalancer",), ("LoadBalancer", "TargetGroup")}


def test_request_count_by_load_balancer_alone_counts_each_request_once(sandbox, env, scale):
    tg, ids = healthy_instance_group(env, scale, "counted")
    forward_everything_to(env, tg)
    wait_healthy(env, scale, tg, ids)
    for _ in range(5):
        assert sandbox.alb_request("web", "/")[0] == 200
    by_lb = {"LoadBalancer": env["balancer"]["LoadBalancerArn"].split(":loadbalancer/")[1]}
    wait_until(lambda: metric_sum(sandbox, "RequestCount", by_lb) >= 5, timeout=5)
    assert metric_sum(sandbox, "RequestCount", by_lb) == 5


def test_listener_is_chosen_by_port(sandbox, env):
    env["elb"].create_listener(
        LoadBalancerArn=env["balancer"]["LoadBalancerArn"], Protocol="HTTP", Port=8080,
        DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {
            "StatusCode": "200", "ContentType": "text/plain", "MessageBody": "admin"}}])
    assert sandbox.alb_request("web", "/") == (404, "no route")
    status, body = sandbox.request("GET", "/_sandbox/alb/web/?port=8080")
    assert (status, body) == (200, "admin")
    status, body = sandbox.request("GET", "/_sandbox/alb/web/?port=9999")
    assert (status, body["error"]) == (404, "ListenerNotFound")


def test_unknown_load_balancer_is_404(sandbox):
    status, body = sandbox.alb_request("nope", "/")
    assert (status, body["error"]) == (404, "LoadBalancerNotFound")


# -- with ECS tasks behind the load balancer -------------------------------------------------------
def test_requests_through_a_service_load_balancer_name_the_serving_tasks(sandbox, scale):
    network = make_network(sandbox)
    alb = make_alb(sandbox, network, name="svc")
    tg = alb["target_groups"]["tg"]
    image = pullable_image(sandbox, "e2e")
    task_definition = fargate_task_definition(sandbox, image)
    ecs = sandbox.aws("ecs")
    ecs.create_cluster(clusterName="apps")
    ecs.create_service(cluster="apps", serviceName="api", taskDefinition=task_definition, desiredCount=2,
                       launchType="FARGATE", networkConfiguration=awsvpc_configuration(network),
                       loadBalancers=[{"targetGroupArn": tg, "containerName": "web", "containerPort": 80}])

    def completed():
        service = ecs.describe_services(cluster="apps", services=["api"])["services"][0]
        return service["deployments"][0]["rolloutState"] == "COMPLETED"

    wait_until(completed, timeout=3 * scale(20 + 30 + 2 * 5) + 5)  # task start, then 2 checks of 5 s
    tasks = ecs.describe_tasks(cluster="apps", tasks=ecs.list_tasks(cluster="apps", serviceName="api")["taskArns"])
    running = {task["taskArn"].rsplit("/", 1)[1]: task for task in tasks["tasks"]}
    answers = [sandbox.alb_request("svc", "/", host="api.example.com") for _ in range(4)]
    assert {status for status, _ in answers} == {200}
    assert {body["task_id"] for _, body in answers} == set(running)  # round robin over both tasks
    for _, body in answers:
        assert body["image"] == image
        assert body["revision"] == 1
        assert body["task_arn"] == running[body["task_id"]]["taskArn"]

    # a task's IP registered by hand in another target group answers there too (the task listens on it)
    elb = sandbox.aws("elbv2")
    other = elb.create_target_group(Name="by-hand", Protocol="HTTP", Port=80, VpcId=network["vpc"], TargetType="ip",
                                    HealthCheckIntervalSeconds=5, HealthyThresholdCount=2)["TargetGroups"][0]
    elb.modify_listener(ListenerArn=alb["listener"], DefaultActions=[
        {"Type": "forward", "TargetGroupArn": other["TargetGroupArn"]}])
    some_task = next(iter(running.values()))
    ip = some_task["attachments"][0]["details"]
    ip = next(detail["value"] for detail in ip if detail["name"] == "privateIPv4Address")
    elb.register_targets(TargetGroupArn=other["TargetGroupArn"], Targets=[{"Id": ip, "Port": 80}])
    wait_until(lambda: sandbox.alb_request("svc", "/")[0] == 200, timeout=5)
    assert sandbox.alb_request("svc", "/")[1]["task_id"] == some_task["taskArn"].rsplit("/", 1)[1]


# -- limits ----------------------------------------------------------------------------------------
def _error_code(call, **kwargs):
    with pytest.raises(ClientError) as err:
        call(**kwargs)
    return err.value.response["Error"]["Code"]


def test_101st_rule_on_a_load_balancer_is_too_many_rules(env):
    listener = env["listener"]["ListenerArn"]
    fixed = [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200"}}]
    for priority in range(1, 101):
        env["elb"].create_rule(ListenerArn=listener, Priority=priority, Actions=fixed,
                               Conditions=[{"Field": "path-pattern", "Values": [f"/{priority}"]}])
    assert _error_code(env["elb"].create_rule, ListenerArn=listener, Priority=101, Actions=fixed,
                       Conditions=[{"Field": "path-pattern", "Values": ["/101"]}]) == "TooManyRules"


def test_101st_target_group_on_a_load_balancer_is_refused(env):
    listener = env["listener"]["ListenerArn"]
    elb = env["elb"]
    groups = [elb.create_target_group(Name=f"tg-{i}", Protocol="HTTP", Port=80, VpcId=env["network"]["vpc"],
                                      TargetType="ip")["TargetGroups"][0]["TargetGroupArn"] for i in range(101)]
    for start in range(0, 100, 5):  # five target groups per weighted forward rule
        elb.create_rule(ListenerArn=listener, Priority=start + 1,
                        Conditions=[{"Field": "path-pattern", "Values": [f"/{start}"]}],
                        Actions=[{"Type": "forward", "ForwardConfig": {"TargetGroups": [
                            {"TargetGroupArn": arn} for arn in groups[start:start + 5]]}}])
    # a group already in use counts once
    elb.create_rule(ListenerArn=listener, Priority=200, Conditions=[{"Field": "path-pattern", "Values": ["/again"]}],
                    Actions=[{"Type": "forward", "TargetGroupArn": groups[0]}])
    assert _error_code(elb.create_rule, ListenerArn=listener, Priority=201,
                       Conditions=[{"Field": "path-pattern", "Values": ["/more"]}],
                       Actions=[{"Type": "forward", "TargetGroupArn": groups[100]}]) == \
        "TooManyUniqueTargetGroupsPerLoadBalancer"


def test_duplicate_rule_priority_is_priority_in_use(env):
    listener = env["listener"]["ListenerArn"]
    fixed = [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200"}}]
    env["elb"].create_rule(ListenerArn=listener, Priority=7, Actions=fixed,
                           Conditions=[{"Field": "path-pattern", "Values": ["/a"]}])
    assert _error_code(env["elb"].create_rule, ListenerArn=listener, Priority=7, Actions=fixed,
                       Conditions=[{"Field": "path-pattern", "Values": ["/b"]}]) == "PriorityInUse"


def test_second_listener_on_a_port_is_duplicate_listener(env):
    fixed = [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200"}}]
    assert _error_code(env["elb"].create_listener, LoadBalancerArn=env["balancer"]["LoadBalancerArn"],
                       Protocol="HTTP", Port=80, DefaultActions=fixed) == "DuplicateListener"


def test_bad_target_group_names_are_validation_errors(env):
    for name in ("a" * 33, "under_score", "-leading", "trailing-"):
        code = _error_code(env["elb"].create_target_group, Name=name, Protocol="HTTP", Port=80,
                           VpcId=env["network"]["vpc"])
        assert code == "ValidationError", name


def test_instance_target_group_refuses_what_is_not_an_existing_instance(env):
    tg = env["target_group"]("hosts")
    with pytest.raises(ClientError) as err:
        env["elb"].register_targets(TargetGroupArn=tg, Targets=[{"Id": "10.0.1.5"}])
    assert err.value.response["Error"]["Code"] == "ValidationError"
    assert err.value.response["Error"]["Message"] == "Instance ID '10.0.1.5' is not valid"
    with pytest.raises(ClientError) as err:
        env["elb"].register_targets(TargetGroupArn=tg, Targets=[{"Id": "i-0123456789abcdef0"}])
    assert err.value.response["Error"]["Code"] == "InvalidTarget"
    assert health(env, tg) == {}
