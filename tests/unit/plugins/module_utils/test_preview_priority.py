"""Preview listener-rule priorities: determinism, probing, wrap, full range, concurrent allocation."""

from __future__ import annotations

import pytest

from ansible_collections.ecsops.fargate.plugins.module_utils._preview import priority
from ansible_collections.ecsops.fargate.plugins.module_utils._preview.names import PreviewInputError
from ansible_collections.ecsops.fargate.plugins.module_utils._preview.priority import PreviewPriorityError


@pytest.mark.parametrize("first,last", [(0, 10), (10, 9), (1, 50001), (1.0, 10), ("1", 10), (True, 10), (1, None)])
def test_bad_ranges(first, last):
    with pytest.raises(PreviewPriorityError, match="priority range|must be an integer"):
        priority.validate_range(first, last)


def test_range_limits_are_allowed():
    assert priority.validate_range(1, 50000) == (1, 50000)
    assert priority.validate_range(7, 7) == (7, 7)


def test_priority_error_is_an_input_error():
    assert issubclass(PreviewPriorityError, PreviewInputError)


def test_parse_priority():
    assert priority.parse_priority("12") == 12
    assert priority.parse_priority(12) == 12
    assert priority.parse_priority("default") is None
    for bad in ("x", "-1", "\u00b2", "1 ", None, True, 1.5):
        with pytest.raises(PreviewPriorityError, match="not a rule priority"):
            priority.parse_priority(bad)
    assert priority.taken_priorities(["default", "3", 4]) == {3, 4}


def test_preferred_priority_is_deterministic_and_wraps():
    assert priority.preferred_priority(1, 1000, 1099) == 1000
    assert priority.preferred_priority(42, 1000, 1099) == 1041
    assert priority.preferred_priority(100, 1000, 1099) == 1099
    assert priority.preferred_priority(101, 1000, 1099) == 1000
    assert priority.preferred_priority(5, 7, 7) == 7
    with pytest.raises(PreviewInputError, match="pr_number"):
        priority.preferred_priority(0, 1, 10)


def test_allocate_free_preferred():
    assert priority.allocate(42, 1000, 1099, taken=["default", "1", "2"]) == 1041


def test_allocate_probes_the_next_free():
    assert priority.allocate(42, 1000, 1099, taken=["1041", "1042", 1044]) == 1043


def test_allocate_wraps_to_first():
    assert priority.allocate(100, 1000, 1099, taken=[1099]) == 1000
    assert priority.allocate(100, 1000, 1099, taken=[1099, 1000, 1001]) == 1002


def test_allocate_ignores_taken_outside_the_range():
    assert priority.allocate(1, 10, 12, taken=[1, 2, 9, 13, 50000]) == 10


def test_allocate_full_range():
    with pytest.raises(PreviewPriorityError, match=r"all 3 listener rule priorities in \[10, 12\] are taken"):
        priority.allocate(1, 10, 12, taken=["10", "11", "12"])


def test_allocate_last_free_one():
    assert priority.allocate(1, 10, 12, taken=[10, 11]) == 12


def test_existing_preview_keeps_its_priority():
    # Its own rule counts as taken on the listener; it must not move to another one.
    assert priority.allocate(42, 1000, 1099, taken=[1041, 1050], existing=["1050"]) == 1050
    # Even outside the range (the range was changed since) and even when the range is full.
    assert priority.allocate(1, 10, 11, taken=[10, 11, 5], existing=[5]) == 5
    # Two rules with its tag (a half-done earlier run): the lowest one.
    assert priority.allocate(1, 10, 20, taken=[12, 15], existing=[15, 12]) == 12


def test_next_after_conflict():
    assert priority.next_after_conflict(1041, 1000, 1099, taken=[1041]) == 1042
    # The conflicting rule may not show in the re-read yet: still skipped.
    assert priority.next_after_conflict(1041, 1000, 1099, taken=[]) == 1042
    assert priority.next_after_conflict(1099, 1000, 1099, taken=[1099, 1000]) == 1001
    assert priority.next_after_conflict(1041, 1000, 1099, taken=["1042", "1043"]) == 1044
    with pytest.raises(PreviewPriorityError, match="are taken"):
        priority.next_after_conflict(10, 10, 11, taken=[11])
    with pytest.raises(PreviewPriorityError, match="must be an integer"):
        priority.next_after_conflict("10", 10, 11, taken=[])


class Listener:
    """A listener enforcing unique priorities, as ELBv2 CreateRule does (PriorityInUse)."""

    def __init__(self, priorities=()):
        self.rules = {p: None for p in priorities}

    def create_rule(self, prio, owner):
        if prio in self.rules:
            raise KeyError("PriorityInUse")
        self.rules[prio] = owner


def _create(listener, pr_number, first, last, snapshot):
    prio = priority.allocate(pr_number, first, last, taken=snapshot)
    while True:
        try:
            listener.create_rule(prio, pr_number)
            return prio
        except KeyError:
            prio = priority.next_after_conflict(prio, first, last, taken=list(listener.rules))


def test_concurrent_allocation_never_collides():
    # PR 1 and PR 11 share the preferred priority in a range of 10, and read the listener at the same
    # moment (the same snapshot): the second create hits PriorityInUse and takes the next free one.
    listener = Listener([100, 101])
    snapshot = list(listener.rules)
    first = _create(listener, 1, 100, 109, snapshot)
    second = _create(listener, 11, 100, 109, snapshot)
    assert first == 102
    assert second == 103
    assert listener.rules[102] == 1 and listener.rules[103] == 11


def test_many_concurrent_previews_fill_the_range_distinctly():
    listener = Listener()
    snapshot = []
    got = [_create(listener, pr, 1, 20, snapshot) for pr in (1, 21, 41, 2, 22, 3, 5, 7, 61, 81)]
    assert len(set(got)) == len(got)
    assert all(1 <= p <= 20 for p in got)
