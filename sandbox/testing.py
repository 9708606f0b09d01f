"""pytest fixtures: one sandbox process per test session (per xdist worker), reset per test.

Use from a conftest.py:  pytest_plugins = ["sandbox.testing"]
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .client import SandboxClient

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def sandbox_endpoint(tmp_path_factory):
    """Start `python -m sandbox start --port 0` and stop it by its pidfile at the end."""
    workdir = tmp_path_factory.mktemp("sandbox")
    pidfile = workdir / "sandbox.pid"
    profile = os.environ.get("SANDBOX_PROFILE", "fast")
    out = subprocess.run(
        [sys.executable, "-m", "sandbox", "start", "--port", "0", "--profile", profile, "--pidfile", str(pidfile)],
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )
    if out.returncode != 0:
        log = (workdir / "sandbox.log").read_text() if (workdir / "sandbox.log").exists() else ""
        pytest.fail(f"sandbox did not start: {out.stderr}\n{log}")
    endpoint = re.search(r"(http://127\.0\.0\.1:\d+)", out.stdout).group(1)
    yield endpoint
    subprocess.run([sys.executable, "-m", "sandbox", "stop", "--pidfile", str(pidfile)], cwd=REPO,
                   capture_output=True, timeout=30)


@pytest.fixture
def sandbox(sandbox_endpoint):
    """A SandboxClient on a freshly reset sandbox."""
    client = SandboxClient(sandbox_endpoint)
    client.reset()
    return client
