"""The scenario's ground in one process (what it tests is scale_to_zero, not these calls); idempotent.

python ground.py <endpoint> up|down <name>: `up` finds or creates a VPC with two subnets and a security group,
per service a target group (fast health checks) and an ALB whose listener answers 404 but for a host rule
forwarding to it, the cluster, the log group, the waker's role, and the test image; prints
{"subnets", "security_group", "image", "target_groups": {service: arn}} as JSON. `down` deletes the ALBs,
target groups, role and log group again (the services and scale_to_zero's resources are gone by then).
"""

import json
import os
import sys

import boto3

endpoint, action, name = sys.argv[1], sys.argv[2], sys.argv[3]
SERVICES = {"api": "api.s2z.test", "web": "web.s2z.test"}
TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def client(service):
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


ec2, elbv2, ecs, logs, iam = (client(s) for s in ("ec2", "elbv2", "ecs", "logs", "iam"))


def balancer_name(service):
    return name if service == "api" else f"{name}-{service}"


def find(call, key, **params):
    try:
        return call(**params)[key]
    except Exception as e:  # noqa: BLE001 - "not found" has a different code per service
        if "NotFound" in type(e).__name__ or "NotFound" in str(e) or "NoSuchEntity" in str(e):
            return []
        raise


def up():
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [name]}])["Vpcs"]
    if vpcs:
        vpc = vpcs[0]["VpcId"]
        subnets = sorted(s["SubnetId"] for s in ec2.describe_subnets(
            Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"])
        group = ec2.describe_security_groups(Filters=[
            {"Name": "vpc-id", "Values": [vpc]}, {"Name": "group-name", "Values": [name]}])["SecurityGroups"][0]["GroupId"]
    else:
        vpc = ec2.create_vpc(CidrBlock="10.61.0.0/16", TagSpecifications=[
            {"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": name}]}])["Vpc"]["VpcId"]
        subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.61.{i}.0/24", AvailabilityZone=f"us-east-1{az}")
                   ["Subnet"]["SubnetId"] for i, az in ((1, "a"), (2, "b"))]
        group = ec2.create_security_group(GroupName=name, Description="molecule scale_to_zero", VpcId=vpc)["GroupId"]
    target_groups = {}
    for service, host in SERVICES.items():
        tg_name = f"{name}-{service}"
        found = find(elbv2.describe_target_groups, "TargetGroups", Names=[tg_name])
        tg = found[0]["TargetGroupArn"] if found else elbv2.create_target_group(
            Name=tg_name, Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip", HealthCheckPath="/health",
            HealthCheckIntervalSeconds=5, HealthyThresholdCount=2)["TargetGroups"][0]["TargetGroupArn"]
        elbv2.modify_target_group_attributes(TargetGroupArn=tg, Attributes=[
            {"Key": "deregistration_delay.timeout_seconds", "Value": "5"}])
        target_groups[service] = tg
        if find(elbv2.describe_load_balancers, "LoadBalancers", Names=[balancer_name(service)]):
            continue
        lb = elbv2.create_load_balancer(Name=balancer_name(service), Subnets=subnets,
                                        SecurityGroups=[group])["LoadBalancers"][0]["LoadBalancerArn"]
        listener = elbv2.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80, DefaultActions=[
            {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404", "ContentType": "text/plain",
                                                               "MessageBody": "no such host"}}])["Listeners"][0]
        elbv2.create_rule(ListenerArn=listener["ListenerArn"], Priority=10,
                          Conditions=[{"Field": "host-header", "Values": [host]}],
                          Actions=[{"Type": "forward", "TargetGroupArn": tg}])
    ecs.create_cluster(clusterName=name, capacityProviders=["FARGATE", "FARGATE_SPOT"])
    if not [g for g in logs.describe_log_groups(logGroupNamePrefix=f"/ecs/{name}")["logGroups"]
            if g["logGroupName"] == f"/ecs/{name}"]:
        logs.create_log_group(logGroupName=f"/ecs/{name}")
    if not find(iam.get_role, "Role", RoleName=f"{name}-waker"):
        iam.create_role(RoleName=f"{name}-waker", AssumeRolePolicyDocument=json.dumps(TRUST))
    sys.path.insert(0, os.getcwd())  # the repository root (chdir): the sandbox package
    from sandbox.client import SandboxClient
    from sandbox.images import push_test_image
    image = push_test_image(SandboxClient(endpoint), f"{name}/web", "v1", marker="v1")["image"]
    print(json.dumps({"subnets": subnets, "security_group": group, "image": image, "target_groups": target_groups}))


def down():
    for service in SERVICES:
        for lb in find(elbv2.describe_load_balancers, "LoadBalancers", Names=[balancer_name(service)]):
            elbv2.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])
        for tg in find(elbv2.describe_target_groups, "TargetGroups", Names=[f"{name}-{service}"]):
            elbv2.delete_target_group(TargetGroupArn=tg["TargetGroupArn"])
    if find(iam.get_role, "Role", RoleName=f"{name}-waker"):
        iam.delete_role(RoleName=f"{name}-waker")
    if [g for g in logs.describe_log_groups(logGroupNamePrefix=f"/ecs/{name}")["logGroups"]
            if g["logGroupName"] == f"/ecs/{name}"]:
        logs.delete_log_group(logGroupName=f"/ecs/{name}")
    print(json.dumps({"down": name}))


{"up": up, "down": down}[action]()
