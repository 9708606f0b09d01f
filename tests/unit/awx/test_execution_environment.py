"""execution-environment.yml: ansible-builder accepts it and the context it writes installs what we test with."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]
BUILDER = Path(sys.executable).with_name("ansible-builder")


def version():
    return yaml.safe_load((ROOT / "galaxy.yml").read_text())["version"]


def test_the_ee_installs_the_tarball_make_build_writes():
    collections = yaml.safe_load((ROOT / "ee" / "requirements.yml").read_text())["collections"]
    assert {"name": f"collections/ecsops-fargate-{version()}.tar.gz", "type": "file"} in collections
    assert {c["name"] for c in collections} >= {"amazon.aws", "community.aws"}


def test_ansible_builder_writes_a_context_with_our_pins(tmp_path):
    for name in ("execution-environment.yml", "requirements.txt"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "ee", tmp_path / "ee")
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / f"ecsops-fargate-{version()}.tar.gz").write_bytes(b"")  # stands in for `make build`
    done = subprocess.run([str(BUILDER), "create", "-f", "execution-environment.yml", "-c", "context"],
                          cwd=tmp_path, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    context = tmp_path / "context"
    recipe = next(p for p in (context / "Containerfile", context / "Dockerfile") if p.exists()).read_text()
    assert "ansible-core==2.19.14" in recipe and "ansible-runner==2.4.3" in recipe
    build = context / "_build"
    assert (build / "collections" / f"ecsops-fargate-{version()}.tar.gz").exists()
    pins = (ROOT / "requirements.txt").read_text()
    assert "boto3==" in pins and (build / "requirements.txt").read_text() == pins
    assert "buildah" in (build / "bindep.txt").read_text()
