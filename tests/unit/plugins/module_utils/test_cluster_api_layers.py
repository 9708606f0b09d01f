"""logs.py, cloudmap.py and iam.py helpers: fewest calls, exact matches, policy comparison."""

from __future__ import annotations

import pytest

from ansible_collections.ecsops.fargate.plugins.module_utils import cloudmap
from ansible_collections.ecsops.fargate.plugins.module_utils import iam
from ansible_collections.ecsops.fargate.plugins.module_utils import logs


class Pages:
    """A stand-in client whose paginators answer from a list, recording the arguments."""

    def __init__(self, key, items, matches):
        self.key, self.items, self.matches, self.calls = key, items, matches, []

    def get_paginator(self, operation):
        return self

    def paginate(self, **kwargs):
        self.calls.append(kwargs)
        return [{self.key: [i for i in self.items if self.matches(i, kwargs)]}]


def log_client(names):
    return Pages("logGroups", [{"logGroupName": n} for n in names],
                 lambda g, kw: g["logGroupName"].startswith(kw.get("logGroupNamePrefix", "")))


def test_log_groups_sharing_a_prefix_are_read_in_one_call():
    client = log_client(["/ecs/dev/api", "/ecs/dev/api-old", "/ecs/dev/web", "/ecs/prod/api"])
    found = logs.find_log_groups(client, ["/ecs/dev/web", "/ecs/dev/api", "/ecs/dev/backend"])
    assert sorted(found) == ["/ecs/dev/api", "/ecs/dev/web"]
    assert client.calls == [{"logGroupNamePrefix": "/ecs/dev/"}]


def test_log_groups_without_a_useful_prefix_are_read_one_by_one():
    client = log_client(["/a", "/b-x"])
    assert sorted(logs.find_log_groups(client, ["/a", "/b"])) == ["/a"]
    assert client.calls == [{"logGroupNamePrefix": "/a"}, {"logGroupNamePrefix": "/b"}]
    assert logs.find_log_groups(client, []) == {}


def test_retention_values_are_cloudwatchs_own():
    assert logs.validate_retention(7) == 7
    assert logs.validate_retention(0) is None
    with pytest.raises(ValueError):
        logs.validate_retention(10)


def test_namespaces_are_matched_exactly_even_if_the_server_did_not_filter():
    client = Pages("Namespaces", [{"Id": "1", "Name": "dev.local", "Type": "DNS_PRIVATE"},
                                  {"Id": "2", "Name": "dev.local", "Type": "HTTP"},
                                  {"Id": "3", "Name": "dev.localx", "Type": "DNS_PRIVATE"}], lambda n, kw: True)
    assert [n["Id"] for n in cloudmap.list_namespaces(client, "dev.local")] == ["1"]
    assert client.calls == [{"Filters": [{"Name": "TYPE", "Values": ["DNS_PRIVATE"], "Condition": "EQ"},
                                         {"Name": "NAME", "Values": ["dev.local"], "Condition": "EQ"}]}]


@pytest.mark.parametrize("name, ok", [("dev.local", True), ("dev.local.", True), ("a-b.c", True),
                                      ("-a.local", False), ("a..b", False), ("x" * 64 + ".local", False)])
def test_namespace_names_are_dns_names(name, ok):
    if ok:
        assert cloudmap.validate_namespace_name(name) == name
    else:
        with pytest.raises(ValueError):
            cloudmap.validate_namespace_name(name)


def test_policy_comparison_ignores_order_and_single_values():
    a = iam.policy_document([{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"},
                             {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": ["arn:q"]}])
    b = iam.policy_document([{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "arn:q"},
                             {"Effect": "Allow", "Action": "s3:GetObject", "Resource": ["*"]}])
    assert iam.policies_differ(a, b) is False
    assert iam.policies_differ(a, iam.policy_document([{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]))
    assert iam.policies_differ(None, a) is True
    assert iam.policies_differ(None, None) is False
    assert iam.policies_differ('{"Version": "2012-10-17", "Statement": []}', iam.policy_document([])) is False


def test_managed_policy_names_become_arns():
    assert iam.managed_policy_arn("AmazonECSTaskExecutionRolePolicy") == (
        "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy")
    assert iam.managed_policy_arn("ReadOnlyAccess", "aws-cn") == "arn:aws-cn:iam::aws:policy/ReadOnlyAccess"
    assert iam.managed_policy_arn("arn:aws:iam::123456789012:policy/x") == "arn:aws:iam::123456789012:policy/x"
