"""The demo app: one small HTTP server, run as the `api` or the `web` service (SERVICE, PORT, APP_VERSION).

    GET /health  -> 200 "ok" (the ALB's health check)
    GET /        -> who answered: service, version, host; `web` also asks `api` through Cloud Map
                    (BACKEND_URL, e.g. http://api.dev.local:8000/) and shows its answer.
Standard library only, so the image needs nothing but Python.
"""

import json
import os
import socket
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SERVICE = os.environ.get("SERVICE", "api")
VERSION = os.environ.get("APP_VERSION", "dev")
PORT = int(os.environ.get("PORT", "8000"))
BACKEND_URL = os.environ.get("BACKEND_URL")


def backend_says():
    if not BACKEND_URL:
        return None
    try:
        with urllib.request.urlopen(BACKEND_URL, timeout=2) as response:
            return json.loads(response.read())
    except (OSError, ValueError) as e:
        return {"error": str(e)}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/health":
            return self.answer(200, "text/plain", b"ok\n")
        body = {"service": SERVICE, "version": VERSION, "host": socket.gethostname()}
        if SERVICE == "web":
            body["backend"] = backend_says()
        return self.answer(200, "application/json", json.dumps(body).encode() + b"\n")

    def answer(self, status, content_type, body):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):  # one line per request on stdout, for CloudWatch Logs
        print(f"{self.address_string()} {fmt % args}", flush=True)


if __name__ == "__main__":
    ThreadingHTTPServer(("0.0.0.0", PORT), Handler).serve_forever()
