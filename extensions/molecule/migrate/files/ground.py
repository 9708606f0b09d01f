"""The migrate scenario's EC2 world in one process, through moto's EC2, Auto Scaling, ELBv2, IAM and SSM APIs.

python ground.py <endpoint> up|down <name>

`up` (idempotent) makes a VPC with two subnets; an ALB whose HTTP listener answers 404 but for two host rules:
`shop.<name>.test` forwards to the shop's EC2 target group (instance targets), `blog.<name>.test` to the
neighbour's; the shop as an EC2 app - a launch template (t3.small, user data installing Node, PM2 and an nginx
unit; its own security group and one shared with the neighbour; an instance profile and role), an Auto Scaling
group of 2 registering into its target group, SSM parameters (a String and a SecureString); the neighbour (blog):
its own launch template using the shared security group, Auto Scaling group of 1 and target group; and the
Fargate side's ground: the Fargate target group (ip) with a preview rule (header X-Fargate-Preview: 1),
a task security group, the cluster, the log group and the
test image. Prints the ids as JSON. `down` deletes all of it (the ECS service is gone by then).
"""

import base64
import json
import os
import sys

import boto3

endpoint, action, name = sys.argv[1], sys.argv[2], sys.argv[3]
AMI = "ami-03cf127a"  # one of the images moto knows
USER_DATA = """#!/bin/bash
curl -fsSL https://deb.nodesource.com/setup_20.x | bash -
apt-get install -y nodejs nginx
npm install -g pm2
cd /opt/shop && npm ci && pm2 start server.js --name shop && pm2 save
cp /opt/shop/nginx.service /etc/systemd/system/shop-proxy.service
systemctl enable --now shop-proxy
echo '*/5 * * * * /opt/shop/cleanup.sh' | crontab -
"""


def client(service):
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


ec2, elb, asg, iam, ssm, ecs, logs = (client(s) for s in ("ec2", "elbv2", "autoscaling", "iam", "ssm", "ecs", "logs"))


def quiet(call, **params):
    """A delete that may find nothing to delete."""
    try:
        return call(**params)
    except Exception as e:  # noqa: BLE001 - "not found" has a different code per service
        if any(word in str(e) for word in ("NotFound", "not found", "NoSuchEntity", "does not exist", "ValidationError")):
            return None
        raise


def target_group(tg_name, vpc, port, target_type, path):
    found = quiet(elb.describe_target_groups, Names=[tg_name])
    if found:
        return found["TargetGroups"][0]["TargetGroupArn"]
    arn = elb.create_target_group(Name=tg_name, Protocol="HTTP", Port=port, VpcId=vpc, TargetType=target_type,
                                  HealthCheckPath=path, HealthCheckIntervalSeconds=5, HealthyThresholdCount=2,
                                  Matcher={"HttpCode": "200"})["TargetGroups"][0]["TargetGroupArn"]
    elb.modify_target_group_attributes(TargetGroupArn=arn, Attributes=[
        {"Key": "deregistration_delay.timeout_seconds", "Value": "5"}])
    return arn


def security_group(vpc, group_name):
    found = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                                  {"Name": "group-name", "Values": [group_name]}])["SecurityGroups"]
    return found[0]["GroupId"] if found else ec2.create_security_group(
        GroupName=group_name, Description=f"molecule migrate {group_name}", VpcId=vpc)["GroupId"]


def launch_template(template_name, data):
    found = quiet(ec2.describe_launch_templates, LaunchTemplateNames=[template_name])
    if found:
        return found["LaunchTemplates"][0]["LaunchTemplateId"]
    return ec2.create_launch_template(LaunchTemplateName=template_name, LaunchTemplateData=data)["LaunchTemplate"]["LaunchTemplateId"]


def up():
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [name]}])["Vpcs"]
    if vpcs:
        vpc = vpcs[0]["VpcId"]
        subnets = sorted(s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"])
    else:
        vpc = ec2.create_vpc(CidrBlock="10.69.0.0/16", TagSpecifications=[
            {"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": name}]}])["Vpc"]["VpcId"]
        subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.69.{i}.0/24", AvailabilityZone=f"us-east-1{az}")
                   ["Subnet"]["SubnetId"] for i, az in ((1, "a"), (2, "b"))]
    groups = {key: security_group(vpc, f"{name}-{key}") for key in ("shop-ec2", "shared", "shop-fargate", "alb")}
    tgs = {"shop": target_group(f"{name}-shop-ec2", vpc, 3000, "instance", "/health"),
           "blog": target_group(f"{name}-blog-ec2", vpc, 80, "instance", "/"),
           "fargate": target_group(f"{name}-shop-fargate", vpc, 80, "ip", "/health")}
    balancers = quiet(elb.describe_load_balancers, Names=[name])
    if balancers:
        lb = balancers["LoadBalancers"][0]["LoadBalancerArn"]
        listener = elb.describe_listeners(LoadBalancerArn=lb)["Listeners"][0]["ListenerArn"]
    else:
        lb = elb.create_load_balancer(Name=name, Subnets=subnets, SecurityGroups=[groups["alb"]])["LoadBalancers"][0]["LoadBalancerArn"]
        listener = elb.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80, DefaultActions=[
            {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404", "ContentType": "text/plain",
                                                               "MessageBody": "no such host"}}])["Listeners"][0]["ListenerArn"]
        for priority, app in ((10, "shop"), (20, "blog")):
            elb.create_rule(ListenerArn=listener, Priority=priority,
                            Conditions=[{"Field": "host-header", "Values": [f"{app}.{name}.test"]}],
                            Actions=[{"Type": "forward", "TargetGroupArn": tgs[app]}])
        # the Fargate side is reached before the cutover only with a header (a smoke test); ECS also needs its
        # target group to be attached to a load balancer before a service can use it
        elb.create_rule(ListenerArn=listener, Priority=5, Conditions=[
            {"Field": "host-header", "Values": [f"shop.{name}.test"]},
            {"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "X-Fargate-Preview", "Values": ["1"]}}],
            Actions=[{"Type": "forward", "TargetGroupArn": tgs["fargate"]}])
    if not quiet(iam.get_instance_profile, InstanceProfileName=f"{name}-shop-ec2"):
        iam.create_role(RoleName=f"{name}-shop-ec2", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
        iam.put_role_policy(RoleName=f"{name}-shop-ec2", PolicyName="ssm-read", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ssm:GetParameter*", "Resource": "*"}]}))
        iam.create_instance_profile(InstanceProfileName=f"{name}-shop-ec2")
        iam.add_role_to_instance_profile(InstanceProfileName=f"{name}-shop-ec2", RoleName=f"{name}-shop-ec2")
    profile = iam.get_instance_profile(InstanceProfileName=f"{name}-shop-ec2")["InstanceProfile"]["Arn"]
    shop_lt = launch_template(f"{name}-shop", {
        "ImageId": AMI, "InstanceType": "t3.small", "UserData": base64.b64encode(USER_DATA.encode()).decode(),
        "SecurityGroupIds": [groups["shop-ec2"], groups["shared"]], "IamInstanceProfile": {"Arn": profile}})
    blog_lt = launch_template(f"{name}-blog", {"ImageId": AMI, "InstanceType": "t3.micro", "SecurityGroupIds": [groups["shared"]]})
    for app, template, size in (("shop", shop_lt, 2), ("blog", blog_lt, 1)):
        if not asg.describe_auto_scaling_groups(AutoScalingGroupNames=[f"{name}-{app}"])["AutoScalingGroups"]:
            asg.create_auto_scaling_group(AutoScalingGroupName=f"{name}-{app}", MinSize=size, MaxSize=size, DesiredCapacity=size,
                                          LaunchTemplate={"LaunchTemplateId": template, "Version": "$Latest"},
                                          VPCZoneIdentifier=",".join(subnets), TargetGroupARNs=[tgs[app]])
    ssm.put_parameter(Name=f"/{name}/shop/node_env", Value="production", Type="String", Overwrite=True)
    ssm.put_parameter(Name=f"/{name}/shop/db_password", Value="s3cr3t-never-printed", Type="SecureString", Overwrite=True)
    ecs.create_cluster(clusterName=name, capacityProviders=["FARGATE"])
    if not [g for g in logs.describe_log_groups(logGroupNamePrefix=f"/ecs/{name}")["logGroups"] if g["logGroupName"] == f"/ecs/{name}"]:
        logs.create_log_group(logGroupName=f"/ecs/{name}")
    sys.path.insert(0, os.getcwd())  # the repository root (chdir): the sandbox package
    from sandbox.client import SandboxClient
    from sandbox.images import push_test_image
    images = {tag: push_test_image(SandboxClient(endpoint), f"{name}/shop", tag, marker=tag)["image"] for tag in ("v1", "unhealthy")}
    print(json.dumps({"subnets": subnets, "security_groups": groups, "target_groups": tgs, "listener": listener,
                      "load_balancer": lb, "launch_templates": {"shop": shop_lt, "blog": blog_lt}, "images": images}))


def down():
    for app in ("shop", "blog"):
        quiet(asg.delete_auto_scaling_group, AutoScalingGroupName=f"{name}-{app}", ForceDelete=True)
        for template in (quiet(ec2.describe_launch_templates, LaunchTemplateNames=[f"{name}-{app}"]) or {}).get("LaunchTemplates", []):
            ec2.delete_launch_template(LaunchTemplateId=template["LaunchTemplateId"])
    for balancer in (quiet(elb.describe_load_balancers, Names=[name]) or {}).get("LoadBalancers", []):
        elb.delete_load_balancer(LoadBalancerArn=balancer["LoadBalancerArn"])
    for tg_name in (f"{name}-shop-ec2", f"{name}-blog-ec2", f"{name}-shop-fargate"):
        for tg in (quiet(elb.describe_target_groups, Names=[tg_name]) or {}).get("TargetGroups", []):
            elb.delete_target_group(TargetGroupArn=tg["TargetGroupArn"])
    quiet(iam.remove_role_from_instance_profile, InstanceProfileName=f"{name}-shop-ec2", RoleName=f"{name}-shop-ec2")
    quiet(iam.delete_instance_profile, InstanceProfileName=f"{name}-shop-ec2")
    quiet(iam.delete_role_policy, RoleName=f"{name}-shop-ec2", PolicyName="ssm-read")
    quiet(iam.delete_role, RoleName=f"{name}-shop-ec2")
    quiet(ssm.delete_parameters, Names=[f"/{name}/shop/node_env", f"/{name}/shop/db_password"])
    quiet(ecs.delete_cluster, cluster=name)
    quiet(logs.delete_log_group, logGroupName=f"/ecs/{name}")
    for vpc in ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [name]}])["Vpcs"]:
        by_vpc = [{"Name": "vpc-id", "Values": [vpc["VpcId"]]}]
        for group in ec2.describe_security_groups(Filters=by_vpc)["SecurityGroups"]:
            if group["GroupName"] != "default":
                quiet(ec2.delete_security_group, GroupId=group["GroupId"])
        for subnet in ec2.describe_subnets(Filters=by_vpc)["Subnets"]:
            quiet(ec2.delete_subnet, SubnetId=subnet["SubnetId"])
        quiet(ec2.delete_vpc, VpcId=vpc["VpcId"])
    print(json.dumps({"down": name}))


up() if action == "up" else down()
