# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""CloudWatch Logs for ecsops.fargate: log groups, their retention and tags.

Each boto3 call is one small function under ``api_call``. ``describe_log_groups`` lists every
group under a prefix in one paged call, so converging N groups that share a prefix
(``/ecs/<cluster>/``) reads them all at once instead of one call per group.
"""

from __future__ import annotations

import os
import re

from ansible_collections.ecsops.fargate.plugins.module_utils.api import api_call

# PutRetentionPolicy accepts only these values (days); no retention means "never expire".
RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
                  3288, 3653)
MAX_LOG_GROUP_NAME_LENGTH = 512
# A shared prefix shorter than this would list most of the account's log groups: describe
# the groups one by one instead.
MIN_SHARED_PREFIX = 5


@api_call("describe CloudWatch log groups")
def describe_log_groups(client, prefix=None):
    """Every log group whose name starts with ``prefix`` (paged), as DescribeLogGroups returns them."""
    paginator = client.get_paginator("describe_log_groups")
    kwargs = {"logGroupNamePrefix": prefix} if prefix else {}
    return [group for page in paginator.paginate(**kwargs) for group in page.get("logGroups") or []]


def find_log_groups(client, names):
    """``{name: log group}`` for those of ``names`` that exist, in as few calls as their names allow."""
    names = sorted(set(names))
    if not names:
        return {}
    prefix = os.path.commonprefix(names)
    prefixes = [prefix] if len(prefix) >= MIN_SHARED_PREFIX else names
    found = {}
    for one in prefixes:
        for group in describe_log_groups(client, one):
            if group["logGroupName"] in names:
                found[group["logGroupName"]] = group
    return found


@api_call("create CloudWatch log group")
def create_log_group(client, name, tags=None, kms_key_id=None):
    params = {"logGroupName": name}
    if tags:
        params["tags"] = dict(tags)
    if kms_key_id:
        params["kmsKeyId"] = kms_key_id
    client.create_log_group(**params)


@api_call("put CloudWatch log group retention")
def put_retention_policy(client, name, days):
    client.put_retention_policy(logGroupName=name, retentionInDays=days)


@api_call("delete CloudWatch log group retention", missing_codes=["ResourceNotFoundException"])
def delete_retention_policy(client, name):
    client.delete_retention_policy(logGroupName=name)


@api_call("delete CloudWatch log group", missing_codes=["ResourceNotFoundException"])
def delete_log_group(client, name):
    client.delete_log_group(logGroupName=name)


def validate_log_group_name(name):
    """Return ``name`` if CloudWatch Logs accepts it, else raise ValueError."""
    if not isinstance(name, str) or not name or len(name) > MAX_LOG_GROUP_NAME_LENGTH:
        raise ValueError(f"log group name '{name}' must be 1 to {MAX_LOG_GROUP_NAME_LENGTH} characters long")
    if not re.match(r"^[\.\-_/#A-Za-z0-9]+$", name):
        raise ValueError(f"log group name '{name}' may only hold letters, digits and . - _ / #")
    return name


def validate_retention(days):
    """Return ``days`` (None: never expire) if PutRetentionPolicy accepts it, else raise ValueError."""
    if days is None or days == 0:
        return None
    if days not in RETENTION_DAYS:
        raise ValueError(f"log retention {days} days is not one CloudWatch Logs accepts: "
                         f"{', '.join(str(d) for d in RETENTION_DAYS)} (or 0 for never expire)")
    return days
