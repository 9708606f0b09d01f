"""Create or find, with plain boto3, the ground the scenario's service stands on; print JSON.

Usage: ground.py '<json: endpoint, region, name, target_group, repository>' [absent]
Present: a VPC (tag Name), two subnets, a security group, a target group (fast health checks) behind
an internet-facing ALB with an HTTP listener, the ECS cluster, and a tiny image pushed to the sandbox
registry. Prints {"subnets", "security_group", "image"}. With "absent" it removes all of it (the
service must be gone first). One process instead of a module per resource keeps the scenario short;
the module under test and fargate_service_rollout are what the scenario exercises.
"""

import json
import sys

import boto3
from botocore.exceptions import ClientError

from sandbox.client import SandboxClient
from sandbox.images import push_test_image

CIDR = "10.43.0.0/16"
SUBNETS = (("10.43.1.0/24", "a"), ("10.43.2.0/24", "b"))


def clients(spec):
    kwargs = dict(endpoint_url=spec["endpoint"], region_name=spec["region"], aws_access_key_id="testing",
                  aws_secret_access_key="testing")
    return {name: boto3.client(name, **kwargs) for name in ("ec2", "elbv2", "ecs", "ecr")}


def find_vpc(ec2, name):
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [name]}])["Vpcs"]
    return vpcs[0]["VpcId"] if vpcs else None


NOT_FOUND = {"TargetGroupNotFound", "LoadBalancerNotFound", "RepositoryNotFoundException"}


def find(call, key, **params):
    """call(**params)[key], or [] when AWS answers that the named resource does not exist."""
    try:
        return call(**params)[key]
    except ClientError as e:
        if e.response["Error"]["Code"] in NOT_FOUND:
            return []
        raise


def present(spec, aws):
    ec2, elbv2, ecs = aws["ec2"], aws["elbv2"], aws["ecs"]
    vpc = find_vpc(ec2, spec["name"])
    if vpc is None:
        vpc = ec2.create_vpc(CidrBlock=CIDR, TagSpecifications=[
            {"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": spec["name"]}]}])["Vpc"]["VpcId"]
    existing = {s["CidrBlock"]: s["SubnetId"] for s in
                ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]}
    subnets = [existing.get(cidr) or ec2.create_subnet(VpcId=vpc, CidrBlock=cidr,
                                                       AvailabilityZone=spec["region"] + zone)["Subnet"]["SubnetId"]
               for cidr, zone in SUBNETS]
    groups = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                                   {"Name": "group-name", "Values": [spec["name"]]}])["SecurityGroups"]
    group = groups[0]["GroupId"] if groups else ec2.create_security_group(
        GroupName=spec["name"], Description="molecule autoscaling scenario", VpcId=vpc)["GroupId"]
    tgs = find(elbv2.describe_target_groups, "TargetGroups", Names=[spec["target_group"]])
    tg = tgs[0]["TargetGroupArn"] if tgs else elbv2.create_target_group(
        Name=spec["target_group"], Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip", HealthCheckProtocol="HTTP",
        HealthCheckPath="/health", HealthCheckIntervalSeconds=5, HealthyThresholdCount=2)["TargetGroups"][0]["TargetGroupArn"]
    elbv2.modify_target_group_attributes(TargetGroupArn=tg, Attributes=[
        {"Key": "deregistration_delay.timeout_seconds", "Value": "5"}])
    lbs = find(elbv2.describe_load_balancers, "LoadBalancers", Names=[spec["name"]])
    lb = lbs[0]["LoadBalancerArn"] if lbs else elbv2.create_load_balancer(
        Name=spec["name"], Subnets=subnets, SecurityGroups=[group], Scheme="internet-facing",
        Type="application")["LoadBalancers"][0]["LoadBalancerArn"]
    if not elbv2.describe_listeners(LoadBalancerArn=lb)["Listeners"]:
        elbv2.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80,
                              DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
    ecs.create_cluster(clusterName=spec["name"], capacityProviders=["FARGATE"],
                       defaultCapacityProviderStrategy=[{"capacityProvider": "FARGATE", "weight": 1}])
    image = push_test_image(SandboxClient(spec["endpoint"]), spec["repository"], "v1", marker="v1")["image"]
    return {"subnets": subnets, "security_group": group, "image": image}


def absent(spec, aws):
    ec2, elbv2, ecs, ecr = aws["ec2"], aws["elbv2"], aws["ecs"], aws["ecr"]
    for lb in find(elbv2.describe_load_balancers, "LoadBalancers", Names=[spec["name"]]):
        elbv2.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])
    for tg in find(elbv2.describe_target_groups, "TargetGroups", Names=[spec["target_group"]]):
        elbv2.delete_target_group(TargetGroupArn=tg["TargetGroupArn"])
    if [c for c in ecs.describe_clusters(clusters=[spec["name"]])["clusters"] if c["status"] == "ACTIVE"]:
        ecs.delete_cluster(cluster=spec["name"])
    if find(ecr.describe_repositories, "repositories", repositoryNames=[spec["repository"]]):
        ecr.delete_repository(repositoryName=spec["repository"], force=True)
    vpc = find_vpc(ec2, spec["name"])
    if vpc is not None:
        for group in ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["SecurityGroups"]:
            if group["GroupName"] != "default":
                ec2.delete_security_group(GroupId=group["GroupId"])
        for subnet in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]:
            ec2.delete_subnet(SubnetId=subnet["SubnetId"])
        ec2.delete_vpc(VpcId=vpc)
    return {"vpc": vpc}


def main():
    spec = json.loads(sys.argv[1])
    aws = clients(spec)
    print(json.dumps(absent(spec, aws) if sys.argv[2:] == ["absent"] else present(spec, aws)))


if __name__ == "__main__":
    main()
