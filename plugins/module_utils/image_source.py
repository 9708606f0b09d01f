# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Images on disk, ready to push: an OCI image layout directory or a docker-archive tarball.

``read_oci_layout`` and ``read_docker_archive`` return an ``ImageSource``: the manifests to push
(children before the index that names them), the blobs they reference (each with digest, size and
a way to open it as a stream, never read whole), and the build time from the image config.

A docker-archive (``docker save``) has no manifest of the registry kind: one is made, an OCI image
manifest naming the same layer blobs byte for byte (gzip layers as ``tar+gzip``, plain ones as
``tar``) and the archive's config, so the same archive always gives the same digest.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tarfile

from ansible_collections.ecsops.fargate.plugins.module_utils.tags import parse_timestamp

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_INDEX = "application/vnd.docker.distribution.manifest.list.v2+json"
INDEX_TYPES = (OCI_INDEX, DOCKER_INDEX)
MANIFEST_TYPES = (OCI_MANIFEST, DOCKER_MANIFEST)
REF_NAME = "org.opencontainers.image.ref.name"
CREATED_LABEL = "org.opencontainers.image.created"
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
READ_SIZE = 1024 * 1024


class ImageSourceError(ValueError):
    """The source is missing, unreadable or not an image."""


def sha256_digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def media_type_of(raw, descriptor_type=None):
    """A manifest's media type: its own ``mediaType`` field, else the descriptor's, else by shape."""
    document = _json(raw, "manifest")
    if document.get("mediaType"):
        return document["mediaType"]
    if descriptor_type:
        return descriptor_type
    return OCI_INDEX if "manifests" in document else OCI_MANIFEST


def build_time_of_config(config):
    """The build time of an image config: ``created``, else the ``org.opencontainers.image.created`` label."""
    moment = parse_timestamp(config.get("created"))
    if moment is None:
        labels = (config.get("config") or {}).get("Labels") or {}
        moment = parse_timestamp(labels.get(CREATED_LABEL))
    return moment


class Blob:
    """One blob on disk: ``open()`` gives a binary stream of exactly ``size`` bytes."""

    def __init__(self, digest, size, media_type, opener):
        self.digest = digest
        self.size = size
        self.media_type = media_type
        self._opener = opener

    def open(self):
        return self._opener()


class ImageSource:
    """What to push: ``blobs`` (digest -> Blob), ``manifests`` [(digest, media_type, raw)] children first."""

    def __init__(self, kind, location):
        self.kind = kind
        self.location = location
        self.blobs = {}
        self.manifests = []
        self.configs = []  # parsed configs, first = the one that dates the image

    @property
    def digest(self):
        return self.manifests[-1][0]

    @property
    def media_type(self):
        return self.manifests[-1][1]

    @property
    def raw_manifest(self):
        return self.manifests[-1][2]

    @property
    def is_index(self):
        return self.media_type in INDEX_TYPES

    @property
    def built_at(self):
        """Build time of the image (the first platform's config for an index), or None."""
        for config in self.configs:
            moment = build_time_of_config(config)
            if moment is not None:
                return moment
        return None

    @property
    def total_size(self):
        return sum(blob.size for blob in self.blobs.values())

    def add_blob(self, blob):
        self.blobs.setdefault(blob.digest, blob)


def _json(raw, what):
    try:
        document = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as e:
        raise ImageSourceError(f"{what} is not valid JSON: {e}") from None
    if not isinstance(document, dict):
        raise ImageSourceError(f"{what} is not a JSON object")
    return document


# -- OCI image layout --------------------------------------------------------------------

def read_oci_layout(path, ref=None):
    """The image in an OCI layout directory; ``ref`` picks an entry by ``org.opencontainers.image.ref.name``.

    Without ``ref`` the layout must hold exactly one entry. An entry that is an index (multi-arch)
    is pushed with every manifest it names.
    """
    if not os.path.isdir(path):
        raise ImageSourceError(f"OCI layout '{path}' is not a directory")
    layout_file = os.path.join(path, "oci-layout")
    if not os.path.isfile(layout_file):
        raise ImageSourceError(f"'{path}' is not an OCI image layout: it has no 'oci-layout' file")
    index = _json(_read_file(os.path.join(path, "index.json")), f"{path}/index.json")
    entries = [e for e in index.get("manifests") or [] if isinstance(e, dict)]
    if ref:
        chosen = [e for e in entries if (e.get("annotations") or {}).get(REF_NAME) == ref]
        if not chosen:
            names = sorted({(e.get("annotations") or {}).get(REF_NAME, "") for e in entries} - {""})
            raise ImageSourceError(f"OCI layout '{path}' has no image named '{ref}' (it has: {names or 'none'})")
    else:
        chosen = entries
    if len(chosen) != 1:
        raise ImageSourceError(
            f"OCI layout '{path}' holds {len(chosen)} images; name one with source_ref "
            f"(org.opencontainers.image.ref.name)"
        )
    source = ImageSource("oci_layout", path)
    _add_layout_manifest(source, path, chosen[0], depth=0)
    return source


def _layout_blob_path(path, digest):
    if not isinstance(digest, str) or not DIGEST.match(digest):
        raise ImageSourceError(f"unsupported or malformed digest '{digest}' (sha256 only)")
    return os.path.join(path, "blobs", "sha256", digest.split(":", 1)[1])


def _layout_blob(path, descriptor, what):
    digest = descriptor.get("digest")
    blob_path = _layout_blob_path(path, digest)
    try:
        size = os.stat(blob_path).st_size
    except OSError:
        raise ImageSourceError(f"OCI layout '{path}' lacks the {what} blob {digest}") from None
    if descriptor.get("size") is not None and descriptor["size"] != size:
        raise ImageSourceError(
            f"the {what} blob {digest} in '{path}' is {size} bytes; its descriptor says {descriptor['size']}"
        )
    return Blob(digest, size, descriptor.get("mediaType"), lambda: open(blob_path, "rb"))


def _add_layout_manifest(source, path, descriptor, depth):
    digest = descriptor.get("digest")
    raw = _read_file(_layout_blob_path(path, digest))
    if sha256_digest(raw) != digest:
        raise ImageSourceError(f"manifest blob {digest} in '{path}' does not match its digest")
    media_type = media_type_of(raw, descriptor.get("mediaType"))
    document = _json(raw, f"manifest {digest}")
    if media_type in INDEX_TYPES:
        if depth > 1:
            raise ImageSourceError(f"index {digest} in '{path}' nests indexes too deeply")
        for child in document.get("manifests") or []:
            _add_layout_manifest(source, path, child, depth + 1)
    else:
        config = _layout_blob(path, document.get("config") or {}, "config")
        source.add_blob(config)
        with config.open() as handle:
            source.configs.append(_json(handle.read(), f"config {config.digest}"))
        for layer in document.get("layers") or []:
            source.add_blob(_layout_blob(path, layer, "layer"))
    source.manifests.append((digest, media_type, raw))


def _read_file(path):
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as e:
        raise ImageSourceError(f"cannot read '{path}': {e.strerror}") from None


# -- docker-archive (docker save) ---------------------------------------------------------

class _ArchiveMember:
    """Opens one member of a tar archive as a stream (the archive stays closed between reads)."""

    def __init__(self, archive, name):
        self.archive = archive
        self.name = name

    def __call__(self):
        tar = tarfile.open(self.archive, "r:*")
        handle = tar.extractfile(self.name)
        if handle is None:
            tar.close()
            raise ImageSourceError(f"'{self.name}' in '{self.archive}' is not a file")
        return _ClosingReader(handle, tar)


class _ClosingReader:
    def __init__(self, handle, tar):
        self._handle = handle
        self._tar = tar

    def read(self, size=-1):
        return self._handle.read(size)

    def close(self):
        self._handle.close()
        self._tar.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _hash_stream(handle):
    digest = hashlib.sha256()
    size = 0
    first = b""
    while True:
        piece = handle.read(READ_SIZE)
        if not piece:
            break
        if not first:
            first = piece[:2]
        digest.update(piece)
        size += len(piece)
    return "sha256:" + digest.hexdigest(), size, first


def read_docker_archive(path, ref=None):
    """The image in a ``docker save`` tarball as an OCI manifest over the same blobs.

    ``ref`` picks an image by one of its RepoTags (``name:tag``); without it the archive must hold one.
    """
    if not os.path.isfile(path):
        raise ImageSourceError(f"docker-archive '{path}' is not a file")
    try:
        with tarfile.open(path, "r:*") as tar:
            members = {(m.name[2:] if m.name.startswith("./") else m.name): m for m in tar.getmembers()}
            if "manifest.json" not in members:
                raise ImageSourceError(f"'{path}' is not a docker-archive: it has no manifest.json")
            entries = json.loads(tar.extractfile(members["manifest.json"]).read())
            if not isinstance(entries, list) or not entries:
                raise ImageSourceError(f"'{path}' has an empty or malformed manifest.json")
            if ref:
                entries = [e for e in entries if ref in (e.get("RepoTags") or [])]
                if not entries:
                    raise ImageSourceError(f"docker-archive '{path}' has no image tagged '{ref}'")
            if len(entries) != 1:
                raise ImageSourceError(f"docker-archive '{path}' holds {len(entries)} images; name one with source_ref")
            entry = entries[0]
            config_raw = _member_bytes(tar, members, entry.get("Config"), path)
            config = _json(config_raw, f"config {entry.get('Config')}")
            source = ImageSource("docker_archive", path)
            config_digest = sha256_digest(config_raw)
            source.add_blob(Blob(config_digest, len(config_raw), OCI_CONFIG, _ArchiveMember(path, members[entry["Config"]].name)))
            source.configs.append(config)
            layers = []
            for name in entry.get("Layers") or []:
                member = members.get(name)
                if member is None or not member.isfile():
                    raise ImageSourceError(f"docker-archive '{path}' lacks the layer '{name}'")
                digest, size, magic = _hash_stream(tar.extractfile(member))
                media_type = OCI_LAYER_GZIP if magic == b"\x1f\x8b" else OCI_LAYER
                source.add_blob(Blob(digest, size, media_type, _ArchiveMember(path, member.name)))
                layers.append({"mediaType": media_type, "digest": digest, "size": size})
    except (tarfile.TarError, OSError) as e:
        raise ImageSourceError(f"cannot read docker-archive '{path}': {e}") from None
    except ValueError as e:
        if isinstance(e, ImageSourceError):
            raise
        raise ImageSourceError(f"docker-archive '{path}' has a malformed manifest.json: {e}") from None
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": config_digest, "size": len(config_raw)},
        "layers": layers,
    }
    raw = json.dumps(manifest, separators=(",", ":")).encode()
    source.manifests.append((sha256_digest(raw), OCI_MANIFEST, raw))
    return source


def _member_bytes(tar, members, name, path):
    member = members.get(name or "")
    if member is None or not member.isfile():
        raise ImageSourceError(f"docker-archive '{path}' lacks '{name}'")
    return tar.extractfile(member).read()
