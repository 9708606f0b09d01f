# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""CloudWatch alarms and metrics, one small function per call under ``api_call``.

Shapes are boto3's (CamelCase). ``describe_alarms`` takes names (at most 100 per call, batched here)
and returns MetricAlarms only; ``get_metric_statistics`` returns the Datapoints list.
"""

from __future__ import annotations

from ansible_collections.ecsops.fargate.plugins.module_utils.api import api_call

DESCRIBE_ALARMS_BATCH = 100


@api_call("describe CloudWatch alarms")
def describe_alarms(client, names):
    """The MetricAlarms named (in any order); names that do not exist are simply absent."""
    names = list(names or [])
    found = []
    for start in range(0, len(names), DESCRIBE_ALARMS_BATCH):
        paginator = client.get_paginator("describe_alarms")
        for page in paginator.paginate(AlarmNames=names[start:start + DESCRIBE_ALARMS_BATCH], AlarmTypes=["MetricAlarm"]):
            found.extend(page.get("MetricAlarms") or [])
    return found


@api_call("put CloudWatch metric alarm")
def put_metric_alarm(client, **params):
    client.put_metric_alarm(**params)


@api_call("delete CloudWatch alarms", missing_codes=["ResourceNotFound"])
def delete_alarms(client, names):
    names = list(names or [])
    for start in range(0, len(names), DESCRIBE_ALARMS_BATCH):
        client.delete_alarms(AlarmNames=names[start:start + DESCRIBE_ALARMS_BATCH])


@api_call("get CloudWatch metric statistics")
def get_metric_statistics(client, **params):
    return client.get_metric_statistics(**params).get("Datapoints") or []
