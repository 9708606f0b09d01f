"""ECR in front of a real registry: repositories from moto, images from docker-registry.

moto 5.2.5 keeps images as records of its own (digests that are not sha256 of the manifest,
no registry to push to, immutability that depends on tag order, exclusion filters read as
regular expressions). Here the registry (sandbox/registry.py) is the truth for images:

- repositoryUri is `<registry_host>/<name>` (AWS: `<account>.dkr.ecr.<region>.amazonaws.com/<name>`);
  GetAuthorizationToken answers base64("AWS:<password>") for the registry's htpasswd, with
  proxyEndpoint `http://<registry_host>` and expiresAt 12 h ahead. The password is random per sandbox.
- DescribeImages, ListImages, BatchGetImage, BatchDeleteImage and PutImage read and write the
  registry: digests are sha256 of the exact manifest bytes, imageSizeInBytes is the sum of the
  layer sizes in the manifest (the largest child's for an index), as ECR reports compressed sizes.
- Tag mutability (MUTABLE, IMMUTABLE and the *_WITH_EXCLUSION variants with WILDCARD filters) is
  enforced for PutImage (ImageTagAlreadyExistsException) and for pushes through the registry proxy
  (400 TAG_INVALID with ECR's message), as is the repository's existence (404 NAME_UNKNOWN).
- Scan on push (or a registry scanning rule with SCAN_ON_PUSH) and StartImageScan start a basic
  scan that is COMPLETE after the profile's scaled scan time; findings are none unless injected with
  POST /_sandbox/ecr/findings {"repository", "digest" | "tag", "findings": {"CRITICAL": 1, ...}}.
- Layer uploads through the ECR API (InitiateLayerUpload ... CompleteLayerUpload) land in the
  registry too, so PutImage can reference them.
- Lifecycle policies are evaluated as documented (rules by rulePriority; an image that a rule's
  selection matches is not seen by lower-priority rules; imageCountMoreThan keeps the newest pushes,
  sinceImagePushed expires older ones) for StartLifecyclePolicyPreview / GetLifecyclePolicyPreview, and
  applied on demand by POST /_sandbox/ecr/lifecycle {"repository"} (AWS applies them within 24 hours;
  the sandbox never expires images on its own).
Repository settings (encryption, lifecycle policy text, policies, tags) are moto's, which stores
and returns them as AWS does.
"""

import base64
import hashlib
import json
import os
import re
import secrets

from moto.core import DEFAULT_ACCOUNT_ID
from moto.ecr.models import ECRBackend, ecr_backends
from moto.ecr.policy_validation import EcrLifecyclePolicyValidator

from .hooks import after, area, before, route
from .protocol import AwsError
from .registry import USERNAME, Registry, RegistryProxy, oci_error

TOKEN_LIFETIME = 12 * 3600  # ECR authorization tokens are valid for 12 hours
IMAGE_SCAN_SECONDS = 20.0  # AWS seconds a basic scan takes (scaled by the profile)
SCAN_QUOTA_SECONDS = 24 * 3600  # one manual scan per image per 24 hours
REPOSITORY_NAME = re.compile(r"(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*")  # ECR's rule
DIGEST_PATTERN = re.compile(r"^[0-9a-zA-Z_+.-]+:[0-9a-fA-F]{64}$")
SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNDEFINED")
INDEX_MEDIA_TYPES = ("application/vnd.docker.distribution.manifest.list.v2+json",
                     "application/vnd.oci.image.index.v1+json")
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"


def wildcard_match(pattern: str, tag: str) -> bool:
    """ECR's WILDCARD filter: `*` stands for any run of characters, everything else is literal."""
    return re.fullmatch(".*".join(re.escape(part) for part in pattern.split("*")), tag) is not None


def tag_is_immutable(repository, tag: str) -> bool:
    mode = repository.image_tag_mutability
    excluded = any(wildcard_match(f["filter"], tag) for f in repository.image_tag_mutability_exclusion_filters or ())
    if mode == "IMMUTABLE_WITH_EXCLUSION":
        return not excluded
    if mode == "MUTABLE_WITH_EXCLUSION":
        return excluded
    return mode == "IMMUTABLE"


def immutable_tag_message(repository: str, tag: str) -> str:
    return (f"The image tag '{tag}' already exists in the '{repository}' repository and cannot be overwritten "
            f"because the repository is immutable.")


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _page(items: list, params: dict, default_max: int) -> tuple[list, str | None]:
    """ECR-style pagination with an opaque nextToken."""
    start = 0
    if params.get("nextToken"):
        try:
            start = int(base64.b64decode(params["nextToken"]).decode())
        except ValueError:
            raise AwsError("InvalidParameterException", "Invalid parameter at 'nextToken' failed to satisfy "
                                                        "constraint: 'Invalid token'") from None
    size = params.get("maxResults") or default_max
    end = start + size
    token = base64.b64encode(str(end).encode()).decode() if end < len(items) else None
    return items[start:end], token


@area("ecr")
class EcrArea:
    def __init__(self, sandbox):
        self.sb = sandbox
        self.password = secrets.token_urlsafe(24)
        self.registry = Registry(self.password)
        self.proxy: RegistryProxy | None = None
        self._forget()

    def _forget(self):
        self.pushed_at: dict[tuple[str, str], float] = {}  # (repository, digest) -> first push
        self.scans: dict[tuple[str, str], dict] = {}  # (repository, digest) -> {"started", "completes"}
        self.injected_findings: list[dict] = []
        self.previews: dict[tuple[str, str], dict] = {}  # (region, repository) -> lifecycle policy preview

    # -- life cycle ---------------------------------------------------------------------
    def start(self):
        """Bind the registry's public port first (refusing a busy one), then start docker-registry."""
        self.proxy = RegistryProxy(self.registry, self, int(os.environ.get("SANDBOX_REGISTRY_PORT") or 0))
        try:
            self.registry.start()
        except Exception:
            self.proxy.stop()
            self.proxy = None
            raise
        self.proxy.start()

    def stop(self):
        if self.proxy:
            self.proxy.stop()
            self.proxy = None
        self.registry.stop()

    def reset(self):
        self._forget()
        self.registry.wipe()

    def describe(self) -> dict:
        return {"ecr": {"registry_host": self.registry_host, "registry_pid": self.registry.pid,
                        "registry_pidfile": str(self.registry.pidfile) if self.registry.pidfile else None}}

    # -- interface for other areas ------------------------------------------------------
    @property
    def registry_host(self) -> str | None:
        return self.proxy.address if self.proxy else None

    def image_available(self, image_ref: str) -> bool:
        """Whether `host:port/repo:tag` or `host:port/repo@sha256:...` is in the sandbox registry (a stat or two)."""
        host, _, rest = image_ref.partition("/")
        if not rest or host != self.registry_host:
            return False
        if "@" in rest:
            name, _, digest = rest.partition("@")
            name = name.rsplit(":", 1)[0] if ":" in name else name
            return bool(REPOSITORY_NAME.fullmatch(name)) and self.registry.has_manifest(name, digest)
        name, _, tag = rest.rpartition(":") if ":" in rest else (rest, "", "latest")
        return bool(REPOSITORY_NAME.fullmatch(name)) and self.registry.tag_digest(name, tag) is not None

    # -- the registry proxy's gate ------------------------------------------------------
    def authorized(self, header: str | None) -> bool:
        scheme, _, credentials = (header or "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(credentials.strip()).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return user == USERNAME and secrets.compare_digest(password, self.password)

    def check_repository(self, name: str):
        with self.sb.lock:
            if self._find_repository(name) is None:
                return oci_error(404, "NAME_UNKNOWN", f"The repository with name '{name}' does not exist in the "
                                                      f"registry with id '{DEFAULT_ACCOUNT_ID}'")
        return None

    def put_manifest(self, name: str, reference: str, body: bytes, forward):
        """A manifest PUT through the registry: refuse what ECR refuses, else forward and record the push."""
        with self.sb.lock:  # check and write as one step: two pushes to one immutable tag cannot both win
            repository = self._find_repository(name)
            if repository is None:  # deleted since check_repository
                return self.check_repository(name)
            digest = sha256_digest(body)
            if not reference.startswith("sha256:"):
                current = self.registry.tag_digest(name, reference)
                if current and current != digest and tag_is_immutable(repository, reference):
                    return oci_error(400, "TAG_INVALID", immutable_tag_message(name, reference))
            status, headers, answer = forward()
            if status == 201:
                self._record_push(repository, name, digest)
            elif status == 400:
                missing = _missing_blobs(answer)
                if missing:
                    return oci_error(400, "BLOB_UPLOAD_UNKNOWN", self._layers_missing_message(name, missing))
            return status, headers, answer

    # -- state --------------------------------------------------------------------------
    def _find_repository(self, name: str):
        """The ECR repository a registry path names (one registry serves every region: first match)."""
        for region in list(ecr_backends[DEFAULT_ACCOUNT_ID].keys()):
            repository = ecr_backends[DEFAULT_ACCOUNT_ID][region].repositories.get(name)
            if repository is not None:
                return repository
        return None

    def _layers_missing_message(self, name: str, digests: list[str]) -> str:
        return (f"Layers with digests '[{', '.join(digests)}]' required for pushing image into repository with "
                f"name '{name}' in the registry with id '{DEFAULT_ACCOUNT_ID}' do not exist")

    def _record_push(self, repository, name: str, digest: str):
        now = self.sb.now()
        self.pushed_at.setdefault((name, digest), now)
        scanning = repository.image_scanning_configuration or {}
        on_push = scanning.get("scanOnPush") or repository.scanning_config.get("scanFrequency") in (
            "SCAN_ON_PUSH", "CONTINUOUS_SCAN")
        if on_push and (name, digest) not in self.scans:
            self._start_scan(name, digest, now)

    def _start_scan(self, name: str, digest: str, now: float):
        scan_seconds = getattr(self.sb.profile, "image_scan", IMAGE_SCAN_SECONDS)
        self.scans[(name, digest)] = {"started": now, "completes": now + self.sb.profile.seconds(scan_seconds)}

    def forget_repository(self, name: str):
        self.registry.remove_repository(name)
        for store in (self.pushed_at, self.scans):
            for key in [key for key in store if key[0] == name]:
                del store[key]

    def images(self, name: str) -> list[dict]:
        """Every manifest in the repository, oldest push first, as ECR describes it."""
        tags_by_digest: dict[str, list[str]] = {}
        for tag, digest in self.registry.tags(name).items():
            tags_by_digest.setdefault(digest, []).append(tag)
        found = []
        for digest in self.registry.manifest_digests(name):
            raw = self.registry.blob(digest)
            if raw is None:
                continue
            found.append(self._image(name, digest, raw, sorted(tags_by_digest.get(digest, []))))
        found.sort(key=lambda image: (image["pushed_at"], image["digest"]))
        return found

    def _image(self, name: str, digest: str, raw: bytes, tags: list[str]) -> dict:
        manifest = _parse(raw)
        media_type = manifest.get("mediaType") or (OCI_INDEX if "manifests" in manifest else OCI_MANIFEST)
        if "manifests" in manifest:
            sizes = [self._size_of(entry.get("digest", "")) for entry in manifest["manifests"]]
            size = max([s for s in sizes if s is not None], default=0)
            artifact = manifest.get("artifactType")
        else:
            size = sum(layer.get("size", 0) for layer in manifest.get("layers", []))
            artifact = manifest.get("artifactType") or manifest.get("config", {}).get("mediaType")
        pushed = self.pushed_at.get((name, digest)) or self.registry.pushed_at(name, digest) or self.sb.now()
        return {"digest": digest, "tags": tags, "raw": raw, "media_type": media_type, "artifact": artifact,
                "size": size, "pushed_at": pushed, "subject": (manifest.get("subject") or {}).get("digest")}

    def _size_of(self, digest: str) -> int | None:
        raw = self.registry.blob(digest) if DIGEST_PATTERN.match(digest or "") else None
        if raw is None:
            return None
        return sum(layer.get("size", 0) for layer in _parse(raw).get("layers", []))

    def scan_state(self, name: str, digest: str) -> dict | None:
        scan = self.scans.get((name, digest))
        if scan is None:
            return None
        complete = self.sb.now() >= scan["completes"]
        return {"status": "COMPLETE" if complete else "IN_PROGRESS", "started": scan["started"],
                "completes": scan["completes"]}

    def findings_for(self, name: str, digest: str, tags: list[str]) -> dict[str, int]:
        """Severity counts injected for this image: the latest rule naming its digest or one of its tags."""
        counts: dict[str, int] = {}
        for rule in self.injected_findings:
            if rule["repository"] == name and (rule.get("digest") == digest or rule.get("tag") in tags):
                counts = rule["findings"]
        return {severity: count for severity, count in counts.items() if count}


def _parse(raw: bytes) -> dict:
    try:
        parsed = json.loads(raw)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _missing_blobs(answer: bytes) -> list[str]:
    """Digests of the blobs distribution says a manifest references but the repository lacks."""
    missing = []
    for error in _parse(answer).get("errors", []):
        if error.get("code") in ("MANIFEST_BLOB_UNKNOWN", "BLOB_UNKNOWN") and isinstance(error.get("detail"), str):
            missing.append(error["detail"])
    return missing


# -- ECR API ---------------------------------------------------------------------------

def _ecr(sb) -> EcrArea:
    return sb.area("ecr")


def _repository(sb, call, name: str | None = None):
    name = name or call.params.get("repositoryName", "")
    registry_id = call.params.get("registryId") or call.account
    repository = sb.backend("ecr", call.region, call.account).repositories.get(name)
    if repository is None or repository.registry_id != registry_id:
        raise AwsError("RepositoryNotFoundException",
                       f"The repository with name '{name}' does not exist in the registry with id '{registry_id}'")
    return repository


def _image_id_text(image_id: dict) -> str:
    return f"{{imageDigest:'{image_id.get('imageDigest') or 'null'}', imageTag:'{image_id.get('imageTag') or 'null'}'}}"


def _resolve(ecr: EcrArea, name: str, image_id: dict) -> str | None:
    """The digest an imageId names, or None."""
    digest, tag = image_id.get("imageDigest"), image_id.get("imageTag")
    if tag:
        tagged = ecr.registry.tag_digest(name, tag)
        if tagged is None or (digest and digest != tagged):
            return None
        return tagged
    if digest and ecr.registry.has_manifest(name, digest):
        return digest
    return None


@after("ecr", "CreateRepository")
def _repository_uri(sb, call):
    """repositoryUri names the sandbox registry, so pushes take the same path as to ECR."""
    ecr = _ecr(sb)
    repository = _repository(sb, call)
    repository.uri = f"{ecr.registry_host}/{repository.name}"
    call.response["repository"]["repositoryUri"] = repository.uri


@before("ecr", "GetAuthorizationToken")
def _get_authorization_token(sb, call):
    ecr = _ecr(sb)
    token = base64.b64encode(f"{USERNAME}:{ecr.password}".encode()).decode()
    registry_ids = call.params.get("registryIds") or [call.account]
    return {"authorizationData": [
        {"authorizationToken": token, "expiresAt": sb.now() + TOKEN_LIFETIME,
         "proxyEndpoint": f"http://{ecr.registry_host}"} for _ in registry_ids]}


@before("ecr", "DeleteRepository")
def _delete_repository(sb, call):
    repository = _repository(sb, call)
    if not call.params.get("force") and _ecr(sb).registry.manifest_digests(repository.name):
        raise AwsError("RepositoryNotEmptyException",
                       f"The repository with name '{repository.name}' in registry with id "
                       f"'{repository.registry_id}' cannot be deleted because it still contains images")


@after("ecr", "DeleteRepository")
def _forget_deleted_repository(sb, call):
    _ecr(sb).forget_repository(call.params["repositoryName"])


@before("ecr", "PutImageTagMutability")
def _check_mutability_filters(sb, call):
    """moto checks filters against the mode on CreateRepository only; AWS checks on both."""
    try:
        ECRBackend.validate_image_tag_mutability_params_compatibility(
            call.params.get("imageTagMutability"), call.params.get("imageTagMutabilityExclusionFilters"))
    except Exception as exc:
        raise AwsError("InvalidParameterException", getattr(exc, "message", str(exc))) from None


@after("ecr", "PutImageTagMutability")
def _echo_mutability_filters(sb, call):
    filters = _repository(sb, call).image_tag_mutability_exclusion_filters
    if filters:
        call.response["imageTagMutabilityExclusionFilters"] = filters


@before("ecr", "PutImage")
def _put_image(sb, call):
    ecr = _ecr(sb)
    repository = _repository(sb, call)
    name = repository.name
    text = call.params.get("imageManifest", "")
    manifest = _parse(text.encode())
    if not manifest:
        raise AwsError("InvalidParameterException",
                       "Invalid parameter at 'ImageManifest' failed to satisfy constraint: 'Invalid JSON syntax'")
    media_type = call.params.get("imageManifestMediaType") or manifest.get("mediaType")
    if not media_type:
        raise AwsError("InvalidParameterException",
                       "Invalid parameter at 'imageManifestMediaType' failed to satisfy constraint: "
                       "'image manifest media type must be provided in the request or the manifest'")
    if manifest.get("mediaType") and manifest["mediaType"] != media_type:
        raise AwsError("InvalidParameterException",
                       "Invalid parameter at 'imageManifestMediaType' failed to satisfy constraint: "
                       "'media type in the request does not match the media type in the manifest'")
    raw = text.encode()
    digest = sha256_digest(raw)
    if call.params.get("imageDigest") and call.params["imageDigest"] != digest:
        raise AwsError("ImageDigestDoesNotMatchException",
                       f"The digest '{call.params['imageDigest']}' does not match the digest '{digest}' that Amazon "
                       f"ECR calculated for the image manifest")
    tag = call.params.get("imageTag")
    current = ecr.registry.tag_digest(name, tag) if tag else None
    if (tag and current == digest) or (not tag and ecr.registry.has_manifest(name, digest)):
        raise AwsError("ImageAlreadyExistsException",
                       f"Image with digest '{digest}' and tag '{tag or 'null'}' already exists in the repository "
                       f"with name '{name}' in registry with id '{repository.registry_id}'")
    if current and tag_is_immutable(repository, tag):
        raise AwsError("ImageTagAlreadyExistsException", immutable_tag_message(name, tag))
    status, _, answer = ecr.registry.put_manifest(name, tag or digest, raw, media_type)
    if status != 201:
        missing = _missing_blobs(answer)
        if missing:
            raise AwsError("LayersNotFoundException", ecr._layers_missing_message(name, missing))
        errors = _parse(answer).get("errors") or [{"message": answer.decode("utf-8", "replace")}]
        field = "imageTag" if errors[0].get("code") == "TAG_INVALID" else "imageManifest"
        raise AwsError("InvalidParameterException",
                       f"Invalid parameter at '{field}' failed to satisfy constraint: '{errors[0].get('message')}'")
    ecr._record_push(repository, name, digest)
    image_id = {"imageDigest": digest}
    if tag:
        image_id["imageTag"] = tag
    return {"image": {"registryId": repository.registry_id, "repositoryName": name, "imageId": image_id,
                      "imageManifest": text, "imageManifestMediaType": media_type}}


def _tag_status_filter(images: list[dict], params: dict) -> list[dict]:
    status = (params.get("filter") or {}).get("tagStatus", "ANY")
    if status == "TAGGED":
        return [image for image in images if image["tags"]]
    if status == "UNTAGGED":
        return [image for image in images if not image["tags"]]
    return images


@before("ecr", "ListImages")
def _list_images(sb, call):
    repository = _repository(sb, call)
    ids = []
    for image in _tag_status_filter(_ecr(sb).images(repository.name), call.params):
        if image["tags"]:
            ids.extend({"imageDigest": image["digest"], "imageTag": tag} for tag in image["tags"])
        else:
            ids.append({"imageDigest": image["digest"]})
    page, token = _page(ids, call.params, 100)
    answer = {"imageIds": page}
    if token:
        answer["nextToken"] = token
    return answer


@before("ecr", "DescribeImages")
def _describe_images(sb, call):
    ecr = _ecr(sb)
    repository = _repository(sb, call)
    images = ecr.images(repository.name)
    if call.params.get("imageIds"):
        if call.params.get("nextToken") or call.params.get("maxResults"):
            raise AwsError("InvalidParameterException",
                           "Invalid parameter at 'imageIds' failed to satisfy constraint: 'imageIds cannot be used "
                           "with maxResults or nextToken'")
        by_digest = {image["digest"]: image for image in images}
        chosen = []
        for image_id in call.params["imageIds"]:
            digest = _resolve(ecr, repository.name, image_id)
            if digest is None or digest not in by_digest:
                raise AwsError("ImageNotFoundException",
                               f"The image with imageId {_image_id_text(image_id)} does not exist within the "
                               f"repository with name '{repository.name}' in the registry with id "
                               f"'{repository.registry_id}'")
            if by_digest[digest] not in chosen:
                chosen.append(by_digest[digest])
        page, token = chosen, None
    else:
        page, token = _page(_tag_status_filter(images, call.params), call.params, 100)
    answer = {"imageDetails": [_image_detail(ecr, repository, image) for image in page]}
    if token:
        answer["nextToken"] = token
    return answer


def _image_detail(ecr: EcrArea, repository, image: dict) -> dict:
    detail = {"registryId": repository.registry_id, "repositoryName": repository.name,
              "imageDigest": image["digest"], "imageSizeInBytes": image["size"],
              "imagePushedAt": image["pushed_at"], "imageManifestMediaType": image["media_type"],
              "imageStatus": "ACTIVE"}
    if image["tags"]:
        detail["imageTags"] = image["tags"]
    if image["artifact"]:
        detail["artifactMediaType"] = image["artifact"]
    if image["subject"]:
        detail["subjectManifestDigest"] = image["subject"]
    scan = ecr.scan_state(repository.name, image["digest"])
    if scan:
        detail["imageScanStatus"] = _scan_status(scan)
        if scan["status"] == "COMPLETE":
            detail["imageScanFindingsSummary"] = {
                "imageScanCompletedAt": scan["completes"], "vulnerabilitySourceUpdatedAt": scan["started"],
                "findingSeverityCounts": ecr.findings_for(repository.name, image["digest"], image["tags"])}
    return detail


def _scan_status(scan: dict) -> dict:
    if scan["status"] == "COMPLETE":
        return {"status": "COMPLETE", "description": "The scan was completed successfully."}
    return {"status": "IN_PROGRESS", "description": "The scan is in progress."}


def _invalid_digest_failure(image_id: dict) -> dict:
    return {"imageId": image_id, "failureCode": "InvalidImageDigest",
            "failureReason": "Invalid request parameters: image digest should satisfy the regex "
                             "'[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'"}


@before("ecr", "BatchGetImage")
def _batch_get_image(sb, call):
    ecr = _ecr(sb)
    repository = _repository(sb, call)
    images, failures = [], []
    for image_id in call.params.get("imageIds") or []:
        if image_id.get("imageDigest") and not DIGEST_PATTERN.match(image_id["imageDigest"]):
            failures.append(_invalid_digest_failure(image_id))
            continue
        digest = _resolve(ecr, repository.name, image_id)
        raw = ecr.registry.blob(digest) if digest else None
        if raw is None:
            failures.append({"imageId": image_id, "failureCode": "ImageNotFound",
                             "failureReason": "Requested image not found"})
            continue
        manifest = _parse(raw)
        answer_id = {"imageDigest": digest}
        if image_id.get("imageTag"):
            answer_id["imageTag"] = image_id["imageTag"]
        images.append({"registryId": repository.registry_id, "repositoryName": repository.name,
                       "imageId": answer_id, "imageManifest": raw.decode(),
                       "imageManifestMediaType": manifest.get("mediaType") or
                       (OCI_INDEX if "manifests" in manifest else OCI_MANIFEST)})
    return {"images": images, "failures": failures}


@before("ecr", "BatchDeleteImage")
def _batch_delete_image(sb, call):
    """A tag removes that tag (and the image with its last tag); a digest removes the image and its tags."""
    ecr = _ecr(sb)
    repository = _repository(sb, call)
    name = repository.name
    deleted, failures = [], []
    for image_id in call.params.get("imageIds") or []:
        digest, tag = image_id.get("imageDigest"), image_id.get("imageTag")
        if not digest and not tag:
            failures.append({"imageId": image_id, "failureCode": "MissingDigestAndTag",
                             "failureReason": "Invalid request parameters: both tag and digest cannot be null"})
            continue
        if digest and not DIGEST_PATTERN.match(digest):
            failures.append(_invalid_digest_failure(image_id))
            continue
        resolved = _resolve(ecr, name, image_id)
        if resolved is None:
            failures.append({"imageId": image_id, "failureCode": "ImageNotFound",
                             "failureReason": "Requested image not found"})
            continue
        tags = sorted(t for t, d in ecr.registry.tags(name).items() if d == resolved)
        if tag and not digest and len(tags) > 1:
            ecr.registry.remove_tag(name, tag)
            deleted.append({"imageDigest": resolved, "imageTag": tag})
            continue
        indexes = _indexes_referencing(ecr, name, resolved)
        if indexes:
            failures.append({"imageId": image_id, "failureCode": "ImageReferencedByManifestList",
                             "failureReason": f"Requested image referenced by manifest list: [{', '.join(indexes)}]"})
            continue
        ecr.registry.delete_manifest(name, resolved)
        ecr.pushed_at.pop((name, resolved), None)
        ecr.scans.pop((name, resolved), None)
        deleted.extend({"imageDigest": resolved, "imageTag": t} for t in tags)
        if not tags:
            deleted.append({"imageDigest": resolved})
    return {"imageIds": deleted, "failures": failures}


def _indexes_referencing(ecr: EcrArea, name: str, digest: str) -> list[str]:
    """Digests of the image indexes (manifest lists) in the repository that list `digest`."""
    found = []
    for candidate in ecr.registry.manifest_digests(name):
        manifest = _parse(ecr.registry.blob(candidate) or b"")
        if any(entry.get("digest") == digest for entry in manifest.get("manifests", [])):
            found.append(candidate)
    return found


def _existing_digest(ecr, repository, image_id):
    """The digest `image_id` names in `repository`, or ECR's ImageNotFoundException."""
    digest = _resolve(ecr, repository.name, image_id)
    if digest is None:
        raise AwsError("ImageNotFoundException",
                       f"The image with imageId {_image_id_text(image_id)} does not exist within the repository "
                       f"with name '{repository.name}' in the registry with id '{repository.registry_id}'")
    return digest


@before("ecr", "StartImageScan")
def _start_image_scan(sb, call):
    ecr = _ecr(sb)
    repository = _repository(sb, call)
    image_id = call.params.get("imageId") or {}
    digest = _existing_digest(ecr, repository, image_id)
    now = sb.now()
    previous = ecr.scans.get((repository.name, digest))
    if previous and now - previous["started"] < sb.profile.seconds(SCAN_QUOTA_SECONDS):
        raise AwsError("LimitExceededException", "The scan quota per image has been exceeded. Wait and try again.")
    ecr._start_scan(repository.name, digest, now)
    answer_id = {"imageDigest": digest}
    if image_id.get("imageTag"):
        answer_id["imageTag"] = image_id["imageTag"]
    return {"registryId": repository.registry_id, "repositoryName": repository.name, "imageId": answer_id,
            "imageScanStatus": {"status": "IN_PROGRESS", "description": "The scan is in progress."}}


@before("ecr", "DescribeImageScanFindings")
def _describe_image_scan_findings(sb, call):
    ecr = _ecr(sb)
    repository = _repository(sb, call)
    image_id = call.params.get("imageId") or {}
    digest = _existing_digest(ecr, repository, image_id)
    scan = ecr.scan_state(repository.name, digest)
    if scan is None:
        raise AwsError("ScanNotFoundException",
                       f"Image scan does not exist for the image with '{_image_id_text(image_id)}' in the "
                       f"repository with name '{repository.name}' in the registry with id "
                       f"'{repository.registry_id}'")
    answer_id = {"imageDigest": digest}
    if image_id.get("imageTag"):
        answer_id["imageTag"] = image_id["imageTag"]
    answer = {"registryId": repository.registry_id, "repositoryName": repository.name, "imageId": answer_id,
              "imageScanStatus": _scan_status(scan)}
    if scan["status"] != "COMPLETE":
        return answer
    tags = sorted(t for t, d in ecr.registry.tags(repository.name).items() if d == digest)
    counts = ecr.findings_for(repository.name, digest, tags)
    findings = [_finding(severity, number)
                for severity in SEVERITIES for number in range(1, counts.get(severity, 0) + 1)]
    page, token = _page(findings, call.params, 100)
    answer["imageScanFindings"] = {"imageScanCompletedAt": scan["completes"],
                                   "vulnerabilitySourceUpdatedAt": scan["started"],
                                   "findingSeverityCounts": counts, "findings": page}
    if token:
        answer["nextToken"] = token
    return answer


def _finding(severity: str, number: int) -> dict:
    name = f"CVE-0000-{severity[:4]}{number:04d}"
    return {"name": name, "description": f"Finding injected into the sandbox ({severity}).",
            "uri": f"https://cve.mitre.org/cgi-bin/cvename.cgi?name={name}", "severity": severity,
            "attributes": [{"key": "package_name", "value": "sandbox-injected"},
                           {"key": "package_version", "value": "0.0.0"}]}


@before("ecr", "BatchCheckLayerAvailability")
def _batch_check_layer_availability(sb, call):
    ecr = _ecr(sb)
    repository = _repository(sb, call)
    layers, failures = [], []
    for digest in call.params.get("layerDigests") or []:
        if not re.fullmatch(r"sha256:[a-f0-9]{64}", digest):
            failures.append({"layerDigest": digest, "failureCode": "InvalidLayerDigest",
                             "failureReason": f"Invalid layer digest '{digest}'"})
        elif ecr.registry.has_layer(repository.name, digest):
            layers.append({"layerDigest": digest, "layerAvailability": "AVAILABLE",
                           "layerSize": ecr.registry.blob_size(digest) or 0,
                           "mediaType": "application/vnd.docker.container.image.rootfs.diff+x-gzip"})
        else:
            failures.append({"layerDigest": digest, "failureCode": "MissingLayerDigest",
                             "failureReason": f"Layer digest '{digest}' could not be found"})
    return {"layers": layers, "failures": failures}


@before("ecr", "CompleteLayerUpload")
def _complete_layer_upload(sb, call):
    """Check the upload as ECR does, then store the blob in the registry; moto then finishes its record."""
    ecr = _ecr(sb)
    repository = _repository(sb, call)
    upload = repository.uploads.get(call.params.get("uploadId"))
    if upload is None:
        return None  # moto answers UploadNotFoundException
    data = bytes(upload.layer_parts)
    if not data:
        raise AwsError("EmptyUploadException", "The specified layer upload does not contain any layer parts.")
    digest = sha256_digest(data)
    if digest not in (call.params.get("layerDigests") or []):
        raise AwsError("InvalidLayerException", "The layer digest calculation performed by Amazon ECR upon receipt "
                                                "of the image layer does not match the digest specified.")
    if ecr.registry.has_layer(repository.name, digest):
        raise AwsError("LayerAlreadyExistsException", "The image layer already exists in the associated repository.")
    status, headers, _ = ecr.registry.request("POST", f"/v2/{repository.name}/blobs/uploads/", b"")
    location = headers.get("Location", "")
    path = location.split("://", 1)[-1].partition("/")[2] if "://" in location else location.lstrip("/")
    separator = "&" if "?" in path else "?"
    status, _, answer = ecr.registry.request("PUT", f"/{path}{separator}digest={digest}", data,
                                             {"Content-Type": "application/octet-stream"})
    if status != 201:
        raise AwsError("ServerException", f"the registry refused the layer: {answer.decode('utf-8', 'replace')}",
                       status=500, sender=False)
    return None


# -- lifecycle policies ---------------------------------------------------------------------

def _validated_policy(text: str) -> dict:
    try:
        EcrLifecyclePolicyValidator(text).validate()
    except Exception as exc:  # moto's InvalidParameterException carries AWS's wording
        raise AwsError("InvalidParameterException", getattr(exc, "message", str(exc))) from None
    return json.loads(text)


def _selected(image: dict, selection: dict) -> bool:
    status = selection["tagStatus"]
    if status == "untagged":
        return not image["tags"]
    if status == "any":
        return True
    if not image["tags"]:
        return False
    prefixes = selection.get("tagPrefixList") or []
    patterns = selection.get("tagPatternList") or []
    # Several prefixes or patterns select only images that carry all of them.
    return all(any(tag.startswith(prefix) for tag in image["tags"]) for prefix in prefixes) and \
        all(any(wildcard_match(pattern, tag) for tag in image["tags"]) for pattern in patterns)


def lifecycle_expirations(images: list[dict], policy: dict, now: float) -> list[tuple[dict, int]]:
    """(image, rulePriority) for every image the policy expires, evaluated as ECR documents it."""
    claimed, expiring = set(), []
    for rule in sorted(policy["rules"], key=lambda r: r["rulePriority"]):
        selection = rule["selection"]
        matching = sorted((i for i in images if i["digest"] not in claimed and _selected(i, selection)),
                          key=lambda i: i["pushed_at"], reverse=True)
        if selection["countType"] == "imageCountMoreThan":
            expired = matching[selection["countNumber"]:]
        else:
            expired = [i for i in matching if now - i["pushed_at"] > selection["countNumber"] * 86400]
        claimed.update(i["digest"] for i in matching)
        expiring.extend((image, rule["rulePriority"]) for image in expired)
    return expiring


@before("ecr", "StartLifecyclePolicyPreview")
def _start_lifecycle_policy_preview(sb, call):
    ecr = _ecr(sb)
    repository = _repository(sb, call)
    text = call.params.get("lifecyclePolicyText") or repository.lifecycle_policy
    if not text:
        raise AwsError("LifecyclePolicyNotFoundException",
                       f"Lifecycle policy does not exist for the repository with name '{repository.name}' in the "
                       f"registry with id '{repository.registry_id}'")
    policy = _validated_policy(text)
    results = [{"imageTags": image["tags"], "imageDigest": image["digest"], "imagePushedAt": image["pushed_at"],
                "action": {"type": "EXPIRE"}, "appliedRulePriority": priority}
               for image, priority in lifecycle_expirations(ecr.images(repository.name), policy, sb.now())]
    ecr.previews[(call.region, repository.name)] = {"text": text, "results": results}
    return {"registryId": repository.registry_id, "repositoryName": repository.name, "lifecyclePolicyText": text,
            "status": "IN_PROGRESS"}


@before("ecr", "GetLifecyclePolicyPreview")
def _get_lifecycle_policy_preview(sb, call):
    repository = _repository(sb, call)
    preview = _ecr(sb).previews.get((call.region, repository.name))
    if preview is None:
        raise AwsError("LifecyclePolicyPreviewNotFoundException",
                       f"There is no dry run for the repository with name '{repository.name}' in the registry with "
                       f"id '{repository.registry_id}'")
    page, token = _page(preview["results"], call.params, 100)
    answer = {"registryId": repository.registry_id, "repositoryName": repository.name,
              "lifecyclePolicyText": preview["text"], "status": "COMPLETE", "previewResults": page,
              "summary": {"expiringImageTotalCount": len(preview["results"])}}
    if token:
        answer["nextToken"] = token
    return answer


# -- control API -----------------------------------------------------------------------

@route("POST", "/_sandbox/ecr/findings")
def _inject_findings(sb, environ, rest, payload):
    """Findings the next (or current) scan of an image reports: {"repository", "digest"|"tag", "findings"}."""
    if not isinstance(payload, dict) or not isinstance(payload.get("repository"), str):
        raise AwsError("ValidationException", "findings need a repository name")
    if bool(payload.get("digest")) == bool(payload.get("tag")):
        raise AwsError("ValidationException", "name the image by exactly one of digest or tag")
    findings = payload.get("findings")
    if not isinstance(findings, dict) or any(
            severity not in SEVERITIES or not isinstance(count, int) or isinstance(count, bool) or count < 0
            for severity, count in findings.items()):
        raise AwsError("ValidationException", f"findings maps severities {list(SEVERITIES)} to counts >= 0")
    rule = {"repository": payload["repository"], "findings": dict(findings)}
    rule["digest" if payload.get("digest") else "tag"] = payload.get("digest") or payload.get("tag")
    _ecr(sb).injected_findings.append(rule)
    return 201, [("Content-Type", "application/json")], json.dumps(rule).encode()


@route("POST", "/_sandbox/ecr/lifecycle")
def _apply_lifecycle_policy(sb, environ, rest, payload):
    """Apply a repository's lifecycle policy now, as ECR does some time within 24 hours of a change."""
    ecr = _ecr(sb)
    name = payload.get("repository") if isinstance(payload, dict) else None
    repository = ecr._find_repository(name) if isinstance(name, str) else None
    if repository is None:
        raise AwsError("RepositoryNotFoundException", f"The repository with name '{name}' does not exist in the "
                                                      f"registry with id '{DEFAULT_ACCOUNT_ID}'")
    if not repository.lifecycle_policy:
        raise AwsError("LifecyclePolicyNotFoundException", f"Lifecycle policy does not exist for the repository "
                                                           f"with name '{name}'")
    expired = []
    for image, priority in lifecycle_expirations(ecr.images(name), json.loads(repository.lifecycle_policy),
                                                 sb.now()):
        ecr.registry.delete_manifest(name, image["digest"])
        expired.append({"imageDigest": image["digest"], "imageTags": image["tags"], "appliedRulePriority": priority})
    return 200, [("Content-Type", "application/json")], json.dumps({"expired": expired}).encode()


@route("GET", "/_sandbox/ecr/findings")
def _list_findings(sb, environ, rest, payload):
    body = json.dumps({"findings": _ecr(sb).injected_findings}).encode()
    return 200, [("Content-Type", "application/json")], body
