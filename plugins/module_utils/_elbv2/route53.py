# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Route53 calls of fargate_alb (hosted zone lookup, record sets, one change batch)."""

from __future__ import annotations

from ansible_collections.ecsops.fargate.plugins.module_utils.api import api_call


@api_call("find Route53 hosted zone", missing_codes=["NoSuchHostedZone"])
def find_hosted_zone(client, name_or_id, private=None):
    """The hosted zone with this id (Z...) or name, or None. By name: the public zone unless ``private``."""
    text = str(name_or_id).strip()
    if not text.endswith(".") and "." not in text:
        zone = client.get_hosted_zone(Id=text)["HostedZone"]
        return zone
    name = text.lower().rstrip(".") + "."
    zones = client.list_hosted_zones_by_name(DNSName=name, MaxItems="10")["HostedZones"]
    matches = [z for z in zones if z["Name"].lower() == name]
    if private is not None:
        matches = [z for z in matches if bool((z.get("Config") or {}).get("PrivateZone")) == private]
    else:
        matches.sort(key=lambda z: bool((z.get("Config") or {}).get("PrivateZone")))
    return matches[0] if matches else None


@api_call("list Route53 record sets")
def list_record_sets(client, zone_id):
    found = []
    for page in client.get_paginator("list_resource_record_sets").paginate(HostedZoneId=zone_id):
        found.extend(page.get("ResourceRecordSets") or [])
    return found


@api_call("change Route53 record sets")
def change_record_sets(client, zone_id, changes, comment=None):
    batch = {"Changes": changes}
    if comment:
        batch["Comment"] = comment
    return client.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch=batch)["ChangeInfo"]
