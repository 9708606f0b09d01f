"""Preview names: limits, characters, hash stability and uniqueness, bad input."""

from __future__ import annotations

import random
import re

import pytest

from ansible_collections.ecsops.fargate.plugins.module_utils._preview import names
from ansible_collections.ecsops.fargate.plugins.module_utils._preview.names import PreviewInputError

LONG_A = "feature/" + "a-very-long-branch-name-" * 8 + "one"
LONG_B = "feature/" + "a-very-long-branch-name-" * 8 + "two"


@pytest.mark.parametrize("pr", [0, -1, 1.0, "1", True, None])
def test_pr_number_must_be_an_int_from_one(pr):
    with pytest.raises(PreviewInputError, match="pr_number must be an integer >= 1"):
        names.preview_id(pr)


def test_preview_id():
    assert names.preview_id(1) == "pr-1"
    assert names.preview_id(4242) == "pr-4242"


@pytest.mark.parametrize("branch,expected", [
    ("feature/Foo_bar", "feature-foo-bar"),
    ("main", "main"),
    ("--Fix//Bug..#12--", "fix-bug-12"),
    ("dépendances", "d-pendances"),
])
def test_sanitize_branch(branch, expected):
    assert names.sanitize_branch(branch) == expected


@pytest.mark.parametrize("branch,message", [
    ("", "non-empty string"),
    ("   ", "non-empty string"),
    (None, "non-empty string"),
    ("///___", "no letter or digit"),
    ("x" * 256, "at most 255"),
])
def test_sanitize_branch_rejects(branch, message):
    with pytest.raises(PreviewInputError, match=message):
        names.sanitize_branch(branch)


def test_sanitize_branch_at_the_length_limit():
    assert names.sanitize_branch("x" * 255) == "x" * 255


def test_shorten_leaves_names_at_the_limit_alone():
    assert names.shorten("a" * 32, 32) == "a" * 32


def test_shorten_over_the_limit_appends_the_hash_of_the_whole_name():
    name = "a" * 33
    short = names.shorten(name, 32)
    assert len(short) == 32
    assert short == "a" * 25 + "-" + names.short_hash(name)
    assert re.match(r"^[0-9a-f]{6}$", names.short_hash(name))


def test_shorten_drops_a_dangling_separator_before_the_hash():
    short = names.shorten("a" * 24 + "-" + "b" * 10, 32)
    assert "--" not in short
    assert short.startswith("a" * 24 + "-") and len(short) == 31


def test_target_group_name_short_branch():
    assert names.target_group_name(42, "feature/Foo_bar") == "pr-42-feature-foo-bar"
    assert names.target_group_name(42, "feature/Foo_bar", prefix="shop") == "shop-pr-42-feature-foo-bar"


def test_target_group_name_at_and_over_the_limit():
    # "pr-1-" is 5 characters: a 27-character branch fills exactly 32.
    assert names.target_group_name(1, "b" * 27) == "pr-1-" + "b" * 27
    over = names.target_group_name(1, "b" * 28)
    assert len(over) == 32
    assert over == "pr-1-" + "b" * 20 + "-" + names.short_hash("pr-1-" + "b" * 28)


def test_long_names_are_stable_and_unique():
    first = names.target_group_name(7, LONG_A)
    assert first == names.target_group_name(7, LONG_A)
    second = names.target_group_name(7, LONG_B)
    assert first != second
    assert first[:-6] == second[:-6]
    for name in (first, second):
        assert len(name) <= 32
        assert re.match(r"^[A-Za-z0-9-]+$", name)
        assert not name.startswith("-") and not name.endswith("-")


def test_long_service_and_log_group_names_are_unique():
    assert names.service_name(7, "x" * 255) != names.service_name(7, "x" * 254 + "y")
    assert names.log_group_name(7, "x" * 255) != names.log_group_name(7, "x" * 254 + "y")


def test_target_group_name_never_starts_with_internal():
    with pytest.raises(PreviewInputError, match="internal-"):
        names.target_group_name(1, "main", prefix="internal")
    with pytest.raises(PreviewInputError, match="internal-"):
        names.target_group_name(1, "main", prefix="INTERNAL")
    assert names.target_group_name(1, "main", prefix="internals") == "internals-pr-1-main"


@pytest.mark.parametrize("prefix", ["shop_app", "a b", "---", 5])
def test_bad_prefix(prefix):
    with pytest.raises(PreviewInputError, match="prefix"):
        names.target_group_name(1, "main", prefix=prefix)


def test_dns_label():
    assert names.dns_label(42) == "pr-42"
    assert names.dns_label(10 ** 59) == "pr-1" + "0" * 59  # 63 characters: at the limit
    with pytest.raises(PreviewInputError, match="longer than 63"):
        names.dns_label(10 ** 60)


def test_host():
    assert names.host(42, "Preview.Example.com.") == "pr-42.preview.example.com"


@pytest.mark.parametrize("domain,message", [
    ("", "non-empty"),
    (None, "non-empty"),
    ("localhost", "two labels"),
    ("-bad.example.com", "label '-bad'"),
    ("bad-.example.com", "label 'bad-'"),
    ("under_score.example.com", "label 'under_score'"),
    ("a..example.com", "label ''"),
    ("x" * 64 + ".com", "label"),
])
def test_host_rejects_bad_domains(domain, message):
    with pytest.raises(PreviewInputError, match=re.escape(message)):
        names.host(1, domain)


def test_host_total_length():
    # 4 labels of 62 + 3 dots = 251; with "pr-1." the host is 256.
    domain = ".".join(["d" * 62] * 4)
    assert names.validate_domain(domain) == domain
    with pytest.raises(PreviewInputError, match="host .* longer than 253"):
        names.host(1, domain)
    fits = ".".join(["d" * 62] * 3 + ["d" * 59])  # 248 + "pr-1." = 253
    assert len(names.host(1, fits)) == 253
    with pytest.raises(PreviewInputError, match="domain .* longer than 253"):
        names.validate_domain(".".join(["d" * 63] * 4))


def test_service_name_limit_and_characters():
    assert names.service_name(3, "feature/Foo_bar", prefix="shop") == "shop-pr-3-feature-foo-bar"
    name = names.service_name(3, "x" * 255)
    assert len(name) == 255
    assert re.match(r"^[A-Za-z0-9_-]+$", name)
    assert names.service_name(3, "x" * 250) == "pr-3-" + "x" * 250  # exactly 255


def test_log_group_name():
    assert names.log_group_name(3, "main") == "/ecs/preview/pr-3-main"
    assert names.log_group_name(3, "main", log_group_prefix="/apps/previews/") == "/apps/previews/pr-3-main"
    long_prefix = "/" + "p" * 300
    name = names.log_group_name(3, "x" * 250, log_group_prefix=long_prefix)
    assert len(name) == 512
    assert name == names.log_group_name(3, "x" * 250, log_group_prefix=long_prefix)
    with pytest.raises(PreviewInputError, match="log group prefix"):
        names.log_group_name(3, "main", log_group_prefix="/bad prefix")
    with pytest.raises(PreviewInputError, match="log group prefix"):
        names.log_group_name(3, "main", log_group_prefix="")


def test_names_bundle():
    assert names.names(8, "feature/Foo_bar", "preview.example.com", prefix="shop") == {
        "preview_id": "pr-8",
        "target_group": "shop-pr-8-feature-foo-bar",
        "dns_label": "pr-8",
        "host": "pr-8.preview.example.com",
        "service": "shop-pr-8-feature-foo-bar",
        "log_group": "/ecs/preview/shop-pr-8-feature-foo-bar",
    }


def test_every_derived_name_meets_its_limits():
    # A seeded sweep over branch lengths and characters, including the awkward ones.
    rng = random.Random(8)
    alphabet = "abcXYZ019/_-.#é "
    for _sample in range(300):
        branch = "x" + "".join(rng.choice(alphabet) for _char in range(rng.randint(0, 254)))
        pr = rng.choice([1, 9, 12345, 10 ** 12])
        prefix = rng.choice([None, "shop", "A-very-long-application-prefix"])
        got = names.names(pr, branch, "preview.example.com", prefix=prefix)
        assert re.match(r"^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$", got["target_group"]) and len(got["target_group"]) <= 32
        assert re.match(r"^[A-Za-z0-9_-]+$", got["service"]) and len(got["service"]) <= 255
        assert re.match(r"^[A-Za-z0-9_./#-]+$", got["log_group"]) and len(got["log_group"]) <= 512
        assert re.match(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$", got["dns_label"]) and len(got["dns_label"]) <= 63
        assert got == names.names(pr, branch, "preview.example.com", prefix=prefix)
