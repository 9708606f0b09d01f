# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The calls preview environments need that the collection's other API modules do not have.

Tags are read per service (ELBv2 DescribeTags, DescribeServices with TAGS, Logs ListTagsForResource):
the Resource Groups Tagging API does not list listener rules or log groups in the sandbox, and per-service
reads are the same code path on AWS.
"""

from __future__ import annotations

from ansible_collections.ecsops.fargate.plugins.module_utils.api import api_call

SERVICES_PER_CALL = 10  # DescribeServices


@api_call("describe listener", missing_codes=["ListenerNotFound"])
def describe_listener(client, arn):
    listeners = client.describe_listeners(ListenerArns=[arn])["Listeners"]
    return listeners[0] if listeners else None


@api_call("describe ECS services with tags", missing_codes=["ClusterNotFoundException"], missing_value=[])
def describe_services_with_tags(client, cluster, arns):
    found = []
    arns = list(arns or ())
    for start in range(0, len(arns), SERVICES_PER_CALL):
        found.extend(client.describe_services(cluster=cluster, services=arns[start:start + SERVICES_PER_CALL],
                                              include=["TAGS"])["services"])
    return found


@api_call("list ECS services", missing_codes=["ClusterNotFoundException"], missing_value=[])
def list_services(client, cluster):
    paginator = client.get_paginator("list_services")
    return [arn for page in paginator.paginate(cluster=cluster) for arn in page.get("serviceArns") or []]


@api_call("list CloudWatch log group tags", missing_codes=["ResourceNotFoundException"], missing_value={})
def log_group_tags(client, group):
    # The log group's ARN without the ":*" DescribeLogGroups appends (ListTagsForResource refuses it).
    arn = group["arn"][:-2] if group["arn"].endswith(":*") else group["arn"]
    return client.list_tags_for_resource(resourceArn=arn).get("tags") or {}


@api_call("tag CloudWatch log group")
def tag_log_group(client, group, tags):
    arn = group["arn"][:-2] if group["arn"].endswith(":*") else group["arn"]
    client.tag_resource(resourceArn=arn, tags=dict(tags))
