# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Task definitions: validate module arguments, build the RegisterTaskDefinition request, normalise
what AWS returns, compare. Pure functions: no AWS call here.

The comparison is made on every field that changes what runs (task cpu and memory, roles, runtime
platform, ephemeral storage, every container field) after both sides went through ``normalise``, which
fills in or drops what AWS adds by default (container cpu 0, hostPort = containerPort, protocol tcp,
health check interval 30 / timeout 5 / retries 3, 20 GiB ephemeral storage, X86_64/LINUX, empty lists).
"""

from __future__ import annotations

import copy
import re

from ansible_collections.ecsops.fargate.plugins.module_utils._ecs.fargate import validate_task_size

NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
DEPENDENCY_CONDITIONS = ("START", "COMPLETE", "SUCCESS", "HEALTHY")

# What RegisterTaskDefinition takes and a revision describes; the rest of a described revision
# (revision, status, requiresAttributes, compatibilities, registeredAt, ...) is AWS's bookkeeping.
TASK_FIELDS = (
    "family", "taskRoleArn", "executionRoleArn", "networkMode", "containerDefinitions", "volumes",
    "requiresCompatibilities", "cpu", "memory", "runtimePlatform", "ephemeralStorage", "pidMode",
    "ipcMode", "proxyConfiguration", "placementConstraints",
)
HEALTH_CHECK_DEFAULTS = {"interval": 30, "timeout": 5, "retries": 3}
DEFAULT_EPHEMERAL_GIB = 20
DEFAULT_RUNTIME_PLATFORM = {"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"}


class TaskDefinitionError(ValueError):
    """The arguments cannot make a valid Fargate task definition."""


# --- validation (before any call) ---------------------------------------------------------

def validate(params):
    """Raise TaskDefinitionError for any argument AWS would reject, before anything is written."""
    errors = []
    try:
        validate_task_size(params["cpu"], params["memory"])
    except ValueError as e:
        errors.append(str(e))
    family = params.get("family") or params.get("name")
    if not NAME.match(family or ""):
        errors.append(f"family '{family}' must be 1 to 255 letters, digits, '-' or '_'")
    containers = params.get("containers") or []
    if not containers:
        errors.append("containers must name at least one container")
    names = [c["name"] for c in containers]
    for name in names:
        if not NAME.match(name or ""):
            errors.append(f"container name '{name}' must be 1 to 255 letters, digits, '-' or '_'")
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        errors.append(f"container names must be unique: {', '.join(duplicates)}")
    if containers and not any(c.get("essential", True) is not False for c in containers):
        errors.append("at least one container must be essential")
    port_names = []
    for container in containers:
        errors.extend(_container_errors(container, names))
        port_names.extend(p["name"] for p in container.get("ports") or [] if p.get("name"))
    duplicates = sorted({n for n in port_names if port_names.count(n) > 1})
    if duplicates:
        errors.append(f"port names must be unique in a task definition: {', '.join(duplicates)}")
    errors.extend(_load_balancer_errors(params.get("load_balancers") or [], containers))
    storage = params.get("ephemeral_storage_gib")
    if storage is not None and not 21 <= storage <= 200:
        errors.append(f"ephemeral_storage_gib {storage} must be between 21 and 200 (20 GiB is the default)")
    if errors:
        raise TaskDefinitionError("; ".join(errors))


def _container_errors(container, names):
    errors = []
    label = f"container '{container['name']}'"
    if not container.get("image"):
        errors.append(f"{label} needs an image")
    for dependency in container.get("depends_on") or []:
        if dependency["container_name"] not in names:
            errors.append(f"{label} depends on unknown container '{dependency['container_name']}'")
        elif dependency["container_name"] == container["name"]:
            errors.append(f"{label} cannot depend on itself")
    for key in container.get("environment") or {}:
        if not ENV_NAME.match(key):
            errors.append(f"{label}: environment variable name '{key}' is not valid")
    secret_names = []
    for secret in container.get("secrets") or []:
        secret_names.append(secret["name"])
        sources = [k for k in ("ssm_parameter", "secrets_manager_secret") if secret.get(k)]
        if len(sources) != 1:
            errors.append(f"{label}: secret '{secret['name']}' needs exactly one of ssm_parameter or "
                          f"secrets_manager_secret")
        if secret.get("json_key") and not secret.get("secrets_manager_secret"):
            errors.append(f"{label}: secret '{secret['name']}' json_key works only with secrets_manager_secret")
    clash = sorted(set(secret_names) & set(container.get("environment") or {}))
    if clash:
        errors.append(f"{label}: {', '.join(clash)} set both as environment and as secret")
    ports = [p["container_port"] for p in container.get("ports") or []]
    if len(ports) != len(set(ports)):
        errors.append(f"{label}: a container port is mapped twice")
    for port in ports:
        if not 1 <= port <= 65535:
            errors.append(f"{label}: container port {port} is out of range")
    return errors


def _load_balancer_errors(load_balancers, containers):
    errors = []
    by_name = {c["name"]: c for c in containers}
    for lb in load_balancers:
        container = by_name.get(lb["container_name"])
        if container is None:
            errors.append(f"load balancer for target group '{lb['target_group']}' names unknown container "
                          f"'{lb['container_name']}' (containers: {', '.join(sorted(by_name))})")
            continue
        ports = [p["container_port"] for p in container.get("ports") or []]
        if lb["container_port"] not in ports:
            errors.append(f"load balancer for target group '{lb['target_group']}': container "
                          f"'{lb['container_name']}' has no port {lb['container_port']} "
                          f"(ports: {', '.join(str(p) for p in ports) or 'none'})")
    return errors


# --- references the build needs resolved (secrets, log groups) ---------------------------------

def secret_references(containers):
    """Unique (kind, reference) pairs, kind 'ssm' or 'secretsmanager', in argument order."""
    seen = []
    for container in containers:
        for secret in container.get("secrets") or []:
            ref = ("ssm", secret["ssm_parameter"]) if secret.get("ssm_parameter") else \
                ("secretsmanager", secret["secrets_manager_secret"])
            if ref not in seen:
                seen.append(ref)
    return seen


def log_groups(containers):
    return sorted({c["log"]["group"] for c in containers if c.get("log")})


# --- build ------------------------------------------------------------------------------------

def build(params, secret_arns, region, execution_role_arn=None, task_role_arn=None):
    """The RegisterTaskDefinition request (camelCase) for the module arguments.

    :param secret_arns: {(kind, reference): arn} for every pair of ``secret_references``.
    """
    cpu, memory = validate_task_size(params["cpu"], params["memory"])
    request = {
        "family": params.get("family") or params["name"],
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "cpu": cpu,
        "memory": memory,
        "containerDefinitions": [_container(c, secret_arns, region) for c in params["containers"]],
    }
    if execution_role_arn:
        request["executionRoleArn"] = execution_role_arn
    if task_role_arn:
        request["taskRoleArn"] = task_role_arn
    platform = params.get("runtime_platform") or {}
    if platform:
        request["runtimePlatform"] = {
            "cpuArchitecture": platform.get("cpu_architecture") or "X86_64",
            "operatingSystemFamily": platform.get("operating_system_family") or "LINUX",
        }
    if params.get("ephemeral_storage_gib"):
        request["ephemeralStorage"] = {"sizeInGiB": params["ephemeral_storage_gib"]}
    return request


def _container(args, secret_arns, region):
    out = {"name": args["name"], "image": args["image"], "essential": args.get("essential", True) is not False}
    simple = (("cpu", "cpu"), ("memory", "memory"), ("memory_reservation", "memoryReservation"),
              ("command", "command"), ("entry_point", "entryPoint"), ("working_directory", "workingDirectory"),
              ("user", "user"), ("readonly_root_filesystem", "readonlyRootFilesystem"),
              ("stop_timeout", "stopTimeout"))
    for key, field in simple:
        if args.get(key) is not None:
            out[field] = args[key]
    ports = []
    for port in args.get("ports") or []:
        mapping = {"containerPort": port["container_port"], "hostPort": port["container_port"],
                   "protocol": port.get("protocol") or "tcp"}
        if port.get("name"):
            mapping["name"] = port["name"]
        if port.get("app_protocol"):
            mapping["appProtocol"] = port["app_protocol"]
        ports.append(mapping)
    if ports:
        out["portMappings"] = ports
    if args.get("environment"):
        out["environment"] = [{"name": k, "value": str(v)} for k, v in sorted(args["environment"].items())]
    secrets = []
    for secret in args.get("secrets") or []:
        if secret.get("ssm_parameter"):
            value_from = secret_arns[("ssm", secret["ssm_parameter"])]
        else:
            value_from = secret_arns[("secretsmanager", secret["secrets_manager_secret"])]
            if secret.get("json_key"):
                value_from = f"{value_from}:{secret['json_key']}::"
        secrets.append({"name": secret["name"], "valueFrom": value_from})
    if secrets:
        out["secrets"] = sorted(secrets, key=lambda s: s["name"])
    log = args.get("log")
    if log:
        out["logConfiguration"] = {"logDriver": "awslogs", "options": {
            "awslogs-group": log["group"],
            "awslogs-region": log.get("region") or region,
            "awslogs-stream-prefix": log.get("stream_prefix") or args["name"],
        }}
    check = args.get("health_check")
    if check:
        health = {"command": list(check["command"])}
        for key, field in (("interval", "interval"), ("timeout", "timeout"), ("retries", "retries"),
                           ("start_period", "startPeriod")):
            if check.get(key) is not None:
                health[field] = check[key]
        out["healthCheck"] = health
    depends = [{"containerName": d["container_name"], "condition": d.get("condition") or "START"}
               for d in args.get("depends_on") or []]
    if depends:
        out["dependsOn"] = depends
    return out


# --- normalise and compare --------------------------------------------------------------------

def normalise(definition):
    """The fields that matter of a task definition (request or described revision), AWS defaults removed."""
    if not definition:
        return {}
    out = {k: copy.deepcopy(definition[k]) for k in TASK_FIELDS if k in definition}
    for key in ("cpu", "memory"):
        if out.get(key) is not None:
            out[key] = str(out[key])
    out["requiresCompatibilities"] = sorted(out.get("requiresCompatibilities") or [])
    out["containerDefinitions"] = sorted((_normalise_container(c) for c in out.get("containerDefinitions") or []),
                                         key=lambda c: c.get("name", ""))
    if out.get("runtimePlatform") == DEFAULT_RUNTIME_PLATFORM:
        del out["runtimePlatform"]
    if (out.get("ephemeralStorage") or {}).get("sizeInGiB") == DEFAULT_EPHEMERAL_GIB:
        del out["ephemeralStorage"]
    return _prune(out)


def _normalise_container(container):
    out = copy.deepcopy(container)
    if out.get("cpu") == 0:
        del out["cpu"]
    out.setdefault("essential", True)
    for mapping in out.get("portMappings") or []:
        mapping.setdefault("protocol", "tcp")
        if mapping.get("hostPort") in (None, 0):
            mapping["hostPort"] = mapping.get("containerPort")
    if out.get("portMappings"):
        out["portMappings"] = sorted(out["portMappings"],
                                     key=lambda m: (m.get("containerPort") or 0, m.get("protocol")))
    for key in ("environment", "secrets"):
        if out.get(key):
            out[key] = sorted(out[key], key=lambda e: e.get("name", ""))
    if out.get("dependsOn"):
        out["dependsOn"] = sorted(out["dependsOn"], key=lambda d: d.get("containerName", ""))
    if out.get("healthCheck"):
        out["healthCheck"] = dict(HEALTH_CHECK_DEFAULTS, **out["healthCheck"])
        if out["healthCheck"].get("startPeriod") == 0:
            del out["healthCheck"]["startPeriod"]
    return out


def _prune(value):
    """Drop None, empty lists and empty dicts, recursively (AWS returns [] for what was never set)."""
    if isinstance(value, dict):
        pruned = {k: _prune(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v not in (None, [], {})}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value


def differences(desired, current):
    """Paths where the normalised definitions differ, e.g. ['cpu', 'containerDefinitions[web].image']."""
    return _diff(normalise(desired), normalise(current), "")


def _diff(a, b, path):
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in sorted(set(a) | set(b)):
            out.extend(_diff(a.get(key), b.get(key), f"{path}.{key}" if path else key))
        return out
    if isinstance(a, list) and isinstance(b, list) and path.endswith("containerDefinitions"):
        left = {c.get("name"): c for c in a}
        right = {c.get("name"): c for c in b}
        out = []
        for name in sorted(set(left) | set(right)):
            out.extend(_diff(left.get(name), right.get(name), f"{path}[{name}]"))
        return out
    return [] if a == b else [path]


def same(desired, current):
    return not differences(desired, current)


# --- housekeeping ------------------------------------------------------------------------------

def family_and_revision(arn):
    """('api', 7) from arn:aws:ecs:...:task-definition/api:7 (or api:7); (None, None) otherwise."""
    name = (arn or "").rsplit("/", 1)[-1]
    family, revision = name.rpartition(":")[::2]
    if not family or not revision.isdigit():
        return None, None
    return family, int(revision)


def revisions_to_deregister(arns, family, keep, in_use):
    """The ACTIVE revisions of ``family`` to deregister: all but the newest ``keep``, never one in ``in_use``.

    :param arns: ACTIVE task definition ARNs as ListTaskDefinitions(familyPrefix) returns them; other
        families that share the prefix (``api-worker`` for ``api``) are ignored.
    :param in_use: task definition ARNs some service still uses (any of its deployments).
    Returns ARNs, oldest first. Revisions in use still count towards ``keep``.
    """
    if keep is None or keep < 1:
        raise ValueError(f"keep_revisions must be at least 1, not {keep}")
    mine = sorted((family_and_revision(a)[1], a) for a in arns if family_and_revision(a)[0] == family)
    newest_first = [pair[1] for pair in reversed(mine)]
    used = {family_and_revision(a) for a in in_use or ()}
    return [a for a in reversed(newest_first[keep:]) if family_and_revision(a) not in used]
