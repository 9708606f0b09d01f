"""fargate_alb's runner end to end against moto in-process (no network): check mode, create, a read-only
no-op, drift put back, a service removed, and state absent."""

from __future__ import annotations

import datetime

import boto3
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from ansible_collections.ecsops.fargate.plugins.module_utils._elbv2 import plan as p
from ansible_collections.ecsops.fargate.plugins.module_utils._elbv2.runner import AlbRun
from ansible_collections.ecsops.fargate.plugins.module_utils.api import ApiCallCounter


REGION = "us-east-1"
WRITES = ("Create", "Modify", "Set", "Delete", "Authorize", "Revoke", "Associate", "Attach", "Add", "Remove",
          "Change", "Replace", "Register")


def _client(name, counter):
    return counter.attach(boto3.client(name, region_name=REGION))


def _certificate():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "example.test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=2)).sign(key, hashes.SHA256()))
    return boto3.client("acm", region_name=REGION).import_certificate(
        Certificate=cert.public_bytes(serialization.Encoding.PEM),
        PrivateKey=key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                     serialization.NoEncryption()))["CertificateArn"]


def _params(certificate, **kwargs):
    base = dict(
        name="shop-dev", state="present", vpc_id=None, public_subnet_ids=None, private_subnet_ids=None,
        vpc_create={"cidr": "10.70.0.0/16", "subnet_prefix_length": None, "availability_zones": None},
        certificate_arn=certificate, ssl_policy="ELBSecurityPolicy-TLS13-1-2-2021-06",
        services=[
            dict(name="api", port=8000, hosts=["api.example.test"], priority=10, calls=[],
                 health_check={"path": "/health"}),
            dict(name="web", port=3000, hosts=["example.test"], calls=["api"]),
        ],
        domain=None, hosted_zone="example.test", hosted_zone_private=None, purge_records=True,
        purge_services=True, purge_rules=False, tags={"environment": "dev"}, purge_tags=True, wait_timeout=5)
    base.update(kwargs)
    return base


def _run(params, check_mode=False):
    counter = ApiCallCounter()
    result = AlbRun(params, lambda name: _client(name, counter), check_mode=check_mode, sleep=lambda s: None).run()
    return result, counter


def _writes(counter):
    return sorted(op for op in counter.calls if op.split(":", 1)[1].startswith(WRITES))


def test_check_create_noop_drift_removal(aws):
    certificate = _certificate()
    boto3.client("route53", region_name=REGION).create_hosted_zone(Name="example.test", CallerReference="t")
    params = _params(certificate)

    result, counter = _run(params, check_mode=True)
    assert result["changed"] and _writes(counter) == []
    assert boto3.client("elbv2", region_name=REGION).describe_load_balancers()["LoadBalancers"] == []

    created, counter = _run(params)
    assert created["changed"]
    assert created["rule_priorities"]["api"] == 10
    assert set(created["target_group_arns"]) == {"api", "web"}
    assert created["records"] == ["api.example.test", "example.test"]

    again, counter = _run(params)
    assert not again["changed"] and again["actions"] == []
    assert _writes(counter) == []
    # 4 network reads, security groups, load balancer, target groups, tags, listeners, rules,
    # 2 target group attributes, hosted zone, record sets.
    assert counter.total == 14
    for key in ("vpc_id", "load_balancer_arn", "https_listener_arn", "target_group_arns", "task_security_group_ids",
                "rule_priorities", "urls"):
        assert again[key] == created[key], key

    # Drift: a health check, a security group rule, a rule deleted, the 404 default changed.
    elb = boto3.client("elbv2", region_name=REGION)
    ec2 = boto3.client("ec2", region_name=REGION)
    elb.modify_target_group(TargetGroupArn=created["target_group_arns"]["api"], HealthCheckPath="/")
    ec2.revoke_security_group_ingress(GroupId=created["alb_security_group_id"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    web_rule = [r for r in elb.describe_rules(ListenerArn=created["https_listener_arn"])["Rules"]
                if not r["IsDefault"] and r["Actions"][0]["TargetGroupArn"] == created["target_group_arns"]["web"]]
    elb.delete_rule(RuleArn=web_rule[0]["RuleArn"])
    elb.modify_listener(ListenerArn=created["https_listener_arn"], DefaultActions=[
        {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "503", "ContentType": "text/plain"}}])
    fixed, counter = _run(params)
    assert [a.split(" (")[0] for a in fixed["actions"]] == [
        "authorize ingress", "modify target group", "modify listener", "create rule"]
    assert fixed["rule_priorities"] == created["rule_priorities"]
    assert not _run(params)[0]["changed"]

    # web goes away: its rule, target group and record go; its security group stays.
    fewer = dict(params, services=params["services"][:1])
    removed, counter = _run(fewer)
    assert [a.split(" (")[0] for a in removed["actions"]] == [
        "revoke ingress", "delete rule", "delete target group", "change records"]
    assert removed["target_group_arns"].keys() == {"api"}
    assert not _run(fewer)[0]["changed"]

    gone, counter = _run(dict(fewer, state="absent"))
    assert gone["changed"]
    assert elb.describe_load_balancers()["LoadBalancers"] == []
    assert elb.describe_target_groups()["TargetGroups"] == []
    assert ec2.describe_vpcs(Filters=[{"Name": "tag:ecsops.fargate/network", "Values": ["shop-dev"]}])["Vpcs"] == []
    assert not _run(dict(fewer, state="absent"))[0]["changed"]


def test_existing_vpc_noop_and_absent_without_the_vpc_id(aws):
    certificate = _certificate()
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone=f"{REGION}{zone}")["Subnet"]["SubnetId"]
               for i, zone in enumerate("ab")]
    params = _params(certificate, vpc_create=None, vpc_id=vpc, public_subnet_ids=subnets, private_subnet_ids=subnets,
                     hosted_zone=None, services=_params(certificate)["services"][:1])
    created = _run(params)[0]
    assert created["vpc_id"] == vpc and created["public_subnet_ids"] == subnets
    again, counter = _run(params)
    assert not again["changed"] and _writes(counter) == []
    # DescribeSecurityGroups, DescribeLoadBalancers, DescribeTargetGroups, DescribeTags,
    # DescribeTargetGroupAttributes, DescribeListeners, DescribeRules.
    assert counter.total == 7

    gone = _run(dict(params, state="absent", vpc_id=None, public_subnet_ids=None))[0]
    assert gone["changed"]
    left = ec2.describe_security_groups(Filters=[{"Name": "tag:ecsops.fargate/alb", "Values": ["shop-dev"]}])
    assert left["SecurityGroups"] == []
    assert ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"], "a VPC the module did not create stays"


def test_a_target_group_that_cannot_change_fails_before_any_write(aws):
    certificate = _certificate()
    params = _params(certificate, hosted_zone=None, services=_params(certificate)["services"][:1])
    elb = boto3.client("elbv2", region_name=REGION)
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    elb.create_target_group(Name="shop-dev-api", Protocol="HTTP", Port=9999, VpcId=vpc, TargetType="ip")
    counter = ApiCallCounter()
    with pytest.raises(p.AlbInputError, match="port cannot change"):
        AlbRun(params, lambda name: _client(name, counter)).run()
    assert _writes(counter) == []
