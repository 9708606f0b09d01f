"""EC2 Auto Scaling groups' instances as `instance` targets of their target groups.

moto registers an Auto Scaling group's instances in its target groups (TargetGroupARNs) straight in its
ELBv2 backend, so no RegisterTargets call reaches the sandbox and the simulated health never sees them:
DescribeTargetHealth would list nothing and the ALB would answer 503. After each Auto Scaling call that can
change the group's instances or target groups, the instance target groups of the region are brought in
line with moto's registrations: new instances start `initial` and pass their first health check as
RegisterTargets' do; instances moto deregistered (DetachLoadBalancerTargetGroups) drain. Instances the
group terminates (scale-in, DeleteAutoScalingGroup) drain through the EC2 state, as for any instance target
("Elastic Load Balancing deregisters terminated instances").
https://docs.aws.amazon.com/autoscaling/ec2/userguide/attach-load-balancer-asg.html
"""

from ..hooks import after
from .targets import Target

OPERATIONS = (
    "CreateAutoScalingGroup", "UpdateAutoScalingGroup", "SetDesiredCapacity", "ExecutePolicy",
    "AttachLoadBalancerTargetGroups", "DetachLoadBalancerTargetGroups", "AttachTrafficSources",
    "DetachTrafficSources", "AttachInstances", "DetachInstances", "TerminateInstanceInAutoScalingGroup",
    "DeleteAutoScalingGroup",
)


@after("autoscaling", *OPERATIONS)
def _follow_auto_scaling(sb, call):
    sync_instance_targets(sb, call.region)


def sync_instance_targets(sb, region: str):
    """Register moto's instance registrations the sandbox does not know yet; drain the ones moto dropped."""
    elb = sb.area("elb")
    now = sb.now()
    for tg in list(sb.backend("elbv2", region).target_groups.values()):
        if tg.target_type != "instance":
            continue
        live = {target.id: target for target in elb.targets(region, tg.arn) if target.drain_until is None}
        for target_id, spec in list(tg.targets.items()):
            if target_id not in live:
                elb._register(region, tg, Target(target_id, int(spec.get("Port") or tg.port), "instance"))
        for target_id, target in live.items():
            if target_id not in tg.targets:
                elb._drain(region, tg, target, now)
