"""Cloud Map list filters, as the cluster role's no-op path relies on them.

AWS API reference: ListNamespaces (NamespaceFilter: TYPE with EQ or IN, NAME and HTTP_NAME with EQ or
BEGINS_WITH, EQ by default) and ListServices (ServiceFilter: NAMESPACE_ID with EQ or IN). moto ignored
both; the sandbox applies them.
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError


def namespace(sandbox, name, vpc):
    sd = sandbox.aws("servicediscovery")
    operation = sd.create_private_dns_namespace(Name=name, Vpc=vpc, CreatorRequestId=name)["OperationId"]
    return sd.get_operation(OperationId=operation)["Operation"]["Targets"]["NAMESPACE"]


@pytest.fixture
def vpcs(sandbox):
    ec2 = sandbox.aws("ec2")
    return [ec2.create_vpc(CidrBlock=f"10.{n}.0.0/16")["Vpc"]["VpcId"] for n in (41, 42)]


def test_list_namespaces_applies_name_and_type_filters(sandbox, vpcs):
    sd = sandbox.aws("servicediscovery")
    dev = namespace(sandbox, "dev.local", vpcs[0])
    namespace(sandbox, "prod.local", vpcs[1])
    sd.create_http_namespace(Name="dev.local.http", CreatorRequestId="http")

    by_name = sd.list_namespaces(Filters=[{"Name": "NAME", "Values": ["dev.local"], "Condition": "EQ"}])
    assert [n["Id"] for n in by_name["Namespaces"]] == [dev]

    private = sd.list_namespaces(Filters=[{"Name": "TYPE", "Values": ["DNS_PRIVATE"]}])["Namespaces"]
    assert sorted(n["Name"] for n in private) == ["dev.local", "prod.local"]

    both = sd.list_namespaces(Filters=[{"Name": "TYPE", "Values": ["DNS_PRIVATE"]},
                                       {"Name": "NAME", "Values": ["dev."], "Condition": "BEGINS_WITH"}])
    assert [n["Id"] for n in both["Namespaces"]] == [dev]

    assert len(sd.list_namespaces()["Namespaces"]) == 3


def test_list_services_applies_the_namespace_filter(sandbox, vpcs):
    sd = sandbox.aws("servicediscovery")
    dev = namespace(sandbox, "dev.local", vpcs[0])
    prod = namespace(sandbox, "prod.local", vpcs[1])
    records = {"RoutingPolicy": "MULTIVALUE", "DnsRecords": [{"Type": "A", "TTL": 10}]}
    dev_api = sd.create_service(Name="api", NamespaceId=dev, DnsConfig=records)["Service"]["Id"]
    prod_api = sd.create_service(Name="api", NamespaceId=prod, DnsConfig=records)["Service"]["Id"]

    listed = sd.list_services(Filters=[{"Name": "NAMESPACE_ID", "Values": [dev], "Condition": "EQ"}])
    assert [s["Id"] for s in listed["Services"]] == [dev_api]

    listed = sd.list_services(Filters=[{"Name": "NAMESPACE_ID", "Values": [dev, prod], "Condition": "IN"}])
    assert sorted(s["Id"] for s in listed["Services"]) == sorted([dev_api, prod_api])

    assert len(sd.list_services()["Services"]) == 2


def test_a_filter_aws_does_not_know_is_refused(sandbox):
    sd = sandbox.aws("servicediscovery")
    with pytest.raises(ClientError) as error:
        sd.list_services(Filters=[{"Name": "NAMESPACE_ID", "Values": ["ns-a"], "Condition": "BEGINS_WITH"}])
    assert error.value.response["Error"]["Code"] == "InvalidInput"
