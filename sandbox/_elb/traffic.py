"""Client requests played through an Application Load Balancer, and the metrics AWS publishes for them.

GET /_sandbox/alb/<load-balancer-name>/<path>[?query] with a Host header plays one request:
- the listener: `?port=N` picks the listener on port N; otherwise the HTTPS listener if there is one,
  else the HTTP one (lowest port first). `port` and `region` (default us-east-1) are the sandbox's
  query parameters; the rest of the query string is the client's.
- rules in priority order, then the default rule; conditions host-header, path-pattern, http-header,
  http-request-method, query-string, source-ip (every condition of a rule must match, any value of
  a condition may) with ALB's wildcards (* and ?); authenticate-* actions are passed through.
- actions: forward (one target group, or weighted by smooth weighted round robin, deterministic),
  redirect (301/302 with Location), fixed-response.
- a target group picks among its healthy targets by round robin. With no healthy target but some
  unhealthy ones the ALB fails open and sends the request to those (AWS documents this); a target
  whose checks fail with 500 answers 500, one that does not answer gives the ELB's 504. With
  neither, the ELB answers 503. A lambda target group answers 503 when no function is registered
  and 502 when one is: the sandbox does not invoke Lambda functions.
Metrics (AWS/ApplicationELB, dimensions as AWS names them, at the current minute) are counted per
request and written to moto's CloudWatch as one statistic set per series on each tick (as PutMetricData
with StatisticValues would), so bursts stay cheap. AvailabilityZone dimension sets are not published.
"""

import json
import re
from datetime import datetime, timezone
from functools import lru_cache
from ipaddress import ip_address, ip_network
from urllib.parse import parse_qsl

from ..hooks import route
from .targets import APP_ERROR, NO_ANSWER

SANDBOX_QUERY_PARAMETERS = ("port", "region")
DEFAULT_REGION = "us-east-1"
NAMESPACE = "AWS/ApplicationELB"
TERMINAL_ACTIONS = ("forward", "redirect", "fixed-response")
ELB_PAGES = {502: "502 Bad Gateway", 503: "503 Service Temporarily Unavailable", 504: "504 Gateway Time-out"}


class Traffic:
    """Routing state (round-robin positions) and the metric counts not yet written to CloudWatch."""

    def __init__(self, sandbox, elb):
        self.sb = sandbox
        self.elb = elb
        self.next_target: dict[str, int] = {}  # target group ARN -> round-robin position
        self.weights: dict[tuple, dict[str, int]] = {}  # forward action -> smooth WRR current weights
        self.counts: dict[tuple, int] = {}  # (region, minute, metric, dimensions) -> count
        self.per_target: dict[tuple, float] = {}  # RequestCountPerTarget, already divided

    # -- one request ------------------------------------------------------------------------
    def request(self, environ: dict, rest: str) -> tuple[int, list, bytes]:
        name, _, path = rest.partition("/")
        query = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        sandbox_query = {k: v for k, v in query if k in SANDBOX_QUERY_PARAMETERS}
        client_query = [(k, v) for k, v in query if k not in SANDBOX_QUERY_PARAMETERS]
        region = sandbox_query.get("region", DEFAULT_REGION)
        backend = self.sb.backend("elbv2", region)
        balancer = next((lb for lb in backend.load_balancers.values() if lb.name == name), None)
        if balancer is None or balancer.type != "application":
            return _control_error(404, "LoadBalancerNotFound", f"no Application Load Balancer named {name!r} in {region}")
        listener = _pick_listener(balancer, sandbox_query.get("port"))
        if listener is None:
            wanted = f"on port {sandbox_query['port']}" if "port" in sandbox_query else "at all"
            return _control_error(404, "ListenerNotFound", f"load balancer {name!r} has no listener {wanted}")
        host = environ.get("HTTP_HOST", "").rsplit(":", 1)[0].lower() if environ.get("HTTP_HOST") else ""
        client = {
            "method": environ.get("REQUEST_METHOD", "GET"),
            "host": host,
            "path": "/" + path,
            "query": client_query,
            "headers": _headers(environ),
            "source": environ.get("REMOTE_ADDR", "127.0.0.1"),
        }
        rule = _matching_rule(listener, client)
        action = _terminal_action(rule.actions)
        lb_dimension = _arn_suffix(balancer.arn, "loadbalancer/")
        if action.type == "redirect":
            return self._redirect(region, lb_dimension, action.data.get("RedirectConfig", {}), listener, client)
        if action.type == "fixed-response":
            return self._fixed_response(region, lb_dimension, action.data.get("FixedResponseConfig", {}))
        tg_arn = self._pick_target_group(rule.arn, action.data)
        return self._forward(region, backend, lb_dimension, tg_arn, client)

    def _forward(self, region, backend, lb_dimension, tg_arn, client):
        tg = backend.target_groups.get(tg_arn)
        if tg is None:
            return self._elb_error(region, lb_dimension, 503)
        tg_dimension = _arn_suffix(tg.arn, ":")
        if tg.target_type == "lambda":
            registered = [t for t in self.elb.targets(region, tg.arn) if t.drain_until is None]
            return self._elb_error(region, lb_dimension, 502 if registered else 503)
        now = self.sb.now()
        states = [(t, self.elb.health(tg, t, now)[0]) for t in self.elb.targets(region, tg.arn)]
        candidates = [t for t, state in states if state == "healthy"]
        if not candidates:  # fail open: only unhealthy targets left, the ALB uses them all
            candidates = [t for t, state in states if state == "unhealthy"]
        if not candidates:
            return self._elb_error(region, lb_dimension, 503)
        position = self.next_target.get(tg.arn, 0)
        self.next_target[tg.arn] = position + 1
        target = candidates[position % len(candidates)]
        healthy_count = sum(1 for _, state in states if state == "healthy") or len(candidates)
        self._count(region, "RequestCount", (("LoadBalancer", lb_dimension),))
        self._count(region, "RequestCount", (("TargetGroup", tg_dimension), ("LoadBalancer", lb_dimension)))
        for dimensions in ((("TargetGroup", tg_dimension),),
                           (("TargetGroup", tg_dimension), ("LoadBalancer", lb_dimension))):
            key = (region, _minute(now), "RequestCountPerTarget", dimensions)
            self.per_target[key] = self.per_target.get(key, 0.0) + 1.0 / healthy_count
        if target.failure == NO_ANSWER:
            return self._elb_error(region, lb_dimension, 504)
        status = 500 if target.failure == APP_ERROR else 200
        for dimensions in ((("LoadBalancer", lb_dimension),),
                           (("TargetGroup", tg_dimension), ("LoadBalancer", lb_dimension))):
            self._count(region, f"HTTPCode_Target_{status // 100}XX_Count", dimensions)
        body = {"target_group": tg.name, "target_group_arn": tg.arn, "target": f"{target.id}:{target.port}",
                "host": client["host"], "path": client["path"]}
        if target.kind == "instance":
            body["instance_id"] = target.id
        else:
            body.update(target.info)
        if status != 200:
            body["error"] = "Internal Server Error"
        return status, [("Content-Type", "application/json")], json.dumps(body).encode()

    def _redirect(self, region, lb_dimension, config, listener, client):
        original = {"protocol": listener.protocol.upper(), "host": client["host"], "port": str(listener.port),
                    "path": client["path"].lstrip("/"), "query": "&".join(f"{k}={v}" for k, v in client["query"])}

        def fill(template):
            for key in ("protocol", "host", "port", "path", "query"):
                template = template.replace("#{" + key + "}", original[key])
            return template

        protocol = fill(config.get("Protocol") or "#{protocol}").lower()
        location = (f"{protocol}://{fill(config.get('Host') or '#{host}')}:{fill(config.get('Port') or '#{port}')}"
                    f"{fill(config.get('Path') or '/#{path}')}")
        query = fill(config.get("Query") if config.get("Query") is not None else "#{query}")
        if query:
            location += "?" + query
        status = 301 if config.get("StatusCode", "HTTP_301") == "HTTP_301" else 302
        self._count(region, "HTTP_Redirect_Count", (("LoadBalancer", lb_dimension),))
        self._count(region, "HTTPCode_ELB_3XX_Count", (("LoadBalancer", lb_dimension),))
        return status, [("Location", location), ("Server", "awselb/2.0"), ("Content-Type", "text/html")], b""

    def _fixed_response(self, region, lb_dimension, config):
        status = int(config.get("StatusCode", "200"))
        self._count(region, "HTTP_Fixed_Response_Count", (("LoadBalancer", lb_dimension),))
        if status >= 400:
            self._count(region, f"HTTPCode_ELB_{status // 100}XX_Count", (("LoadBalancer", lb_dimension),))
        content_type = config.get("ContentType") or "text/plain; charset=utf-8"
        body = (config.get("MessageBody") or "").encode()
        return status, [("Content-Type", content_type), ("Server", "awselb/2.0")], body

    def _elb_error(self, region, lb_dimension, status):
        for metric in (f"HTTPCode_ELB_{status}_Count", "HTTPCode_ELB_5XX_Count"):
            self._count(region, metric, (("LoadBalancer", lb_dimension),))
        title = ELB_PAGES[status]
        page = f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n</body>\r\n</html>\r\n"
        return status, [("Content-Type", "text/html"), ("Server", "awselb/2.0")], page.encode()

    def _pick_target_group(self, rule_arn: str, action: dict) -> str:
        """One target group of a forward action: smooth weighted round robin over its weights."""
        groups = (action.get("ForwardConfig") or {}).get("TargetGroups") or []
        weighted = [(g["TargetGroupArn"], int(g.get("Weight", 1))) for g in groups]
        if len(weighted) <= 1:
            return weighted[0][0] if weighted else action["TargetGroupArn"]
        key = (rule_arn, tuple(weighted))
        current = self.weights.setdefault(key, {arn: 0 for arn, _ in weighted})
        total = sum(weight for _, weight in weighted)
        for arn, weight in weighted:
            current[arn] += weight
        chosen = max(weighted, key=lambda item: current[item[0]])[0]
        current[chosen] -= total
        return chosen

    # -- metrics ------------------------------------------------------------------------------
    def _count(self, region: str, metric: str, dimensions: tuple):
        key = (region, _minute(self.sb.now()), metric, dimensions)
        self.counts[key] = self.counts.get(key, 0) + 1

    def flush(self):
        """Write the counted requests to CloudWatch: one statistic set per series and minute since the last flush.

        A set of n requests of 1 each keeps what AWS documents for these counts: Sum is the count, and
        Minimum, Maximum and Average are 1. Timestamps are naive UTC, as moto stores PutMetricData's.
        """
        if not self.counts and not self.per_target:
            return
        counts, self.counts = self.counts, {}
        per_target, self.per_target = self.per_target, {}
        data: dict[str, list] = {}
        for (region, minute, metric, dimensions), value in list(counts.items()) + list(per_target.items()):
            datum = {"MetricName": metric, "Unit": "Count",
                     "Timestamp": datetime.fromtimestamp(minute, timezone.utc).replace(tzinfo=None),
                     "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions]}
            if metric == "RequestCountPerTarget":  # an average already: its Sum is what AWS reports
                datum["Value"] = value
            else:
                datum["StatisticValues"] = {"SampleCount": value, "Sum": value, "Minimum": 1.0, "Maximum": 1.0}
            data.setdefault(region, []).append(datum)
        for region, metric_data in data.items():
            self.sb.backend("cloudwatch", region).put_metric_data(NAMESPACE, metric_data)


@route("GET", "/_sandbox/alb/")
def alb_request(sb, environ, rest, payload):
    return sb.area("elb").traffic.request(environ, rest)


# -- routing helpers -------------------------------------------------------------------------------
def _pick_listener(balancer, port: str | None):
    listeners = sorted(balancer.listeners.values(), key=lambda listener: int(listener.port))
    if port is not None:
        return next((listener for listener in listeners if str(listener.port) == port), None)
    return (next((listener for listener in listeners if listener.protocol == "HTTPS"), None)
            or next((listener for listener in listeners if listener.protocol == "HTTP"), None))


def _matching_rule(listener, client: dict):
    rules = sorted(listener._non_default_rules.values(), key=lambda rule: int(rule.priority))
    for rule in rules:
        if all(_condition_matches(condition, client) for condition in rule.conditions):
            return rule
    return listener._default_rule[0]


def _terminal_action(actions):
    ordered = sorted(actions, key=lambda action: int(action.data.get("Order") or 50001))
    return next(action for action in reversed(ordered) if action.type in TERMINAL_ACTIONS)


def _condition_matches(condition: dict, client: dict) -> bool:
    field = condition.get("Field")
    if field == "host-header":
        values = (condition.get("HostHeaderConfig") or {}).get("Values") or condition.get("Values") or []
        return any(_wildcard(value, ignore_case=True).fullmatch(client["host"]) for value in values)
    if field == "path-pattern":
        values = (condition.get("PathPatternConfig") or {}).get("Values") or condition.get("Values") or []
        return any(_wildcard(value, ignore_case=False).fullmatch(client["path"]) for value in values)
    if field == "http-header":
        config = condition.get("HttpHeaderConfig") or {}
        header = client["headers"].get(config.get("HttpHeaderName", "").lower())
        return header is not None and any(
            _wildcard(value, ignore_case=True).fullmatch(header) for value in config.get("Values", []))
    if field == "http-request-method":
        return client["method"] in (condition.get("HttpRequestMethodConfig") or {}).get("Values", [])
    if field == "query-string":
        pairs = (condition.get("QueryStringConfig") or {}).get("Values", [])
        return any(
            (pair.get("Key") is None or _wildcard(pair["Key"], ignore_case=True).fullmatch(key))
            and _wildcard(pair.get("Value", ""), ignore_case=True).fullmatch(value)
            for pair in pairs for key, value in client["query"])
    if field == "source-ip":
        cidrs = (condition.get("SourceIpConfig") or {}).get("Values", [])
        return any(ip_address(client["source"]) in ip_network(cidr, strict=False) for cidr in cidrs)
    return False


@lru_cache(maxsize=1024)
def _wildcard(pattern: str, ignore_case: bool) -> re.Pattern:
    """ALB condition values: * matches any characters, ? exactly one."""
    regex = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.compile(regex, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def _headers(environ: dict) -> dict:
    headers = {key[5:].replace("_", "-").lower(): value for key, value in environ.items() if key.startswith("HTTP_")}
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = environ["CONTENT_TYPE"]
    return headers


def _arn_suffix(arn: str, marker: str) -> str:
    """app/<name>/<id> of a load balancer ARN, targetgroup/<name>/<id> of a target group ARN."""
    return arn.split(marker, 1)[1] if marker != ":" else arn.rsplit(":", 1)[1]


def _minute(now: float) -> int:
    return int(now // 60 * 60)


def _control_error(status: int, code: str, message: str):
    return status, [("Content-Type", "application/json")], json.dumps({"error": code, "message": message}).encode()

