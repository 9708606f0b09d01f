# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""fargate_alb's runner: read (batched), plan (pure, see plan.py), apply in dependency order, report.

Phases run in order because each needs the ids of the one before: network -> security groups ->
load balancer -> target groups -> listeners -> rules -> DNS records. In check mode nothing is written;
ids of things not yet created stay None and the later phases plan their creation.

Reads on a converge that changes nothing (N services): DescribeVpcs, DescribeSubnets,
DescribeInternetGateways, DescribeRouteTables (only with vpc_create), DescribeSecurityGroups,
DescribeLoadBalancers, DescribeTargetGroups, DescribeTags, DescribeTargetGroupAttributes (one per
service: the deregistration delay is only visible there), DescribeListeners, DescribeRules, and with
a hosted zone ListHostedZonesByName and ListResourceRecordSets.
"""

from __future__ import annotations

import functools
import time

from ansible_collections.ecsops.fargate.plugins.module_utils import elbv2
from ansible_collections.ecsops.fargate.plugins.module_utils import network as ec2
from ansible_collections.ecsops.fargate.plugins.module_utils._elbv2 import plan as p
from ansible_collections.ecsops.fargate.plugins.module_utils._elbv2 import route53
from ansible_collections.ecsops.fargate.plugins.module_utils._preview import plan as preview_plan
from ansible_collections.ecsops.fargate.plugins.module_utils.api import EcsopsAWSError


class AlbRun:
    def __init__(self, params, clients, check_mode=False, sleep=time.sleep, warn=None):
        self.params = params
        self.client = functools.cache(clients)  # one client per AWS service for the run
        self.check_mode = check_mode
        self.sleep = sleep
        self.warn = warn or (lambda msg: None)
        self.steps = []
        self.before = {}
        self.after = {}

    @property
    def ec2(self):
        return self.client("ec2")

    @property
    def elb(self):
        return self.client("elbv2")

    def _do(self, steps, apply=True):
        self.steps.extend(steps)
        if apply and not self.check_mode:
            for step in steps:
                getattr(self, "_" + step["action"])(step)

    def _tags(self, extra=None):
        tags = {str(k): str(v) for k, v in (self.params.get("tags") or {}).items()}
        tags[p.MANAGED_TAG] = self.desired["name"]
        tags.update(extra or {})
        return tags

    # === present =================================================================================

    def run(self):
        self.desired = p.desired_state(self.params)
        if self.params.get("state") == "absent":
            return self.remove()
        self.zone = self._read_zone()
        self.read_load_balancer()
        self.converge_network()
        self.converge_security_groups()
        self.converge_load_balancer()
        self.converge_target_groups()
        self.converge_listeners()
        self.converge_rules()
        self.converge_records()
        return self.result()

    # --- network ---------------------------------------------------------------------------------

    def _read_network(self):
        vpcs = ec2.describe_vpcs(self.ec2, filters={f"tag:{p.NETWORK_TAG}": self.desired["name"]})
        if not vpcs:
            return None
        vpc = vpcs[0]
        by_vpc = {"vpc-id": vpc["VpcId"]}
        return p.current_network(
            vpc, ec2.describe_subnets(self.ec2, filters=by_vpc),
            ec2.describe_internet_gateways(self.ec2, filters={"attachment.vpc-id": vpc["VpcId"]}),
            ec2.describe_route_tables(self.ec2, filters=by_vpc))

    def converge_network(self):
        wanted = self.desired["network"]
        if wanted is None:
            self.vpc_id = self.params["vpc_id"]
            self.public_subnets = list(self.params.get("public_subnet_ids") or [])
            self.private_subnets = list(self.params.get("private_subnet_ids") or [])
            return
        self.net = self._read_network()
        self.before["network"] = _public_network(self.net)
        steps = p.plan_network(self.net, wanted)
        if self.net is None:
            self.net = {"vpc_id": None, "cidr": wanted["cidr"], "subnets": {}, "gateway": None, "route_tables": {}}
        self._zones = None
        self._do(steps)
        self.vpc_id = self.net["vpc_id"]
        self.public_subnets = [self.net["subnets"].get(k, {}).get("id") for k in ("public-a", "public-b")]
        self.private_subnets = [self.net["subnets"].get(k, {}).get("id") for k in ("private-a", "private-b")]
        self.after["network"] = {"vpc_id": self.vpc_id, "cidr": wanted["cidr"],
                                 "subnets": {k: {"cidr": v} for k, v in wanted["layout"].items()}}

    def _net_tags(self, part):
        return self._tags({p.NETWORK_TAG: self.desired["name"], p.PART_TAG: part,
                           "Name": f"{self.desired['name']}-{part}"})

    def _create_vpc(self, step):
        vpc = ec2.create_vpc(self.ec2, step["cidr"], tags=self._net_tags("vpc"))
        self.net["vpc_id"] = vpc["VpcId"]

    def _create_subnet(self, step):
        if self._zones is None:
            self._zones = self.desired["network"]["availability_zones"] or ec2.describe_availability_zones(self.ec2)[:2]
            if len(self._zones) < 2:
                raise p.AlbInputError(f"the region has {len(self._zones)} availability zone(s); an ALB needs two")
        zone = self._zones[0 if step["part"].endswith("-a") else 1]
        subnet = ec2.create_subnet(self.ec2, self.net["vpc_id"], step["cidr"], zone, tags=self._net_tags(step["part"]))
        self.net["subnets"][step["part"]] = {"id": subnet["SubnetId"], "cidr": step["cidr"], "zone": zone}

    def _create_internet_gateway(self, step):
        gateway = ec2.create_internet_gateway(self.ec2, self.net["vpc_id"], tags=self._net_tags("gateway"))
        self.net["gateway"] = gateway["InternetGatewayId"]

    def _create_route_table(self, step):
        table = ec2.create_route_table(self.ec2, self.net["vpc_id"], tags=self._net_tags(step["part"]))
        self.net["route_tables"][step["part"]] = {"id": table["RouteTableId"], "routes": {}, "associations": {}}

    def _create_route(self, step):
        ec2.create_route(self.ec2, self.net["route_tables"][step["part"]]["id"], step["destination"], self.net["gateway"])

    def _replace_route(self, step):
        ec2.replace_route(self.ec2, self.net["route_tables"][step["part"]]["id"], step["destination"], self.net["gateway"])

    def _associate_route_table(self, step):
        table = self.net["route_tables"][step["part"]]
        subnet_id = self.net["subnets"][step["subnet"]]["id"]
        table["associations"][subnet_id] = ec2.associate_route_table(self.ec2, table["id"], subnet_id)

    # --- security groups -------------------------------------------------------------------------

    def converge_security_groups(self):
        wanted = p.desired_security_groups(self.desired["name"], self.desired["services"])
        self.sg_wanted = wanted
        current = {}
        if self.vpc_id:
            names = [g["name"] for g in wanted.values()]
            found = ec2.describe_security_groups(self.ec2, filters={"vpc-id": self.vpc_id, "group-name": names})
            by_name = {g["GroupName"]: g for g in found}
            current = {key: by_name[g["name"]] for key, g in wanted.items() if g["name"] in by_name}
        self.sg_ids = {key: g["GroupId"] for key, g in current.items()}
        self.before["security_groups"] = {wanted[k]["name"]: p.normalise_permissions(g.get("IpPermissions"))
                                          for k, g in current.items()}
        creates = [{"action": "create_security_group", "group": key, "name": g["name"]}
                   for key, g in wanted.items() if key not in current]
        self._do(creates)
        steps = []
        for key, group in wanted.items():
            tags = self._group_tags(key)
            if key in current:
                to_set, to_remove = p.tag_changes(p._tags(current[key]), tags, self.params.get("purge_tags", True))
                if to_set:
                    steps.append({"action": "tag_security_group", "group": key, "tags": to_set})
                if to_remove:
                    steps.append({"action": "untag_security_group", "group": key, "keys": to_remove})
            have = p.normalise_permissions(current[key].get("IpPermissions")) if key in current else []
            steps += p.plan_rules_of_group(key, have, p.resolve_rules(group["ingress"], self.sg_ids))
        self._do(steps)
        self.after["security_groups"] = {g["name"]: p.resolve_rules(g["ingress"], self.sg_ids) for g in wanted.values()}

    def _group_tags(self, key):
        extra = {"Name": self.sg_wanted[key]["name"]}
        if key.startswith("service:"):
            extra[p.SERVICE_TAG] = key[len("service:"):]
        return self._tags(extra)

    def _create_security_group(self, step):
        group = self.sg_wanted[step["group"]]
        self.sg_ids[step["group"]] = ec2.create_security_group(
            self.ec2, self.vpc_id, group["name"], group["description"], tags=self._group_tags(step["group"]))

    def _tag_security_group(self, step):
        ec2.create_tags(self.ec2, [self.sg_ids[step["group"]]], step["tags"])

    def _untag_security_group(self, step):
        ec2.delete_tags(self.ec2, [self.sg_ids[step["group"]]], step["keys"])

    def _authorize_ingress(self, step):
        rules = p.resolve_rules(step["rules"], self.sg_ids)
        ec2.authorize_ingress(self.ec2, self.sg_ids[step["group"]], p.permissions(rules))

    def _revoke_ingress(self, step):
        ec2.revoke_ingress(self.ec2, self.sg_ids[step["group"]], p.permissions(step["rules"]))

    # --- load balancer ---------------------------------------------------------------------------

    def read_load_balancer(self):
        """Read the load balancer, its target groups and their tags before any write, so conflicts that
        cannot be converged (a target group's port, protocol or type, the scheme) fail first."""
        found = elbv2.describe_load_balancers(self.elb, names=[self.desired["name"]])
        self.lb = found[0] if found else None
        self.lb_tags = {}
        self.tg_found = {}
        self.tg_tags = {}
        if self.lb is not None:
            self.tg_found = {g["TargetGroupName"]: g for g in
                             elbv2.describe_target_groups(self.elb, load_balancer_arn=self.lb["LoadBalancerArn"])}
        # Target groups not attached to the load balancer (new ones, or rules lost): one call per missing name.
        for service in self.desired["services"]:
            name = service["target_group_name"]
            if name not in self.tg_found:
                for group in elbv2.describe_target_groups(self.elb, names=[name]):
                    self.tg_found[group["TargetGroupName"]] = group
        arns = ([self.lb["LoadBalancerArn"]] if self.lb else []) + [g["TargetGroupArn"] for g in self.tg_found.values()]
        tags = elbv2.describe_tags(self.elb, arns) if arns else {}
        if self.lb is not None:
            self.lb_tags = tags.get(self.lb["LoadBalancerArn"], {})
        self.tg_tags = {g["TargetGroupName"]: tags.get(g["TargetGroupArn"], {}) for g in self.tg_found.values()}
        p.plan_load_balancer(self.lb, [None], [None])  # raises on a scheme or type it cannot change
        for service in self.desired["services"]:
            group = self.tg_found.get(service["target_group_name"])
            if group is not None:
                p.plan_target_group(service["name"], group, {}, p.desired_target_group(service, None))

    def converge_load_balancer(self):
        subnets = self.public_subnets
        groups = [self.sg_ids.get("alb")]
        self.before["load_balancer"] = None if self.lb is None else {
            "subnets": sorted(z["SubnetId"] for z in self.lb.get("AvailabilityZones") or []),
            "security_groups": sorted(self.lb.get("SecurityGroups") or []), "tags": self.lb_tags}
        steps = p.plan_load_balancer(self.lb, subnets, groups)
        if self.lb is not None:
            to_set, to_remove = p.tag_changes(self.lb_tags, self._tags(), self.params.get("purge_tags", True))
            if to_set:
                steps.append({"action": "tag_elb", "resource": "load balancer", "arns": [self.lb["LoadBalancerArn"]],
                              "tags": to_set})
            if to_remove:
                steps.append({"action": "untag_elb", "resource": "load balancer", "arns": [self.lb["LoadBalancerArn"]],
                              "keys": to_remove})
        self._do(steps)
        self.after["load_balancer"] = {"subnets": sorted(subnets, key=str), "security_groups": groups,
                                       "tags": self._tags()}

    def _create_load_balancer(self, step):
        self.lb = elbv2.create_load_balancer(
            self.elb, Name=self.desired["name"], Subnets=self.public_subnets, SecurityGroups=[self.sg_ids["alb"]],
            Scheme="internet-facing", Type="application", IpAddressType="ipv4", Tags=elbv2.tag_list(self._tags()))

    def _set_subnets(self, step):
        elbv2.set_subnets(self.elb, self.lb["LoadBalancerArn"], step["subnets"])

    def _set_security_groups(self, step):
        elbv2.set_security_groups(self.elb, self.lb["LoadBalancerArn"], step["security_groups"])

    def _tag_elb(self, step):
        elbv2.add_tags(self.elb, step["arns"], step["tags"])

    def _untag_elb(self, step):
        elbv2.remove_tags(self.elb, step["arns"], step["keys"])

    # --- target groups ---------------------------------------------------------------------------

    def converge_target_groups(self):
        self.tg_arns = {}
        self.tg_before, self.tg_after = {}, {}
        steps = []
        for service in self.desired["services"]:
            name = service["name"]
            wanted = p.desired_target_group(service, self.vpc_id)
            group = self.tg_found.get(wanted["name"])
            attributes = None
            if group is not None:
                attributes = elbv2.describe_target_group_attributes(self.elb, group["TargetGroupArn"])
                self.tg_arns[name] = group["TargetGroupArn"]
                self.tg_before[name] = {
                    "name": wanted["name"], "port": group.get("Port"), "health_check": p.normalise_health_check(group),
                    "deregistration_delay": int(attributes.get("deregistration_delay.timeout_seconds", 300))}
                tags = self._tags({p.SERVICE_TAG: name})
                to_set, to_remove = p.tag_changes(self.tg_tags.get(wanted["name"]), tags,
                                                  self.params.get("purge_tags", True))
                if to_set:
                    steps.append({"action": "tag_elb", "resource": f"target group {wanted['name']}",
                                  "arns": [group["TargetGroupArn"]], "tags": to_set})
                if to_remove:
                    steps.append({"action": "untag_elb", "resource": f"target group {wanted['name']}",
                                  "arns": [group["TargetGroupArn"]], "keys": to_remove})
            else:
                self.tg_arns[name] = None
            steps += p.plan_target_group(name, group, attributes, wanted)
            self.tg_after[name] = {k: wanted[k] for k in ("name", "port", "health_check", "deregistration_delay")}
        self.before["target_groups"] = self.tg_before
        self.after["target_groups"] = self.tg_after
        self._do(steps)

    def _service(self, name):
        return next(s for s in self.desired["services"] if s["name"] == name)

    def _create_target_group(self, step):
        service = self._service(step["service"])
        group = elbv2.create_target_group(
            self.elb, Name=service["target_group_name"], Protocol="HTTP", Port=service["port"], VpcId=self.vpc_id,
            TargetType="ip", Tags=elbv2.tag_list(self._tags({p.SERVICE_TAG: service["name"]})),
            **p.health_check_params(service["health_check"]))
        self.tg_arns[service["name"]] = group["TargetGroupArn"]
        elbv2.modify_target_group_attributes(self.elb, group["TargetGroupArn"], {
            "deregistration_delay.timeout_seconds": service["deregistration_delay"]})

    def _modify_target_group(self, step):
        service = self._service(step["service"])
        elbv2.modify_target_group(self.elb, TargetGroupArn=self.tg_arns[service["name"]],
                                  **p.health_check_params(service["health_check"]))

    def _set_deregistration_delay(self, step):
        elbv2.modify_target_group_attributes(self.elb, self.tg_arns[step["service"]], {
            "deregistration_delay.timeout_seconds": step["seconds"]})

    # --- listeners -------------------------------------------------------------------------------

    def converge_listeners(self):
        self.listeners = {}
        if self.lb is not None and "LoadBalancerArn" in self.lb:
            self.listeners = {int(li["Port"]): li for li in elbv2.describe_listeners(self.elb, self.lb["LoadBalancerArn"])}
        self.listener_wanted = p.desired_listeners(self.desired)
        self.before["listeners"] = {port: p.normalise_listener(li) for port, li in sorted(self.listeners.items())
                                    if port in self.listener_wanted}
        self.after["listeners"] = self.listener_wanted
        steps = []
        for port, wanted in self.listener_wanted.items():
            steps += p.plan_listener(port, self.listeners.get(port), wanted)
        self._do(steps)

    def _listener_params(self, port):
        wanted = self.listener_wanted[port]
        params = {"Port": port, "Protocol": wanted["protocol"], "DefaultActions": [p.aws_action(wanted["default_action"])]}
        if wanted["protocol"] == "HTTPS":
            params["Certificates"] = [{"CertificateArn": wanted["certificate_arn"]}]
            params["SslPolicy"] = wanted["ssl_policy"]
        return params

    def _create_listener(self, step):
        self.listeners[step["port"]] = elbv2.create_listener(
            self.elb, LoadBalancerArn=self.lb["LoadBalancerArn"], Tags=elbv2.tag_list(self._tags()),
            **self._listener_params(step["port"]))

    def _modify_listener(self, step):
        self.listeners[step["port"]] = elbv2.modify_listener(
            self.elb, ListenerArn=step["listener_arn"], **self._listener_params(step["port"]))

    # --- rules -----------------------------------------------------------------------------------

    def converge_rules(self):
        https = self.listeners.get(443)
        rules = elbv2.describe_rules(self.elb, listener_arn=https["ListenerArn"]) if https else []
        managed = {g["TargetGroupArn"] for name, g in self.tg_found.items()
                   if self.tg_tags.get(name, {}).get(p.MANAGED_TAG) == self.desired["name"]}
        steps, self.priorities, by_service = p.plan_rules(
            rules, self.desired["services"], self.tg_arns, managed, self.params.get("purge_rules", False))
        self.before["rules"] = {name: {"priority": int(r["Priority"]), "conditions": p.normalise_conditions(r.get("Conditions"))}
                                for name, r in sorted(by_service.items())}
        self.after["rules"] = {s["name"]: {"priority": self.priorities[s["name"]], "conditions": p.rule_conditions(s)}
                               for s in self.desired["services"]}
        # Target groups of services no longer listed: after their rules are gone.
        wanted = {s["target_group_name"] for s in self.desired["services"]}
        if self.params.get("purge_services", True):
            for name, group in sorted(self.tg_found.items()):
                tags = self.tg_tags.get(name, {})
                if name not in wanted and tags.get(p.MANAGED_TAG) == self.desired["name"]:
                    steps.append({"action": "delete_target_group", "name": name, "arn": group["TargetGroupArn"]})
        self._do(steps)

    def _rule_actions(self, service):
        return [p.aws_action(p.forward_action(self.tg_arns[service]))]

    def _create_rule(self, step):
        service = self._service(step["service"])
        elbv2.create_rule(self.elb, self.listeners[443]["ListenerArn"], step["priority"],
                          p.aws_conditions(p.rule_conditions(service)), self._rule_actions(step["service"]),
                          tags=self._tags({p.SERVICE_TAG: step["service"]}))

    def _modify_rule(self, step):
        service = self._service(step["service"])
        elbv2.modify_rule(self.elb, step["rule_arn"], actions=self._rule_actions(step["service"]),
                          conditions=p.aws_conditions(p.rule_conditions(service)))

    def _set_rule_priorities(self, step):
        elbv2.set_rule_priorities(self.elb, step["priorities"])

    def _delete_rule(self, step):
        elbv2.delete_rule(self.elb, step["rule_arn"])

    def _delete_target_group(self, step):
        elbv2.delete_target_group(self.elb, step["arn"])

    # --- Route53 ---------------------------------------------------------------------------------

    def _read_zone(self):
        zone_name = self.params.get("hosted_zone")
        if not zone_name:
            return None
        zone = route53.find_hosted_zone(self.client("route53"), zone_name, private=self.params.get("hosted_zone_private"))
        if zone is None:
            raise p.AlbInputError(f"hosted zone {zone_name} does not exist")
        return zone

    def converge_records(self):
        self.record_names = []
        if self.zone is None:
            return
        self.record_names = p.record_names(self.desired["services"], self.zone["Name"])
        current = route53.list_record_sets(self.client("route53"), self.zone["Id"])
        dns = (self.lb or {}).get("DNSName")
        # Preview environments alias their hosts to the same load balancer; their ownership TXT says they are not ours.
        previews = {p._dns(r["Name"]) for records in preview_plan.owned_records(current).values() for r in records}
        ours = sorted({p._dns(r["Name"]) for r in current if r["Type"] == "A" and p._dns(r["Name"]) not in previews
                       and dns and p._dns((r.get("AliasTarget") or {}).get("DNSName")) == p._dns(dns)})
        self.before["records"] = ours
        self.after["records"] = self.record_names
        stale = [n for n in ours if n not in self.record_names] if self.params.get("purge_records", True) else []
        changes = p.plan_records(current, self.record_names, dns, (self.lb or {}).get("CanonicalHostedZoneId"), stale)
        if changes:
            self._do([{"action": "change_records", "changes": [f"{c['action']} {c['name']}" for c in changes],
                       "_changes": changes}])

    def _change_records(self, step):
        batch = []
        for change in step["_changes"]:
            if change["action"] == "DELETE":
                batch.append({"Action": "DELETE", "ResourceRecordSet": change["record"]})
            else:
                batch.append({"Action": "UPSERT", "ResourceRecordSet": p.alias_record(
                    change["name"], self.lb["DNSName"], self.lb["CanonicalHostedZoneId"])})
        route53.change_record_sets(self.client("route53"), self.zone["Id"], batch,
                                   comment=f"ecsops.fargate.fargate_alb {self.desired['name']}")

    # === absent ==================================================================================

    def remove(self):
        name = self.desired["name"]
        self.zone = self._read_zone()
        found = elbv2.describe_load_balancers(self.elb, names=[name])
        self.lb = found[0] if found else None
        groups = {}
        if self.lb is not None:
            groups = {g["TargetGroupName"]: g for g in
                      elbv2.describe_target_groups(self.elb, load_balancer_arn=self.lb["LoadBalancerArn"])}
        for service in self.desired["services"]:
            if service["target_group_name"] not in groups:
                for group in elbv2.describe_target_groups(self.elb, names=[service["target_group_name"]]):
                    groups[group["TargetGroupName"]] = group
        tags = elbv2.describe_tags(self.elb, [g["TargetGroupArn"] for g in groups.values()]) if groups else {}
        wanted = {s["target_group_name"] for s in self.desired["services"]}
        groups = {n: g for n, g in groups.items()
                  if n in wanted or tags.get(g["TargetGroupArn"], {}).get(p.MANAGED_TAG) == name}
        net = None
        vpc_id = self.params.get("vpc_id")
        if self.desired["network"] is not None:
            net = self._read_network()
            vpc_id = net["vpc_id"] if net else None
        if vpc_id is None and self.lb is not None:
            vpc_id = self.lb.get("VpcId")  # no VPC given: the load balancer's
        sgs = []
        if vpc_id:
            sgs = ec2.describe_security_groups(self.ec2, filters={"vpc-id": vpc_id, f"tag:{p.MANAGED_TAG}": name})
        self.before = {"load_balancer": self.lb["LoadBalancerName"] if self.lb else None,
                       "target_groups": sorted(groups), "security_groups": sorted(g["GroupName"] for g in sgs),
                       "network": _public_network(net)}
        self.after = {"load_balancer": None, "target_groups": [], "security_groups": [], "network": None}
        steps = []
        if self.zone is not None and self.lb is not None:
            current = route53.list_record_sets(self.client("route53"), self.zone["Id"])
            names = sorted({p._dns(r["Name"]) for r in current if r["Type"] == "A"
                            and p._dns((r.get("AliasTarget") or {}).get("DNSName")) == p._dns(self.lb["DNSName"])})
            changes = p.plan_records(current, [], self.lb["DNSName"], self.lb["CanonicalHostedZoneId"], names)
            if changes:
                steps.append({"action": "change_records", "changes": [f"DELETE {c['name']}" for c in changes],
                              "_changes": changes})
        if self.lb is not None:
            steps.append({"action": "delete_load_balancer", "arn": self.lb["LoadBalancerArn"]})
        steps += [{"action": "delete_target_group", "name": n, "arn": g["TargetGroupArn"]} for n, g in sorted(groups.items())]
        referencing = [g for g in sgs if any(pair for perm in g.get("IpPermissions") or []
                                             for pair in perm.get("UserIdGroupPairs") or [])]
        steps += [{"action": "revoke_all_ingress", "group_id": g["GroupId"], "name": g["GroupName"],
                   "_permissions": g["IpPermissions"]} for g in referencing]
        # Task groups first, the load balancer's last (nothing references it any more by then).
        steps += [{"action": "delete_security_group", "group_id": g["GroupId"], "name": g["GroupName"]}
                  for g in sorted(sgs, key=lambda g: (_tag(g, p.SERVICE_TAG) is None, g["GroupName"]))]
        if net is not None:
            for kind, table in sorted(net["route_tables"].items()):
                steps.append({"action": "delete_route_table", "part": kind, "id": table["id"],
                              "_associations": list(table["associations"].values())})
            if net["gateway"]:
                steps.append({"action": "delete_internet_gateway", "id": net["gateway"], "vpc_id": net["vpc_id"]})
            steps += [{"action": "delete_subnet", "part": part, "id": s["id"]} for part, s in sorted(net["subnets"].items())]
            steps.append({"action": "delete_vpc", "id": net["vpc_id"]})
        self._do(steps)
        return self._result_absent()

    def _retry_dependency(self, call, *args):
        """Security groups and subnets stay in use for a while after the load balancer is deleted (its
        network interfaces go asynchronously): retry DependencyViolation until wait_timeout."""
        deadline = time.monotonic() + self.params.get("wait_timeout", 600)
        delay = 2
        while True:
            try:
                return call(self.ec2, *args)
            except EcsopsAWSError as e:
                if e.code != "DependencyViolation" or time.monotonic() >= deadline:
                    raise
            self.sleep(delay)
            delay = min(delay * 2, 15)

    def _delete_load_balancer(self, step):
        elbv2.delete_load_balancer(self.elb, step["arn"])

    def _revoke_all_ingress(self, step):
        ec2.revoke_ingress(self.ec2, step["group_id"], step["_permissions"])

    def _delete_security_group(self, step):
        self._retry_dependency(ec2.delete_security_group, step["group_id"])

    def _delete_route_table(self, step):
        for association in step["_associations"]:
            ec2.disassociate_route_table(self.ec2, association)
        ec2.delete_route_table(self.ec2, step["id"])

    def _delete_internet_gateway(self, step):
        self._retry_dependency(ec2.delete_internet_gateway, step["id"], step["vpc_id"])

    def _delete_subnet(self, step):
        self._retry_dependency(ec2.delete_subnet, step["id"])

    def _delete_vpc(self, step):
        self._retry_dependency(ec2.delete_vpc, step["id"])

    # === results =================================================================================

    def _actions(self):
        return [p.describe_step({k: v for k, v in s.items() if not k.startswith("_")}) for s in self.steps]

    def _result_absent(self):
        return {"changed": bool(self.steps), "actions": self._actions(),
                "diff": {"before": self.before, "after": self.after}, "load_balancer_name": self.desired["name"]}

    def result(self):
        lb = self.lb or {}
        services = self.desired["services"]
        return {
            "changed": bool(self.steps),
            "vpc_id": self.vpc_id,
            "public_subnet_ids": self.public_subnets,
            "private_subnet_ids": self.private_subnets,
            "load_balancer_arn": lb.get("LoadBalancerArn"),
            "load_balancer_name": self.desired["name"],
            "dns_name": lb.get("DNSName"),
            "canonical_hosted_zone_id": lb.get("CanonicalHostedZoneId"),
            "http_listener_arn": self.listeners.get(80, {}).get("ListenerArn"),
            "https_listener_arn": self.listeners.get(443, {}).get("ListenerArn"),
            "alb_security_group_id": self.sg_ids.get("alb"),
            "target_group_arns": dict(self.tg_arns),
            "task_security_group_ids": {s["name"]: self.sg_ids.get(f"service:{s['name']}") for s in services},
            "rule_priorities": dict(self.priorities),
            "urls": {s["name"]: p.url(s, lb.get("DNSName")) for s in services},
            "records": self.record_names,
            "hosted_zone_id": (self.zone or {}).get("Id", "").rsplit("/", 1)[-1] or None,
            "actions": self._actions(),
            "diff": {"before": _jsonable(self.before), "after": _jsonable(self.after)},
        }


def _tag(resource, key):
    return {t["Key"]: t.get("Value") for t in resource.get("Tags") or []}.get(key)


def _public_network(net):
    if net is None:
        return None
    return {"vpc_id": net["vpc_id"], "cidr": net["cidr"],
            "subnets": {k: {"cidr": v["cidr"]} for k, v in sorted(net["subnets"].items())}}


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def run_module(module):
    """fargate_alb's body: returns the result dict (raises AlbInputError, EcsopsAWSError)."""
    return AlbRun(module.params, module.client, check_mode=module.check_mode, warn=module.warn).run()
