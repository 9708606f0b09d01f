# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""AWS Cloud Map (servicediscovery) for ecsops.fargate: private DNS namespaces and their services.

Each boto3 call is one small function under ``api_call``. Namespace creation and deletion, and
service updates, are asynchronous in Cloud Map: they answer an ``OperationId`` that
``wait_for_operation`` polls (GetOperation) until it is SUCCESS or FAIL.

ListNamespaces and ListServices are filtered on the server (NAME / TYPE, NAMESPACE_ID), so a
no-op converge reads a namespace and all its services in two calls. ListServices' summaries
carry ``DnsConfig``, so no per-service GetService is needed to compare TTLs.
"""

from __future__ import annotations

import re
import time

from ansible_collections.ecsops.fargate.plugins.module_utils.api import api_call

NAMESPACE_NOT_FOUND = ["NamespaceNotFound"]
SERVICE_NOT_FOUND = ["ServiceNotFound"]
# A DNS name: labels of letters, digits and hyphens, 1 to 63 characters, at most 253 in all.
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_VPC_ID = re.compile(r"^vpc-[0-9a-f]{8,17}$")


class OperationFailed(Exception):
    """A Cloud Map operation ended in FAIL, or did not end in time."""


@api_call("list Cloud Map namespaces")
def list_namespaces(client, name=None, namespace_type="DNS_PRIVATE"):
    """Namespaces of ``namespace_type`` named ``name`` (all of that type without a name), paged."""
    filters = [{"Name": "TYPE", "Values": [namespace_type], "Condition": "EQ"}]
    if name:
        filters.append({"Name": "NAME", "Values": [name], "Condition": "EQ"})
    paginator = client.get_paginator("list_namespaces")
    found = [ns for page in paginator.paginate(Filters=filters) for ns in page.get("Namespaces") or []]
    return [ns for ns in found if ns.get("Type") == namespace_type and (name is None or ns.get("Name") == name)]


@api_call("get Cloud Map namespace", missing_codes=NAMESPACE_NOT_FOUND)
def get_namespace(client, namespace_id):
    return client.get_namespace(Id=namespace_id)["Namespace"]


@api_call("create Cloud Map private DNS namespace")
def create_private_dns_namespace(client, name, vpc_id, creator_request_id, description=None, tags=None):
    """Start creating the namespace; returns the OperationId (see ``wait_for_operation``)."""
    params = {"Name": name, "Vpc": vpc_id, "CreatorRequestId": creator_request_id}
    if description:
        params["Description"] = description
    if tags:
        params["Tags"] = [{"Key": k, "Value": v} for k, v in sorted(tags.items())]
    return client.create_private_dns_namespace(**params)["OperationId"]


@api_call("delete Cloud Map namespace", missing_codes=NAMESPACE_NOT_FOUND)
def delete_namespace(client, namespace_id):
    """Start deleting the namespace; returns the OperationId, or None when it does not exist."""
    return client.delete_namespace(Id=namespace_id)["OperationId"]


@api_call("get Cloud Map operation")
def get_operation(client, operation_id):
    return client.get_operation(OperationId=operation_id)["Operation"]


def wait_for_operation(client, operation_id, timeout=300, interval=2.0, max_interval=10.0, sleep=time.sleep,
                       clock=time.monotonic):
    """Poll GetOperation until SUCCESS (returns the operation) or FAIL / timeout (OperationFailed)."""
    deadline = clock() + timeout
    while True:
        operation = get_operation(client, operation_id)
        status = operation.get("Status")
        if status == "SUCCESS":
            return operation
        if status == "FAIL":
            raise OperationFailed(f"Cloud Map operation {operation_id} ({operation.get('Type')}) failed: "
                                  f"{operation.get('ErrorMessage') or operation.get('ErrorCode') or 'no reason given'}")
        if clock() + interval > deadline:
            raise OperationFailed(f"Cloud Map operation {operation_id} ({operation.get('Type')}) is still {status} "
                                  f"after {timeout} s")
        sleep(interval)
        interval = min(interval * 1.5, max_interval)


@api_call("list Cloud Map services")
def list_services(client, namespace_id):
    """Summaries (Id, Arn, Name, DnsConfig, ...) of the services in one namespace, paged."""
    filters = [{"Name": "NAMESPACE_ID", "Values": [namespace_id], "Condition": "EQ"}]
    paginator = client.get_paginator("list_services")
    return [s for page in paginator.paginate(Filters=filters) for s in page.get("Services") or []]


@api_call("create Cloud Map service")
def create_service(client, namespace_id, name, dns_records, routing_policy, creator_request_id,
                   description=None, tags=None, health_check_custom_config=True):
    params = {
        "Name": name,
        "NamespaceId": namespace_id,
        "CreatorRequestId": creator_request_id,
        "DnsConfig": {"RoutingPolicy": routing_policy, "DnsRecords": list(dns_records)},
    }
    if health_check_custom_config:
        # What ECS asks for: ECS reports task health to Cloud Map. Cannot change after creation.
        params["HealthCheckCustomConfig"] = {"FailureThreshold": 1}
    if description:
        params["Description"] = description
    if tags:
        params["Tags"] = [{"Key": k, "Value": v} for k, v in sorted(tags.items())]
    return client.create_service(**params)["Service"]


@api_call("update Cloud Map service")
def update_service_dns(client, service_id, dns_records):
    """Replace the service's DNS records (TTL); returns the OperationId."""
    return client.update_service(Id=service_id, Service={"DnsConfig": {"DnsRecords": list(dns_records)}})[
        "OperationId"]


@api_call("delete Cloud Map service", missing_codes=SERVICE_NOT_FOUND)
def delete_service(client, service_id):
    client.delete_service(Id=service_id)


def validate_namespace_name(name):
    """Return ``name`` if it is a DNS name Cloud Map accepts for a private namespace, else ValueError."""
    if not isinstance(name, str) or not name:
        raise ValueError("namespace name must be a non-empty DNS name such as dev.local")
    trimmed = name[:-1] if name.endswith(".") else name
    if len(trimmed) > 253 or not all(_LABEL.match(label) for label in trimmed.split(".")):
        raise ValueError(f"namespace name '{name}' is not a DNS name (labels of letters, digits and '-', "
                         "1 to 63 characters each, 253 in all)")
    return name


def validate_service_name(name):
    """Return ``name`` if it is usable as a DNS label (the service's name in the namespace)."""
    if not isinstance(name, str) or not _LABEL.match(name):
        raise ValueError(f"service name '{name}' cannot be a Cloud Map DNS name: it must be a DNS label "
                         "(letters, digits and '-', 1 to 63 characters, not starting or ending with '-')")
    return name


def validate_vpc_id(vpc_id):
    if not isinstance(vpc_id, str) or not _VPC_ID.match(vpc_id):
        raise ValueError(f"vpc_id '{vpc_id}' is not a VPC id (vpc- and 8 or 17 hex digits)")
    return vpc_id
