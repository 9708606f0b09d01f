"""deploy.yml's filters: rollout waves from the services' calls, and the summary table."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.ecsops.fargate.plugins.filter.deploy import deploy_summary, deploy_waves


def test_independent_services_share_wave_zero():
    assert deploy_waves({"api": [], "web": None, "worker": []}) == {"api": 0, "web": 0, "worker": 0}


def test_a_caller_rolls_out_after_what_it_calls():
    waves = deploy_waves({"web": ["api"], "api": ["db-api"], "db-api": [], "admin": ["api", "db-api"]})
    assert waves == {"db-api": 0, "api": 1, "web": 2, "admin": 2}


def test_calls_outside_the_app_and_to_itself_are_ignored():
    assert deploy_waves({"web": ["payments.example.com", "web"], "api": []}) == {"web": 0, "api": 0}


def test_a_cycle_is_refused_and_named():
    with pytest.raises(AnsibleFilterError, match=r"cycle.*api -> web.*web -> api"):
        deploy_waves({"api": ["web"], "web": ["api"], "docs": []})


def test_waves_need_a_mapping():
    with pytest.raises(AnsibleFilterError, match="mapping"):
        deploy_waves(["api", "web"])


def test_summary_shows_the_revision_change_digest_and_url_aligned():
    lines = deploy_summary([
        {"service": "web", "before": "arn:aws:ecs:us-east-1:1:task-definition/shop-web:3",
         "after": "arn:aws:ecs:us-east-1:1:task-definition/shop-web:4", "digest": "sha256:" + "ab" * 32,
         "seconds": 41.6, "outcome": "succeeded", "url": "https://web.example.com/"},
        {"service": "api", "before": "arn:aws:ecs:us-east-1:1:task-definition/shop-api:7",
         "after": "arn:aws:ecs:us-east-1:1:task-definition/shop-api:7", "outcome": "unchanged"},
    ])
    assert lines[0].split() == ["service", "revision", "image", "time", "outcome", "url"]
    assert lines[1].split() == ["api", "shop-api:7", "-", "-", "unchanged", "-"]
    assert lines[2].split() == ["web", "shop-web:3", "->", "shop-web:4", "abababababab", "42", "s", "succeeded",
                                "https://web.example.com/"]
    assert len({line.index("revision") if i == 0 else None for i, line in enumerate(lines)} - {None}) == 1
    assert lines[1].index("unchanged") == lines[2].index("succeeded")


def test_summary_marks_a_new_service_and_keeps_the_revision_of_a_failed_first_deploy():
    new, failed = deploy_summary([
        {"service": "api", "before": "", "after": "arn:aws:ecs:us-east-1:1:task-definition/shop-api:1", "outcome": "succeeded"},
        {"service": "web", "before": "arn:aws:ecs:us-east-1:1:task-definition/shop-web:3", "after": "", "outcome": "failed"},
    ])[1:]
    assert new.split()[:3] == ["api", "shop-api:1", "(new)"]
    assert failed.split()[:2] == ["web", "shop-web:3"]
