"""Fixtures shared by the module_utils tests."""

from __future__ import annotations

import moto
import pytest


@pytest.fixture(name="aws")
def fixture_aws(monkeypatch):
    """moto in-process for the runners tested end to end (no network). A test file with a fixture of its own named
    ``aws`` (botocore Stubbers) overrides this one."""
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    with moto.mock_aws():
        yield
