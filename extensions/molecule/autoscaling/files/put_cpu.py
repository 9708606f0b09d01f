"""Put back-dated CPUUtilization data for an ECS service, one datapoint per minute; print the count.

Usage: put_cpu.py '<json: endpoint, region, cluster, service, percent, minutes>'
CloudWatch takes data up to two weeks old, so an alarm window that ends now is filled at once.
"""

import datetime
import json
import sys

import boto3


def main():
    spec = json.loads(sys.argv[1])
    cloudwatch = boto3.client("cloudwatch", endpoint_url=spec["endpoint"], region_name=spec["region"],
                              aws_access_key_id="testing", aws_secret_access_key="testing")
    now = datetime.datetime.now(datetime.timezone.utc)
    data = [{"MetricName": "CPUUtilization", "Unit": "Percent", "Value": float(spec["percent"]),
             "Timestamp": now - datetime.timedelta(minutes=minute),
             "Dimensions": [{"Name": "ClusterName", "Value": spec["cluster"]},
                            {"Name": "ServiceName", "Value": spec["service"]}]}
            for minute in range(int(spec["minutes"]))]
    cloudwatch.put_metric_data(Namespace="AWS/ECS", MetricData=data)
    print(len(data))


if __name__ == "__main__":
    main()
