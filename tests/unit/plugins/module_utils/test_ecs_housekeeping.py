"""keep_revisions: which revisions of the family to deregister (a pure plan)."""

from __future__ import annotations

import pytest

from ansible_collections.ecsops.fargate.plugins.module_utils._ecs import taskdef

PREFIX = "arn:aws:ecs:us-east-1:123456789012:task-definition/"


def arn(name):
    return PREFIX + name


# ListTaskDefinitions(familyPrefix="api", sort=DESC) interleaves families that share the prefix.
LISTED = [arn("api-worker:3"), arn("api:10"), arn("api:9"), arn("api-worker:2"), arn("api:8"), arn("api:7"),
          arn("api:2"), arn("api-worker:1")]


def test_keeps_the_newest_n_and_deregisters_the_rest_oldest_first():
    assert taskdef.revisions_to_deregister(LISTED, "api", 2, ()) == [arn("api:2"), arn("api:7"), arn("api:8")]


def test_never_a_revision_in_use_which_still_counts_towards_n():
    in_use = [arn("api:7"), arn("api:10")]
    assert taskdef.revisions_to_deregister(LISTED, "api", 2, in_use) == [arn("api:2"), arn("api:8")]


def test_in_use_matches_family_and_revision_whatever_the_spelling():
    assert taskdef.revisions_to_deregister(LISTED, "api", 4, ["api:2"]) == []


def test_other_families_sharing_the_prefix_are_never_touched():
    doomed = taskdef.revisions_to_deregister(LISTED, "api", 1, ())
    assert doomed and all(taskdef.family_and_revision(a)[0] == "api" for a in doomed)


def test_order_is_by_revision_number_not_by_the_listing():
    shuffled = [arn("api:2"), arn("api:10"), arn("api:9")]
    assert taskdef.revisions_to_deregister(shuffled, "api", 2, ()) == [arn("api:2")]


def test_nothing_to_do_with_fewer_revisions_than_n():
    assert taskdef.revisions_to_deregister(LISTED, "api", 5, ()) == []
    assert taskdef.revisions_to_deregister([], "api", 1, ()) == []


@pytest.mark.parametrize("keep", [0, -1, None])
def test_keep_must_be_at_least_one(keep):
    with pytest.raises(ValueError, match="at least 1"):
        taskdef.revisions_to_deregister(LISTED, "api", keep, ())


@pytest.mark.parametrize("value, expected", [
    (arn("api:7"), ("api", 7)), ("api:12", ("api", 12)), (arn("my-app_2:1"), ("my-app_2", 1)),
    ("(new revision of api)", (None, None)), (None, (None, None)), ("api", (None, None)),
])
def test_family_and_revision(value, expected):
    assert taskdef.family_and_revision(value) == expected
