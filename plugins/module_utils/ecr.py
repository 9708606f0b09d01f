# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""ECR repositories: pure functions that describe, compare and plan, then the API-layer calls.

    desired = desired_repository(scan_on_push=True, tag_mutability="IMMUTABLE_WITH_EXCLUSION", ...)
    current = read_repository(client, name)          # None when it does not exist
    plan = plan_repository(current, desired)         # [] when nothing to do
    apply_repository_plan(client, name, desired, plan)

Settings left as None in ``desired`` are not managed. Encryption is fixed when a repository is
created (ECR has no call to change it): a difference is reported as an error, not planned.
"""

from __future__ import annotations

import json
import re

from ansible_collections.ecsops.fargate.plugins.module_utils.api import api_call

MUTABILITY = ("MUTABLE", "IMMUTABLE", "IMMUTABLE_WITH_EXCLUSION", "MUTABLE_WITH_EXCLUSION")
SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNDEFINED")


class RepositoryError(ValueError):
    """The repository cannot be brought to the desired state (e.g. a change of encryption)."""


# -- pure: desired state, lifecycle policy, comparison ------------------------------------

def lifecycle_policy(keep_last=None, expire_untagged_days=None):
    """A lifecycle policy document from simple options, or None when there are none.

    ``keep_last``: [{"prefix": "pr-", "count": 10}, ...] keeps the newest ``count`` images whose tags
    start with ``prefix`` (one rule each, in the order given); ``expire_untagged_days`` expires
    untagged images pushed more than that many days ago (last rule).
    """
    rules = []
    for item in keep_last or []:
        rules.append({
            "rulePriority": len(rules) + 1,
            "description": f"keep the last {item['count']} images tagged {item['prefix']}*",
            "selection": {"tagStatus": "tagged", "tagPrefixList": [item["prefix"]],
                          "countType": "imageCountMoreThan", "countNumber": int(item["count"])},
            "action": {"type": "expire"},
        })
    if expire_untagged_days:
        rules.append({
            "rulePriority": len(rules) + 1,
            "description": f"expire untagged images after {expire_untagged_days} days",
            "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days",
                          "countNumber": int(expire_untagged_days)},
            "action": {"type": "expire"},
        })
    return {"rules": rules} if rules else None


def desired_repository(scan_on_push=None, tag_mutability=None, exclusion_filters=None, encryption_type=None,
                       kms_key=None, lifecycle=None, tags=None, purge_tags=True):
    return {
        "scan_on_push": scan_on_push,
        "tag_mutability": tag_mutability,
        "exclusion_filters": sorted(set(exclusion_filters or [])) if tag_mutability else None,
        "encryption": {"type": encryption_type, "kms_key": kms_key} if encryption_type else None,
        "lifecycle_policy": lifecycle,
        "tags": dict(tags) if tags is not None else None,
        "purge_tags": purge_tags,
    }


def wildcard_match(pattern, tag):
    """ECR's WILDCARD exclusion filter: ``*`` is any run of characters, the rest is literal."""
    return re.fullmatch(".*".join(re.escape(part) for part in pattern.split("*")), tag) is not None


def tag_is_immutable(tag_mutability, exclusion_filters, tag):
    excluded = any(wildcard_match(f, tag) for f in exclusion_filters or [])
    if tag_mutability == "IMMUTABLE_WITH_EXCLUSION":
        return not excluded
    if tag_mutability == "MUTABLE_WITH_EXCLUSION":
        return excluded
    return tag_mutability == "IMMUTABLE"


def normalize_repository(repository, lifecycle_text=None, tags=None):
    """The comparable state of a described repository (snake_case)."""
    encryption = repository.get("encryptionConfiguration") or {}
    return {
        "name": repository["repositoryName"],
        "arn": repository.get("repositoryArn"),
        "uri": repository.get("repositoryUri"),
        "scan_on_push": bool((repository.get("imageScanningConfiguration") or {}).get("scanOnPush")),
        "tag_mutability": repository.get("imageTagMutability", "MUTABLE"),
        "exclusion_filters": sorted(f["filter"] for f in repository.get("imageTagMutabilityExclusionFilters") or []),
        "encryption": {"type": encryption.get("encryptionType", "AES256"), "kms_key": encryption.get("kmsKey")},
        "lifecycle_policy": json.loads(lifecycle_text) if lifecycle_text else None,
        "tags": dict(tags or {}),
    }


def plan_repository(current, desired):
    """The changes that bring ``current`` (None: missing) to ``desired``: a list of (what, value)."""
    if current is None:
        return [("create", None)]
    plan = []
    if desired["scan_on_push"] is not None and desired["scan_on_push"] != current["scan_on_push"]:
        plan.append(("scan_on_push", desired["scan_on_push"]))
    if desired["tag_mutability"] is not None and (
        desired["tag_mutability"] != current["tag_mutability"]
        or (desired["tag_mutability"].endswith("_WITH_EXCLUSION")
            and desired["exclusion_filters"] != current["exclusion_filters"])
    ):
        plan.append(("tag_mutability", desired["tag_mutability"]))
    wanted = desired["encryption"]
    if wanted is not None:
        have = current["encryption"]
        if wanted["type"] != have["type"] or (wanted["kms_key"] and wanted["kms_key"] != have["kms_key"]):
            raise RepositoryError(
                f"repository '{current['name']}' is encrypted with {have['type']}"
                f"{' (' + have['kms_key'] + ')' if have.get('kms_key') else ''}; ECR cannot change the encryption "
                f"of an existing repository (asked for {wanted['type']}"
                f"{' ' + wanted['kms_key'] if wanted.get('kms_key') else ''})"
            )
    if desired["lifecycle_policy"] is not None and desired["lifecycle_policy"] != current["lifecycle_policy"]:
        plan.append(("lifecycle_policy", desired["lifecycle_policy"]))
    if desired["tags"] is not None:
        add = {k: v for k, v in desired["tags"].items() if current["tags"].get(k) != v}
        remove = sorted(set(current["tags"]) - set(desired["tags"])) if desired["purge_tags"] else []
        if add:
            plan.append(("tag", add))
        if remove:
            plan.append(("untag", remove))
    return plan


def after_state(current, desired, name):
    """What the repository looks like once the plan is applied (for diff and check mode)."""
    after = dict(current) if current else {
        "name": name, "arn": None, "uri": None, "scan_on_push": False, "tag_mutability": "MUTABLE",
        "exclusion_filters": [], "encryption": {"type": "AES256", "kms_key": None}, "lifecycle_policy": None,
        "tags": {},
    }
    for key in ("scan_on_push", "tag_mutability", "lifecycle_policy"):
        if desired[key] is not None:
            after[key] = desired[key]
    if desired["tag_mutability"] is not None:
        after["exclusion_filters"] = desired["exclusion_filters"] or []
    if current is None and desired["encryption"] is not None:
        after["encryption"] = dict(desired["encryption"])
    if desired["tags"] is not None:
        tags = dict(after["tags"]) if not desired["purge_tags"] else {}
        tags.update(desired["tags"])
        after["tags"] = tags
    return after


def summarize_findings(findings_response):
    """(severity counts, finding list) from DescribeImageScanFindings."""
    body = (findings_response or {}).get("imageScanFindings") or {}
    counts = {k: v for k, v in (body.get("findingSeverityCounts") or {}).items() if v}
    findings = [{"name": f.get("name"), "severity": f.get("severity"), "uri": f.get("uri")}
                for f in body.get("findings") or []]
    return counts, findings


def findings_at_or_above(counts, severity):
    """How many findings are at ``severity`` or worse."""
    limit = SEVERITIES.index(severity)
    return sum(count for name, count in counts.items() if name in SEVERITIES and SEVERITIES.index(name) <= limit)


# -- API layer -----------------------------------------------------------------------------

@api_call("describe ECR repository", missing_codes=["RepositoryNotFoundException"])
def describe_repository(client, name):
    return client.describe_repositories(repositoryNames=[name])["repositories"][0]


@api_call("get ECR lifecycle policy", missing_codes=["LifecyclePolicyNotFoundException"])
def get_lifecycle_policy_text(client, name):
    return client.get_lifecycle_policy(repositoryName=name)["lifecyclePolicyText"]


@api_call("list ECR repository tags")
def list_repository_tags(client, arn):
    return {t["Key"]: t["Value"] for t in client.list_tags_for_resource(resourceArn=arn).get("tags", [])}


def read_repository(client, name, with_lifecycle=True, with_tags=True):
    """The normalised repository, or None when it does not exist."""
    repository = describe_repository(client, name)
    if repository is None:
        return None
    text = get_lifecycle_policy_text(client, name) if with_lifecycle else None
    tags = list_repository_tags(client, repository["repositoryArn"]) if with_tags else {}
    return normalize_repository(repository, text, tags)


@api_call("create ECR repository")
def create_repository(client, name, desired):
    params = {"repositoryName": name}
    if desired["scan_on_push"] is not None:
        params["imageScanningConfiguration"] = {"scanOnPush": desired["scan_on_push"]}
    if desired["tag_mutability"]:
        params["imageTagMutability"] = desired["tag_mutability"]
        if desired["tag_mutability"].endswith("_WITH_EXCLUSION"):
            params["imageTagMutabilityExclusionFilters"] = _filters(desired["exclusion_filters"])
    if desired["encryption"]:
        params["encryptionConfiguration"] = {"encryptionType": desired["encryption"]["type"]}
        if desired["encryption"]["kms_key"]:
            params["encryptionConfiguration"]["kmsKey"] = desired["encryption"]["kms_key"]
    if desired["tags"]:
        params["tags"] = [{"Key": k, "Value": v} for k, v in sorted(desired["tags"].items())]
    return client.create_repository(**params)["repository"]


def _filters(patterns):
    return [{"filterType": "WILDCARD", "filter": p} for p in patterns or []]


@api_call("set ECR scan on push")
def put_scan_on_push(client, name, enabled):
    client.put_image_scanning_configuration(repositoryName=name, imageScanningConfiguration={"scanOnPush": enabled})


@api_call("set ECR tag mutability")
def put_tag_mutability(client, name, mutability, filters):
    params = {"repositoryName": name, "imageTagMutability": mutability}
    if mutability.endswith("_WITH_EXCLUSION"):
        params["imageTagMutabilityExclusionFilters"] = _filters(filters)
    client.put_image_tag_mutability(**params)


@api_call("put ECR lifecycle policy")
def put_lifecycle_policy(client, name, policy):
    client.put_lifecycle_policy(repositoryName=name, lifecyclePolicyText=json.dumps(policy, sort_keys=True))


@api_call("tag ECR repository")
def tag_repository(client, arn, tags):
    client.tag_resource(resourceArn=arn, tags=[{"Key": k, "Value": v} for k, v in sorted(tags.items())])


@api_call("untag ECR repository")
def untag_repository(client, arn, keys):
    client.untag_resource(resourceArn=arn, tagKeys=list(keys))


def apply_repository_plan(client, name, desired, plan, current):
    """Carry out ``plan``; returns the repository's ARN and URI."""
    if plan and plan[0][0] == "create":
        created = create_repository(client, name, desired)
        if desired["lifecycle_policy"]:
            put_lifecycle_policy(client, name, desired["lifecycle_policy"])
        return created["repositoryArn"], created["repositoryUri"]
    for what, value in plan:
        if what == "scan_on_push":
            put_scan_on_push(client, name, value)
        elif what == "tag_mutability":
            put_tag_mutability(client, name, value, desired["exclusion_filters"])
        elif what == "lifecycle_policy":
            put_lifecycle_policy(client, name, value)
        elif what == "tag":
            tag_repository(client, current["arn"], value)
        elif what == "untag":
            untag_repository(client, current["arn"], value)
    return current["arn"], current["uri"]


@api_call("get ECR authorization token")
def get_authorization_data(client):
    return client.get_authorization_token()["authorizationData"][0]


@api_call("describe ECR image scan findings", missing_codes=["ScanNotFoundException"])
def describe_scan_findings(client, name, digest):
    paginator = client.get_paginator("describe_image_scan_findings")
    result = None
    for page in paginator.paginate(repositoryName=name, imageId={"imageDigest": digest}):
        if result is None:
            result = page
        else:
            result["imageScanFindings"]["findings"].extend(page.get("imageScanFindings", {}).get("findings", []))
    return result


@api_call("start ECR image scan")
def start_image_scan(client, name, digest):
    return client.start_image_scan(repositoryName=name, imageId={"imageDigest": digest})
