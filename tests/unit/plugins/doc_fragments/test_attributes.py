"""The shared attribute docs must parse and name groups that meta/runtime.yml defines."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ansible_collections.ecsops.fargate.plugins.doc_fragments.attributes import ModuleDocFragment

ROOT = Path(__file__).resolve().parents[4]
FRAGMENTS = ["DOCUMENTATION", "ACTIONGROUP_AWS", "INFO_MODULE"]


@pytest.mark.parametrize("name", FRAGMENTS)
def test_fragment_is_valid_yaml_with_attributes(name):
    doc = yaml.safe_load(getattr(ModuleDocFragment, name))
    assert doc["options"] == {}
    assert doc["attributes"]


def test_action_group_membership_matches_runtime_metadata():
    runtime = yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text())
    groups = {f"ecsops.fargate.{name}" for name in runtime["action_groups"]}
    membership = yaml.safe_load(ModuleDocFragment.ACTIONGROUP_AWS)["attributes"]["action_group"]["membership"]
    assert membership and set(membership) <= groups


def test_runtime_group_covers_amazon_and_community_aws():
    runtime = yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text())
    metadata = [entry["metadata"] for entry in runtime["action_groups"]["aws"] if isinstance(entry, dict)]
    assert metadata == [{"extend_group": ["amazon.aws.aws", "community.aws.aws"]}]
