"""Run one of the repository's playbooks the way AWX does: ansible-runner, the repository as the project,
an inventory from the project, extra variables. Prints one JSON object for the calling task:

    {"rc": 0, "status": "successful", "changed": 3, "failed": 0, "summary": [...], "stdout_tail": "..."}

`changed` and `failed` add up the play recap over hosts; `summary` is deploy.yml's closing table (the
msg of its "What was deployed" task) when the playbook printed one.
    python run_playbook.py <project dir> <playbook> <inventory> <private data dir> '<extravars json>' [limit]
"""

import json
import os
import sys

import ansible_runner


def main(project, playbook, inventory, private_data_dir, extravars, limit=None):
    os.makedirs(private_data_dir, exist_ok=True)
    summary = []

    def on_event(event):
        data = event.get("event_data", {})
        if event.get("event") == "runner_on_ok" and data.get("task") == "What was deployed":
            summary.extend(data.get("res", {}).get("msg") or [])
        return True

    run = ansible_runner.run(
        private_data_dir=private_data_dir, project_dir=project, playbook=playbook,
        inventory=os.path.join(project, inventory), extravars=json.loads(extravars), limit=limit,
        envvars={"ANSIBLE_CONFIG": os.path.join(project, "ansible.cfg")}, quiet=True, event_handler=on_event)
    stats = run.stats or {}
    print(json.dumps({
        "rc": run.rc, "status": run.status,
        "changed": sum((stats.get("changed") or {}).values()),
        "failed": sum((stats.get("failures") or {}).values()) + sum((stats.get("dark") or {}).values()),
        "summary": summary,
        "stdout_tail": run.stdout.read()[-4000:],
    }))


if __name__ == "__main__":
    main(*sys.argv[1:])
