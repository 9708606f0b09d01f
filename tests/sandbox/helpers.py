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
