"""The tag scheme: unique tags, sanitising of branch-like input, and aliases that only move forward."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.ecsops.fargate.plugins.module_utils import tags

UTC = datetime.timezone.utc
BUILT = datetime.datetime(2024, 5, 1, 12, 0, 7, tzinfo=UTC)
SHA = "0123456789abcdef0123456789abcdef01234567"


@pytest.mark.parametrize("tag", ["latest", "pr-123-latest", "_x", "1.2.3", "a" * 128, "v1_2.3-rc1"])
def test_valid_tags(tag):
    assert tags.validate_tag(tag) == tag


@pytest.mark.parametrize("tag, why", [
    ("pr-123/abc", "not an image tag"), ("-x", "not an image tag"), (".x", "not an image tag"),
    ("a:b", "not an image tag"), ("a" * 129, "at most 128"), ("", "non-empty"), ("tag with space", "not an image"),
])
def test_invalid_tags_say_why(tag, why):
    with pytest.raises(tags.TagError, match=why):
        tags.validate_tag(tag)


@pytest.mark.parametrize("text, expected", [
    ("feature/Login Page", "feature-login-page"),
    ("refs/heads/main", "refs-heads-main"),
    ("--weird..//name--", "weird.-name"),
    ("release/1.2.3", "release-1.2.3"),
    ("ÜberBranch", "berbranch"),
])
def test_sanitize_branch_like_input(text, expected):
    assert tags.sanitize(text) == expected


def test_sanitize_refuses_what_has_nothing_usable():
    with pytest.raises(tags.TagError, match="no character"):
        tags.sanitize("///")


def test_sanitize_cuts_length():
    assert len(tags.sanitize("x" * 300)) == 64


def test_unique_tag_for_a_pull_request():
    assert tags.unique_tag(SHA, BUILT, pull_request="#123") == "pr-123-0123456-20240501120007"


def test_unique_tag_for_a_version_and_a_branch():
    assert tags.unique_tag(SHA, BUILT, version="v1.4.0") == "v1.4.0-0123456"
    assert tags.unique_tag(SHA, BUILT, branch="feature/Login") == "feature-login-0123456-20240501120007"
    assert tags.unique_tag(SHA, BUILT) == "0123456-20240501120007"


def test_unique_tag_converts_a_non_utc_build_time():
    local = datetime.datetime(2024, 5, 1, 14, 0, 7, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))
    assert tags.unique_tag(SHA, local, pull_request=1) == "pr-1-0123456-20240501120007"


def test_unique_tag_errors():
    with pytest.raises(tags.TagError, match="commit_sha"):
        tags.unique_tag("not-a-sha", BUILT, pull_request=1)
    with pytest.raises(tags.TagError, match="pull request number"):
        tags.unique_tag(SHA, BUILT, pull_request="abc")
    with pytest.raises(tags.TagError, match="no build time"):
        tags.unique_tag(SHA, None, pull_request=1)
    with pytest.raises(tags.TagError, match="not an image tag"):
        tags.unique_tag(explicit="a/b")


def test_explicit_unique_tag_and_very_long_branch_stays_valid():
    assert tags.unique_tag(explicit="build-7") == "build-7"
    tag = tags.unique_tag(SHA, BUILT, branch="b" * 500)
    assert len(tag) <= 128 and tags.TAG_PATTERN.match(tag)


def test_default_aliases():
    assert tags.default_aliases(pull_request=42) == ["pr-42-latest"]
    assert tags.default_aliases(branch="feature/x") == ["feature-x-latest"]
    assert tags.default_aliases() == []


@pytest.mark.parametrize("text, expected", [
    ("2024-05-01T12:00:07Z", BUILT),
    ("2024-05-01T12:00:07.123456789Z", BUILT.replace(microsecond=123456)),
    ("2024-05-01T14:00:07+02:00", BUILT),
    ("garbage", None), (None, None), ("2024-13-01T00:00:00Z", None),
])
def test_parse_timestamp(text, expected):
    assert tags.parse_timestamp(text) == expected


def test_timestamp_from_tag():
    assert tags.timestamp_from_tag("pr-1-0123456-20240501120007") == BUILT
    assert tags.timestamp_from_tag("v1.0-0123456") is None


class TestAliasOnlyMovesForward:
    older = BUILT
    newer = BUILT + datetime.timedelta(seconds=1)

    def test_creates_a_missing_alias(self):
        decision = tags.alias_decision("pr-1-latest", "sha256:new", self.newer, None, None)
        assert decision["action"] == "create"

    def test_unchanged_when_already_there(self):
        assert tags.alias_decision("a", "sha256:x", self.newer, "sha256:x", self.newer)["action"] == "unchanged"

    def test_moves_from_an_older_build(self):
        decision = tags.alias_decision("a", "sha256:new", self.newer, "sha256:old", self.older)
        assert decision["action"] == "move"
        assert decision["from"] == "sha256:old" and decision["to"] == "sha256:new"
        assert "after the current one" in decision["reason"]

    def test_never_moves_back_to_an_older_build(self):
        decision = tags.alias_decision("a", "sha256:old", self.older, "sha256:new", self.newer)
        assert decision["action"] == "keep"
        assert decision["to"] == "sha256:new"
        assert "only move forward" in decision["reason"]

    def test_same_build_time_keeps(self):
        assert tags.alias_decision("a", "sha256:b", self.older, "sha256:a", self.older)["action"] == "keep"

    def test_undated_current_is_replaced_and_undated_new_never_wins(self):
        assert tags.alias_decision("a", "sha256:b", self.older, "sha256:a", None)["action"] == "move"
        assert tags.alias_decision("a", "sha256:b", None, "sha256:a", self.older)["action"] == "keep"
