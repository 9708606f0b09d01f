"""Tiny test images written by Python: OCI layouts, docker-archives, and an in-memory registry."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from pathlib import Path


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def layer_tar(marker: str, size: int = 0) -> bytes:
    content = f"layer {marker}\n".encode() + b"x" * size
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        info = tarfile.TarInfo("marker")
        info.size = len(content)
        tar.addfile(info, io.BytesIO(content))
    return buf.getvalue()


def image_blobs(marker: str, created: str | None = "2024-05-01T12:00:00Z", arch: str = "amd64"):
    """(config bytes, layer bytes (gzip), manifest bytes) of a one-layer OCI image."""
    plain = layer_tar(marker)
    layer = gzip.compress(plain, mtime=0)
    config = {"architecture": arch, "os": "linux", "rootfs": {"type": "layers", "diff_ids": [digest_of(plain)]},
              "config": {"Labels": {"marker": marker}}}
    if created:
        config["created"] = created
    config_raw = json.dumps(config, sort_keys=True).encode()
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": digest_of(config_raw),
                   "size": len(config_raw)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": digest_of(layer),
                    "size": len(layer)}],
    }).encode()
    return config_raw, layer, manifest


def write_blob(root: Path, data: bytes) -> str:
    digest = digest_of(data)
    path = root / "blobs" / "sha256" / digest.split(":")[1]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return digest


def write_layout(root: Path, marker: str, created: str | None = "2024-05-01T12:00:00Z",
                 arches: tuple = ("amd64",), ref: str | None = "latest") -> str:
    """An OCI layout at root with one image (an index when several arches); returns the top digest."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    descriptors = []
    for arch in arches:
        config, layer, manifest = image_blobs(f"{marker}-{arch}" if len(arches) > 1 else marker, created, arch)
        write_blob(root, config)
        write_blob(root, layer)
        descriptors.append({"mediaType": "application/vnd.oci.image.manifest.v1+json",
                            "digest": write_blob(root, manifest), "size": len(manifest),
                            "platform": {"architecture": arch, "os": "linux"}})
    if len(arches) > 1:
        index = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                            "manifests": descriptors}).encode()
        top = {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": write_blob(root, index),
               "size": len(index)}
    else:
        top = dict(descriptors[0])
        top.pop("platform")
    if ref:
        top["annotations"] = {"org.opencontainers.image.ref.name": ref}
    (root / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [top]}))
    return top["digest"]


def write_docker_archive(path: Path, marker: str, created: str = "2024-05-01T12:00:00Z") -> None:
    """A legacy `docker save` tarball: <id>.json config, <id>/layer.tar (uncompressed), manifest.json."""
    plain = layer_tar(marker)
    config = json.dumps({"architecture": "amd64", "os": "linux", "created": created,
                         "rootfs": {"type": "layers", "diff_ids": [digest_of(plain)]}}).encode()
    config_name = digest_of(config).split(":")[1] + ".json"
    files = {config_name: config, "abc123/layer.tar": plain,
             "manifest.json": json.dumps([{"Config": config_name, "RepoTags": ["web:1"],
                                           "Layers": ["abc123/layer.tar"]}]).encode()}
    with tarfile.open(path, "w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


class FakeRegistry:
    """The distribution API in memory, as a RegistryClient transport. Records every request."""

    def __init__(self, password="s3cret"):
        self.blobs: dict[str, bytes] = {}
        self.manifests: dict[str, tuple[bytes, str]] = {}
        self.tags: dict[str, str] = {}
        self.log: list[tuple[str, str]] = []
        self.uploads = 0
        self.immutable: set[str] = set()

    def __call__(self, method, url, headers, body, timeout, validate_certs):
        path = url.split("://", 1)[1].partition("/")[2]
        path, unused_sep, query = path.partition("?")
        self.log.append((method, "/" + path))
        parts = path.split("/")
        if parts[-2:-1] == ["blobs"] and method in ("HEAD", "GET"):
            data = self.blobs.get(parts[-1])
            if data is None:
                return 404, {}, b'{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown"}]}'
            return 200, {"Docker-Content-Digest": parts[-1]}, data if method == "GET" else b""
        if path.endswith("blobs/uploads/") and method == "POST":
            return 202, {"Location": "/v2/upload/123"}, b""
        if path.startswith("v2/upload/") and method == "PUT":
            data = body.read() if hasattr(body, "read") else body
            assert int(headers["Content-Length"]) == len(data)
            digest = query.split("digest=")[1].replace("%3A", ":")
            assert digest_of(data) == digest
            self.blobs[digest] = data
            self.uploads += 1
            return 201, {"Docker-Content-Digest": digest}, b""
        if "manifests" in parts:
            reference = parts[-1]
            if method == "GET":
                digest = reference if reference.startswith("sha256:") else self.tags.get(reference)
                if digest is None or digest not in self.manifests:
                    return 404, {}, b'{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}'
                raw, media_type = self.manifests[digest]
                return 200, {"Content-Type": media_type, "Docker-Content-Digest": digest}, raw
            if method == "PUT":
                digest = digest_of(body)
                if reference in self.immutable and self.tags.get(reference) not in (None, digest):
                    return 400, {}, b'{"errors":[{"code":"TAG_INVALID","message":"immutable"}]}'
                self.manifests[digest] = (body, headers["Content-Type"])
                if not reference.startswith("sha256:"):
                    self.tags[reference] = digest
                return 201, {"Docker-Content-Digest": digest}, b""
        return 405, {}, b""
