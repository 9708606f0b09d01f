"""Exercise the deployed waker in-process: the sandbox cannot run Lambda, so this plays what the ALB would.

python run_waker.py <endpoint> <function name>: reads the function's environment from Lambda, then hands
ALB events to the collection's handler (the same file the function was zipped from) with boto3 clients on
the sandbox, every 0.2 s, until it answers 307; the handler's own waits (its hold) run on the sandbox's
time scale. Prints each answer's status and elapsed wall-clock time.
"""

import json
import os
import sys
import time
import urllib.request

import boto3

sys.path.insert(0, os.path.join(os.environ["MOLECULE_PROJECT_DIRECTORY"], ".collections"))
from ansible_collections.ecsops.fargate.plugins.module_utils import scale_to_zero_waker as waker  # noqa: E402

endpoint, function = sys.argv[1], sys.argv[2]


def client(name):
    return boto3.client(name, endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


with urllib.request.urlopen(f"{endpoint}/_sandbox/health", timeout=10) as answer:
    scale = json.load(answer)["time_scale"]
env = client("lambda").get_function(FunctionName=function)["Configuration"]["Environment"]["Variables"]
config = waker.config_from_env(env)
ecs, elbv2 = client("ecs"), client("elbv2")
event = {"requestContext": {"elb": {"targetGroupArn": "waker"}}, "httpMethod": "GET", "path": "/",
         "queryStringParameters": {}, "headers": {}}
answers, started = [], time.monotonic()
while time.monotonic() - started < 30:
    response = waker.handle(event, ecs, elbv2, config, sleep=lambda seconds: time.sleep(seconds / scale),
                            clock=lambda: time.monotonic() * scale)
    answers.append({"status": response["statusCode"], "elapsed": round(time.monotonic() - started, 3),
                    "header": response["headers"].get("X-Ecsops-Waker"), "decision": response["_waker"]})
    if response["statusCode"] != 503:
        break
    time.sleep(0.2)
print(json.dumps({"answers": answers}))
