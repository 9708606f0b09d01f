"""Build the demo app's image as an OCI image layout, no Docker engine needed.

    python examples/build_image.py <layout dir> <version> [--service api|web] [--port N]

The Python-only twin of examples/app/Dockerfile: one layer holds examples/app/ under /srv plus
/srv/VERSION; the config runs it as user 10001 with SERVICE and PORT set, and records the build time,
which ecs_image_publish uses to move aliases forward only. Prints the layout's path.
"""

import argparse
import datetime
import gzip
import hashlib
import io
import json
import tarfile
from pathlib import Path

APP = Path(__file__).resolve().parent / "app"


def blob(root: Path, data: bytes, media_type: str) -> dict:
    digest = hashlib.sha256(data).hexdigest()
    (root / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
    (root / "blobs" / "sha256" / digest).write_bytes(data)
    return {"mediaType": media_type, "digest": f"sha256:{digest}", "size": len(data)}


def layer(version: str) -> bytes:
    files = {f"srv/{p.name}": p.read_bytes() for p in sorted(APP.iterdir()) if p.is_file() and p.name != "Dockerfile"}
    files["srv/VERSION"] = f"{version}\n".encode()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def build(out: Path, version: str, service: str = "api", port: int = 8000) -> Path:
    plain = layer(version)
    created = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    config = json.dumps({
        "architecture": "amd64", "os": "linux", "created": created,
        "config": {"Cmd": ["python", "/srv/server.py"], "User": "10001", "WorkingDir": "/srv",
                   "Env": [f"SERVICE={service}", f"PORT={port}", "PYTHONUNBUFFERED=1"],
                   "ExposedPorts": {f"{port}/tcp": {}},
                   "Labels": {"org.opencontainers.image.version": version}},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(plain).hexdigest()]},
    }, sort_keys=True).encode()
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": blob(out, config, "application/vnd.oci.image.config.v1+json"),
        "layers": [blob(out, gzip.compress(plain, mtime=0), "application/vnd.oci.image.layer.v1.tar+gzip")],
    }, sort_keys=True).encode()
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
             "manifests": [blob(out, manifest, "application/vnd.oci.image.manifest.v1+json")]}
    (out / "index.json").write_text(json.dumps(index))
    (out / "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}))
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("layout", type=Path)
    parser.add_argument("version")
    parser.add_argument("--service", default="api")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    print(build(args.layout, args.version, args.service, args.port))
