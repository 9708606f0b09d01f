"""The sandbox registry, driven as a client drives ECR's: credentials from get_authorization_token,
the OCI distribution API over HTTP, and skopeo as an independent client."""

import base64
import gzip
import hashlib
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from sandbox.client import SandboxClient
from sandbox.images import (RegistryError, build_test_image, fetch_manifest, push_blob, push_manifest,
                            push_test_image, registry_login, registry_request, sha256_digest)

from helpers import wait_until

SKOPEO = shutil.which("skopeo") or "skopeo"  # make installs it; a missing one fails the test


def _credentials(sandbox) -> tuple[str, str]:
    """(registry host, password) as `aws ecr get-login-password` and proxyEndpoint give them."""
    data = sandbox.aws("ecr").get_authorization_token()["authorizationData"][0]
    user, _, password = base64.b64decode(data["authorizationToken"]).decode().partition(":")
    assert user == "AWS"
    return data["proxyEndpoint"].removeprefix("http://"), password


def _skopeo(*args, timeout=60):
    return subprocess.run([SKOPEO, *args], capture_output=True, text=True, timeout=timeout)


def test_v2_answers_401_without_credentials_and_200_with_the_ecr_token(sandbox):
    base, authorization = registry_login(sandbox)
    with pytest.raises(RegistryError) as anonymous:
        registry_request("GET", f"{base}/v2/", None)
    assert anonymous.value.status == 401
    assert anonymous.value.code == "UNAUTHORIZED"
    status, _, _ = registry_request("GET", f"{base}/v2/", authorization)
    assert status == 200


def test_a_wrong_password_is_refused(sandbox):
    base, _ = registry_login(sandbox)
    wrong = "Basic " + base64.b64encode(b"AWS:not-the-password").decode()
    with pytest.raises(RegistryError) as err:
        registry_request("GET", f"{base}/v2/", wrong)
    assert err.value.status == 401


def test_repository_uri_and_proxy_endpoint_name_the_registry(sandbox):
    ecr = sandbox.aws("ecr")
    uri = ecr.create_repository(repositoryName="team/api")["repository"]["repositoryUri"]
    host, _ = _credentials(sandbox)
    assert uri == f"{host}/team/api"
    assert host.startswith("127.0.0.1:")
    assert ecr.describe_repositories(repositoryNames=["team/api"])["repositories"][0]["repositoryUri"] == uri


def test_pushed_manifest_digest_is_sha256_of_the_bytes_the_registry_serves(sandbox):
    pushed = push_test_image(sandbox, "web", "v1", marker="one")
    base, authorization = registry_login(sandbox)
    raw, served_digest = fetch_manifest(base, authorization, "web", "v1")
    assert served_digest == pushed["digest"] == sha256_digest(raw)
    detail = sandbox.aws("ecr").describe_images(repositoryName="web")["imageDetails"]
    assert [d["imageDigest"] for d in detail] == [sha256_digest(raw)]
    assert pushed["image"] == f"{pushed['uri']}:v1"


def test_push_to_a_repository_ecr_does_not_know_fails_with_name_unknown(sandbox):
    base, authorization = registry_login(sandbox)
    config, layer, manifest = build_test_image("x")
    with pytest.raises(RegistryError) as blob:
        push_blob(base, authorization, "missing-repo", layer)
    assert (blob.value.status, blob.value.code) == (404, "NAME_UNKNOWN")
    assert blob.value.message == ("The repository with name 'missing-repo' does not exist in the registry with id "
                                  "'123456789012'")
    with pytest.raises(RegistryError) as put:
        push_manifest(base, authorization, "missing-repo", "v1", manifest)
    assert put.value.code == "NAME_UNKNOWN"


def test_pushing_another_image_to_an_immutable_tag_fails_as_ecr_does(sandbox):
    sandbox.aws("ecr").create_repository(repositoryName="frozen", imageTagMutability="IMMUTABLE")
    first = push_test_image(sandbox, "frozen", "v1", marker="a")
    with pytest.raises(RegistryError) as err:
        push_test_image(sandbox, "frozen", "v1", marker="b")
    assert (err.value.status, err.value.code) == (400, "TAG_INVALID")
    assert err.value.message == ("The image tag 'v1' already exists in the 'frozen' repository and cannot be "
                                 "overwritten because the repository is immutable.")
    base, authorization = registry_login(sandbox)
    assert fetch_manifest(base, authorization, "frozen", "v1")[1] == first["digest"]
    # The same image again is no overwrite: the push succeeds.
    assert push_test_image(sandbox, "frozen", "v1", marker="a")["digest"] == first["digest"]


def test_exclusion_filter_lets_latest_aliases_move_through_the_registry(sandbox):
    sandbox.aws("ecr").create_repository(
        repositoryName="aliases", imageTagMutability="IMMUTABLE_WITH_EXCLUSION",
        imageTagMutabilityExclusionFilters=[{"filterType": "WILDCARD", "filter": "*-latest"}])
    push_test_image(sandbox, "aliases", "pr-7-latest", marker="a")
    newer = push_test_image(sandbox, "aliases", "pr-7-latest", marker="b")
    base, authorization = registry_login(sandbox)
    assert fetch_manifest(base, authorization, "aliases", "pr-7-latest")[1] == newer["digest"]
    push_test_image(sandbox, "aliases", "pr-7-abc123", marker="a")
    with pytest.raises(RegistryError) as err:
        push_test_image(sandbox, "aliases", "pr-7-abc123", marker="b")
    assert err.value.code == "TAG_INVALID"


def test_manifest_referencing_missing_layers_is_refused_with_ecrs_wording(sandbox):
    sandbox.aws("ecr").create_repository(repositoryName="partial")
    base, authorization = registry_login(sandbox)
    config, layer, manifest = build_test_image("lonely")
    push_blob(base, authorization, "partial", config)
    with pytest.raises(RegistryError) as err:
        push_manifest(base, authorization, "partial", "v1", manifest)
    assert err.value.code == "BLOB_UPLOAD_UNKNOWN"
    assert f"Layers with digests '[{sha256_digest(layer)}]' required for pushing image into repository with " \
           f"name 'partial'" in err.value.message


def test_blob_head_skips_what_the_repository_has(sandbox):
    push_test_image(sandbox, "cache", "v1", marker="same")
    base, authorization = registry_login(sandbox)
    _, layer, _ = build_test_image("same")
    assert push_blob(base, authorization, "cache", layer) is False
    status, headers, _ = registry_request("HEAD", f"{base}/v2/cache/blobs/{sha256_digest(layer)}", authorization)
    assert status == 200
    assert int(headers["Content-Length"]) == len(layer)


def test_reset_empties_the_registry(sandbox):
    push_test_image(sandbox, "gone", "v1", marker="a")
    sandbox.reset()
    ecr = sandbox.aws("ecr")
    base, authorization = registry_login(sandbox)
    with pytest.raises(RegistryError) as unknown_repo:
        fetch_manifest(base, authorization, "gone", "v1")
    assert unknown_repo.value.code == "NAME_UNKNOWN"
    ecr.create_repository(repositoryName="gone")
    with pytest.raises(RegistryError) as unknown_manifest:
        fetch_manifest(base, authorization, "gone", "v1")
    assert unknown_manifest.value.code == "MANIFEST_UNKNOWN"
    assert ecr.list_images(repositoryName="gone")["imageIds"] == []


def test_skopeo_inspects_a_pushed_image(sandbox):
    pushed = push_test_image(sandbox, "inspected", "v1", marker="skopeo")
    host, password = _credentials(sandbox)
    out = _skopeo("inspect", "--tls-verify=false", "--creds", f"AWS:{password}", f"docker://{host}/inspected:v1")
    assert out.returncode == 0, out.stderr
    info = json.loads(out.stdout)
    assert info["Digest"] == pushed["digest"]
    assert info["RepoTags"] == ["v1"]
    anonymous = _skopeo("inspect", "--tls-verify=false", f"docker://{host}/inspected:v1")
    assert anonymous.returncode != 0
    assert "authentication required" in anonymous.stderr


def _oci_layout(directory: Path, size: int) -> tuple[str, int]:
    """An OCI image layout with one incompressible layer of `size` bytes: (manifest digest, layer size)."""
    blobs = directory / "blobs" / "sha256"
    blobs.mkdir(parents=True)

    def store(data: bytes) -> str:
        digest = sha256_digest(data)
        (blobs / digest[7:]).write_bytes(data)
        return digest

    tar_buffer = io.BytesIO()
    with tarfile.open(fileobj=tar_buffer, mode="w") as tar:
        info = tarfile.TarInfo("payload")
        info.size = size
        tar.addfile(info, io.BytesIO(os.urandom(size)))
    layer = gzip.compress(tar_buffer.getvalue(), compresslevel=1)
    config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {
        "type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(tar_buffer.getvalue()).hexdigest()]}}).encode()
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": store(config),
                   "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": store(layer),
                    "size": len(layer)}]}).encode()
    digest = store(manifest)
    (directory / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest, "size": len(manifest),
        "annotations": {"org.opencontainers.image.ref.name": "big"}}]}))
    (directory / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    return digest, len(layer)


def test_skopeo_copies_a_multi_megabyte_image_through_the_registry_and_back(sandbox, tmp_path):
    digest, layer_size = _oci_layout(tmp_path / "src", 8 * 1024 * 1024)
    sandbox.aws("ecr").create_repository(repositoryName="big")
    host, password = _credentials(sandbox)
    pushed = _skopeo("copy", "--dest-tls-verify=false", "--dest-creds", f"AWS:{password}",
                     f"oci:{tmp_path / 'src'}:big", f"docker://{host}/big:v1")
    assert pushed.returncode == 0, pushed.stderr
    detail = sandbox.aws("ecr").describe_images(repositoryName="big")["imageDetails"][0]
    assert detail["imageDigest"] == digest
    assert detail["imageSizeInBytes"] == layer_size
    pulled = _skopeo("copy", "--src-tls-verify=false", "--src-creds", f"AWS:{password}",
                     f"docker://{host}/big:v1", f"oci:{tmp_path / 'dst'}:big")
    assert pulled.returncode == 0, pulled.stderr
    copied = json.loads((tmp_path / "dst" / "index.json").read_text())["manifests"][0]["digest"]
    assert copied == digest


# -- the registry process ----------------------------------------------------------------

def _start_sandbox(tmp_path, env=None):
    pidfile = tmp_path / "sb.pid"
    out = subprocess.run([sys.executable, "-m", "sandbox", "start", "--port", "0", "--pidfile", str(pidfile)],
                         capture_output=True, text=True, timeout=60, env={**os.environ, **(env or {})},
                         cwd=Path(__file__).resolve().parents[2])
    return out, pidfile


def _stop_sandbox(pidfile):
    subprocess.run([sys.executable, "-m", "sandbox", "stop", "--pidfile", str(pidfile)], capture_output=True,
                   timeout=30, cwd=Path(__file__).resolve().parents[2])


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.split(") ", 1)[1][0] != "Z"


def _is_registry(pid: int) -> bool:
    try:
        return b"docker-registry" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def test_registry_refuses_a_busy_port(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        out, pidfile = _start_sandbox(tmp_path, {"SANDBOX_REGISTRY_PORT": str(port)})
        try:
            assert out.returncode != 0
            log = (tmp_path / "sb.log").read_text()
            assert f"registry port {port} on 127.0.0.1 is busy" in log
        finally:
            _stop_sandbox(pidfile)


def test_registry_listens_on_its_port_with_its_own_password_and_stops_by_pid(sandbox, tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    out, pidfile = _start_sandbox(tmp_path, {"SANDBOX_REGISTRY_PORT": str(port)})
    try:
        assert out.returncode == 0, out.stderr
        client = SandboxClient(out.stdout.split()[1])
        health = client.health()["ecr"]
        assert health["registry_host"] == f"127.0.0.1:{port}"
        base, authorization = registry_login(client)
        assert base == f"http://127.0.0.1:{port}"
        assert registry_request("GET", f"{base}/v2/", authorization)[0] == 200
        assert _credentials(client)[1] != _credentials(sandbox)[1]  # random per sandbox, never a constant
        pid = health["registry_pid"]
        assert _is_registry(pid)
        assert int(Path(health["registry_pidfile"]).read_text()) == pid
    finally:
        _stop_sandbox(pidfile)
    wait_until(lambda: not _alive(pid), timeout=5, message=f"registry pid {pid} outlived the sandbox")
    assert not Path(health["registry_pidfile"]).exists()


def test_registry_dies_with_a_killed_sandbox(tmp_path):
    out, pidfile = _start_sandbox(tmp_path)
    assert out.returncode == 0, out.stderr
    pid = SandboxClient(out.stdout.split()[1]).health()["ecr"]["registry_pid"]
    sandbox_pid = int(pidfile.read_text())
    os.kill(sandbox_pid, signal.SIGKILL)
    wait_until(lambda: not _alive(pid), timeout=5, message=f"registry pid {pid} outlived a killed sandbox")
