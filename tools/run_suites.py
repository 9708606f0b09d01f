"""Run the test suites of `make test`, each to the end, and print one summary line per suite.

    python tools/run_suites.py                 # every suite, in order
    python tools/run_suites.py unit sanity     # some of them

Every suite runs even when an earlier one failed; the exit status is 1 if any suite
failed or ran no test at all. Full output goes to the console and to
tests/output/suites/<suite>.log; machine-readable results (JUnit, SARIF) sit beside it.
Run it with the project venv's python (the Makefile does).
"""

from __future__ import annotations

import dataclasses
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import types
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "output" / "suites"
BIN = Path(sys.executable).parent
PY = sys.executable
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]|\x1b\]8;;[^\x1b]*\x1b\\")

# Not collection content, and gated elsewhere: the sandbox by its own pytest suite.
# .collections is the symlink back to the checkout.
SANITY_EXCLUDE = ("sandbox/", "tests/sandbox/", "benchmarks/", ".collections/")
SANITY_DEPENDENCIES = ("amazon/aws", "community/aws")


@dataclasses.dataclass
class Result:
    name: str
    passed: int = 0
    failed: int = 0
    unit: str = "tests"
    notes: list = dataclasses.field(default_factory=list)
    returncode: int = 0
    seconds: float = 0.0

    @property
    def ok(self):
        # A suite that ran nothing proves nothing.
        return self.returncode == 0 and self.failed == 0 and self.passed > 0


def _env():
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("ANSIBLE_CONFIG", str(ROOT / "ansible.cfg"))
    env["NO_COLOR"] = "1"
    env["ANSIBLE_NOCOLOR"] = "1"
    env["PY_COLORS"] = "0"
    return env


def _run(name, argv, cwd=ROOT, env=None):
    """Run argv, streaming its output to the console and to the suite's log; return (rc, text)."""
    log_path = OUT / f"{name}.log"
    print(f"\n==> [{name}] {' '.join(str(a) for a in argv)}", flush=True)
    chunks = []
    with open(log_path, "w", encoding="utf-8") as log:
        try:
            proc = subprocess.Popen(
                [str(a) for a in argv],
                cwd=cwd,
                env=env or _env(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                errors="replace",
            )
        except OSError as e:
            log.write(f"{e}\n")
            print(e, flush=True)
            return 127, str(e)
        for line in proc.stdout:
            sys.stdout.write(line)
            log.write(line)
            chunks.append(line)
        rc = proc.wait()
    sys.stdout.flush()
    return rc, ANSI.sub("", "".join(chunks))


def _junit_counts(paths):
    """(passed, failed, skipped [(name, reason)]) over JUnit files from pytest or ansible-test."""
    passed, failed, skipped = 0, 0, []
    for path in paths:
        for case in ET.parse(path).getroot().iter("testcase"):
            if case.find("failure") is not None or case.find("error") is not None:
                failed += 1
            elif case.find("skipped") is not None:
                skip = case.find("skipped")
                # ansible-test names cases "<test>-python-3.11"; the test name is enough here.
                name = re.sub(r"-python-[0-9.]+$", "", case.get("name"))
                skipped.append((name, (skip.text or skip.get("message") or "").strip()))
            else:
                passed += 1
    return passed, failed, skipped


# Suites


def lint(result):
    sarif = OUT / "lint.sarif"
    sarif.unlink(missing_ok=True)
    # Profile, offline mode and exclusions come from .ansible-lint.
    rc, text = _run("lint", [BIN / "ansible-lint", "--sarif-file", sarif])
    processed = re.search(r"in (\d+) files processed", text)
    bad_files, violations = set(), 0
    if sarif.exists():
        for run in json.loads(sarif.read_text()).get("runs", []):
            for item in run.get("results", []):
                if item.get("level", "error") == "error":
                    violations += 1
                    for loc in item.get("locations", []):
                        bad_files.add(loc["physicalLocation"]["artifactLocation"]["uri"])
    files = int(processed.group(1)) if processed else 0
    result.unit = "files"
    result.passed, result.failed = files - len(bad_files), len(bad_files)
    result.notes.append(f"{violations} violation(s), profile production")
    result.returncode = rc


def _sanity_bootstrap():
    """Let ansible-test build its sanity venvs without reaching ci-files.testing.ansible.com.

    ansible-test (even with --local) creates one venv per sanity test and bootstraps pip
    into it with a get-pip.py it downloads from that host. It first looks in its cache,
    so we place there the pip wheel (from PyPI) and tools/sanity_get_pip.py as the script.
    The venvs then install ansible-test's own pinned requirements from PyPI, once; they
    are cached in ~/.ansible/test/venv.
    """
    from ansible_test._internal.python_requirements import get_venv_packages  # pylint: disable=import-outside-toplevel

    version = get_venv_packages(types.SimpleNamespace(version=f"{sys.version_info[0]}.{sys.version_info[1]}"))["pip"]
    cache = Path.home() / ".ansible" / "test" / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    if not glob.glob(str(cache / f"pip-{version}-*.whl")):
        subprocess.run([PY, "-m", "pip", "download", "--no-deps", "--dest", cache, f"pip=={version}"], check=True)
    script = cache / f"get_pip_{version.replace('.', '_')}.py"
    shutil.copyfile(ROOT / "tools" / "sanity_get_pip.py", script)


def _sanity_tree(top):
    """Copy the collection to <top>/ansible_collections/ecsops/fargate, dependencies beside it."""
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout.split("\0")
    dest = top / "ansible_collections" / "ecsops" / "fargate"
    for rel in files:
        src = ROOT / rel
        if not rel or rel.startswith(SANITY_EXCLUDE) or not src.is_file() or src.is_symlink():
            continue
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest / rel)
    import ansible_collections  # pylint: disable=import-outside-toplevel

    for dep in SANITY_DEPENDENCIES:
        src = next(Path(p) / dep for p in ansible_collections.__path__ if (Path(p) / dep).is_dir())
        shutil.copytree(src, top / "ansible_collections" / dep, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def sanity(result):
    _sanity_bootstrap()
    top = Path(tempfile.mkdtemp(prefix="ecsops-sanity-"))
    try:
        tree = _sanity_tree(top)
        py = f"{sys.version_info[0]}.{sys.version_info[1]}"
        rc, _text = _run("sanity", [BIN / "ansible-test", "sanity", "--local", "--python", py, "--junit", "--color", "no"], cwd=tree)
        junit = sorted(glob.glob(str(tree / "tests" / "output" / "junit" / "*.xml")))
        shutil.rmtree(OUT / "sanity-junit", ignore_errors=True)
        (OUT / "sanity-junit").mkdir()
        for path in junit:
            shutil.copy2(path, OUT / "sanity-junit")
        passed, failed, skipped = _junit_counts(junit)
    finally:
        shutil.rmtree(top, ignore_errors=True)
    result.passed, result.failed, result.returncode = passed, failed, rc
    not_applicable = [n for n, reason in skipped if reason == "No tests applicable."]
    other = [f"{n} ({reason})" for n, reason in skipped if reason != "No tests applicable."]
    if not_applicable:
        result.notes.append(f"no files to check yet: {', '.join(not_applicable)}")
    if other:
        # ansible-test skips a test whose tool is missing; that must not pass silently.
        result.notes.append(f"SKIPPED: {', '.join(other)}")
        result.failed += len(other)


def _pytest(name, result, *args):
    xml = OUT / f"{name}.xml"
    xml.unlink(missing_ok=True)
    # `python -m pytest` puts the repository root on sys.path (tests/sandbox imports `sandbox`).
    rc, _text = _run(name, [PY, "-m", "pytest", "-p", "no:cacheprovider", f"--junitxml={xml}", *args])
    if xml.exists():
        result.passed, result.failed, skipped = _junit_counts([xml])
        if skipped:
            result.notes.append(f"{len(skipped)} skipped")
    result.returncode = rc


def unit(result):
    _pytest("unit", result, "tests/unit")


def sandbox(result):
    if not (ROOT / "tests" / "sandbox").is_dir():
        result.notes.append("tests/sandbox does not exist")
        result.returncode = 1
        return
    _pytest("sandbox", result, "-n", "2", "tests/sandbox")


def molecule(result):
    scenarios_dir = ROOT / "extensions" / "molecule"
    expected = sorted(
        p.parent.relative_to(scenarios_dir).as_posix() for p in scenarios_dir.glob("**/molecule.yml") if p.parent.name != "default"
    )
    # With shared_state the default scenario starts the sandbox first and stops it last. Its state lives in a
    # fresh directory per run: the default one (under ~/.ansible/tmp, keyed by the checkout's path) survives a
    # killed run and says "already created", so the next run would skip starting the sandbox.
    env = _env()
    own_state = "MOLECULE_EPHEMERAL_DIRECTORY" not in env
    if own_state:
        env["MOLECULE_EPHEMERAL_DIRECTORY"] = tempfile.mkdtemp(prefix="ecsops-molecule-")
    try:
        rc, text = _run("molecule", [BIN / "molecule", "test", "--all"], env=env)
    finally:
        if own_state:
            shutil.rmtree(env["MOLECULE_EPHEMERAL_DIRECTORY"], ignore_errors=True)
    recap = dict(re.findall(r"^(\S+)\s+: actions=\d+\s+successful=\d+.*failed=(\d+)", text, re.M))
    ran_ok = [s for s in expected if recap.get(s) == "0"]
    result.unit = "scenarios"
    result.passed = len(ran_ok)
    result.failed = len(expected) - len(ran_ok)
    missing = [s for s in expected if s not in recap]
    if missing:
        result.notes.append(f"did not run: {', '.join(missing)}")
    if "default" in recap and recap["default"] != "0":
        result.notes.append("sandbox lifecycle (default scenario) failed")
        result.failed += 1
    result.notes.append(f"scenarios: {', '.join(expected) or 'none'}")
    result.returncode = rc


SUITES = {
    "lint": ("ansible-lint", lint),
    "unit": ("pytest tests/unit", unit),
    "sanity": ("ansible-test sanity", sanity),
    "sandbox": ("pytest tests/sandbox", sandbox),
    "molecule": ("molecule", molecule),
}


def main(argv):
    names = argv or list(SUITES)
    unknown = [n for n in names if n not in SUITES]
    if unknown:
        print(f"unknown suite(s): {', '.join(unknown)}; choose from {', '.join(SUITES)}", file=sys.stderr)
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    results = []
    started = time.monotonic()
    for name in names:
        result = Result(name)
        t0 = time.monotonic()
        try:
            SUITES[name][1](result)
        except Exception as e:  # pylint: disable=broad-except
            # One broken suite must not stop the others.
            result.returncode = result.returncode or 1
            result.notes.append(f"runner error: {e!r}")
        result.seconds = time.monotonic() - t0
        results.append(result)

    print("\n" + "=" * 30 + " summary " + "=" * 30)
    for r in results:
        status = "PASS" if r.ok else "FAIL"
        extra = f"  [{'; '.join(r.notes)}]" if r.notes else ""
        exit_note = f" exit={r.returncode}" if r.returncode else ""
        print(
            f"{status}  {r.name:<9} {SUITES[r.name][0]:<22} passed {r.passed:>4}  failed {r.failed:>3}"
            f"  ({r.unit}){exit_note}  {r.seconds:6.1f}s{extra}"
        )
    failed = [r.name for r in results if not r.ok]
    total = time.monotonic() - started
    print(f"{'FAILED: ' + ', '.join(failed) if failed else 'ALL PASSED'}  ({total:.0f}s; logs in {OUT.relative_to(ROOT)}/)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
