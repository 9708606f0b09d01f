"""fargate_task_roles: the policy documents, validation, the per-role plan, and the runner's calls."""

from __future__ import annotations

import json
import urllib.parse

import boto3
import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from botocore.stub import Stubber

from ansible_collections.ecsops.fargate.plugins.module_utils import iam
from ansible_collections.ecsops.fargate.plugins.module_utils._cluster import roles as planning
from ansible_collections.ecsops.fargate.plugins.module_utils._cluster.roles import Context
from ansible_collections.ecsops.fargate.plugins.module_utils._cluster.roles import RolesInputError
from ansible_collections.ecsops.fargate.plugins.module_utils.cluster import RolesRun
from ansible_collections.ecsops.fargate.plugins.modules.fargate_task_roles import argument_spec

CLUSTER_ARN = "arn:aws:ecs:eu-west-1:123456789012:cluster/dev"
KEY = "arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-0000-1111-2222-333344445555"
EXECUTION_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
S3 = {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::dev-uploads/*"}


def params(**extra):
    raw = {"cluster": CLUSTER_ARN,
           "execution_role": {"ssm_parameter_prefix": "/dev/", "secrets_prefix": "dev/", "kms_key_arns": [KEY]},
           "task_roles": [{"service": "api", "statements": [S3]}],
           "waker_role": {"load_balancer_names": ["dev"]}, "tags": {"env": "dev"}}
    raw.update(extra)
    raw = {k: v for k, v in raw.items() if v is not None}
    result = ArgumentSpecValidator(argument_spec()).validate(raw)
    assert not result.error_messages, result.error_messages
    return result.validated_parameters


def wanted(**extra):
    return planning.desired_roles(params(**extra), Context.from_cluster(CLUSTER_ARN))


def resources(spec):
    return {s.get("Sid"): s["Resource"] for s in spec.inline["Statement"]}


def test_the_cluster_arn_gives_partition_region_and_account():
    context = Context.from_cluster("arn:aws-cn:ecs:cn-north-1:123456789012:cluster/dev")
    assert (context.partition, context.region, context.account, context.cluster) == (
        "aws-cn", "cn-north-1", "123456789012", "dev")
    named = Context.from_cluster("dev", region="us-gov-west-1", account="123456789012")
    assert named.partition == "aws-us-gov"
    with pytest.raises(RolesInputError, match="neither a cluster name nor a cluster ARN"):
        Context.from_cluster("arn:aws:ecs:eu-west-1:1234:cluster/dev")
    with pytest.raises(RolesInputError, match="12-digit"):
        Context.from_cluster("dev", account="12")


def test_the_execution_role_reads_the_environment_prefixes_only():
    roles = wanted()
    assert list(roles) == ["dev-execution", "dev-api-task", "dev-waker"]
    execution = roles["dev-execution"]
    assert resources(execution) == {
        "ReadParameters": "arn:aws:ssm:eu-west-1:123456789012:parameter/dev/*",
        "ReadSecrets": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:dev/*",
        "DecryptSecrets": [KEY]}
    assert execution.managed == [EXECUTION_POLICY]
    assert execution.trust["Statement"][0] == {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                                               "Action": "sts:AssumeRole"}


def test_an_execution_role_with_nothing_to_read_has_no_inline_policy():
    execution = wanted(execution_role={})["dev-execution"]
    assert execution.inline is None
    assert execution.managed == [EXECUTION_POLICY]


def test_task_roles_trust_only_this_accounts_ecs():
    task = wanted()["dev-api-task"]
    assert task.trust["Statement"][0]["Condition"] == {
        "ArnLike": {"aws:SourceArn": "arn:aws:ecs:eu-west-1:123456789012:*"},
        "StringEquals": {"aws:SourceAccount": "123456789012"}}
    assert task.inline["Statement"] == [S3]
    assert task.managed is None  # not given: attachments are left alone


def test_the_waker_may_wake_this_clusters_services_and_switch_rules_of_its_balancers():
    waker = wanted()["dev-waker"]
    assert waker.trust["Statement"][0]["Principal"] == {"Service": "lambda.amazonaws.com"}
    found = resources(waker)
    assert found["WakeServices"] == "arn:aws:ecs:eu-west-1:123456789012:service/dev/*"
    assert found["SwitchListenerRules"] == ["arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/dev/*"]
    assert found["ReadListenerRulesAndTargets"] == "*"
    assert found["WriteOwnLogs"] == "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/dev-*"


@pytest.mark.parametrize("extra, message", [
    ({"execution_role": {"kms_key_arns": ["alias/mine"]}}, "not a KMS key or alias ARN"),
    ({"task_roles": [{"service": "a", "statements": [{"Effect": "Allow", "Resource": "*"}]}]}, "has no Action"),
    ({"task_roles": [{"service": "a", "statements": [{"Effect": "Maybe", "Action": "s3:*", "Resource": "*"}]}]},
     "Effect must be Allow or Deny"),
    ({"task_roles": [{"service": "a", "statements": [{"Action": "s3:*"}]}]}, "has no Resource"),
    ({"task_roles": [{"service": "a", "statements": [{"Action": "s3:*", "Resource": "*", "Principal": "*"}]}]},
     "has no Principal"),
    ({"task_roles": [{"service": "a"}, {"service": "a"}]}, "lists service a twice"),
    ({"task_roles": [{"service": "a" * 60}]}, "IAM allows at most 64"),
    ({"task_roles": [{"service": "a", "name": "bad name"}]}, "may only hold"),
    ({"task_roles": [{"service": "a", "name": "dev-execution"}]}, "two roles would be named dev-execution"),
    ({"task_roles": [{"service": "a", "statements": [dict(S3, Sid=f"S{i}", Resource="x" * 200) for i in range(60)]}]},
     "IAM allows 10240"),
])
def test_bad_input_is_refused_before_any_call(extra, message):
    with pytest.raises(RolesInputError, match=message):
        wanted(**extra)


def role(spec, wire=False, **overrides):
    """GetRole's role for a role converged to ``spec``: as botocore returns it (the trust policy a dict),
    or with ``wire`` as the Stubber must be given it (URL-encoded JSON, which botocore then decodes)."""
    out = {"RoleName": spec.name, "Arn": f"arn:aws:iam::123456789012:role/{spec.name}", "Path": "/",
           "RoleId": "AROA1234567890ABCDEF", "CreateDate": "2026-01-01T00:00:00Z",
           "AssumeRolePolicyDocument": spec.trust,
           "Description": spec.description, "Tags": [{"Key": k, "Value": v} for k, v in spec.tags.items()]}
    out.update(overrides)
    if wire:
        out["AssumeRolePolicyDocument"] = encoded(out["AssumeRolePolicyDocument"])
    return out


def encoded(document):
    """A policy document as IAM sends it (URL-encoded JSON; botocore decodes it into a dict)."""
    return urllib.parse.quote(json.dumps(document))


def test_plan_of_a_new_role_creates_then_writes_its_policies():
    spec = wanted()["dev-execution"]
    assert planning.plan_role(spec, None) == [
        {"action": "create_role", "role": "dev-execution"},
        {"action": "put_role_policy", "role": "dev-execution"},
        {"action": "attach_role_policy", "role": "dev-execution", "policy_arn": EXECUTION_POLICY}]


def test_plan_of_a_converged_role_is_empty_whatever_the_statement_order():
    spec = wanted()["dev-execution"]
    reordered = dict(spec.inline, Statement=list(reversed(spec.inline["Statement"])))
    current = planning.current_state(role(spec), reordered, [EXECUTION_POLICY])
    assert planning.plan_role(spec, current) == []


def test_plan_puts_back_each_drift():
    spec = wanted()["dev-execution"]
    other_trust = iam.service_trust_policy("ec2.amazonaws.com")
    current = planning.current_state(
        role(spec, AssumeRolePolicyDocument=other_trust, Description="old", Tags=[{"Key": "x", "Value": "1"}]),
        iam.policy_document([S3]), ["arn:aws:iam::aws:policy/AdministratorAccess"])
    assert [s["action"] for s in planning.plan_role(spec, current)] == [
        "update_trust_policy", "update_description", "tag_role", "untag_role", "put_role_policy",
        "attach_role_policy", "detach_role_policy"]


def test_an_inline_policy_no_longer_wanted_is_deleted():
    spec = wanted(task_roles=[{"service": "api"}])["dev-api-task"]
    current = planning.current_state(role(spec), iam.policy_document([S3]), None)
    assert planning.plan_role(spec, current) == [{"action": "delete_role_policy", "role": "dev-api-task"}]


# --- runner ---------------------------------------------------------------------------------------

@pytest.fixture(name="iam_stub")
def fixture_iam_stub():
    client = boto3.client("iam", region_name="us-east-1", aws_access_key_id="testing",
                          aws_secret_access_key="testing", endpoint_url="http://127.0.0.1:1")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def expect_converged(stubber, roles):
    for spec in roles.values():
        stubber.add_response("get_role", {"Role": role(spec, wire=True)}, {"RoleName": spec.name})
        stubber.add_response("get_role_policy", {"RoleName": spec.name, "PolicyName": "ecsops-fargate",
                                                 "PolicyDocument": encoded(spec.inline)},
                             {"RoleName": spec.name, "PolicyName": "ecsops-fargate"})
        if spec.managed is not None:
            stubber.add_response("list_attached_role_policies", {"AttachedPolicies": [
                {"PolicyName": "x", "PolicyArn": arn} for arn in spec.managed], "IsTruncated": False},
                {"RoleName": spec.name})


def test_runner_no_op_is_two_reads_per_role_and_one_more_for_the_execution_role(iam_stub):
    client, stubber = iam_stub
    roles = wanted()
    expect_converged(stubber, roles)
    result = RolesRun(params(), {"iam": client}.__getitem__).run()
    assert result["changed"] is False
    assert result["execution_role_arn"] == "arn:aws:iam::123456789012:role/dev-execution"
    assert result["task_role_arns"] == {"api": "arn:aws:iam::123456789012:role/dev-api-task"}
    assert result["waker_role_arn"] == "arn:aws:iam::123456789012:role/dev-waker"
    assert result["role_names"] == {"execution": "dev-execution", "api": "dev-api-task", "waker": "dev-waker"}
    assert result["diff"]["before"] == result["diff"]["after"]  # nothing to show in --diff


def test_runner_check_mode_predicts_arns_and_writes_nothing(iam_stub):
    client, stubber = iam_stub
    for name in ("dev-execution", "dev-api-task", "dev-waker"):
        stubber.add_client_error("get_role", "NoSuchEntity", "not found", 404, expected_params={"RoleName": name})
    result = RolesRun(params(), {"iam": client}.__getitem__, check_mode=True).run()
    assert result["changed"] is True
    assert result["task_role_arns"] == {"api": "arn:aws:iam::123456789012:role/dev-api-task"}
    assert result["diff"]["before"] == {"dev-execution": None, "dev-api-task": None, "dev-waker": None}
    assert result["actions"][:3] == ["create role dev-execution", "put role policy dev-execution",
                                     f"attach role policy dev-execution (policy_arn={EXECUTION_POLICY})"]


def test_runner_creates_a_missing_role_with_its_policy(iam_stub):
    client, stubber = iam_stub
    spec = wanted(execution_role=None, waker_role=None)["dev-api-task"]
    stubber.add_client_error("get_role", "NoSuchEntity", "not found", 404, expected_params={"RoleName": spec.name})
    stubber.add_response("create_role", {"Role": role(spec, wire=True)}, {
        "RoleName": spec.name, "AssumeRolePolicyDocument": json.dumps(spec.trust, sort_keys=True),
        "Description": spec.description, "Tags": [{"Key": "env", "Value": "dev"}]})
    stubber.add_response("put_role_policy", {}, {"RoleName": spec.name, "PolicyName": "ecsops-fargate",
                                                 "PolicyDocument": json.dumps(spec.inline, sort_keys=True)})
    result = RolesRun(params(execution_role=None, waker_role=None), {"iam": client}.__getitem__).run()
    assert result["task_role_arns"] == {"api": "arn:aws:iam::123456789012:role/dev-api-task"}
    assert result["execution_role_arn"] is None


def test_runner_absent_empties_each_role_before_deleting_it(iam_stub):
    client, stubber = iam_stub
    spec = wanted(waker_role=None, task_roles=[])["dev-execution"]
    expect_converged(stubber, {spec.name: spec})
    stubber.add_response("list_role_policies", {"PolicyNames": ["ecsops-fargate", "other"], "IsTruncated": False},
                         {"RoleName": spec.name})
    stubber.add_response("delete_role_policy", {}, {"RoleName": spec.name, "PolicyName": "ecsops-fargate"})
    stubber.add_response("delete_role_policy", {}, {"RoleName": spec.name, "PolicyName": "other"})
    stubber.add_response("list_attached_role_policies", {"AttachedPolicies": [
        {"PolicyName": "x", "PolicyArn": EXECUTION_POLICY}], "IsTruncated": False}, {"RoleName": spec.name})
    stubber.add_response("detach_role_policy", {}, {"RoleName": spec.name, "PolicyArn": EXECUTION_POLICY})
    stubber.add_response("delete_role", {}, {"RoleName": spec.name})
    result = RolesRun(params(state="absent", waker_role=None, task_roles=[]), {"iam": client}.__getitem__).run()
    assert result["changed"] is True
    assert result["execution_role_arn"] is None


def test_a_cluster_name_costs_one_sts_call_for_the_account():
    sts = boto3.client("sts", region_name="eu-west-1", aws_access_key_id="testing", aws_secret_access_key="testing",
                       endpoint_url="http://127.0.0.1:1")
    with Stubber(sts) as stubber:
        stubber.add_response("get_caller_identity", {"Account": "210987654321", "Arn": "arn:aws:iam::210987654321:user/x",
                                                     "UserId": "AID"}, {})
        context = RolesRun(params(cluster="dev"), {"sts": sts}.__getitem__, region="eu-west-1").context()
    assert (context.account, context.region, context.cluster) == ("210987654321", "eu-west-1", "dev")
