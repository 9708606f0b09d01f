"""What preview environments rely on from ELBv2, as AWS documents it, checked against the sandbox.

- CreateRule and SetRulePriorities refuse a priority the listener already has: PriorityInUse ("The specified
  priority is in use"); https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateRule.html
  and API_SetRulePriorities.html (Errors). Two previews racing for one priority rely on it.
- Listener rules take tags at creation (CreateRule Tags) and DescribeTags returns them
  (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DescribeTags.html): teardown
  finds a preview's rule by its tags.
- Quotas (100 rules per ALB, 100 target groups per ALB) are tested in test_elb.py.
"""

import pytest
from botocore.exceptions import ClientError
from helpers import make_network

FIXED = [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}]


@pytest.fixture
def listener(sandbox):
    network = make_network(sandbox)
    elb = sandbox.aws("elbv2")
    balancer = elb.create_load_balancer(Name="previews", Subnets=network["subnets"],
                                        SecurityGroups=[network["security_group"]])["LoadBalancers"][0]
    arn = elb.create_listener(LoadBalancerArn=balancer["LoadBalancerArn"], Protocol="HTTP", Port=80,
                              DefaultActions=FIXED)["Listeners"][0]["ListenerArn"]
    return elb, arn


def _host_rule(elb, listener, priority, host, tags=None):
    params = dict(ListenerArn=listener, Priority=priority, Actions=FIXED,
                  Conditions=[{"Field": "host-header", "HostHeaderConfig": {"Values": [host]}}])
    if tags:
        params["Tags"] = tags
    return elb.create_rule(**params)["Rules"][0]["RuleArn"]


def test_set_rule_priorities_to_a_taken_priority_is_priority_in_use(listener):
    elb, arn = listener
    _host_rule(elb, arn, 49000, "pr-1.preview.test")
    second = _host_rule(elb, arn, 49001, "pr-2.preview.test")
    with pytest.raises(ClientError) as error:
        elb.set_rule_priorities(RulePriorities=[{"RuleArn": second, "Priority": 49000}])
    assert error.value.response["Error"]["Code"] == "PriorityInUse"
    priorities = sorted(r["Priority"] for r in elb.describe_rules(ListenerArn=arn)["Rules"] if not r["IsDefault"])
    assert priorities == ["49000", "49001"]  # nothing moved


def test_create_rule_at_a_taken_priority_leaves_the_first_rule(listener):
    elb, arn = listener
    first = _host_rule(elb, arn, 49005, "pr-5.preview.test")
    with pytest.raises(ClientError) as error:
        _host_rule(elb, arn, 49005, "pr-6.preview.test")
    assert error.value.response["Error"]["Code"] == "PriorityInUse"
    rules = [r for r in elb.describe_rules(ListenerArn=arn)["Rules"] if not r["IsDefault"]]
    assert [r["RuleArn"] for r in rules] == [first]


def test_rule_tags_given_at_creation_are_described(listener):
    elb, arn = listener
    tagged = _host_rule(elb, arn, 49010, "pr-10.preview.test",
                        tags=[{"Key": "preview", "Value": "pr-10"}, {"Key": "managed-by", "Value": "ecsops.fargate"}])
    plain = _host_rule(elb, arn, 49011, "pr-10.preview.test.decoy")
    found = {d["ResourceArn"]: {t["Key"]: t["Value"] for t in d["Tags"]}
             for d in elb.describe_tags(ResourceArns=[tagged, plain])["TagDescriptions"]}
    assert found == {tagged: {"preview": "pr-10", "managed-by": "ecsops.fargate"}, plain: {}}
