"""Put or delete a step scaling policy that is not fargate_service_autoscaling's ("someone else's").

Usage: foreign_policy.py '<json: endpoint, region, resource_id, name, state (present|absent)>'
Prints "changed" or "ok".
"""

import json
import sys

import boto3


def main():
    spec = json.loads(sys.argv[1])
    aas = boto3.client("application-autoscaling", endpoint_url=spec["endpoint"], region_name=spec["region"],
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    scope = dict(ServiceNamespace="ecs", ResourceId=spec["resource_id"], ScalableDimension="ecs:service:DesiredCount")
    names = [p["PolicyName"] for p in aas.describe_scaling_policies(PolicyNames=[spec["name"]], **scope)["ScalingPolicies"]]
    if spec["state"] == "absent":
        if names:
            aas.delete_scaling_policy(PolicyName=spec["name"], **scope)
        print("changed" if names else "ok")
        return
    aas.put_scaling_policy(PolicyName=spec["name"], PolicyType="StepScaling", StepScalingPolicyConfiguration={
        "AdjustmentType": "ChangeInCapacity", "Cooldown": 60, "MetricAggregationType": "Average",
        "StepAdjustments": [{"MetricIntervalLowerBound": 0.0, "ScalingAdjustment": 1}]}, **scope)
    print("ok" if names else "changed")


if __name__ == "__main__":
    main()
