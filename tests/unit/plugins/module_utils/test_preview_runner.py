"""fargate_preview's runner against scripted fake clients: what it creates, keeps, retries and removes."""

from __future__ import annotations

import datetime

import botocore.exceptions
import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.ecsops.fargate.plugins.module_utils._preview import plan
from ansible_collections.ecsops.fargate.plugins.module_utils._preview import runner
from ansible_collections.ecsops.fargate.plugins.module_utils._preview.names import PreviewInputError
from ansible_collections.ecsops.fargate.plugins.modules.fargate_preview import argument_spec
from ansible_collections.ecsops.fargate.plugins.modules.fargate_preview_info import argument_spec as info_spec
from fake_client import Fake

NOW = datetime.datetime(2026, 11, 24, 12, 0, tzinfo=datetime.timezone.utc)
LISTENER = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/dev/1/2"
LB_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/dev/1"
LB = {"LoadBalancerArn": LB_ARN, "VpcId": "vpc-1", "DNSName": "dev-1.elb.test", "CanonicalHostedZoneId": "ZLB"}
TG_NAME = "pr-42-feature-login"
TG_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/pr-42-feature-login/9"
LOG_GROUP = "/ecs/preview/pr-42-feature-login"
WRITES = ("create_", "delete_", "modify_", "add_", "put_", "change_", "tag_", "set_", "deregister_", "update_")


class Module:
    def __init__(self, clients, check_mode=False, spec=argument_spec, **params):
        raw = {"pr_number": 42, "branch": "feature/login", "domain": "preview.test", "listener_arn": LISTENER,
               "hosted_zone": "preview.test"}
        if spec is info_spec:
            raw = {"listener_arn": LISTENER, "hosted_zone": "preview.test"}
        raw.update(params)
        result = ArgumentSpecValidator(spec()).validate(raw)
        assert not result.error_messages, result.error_messages
        self.params = result.validated_parameters
        self.check_mode = check_mode
        self.clients = clients

    def client(self, service):
        return self.clients[service]


def _tags(tags):
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def world(log, rules=(), rule_tags=None, groups=(), group_tags=None, log_groups=(), log_tags=None, records=(),
          services=(), create_rule=None):
    """Fake clients over a listener with ``rules``; tags per ARN."""
    rule_tags, group_tags, log_tags = rule_tags or {}, group_tags or {}, log_tags or {}

    def describe_target_groups(**params):
        names = params.get("Names")
        found = [g for g in groups if not names or g["TargetGroupName"] in names]
        if names and not found:
            raise botocore.exceptions.ClientError({"Error": {"Code": "TargetGroupNotFound", "Message": "x"}},
                                                  "DescribeTargetGroups")
        return {"TargetGroups": found}

    def describe_tags(ResourceArns):
        every = dict(rule_tags, **group_tags)
        return {"TagDescriptions": [{"ResourceArn": a, "Tags": _tags(every.get(a, {}))} for a in ResourceArns]}

    elb = Fake(log, describe_listeners={"Listeners": [{"ListenerArn": LISTENER, "LoadBalancerArn": LB_ARN}]},
               describe_load_balancers={"LoadBalancers": [LB]},
               describe_rules={"Rules": list(rules) + [{"RuleArn": "default", "Priority": "default", "IsDefault": True}]},
               describe_target_groups=describe_target_groups, describe_tags=describe_tags,
               create_target_group=lambda **p: {"TargetGroups": [{"TargetGroupArn": TG_ARN, "TargetGroupName": p["Name"]}]},
               create_rule=create_rule or (lambda **p: {"Rules": [{"RuleArn": "rule/new", "Priority": str(p["Priority"])}]}))

    def describe_log_groups(**params):
        prefix = params.get("logGroupNamePrefix", "")
        return {"logGroups": [g for g in log_groups if g["logGroupName"].startswith(prefix)]}

    logs = Fake(log, describe_log_groups=describe_log_groups,
                list_tags_for_resource=lambda resourceArn: {"tags": log_tags.get(resourceArn, {})})
    route53 = Fake(log, list_hosted_zones_by_name={"HostedZones": [{"Id": "/hostedzone/Z1", "Name": "preview.test."}]},
                   list_resource_record_sets={"ResourceRecordSets": list(records)},
                   change_resource_record_sets={"ChangeInfo": {"Id": "c"}})
    ecs = Fake(log, list_services={"serviceArns": [s["serviceArn"] for s in services]},
               describe_services={"services": list(services)},
               list_task_definitions={"taskDefinitionArns": ["arn:aws:ecs:us-east-1:1:task-definition/pr-42-feature-login:2",
                                                             "arn:aws:ecs:us-east-1:1:task-definition/pr-42-feature-login-x:1"]},
               delete_service={"service": {}}, deregister_task_definition={"taskDefinition": {}})
    return {"elbv2": elb, "logs": logs, "route53": route53, "ecs": ecs}


def writes(log):
    return [op for op, _params in log if op.startswith(WRITES)]


def existing_world(log, tags=None, **extra):
    """pr-42 fully present, as run_present leaves it."""
    tags = tags or plan.preview_tags("pr-42", "feature/login", "2026-11-24T10:00:00Z", "2026-11-27T10:00:00Z", scope="dev")
    rule = {"RuleArn": "rule/42", "Priority": "49041", "Actions": [{"Type": "forward", "TargetGroupArn": TG_ARN}],
            "Conditions": [{"Field": "host-header", "HostHeaderConfig": {"Values": ["pr-42.preview.test"]}}]}
    records = [{"Name": "pr-42.preview.test.", "Type": "A", "AliasTarget": {"DNSName": LB["DNSName"], "HostedZoneId": "ZLB"}},
               {"Name": "pr-42.preview.test.", "Type": "TXT", "ResourceRecords": [{"Value": plan.owner_txt("pr-42", "dev")}]}]
    group = {"TargetGroupArn": TG_ARN, "TargetGroupName": TG_NAME}
    log_group = {"logGroupName": LOG_GROUP, "arn": "arn:aws:logs:us-east-1:1:log-group:" + LOG_GROUP + ":*"}
    return world(log, rules=[rule] + extra.pop("rules", []), rule_tags={"rule/42": tags, **extra.pop("rule_tags", {})},
                 groups=[group] + extra.pop("groups", []), group_tags={TG_ARN: tags, **extra.pop("group_tags", {})},
                 log_groups=[log_group], log_tags={log_group["arn"][:-2]: tags}, records=records, **extra)


def test_present_creates_target_group_log_group_rule_and_dns():
    log = []
    result = runner.run_present(Module(world(log)), NOW)
    assert writes(log) == ["create_target_group", "create_log_group", "put_retention_policy", "create_rule",
                           "change_resource_record_sets"]
    rule = dict(log)["create_rule"]
    assert rule["Priority"] == 49041  # 49000 + (42 - 1)
    assert rule["Conditions"] == [{"Field": "host-header", "HostHeaderConfig": {"Values": ["pr-42.preview.test"]}}]
    tags = {t["Key"]: t["Value"] for t in rule["Tags"]}
    assert tags["preview"] == "pr-42" and tags["managed-by"] == "ecsops.fargate" and tags["preview-alb"] == "dev"
    assert tags["created-at"] == "2026-11-24T12:00:00Z" and tags["expires-at"] == "2026-11-27T12:00:00Z"
    assert result["changed"] and result["url"] == "https://pr-42.preview.test" and result["priority"] == 49041
    assert result["service_name"] == "pr-42-feature-login" and result["tags"] == tags
    assert "https://pr-42.preview.test" in result["summary_markdown"]


def test_present_in_check_mode_writes_nothing_and_says_what_it_would_do():
    log = []
    result = runner.run_present(Module(world(log), check_mode=True), NOW)
    assert writes(log) == []
    assert result["changed"] and "create rule at priority 49041" in result["changes"]


def test_present_rerun_changes_nothing_and_keeps_dates_and_priority():
    log = []
    result = runner.run_present(Module(existing_world(log)), NOW)
    assert writes(log) == []
    assert not result["changed"] and result["priority"] == 49041
    assert result["created_at"] == "2026-11-24T10:00:00Z" and result["expires_at"] == "2026-11-27T10:00:00Z"


def test_present_with_expires_at_retags_everything():
    log = []
    result = runner.run_present(Module(existing_world(log), expires_at="2026-12-01T00:00:00Z"), NOW)
    assert sorted(writes(log)) == ["add_tags", "add_tags", "tag_resource"]
    assert result["expires_at"] == "2026-12-01T00:00:00Z"


def test_priority_in_use_rereads_and_takes_the_next_free_one():
    log, attempts = [], []

    def create_rule(**params):
        attempts.append(params["Priority"])
        if len(attempts) == 1:  # a concurrent preview took it between our read and our create
            raise botocore.exceptions.ClientError({"Error": {"Code": "PriorityInUse", "Message": "in use"}}, "CreateRule")
        return {"Rules": [{"RuleArn": "rule/new", "Priority": str(params["Priority"])}]}

    result = runner.run_present(Module(world(log, create_rule=create_rule)), NOW)
    assert attempts == [49041, 49042]
    assert result["priority"] == 49042
    # The first read, the re-read after PriorityInUse, and the read after the create that settles a same-PR race.
    assert [op for op, _params in log].count("describe_rules") == 3


def racing_world(log, their_priority):
    """pr-42's other preview_up created its rule for the same host between our read and our create."""
    tags = plan.preview_tags("pr-42", "feature/login", "2026-11-24T12:00:00Z", "2026-11-27T12:00:00Z", scope="dev")
    host = [{"Field": "host-header", "HostHeaderConfig": {"Values": ["pr-42.preview.test"]}}]
    forward = [{"Type": "forward", "TargetGroupArn": TG_ARN}]
    clients = world(log, rule_tags={"rule/theirs": tags, "rule/new": tags})

    def describe_rules(**_params):
        if not any(op == "create_rule" for op, _p in log):
            return {"Rules": []}  # theirs is not visible yet
        return {"Rules": [{"RuleArn": "rule/theirs", "Priority": str(their_priority), "Actions": forward, "Conditions": host},
                          {"RuleArn": "rule/new", "Priority": "49041", "Actions": forward, "Conditions": host}]}
    clients["elbv2"].answers["describe_rules"] = describe_rules
    return clients


def test_a_concurrent_run_of_the_same_pr_at_a_lower_priority_wins_and_our_rule_goes():
    log = []
    result = runner.run_present(Module(racing_world(log, 49040)), NOW)
    assert ("delete_rule", {"RuleArn": "rule/new"}) in log
    assert result["priority"] == 49040 and result["rule_arn"] == "rule/theirs"


def test_a_concurrent_run_of_the_same_pr_at_a_higher_priority_loses_and_our_rule_stays():
    log = []
    result = runner.run_present(Module(racing_world(log, 49042)), NOW)
    assert "delete_rule" not in writes(log)  # the other run deletes its own
    assert result["priority"] == 49041 and result["rule_arn"] == "rule/new"


def test_a_rerun_removes_a_duplicate_rule_left_by_an_earlier_race():
    log = []
    tags = plan.preview_tags("pr-42", "feature/login", "2026-11-24T10:00:00Z", "2026-11-27T10:00:00Z", scope="dev")
    duplicate = {"RuleArn": "rule/dup", "Priority": "49050", "Actions": [{"Type": "forward", "TargetGroupArn": TG_ARN}],
                 "Conditions": [{"Field": "host-header", "HostHeaderConfig": {"Values": ["pr-42.preview.test"]}}]}
    result = runner.run_present(Module(existing_world(log, rules=[duplicate], rule_tags={"rule/dup": tags})), NOW)
    assert writes(log) == ["delete_rule"] and dict(log)["delete_rule"] == {"RuleArn": "rule/dup"}
    assert result["changed"] and result["priority"] == 49041


def test_other_errors_on_create_rule_are_not_retried():
    def create_rule(**params):
        raise botocore.exceptions.ClientError({"Error": {"Code": "TooManyRules", "Message": "limit"}}, "CreateRule")
    with pytest.raises(runner.EcsopsAWSError, match="limit"):
        runner.run_present(Module(world([], create_rule=create_rule)), NOW)


def test_a_target_group_with_our_name_but_other_tags_fails_before_any_write():
    log = []
    clients = world(log, groups=[{"TargetGroupArn": TG_ARN, "TargetGroupName": TG_NAME}], group_tags={TG_ARN: {"preview": "pr-42"}})
    with pytest.raises(PreviewInputError, match="not preview pr-42's"):
        runner.run_present(Module(clients), NOW)
    assert writes(log) == []


def test_a_dns_name_without_ownership_txt_is_refused():
    log = []
    clients = world(log, records=[{"Name": "pr-42.preview.test.", "Type": "A", "AliasTarget": {"DNSName": "elsewhere"}}])
    with pytest.raises(PreviewInputError, match="ownership TXT"):
        runner.run_present(Module(clients), NOW)
    assert writes(log) == []


def test_the_ceiling_refuses_a_new_preview_naming_the_oldest():
    log = []
    others = [{"RuleArn": f"rule/{n}", "Priority": str(49000 + n), "Actions": [], "Conditions": []} for n in (1, 2)]
    tags = {f"rule/{n}": plan.preview_tags(f"pr-{n}", "b", f"2026-11-2{n}T00:00:00Z", "2026-12-01T00:00:00Z", scope="dev")
            for n in (1, 2)}
    with pytest.raises(PreviewInputError, match=r"2 previews exist, the ceiling is 2; the oldest: pr-1"):
        runner.run_present(Module(world(log, rules=others, rule_tags=tags), max_previews=2), NOW)
    assert writes(log) == []
    # An existing preview at the ceiling is a re-run, not one more.
    log = []
    result = runner.run_present(Module(existing_world(log), max_previews=1), NOW)
    assert not result["changed"]


def test_absent_removes_only_what_carries_the_previews_tags():
    log = []
    decoy_tags = {"preview": "pr-42", "managed-by": "someone-else"}
    own = plan.preview_tags("pr-42", "b", "2026-11-24T10:00:00Z", "2026-11-27T10:00:00Z", scope="dev")
    service_tags = [{"key": k, "value": v} for k, v in own.items()]
    services = [{"serviceArn": "svc/42", "serviceName": TG_NAME, "status": "ACTIVE", "tags": service_tags,
                 "taskDefinition": "arn:aws:ecs:us-east-1:1:task-definition/pr-42-feature-login:2"}]
    clients = existing_world(log, groups=[{"TargetGroupArn": "tg/decoy", "TargetGroupName": TG_NAME + "-x"}],
                             group_tags={"tg/decoy": decoy_tags}, services=services)
    result = runner.run_absent(Module(clients, state="absent", cluster="dev"), NOW)
    done = [(op, p) for op, p in log if op.startswith(WRITES)]
    assert [op for op, _params in done] == ["change_resource_record_sets", "delete_rule", "delete_service",
                                            "deregister_task_definition", "delete_target_group", "delete_log_group"]
    assert dict(done)["delete_target_group"] == {"TargetGroupArn": TG_ARN}
    # Only the service's own family, not pr-42-feature-login-x.
    assert dict(done)["deregister_task_definition"]["taskDefinition"].endswith("/pr-42-feature-login:2")
    assert result["changed"] and result["removed"]["target_groups"] == [TG_ARN]


def test_absent_of_a_preview_that_is_gone_changes_nothing():
    log = []
    result = runner.run_absent(Module(world(log), state="absent"), NOW)
    assert writes(log) == [] and not result["changed"]


def test_info_lists_expired_orphans_and_the_ceiling():
    log = []
    expired = plan.preview_tags("pr-42", "feature/login", "2026-11-20T10:00:00Z", "2026-11-21T10:00:00Z", scope="dev")
    orphan_group = {"TargetGroupArn": "tg/7", "TargetGroupName": "pr-7-x"}
    orphan_tags = plan.preview_tags("pr-7", "x", "2026-11-23T10:00:00Z", "2026-12-01T10:00:00Z", scope="dev")
    clients = existing_world(log, tags=expired, groups=[orphan_group], group_tags={"tg/7": orphan_tags})
    result = runner.run_info(Module(clients, spec=info_spec, max_previews=1, new_pr_number=8, reap_oldest_expired=True), NOW)
    assert writes(log) == []
    assert result["expired"] == ["pr-42"]
    assert result["orphans"]["target_groups"] == [{"id": "tg/7", "preview": "pr-7"}]
    assert result["orphan_previews"] == ["pr-7"] and result["kept"] == []
    assert result["ceiling"] == {"action": "reap", "preview": "pr-42", "previews": ["pr-42"]}
    assert [p["id"] for p in result["previews"]] == ["pr-42", "pr-7"] and result["previews"][0]["expired"]


def test_absent_leaves_the_same_pr_of_another_load_balancer_alone():
    log = []
    staging = plan.preview_tags("pr-42", "feature/login", "2026-11-24T10:00:00Z", "2026-11-27T10:00:00Z", scope="staging")
    clients = world(log, groups=[{"TargetGroupArn": "tg/staging", "TargetGroupName": "staging-pr-42-feature-login"}],
                    group_tags={"tg/staging": staging})
    result = runner.run_absent(Module(clients, state="absent"), NOW)
    assert writes(log) == [] and not result["changed"]


def test_a_malformed_listener_arn_fails_before_any_call():
    log = []
    with pytest.raises(PreviewInputError, match="listener ARN"):
        runner.run_present(Module(world(log), listener_arn="arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/dev/1"), NOW)
    assert log == []


def test_info_for_one_pr_lists_only_that_preview():
    log = []
    other = {"TargetGroupArn": "tg/7", "TargetGroupName": "pr-7-x"}
    other_tags = plan.preview_tags("pr-7", "x", "2026-11-23T10:00:00Z", "2026-12-01T10:00:00Z", scope="dev")
    clients = existing_world(log, groups=[other], group_tags={"tg/7": other_tags})
    result = runner.run_info(Module(clients, spec=info_spec, pr_number=42), NOW)
    assert [p["id"] for p in result["previews"]] == ["pr-42"] and "pr-7" not in result["orphan_previews"]
    assert [p["logGroupNamePrefix"] for op, p in log if op == "describe_log_groups"] == ["/ecs/preview/"]
    assert len([op for op, _params in log if op == "list_tags_for_resource"]) == 1
