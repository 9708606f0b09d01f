# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Reaping decisions for preview environments: which are expired, which resources are orphans, and
whether one more preview fits under the ceiling.

A preview, as read from its tags::

    {"id": "pr-3", "created_at": "2026-11-24T10:00:00Z", "expires_at": "2026-11-25T10:00:00Z",
     "resources": {...}}                          # resources: carried along, not read here

The tagged resources found, per kind, each with its ``preview`` tag value::

    {"rules": [{"arn": ..., "preview": "pr-3", "created_at": ...}], "target_groups": [...],
     "services": [...], "log_groups": [...]}
"""

from __future__ import annotations

import datetime

from ansible_collections.ecsops.fargate.plugins.module_utils._preview.names import PreviewInputError

# How many of the oldest previews a refusal names.
NAMED_IN_REFUSAL = 3
# A resource younger than this is not an orphan yet: preview_up creates the target group before its
# rule and the rule before the service, so a sweep racing an up would otherwise remove its work.
DEFAULT_ORPHAN_GRACE_SECONDS = 900


def parse_time(value, what="time"):
    """An ISO 8601 timestamp with a UTC offset (``Z`` or ``+00:00``) as an aware UTC datetime."""
    if isinstance(value, datetime.datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.datetime.fromisoformat(value.strip())
        except ValueError:
            raise PreviewInputError(f"{what} {value!r} is not an ISO 8601 timestamp") from None
    else:
        raise PreviewInputError(f"{what} must be an ISO 8601 timestamp, got {value!r}")
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise PreviewInputError(f"{what} {value!r} has no time zone; give it in UTC (e.g. 2026-11-24T10:00:00Z)")
    return parsed.astimezone(datetime.timezone.utc)


def format_time(value):
    """``YYYY-MM-DDTHH:MM:SSZ``, the form the tags carry."""
    return parse_time(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def _normalise(preview):
    if not isinstance(preview, dict) or not preview.get("id"):
        raise PreviewInputError(f"a preview needs an id, got {preview!r}")
    pid = preview["id"]
    return {
        "id": pid,
        "created_at": parse_time(preview.get("created_at"), f"{pid} created_at"),
        "expires_at": parse_time(preview.get("expires_at"), f"{pid} expires_at"),
    }


def _oldest_first(previews):
    return sorted((_normalise(p) for p in previews), key=lambda p: (p["created_at"], p["id"]))


def expired(previews, now):
    """The ids of the previews whose expires_at is at or before ``now``, oldest (created) first."""
    now = parse_time(now, "now")
    return [p["id"] for p in _oldest_first(previews) if p["expires_at"] <= now]


def kept(previews, now):
    """The ids of the previews not expired at ``now``, oldest first."""
    gone = set(expired(previews, now))
    return [p["id"] for p in _oldest_first(previews) if p["id"] not in gone]


def _previews_of(items):
    return {item.get("preview") for item in items or () if item.get("preview")}


def _settled(item, now, grace_seconds):
    # Without a created_at (or without now) there is no way to tell its age: treat it as settled.
    if now is None or not item.get("created_at"):
        return True
    age = (now - parse_time(item["created_at"], "resource created_at")).total_seconds()
    return age >= grace_seconds


def orphans(resources, now=None, grace_seconds=DEFAULT_ORPHAN_GRACE_SECONDS):
    """The orphaned resources among the tagged ones found.

    A rule whose preview has no service, a target group whose preview has no rule, a log group whose
    preview has no service. Resources without a ``preview`` tag are not ours and never listed; those
    younger than ``grace_seconds`` (when ``now`` and their created_at are known) are left to the run
    that is creating them.
    """
    resources = resources or {}
    if isinstance(grace_seconds, bool) or not isinstance(grace_seconds, int) or grace_seconds < 0:
        raise PreviewInputError(f"grace_seconds must be an integer >= 0, got {grace_seconds!r}")
    now = parse_time(now, "now") if now is not None else None
    with_service = _previews_of(resources.get("services"))
    with_rule = _previews_of(resources.get("rules"))

    def pick(kind, parents):
        return [item for item in resources.get(kind) or ()
                if item.get("preview") and item["preview"] not in parents and _settled(item, now, grace_seconds)]

    return {
        "rules": pick("rules", with_service),
        "target_groups": pick("target_groups", with_rule),
        "log_groups": pick("log_groups", with_service),
    }


def ceiling(previews, max_previews, now, new_id=None, reap_oldest_expired=False):
    """Whether one more preview (``new_id``) may be created under ``max_previews``.

    Returns ``{"action": "allow"}``, ``{"action": "reap", "preview": <oldest expired id>, "previews":
    [ids to reap first]}``, or ``{"action": "refuse", "message": ...}``. A preview that already exists
    is always allowed (a re-run adds nothing).
    """
    if isinstance(max_previews, bool) or not isinstance(max_previews, int) or max_previews < 1:
        raise PreviewInputError(f"max_previews must be an integer >= 1, got {max_previews!r}")
    ordered = _oldest_first(previews)
    if new_id is not None and any(p["id"] == new_id for p in ordered):
        return {"action": "allow"}
    # Room for one more: at most max_previews - 1 may remain.
    excess = len(ordered) - max_previews + 1
    if excess <= 0:
        return {"action": "allow"}
    stale = expired(previews, now)
    if reap_oldest_expired and len(stale) >= excess:
        return {"action": "reap", "preview": stale[0], "previews": stale[:excess]}
    oldest = ", ".join(f"{p['id']} (created {format_time(p['created_at'])}, expires {format_time(p['expires_at'])})"
                       for p in ordered[:NAMED_IN_REFUSAL])
    if reap_oldest_expired:
        hint = f"only {len(stale)} of them expired, {excess} would have to go"
    else:
        hint = "set reap_oldest_expired to reap the oldest expired one first"
    return {
        "action": "refuse",
        "message": (f"{len(ordered)} previews exist, the ceiling is {max_previews}; the oldest: {oldest}. "
                    f"Remove one with preview_down ({hint})."),
    }
