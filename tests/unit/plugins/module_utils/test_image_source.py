"""Reading images from disk: OCI layouts (single and multi-arch), docker-archives, digests and errors."""

from __future__ import annotations

import datetime
import json

import pytest

from ansible_collections.ecsops.fargate.plugins.module_utils import image_source
from ansible_collections.ecsops.fargate.plugins.module_utils.image_source import ImageSourceError

from oci_images import digest_of, write_docker_archive, write_layout


def test_oci_layout_single_image(tmp_path):
    top = write_layout(tmp_path / "img", "a")
    source = image_source.read_oci_layout(str(tmp_path / "img"))
    assert source.digest == top
    assert digest_of(source.raw_manifest) == top
    assert source.media_type == image_source.OCI_MANIFEST
    assert not source.is_index
    assert len(source.blobs) == 2
    assert source.built_at == datetime.datetime(2024, 5, 1, 12, tzinfo=datetime.timezone.utc)
    for blob in source.blobs.values():
        with blob.open() as handle:
            assert digest_of(handle.read()) == blob.digest


def test_oci_layout_multi_arch_pushes_children_first(tmp_path):
    top = write_layout(tmp_path / "img", "m", arches=("amd64", "arm64"))
    source = image_source.read_oci_layout(str(tmp_path / "img"), ref="latest")
    assert source.is_index and source.digest == top
    assert [m[1] for m in source.manifests] == [image_source.OCI_MANIFEST] * 2 + [image_source.OCI_INDEX]
    assert len(source.blobs) == 4


def test_oci_layout_errors(tmp_path):
    with pytest.raises(ImageSourceError, match="not a directory"):
        image_source.read_oci_layout(str(tmp_path / "missing"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ImageSourceError, match="no 'oci-layout' file"):
        image_source.read_oci_layout(str(tmp_path / "empty"))
    write_layout(tmp_path / "img", "a")
    with pytest.raises(ImageSourceError, match="no image named 'nope'"):
        image_source.read_oci_layout(str(tmp_path / "img"), ref="nope")


def test_oci_layout_missing_or_wrong_size_blob(tmp_path):
    root = tmp_path / "img"
    write_layout(root, "a")
    source = image_source.read_oci_layout(str(root))
    layer = [b for b in source.blobs.values() if "layer" in b.media_type][0]
    path = root / "blobs" / "sha256" / layer.digest.split(":")[1]
    path.write_bytes(path.read_bytes() + b"x")
    with pytest.raises(ImageSourceError, match="descriptor says"):
        image_source.read_oci_layout(str(root))
    path.unlink()
    with pytest.raises(ImageSourceError, match="lacks the layer blob"):
        image_source.read_oci_layout(str(root))


def test_tampered_manifest_is_refused(tmp_path):
    root = tmp_path / "img"
    top = write_layout(root, "a")
    (root / "blobs" / "sha256" / top.split(":")[1]).write_bytes(b"{}")
    with pytest.raises(ImageSourceError, match="does not match its digest"):
        image_source.read_oci_layout(str(root))


def test_docker_archive_becomes_an_oci_manifest_over_the_same_blobs(tmp_path):
    archive = tmp_path / "img.tar"
    write_docker_archive(archive, "d")
    source = image_source.read_docker_archive(str(archive))
    manifest = json.loads(source.raw_manifest)
    assert source.digest == digest_of(source.raw_manifest)
    assert manifest["mediaType"] == image_source.OCI_MANIFEST
    layer = manifest["layers"][0]
    assert layer["mediaType"] == image_source.OCI_LAYER  # docker save layers are plain tars
    with source.blobs[layer["digest"]].open() as handle:
        data = handle.read()
    assert digest_of(data) == layer["digest"] and len(data) == layer["size"]
    assert source.built_at.year == 2024
    # deterministic: the same archive gives the same digest
    assert image_source.read_docker_archive(str(archive)).digest == source.digest


def test_docker_archive_errors(tmp_path):
    with pytest.raises(ImageSourceError, match="is not a file"):
        image_source.read_docker_archive(str(tmp_path / "none.tar"))
    (tmp_path / "junk.tar").write_bytes(b"not a tar")
    with pytest.raises(ImageSourceError, match="cannot read docker-archive"):
        image_source.read_docker_archive(str(tmp_path / "junk.tar"))
    write_docker_archive(tmp_path / "img.tar", "d")
    with pytest.raises(ImageSourceError, match="no image tagged"):
        image_source.read_docker_archive(str(tmp_path / "img.tar"), ref="other:1")


def test_build_time_from_label_when_created_is_missing():
    config = {"config": {"Labels": {"org.opencontainers.image.created": "2024-01-02T03:04:05Z"}}}
    assert image_source.build_time_of_config(config).hour == 3
    assert image_source.build_time_of_config({}) is None
