# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The image tag scheme: one unique, immutable tag per build plus moving aliases. Pure functions.

An image tag is ``[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}``: ``pr-123/<sha>`` is not a tag. The unique tag is

    pr-<number>-<shortsha>-<yyyymmddhhmmss>     for a pull request build
    <version>-<shortsha>                        for a release (version sanitised)
    <branch>-<shortsha>-<yyyymmddhhmmss>        for a branch build (branch sanitised)
    <shortsha>-<yyyymmddhhmmss>                 otherwise

where the timestamp is the image's build time in UTC (from the image config, so republishing the
same image gives the same tag). Aliases (``pr-123-latest``, ``latest``) move, but only forward: an
alias moves to an image only when the image it points at was built earlier (see ``alias_decision``).
"""

from __future__ import annotations

import datetime
import re

TAG_PATTERN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
MAX_TAG_LENGTH = 128
SHORT_SHA_LENGTH = 7
_SHA = re.compile(r"^[0-9a-fA-F]{7,64}$")
_TIMESTAMP_IN_TAG = re.compile(r"(?:^|-)(\d{14})(?:$|-)")
_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|z|[+-]\d{2}:?\d{2})?$"
)


class TagError(ValueError):
    """A tag, or the input a tag is made from, is not usable."""


def validate_tag(tag, what="tag"):
    """Return ``tag`` if it is a valid image tag, else raise TagError saying why."""
    if not isinstance(tag, str) or not tag:
        raise TagError(f"{what} must be a non-empty string")
    if len(tag) > MAX_TAG_LENGTH:
        raise TagError(f"{what} '{tag}' is {len(tag)} characters long; an image tag holds at most {MAX_TAG_LENGTH}")
    if not TAG_PATTERN.match(tag):
        raise TagError(
            f"{what} '{tag}' is not an image tag: it must match [A-Za-z0-9_][A-Za-z0-9_.-]{{0,127}} "
            f"(letters, digits, '_', '.', '-'; no '/' or ':'; not starting with '.' or '-')"
        )
    return tag


def sanitize(text, max_length=64):
    """Turn branch-like input (``feature/Login Page``) into a tag fragment (``feature-login-page``).

    Lower-cased; every run of characters outside ``[a-z0-9_.]`` becomes one '-'; no leading or
    trailing '.' or '-'; cut to ``max_length``. Raises TagError when nothing usable is left.
    """
    if text is None:
        raise TagError("cannot make a tag from nothing")
    cleaned = re.sub(r"[^a-z0-9_.]+", "-", str(text).lower())
    cleaned = re.sub(r"\.{2,}", ".", cleaned)
    cleaned = cleaned[:max_length].strip(".-")
    if not cleaned:
        raise TagError(f"'{text}' holds no character usable in an image tag")
    return cleaned


def short_sha(commit_sha):
    if not isinstance(commit_sha, str) or not _SHA.match(commit_sha):
        raise TagError(f"commit_sha '{commit_sha}' is not a hexadecimal commit id (7 to 64 characters)")
    return commit_sha[:SHORT_SHA_LENGTH].lower()


def format_timestamp(moment):
    """``yyyymmddhhmmss`` in UTC of an aware datetime."""
    return moment.astimezone(datetime.timezone.utc).strftime("%Y%m%d%H%M%S")


def parse_timestamp(text):
    """An aware UTC datetime from RFC 3339 (``created`` in image configs, nanoseconds allowed), or None."""
    if not isinstance(text, str):
        return None
    match = _RFC3339.match(text.strip())
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        moment = datetime.datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micro)
    except ValueError:
        return None
    if zone in (None, "Z", "z"):
        offset = datetime.timedelta(0)
    else:
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        offset = sign * datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return moment.replace(tzinfo=datetime.timezone(offset)).astimezone(datetime.timezone.utc)


def timestamp_from_tag(tag):
    """The build time a unique tag of this scheme carries (``...-yyyymmddhhmmss``), or None."""
    match = _TIMESTAMP_IN_TAG.search(tag or "")
    if not match:
        return None
    try:
        return datetime.datetime.strptime(match.group(1), "%Y%m%d%H%M%S").replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        return None


def unique_tag(commit_sha=None, built_at=None, pull_request=None, version=None, branch=None, explicit=None):
    """The build's unique tag (see the module docstring for the scheme); validated."""
    if explicit:
        return validate_tag(explicit, "unique_tag")
    sha = short_sha(commit_sha)
    if version is not None:
        return validate_tag(f"{sanitize(version, 100)}-{sha}", "unique tag")
    if built_at is None:
        raise TagError(
            "the image has no build time (config 'created'); pass version, unique_tag or build_time"
        )
    stamp = format_timestamp(built_at)
    if pull_request is not None:
        return validate_tag(f"pr-{_pull_request_number(pull_request)}-{sha}-{stamp}", "unique tag")
    if branch is not None:
        return validate_tag(f"{sanitize(branch, 100)}-{sha}-{stamp}", "unique tag")
    return validate_tag(f"{sha}-{stamp}", "unique tag")


def default_aliases(pull_request=None, branch=None):
    """``pr-<n>-latest`` for a pull request, ``<branch>-latest`` for a branch, else none."""
    if pull_request is not None:
        return [f"pr-{_pull_request_number(pull_request)}-latest"]
    if branch is not None:
        return [validate_tag(f"{sanitize(branch, 100)}-latest", "alias")]
    return []


def _pull_request_number(value):
    text = str(value).strip().lstrip("#")
    if not text.isdigit() or int(text) <= 0:
        raise TagError(f"pull_request '{value}' is not a pull request number")
    return int(text)


def alias_decision(alias, new_digest, new_built_at, current_digest, current_built_at):
    """Whether ``alias`` moves to the new image: it only ever moves forward.

    Returns ``{"alias", "action", "reason", "from", "to"}`` with action one of ``create`` (the alias
    does not exist), ``unchanged`` (it already names this digest), ``move`` (it names an image built
    earlier, or one with no known build time) or ``keep`` (it names an image built at the same time
    or later: a newer build won, and this one must not take the alias back).
    """
    decision = {"alias": alias, "from": current_digest, "to": new_digest}
    if current_digest is None:
        return dict(decision, action="create", reason="the alias does not exist yet")
    if current_digest == new_digest:
        return dict(decision, action="unchanged", reason="the alias already points at this image")
    if new_built_at is None:
        return dict(decision, action="keep", to=current_digest,
                    reason="this image has no build time, so it cannot be shown to be newer")
    if current_built_at is None:
        return dict(decision, action="move",
                    reason="the image the alias points at has no build time; this one is dated")
    if new_built_at > current_built_at:
        return dict(decision, action="move", reason=(
            f"this image was built at {_iso(new_built_at)}, after the current one ({_iso(current_built_at)})"))
    return dict(decision, action="keep", to=current_digest, reason=(
        f"the alias points at an image built at {_iso(current_built_at)}, not before this one "
        f"({_iso(new_built_at)}): aliases only move forward"))


def _iso(moment):
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
