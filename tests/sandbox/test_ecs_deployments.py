"""Deployment strategies and failure detection in the sandbox's ECS: CloudWatch deployment alarms,
ECS-native blue/green with a production listener rule and bake time, and the service deployment APIs."""

import pytest

from helpers import awsvpc_configuration, fargate_task_definition, make_alb, make_network, pullable_image, wait_until

CLUSTER = "apps"
ALARM = "api-5xx"


@pytest.fixture
def env(sandbox):
    network = make_network(sandbox)
    ecs = sandbox.aws("ecs")
    ecs.create_cluster(clusterName=CLUSTER)
    return {"sandbox": sandbox, "ecs": ecs, "network": network,
            "v1": fargate_task_definition(sandbox, pullable_image(sandbox, "v1")),
            "v2": fargate_task_definition(sandbox, pullable_image(sandbox, "v2"))}


def create_service(env, configuration, desired=2, **extra):
    return env["ecs"].create_service(
        cluster=CLUSTER, serviceName="api", taskDefinition=env["v1"], desiredCount=desired, launchType="FARGATE",
        networkConfiguration=awsvpc_configuration(env["network"]), deploymentConfiguration=configuration, **extra,
    )["service"]


def describe(env):
    return env["ecs"].describe_services(cluster=CLUSTER, services=["api"])["services"][0]


def settled(env):
    service = describe(env)
    done = service["deployments"][0]["rolloutState"] != "IN_PROGRESS" and len(service["deployments"]) == 1
    return service if done else None


def messages(service):
    return [e["message"] for e in service["events"]]


def service_deployments(env):
    briefs = env["ecs"].list_service_deployments(cluster=CLUSTER, service="api")["serviceDeployments"]
    arns = [b["serviceDeploymentArn"] for b in briefs]
    return briefs, env["ecs"].describe_service_deployments(serviceDeploymentArns=arns)["serviceDeployments"]


# -- deployment alarms ---------------------------------------------------------------------
def put_alarm(sandbox, period=60):
    sandbox.aws("cloudwatch").put_metric_alarm(
        AlarmName=ALARM, Namespace="AWS/ApplicationELB", MetricName="HTTPCode_Target_5XX_Count", Statistic="Sum",
        Period=period, EvaluationPeriods=1, Threshold=10, ComparisonOperator="GreaterThanThreshold",
        TreatMissingData="notBreaching")


ALARMS = {"alarms": {"alarmNames": [ALARM], "enable": True, "rollback": True}}


def test_alarm_in_alarm_during_the_deployment_fails_it_and_rolls_back(env):
    sandbox = env["sandbox"]
    put_alarm(sandbox)
    create_service(env, ALARMS)
    first = wait_until(lambda: settled(env), timeout=5)
    env["ecs"].update_service(cluster=CLUSTER, service="api", taskDefinition=env["v2"])
    failed_id = describe(env)["deployments"][0]["id"]
    sandbox.aws("cloudwatch").set_alarm_state(AlarmName=ALARM, StateValue="ALARM", StateReason="test")

    def rolled_back():
        service = settled(env)
        return service if service and service["deployments"][0]["id"] != failed_id else None

    service = wait_until(rolled_back, timeout=10)
    primary = service["deployments"][0]
    assert primary["taskDefinition"] == env["v1"] and primary["rolloutState"] == "COMPLETED"
    events = messages(service)
    assert f"(service api) rolling back to deployment {first['deployments'][0]['id']}." in events
    assert any(m.startswith(f"(service api) (deployment {failed_id}) deployment failed: ") for m in events)
    briefs, records = service_deployments(env)
    failed = next(r for r in records if r["targetServiceRevision"]["arn"].endswith(failed_id.split("/")[1]))
    assert failed["status"] == "ROLLBACK_SUCCESSFUL"
    assert failed["alarms"]["status"] == "TRIGGERED" and failed["alarms"]["triggeredAlarmNames"] == [ALARM]
    assert ALARM in failed["rollback"]["reason"]


def test_deployment_with_alarms_bakes_then_completes(env):
    sandbox = env["sandbox"]
    put_alarm(sandbox)
    create_service(env, ALARMS, desired=1)
    wait_until(lambda: settled(env), timeout=5)
    env["ecs"].update_service(cluster=CLUSTER, service="api", taskDefinition=env["v2"])

    def running_but_baking():
        service = describe(env)
        primary = service["deployments"][0]
        return len(service["deployments"]) == 1 and primary["runningCount"] == 1 and \
            primary["rolloutState"] == "IN_PROGRESS"

    wait_until(running_but_baking, timeout=5)  # steady, yet IN_PROGRESS while the alarm is watched
    service = wait_until(lambda: settled(env), timeout=5)
    assert service["deployments"][0]["rolloutState"] == "COMPLETED"
    assert service["deployments"][0]["taskDefinition"] == env["v2"]


def test_alarm_already_in_alarm_when_the_deployment_starts_is_not_monitored(env):
    sandbox = env["sandbox"]
    put_alarm(sandbox)
    create_service(env, ALARMS, desired=1)
    wait_until(lambda: settled(env), timeout=5)
    cloudwatch = sandbox.aws("cloudwatch")
    cloudwatch.put_metric_data(Namespace="AWS/ApplicationELB", MetricData=[
        {"MetricName": "HTTPCode_Target_5XX_Count", "Value": 100, "Unit": "Count"}])
    wait_until(lambda: cloudwatch.describe_alarms(AlarmNames=[ALARM])["MetricAlarms"][0]["StateValue"] == "ALARM",
               timeout=5)
    env["ecs"].update_service(cluster=CLUSTER, service="api", taskDefinition=env["v2"])
    service = wait_until(lambda: settled(env), timeout=5)
    assert cloudwatch.describe_alarms(AlarmNames=[ALARM])["MetricAlarms"][0]["StateValue"] == "ALARM"
    assert service["deployments"][0]["rolloutState"] == "COMPLETED"
    assert service["deployments"][0]["taskDefinition"] == env["v2"]


# -- blue/green ------------------------------------------------------------------------------
@pytest.fixture
def blue_green(env):
    sandbox = env["sandbox"]
    # AWS's default health checks (5 x 30 s) leave green observable before traffic moves.
    alb = make_alb(sandbox, env["network"], target_groups=("blue", "green"), health_interval=30, healthy_threshold=5,
                   deregistration_delay=5)
    blue, green = alb["target_groups"]["blue"], alb["target_groups"]["green"]
    rule = sandbox.aws("elbv2").create_rule(
        ListenerArn=alb["listener"], Priority=10, Conditions=[{"Field": "path-pattern", "Values": ["/*"]}],
        Actions=[{"Type": "forward", "ForwardConfig": {"TargetGroups": [
            {"TargetGroupArn": blue, "Weight": 100}, {"TargetGroupArn": green, "Weight": 0}]}}],
    )["Rules"][0]["RuleArn"]
    role = sandbox.aws("iam").create_role(RoleName="ecs-infrastructure", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    load_balancers = [{"targetGroupArn": blue, "containerName": "web", "containerPort": 80,
                       "advancedConfiguration": {"alternateTargetGroupArn": green, "productionListenerRule": rule,
                                                 "roleArn": role}}]
    return {"blue": blue, "green": green, "rule": rule, "load_balancers": load_balancers}


def weights(env, rule):
    rules = env["sandbox"].aws("elbv2").describe_rules(RuleArns=[rule])["Rules"]
    groups = rules[0]["Actions"][0]["ForwardConfig"]["TargetGroups"]
    return {g["TargetGroupArn"]: g["Weight"] for g in groups}


def registered(env, tg):
    descriptions = env["sandbox"].aws("elbv2").describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]
    return {d["Target"]["Id"]: d["TargetHealth"]["State"] for d in descriptions}


BLUE_GREEN = {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 1,
              "deploymentCircuitBreaker": {"enable": True, "rollback": True}}


def test_blue_green_tests_green_then_switches_the_production_rule_then_stops_blue(env, blue_green):
    sandbox = env["sandbox"]
    blue, green, rule = blue_green["blue"], blue_green["green"], blue_green["rule"]
    service = create_service(env, BLUE_GREEN, loadBalancers=blue_green["load_balancers"])
    assert service["deploymentConfiguration"]["strategy"] == "BLUE_GREEN"
    assert service["loadBalancers"] == blue_green["load_balancers"]
    wait_until(lambda: settled(env), timeout=5)
    assert len(registered(env, blue)) == 2 and registered(env, green) == {}
    assert sandbox.alb_request("alb", "/")[1]["task_definition"] == env["v1"]

    env["ecs"].update_service(cluster=CLUSTER, service="api", taskDefinition=env["v2"])
    # Green starts in the alternate target group while production still goes to blue.
    wait_until(lambda: len(registered(env, green)) == 2, timeout=5)
    assert weights(env, rule) == {blue: 100, green: 0}
    assert sandbox.alb_request("alb", "/")[1]["task_definition"] == env["v1"]
    # Once green is healthy, the production rule forwards to it; blue keeps running during the bake time.
    def switched():
        if weights(env, rule) != {blue: 0, green: 100}:
            return None
        return {"blue": registered(env, blue), "rollout": describe(env)["deployments"][0]["rolloutState"],
                "served": sandbox.alb_request("alb", "/")[1]["task_definition"]}

    at_switch = wait_until(switched, timeout=5)
    assert at_switch["served"] == env["v2"]
    assert at_switch["rollout"] == "IN_PROGRESS"
    assert set(at_switch["blue"].values()) == {"healthy"}
    service = wait_until(lambda: settled(env), timeout=5)
    assert service["deployments"][0]["taskDefinition"] == env["v2"]
    assert wait_until(lambda: registered(env, blue) == {}, timeout=5)
    assert set(registered(env, green).values()) == {"healthy"}
    # The next deployment goes the other way round.
    env["ecs"].update_service(cluster=CLUSTER, service="api", taskDefinition=env["v1"])
    wait_until(lambda: weights(env, rule) == {blue: 100, green: 0}, timeout=5)
    wait_until(lambda: settled(env), timeout=5)
    assert sandbox.alb_request("alb", "/")[1]["task_definition"] == env["v1"]


def test_blue_green_failure_before_the_switch_rolls_back_without_moving_traffic(env, blue_green):
    sandbox = env["sandbox"]
    blue, green, rule = blue_green["blue"], blue_green["green"], blue_green["rule"]
    create_service(env, BLUE_GREEN, loadBalancers=blue_green["load_balancers"])
    first = wait_until(lambda: settled(env), timeout=5)
    sandbox.add_fault({"image": ":v2"}, "crash")
    env["ecs"].update_service(cluster=CLUSTER, service="api", taskDefinition=env["v2"])
    failed_id = describe(env)["deployments"][0]["id"]
    switched = []

    def rolled_back():
        switched.append(weights(env, rule)[green])
        service = settled(env)
        return service if service and service["deployments"][0]["taskDefinition"] == env["v1"] else None

    service = wait_until(rolled_back, timeout=10)
    assert set(switched) == {0}  # production never moved to green
    assert service["deployments"][0]["id"] == first["deployments"][0]["id"]
    events = messages(service)
    assert f"(service api) (deployment {failed_id}) deployment failed: tasks failed to start." in events
    assert f"(service api) rolling back to deployment {first['deployments'][0]['id']}." in events
    assert sandbox.alb_request("alb", "/")[1]["task_definition"] == env["v1"]
    wait_until(lambda: registered(env, green) == {}, timeout=5)


# -- service deployments API -------------------------------------------------------------------
def test_service_deployments_list_and_describe(env):
    create_service(env, {"deploymentCircuitBreaker": {"enable": True, "rollback": True}}, desired=1)
    first = wait_until(lambda: settled(env), timeout=5)
    env["ecs"].update_service(cluster=CLUSTER, service="api", taskDefinition=env["v2"])
    second = wait_until(lambda: (s := settled(env)) and s["deployments"][0]["taskDefinition"] == env["v2"] and s,
                        timeout=5)
    briefs, records = service_deployments(env)
    assert [b["status"] for b in briefs] == ["SUCCESSFUL", "SUCCESSFUL"]  # newest first
    service = describe(env)
    assert service["currentServiceDeployment"] == briefs[0]["serviceDeploymentArn"]
    assert briefs[0]["serviceDeploymentArn"].startswith(
        "arn:aws:ecs:us-east-1:123456789012:service-deployment/apps/api/")
    newest = records[0]
    assert newest["targetServiceRevision"]["arn"] == (
        "arn:aws:ecs:us-east-1:123456789012:service-revision/apps/api/"
        + second["deployments"][0]["id"].split("/")[1])
    assert newest["targetServiceRevision"]["runningTaskCount"] == 1
    assert [s["arn"].rsplit("/", 1)[1] for s in newest["sourceServiceRevisions"]] == \
        [first["deployments"][0]["id"].split("/")[1]]
    assert newest["deploymentCircuitBreaker"] == {"status": "MONITORING", "failureCount": 0, "threshold": 3}
    assert newest["finishedAt"] >= newest["startedAt"]
    only = env["ecs"].list_service_deployments(cluster=CLUSTER, service="api", maxResults=1)
    assert len(only["serviceDeployments"]) == 1 and "nextToken" in only
    missing = briefs[0]["serviceDeploymentArn"][:-3] + "xyz"
    answer = env["ecs"].describe_service_deployments(serviceDeploymentArns=[missing])
    assert answer["serviceDeployments"] == [] and answer["failures"] == [{"arn": missing, "reason": "MISSING"}]


def test_service_revisions_describe_what_each_deployment_rolled_out(env):
    create_service(env, {"deploymentCircuitBreaker": {"enable": True, "rollback": True}}, desired=1)
    wait_until(lambda: settled(env), timeout=5)
    env["ecs"].update_service(cluster=CLUSTER, service="api", taskDefinition=env["v2"])
    wait_until(lambda: (s := settled(env)) and s["deployments"][0]["taskDefinition"] == env["v2"] and s, timeout=5)
    briefs, _ = service_deployments(env)
    arns = [b["targetServiceRevisionArn"] for b in briefs]  # newest first: v2, then v1 (drained, still described)
    missing = arns[0][:-3] + "xyz"
    answer = env["ecs"].describe_service_revisions(serviceRevisionArns=arns + [missing])
    assert [r["taskDefinition"] for r in answer["serviceRevisions"]] == [env["v2"], env["v1"]]
    newest = answer["serviceRevisions"][0]
    assert newest["serviceRevisionArn"] == arns[0]
    assert newest["launchType"] == "FARGATE"
    assert newest["networkConfiguration"] == awsvpc_configuration(env["network"])
    assert newest["containerImages"][0]["image"].endswith("/app:v2")
    assert answer["failures"] == [{"arn": missing, "reason": "MISSING"}]
    with pytest.raises(Exception) as empty:
        env["ecs"].describe_service_revisions(serviceRevisionArns=[])
    assert "InvalidParameterException" in str(empty.value)
