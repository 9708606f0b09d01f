"""Preview plan: tags, ownership (tags and TXT), the inventory, removal steps, DNS changes, the summary."""

from __future__ import annotations

import pytest

from ansible_collections.ecsops.fargate.plugins.module_utils._preview import plan
from ansible_collections.ecsops.fargate.plugins.module_utils._preview.names import PreviewInputError

LB = {"DNSName": "dev-1.us-east-1.elb.amazonaws.com", "CanonicalHostedZoneId": "Z35SXDOTRQ7X7K"}


def ours(pid, created="2026-11-24T10:00:00Z", expires="2026-11-27T10:00:00Z", branch="feature/x"):
    return plan.preview_tags(pid, branch, created, expires)


def test_preview_tags_carry_the_five_keys_and_user_tags():
    tags = plan.preview_tags("pr-3", "feature/Login", "2026-11-24T10:00:00+00:00", "2026-11-25T10:00:00Z", {"team": "web"})
    assert tags == {"team": "web", "preview": "pr-3", "branch": "feature/Login", "created-at": "2026-11-24T10:00:00Z",
                    "expires-at": "2026-11-25T10:00:00Z", "managed-by": "ecsops.fargate"}


def test_user_tags_cannot_override_ours_or_hold_bad_values():
    with pytest.raises(PreviewInputError, match="set by the preview"):
        plan.preview_tags("pr-3", "b", "2026-11-24T10:00:00Z", "2026-11-25T10:00:00Z", {"preview": "pr-4"})
    same = plan.preview_tags("pr-3", "b", "2026-11-24T10:00:00Z", "2026-11-25T10:00:00Z", {"managed-by": "ecsops.fargate"})
    assert same["managed-by"] == "ecsops.fargate"
    with pytest.raises(PreviewInputError, match="256"):
        plan.preview_tags("pr-3", "b", "2026-11-24T10:00:00Z", "2026-11-25T10:00:00Z", {"team": "a#b"})


def test_branch_tag_keeps_a_valid_branch_and_sanitises_others():
    assert plan.branch_tag("feature/login-2") == "feature/login-2"
    assert plan.branch_tag("fix#12 <x>") == "fix-12-x"


def test_expiry_adds_hours_and_checks_the_range():
    assert plan.expiry("2026-11-24T10:00:00Z", 72) == "2026-11-27T10:00:00Z"
    for bad in (0, -1, True, "3", plan.MAX_TTL_HOURS + 1):
        with pytest.raises(PreviewInputError):
            plan.expiry("2026-11-24T10:00:00Z", bad)


@pytest.mark.parametrize("tags,expected", [
    ({"preview": "pr-3", "managed-by": "ecsops.fargate"}, "pr-3"),
    ({"preview": "pr-3"}, None),                                   # a look-alike without our managed-by
    ({"preview": "pr-3", "managed-by": "someone"}, None),
    ({"preview": "pr-03", "managed-by": "ecsops.fargate"}, None),   # not an id we make
    ({"preview": "main", "managed-by": "ecsops.fargate"}, None),
    ({}, None),
])
def test_owner_needs_both_tags(tags, expected):
    assert plan.owner(tags) == expected


def test_owned_records_groups_the_alias_with_its_ownership_txt_only():
    records = [
        {"Name": "pr-3.preview.test.", "Type": "A", "AliasTarget": {"DNSName": LB["DNSName"]}},
        {"Name": "pr-3.preview.test.", "Type": "TXT", "ResourceRecords": [{"Value": plan.owner_txt("pr-3", "dev")}]},
        {"Name": "pr-3x.preview.test.", "Type": "A", "AliasTarget": {"DNSName": LB["DNSName"]}},   # decoy: no TXT
        {"Name": "pr-4.preview.test.", "Type": "TXT", "ResourceRecords": [{"Value": '"someone else"'}]},
    ]
    grouped = plan.owned_records(records)
    assert list(grouped) == ["pr-3"]
    assert sorted(r["Type"] for r in grouped["pr-3"]) == ["A", "TXT"]


def _inventory():
    rule = {"RuleArn": "rule/3", "Priority": "49002", "Actions": [{"Type": "forward", "TargetGroupArn": "tg/3"}],
            "Conditions": [{"Field": "host-header", "HostHeaderConfig": {"Values": ["pr-3.preview.test"]}}]}
    decoy_rule = {"RuleArn": "rule/decoy", "Priority": "49003", "Actions": [], "Conditions": []}
    return plan.inventory(
        rules=[(rule, ours("pr-3")), (decoy_rule, {"preview": "pr-3"})],
        target_groups=[({"TargetGroupArn": "tg/3", "TargetGroupName": "pr-3-x"}, ours("pr-3")),
                       ({"TargetGroupArn": "tg/4", "TargetGroupName": "pr-4-y"}, ours("pr-4", created="2026-11-20T10:00:00Z")),
                       ({"TargetGroupArn": "tg/decoy", "TargetGroupName": "pr-3-x-decoy"}, {"preview": "pr-3", "managed-by": "other"})],
        services=[{"serviceArn": "svc/3", "serviceName": "pr-3-x", "status": "ACTIVE", "taskDefinition": "td/pr-3-x:2",
                   "tags": [{"key": k, "value": v} for k, v in ours("pr-3").items()]},
                  {"serviceArn": "svc/old", "serviceName": "pr-3-old", "status": "INACTIVE",
                   "tags": [{"key": k, "value": v} for k, v in ours("pr-3").items()]}],
        log_groups=[({"logGroupName": "/ecs/preview/pr-3-x"}, ours("pr-3"))],
        record_sets=[{"Name": "pr-3.preview.test.", "Type": "TXT", "ResourceRecords": [{"Value": plan.owner_txt("pr-3", "dev")}]},
                     {"Name": "pr-3.preview.test.", "Type": "A", "AliasTarget": {"DNSName": "x"}}],
    )


def test_inventory_keeps_only_tagged_active_resources():
    found = _inventory()
    assert [r["id"] for r in found["rules"]] == ["rule/3"]
    assert found["rules"][0]["hosts"] == ["pr-3.preview.test"] and found["rules"][0]["target_group_arns"] == ["tg/3"]
    assert [g["id"] for g in found["target_groups"]] == ["tg/3", "tg/4"]
    assert [s["id"] for s in found["services"]] == ["svc/3"]
    assert [r["type"] for r in found["records"]] == ["TXT", "A"]


def test_previews_are_grouped_and_oldest_first():
    listed = plan.previews(_inventory())
    assert [p["id"] for p in listed] == ["pr-4", "pr-3"]
    assert listed[1]["resources"]["rules"] == ["rule/3"] and listed[1]["hosts"] == ["pr-3.preview.test"]
    assert listed[1]["branch"] == "feature/x" and listed[1]["pr_number"] == 3


def test_removal_steps_are_the_previews_own_in_dependency_order():
    steps = plan.removal_steps(_inventory(), "pr-3")
    assert [s["action"] for s in steps] == ["delete_records", "delete_rule", "delete_service", "delete_target_group",
                                            "delete_log_group"]
    assert [s.get("arn") or s.get("name") or s.get("names") for s in steps] == [
        ["pr-3.preview.test"], "rule/3", "svc/3", "tg/3", "/ecs/preview/pr-3-x"]


def test_removal_of_an_unknown_preview_is_nothing():
    assert plan.removal_steps(_inventory(), "pr-9") == []


def test_tag_drift_only_lists_what_differs():
    assert plan.tag_drift({"a": "1", "b": "2", "other": "x"}, {"a": "1", "b": "3"}) == {"b": "3"}
    assert plan.tag_drift({"a": "1"}, {"a": "1"}) == {}


def test_record_changes_upsert_missing_alias_and_txt_then_nothing():
    changes = plan.record_changes("pr-3.preview.test", LB, "pr-3", [], "dev")
    assert [(c["Action"], c["ResourceRecordSet"]["Type"]) for c in changes] == [("UPSERT", "A"), ("UPSERT", "TXT")]
    existing = [c["ResourceRecordSet"] for c in changes]
    assert plan.record_changes("pr-3.preview.test", LB, "pr-3", existing, "dev") == []


def test_foreign_record_refuses_someone_elses_name():
    mine = [{"Name": "pr-3.preview.test.", "Type": "TXT", "ResourceRecords": [{"Value": plan.owner_txt("pr-3", "dev")}]}]
    assert plan.foreign_record("pr-3.preview.test", "pr-3", mine, "dev") is None
    assert "pr-3" in plan.foreign_record("pr-3.preview.test", "pr-4", mine, "dev")
    plain = [{"Name": "pr-3.preview.test.", "Type": "A", "AliasTarget": {"DNSName": "x"}}]
    assert "ownership TXT" in plan.foreign_record("pr-3.preview.test", "pr-3", plain, "dev")
    assert plan.foreign_record("pr-3.preview.test", "pr-3", [], "dev") is None


def test_summary_is_markdown_with_the_url_and_expiry():
    text = plan.summary("pr-3", "https://pr-3.preview.test", "feature/x", "2026-11-27T10:00:00Z", 49002, True, "repo:tag")
    assert text.startswith("### Preview pr-3 deployed\n")
    assert "- URL: https://pr-3.preview.test" in text and "`repo:tag`" in text and "2026-11-27T10:00:00Z" in text
    assert "up to date" in plan.summary("pr-3", "u", "b", "e", 1, False)


def test_scope_is_the_load_balancer_name_of_the_listener():
    assert plan.scope_of("arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/dev-shop/50dc6c495c0c9188/f2f7dc8efc522ab2") == "dev-shop"
    for bad in ("", "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/dev/1", "listener/app/dev/1/2"):
        with pytest.raises(PreviewInputError, match="listener ARN"):
            plan.scope_of(bad)


def test_with_a_scope_another_load_balancers_preview_is_not_ours():
    dev = plan.preview_tags("pr-3", "b", "2026-11-24T10:00:00Z", "2026-11-25T10:00:00Z", scope="dev")
    staging = plan.preview_tags("pr-3", "b", "2026-11-24T10:00:00Z", "2026-11-25T10:00:00Z", scope="staging")
    assert dev["preview-alb"] == "dev"
    assert plan.owner(dev, "dev") == "pr-3" and plan.owner(staging, "dev") is None and plan.owner(staging) == "pr-3"
    found = plan.inventory(target_groups=[({"TargetGroupArn": "tg/dev", "TargetGroupName": "pr-3-b"}, dev),
                                          ({"TargetGroupArn": "tg/stg", "TargetGroupName": "dev-pr-3-b"}, staging)],
                           record_sets=[{"Name": "pr-3.staging.test.", "Type": "TXT",
                                         "ResourceRecords": [{"Value": plan.owner_txt("pr-3", "staging")}]}], scope="dev")
    assert [g["id"] for g in found["target_groups"]] == ["tg/dev"] and found["records"] == []


def test_a_name_owned_by_the_same_pr_of_another_load_balancer_is_refused():
    theirs = [{"Name": "pr-3.preview.test.", "Type": "TXT", "ResourceRecords": [{"Value": plan.owner_txt("pr-3", "staging")}]}]
    assert "another load balancer" in plan.foreign_record("pr-3.preview.test", "pr-3", theirs, "dev")
