"""Per task: wall time, outcome and the AWS API calls the sandbox received while it ran.

Enabled only by benchmarks/environment_bench.py (ANSIBLE_CALLBACKS_ENABLED=bench_calls); reads the
sandbox endpoint from BENCH_SANDBOX_ENDPOINT and writes a JSON list of tasks to BENCH_TASKS_OUT.
The counter is read with GET /_sandbox/calls before and after each task (one control request each,
a few milliseconds, never counted as an AWS call). Tasks run one at a time (one host, linear).
"""

from __future__ import annotations

DOCUMENTATION = """
name: bench_calls
type: aggregate
short_description: per-task time and sandbox API call counts for benchmarks/environment_bench.py
description:
  - Writes one record per task (name, action, seconds, changed, failed, message, API calls by operation).
requirements:
  - the sandbox's C(/_sandbox/calls) control endpoint
"""

import json
import os
import time
import urllib.request

from ansible.plugins.callback import CallbackBase


def _calls(endpoint):
    with urllib.request.urlopen(f"{endpoint}/_sandbox/calls", timeout=10) as response:
        return json.load(response)["by_operation"]


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_calls"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self.endpoint = os.environ.get("BENCH_SANDBOX_ENDPOINT", "").rstrip("/")
        self.out = os.environ.get("BENCH_TASKS_OUT", "")
        self.tasks = []
        self.current = None

    def _close(self):
        if self.current is None:
            return
        task, self.current = self.current, None
        task["seconds"] = round(time.monotonic() - task.pop("_began"), 3)
        before, after = task.pop("_calls"), _calls(self.endpoint) if self.endpoint else {}
        task["calls"] = {op: n - before.get(op, 0) for op, n in after.items() if n - before.get(op, 0)}
        task["total_calls"] = sum(task["calls"].values())
        self.tasks.append(task)

    def _open(self, task):
        self._close()
        self.current = {"name": task.get_name(), "action": task.action, "changed": False, "failed": False,
                        "skipped": False, "message": "", "api_calls": None,
                        "_calls": _calls(self.endpoint) if self.endpoint else {}, "_began": time.monotonic()}

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._open(task)

    def v2_playbook_on_handler_task_start(self, task):
        self._open(task)

    def _result(self, result, failed=False, skipped=False):
        if self.current is None:
            return
        res = result._result
        self.current["changed"] |= bool(res.get("changed"))
        self.current["failed"] |= failed
        self.current["skipped"] = skipped and not self.current["changed"]
        if failed:
            self.current["message"] = str(res.get("msg", ""))[:400]
        if isinstance(res.get("api_calls"), (int, dict)):
            self.current["api_calls"] = res["api_calls"]

    def v2_runner_on_ok(self, result):
        self._result(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._result(result, failed=True)

    def v2_runner_on_skipped(self, result):
        self._result(result, skipped=True)

    def v2_runner_on_unreachable(self, result):
        self._result(result, failed=True)

    def v2_playbook_on_stats(self, stats):
        self._close()
        if self.out:
            with open(self.out, "w", encoding="utf-8") as handle:
                json.dump(self.tasks, handle, indent=1)
