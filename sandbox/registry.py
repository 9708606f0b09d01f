"""The sandbox's real OCI registry: Debian's `docker-registry` (CNCF distribution 2.8) behind a small proxy.

- `Registry` runs `docker-registry serve <config.yml>` on 127.0.0.1 with filesystem storage in a temp
  dir, htpasswd auth (user AWS, bcrypt cost 4: cost 12 makes every request ~0.9 s), deletes enabled and
  no TLS. It writes a pidfile and is stopped by that PID, never by name. Its storage on disk is read
  directly to answer ECR's image APIs (the distribution API cannot list untagged manifests).
- `RegistryProxy` is what clients reach (ECR's repositoryUri and proxyEndpoint name it). It streams
  every request through to docker-registry, but first lets a gate (the ECR area) refuse what ECR
  refuses: a repository that ECR does not know (NAME_UNKNOWN) and a manifest PUT that would move an
  immutable tag (TAG_INVALID). Only authenticated requests are gated: without valid credentials the
  registry's own 401 answers, as ECR's does. Blobs stream through in 64 KiB pieces, never whole.
"""

import base64
import ctypes
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import bcrypt

from .net import HOST, PortBusy, free_port, port_is_free

BINARY = "/usr/bin/docker-registry"
USERNAME = "AWS"  # ECR's registry user is always AWS
BCRYPT_COST = 4
READY_TIMEOUT = 5.0
CHUNK = 64 * 1024
MAX_MANIFEST_BYTES = 4 * 1024 * 1024  # ECR's manifest size limit
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
              "transfer-encoding", "upgrade"}

# A repository name may contain slashes; the route suffix tells the name apart, as in distribution.
ROUTES = (
    ("manifest", re.compile(r"^/v2/(?P<name>.+)/manifests/(?P<ref>[^/]+)$")),
    ("upload", re.compile(r"^/v2/(?P<name>.+)/blobs/uploads/(?P<ref>[^/]*)$")),
    ("blob", re.compile(r"^/v2/(?P<name>.+)/blobs/(?P<ref>[^/]+)$")),
    ("tags", re.compile(r"^/v2/(?P<name>.+)/tags/list(?P<ref>)$")),
)


_LIBC = ctypes.CDLL(None, use_errno=True)  # loaded here: the child between fork and exec must not load libraries
PR_SET_PDEATHSIG = 1


def _die_with_parent():
    """Runs in the child before exec: a sandbox killed with SIGKILL must not leave its registry behind."""
    _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class Registry:
    """One docker-registry process and its storage."""

    def __init__(self, password: str, port: int = 0, workdir: str | None = None):
        self.password = password
        self.port = port
        self.workdir = Path(workdir) if workdir else None  # a temp dir made at start when not given
        self.process: subprocess.Popen | None = None
        self.authorization = "Basic " + base64.b64encode(f"{USERNAME}:{password}".encode()).decode()

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    @property
    def address(self) -> str:
        return f"{HOST}:{self.port}"

    @property
    def storage(self) -> Path:
        return self.workdir / "storage"

    @property
    def pidfile(self) -> Path | None:
        return self.workdir / "registry.pid" if self.workdir else None

    # -- life cycle ---------------------------------------------------------------------
    def start(self):
        if not os.access(BINARY, os.X_OK):
            raise RuntimeError(f"{BINARY} is missing: `apt-get install docker-registry` (make installs it)")
        if self.port and not port_is_free(self.port):
            raise PortBusy(f"registry port {self.port} on {HOST} is busy")
        self.port = self.port or free_port()
        self.workdir = self.workdir or Path(tempfile.mkdtemp(prefix="sandbox-registry-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.storage.mkdir(exist_ok=True)
        hashed = bcrypt.hashpw(self.password.encode(), bcrypt.gensalt(BCRYPT_COST)).decode()
        (self.workdir / "htpasswd").write_text(f"{USERNAME}:{hashed}\n")
        config = self.workdir / "config.yml"
        config.write_text(self._config())
        log = open(self.workdir / "registry.log", "ab")
        try:
            self.process = subprocess.Popen([BINARY, "serve", str(config)], stdin=subprocess.DEVNULL, stdout=log,
                                            stderr=log, preexec_fn=_die_with_parent, cwd=self.workdir)
        finally:
            log.close()
        self.pidfile.write_text(f"{self.process.pid}\n")
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.process = None
                raise RuntimeError(f"docker-registry exited at start; see {self.workdir / 'registry.log'}")
            try:
                if self.request("GET", "/v2/", authorization=None)[0] == 401:
                    return
            except OSError:
                pass
            time.sleep(0.01)
        self.stop()
        raise RuntimeError(f"docker-registry did not answer on {self.address} within {READY_TIMEOUT}s")

    def _config(self) -> str:
        # JSON is YAML: no quoting pitfalls for paths.
        return json.dumps({
            "version": 0.1,
            "log": {"level": "error", "accesslog": {"disabled": True}},
            "storage": {
                "filesystem": {"rootdirectory": str(self.storage)},
                "delete": {"enabled": True},
                # No blob descriptor cache: the files on disk are the truth, so wiping them resets.
                "maintenance": {"uploadpurging": {"enabled": False}},
            },
            "http": {"addr": self.address, "secret": secrets.token_hex(16)},
            "auth": {"htpasswd": {"realm": "sandbox-ecr", "path": str(self.workdir / "htpasswd")}},
        }, indent=1)

    def stop(self):
        """Stop the process this object started, by its PID; remove the storage."""
        process, self.process = self.process, None
        if process and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        if self.workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)  # the pidfile, config, htpasswd and storage

    def wipe(self):
        """Forget every image: the registry keeps no cache, so emptying its storage empties it."""
        if not self.workdir:
            return
        root = self.storage / "docker" / "registry" / "v2"
        for part in ("repositories", "blobs"):
            shutil.rmtree(root / part, ignore_errors=True)

    # -- direct HTTP (authenticated as AWS), for the ECR API -----------------------------
    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
                authorization: str | None = "") -> tuple[int, dict, bytes]:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=30)
        try:
            all_headers = dict(headers or {})
            auth = self.authorization if authorization == "" else authorization
            if auth:
                all_headers["Authorization"] = auth
            conn.request(method, path, body=body, headers=all_headers)
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            conn.close()

    def put_manifest(self, repository: str, reference: str, manifest: bytes, media_type: str):
        return self.request("PUT", f"/v2/{repository}/manifests/{reference}", manifest,
                            {"Content-Type": media_type})

    def delete_manifest(self, repository: str, digest: str) -> int:
        """Delete a manifest revision; distribution also removes every tag that points at it."""
        return self.request("DELETE", f"/v2/{repository}/manifests/{digest}")[0]

    # -- storage on disk ----------------------------------------------------------------
    def _repository_dir(self, repository: str) -> Path:
        return self.storage / "docker" / "registry" / "v2" / "repositories" / repository

    @staticmethod
    def _read_link(path: Path) -> str | None:
        try:
            return path.read_text().strip() or None
        except OSError:
            return None

    def manifest_digests(self, repository: str) -> list[str]:
        revisions = self._repository_dir(repository) / "_manifests" / "revisions" / "sha256"
        try:
            entries = list(revisions.iterdir())
        except OSError:
            return []
        return [link for entry in entries if (link := self._read_link(entry / "link"))]

    def has_manifest(self, repository: str, digest: str) -> bool:
        algorithm, _, hexdigest = digest.partition(":")
        if algorithm != "sha256" or not re.fullmatch(r"[0-9a-f]{64}", hexdigest):
            return False
        link = self._repository_dir(repository) / "_manifests" / "revisions" / "sha256" / hexdigest / "link"
        return link.is_file()

    def pushed_at(self, repository: str, digest: str) -> float | None:
        link = self._repository_dir(repository) / "_manifests" / "revisions" / "sha256" / digest[7:] / "link"
        try:
            return link.stat().st_mtime
        except OSError:
            return None

    def tags(self, repository: str) -> dict[str, str]:
        """tag -> digest."""
        tags_dir = self._repository_dir(repository) / "_manifests" / "tags"
        try:
            entries = list(tags_dir.iterdir())
        except OSError:
            return {}
        tags = {}
        for entry in entries:
            digest = self._read_link(entry / "current" / "link")
            if digest and self.has_manifest(repository, digest):
                tags[entry.name] = digest
        return tags

    def tag_digest(self, repository: str, tag: str) -> str | None:
        if not re.fullmatch(r"[\w][\w.-]{0,127}", tag):
            return None
        digest = self._read_link(self._repository_dir(repository) / "_manifests" / "tags" / tag / "current" / "link")
        return digest if digest and self.has_manifest(repository, digest) else None

    def remove_tag(self, repository: str, tag: str):
        """What distribution's Untag does; its HTTP API cannot delete a tag alone."""
        shutil.rmtree(self._repository_dir(repository) / "_manifests" / "tags" / tag, ignore_errors=True)

    def remove_repository(self, repository: str):
        shutil.rmtree(self._repository_dir(repository), ignore_errors=True)

    def has_layer(self, repository: str, digest: str) -> bool:
        if not re.fullmatch(r"sha256:[0-9a-f]{64}", digest):
            return False
        return (self._repository_dir(repository) / "_layers" / "sha256" / digest[7:] / "link").is_file()

    def _blob_path(self, digest: str) -> Path:
        hexdigest = digest.partition(":")[2]
        return self.storage / "docker" / "registry" / "v2" / "blobs" / "sha256" / hexdigest[:2] / hexdigest / "data"

    def blob(self, digest: str) -> bytes | None:
        try:
            return self._blob_path(digest).read_bytes()
        except OSError:
            return None

    def blob_size(self, digest: str) -> int | None:
        try:
            return self._blob_path(digest).stat().st_size
        except OSError:
            return None


def oci_error(status: int, code: str, message: str) -> tuple[int, dict, bytes]:
    body = json.dumps({"errors": [{"code": code, "message": message, "detail": None}]}).encode()
    return status, {"Content-Type": "application/json; charset=utf-8",
                    "Docker-Distribution-Api-Version": "registry/2.0"}, body


class RegistryProxy:
    """The registry as clients see it: a streaming HTTP proxy on its own loopback port, gated by ECR.

    `gate` answers three questions (the ECR area implements them):
      authorized(authorization_header) -> bool
      check_repository(name) -> (status, headers, body) error or None
      put_manifest(name, reference, body, forward) -> (status, headers, body): refuses, or calls
          forward() (the upstream PUT) and records the push.
    """

    def __init__(self, registry: Registry, gate, port: int = 0):
        if port and not port_is_free(port):
            raise PortBusy(f"registry port {port} on {HOST} is busy")
        self.registry = registry
        self.gate = gate
        self._server = _ProxyServer((HOST, port), _ProxyHandler)
        self._server.proxy = self
        self.port = self._server.server_address[1]
        self._thread = None

    @property
    def address(self) -> str:
        return f"{HOST}:{self.port}"

    def start(self):
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.2},
                                        name="registry-proxy", daemon=True)
        self._thread.start()

    def stop(self):
        if self._thread:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False  # a busy port must be refused, not shared


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # one line per blob drowns the sandbox log
        pass

    def do_GET(self):
        self._handle()

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _handle(self):
        proxy = self.server.proxy
        gate = proxy.gate
        route = _route(urlsplit(self.path).path)
        if route and gate.authorized(self.headers.get("Authorization")):
            kind, name, reference = route
            refused = gate.check_repository(name)
            if refused:
                return self._send(*refused, body_consumed=False)
            if kind == "manifest" and self.command == "PUT":
                length = int(self.headers.get("Content-Length") or 0)
                if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                    body = b"".join(self._read_chunked())
                elif length > MAX_MANIFEST_BYTES:
                    return self._send(*oci_error(400, "MANIFEST_INVALID", "manifest too large"), body_consumed=False)
                else:
                    body = self.rfile.read(length)
                return self._send(*gate.put_manifest(name, reference, body, lambda: self._upstream_buffered(body)))
        self._forward_streaming()

    # -- upstream -----------------------------------------------------------------------
    def _connect(self, framing: tuple[str, str] | None = None) -> http.client.HTTPConnection:
        """Open the upstream request with the client's headers; `framing` replaces its body framing."""
        conn = http.client.HTTPConnection(HOST, self.server.proxy.registry.port, timeout=300)
        conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
        for key, value in self.headers.items():
            lower = key.lower()
            # Expect: 100-continue was answered to the client already; the registry gets the body at once.
            if lower in HOP_BY_HOP or lower == "expect" or (framing and lower == "content-length"):
                continue
            conn.putheader(key, value)  # Host included: the registry's Location URLs then name the proxy
        if framing:
            conn.putheader(*framing)
        conn.endheaders()
        return conn

    def _upstream_buffered(self, body: bytes) -> tuple[int, dict, bytes]:
        conn = self._connect(framing=("Content-Length", str(len(body))))
        try:
            conn.send(body)
            response = conn.getresponse()
            return response.status, {k: v for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP}, \
                response.read()
        finally:
            conn.close()

    def _forward_streaming(self):
        chunked = "chunked" in self.headers.get("Transfer-Encoding", "").lower()
        conn = self._connect(framing=("Transfer-Encoding", "chunked") if chunked else None)
        try:
            if chunked:  # re-frame the client's chunks for the registry without holding them
                for piece in self._read_chunked():
                    conn.send(b"%x\r\n%s\r\n" % (len(piece), piece))
                conn.send(b"0\r\n\r\n")
            else:
                remaining = int(self.headers.get("Content-Length") or 0)
                while remaining > 0:
                    piece = self.rfile.read(min(CHUNK, remaining))
                    if not piece:
                        break
                    conn.send(piece)
                    remaining -= len(piece)
            response = conn.getresponse()
            self._relay(response)
        finally:
            conn.close()

    def _read_chunked(self):
        while True:
            size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):  # trailers
                    pass
                return
            remaining = size
            while remaining > 0:
                piece = self.rfile.read(min(CHUNK, remaining))
                if not piece:
                    return
                remaining -= len(piece)
                yield piece
            self.rfile.readline()  # CRLF after each chunk

    # -- downstream ---------------------------------------------------------------------
    def _relay(self, response: http.client.HTTPResponse):
        self.send_response_only(response.status, response.reason)
        length = response.getheader("Content-Length")
        no_body = self.command == "HEAD" or response.status in (204, 304) or response.status < 200
        for key, value in response.getheaders():
            if key.lower() not in HOP_BY_HOP:
                self.send_header(key, value)
        rechunk = not no_body and length is None
        if rechunk:
            self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        if no_body:
            return
        while True:
            piece = response.read(CHUNK)
            if not piece:
                break
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece) if rechunk else piece)
        if rechunk:
            self.wfile.write(b"0\r\n\r\n")

    def _send(self, status: int, headers: dict, body: bytes, body_consumed: bool = True):
        self.send_response_only(status)
        for key, value in headers.items():
            if key.lower() not in HOP_BY_HOP and key.lower() != "content-length":
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        if not body_consumed:  # the request body is still unread: this connection cannot be reused
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def _route(path: str) -> tuple[str, str, str] | None:
    for kind, pattern in ROUTES:
        match = pattern.match(path)
        if match:
            return kind, match.group("name"), match.group("ref")
    return None
