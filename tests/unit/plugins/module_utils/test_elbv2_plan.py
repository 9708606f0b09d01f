"""fargate_alb's pure planning: validation, names, network layout, security groups, listeners, target groups,
rule priorities and rules, Route53 records."""

from __future__ import annotations

import pytest

from ansible_collections.ecsops.fargate.plugins.module_utils._elbv2 import plan as p

CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0f0e0d0c-0b0a-0908-0706-050403020100"
TG_API = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop-api/1"
TG_WEB = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop-web/2"
TG_OLD = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop-old/3"


def _params(**kwargs):
    base = dict(name="shop-dev", state="present", vpc_id="vpc-0123456789abcdef0",
                public_subnet_ids=["subnet-0000000a", "subnet-0000000b"], private_subnet_ids=[],
                certificate_arn=CERT, services=[dict(name="api", port=8000, hosts=["API.example.com"])])
    base.update(kwargs)
    return base


def _service(name, **kwargs):
    return p.normalise_service(dict(dict(name=name, port=8000, hosts=[f"{name}.example.com"]), **kwargs), "shop")


# --- validation and names ---------------------------------------------------------------------------

def test_desired_state_normalises_services():
    desired = p.desired_state(_params())
    service = desired["services"][0]
    assert service["hosts"] == ["api.example.com"]
    assert service["health_check"] == p.HEALTH_DEFAULTS
    assert service["deregistration_delay"] == 30
    assert service["target_group_name"] == "shop-dev-api"
    assert desired["ssl_policy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert desired["network"] is None


@pytest.mark.parametrize("change, message", [
    (dict(name="-bad"), "load balancer name"),
    (dict(name="internal-x"), "load balancer name"),
    (dict(name="x" * 33), "load balancer name"),
    (dict(vpc_id=None), "vpc_id"),
    (dict(public_subnet_ids=["subnet-0000000a"]), "at least two"),
    (dict(public_subnet_ids=["subnet-0000000a", "nope"]), "not a subnet id"),
    (dict(certificate_arn="not-an-arn"), "certificate_arn"),
    (dict(vpc_create={"cidr": "10.0.0.0/16"}), "not both"),
    (dict(vpc_id=None, vpc_create={"cidr": "10.0.0.1/16"}), "not a network address"),
    (dict(vpc_id=None, vpc_create={"cidr": "10.0.0.0/8"}), "/16 to /26"),
    (dict(services=[dict(name="api", port=8000, hosts=["a"]), dict(name="api", port=9000, hosts=["b"])]), "named twice"),
    (dict(services=[dict(name="api", port=8000, hosts=["a"], calls=["db"])]), "calls ['db']"),
    (dict(services=[dict(name="a", port=1, hosts=["a"], priority=5), dict(name="b", port=1, hosts=["b"], priority=5)]),
     "given twice"),
    (dict(services=[dict(name="api", port=8000)]), "no hosts and no paths"),
    (dict(services=[dict(name="api", port=70000, hosts=["a"])]), "port must be 1 to 65535"),
    (dict(services=[dict(name="api", port=80, hosts=["a"], priority=50001)]), "priority must be"),
    (dict(services=[dict(name="api", port=80, hosts=["a", "b", "c"], paths=["/x", "/y", "/z"])]), "at most 5"),
    (dict(services=[dict(name="api", port=80, hosts=["a"], health_check={"interval": 5, "timeout": 5})]),
     "less than the interval"),
    (dict(services=[dict(name="api", port=80, hosts=["a"], health_check={"codes": "ok"})]), "codes"),
    (dict(services=[dict(name="api", port=80, hosts=["a"], health_check={"path": "health"})]), "start with '/'"),
    (dict(services=[dict(name="api", port=80, hosts=["a"], deregistration_delay=4000)]), "deregistration_delay"),
    (dict(services=[dict(name="api", port=80, paths=["docs"])]), "must start with '/'"),
])
def test_bad_input_fails_before_any_call(change, message):
    with pytest.raises(p.AlbInputError, match=message.replace("[", r"\[").replace("]", r"\]").replace("(", r"\(")):
        p.desired_state(_params(**change))


def test_absent_needs_no_network_or_certificate():
    desired = p.desired_state(dict(name="shop-dev", state="absent", services=[]))
    assert desired["services"] == []


def test_domain_gives_the_default_host():
    desired = p.desired_state(_params(services=[dict(name="api", port=8000)], domain="Dev.Example.com."))
    assert desired["services"][0]["hosts"] == ["api.dev.example.com"]


def test_target_group_names_fit_32_characters_and_never_collide():
    assert p.target_group_name("shop", "api") == "shop-api"
    long_a = p.target_group_name("ecsops-demo-staging-eu", "notifications-worker")
    long_b = p.target_group_name("ecsops-demo-staging-eu", "notifications-webhook")
    assert len(long_a) <= 32 and len(long_b) <= 32 and long_a != long_b
    assert p.TG_NAME.match(long_a) and p.target_group_name("ecsops-demo-staging-eu", "notifications-worker") == long_a
    assert p.target_group_name("shop", "my_api") == "shop-my-api"


# --- network -------------------------------------------------------------------------------------

def test_subnet_layout():
    assert p.subnet_layout("10.70.0.0/16") == {"public-a": "10.70.0.0/20", "public-b": "10.70.16.0/20",
                                               "private-a": "10.70.32.0/20", "private-b": "10.70.48.0/20"}
    assert p.subnet_layout("10.1.0.0/24")["private-b"] == "10.1.0.48/28"
    assert p.subnet_layout("10.1.0.0/16", 24)["public-b"] == "10.1.1.0/24"
    with pytest.raises(p.AlbInputError, match="room for 4 subnets"):
        p.subnet_layout("10.1.0.0/16", 17)


def _tags(**tags):
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def _network_resources(associate_private_b=True):
    part = p.PART_TAG
    vpc = {"VpcId": "vpc-1", "CidrBlock": "10.70.0.0/16"}
    layout = p.subnet_layout("10.70.0.0/16")
    subnets = [{"SubnetId": f"subnet-{k}", "CidrBlock": c, "AvailabilityZone": "us-east-1" + k[-1],
                "Tags": _tags(**{part: k})} for k, c in layout.items()]
    gateways = [{"InternetGatewayId": "igw-1"}]
    private = ["subnet-private-a"] + (["subnet-private-b"] if associate_private_b else [])
    tables = [
        {"RouteTableId": "rtb-main", "Routes": [{"DestinationCidrBlock": "10.70.0.0/16", "GatewayId": "local"}],
         "Associations": [{"Main": True}]},
        {"RouteTableId": "rtb-pub", "Tags": _tags(**{part: "public"}),
         "Routes": [{"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1"}],
         "Associations": [{"SubnetId": s, "RouteTableAssociationId": "a-" + s} for s in ("subnet-public-a", "subnet-public-b")]},
        {"RouteTableId": "rtb-priv", "Tags": _tags(**{part: "private"}), "Routes": [],
         "Associations": [{"SubnetId": s, "RouteTableAssociationId": "a-" + s} for s in private]},
    ]
    return vpc, subnets, gateways, tables


def test_fresh_network_is_created_in_order():
    desired = {"cidr": "10.70.0.0/16", "layout": p.subnet_layout("10.70.0.0/16")}
    actions = [s["action"] for s in p.plan_network(None, desired)]
    assert actions == ["create_vpc"] + ["create_subnet"] * 4 + [
        "create_internet_gateway", "create_route_table", "create_route", "associate_route_table",
        "associate_route_table", "create_route_table", "associate_route_table", "associate_route_table"]


def test_complete_network_needs_nothing_and_a_lost_association_is_put_back():
    desired = {"cidr": "10.70.0.0/16", "layout": p.subnet_layout("10.70.0.0/16")}
    assert p.plan_network(p.current_network(*_network_resources()), desired) == []
    steps = p.plan_network(p.current_network(*_network_resources(associate_private_b=False)), desired)
    assert steps == [{"action": "associate_route_table", "part": "private", "subnet": "private-b"}]
    with pytest.raises(p.AlbInputError, match="cannot change"):
        p.plan_network(p.current_network(*_network_resources()), dict(desired, cidr="10.71.0.0/16"))


# --- security groups -------------------------------------------------------------------------------

def test_security_groups_let_in_the_alb_and_callers_only():
    services = [_service("api"), _service("web", port=3000, calls=["api"])]
    groups = p.desired_security_groups("shop", services)
    assert groups["alb"]["ingress"] == [("tcp", 443, 443, "cidr:0.0.0.0/0"), ("tcp", 80, 80, "cidr:0.0.0.0/0")]
    assert groups["service:api"]["ingress"] == [("tcp", 8000, 8000, "group:alb"), ("tcp", 8000, 8000, "group:service:web")]
    assert groups["service:web"]["ingress"] == [("tcp", 3000, 3000, "group:alb")]
    assert groups["service:api"]["name"] == "shop-api"


def test_rules_of_a_group_compare_with_resolved_ids():
    desired = p.resolve_rules([("tcp", 8000, 8000, "group:alb"), ("tcp", 8000, 8000, "group:service:web")],
                              {"alb": "sg-a", "service:web": "sg-w"})
    current = p.normalise_permissions([
        {"IpProtocol": "tcp", "FromPort": 8000, "ToPort": 8000, "UserIdGroupPairs": [{"GroupId": "sg-a"}]},
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    steps = p.plan_rules_of_group("service:api", current, desired)
    assert steps == [
        {"action": "authorize_ingress", "group": "service:api", "rules": [("tcp", 8000, 8000, "sg:sg-w")]},
        {"action": "revoke_ingress", "group": "service:api", "rules": [("tcp", 22, 22, "cidr:0.0.0.0/0")]}]
    assert p.permissions([("tcp", 8000, 8000, "sg:sg-w")]) == [
        {"IpProtocol": "tcp", "FromPort": 8000, "ToPort": 8000, "UserIdGroupPairs": [{"GroupId": "sg-w"}]}]
    assert p.plan_rules_of_group("x", desired, desired) == []


def test_tag_changes_keep_aws_tags():
    assert p.tag_changes({"a": "1", "aws:x": "y", "old": "z"}, {"a": "1", "b": 2}, True) == ({"b": "2"}, ["old"])
    assert p.tag_changes({"old": "z"}, {}, False) == ({}, [])


# --- load balancer, listeners, target groups --------------------------------------------------------

def test_load_balancer_plan():
    lb = {"LoadBalancerName": "shop", "Scheme": "internet-facing", "Type": "application",
          "AvailabilityZones": [{"SubnetId": "subnet-b"}, {"SubnetId": "subnet-a"}], "SecurityGroups": ["sg-1"]}
    assert p.plan_load_balancer(None, ["subnet-a", "subnet-b"], ["sg-1"]) == [{"action": "create_load_balancer"}]
    assert p.plan_load_balancer(lb, ["subnet-a", "subnet-b"], ["sg-1"]) == []
    assert [s["action"] for s in p.plan_load_balancer(lb, ["subnet-a", "subnet-c"], ["sg-2"])] == [
        "set_subnets", "set_security_groups"]
    with pytest.raises(p.AlbInputError, match="internal"):
        p.plan_load_balancer(dict(lb, Scheme="internal"), ["subnet-a"], ["sg-1"])


def test_listeners_compare_default_actions_certificate_and_policy():
    wanted = p.desired_listeners({"certificate_arn": CERT, "ssl_policy": p.DEFAULT_SSL_POLICY})
    http = {"ListenerArn": "l80", "Protocol": "HTTP", "DefaultActions": [p.aws_action(p.redirect_action())]}
    https = {"ListenerArn": "l443", "Protocol": "HTTPS", "SslPolicy": p.DEFAULT_SSL_POLICY,
             "Certificates": [{"CertificateArn": CERT}], "DefaultActions": [p.aws_action(p.not_found_action())]}
    assert p.plan_listener(80, http, wanted[80]) == []
    assert p.plan_listener(443, https, wanted[443]) == []
    assert p.plan_listener(443, None, wanted[443]) == [{"action": "create_listener", "port": 443}]
    other = dict(https, SslPolicy="ELBSecurityPolicy-2016-08")
    assert p.plan_listener(443, other, wanted[443]) == [{"action": "modify_listener", "port": 443, "listener_arn": "l443"}]
    forward = dict(http, DefaultActions=[{"Type": "forward", "TargetGroupArn": TG_API}])
    assert p.plan_listener(80, forward, wanted[80])[0]["action"] == "modify_listener"


def test_forward_actions_normalise_from_either_shape():
    plain = {"Type": "forward", "TargetGroupArn": TG_API}
    config = {"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": TG_API, "Weight": 1}]}}
    assert p.normalise_action(plain) == p.normalise_action(config) == p.forward_action(TG_API)


def _group(**kwargs):
    base = {"TargetGroupArn": TG_API, "TargetGroupName": "shop-api", "Port": 8000, "Protocol": "HTTP",
            "TargetType": "ip", "VpcId": "vpc-1", "HealthCheckPath": "/health", "Matcher": {"HttpCode": "200"},
            "HealthCheckIntervalSeconds": 30, "HealthCheckTimeoutSeconds": 5, "HealthyThresholdCount": 2,
            "UnhealthyThresholdCount": 3}
    base.update(kwargs)
    return base


def test_target_group_plan():
    wanted = p.desired_target_group(_service("api"), "vpc-1")
    wanted["name"] = "shop-api"
    same = {"deregistration_delay.timeout_seconds": "30"}
    assert p.plan_target_group("api", None, None, wanted)[0]["action"] == "create_target_group"
    assert p.plan_target_group("api", _group(), same, wanted) == []
    steps = p.plan_target_group("api", _group(HealthCheckPath="/"), {"deregistration_delay.timeout_seconds": "300"},
                                wanted)
    assert [s["action"] for s in steps] == ["modify_target_group", "set_deregistration_delay"]
    with pytest.raises(p.AlbInputError, match="port cannot change"):
        p.plan_target_group("api", _group(Port=9000), same, wanted)


# --- rule priorities and rules ------------------------------------------------------------------------

def test_priorities_given_kept_derived_and_banded():
    services = [_service("api", priority=10), _service("web"), _service("docs", hosts=[], paths=["/docs/*"]),
                _service("shop", paths=["/shop/*"])]
    first = p.assign_priorities(services, {}, set())
    assert first["api"] == 10
    assert 33000 <= first["web"] <= 48999
    assert 17000 <= first["docs"] <= 32999
    assert 1000 <= first["shop"] <= 16999
    assert p.assign_priorities(services, {}, set()) == first
    kept = p.assign_priorities(services, {"web": 40000}, set())
    assert kept["web"] == 40000
    assert len(set(first.values())) == 4


def test_priorities_never_collide():
    services = [_service("web")]
    derived = p.assign_priorities(services, {}, set())["web"]
    moved = p.assign_priorities(services, {}, {derived})["web"]
    assert moved != derived and 33000 <= moved <= 48999
    # A kept priority that a given one now claims moves on.
    services = [_service("web"), _service("api", priority=derived)]
    out = p.assign_priorities(services, {"web": derived}, set())
    assert out["api"] == derived and out["web"] != derived
    with pytest.raises(p.AlbInputError, match="does not manage"):
        p.assign_priorities([_service("api", priority=7)], {}, {7})


def _rule(arn, priority, tg, hosts):
    return {"RuleArn": arn, "Priority": str(priority), "IsDefault": False,
            "Conditions": [{"Field": "host-header", "HostHeaderConfig": {"Values": hosts}}],
            "Actions": [{"Type": "forward", "TargetGroupArn": tg}]}


def test_rules_plan_creates_modifies_moves_and_deletes():
    services = [_service("api", priority=10), _service("web", priority=20, hosts=["www.example.com"])]
    arns = {"api": TG_API, "web": TG_WEB}
    default = {"RuleArn": "default", "Priority": "default", "IsDefault": True, "Conditions": [], "Actions": []}
    same = [default, _rule("r-api", 10, TG_API, ["api.example.com"]), _rule("r-web", 20, TG_WEB, ["www.example.com"])]
    steps, priorities = p.plan_rules(same, services, arns, {TG_API, TG_WEB}, purge=False)[:2]
    assert steps == [] and priorities == {"api": 10, "web": 20}

    drifted = [default, _rule("r-api", 11, TG_API, ["old.example.com"]), _rule("r-old", 30, TG_OLD, ["old"]),
               _rule("r-foreign", 40, "arn:other", ["x"])]
    steps = p.plan_rules(drifted, services, arns, {TG_API, TG_WEB, TG_OLD}, purge=False)[0]
    assert steps == [
        {"action": "delete_rule", "rule_arn": "r-old", "priority": 30},
        {"action": "modify_rule", "service": "api", "rule_arn": "r-api"},
        {"action": "set_rule_priorities", "priorities": {"r-api": 10}},
        {"action": "create_rule", "service": "web", "priority": 20},
    ]
    steps = p.plan_rules(drifted, services, arns, {TG_API, TG_WEB, TG_OLD}, purge=True)[0]
    assert {"action": "delete_rule", "rule_arn": "r-foreign", "priority": 40} in steps


def test_conditions_compare_case_insensitively_on_hosts():
    service = _service("api", hosts=["API.example.com"], paths=["/v1/*"])
    assert p.normalise_conditions(p.aws_conditions(p.rule_conditions(service))) == {
        "host-header": ["api.example.com"], "path-pattern": ["/v1/*"]}


# --- Route53 and results -------------------------------------------------------------------------------

def test_records_in_the_zone_only():
    services = [_service("api", hosts=["api.dev.example.com", "api.other.org", "*.dev.example.com", "a?.example.com"])]
    assert p.record_names(services, "example.com.") == ["*.dev.example.com", "api.dev.example.com"]


def test_record_plan_upserts_missing_and_deletes_stale_aliases():
    dns = "shop-1.us-east-1.elb.amazonaws.com"
    current = [
        {"Name": "api.example.com.", "Type": "A",
         "AliasTarget": {"DNSName": f"dualstack.{dns}.", "HostedZoneId": "Z35SXDOTRQ7X7K"}},
        {"Name": "old.example.com.", "Type": "A",
         "AliasTarget": {"DNSName": f"dualstack.{dns}.", "HostedZoneId": "Z35SXDOTRQ7X7K"}},
        {"Name": "\\052.example.com.", "Type": "A", "AliasTarget": {"DNSName": "other.", "HostedZoneId": "Z"}},
    ]
    changes = p.plan_records(current, ["api.example.com", "*.example.com", "www.example.com"], dns, "Z35SXDOTRQ7X7K",
                             ["old.example.com"])
    assert [(c["action"], c["name"]) for c in changes] == [
        ("UPSERT", "*.example.com"), ("UPSERT", "www.example.com"), ("DELETE", "old.example.com")]
    assert p.alias_record("www.example.com", dns, "Z35")["AliasTarget"]["DNSName"] == f"dualstack.{dns}"


def test_urls():
    assert p.url(_service("api")) == "https://api.example.com/"
    assert p.url(_service("docs", hosts=["docs.example.com"], paths=["/v2/*"])) == "https://docs.example.com/v2/"
    assert p.url(_service("docs", hosts=[], paths=["/docs/*"]), "lb.example") == "https://lb.example/docs/"
    assert p.url(_service("any", hosts=["*.example.com"])) is None


def test_describe_step_hides_internal_fields():
    assert p.describe_step({"action": "authorize_ingress", "group": "alb", "rules": [("tcp", 80, 80, "cidr:0.0.0.0/0")]}) \
        == "authorize ingress (group=alb, rules=['tcp 80-80 from cidr:0.0.0.0/0'])"
