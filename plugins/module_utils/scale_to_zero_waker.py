# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The scale_to_zero waker: an AWS Lambda handler that wakes a parked ECS service.

``ecsops.fargate.scale_to_zero`` zips this one file (it imports nothing from the collection) and deploys
it as a Lambda function behind a target group of type ``lambda``. While the service is parked
(``state: parked`` with ``waker``), the service's listener rules forward to that target group instead of
the service's. For each request the waker

1. reads the service (``ecs:DescribeServices``) and, when it runs fewer than ``wake_count`` tasks, sets the
   desired count (``ecs:UpdateService``): the first request starts the tasks, later ones change nothing;
2. reads the health of the service's target group (``elasticloadbalancing:DescribeTargetHealth``);
3. while no target is healthy, answers 503 with a small "starting up" page that reloads itself every
   ``refresh`` seconds (``Retry-After`` and ``Refresh`` headers, plus a meta refresh); when a target is
   already registered (its health checks have begun) it first holds the request up to ``hold`` seconds,
   re-reading the health every second, so the wait does not end a whole refresh late;
4. once a target is healthy, points the listener rules back at the service's target group
   (``elasticloadbalancing:DescribeRules``, ``ModifyRule``) and answers 307 to the same URL, so the
   browser's next request reaches the service.

Configuration comes from the function's environment: ``ECSOPS_CLUSTER``, ``ECSOPS_SERVICE``,
``ECSOPS_WAKE_COUNT``, ``ECSOPS_TARGET_GROUP_ARN`` (the service's), ``ECSOPS_RULE_ARNS`` (comma separated),
``ECSOPS_REFRESH_SECONDS`` and ``ECSOPS_HOLD_SECONDS``. The IAM permissions it needs are exactly the five calls above (see
docs/scale_to_zero.md; ``ecsops.fargate.fargate_task_roles`` creates such a role).

``handle()`` takes the clients and the configuration as arguments, so unit tests and the sandbox (which
cannot run Lambda) exercise the same logic in-process; ``handler()`` is the Lambda entry point.
"""

from __future__ import annotations

import html
import json
import os
import time

try:
    import boto3
except ImportError:  # pragma: no cover - present in every Lambda Python runtime
    boto3 = None

HANDLER = "scale_to_zero_waker.handler"
FILE_NAME = "scale_to_zero_waker.py"
DEFAULT_REFRESH_SECONDS = 5

_CLIENTS = {}


class WakerConfigError(ValueError):
    """The function's environment is incomplete."""


def config_from_env(env):
    missing = [k for k in ("ECSOPS_CLUSTER", "ECSOPS_SERVICE", "ECSOPS_TARGET_GROUP_ARN") if not env.get(k)]
    if missing:
        raise WakerConfigError(f"the waker's environment lacks {', '.join(missing)}")
    try:
        wake_count = int(env.get("ECSOPS_WAKE_COUNT") or 1)
        refresh = int(env.get("ECSOPS_REFRESH_SECONDS") or DEFAULT_REFRESH_SECONDS)
        hold = int(env.get("ECSOPS_HOLD_SECONDS") or 0)
    except ValueError as e:
        raise WakerConfigError(f"the waker's environment holds a non-integer count: {e}") from e
    if wake_count < 1:
        raise WakerConfigError("ECSOPS_WAKE_COUNT must be at least 1")
    return {
        "cluster": env["ECSOPS_CLUSTER"],
        "service": env["ECSOPS_SERVICE"],
        "wake_count": wake_count,
        "target_group_arn": env["ECSOPS_TARGET_GROUP_ARN"],
        "rule_arns": [a for a in (env.get("ECSOPS_RULE_ARNS") or "").split(",") if a],
        "refresh": max(1, refresh),
        "hold": max(0, hold),
    }


def healthy_targets(descriptions):
    return sum(1 for d in descriptions or [] if (d.get("TargetHealth") or {}).get("State") == "healthy")


def forwards_to(rule, target_group_arn):
    """Whether every forward action of the rule sends all its traffic to ``target_group_arn``."""
    forwards = [a for a in rule.get("Actions") or [] if a.get("Type") == "forward"]
    if not forwards:
        return False
    for action in forwards:
        groups = [g.get("TargetGroupArn") for g in (action.get("ForwardConfig") or {}).get("TargetGroups") or []
                  if g.get("Weight", 1) != 0]
        if action.get("TargetGroupArn"):
            groups.append(action["TargetGroupArn"])
        if set(groups) != {target_group_arn}:
            return False
    return True


def restore_actions(rule, target_group_arn):
    """The rule's actions with every forward sent to the service's target group (other actions kept)."""
    actions = []
    for action in rule.get("Actions") or []:
        if action.get("Type") == "forward":
            kept = {k: v for k, v in action.items() if k in ("Type", "Order")}
            kept["TargetGroupArn"] = target_group_arn
            actions.append(kept)
        else:
            actions.append(action)
    return actions


def page(service, refresh, detail):
    name = html.escape(service)
    return (
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\">"
        f"<meta http-equiv=\"refresh\" content=\"{refresh}\"><title>{name} is starting</title></head>"
        f"<body><h1>{name} is starting up</h1><p>{html.escape(detail)}</p>"
        f"<p>This page reloads itself every {refresh} seconds.</p></body></html>"
    )


def _location(event):
    path = event.get("path") or "/"
    query = event.get("queryStringParameters") or {}
    if query:
        # ALB passes the query string URL-encoded already; keep it as it came.
        path += "?" + "&".join(f"{k}={v}" if v != "" else k for k, v in query.items())
    return path


def handle(event, ecs, elbv2, config, sleep=time.sleep, clock=time.monotonic):
    """Answer one ALB request for a parked service; returns the ALB Lambda response dict.

    The response carries ``X-Ecsops-Waker`` (``starting`` or ``ready``) and the decision taken is also
    returned under the private key ``_waker`` for tests and the module's in-process use.
    """
    services = ecs.describe_services(cluster=config["cluster"], services=[config["service"]])["services"]
    service = services[0] if services else None
    if service is None or service.get("status") != "ACTIVE":
        return _response(404, config, "the service does not exist", {"action": "missing"})
    decision = {"action": "none", "desired_before": service.get("desiredCount", 0), "rules_restored": []}
    if service.get("desiredCount", 0) < config["wake_count"]:
        ecs.update_service(cluster=config["cluster"], service=config["service"], desiredCount=config["wake_count"])
        decision["action"] = "woke"
    health = elbv2.describe_target_health(TargetGroupArn=config["target_group_arn"])["TargetHealthDescriptions"]
    decision["healthy"] = healthy_targets(health)
    if decision["healthy"] < 1 and health and config["hold"]:
        # Health checks have begun: hold this request rather than send the browser away for a refresh.
        deadline = clock() + config["hold"]
        while decision["healthy"] < 1 and clock() < deadline:
            sleep(1)
            health = elbv2.describe_target_health(TargetGroupArn=config["target_group_arn"])["TargetHealthDescriptions"]
            decision["healthy"] = healthy_targets(health)
    if decision["healthy"] < 1:
        detail = f"{decision['desired_before']} of {config['wake_count']} task(s) were running; starting them now."
        if decision["action"] != "woke":
            detail = f"Waiting for {config['wake_count']} task(s) to pass their health checks."
        return _response(503, config, detail, decision)
    if config["rule_arns"]:
        rules = elbv2.describe_rules(RuleArns=config["rule_arns"])["Rules"]
        for rule in rules:
            if not forwards_to(rule, config["target_group_arn"]):
                elbv2.modify_rule(RuleArn=rule["RuleArn"], Actions=restore_actions(rule, config["target_group_arn"]))
                decision["rules_restored"].append(rule["RuleArn"])
    decision["ready"] = True
    return {
        "statusCode": 307,
        "statusDescription": "307 Temporary Redirect",
        "headers": {"Location": _location(event), "Cache-Control": "no-store", "X-Ecsops-Waker": "ready"},
        "body": "",
        "isBase64Encoded": False,
        "_waker": decision,
    }


def _response(status, config, detail, decision):
    description = {404: "404 Not Found", 503: "503 Service Unavailable"}[status]
    return {
        "statusCode": status,
        "statusDescription": description,
        "headers": {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store",
                    "Retry-After": str(config["refresh"]), "Refresh": str(config["refresh"]),
                    "X-Ecsops-Waker": "starting" if status == 503 else "missing"},
        "body": page(config["service"], config["refresh"], detail),
        "isBase64Encoded": False,
        "_waker": decision,
    }


def _client(name):
    if name not in _CLIENTS:
        _CLIENTS[name] = boto3.client(name)
    return _CLIENTS[name]


def handler(event, context):
    """The Lambda entry point (``scale_to_zero_waker.handler``)."""
    config = config_from_env(os.environ)
    response = handle(event, _client("ecs"), _client("elbv2"), config)
    decision = response.pop("_waker", {})
    # One structured log line per request (CloudWatch Logs of the function).
    os.write(2, (json.dumps({"service": config["service"], "status": response["statusCode"], **decision},
                            default=str) + "\n").encode())
    return response
