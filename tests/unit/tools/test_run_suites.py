"""The rules `make test` reports by: counts from JUnit, and 'ran nothing' is a failure."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
_spec = importlib.util.spec_from_file_location("run_suites", ROOT / "tools" / "run_suites.py")
run_suites = importlib.util.module_from_spec(_spec)
sys.modules["run_suites"] = run_suites  # dataclasses looks its module up
_spec.loader.exec_module(run_suites)

JUNIT = """<?xml version="1.0" ?>
<testsuites>
  <testsuite name="ansible-test">
    <testcase classname="sanity" name="pep8"/>
    <testcase classname="sanity" name="pylint"><failure message="bad">bad</failure></testcase>
    <testcase classname="sanity" name="validate-modules-python-3.11"><skipped>No tests applicable.</skipped></testcase>
    <testcase classname="sanity" name="shellcheck"><skipped message="shellcheck not found"/></testcase>
    <testcase classname="t" name="broken"><error message="boom"/></testcase>
  </testsuite>
</testsuites>
"""


def test_junit_counts_passed_failed_and_skipped_with_reasons(tmp_path):
    path = tmp_path / "r.xml"
    path.write_text(JUNIT)
    passed, failed, skipped = run_suites._junit_counts([path])
    assert (passed, failed) == (1, 2)
    assert skipped == [("validate-modules", "No tests applicable."), ("shellcheck", "shellcheck not found")]


@pytest.mark.parametrize(
    "passed, failed, returncode, ok",
    [
        (3, 0, 0, True),
        (0, 0, 0, False),  # ran nothing
        (3, 1, 1, False),
        (3, 0, 1, False),  # the tool failed although nothing was counted as failed
    ],
)
def test_a_suite_passes_only_when_it_ran_tests_and_none_failed(passed, failed, returncode, ok):
    result = run_suites.Result("x", passed=passed, failed=failed, returncode=returncode)
    assert result.ok is ok
