# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""fargate_service_rollout's ``alarms``: the service's CloudWatch metric alarms (pure).

The rollout owns them because they belong to the service: an alarm with ``rollback: true`` joins the
deployment's alarms (deploymentConfiguration.alarms), so ALARM during a deployment fails it and ECS rolls
it back; they are written before the service, so the deployment that starts watches alarms that exist.
A run that changes nothing reads them all in one DescribeAlarms call.
"""

from __future__ import annotations

import re

COMPARISONS = ["GreaterThanThreshold", "GreaterThanOrEqualToThreshold", "LessThanThreshold",
               "LessThanOrEqualToThreshold"]
STATISTICS = ["SampleCount", "Average", "Sum", "Minimum", "Maximum"]
MISSING_DATA = ["missing", "notBreaching", "breaching", "ignore"]
ONE_DAY = 86400  # PutMetricAlarm: evaluation_periods x period may not exceed one day (periods of 60 s or more)
_NAME = re.compile(r"^[^\x00-\x1f]{1,255}$")  # CloudWatch: 1-255 characters, no control characters


class AlarmInputError(ValueError):
    """Bad ``alarms`` input, found before any call."""


def options():
    """The argument spec of one alarm."""
    return dict(
        name=dict(type="str", required=True),
        metric=dict(type="str", required=True),
        namespace=dict(type="str", default="AWS/ECS"),
        statistic=dict(type="str", choices=STATISTICS, default="Average"),
        comparison=dict(type="str", choices=COMPARISONS, required=True),
        threshold=dict(type="float", required=True),
        period=dict(type="int", default=60),
        evaluation_periods=dict(type="int", default=1),
        datapoints_to_alarm=dict(type="int"),
        unit=dict(type="str"),
        dimensions=dict(type="dict"),
        description=dict(type="str"),
        treat_missing_data=dict(type="str", choices=MISSING_DATA, default="missing"),
        alarm_actions=dict(type="list", elements="str", default=[]),
        ok_actions=dict(type="list", elements="str", default=[]),
        rollback=dict(type="bool", default=False),
    )


def desired(alarms, cluster, service):
    """``{name: PutMetricAlarm request}`` for the ``alarms`` argument. Dimensions default to the service's
    (ClusterName, ServiceName: AWS/ECS's service metrics). Raises AlarmInputError."""
    out = {}
    for alarm in alarms or []:
        name = alarm["name"]
        if not _NAME.match(name):
            raise AlarmInputError(f"alarm name {name!r} must be 1 to 255 characters without control characters")
        if name in out:
            raise AlarmInputError(f"alarms lists {name} twice")
        period, evaluations = alarm["period"], alarm["evaluation_periods"]
        if period not in (10, 20, 30) and (period < 60 or period % 60):
            raise AlarmInputError(f"alarm {name}: period must be 10, 20, 30 or a multiple of 60, not {period}")
        if evaluations < 1:
            raise AlarmInputError(f"alarm {name}: evaluation_periods must be at least 1, not {evaluations}")
        if period >= 60 and period * evaluations > ONE_DAY:
            raise AlarmInputError(f"alarm {name}: period x evaluation_periods ({period * evaluations} s) may not "
                                  f"exceed one day ({ONE_DAY} s)")
        datapoints = alarm.get("datapoints_to_alarm")
        if datapoints is not None and not 1 <= datapoints <= evaluations:
            raise AlarmInputError(f"alarm {name}: datapoints_to_alarm must be between 1 and evaluation_periods "
                                  f"({evaluations}), not {datapoints}")
        dimensions = alarm.get("dimensions")
        if dimensions is None:
            dimensions = {"ClusterName": cluster, "ServiceName": service}
        request = {
            "AlarmName": name, "MetricName": alarm["metric"], "Namespace": alarm["namespace"],
            "Statistic": alarm["statistic"], "ComparisonOperator": alarm["comparison"],
            "Threshold": float(alarm["threshold"]), "Period": period, "EvaluationPeriods": evaluations,
            "Dimensions": [{"Name": k, "Value": str(v)} for k, v in sorted(dimensions.items())],
            "TreatMissingData": alarm["treat_missing_data"], "ActionsEnabled": True,
            "AlarmActions": sorted(alarm["alarm_actions"]), "OKActions": sorted(alarm["ok_actions"]),
        }
        for key, value in (("DatapointsToAlarm", datapoints), ("Unit", alarm.get("unit")),
                           ("AlarmDescription", alarm.get("description"))):
            if value is not None:
                request[key] = value
        out[name] = request
    return out


def state(alarm):
    """An alarm's managed fields, from DescribeAlarms' MetricAlarm or a PutMetricAlarm request, comparable."""
    if alarm is None:
        return None
    out = {key: alarm.get(key) for key in ("MetricName", "Namespace", "Statistic", "ComparisonOperator",
                                           "Period", "EvaluationPeriods", "DatapointsToAlarm", "Unit",
                                           "AlarmDescription", "ActionsEnabled")}
    out["Threshold"] = float(alarm["Threshold"]) if alarm.get("Threshold") is not None else None
    out["TreatMissingData"] = alarm.get("TreatMissingData") or "missing"
    out["Dimensions"] = sorted((d["Name"], d["Value"]) for d in alarm.get("Dimensions") or [])
    out["AlarmActions"] = sorted(alarm.get("AlarmActions") or [])
    out["OKActions"] = sorted(alarm.get("OKActions") or [])
    return out


def to_put(wanted, current):
    """Names of the wanted alarms that are missing or differ from ``current`` ({name: MetricAlarm})."""
    return [name for name, request in wanted.items() if state(request) != state(current.get(name))]


def with_deployment_alarms(deployment, alarms):
    """The ``deployment`` argument with the ``rollback: true`` alarms added to its alarms (created when it
    has none: enabled, rolling back)."""
    names = sorted(a["name"] for a in alarms or [] if a.get("rollback"))
    if not names:
        return deployment
    deployment = dict(deployment or {})
    given = deployment.get("alarms") or {"names": [], "enable": True, "rollback": True}
    deployment["alarms"] = dict(given, names=sorted(set(given.get("names") or []) | set(names)))
    return deployment
