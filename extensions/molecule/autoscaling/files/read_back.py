"""Read back, with plain boto3, a service's autoscaling; print JSON.

Usage: read_back.py '<json: endpoint, region, cluster, service>'
Independent of the collection's code, so verify does not trust the module it checks.
"""

import json
import sys

import boto3


def main():
    spec = json.loads(sys.argv[1])
    kwargs = dict(endpoint_url=spec["endpoint"], region_name=spec["region"], aws_access_key_id="testing",
                  aws_secret_access_key="testing")
    aas, cloudwatch, ecs = (boto3.client(name, **kwargs) for name in ("application-autoscaling", "cloudwatch", "ecs"))
    resource_id = f"service/{spec['cluster']}/{spec['service']}"
    scope = dict(ServiceNamespace="ecs", ScalableDimension="ecs:service:DesiredCount")
    out = {"resource_id": resource_id}

    targets = aas.describe_scalable_targets(ResourceIds=[resource_id], **scope)["ScalableTargets"]
    out["target"] = None if not targets else {"min": targets[0]["MinCapacity"], "max": targets[0]["MaxCapacity"]}

    policies = aas.describe_scaling_policies(ResourceId=resource_id, **scope)["ScalingPolicies"]
    out["policies"] = {p["PolicyName"]: {
        "type": p["PolicyType"],
        "config": p.get("TargetTrackingScalingPolicyConfiguration") or p.get("StepScalingPolicyConfiguration"),
        "alarms": sorted(a["AlarmName"] for a in p.get("Alarms") or []),
    } for p in policies}
    out["scheduled_actions"] = [a["ScheduledActionName"] for a in
                                aas.describe_scheduled_actions(ResourceId=resource_id, **scope)["ScheduledActions"]]

    alarms = cloudwatch.describe_alarms(AlarmNamePrefix=f"TargetTracking-{resource_id}-")["MetricAlarms"]
    out["alarms"] = {a["AlarmName"]: {
        "namespace": a["Namespace"], "metric": a["MetricName"], "statistic": a.get("Statistic"),
        "dimensions": {d["Name"]: d["Value"] for d in a.get("Dimensions") or []},
        "period": a["Period"], "evaluation_periods": a["EvaluationPeriods"],
        "datapoints_to_alarm": a.get("DatapointsToAlarm"), "threshold": a["Threshold"],
        "comparison": a["ComparisonOperator"], "state": a["StateValue"], "actions": a.get("AlarmActions") or [],
    } for a in alarms}

    services = ecs.describe_services(cluster=spec["cluster"], services=[spec["service"]])["services"]
    out["desired_count"] = services[0]["desiredCount"] if services else None
    activities = aas.describe_scaling_activities(ResourceId=resource_id, **scope)["ScalingActivities"]
    out["activity_causes"] = [a["Cause"] for a in activities]
    print(json.dumps(out, default=str))


if __name__ == "__main__":
    main()
