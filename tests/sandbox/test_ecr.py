"""ECR's API in the sandbox, answered from the real registry: boto3 for ECR, HTTP for the registry."""

import base64
import datetime
import hashlib
import json

import pytest
from botocore.exceptions import ClientError

from helpers import wait_until
from sandbox.images import (DOCKER_MANIFEST, RegistryError, build_test_image, fetch_manifest, push_blob,
                            push_manifest, push_test_image, registry_login, sha256_digest)

OCI_INDEX = "application/vnd.oci.image.index.v1+json"

ACCOUNT = "123456789012"


def _error(excinfo) -> tuple[str, str]:
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]


def _manifest_of(sandbox, repository: str, reference: str) -> bytes:
    base, authorization = registry_login(sandbox)
    return fetch_manifest(base, authorization, repository, reference)[0]


def _tags(ecr, repository: str) -> dict[str, str]:
    return {i["imageTag"]: i["imageDigest"] for i in ecr.list_images(repositoryName=repository)["imageIds"]
            if "imageTag" in i}


# -- repositories and credentials ---------------------------------------------------------

def test_authorization_token_is_aws_user_for_12_hours_at_the_registry(sandbox):
    ecr = sandbox.aws("ecr")
    data = ecr.get_authorization_token()["authorizationData"]
    assert len(data) == 1
    user, _, password = base64.b64decode(data[0]["authorizationToken"]).decode().partition(":")
    assert user == "AWS" and password
    lifetime = data[0]["expiresAt"] - datetime.datetime.now(datetime.timezone.utc)
    assert datetime.timedelta(hours=11, minutes=59) < lifetime <= datetime.timedelta(hours=12)
    uri = ecr.create_repository(repositoryName="svc")["repository"]["repositoryUri"]
    assert data[0]["proxyEndpoint"] == "http://" + uri.split("/", 1)[0]


def test_encryption_configuration_is_returned_as_set(sandbox):
    ecr = sandbox.aws("ecr")
    aes = ecr.create_repository(repositoryName="aes", encryptionConfiguration={"encryptionType": "AES256"})
    assert aes["repository"]["encryptionConfiguration"] == {"encryptionType": "AES256"}
    key = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    ecr.create_repository(repositoryName="kms", encryptionConfiguration={"encryptionType": "KMS", "kmsKey": key})
    described = {r["repositoryName"]: r["encryptionConfiguration"] for r in ecr.describe_repositories()["repositories"]}
    assert described == {"aes": {"encryptionType": "AES256"}, "kms": {"encryptionType": "KMS", "kmsKey": key}}


def test_lifecycle_policy_is_stored_and_returned(sandbox):
    ecr = sandbox.aws("ecr")
    ecr.create_repository(repositoryName="kept")
    policy = json.dumps({"rules": [{"rulePriority": 1, "description": "expire untagged after 7 days",
                                    "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed",
                                                  "countUnit": "days", "countNumber": 7},
                                    "action": {"type": "expire"}}]})
    ecr.put_lifecycle_policy(repositoryName="kept", lifecyclePolicyText=policy)
    assert json.loads(ecr.get_lifecycle_policy(repositoryName="kept")["lifecyclePolicyText"]) == json.loads(policy)


KEEP_TWO_BUILDS = json.dumps({"rules": [
    {"rulePriority": 1, "selection": {"tagStatus": "tagged", "tagPrefixList": ["build-"],
                                      "countType": "imageCountMoreThan", "countNumber": 2},
     "action": {"type": "expire"}},
    {"rulePriority": 2, "selection": {"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 1},
     "action": {"type": "expire"}}]})


def test_lifecycle_policy_preview_expires_all_but_the_newest_builds(sandbox):
    ecr = sandbox.aws("ecr")
    digests = [push_test_image(sandbox, "builds", f"build-{n}", marker=str(n))["digest"] for n in range(4)]
    release = push_test_image(sandbox, "builds", "release", marker="r")["digest"]
    old_alias = push_test_image(sandbox, "builds", "alias", marker="x")["digest"]
    push_test_image(sandbox, "builds", "alias", marker="y")  # moving the alias leaves x, then y, untagged
    push_test_image(sandbox, "builds", "alias", marker="z")
    with pytest.raises(ClientError) as no_preview:
        ecr.get_lifecycle_policy_preview(repositoryName="builds")
    assert _error(no_preview)[0] == "LifecyclePolicyPreviewNotFoundException"
    ecr.start_lifecycle_policy_preview(repositoryName="builds", lifecyclePolicyText=KEEP_TWO_BUILDS)
    preview = ecr.get_lifecycle_policy_preview(repositoryName="builds")
    assert preview["status"] == "COMPLETE"
    assert {(r["imageDigest"], r["appliedRulePriority"]) for r in preview["previewResults"]} == {
        (digests[0], 1), (digests[1], 1), (old_alias, 2)}
    assert preview["summary"]["expiringImageTotalCount"] == 3
    assert release not in {r["imageDigest"] for r in preview["previewResults"]}


def test_lifecycle_policy_applied_on_demand_deletes_expiring_images(sandbox):
    ecr = sandbox.aws("ecr")
    digests = [push_test_image(sandbox, "builds", f"build-{n}", marker=str(n))["digest"] for n in range(3)]
    ecr.put_lifecycle_policy(repositoryName="builds", lifecyclePolicyText=KEEP_TWO_BUILDS)
    status, body = sandbox.request("POST", "/_sandbox/ecr/lifecycle", {"repository": "builds"})
    assert status == 200
    assert [e["imageDigest"] for e in body["expired"]] == [digests[0]]
    assert set(_tags(ecr, "builds")) == {"build-1", "build-2"}
    base, authorization = registry_login(sandbox)
    with pytest.raises(RegistryError):
        fetch_manifest(base, authorization, "builds", digests[0])


def test_put_image_tag_mutability_with_exclusion_filters(sandbox):
    ecr = sandbox.aws("ecr")
    ecr.create_repository(repositoryName="mut")
    filters = [{"filterType": "WILDCARD", "filter": "*-latest"}]
    answer = ecr.put_image_tag_mutability(repositoryName="mut", imageTagMutability="IMMUTABLE_WITH_EXCLUSION",
                                          imageTagMutabilityExclusionFilters=filters)
    assert answer["imageTagMutability"] == "IMMUTABLE_WITH_EXCLUSION"
    assert answer["imageTagMutabilityExclusionFilters"] == filters
    repository = ecr.describe_repositories(repositoryNames=["mut"])["repositories"][0]
    assert repository["imageTagMutabilityExclusionFilters"] == filters
    with pytest.raises(ClientError) as err:
        ecr.put_image_tag_mutability(repositoryName="mut", imageTagMutability="IMMUTABLE",
                                     imageTagMutabilityExclusionFilters=filters)
    assert _error(err)[0] == "InvalidParameterException"


# -- images from the registry -------------------------------------------------------------

def test_describe_images_reports_the_registrys_digest_size_and_media_types(sandbox):
    before = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=1)
    pushed = push_test_image(sandbox, "web", "v1", marker="size")
    raw = _manifest_of(sandbox, "web", "v1")
    manifest = json.loads(raw)
    (detail,) = sandbox.aws("ecr").describe_images(repositoryName="web")["imageDetails"]
    assert detail["imageDigest"] == pushed["digest"] == "sha256:" + hashlib.sha256(raw).hexdigest()
    assert detail["imageTags"] == ["v1"]
    assert detail["imageSizeInBytes"] == sum(layer["size"] for layer in manifest["layers"])
    assert detail["imageManifestMediaType"] == DOCKER_MANIFEST
    assert detail["artifactMediaType"] == "application/vnd.docker.container.image.v1+json"
    assert detail["registryId"] == ACCOUNT
    assert before <= detail["imagePushedAt"] <= datetime.datetime.now(datetime.timezone.utc)
    assert "imageScanStatus" not in detail  # scan on push is off by default


def test_describe_images_by_id_and_missing_image(sandbox):
    pushed = push_test_image(sandbox, "web", "v1", marker="a")
    ecr = sandbox.aws("ecr")
    by_tag = ecr.describe_images(repositoryName="web", imageIds=[{"imageTag": "v1"}])["imageDetails"]
    by_digest = ecr.describe_images(repositoryName="web", imageIds=[{"imageDigest": pushed["digest"]}])
    assert [d["imageDigest"] for d in by_tag] == [d["imageDigest"] for d in by_digest["imageDetails"]]
    with pytest.raises(ClientError) as err:
        ecr.describe_images(repositoryName="web", imageIds=[{"imageTag": "v9"}])
    assert _error(err) == ("ImageNotFoundException",
                           "The image with imageId {imageDigest:'null', imageTag:'v9'} does not exist within the "
                           f"repository with name 'web' in the registry with id '{ACCOUNT}'")
    with pytest.raises(ClientError) as missing_repo:
        ecr.describe_images(repositoryName="nope")
    assert _error(missing_repo)[0] == "RepositoryNotFoundException"


def test_describe_images_pages_with_max_results(sandbox):
    for number in range(3):
        push_test_image(sandbox, "paged", f"v{number}", marker=str(number))
    ecr = sandbox.aws("ecr")
    first = ecr.describe_images(repositoryName="paged", maxResults=2)
    second = ecr.describe_images(repositoryName="paged", maxResults=2, nextToken=first["nextToken"])
    assert len(first["imageDetails"]) == 2 and len(second["imageDetails"]) == 1
    assert "nextToken" not in second
    pages = ecr.get_paginator("describe_images").paginate(repositoryName="paged", PaginationConfig={"PageSize": 1})
    assert sorted(t for page in pages for d in page["imageDetails"] for t in d["imageTags"]) == ["v0", "v1", "v2"]


def test_batch_get_image_returns_the_exact_manifest(sandbox):
    pushed = push_test_image(sandbox, "web", "v1", marker="a")
    answer = sandbox.aws("ecr").batch_get_image(repositoryName="web",
                                                imageIds=[{"imageTag": "v1"}, {"imageTag": "v2"}])
    (image,) = answer["images"]
    assert image["imageManifest"].encode() == _manifest_of(sandbox, "web", "v1")
    assert image["imageId"] == {"imageDigest": pushed["digest"], "imageTag": "v1"}
    assert image["imageManifestMediaType"] == DOCKER_MANIFEST
    assert answer["failures"] == [{"imageId": {"imageTag": "v2"}, "failureCode": "ImageNotFound",
                                   "failureReason": "Requested image not found"}]


def test_moving_a_mutable_tag_leaves_the_old_image_untagged(sandbox):
    old = push_test_image(sandbox, "web", "latest", marker="old")
    new = push_test_image(sandbox, "web", "latest", marker="new")
    ecr = sandbox.aws("ecr")
    assert ecr.list_images(repositoryName="web", filter={"tagStatus": "UNTAGGED"})["imageIds"] == [
        {"imageDigest": old["digest"]}]
    assert ecr.list_images(repositoryName="web", filter={"tagStatus": "TAGGED"})["imageIds"] == [
        {"imageDigest": new["digest"], "imageTag": "latest"}]


def test_an_index_is_an_image_of_its_largest_child_and_protects_its_children(sandbox):
    ecr = sandbox.aws("ecr")
    ecr.create_repository(repositoryName="multi")
    base, authorization = registry_login(sandbox)
    children = []
    for marker in ("amd64", "arm64-with-a-longer-marker"):
        config, layer, manifest = build_test_image(marker)
        for blob in (config, layer):
            push_blob(base, authorization, "multi", blob)
        push_manifest(base, authorization, "multi", sha256_digest(manifest), manifest)
        children.append((sha256_digest(manifest), len(manifest), len(layer)))
    index = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
        {"mediaType": DOCKER_MANIFEST, "digest": digest, "size": size,
         "platform": {"architecture": arch, "os": "linux"}}
        for (digest, size, _), arch in zip(children, ("amd64", "arm64"))]}).encode()
    assert push_manifest(base, authorization, "multi", "v1", index, OCI_INDEX) == sha256_digest(index)
    details = {d["imageDigest"]: d for d in ecr.describe_images(repositoryName="multi")["imageDetails"]}
    assert set(details) == {sha256_digest(index), children[0][0], children[1][0]}
    assert details[sha256_digest(index)]["imageManifestMediaType"] == OCI_INDEX
    assert details[sha256_digest(index)]["imageSizeInBytes"] == max(layer for _, _, layer in children)
    assert details[sha256_digest(index)]["imageTags"] == ["v1"]
    assert "imageTags" not in details[children[0][0]]
    refused = ecr.batch_delete_image(repositoryName="multi", imageIds=[{"imageDigest": children[0][0]}])
    assert refused["imageIds"] == []
    assert refused["failures"][0]["failureCode"] == "ImageReferencedByManifestList"


# -- PutImage -----------------------------------------------------------------------------

def test_put_image_adds_a_tag_to_an_existing_digest(sandbox):
    pushed = push_test_image(sandbox, "web", "build-1", marker="a")
    ecr = sandbox.aws("ecr")
    manifest = ecr.batch_get_image(repositoryName="web", imageIds=[{"imageTag": "build-1"}])["images"][0]
    answer = ecr.put_image(repositoryName="web", imageManifest=manifest["imageManifest"], imageTag="stable",
                           imageDigest=pushed["digest"])["image"]
    assert answer["imageId"] == {"imageDigest": pushed["digest"], "imageTag": "stable"}
    assert _tags(ecr, "web") == {"build-1": pushed["digest"], "stable": pushed["digest"]}
    assert sha256_digest(_manifest_of(sandbox, "web", "stable")) == pushed["digest"]


def test_put_image_of_the_same_tag_and_manifest_is_image_already_exists(sandbox):
    pushed = push_test_image(sandbox, "web", "v1", marker="a")
    ecr = sandbox.aws("ecr")
    manifest = _manifest_of(sandbox, "web", "v1").decode()
    with pytest.raises(ClientError) as err:
        ecr.put_image(repositoryName="web", imageManifest=manifest, imageTag="v1")
    assert _error(err) == ("ImageAlreadyExistsException",
                           f"Image with digest '{pushed['digest']}' and tag 'v1' already exists in the repository "
                           f"with name 'web' in registry with id '{ACCOUNT}'")


def test_put_image_cannot_move_an_immutable_tag(sandbox):
    ecr = sandbox.aws("ecr")
    ecr.create_repository(repositoryName="frozen", imageTagMutability="IMMUTABLE")
    first = push_test_image(sandbox, "frozen", "v1", marker="a")
    push_test_image(sandbox, "frozen", "v2", marker="b")
    other = _manifest_of(sandbox, "frozen", "v2").decode()
    with pytest.raises(ClientError) as err:
        ecr.put_image(repositoryName="frozen", imageManifest=other, imageTag="v1")
    assert _error(err) == ("ImageTagAlreadyExistsException",
                           "The image tag 'v1' already exists in the 'frozen' repository and cannot be overwritten "
                           "because the repository is immutable.")
    assert _tags(ecr, "frozen")["v1"] == first["digest"]


@pytest.mark.parametrize("mode, moves, stays", [
    ("IMMUTABLE_WITH_EXCLUSION", "pr-1-latest", "pr-1-abc"),
    ("MUTABLE_WITH_EXCLUSION", "pr-1-abc", "pr-1-latest"),
])
def test_exclusion_filters_invert_the_mode_for_matching_tags(sandbox, mode, moves, stays):
    ecr = sandbox.aws("ecr")
    ecr.create_repository(repositoryName="filtered", imageTagMutability=mode,
                          imageTagMutabilityExclusionFilters=[{"filterType": "WILDCARD", "filter": "*-latest"}])
    for tag in (moves, stays):
        push_test_image(sandbox, "filtered", tag, marker="a")
    newer = push_test_image(sandbox, "filtered", "other", marker="b")
    manifest = _manifest_of(sandbox, "filtered", "other").decode()
    assert ecr.put_image(repositoryName="filtered", imageManifest=manifest, imageTag=moves)["image"]["imageId"][
        "imageDigest"] == newer["digest"]
    with pytest.raises(ClientError) as err:
        ecr.put_image(repositoryName="filtered", imageManifest=manifest, imageTag=stays)
    assert _error(err)[0] == "ImageTagAlreadyExistsException"


def test_wildcard_filter_is_not_a_regular_expression(sandbox):
    ecr = sandbox.aws("ecr")
    ecr.create_repository(repositoryName="literal", imageTagMutability="IMMUTABLE_WITH_EXCLUSION",
                          imageTagMutabilityExclusionFilters=[{"filterType": "WILDCARD", "filter": "v1.0"}])
    push_test_image(sandbox, "literal", "v1x0", marker="a")  # `.` is literal: v1x0 stays immutable
    push_test_image(sandbox, "literal", "other", marker="b")
    with pytest.raises(ClientError) as err:
        ecr.put_image(repositoryName="literal", imageManifest=_manifest_of(sandbox, "literal", "other").decode(),
                      imageTag="v1x0")
    assert _error(err)[0] == "ImageTagAlreadyExistsException"


def test_put_image_checks_the_digest_it_is_given(sandbox):
    push_test_image(sandbox, "web", "v1", marker="a")
    manifest = _manifest_of(sandbox, "web", "v1").decode()
    with pytest.raises(ClientError) as err:
        sandbox.aws("ecr").put_image(repositoryName="web", imageManifest=manifest, imageTag="v2",
                                     imageDigest="sha256:" + "0" * 64)
    assert _error(err)[0] == "ImageDigestDoesNotMatchException"
    assert "v2" not in _tags(sandbox.aws("ecr"), "web")


def test_put_image_needs_the_layers_in_the_repository(sandbox):
    ecr = sandbox.aws("ecr")
    ecr.create_repository(repositoryName="bare")
    config, layer, manifest = build_test_image("nowhere")
    with pytest.raises(ClientError) as err:
        ecr.put_image(repositoryName="bare", imageManifest=manifest.decode(), imageTag="v1")
    code, message = _error(err)
    assert code == "LayersNotFoundException"
    assert sha256_digest(layer) in message
    with pytest.raises(ClientError) as invalid:
        ecr.put_image(repositoryName="bare", imageManifest="{not json", imageTag="v1")
    assert _error(invalid)[0] == "InvalidParameterException"


def test_layers_uploaded_through_the_ecr_api_can_be_put_and_pulled(sandbox):
    ecr = sandbox.aws("ecr")
    ecr.create_repository(repositoryName="api-push")
    config, layer, manifest = build_test_image("api")
    for blob in (config, layer):
        upload = ecr.initiate_layer_upload(repositoryName="api-push")["uploadId"]
        ecr.upload_layer_part(repositoryName="api-push", uploadId=upload, partFirstByte=0,
                              partLastByte=len(blob) - 1, layerPartBlob=blob)
        done = ecr.complete_layer_upload(repositoryName="api-push", uploadId=upload,
                                         layerDigests=[sha256_digest(blob)])
        assert done["layerDigest"] == sha256_digest(blob)
    available = ecr.batch_check_layer_availability(repositoryName="api-push", layerDigests=[sha256_digest(layer)])
    assert available["layers"][0]["layerAvailability"] == "AVAILABLE"
    assert available["layers"][0]["layerSize"] == len(layer)
    digest = ecr.put_image(repositoryName="api-push", imageManifest=manifest.decode(), imageTag="v1")["image"][
        "imageId"]["imageDigest"]
    assert sha256_digest(_manifest_of(sandbox, "api-push", "v1")) == digest == sha256_digest(manifest)


def test_complete_layer_upload_checks_the_digest(sandbox):
    ecr = sandbox.aws("ecr")
    ecr.create_repository(repositoryName="api-push")
    upload = ecr.initiate_layer_upload(repositoryName="api-push")["uploadId"]
    ecr.upload_layer_part(repositoryName="api-push", uploadId=upload, partFirstByte=0, partLastByte=2,
                          layerPartBlob=b"abc")
    with pytest.raises(ClientError) as err:
        ecr.complete_layer_upload(repositoryName="api-push", uploadId=upload, layerDigests=["sha256:" + "1" * 64])
    assert _error(err)[0] == "InvalidLayerException"


# -- deleting -----------------------------------------------------------------------------

def test_batch_delete_image_by_tag_and_by_digest(sandbox):
    pushed = push_test_image(sandbox, "web", "v1", marker="a")
    ecr = sandbox.aws("ecr")
    manifest = _manifest_of(sandbox, "web", "v1").decode()
    ecr.put_image(repositoryName="web", imageManifest=manifest, imageTag="stable")
    by_tag = ecr.batch_delete_image(repositoryName="web", imageIds=[{"imageTag": "stable"}])
    assert by_tag["imageIds"] == [{"imageDigest": pushed["digest"], "imageTag": "stable"}]
    assert _tags(ecr, "web") == {"v1": pushed["digest"]}  # the image keeps its other tag
    by_digest = ecr.batch_delete_image(repositoryName="web",
                                       imageIds=[{"imageDigest": pushed["digest"]}, {"imageTag": "nope"}])
    assert by_digest["imageIds"] == [{"imageDigest": pushed["digest"], "imageTag": "v1"}]
    assert by_digest["failures"] == [{"imageId": {"imageTag": "nope"}, "failureCode": "ImageNotFound",
                                      "failureReason": "Requested image not found"}]
    assert ecr.list_images(repositoryName="web")["imageIds"] == []
    base, authorization = registry_login(sandbox)
    with pytest.raises(RegistryError) as gone:
        fetch_manifest(base, authorization, "web", pushed["digest"])
    assert gone.value.code == "MANIFEST_UNKNOWN"


def test_deleting_the_last_tag_deletes_the_image(sandbox):
    push_test_image(sandbox, "web", "only", marker="a")
    ecr = sandbox.aws("ecr")
    ecr.batch_delete_image(repositoryName="web", imageIds=[{"imageTag": "only"}])
    assert ecr.describe_images(repositoryName="web")["imageDetails"] == []


def test_delete_repository_needs_force_when_it_holds_images(sandbox):
    push_test_image(sandbox, "web", "v1", marker="a")
    ecr = sandbox.aws("ecr")
    with pytest.raises(ClientError) as err:
        ecr.delete_repository(repositoryName="web")
    assert _error(err) == ("RepositoryNotEmptyException",
                           f"The repository with name 'web' in registry with id '{ACCOUNT}' cannot be deleted "
                           "because it still contains images")
    ecr.delete_repository(repositoryName="web", force=True)
    ecr.create_repository(repositoryName="web")
    assert ecr.list_images(repositoryName="web")["imageIds"] == []  # a new repository starts empty


# -- scanning -----------------------------------------------------------------------------

def _scan(ecr, repository, tag):
    return ecr.describe_image_scan_findings(repositoryName=repository, imageId={"imageTag": tag})


def test_scan_on_push_completes_with_no_findings_by_default(sandbox):
    ecr = sandbox.aws("ecr")
    ecr.create_repository(repositoryName="scanned", imageScanningConfiguration={"scanOnPush": True})
    push_test_image(sandbox, "scanned", "v1", marker="a")
    assert _scan(ecr, "scanned", "v1")["imageScanStatus"]["status"] == "IN_PROGRESS"
    done = wait_until(lambda: (s := _scan(ecr, "scanned", "v1"))["imageScanStatus"]["status"] == "COMPLETE" and s,
                      timeout=5)
    assert done["imageScanFindings"]["findingSeverityCounts"] == {}
    assert done["imageScanFindings"]["findings"] == []
    detail = ecr.describe_images(repositoryName="scanned")["imageDetails"][0]
    assert detail["imageScanStatus"]["status"] == "COMPLETE"
    assert detail["imageScanFindingsSummary"]["findingSeverityCounts"] == {}


def test_injected_findings_are_reported_by_the_scan(sandbox):
    ecr = sandbox.aws("ecr")
    ecr.create_repository(repositoryName="scanned", imageScanningConfiguration={"scanOnPush": True})
    status, _ = sandbox.request("POST", "/_sandbox/ecr/findings",
                                {"repository": "scanned", "tag": "v1", "findings": {"CRITICAL": 1, "HIGH": 2}})
    assert status == 201
    pushed = push_test_image(sandbox, "scanned", "v1", marker="vulnerable")
    waiter = ecr.get_waiter("image_scan_complete")
    waiter.wait(repositoryName="scanned", imageId={"imageDigest": pushed["digest"]},
                WaiterConfig={"Delay": 1, "MaxAttempts": 5})
    findings = _scan(ecr, "scanned", "v1")["imageScanFindings"]
    assert findings["findingSeverityCounts"] == {"CRITICAL": 1, "HIGH": 2}
    assert sorted(f["severity"] for f in findings["findings"]) == ["CRITICAL", "HIGH", "HIGH"]
    summary = ecr.describe_images(repositoryName="scanned")["imageDetails"][0]["imageScanFindingsSummary"]
    assert summary["findingSeverityCounts"] == {"CRITICAL": 1, "HIGH": 2}


def test_findings_injected_by_digest_after_the_scan(sandbox):
    ecr = sandbox.aws("ecr")
    ecr.create_repository(repositoryName="scanned", imageScanningConfiguration={"scanOnPush": True})
    pushed = push_test_image(sandbox, "scanned", "v1", marker="a")
    sandbox.request("POST", "/_sandbox/ecr/findings",
                    {"repository": "scanned", "digest": pushed["digest"], "findings": {"MEDIUM": 3}})
    counts = wait_until(lambda: _scan(ecr, "scanned", "v1").get("imageScanFindings", {}).get("findingSeverityCounts"),
                        timeout=5)
    assert counts == {"MEDIUM": 3}


@pytest.mark.parametrize("payload", [
    {"repository": "r", "tag": "v1", "findings": {"SEVERE": 1}},
    {"repository": "r", "findings": {"HIGH": 1}},
    {"repository": "r", "tag": "v1", "digest": "sha256:" + "0" * 64, "findings": {"HIGH": 1}},
    {"repository": "r", "tag": "v1", "findings": {"HIGH": -1}},
])
def test_bad_findings_are_refused(sandbox, payload):
    status, body = sandbox.request("POST", "/_sandbox/ecr/findings", payload)
    assert status == 400
    assert body["error"] == "ValidationException"


def test_manual_scan_when_scan_on_push_is_off(sandbox):
    push_test_image(sandbox, "manual", "v1", marker="a")
    ecr = sandbox.aws("ecr")
    with pytest.raises(ClientError) as no_scan:
        _scan(ecr, "manual", "v1")
    assert _error(no_scan)[0] == "ScanNotFoundException"
    started = ecr.start_image_scan(repositoryName="manual", imageId={"imageTag": "v1"})
    assert started["imageScanStatus"]["status"] == "IN_PROGRESS"
    wait_until(lambda: _scan(ecr, "manual", "v1")["imageScanStatus"]["status"] == "COMPLETE", timeout=5)
    with pytest.raises(ClientError) as quota:
        ecr.start_image_scan(repositoryName="manual", imageId={"imageTag": "v1"})
    assert _error(quota) == ("LimitExceededException",
                             "The scan quota per image has been exceeded. Wait and try again.")


def test_a_blob_pushed_over_http_is_a_layer_ecr_reports_available(sandbox):
    sandbox.aws("ecr").create_repository(repositoryName="shared")
    base, authorization = registry_login(sandbox)
    _, layer, _ = build_test_image("shared")
    push_blob(base, authorization, "shared", layer)
    available = sandbox.aws("ecr").batch_check_layer_availability(
        repositoryName="shared", layerDigests=[sha256_digest(layer), "sha256:" + "2" * 64])
    assert [l["layerDigest"] for l in available["layers"]] == [sha256_digest(layer)]
    assert available["failures"][0]["failureCode"] == "MissingLayerDigest"
