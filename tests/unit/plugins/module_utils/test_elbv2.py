"""The ELBv2 API layer: ARN helpers (pure), batching, paging and the 'missing' mapping (Stubber)."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from ansible_collections.ecsops.fargate.plugins.module_utils import elbv2
from ansible_collections.ecsops.fargate.plugins.module_utils.api import EcsopsAWSError

LB = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web-dev/50dc6c495c0c9188"
TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-dev-api/73e2d6bc24d8a067"
LISTENER = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web-dev/50dc6c495c0c9188/f2f7dc8efc522ab2"


@pytest.fixture(name="elb")
def fixture_elb():
    client = boto3.client(
        "elbv2", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing",
        endpoint_url="http://127.0.0.1:1",  # never reached: Stubber answers every call
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def test_dimensions_and_resource_label():
    assert elbv2.load_balancer_dimension(LB) == "app/web-dev/50dc6c495c0c9188"
    assert elbv2.target_group_dimension(TG) == "targetgroup/web-dev-api/73e2d6bc24d8a067"
    assert elbv2.target_group_resource_label(LB, TG) == (
        "app/web-dev/50dc6c495c0c9188/targetgroup/web-dev-api/73e2d6bc24d8a067")


@pytest.mark.parametrize("arn", [None, "", TG, "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/x",
                                 LISTENER.replace(":listener/", ":loadbalancer/")])
def test_load_balancer_dimension_rejects_other_arns(arn):
    with pytest.raises(ValueError):
        elbv2.load_balancer_dimension(arn)


@pytest.mark.parametrize("arn", [None, LB, "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/x"])
def test_target_group_dimension_rejects_other_arns(arn):
    with pytest.raises(ValueError):
        elbv2.target_group_dimension(arn)


def test_tag_list_and_dict_round_trip():
    tags = {"b": "2", "a": 1}
    assert elbv2.tag_list(tags) == [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]
    assert elbv2.tag_dict(elbv2.tag_list(tags)) == {"a": "1", "b": "2"}
    assert elbv2.tag_list(None) == [] and elbv2.tag_dict(None) == {}


def test_describe_load_balancers_missing_is_empty(elb):
    client, stubber = elb
    stubber.add_client_error("describe_load_balancers", "LoadBalancerNotFound", http_status_code=400,
                             expected_params={"Names": ["nope"]})
    assert elbv2.describe_load_balancers(client, names=["nope"]) == []


def test_describe_target_groups_batches_names_by_20(elb):
    client, stubber = elb
    names = [f"tg-{i}" for i in range(25)]
    stubber.add_response("describe_target_groups", {"TargetGroups": [{"TargetGroupName": n} for n in names[:20]]},
                         {"Names": names[:20]})
    stubber.add_response("describe_target_groups", {"TargetGroups": [{"TargetGroupName": n} for n in names[20:]]},
                         {"Names": names[20:]})
    assert [tg["TargetGroupName"] for tg in elbv2.describe_target_groups(client, names=names)] == names


def test_describe_rules_follows_markers(elb):
    client, stubber = elb
    stubber.add_response("describe_rules", {"Rules": [{"RuleArn": "r1"}], "NextMarker": "m"},
                         {"ListenerArn": LISTENER})
    stubber.add_response("describe_rules", {"Rules": [{"RuleArn": "r2"}]}, {"ListenerArn": LISTENER, "Marker": "m"})
    assert [r["RuleArn"] for r in elbv2.describe_rules(client, listener_arn=LISTENER)] == ["r1", "r2"]


def test_describe_tags_maps_arns(elb):
    client, stubber = elb
    stubber.add_response("describe_tags", {"TagDescriptions": [
        {"ResourceArn": LB, "Tags": [{"Key": "env", "Value": "dev"}]}, {"ResourceArn": TG}]},
        {"ResourceArns": [LB, TG]})
    assert elbv2.describe_tags(client, [LB, TG]) == {LB: {"env": "dev"}, TG: {}}


def test_create_rule_sends_priority_as_int_and_tags(elb):
    client, stubber = elb
    conditions = [{"Field": "host-header", "HostHeaderConfig": {"Values": ["api.example.com"]}}]
    actions = [{"Type": "forward", "TargetGroupArn": TG}]
    stubber.add_response("create_rule", {"Rules": [{"RuleArn": "r1", "Priority": "10"}]}, {
        "ListenerArn": LISTENER, "Priority": 10, "Conditions": conditions, "Actions": actions,
        "Tags": [{"Key": "env", "Value": "dev"}]})
    assert elbv2.create_rule(client, LISTENER, "10", conditions, actions, tags={"env": "dev"})["RuleArn"] == "r1"


def test_delete_missing_is_none_and_other_errors_raise(elb):
    client, stubber = elb
    stubber.add_client_error("delete_rule", "RuleNotFound", http_status_code=400)
    stubber.add_client_error("delete_target_group", "ResourceInUse", "in use by a listener", http_status_code=400)
    assert elbv2.delete_rule(client, "r1") is None
    with pytest.raises(EcsopsAWSError, match="Failed to delete target group") as raised:
        elbv2.delete_target_group(client, TG)
    assert raised.value.code == "ResourceInUse"
