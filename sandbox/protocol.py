"""Recognise an AWS request on the wire and answer errors the way each AWS protocol does.

The sandbox sits in front of moto as WSGI middleware. To apply faults, validation and
simulation it must know which service and operation a request is for, and read its
parameters as the structured dict boto3 sent. Signing names and targets come from the
request itself (SigV4 credential scope, X-Amz-Target, Action), never from the URL, so a
plain `endpoint_url` works for every service at once.
"""

import json
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.parse import EC2QueryParser, QueryParser
from moto.core.utils import get_service_model
from werkzeug.datastructures import MultiDict

# SigV4 signing names that differ from botocore's service names.
SIGNING_NAME_TO_SERVICE = {
    "elasticloadbalancing": "elbv2",  # elb (classic) shares it: told apart by Version below
    "monitoring": "cloudwatch",
    "servicediscovery": "servicediscovery",
    "application-autoscaling": "application-autoscaling",
    "ecr": "ecr",
    "events": "events",
}
ELB_CLASSIC_VERSION = "2012-06-01"

_models: dict[str, Any] = {}


def service_model(service: str):
    """botocore's model as moto wraps it: moto's request parsers need moto's shape classes."""
    if service not in _models:
        _models[service] = get_service_model(service)
    return _models[service]


class AwsError(Exception):
    """An error the sandbox answers with, in the caller's protocol, as AWS would."""

    def __init__(self, code: str, message: str, status: int = 400, sender: bool = True):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.sender = sender


@dataclass
class Call:
    """One AWS API request as the sandbox sees it."""

    service: str  # botocore name: ecs, elbv2, cloudwatch, application-autoscaling, ...
    operation: str  # e.g. CreateService
    protocol: str  # json, query, ec2, rest-json, rest-xml
    region: str
    account: str
    params: dict[str, Any] = field(default_factory=dict)
    response: Any = None  # parsed JSON response (json protocols), set before after-hooks run
    raw: bytes = b""  # moto's response body as sent; after-hooks of XML protocols may replace it
    status: int = 200


def _signing_scope(environ: dict) -> tuple[str | None, str]:
    auth = environ.get("HTTP_AUTHORIZATION", "")
    marker = "Credential="
    if marker not in auth:
        return None, "us-east-1"
    scope = auth.split(marker, 1)[1].split(",", 1)[0].split("/")
    # AKID/date/region/service/aws4_request
    if len(scope) < 5:
        return None, "us-east-1"
    return scope[3], scope[2]


def identify(environ: dict, body: bytes) -> Call | None:
    """Return the Call for a request, or None when it is not one the sandbox understands."""
    signing_name, region = _signing_scope(environ)
    if signing_name is None:
        return None
    service = SIGNING_NAME_TO_SERVICE.get(signing_name, signing_name)
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        operation = target.rsplit(".", 1)[-1]
        try:
            model = service_model(service)
        except Exception:  # an unknown service: let moto answer it
            return None
        protocol = model.resolved_protocol  # what botocore sends (cloudwatch: json, not cbor)
        try:
            params = json.loads(body or b"{}")
        except ValueError:
            params = {}
        return Call(service, operation, protocol, region, DEFAULT_ACCOUNT_ID, params)

    form = _form_values(environ, body)
    action = form.get("Action")
    if action:
        if service == "elbv2" and form.get("Version") == ELB_CLASSIC_VERSION:
            service = "elb"
        try:
            model = service_model(service)
            op_model = model.operation_model(action)
        except Exception:
            return None
        parser = EC2QueryParser if model.resolved_protocol == "ec2" else QueryParser
        try:
            params = parser(op_model).parse(
                {"values": form, "body": body, "headers": {}, "method": "POST", "url_params": {}, "url_path": "/"}
            )
        except Exception:  # the parser is moto's; never let it break the request
            params = {}
        return Call(service, action, model.resolved_protocol, region, DEFAULT_ACCOUNT_ID, dict(params))

    # REST protocols (route53, lambda, ...): operation unknown without routing; the sandbox
    # only needs the service name for them.
    try:
        protocol = service_model(service).resolved_protocol
    except Exception:
        return None
    return Call(service, "", protocol, region, DEFAULT_ACCOUNT_ID, {})


def _form_values(environ: dict, body: bytes) -> MultiDict:
    values = MultiDict()
    for key, items in parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True).items():
        for item in items:
            values.add(key, item)
    ctype = environ.get("CONTENT_TYPE", "")
    if body and "x-www-form-urlencoded" in ctype:
        for key, items in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items():
            for item in items:
                values.add(key, item)
    return values


# Throttling as each protocol family reports it. botocore retries all of these.
THROTTLE_CODES = {
    "json": ("ThrottlingException", 400),
    "rest-json": ("ThrottlingException", 429),
    "query": ("Throttling", 400),
    "rest-xml": ("Throttling", 400),
    "ec2": ("RequestLimitExceeded", 503),
}
# Services whose JSON throttling code is not ThrottlingException.
THROTTLE_CODE_OVERRIDES = {"cloudwatch": "Throttling", "ssm": "ThrottlingException"}


def throttle_error(call: Call) -> AwsError:
    code, status = THROTTLE_CODES.get(call.protocol, ("ThrottlingException", 400))
    code = THROTTLE_CODE_OVERRIDES.get(call.service, code)
    return AwsError(code, "Rate exceeded", status)


def error_response(call: Call | None, error: AwsError) -> tuple[int, list[tuple[str, str]], bytes]:
    """Serialise an AwsError as the caller's protocol expects (status, headers, body)."""
    request_id = str(uuid.uuid4())
    protocol = call.protocol if call else "json"
    if protocol in ("json", "rest-json"):
        body = json.dumps({"__type": error.code, "message": error.message, "Message": error.message})
        headers = [
            ("Content-Type", "application/x-amz-json-1.1"),
            ("x-amzn-ErrorType", error.code),
            ("x-amzn-RequestId", request_id),
        ]
        return error.status, headers, body.encode()
    if protocol == "ec2":
        body = (
            f"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error><Code>{error.code}</Code>"
            f"<Message>{_xml_escape(error.message)}</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>"
        )
    else:
        kind = "Sender" if error.sender else "Receiver"
        body = (
            f"<?xml version=\"1.0\" encoding=\"UTF-8\"?><ErrorResponse><Error><Type>{kind}</Type>"
            f"<Code>{error.code}</Code><Message>{_xml_escape(error.message)}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        )
    return error.status, [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)], body.encode()


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
