"""ec2_app_info's discovery and ec2_app_cleanup's runner end to end against moto in-process (no network): an EC2
app and a neighbour sharing a security group; SecureString values never fetched; guards; check mode; idempotence."""

from __future__ import annotations

import base64
import datetime
import json

import boto3
import pytest

from ansible_collections.ecsops.fargate.plugins.module_utils.api import ApiCallCounter
from ansible_collections.ecsops.fargate.plugins.module_utils.migration import Cleanup
from ansible_collections.ecsops.fargate.plugins.module_utils.migration import MigrationError
from ansible_collections.ecsops.fargate.plugins.module_utils.migration import discover


REGION = "us-east-1"
AMI = "ami-03cf127a"
USER_DATA = "#!/bin/bash\napt-get install -y nodejs nginx\nnpm install -g pm2\npm2 start app.js --name shop\nsystemctl enable nginx\n"
NOW = datetime.datetime(2026, 11, 24, 12, 0, tzinfo=datetime.timezone.utc)


class Recorder:
    """boto3 clients that remember every call (operation, params)."""

    def __init__(self):
        self.counter = ApiCallCounter()
        self.calls = []
        self.clients = {}

    def __call__(self, name):
        if name not in self.clients:
            client = self.counter.attach(boto3.client(name, region_name=REGION))
            client.meta.events.register("before-parameter-build.*.*", self._record)
            self.clients[name] = client
        return self.clients[name]

    def _record(self, model, params, **kwargs):
        self.calls.append((model.name, params))

    def writes(self):
        return [name for name, _params in self.calls if not name.startswith(("Describe", "Get", "List"))]


def seed(with_neighbour=True):
    ec2, elb, asg, ssm, iam = (boto3.client(n, region_name=REGION) for n in ("ec2", "elbv2", "autoscaling", "ssm", "iam"))
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone=f"{REGION}{az}")["Subnet"]["SubnetId"]
               for i, az in ((1, "a"), (2, "b"))]
    app_sg = ec2.create_security_group(GroupName="shop-ec2", Description="app", VpcId=vpc)["GroupId"]
    shared_sg = ec2.create_security_group(GroupName="shared", Description="shared", VpcId=vpc)["GroupId"]
    lb = elb.create_load_balancer(Name="shop", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    tg = elb.create_target_group(Name="shop-ec2", Protocol="HTTP", Port=3000, VpcId=vpc, TargetType="instance",
                                 HealthCheckPath="/health", HealthCheckIntervalSeconds=30,
                                 Matcher={"HttpCode": "200"})["TargetGroups"][0]["TargetGroupArn"]
    fargate_tg = elb.create_target_group(Name="shop-fargate", Protocol="HTTP", Port=3000, VpcId=vpc,
                                         TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
    listener = elb.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80, DefaultActions=[
        {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}])["Listeners"][0]["ListenerArn"]
    rule = elb.create_rule(ListenerArn=listener, Priority=10, Conditions=[{"Field": "host-header", "Values": ["shop.example.com"]}],
                           Actions=[{"Type": "forward", "TargetGroupArn": tg}])["Rules"][0]["RuleArn"]
    iam.create_role(RoleName="shop-ec2", AssumeRolePolicyDocument="{}")
    iam.put_role_policy(RoleName="shop-ec2", PolicyName="logs", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"}]}))
    profile = iam.create_instance_profile(InstanceProfileName="shop-ec2")["InstanceProfile"]["Arn"]
    iam.add_role_to_instance_profile(InstanceProfileName="shop-ec2", RoleName="shop-ec2")
    template = ec2.create_launch_template(LaunchTemplateName="shop-web", LaunchTemplateData={
        "ImageId": AMI, "InstanceType": "t3.medium", "UserData": base64.b64encode(USER_DATA.encode()).decode(),
        "SecurityGroupIds": [app_sg, shared_sg], "IamInstanceProfile": {"Arn": profile}})["LaunchTemplate"]["LaunchTemplateId"]
    asg.create_auto_scaling_group(AutoScalingGroupName="shop-web", MinSize=2, MaxSize=4, DesiredCapacity=2,
                                  LaunchTemplate={"LaunchTemplateId": template, "Version": "$Latest"},
                                  VPCZoneIdentifier=",".join(subnets), TargetGroupARNs=[tg])
    ssm.put_parameter(Name="/shop/prod/node_env", Value="production", Type="String")
    ssm.put_parameter(Name="/shop/prod/db_password", Value="hunter2-secret", Type="SecureString")
    ssm.put_parameter(Name="/other/prod/x", Value="nope", Type="String")
    neighbour = None
    if with_neighbour:  # another app sharing one security group
        neighbour = ec2.create_launch_template(LaunchTemplateName="blog", LaunchTemplateData={
            "ImageId": AMI, "InstanceType": "t3.micro", "SecurityGroupIds": [shared_sg]})["LaunchTemplate"]["LaunchTemplateId"]
        asg.create_auto_scaling_group(AutoScalingGroupName="blog", MinSize=1, MaxSize=1, DesiredCapacity=1,
                                      LaunchTemplate={"LaunchTemplateId": neighbour, "Version": "$Latest"},
                                      VPCZoneIdentifier=subnets[0])
    return {"tg": tg, "fargate_tg": fargate_tg, "rule": rule, "template": template, "app_sg": app_sg,
            "shared_sg": shared_sg, "neighbour": neighbour, "elb": elb, "ec2": ec2, "asg": asg, "iam": iam}


def test_discovery_reads_the_app_and_writes_nothing(aws):
    ground = seed()
    recorder = Recorder()
    result = discover({"asg_name": "shop-web", "ssm_path": "/shop/prod"}, recorder)
    service = result["service"]
    assert (service["name"], service["port"], service["desired_count"]) == ("shop-web", 3000, 2)
    assert (service["cpu"], service["memory"]) == ("2048", "4096")  # t3.medium: 2 vCPU, 4 GiB
    assert service["health_check"]["path"] == "/health"
    assert service["environment"] == {"NODE_ENV": "production"}
    assert service["secrets"] == [{"name": "DB_PASSWORD", "value_from": service["secrets"][0]["value_from"]}]
    # an ARN where DescribeParameters gives one (moto does not), else the name: both are valid valueFrom
    assert service["secrets"][0]["value_from"].endswith("/shop/prod/db_password")
    assert "hunter2" not in repr(result)
    kinds = {item["kind"] for item in result["not_inferred"]}
    assert {"image", "packages", "npm_global", "pm2", "systemd"} <= kinds
    ids = result["recorded_ids"]
    assert ids["rule_arn"] == ground["rule"] and ids["target_group_arn"] == ground["tg"]
    assert ids["launch_template_id"] == ground["template"]
    assert ids["security_group_ids"] == sorted([ground["app_sg"], ground["shared_sg"]])
    assert ids["instance_profile"].endswith("instance-profile/shop-ec2") and len(ids["instance_ids"]) == 2
    assert ids["instance_roles"] == ["shop-ec2"]
    assert recorder.writes() == []
    # the SecureString's value was never asked for, not even encrypted
    fetched = [params["Names"] for name, params in recorder.calls if name == "GetParameters"]
    assert fetched == [["/shop/prod/node_env"]]


def test_discovery_refuses_bad_input_before_any_call(aws):
    recorder = Recorder()
    with pytest.raises(MigrationError, match="starting with /"):
        discover({"asg_name": "shop-web", "ssm_path": "shop/prod"}, recorder)
    assert recorder.calls == []


def test_cleanup_keeps_a_role_added_to_the_profile_after_discovery(aws):
    ground = seed(with_neighbour=False)
    ids = discover({"asg_name": "shop-web"}, Recorder())["recorded_ids"]
    _cutover(ground)
    ground["iam"].create_role(RoleName="audit", AssumeRolePolicyDocument="{}")
    ground["iam"].remove_role_from_instance_profile(InstanceProfileName="shop-ec2", RoleName="shop-ec2")
    ground["iam"].add_role_to_instance_profile(InstanceProfileName="shop-ec2", RoleName="audit")
    result = _cleanup(ground, ids, Recorder(), check_mode=True)
    assert "role audit was not behind the instance profile at discovery" in result["kept"]
    assert "role audit" not in result["deleted"] and "instance profile shop-ec2" in result["deleted"]


def test_discovery_of_a_missing_group_fails(aws):
    seed(with_neighbour=False)
    with pytest.raises(MigrationError, match="not found"):
        discover({"asg_name": "nope"}, Recorder())


def _cutover(ground):
    ground["elb"].modify_rule(RuleArn=ground["rule"], Actions=[{"Type": "forward", "ForwardConfig": {"TargetGroups": [
        {"TargetGroupArn": ground["tg"], "Weight": 0}, {"TargetGroupArn": ground["fargate_tg"], "Weight": 100}]}}])


def _cleanup(ground, ids, recorder, check_mode=False, **extra):
    params = {"recorded_ids": ids, "fargate_target_group_arn": ground["fargate_tg"],
              "cutover_completed_at": (NOW - datetime.timedelta(hours=2)).isoformat(), "bake_seconds": 3600,
              "confirm": True, "wait_timeout": 5, "poll_interval": 0}
    params.update(extra)
    return Cleanup(params, recorder, check_mode=check_mode, sleep=lambda s: None, clock=NOW.timestamp).run()


def test_cleanup_check_mode_lists_what_would_go_and_writes_nothing(aws):
    ground = seed()
    ids = discover({"asg_name": "shop-web"}, Recorder())["recorded_ids"]
    _cutover(ground)
    recorder = Recorder()
    result = _cleanup(ground, ids, recorder, check_mode=True, confirm=False)  # a dry run needs no confirmation
    assert result["changed"]
    assert result["deleted"] == ["scale to zero shop-web", "auto scaling group shop-web", f"launch template {ground['template']}",
                                 f"security group {ground['app_sg']}", "instance profile shop-ec2", "role shop-ec2"]
    assert any(ground["shared_sg"] in why for why in result["kept"])
    assert recorder.writes() == []


def test_cleanup_removes_only_the_app_and_a_rerun_changes_nothing(aws):
    ground = seed()
    ids = discover({"asg_name": "shop-web"}, Recorder())["recorded_ids"]
    _cutover(ground)
    result = _cleanup(ground, ids, Recorder())
    assert result["changed"] and len(result["deleted"]) == 6
    assert ground["asg"].describe_auto_scaling_groups(AutoScalingGroupNames=["shop-web"])["AutoScalingGroups"] == []
    assert [g["AutoScalingGroupName"] for g in ground["asg"].describe_auto_scaling_groups()["AutoScalingGroups"]] == ["blog"]
    templates = {t["LaunchTemplateId"] for t in ground["ec2"].describe_launch_templates()["LaunchTemplates"]}
    assert templates == {ground["neighbour"]}
    groups = {g["GroupId"] for g in ground["ec2"].describe_security_groups()["SecurityGroups"]}
    assert ground["shared_sg"] in groups and ground["app_sg"] not in groups
    assert ground["iam"].list_instance_profiles()["InstanceProfiles"] == []
    assert "shop-ec2" not in [r["RoleName"] for r in ground["iam"].list_roles()["Roles"]]
    again = Recorder()
    rerun = _cleanup(ground, ids, again)
    assert not rerun["changed"] and rerun["deleted"] == [] and again.writes() == []


@pytest.mark.parametrize("extra, cut, message", [
    ({"confirm": False}, True, "set confirm to true"),
    ({}, False, "sends 100 % of the traffic to EC2"),
    ({"cutover_completed_at": None}, True, "no record of a completed cutover"),
    ({"cutover_completed_at": (NOW - datetime.timedelta(minutes=5)).isoformat()}, True, "wait the bake period"),
])
def test_cleanup_guards_refuse_before_any_write(aws, extra, cut, message):
    ground = seed(with_neighbour=False)
    ids = discover({"asg_name": "shop-web"}, Recorder())["recorded_ids"]
    if cut:
        _cutover(ground)
    recorder = Recorder()
    with pytest.raises(MigrationError, match=message):
        _cleanup(ground, ids, recorder, **extra)
    assert recorder.writes() == []


def test_cleanup_refuses_a_group_that_is_not_the_one_discovered(aws):
    ground = seed(with_neighbour=False)
    ids = discover({"asg_name": "shop-web"}, Recorder())["recorded_ids"]
    _cutover(ground)
    ids = dict(ids, launch_template_id="lt-0123456789abcdef0")
    recorder = Recorder()
    with pytest.raises(MigrationError, match="not the group discovery saw"):
        _cleanup(ground, ids, recorder)
    assert recorder.writes() == []
