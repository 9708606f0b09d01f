# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""ecs_image_publish's runner: source -> tags -> checks -> repository -> blobs -> manifest -> scan -> aliases.

Every check that can refuse the run (source, tags, repository encryption, an alias the repository
would make immutable, a unique tag that already names another digest) happens before the first
write. Aliases move last, after the scan gate, and only forward (tags.alias_decision). ECR has no
compare-and-swap on tags, so a moved alias is read back after ``alias_settle_seconds``: a slower,
older publisher that read the alias before this one wrote it has written by then, and the newer
publisher puts its manifest back. A publisher only writes within ``alias_settle_seconds / 2`` of
its read, which is what makes the window sufficient.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time

from ansible_collections.ecsops.fargate.plugins.module_utils import ecr
from ansible_collections.ecsops.fargate.plugins.module_utils import image_source
from ansible_collections.ecsops.fargate.plugins.module_utils import tags as tag_scheme
from ansible_collections.ecsops.fargate.plugins.module_utils.registry import RegistryClient
from ansible_collections.ecsops.fargate.plugins.module_utils.registry import RegistryError
from ansible_collections.ecsops.fargate.plugins.module_utils.registry import registry_login


class PublishError(Exception):
    """A refusal with a clear message; ``details`` go into the failure result."""

    def __init__(self, message, **details):
        super().__init__(message)
        self.details = details


# -- source ------------------------------------------------------------------------------------

def find_builder(module, preferred="auto"):
    """('docker' | 'buildah', path) of the first usable builder, or raise PublishError."""
    tried = []
    if preferred in ("auto", "docker"):
        docker = module.get_bin_path("docker")
        if docker:
            rc, unused_out, err = module.run_command([docker, "info", "--format", "{{.ServerVersion}}"])
            if rc == 0:
                return "docker", docker
            reason = ((err or "").strip().splitlines() or [f"exit {rc}"])[-1]
            tried.append(f"docker CLI at {docker} but no engine answers: {reason}")
        else:
            tried.append("no docker CLI on PATH")
    if preferred in ("auto", "buildah"):
        buildah = module.get_bin_path("buildah")
        if buildah:
            return "buildah", buildah
        tried.append("no buildah on PATH")
    raise PublishError(f"cannot build the Dockerfile context: no image builder is available ({'; '.join(tried)}); "
                       f"install buildah or run a Docker engine, or publish an oci_layout or docker_archive")


def build_image(module, build, workdir):
    """Build ``build['context']``; returns (source kind, path, builder name)."""
    context = build["context"]
    dockerfile = build.get("dockerfile") or os.path.join(context, "Dockerfile")
    if not os.path.isdir(context):
        raise PublishError(f"build context '{context}' is not a directory")
    if not os.path.isfile(dockerfile):
        raise PublishError(f"build context '{context}' has no Dockerfile ('{dockerfile}')")
    builder, binary = find_builder(module, build.get("builder") or "auto")
    name = f"localhost/ecsops-build-{os.getpid()}-{int(time.time() * 1000)}"
    args = []
    for key, value in sorted((build.get("args") or {}).items()):
        args += ["--build-arg", f"{key}={value}"]
    if build.get("target"):
        args += ["--target", build["target"]]
    if builder == "docker":
        _run(module, [binary, "build", "-t", name, "-f", dockerfile] + args + [context], "docker build")
        archive = os.path.join(workdir, "image.tar")
        try:
            _run(module, [binary, "save", "-o", archive, name], "docker save")
        finally:
            module.run_command([binary, "rmi", name])
        return "docker_archive", archive, builder
    storage = ["--storage-driver", "vfs"]
    if build.get("timestamp") is not None:
        args += ["--timestamp", str(build["timestamp"])]
    _run(module, [binary] + storage + ["bud", "--isolation", "chroot", "-f", dockerfile, "-t", name] + args
         + [context], "buildah bud")
    layout = os.path.join(workdir, "layout")
    try:
        _run(module, [binary] + storage + ["push", name, f"oci:{layout}:build"], "buildah push")
    finally:
        module.run_command([binary] + storage + ["rmi", name])
    return "oci_layout", layout, builder


def _run(module, argv, what):
    rc, out, err = module.run_command(argv)
    if rc != 0:
        tail = "\n".join(((err or "") + (out or "")).strip().splitlines()[-15:])
        raise PublishError(f"{what} failed (exit {rc}): {tail}")
    return out


def load_source(kind, path, ref):
    if kind == "oci_layout":
        return image_source.read_oci_layout(path, ref)
    return image_source.read_docker_archive(path, ref)


# -- registry reads --------------------------------------------------------------------------

def image_built_at(client, repository, raw, media_type):
    """Build time of a manifest in the registry (the first platform's for an index), or None."""
    document = image_source._json(raw, "manifest")  # pylint: disable=protected-access
    if media_type in image_source.INDEX_TYPES or "manifests" in document:
        children = document.get("manifests") or []
        if not children:
            return None
        child = client.get_manifest(repository, children[0]["digest"])
        if child is None:
            return None
        document = image_source._json(child[0], "manifest")  # pylint: disable=protected-access
    annotations = document.get("annotations") or {}
    moment = tag_scheme.parse_timestamp(annotations.get(image_source.CREATED_LABEL))
    if moment is not None:
        return moment
    config = document.get("config") or {}
    if not config.get("digest"):
        return None
    try:
        return image_source.build_time_of_config(client.get_blob_json(repository, config["digest"]))
    except (RegistryError, ValueError):
        return None


def read_tag(client, repository, tag):
    found = client.get_manifest(repository, tag)
    return found[2] if found else None


# -- the run ---------------------------------------------------------------------------------

def run(module, client):
    params = module.params
    workdir = tempfile.mkdtemp(prefix="ecsops-publish-")
    try:
        return _run_publish(module, client, params, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _source_from_params(module, params, workdir):
    builder = None
    if params.get("oci_layout"):
        kind, path = "oci_layout", params["oci_layout"]
    elif params.get("docker_archive"):
        kind, path = "docker_archive", params["docker_archive"]
    else:
        if module.check_mode:
            find_builder(module, params["build"].get("builder") or "auto")
            return None, None
        kind, path, builder = build_image(module, params["build"], workdir)
    try:
        return load_source(kind, path, params.get("source_ref") if not builder else None), builder
    except image_source.ImageSourceError as e:
        raise PublishError(str(e)) from None


def _tags_from_params(params, source):
    built_at = source.built_at if source else None
    if params.get("build_time"):
        built_at = tag_scheme.parse_timestamp(params["build_time"])
        if built_at is None:
            raise PublishError(f"build_time '{params['build_time']}' is not an RFC 3339 timestamp")
    try:
        if source is None and not params.get("unique_tag") and params.get("version") is None:
            unique = None  # a check-mode build: the tag needs the image's build time
        else:
            unique = tag_scheme.unique_tag(
                params.get("commit_sha"), built_at, pull_request=params.get("pull_request"),
                version=params.get("version"), branch=params.get("branch"), explicit=params.get("unique_tag"),
            )
        aliases = params.get("aliases")
        if aliases is None:
            aliases = tag_scheme.default_aliases(params.get("pull_request"), params.get("branch"))
        aliases = [tag_scheme.validate_tag(a, "alias") for a in aliases]
    except tag_scheme.TagError as e:
        raise PublishError(str(e)) from None
    if unique in aliases:
        raise PublishError(f"the unique tag '{unique}' is also listed as an alias")
    return unique, aliases, built_at


def _desired(params):
    lifecycle = params.get("lifecycle") or {}
    policy = None
    if lifecycle:
        policy = ecr.lifecycle_policy(lifecycle.get("keep_last"), lifecycle.get("expire_untagged_days"))
        policy = policy or {"rules": []}
    encryption = params.get("encryption") or {}
    return ecr.desired_repository(
        scan_on_push=params.get("scan_on_push"),
        tag_mutability=params.get("tag_mutability"),
        exclusion_filters=params.get("tag_mutability_exclusion_filters"),
        encryption_type=encryption.get("type"),
        kms_key=encryption.get("kms_key"),
        lifecycle=policy if policy and policy["rules"] else None,
        tags=params.get("tags"),
        purge_tags=params.get("purge_tags"),
    )


def _run_publish(module, ecr_client, params, workdir):
    name = params["repository"]
    source, builder = _source_from_params(module, params, workdir)
    unique, aliases, built_at = _tags_from_params(params, source)

    desired = _desired(params)
    current = ecr.read_repository(ecr_client, name)
    try:
        plan = ecr.plan_repository(current, desired)
    except ecr.RepositoryError as e:
        raise PublishError(str(e)) from None
    after = ecr.after_state(current, desired, name)
    for alias in aliases:
        if ecr.tag_is_immutable(after["tag_mutability"], after["exclusion_filters"], alias):
            raise PublishError(
                f"alias '{alias}' would be immutable in repository '{name}' ({after['tag_mutability']}, exclusion "
                f"filters {after['exclusion_filters']}): it could never move; add a filter such as '*-latest'"
            )

    auth = ecr.get_authorization_data(ecr_client)
    base, authorization, password = registry_login(auth)
    module.no_log_values.update({auth["authorizationToken"], authorization, password})
    client = RegistryClient(base, authorization, timeout=params["registry_timeout"], validate_certs=params["validate_certs"])

    uri = (current or {}).get("uri") or f"{base.split('://', 1)[1]}/{name}"
    result = {
        "changed": bool(plan),
        "repository_uri": uri,
        "repository": after,
        "image_digest": source.digest if source else None,
        "image_uri": f"{uri}@{source.digest}" if source else None,
        "unique_tag": unique,
        "tags_written": [],
        "tags_left": [],
        "aliases": [],
        "bytes_uploaded": 0,
        "blobs_uploaded": 0,
        "blobs_skipped": 0,
        "manifests_pushed": 0,
        "source": {"kind": source.kind if source else "build", "built_at": _iso(built_at),
                   "media_type": source.media_type if source else None, "size": source.total_size if source else None,
                   "builder": builder},
        "scan": None,
        "diff": {"before": {"repository": current, "tags": {}}, "after": {"repository": after, "tags": {}}},
    }

    # Read what the registry holds for our tags: refuse an immutable-tag conflict before any write.
    existing = read_tag(client, name, unique) if current and unique else None
    if existing and source and existing != source.digest:
        raise PublishError(
            f"tag '{unique}' in repository '{name}' already points at {existing}; this image is {source.digest}. "
            f"A unique tag is never moved: nothing was written",
            existing_digest=existing, image_digest=source.digest)
    alias_current = {alias: (read_tag(client, name, alias) if current else None) for alias in aliases}
    result["diff"]["before"]["tags"] = dict({unique: existing} if unique else {}, **alias_current)

    if module.check_mode:
        return _check_mode_result(client, name, current, source, unique, existing, aliases, alias_current,
                                  built_at, result)

    if plan:
        arn, uri = ecr.apply_repository_plan(ecr_client, name, desired, plan, current)
        after.update(arn=arn, uri=uri)
        result["repository_uri"] = uri
        result["image_uri"] = f"{uri}@{source.digest}"

    if existing != source.digest:
        _push_image(client, name, source, unique, result)
        result["changed"] = True
        result["tags_written"].append(unique)
    else:
        result["tags_left"].append({"tag": unique, "digest": source.digest, "reason": "already points at this image"})

    result["scan"] = _scan(module, ecr_client, name, source.digest, params)
    limit = params.get("scan_fail_severity")
    if limit:
        over = ecr.findings_at_or_above(result["scan"]["findings_summary"], limit)
        if over > params["scan_max_findings"]:
            raise PublishError(
                f"image {source.digest} has {over} scan findings at {limit} or above (allowed: "
                f"{params['scan_max_findings']}); aliases were not moved: "
                + ", ".join(f"{f['name']} ({f['severity']})" for f in result["scan"]["findings"]
                            if f["severity"] in ecr.SEVERITIES[:ecr.SEVERITIES.index(limit) + 1])[:2000],
                partial_result=result)

    for alias in aliases:
        decision = _move_alias(client, name, source, alias, built_at, params["alias_settle_seconds"])
        result["aliases"].append(decision)
        if decision["written"]:
            result["changed"] = True
            result["tags_written"].append(alias)
        else:
            result["tags_left"].append({"tag": alias, "digest": decision["to"], "reason": decision["reason"]})
    result["diff"]["after"]["tags"] = dict({unique: source.digest},
                                           **{d["alias"]: d["to"] for d in result["aliases"]})
    return result


def _iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def _check_mode_result(client, name, current, source, unique, existing, aliases, alias_current, built_at, result):
    if source is None:
        result["changed"] = True
        result["aliases"] = [{"alias": a, "action": "unknown", "reason": "check mode does not build the image",
                              "written": False} for a in aliases]
        return result
    if existing != source.digest:
        result["changed"] = True
        result["tags_written"].append(unique)
        for blob in source.blobs.values():
            if current and client.blob_exists(name, blob.digest):
                result["blobs_skipped"] += 1
            else:
                result["blobs_uploaded"] += 1
                result["bytes_uploaded"] += blob.size
    for alias in aliases:
        current_digest = alias_current[alias]
        current_built = None
        if current_digest and current_digest != source.digest:
            found = client.get_manifest(name, current_digest)
            current_built = image_built_at(client, name, found[0], found[1]) if found else None
        decision = tag_scheme.alias_decision(alias, source.digest, built_at, current_digest, current_built)
        decision["written"] = False
        result["aliases"].append(decision)
        if decision["action"] in ("create", "move"):
            result["changed"] = True
            result["tags_written"].append(alias)
        else:
            result["tags_left"].append({"tag": alias, "digest": decision["to"], "reason": decision["reason"]})
    result["diff"]["after"]["tags"] = dict({unique: source.digest},
                                           **{d["alias"]: d["to"] for d in result["aliases"]})
    return result


def _push_image(client, name, source, unique, result):
    for blob in source.blobs.values():
        sent = client.push_blob(name, blob)
        if sent:
            result["blobs_uploaded"] += 1
            result["bytes_uploaded"] += sent
        else:
            result["blobs_skipped"] += 1
    for digest, media_type, raw in source.manifests[:-1]:  # an index's children, by digest
        client.put_manifest(name, digest, raw, media_type)
        result["manifests_pushed"] += 1
    client.put_manifest(name, unique, source.raw_manifest, source.media_type)
    result["manifests_pushed"] += 1


def _move_alias(client, name, source, alias, built_at, settle):
    """Apply alias_decision, then read back after ``settle`` seconds and repair until it holds."""
    acted = None
    rounds = 0
    for rounds in range(1, 11):
        read_at = time.monotonic()
        current_digest = read_tag(client, name, alias)
        current_built = None
        if current_digest and current_digest != source.digest:
            found = client.get_manifest(name, current_digest)
            current_built = image_built_at(client, name, found[0], found[1]) if found else None
        decision = tag_scheme.alias_decision(alias, source.digest, built_at, current_digest, current_built)
        if decision["action"] not in ("create", "move"):
            break
        if settle and time.monotonic() - read_at > settle / 2:
            continue  # the read is too old to act on: read again
        client.put_manifest(name, alias, source.raw_manifest, source.media_type)  # no layer traffic
        acted = acted or decision
        if not settle:
            break
        time.sleep(settle)  # an older publisher that read before our write has written by now
    if acted is None:
        return dict(decision, written=False, rounds=rounds)
    final = dict(acted, written=True, rounds=rounds)
    if decision["to"] != source.digest:
        final["to"] = decision["to"]
        final["reason"] = f"{acted['reason']}; then a newer build took it: {decision['reason']}"
    return final


def _scan(module, ecr_client, name, digest, params):
    wait = params.get("scan_wait") or bool(params.get("scan_fail_severity"))
    deadline = time.monotonic() + params["scan_timeout"]
    delay = 0.25
    started = False
    while True:
        found = ecr.describe_scan_findings(ecr_client, name, digest)
        if found is None and wait and not started and not params.get("scan_on_push"):
            ecr.start_image_scan(ecr_client, name, digest)
            started = True
            continue
        status = ((found or {}).get("imageScanStatus") or {}).get("status")
        if not wait or status in ("COMPLETE", "FAILED", "ACTIVE", "UNSUPPORTED_IMAGE") or (
                found is None and started is False and not params.get("scan_on_push")):
            break
        if time.monotonic() > deadline:
            raise PublishError(f"the scan of {digest} did not complete within {params['scan_timeout']} s "
                               f"(status {status or 'not started'})")
        time.sleep(delay)
        delay = min(delay * 2, 5)
    counts, findings = ecr.summarize_findings(found)
    return {"status": status or "NOT_SCANNED", "findings_summary": counts, "findings": findings[:100]}
