"""The migration discovery's pure half: task size from the instance type, user data findings, the starting inventory."""

from __future__ import annotations

import base64
import gzip

import pytest

from ansible_collections.ecsops.fargate.plugins.module_utils._ecs.fargate import validate_task_size
from ansible_collections.ecsops.fargate.plugins.module_utils._migration import discover

TG = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/app-ec2/0123456789abcdef"
OTHER_TG = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/other/fedcba9876543210"
RULE = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/alb/0123456789abcdef/0123456789abcdef/0123456789abcdef"
PROFILE = "arn:aws:iam::123456789012:instance-profile/app-ec2"
SECRET_ARN = "arn:aws:ssm:eu-west-1:123456789012:parameter/shop/web/db_password"

SCRIPT = """#!/bin/bash
# apt-get install -y commented-out
apt-get update
apt-get install -y nginx nodejs
yum -y install git
dnf install -q jq
npm install -g pm2 yarn
npm install
npm i --global typescript
pm2 start app.js --name web
systemctl enable --now myapp
cat > /etc/systemd/system/worker.service <<UNIT
nvm install 18.19.0
echo "*/5 * * * * /opt/app/cleanup" | crontab -
echo done
"""


def b64(data):
    return base64.b64encode(data if isinstance(data, bytes) else data.encode()).decode()


@pytest.mark.parametrize("instance_type, size", [
    ("t2.nano", ("1024", "2048")),     # 1 vCPU -> 1024; 0.5 GiB is below 1024's smallest memory
    ("t2.small", ("1024", "2048")),
    ("t3.micro", ("2048", "4096")),
    ("t4g.medium", ("2048", "4096")),
    ("t3a.xlarge", ("4096", "16384")),
    ("m5.large", ("2048", "8192")),
    ("m6i.4xlarge", ("16384", "65536")),
    ("c5.large", ("2048", "4096")),
    ("c6i.2xlarge", ("8192", "16384")),
    ("r5.large", ("2048", "16384")),
    ("r5.2xlarge", ("16384", "65536")),  # 64 GiB is above 8192's 60 GiB: the next cpu up
])
def test_suggested_size_covers_the_instance_and_is_valid_fargate(instance_type, size):
    suggested, reason = discover.suggest_task_size(instance_type)
    assert suggested == size
    assert validate_task_size(*suggested) == suggested
    assert instance_type in reason


@pytest.mark.parametrize("instance_type, burstable", [("t2.micro", True), ("t3.large", True), ("t3a.small", True), ("t4g.nano", True),
                                                      ("m5.large", False), ("c6i.xlarge", False)])
def test_burstable_types_say_a_smaller_cpu_may_do(instance_type, burstable):
    assert ("burstable instance" in discover.suggest_task_size(instance_type)[1]) is burstable


@pytest.mark.parametrize("family", sorted(discover.INSTANCE_TYPES))
def test_every_fitting_table_entry_gives_a_valid_size_at_least_as_big(family):
    for size, (vcpus, memory_gib) in discover.INSTANCE_TYPES[family].items():
        suggested, reason = discover.suggest_task_size(f"{family}.{size}")
        if suggested is None:
            assert "larger than any Fargate task size" in reason
            continue
        assert validate_task_size(*suggested) == suggested
        assert int(suggested[0]) >= vcpus * 1024 and int(suggested[1]) >= memory_gib * 1024


@pytest.mark.parametrize("instance_type", ["r5.4xlarge", "m5.8xlarge", "c5.9xlarge"])
def test_too_large_for_fargate_is_none_with_a_reason(instance_type):
    suggested, reason = discover.suggest_task_size(instance_type)
    assert suggested is None and "larger than any Fargate task size" in reason


@pytest.mark.parametrize("instance_type", ["x1.large", "m5.huge", "m5", "", None])
def test_unknown_type_is_none_with_a_reason(instance_type):
    suggested, reason = discover.suggest_task_size(instance_type)
    assert suggested is None and "not in the known table" in reason


def test_user_data_findings_list_what_the_image_must_take_over():
    findings = discover.user_data_findings(b64(SCRIPT))
    assert [(f["kind"], f["detail"], f["line"]) for f in findings] == [
        ("packages", "nginx nodejs", 4),
        ("packages", "git", 5),
        ("packages", "jq", 6),
        ("npm_global", "pm2 yarn", 7),
        ("npm_global", "typescript", 9),
        ("pm2", "start app.js --name web", 10),
        ("systemd", "myapp", 11),
        ("systemd", "/etc/systemd/system/worker.service", 12),
        ("node_version", "18.19.0", 13),
        ("cron", 'echo "*/5 * * * * /opt/app/cleanup" | crontab -', 14),
    ]


def test_chained_commands_and_continuation_lines_are_each_read():
    script = "#!/bin/sh\nsudo apt-get update && sudo apt-get install -y \\\n  nginx \\\n  curl; npm i -g pm2 || exit 1\ncp x /etc/cron.d/app\n"
    assert discover.user_data_findings(b64(script)) == [
        {"kind": "packages", "detail": "nginx curl", "line": 2},
        {"kind": "npm_global", "detail": "pm2", "line": 2},
        {"kind": "cron", "detail": "cp x /etc/cron.d/app", "line": 5},
    ]


def test_user_data_ending_in_a_continuation_is_still_read():
    assert discover.user_data_findings(b64("yum install -y httpd \\")) == [{"kind": "packages", "detail": "httpd", "line": 1}]


def test_user_data_gzip_is_decompressed():
    assert discover.user_data_findings(b64(gzip.compress(SCRIPT.encode()))) == discover.user_data_findings(b64(SCRIPT))


def test_user_data_not_base64_is_read_as_the_script_itself():
    assert discover.user_data_findings(SCRIPT) == discover.user_data_findings(b64(SCRIPT))


@pytest.mark.parametrize("user_data", [None, "", b"", b64(""), b64("#!/bin/bash\necho hello\n"), "%%% not base64 %%%",
                                       b64(b"\x1f\x8b broken gzip"), b64(b"\xff\xfe\x00 binary")])
def test_user_data_without_findings_or_garbage_gives_an_empty_list(user_data):
    assert discover.user_data_findings(user_data) == []


def asg(**extra):
    group = {"AutoScalingGroupName": "shop-web.ec2", "DesiredCapacity": 2, "MinSize": 1, "MaxSize": 4,
             "LaunchTemplate": {"LaunchTemplateId": "lt-0123456789abcdef0", "Version": "3"}, "TargetGroupARNs": [TG]}
    group.update(extra)
    return group


def template_version(**data):
    template_data = {"InstanceType": "t3.small", "UserData": b64(SCRIPT), "SecurityGroupIds": ["sg-0bbbbbbbbbbbbbbbb"],
                     "NetworkInterfaces": [{"Groups": ["sg-0aaaaaaaaaaaaaaaa", "sg-0bbbbbbbbbbbbbbbb"]}],
                     "IamInstanceProfile": {"Arn": PROFILE}}
    template_data.update(data)
    return {"LaunchTemplateId": "lt-0123456789abcdef0", "VersionNumber": 3, "LaunchTemplateData": template_data}


def target_group(**extra):
    group = {"TargetGroupArn": TG, "Port": 8080, "Protocol": "HTTP", "HealthCheckPath": "/healthz", "Matcher": {"HttpCode": "200-299"},
             "HealthCheckIntervalSeconds": 15, "HealthCheckTimeoutSeconds": 5, "HealthyThresholdCount": 3, "UnhealthyThresholdCount": 2}
    group.update(extra)
    return group


def rule(target=TG, weighted=False):
    action = ({"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": target, "Weight": 1}]}} if weighted
              else {"Type": "forward", "TargetGroupArn": target})
    return {"RuleArn": RULE, "Priority": "10", "Actions": [action]}


PARAMETERS = [
    {"Name": "/shop/web/log-level", "Type": "String", "Value": "info", "ARN": "arn:aws:ssm:eu-west-1:123456789012:parameter/shop/web/log-level"},
    {"Name": "/shop/web/hosts", "Type": "StringList", "Value": "a,b"},
    {"Name": "/shop/web/db_password", "Type": "SecureString", "ARN": SECRET_ARN, "Value": "s3cr3t-never-shown"},
    {"Name": "api-key", "Type": "SecureString"},
    {"Name": "/shop/web/1st", "Type": "String", "Value": "x"},
]


def test_starting_inventory_service_entry():
    inventory = discover.starting_inventory(asg(), template_version(), target_group(), rule(), PARAMETERS)
    service = inventory["service"]
    assert service["name"] == "shop-web-ec2"
    assert service["port"] == 8080 and service["desired_count"] == 2
    assert service["health_check"] == {"path": "/healthz", "codes": "200-299", "interval": 15, "timeout": 5,
                                       "healthy_threshold": 3, "unhealthy_threshold": 2}
    assert (service["cpu"], service["memory"]) == ("2048", "4096")
    assert service["environment"] == {"LOG_LEVEL": "info", "HOSTS": "a,b", "_1ST": "x"}
    # in the order of the parameter names ("/" sorts before letters)
    assert service["secrets"] == [{"name": "DB_PASSWORD", "value_from": SECRET_ARN}, {"name": "API_KEY", "value_from": "api-key"}]


def test_secure_string_values_never_reach_the_inventory():
    inventory = discover.starting_inventory(asg(), template_version(), target_group(), rule(), PARAMETERS)
    assert "s3cr3t-never-shown" not in repr(inventory)


def test_recorded_ids_for_cleanup():
    inventory = discover.starting_inventory(asg(), template_version(), target_group(), rule(), [])
    assert inventory["recorded_ids"] == {"asg_name": "shop-web.ec2", "launch_template_id": "lt-0123456789abcdef0",
                                         "security_group_ids": ["sg-0aaaaaaaaaaaaaaaa", "sg-0bbbbbbbbbbbbbbbb"],
                                         "instance_profile": PROFILE, "target_group_arn": TG, "rule_arn": RULE}


def test_instance_profile_by_name_and_template_id_from_a_mixed_instances_policy():
    version = template_version(IamInstanceProfile={"Name": "app-ec2"})
    del version["LaunchTemplateId"]
    group = asg(MixedInstancesPolicy={"LaunchTemplate": {"LaunchTemplateSpecification": {"LaunchTemplateId": "lt-0fedcba9876543210"}}})
    del group["LaunchTemplate"]
    recorded = discover.starting_inventory(group, version, target_group(), rule(), [])["recorded_ids"]
    assert recorded["instance_profile"] == "app-ec2" and recorded["launch_template_id"] == "lt-0fedcba9876543210"


def test_not_inferred_lists_the_image_and_the_user_data_findings():
    kinds = [item["kind"] for item in discover.starting_inventory(asg(), template_version(), target_group(), rule(), [])["not_inferred"]]
    assert kinds[0] == "image"
    assert {"packages", "npm_global", "pm2", "systemd", "node_version", "cron"} <= set(kinds)
    assert "task_size" not in kinds and "listener_rule" not in kinds and "target_group" not in kinds


def test_unknown_instance_type_leaves_cpu_memory_to_the_user():
    inventory = discover.starting_inventory(asg(), template_version(InstanceType="x1.large", UserData=None), target_group(), rule(), [])
    assert inventory["service"]["cpu"] is None and inventory["service"]["memory"] is None
    assert [item["kind"] for item in inventory["not_inferred"]] == ["image", "task_size"]


def test_weighted_forward_to_the_target_group_is_recognised():
    inventory = discover.starting_inventory(asg(), template_version(UserData=None), target_group(), rule(weighted=True), [])
    assert [item["kind"] for item in inventory["not_inferred"]] == ["image"]


def test_mismatched_rule_and_asg_are_reported():
    inventory = discover.starting_inventory(asg(TargetGroupARNs=[OTHER_TG]), template_version(UserData=None), target_group(), rule(OTHER_TG), [])
    assert [item["kind"] for item in inventory["not_inferred"]] == ["image", "target_group", "listener_rule"]


def test_parameter_without_a_value_is_reported_not_guessed():
    inventory = discover.starting_inventory(asg(), template_version(UserData=None), target_group(), rule(), [{"Name": "/a/b", "Type": "String"}])
    assert inventory["service"]["environment"] == {}
    assert inventory["not_inferred"][-1] == {"kind": "parameter", "detail": "/a/b: no value given"}
