# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filters for playbooks/deploy.yml: the rollout waves and the closing summary (docs: deploy_waves.yml,
deploy_summary.yml beside this file)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError


def deploy_waves(calls):
    """``{service: [services it calls]}`` -> ``{service: wave}``. Raises AnsibleFilterError on a cycle."""
    if not isinstance(calls, dict):
        raise AnsibleFilterError(f"deploy_waves expects a mapping of service to the services it calls, not {type(calls).__name__}")
    calls = {name: [c for c in (callees or []) if c in calls and c != name] for name, callees in calls.items()}
    waves = {}
    remaining = dict(calls)
    wave = 0
    while remaining:
        ready = sorted(name for name, callees in remaining.items() if all(c in waves for c in callees))
        if not ready:
            raise AnsibleFilterError("services call each other in a cycle, so no rollout order exists: "
                                     + ", ".join(f"{n} -> {', '.join(c)}" for n, c in sorted(remaining.items())))
        for name in ready:
            waves[name] = wave
            del remaining[name]
        wave += 1
    return waves


def deploy_summary(rows):
    """Rows ``{service, before, after, digest, seconds, url, outcome}`` -> aligned text lines for the log."""
    headers = ("service", "revision", "image", "time", "outcome", "url")
    table = [headers]
    for row in sorted(rows or [], key=lambda r: r.get("service", "")):
        before, after = _revision(row.get("before")), _revision(row.get("after"))
        if before == after or not after:
            revision = after or before or "-"
        else:
            revision = f"{before} -> {after}" if before else f"{after} (new)"
        digest = (row.get("digest") or "").replace("sha256:", "")[:12] or "-"
        seconds = row.get("seconds")
        table.append((row.get("service", "?"), revision, digest, "-" if seconds is None else f"{float(seconds):.0f} s",
                      row.get("outcome") or "-", row.get("url") or "-"))
    widths = [max(len(str(r[i])) for r in table) for i in range(len(headers))]
    return ["  ".join(str(value).ljust(width) for value, width in zip(r, widths)).rstrip() for r in table]


def _revision(arn):
    """``arn:...:task-definition/api:7`` -> ``api:7``."""
    return (arn or "").rsplit("/", 1)[-1]


class FilterModule:
    def filters(self):
        return {"deploy_waves": deploy_waves, "deploy_summary": deploy_summary}
