# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Elastic Load Balancing v2 (Application Load Balancers), one small function per call under ``api_call``.

Shapes are boto3's (CamelCase). Describe calls page and batch for the caller (DescribeLoadBalancers
and DescribeTargetGroups take at most 20 names, DescribeTags at most 20 ARNs); "does not exist"
becomes an empty list or None as the contract in each docstring says. The pure helpers at the end
turn ARNs into the strings CloudWatch and Application Auto Scaling want:

    load_balancer_dimension("arn:...:loadbalancer/app/web/50dc6c495c0c9188")  -> "app/web/50dc6c495c0c9188"
    target_group_dimension("arn:...:targetgroup/api/73e2d6bc24d8a067")       -> "targetgroup/api/73e2d6bc24d8a067"
    target_group_resource_label(lb_arn, tg_arn) -> "app/web/50dc.../targetgroup/api/73e2..."  (ALBRequestCountPerTarget)
"""

from __future__ import annotations

from ansible_collections.ecsops.fargate.plugins.module_utils.api import api_call

NAMES_PER_CALL = 20  # DescribeLoadBalancers / DescribeTargetGroups Names, DescribeTags ResourceArns
RULES_PER_CALL = 20  # DescribeRules RuleArns (no documented limit; stay well inside the page size)


def _batches(items, size):
    items = list(items or [])
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _paged(client, operation, key, **params):
    found = []
    for page in client.get_paginator(operation).paginate(**params):
        found.extend(page.get(key) or [])
    return found


# -- load balancers -----------------------------------------------------------------------------------

@api_call("describe load balancers", missing_codes=["LoadBalancerNotFound"], missing_value=[])
def describe_load_balancers(client, names=None, arns=None):
    """The load balancers named (or with these ARNs), or all of them when neither is given.

    AWS fails the whole call when one name does not exist (LoadBalancerNotFound): asking for one name
    per call is how a caller tells "missing" from "present"; with several, a missing one empties the answer.
    """
    if names:
        return [lb for batch in _batches(names, NAMES_PER_CALL)
                for lb in _paged(client, "describe_load_balancers", "LoadBalancers", Names=batch)]
    if arns:
        return [lb for batch in _batches(arns, NAMES_PER_CALL)
                for lb in _paged(client, "describe_load_balancers", "LoadBalancers", LoadBalancerArns=batch)]
    return _paged(client, "describe_load_balancers", "LoadBalancers")


@api_call("create load balancer")
def create_load_balancer(client, **params):
    """CreateLoadBalancer with boto3's parameters; returns the load balancer."""
    return client.create_load_balancer(**params)["LoadBalancers"][0]


@api_call("delete load balancer", missing_codes=["LoadBalancerNotFound"])
def delete_load_balancer(client, arn):
    client.delete_load_balancer(LoadBalancerArn=arn)


@api_call("set load balancer security groups")
def set_security_groups(client, load_balancer_arn, security_group_ids):
    client.set_security_groups(LoadBalancerArn=load_balancer_arn, SecurityGroups=list(security_group_ids))


@api_call("set load balancer subnets")
def set_subnets(client, load_balancer_arn, subnet_ids):
    client.set_subnets(LoadBalancerArn=load_balancer_arn, Subnets=list(subnet_ids))


@api_call("describe load balancer attributes")
def describe_load_balancer_attributes(client, load_balancer_arn):
    """{key: value} (strings, as AWS returns them)."""
    attributes = client.describe_load_balancer_attributes(LoadBalancerArn=load_balancer_arn)["Attributes"]
    return {a["Key"]: a["Value"] for a in attributes}


@api_call("modify load balancer attributes")
def modify_load_balancer_attributes(client, load_balancer_arn, attributes):
    client.modify_load_balancer_attributes(
        LoadBalancerArn=load_balancer_arn,
        Attributes=[{"Key": k, "Value": str(v)} for k, v in sorted(attributes.items())])


# -- listeners ----------------------------------------------------------------------------------------

@api_call("describe listeners", missing_codes=["LoadBalancerNotFound"], missing_value=[])
def describe_listeners(client, load_balancer_arn):
    return _paged(client, "describe_listeners", "Listeners", LoadBalancerArn=load_balancer_arn)


@api_call("create listener")
def create_listener(client, **params):
    """CreateListener with boto3's parameters; returns the listener."""
    return client.create_listener(**params)["Listeners"][0]


@api_call("modify listener")
def modify_listener(client, **params):
    """ModifyListener with boto3's parameters (ListenerArn and what changes); returns the listener."""
    return client.modify_listener(**params)["Listeners"][0]


@api_call("delete listener", missing_codes=["ListenerNotFound"])
def delete_listener(client, arn):
    client.delete_listener(ListenerArn=arn)


# -- rules --------------------------------------------------------------------------------------------

@api_call("describe rules", missing_codes=["ListenerNotFound", "RuleNotFound"], missing_value=[])
def describe_rules(client, listener_arn=None, rule_arns=None):
    """The listener's rules (the default rule included, IsDefault true), or the rules with these ARNs."""
    if rule_arns:
        return [rule for batch in _batches(rule_arns, RULES_PER_CALL)
                for rule in _paged(client, "describe_rules", "Rules", RuleArns=batch)]
    return _paged(client, "describe_rules", "Rules", ListenerArn=listener_arn)


@api_call("create rule")
def create_rule(client, listener_arn, priority, conditions, actions, tags=None):
    params = dict(ListenerArn=listener_arn, Priority=int(priority), Conditions=conditions, Actions=actions)
    if tags:
        params["Tags"] = tag_list(tags)
    return client.create_rule(**params)["Rules"][0]


@api_call("modify rule")
def modify_rule(client, rule_arn, actions=None, conditions=None):
    params = dict(RuleArn=rule_arn)
    if actions is not None:
        params["Actions"] = actions
    if conditions is not None:
        params["Conditions"] = conditions
    return client.modify_rule(**params)["Rules"][0]


@api_call("set rule priorities")
def set_rule_priorities(client, priorities):
    """priorities: {rule_arn: priority}; one call moves them all (AWS checks the end state for collisions)."""
    if not priorities:
        return []
    return client.set_rule_priorities(
        RulePriorities=[{"RuleArn": arn, "Priority": int(p)} for arn, p in sorted(priorities.items())])["Rules"]


@api_call("delete rule", missing_codes=["RuleNotFound"])
def delete_rule(client, rule_arn):
    client.delete_rule(RuleArn=rule_arn)


# -- target groups ------------------------------------------------------------------------------------

@api_call("describe target groups", missing_codes=["TargetGroupNotFound", "LoadBalancerNotFound"], missing_value=[])
def describe_target_groups(client, names=None, arns=None, load_balancer_arn=None):
    """Target groups by names, ARNs, or those attached to a load balancer (or all when none is given).

    As with load balancers, one missing name makes AWS fail the call (TargetGroupNotFound -> []).
    """
    if names:
        return [tg for batch in _batches(names, NAMES_PER_CALL)
                for tg in _paged(client, "describe_target_groups", "TargetGroups", Names=batch)]
    if arns:
        return [tg for batch in _batches(arns, NAMES_PER_CALL)
                for tg in _paged(client, "describe_target_groups", "TargetGroups", TargetGroupArns=batch)]
    if load_balancer_arn:
        return _paged(client, "describe_target_groups", "TargetGroups", LoadBalancerArn=load_balancer_arn)
    return _paged(client, "describe_target_groups", "TargetGroups")


@api_call("create target group")
def create_target_group(client, **params):
    """CreateTargetGroup with boto3's parameters; returns the target group."""
    return client.create_target_group(**params)["TargetGroups"][0]


@api_call("modify target group")
def modify_target_group(client, **params):
    """ModifyTargetGroup (TargetGroupArn and the health check settings that change); returns the group."""
    return client.modify_target_group(**params)["TargetGroups"][0]


@api_call("delete target group", missing_codes=["TargetGroupNotFound"])
def delete_target_group(client, arn):
    client.delete_target_group(TargetGroupArn=arn)


@api_call("describe target group attributes")
def describe_target_group_attributes(client, target_group_arn):
    """{key: value} (strings, as AWS returns them)."""
    attributes = client.describe_target_group_attributes(TargetGroupArn=target_group_arn)["Attributes"]
    return {a["Key"]: a["Value"] for a in attributes}


@api_call("modify target group attributes")
def modify_target_group_attributes(client, target_group_arn, attributes):
    client.modify_target_group_attributes(
        TargetGroupArn=target_group_arn,
        Attributes=[{"Key": k, "Value": str(v)} for k, v in sorted(attributes.items())])


@api_call("register targets")
def register_targets(client, target_group_arn, targets):
    client.register_targets(TargetGroupArn=target_group_arn, Targets=list(targets))


@api_call("describe target health", missing_codes=["TargetGroupNotFound"], missing_value=[])
def describe_target_health(client, target_group_arn):
    return client.describe_target_health(TargetGroupArn=target_group_arn)["TargetHealthDescriptions"]


# -- tags ---------------------------------------------------------------------------------------------

@api_call("describe ELB tags")
def describe_tags(client, arns):
    """{arn: {key: value}} for every ARN asked (in batches of 20)."""
    found = {}
    for batch in _batches(arns, NAMES_PER_CALL):
        for description in client.describe_tags(ResourceArns=batch)["TagDescriptions"]:
            found[description["ResourceArn"]] = tag_dict(description.get("Tags"))
    return found


@api_call("add ELB tags")
def add_tags(client, arns, tags):
    if not tags:
        return
    for batch in _batches(arns, NAMES_PER_CALL):
        client.add_tags(ResourceArns=batch, Tags=tag_list(tags))


@api_call("remove ELB tags")
def remove_tags(client, arns, keys):
    keys = sorted(keys or [])
    if not keys:
        return
    for batch in _batches(arns, NAMES_PER_CALL):
        client.remove_tags(ResourceArns=batch, TagKeys=keys)


# -- pure helpers -------------------------------------------------------------------------------------

def tag_list(tags):
    """{key: value} -> [{"Key": key, "Value": value}] (sorted by key)."""
    return [{"Key": str(k), "Value": str(v)} for k, v in sorted((tags or {}).items())]


def tag_dict(tags):
    """[{"Key": key, "Value": value}] -> {key: value}."""
    return {t["Key"]: t.get("Value", "") for t in tags or []}


def _resource_part(arn, marker):
    if not isinstance(arn, str) or marker not in arn:
        raise ValueError(f"'{arn}' is not an Elastic Load Balancing ARN with '{marker}'")
    return arn.split(marker, 1)[1]


def load_balancer_dimension(load_balancer_arn):
    """arn:aws:elasticloadbalancing:<region>:<account>:loadbalancer/app/<name>/<id> -> "app/<name>/<id>"."""
    part = _resource_part(load_balancer_arn, ":loadbalancer/")
    if part.count("/") != 2:
        raise ValueError(f"'{load_balancer_arn}' is not a load balancer ARN (.../loadbalancer/<type>/<name>/<id>)")
    return part


def target_group_dimension(target_group_arn):
    """arn:aws:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<id> -> "targetgroup/<name>/<id>"."""
    part = _resource_part(target_group_arn, ":targetgroup/")
    if part.count("/") != 1:
        raise ValueError(f"'{target_group_arn}' is not a target group ARN (.../targetgroup/<name>/<id>)")
    return "targetgroup/" + part


def target_group_resource_label(load_balancer_arn, target_group_arn):
    """The ResourceLabel of ALBRequestCountPerTarget: "app/<lb>/<id>/targetgroup/<tg>/<id>"."""
    return f"{load_balancer_dimension(load_balancer_arn)}/{target_group_dimension(target_group_arn)}"
