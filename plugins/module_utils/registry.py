# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""A push client for the OCI distribution API, as ECR's registry speaks it.

- Authentication comes from ECR's GetAuthorizationToken (``registry_login``): HTTP Basic with the
  token as given. The token is a secret: callers register it with ``module.no_log_values`` and it
  never appears in an error message (errors quote the registry's JSON error, not our request).
- ``push_blob`` HEADs first, so a blob the repository has is never sent; a missing one is uploaded
  monolithically: POST for an upload URL, then one PUT with ``?digest=`` whose body streams from disk
  with a Content-Length (no whole-blob reads into memory, no chunked PATCH series).
- ``put_manifest`` sends the exact bytes whose digest we computed, and checks the registry's
  Docker-Content-Digest against it.

Transport is ansible's ``Request`` (what ``open_url`` uses; no third-party HTTP library); a test may pass its own.
"""

from __future__ import annotations

import base64
import hashlib
import json
from urllib.error import HTTPError
from urllib.error import URLError
from urllib.parse import quote
from urllib.parse import urljoin

from ansible.module_utils.urls import Request
from ansible.module_utils.urls import make_context

from ansible_collections.ecsops.fargate.plugins.module_utils.image_source import INDEX_TYPES
from ansible_collections.ecsops.fargate.plugins.module_utils.image_source import MANIFEST_TYPES

ACCEPT_MANIFESTS = ", ".join(MANIFEST_TYPES + INDEX_TYPES)
DEFAULT_TIMEOUT = 300
SEND_SIZE = 1024 * 1024
_CONTEXTS = {}


class RegistryError(Exception):
    """A registry answer other than success. ``status`` is the HTTP status, ``code`` the OCI error code."""

    def __init__(self, message, status=None, code=None):
        super().__init__(message)
        self.status = status
        self.code = code


def sha256_digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def registry_login(authorization_data):
    """(base URL, Authorization header, password) from one ECR ``authorizationData`` entry."""
    token = authorization_data["authorizationToken"]
    endpoint = authorization_data["proxyEndpoint"].rstrip("/")
    if "://" not in endpoint:
        endpoint = "https://" + endpoint
    password = base64.b64decode(token).decode("utf-8").partition(":")[2]
    return endpoint, "Basic " + token, password


def _context(validate_certs):
    """One SSL context per process: open_url would build (and load CAs into) a new one per call, ~20 ms."""
    if validate_certs not in _CONTEXTS:
        _CONTEXTS[validate_certs] = make_context(validate_certs=validate_certs)
    return _CONTEXTS[validate_certs]


def _pieces(stream):
    """A stream as 1 MiB pieces: http.client would send a file object in 8 KiB writes."""
    while True:
        piece = stream.read(SEND_SIZE)
        if not piece:
            return
        yield piece


def open_url_transport(method, url, headers, body, timeout, validate_certs):
    """One HTTP request through ansible's Request (open_url's engine): (status, headers, body bytes).

    A body with ``read()`` streams in 1 MiB pieces; the caller sets its Content-Length.
    """
    if hasattr(body, "read"):
        body = _pieces(body)
    try:
        response = Request(context=_context(validate_certs)).open(
            method, url, data=body, headers=headers, timeout=timeout,
            validate_certs=validate_certs, follow_redirects="all", use_proxy=True,
        )
        with response:
            payload = b"" if method == "HEAD" else response.read()
            return response.status, dict(response.headers.items()), payload
    except HTTPError as e:
        try:
            payload = e.read() if method != "HEAD" else b""
        except Exception:  # pylint: disable=broad-except
            payload = b""
        return e.code, dict(e.headers.items()) if e.headers else {}, payload
    except URLError as e:
        raise RegistryError(f"cannot reach the registry at {url.split('/v2/')[0]}: {e.reason}") from None


def _error_text(status, payload):
    try:
        error = json.loads(payload)["errors"][0]
        return error.get("code") or "", error.get("message") or ""
    except (ValueError, KeyError, IndexError, TypeError):
        return "", (payload or b"").decode("utf-8", "replace")[:300] or f"HTTP {status}"


class RegistryClient:
    """Push to one registry: ``RegistryClient(base_url, authorization)``."""

    def __init__(self, base_url, authorization, timeout=DEFAULT_TIMEOUT, validate_certs=True, transport=None):
        self.base_url = base_url.rstrip("/")
        self._authorization = authorization
        self.timeout = timeout
        self.validate_certs = validate_certs
        self._transport = transport or open_url_transport
        self.requests = 0

    def _request(self, method, path_or_url, headers=None, body=None, ok=(200,)):
        url = path_or_url if "://" in path_or_url else f"{self.base_url}{path_or_url}"
        all_headers = dict(headers or {})
        if self._authorization:
            all_headers["Authorization"] = self._authorization
        self.requests += 1
        status, response_headers, payload = self._transport(
            method, url, all_headers, body, self.timeout, self.validate_certs
        )
        response_headers = {k.lower(): v for k, v in response_headers.items()}
        if status not in ok:
            code, message = _error_text(status, payload)
            raise RegistryError(f"{method} {url.split('?')[0]} answered {status} {code}: {message}".replace("  ", " "),
                                status=status, code=code)
        return status, response_headers, payload

    # -- blobs -----------------------------------------------------------------------------
    def blob_exists(self, repository, digest):
        status, unused_headers, unused_body = self._request("HEAD", f"/v2/{repository}/blobs/{digest}", ok=(200, 404))
        return status == 200

    def upload_blob(self, repository, blob):
        """POST an upload, then PUT the whole blob in one streamed request. Returns bytes sent."""
        headers = self._request("POST", f"/v2/{repository}/blobs/uploads/",
                                headers={"Content-Length": "0"}, body=b"", ok=(202,))[1]
        location = headers.get("location")
        if not location:
            raise RegistryError(f"the registry gave no upload location for {blob.digest}")
        location = urljoin(f"{self.base_url}/", location)
        separator = "&" if "?" in location else "?"
        url = f"{location}{separator}digest={quote(blob.digest)}"
        stream = blob.open()
        try:
            unused_status, headers, unused_body = self._request(
                "PUT", url, body=stream, ok=(201,),
                headers={"Content-Type": "application/octet-stream", "Content-Length": str(blob.size)},
            )
        finally:
            stream.close()
        answered = headers.get("docker-content-digest")
        if answered and answered != blob.digest:
            raise RegistryError(f"the registry stored blob {blob.digest} as {answered}")
        return blob.size

    def push_blob(self, repository, blob):
        """Upload ``blob`` unless the repository has it; returns bytes uploaded (0 when skipped)."""
        if self.blob_exists(repository, blob.digest):
            return 0
        return self.upload_blob(repository, blob)

    # -- manifests -------------------------------------------------------------------------
    def get_manifest(self, repository, reference):
        """(raw bytes, media type, digest) of a tag or digest, or None when it does not exist."""
        status, headers, payload = self._request(
            "GET", f"/v2/{repository}/manifests/{reference}", headers={"Accept": ACCEPT_MANIFESTS}, ok=(200, 404)
        )
        if status == 404:
            return None
        digest = sha256_digest(payload)
        answered = headers.get("docker-content-digest")
        if answered and answered != digest:
            raise RegistryError(f"manifest {repository}:{reference} is {digest} but the registry says {answered}")
        media_type = headers.get("content-type", "").split(";")[0].strip()
        return payload, media_type, digest

    def put_manifest(self, repository, reference, raw, media_type):
        """PUT the exact manifest bytes; returns the digest after checking Docker-Content-Digest."""
        expected = sha256_digest(raw)
        unused_status, headers, unused_body = self._request(
            "PUT", f"/v2/{repository}/manifests/{reference}", body=raw, ok=(201,),
            headers={"Content-Type": media_type, "Content-Length": str(len(raw))},
        )
        answered = headers.get("docker-content-digest")
        if answered and answered != expected:
            raise RegistryError(
                f"the registry stored manifest {repository}:{reference} as {answered}, but its bytes are {expected}"
            )
        return expected

    def get_blob_json(self, repository, digest, limit=4 * 1024 * 1024):
        """A small JSON blob (an image config) by digest, checked against the digest."""
        payload = self._request("GET", f"/v2/{repository}/blobs/{digest}")[2]
        if len(payload) > limit or sha256_digest(payload) != digest:
            raise RegistryError(f"blob {digest} in {repository} is not the config it should be")
        return json.loads(payload)
