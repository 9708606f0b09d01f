"""The waker's Lambda handler against fake ECS and ELBv2 clients: what it answers, what it writes."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.ecsops.fargate.plugins.module_utils import scale_to_zero_waker as waker
from ansible_collections.ecsops.fargate.plugins.module_utils._scale_to_zero import waker as deploy

SERVICE_TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/api/1111"
WAKER_TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/ecsops-s2z-abc/2222"
RULE = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/lb/3/4/5"
ENV = {"ECSOPS_CLUSTER": "dev", "ECSOPS_SERVICE": "api", "ECSOPS_WAKE_COUNT": "2",
       "ECSOPS_TARGET_GROUP_ARN": SERVICE_TG, "ECSOPS_RULE_ARNS": RULE, "ECSOPS_REFRESH_SECONDS": "3"}
EVENT = {"requestContext": {"elb": {"targetGroupArn": WAKER_TG}}, "httpMethod": "GET", "path": "/orders",
         "queryStringParameters": {"page": "2"}, "headers": {"host": "api.dev.example.com"}}


class FakeEcs:
    def __init__(self, desired=0, status="ACTIVE"):
        self.service = {"serviceName": "api", "status": status, "desiredCount": desired}
        self.updates = []

    def describe_services(self, cluster, services):
        assert (cluster, services) == ("dev", ["api"])
        return {"services": [copy.deepcopy(self.service)] if self.service["status"] else []}

    def update_service(self, cluster, service, desiredCount):
        self.updates.append(desiredCount)
        self.service["desiredCount"] = desiredCount


class FakeElb:
    def __init__(self, states=(), forward_to=WAKER_TG):
        self.states = list(states)
        self.rule = {"RuleArn": RULE, "Priority": "10", "IsDefault": False,
                     "Conditions": [{"Field": "host-header", "Values": ["api.dev.example.com"]}],
                     "Actions": [{"Type": "forward", "TargetGroupArn": forward_to, "Order": 1}]}
        self.modified = []

    def describe_target_health(self, TargetGroupArn):
        assert TargetGroupArn == SERVICE_TG
        return {"TargetHealthDescriptions": [{"Target": {"Id": f"10.0.0.{i}"}, "TargetHealth": {"State": s}}
                                             for i, s in enumerate(self.states)]}

    def describe_rules(self, RuleArns):
        assert RuleArns == [RULE]
        return {"Rules": [copy.deepcopy(self.rule)]}

    def modify_rule(self, RuleArn, Actions):
        self.modified.append((RuleArn, Actions))
        self.rule["Actions"] = Actions


def test_first_request_to_a_parked_service_starts_it_and_answers_a_refreshing_page():
    ecs, elb = FakeEcs(desired=0), FakeElb()
    response = waker.handle(EVENT, ecs, elb, waker.config_from_env(ENV))
    assert ecs.updates == [2]
    assert response["statusCode"] == 503
    assert response["headers"]["Refresh"] == "3" and response["headers"]["Retry-After"] == "3"
    assert response["headers"]["X-Ecsops-Waker"] == "starting"
    assert '<meta http-equiv="refresh" content="3">' in response["body"]
    assert "api is starting up" in response["body"]
    assert response["_waker"]["action"] == "woke"
    assert elb.modified == []


def test_later_requests_while_starting_change_nothing():
    ecs, elb = FakeEcs(desired=2), FakeElb(states=["initial", "initial"])
    response = waker.handle(EVENT, ecs, elb, waker.config_from_env(ENV))
    assert ecs.updates == []
    assert response["statusCode"] == 503
    assert "Waiting for 2 task(s)" in response["body"]
    assert elb.modified == []


def test_once_a_target_is_healthy_the_rule_goes_back_and_the_client_is_redirected():
    ecs, elb = FakeEcs(desired=2), FakeElb(states=["healthy", "initial"])
    response = waker.handle(EVENT, ecs, elb, waker.config_from_env(ENV))
    assert response["statusCode"] == 307
    assert response["headers"]["Location"] == "/orders?page=2"
    assert elb.modified == [(RULE, [{"Type": "forward", "Order": 1, "TargetGroupArn": SERVICE_TG}])]
    assert response["_waker"]["rules_restored"] == [RULE]


def test_a_rule_already_back_is_not_modified_again():
    ecs, elb = FakeEcs(desired=2), FakeElb(states=["healthy"], forward_to=SERVICE_TG)
    response = waker.handle(EVENT, ecs, elb, waker.config_from_env(ENV))
    assert response["statusCode"] == 307
    assert elb.modified == []


def test_a_deleted_service_answers_404_and_writes_nothing():
    ecs, elb = FakeEcs(status=""), FakeElb()
    response = waker.handle(EVENT, ecs, elb, waker.config_from_env(ENV))
    assert response["statusCode"] == 404 and ecs.updates == [] and elb.modified == []


def test_the_page_escapes_the_service_name():
    assert "<script>" not in waker.page("<script>", 5, "x")


@pytest.mark.parametrize("env, message", [
    ({k: v for k, v in ENV.items() if k != "ECSOPS_SERVICE"}, "lacks ECSOPS_SERVICE"),
    (dict(ENV, ECSOPS_WAKE_COUNT="0"), "at least 1"),
    (dict(ENV, ECSOPS_WAKE_COUNT="two"), "non-integer"),
])
def test_an_incomplete_environment_is_refused(env, message):
    with pytest.raises(waker.WakerConfigError, match=message):
        waker.config_from_env(env)


def test_weighted_forwards_count_only_groups_with_weight():
    rule = {"Actions": [{"Type": "forward", "ForwardConfig": {"TargetGroups": [
        {"TargetGroupArn": SERVICE_TG, "Weight": 1}, {"TargetGroupArn": WAKER_TG, "Weight": 0}]}}]}
    assert waker.forwards_to(rule, SERVICE_TG)
    assert not waker.forwards_to(rule, WAKER_TG)


def test_the_package_is_the_handler_alone_and_the_same_bytes_every_time():
    import io
    import zipfile
    first, second = deploy.package(), deploy.package()
    assert first == second
    names = zipfile.ZipFile(io.BytesIO(first)).namelist()
    assert names == ["scale_to_zero_waker.py"]
    code = zipfile.ZipFile(io.BytesIO(first)).read("scale_to_zero_waker.py").decode()
    assert "ansible_collections" not in code.split('"""', 2)[2]  # imports nothing from the collection


def test_service_rules_skip_the_default_and_the_keepalive_rule():
    keepalive = deploy.keepalive_value("dev", "api")
    spec = deploy.keepalive_rule(keepalive, SERVICE_TG, ["10", "50000", "default"])
    assert spec["priority"] == 49999
    rules = [
        {"RuleArn": "default", "IsDefault": True, "Actions": [{"Type": "forward", "TargetGroupArn": SERVICE_TG}]},
        {"RuleArn": "keepalive", "IsDefault": False, "Conditions": spec["conditions"], "Actions": spec["actions"]},
        {"RuleArn": "api", "IsDefault": False, "Actions": [{"Type": "forward", "TargetGroupArn": WAKER_TG}]},
        {"RuleArn": "other", "IsDefault": False, "Actions": [{"Type": "forward", "TargetGroupArn": "x"}]},
    ]
    assert [r["RuleArn"] for r in deploy.service_rules(rules, SERVICE_TG, WAKER_TG, keepalive)] == ["api"]


@pytest.mark.parametrize("reference, name", [
    ("dev-waker", "dev-waker"),
    ("arn:aws:iam::123456789012:role/dev-waker", "dev-waker"),
    ("arn:aws:iam::123456789012:role/service-role/dev-waker", "dev-waker"),
])
def test_role_references(reference, name):
    assert deploy.role_name(reference) == name


@pytest.mark.parametrize("reference", ["arn:aws:iam::123:role/x", "arn:aws:s3:::bucket", "bad role name"])
def test_bad_role_references_are_refused(reference):
    with pytest.raises(deploy.WakerInputError):
        deploy.role_name(reference)


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


class HealthySoon(FakeElb):
    """A target that is `initial` for the first reads, then healthy."""

    def __init__(self, initial_reads):
        super().__init__(states=["initial"])
        self.reads = 0
        self.initial_reads = initial_reads

    def describe_target_health(self, TargetGroupArn):
        self.reads += 1
        self.states = ["initial"] if self.reads <= self.initial_reads else ["healthy"]
        return super().describe_target_health(TargetGroupArn)


def test_with_health_checks_under_way_the_request_is_held_until_healthy():
    clock, ecs, elb = Clock(), FakeEcs(desired=2), HealthySoon(initial_reads=3)
    response = waker.handle(EVENT, ecs, elb, waker.config_from_env(dict(ENV, ECSOPS_HOLD_SECONDS="5")),
                            sleep=clock.sleep, clock=clock)
    assert response["statusCode"] == 307 and clock.now == 3.0


def test_the_hold_ends_with_the_page_when_the_target_is_not_healthy_in_time():
    clock, ecs, elb = Clock(), FakeEcs(desired=2), HealthySoon(initial_reads=100)
    response = waker.handle(EVENT, ecs, elb, waker.config_from_env(dict(ENV, ECSOPS_HOLD_SECONDS="5")),
                            sleep=clock.sleep, clock=clock)
    assert response["statusCode"] == 503 and clock.now == 5.0


def test_no_hold_while_no_task_is_registered():
    clock, ecs, elb = Clock(), FakeEcs(desired=0), FakeElb()
    response = waker.handle(EVENT, ecs, elb, waker.config_from_env(dict(ENV, ECSOPS_HOLD_SECONDS="5")),
                            sleep=clock.sleep, clock=clock)
    assert response["statusCode"] == 503 and clock.now == 0.0
