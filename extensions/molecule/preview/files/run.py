"""Run one of the repository's playbooks as CI does (ansible-playbook, inventories/local, extra variables) and print
a compact JSON report for the calling task:

    {"rc": 0, "changed": 2, "failed": 0, "msgs": {"<task name>": <its msg or result>}, "errors": ["..."], "seconds": 7.1}

    python run.py <project dir> <playbook> '<extravars json>' [--check]
"""

import json
import os
import subprocess
import sys
import time


def main(project, playbook, extravars, *flags):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(project, "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="ansible.posix.json")
    started = time.monotonic()
    done = subprocess.run(["ansible-playbook", os.path.join("playbooks", playbook), "-i", "inventories/local",
                           "-e", extravars, *flags], cwd=project, env=env, capture_output=True, text=True, check=False)
    report = {"rc": done.returncode, "changed": 0, "failed": 0, "msgs": {}, "errors": [],
              "seconds": round(time.monotonic() - started, 1)}
    try:
        out = json.loads(done.stdout)
    except ValueError:
        report["errors"].append((done.stdout + done.stderr)[-3000:])
        print(json.dumps(report))
        return
    for host_stats in (out.get("stats") or {}).values():
        report["changed"] += host_stats.get("changed", 0)
        report["failed"] += host_stats.get("failures", 0) + host_stats.get("unreachable", 0)
    for play in out.get("plays") or []:
        for task in play.get("tasks") or []:
            for result in (task.get("hosts") or {}).values():
                if result.get("skipped"):
                    continue
                report["msgs"][task["task"]["name"]] = result.get("msg", result.get("changed"))
                if result.get("failed") and not result.get("ignore_errors"):
                    report["errors"].append(f"{task['task']['name']}: {result.get('msg')}")
    print(json.dumps(report))


if __name__ == "__main__":
    main(*sys.argv[1:])
