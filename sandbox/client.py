"""A small Python client for the sandbox's control API, and boto3 clients pointed at it."""

import json
import urllib.error
import urllib.request

ACCESS_KEY = "testing"
SECRET_KEY = "testing"
REGION = "us-east-1"


class SandboxClient:
    def __init__(self, endpoint: str, region: str = REGION):
        self.endpoint = endpoint.rstrip("/")
        self.region = region

    # -- control API ------------------------------------------------------------------
    def request(self, method: str, path: str, payload=None, headers=None):
        """(status, parsed JSON or text) of a control request; never raises on HTTP errors."""
        data = json.dumps(payload).encode() if payload is not None else None
        req = urllib.request.Request(self.endpoint + path, data=data, method=method, headers=dict(headers or {}))
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                status, body, ctype = resp.status, resp.read(), resp.headers.get("Content-Type", "")
        except urllib.error.HTTPError as err:
            status, body, ctype = err.code, err.read(), err.headers.get("Content-Type", "")
        if "json" in ctype:
            return status, json.loads(body or b"null")
        return status, body.decode("utf-8", "replace")

    def _ok(self, method, path, payload=None):
        status, body = self.request(method, path, payload)
        if status >= 300:
            raise RuntimeError(f"{method} {path} -> {status}: {body}")
        return body

    def is_up(self) -> bool:
        try:
            return self.request("GET", "/_sandbox/health")[0] == 200
        except OSError:
            return False

    def health(self) -> dict:
        return self._ok("GET", "/_sandbox/health")

    def reset(self):
        return self._ok("POST", "/_sandbox/reset")

    def add_fault(self, match: dict, effect: str, rate: float | None = None) -> dict:
        spec = {"match": match, "effect": effect}
        if rate is not None:
            spec["rate"] = rate
        return self._ok("POST", "/_sandbox/faults", spec)

    def faults(self) -> list:
        return self._ok("GET", "/_sandbox/faults")["faults"]

    def clear_faults(self):
        return self._ok("DELETE", "/_sandbox/faults")

    def calls(self) -> dict:
        """AWS API requests received since start, reset or clear_calls: {total, by_operation}."""
        return self._ok("GET", "/_sandbox/calls")

    def clear_calls(self) -> dict:
        return self._ok("DELETE", "/_sandbox/calls")

    def alb_request(self, load_balancer: str, path: str = "/", host: str | None = None):
        """Play one client request through an ALB: (status, body)."""
        headers = {"Host": host} if host else {}
        return self.request("GET", f"/_sandbox/alb/{load_balancer}/{path.lstrip('/')}", headers=headers)

    # -- AWS --------------------------------------------------------------------------
    def aws(self, service: str, **kwargs):
        """A boto3 client for `service` that talks to this sandbox."""
        import boto3

        options = dict(endpoint_url=self.endpoint, region_name=self.region,
                       aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)
        options.update(kwargs)
        return boto3.client(service, **options)
