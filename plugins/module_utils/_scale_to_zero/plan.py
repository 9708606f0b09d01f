# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""scale_to_zero's pure part: names, input checks, the resources policy mode wants, comparisons, the idle
decision and the schedule. Nothing here calls AWS.

Everything the module creates carries a name it can find again, so ``state: absent`` removes exactly that:

- alarms ``ecsops-s2z-<cluster>-<service>-idle`` and ``-wake``
- step scaling policies ``ecsops-s2z-idle`` and ``ecsops-s2z-wake`` on the service's scalable target
- scheduled actions ``ecsops-s2z-wake`` and ``ecsops-s2z-park``
- the waker: Lambda function ``<cluster>-s2z-<service>`` and target group ``ecsops-s2z-<hash>``

The idle alarm's description records what ``absent`` restores (the scalable target's MinCapacity before,
and whether the module registered the target itself).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re

PREFIX = "ecsops-s2z"
IDLE_POLICY = f"{PREFIX}-idle"
WAKE_POLICY = f"{PREFIX}-wake"
WAKE_SCHEDULE = f"{PREFIX}-wake"
PARK_SCHEDULE = f"{PREFIX}-park"
OUR_POLICIES = (IDLE_POLICY, WAKE_POLICY)
OUR_SCHEDULES = (WAKE_SCHEDULE, PARK_SCHEDULE)
DESCRIPTION_PREFIX = "Managed by ecsops.fargate.scale_to_zero. "
NAMESPACE = "AWS/ApplicationELB"
IDLE_COOLDOWN = 60
WAKE_COOLDOWN = 300
MAX_IDLE_MINUTES = 1440  # EvaluationPeriods x Period may not exceed one day
_SERVICE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_DAYS = re.compile(r"^(\*|[A-Z]{3}(-[A-Z]{3})?(,[A-Z]{3}(-[A-Z]{3})?)*)$")
_WEEKDAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
_EXPRESSION = re.compile(r"^(at\(.+\)|rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(.+\))$")


class ScaleToZeroInputError(ValueError):
    """Arguments that cannot work; raised before anything is written."""


def name_of(reference):
    """The name in a name or ARN (``arn:...:cluster/dev`` -> ``dev``, ``arn:...:service/dev/api`` -> ``api``)."""
    return str(reference).rsplit("/", 1)[-1] if str(reference).startswith("arn:") else str(reference)


def alarm_names(cluster, service):
    base = f"{PREFIX}-{name_of(cluster)}-{name_of(service)}"
    return {"idle": f"{base}-idle", "wake": f"{base}-wake"}


def waker_names(cluster, service):
    """(Lambda function name, target group name): 64 and 32 characters at most."""
    cluster, service = name_of(cluster), name_of(service)
    digest = hashlib.sha1(f"{cluster}/{service}".encode()).hexdigest()
    function = f"{cluster}-s2z-{service}"
    if len(function) > 64:
        function = f"{function[:55]}-{digest[:8]}"
    return function, f"{PREFIX}-{digest[:12]}"


# --- input -------------------------------------------------------------------------------------

def validate(params):
    """Every check that needs no AWS call. Raises ScaleToZeroInputError."""
    if not _SERVICE_NAME.match(name_of(params["service"])):
        raise ScaleToZeroInputError(f"service '{params['service']}' is not an ECS service name "
                                    "(1-255 letters, digits, '-' and '_')")
    if not name_of(params["cluster"]):
        raise ScaleToZeroInputError("cluster must not be empty")
    if params["idle_minutes"] < 1:
        raise ScaleToZeroInputError(f"idle_minutes must be at least 1, not {params['idle_minutes']}")
    if params["idle_minutes"] > MAX_IDLE_MINUTES:
        raise ScaleToZeroInputError(f"idle_minutes must be at most {MAX_IDLE_MINUTES} (one day), "
                                    f"not {params['idle_minutes']}")
    if params["wake_count"] < 1:
        raise ScaleToZeroInputError(f"wake_count must be at least 1, not {params['wake_count']}")
    maximum = params.get("max_capacity")
    if maximum is not None and maximum < params["wake_count"]:
        raise ScaleToZeroInputError(f"min > max: wake_count {params['wake_count']} is above "
                                    f"max_capacity {maximum}")
    schedule = params.get("schedule")
    if schedule:
        validate_schedule(schedule)
    waker = params.get("waker") or {}
    if waker and not 0 <= waker.get("hold_seconds", 0) <= 7:
        raise ScaleToZeroInputError(f"waker.hold_seconds must be between 0 and 7, not {waker['hold_seconds']}")
    if waker and waker.get("refresh_seconds", 1) < 1:
        raise ScaleToZeroInputError(f"waker.refresh_seconds must be at least 1, not {waker['refresh_seconds']}")
    savings = params.get("savings") or {}
    hours = savings.get("hours_parked_per_month")
    if hours is not None and not 0 <= hours <= 730:
        raise ScaleToZeroInputError(f"savings.hours_parked_per_month must be between 0 and 730, not {hours}")
    if savings.get("tasks") is not None and savings["tasks"] < 1:
        raise ScaleToZeroInputError(f"savings.tasks must be at least 1, not {savings['tasks']}")


def validate_schedule(schedule):
    for key in ("wake_at", "park_at"):
        if schedule.get(key) and not _HHMM.match(schedule[key]):
            raise ScaleToZeroInputError(f"schedule.{key} '{schedule[key]}' is not a time of day (HH:MM)")
    for key in ("wake_expression", "park_expression"):
        if schedule.get(key) and not _EXPRESSION.match(schedule[key]):
            raise ScaleToZeroInputError(f"schedule.{key} '{schedule[key]}' is not an Application Auto Scaling "
                                        "schedule (at(...), rate(...) or cron(...))")
    if not (schedule.get("wake_at") or schedule.get("wake_expression")) or \
            not (schedule.get("park_at") or schedule.get("park_expression")):
        raise ScaleToZeroInputError("schedule needs wake_at (or wake_expression) and park_at (or park_expression)")
    if not _DAYS.match(schedule.get("days") or "MON-FRI") or days_count(schedule.get("days") or "MON-FRI") is None:
        raise ScaleToZeroInputError(f"schedule.days '{schedule.get('days')}' is not a cron day-of-week field "
                                    "(e.g. MON-FRI, MON,WED,FRI or *)")
    timezone = schedule.get("timezone") or "UTC"
    try:
        import zoneinfo  # Python 3.9+
        zoneinfo.ZoneInfo(timezone)
    except ImportError:  # pragma: no cover
        pass
    except Exception as e:
        raise ScaleToZeroInputError(f"schedule.timezone '{timezone}' is not an IANA time zone") from e


def days_count(days):
    """How many weekdays a day-of-week field names (``MON-FRI`` -> 5), None when it is not one."""
    if days == "*":
        return 7
    chosen = set()
    for part in days.split(","):
        ends = part.split("-")
        if any(e not in _WEEKDAYS for e in ends):
            return None
        start, stop = _WEEKDAYS.index(ends[0]), _WEEKDAYS.index(ends[-1])
        if stop < start:
            return None
        chosen.update(range(start, stop + 1))
    return len(chosen)


# --- what policy mode wants -------------------------------------------------------------------

def dimensions(load_balancer_dimension, target_group_dimension=None):
    found = [{"Name": "LoadBalancer", "Value": load_balancer_dimension}]
    if target_group_dimension:
        found.insert(0, {"Name": "TargetGroup", "Value": target_group_dimension})
    return found


def record(restore_min_capacity, registered_target):
    return DESCRIPTION_PREFIX + json.dumps({"restore_min_capacity": restore_min_capacity,
                                            "registered_target": registered_target}, sort_keys=True)


def read_record(alarm):
    """What ``absent`` restores, from the idle alarm's description; None when there is no record."""
    text = (alarm or {}).get("AlarmDescription") or ""
    if not text.startswith(DESCRIPTION_PREFIX):
        return None
    try:
        found = json.loads(text[len(DESCRIPTION_PREFIX):])
    except ValueError:
        return None
    return found if isinstance(found, dict) else None


def idle_alarm(name, idle_minutes, lb_dim, tg_dim, policy_arn, description):
    """Requests that reached the service's targets plus the load balancer's ELB 503s, summed per minute, under
    1 for ``idle_minutes`` minutes. The 503s count as traffic so that a request to the parked service (which
    the ALB answers 503) ends the idle state at once: the idle policy then stops re-parking the service
    while the wake alarm starts it (see docs/scale_to_zero.md)."""
    def stat(ident, metric, dims):
        return {"Id": ident, "ReturnData": False, "MetricStat": {
            "Metric": {"Namespace": NAMESPACE, "MetricName": metric, "Dimensions": dims},
            "Period": 60, "Stat": "Sum"}}
    return {
        "AlarmName": name,
        "AlarmDescription": description,
        "ActionsEnabled": True,
        "AlarmActions": [policy_arn],
        "OKActions": [],
        "InsufficientDataActions": [],
        "Metrics": [
            stat("requests", "RequestCount", dimensions(lb_dim, tg_dim)),
            stat("elb503", "HTTPCode_ELB_503_Count", dimensions(lb_dim)),
            {"Id": "traffic", "Expression": "FILL(requests, 0) + FILL(elb503, 0)",
             "Label": "requests and ELB 503s per minute", "ReturnData": True},
        ],
        "EvaluationPeriods": idle_minutes,
        "DatapointsToAlarm": idle_minutes,
        "Threshold": 1.0,
        "ComparisonOperator": "LessThanThreshold",
        "TreatMissingData": "breaching",
    }


def wake_alarm(name, lb_dim, policy_arn):
    """One minute with an ELB 503 on the service's load balancer (what a request to a parked service gets)."""
    return {
        "AlarmName": name,
        "AlarmDescription": DESCRIPTION_PREFIX + "Wakes the service when its load balancer answers 503.",
        "ActionsEnabled": True,
        "AlarmActions": [policy_arn],
        "OKActions": [],
        "InsufficientDataActions": [],
        "Namespace": NAMESPACE,
        "MetricName": "HTTPCode_ELB_503_Count",
        "Dimensions": dimensions(lb_dim),
        "Statistic": "Sum",
        "Period": 60,
        "EvaluationPeriods": 1,
        "DatapointsToAlarm": 1,
        "Threshold": 1.0,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "TreatMissingData": "notBreaching",
    }


def idle_policy():
    return {"AdjustmentType": "ExactCapacity", "Cooldown": IDLE_COOLDOWN, "MetricAggregationType": "Maximum",
            "StepAdjustments": [{"MetricIntervalUpperBound": 0.0, "ScalingAdjustment": 0}]}


def wake_policy(wake_count):
    """ChangeInCapacity +wake_count: from zero that is wake_count; a service already running (woken by another
    service's 503s on a shared load balancer) only grows, never shrinks. The cooldown keeps repeated
    invocations during a start from adding more."""
    return {"AdjustmentType": "ChangeInCapacity", "Cooldown": WAKE_COOLDOWN, "MetricAggregationType": "Maximum",
            "StepAdjustments": [{"MetricIntervalLowerBound": 0.0, "ScalingAdjustment": wake_count}]}


def schedule_actions(schedule, wake_count, max_capacity):
    """{name: {schedule, timezone, min_capacity, max_capacity}} for the business-hours schedule."""
    if not schedule:
        return {}
    days = schedule.get("days") or "MON-FRI"

    def cron(hhmm):
        hours, minutes = hhmm.split(":")
        return f"cron({int(minutes)} {int(hours)} ? * {days} *)"

    def zone(expression):
        # A time zone means something for at() and cron() only; rate() runs in intervals.
        return "UTC" if expression.startswith("rate(") else schedule.get("timezone") or "UTC"

    wake = schedule.get("wake_expression") or cron(schedule["wake_at"])
    park = schedule.get("park_expression") or cron(schedule["park_at"])
    return {
        WAKE_SCHEDULE: {"schedule": wake, "timezone": zone(wake), "min_capacity": wake_count,
                        "max_capacity": max_capacity},
        PARK_SCHEDULE: {"schedule": park, "timezone": zone(park), "min_capacity": 0, "max_capacity": 0},
    }


# --- comparisons ------------------------------------------------------------------------------

_ALARM_KEYS = ("AlarmDescription", "ActionsEnabled", "AlarmActions", "OKActions", "InsufficientDataActions",
               "Namespace", "MetricName", "Dimensions", "Statistic", "Period", "EvaluationPeriods",
               "DatapointsToAlarm", "Threshold", "ComparisonOperator", "TreatMissingData", "Metrics")


def normalise_alarm(alarm):
    """The fields of an alarm this module sets, in a comparable shape (describe and put differ slightly)."""
    if not alarm:
        return None
    found = {}
    for key in _ALARM_KEYS:
        value = alarm.get(key)
        if value in (None, [], ""):
            continue
        if key in ("Dimensions",):
            value = sorted(({"Name": d["Name"], "Value": d["Value"]} for d in value), key=lambda d: d["Name"])
        if key == "Metrics":
            value = [_normalise_query(q) for q in value]
        if key in ("AlarmActions", "OKActions", "InsufficientDataActions"):
            value = sorted(value)
        if key == "Threshold":
            value = float(value)
        found[key] = value
    return found


def _normalise_query(query):
    found = {"Id": query["Id"], "ReturnData": bool(query.get("ReturnData", True))}
    if query.get("Expression"):
        found["Expression"] = query["Expression"]
    if query.get("Label"):
        found["Label"] = query["Label"]
    stat = query.get("MetricStat")
    if stat:
        metric = stat["Metric"]
        found["MetricStat"] = {
            "Metric": {"Namespace": metric["Namespace"], "MetricName": metric["MetricName"],
                       "Dimensions": sorted(({"Name": d["Name"], "Value": d["Value"]}
                                             for d in metric.get("Dimensions") or []), key=lambda d: d["Name"])},
            "Period": int(stat["Period"]), "Stat": stat["Stat"]}
    return found


def normalise_policy(policy):
    """A StepScaling configuration in a comparable shape."""
    if not policy:
        return None
    config = policy.get("StepScalingPolicyConfiguration", policy)
    steps = []
    for step in config.get("StepAdjustments") or []:
        steps.append({k: (float(v) if k.startswith("MetricInterval") else int(v)) for k, v in step.items()})
    return {"AdjustmentType": config.get("AdjustmentType"), "Cooldown": config.get("Cooldown"),
            "MetricAggregationType": config.get("MetricAggregationType"), "StepAdjustments": steps}


def normalise_scheduled_action(action):
    if not action:
        return None
    target = action.get("ScalableTargetAction") or {}
    return {"schedule": action.get("Schedule"), "timezone": action.get("Timezone") or "UTC",
            "min_capacity": target.get("MinCapacity"), "max_capacity": target.get("MaxCapacity")}


def target_limits(current_target, service_desired, wake_count, max_capacity, scheduled):
    """(min, max) the scalable target should have, and the record absent needs.

    An existing target keeps its MaxCapacity (unless max_capacity is given) and gets MinCapacity 0; with a
    business-hours schedule the schedule owns Min/Max of an existing target. A new one gets Max from
    max_capacity, else the larger of wake_count and the service's desired count.
    """
    if current_target is None:
        maximum = max_capacity if max_capacity is not None else max(wake_count, service_desired or 0, 1)
        return {"min": 0, "max": maximum}, {"restore_min_capacity": None, "registered_target": True}
    current = {"min": current_target["MinCapacity"], "max": current_target["MaxCapacity"]}
    if scheduled:
        wanted = dict(current)
        if max_capacity is not None:
            wanted["max"] = max_capacity
    else:
        wanted = {"min": 0, "max": max_capacity if max_capacity is not None else current["max"]}
    return wanted, {"restore_min_capacity": current["min"], "registered_target": False}


def check_limits(limits, wake_count):
    if limits["max"] < wake_count:
        raise ScaleToZeroInputError(f"min > max: wake_count {wake_count} is above the scalable target's "
                                    f"MaxCapacity {limits['max']}; give max_capacity")


# --- the idle decision (controller mode) --------------------------------------------------------

def idle_decision(datapoints, idle_minutes, desired_count, now, force=False):
    """Whether ``state: parked`` parks the service now, from one GetMetricStatistics answer.

    ``datapoints`` are RequestCount Sums per minute of the service's target group over the last
    ``idle_minutes``; a minute without a datapoint had no request (the ALB publishes only when requests
    flow). Returns ``{decision, reason, requests, minutes, window_start, window_end}`` with decision one of
    ``park``, ``stay`` (there was traffic) or ``already_parked``.
    """
    start = now - datetime.timedelta(minutes=idle_minutes)
    requests = 0.0
    for point in datapoints or []:
        stamp = point.get("Timestamp")
        if isinstance(stamp, datetime.datetime) and stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=datetime.timezone.utc)
        if stamp is None or start <= stamp <= now:
            requests += float(point.get("Sum") or 0)
    base = {"requests": requests, "minutes": idle_minutes,
            "window_start": start.isoformat(), "window_end": now.isoformat()}
    if desired_count == 0:
        return dict(base, decision="already_parked", reason="the service already runs no task")
    if force:
        return dict(base, decision="park", reason="force: parked whatever the traffic")
    if requests > 0:
        return dict(base, decision="stay",
                    reason=f"{requests:g} request(s) reached the service in the last {idle_minutes} minute(s)")
    return dict(base, decision="park", reason=f"no request reached the service in the last {idle_minutes} minute(s)")


def wait_for_healthy(health_descriptions, wanted):
    healthy = sum(1 for d in health_descriptions or [] if (d.get("TargetHealth") or {}).get("State") == "healthy")
    return healthy, healthy >= wanted
