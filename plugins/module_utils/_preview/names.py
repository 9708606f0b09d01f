# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Names of a preview environment's resources, derived from the PR number and the branch.

Every name is a pure function of its inputs, so a re-run finds the same resources. A name over its
AWS limit is truncated and given a short hash of the full name, which keeps it stable across runs and
distinct from another long name sharing the same prefix.

    preview_id(42)                                   # "pr-42"
    target_group_name(42, "feature/Foo_bar")        # "pr-42-feature-foo-bar"
    host(42, "preview.example.com")                  # "pr-42.preview.example.com"
"""

from __future__ import annotations

import hashlib
import re

HASH_LENGTH = 6
# AWS limits: CreateTargetGroup Name, a DNS label and name, CreateService serviceName, CreateLogGroup.
TARGET_GROUP_MAX = 32
DNS_LABEL_MAX = 63
DNS_NAME_MAX = 253
SERVICE_MAX = 255
LOG_GROUP_MAX = 512
BRANCH_MAX = 255

TARGET_GROUP_CHARS = re.compile(r"^[A-Za-z0-9-]+$")
SERVICE_CHARS = re.compile(r"^[A-Za-z0-9_-]+$")
LOG_GROUP_CHARS = re.compile(r"^[A-Za-z0-9_./#-]+$")
DNS_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
DEFAULT_LOG_GROUP_PREFIX = "/ecs/preview"


class PreviewInputError(ValueError):
    """Bad input for a preview environment, raised before any AWS call."""


def _pr_number(pr_number):
    # bool is an int subclass; True as a PR number is a caller's mistake, not PR 1.
    if isinstance(pr_number, bool) or not isinstance(pr_number, int) or pr_number < 1:
        raise PreviewInputError(f"pr_number must be an integer >= 1, got {pr_number!r}")
    return pr_number


def short_hash(text):
    """A short stable hash of ``text`` (the first hex digits of its sha256)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:HASH_LENGTH]


def shorten(name, limit, separator="-"):
    """``name`` if it fits ``limit``, else its head, ``separator`` and a hash of the whole name.

    The head loses trailing separators so that no name gets a doubled or dangling one.
    """
    if len(name) <= limit:
        return name
    head = name[:limit - HASH_LENGTH - len(separator)].rstrip("-_./")
    return f"{head}{separator}{short_hash(name)}"


def preview_id(pr_number):
    """The preview's id, also the value of its ``preview`` tag: ``pr-<N>``."""
    return f"pr-{_pr_number(pr_number)}"


def sanitize_branch(branch):
    """A branch name as lowercase [a-z0-9-]: ``feature/Foo_bar`` -> ``feature-foo-bar``."""
    if not isinstance(branch, str) or not branch.strip():
        raise PreviewInputError(f"branch must be a non-empty string, got {branch!r}")
    if len(branch) > BRANCH_MAX:
        raise PreviewInputError(f"branch must be at most {BRANCH_MAX} characters, got {len(branch)}")
    cleaned = re.sub(r"[^a-z0-9]+", "-", branch.lower()).strip("-")
    if not cleaned:
        raise PreviewInputError(f"branch {branch!r} has no letter or digit to name a preview after")
    return cleaned


def _prefix(prefix):
    if prefix is None or prefix == "":
        return ""
    if not isinstance(prefix, str) or not TARGET_GROUP_CHARS.match(prefix) or not prefix.strip("-"):
        raise PreviewInputError(f"name prefix {prefix!r} may only contain [A-Za-z0-9-] and needs a letter or digit")
    return prefix.strip("-") + "-"


def base_name(pr_number, branch, prefix=None):
    """``[<prefix>-]pr-<N>-<branch>`` before any truncation."""
    return f"{_prefix(prefix)}{preview_id(pr_number)}-{sanitize_branch(branch)}"


def target_group_name(pr_number, branch, prefix=None):
    """At most 32 of [A-Za-z0-9-], no leading or trailing hyphen, not starting with ``internal-``."""
    name = shorten(base_name(pr_number, branch, prefix), TARGET_GROUP_MAX).strip("-")
    if name.lower().startswith("internal-"):
        raise PreviewInputError(f"target group name {name!r} may not start with 'internal-' (choose another prefix)")
    return name


def dns_label(pr_number):
    """The preview's DNS label: ``pr-<N>`` (branch names are not stable enough to be in a URL)."""
    label = preview_id(pr_number)
    if len(label) > DNS_LABEL_MAX:
        raise PreviewInputError(f"DNS label {label!r} is longer than {DNS_LABEL_MAX} characters")
    return label


def validate_domain(domain):
    """The preview domain in lowercase, without a trailing dot; raises on a malformed one."""
    if not isinstance(domain, str) or not domain:
        raise PreviewInputError(f"domain must be a non-empty string, got {domain!r}")
    cleaned = domain.lower().rstrip(".")
    labels = cleaned.split(".")
    if len(labels) < 2:
        raise PreviewInputError(f"domain {domain!r} must have at least two labels (e.g. preview.example.com)")
    for label in labels:
        if len(label) > DNS_LABEL_MAX or not DNS_LABEL.match(label):
            raise PreviewInputError(
                f"domain {domain!r}: label {label!r} must be 1-{DNS_LABEL_MAX} of [a-z0-9-], not starting or ending with '-'")
    if len(cleaned) > DNS_NAME_MAX:
        raise PreviewInputError(f"domain {domain!r} is longer than {DNS_NAME_MAX} characters")
    return cleaned


def host(pr_number, domain):
    """``pr-<N>.<domain>``, at most 253 characters."""
    name = f"{dns_label(pr_number)}.{validate_domain(domain)}"
    if len(name) > DNS_NAME_MAX:
        raise PreviewInputError(f"host {name!r} is longer than {DNS_NAME_MAX} characters; use a shorter domain")
    return name


def service_name(pr_number, branch, prefix=None):
    """The ECS service: at most 255 of [A-Za-z0-9_-]."""
    return shorten(base_name(pr_number, branch, prefix), SERVICE_MAX)


def log_group_name(pr_number, branch, prefix=None, log_group_prefix=DEFAULT_LOG_GROUP_PREFIX):
    """``<log_group_prefix>/<service name>``, at most 512 of [A-Za-z0-9_./#-]."""
    if not isinstance(log_group_prefix, str) or not log_group_prefix or not LOG_GROUP_CHARS.match(log_group_prefix):
        raise PreviewInputError(f"log group prefix {log_group_prefix!r} may only contain [A-Za-z0-9_./#-]")
    name = f"{log_group_prefix.rstrip('/')}/{service_name(pr_number, branch, prefix)}"
    return shorten(name, LOG_GROUP_MAX)


def names(pr_number, branch, domain, prefix=None, log_group_prefix=DEFAULT_LOG_GROUP_PREFIX):
    """All of a preview's names in one dict."""
    return {
        "preview_id": preview_id(pr_number),
        "target_group": target_group_name(pr_number, branch, prefix),
        "dns_label": dns_label(pr_number),
        "host": host(pr_number, domain),
        "service": service_name(pr_number, branch, prefix),
        "log_group": log_group_name(pr_number, branch, prefix, log_group_prefix),
    }
