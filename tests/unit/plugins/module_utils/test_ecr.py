"""Repository ensure: lifecycle policy from simple options, plan/compare, mutability filters, findings."""

from __future__ import annotations

import pytest

from ansible_collections.ecsops.fargate.plugins.module_utils import ecr

DESCRIBED = {
    "repositoryName": "web", "repositoryArn": "arn:aws:ecr:us-east-1:1:repository/web", "repositoryUri": "r/web",
    "imageScanningConfiguration": {"scanOnPush": True}, "imageTagMutability": "IMMUTABLE_WITH_EXCLUSION",
    "imageTagMutabilityExclusionFilters": [{"filterType": "WILDCARD", "filter": "*-latest"}],
    "encryptionConfiguration": {"encryptionType": "AES256"},
}


def _desired(**kwargs):
    base = dict(scan_on_push=True, tag_mutability="IMMUTABLE_WITH_EXCLUSION", exclusion_filters=["*-latest"],
                encryption_type="AES256", lifecycle=ecr.lifecycle_policy([{"prefix": "pr-", "count": 5}], 7),
                tags={"team": "web"})
    base.update(kwargs)
    return ecr.desired_repository(**base)


def _current(policy=None, tags=None):
    import json
    policy = policy if policy is not None else ecr.lifecycle_policy([{"prefix": "pr-", "count": 5}], 7)
    return ecr.normalize_repository(DESCRIBED, json.dumps(policy), tags if tags is not None else {"team": "web"})


def test_lifecycle_policy_rules():
    policy = ecr.lifecycle_policy([{"prefix": "pr-", "count": 10}, {"prefix": "v", "count": 3}], 14)
    assert [r["rulePriority"] for r in policy["rules"]] == [1, 2, 3]
    assert policy["rules"][0]["selection"] == {"tagStatus": "tagged", "tagPrefixList": ["pr-"],
                                               "countType": "imageCountMoreThan", "countNumber": 10}
    assert policy["rules"][2]["selection"]["tagStatus"] == "untagged"
    assert policy["rules"][2]["selection"]["countNumber"] == 14
    assert ecr.lifecycle_policy() is None


def test_missing_repository_is_created_and_same_state_is_no_change():
    assert ecr.plan_repository(None, _desired()) == [("create", None)]
    assert ecr.plan_repository(_current(), _desired()) == []


def test_each_difference_is_planned():
    plan = ecr.plan_repository(_current(policy={"rules": []}, tags={"old": "1"}),
                               _desired(scan_on_push=False, exclusion_filters=["*-latest", "latest"]))
    assert [what for what, unused in plan] == ["scan_on_push", "tag_mutability", "lifecycle_policy", "tag", "untag"]


def test_encryption_cannot_change():
    with pytest.raises(ecr.RepositoryError, match="cannot change the encryption"):
        ecr.plan_repository(_current(), _desired(encryption_type="KMS", kms_key="alias/x"))


def test_after_state_for_check_mode_and_diff():
    after = ecr.after_state(None, _desired(), "web")
    assert after["tag_mutability"] == "IMMUTABLE_WITH_EXCLUSION" and after["tags"] == {"team": "web"}
    assert after["exclusion_filters"] == ["*-latest"]


@pytest.mark.parametrize("mode, filters, tag, immutable", [
    ("IMMUTABLE_WITH_EXCLUSION", ["*-latest"], "pr-1-latest", False),
    ("IMMUTABLE_WITH_EXCLUSION", ["*-latest"], "pr-1-abc-20240101000000", True),
    ("IMMUTABLE_WITH_EXCLUSION", ["*-latest"], "latest", True),
    ("MUTABLE_WITH_EXCLUSION", ["v*"], "v1", True),
    ("MUTABLE", [], "x", False),
    ("IMMUTABLE", [], "x", True),
])
def test_tag_mutability(mode, filters, tag, immutable):
    assert ecr.tag_is_immutable(mode, filters, tag) is immutable


def test_findings_summary_and_threshold():
    counts, findings = ecr.summarize_findings({"imageScanFindings": {
        "findingSeverityCounts": {"CRITICAL": 1, "HIGH": 2, "LOW": 0},
        "findings": [{"name": "CVE-1", "severity": "CRITICAL", "uri": "u"}]}})
    assert counts == {"CRITICAL": 1, "HIGH": 2}
    assert findings == [{"name": "CVE-1", "severity": "CRITICAL", "uri": "u"}]
    assert ecr.findings_at_or_above(counts, "HIGH") == 3
    assert ecr.findings_at_or_above(counts, "CRITICAL") == 1
