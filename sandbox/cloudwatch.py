"""CloudWatch alarms that evaluate their metric data, keep a history and run their actions.

moto stores alarms but never evaluates them, starts them in OK and has no DescribeAlarmHistory.
Here, as the CloudWatch User Guide describes ("Evaluating an alarm", "Configuring how CloudWatch
alarms treat missing data"):

- A new alarm starts in INSUFFICIENT_DATA ("Unchecked: Initial alarm creation"); PutMetricAlarm on
  an existing alarm replaces its configuration and keeps its state (PutMetricAlarm API reference).
- Every metric alarm is evaluated every `profile.seconds(min(Period, 60))` wall-clock seconds (AWS
  evaluates once a minute, high-resolution alarms more often). The evaluation range ends at now, in
  real UTC time: periods are [now - k*Period, now - (k-1)*Period), so back-dated PutMetricData
  drives a 5-minute alarm within one evaluation.
- The evaluation range is EvaluationPeriods + 2 periods (the docs' example retrieves 5 for 3).
  With at least EvaluationPeriods real datapoints, the most recent ones decide (M of N, M =
  DatapointsToAlarm). With fewer, missing datapoints are filled per TreatMissingData, and the
  "premature alarm state" rule applies: ALARM when the oldest breaching datapoint of the last N
  periods is at least M periods old and everything newer is breaching or missing.
- State changes are recorded (StateReason, StateReasonData, DescribeAlarmHistory StateUpdate items)
  and run the new state's actions; an Application Auto Scaling policy ARN runs that policy. As the
  docs say for Auto Scaling actions, they are invoked again at every evaluation while the alarm
  stays in that state.
"""

import calendar
import json
import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from moto.cloudwatch.models import CloudWatchBackend, MetricAggregatedDatum, MetricDatum, cloudwatch_backends

from .hooks import after, area, before

INSUFFICIENT_DATA = "INSUFFICIENT_DATA"
INITIAL_REASON = "Unchecked: Initial alarm creation"
EXTRA_PERIODS = 2  # evaluation range beyond EvaluationPeriods, for missing datapoints
HISTORY_LIMIT = 10000  # per region; AWS keeps two weeks
ALARM_HISTORY_MAX_RECORDS = 100

# ComparisonOperator -> (breaching test, wording in StateReason). The anomaly-detection band
# operators need a ThresholdMetricId model and are not evaluated.
OPERATORS = {
    "GreaterThanOrEqualToThreshold": (lambda value, threshold: value >= threshold, "greater than or equal to"),
    "GreaterThanThreshold": (lambda value, threshold: value > threshold, "greater than"),
    "LessThanThreshold": (lambda value, threshold: value < threshold, "less than"),
    "LessThanOrEqualToThreshold": (lambda value, threshold: value <= threshold, "less than or equal to"),
}
MISSING_WORDING = {"breaching": "Breaching", "notBreaching": "NonBreaching"}


def epoch(moment) -> float:
    """Seconds since the epoch of a moto timestamp (naive datetimes are UTC) or a number."""
    if isinstance(moment, (int, float)):
        return float(moment)
    if moment.tzinfo is not None:
        return moment.timestamp()
    return calendar.timegm(moment.timetuple()) + moment.microsecond / 1e6


def utc_naive(seconds: float) -> datetime:
    """The naive-UTC datetime moto stores for a point in time."""
    return datetime.fromtimestamp(seconds, timezone.utc).replace(tzinfo=None)


def iso_millis(seconds: float) -> str:
    """CloudWatch's timestamp format in StateReasonData: 2021-01-01T00:05:00.000+0000."""
    moment = datetime.fromtimestamp(seconds, timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def _number(value: float) -> str:
    return repr(float(value))


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _was(count: int) -> str:
    return "was" if count == 1 else "were"


def statistic_of(items: list, statistic: str | None, extended: str | None) -> float | None:
    """One period's statistic over raw values (MetricDatum) and statistic sets (MetricAggregatedDatum)."""
    singles = [item.value for item in items if isinstance(item, MetricDatum)]
    sets = [item for item in items if isinstance(item, MetricAggregatedDatum)]
    count = len(singles) + sum(s.sample_count for s in sets)
    if not count:
        return None
    if extended:
        return _percentile(singles, extended)
    if statistic == "Sum":
        return sum(singles) + sum(s.sum for s in sets)
    if statistic == "Average":
        return (sum(singles) + sum(s.sum for s in sets)) / count
    if statistic == "Minimum":
        return min(singles + [s.min for s in sets])
    if statistic == "Maximum":
        return max(singles + [s.max for s in sets])
    if statistic == "SampleCount":
        return float(count)
    return None


def _percentile(values: list[float], extended: str) -> float | None:
    """pNN / pNN.N by nearest rank; percentiles need raw values (AWS: not from statistic sets)."""
    if not values or not extended.startswith("p"):
        return None
    try:
        rank = float(extended[1:])
    except ValueError:
        return None
    ordered = sorted(values)
    index = max(0, math.ceil(rank / 100 * len(ordered)) - 1)
    return ordered[min(index, len(ordered) - 1)]


def _sample_count(items: list) -> float:
    return len([i for i in items if isinstance(i, MetricDatum)]) + sum(
        i.sample_count for i in items if isinstance(i, MetricAggregatedDatum))


@dataclass
class MetricSpec:
    namespace: str
    name: str
    dimensions: tuple  # sorted (name, value) pairs: an alarm matches exactly this dimension set
    statistic: str | None
    extended: str | None
    unit: str | None
    period: int


@dataclass
class Evaluation:
    """The outcome of evaluating an alarm once: the state it should be in (None: keep the current one)."""

    state: str | None
    reason: str
    reason_data: dict
    values: list  # real datapoints used, most recent first (what a scaling policy aggregates)


def alarm_metric(alarm) -> MetricSpec | None:
    """The single metric an alarm watches, or None for alarms this sandbox does not evaluate."""
    if alarm.rule is not None or alarm.threshold_metric_id:
        return None
    if alarm.metric_name and alarm.namespace:
        dims = tuple(sorted((d.name, d.value) for d in alarm.dimensions))
        return MetricSpec(alarm.namespace, alarm.metric_name, dims, alarm.statistic, alarm.extended_statistic,
                          alarm.unit, int(alarm.period))
    queries = alarm.metric_data_queries or []
    # A Metrics alarm with one MetricStat and no math is the same as a plain metric alarm.
    if len(queries) == 1 and queries[0].metric_stat is not None and not queries[0].expression:
        stat = queries[0].metric_stat
        dims = tuple(sorted((d.name, d.value) for d in stat.metric.dimensions))
        statistic, extended = (None, stat.stat) if str(stat.stat).startswith("p") else (stat.stat, None)
        return MetricSpec(stat.metric.namespace, stat.metric.metric_name, dims, statistic, extended, stat.unit,
                          int(stat.period))
    return None


def _datum_matches(datum, spec: MetricSpec) -> bool:
    if datum.namespace != spec.namespace or datum.name != spec.name:
        return False
    if spec.unit and datum.unit != spec.unit:
        return False
    return tuple(sorted((d.name, d.value) for d in datum.dimensions)) == spec.dimensions


_SUM_TERM = re.compile(r"^\s*(?:FILL\(\s*([a-z][A-Za-z0-9_]*)\s*,\s*(-?\d+(?:\.\d+)?)\s*\)|([a-z][A-Za-z0-9_]*))\s*$")


def alarm_sum_expression(alarm) -> list | None:
    """[(MetricSpec, fill value or None)] for a metric math alarm whose returned expression is a sum of its
    MetricStat queries, each plain (``m1``) or filled (``FILL(m1, 0)``); None for any other math."""
    queries = alarm.metric_data_queries or []
    if alarm.metric_name or len(queries) < 2:
        return None
    returned = [q for q in queries if str(q.return_data).lower() != "false"]
    if len(returned) != 1 or not returned[0].expression:
        return None
    stats = {q.id: q.metric_stat for q in queries if q.metric_stat is not None}
    terms = []
    for part in returned[0].expression.split("+"):
        match = _SUM_TERM.match(part)
        ident = match and (match.group(1) or match.group(3))
        if not ident or ident not in stats:
            return None
        stat = stats[ident]
        dims = tuple(sorted((d.name, d.value) for d in stat.metric.dimensions))
        statistic, extended = (None, stat.stat) if str(stat.stat).startswith("p") else (stat.stat, None)
        spec = MetricSpec(stat.metric.namespace, stat.metric.metric_name, dims, statistic, extended, stat.unit,
                          int(stat.period))
        terms.append((spec, float(match.group(2)) if match.group(1) else None))
    return terms if len({spec.period for spec, _ in terms}) == 1 else None


def _bucketed(spec: MetricSpec, metric_data: list, now: float, span: int) -> tuple[list, list]:
    """The datapoints of each period of the range (index 0: the most recent) and their statistic."""
    buckets = [[] for _ in range(span)]
    for datum in metric_data:
        if not _datum_matches(datum, spec):
            continue
        age = now - epoch(datum.timestamp)
        if 0 <= age < span * spec.period:
            buckets[int(age // spec.period)].append(datum)
    return buckets, [statistic_of(bucket, spec.statistic, spec.extended) for bucket in buckets]


def evaluate(alarm, metric_data: list, now: float) -> Evaluation | None:
    """Evaluate a metric alarm as CloudWatch does; None when the alarm is not one we can evaluate."""
    spec = alarm_metric(alarm)
    terms = alarm_sum_expression(alarm) if spec is None else None
    operator = OPERATORS.get(alarm.comparison_operator)
    if (spec is None and terms is None) or operator is None or alarm.threshold is None:
        return None
    period = spec.period if spec else terms[0][0].period
    if period <= 0:
        return None
    breaches, wording = operator
    threshold = float(alarm.threshold)
    n = int(alarm.evaluation_periods)
    m = int(alarm.datapoints_to_alarm or n)
    span = n + EXTRA_PERIODS

    if spec is not None:
        buckets, values = _bucketed(spec, metric_data, now, span)
    else:
        # Metric math on time series: FILL gives every period of the range a value; a sum has a
        # value only where every term has one.
        series = [(_bucketed(term, metric_data, now, span), fill) for term, fill in terms]
        values = []
        for k in range(span):
            parts = [vals[k] if vals[k] is not None else fill for (_, vals), fill in series]
            values.append(None if any(p is None for p in parts) else float(sum(parts)))
        spec, buckets = terms[0][0], series[0][0][0]
    real = [(k, v) for k, v in enumerate(values) if v is not None]
    missing = alarm.treat_missing_data or "missing"

    if len(real) >= n:
        used, filled = real[:n], 0
        state = "ALARM" if sum(breaches(v, threshold) for _, v in used) >= m else "OK"
    elif not real:
        used, filled = [], n
        state = {"missing": INSUFFICIENT_DATA, "ignore": None, "breaching": "ALARM", "notBreaching": "OK"}[missing]
    else:
        used, filled = real, n - len(real)
        breaching = sum(breaches(v, threshold) for _, v in real)
        if missing == "breaching":
            state = "ALARM" if breaching + filled >= m else "OK"
        elif missing == "notBreaching" or breaching >= m:
            state = "ALARM" if breaching >= m else "OK"
        elif _premature_alarm(values[:n], breaches, threshold, m) and breaching == len(real):
            state = "ALARM" if missing == "missing" else None
        elif breaching == len(real):
            state = None  # only young breaching datapoints: wait for the next one, as CloudWatch does
        else:
            state = "OK"

    old = alarm.state_value
    reason = _reason(state, old, used, filled, n, m, missing, breaches, wording, threshold, period, now)
    data = _reason_data(spec, used, buckets, threshold, period, now, span)
    return Evaluation(state, reason, data, [v for _, v in used])


def _premature_alarm(window: list, breaches, threshold: float, m: int) -> bool:
    """The docs' rule: the oldest breaching datapoint of the last N periods is at least M periods old,
    and every more recent one is breaching or missing."""
    breaching_ages = [k for k, v in enumerate(window) if v is not None and breaches(v, threshold)]
    if not breaching_ages:
        return False
    oldest = max(breaching_ages)
    newer_ok = all(v is None or breaches(v, threshold) for v in window[:oldest])
    return oldest + 1 >= m and newer_ok


def _reason(state, old, used, filled, n, m, missing, breaches, wording, threshold, period, now) -> str:
    if state == INSUFFICIENT_DATA:
        return f"Insufficient Data: {_plural(n, 'datapoint')} {_was(n)} unknown."
    if state is None:
        return ""
    negate = "" if state == "ALARM" else "not "
    if not used:
        return (f"Threshold Crossed: no datapoints were received for {_plural(n, 'period')} and "
                f"{_plural(filled, 'missing datapoint')} {_was(filled)} treated as [{MISSING_WORDING[missing]}].")
    listed = [(k, v) for k, v in used if (state == "ALARM") == breaches(v, threshold)]
    points = ", ".join(f"{_number(v)} ({_period_label(now, k, period)})" for k, v in listed)
    if n == 1:
        return f"Threshold Crossed: 1 datapoint [{points}] was {negate}{wording} the threshold ({_number(threshold)})."
    text = (f"Threshold Crossed: {len(listed)} out of the last {n} datapoints [{points}] {_was(len(listed))} "
            f"{negate}{wording} the threshold ({_number(threshold)})")
    if filled and missing in MISSING_WORDING:
        text += f" and {_plural(filled, 'missing datapoint')} {_was(filled)} treated as [{MISSING_WORDING[missing]}]"
    needed = m if state == "ALARM" else n - m + 1
    return text + f" (minimum {_plural(needed, 'datapoint')} for {old} -> {state} transition)."


def _period_label(now: float, age: int, period: int) -> str:
    start = datetime.fromtimestamp(now - (age + 1) * period, timezone.utc)
    return start.strftime("%d/%m/%y %H:%M:%S")


def _reason_data(spec: MetricSpec, used, buckets, threshold, period, now, span) -> dict:
    data = {"version": "1.0", "queryDate": iso_millis(now), "startDate": iso_millis(now - span * period)}
    if spec.unit:
        data["unit"] = spec.unit
    if spec.extended:
        data["extendedStatistic"] = spec.extended
    else:
        data["statistic"] = spec.statistic
    data["period"] = period
    data["recentDatapoints"] = [v for _, v in reversed(used)]
    data["threshold"] = threshold
    if used:
        data["evaluatedDatapoints"] = [
            {"timestamp": iso_millis(now - (k + 1) * period), "sampleCount": _sample_count(buckets[k]), "value": v}
            for k, v in used
        ]
    return data


def _is_scaling_policy(action: str) -> bool:
    return ":autoscaling:" in action and ":scalingPolicy:" in action and ":resource/" in action


def _alarm_config(alarm) -> dict:
    """The alarm as ConfigurationUpdate history items show it."""
    config = {"alarmName": alarm.name, "alarmArn": alarm.alarm_arn, "namespace": alarm.namespace,
              "metricName": alarm.metric_name, "dimensions": [{"name": d.name, "value": d.value}
                                                               for d in alarm.dimensions],
              "statistic": alarm.statistic, "period": alarm.period, "evaluationPeriods": alarm.evaluation_periods,
              "datapointsToAlarm": alarm.datapoints_to_alarm, "threshold": alarm.threshold,
              "comparisonOperator": alarm.comparison_operator, "treatMissingData": alarm.treat_missing_data,
              "actionsEnabled": alarm.actions_enabled, "alarmActions": list(alarm.alarm_actions or []),
              "okActions": list(alarm.ok_actions or []),
              "insufficientDataActions": list(alarm.insufficient_data_actions or [])}
    return {key: value for key, value in config.items() if value is not None}


@area("cloudwatch")
class CloudWatch:
    """Alarm evaluation, history and actions; the metric interface other areas publish through."""

    def __init__(self, sandbox):
        self.sb = sandbox
        self.reset()

    def reset(self):
        self.history: dict[tuple[str, str], list[dict]] = {}

    # -- interface for other areas ------------------------------------------------------
    def put_metric(self, region: str, namespace: str, name: str, dimensions: dict, value: float,
                   unit: str = "Count", timestamp=None):
        """Record one datapoint in moto's CloudWatch, as PutMetricData would."""
        backend = self.sb.backend("cloudwatch", region)
        moment = utc_naive(epoch(timestamp)) if timestamp is not None else utc_naive(self.sb.now())
        dims = [{"Name": key, "Value": str(val)} for key, val in dimensions.items()]
        backend.metric_data.append(MetricDatum(namespace, name, float(value), dims, moment, unit))

    def alarm_state(self, region: str, alarm_name: str) -> str | None:
        alarm = self.sb.backend("cloudwatch", region).alarms.get(alarm_name)
        return alarm.state_value if alarm else None

    def create_alarm(self, region: str, **kwargs):
        """Create an alarm in-process (target tracking) with the state a new alarm has."""
        backend = self.sb.backend("cloudwatch", region)
        alarm = backend.put_metric_alarm(**kwargs)
        self.start_alarm(backend, alarm)
        return alarm

    # -- alarm life cycle ---------------------------------------------------------------
    def start_alarm(self, backend, alarm, previous=None):
        """A created alarm starts in INSUFFICIENT_DATA; an updated one keeps its state."""
        now = self.sb.now()
        if previous is None:
            alarm.state_value = INSUFFICIENT_DATA
            alarm.state_reason = INITIAL_REASON
            alarm.state_reason_data = None
            alarm.state_updated_timestamp = utc_naive(now)
            alarm.state_transitioned_timestamp = alarm.state_updated_timestamp
            summary, data = f'Alarm "{alarm.name}" created', {"type": "Create", "createdAlarm": _alarm_config(alarm)}
        else:
            for attribute in ("state_value", "state_reason", "state_reason_data", "state_updated_timestamp"):
                setattr(alarm, attribute, getattr(previous, attribute))
            alarm.state_transitioned_timestamp = getattr(previous, "state_transitioned_timestamp",
                                                         previous.state_updated_timestamp)
            summary, data = f'Alarm "{alarm.name}" updated', {
                "type": "Update", "updatedAlarm": _alarm_config(alarm), "originalAlarm": _alarm_config(previous)}
        alarm.sandbox_next_evaluation = now + self._interval(alarm)
        self._record(backend, alarm, now, "ConfigurationUpdate", summary, {"version": "1.0", **data})

    def _interval(self, alarm) -> float:
        spec = alarm_metric(alarm)
        terms = alarm_sum_expression(alarm) if spec is None else None
        period = spec.period if spec else terms[0][0].period if terms else 60
        return self.sb.profile.seconds(min(max(period, 10), 60))

    def tick(self, now: float):
        for account_backends in list(cloudwatch_backends.values()):
            for backend in list(account_backends.values()):
                for alarm in list(backend.alarms.values()):
                    if not hasattr(alarm, "sandbox_next_evaluation"):  # created in-process by moto
                        self.start_alarm(backend, alarm)
                    if now >= alarm.sandbox_next_evaluation:
                        alarm.sandbox_next_evaluation = now + self._interval(alarm)
                        self._evaluate(backend, alarm, now)

    def _evaluate(self, backend, alarm, now: float):
        outcome = evaluate(alarm, backend.metric_data, now)
        if outcome is None:
            return
        if outcome.state is not None and outcome.state != alarm.state_value:
            self.transition(backend, alarm, outcome.state, outcome.reason, outcome.reason_data, now, outcome.values)
        elif alarm.actions_enabled:
            # Auto Scaling actions are invoked again at every evaluation while the state lasts.
            self._run_actions(backend, alarm, now, outcome.values, record=False)

    def transition(self, backend, alarm, state: str, reason: str, reason_data: dict | None, now: float,
                   values: list | None = None):
        old = {"stateValue": alarm.state_value, "stateReason": alarm.state_reason}
        if alarm.state_reason_data:
            old["stateReasonData"] = _json_or_text(alarm.state_reason_data)
        alarm.state_value = state
        alarm.state_reason = reason
        alarm.state_reason_data = json.dumps(reason_data) if reason_data is not None else None
        alarm.state_updated_timestamp = utc_naive(now)
        alarm.state_transitioned_timestamp = alarm.state_updated_timestamp
        new = {"stateValue": state, "stateReason": reason}
        if reason_data is not None:
            new["stateReasonData"] = reason_data
        self._record(backend, alarm, now, "StateUpdate", f"Alarm updated from {old['stateValue']} to {state}",
                     {"version": "1.0", "oldState": old, "newState": new})
        if alarm.actions_enabled:
            self._run_actions(backend, alarm, now, values or [], record=True)

    def _run_actions(self, backend, alarm, now: float, values: list, record: bool):
        actions = {"ALARM": alarm.alarm_actions, "OK": alarm.ok_actions,
                   INSUFFICIENT_DATA: alarm.insufficient_data_actions}[alarm.state_value] or []
        for action in actions:
            if not _is_scaling_policy(action):
                continue  # SNS, EC2 and Systems Manager actions are not modelled
            ok, message = self.sb.area("autoscaling").execute_policy(
                backend.region_name, action, alarm.name, alarm.state_value, float(alarm.threshold), values)
            if not record:
                continue
            if ok:
                summary = f"Successfully executed action {action}"
                data = {"actionState": "Succeeded", "notificationResource": action}
            else:
                summary = f"Failed to execute action {action}. Received error: \"{message}\""
                data = {"actionState": "Failed", "notificationResource": action, "error": message}
            data["stateUpdateTimestamp"] = int(epoch(alarm.state_updated_timestamp) * 1000)
            self._record(backend, alarm, now, "Action", summary, data)

    def _record(self, backend, alarm, now: float, kind: str, summary: str, data: dict):
        items = self.history.setdefault((backend.account_id, backend.region_name), [])
        items.append({"AlarmName": alarm.name,
                      "AlarmType": "CompositeAlarm" if alarm.rule is not None else "MetricAlarm",
                      "Timestamp": now, "HistoryItemType": kind, "HistorySummary": summary,
                      "HistoryData": json.dumps(data)})
        del items[:-HISTORY_LIMIT]

    def alarm_history(self, account: str, region: str, params: dict) -> dict:
        items = list(self.history.get((account, region), []))
        if params.get("AlarmName"):
            items = [i for i in items if i["AlarmName"] == params["AlarmName"]]
        types = params.get("AlarmTypes") or ["MetricAlarm", "CompositeAlarm"]
        items = [i for i in items if i["AlarmType"] in types]
        if params.get("HistoryItemType"):
            items = [i for i in items if i["HistoryItemType"] == params["HistoryItemType"]]
        if params.get("StartDate") is not None:
            items = [i for i in items if i["Timestamp"] >= epoch(params["StartDate"])]
        if params.get("EndDate") is not None:
            items = [i for i in items if i["Timestamp"] <= epoch(params["EndDate"])]
        if params.get("ScanBy", "TimestampDescending") == "TimestampDescending":
            items.reverse()
        start = int(params.get("NextToken") or 0)
        size = int(params.get("MaxRecords") or ALARM_HISTORY_MAX_RECORDS)
        page = items[start:start + size]
        answer = {"AlarmHistoryItems": page}
        if start + size < len(items):
            answer["NextToken"] = str(start + size)
        return answer


def _json_or_text(text: str):
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return text


# -- hooks ----------------------------------------------------------------------------------
def _match_exact_dimension_sets():
    """GetMetricStatistics matches the exact dimension set, as CloudWatch does.

    moto matches every datum whose dimensions include the requested ones, so RequestCount by
    LoadBalancer alone also summed the LoadBalancer+TargetGroup datapoints (twice the traffic),
    and a request without dimensions summed everything. moto's GetMetricData already matches
    exactly when dimensions are given.
    """
    statistics = CloudWatchBackend.get_metric_statistics

    def get_metric_statistics(backend, namespace, metric_name, start_time, end_time, period, stats, dimensions,
                              unit=None):
        wanted = sorted((d["Name"], d.get("Value")) for d in dimensions or [])
        every_datum = backend.get_all_metrics
        # Runs under the sandbox lock, so shadowing the method on the instance is safe.
        backend.get_all_metrics = lambda: [
            datum for datum in every_datum() if sorted((d.name, d.value) for d in datum.dimensions) == wanted]
        try:
            return statistics(backend, namespace, metric_name, start_time, end_time, period, stats, dimensions, unit)
        finally:
            del backend.get_all_metrics

    CloudWatchBackend.get_metric_statistics = get_metric_statistics


_match_exact_dimension_sets()


@before("cloudwatch", "PutMetricAlarm")
def _remember_existing_alarm(sb, call):
    backend = sb.backend("cloudwatch", call.region, call.account)
    call.sandbox_previous_alarm = backend.alarms.get(call.params.get("AlarmName"))


@after("cloudwatch", "PutMetricAlarm")
def _start_alarm(sb, call):
    backend = sb.backend("cloudwatch", call.region, call.account)
    alarm = backend.alarms.get(call.params.get("AlarmName"))
    if alarm is not None:
        sb.area("cloudwatch").start_alarm(backend, alarm, getattr(call, "sandbox_previous_alarm", None))


@before("cloudwatch", "SetAlarmState")
def _remember_state(sb, call):
    alarm = sb.backend("cloudwatch", call.region, call.account).alarms.get(call.params.get("AlarmName"))
    call.sandbox_previous_state = (alarm.state_value, alarm.state_reason, alarm.state_reason_data) if alarm else None


@after("cloudwatch", "SetAlarmState")
def _record_set_state(sb, call):
    """SetAlarmState changes the state for a while: record it and run the new state's actions.
    The alarm returns to its evaluated state at the next evaluation, one interval from now."""
    backend = sb.backend("cloudwatch", call.region, call.account)
    alarm = backend.alarms.get(call.params.get("AlarmName"))
    previous = getattr(call, "sandbox_previous_state", None)
    if alarm is None or previous is None:
        return
    area_ = sb.area("cloudwatch")
    now = sb.now()
    alarm.sandbox_next_evaluation = now + area_._interval(alarm)
    if previous[0] == alarm.state_value:
        return
    new_state, reason, data = alarm.state_value, alarm.state_reason, alarm.state_reason_data
    alarm.state_value, alarm.state_reason, alarm.state_reason_data = previous
    area_.transition(backend, alarm, new_state, reason, _json_or_text(data) if data else None, now)
    alarm.state_reason_data = data  # SetAlarmState keeps the caller's StateReasonData text as given


@before("cloudwatch", "DescribeAlarmHistory")
def _describe_alarm_history(sb, call):
    return sb.area("cloudwatch").alarm_history(call.account, call.region, call.params)


@after("cloudwatch", "DescribeAlarms")
def _combine_alarm_filters(sb, call):
    """moto applies only the first of AlarmNames / AlarmNamePrefix / StateValue / ActionPrefix and
    ignores AlarmTypes; AWS applies them all, and without AlarmTypes returns only metric alarms."""
    params = call.params
    body = call.response if call.response is not None else json.loads(call.raw or b"{}")

    def keep(alarm: dict) -> bool:
        actions = alarm.get("AlarmActions", [])
        return ((not params.get("AlarmNames") or alarm["AlarmName"] in params["AlarmNames"])
                and alarm["AlarmName"].startswith(params.get("AlarmNamePrefix") or "")
                and (not params.get("StateValue") or alarm.get("StateValue") == params["StateValue"])
                and (not params.get("ActionPrefix") or any(a.startswith(params["ActionPrefix"]) for a in actions)))

    types = params.get("AlarmTypes") or ["MetricAlarm"]
    body["MetricAlarms"] = [a for a in body.get("MetricAlarms", []) if keep(a)] if "MetricAlarm" in types else []
    body["CompositeAlarms"] = ([a for a in body.get("CompositeAlarms", []) if keep(a)]
                               if "CompositeAlarm" in types else [])
    call.response = body
    call.raw = json.dumps(body).encode()
