"""Publishing a Dockerfile context: which builder, a clear failure without one, and a real buildah build."""

from __future__ import annotations

import datetime
import gzip
import io
import os
import shutil
import subprocess
import tarfile

import pytest

from ansible.module_utils.common.process import get_bin_path

from ansible_collections.ecsops.fargate.plugins.module_utils import image_publish


class StubModule:
    """What image_publish needs of AnsibleModule: params, check_mode, get_bin_path, run_command, no_log_values."""

    def __init__(self, params, check_mode=False):
        self.params = params
        self.check_mode = check_mode
        self.no_log_values = set()
        self.commands = []

    def get_bin_path(self, name):
        try:
            return get_bin_path(name)  # PATH plus the sbin directories, as AnsibleModule searches
        except ValueError:
            return None

    def run_command(self, argv):
        self.commands.append(argv)
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        return done.returncode, done.stdout, done.stderr


class NoAWS:
    """An ECR client that fails the test on any call: the refusal must come before any AWS call."""

    def __getattr__(self, name):
        raise AssertionError(f"ECR was called ({name}) before the builder check")


def _context(tmp_path, content="hello from ecsops\n"):
    context = tmp_path / "context"
    context.mkdir()
    (context / "Dockerfile").write_text("FROM scratch\nCOPY hello.txt /hello.txt\n")
    (context / "hello.txt").write_text(content)
    return context


def _params(context, builder="auto", timestamp=None):
    return {
        "repository": "web", "build": {"context": str(context), "dockerfile": None, "builder": builder, "args": None,
                                       "target": None, "timestamp": timestamp},
        "oci_layout": None, "docker_archive": None, "source_ref": None, "commit_sha": "0123456789abcdef",
        "pull_request": "5", "version": None, "branch": None, "unique_tag": None, "build_time": None, "aliases": None,
    }


def _path_with(tmp_path, **scripts):
    """A PATH directory holding only the given executables (name -> shell script body)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name, body in scripts.items():
        path = bin_dir / name
        path.write_text("#!/bin/sh\n" + body + "\n")
        path.chmod(0o755)
    return str(bin_dir)


@pytest.mark.parametrize("check_mode", [False, True])
def test_no_builder_fails_clearly_before_any_aws_call(tmp_path, monkeypatch, check_mode):
    monkeypatch.setenv("PATH", _path_with(tmp_path))
    module = StubModule(_params(_context(tmp_path)), check_mode=check_mode)
    with pytest.raises(image_publish.PublishError) as failure:
        image_publish.run(module, NoAWS())
    message = str(failure.value)
    assert "no image builder is available" in message
    assert "no docker CLI on PATH" in message and "no buildah on PATH" in message
    assert "oci_layout or docker_archive" in message


def test_docker_cli_without_an_engine_is_named_and_buildah_not_tried_when_docker_is_asked(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", _path_with(tmp_path, docker="echo 'Cannot connect to the Docker daemon' >&2; exit 1",
                                          buildah="exit 0"))
    module = StubModule(_params(_context(tmp_path), builder="docker"))
    with pytest.raises(image_publish.PublishError, match="no engine answers: Cannot connect to the Docker daemon"):
        image_publish.run(module, NoAWS())
    assert not any(os.path.basename(argv[0]) == "buildah" for argv in module.commands)


def test_auto_falls_back_to_buildah_when_docker_has_no_engine(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", _path_with(tmp_path, docker="exit 1", buildah="exit 0"))
    builder, path = image_publish.find_builder(StubModule({}), "auto")
    assert builder == "buildah" and path.endswith("/bin/buildah")


def test_missing_dockerfile_is_refused(tmp_path):
    context = tmp_path / "empty"
    context.mkdir()
    with pytest.raises(image_publish.PublishError, match="has no Dockerfile"):
        image_publish.build_image(StubModule({}), {"context": str(context)}, str(tmp_path))


@pytest.mark.skipif(os.geteuid() != 0, reason="buildah with chroot isolation and vfs storage runs as root")
def test_buildah_really_builds_a_from_scratch_image(tmp_path):
    """buildah (installed by make setup) builds FROM scratch + COPY; --timestamp makes it reproducible."""
    assert shutil.which("buildah"), "buildah is missing: make setup installs it"
    context = _context(tmp_path)
    stamp = int(datetime.datetime(2024, 5, 1, 12, tzinfo=datetime.timezone.utc).timestamp())
    module = StubModule({})
    digests = []
    for attempt in ("one", "two"):
        workdir = tmp_path / attempt
        workdir.mkdir()
        kind, path, builder = image_publish.build_image(
            module, {"context": str(context), "builder": "buildah", "timestamp": stamp}, str(workdir))
        assert (kind, builder) == ("oci_layout", "buildah")
        source = image_publish.load_source(kind, path, None)
        digests.append(source.digest)
    assert digests[0] == digests[1]  # same context and timestamp: same image
    assert source.built_at == datetime.datetime(2024, 5, 1, 12, tzinfo=datetime.timezone.utc)
    layers = [b for b in source.blobs.values() if b.media_type and "layer" in b.media_type]
    assert len(layers) == 1
    with layers[0].open() as handle:
        raw = handle.read()
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw)) as tar:
        names = {m.name.lstrip("./") for m in tar.getmembers()}
        assert "hello.txt" in names
        assert tar.extractfile([m for m in tar.getmembers() if m.name.lstrip("./") == "hello.txt"][0]).read() \
            == b"hello from ecsops\n"
    # the build's image is removed from buildah's storage afterwards
    assert any(argv[-1].startswith("localhost/ecsops-build-") and "rmi" in argv for argv in module.commands)
