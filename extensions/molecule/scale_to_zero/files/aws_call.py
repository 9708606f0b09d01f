"""One AWS call against the sandbox, answer as JSON: python aws_call.py <endpoint> <service> <operation> '<params>'.

For read-backs the collection has no _info module for (scalable targets, scaling activities, Lambda), and
for PutMetricData (back-dated traffic). Timestamps may be given as "-<seconds>" (that long ago).
"""

import datetime
import json
import sys

import boto3


def _dates(value):
    if isinstance(value, dict):
        return {k: _dates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dates(v) for v in value]
    if isinstance(value, str) and value.startswith("-") and value[1:].isdigit():
        return datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=int(value[1:]))
    return value


endpoint, service, operation, params = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4] or "{}")
client = boto3.client(service, endpoint_url=endpoint, region_name="us-east-1",
                      aws_access_key_id="testing", aws_secret_access_key="testing")
answer = getattr(client, operation)(**_dates(params))
answer.pop("ResponseMetadata", None)
print(json.dumps(answer, default=str))
