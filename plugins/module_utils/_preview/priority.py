# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""A preview's listener-rule priority, inside a configured range [first, last] of the shared listener.

The preferred priority follows from the PR number, so most previews land on the same one every time
and two previews rarely race for the same one. A taken one is skipped by probing upwards (wrapping
round to ``first``). A preview that already has a rule keeps its priority, so a re-run changes nothing.

    priority = allocate(pr_number, first, last, taken, existing)   # taken: the listener's priorities
    # CreateRule failed with PriorityInUse (another preview took it meanwhile): re-read, then
    priority = next_after_conflict(priority, first, last, taken)
"""

from __future__ import annotations

import re

from ansible_collections.ecsops.fargate.plugins.module_utils._preview.names import PreviewInputError
from ansible_collections.ecsops.fargate.plugins.module_utils._preview.names import preview_id

# ELBv2 CreateRule: "Priority: the rule priority. A listener can't have multiple rules with the same priority",
# valid range 1-50000.
MIN_PRIORITY = 1
MAX_PRIORITY = 50000


class PreviewPriorityError(PreviewInputError):
    """No free priority in the range (or a malformed range)."""


def _int(value, what):
    if isinstance(value, bool) or not isinstance(value, int):
        raise PreviewPriorityError(f"{what} must be an integer, got {value!r}")
    return value


def validate_range(first, last):
    """(first, last) when MIN_PRIORITY <= first <= last <= MAX_PRIORITY."""
    first = _int(first, "priority range first")
    last = _int(last, "priority range last")
    if not MIN_PRIORITY <= first <= last <= MAX_PRIORITY:
        raise PreviewPriorityError(
            f"priority range [{first}, {last}] must satisfy {MIN_PRIORITY} <= first <= last <= {MAX_PRIORITY}")
    return first, last


def parse_priority(value):
    """A rule's priority as an int; None for the listener's default rule (ELBv2 returns strings)."""
    if isinstance(value, bool):
        raise PreviewPriorityError(f"not a rule priority: {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        if value == "default":
            return None
        if re.fullmatch(r"[0-9]+", value):
            return int(value)
    raise PreviewPriorityError(f"not a rule priority: {value!r}")


def taken_priorities(values):
    """The set of int priorities among the listener's rules' priorities (the default rule has none)."""
    return {p for p in (parse_priority(v) for v in values) if p is not None}


def preferred_priority(pr_number, first, last):
    """``first + (N - 1) mod size``: PR numbers map onto the range in order, wrapping."""
    first, last = validate_range(first, last)
    preview_id(pr_number)  # validates the PR number
    return first + (pr_number - 1) % (last - first + 1)


def _probe(start, first, last, taken):
    size = last - first + 1
    for step in range(size):
        candidate = first + (start - first + step) % size
        if candidate not in taken:
            return candidate
    raise PreviewPriorityError(
        f"all {size} listener rule priorities in [{first}, {last}] are taken; "
        "remove or reap previews, or widen the priority range")


def allocate(pr_number, first, last, taken, existing=()):
    """The priority for PR ``pr_number``.

    ``existing``: the priorities of the rules already tagged with this preview; the lowest is kept
    (even outside the range: moving a live rule would briefly leave the host unrouted).
    ``taken``: every priority on the listener (ints or ELBv2 strings).
    """
    first, last = validate_range(first, last)
    own = sorted(taken_priorities(existing))
    if own:
        return own[0]
    return _probe(preferred_priority(pr_number, first, last), first, last, taken_priorities(taken))


def next_after_conflict(conflicted, first, last, taken):
    """The next free priority after ``conflicted`` failed with PriorityInUse.

    ``taken`` is the listener's re-read priorities; ``conflicted`` counts as taken even if the re-read
    does not show it yet (the other rule's create may not be visible).
    """
    first, last = validate_range(first, last)
    conflicted = _int(conflicted, "conflicted priority")
    taken = taken_priorities(taken) | {conflicted}
    return _probe(conflicted + 1 if conflicted < last else first, first, last, taken)
