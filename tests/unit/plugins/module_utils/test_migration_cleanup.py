"""Pure functions of cleanup (guards, verdicts) and the cutover's rule helpers."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.ecsops.fargate.plugins.module_utils._migration import cleanup as c
from ansible_collections.ecsops.fargate.plugins.module_utils._migration import cutover as cut

PREFIX = "arn:aws:elasticloadbalancing:us-east-1:123456789012:"
EC2 = PREFIX + "targetgroup/ec2/0123456789abcdef"
FARGATE = PREFIX + "targetgroup/fargate/fedcba9876543210"
RULE = PREFIX + "listener-rule/app/shop/1111111111111111/2222222222222222/3333333333333333"
IDS = {"asg_name": "shop", "launch_template_id": "lt-1", "rule_arn": RULE}
NOW = datetime.datetime(2026, 11, 24, 12, 0, tzinfo=datetime.timezone.utc)


def guards(**extra):
    args = dict(confirm=True, recorded_ids=IDS, fargate_percent=100, completed_at="2026-11-24T10:00:00+00:00",
                bake_seconds=3600, now=NOW)
    args.update(extra)
    c.check_guards(**args)


def test_guards_pass_after_the_bake():
    guards()
    guards(completed_at="2026-11-24T11:00:00Z")  # exactly the bake period
    guards(completed_at="2026-11-24T10:00:00")  # naive is UTC


@pytest.mark.parametrize("extra, message", [
    ({"confirm": False}, "set confirm"),
    ({"confirm": "yes"}, "set confirm"),
    ({"recorded_ids": {}}, "lack asg_name"),
    ({"recorded_ids": dict(IDS, rule_arn=None)}, "lack rule_arn"),
    ({"fargate_percent": 90}, "sends 10 %"),
    ({"fargate_percent": None}, "split is unknown"),
    ({"completed_at": None}, "no record"),
    ({"completed_at": "2026-11-24T11:30:00+00:00"}, "1800 s more"),
    ({"completed_at": "yesterday"}, "not an ISO 8601"),
])
def test_guards_refuse(extra, message):
    with pytest.raises(c.CleanupRefused, match=message):
        guards(**extra)


def test_group_must_launch_the_recorded_template():
    group = {"AutoScalingGroupName": "shop", "LaunchTemplate": {"LaunchTemplateId": "lt-1"}}
    assert c.check_group_matches(IDS, group) is group
    assert c.check_group_matches(IDS, None) is None
    with pytest.raises(c.CleanupRefused, match="not the group discovery saw"):
        c.check_group_matches(IDS, {"AutoScalingGroupName": "shop", "LaunchTemplate": {"LaunchTemplateId": "lt-2"}})
    mixed = {"AutoScalingGroupName": "shop", "MixedInstancesPolicy": {"LaunchTemplate": {
        "LaunchTemplateSpecification": {"LaunchTemplateId": "lt-2"}}}}
    with pytest.raises(c.CleanupRefused):
        c.check_group_matches(IDS, mixed)


def test_security_group_verdicts():
    mine = [{"NetworkInterfaceId": "eni-1", "Attachment": {"InstanceId": "i-1"}}]
    assert c.security_group_verdict("sg-1", mine, {"i-1"}, [], []) == (True, None)
    assert c.security_group_verdict("sg-1", [], set(), [{"GroupId": "sg-1"}], []) == (True, None)  # self-reference
    other = mine + [{"NetworkInterfaceId": "eni-9", "Attachment": {"InstanceId": "i-9"}}]
    assert c.security_group_verdict("sg-1", other, {"i-1"}, [], []) == (False, "sg-1 is attached to other network interfaces (eni-9)")
    lambda_eni = [{"NetworkInterfaceId": "eni-7"}]  # no instance: a Lambda, an endpoint...
    assert not c.security_group_verdict("sg-1", lambda_eni, {"i-1"}, [], [])[0]
    assert c.security_group_verdict("sg-1", [], set(), [{"GroupId": "sg-2"}], []) == (False, "sg-1 is referenced by the rules of sg-2")
    assert c.security_group_verdict("sg-1", [], set(), [], ["lt-9"]) == (False, "sg-1 is used by other launch templates (lt-9)")


def test_role_verdicts_and_profile_names():
    assert c.role_verdict("r", [{"InstanceProfileName": "p"}], "p") == (True, None)
    assert c.role_verdict("r", [{"InstanceProfileName": "p"}, {"InstanceProfileName": "q"}], "p") == (
        False, "role r also serves instance profiles q")
    assert c.profile_name_of("arn:aws:iam::123456789012:instance-profile/path/shop") == "shop"
    assert c.profile_name_of("shop") == "shop"
    assert c.profile_name_of(None) is None


def forward(ec2_weight, fargate_weight, sticky=None):
    config = {"TargetGroups": [{"TargetGroupArn": EC2, "Weight": ec2_weight}, {"TargetGroupArn": FARGATE, "Weight": fargate_weight}]}
    if sticky:
        config["TargetGroupStickinessConfig"] = sticky
    return [{"Type": "forward", "ForwardConfig": config}]


def test_current_split():
    assert cut.current_split(forward(90, 10), EC2, FARGATE) == (10, {"Enabled": False})
    assert cut.current_split(forward(1, 3), EC2, FARGATE)[0] == 75
    assert cut.current_split([{"Type": "forward", "TargetGroupArn": EC2}], EC2, FARGATE)[0] == 0
    assert cut.current_split([{"Type": "forward", "TargetGroupArn": FARGATE}], EC2, FARGATE)[0] == 100
    assert cut.current_split(forward(0, 100, {"Enabled": True, "DurationSeconds": 60}), EC2, FARGATE) == (
        100, {"Enabled": True, "DurationSeconds": 60})
    for actions, message in (([], "0 forward actions"), (forward(0, 0), "weight 0"),
                             ([{"Type": "forward", "TargetGroupArn": PREFIX + "targetgroup/x/00"}], "also forwards to")):
        with pytest.raises(cut.CutoverInputError, match=message):
            cut.current_split(actions, EC2, FARGATE)


def test_with_forward_keeps_other_actions_and_order():
    auth = {"Type": "authenticate-cognito", "Order": 1, "AuthenticateCognitoConfig": {}}
    old = {"Type": "forward", "Order": 2, "TargetGroupArn": EC2}
    new = cut.forward_action(10, EC2, FARGATE)
    assert cut.with_forward([auth, old], new) == [auth, dict(new, Order=2)]
    assert cut.with_forward([{"Type": "forward", "TargetGroupArn": EC2}], new) == [new]


def test_remaining_steps_and_dimensions():
    assert cut.remaining_steps([10, 50, 100], 0) == [10, 50, 100]
    assert cut.remaining_steps([10, 50, 100], 50) == [100]
    assert cut.remaining_steps([10, 50, 100], 100) == []
    assert cut.target_group_dimension(FARGATE) == "targetgroup/fargate/fedcba9876543210"
    assert cut.load_balancer_dimension_of_rule(RULE) == "app/shop/1111111111111111"
    assert cut.listener_of_rule(RULE) == PREFIX + "listener/app/shop/1111111111111111/2222222222222222"
    with pytest.raises(cut.CutoverInputError, match="listener rule ARN"):
        cut.load_balancer_dimension_of_rule(PREFIX + "listener/app/shop/1/2")
    assert cut.metric_sum([]) is None
    assert cut.metric_sum([{"Sum": 2.0}, {"Sum": 3.0}]) == 5.0


TG = PREFIX + "targetgroup/fargate/fedcba9876543210"


def test_discovery_input():
    c.validate_discovery_input({"asg_name": "shop-web", "ssm_path": "/shop/prod/", "target_group_arn": TG})
    c.validate_discovery_input({"asg_name": "a" * 255})
    for params, message in (({"asg_name": ""}, "not an Auto Scaling group name"),
                            ({"asg_name": "a" * 256}, "not an Auto Scaling group name"),
                            ({"asg_name": "arn:aws:autoscaling"}, "no colon"),
                            ({"asg_name": "shop", "ssm_path": "shop/prod"}, "starting with /"),
                            ({"asg_name": "shop", "target_group_arn": "shop-tg"}, "not a target group ARN")):
        with pytest.raises(c.InputError, match=message):
            c.validate_discovery_input(params)


def test_cleanup_input():
    ids = {"asg_name": "shop", "launch_template_id": "lt-0123456789abcdef0", "security_group_ids": ["sg-0123456789abcdef0"],
           "instance_ids": ["i-0123456789abcdef0"]}
    c.validate_cleanup_input(ids, TG, 0)
    for bad, message in ((dict(ids, asg_name=None), "run playbooks/migrate_discover.yml"),
                         (dict(ids, launch_template_id="template"), "launch_template_id has 'template'"),
                         (dict(ids, security_group_ids=["sg-1", "default"]), "security_group_ids has 'sg-1'"),
                         (dict(ids, instance_ids=[42]), "instance_ids has 42")):
        with pytest.raises(c.InputError, match=message):
            c.validate_cleanup_input(bad, TG, 0)
    with pytest.raises(c.InputError, match="not a target group ARN"):
        c.validate_cleanup_input(ids, "fargate", 0)
    with pytest.raises(c.InputError, match="cannot be negative"):
        c.validate_cleanup_input(ids, TG, -1)
