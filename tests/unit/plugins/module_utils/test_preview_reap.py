"""Preview reaping: expiry, orphans, the ceiling both ways, bad timestamps."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.ecsops.fargate.plugins.module_utils._preview import reap
from ansible_collections.ecsops.fargate.plugins.module_utils._preview.names import PreviewInputError

NOW = "2026-11-24T12:00:00Z"


def preview(pid, created, expires):
    return {"id": pid, "created_at": created, "expires_at": expires, "resources": {"service": pid}}


PREVIEWS = [
    preview("pr-3", "2026-11-24T09:00:00Z", "2026-11-24T11:00:00Z"),   # expired
    preview("pr-1", "2026-11-23T09:00:00Z", "2026-11-25T09:00:00Z"),   # oldest, not expired
    preview("pr-2", "2026-11-23T10:00:00+00:00", NOW),                 # expires exactly now
    preview("pr-4", "2026-11-24T10:00:00Z", "2026-11-24T13:00:00Z"),
]


def test_parse_time():
    assert reap.parse_time("2026-11-24T12:00:00Z") == datetime.datetime(2026, 11, 24, 12, tzinfo=datetime.timezone.utc)
    assert reap.parse_time("2026-11-24T14:00:00+02:00") == reap.parse_time(NOW)
    aware = datetime.datetime(2026, 11, 24, 12, tzinfo=datetime.timezone.utc)
    assert reap.parse_time(aware) == aware
    assert reap.format_time("2026-11-24T14:00:00+02:00") == NOW


@pytest.mark.parametrize("value,message", [
    ("2026-11-24T12:00:00", "no time zone"),
    (datetime.datetime(2026, 11, 24), "no time zone"),
    ("yesterday", "not an ISO 8601"),
    (None, "must be an ISO 8601"),
    (1700000000, "must be an ISO 8601"),
])
def test_parse_time_rejects(value, message):
    with pytest.raises(PreviewInputError, match=message):
        reap.parse_time(value)


def test_expired_oldest_first_including_exactly_now():
    assert reap.expired(PREVIEWS, NOW) == ["pr-2", "pr-3"]
    assert reap.kept(PREVIEWS, NOW) == ["pr-1", "pr-4"]


def test_nothing_expired_before_and_everything_after():
    assert reap.expired(PREVIEWS, "2026-11-24T10:59:59Z") == []
    assert reap.expired(PREVIEWS, "2026-12-01T00:00:00Z") == ["pr-1", "pr-2", "pr-3", "pr-4"]
    assert reap.expired([], NOW) == []


def test_expired_rejects_bad_previews():
    with pytest.raises(PreviewInputError, match="needs an id"):
        reap.expired([{"created_at": NOW, "expires_at": NOW}], NOW)
    with pytest.raises(PreviewInputError, match="pr-9 expires_at"):
        reap.expired([{"id": "pr-9", "created_at": NOW, "expires_at": "soon"}], NOW)
    with pytest.raises(PreviewInputError, match="now"):
        reap.expired(PREVIEWS, "2026-11-24T12:00:00")


RESOURCES = {
    "services": [{"name": "pr-1-main", "preview": "pr-1"}, {"name": "pr-2-x", "preview": "pr-2"}],
    "rules": [{"arn": "rule/1", "preview": "pr-1"}, {"arn": "rule/3", "preview": "pr-3"},
              {"arn": "rule/untagged"}],
    "target_groups": [{"arn": "tg/1", "preview": "pr-1"}, {"arn": "tg/3", "preview": "pr-3"},
                      {"arn": "tg/2", "preview": "pr-2"}, {"arn": "tg/decoy", "preview": ""}],
    "log_groups": [{"name": "/ecs/preview/pr-1-main", "preview": "pr-1"},
                   {"name": "/ecs/preview/pr-5-old", "preview": "pr-5"}],
}


def test_orphans():
    found = reap.orphans(RESOURCES)
    assert [r["arn"] for r in found["rules"]] == ["rule/3"]            # rule without service
    assert [t["arn"] for t in found["target_groups"]] == ["tg/2"]      # target group without rule
    assert [g["name"] for g in found["log_groups"]] == ["/ecs/preview/pr-5-old"]


def test_no_orphans_in_a_complete_preview_or_nothing():
    complete = {kind: [item for item in items if item.get("preview") == "pr-1"] for kind, items in RESOURCES.items()}
    assert reap.orphans(complete) == {"rules": [], "target_groups": [], "log_groups": []}
    assert reap.orphans({}) == {"rules": [], "target_groups": [], "log_groups": []}
    assert reap.orphans(None) == {"rules": [], "target_groups": [], "log_groups": []}


def test_orphans_spare_resources_still_being_created():
    resources = {"target_groups": [{"arn": "tg/new", "preview": "pr-7", "created_at": "2026-11-24T11:50:00Z"},
                                   {"arn": "tg/old", "preview": "pr-8", "created_at": "2026-11-24T11:00:00Z"},
                                   {"arn": "tg/unknown-age", "preview": "pr-9"}]}
    found = reap.orphans(resources, now=NOW, grace_seconds=900)
    assert [t["arn"] for t in found["target_groups"]] == ["tg/old", "tg/unknown-age"]
    # At exactly the grace period, it counts.
    found = reap.orphans(resources, now=NOW, grace_seconds=600)
    assert [t["arn"] for t in found["target_groups"]] == ["tg/new", "tg/old", "tg/unknown-age"]
    with pytest.raises(PreviewInputError, match="grace_seconds"):
        reap.orphans(resources, now=NOW, grace_seconds=-1)


def test_ceiling_allows_below_the_limit():
    assert reap.ceiling(PREVIEWS, 5, NOW, new_id="pr-9") == {"action": "allow"}


def test_ceiling_allows_an_existing_preview_at_the_limit():
    assert reap.ceiling(PREVIEWS, 4, NOW, new_id="pr-4") == {"action": "allow"}
    assert reap.ceiling(PREVIEWS, 1, NOW, new_id="pr-4") == {"action": "allow"}


def test_ceiling_refuses_naming_the_oldest():
    decision = reap.ceiling(PREVIEWS, 4, NOW, new_id="pr-9")
    assert decision["action"] == "refuse"
    message = decision["message"]
    assert "4 previews exist, the ceiling is 4" in message
    assert "pr-1 (created 2026-11-23T09:00:00Z, expires 2026-11-25T09:00:00Z), pr-2" in message
    assert "pr-3" in message and "pr-4" not in message
    assert "reap_oldest_expired" in message


def test_ceiling_reaps_the_oldest_expired():
    decision = reap.ceiling(PREVIEWS, 4, NOW, new_id="pr-9", reap_oldest_expired=True)
    assert decision == {"action": "reap", "preview": "pr-2", "previews": ["pr-2"]}


def test_ceiling_over_the_limit_reaps_enough():
    decision = reap.ceiling(PREVIEWS, 3, NOW, new_id="pr-9", reap_oldest_expired=True)
    assert decision == {"action": "reap", "preview": "pr-2", "previews": ["pr-2", "pr-3"]}


def test_ceiling_refuses_when_too_few_expired():
    decision = reap.ceiling(PREVIEWS, 2, NOW, new_id="pr-9", reap_oldest_expired=True)
    assert decision["action"] == "refuse"
    assert "only 2 of them expired, 3 would have to go" in decision["message"]
    nothing_expired = reap.ceiling(PREVIEWS, 4, "2026-11-24T10:00:00Z", new_id="pr-9", reap_oldest_expired=True)
    assert nothing_expired["action"] == "refuse"
    assert "only 0 of them expired" in nothing_expired["message"]


@pytest.mark.parametrize("max_previews", [0, -1, True, "5", None])
def test_ceiling_rejects_bad_max(max_previews):
    with pytest.raises(PreviewInputError, match="max_previews must be an integer >= 1"):
        reap.ceiling(PREVIEWS, max_previews, NOW)
