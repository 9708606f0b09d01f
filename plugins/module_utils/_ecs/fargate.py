# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Fargate task sizes: the cpu/memory table AWS documents, and parsing of "1 vCPU" / "2 GB". Pure functions.

https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size
"""

from __future__ import annotations

import re


class TaskSizeError(ValueError):
    """The task cpu/memory pair is not one Fargate accepts."""


def _range(low_gib, high_gib, step_gib):
    return tuple(range(low_gib * 1024, high_gib * 1024 + 1, step_gib * 1024))


# cpu units -> allowed memory in MiB
FARGATE_SIZES = {
    256: (512, 1024, 2048),
    512: _range(1, 4, 1),
    1024: _range(2, 8, 1),
    2048: _range(4, 16, 1),
    4096: _range(8, 30, 1),
    8192: _range(16, 60, 4),
    16384: _range(32, 120, 8),
}

_VCPU = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*vcpu\s*$", re.IGNORECASE)
_GB = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*gb\s*$", re.IGNORECASE)


def parse_cpu(value):
    """CPU units as an int from 256, "256" or "0.25 vCPU"; raises TaskSizeError."""
    return _parse(value, _VCPU, 1024, "cpu")


def parse_memory(value):
    """Memory in MiB as an int from 512, "512" or "0.5 GB"; raises TaskSizeError."""
    return _parse(value, _GB, 1024, "memory")


def _parse(value, unit_pattern, factor, what):
    if isinstance(value, bool) or value is None:
        raise TaskSizeError(f"{what} must be a number, got {value!r}")
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if text.isdigit():
        return int(text)
    match = unit_pattern.match(text)
    if match:
        amount = float(match.group(1)) * factor
        if amount.is_integer():
            return int(amount)
    raise TaskSizeError(f"{what} '{value}' is not understood: give units ({'256' if what == 'cpu' else '512'}) "
                        f"or '{'0.25 vCPU' if what == 'cpu' else '0.5 GB'}'")


def validate_task_size(cpu, memory):
    """Return (cpu, memory) as the strings ECS stores ("256", "512"), or raise TaskSizeError saying what fits."""
    cpu_units = parse_cpu(cpu)
    memory_mib = parse_memory(memory)
    if cpu_units not in FARGATE_SIZES:
        raise TaskSizeError(
            f"cpu {cpu} is not a Fargate size; choose one of {', '.join(str(c) for c in FARGATE_SIZES)}")
    allowed = FARGATE_SIZES[cpu_units]
    if memory_mib not in allowed:
        raise TaskSizeError(
            f"memory {memory} does not fit cpu {cpu_units} on Fargate; with cpu {cpu_units} memory must be "
            f"{_describe(allowed)} MiB")
    return str(cpu_units), str(memory_mib)


def _describe(allowed):
    if len(allowed) <= 3:
        return ", ".join(str(m) for m in allowed)
    return f"{allowed[0]} to {allowed[-1]} in steps of {allowed[1] - allowed[0]}"
