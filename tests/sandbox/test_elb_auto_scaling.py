"""An EC2 Auto Scaling group's instances behind the sandbox ALB: registered as `instance` targets of the group's
target groups, health-checked, answering through the ALB, counted in CloudWatch, drained on scale-in/detach."""

import base64
import time
from datetime import datetime, timedelta, timezone

import pytest

from helpers import make_network, wait_until

INTERVAL = 10
DEREGISTRATION_DELAY = 20
AMI = "ami-03cf127a"  # one of the images moto knows


@pytest.fixture
def scale(sandbox):
    time_scale = sandbox.health()["time_scale"]
    return lambda aws_seconds: aws_seconds / time_scale


@pytest.fixture
def app(sandbox):
    """An ALB whose listener forwards to an instance target group fed by an Auto Scaling group of 2 instances."""
    network = make_network(sandbox)
    elb, ec2, asg = sandbox.aws("elbv2"), sandbox.aws("ec2"), sandbox.aws("autoscaling")
    balancer = elb.create_load_balancer(Name="web", Subnets=network["subnets"],
                                        SecurityGroups=[network["security_group"]])["LoadBalancers"][0]
    tg = elb.create_target_group(Name="ec2-app", Protocol="HTTP", Port=8080, VpcId=network["vpc"],
                                 TargetType="instance", HealthCheckPath="/health",
                                 HealthCheckIntervalSeconds=INTERVAL)["TargetGroups"][0]["TargetGroupArn"]
    elb.modify_target_group_attributes(TargetGroupArn=tg, Attributes=[
        {"Key": "deregistration_delay.timeout_seconds", "Value": str(DEREGISTRATION_DELAY)}])
    listener = elb.create_listener(LoadBalancerArn=balancer["LoadBalancerArn"], Protocol="HTTP", Port=80,
                                   DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])["Listeners"][0]
    user_data = base64.b64encode(b"#!/bin/bash\napt-get install -y nodejs\nnpm install -g pm2\n").decode()
    ec2.create_launch_template(LaunchTemplateName="ec2-app", LaunchTemplateData={
        "ImageId": AMI, "InstanceType": "t3.small", "UserData": user_data,
        "SecurityGroupIds": [network["security_group"]]})
    asg.create_auto_scaling_group(AutoScalingGroupName="ec2-app", MinSize=2, MaxSize=2, DesiredCapacity=2,
                                  LaunchTemplate={"LaunchTemplateName": "ec2-app", "Version": "$Latest"},
                                  VPCZoneIdentifier=",".join(network["subnets"]), TargetGroupARNs=[tg])
    return {"network": network, "elb": elb, "ec2": ec2, "asg": asg, "tg": tg, "listener": listener,
            "balancer": balancer}


def group_instances(app):
    group = app["asg"].describe_auto_scaling_groups(AutoScalingGroupNames=["ec2-app"])["AutoScalingGroups"][0]
    return sorted(instance["InstanceId"] for instance in group["Instances"])


def health(app, tg=None):
    descriptions = app["elb"].describe_target_health(TargetGroupArn=tg or app["tg"])["TargetHealthDescriptions"]
    return {d["Target"]["Id"]: (d["Target"]["Port"], d["TargetHealth"]["State"]) for d in descriptions}


def test_group_instances_are_instance_targets_initial_then_healthy(app, scale):
    ids = group_instances(app)
    assert len(ids) == 2
    assert health(app) == {i: (8080, "initial") for i in ids}
    wait_until(lambda: set(health(app).values()) == {(8080, "healthy")}, timeout=3 * scale(INTERVAL) + 2)
    assert sorted(health(app)) == ids


def test_group_instances_answer_through_the_alb_and_are_counted_per_target_group(sandbox, app, scale):
    ids = group_instances(app)
    wait_until(lambda: set(health(app).values()) == {(8080, "healthy")}, timeout=3 * scale(INTERVAL) + 2)
    answers = [sandbox.alb_request("web", "/") for _ in range(6)]
    assert {status for status, _ in answers} == {200}
    assert sorted({body["instance_id"] for _, body in answers}) == ids  # round robin over both
    assert {body["target_group"] for _, body in answers} == {"ec2-app"}

    tg_dimension = app["tg"].rsplit(":", 1)[1]
    lb_dimension = app["balancer"]["LoadBalancerArn"].split("loadbalancer/", 1)[1]

    def requests_counted():
        now = datetime.now(timezone.utc)
        points = sandbox.aws("cloudwatch").get_metric_statistics(
            Namespace="AWS/ApplicationELB", MetricName="RequestCount", Statistics=["Sum"], Period=60,
            StartTime=now - timedelta(minutes=5), EndTime=now + timedelta(minutes=1),
            Dimensions=[{"Name": "TargetGroup", "Value": tg_dimension}, {"Name": "LoadBalancer", "Value": lb_dimension}],
        )["Datapoints"]
        return sum(point["Sum"] for point in points)

    wait_until(lambda: requests_counted() == 6, timeout=2)


def test_scaling_the_group_to_zero_drains_its_targets_then_the_alb_answers_503(sandbox, app, scale):
    ids = group_instances(app)
    wait_until(lambda: set(health(app).values()) == {(8080, "healthy")}, timeout=3 * scale(INTERVAL) + 2)
    started = time.monotonic()
    app["asg"].update_auto_scaling_group(AutoScalingGroupName="ec2-app", MinSize=0, DesiredCapacity=0)
    wait_until(lambda: set(health(app).values()) == {(8080, "draining")}, timeout=2)
    assert sorted(health(app)) == ids
    wait_until(lambda: health(app) == {}, timeout=3 * scale(DEREGISTRATION_DELAY) + 2)
    assert time.monotonic() - started >= scale(DEREGISTRATION_DELAY)
    assert sandbox.alb_request("web", "/")[0] == 503


def test_scaling_out_registers_the_new_instance(app, scale):
    before = group_instances(app)
    wait_until(lambda: set(health(app).values()) == {(8080, "healthy")}, timeout=3 * scale(INTERVAL) + 2)
    app["asg"].update_auto_scaling_group(AutoScalingGroupName="ec2-app", MaxSize=3)
    app["asg"].set_desired_capacity(AutoScalingGroupName="ec2-app", DesiredCapacity=3)
    [new] = set(group_instances(app)) - set(before)
    assert health(app)[new] == (8080, "initial")
    assert all(health(app)[i] == (8080, "healthy") for i in before)


def test_detaching_the_target_group_drains_the_instances(app, scale):
    ids = group_instances(app)
    app["asg"].detach_load_balancer_target_groups(AutoScalingGroupName="ec2-app", TargetGroupARNs=[app["tg"]])
    assert {i: state for i, (_, state) in health(app).items()} == {i: "draining" for i in ids}
    # the instances keep running: only the registration is gone
    states = app["ec2"].describe_instances(InstanceIds=ids)["Reservations"]
    assert {i["State"]["Name"] for r in states for i in r["Instances"]} == {"running"}


def test_a_target_group_not_attached_to_the_group_gets_no_instance(app):
    other = app["elb"].create_target_group(Name="other", Protocol="HTTP", Port=80, VpcId=app["network"]["vpc"],
                                           TargetType="instance")["TargetGroups"][0]["TargetGroupArn"]
    app["asg"].set_desired_capacity(AutoScalingGroupName="ec2-app", DesiredCapacity=2)
    assert health(app, other) == {}
