#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ecs_image_publish
short_description: Publish a container image to ECR with a unique immutable tag and forward-only aliases
version_added: 0.1.0
description:
  - Ensures the ECR repository (scan on push, tag mutability with exclusion filters, encryption,
    a lifecycle policy from simple options, tags), then pushes an image to it with no Docker engine
    required, from an OCI image layout directory, a C(docker save) tarball, or a Dockerfile context
    built by a Docker engine or buildah.
  - The push speaks the OCI distribution API, authenticated by ECR's GetAuthorizationToken. Blobs the
    repository already has are never sent; missing blobs stream from disk in one request each. The
    manifest digest is computed locally and checked against the registry's answer.
  - Tag scheme. One unique tag per build, never moved;
    V(pr-<number>-<shortsha>-<yyyymmddhhmmss>) with O(pull_request),
    V(<version>-<shortsha>) with O(version), V(<branch>-<shortsha>-<yyyymmddhhmmss>) with O(branch),
    else V(<shortsha>-<yyyymmddhhmmss>). The timestamp is the image's build time in UTC (its config's
    C(created)), so republishing an image gives the same tag. Branch-like input is sanitised
    (V(feature/Login) becomes V(feature-login)).
  - Aliases (default V(pr-<number>-latest) with O(pull_request), V(<branch>-latest) with O(branch)) only
    move forward. An alias moves only when the image it points at was built earlier than this one.
    Moving it re-puts the manifest (no layer traffic). Each decision is returned with its reason. When two
    publishes race, the alias ends on the newer build.
  - A unique tag that already points at another digest fails before anything is written, naming both digests.
  - Registry tokens and passwords are never returned or logged.
author:
  - ecsops.fargate contributors (@ecsops)
options:
  repository:
    description: Name of the ECR repository (created when missing).
    type: str
    required: true
  oci_layout:
    description: Path of an OCI image layout directory to publish. A multi-arch index is pushed with all its images.
    type: path
  docker_archive:
    description: Path of a C(docker save) tarball to publish. It is pushed as an OCI manifest over the same layer blobs.
    type: path
  build:
    description:
      - Build this Dockerfile context and publish the result.
      - Uses a Docker engine when one answers, else buildah (vfs storage, chroot isolation; run as root).
      - Fails before any write when no builder is available.
    type: dict
    suboptions:
      context:
        description: Build context directory.
        type: path
        required: true
      dockerfile:
        description: Dockerfile path; default C(Dockerfile) in the context.
        type: path
      builder:
        description: Which builder to use.
        type: str
        choices: [auto, docker, buildah]
        default: auto
      args:
        description: Build arguments. Not logged.
        type: dict
      target:
        description: Build stage to stop at.
        type: str
      timestamp:
        description: Seconds since the epoch to stamp the build with (buildah), for reproducible images.
        type: int
  source_ref:
    description:
      - Which image of the source to publish when it holds several, by C(org.opencontainers.image.ref.name)
        for an OCI layout or C(name:tag) for a docker-archive.
    type: str
  commit_sha:
    description: Commit the image was built from; its first 7 characters go into the unique tag.
    type: str
  pull_request:
    description: Pull request number; the unique tag is V(pr-<number>-<shortsha>-<timestamp>).
    type: str
  version:
    description: Release version; the unique tag is V(<version>-<shortsha>). Takes precedence over O(pull_request).
    type: str
  branch:
    description: Branch name (sanitised); the unique tag is V(<branch>-<shortsha>-<timestamp>).
    type: str
  unique_tag:
    description: Use this unique tag instead of the scheme.
    type: str
  build_time:
    description: RFC 3339 build time, when the image config has no C(created).
    type: str
  aliases:
    description: Moving tags that only move forward. Default from O(pull_request) or O(branch); V([]) for none.
    type: list
    elements: str
  scan_on_push:
    description: Scan each image ECR receives.
    type: bool
    default: true
  tag_mutability:
    description: Tag mutability of the repository.
    type: str
    choices: [MUTABLE, IMMUTABLE, IMMUTABLE_WITH_EXCLUSION, MUTABLE_WITH_EXCLUSION]
    default: IMMUTABLE_WITH_EXCLUSION
  tag_mutability_exclusion_filters:
    description:
      - Wildcard filters (C(*) is any run of characters) of the tags that are the exception to O(tag_mutability).
      - The default keeps unique tags immutable and lets the aliases move.
    type: list
    elements: str
    default: ['*-latest', 'latest']
  encryption:
    description: Encryption of a new repository. ECR cannot change it later; a difference fails.
    type: dict
    suboptions:
      type:
        description: Encryption type.
        type: str
        choices: [AES256, KMS]
        required: true
      kms_key:
        description: KMS key ARN or alias with O(encryption.type=KMS); default the AWS managed key.
        type: str
  lifecycle:
    description: Lifecycle policy built from simple rules; replaces the repository's policy when different.
    type: dict
    suboptions:
      keep_last:
        description: Keep the newest O(lifecycle.keep_last[].count) images per tag prefix.
        type: list
        elements: dict
        suboptions:
          prefix:
            description: Tag prefix, for example V(pr-).
            type: str
            required: true
          count:
            description: How many images to keep.
            type: int
            required: true
      expire_untagged_days:
        description: Expire untagged images pushed more than this many days ago.
        type: int
  tags:
    description: Tags of the repository.
    type: dict
    aliases: [resource_tags]
  purge_tags:
    description: Remove repository tags not in O(tags).
    type: bool
    default: true
  scan_wait:
    description: Wait for the scan to complete and return its findings.
    type: bool
    default: false
  scan_fail_severity:
    description: Wait for the scan and fail when findings at this severity or worse exceed O(scan_max_findings).
      Aliases do not move then.
    type: str
    choices: [CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL, UNDEFINED]
  scan_max_findings:
    description: Findings allowed at or above O(scan_fail_severity).
    type: int
    default: 0
  scan_timeout:
    description: Seconds to wait for the scan.
    type: int
    default: 600
  alias_settle_seconds:
    description:
      - After moving an alias, read it back after this many seconds and put it back if an older build
        overwrote it in a race. V(0) disables the check.
    type: float
    default: 1.0
  registry_timeout:
    description: Timeout in seconds of one registry request.
    type: int
    default: 300
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - ecsops.fargate.attributes
  - ecsops.fargate.attributes.actiongroup_aws
attributes:
  check_mode:
    support: full
    details:
      - Reads the repository and registry (HEAD per blob) and reports what would be written. A O(build) is not run.
  diff_mode:
    support: full
  idempotent:
    support: full
notes:
  - Two repositories must not share the unique tag scheme inputs; the unique tag names one build only.
"""

EXAMPLES = r"""
- name: Publish a pull request build from an OCI layout
  ecsops.fargate.ecs_image_publish:
    repository: shop/web
    oci_layout: build/web-oci
    commit_sha: "{{ lookup('ansible.builtin.env', 'GITHUB_SHA') }}"
    pull_request: "123"
    lifecycle:
      keep_last:
        - prefix: pr-
          count: 20
      expire_untagged_days: 7
    scan_fail_severity: CRITICAL
  register: published

- name: Deploy by digest
  ansible.builtin.debug:
    msg: "{{ published.image_uri }}"

- name: Build a release with buildah (no Docker engine) and move latest
  ecsops.fargate.ecs_image_publish:
    repository: shop/web
    build:
      context: app/
    commit_sha: 0123456789abcdef
    version: 1.4.0
    aliases: [latest]
    encryption:
      type: KMS
      kms_key: alias/ecr
"""

RETURN = r"""
repository_uri:
  description: URI of the repository.
  returned: always
  type: str
  sample: 123456789012.dkr.ecr.us-east-1.amazonaws.com/shop/web
repository:
  description: The repository's settings after the run (in check mode, as they would be).
  returned: always
  type: dict
  sample: {"name": "shop/web", "scan_on_push": true, "tag_mutability": "IMMUTABLE_WITH_EXCLUSION"}
image_digest:
  description: Digest of the published manifest (or index).
  returned: always
  type: str
  sample: sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae
image_uri:
  description: The digest-pinned reference C(<repository_uri>@sha256:...) task definitions should use.
  returned: always
  type: str
unique_tag:
  description: The build's unique, immutable tag.
  returned: always
  type: str
  sample: pr-123-0123456-20240501120007
tags_written:
  description: Tags written (or, in check mode, that would be).
  returned: always
  type: list
  elements: str
tags_left:
  description: Tags not written, each with the digest it points at and why.
  returned: always
  type: list
  elements: dict
aliases:
  description: One decision per alias (action V(create), V(move), V(unchanged) or V(keep), from, to, reason, written).
  returned: always
  type: list
  elements: dict
bytes_uploaded:
  description: Bytes of blobs uploaded (in check mode, that would be).
  returned: always
  type: int
blobs_uploaded:
  description: Number of blobs uploaded.
  returned: always
  type: int
blobs_skipped:
  description: Number of blobs the repository already had, never sent.
  returned: always
  type: int
manifests_pushed:
  description: Manifests put (an index counts with its children).
  returned: always
  type: int
source:
  description: What was published (kind, media type, size, build time, builder when built).
  returned: always
  type: dict
scan:
  description: Scan status, findings summary (severity counts) and findings.
  returned: when not in check mode
  type: dict
  sample: {"status": "COMPLETE", "findings_summary": {"HIGH": 1}, "findings": []}
api_calls:
  description: AWS API calls this run made.
  returned: always
  type: dict
  contains:
    total:
      description: Calls made.
      type: int
    attempts:
      description: HTTP requests (retries included).
      type: int
    by_operation:
      description: Calls per operation.
      type: dict
"""

from ansible_collections.ecsops.fargate.plugins.module_utils.api import EcsopsAWSError
from ansible_collections.ecsops.fargate.plugins.module_utils.module import EcsopsAWSModule

try:
    from ansible_collections.ecsops.fargate.plugins.module_utils.image_publish import PublishError
    from ansible_collections.ecsops.fargate.plugins.module_utils.image_publish import run
    from ansible_collections.ecsops.fargate.plugins.module_utils.registry import RegistryError
except ImportError:  # reported by AnsibleAWSModule's boto3 check
    pass

SEVERITIES = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNDEFINED"]


def argument_spec():
    return dict(
        repository=dict(type="str", required=True),
        oci_layout=dict(type="path"),
        docker_archive=dict(type="path"),
        build=dict(type="dict", options=dict(
            context=dict(type="path", required=True),
            dockerfile=dict(type="path"),
            builder=dict(type="str", choices=["auto", "docker", "buildah"], default="auto"),
            args=dict(type="dict", no_log=True),
            target=dict(type="str"),
            timestamp=dict(type="int"),
        )),
        source_ref=dict(type="str"),
        commit_sha=dict(type="str"),
        pull_request=dict(type="str"),
        version=dict(type="str"),
        branch=dict(type="str"),
        unique_tag=dict(type="str"),
        build_time=dict(type="str"),
        aliases=dict(type="list", elements="str"),
        scan_on_push=dict(type="bool", default=True),
        tag_mutability=dict(type="str", default="IMMUTABLE_WITH_EXCLUSION",
                            choices=["MUTABLE", "IMMUTABLE", "IMMUTABLE_WITH_EXCLUSION", "MUTABLE_WITH_EXCLUSION"]),
        tag_mutability_exclusion_filters=dict(type="list", elements="str", default=["*-latest", "latest"]),
        encryption=dict(type="dict", options=dict(
            type=dict(type="str", choices=["AES256", "KMS"], required=True),
            kms_key=dict(type="str", no_log=False),
        )),
        lifecycle=dict(type="dict", options=dict(
            keep_last=dict(type="list", elements="dict", options=dict(
                prefix=dict(type="str", required=True),
                count=dict(type="int", required=True),
            )),
            expire_untagged_days=dict(type="int"),
        )),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        scan_wait=dict(type="bool", default=False),
        scan_fail_severity=dict(type="str", choices=SEVERITIES),
        scan_max_findings=dict(type="int", default=0),
        scan_timeout=dict(type="int", default=600),
        alias_settle_seconds=dict(type="float", default=1.0),
        registry_timeout=dict(type="int", default=300),
    )


def main():
    module = EcsopsAWSModule(
        argument_spec=argument_spec(),
        supports_check_mode=True,
        mutually_exclusive=[("oci_layout", "docker_archive", "build")],
        required_one_of=[("oci_layout", "docker_archive", "build")],
    )
    if not module.params.get("unique_tag") and not module.params.get("commit_sha"):
        module.fail_json(msg="commit_sha is required unless unique_tag is given")
    try:
        result = run(module, module.client("ecr"))
    except EcsopsAWSError as e:
        module.fail_json_aws_error(e)
    except PublishError as e:
        module.fail_json(msg=str(e), **e.details)
    except RegistryError as e:
        module.fail_json(msg=f"registry refused the push: {e}", status=e.status, code=e.code)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
