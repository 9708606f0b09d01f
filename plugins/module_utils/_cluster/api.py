# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ECS cluster calls of fargate_cluster, one small function each under ``api_call``.

Log groups, Cloud Map and IAM have their own public files (logs.py, cloudmap.py, iam.py).
"""

from __future__ import annotations

from ansible_collections.ecsops.fargate.plugins.module_utils.api import api_call


def _tag_list(tags):
    return [{"key": k, "value": v} for k, v in sorted(tags.items())]


@api_call("describe ECS cluster")
def describe_cluster(ecs, name):
    """The ACTIVE (or PROVISIONING) cluster with its settings and tags, or None (missing or INACTIVE)."""
    clusters = ecs.describe_clusters(clusters=[name], include=["SETTINGS", "TAGS"])["clusters"]
    for cluster in clusters:
        if cluster.get("status") != "INACTIVE":
            return cluster
    return None


@api_call("create ECS cluster")
def create_cluster(ecs, name, settings=None, capacity_providers=None, strategy=None, tags=None):
    params = {"clusterName": name}
    if settings:
        params["settings"] = settings
    if capacity_providers:
        params["capacityProviders"] = list(capacity_providers)
    if strategy:
        params["defaultCapacityProviderStrategy"] = strategy
    if tags:
        params["tags"] = _tag_list(tags)
    return ecs.create_cluster(**params)["cluster"]


@api_call("update ECS cluster settings")
def update_cluster_settings(ecs, name, settings):
    """UpdateCluster with ``settings`` (containerInsights); the same change as UpdateClusterSettings."""
    return ecs.update_cluster(cluster=name, settings=settings)["cluster"]


@api_call("put ECS cluster capacity providers")
def put_cluster_capacity_providers(ecs, name, capacity_providers, strategy):
    return ecs.put_cluster_capacity_providers(
        cluster=name, capacityProviders=list(capacity_providers), defaultCapacityProviderStrategy=strategy)["cluster"]


@api_call("tag ECS cluster")
def tag_cluster(ecs, arn, tags):
    ecs.tag_resource(resourceArn=arn, tags=_tag_list(tags))


@api_call("untag ECS cluster")
def untag_cluster(ecs, arn, keys):
    ecs.untag_resource(resourceArn=arn, tagKeys=list(keys))


@api_call("delete ECS cluster", missing_codes=["ClusterNotFoundException"])
def delete_cluster(ecs, name):
    return ecs.delete_cluster(cluster=name)["cluster"]
