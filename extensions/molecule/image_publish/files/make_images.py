"""Write tiny one-layer test images: make_images.py <dir> <name>=<created> ...

A name ending in ``_archive`` gives a ``docker save`` tarball ``<dir>/<name>.tar`` (legacy layout:
``<id>.json`` config, ``<id>/layer.tar`` uncompressed, ``manifest.json``) and prints its path;
a name ending in ``_multiarch`` gives an OCI layout whose image is an index over linux/amd64 and
linux/arm64 (prints the index digest); any other name gives an OCI image layout ``<dir>/<name>``
and prints its manifest digest.
Deterministic: the same name and created time always give the same digests.
"""

import gzip
import hashlib
import io
import json
import sys
import tarfile
from pathlib import Path


def digest_of(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def write_blob(root, data):
    digest = digest_of(data)
    path = root / "blobs" / "sha256" / digest.split(":")[1]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return digest


def layer_tar(marker):
    content = f"image {marker}\n".encode()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        info = tarfile.TarInfo("marker")
        info.size = len(content)
        tar.addfile(info, io.BytesIO(content))
    return buf.getvalue()


def write_docker_archive(path, marker, created):
    plain = layer_tar(marker)
    config = json.dumps({"architecture": "amd64", "os": "linux", "created": created,
                         "config": {"Cmd": ["/marker"], "Labels": {"marker": marker}},
                         "rootfs": {"type": "layers", "diff_ids": [digest_of(plain)]}}, sort_keys=True).encode()
    layer_id = digest_of(plain).split(":")[1]
    config_name = digest_of(config).split(":")[1] + ".json"
    files = {
        config_name: config,
        f"{layer_id}/layer.tar": plain,
        "manifest.json": json.dumps([{"Config": config_name, "RepoTags": [f"{marker}:latest"],
                                      "Layers": [f"{layer_id}/layer.tar"]}]).encode(),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return str(path)


def platform_manifest(root, marker, created, architecture="amd64"):
    """Write one image's config and layer blobs; return its manifest's descriptor."""
    plain = layer_tar(f"{marker}-{architecture}")
    layer = gzip.compress(plain, mtime=0)
    config = json.dumps({"architecture": architecture, "os": "linux", "created": created,
                         "config": {"Cmd": ["/marker"], "Labels": {"marker": marker}},
                         "rootfs": {"type": "layers", "diff_ids": [digest_of(plain)]}}, sort_keys=True).encode()
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": write_blob(root, config),
                   "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": write_blob(root, layer),
                    "size": len(layer)}],
    }).encode()
    return {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": write_blob(root, manifest),
            "size": len(manifest), "platform": {"architecture": architecture, "os": "linux"}}


def write_layout(root, marker, created):
    """A single-image layout; returns the image manifest's digest."""
    descriptor = platform_manifest(root, marker, created)
    descriptor.pop("platform")
    return write_index_json(root, descriptor)


def write_multiarch_layout(root, marker, created):
    """A layout whose image is an index over linux/amd64 and linux/arm64; returns the index's digest."""
    index = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                        "manifests": [platform_manifest(root, marker, created, arch) for arch in ("amd64", "arm64")]
                        }).encode()
    return write_index_json(root, {"mediaType": "application/vnd.oci.image.index.v1+json",
                                   "digest": write_blob(root, index), "size": len(index)})


def write_index_json(root, descriptor):
    (root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    (root / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [descriptor]}))
    return descriptor["digest"]


def main():
    out = Path(sys.argv[1])
    digests = {}
    for spec in sys.argv[2:]:
        name, unused_sep, created = spec.partition("=")
        if name.endswith("_archive"):
            digests[name] = write_docker_archive(out / f"{name}.tar", name, created)
        elif name.endswith("_multiarch"):
            digests[name] = write_multiarch_layout(out / name, name, created)
        else:
            digests[name] = write_layout(out / name, name, created)
    print(json.dumps(digests))


if __name__ == "__main__":
    main()
