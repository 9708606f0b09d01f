"""Tiny, distinct container images pushed into the sandbox registry the way a client pushes to ECR.

`push_test_image` asks ECR for an authorization token, then speaks the OCI distribution API to the
token's proxyEndpoint: HEAD each blob, POST + PUT (monolithic) the missing ones, PUT the manifest.
That is the same code path a real client takes against ECR, so ECS in the sandbox can pull what
tests push here. Images are deterministic: the same marker always gives the same digest.
"""

import gzip
import hashlib
import io
import json
import tarfile
import urllib.error
import urllib.parse
import urllib.request

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
MANIFEST_MEDIA_TYPES = (DOCKER_MANIFEST, "application/vnd.docker.distribution.manifest.list.v2+json",
                        "application/vnd.oci.image.manifest.v1+json", "application/vnd.oci.image.index.v1+json")


class RegistryError(RuntimeError):
    """A registry answer other than success: `code` is the OCI error code (NAME_UNKNOWN, TAG_INVALID...)."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def build_test_image(marker: str = "") -> tuple[bytes, bytes, bytes]:
    """(config, layer, manifest) bytes of a one-layer Docker v2 schema 2 image whose layer holds `marker`."""
    content = f"sandbox test image {marker}\n".encode()
    tar_buffer = io.BytesIO()
    with tarfile.open(fileobj=tar_buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        info = tarfile.TarInfo("sandbox-marker")
        info.size = len(content)
        info.mtime = 0  # fixed, so equal markers give equal digests
        tar.addfile(info, io.BytesIO(content))
    layer_tar = tar_buffer.getvalue()
    layer = gzip.compress(layer_tar, mtime=0)
    config = json.dumps({
        "architecture": "amd64",
        "os": "linux",
        "config": {"Cmd": ["/sandbox-marker"], "Labels": {"sandbox.marker": marker}},
        "rootfs": {"type": "layers", "diff_ids": [sha256_digest(layer_tar)]},
    }, sort_keys=True).encode()
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": DOCKER_MANIFEST,
        "config": {"mediaType": DOCKER_CONFIG, "size": len(config), "digest": sha256_digest(config)},
        "layers": [{"mediaType": DOCKER_LAYER, "size": len(layer), "digest": sha256_digest(layer)}],
    }, indent=3).encode()
    return config, layer, manifest


def registry_login(client, ecr=None) -> tuple[str, str]:
    """(base URL, Authorization header value) from ECR's get_authorization_token, as `docker login` uses it."""
    data = (ecr or client.aws("ecr")).get_authorization_token()["authorizationData"][0]
    return data["proxyEndpoint"].rstrip("/"), "Basic " + data["authorizationToken"]


def registry_request(method: str, url: str, authorization: str | None, body: bytes | None = None,
                     headers: dict | None = None) -> tuple[int, dict, bytes]:
    """(status, headers, body) of one registry request; raises RegistryError on 4xx/5xx."""
    request = urllib.request.Request(url, data=body, method=method, headers=dict(headers or {}))
    if authorization:
        request.add_header("Authorization", authorization)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as err:
        payload = err.read()
        try:
            error = json.loads(payload)["errors"][0]
            code, message = error.get("code", ""), error.get("message", "")
        except (ValueError, KeyError, IndexError, TypeError):
            code, message = "", payload.decode("utf-8", "replace")
        raise RegistryError(err.code, code, message) from None


def push_blob(base: str, authorization: str, repository: str, blob: bytes) -> bool:
    """Upload a blob unless the repository already has it; True when bytes were sent."""
    digest = sha256_digest(blob)
    try:
        registry_request("HEAD", f"{base}/v2/{repository}/blobs/{digest}", authorization)
        return False
    except RegistryError as err:
        if err.status != 404:
            raise
    _, headers, _ = registry_request("POST", f"{base}/v2/{repository}/blobs/uploads/", authorization, body=b"")
    location = urllib.parse.urljoin(f"{base}/", headers["Location"])
    separator = "&" if "?" in location else "?"
    registry_request("PUT", f"{location}{separator}digest={urllib.parse.quote(digest)}", authorization,
                     body=blob, headers={"Content-Type": "application/octet-stream"})
    return True


def fetch_manifest(base: str, authorization: str, repository: str, reference: str) -> tuple[bytes, str]:
    """(manifest bytes exactly as stored, Docker-Content-Digest) of a tag or digest."""
    _, headers, body = registry_request("GET", f"{base}/v2/{repository}/manifests/{reference}", authorization,
                                        headers={"Accept": ", ".join(MANIFEST_MEDIA_TYPES)})
    return body, headers.get("Docker-Content-Digest", "")


def push_manifest(base: str, authorization: str, repository: str, reference: str, manifest: bytes,
                  media_type: str = DOCKER_MANIFEST) -> str:
    """PUT a manifest under a tag or digest; returns the registry's Docker-Content-Digest."""
    _, headers, _ = registry_request("PUT", f"{base}/v2/{repository}/manifests/{reference}", authorization,
                                     body=manifest, headers={"Content-Type": media_type})
    return headers.get("Docker-Content-Digest", "")


def push_test_image(client, repository: str, tag: str, marker: str = "") -> dict:
    """Create the ECR repository if missing and push a tiny image; returns dict(uri, digest, image).

    `client` is a sandbox.client.SandboxClient. Raises RegistryError when the registry refuses the
    push (e.g. TAG_INVALID for an immutable tag, NAME_UNKNOWN for a repository that does not exist).
    """
    ecr = client.aws("ecr")
    try:
        uri = ecr.describe_repositories(repositoryNames=[repository])["repositories"][0]["repositoryUri"]
    except ecr.exceptions.RepositoryNotFoundException:
        uri = ecr.create_repository(repositoryName=repository)["repository"]["repositoryUri"]
    base, authorization = registry_login(client, ecr)
    config, layer, manifest = build_test_image(marker)
    for blob in (config, layer):
        push_blob(base, authorization, repository, blob)
    digest = push_manifest(base, authorization, repository, tag, manifest)
    expected = sha256_digest(manifest)
    if digest != expected:
        raise RegistryError(500, "DIGEST_INVALID", f"registry answered digest {digest}, manifest is {expected}")
    return {"uri": uri, "digest": digest, "image": f"{uri}:{tag}"}
