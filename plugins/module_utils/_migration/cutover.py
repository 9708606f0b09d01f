# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The stepped cutover's pure half: weight steps, the listener rule's forward, the breach decision. No AWS calls.

Weighted forward and stickiness:
https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-listeners.html#forward-actions
"""

from __future__ import annotations

import re

# AWS: TargetGroupStickinessConfig.DurationSeconds is 1 to 604800 (7 days).
MAX_STICKINESS_SECONDS = 604800
_TARGET_GROUP_ARN = re.compile(r"^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:targetgroup/[A-Za-z0-9-]{1,32}/[0-9a-f]+$")


class CutoverInputError(ValueError):
    """The cutover's input is not usable; raised before any write."""


def validate_steps(steps):
    """Return the steps as a list of ints: each 1..100, strictly increasing, ending at 100; else CutoverInputError."""
    if not isinstance(steps, (list, tuple)) or not steps:
        raise CutoverInputError("steps must be a non-empty list of Fargate percentages, e.g. [10, 50, 100]")
    checked = []
    for index, step in enumerate(steps):
        # bool is an int in Python; True as "1 %" is surely a mistake.
        if isinstance(step, bool) or not isinstance(step, int):
            raise CutoverInputError(f"steps[{index}] is {step!r}: each step must be an integer percentage")
        if not 1 <= step <= 100:
            raise CutoverInputError(f"steps[{index}] is {step}: each step must be between 1 and 100")
        if checked and step <= checked[-1]:
            raise CutoverInputError(f"steps[{index}] is {step} after {checked[-1]}: steps must be strictly increasing")
        checked.append(step)
    if checked[-1] != 100:
        raise CutoverInputError(f"the last step is {checked[-1]}: the cutover must end at 100 (all traffic on Fargate)")
    return checked


def _percent(fargate_percent):
    if isinstance(fargate_percent, bool) or not isinstance(fargate_percent, int) or not 0 <= fargate_percent <= 100:
        raise CutoverInputError(f"fargate_percent is {fargate_percent!r}: it must be an integer between 0 and 100")
    return fargate_percent


def weights(fargate_percent, ec2_target_group_arn, fargate_target_group_arn):
    """The forward action's TargetGroups for a share of traffic on Fargate; the rest stays on EC2.

    Both target groups stay listed even at weight 0 so that the rollback is one modify_rule with the same shape.
    """
    share = _percent(fargate_percent)
    for what, arn in (("ec2_target_group_arn", ec2_target_group_arn), ("fargate_target_group_arn", fargate_target_group_arn)):
        if not isinstance(arn, str) or not _TARGET_GROUP_ARN.match(arn):
            raise CutoverInputError(f"{what} is {arn!r}: it must be a target group ARN (arn:aws:elasticloadbalancing:...:targetgroup/...)")
    # ELBv2 refuses a forward that lists the same target group twice.
    if ec2_target_group_arn == fargate_target_group_arn:
        raise CutoverInputError("the EC2 and the Fargate target groups are the same: the cutover needs two target groups")
    return [{"TargetGroupArn": ec2_target_group_arn, "Weight": 100 - share},
            {"TargetGroupArn": fargate_target_group_arn, "Weight": share}]


def stickiness(duration_seconds=None):
    """TargetGroupStickinessConfig for the weighted forward: None or 0 turns it off, else 1..604800 seconds.

    Target-group-level stickiness keeps a client on the group (EC2 or Fargate) it first reached, so a session
    does not flip between the two apps at each request during the cutover.
    """
    if duration_seconds is None or (not isinstance(duration_seconds, bool) and duration_seconds == 0):
        return {"Enabled": False}
    if isinstance(duration_seconds, bool) or not isinstance(duration_seconds, int) \
            or not 1 <= duration_seconds <= MAX_STICKINESS_SECONDS:
        raise CutoverInputError(f"stickiness duration {duration_seconds!r} must be an integer number of seconds "
                                f"between 1 and {MAX_STICKINESS_SECONDS} (7 days), or 0 to turn it off")
    return {"Enabled": True, "DurationSeconds": duration_seconds}


def forward_action(fargate_percent, ec2_target_group_arn, fargate_target_group_arn, stickiness_seconds=None):
    """The complete forward action for modify_rule(Actions=[...])."""
    return {"Type": "forward",
            "ForwardConfig": {"TargetGroups": weights(fargate_percent, ec2_target_group_arn, fargate_target_group_arn),
                              "TargetGroupStickinessConfig": stickiness(stickiness_seconds)}}


def breach(health, requests, errors_5xx, max_error_rate, min_healthy):
    """None when the Fargate side is fine, else the evidence dict of why traffic must go back to EC2.

    health: describe_target_health's TargetHealthDescriptions of the Fargate target group.
    requests / errors_5xx: RequestCount and HTTPCode_Target_5XX_Count summed over the bake window (None = no datapoint).
    """
    if not 0 <= max_error_rate <= 1:
        raise CutoverInputError(f"max_error_rate is {max_error_rate}: it is a fraction between 0 and 1")
    if min_healthy < 0:
        raise CutoverInputError(f"min_healthy is {min_healthy}: it cannot be negative")
    states = {}
    for description in health or []:
        state = description.get("TargetHealth", {}).get("State", "unknown")
        states[state] = states.get(state, 0) + 1
    healthy = states.get("healthy", 0)
    # CloudWatch publishes no datapoint for a period without requests: that is zero, not a failure.
    requests = requests or 0
    errors_5xx = errors_5xx or 0
    # 5XX without a counted request (metrics from different periods) is still 5XX: count it as a full failure.
    error_rate = errors_5xx / requests if requests else (1.0 if errors_5xx else 0.0)
    reasons = []
    if healthy < min_healthy:
        reasons.append(f"{healthy} healthy Fargate targets, fewer than the {min_healthy} required")
    if error_rate > max_error_rate:
        reasons.append(f"5XX rate {error_rate:.2%} ({errors_5xx}/{requests}) above the {max_error_rate:.2%} allowed")
    if not reasons:
        return None
    return {"reasons": reasons, "healthy": healthy, "min_healthy": min_healthy, "target_states": states,
            "requests": requests, "errors_5xx": errors_5xx, "error_rate": round(error_rate, 4),
            "max_error_rate": max_error_rate}


def current_split(actions, ec2_target_group_arn, fargate_target_group_arn):
    """(fargate percent, stickiness config) of a rule's forward action between the two groups.

    Fails (CutoverInputError) when the rule has no forward action or forwards to a third group: the cutover
    never takes traffic away from a target group it was not told about.
    """
    forwards = [action for action in actions or [] if action.get("Type") == "forward"]
    if len(forwards) != 1:
        raise CutoverInputError(f"the rule has {len(forwards)} forward actions: the cutover needs exactly one")
    forward = forwards[0]
    config = forward.get("ForwardConfig") or {}
    groups = {group["TargetGroupArn"]: int(group.get("Weight", 1)) for group in config.get("TargetGroups") or []}
    if not groups and forward.get("TargetGroupArn"):
        groups = {forward["TargetGroupArn"]: 1}
    foreign = sorted(set(groups) - {ec2_target_group_arn, fargate_target_group_arn})
    if foreign:
        raise CutoverInputError(f"the rule also forwards to {', '.join(foreign)}: it must forward to the EC2 and/or "
                                "the Fargate target group only")
    total = sum(groups.values())
    if total == 0:
        raise CutoverInputError("every target group of the rule's forward has weight 0")
    percent = round(100 * groups.get(fargate_target_group_arn, 0) / total)
    sticky = config.get("TargetGroupStickinessConfig") or {"Enabled": False}
    sticky = {"Enabled": True, "DurationSeconds": sticky.get("DurationSeconds")} if sticky.get("Enabled") else {"Enabled": False}
    return percent, sticky


def with_forward(actions, forward):
    """The rule's actions with its forward replaced (its Order kept); authenticate actions stay as they are."""
    replaced = []
    for action in actions or []:
        if action.get("Type") == "forward":
            new = dict(forward)
            if action.get("Order") is not None:
                new["Order"] = action["Order"]
            replaced.append(new)
        else:
            replaced.append({key: value for key, value in action.items() if key != "TargetGroupArn" or value})
    return replaced


def remaining_steps(steps, current_percent):
    """The steps still to take from the current share: a cutover interrupted at 50 % resumes at the next step."""
    return [step for step in steps if step > current_percent]


def target_group_dimension(target_group_arn):
    """CloudWatch's TargetGroup dimension: targetgroup/<name>/<id>."""
    return target_group_arn.rsplit(":", 1)[1]


def load_balancer_dimension_of_rule(rule_arn):
    """CloudWatch's LoadBalancer dimension (app/<name>/<id>) from a listener rule ARN
    (...:listener-rule/app/<name>/<lb id>/<listener id>/<rule id>)."""
    match = re.match(r"^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:listener-rule/(app/[^/]+/[0-9a-f]+)/[0-9a-f]+/[0-9a-f]+$",
                     str(rule_arn or ""))
    if not match:
        raise CutoverInputError(f"rule_arn is {rule_arn!r}: it must be an Application Load Balancer listener rule ARN "
                                "(arn:aws:elasticloadbalancing:<region>:<account>:listener-rule/app/<name>/<id>/<id>/<id>)")
    return match.group(1)


def listener_of_rule(rule_arn):
    """The listener ARN a rule ARN belongs to (for the default rule, which only ModifyListener changes)."""
    head, tail = rule_arn.split(":listener-rule/", 1)
    return f"{head}:listener/{tail.rsplit('/', 1)[0]}"


def metric_sum(datapoints):
    """Sum of GetMetricStatistics' Sum datapoints; None without any (no request in the window)."""
    if not datapoints:
        return None
    return sum(point.get("Sum", 0) for point in datapoints)
