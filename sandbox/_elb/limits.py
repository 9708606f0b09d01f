"""ELB validation that moto lacks and the collection's modules meet.

- Rules per Application Load Balancer (not counting default rules): 100 (default quota) -> TooManyRules.
- Unique target groups per Application Load Balancer across all listeners: 100 (hard) ->
  TooManyUniqueTargetGroupsPerLoadBalancer (a target group used by several actions counts once).
- One listener per port: moto's check looks the port up among listener ARNs and never fires -> DuplicateListener.
- RegisterTargets in an instance target group: an Id that is no instance ID -> ValidationError
  "Instance ID '<id>' is not valid"; instances that do not exist -> InvalidTarget "The following
  instances do not exist: '<id>', ..." (moto registers both).
Quotas: https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html
Already rejected by moto, as AWS does: duplicate rule priority (PriorityInUse), target group names
(ValidationError: at most 32 characters of [A-Za-z0-9-], no leading/trailing hyphen), duplicate target
group names, a health check timeout not below the interval, deleting a target group in use.
"""

import re

from ..hooks import before
from ..protocol import AwsError
from .targets import forwarded_target_groups

RULES_PER_LOAD_BALANCER = 100
TARGET_GROUPS_PER_LOAD_BALANCER = 100
INSTANCE_ID = re.compile(r"i-(?:[0-9a-f]{8}|[0-9a-f]{17})")


@before("elbv2", "RegisterTargets")
def _register_instances(sb, call):
    tg = sb.backend("elbv2", call.region).target_groups.get(call.params.get("TargetGroupArn"))
    if tg is None or tg.target_type != "instance":
        return  # moto answers TargetGroupNotFound
    ids = [target["Id"] for target in call.params.get("Targets", [])]
    for target_id in ids:
        if not INSTANCE_ID.fullmatch(target_id):
            raise AwsError("ValidationError", f"Instance ID '{target_id}' is not valid")
    ec2 = sb.backend("ec2", call.region)
    missing = [target_id for target_id in ids if ec2.get_instance_by_id(target_id) is None]
    if missing:
        raise AwsError("InvalidTarget", "The following instances do not exist: "
                       + ", ".join(f"'{target_id}'" for target_id in missing))


@before("elbv2", "CreateRule")
def _create_rule(sb, call):
    balancer, listener = _listener(sb, call.region, call.params.get("ListenerArn"))
    if balancer is None:
        return  # moto answers ListenerNotFound
    rules = sum(len(other._non_default_rules) for other in balancer.listeners.values())
    if rules >= RULES_PER_LOAD_BALANCER:
        raise AwsError("TooManyRules", "You've reached the limit on the number of rules per load balancer.")
    _check_target_groups(balancer, call.params.get("Actions", []))


@before("elbv2", "ModifyRule")
def _modify_rule(sb, call):
    rule_arn = call.params.get("RuleArn")
    for balancer in sb.backend("elbv2", call.region).load_balancers.values():
        for listener in balancer.listeners.values():
            if rule_arn in listener._non_default_rules and call.params.get("Actions"):
                _check_target_groups(balancer, call.params["Actions"], replaced_rule=rule_arn)
                return


@before("elbv2", "CreateListener")
def _create_listener(sb, call):
    balancer = sb.backend("elbv2", call.region).load_balancers.get(call.params.get("LoadBalancerArn"))
    if balancer is None:
        return  # moto answers LoadBalancerNotFound
    _check_port_free(balancer, call.params.get("Port"))
    _check_target_groups(balancer, call.params.get("DefaultActions", []))


@before("elbv2", "ModifyListener")
def _modify_listener(sb, call):
    balancer, listener = _listener(sb, call.region, call.params.get("ListenerArn"))
    if balancer is None:
        return
    _check_port_free(balancer, call.params.get("Port"), listener)
    if call.params.get("DefaultActions"):
        _check_target_groups(balancer, call.params["DefaultActions"], replaced_rule=listener._default_rule[0].arn)


def _listener(sb, region, listener_arn):
    for balancer in sb.backend("elbv2", region).load_balancers.values():
        if listener_arn in balancer.listeners:
            return balancer, balancer.listeners[listener_arn]
    return None, None


def _check_port_free(balancer, port, listener=None):
    if port is None:
        return
    if any(str(other.port) == str(port) and other is not listener for other in balancer.listeners.values()):
        raise AwsError("DuplicateListener", "A listener with the specified port already exists.")


def _check_target_groups(balancer, actions, replaced_rule=None):
    in_use = set()
    for listener in balancer.listeners.values():
        for rule in listener.rules.values():
            if rule.arn != replaced_rule:
                for action in rule.actions:
                    in_use.update(forwarded_target_groups(action.data))
    for action in actions:
        in_use.update(forwarded_target_groups(action))
    if len(in_use) > TARGET_GROUPS_PER_LOAD_BALANCER:
        raise AwsError(
            "TooManyUniqueTargetGroupsPerLoadBalancer",
            "You've reached the limit on the number of unique target groups per load balancer across all "
            "listeners. If a target group is used by multiple actions for a load balancer, it is counted as only one use.",
        )
