# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""fargate_cluster's pure half: validate the arguments, describe what is wanted and what exists in
one normalised shape, and plan the difference as a list of steps.

    desired = desired_state(params)                      # raises ClusterInputError on bad input
    current = current_state(cluster, log_groups, namespaces, services, desired)
    steps = plan(current, desired)                       # [] when nothing is to do

The normalised shape (also the module's ``diff``)::

    {"cluster": {"name", "container_insights", "capacity_providers", "default_capacity_provider_strategy",
                 "tags"} | None,
     "log_groups": {name: {"retention_in_days": int | None}},
     "namespace": {"name", "vpc_id"} | None,
     "discovery_services": {service: {"ttl": int}}}
"""

from __future__ import annotations

import re

from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.ecsops.fargate.plugins.module_utils import cloudmap
from ansible_collections.ecsops.fargate.plugins.module_utils import logs

CLUSTER_NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
FARGATE_PROVIDERS = ("FARGATE", "FARGATE_SPOT")
INSIGHTS = ("enabled", "disabled", "enhanced")
MAX_WEIGHT = 1000
MAX_BASE = 100000
# Not managed: the argument was not given, so what exists is left as it is.
UNMANAGED = object()


class ClusterInputError(ValueError):
    """The arguments cannot describe a cluster AWS would accept; raised before any call."""


# --- validate and describe what is wanted -------------------------------------------------------

def cluster_name(name):
    if not isinstance(name, str) or not CLUSTER_NAME.match(name):
        raise ClusterInputError(f"cluster name '{name}' is not valid: 1 to 255 letters, digits, '-' and '_'")
    return name


def normalise_strategy(strategy):
    """A capacity provider strategy as ``[{capacity_provider, weight, base}]`` sorted by provider.
    Accepts the module's snake_case items and ECS's camelCase ones."""
    out = []
    for item in strategy or []:
        provider = item.get("capacity_provider") or item.get("capacityProvider")
        out.append({"capacity_provider": provider, "weight": int(item.get("weight") or 0),
                    "base": int(item.get("base") or 0)})
    return sorted(out, key=lambda i: i["capacity_provider"])


def validate_strategy(strategy, providers):
    if not strategy:
        return
    names = [i["capacity_provider"] for i in strategy]
    if len(set(names)) != len(names):
        raise ClusterInputError(f"capacity_provider_strategy names a provider twice: {names}")
    unknown = sorted(set(names) - set(providers))
    if unknown:
        raise ClusterInputError(f"capacity_provider_strategy uses {unknown}, which are not in capacity_providers "
                                f"{sorted(providers)}")
    for item in strategy:
        if not 0 <= item["weight"] <= MAX_WEIGHT:
            raise ClusterInputError(f"weight of {item['capacity_provider']} must be 0 to {MAX_WEIGHT}")
        if not 0 <= item["base"] <= MAX_BASE:
            raise ClusterInputError(f"base of {item['capacity_provider']} must be 0 to {MAX_BASE}")
    if sum(1 for i in strategy if i["base"] > 0) > 1:
        raise ClusterInputError("only one capacity provider in a strategy can have a base above 0")
    if not any(i["weight"] > 0 for i in strategy):
        raise ClusterInputError("at least one capacity provider in the strategy needs a weight above 0")


def discoverable_services(services):
    """Names of the services that get a Cloud Map service: ``discoverable`` when given, else those
    another service lists in its ``calls``."""
    called = {callee for s in services for callee in (s.get("calls") or []) if callee != s["name"]}
    out = []
    for s in services:
        flag = s.get("discoverable")
        if flag is True or (flag is None and s["name"] in called):
            out.append(s["name"])
    return out


def log_group_names(params):
    """``{service: log group name}``: the service's ``log_group``, else ``<log_group_prefix><service>``."""
    prefix = params.get("log_group_prefix")
    if prefix is None:
        prefix = f"/ecs/{params['name']}/"
    return {s["name"]: s.get("log_group") or f"{prefix}{s['name']}" for s in params.get("services") or []}


def desired_state(params):
    """The normalised state the arguments ask for; raises ClusterInputError on input AWS would reject."""
    name = cluster_name(params["name"])
    services = params.get("services") or []
    names = [s["name"] for s in services]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ClusterInputError(f"services are listed twice: {duplicates}")
    unknown_callees = sorted({c for s in services for c in (s.get("calls") or [])} - set(names))
    if unknown_callees:
        raise ClusterInputError(f"calls names services that are not in services: {unknown_callees}")

    providers = params.get("capacity_providers")
    if providers is not None:
        bad = sorted(set(providers) - set(FARGATE_PROVIDERS))
        if bad:
            raise ClusterInputError(f"capacity_providers {bad} are not Fargate's; this module manages "
                                    f"{list(FARGATE_PROVIDERS)} only")
        providers = sorted(set(providers))
    strategy = params.get("capacity_provider_strategy")
    if strategy is not None:
        strategy = normalise_strategy(strategy)
        validate_strategy(strategy, providers if providers is not None else FARGATE_PROVIDERS)

    cluster = {
        "name": name,
        "container_insights": params.get("container_insights") or UNMANAGED,
        "capacity_providers": providers if providers is not None else UNMANAGED,
        "default_capacity_provider_strategy": strategy if strategy is not None else UNMANAGED,
        "tags": dict(params.get("tags") or {}) if params.get("tags") is not None else UNMANAGED,
    }

    retention = params.get("log_retention_days")
    try:
        retention = logs.validate_retention(retention) if retention is not None else UNMANAGED
        groups = log_group_names(params)
        for group in groups.values():
            logs.validate_log_group_name(group)
    except ValueError as e:
        raise ClusterInputError(str(e)) from e
    if len(set(groups.values())) != len(groups):
        raise ClusterInputError(f"two services share a log group: {groups}")

    namespace = None
    discovery = {}
    spec = params.get("namespace")
    if spec:
        try:
            cloudmap.validate_namespace_name(spec["name"])
            if spec.get("vpc_id"):
                cloudmap.validate_vpc_id(spec["vpc_id"])
            for service in discoverable_services(services):
                cloudmap.validate_service_name(service)
        except ValueError as e:
            raise ClusterInputError(str(e)) from e
        namespace = {"name": spec["name"].rstrip("."), "vpc_id": spec.get("vpc_id")}
        ttl = params.get("discovery_dns_ttl")
        if ttl is None or not 0 <= ttl <= 2147483647:
            raise ClusterInputError(f"discovery_dns_ttl must be 0 to 2147483647 seconds, not {ttl}")
        discovery = {service: {"ttl": ttl} for service in discoverable_services(services)}
    elif discoverable_services(services) and params.get("state", "present") == "present":
        raise ClusterInputError(f"services {discoverable_services(services)} are discoverable, which needs a "
                                "namespace (name and vpc_id)")

    return {
        "cluster": cluster,
        "log_groups": {group: {"retention_in_days": retention} for group in groups.values()},
        "namespace": namespace,
        "discovery_services": discovery,
    }


# --- describe what exists -----------------------------------------------------------------------

def cluster_settings(cluster):
    return {s["name"]: s["value"] for s in (cluster or {}).get("settings") or []}


def normalise_cluster(cluster):
    """DescribeClusters' cluster in the normalised shape; None stays None."""
    if cluster is None:
        return None
    return {
        "name": cluster["clusterName"],
        "container_insights": cluster_settings(cluster).get("containerInsights"),
        "capacity_providers": sorted(cluster.get("capacityProviders") or []),
        "default_capacity_provider_strategy": normalise_strategy(cluster.get("defaultCapacityProviderStrategy")),
        "tags": {t["key"]: t["value"] for t in cluster.get("tags") or []},
    }


def pick_namespace(namespaces, wanted):
    """The namespace to use among those named as wanted (ListNamespaces' answer), or None.

    Cloud Map allows one name in several VPCs; ListNamespaces does not say which VPC a namespace
    is in, so with more than one match the caller must pick by id."""
    if wanted is None:
        return None
    matches = [ns for ns in namespaces if ns.get("Name", "").rstrip(".") == wanted["name"]]
    if wanted.get("id"):
        matches = [ns for ns in matches if ns["Id"] == wanted["id"]]
        if not matches:
            raise ClusterInputError(f"no private DNS namespace {wanted['name']} has the id {wanted['id']}")
    if len(matches) > 1:
        raise ClusterInputError(
            f"{len(matches)} private DNS namespaces are named {wanted['name']} "
            f"({', '.join(sorted(ns['Id'] for ns in matches))}); give namespace.id to pick one")
    return matches[0] if matches else None


def a_record_ttl(service_summary):
    for record in (service_summary.get("DnsConfig") or {}).get("DnsRecords") or []:
        if record.get("Type") == "A":
            return record.get("TTL")
    return None


def current_state(cluster, log_groups, namespace, services, desired):
    """What exists, in the normalised shape, limited to what ``desired`` manages.

    ``log_groups``: ``{name: DescribeLogGroups item}``; ``namespace``: the picked namespace summary or
    None; ``services``: ListServices' summaries in that namespace."""
    by_name = {s["Name"]: s for s in services or []}
    return {
        "cluster": normalise_cluster(cluster),
        "log_groups": {name: {"retention_in_days": group.get("retentionInDays")}
                       for name, group in (log_groups or {}).items()},
        "namespace": {"name": namespace["Name"].rstrip("."), "vpc_id": (desired.get("namespace") or {}).get("vpc_id")}
        if namespace else None,
        "discovery_services": {name: {"ttl": a_record_ttl(by_name[name])}
                               for name in desired.get("discovery_services") or {} if name in by_name},
    }


# --- plan ---------------------------------------------------------------------------------------

def _managed(value):
    return value is not UNMANAGED


def plan(current, desired, purge_tags=True):
    """The steps that take ``current`` to ``desired`` (state present), in the order to run them.

    Each step is a dict with ``action`` and its arguments; [] means nothing to do."""
    steps = []
    want = desired["cluster"]
    have = current["cluster"]
    if have is None:
        steps.append({"action": "create_cluster",
                      "container_insights": want["container_insights"] if _managed(want["container_insights"]) else None,
                      "capacity_providers": want["capacity_providers"] if _managed(want["capacity_providers"]) else [],
                      "strategy": want["default_capacity_provider_strategy"]
                      if _managed(want["default_capacity_provider_strategy"]) else [],
                      "tags": want["tags"] if _managed(want["tags"]) else {}})
    else:
        if _managed(want["container_insights"]) and have["container_insights"] != want["container_insights"]:
            steps.append({"action": "update_settings", "container_insights": want["container_insights"]})
        providers = want["capacity_providers"] if _managed(want["capacity_providers"]) else have["capacity_providers"]
        strategy = (want["default_capacity_provider_strategy"] if _managed(want["default_capacity_provider_strategy"])
                    else [i for i in have["default_capacity_provider_strategy"] if i["capacity_provider"] in providers])
        if providers != have["capacity_providers"] or strategy != have["default_capacity_provider_strategy"]:
            steps.append({"action": "put_capacity_providers", "capacity_providers": providers, "strategy": strategy})
        if _managed(want["tags"]):
            to_set, to_unset = compare_aws_tags(have["tags"], want["tags"], purge_tags=purge_tags)
            if to_set:
                steps.append({"action": "tag_cluster", "tags": to_set})
            if to_unset:
                steps.append({"action": "untag_cluster", "keys": sorted(to_unset)})

    tags = want["tags"] if _managed(want["tags"]) else {}
    for name, group in sorted(desired["log_groups"].items()):
        retention = group["retention_in_days"]
        existing = current["log_groups"].get(name)
        if existing is None:
            steps.append({"action": "create_log_group", "name": name, "tags": tags})
            if _managed(retention) and retention is not None:
                steps.append({"action": "put_retention", "name": name, "days": retention})
        elif _managed(retention) and existing["retention_in_days"] != retention:
            if retention is None:
                steps.append({"action": "delete_retention", "name": name})
            else:
                steps.append({"action": "put_retention", "name": name, "days": retention})

    if desired["namespace"] is not None:
        if current["namespace"] is None:
            if not desired["namespace"].get("vpc_id"):
                raise ClusterInputError(f"namespace {desired['namespace']['name']} does not exist; creating it "
                                        "needs namespace.vpc_id")
            steps.append({"action": "create_namespace", "name": desired["namespace"]["name"],
                          "vpc_id": desired["namespace"]["vpc_id"], "tags": tags})
        for service, spec in sorted(desired["discovery_services"].items()):
            existing = current["discovery_services"].get(service)
            if existing is None:
                steps.append({"action": "create_discovery_service", "service": service, "ttl": spec["ttl"],
                              "tags": tags})
            elif existing["ttl"] != spec["ttl"]:
                steps.append({"action": "update_discovery_service", "service": service, "ttl": spec["ttl"]})
    return steps


def removal_plan(current, desired, other_services_in_namespace=()):
    """The steps of state=absent: discovery services, then the namespace (only when nothing else is
    registered in it), log groups, and the cluster."""
    steps = [{"action": "delete_discovery_service", "service": name}
             for name in sorted(current["discovery_services"])]
    if current["namespace"] is not None and not other_services_in_namespace:
        steps.append({"action": "delete_namespace", "name": current["namespace"]["name"]})
    steps.extend({"action": "delete_log_group", "name": name} for name in sorted(current["log_groups"]))
    if current["cluster"] is not None:
        steps.append({"action": "delete_cluster", "name": current["cluster"]["name"]})
    return steps


def after_state(current, desired, steps):
    """The normalised state once ``steps`` have run (the ``after`` of the diff)."""
    if not steps:
        return current
    if any(s["action"].startswith("delete_") for s in steps):
        deleted = {s["action"]: True for s in steps}
        after = {
            "cluster": None if "delete_cluster" in deleted else current["cluster"],
            "log_groups": {},
            "namespace": None if "delete_namespace" in deleted else current["namespace"],
            "discovery_services": {},
        }
        return after
    cluster = dict(current["cluster"] or {})
    want = desired["cluster"]
    for key in ("name", "container_insights", "capacity_providers", "default_capacity_provider_strategy"):
        if _managed(want[key]):
            cluster[key] = want[key]
        cluster.setdefault(key, None if key != "capacity_providers" else [])
    if _managed(want["tags"]):
        to_set, to_unset = compare_aws_tags(cluster.get("tags") or {}, want["tags"])
        tags = {k: v for k, v in (cluster.get("tags") or {}).items() if k not in to_unset}
        tags.update(to_set)
        cluster["tags"] = tags
    cluster.setdefault("tags", {})
    log_groups = dict(current["log_groups"])
    for name, group in desired["log_groups"].items():
        retention = group["retention_in_days"]
        if _managed(retention):
            log_groups[name] = {"retention_in_days": retention}
        else:
            log_groups.setdefault(name, {"retention_in_days": None})
    return {
        "cluster": cluster,
        "log_groups": log_groups,
        "namespace": desired["namespace"] or current["namespace"],
        "discovery_services": dict(current["discovery_services"], **desired["discovery_services"]),
    }


def describe_step(step):
    """One line per step for the module's ``actions``."""
    action = step["action"]
    detail = {k: v for k, v in step.items() if k not in ("action", "tags")}
    words = ", ".join(f"{k}={v}" for k, v in detail.items())
    return f"{action.replace('_', ' ')}" + (f" ({words})" if words else "")


def public(state):
    """The normalised state with UNMANAGED values dropped (for diff and results)."""
    if isinstance(state, dict):
        return {k: public(v) for k, v in state.items() if v is not UNMANAGED}
    if isinstance(state, list):
        return [public(v) for v in state]
    return state
