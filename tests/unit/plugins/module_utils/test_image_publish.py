"""The publish runner's alias step: forward-only moves, and the read-back that repairs a lost race."""

from __future__ import annotations

import datetime

from ansible_collections.ecsops.fargate.plugins.module_utils import image_publish
from ansible_collections.ecsops.fargate.plugins.module_utils import image_source
from ansible_collections.ecsops.fargate.plugins.module_utils.registry import RegistryClient

from oci_images import FakeRegistry, write_layout


def _publish(client, source, tag):
    for blob in source.blobs.values():
        client.push_blob("web", blob)
    client.put_manifest("web", tag, source.raw_manifest, source.media_type)


def _sources(tmp_path):
    write_layout(tmp_path / "old", "old", created="2024-05-01T12:00:00Z")
    write_layout(tmp_path / "new", "new", created="2024-05-01T13:00:00Z")
    return (image_source.read_oci_layout(str(tmp_path / "old")),
            image_source.read_oci_layout(str(tmp_path / "new")))


def test_alias_moves_forward_and_never_back(tmp_path):
    fake = FakeRegistry()
    client = RegistryClient("http://r.test", None, transport=fake)
    old, new = _sources(tmp_path)
    _publish(client, old, "old")
    _publish(client, new, "new")
    created = image_publish._move_alias(client, "web", old, "pr-1-latest", old.built_at, 0)
    assert created["action"] == "create" and created["written"]
    moved = image_publish._move_alias(client, "web", new, "pr-1-latest", new.built_at, 0)
    assert moved["action"] == "move" and moved["from"] == old.digest and moved["to"] == new.digest
    uploads = fake.uploads
    back = image_publish._move_alias(client, "web", old, "pr-1-latest", old.built_at, 0)
    assert back["action"] == "keep" and not back["written"] and back["to"] == new.digest
    assert fake.tags["pr-1-latest"] == new.digest
    assert fake.uploads == uploads  # moving an alias sends no layers


def test_registry_build_time_of_an_index(tmp_path):
    fake = FakeRegistry()
    client = RegistryClient("http://r.test", None, transport=fake)
    write_layout(tmp_path / "m", "m", arches=("amd64", "arm64"), created="2024-05-01T12:00:00Z")
    source = image_source.read_oci_layout(str(tmp_path / "m"))
    for digest, media_type, raw in source.manifests[:-1]:
        _publish(client, source, "x")  # blobs
        client.put_manifest("web", digest, raw, media_type)
    raw, media_type, unused_digest = client.get_manifest("web", "x")
    assert image_publish.image_built_at(client, "web", raw, media_type) == datetime.datetime(
        2024, 5, 1, 12, tzinfo=datetime.timezone.utc)


def test_lost_race_is_repaired_after_the_settle_window(tmp_path, monkeypatch):
    """An older publisher read the alias before the newer one wrote, and writes just after it."""
    fake = FakeRegistry()
    client = RegistryClient("http://r.test", None, transport=fake)
    old, new = _sources(tmp_path)
    _publish(client, old, "old")
    _publish(client, new, "new")
    slept = []

    def older_writes_during_the_window(seconds):
        slept.append(seconds)
        if len(slept) == 1:  # the older publisher's stale write lands now
            fake.tags["pr-1-latest"] = old.digest

    monkeypatch.setattr(image_publish.time, "sleep", older_writes_during_the_window)
    decision = image_publish._move_alias(client, "web", new, "pr-1-latest", new.built_at, 0.5)
    assert fake.tags["pr-1-latest"] == new.digest
    assert decision["written"] and decision["action"] == "create" and decision["rounds"] == 3
    assert len(slept) == 2
