"""Small helpers shared by the sandbox's tests: polling with a deadline and common builders."""

import time


def wait_until(predicate, timeout: float, interval: float = 0.02, message: str = ""):
    """Poll `predicate` until it returns something truthy and return that; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = predicate()
        if last:
            return last
        if time.monotonic() >= deadline:
            name = getattr(predicate, "__name__", "condition")
            raise AssertionError(message or f"{name} not true within {timeout} s (last value: {last!r})")
        time.sleep(interval)


def make_network(sandbox, cidr: str = "10.0.0.0/16", azs=("a", "b")) -> dict:
    """A VPC with one subnet per AZ suffix and a security group: {"vpc", "subnets", "security_group"}."""
    ec2 = sandbox.aws("ec2")
    vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    prefix = cidr.split(".")[:2]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"{prefix[0]}.{prefix[1]}.{i}.0/24",
                          AvailabilityZone=f"{sandbox.region}{az}")["Subnet"]["SubnetId"]
        for i, az in enumerate(azs, start=1)
    ]
    group = ec2.create_security_group(GroupName=f"sg-{vpc}", Description="sandbox test", VpcId=vpc)["GroupId"]
    return {"vpc": vpc, "subnets": subnets, "security_group": group}


def awsvpc_configuration(network: dict, public_ip: bool = False) -> dict:
    """The networkConfiguration a Fargate service needs for `network` (from make_network)."""
    return {"awsvpcConfiguration": {"subnets": network["subnets"], "securityGroups": [network["security_group"]],
                                    "assignPublicIp": "ENABLED" if public_ip else "DISABLED"}}


def make_alb(sandbox, network: dict, name: str = "alb", target_groups=("tg",), health_interval: int = 5,
             healthy_threshold: int = 2, deregistration_delay: int | None = None) -> dict:
    """An internet-facing ALB with an HTTP:80 listener forwarding to the first of `target_groups` (ip targets).

    Returns {"lb": arn, "listener": arn, "target_groups": {name: arn}}. deregistration_delay (seconds)
    sets deregistration_delay.timeout_seconds on every target group when given (AWS default 300)."""
    elbv2 = sandbox.aws("elbv2")
    lb = elbv2.create_load_balancer(Name=name, Subnets=network["subnets"],
                                    SecurityGroups=[network["security_group"]])["LoadBalancers"][0]["LoadBalancerArn"]
    groups = {}
    for tg_name in target_groups:
        arn = elbv2.create_target_group(
            Name=tg_name, Protocol="HTTP", Port=80, VpcId=network["vpc"], TargetType="ip",
            HealthCheckIntervalSeconds=health_interval, HealthyThresholdCount=healthy_threshold,
        )["TargetGroups"][0]["TargetGroupArn"]
        if deregistration_delay is not None:
            elbv2.modify_target_group_attributes(TargetGroupArn=arn, Attributes=[
                {"Key": "deregistration_delay.timeout_seconds", "Value": str(deregistration_delay)}])
        groups[tg_name] = arn
    listener = elbv2.create_listener(
        LoadBalancerArn=lb, Protocol="HTTP", Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": groups[target_groups[0]]}],
    )["Listeners"][0]["ListenerArn"]
    return {"lb": lb, "listener": listener, "target_groups": groups}


def pullable_image(sandbox, tag: str, repository: str = "app") -> str:
    """An image reference ECS can pull from the sandbox registry (pushed once per tag)."""
    from sandbox.images import push_test_image

    return push_test_image(sandbox, repository, tag, marker=tag)["image"]


def fargate_task_definition(sandbox, image: str, family: str = "api", container: str = "web", port: int = 80,
                            cpu: str = "256", memory: str = "512", **container_extra) -> str:
    """Register a one-container Fargate task definition; returns its ARN."""
    definition = {"name": container, "image": image, "essential": True,
                  "portMappings": [{"containerPort": port, "protocol": "tcp"}], **container_extra}
    return sandbox.aws("ecs").register_task_definition(
        family=family, requiresCompatibilities=["FARGATE"], networkMode="awsvpc", cpu=cpu, memory=memory,
        containerDefinitions=[definition],
    )["taskDefinition"]["taskDefinitionArn"]
