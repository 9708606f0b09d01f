"""ecs_image_publish's push against `skopeo copy`, same image, same sandbox registry, same run.

    .venv/bin/python benchmarks/image_publish_bench.py [--runs 3] [--size-mb 50] [--no-module]

Writes an OCI layout with one layer of random bytes (gzip level 1, so it does not shrink), starts a
sandbox on a free port (pidfile in a temp dir, stopped by that PID at the end), and per run:

- ``ecsops push``: the module's own push code path, imported from ``.collections``: ECR
  GetAuthorizationToken -> ``registry_login`` -> ``image_publish._push_image`` (HEAD per blob,
  one streamed PUT per missing blob, manifest PUT with its digest checked). Nothing else is timed:
  this is what ``skopeo copy`` does too (log in, HEAD, upload, put the manifest).
- ``ecsops republish``: the same again into the same repository; it must upload 0 bytes.
- ``skopeo copy``: ``skopeo copy --dest-tls-verify=false --dest-creds AWS:<password> oci:<layout>
  docker://<registry>/<repository>:<tag>`` into another new repository (a real first push).
- ``module (ansible)``: unless ``--no-module``, the whole module run by ``ansible localhost -m
  ecsops.fargate.ecs_image_publish`` into a third repository, first and again: Ansible's start-up
  (~1 s), the repository checks and the scan read included. Informational; the ratio uses the push.

Each run uses a new image (random bytes: no repository has its blobs, so skopeo cannot mount them
from an earlier push) and fresh repositories (created before the clock starts, as ECR needs them to
exist); the order of ours and skopeo alternates so neither always gets the warmer page cache.
Prints the median of each column, and the ratio against the targets of issue 4: first push within
1.3x of skopeo, republish 0 bytes. Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / ".collections"), str(REPO / "tests" / "unit" / "plugins" / "module_utils")]

import boto3  # noqa: E402

from ansible_collections.ecsops.fargate.plugins.module_utils import ecr  # noqa: E402
from ansible_collections.ecsops.fargate.plugins.module_utils import image_publish  # noqa: E402
from ansible_collections.ecsops.fargate.plugins.module_utils import image_source  # noqa: E402
from ansible_collections.ecsops.fargate.plugins.module_utils.registry import RegistryClient  # noqa: E402
from ansible_collections.ecsops.fargate.plugins.module_utils.registry import registry_login  # noqa: E402
from oci_images import digest_of, write_blob  # noqa: E402  (the unit tests' image writers)

RATIO_TARGET = 1.3
REGION = "us-east-1"


def write_layout(root: Path, size_mb: int, marker: str) -> tuple[str, int]:
    """An OCI layout with one layer holding ``size_mb`` MiB of random bytes; (manifest digest, layer size)."""
    payload = os.urandom(size_mb * 1024 * 1024)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        info = tarfile.TarInfo("random.bin")
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    plain = buf.getvalue()
    layer = gzip.compress(plain, compresslevel=1, mtime=0)
    config = json.dumps({"architecture": "amd64", "os": "linux", "created": "2024-05-01T12:00:00Z",
                         "config": {"Labels": {"bench": marker}},
                         "rootfs": {"type": "layers", "diff_ids": [digest_of(plain)]}}, sort_keys=True).encode()
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": image_source.OCI_MANIFEST,
        "config": {"mediaType": image_source.OCI_CONFIG, "digest": write_blob(root, config), "size": len(config)},
        "layers": [{"mediaType": image_source.OCI_LAYER_GZIP, "digest": write_blob(root, layer), "size": len(layer)}],
    }).encode()
    (root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    top = {"mediaType": image_source.OCI_MANIFEST, "digest": write_blob(root, manifest), "size": len(manifest),
           "annotations": {image_source.REF_NAME: "bench"}}
    (root / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [top]}))
    return top["digest"], len(layer)


def start_sandbox(pidfile: Path) -> str:
    out = subprocess.run([sys.executable, "-m", "sandbox", "start", "--port", "0", "--pidfile", str(pidfile)],
                         cwd=REPO, capture_output=True, text=True, timeout=120)
    if out.returncode:
        raise SystemExit(f"sandbox did not start: {out.stderr}")
    return out.stdout.split()[1]


def stop_sandbox(pidfile: Path) -> None:
    subprocess.run([sys.executable, "-m", "sandbox", "stop", "--pidfile", str(pidfile)], cwd=REPO,
                   capture_output=True, text=True, timeout=60)


def ecsops_push(ecr_client, layout: Path, repository: str, tag: str) -> tuple[float, dict]:
    """The module's push path: log in, then _push_image. (seconds, result counters)."""
    result = {"bytes_uploaded": 0, "blobs_uploaded": 0, "blobs_skipped": 0, "manifests_pushed": 0}
    began = time.perf_counter()
    source = image_source.read_oci_layout(str(layout))
    base, authorization, unused_password = registry_login(ecr.get_authorization_data(ecr_client))
    client = RegistryClient(base, authorization, timeout=300, validate_certs=False)
    image_publish._push_image(client, repository, source, tag, result)  # pylint: disable=protected-access
    elapsed = time.perf_counter() - began
    found = client.get_manifest(repository, tag)
    if not found or found[2] != source.digest:
        raise SystemExit(f"ecsops push: {repository}:{tag} does not resolve to {source.digest}: {found and found[2]}")
    return elapsed, result


def skopeo_copy(layout: Path, registry: str, password: str, repository: str, tag: str) -> float:
    argv = ["skopeo", "copy", "--quiet", "--dest-tls-verify=false", "--dest-creds", f"AWS:{password}",
            f"oci:{layout}:bench", f"docker://{registry}/{repository}:{tag}"]
    began = time.perf_counter()
    out = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    elapsed = time.perf_counter() - began
    if out.returncode:
        raise SystemExit(f"skopeo copy failed: {out.stderr.replace(password, '<password>')}")
    return elapsed


def module_run(endpoint: str, layout: Path, repository: str, tag: str) -> tuple[float, dict]:
    """``ansible localhost -m ecsops.fargate.ecs_image_publish``: (seconds, module result)."""
    args = {"repository": repository, "oci_layout": str(layout), "unique_tag": tag, "aliases": [],
            "region": REGION, "endpoint_url": endpoint, "access_key": "testing", "secret_key": "testing"}
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
               PATH=f"{REPO / '.venv' / 'bin'}:{os.environ.get('PATH', '')}")
    argv = [str(REPO / ".venv" / "bin" / "ansible"), "localhost", "-i", "localhost,", "-c", "local", "-o",
            "-e", f"ansible_python_interpreter={sys.executable}",
            "-m", "ecsops.fargate.ecs_image_publish", "-a", json.dumps(args)]
    began = time.perf_counter()
    out = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    elapsed = time.perf_counter() - began
    text = out.stdout.strip()
    if out.returncode or "=>" not in text:
        raise SystemExit(f"ansible -m ecs_image_publish failed ({out.returncode}): {text[-2000:]} {out.stderr[-2000:]}")
    return elapsed, json.loads(text.split("=>", 1)[1])


def one_run(index: int, args, layout: Path, endpoint: str) -> dict:
    ecr_client = boto3.client("ecr", region_name=REGION, endpoint_url=endpoint,
                              aws_access_key_id="testing", aws_secret_access_key="testing")
    repos = {name: f"bench/{name}-{index}" for name in ("ecsops", "skopeo", "module")}
    for name in repos.values():  # outside the clock: ECR needs the repository before a push
        ecr_client.create_repository(repositoryName=name)
    auth = ecr_client.get_authorization_token()["authorizationData"][0]
    registry = auth["proxyEndpoint"].split("://", 1)[1]
    password = base64.b64decode(auth["authorizationToken"]).decode().partition(":")[2]
    row = {}

    def ours():
        row["ecsops_first"], first = ecsops_push(ecr_client, layout, repos["ecsops"], "v1")
        row["ecsops_again"], again = ecsops_push(ecr_client, layout, repos["ecsops"], "v1")
        row["ecsops_first_bytes"] = first["bytes_uploaded"]
        row["ecsops_again_bytes"] = again["bytes_uploaded"]

    def theirs():
        row["skopeo"] = skopeo_copy(layout, registry, password, repos["skopeo"], "v1")

    for step in ((ours, theirs) if index % 2 == 0 else (theirs, ours)):
        step()
    if args.module:
        row["module_first"], first = module_run(endpoint, layout, repos["module"], "v1")
        row["module_again"], again = module_run(endpoint, layout, repos["module"], "v1")
        row["module_first_bytes"] = first["bytes_uploaded"]
        row["module_again_bytes"] = again["bytes_uploaded"]
        row["module_again_changed"] = again["changed"]
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--size-mb", type=int, default=50)
    parser.add_argument("--no-module", dest="module", action="store_false",
                        help="skip the end-to-end `ansible -m` column")
    args = parser.parse_args()
    if not shutil.which("skopeo"):
        raise SystemExit("skopeo is not installed (make setup installs it)")

    work = Path(tempfile.mkdtemp(prefix="ecsops-image-bench-"))
    pidfile = work / "sandbox.pid"
    try:
        endpoint = start_sandbox(pidfile)
        print(f"sandbox {endpoint}")
        rows = []
        for index in range(args.runs):
            # A new image per run: skopeo remembers where it pushed a blob (its blob-info cache) and
            # mounts it from that repository instead of uploading, which would not be a first push.
            layout = work / f"layout-{index}"
            digest, layer_size = write_layout(layout, args.size_mb, marker=f"{index}-{time.time()}")
            rows.append(one_run(index, args, layout, endpoint))
            shutil.rmtree(layout)
            print(f"run {index + 1}/{args.runs}: image {digest[:19]}, one layer of {layer_size / 1e6:.1f} MB: " + ", ".join(
                f"{k} {v:.2f}s" if isinstance(v, float) else f"{k} {v}" for k, v in rows[-1].items()), flush=True)
    finally:
        stop_sandbox(pidfile)
        shutil.rmtree(work, ignore_errors=True)
    return report(rows, args)


def report(rows: list[dict], args) -> int:
    def median(key):
        return statistics.median(row[key] for row in rows)

    mb = median("ecsops_first_bytes") / 1e6
    ratio = median("ecsops_first") / median("skopeo")
    lines = [
        ("skopeo copy (first push)", median("skopeo"), "", ""),
        ("ecsops push (first push)", median("ecsops_first"), f"{mb:.1f} MB", f"{ratio:.2f}x skopeo"),
        ("ecsops push (republish)", median("ecsops_again"), f"{max(r['ecsops_again_bytes'] for r in rows)} B", ""),
    ]
    if args.module:
        lines += [
            ("module via ansible (first)", median("module_first"), f"{median('module_first_bytes') / 1e6:.1f} MB",
             f"{median('module_first') / median('skopeo'):.2f}x skopeo"),
            ("module via ansible (republish)", median("module_again"),
             f"{max(r['module_again_bytes'] for r in rows)} B",
             "changed=false" if not any(r["module_again_changed"] for r in rows) else "changed=TRUE"),
        ]
    print()
    print(f"median of {len(rows)} run(s), {args.size_mb} MiB random layer, sandbox registry on loopback")
    print(f"{'':32} {'seconds':>8}  {'uploaded':>9}  note")
    for name, seconds, uploaded, note in lines:
        print(f"{name:32} {seconds:8.2f}  {uploaded:>9}  {note}")
    republish_bytes = max(r["ecsops_again_bytes"] for r in rows) + max(r.get("module_again_bytes", 0) for r in rows)
    ok_ratio = ratio <= RATIO_TARGET
    ok_republish = republish_bytes == 0
    print()
    print(f"target: first push within {RATIO_TARGET}x of skopeo: {ratio:.2f}x  {'PASS' if ok_ratio else 'FAIL'}")
    print(f"target: republish uploads 0 bytes: {republish_bytes} B  {'PASS' if ok_republish else 'FAIL'}")
    return 0 if ok_ratio and ok_republish else 1


if __name__ == "__main__":
    sys.exit(main())
