"""WSGI middleware in front of moto: control API, faults, validation, and corrections."""

import io
import json
import logging
import traceback

from werkzeug.wsgi import get_input_stream

from . import hooks
from .protocol import AwsError, error_response, identify, throttle_error

log = logging.getLogger("sandbox")

JSON_PROTOCOLS = ("json", "rest-json")


class SandboxApp:
    def __init__(self, moto_app, sandbox):
        self.moto_app = moto_app
        self.sandbox = sandbox

    def __call__(self, environ, start_response):
        body = get_input_stream(environ).read()
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_sandbox"):
            return self._control(environ, body, start_response)
        if path.startswith("/moto-api/reset"):
            result = self._moto(environ)
            self.sandbox.reset(reset_moto=False)
            return _respond(start_response, *result)

        call = identify(environ, body)
        if call is None:
            with self.sandbox.lock:
                if environ.get("HTTP_AUTHORIZATION"):  # a signed AWS request of a service the sandbox cannot name
                    self.sandbox.count_call(None)
                return _respond(start_response, *self._moto(environ))
        with self.sandbox.lock:
            self.sandbox.count_call(call)
            try:
                return _respond(start_response, *self._aws(call, environ))
            except AwsError as exc:
                return _respond(start_response, *error_response(call, exc))

    # -- AWS calls --------------------------------------------------------------------
    def _aws(self, call, environ):
        if self.sandbox.faults.throttles(call):
            raise throttle_error(call)
        for fn in hooks.BEFORE.get((call.service, call.operation), ()):
            answer = fn(self.sandbox, call)
            if answer is not None:
                return _answer(call, answer)
        status, headers, body = self._moto(environ)
        after = hooks.AFTER.get((call.service, call.operation))
        if not after or status >= 300:
            return status, headers, body
        call.status = status
        if call.protocol in JSON_PROTOCOLS:
            call.response = json.loads(body or b"{}")
        call.raw = body
        for fn in after:
            fn(self.sandbox, call)
        if call.protocol in JSON_PROTOCOLS:
            body = json.dumps(call.response).encode()
        else:
            body = call.raw
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(body))))
        return status, headers, body

    def _moto(self, environ):
        captured = {}
        chunks = []

        def start_response(status, headers, exc_info=None):
            captured["status"] = int(status.split(" ", 1)[0])
            captured["headers"] = list(headers)
            return chunks.append

        result = self.moto_app(environ, start_response)
        try:
            for chunk in result:
                chunks.append(chunk)
        finally:
            if hasattr(result, "close"):
                result.close()
        return captured["status"], captured["headers"], b"".join(chunks)

    # -- control API ------------------------------------------------------------------
    def _control(self, environ, body, start_response):
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO", "")
        sb = self.sandbox
        try:
            payload = json.loads(body) if body else None
        except ValueError:
            return _json(start_response, 400, {"error": "body is not JSON"})
        try:
            with sb.lock:
                if path == "/_sandbox/health" and method == "GET":
                    return _json(start_response, 200, sb.describe())
                if path == "/_sandbox/reset" and method == "POST":
                    sb.reset()
                    return _json(start_response, 200, {"reset": True})
                if path == "/_sandbox/calls":
                    if method == "GET":
                        return _json(start_response, 200, sb.call_counts())
                    if method == "DELETE":
                        sb.calls.clear()
                        return _json(start_response, 200, sb.call_counts())
                if path == "/_sandbox/faults":
                    if method == "GET":
                        return _json(start_response, 200, {"faults": sb.faults.list()})
                    if method == "POST":
                        return _json(start_response, 201, sb.faults.add(payload))
                    if method == "DELETE":
                        sb.faults.clear()
                        return _json(start_response, 200, {"faults": []})
                for route_method, prefix, fn in hooks.ROUTES:
                    if method == route_method and path.startswith(prefix):
                        status, headers, out = fn(sb, environ, path[len(prefix):], payload)
                        return _respond(start_response, status, headers, out)
        except AwsError as exc:
            return _json(start_response, exc.status, {"error": exc.code, "message": exc.message})
        except Exception:
            log.error("control request %s %s failed:\n%s", method, path, traceback.format_exc())
            return _json(start_response, 500, {"error": "InternalError", "message": traceback.format_exc(limit=3)})
        return _json(start_response, 404, {"error": "NotFound", "message": f"no control endpoint {method} {path}"})


def _answer(call, answer):
    if isinstance(answer, dict):
        body = json.dumps(answer).encode()
        return 200, [("Content-Type", "application/x-amz-json-1.1"), ("Content-Length", str(len(body)))], body
    body = answer.encode() if isinstance(answer, str) else answer
    return 200, [("Content-Type", "text/xml"), ("Content-Length", str(len(body)))], body


def _json(start_response, status, payload):
    body = json.dumps(payload, default=str).encode()
    return _respond(start_response, status, [("Content-Type", "application/json")], body)


_REASONS = {200: "OK", 201: "Created", 400: "Bad Request", 404: "Not Found", 429: "Too Many Requests",
            500: "Internal Server Error", 503: "Service Unavailable"}


def _respond(start_response, status, headers, body):
    headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
    headers.append(("Content-Length", str(len(body))))
    start_response(f"{status} {_REASONS.get(status, 'Status')}", headers)
    return [body]
