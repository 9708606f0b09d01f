"""fargate_cluster's pure half: validation before any call, the normalised states, the plan."""

from __future__ import annotations

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.ecsops.fargate.plugins.module_utils._cluster import plan as planning
from ansible_collections.ecsops.fargate.plugins.module_utils._cluster.plan import ClusterInputError
from ansible_collections.ecsops.fargate.plugins.modules.fargate_cluster import argument_spec

VPC = "vpc-0123456789abcdef0"
SERVICES = [{"name": "web", "calls": ["api"]}, {"name": "api", "calls": ["backend"]}, {"name": "backend"}]


def params(**extra):
    raw = {"name": "dev", "container_insights": "disabled", "log_retention_days": 7, "services": SERVICES,
           "capacity_provider_strategy": [{"capacity_provider": "FARGATE_SPOT"}],
           "namespace": {"name": "dev.local", "vpc_id": VPC}, "tags": {"env": "dev"}}
    raw.update(extra)
    raw = {k: v for k, v in raw.items() if v is not None}  # None: the argument is not given
    result = ArgumentSpecValidator(argument_spec()).validate(raw)
    assert not result.error_messages, result.error_messages
    return result.validated_parameters


def existing_cluster(**overrides):
    cluster = {"clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/dev", "clusterName": "dev",
               "status": "ACTIVE", "settings": [{"name": "containerInsights", "value": "disabled"}],
               "capacityProviders": ["FARGATE_SPOT", "FARGATE"],
               "defaultCapacityProviderStrategy": [{"capacityProvider": "FARGATE_SPOT", "weight": 1, "base": 0}],
               "tags": [{"key": "env", "value": "dev"}]}
    cluster.update(overrides)
    return cluster


def summary(name, ttl=10):
    return {"Id": f"srv-{name}", "Arn": f"arn:aws:servicediscovery:us-east-1:123456789012:service/srv-{name}",
            "Name": name, "DnsConfig": {"RoutingPolicy": "MULTIVALUE", "DnsRecords": [{"Type": "A", "TTL": ttl}]}}


def converged(desired, **overrides):
    """What exists after a converge of ``desired`` (optionally drifted)."""
    groups = {name: {"logGroupName": name, "retentionInDays": 7} for name in desired["log_groups"]}
    namespace = {"Id": "ns-1", "Arn": "arn:ns-1", "Name": "dev.local", "Type": "DNS_PRIVATE"}
    services = [summary("api"), summary("backend")]
    state = {"cluster": existing_cluster(), "log_groups": groups, "namespace": namespace, "services": services}
    state.update(overrides)
    return planning.current_state(state["cluster"], state["log_groups"], state["namespace"], state["services"],
                                  desired)


def actions(steps):
    return [s["action"] for s in steps]


# --- validation -----------------------------------------------------------------------------------

@pytest.mark.parametrize("extra, message", [
    ({"name": "dev cluster"}, "cluster name 'dev cluster' is not valid"),
    ({"capacity_providers": ["FARGATE"]}, "not in capacity_providers"),
    ({"capacity_provider_strategy": [{"capacity_provider": "FARGATE", "base": 1},
                                     {"capacity_provider": "FARGATE_SPOT", "base": 2}]}, "only one capacity provider"),
    ({"capacity_provider_strategy": [{"capacity_provider": "FARGATE", "weight": 0}]}, "weight above 0"),
    ({"capacity_provider_strategy": [{"capacity_provider": "FARGATE", "weight": 1001}]}, "0 to 1000"),
    ({"capacity_provider_strategy": [{"capacity_provider": "FARGATE"}, {"capacity_provider": "FARGATE"}]},
     "names a provider twice"),
    ({"capacity_provider_strategy": [{"capacity_provider": "EC2_ASG"}]}, "not in capacity_providers"),
    ({"services": [{"name": "api"}, {"name": "api"}]}, "listed twice"),
    ({"services": [{"name": "web", "calls": ["nope"]}]}, "calls names services that are not in services"),
    ({"log_retention_days": 8}, "log retention 8 days is not one CloudWatch Logs accepts"),
    ({"namespace": {"name": "dev..local", "vpc_id": VPC}}, "is not a DNS name"),
    ({"namespace": {"name": "dev.local", "vpc_id": "vpc-nothex"}}, "is not a VPC id"),
    ({"namespace": None}, "needs a namespace"),
    ({"services": [{"name": "Api_1", "discoverable": True}]}, "cannot be a Cloud Map DNS name"),
    ({"services": [{"name": "a", "log_group": "/same"}, {"name": "b", "log_group": "/same"}]}, "share a log group"),
    ({"services": [{"name": "a", "log_group": "bad name"}]}, "may only hold"),
    ({"discovery_dns_ttl": -1}, "discovery_dns_ttl"),
])
def test_bad_input_is_refused_before_any_call(extra, message):
    with pytest.raises(ClusterInputError, match=message):
        planning.desired_state(params(**extra))


def test_discoverable_means_called_by_another_service_unless_said_otherwise():
    assert planning.discoverable_services(SERVICES) == ["api", "backend"]
    services = [{"name": "web", "discoverable": True}, {"name": "api", "calls": ["api"]},
                {"name": "backend", "discoverable": False}, {"name": "worker", "calls": ["backend"]}]
    # calling yourself does not count; an explicit false wins over being called
    assert planning.discoverable_services(services) == ["web"]


def test_log_group_names_default_to_the_cluster_prefix():
    assert planning.log_group_names(params()) == {"web": "/ecs/dev/web", "api": "/ecs/dev/api",
                                                  "backend": "/ecs/dev/backend"}
    named = params(log_group_prefix="/apps/", services=[{"name": "a"}, {"name": "b", "log_group": "/b"}])
    assert planning.log_group_names(named) == {"a": "/apps/a", "b": "/b"}


# --- plan -----------------------------------------------------------------------------------------

def test_nothing_exists_so_everything_is_created_in_order():
    desired = planning.desired_state(params())
    current = planning.current_state(None, {}, None, [], desired)
    steps = planning.plan(current, desired)
    assert actions(steps) == ["create_cluster",
                              "create_log_group", "put_retention", "create_log_group", "put_retention",
                              "create_log_group", "put_retention",
                              "create_namespace", "create_discovery_service", "create_discovery_service"]
    assert steps[0] == {"action": "create_cluster", "container_insights": "disabled",
                        "capacity_providers": ["FARGATE", "FARGATE_SPOT"],
                        "strategy": [{"capacity_provider": "FARGATE_SPOT", "weight": 1, "base": 0}],
                        "tags": {"env": "dev"}}
    assert steps[-1] == {"action": "create_discovery_service", "service": "backend", "ttl": 10, "tags": {"env": "dev"}}


def test_a_converged_environment_plans_nothing():
    desired = planning.desired_state(params())
    assert planning.plan(converged(desired), desired) == []


def test_each_drift_is_one_step():
    desired = planning.desired_state(params(container_insights="enabled", log_retention_days=30,
                                            discovery_dns_ttl=20, tags={"env": "prod"},
                                            capacity_provider_strategy=[{"capacity_provider": "FARGATE", "base": 1}]))
    steps = planning.plan(converged(desired), desired)
    assert steps[:3] == [
        {"action": "update_settings", "container_insights": "enabled"},
        {"action": "put_capacity_providers", "capacity_providers": ["FARGATE", "FARGATE_SPOT"],
         "strategy": [{"capacity_provider": "FARGATE", "weight": 1, "base": 1}]},
        {"action": "tag_cluster", "tags": {"env": "prod"}},
    ]
    assert actions(steps[3:]) == ["put_retention"] * 3 + ["update_discovery_service"] * 2
    assert {s["days"] for s in steps[3:6]} == {30}


def test_tags_are_purged_unless_told_not_to():
    desired = planning.desired_state(params(tags={}))
    current = converged(desired)
    assert planning.plan(current, desired) == [{"action": "untag_cluster", "keys": ["env"]}]
    assert planning.plan(current, desired, purge_tags=False) == []


def test_what_is_not_given_is_left_alone():
    desired = planning.desired_state(params(container_insights=None, tags=None, log_retention_days=None,
                                            capacity_provider_strategy=None))
    current = converged(desired, cluster=existing_cluster(settings=[{"name": "containerInsights", "value": "enabled"}],
                                                          tags=[{"key": "owner", "value": "x"}]))
    assert planning.plan(current, desired) == []


def test_retention_zero_means_never_expire():
    desired = planning.desired_state(params(log_retention_days=0))
    steps = planning.plan(converged(desired), desired)
    assert actions(steps) == ["delete_retention"] * 3


def test_a_missing_discovery_service_is_created_in_the_existing_namespace():
    desired = planning.desired_state(params())
    steps = planning.plan(converged(desired, services=[summary("api")]), desired)
    assert steps == [{"action": "create_discovery_service", "service": "backend", "ttl": 10, "tags": {"env": "dev"}}]


def test_creating_a_namespace_needs_a_vpc():
    desired = planning.desired_state(params(namespace={"name": "dev.local"}))
    with pytest.raises(ClusterInputError, match="needs namespace.vpc_id"):
        planning.plan(converged(desired, namespace=None, services=[]), desired)


def test_namespaces_sharing_a_name_need_an_id():
    found = [{"Id": "ns-1", "Name": "dev.local"}, {"Id": "ns-2", "Name": "dev.local"}, {"Id": "ns-3", "Name": "x"}]
    with pytest.raises(ClusterInputError, match="2 private DNS namespaces are named dev.local"):
        planning.pick_namespace(found, {"name": "dev.local"})
    assert planning.pick_namespace(found, {"name": "dev.local", "id": "ns-2"})["Id"] == "ns-2"
    assert planning.pick_namespace(found[2:], {"name": "dev.local"}) is None
    with pytest.raises(ClusterInputError, match="has the id ns-9"):
        planning.pick_namespace(found, {"name": "dev.local", "id": "ns-9"})


def test_removal_keeps_a_namespace_that_others_still_use():
    desired = planning.desired_state(params(state="absent"))
    current = converged(desired)
    assert actions(planning.removal_plan(current, desired)) == (
        ["delete_discovery_service"] * 2 + ["delete_namespace"] + ["delete_log_group"] * 3 + ["delete_cluster"])
    assert "delete_namespace" not in actions(planning.removal_plan(current, desired, ["other"]))


def test_the_diff_after_state_is_what_the_plan_makes():
    desired = planning.desired_state(params(log_retention_days=30))
    current = converged(desired)
    after = planning.after_state(current, desired, planning.plan(current, desired))
    assert {g["retention_in_days"] for g in after["log_groups"].values()} == {30}
    assert after["cluster"] == current["cluster"]
    assert planning.after_state(current, desired, []) is current
    created = planning.after_state(planning.current_state(None, {}, None, [], desired), desired,
                                   [{"action": "create_cluster"}])
    assert created["cluster"]["container_insights"] == "disabled"
    assert created["discovery_services"] == {"api": {"ttl": 10}, "backend": {"ttl": 10}}
