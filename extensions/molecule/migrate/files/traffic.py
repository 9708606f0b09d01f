"""Client traffic through the sandbox ALB, counted per target group.

python traffic.py play <endpoint> <alb> <host> <log> <stop file> [max seconds]
    requests one after another until the stop file exists; one JSON line per answer: {"t", "status", "tg"}
python traffic.py count <log> <steps json>
    per step of alb_traffic_shift's result (started_at .. ended_at): requests per target group and the Fargate share
python traffic.py burst <endpoint> <alb> <host> <n>
    n requests now: {"by_target_group": {...}, "by_status": {...}}
python traffic.py wait_shift <endpoint> <rule arn> <fargate target group arn> <timeout>
    until the rule gives the Fargate target group some weight (a cutover is under way)
python traffic.py wait_healthy <endpoint> <target group arn> <count> <timeout>
    until the target group has that many healthy targets
"""

import json
import os
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime


def one(endpoint, alb, host):
    request = urllib.request.Request(f"{endpoint}/_sandbox/alb/{alb}/", headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read() or b"{}").get("target_group")
    except urllib.error.HTTPError as error:
        body = error.read()
        try:
            return error.code, json.loads(body).get("target_group")
        except ValueError:
            return error.code, None


def play(endpoint, alb, host, log, stop, max_seconds="120"):
    deadline = time.time() + float(max_seconds)
    with open(log, "w", encoding="utf-8") as out:
        while not os.path.exists(stop) and time.time() < deadline:
            status, tg = one(endpoint, alb, host)
            out.write(json.dumps({"t": time.time(), "status": status, "tg": tg}) + "\n")
            out.flush()
            time.sleep(0.005)


def count(log, steps_json):
    with open(log, encoding="utf-8") as lines:
        answers = [json.loads(line) for line in lines if line.strip()]
    result = []
    for step in json.loads(steps_json):
        start = datetime.fromisoformat(step["started_at"]).timestamp()
        end = datetime.fromisoformat(step["ended_at"]).timestamp()
        # leave out the first 0.2 s: requests in flight when the rule changed
        window = [a for a in answers if start + 0.2 <= a["t"] <= end]
        by_tg = {}
        for answer in window:
            by_tg[answer["tg"]] = by_tg.get(answer["tg"], 0) + 1
        fargate = sum(n for tg, n in by_tg.items() if tg and tg.endswith("fargate"))
        result.append({"fargate_percent": step["fargate_percent"], "requests": len(window), "by_target_group": by_tg,
                       "fargate_share": round(100 * fargate / len(window), 1) if window else None})
    print(json.dumps(result))


def burst(endpoint, alb, host, n):
    by_tg, by_status = {}, {}
    for _request in range(int(n)):
        status, tg = one(endpoint, alb, host)
        by_tg[str(tg)] = by_tg.get(str(tg), 0) + 1
        by_status[str(status)] = by_status.get(str(status), 0) + 1
    print(json.dumps({"by_target_group": by_tg, "by_status": by_status}))


def _elbv2(endpoint):
    import boto3
    return boto3.client("elbv2", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def _until(predicate, timeout, what):
    deadline = time.time() + float(timeout)
    while not predicate():
        if time.time() > deadline:
            sys.exit(f"{what}: not within {timeout} s")
        time.sleep(0.05)
    print(json.dumps({"waited_for": what}))


def wait_shift(endpoint, rule_arn, fargate_tg, timeout):
    elbv2 = _elbv2(endpoint)

    def shifted():
        [rule] = elbv2.describe_rules(RuleArns=[rule_arn])["Rules"]
        return any(g["TargetGroupArn"] == fargate_tg and g.get("Weight", 0) > 0 for action in rule["Actions"]
                   for g in (action.get("ForwardConfig") or {}).get("TargetGroups", []))
    _until(shifted, timeout, "Fargate weight above 0")


def wait_healthy(endpoint, tg_arn, count, timeout):
    elbv2 = _elbv2(endpoint)

    def healthy():
        states = [d["TargetHealth"]["State"] for d in elbv2.describe_target_health(TargetGroupArn=tg_arn)["TargetHealthDescriptions"]]
        return states.count("healthy") >= int(count)
    _until(healthy, timeout, f"{count} healthy targets")


{"wait_shift": wait_shift, "wait_healthy": wait_healthy, "play": play, "count": count, "burst": burst}[sys.argv[1]](*sys.argv[2:])
