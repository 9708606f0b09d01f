"""fargate_alb leaves preview environments' DNS alone: a preview's alias to the same load balancer, marked by its
ownership TXT, is not one of the module's stale records (a deploy after preview_up used to delete it)."""

from __future__ import annotations

import boto3

from ansible_collections.ecsops.fargate.plugins.module_utils._preview import plan as preview_plan
from test_elbv2_runner import REGION, _certificate, _params, _run  # pylint: disable=import-error


def test_a_previews_alias_survives_a_converge_and_an_unowned_one_does_not(aws):
    certificate = _certificate()
    route53 = boto3.client("route53", region_name=REGION)
    zone = route53.create_hosted_zone(Name="example.test", CallerReference="t")["HostedZone"]["Id"]
    params = _params(certificate)
    created, _counter = _run(params)
    balancer = boto3.client("elbv2", region_name=REGION).describe_load_balancers()["LoadBalancers"][0]
    preview = preview_plan.record_changes("pr-7.preview.example.test", balancer, "pr-7", [], "shop-dev")
    stray = {"Action": "UPSERT", "ResourceRecordSet": {"Name": "old.example.test.", "Type": "A", "AliasTarget": {
        "HostedZoneId": balancer["CanonicalHostedZoneId"], "DNSName": balancer["DNSName"], "EvaluateTargetHealth": False}}}
    route53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": preview + [stray]})

    again, _counter = _run(params)
    names = {(r["Name"], r["Type"]) for r in route53.list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]}
    assert ("pr-7.preview.example.test.", "A") in names and ("pr-7.preview.example.test.", "TXT") in names
    assert ("old.example.test.", "A") not in names  # still purged: no ownership TXT
    assert again["records"] == created["records"]
