# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""EC2 networking (VPCs, subnets, internet gateways, route tables, security groups), one function per call.

Shapes are boto3's (CamelCase). Describes take EC2 filters as a dict ({"vpc-id": ["vpc-1"]}) and page.
Creates tag at creation (TagSpecifications), so a resource never exists untagged.
"""

from __future__ import annotations

from ansible_collections.ecsops.fargate.plugins.module_utils.api import api_call


def ec2_filters(filters):
    """{name: value or [values]} -> EC2's [{"Name", "Values"}] (sorted, values as strings)."""
    out = []
    for name, values in sorted((filters or {}).items()):
        values = values if isinstance(values, (list, tuple)) else [values]
        out.append({"Name": name, "Values": [str(v) for v in values]})
    return out


def tag_specifications(resource_type, tags):
    if not tags:
        return []
    return [{"ResourceType": resource_type,
             "Tags": [{"Key": str(k), "Value": str(v)} for k, v in sorted(tags.items())]}]


def tag_dict(tags):
    return {t["Key"]: t.get("Value", "") for t in tags or []}


def _paged(client, operation, key, filters=None, **params):
    if filters:
        params["Filters"] = ec2_filters(filters)
    found = []
    for page in client.get_paginator(operation).paginate(**params):
        found.extend(page.get(key) or [])
    return found


# -- reads --------------------------------------------------------------------------------------------

@api_call("describe VPCs", missing_codes=["InvalidVpcID.NotFound"], missing_value=[])
def describe_vpcs(client, vpc_ids=None, filters=None):
    params = {"VpcIds": list(vpc_ids)} if vpc_ids else {}
    return _paged(client, "describe_vpcs", "Vpcs", filters, **params)


@api_call("describe subnets", missing_codes=["InvalidSubnetID.NotFound"], missing_value=[])
def describe_subnets(client, subnet_ids=None, filters=None):
    params = {"SubnetIds": list(subnet_ids)} if subnet_ids else {}
    return _paged(client, "describe_subnets", "Subnets", filters, **params)


@api_call("describe internet gateways")
def describe_internet_gateways(client, filters=None):
    return _paged(client, "describe_internet_gateways", "InternetGateways", filters)


@api_call("describe route tables")
def describe_route_tables(client, filters=None):
    return _paged(client, "describe_route_tables", "RouteTables", filters)


@api_call("describe security groups", missing_codes=["InvalidGroup.NotFound"], missing_value=[])
def describe_security_groups(client, group_ids=None, filters=None):
    params = {"GroupIds": list(group_ids)} if group_ids else {}
    return _paged(client, "describe_security_groups", "SecurityGroups", filters, **params)


@api_call("describe availability zones")
def describe_availability_zones(client):
    zones = client.describe_availability_zones(
        Filters=ec2_filters({"state": "available", "zone-type": "availability-zone"}))["AvailabilityZones"]
    return sorted(z["ZoneName"] for z in zones)


# -- VPC, subnets, gateway, routes --------------------------------------------------------------------

@api_call("create VPC")
def create_vpc(client, cidr, tags=None):
    vpc = client.create_vpc(CidrBlock=cidr, TagSpecifications=tag_specifications("vpc", tags))["Vpc"]
    # Cloud Map private DNS namespaces and interface VPC endpoints need both.
    client.modify_vpc_attribute(VpcId=vpc["VpcId"], EnableDnsSupport={"Value": True})
    client.modify_vpc_attribute(VpcId=vpc["VpcId"], EnableDnsHostnames={"Value": True})
    return vpc


@api_call("delete VPC", missing_codes=["InvalidVpcID.NotFound"])
def delete_vpc(client, vpc_id):
    client.delete_vpc(VpcId=vpc_id)


@api_call("create subnet")
def create_subnet(client, vpc_id, cidr, availability_zone, tags=None):
    return client.create_subnet(VpcId=vpc_id, CidrBlock=cidr, AvailabilityZone=availability_zone,
                                TagSpecifications=tag_specifications("subnet", tags))["Subnet"]


@api_call("delete subnet", missing_codes=["InvalidSubnetID.NotFound"])
def delete_subnet(client, subnet_id):
    client.delete_subnet(SubnetId=subnet_id)


@api_call("create internet gateway")
def create_internet_gateway(client, vpc_id, tags=None):
    gateway = client.create_internet_gateway(
        TagSpecifications=tag_specifications("internet-gateway", tags))["InternetGateway"]
    client.attach_internet_gateway(InternetGatewayId=gateway["InternetGatewayId"], VpcId=vpc_id)
    return gateway


@api_call("delete internet gateway", missing_codes=["InvalidInternetGatewayID.NotFound"])
def delete_internet_gateway(client, gateway_id, vpc_id=None):
    if vpc_id:
        client.detach_internet_gateway(InternetGatewayId=gateway_id, VpcId=vpc_id)
    client.delete_internet_gateway(InternetGatewayId=gateway_id)


@api_call("create route table")
def create_route_table(client, vpc_id, tags=None):
    return client.create_route_table(VpcId=vpc_id,
                                     TagSpecifications=tag_specifications("route-table", tags))["RouteTable"]


@api_call("delete route table", missing_codes=["InvalidRouteTableID.NotFound"])
def delete_route_table(client, route_table_id):
    client.delete_route_table(RouteTableId=route_table_id)


@api_call("create route")
def create_route(client, route_table_id, destination, gateway_id):
    client.create_route(RouteTableId=route_table_id, DestinationCidrBlock=destination, GatewayId=gateway_id)


@api_call("replace route")
def replace_route(client, route_table_id, destination, gateway_id):
    client.replace_route(RouteTableId=route_table_id, DestinationCidrBlock=destination, GatewayId=gateway_id)


@api_call("associate route table")
def associate_route_table(client, route_table_id, subnet_id):
    return client.associate_route_table(RouteTableId=route_table_id, SubnetId=subnet_id)["AssociationId"]


@api_call("replace route table association")
def replace_route_table_association(client, association_id, route_table_id):
    return client.replace_route_table_association(AssociationId=association_id,
                                                  RouteTableId=route_table_id)["NewAssociationId"]


@api_call("disassociate route table", missing_codes=["InvalidAssociationID.NotFound"])
def disassociate_route_table(client, association_id):
    client.disassociate_route_table(AssociationId=association_id)


# -- security groups ----------------------------------------------------------------------------------

@api_call("create security group")
def create_security_group(client, vpc_id, name, description, tags=None):
    return client.create_security_group(
        VpcId=vpc_id, GroupName=name, Description=description,
        TagSpecifications=tag_specifications("security-group", tags))["GroupId"]


@api_call("delete security group", missing_codes=["InvalidGroup.NotFound"])
def delete_security_group(client, group_id):
    client.delete_security_group(GroupId=group_id)


@api_call("authorize security group ingress")
def authorize_ingress(client, group_id, permissions):
    client.authorize_security_group_ingress(GroupId=group_id, IpPermissions=permissions)


@api_call("revoke security group ingress", missing_codes=["InvalidPermission.NotFound"])
def revoke_ingress(client, group_id, permissions):
    client.revoke_security_group_ingress(GroupId=group_id, IpPermissions=permissions)


@api_call("create tags")
def create_tags(client, resource_ids, tags):
    if tags:
        client.create_tags(Resources=list(resource_ids),
                           Tags=[{"Key": str(k), "Value": str(v)} for k, v in sorted(tags.items())])


@api_call("delete tags")
def delete_tags(client, resource_ids, keys):
    if keys:
        client.delete_tags(Resources=list(resource_ids), Tags=[{"Key": k} for k in sorted(keys)])
