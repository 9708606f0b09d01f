"""Application Auto Scaling for ECS services: policies that scale, schedules that fire, activities.

moto stores scalable targets, policies and scheduled actions but nothing ever scales. Here, following
the Application Auto Scaling User Guide and API reference:

- Step scaling: an alarm action naming a policy runs it (sandbox/cloudwatch.py calls
  `execute_policy`). The alarm's evaluated datapoints are aggregated (MetricAggregationType, default
  Average) and the step whose bounds contain (value - threshold) applies: above the threshold the
  lower bound is inclusive and the upper exclusive, below it the other way round. ChangeInCapacity,
  ExactCapacity and PercentChangeInCapacity (fractions rounded as documented, MinAdjustmentMagnitude).
  Cooldown (default 300 s, scaled by the profile): during a scale-out cooldown the capacity the
  previous scale-out added counts towards the next one; scale-in waits for its cooldown to end; a
  scale-out ends a scale-in cooldown.
- Target tracking (approximated): the policy gets the two alarms AWS creates (TargetTracking-
  <resource>-AlarmHigh-<uuid>: 3 of 3 one-minute periods above TargetValue; AlarmLow: 15 of 15 below
  90 % of it, not created with DisableScaleIn). When one invokes the policy, the new capacity is
  ceil(current x metric / TargetValue) from the alarm's latest datapoint, with ScaleOutCooldown /
  ScaleInCooldown.
- Scheduled actions fire at their time: at(...), cron(...) (6 fields, ? L W # supported) in their
  Timezone, between StartTime and EndTime; rate(...) intervals are durations and scale with the
  profile. They set the target's MinCapacity / MaxCapacity and move the desired count into range.
- MinCapacity / MaxCapacity clamp every change; registering new limits moves the desired count into
  range. SuspendedState is honoured. Activities are answered by DescribeScalingActivities.
- moto's filters are fixed: DescribeScalingPolicies (PolicyNames, exact ResourceId and
  ScalableDimension, pages of 10), DescribeScheduledActions (pages of 50); PutScalingPolicy keeps
  the policy's ARN on update; errors use AWS's codes (ObjectNotFoundException).
"""

import calendar
import math
import re
import uuid
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from moto.applicationautoscaling.models import FakeApplicationAutoscalingPolicy, applicationautoscaling_backends

from .hooks import after, area, before
from .protocol import AwsError

SERVICE = "application-autoscaling"
ECS_DIMENSION = "ecs:service:DesiredCount"
DEFAULT_COOLDOWN = 300
ACTIVITY_LIMIT = 5000  # per region; AWS keeps six weeks
POLICIES_PAGE = 10
ACTIONS_PAGE = 50
ACTIVITIES_PAGE = 50

PREDEFINED_METRICS = {
    "ECSServiceAverageCPUUtilization": ("AWS/ECS", "CPUUtilization", "Average"),
    "ECSServiceAverageMemoryUtilization": ("AWS/ECS", "MemoryUtilization", "Average"),
    "ALBRequestCountPerTarget": ("AWS/ApplicationELB", "RequestCountPerTarget", "Sum"),
}


def _target_key(namespace, resource_id, dimension) -> str:
    return f"service namespace: {namespace}, resource ID: {resource_id}, scalable dimension: {dimension}"


def _no_target(params) -> AwsError:
    key = _target_key(params.get("ServiceNamespace"), params.get("ResourceId"), params.get("ScalableDimension"))
    return AwsError("ObjectNotFoundException", f"No scalable target registered for {key}")


def _epoch(value) -> float | None:
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return calendar.timegm(value.timetuple()) + value.microsecond / 1e6
        return value.timestamp()
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


# -- schedules -------------------------------------------------------------------------------
MONTHS = {name: i for i, name in enumerate(
    ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1)}
WEEKDAYS = {name: i for i, name in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], start=1)}
RATE_UNITS = {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86400, "days": 86400}


class ScheduleError(ValueError):
    pass


def _values(field: str, low: int, high: int, names: dict | None = None) -> set[int]:
    """The values of one cron field: lists, ranges, steps, names and wildcards."""

    def number(text: str) -> int:
        text = text.upper()
        if names and text in names:
            return names[text]
        if not text.isdigit():
            raise ScheduleError(field)
        value = int(text)
        if not low <= value <= high:
            raise ScheduleError(field)
        return value

    result = set()
    for part in field.split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text.isdigit() and int(step_text) > 0 else None
        if step_text and step is None:
            raise ScheduleError(field)
        if base in ("*", "?"):
            start, end = low, high
        elif "-" in base:
            first, last = base.split("-", 1)
            start, end = number(first), number(last)
        else:
            start = number(base)
            end = high if step else start
        result.update(range(start, end + 1, step or 1))
    return result


def _last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _aws_weekday(day: date) -> int:
    return (day.weekday() + 1) % 7 + 1  # SUN=1 .. SAT=7


def _day_of_month_test(field: str):
    if field == "?":
        return None
    if field == "L":
        return lambda d: d.day == _last_day(d.year, d.month)
    if field == "LW":
        return lambda d: d == _nearest_weekday(d.year, d.month, _last_day(d.year, d.month))
    match = re.fullmatch(r"(\d{1,2})W", field)
    if match:
        wanted = int(match.group(1))
        return lambda d: d == _nearest_weekday(d.year, d.month, min(wanted, _last_day(d.year, d.month)))
    days = _values(field, 1, 31)
    return lambda d: d.day in days


def _nearest_weekday(year: int, month: int, day: int) -> date:
    """Cron's W: the weekday nearest to the day, without leaving the month."""
    target = date(year, month, day)
    if target.weekday() == 5:  # Saturday
        return target - timedelta(days=1) if day > 1 else target + timedelta(days=2)
    if target.weekday() == 6:  # Sunday
        return target + timedelta(days=1) if day < _last_day(year, month) else target - timedelta(days=2)
    return target


def _day_of_week_test(field: str):
    if field == "?":
        return None
    match = re.fullmatch(r"(\w{1,3})L", field.upper())
    if match:  # the last such weekday of the month
        wanted = _values(match.group(1), 1, 7, WEEKDAYS).pop()
        return lambda d: _aws_weekday(d) == wanted and d.day + 7 > _last_day(d.year, d.month)
    match = re.fullmatch(r"(\w{1,3})#([1-5])", field.upper())
    if match:  # the n-th such weekday of the month
        wanted, nth = _values(match.group(1), 1, 7, WEEKDAYS).pop(), int(match.group(2))
        return lambda d: _aws_weekday(d) == wanted and (d.day - 1) // 7 + 1 == nth
    days = _values(field, 1, 7, WEEKDAYS)
    return lambda d: _aws_weekday(d) in days


class Cron:
    """An AWS cron expression: minutes hours day-of-month month day-of-week year."""

    def __init__(self, text: str):
        fields = text.split()
        if len(fields) != 6:
            raise ScheduleError(text)
        minutes, hours, day_of_month, month, day_of_week, year = fields
        if (day_of_month == "?") == (day_of_week == "?"):
            raise ScheduleError(text)  # exactly one of the two day fields must be ?
        self.minutes = sorted(_values(minutes, 0, 59))
        self.hours = sorted(_values(hours, 0, 23))
        self.months = _values(month, 1, 12, MONTHS)
        self.years = _values(year, 1970, 2199)
        self.day_test = _day_of_month_test(day_of_month) or _day_of_week_test(day_of_week)

    def next_after(self, after: float, zone: ZoneInfo) -> float | None:
        """The first matching minute strictly after `after` (epoch seconds), in `zone`."""
        local = datetime.fromtimestamp(after, zone)
        day = local.date()
        for _ in range(366 * 5):
            if day.year in self.years and day.month in self.months and self.day_test(day):
                for hour in self.hours:
                    for minute in self.minutes:
                        moment = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone).timestamp()
                        if moment > after:
                            return moment
            day += timedelta(days=1)
        return None


def parse_schedule(expression: str):
    """('at', naive local datetime) | ('rate', seconds) | ('cron', Cron); ScheduleError when invalid."""
    expression = (expression or "").strip()
    match = re.fullmatch(r"at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)", expression)
    if match:
        return "at", datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S")
    match = re.fullmatch(r"rate\((\d+) (\w+)\)", expression)
    if match and match.group(2) in RATE_UNITS and int(match.group(1)) > 0:
        return "rate", int(match.group(1)) * RATE_UNITS[match.group(2)]
    match = re.fullmatch(r"cron\((.+)\)", expression)
    if match:
        return "cron", Cron(match.group(1))
    raise ScheduleError(expression)


def _zone(name: str | None) -> ZoneInfo:
    return ZoneInfo(name or "UTC")


# -- the area --------------------------------------------------------------------------------
@area("autoscaling")
class AutoScaling:
    def __init__(self, sandbox):
        self.sb = sandbox
        self.reset()

    def reset(self):
        self.activities: dict[tuple[str, str], list[dict]] = {}

    # -- capacity through ECS -----------------------------------------------------------
    def _ecs(self):
        ecs = self.sb.areas.get("ecs")
        return ecs if ecs is not None and hasattr(ecs, "set_desired_count") else None

    def current_capacity(self, region: str, resource_id: str) -> int:
        _, cluster, service = resource_id.split("/", 2)
        ecs = self._ecs()
        if ecs is not None:
            return ecs.desired_count(region, cluster, service)
        return self._moto_service(region, cluster, service).desired_count

    def _set_capacity(self, region: str, resource_id: str, count: int, cause: str):
        _, cluster, service = resource_id.split("/", 2)
        ecs = self._ecs()
        if ecs is not None:
            return ecs.set_desired_count(region, cluster, service, count, cause)
        moto_service = self._moto_service(region, cluster, service)
        old, moto_service.desired_count = moto_service.desired_count, count
        return old, count

    def _moto_service(self, region: str, cluster: str, service: str):
        found = self.sb.backend("ecs", region).services.get(f"{cluster}:{service}")
        if found is None or getattr(found, "status", "ACTIVE") != "ACTIVE":
            raise KeyError(f"service {cluster}/{service}")
        return found

    # -- scaling ------------------------------------------------------------------------
    def scale(self, backend, target, wanted: int, cause: str, now: float) -> str:
        """Move the target's desired count to `wanted` within Min/Max, recording the activity.
        Returns 'scaled', 'unchanged' or 'not-scaled' (clamped away)."""
        region = backend.region_name
        current = self.current_capacity(region, target.resource_id)
        low, high = target.min_capacity, target.max_capacity
        new = wanted
        if low is not None:
            new = max(new, low)
        if high is not None:
            new = min(new, high)
        if new == current:
            if wanted != current:
                code, limits = (("AlreadyAtMaxCapacity", {"MaxCapacity": high}) if wanted > current
                                else ("AlreadyAtMinCapacity", {"MinCapacity": low}))
                self._not_scaled(backend, target, wanted, cause, now,
                                 {"Code": code, **limits, "CurrentCapacity": current})
                return "not-scaled"
            return "unchanged"
        activity = self._activity(backend, target, cause, now, f"Setting desired count to {new}.")
        try:
            self._set_capacity(region, target.resource_id, new, cause)
        except KeyError as missing:
            activity.update(StatusCode="Failed",
                            StatusMessage=f"Failed to set desired count to {new}. {missing.args[0]}")
            return "not-scaled"
        activity.update(StatusCode="Successful",
                        StatusMessage=f"Successfully set desired count to {new}. Change successfully fulfilled by ecs.")
        return "scaled"

    def _activity(self, backend, target, cause: str, now: float, description: str) -> dict:
        activity = {"ActivityId": str(uuid.uuid4()), "ServiceNamespace": target.service_namespace,
                    "ResourceId": target.resource_id, "ScalableDimension": target.scalable_dimension,
                    "Description": description, "Cause": cause, "StartTime": now, "EndTime": now}
        items = self.activities.setdefault((backend.account_id, backend.region_name), [])
        items.append(activity)
        del items[:-ACTIVITY_LIMIT]
        return activity

    def _not_scaled(self, backend, target, wanted: int, cause: str, now: float, reason: dict):
        items = self.activities.get((backend.account_id, backend.region_name), [])
        last = next((a for a in reversed(items) if a["ResourceId"] == target.resource_id), None)
        if last and last.get("NotScaledReasons") == [reason] and last["Cause"] == cause:
            last["StartTime"] = last["EndTime"] = now  # the same refusal again: keep one activity
            return
        activity = self._activity(backend, target, cause, now, "Attempting to scale due to alarm triggered")
        activity.update(StatusCode="Failed", StatusMessage=f"Failed to set desired count to {wanted}",
                        NotScaledReasons=[reason])

    def clamp(self, backend, target, cause: str, now: float):
        """Move the desired count into the target's Min/Max (nothing to move when the service is gone)."""
        try:
            current = self.current_capacity(backend.region_name, target.resource_id)
        except KeyError:
            return
        self.scale(backend, target, current, cause, now)

    # -- policies -------------------------------------------------------------------------
    def execute_policy(self, region: str, action: str, alarm_name: str, state: str, threshold: float,
                       values: list) -> tuple[bool, str]:
        """Run the scaling policy an alarm action names; (succeeded, error message)."""
        arn = action.split(":createdBy/", 1)[0]
        account = arn.split(":")[4]
        backend = self.sb.backend(SERVICE, region, account)
        policy = next((p for p in backend.policies.values() if p.policy_arn == arn), None)
        if policy is None:
            return False, f"Scaling policy {arn} does not exist"
        target = backend.targets.get(policy.scalable_dimension, {}).get(policy.resource_id)
        if target is None:
            return False, f"No scalable target registered for {_target_key(policy.service_namespace, policy.resource_id, policy.scalable_dimension)}"
        if policy.scalable_dimension != ECS_DIMENSION:
            return True, ""  # only ECS services are simulated
        now = self.sb.now()
        cause = f"monitor alarm {alarm_name} in state {state} triggered policy {policy.policy_name}"
        try:
            current = self.current_capacity(region, policy.resource_id)
        except KeyError as missing:
            return False, missing.args[0]
        if policy.policy_type == "StepScaling":
            config = policy.step_scaling_policy_configuration or {}
            wanted = _step_capacity(config, current, threshold, values)
            if wanted is None:
                return False, "No step adjustment found for the alarm's breach delta"
            cooldown = config.get("Cooldown", DEFAULT_COOLDOWN)
            if wanted > current:
                base = self._cooldown_base(target, now)
                if base is not None:  # in a scale-out cooldown: what it added counts
                    wanted = max(current, _step_capacity(config, base, threshold, values))
                self._scale_out(backend, target, current, wanted, cooldown, cause, now, base)
            elif wanted < current:
                self._scale_in(backend, target, wanted, cooldown, cause, now)
            return True, ""
        if policy.policy_type == "TargetTrackingScaling":
            config = policy.target_tracking_scaling_policy_configuration or {}
            if not values or not config.get("TargetValue") or current == 0:
                return True, ""
            wanted = math.ceil(current * values[0] / float(config["TargetValue"]))
            if wanted > current and self._cooldown_base(target, now) is None:
                self._scale_out(backend, target, current, wanted, config.get("ScaleOutCooldown", DEFAULT_COOLDOWN),
                                cause, now, None)
            elif wanted < current and not config.get("DisableScaleIn"):
                self._scale_in(backend, target, wanted, config.get("ScaleInCooldown", DEFAULT_COOLDOWN), cause, now)
            return True, ""
        return True, ""

    def _cooldown_base(self, target, now: float) -> int | None:
        """The capacity before the scale-out whose cooldown is running, if one is."""
        out = getattr(target, "sandbox_scale_out", None)
        return out[1] if out and now < out[0] else None

    def _scale_out(self, backend, target, current, wanted, cooldown, cause, now, base):
        if (target.suspended_state or {}).get("DynamicScalingOutSuspended"):
            return
        if self.scale(backend, target, wanted, cause, now) == "scaled":
            target.sandbox_scale_out = (now + self.sb.profile.seconds(cooldown), current if base is None else base)
            target.sandbox_scale_in_until = 0.0  # a scale-out ends the scale-in cooldown

    def _scale_in(self, backend, target, wanted, cooldown, cause, now):
        if (target.suspended_state or {}).get("DynamicScalingInSuspended"):
            return
        if now < getattr(target, "sandbox_scale_in_until", 0.0):
            return
        if self.scale(backend, target, wanted, cause, now) == "scaled":
            target.sandbox_scale_in_until = now + self.sb.profile.seconds(cooldown)

    # -- target tracking alarms -------------------------------------------------------------
    def replace_tracking_alarms(self, region: str, policy):
        """Give a target tracking policy the alarms AWS creates for it (moto's have fixed thresholds)."""
        cloudwatch = self.sb.area("cloudwatch")
        cloudwatch_backend = self.sb.backend("cloudwatch", region, policy.account_id)
        cloudwatch_backend.delete_alarms([alarm.name for alarm in policy.alarms])
        policy.alarms = []
        config = policy.target_tracking_scaling_policy_configuration or {}
        metric = _tracking_metric(config, policy.resource_id)
        if metric is None or config.get("TargetValue") is None:
            return
        namespace, name, statistic, dimensions, unit = metric
        target_value = float(config["TargetValue"])
        action = f"{policy.policy_arn}:createdBy/{uuid.uuid4()}"
        common = dict(namespace=namespace, metric_name=name, period=60, statistic=statistic, dimensions=dimensions,
                      unit=unit, alarm_actions=[action],
                      description=f"DO NOT EDIT OR DELETE. For TargetTrackingScaling policy {action}.")
        policy.alarms.append(cloudwatch.create_alarm(
            region, name=f"TargetTracking-{policy.resource_id}-AlarmHigh-{uuid.uuid4()}",
            comparison_operator="GreaterThanThreshold", evaluation_periods=3, datapoints_to_alarm=3,
            threshold=target_value, **common))
        if not config.get("DisableScaleIn"):
            policy.alarms.append(cloudwatch.create_alarm(
                region, name=f"TargetTracking-{policy.resource_id}-AlarmLow-{uuid.uuid4()}",
                comparison_operator="LessThanThreshold", evaluation_periods=15, datapoints_to_alarm=15,
                threshold=round(target_value * 0.9, 6), **common))

    # -- scheduled actions ------------------------------------------------------------------
    def plan(self, action, now: float):
        """Work out when a scheduled action fires next (stored on moto's object)."""
        kind, value = parse_schedule(action.schedule)
        zone = _zone(action.timezone)
        start, end = _epoch(action.start_time), _epoch(action.end_time)
        if kind == "at":
            moment = value.replace(tzinfo=zone).timestamp()
            fire = moment if moment >= now - self.sb.profile.tick else None
        elif kind == "rate":
            interval = self.sb.profile.seconds(value)
            fire = start if start and start > now else now + interval
        else:
            fire = value.next_after(max(now, start or now) - 1e-6, zone)
        if fire is not None and ((start and fire < start and kind == "at") or (end and fire > end)):
            fire = None
        action.sandbox_next_fire = fire
        action.sandbox_planned_at = now

    def tick(self, now: float):
        for account_backends in list(applicationautoscaling_backends.values()):
            for backend in list(account_backends.values()):
                for action in list(backend.scheduled_actions):
                    if not hasattr(action, "sandbox_next_fire"):
                        self._plan_or_skip(action, now)
                    fire = action.sandbox_next_fire
                    if fire is not None and now >= fire:
                        self._fire(backend, action, now)
                        self._advance(action, fire, now)

    def _plan_or_skip(self, action, now: float):
        try:
            self.plan(action, now)
        except (ScheduleError, ZoneInfoNotFoundError, ValueError):
            action.sandbox_next_fire = None

    def _advance(self, action, fired: float, now: float):
        kind, value = parse_schedule(action.schedule)
        end = _epoch(action.end_time)
        if kind == "at":
            action.sandbox_next_fire = None
            return
        if kind == "rate":
            following = max(fired + self.sb.profile.seconds(value), now)
        else:
            following = value.next_after(max(fired, now), _zone(action.timezone))
        action.sandbox_next_fire = None if following is None or (end and following > end) else following

    def _fire(self, backend, action, now: float):
        target = backend.targets.get(action.scalable_dimension, {}).get(action.resource_id)
        if target is None or (target.suspended_state or {}).get("ScheduledScalingSuspended"):
            return
        limits = action.scalable_target_action or {}
        if limits.get("MinCapacity") is not None:
            target.min_capacity = int(limits["MinCapacity"])
        if limits.get("MaxCapacity") is not None:
            target.max_capacity = int(limits["MaxCapacity"])
        if action.scalable_dimension == ECS_DIMENSION:
            self.clamp(backend, target, f"scheduled action name {action.scheduled_action_name} was triggered", now)

    # -- answers ---------------------------------------------------------------------------
    def describe_activities(self, account: str, region: str, params: dict) -> dict:
        items = [a for a in reversed(self.activities.get((account, region), []))
                 if a["ServiceNamespace"] == params.get("ServiceNamespace")]
        if params.get("ResourceId"):
            items = [a for a in items if a["ResourceId"] == params["ResourceId"]]
        if params.get("ScalableDimension"):
            items = [a for a in items if a["ScalableDimension"] == params["ScalableDimension"]]
        if not params.get("IncludeNotScaledActivities"):
            items = [a for a in items if "NotScaledReasons" not in a]
        return _page(items, params, ACTIVITIES_PAGE, "ScalingActivities")


def _page(items: list, params: dict, default_size: int, key: str) -> dict:
    start = int(params.get("NextToken") or 0)
    size = int(params.get("MaxResults") or default_size)
    answer = {key: [dict(item) for item in items[start:start + size]]}
    if start + size < len(items):
        answer["NextToken"] = str(start + size)
    return answer


def _round_percent_change(change: float) -> int:
    """As documented: above 1 rounds down, between 0 and 1 gives 1, between -1 and 0 gives -1,
    below -1 rounds up (towards zero)."""
    if change > 1:
        return math.floor(change)
    if change > 0:
        return 1
    if change > -1:
        return -1 if change < 0 else 0
    return math.ceil(change)


def _matching_step(steps: list, delta: float) -> dict | None:
    for step in steps:
        low = step.get("MetricIntervalLowerBound")
        high = step.get("MetricIntervalUpperBound")
        low = -math.inf if low is None else float(low)
        high = math.inf if high is None else float(high)
        if delta > 0 and low <= delta < high:
            return step
        if delta < 0 and low < delta <= high:
            return step
        if delta == 0 and low <= 0 <= high:
            return step
    return None


def _step_capacity(config: dict, current: int, threshold: float, values: list) -> int | None:
    """The capacity a step scaling policy asks for, from the alarm's datapoints."""
    aggregate = {"Minimum": min, "Maximum": max}.get(config.get("MetricAggregationType") or "Average",
                                                      lambda v: sum(v) / len(v))
    # Without datapoints (missing data treated as breaching) the breach delta is 0.
    metric = aggregate(values) if values else threshold
    step = _matching_step(config.get("StepAdjustments") or [], metric - threshold)
    if step is None:
        return None
    adjustment = int(step["ScalingAdjustment"])
    kind = config.get("AdjustmentType")
    if kind == "ExactCapacity":
        return adjustment
    if kind == "PercentChangeInCapacity":
        change = _round_percent_change(current * adjustment / 100)
        magnitude = config.get("MinAdjustmentMagnitude")
        if magnitude and change and abs(change) < magnitude:
            change = int(math.copysign(magnitude, change))
        return current + change
    return current + adjustment


def _tracking_metric(config: dict, resource_id: str):
    """(namespace, name, statistic, dimensions, unit) that a target tracking policy's alarms watch."""
    predefined = config.get("PredefinedMetricSpecification")
    if predefined:
        kind = predefined.get("PredefinedMetricType")
        if kind not in PREDEFINED_METRICS:
            return None
        namespace, name, statistic = PREDEFINED_METRICS[kind]
        if kind == "ALBRequestCountPerTarget":
            label = predefined.get("ResourceLabel") or ""
            group = label[label.find("targetgroup/"):] if "targetgroup/" in label else label
            return namespace, name, statistic, [{"Name": "TargetGroup", "Value": group}], None
        _, cluster, service = resource_id.split("/", 2)
        return namespace, name, statistic, [{"Name": "ClusterName", "Value": cluster},
                                            {"Name": "ServiceName", "Value": service}], None
    custom = config.get("CustomizedMetricSpecification")
    if custom and custom.get("MetricName"):
        return (custom.get("Namespace"), custom["MetricName"], custom.get("Statistic", "Average"),
                custom.get("Dimensions", []), custom.get("Unit"))
    return None  # metric math: not approximated


def _policy_view(policy, alarms_by_action: dict) -> dict:
    view = {"PolicyARN": policy.policy_arn, "PolicyName": policy.policy_name,
            "ServiceNamespace": policy.service_namespace, "ResourceId": policy.resource_id,
            "ScalableDimension": policy.scalable_dimension, "PolicyType": policy.policy_type,
            "CreationTime": policy.creation_time}
    if policy.policy_type == "StepScaling":
        view["StepScalingPolicyConfiguration"] = policy.step_scaling_policy_configuration
    elif policy.policy_type == "TargetTrackingScaling":
        view["TargetTrackingScalingPolicyConfiguration"] = policy.target_tracking_scaling_policy_configuration
    view["Alarms"] = alarms_by_action.get(policy.policy_arn, [])
    return view


def _alarms_by_policy(sb, region: str, account: str) -> dict:
    """Policy ARN -> the alarms whose actions invoke it, as DescribeScalingPolicies lists them."""
    found: dict[str, list] = {}
    for alarm in sb.backend("cloudwatch", region, account).alarms.values():
        actions = set(alarm.alarm_actions or []) | set(alarm.ok_actions or []) | set(
            alarm.insufficient_data_actions or [])
        for action in actions:
            entry = {"AlarmName": alarm.name, "AlarmARN": alarm.alarm_arn}
            policies = found.setdefault(action.split(":createdBy/", 1)[0], [])
            if entry not in policies:
                policies.append(entry)
    return found


def _scheduled_view(action) -> dict:
    view = {"ScheduledActionName": action.scheduled_action_name, "ScheduledActionARN": action.arn,
            "ServiceNamespace": action.service_namespace, "Schedule": action.schedule,
            "ResourceId": action.resource_id, "ScalableDimension": action.scalable_dimension,
            "CreationTime": action.creation_time}
    if action.timezone:
        view["Timezone"] = action.timezone
    if action.start_time is not None:
        view["StartTime"] = _epoch(action.start_time)
    if action.end_time is not None:
        view["EndTime"] = _epoch(action.end_time)
    if action.scalable_target_action:
        view["ScalableTargetAction"] = action.scalable_target_action
    return view


# -- hooks -----------------------------------------------------------------------------------
def _backend(sb, call):
    return sb.backend(SERVICE, call.region, call.account)


def _target_of(sb, call):
    params = call.params
    return _backend(sb, call).targets.get(params.get("ScalableDimension"), {}).get(params.get("ResourceId"))


@after(SERVICE, "RegisterScalableTarget")
def _clamp_registered_target(sb, call):
    """New limits move the desired count into range (it is a scaling activity on AWS)."""
    target = _target_of(sb, call)
    if target is None or target.scalable_dimension != ECS_DIMENSION:
        return
    params = call.params
    reasons = []
    if params.get("MinCapacity") is not None:
        reasons.append(f"minimum capacity was set to {params['MinCapacity']}")
    if params.get("MaxCapacity") is not None:
        reasons.append(f"maximum capacity was set to {params['MaxCapacity']}")
    if reasons:
        sb.area("autoscaling").clamp(_backend(sb, call), target, " and ".join(reasons), sb.now())


@after(SERVICE, "DescribeScalableTargets")
def _suspended_state_defaults(sb, call):
    for target in call.response.get("ScalableTargets", []):
        state = {"DynamicScalingInSuspended": False, "DynamicScalingOutSuspended": False,
                 "ScheduledScalingSuspended": False}
        state.update(target.get("SuspendedState") or {})
        target["SuspendedState"] = state
    if call.response.get("NextToken") is None:
        call.response.pop("NextToken", None)


@after(SERVICE, "DeregisterScalableTarget")
def _forget_target_policies(sb, call):
    """Deregistering a scalable target deletes its scaling policies and scheduled actions."""
    backend = _backend(sb, call)
    params = call.params
    key = (params.get("ServiceNamespace"), params.get("ResourceId"), params.get("ScalableDimension"))
    for policy_key, policy in list(backend.policies.items()):
        if (policy.service_namespace, policy.resource_id, policy.scalable_dimension) == key:
            policy.delete_alarms(policy.account_id, policy.region_name)
            del backend.policies[policy_key]
    backend.scheduled_actions = [a for a in backend.scheduled_actions
                                 if (a.service_namespace, a.resource_id, a.scalable_dimension) != key]


@before(SERVICE, "DeregisterScalableTarget")
def _deregister_unknown(sb, call):
    if _target_of(sb, call) is None:
        params = call.params
        key = _target_key(params.get("ServiceNamespace"), params.get("ResourceId"), params.get("ScalableDimension"))
        raise AwsError("ObjectNotFoundException", f"No scalable target found for {key}")


@before(SERVICE, "PutScalingPolicy")
def _remember_policy(sb, call):
    if _target_of(sb, call) is None:
        raise _no_target(call.params)
    params = call.params
    key = FakeApplicationAutoscalingPolicy.formulate_key(params.get("ServiceNamespace"), params.get("ResourceId"),
                                                         params.get("ScalableDimension"), params.get("PolicyName"))
    call.sandbox_policy_key = key
    call.sandbox_previous_policy = _backend(sb, call).policies.get(key)


@after(SERVICE, "PutScalingPolicy")
def _keep_policy_identity(sb, call):
    """An update keeps the policy's ARN and creation time; target tracking gets AWS's two alarms."""
    policy = _backend(sb, call).policies.get(call.sandbox_policy_key)
    previous = call.sandbox_previous_policy
    if policy is None:
        return
    if previous is not None and previous is not policy:
        policy.policy_arn, policy.creation_time = previous.policy_arn, previous.creation_time
        policy.alarms = list(policy.alarms) + list(previous.alarms)
    if policy.policy_type == "TargetTrackingScaling":
        sb.area("autoscaling").replace_tracking_alarms(call.region, policy)
    call.response["PolicyARN"] = policy.policy_arn
    call.response["Alarms"] = [{"AlarmName": a.name, "AlarmARN": a.alarm_arn} for a in policy.alarms]


@before(SERVICE, "DeleteScalingPolicy")
def _delete_unknown_policy(sb, call):
    params = call.params
    key = FakeApplicationAutoscalingPolicy.formulate_key(params.get("ServiceNamespace"), params.get("ResourceId"),
                                                         params.get("ScalableDimension"), params.get("PolicyName"))
    if key not in _backend(sb, call).policies:
        where = _target_key(params.get("ServiceNamespace"), params.get("ResourceId"), params.get("ScalableDimension"))
        raise AwsError("ObjectNotFoundException",
                       f"No scaling policy found for {where}, policy name: {params.get('PolicyName')}")


@before(SERVICE, "DescribeScalingPolicies")
def _describe_scaling_policies(sb, call):
    """Exact filters, as AWS applies them (moto ignores PolicyNames and matches ResourceId by substring)."""
    params = call.params
    policies = [p for p in _backend(sb, call).policies.values()
                if p.service_namespace == params.get("ServiceNamespace")]
    if params.get("PolicyNames"):
        policies = [p for p in policies if p.policy_name in params["PolicyNames"]]
    if params.get("ResourceId"):
        policies = [p for p in policies if p.resource_id == params["ResourceId"]]
    if params.get("ScalableDimension"):
        policies = [p for p in policies if p.scalable_dimension == params["ScalableDimension"]]
    alarms = _alarms_by_policy(sb, call.region, call.account)
    return _page([_policy_view(p, alarms) for p in policies], params, POLICIES_PAGE, "ScalingPolicies")


@before(SERVICE, "PutScheduledAction")
def _validate_scheduled_action(sb, call):
    params = call.params
    if _target_of(sb, call) is None:
        raise _no_target(params)
    try:
        parse_schedule(params.get("Schedule"))
    except (ScheduleError, ValueError):
        raise AwsError("ValidationException", f"Schedule expression is not valid: {params.get('Schedule')}")
    try:
        _zone(params.get("Timezone"))
    except (ZoneInfoNotFoundError, ValueError):
        raise AwsError("ValidationException", f"Time zone is not valid: {params.get('Timezone')}")
    limits = params.get("ScalableTargetAction") or {}
    if limits.get("MinCapacity") is None and limits.get("MaxCapacity") is None:
        raise AwsError("ValidationException", "At least one of minimum capacity and maximum capacity should be provided")


@after(SERVICE, "PutScheduledAction")
def _plan_scheduled_action(sb, call):
    params = call.params
    backend = _backend(sb, call)
    for action in backend.scheduled_actions:
        if (action.scheduled_action_name, action.resource_id, action.scalable_dimension) == (
                params.get("ScheduledActionName"), params.get("ResourceId"), params.get("ScalableDimension")):
            if ":scheduledActionName/" in action.arn and ":resource/" not in action.arn:
                # AWS: ...:scheduledAction:<uuid>:resource/<namespace>/<resource id>:scheduledActionName/<name>
                action.arn = (f"arn:aws:autoscaling:{call.region}:{call.account}:scheduledAction:{uuid.uuid4()}"
                              f":resource/{action.service_namespace}/{action.resource_id}"
                              f":scheduledActionName/{action.scheduled_action_name}")
            sb.area("autoscaling").plan(action, sb.now())


@before(SERVICE, "DeleteScheduledAction")
def _delete_unknown_action(sb, call):
    params = call.params
    key = (params.get("ServiceNamespace"), params.get("ScheduledActionName"), params.get("ResourceId"),
           params.get("ScalableDimension"))
    if not any((a.service_namespace, a.scheduled_action_name, a.resource_id, a.scalable_dimension) == key
               for a in _backend(sb, call).scheduled_actions):
        where = _target_key(params.get("ServiceNamespace"), params.get("ResourceId"), params.get("ScalableDimension"))
        raise AwsError("ObjectNotFoundException",
                       f"No scheduled action found for {where}, scheduled action name: {params.get('ScheduledActionName')}")


@before(SERVICE, "DescribeScheduledActions")
def _describe_scheduled_actions(sb, call):
    params = call.params
    actions = [a for a in _backend(sb, call).scheduled_actions
               if a.service_namespace == params.get("ServiceNamespace")]
    if params.get("ScheduledActionNames"):
        actions = [a for a in actions if a.scheduled_action_name in params["ScheduledActionNames"]]
    if params.get("ResourceId"):
        actions = [a for a in actions if a.resource_id == params["ResourceId"]]
    if params.get("ScalableDimension"):
        actions = [a for a in actions if a.scalable_dimension == params["ScalableDimension"]]
    return _page([_scheduled_view(a) for a in actions], params, ACTIONS_PAGE, "ScheduledActions")


@before(SERVICE, "DescribeScalingActivities")
def _describe_scaling_activities(sb, call):
    return sb.area("autoscaling").describe_activities(call.account, call.region, call.params)


@after("ecs", "DeleteService")
def _forget_deleted_service(sb, call):
    """Deleting an ECS service deregisters its scalable target, policies and scheduled actions."""
    service = call.params.get("service", "").split("/")[-1]
    cluster = (call.params.get("cluster") or "default").split("/")[-1]
    backend = sb.backend(SERVICE, call.region, call.account)
    resource_id = f"service/{cluster}/{service}"
    target = backend.targets.get(ECS_DIMENSION, {}).get(resource_id)
    if target is None:
        return
    del backend.targets[ECS_DIMENSION][resource_id]
    for policy_key, policy in list(backend.policies.items()):
        if policy.resource_id == resource_id and policy.scalable_dimension == ECS_DIMENSION:
            policy.delete_alarms(policy.account_id, policy.region_name)
            del backend.policies[policy_key]
    backend.scheduled_actions = [a for a in backend.scheduled_actions
                                 if not (a.resource_id == resource_id and a.scalable_dimension == ECS_DIMENSION)]
