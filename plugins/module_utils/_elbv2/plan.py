# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""fargate_alb's pure half: validate the arguments, name things, normalise what AWS returns, and plan.

Nothing here calls AWS. ``desired_state(params)`` raises AlbInputError before any call for input AWS
would refuse (names, lengths, ports, health check bounds, priorities, condition counts). The compare
functions take the normalised current state and the desired one and return steps
(``{"action": ..., ...}``); the runner applies them in order, or only reports them in check mode.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import zlib

MANAGED_TAG = "ecsops.fargate/alb"  # on every resource the module creates: the load balancer's name
SERVICE_TAG = "ecsops.fargate/service"  # on target groups and task security groups: the service
NETWORK_TAG = "ecsops.fargate/network"  # on the VPC and its parts when the module creates them
PART_TAG = "ecsops.fargate/part"  # public-a, public-b, private-a, private-b, public, private, gateway

LB_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$")
TG_NAME = LB_NAME
SERVICE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$")
HEALTH_CODES = re.compile(r"^\d{3}(?:-\d{3})?(?:,\d{3}(?:-\d{3})?)*$")
SUBNET_ID = re.compile(r"^subnet-[0-9a-f]{8,17}$")
VPC_ID = re.compile(r"^vpc-[0-9a-f]{8,17}$")
CERT_ARN = re.compile(r"^arn:aws[a-z-]*:(?:acm|iam):[a-z0-9-]*:\d{12}:(?:certificate/|server-certificate/).+$")
SUBNET_PARTS = ("public-a", "public-b", "private-a", "private-b")
MAX_CONDITION_VALUES = 5  # host-header plus path-pattern values per rule (ALB quota)
PRIORITY_MIN, PRIORITY_MAX = 1, 50000
# Derived priorities: the most specific rules first (host and path, then path only, then host only).
PRIORITY_BANDS = {"host+path": (1000, 16999), "path": (17000, 32999), "host": (33000, 48999)}
WORLD = "0.0.0.0/0"
DEFAULT_SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
HEALTH_DEFAULTS = {"path": "/health", "codes": "200", "interval": 30, "timeout": 5,
                   "healthy_threshold": 2, "unhealthy_threshold": 3}


class AlbInputError(ValueError):
    """The arguments cannot describe what AWS would accept; raised before any call."""


# --- names ---------------------------------------------------------------------------------------

def target_group_name(alb_name, service):
    """``<alb>-<service>`` when that is a valid target group name (32 characters of [A-Za-z0-9-]), else
    a shortened one with a stable hash suffix, so long names never collide."""
    base = re.sub(r"[^A-Za-z0-9-]+", "-", f"{alb_name}-{service}").strip("-")
    if len(base) <= 32 and TG_NAME.match(base):
        return base
    digest = hashlib.sha1(f"{alb_name}/{service}".encode()).hexdigest()[:6]
    return f"{base[:25].rstrip('-')}-{digest}"


def alb_security_group_name(alb_name):
    return f"{alb_name}-alb"


def task_security_group_name(alb_name, service):
    return f"{alb_name}-{service}"


# --- desired state -------------------------------------------------------------------------------

def _int(value, what, low, high):
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise AlbInputError(f"{what} must be a whole number, not {value!r}") from None
    if not low <= number <= high:
        raise AlbInputError(f"{what} must be {low} to {high}, not {number}")
    return number


def health_check(service):
    given = dict(service.get("health_check") or {})
    check = {k: (given.get(k) if given.get(k) is not None else v) for k, v in HEALTH_DEFAULTS.items()}
    name = service["name"]
    path = str(check["path"])
    if not path.startswith("/") or len(path) > 1024:
        raise AlbInputError(f"service {name}: health_check.path must start with '/' (at most 1024 characters)")
    codes = str(check["codes"]).replace(" ", "")
    if not HEALTH_CODES.match(codes):
        raise AlbInputError(f"service {name}: health_check.codes '{codes}' is not '200', '200,202' or '200-299'")
    out = {
        "path": path, "codes": codes,
        "interval": _int(check["interval"], f"service {name}: health_check.interval", 5, 300),
        "timeout": _int(check["timeout"], f"service {name}: health_check.timeout", 2, 120),
        "healthy_threshold": _int(check["healthy_threshold"], f"service {name}: health_check.healthy_threshold", 2, 10),
        "unhealthy_threshold": _int(check["unhealthy_threshold"],
                                    f"service {name}: health_check.unhealthy_threshold", 2, 10),
    }
    if out["timeout"] >= out["interval"]:
        raise AlbInputError(f"service {name}: health_check.timeout ({out['timeout']}) must be less than the "
                            f"interval ({out['interval']})")
    return out


def normalise_service(service, alb_name, domain=None):
    name = service.get("name")
    if not isinstance(name, str) or not SERVICE_NAME.match(name):
        raise AlbInputError(f"service name {name!r} is not valid: letters, digits, '-' and '_' (up to 255)")
    hosts = [str(h).strip().lower().rstrip(".") for h in service.get("hosts") or []]
    paths = [str(p).strip() for p in service.get("paths") or []]
    if not hosts and not paths:
        if not domain:
            raise AlbInputError(f"service {name} has no hosts and no paths: give either, or a domain "
                                f"(then its host is {name}.<domain>)")
        hosts = [f"{name}.{str(domain).strip('.').lower()}"]
    for path in paths:
        if not path.startswith("/") and "*" not in path[:1]:
            raise AlbInputError(f"service {name}: path pattern '{path}' must start with '/' (or '*')")
    if len(hosts) + len(paths) > MAX_CONDITION_VALUES:
        raise AlbInputError(f"service {name}: a listener rule holds at most {MAX_CONDITION_VALUES} host and path "
                            f"values together, not {len(hosts) + len(paths)}")
    tg_name = service.get("target_group_name") or target_group_name(alb_name, name)
    if not TG_NAME.match(tg_name):
        raise AlbInputError(f"target group name '{tg_name}' is not valid: 1 to 32 letters, digits and '-', "
                            f"not starting or ending with '-'")
    priority = service.get("priority")
    return {
        "name": name,
        "port": _int(service.get("port"), f"service {name}: port", 1, 65535),
        "health_check": health_check(service),
        "deregistration_delay": _int(30 if service.get("deregistration_delay") is None
                                     else service["deregistration_delay"],
                                     f"service {name}: deregistration_delay", 0, 3600),
        "hosts": sorted(set(hosts)),
        "paths": sorted(set(paths)),
        "priority": None if priority is None else _int(priority, f"service {name}: priority",
                                                       PRIORITY_MIN, PRIORITY_MAX),
        "calls": sorted(set(service.get("calls") or [])),
        "target_group_name": tg_name,
    }


def subnet_layout(cidr, prefix_length=None):
    """Four subnets of the VPC's range: public-a, public-b, private-a, private-b (the first four blocks)."""
    try:
        network = ipaddress.ip_network(cidr, strict=True)
    except ValueError as e:
        raise AlbInputError(f"vpc_create.cidr '{cidr}' is not a network address: {e}") from None
    if network.version != 4 or not 16 <= network.prefixlen <= 26:
        raise AlbInputError(f"vpc_create.cidr '{cidr}' must be an IPv4 block from /16 to /26")
    prefix = prefix_length or min(network.prefixlen + 4, 28)
    if not network.prefixlen + 2 <= prefix <= 28:
        raise AlbInputError(f"vpc_create.subnet_prefix_length {prefix} must leave room for 4 subnets in "
                            f"{cidr} (/{network.prefixlen + 2} to /28)")
    blocks = network.subnets(new_prefix=prefix)
    return {part: str(next(blocks)) for part in SUBNET_PARTS}


def desired_state(params):
    name = params["name"]
    if not isinstance(name, str) or not LB_NAME.match(name) or name.lower().startswith("internal-"):
        raise AlbInputError(f"load balancer name '{name}' is not valid: 1 to 32 letters, digits and '-', not "
                            f"starting or ending with '-', not starting with 'internal-'")
    present = params.get("state", "present") == "present"
    create = params.get("vpc_create")
    vpc_id = params.get("vpc_id")
    network = None
    if create and vpc_id:
        raise AlbInputError("give vpc_id (an existing VPC) or vpc_create (a new one), not both")
    if create:
        network = {"cidr": create["cidr"], "layout": subnet_layout(create["cidr"], create.get("subnet_prefix_length")),
                   "availability_zones": list(create.get("availability_zones") or [])}
        if network["availability_zones"] and len(network["availability_zones"]) != 2:
            raise AlbInputError("vpc_create.availability_zones takes two zones (subnets a and b)")
    elif present:
        if not vpc_id or not VPC_ID.match(vpc_id):
            raise AlbInputError(f"vpc_id {vpc_id!r} is not a VPC id (vpc-...); or give vpc_create to create one")
        public = params.get("public_subnet_ids") or []
        if len(public) < 2:
            raise AlbInputError("an Application Load Balancer needs public_subnet_ids in at least two "
                                "availability zones")
        for subnet in public + list(params.get("private_subnet_ids") or []):
            if not SUBNET_ID.match(str(subnet)):
                raise AlbInputError(f"'{subnet}' is not a subnet id (subnet-...)")
    services = [normalise_service(s, name, params.get("domain")) for s in params.get("services") or []]
    names = [s["name"] for s in services]
    if len(set(names)) != len(names):
        raise AlbInputError(f"services are named twice: {sorted({n for n in names if names.count(n) > 1})}")
    tg_names = [s["target_group_name"] for s in services]
    if len(set(tg_names)) != len(tg_names):
        raise AlbInputError(f"target group names collide: {tg_names}")
    for service in services:
        unknown = [c for c in service["calls"] if c not in names]
        if unknown:
            raise AlbInputError(f"service {service['name']} calls {unknown}, which are not among the services")
    given = [s["priority"] for s in services if s["priority"] is not None]
    if len(set(given)) != len(given):
        raise AlbInputError(f"listener rule priorities are given twice: {sorted({p for p in given if given.count(p) > 1})}")
    certificate = params.get("certificate_arn")
    if present and not (certificate and CERT_ARN.match(certificate)):
        raise AlbInputError(f"certificate_arn {certificate!r} is not an ACM (or IAM server) certificate ARN")
    return {"name": name, "network": network, "services": services, "certificate_arn": certificate,
            "ssl_policy": params.get("ssl_policy") or DEFAULT_SSL_POLICY}


# --- network (created VPC) -------------------------------------------------------------------------

def current_network(vpc, subnets, gateways, route_tables):
    """The created VPC's parts found by their PART_TAG, in one normalised shape."""
    if vpc is None:
        return None
    parts = {}
    for subnet in subnets:
        part = _tags(subnet).get(PART_TAG)
        if part in SUBNET_PARTS:
            parts[part] = {"id": subnet["SubnetId"], "cidr": subnet["CidrBlock"], "zone": subnet["AvailabilityZone"]}
    gateway = next((g["InternetGatewayId"] for g in gateways), None)
    tables = {}
    for table in route_tables:
        part = _tags(table).get(PART_TAG)
        if part in ("public", "private"):
            tables[part] = {
                "id": table["RouteTableId"],
                "routes": {r.get("DestinationCidrBlock"): r.get("GatewayId") for r in table.get("Routes") or []
                           if r.get("DestinationCidrBlock") and r.get("GatewayId") != "local"},
                "associations": {a["SubnetId"]: a["RouteTableAssociationId"]
                                 for a in table.get("Associations") or [] if a.get("SubnetId")},
            }
    return {"vpc_id": vpc["VpcId"], "cidr": vpc["CidrBlock"], "subnets": parts, "gateway": gateway,
            "route_tables": tables}


def plan_network(current, desired):
    """Steps that create the missing parts of the small VPC (parts are never replaced)."""
    steps = []
    if current is None:
        steps.append({"action": "create_vpc", "cidr": desired["cidr"]})
        current = {"vpc_id": None, "cidr": desired["cidr"], "subnets": {}, "gateway": None, "route_tables": {}}
    elif current["cidr"] != desired["cidr"]:
        raise AlbInputError(f"the VPC {current['vpc_id']} this module created has CIDR {current['cidr']}, not "
                            f"{desired['cidr']}: a VPC's primary range cannot change")
    for part in SUBNET_PARTS:
        if part not in current["subnets"]:
            steps.append({"action": "create_subnet", "part": part, "cidr": desired["layout"][part]})
    if current["gateway"] is None:
        steps.append({"action": "create_internet_gateway"})
    for kind in ("public", "private"):
        table = current["route_tables"].get(kind)
        if table is None:
            steps.append({"action": "create_route_table", "part": kind})
            table = {"routes": {}, "associations": {}}
        if kind == "public":
            gateway = current["gateway"]
            if WORLD not in table["routes"]:
                steps.append({"action": "create_route", "part": kind, "destination": WORLD})
            elif gateway is not None and table["routes"][WORLD] != gateway:
                steps.append({"action": "replace_route", "part": kind, "destination": WORLD})
        for part in (f"{kind}-a", f"{kind}-b"):
            subnet = current["subnets"].get(part)
            if subnet is None or subnet["id"] not in table["associations"]:
                steps.append({"action": "associate_route_table", "part": kind, "subnet": part})
    return steps


# --- security groups -----------------------------------------------------------------------------

def desired_security_groups(name, services):
    """{key: {name, description, ingress: [(protocol, from, to, source)]}}; source is "cidr:<block>" or
    "group:<key>" (another group of this set)."""
    groups = {"alb": {"name": alb_security_group_name(name),
                      "description": f"Load balancer {name}: HTTP and HTTPS from anywhere",
                      "ingress": sorted([("tcp", 80, 80, f"cidr:{WORLD}"), ("tcp", 443, 443, f"cidr:{WORLD}")], key=str)}}
    callers = {}
    for service in services:
        for callee in service["calls"]:
            callers.setdefault(callee, []).append(service["name"])
    for service in services:
        port = service["port"]
        ingress = [("tcp", port, port, "group:alb")]
        ingress += [("tcp", port, port, f"group:service:{caller}") for caller in callers.get(service["name"], [])]
        groups[f"service:{service['name']}"] = {
            "name": task_security_group_name(name, service["name"]),
            "description": f"Tasks of {service['name']} behind {name}: port {port} from the load balancer"
                           + (f" and {', '.join(sorted(callers[service['name']]))}" if callers.get(service["name"]) else ""),
            "ingress": sorted(set(ingress), key=str),
        }
    return groups


def normalise_permissions(permissions):
    """EC2 IpPermissions -> sorted [(protocol, from, to, "cidr:..." | "sg:<id>")]."""
    rules = set()
    for p in permissions or []:
        key = (p.get("IpProtocol"), p.get("FromPort"), p.get("ToPort"))
        for r in p.get("IpRanges") or []:
            rules.add(key + (f"cidr:{r['CidrIp']}",))
        for r in p.get("Ipv6Ranges") or []:
            rules.add(key + (f"cidr:{r['CidrIpv6']}",))
        for r in p.get("UserIdGroupPairs") or []:
            rules.add(key + (f"sg:{r['GroupId']}",))
        for r in p.get("PrefixListIds") or []:
            rules.add(key + (f"pl:{r['PrefixListId']}",))
    return sorted(rules, key=str)


def resolve_rules(rules, group_ids):
    """Desired rules with "group:<key>" turned into "sg:<id>" (None ids stay symbolic: not created yet)."""
    out = []
    for protocol, low, high, source in rules:
        if source.startswith("group:"):
            gid = group_ids.get(source[len("group:"):])
            source = f"sg:{gid}" if gid else source
        out.append((protocol, low, high, source))
    return sorted(out, key=str)


def permissions(rules, description=None):
    """Rules -> EC2 IpPermissions, one per rule (simple to authorise and revoke exactly)."""
    out = []
    for protocol, low, high, source in rules:
        perm = {"IpProtocol": protocol, "FromPort": low, "ToPort": high}
        kind, value = source.split(":", 1)
        if kind == "cidr" and ":" in value:
            perm["Ipv6Ranges"] = [dict({"CidrIpv6": value}, **({"Description": description} if description else {}))]
        elif kind == "cidr":
            perm["IpRanges"] = [dict({"CidrIp": value}, **({"Description": description} if description else {}))]
        elif kind == "sg":
            perm["UserIdGroupPairs"] = [{"GroupId": value}]
        elif kind == "pl":
            perm["PrefixListIds"] = [{"PrefixListId": value}]
        out.append(perm)
    return out


def plan_rules_of_group(key, current_rules, desired_rules):
    """Authorise what is missing, revoke what is not wanted (ingress only; egress stays AWS's default)."""
    steps = []
    missing = [r for r in desired_rules if r not in current_rules]
    extra = [r for r in current_rules if r not in desired_rules]
    if missing:
        steps.append({"action": "authorize_ingress", "group": key, "rules": missing})
    if extra:
        steps.append({"action": "revoke_ingress", "group": key, "rules": extra})
    return steps


# --- tags ------------------------------------------------------------------------------------------

def _tags(resource):
    return {t["Key"]: t.get("Value", "") for t in resource.get("Tags") or []}


def tag_changes(current, desired, purge):
    """(to set {k: v}, to remove [k]) turning ``current`` into ``desired`` (managed tags always kept)."""
    current = current or {}
    to_set = {k: str(v) for k, v in desired.items() if current.get(k) != str(v)}
    to_remove = sorted(k for k in current if k not in desired and not k.startswith("aws:")) if purge else []
    return to_set, to_remove


# --- load balancer, listeners, target groups -----------------------------------------------------

def redirect_action():
    return {"type": "redirect", "protocol": "HTTPS", "port": "443", "host": "#{host}", "path": "/#{path}",
            "query": "#{query}", "status_code": "HTTP_301"}


def not_found_action():
    return {"type": "fixed-response", "status_code": "404", "content_type": "text/plain", "message_body": "Not Found"}


def forward_action(target_group_arn):
    return {"type": "forward", "target_group_arn": target_group_arn}


def normalise_action(action):
    kind = action.get("Type")
    if kind == "redirect":
        c = action.get("RedirectConfig") or {}
        return {"type": kind, "protocol": c.get("Protocol", "#{protocol}"), "port": str(c.get("Port", "#{port}")),
                "host": c.get("Host", "#{host}"), "path": c.get("Path", "/#{path}"), "query": c.get("Query", "#{query}"),
                "status_code": c.get("StatusCode")}
    if kind == "fixed-response":
        c = action.get("FixedResponseConfig") or {}
        return {"type": kind, "status_code": str(c.get("StatusCode")), "content_type": c.get("ContentType"),
                "message_body": c.get("MessageBody")}
    if kind == "forward":
        arn = action.get("TargetGroupArn")
        groups = ((action.get("ForwardConfig") or {}).get("TargetGroups")) or []
        if arn is None and len(groups) == 1:
            arn = groups[0]["TargetGroupArn"]
        if arn is None:
            return {"type": kind, "target_groups": sorted((g["TargetGroupArn"], g.get("Weight")) for g in groups)}
        return {"type": kind, "target_group_arn": arn}
    return {"type": kind}


def aws_action(action):
    kind = action["type"]
    if kind == "redirect":
        return {"Type": kind, "RedirectConfig": {
            "Protocol": action["protocol"], "Port": action["port"], "Host": action["host"], "Path": action["path"],
            "Query": action["query"], "StatusCode": action["status_code"]}}
    if kind == "fixed-response":
        return {"Type": kind, "FixedResponseConfig": {
            "StatusCode": action["status_code"], "ContentType": action["content_type"],
            "MessageBody": action["message_body"]}}
    return {"Type": "forward", "TargetGroupArn": action["target_group_arn"]}


def desired_listeners(desired):
    return {
        80: {"protocol": "HTTP", "default_action": redirect_action()},
        443: {"protocol": "HTTPS", "default_action": not_found_action(), "certificate_arn": desired["certificate_arn"],
              "ssl_policy": desired["ssl_policy"]},
    }


def normalise_listener(listener):
    out = {"protocol": listener["Protocol"],
           "default_action": normalise_action((listener.get("DefaultActions") or [{}])[0])}
    if listener["Protocol"] == "HTTPS":
        certificates = listener.get("Certificates") or []
        out["certificate_arn"] = certificates[0]["CertificateArn"] if certificates else None
        out["ssl_policy"] = listener.get("SslPolicy")
    return out


def plan_listener(port, current, desired):
    if current is None:
        return [{"action": "create_listener", "port": port}]
    if normalise_listener(current) != desired:
        return [{"action": "modify_listener", "port": port, "listener_arn": current["ListenerArn"]}]
    return []


def desired_target_group(service, vpc_id):
    return {"name": service["target_group_name"], "port": service["port"], "protocol": "HTTP", "target_type": "ip",
            "vpc_id": vpc_id, "health_check": service["health_check"],
            "deregistration_delay": service["deregistration_delay"]}


def normalise_health_check(group):
    return {"path": group.get("HealthCheckPath"), "codes": (group.get("Matcher") or {}).get("HttpCode"),
            "interval": group.get("HealthCheckIntervalSeconds"), "timeout": group.get("HealthCheckTimeoutSeconds"),
            "healthy_threshold": group.get("HealthyThresholdCount"),
            "unhealthy_threshold": group.get("UnhealthyThresholdCount")}


def health_check_params(check):
    return {"HealthCheckProtocol": "HTTP", "HealthCheckPort": "traffic-port", "HealthCheckEnabled": True,
            "HealthCheckPath": check["path"], "Matcher": {"HttpCode": check["codes"]},
            "HealthCheckIntervalSeconds": check["interval"], "HealthCheckTimeoutSeconds": check["timeout"],
            "HealthyThresholdCount": check["healthy_threshold"],
            "UnhealthyThresholdCount": check["unhealthy_threshold"]}


def plan_target_group(service_name, current, attributes, desired):
    """current: the DescribeTargetGroups item or None; attributes: its {key: value}."""
    if current is None:
        return [{"action": "create_target_group", "service": service_name, "name": desired["name"]}]
    fixed = {"port": current.get("Port"), "protocol": current.get("Protocol"),
             "target_type": current.get("TargetType"), "vpc_id": current.get("VpcId")}
    for key, value in fixed.items():
        if desired[key] is not None and value != desired[key]:
            raise AlbInputError(
                f"target group {desired['name']} of service {service_name} exists with {key} {value}, not "
                f"{desired[key]}; a target group's {key} cannot change: give the service another "
                f"target_group_name (and move its ECS service), or delete the group")
    steps = []
    if normalise_health_check(current) != desired["health_check"]:
        steps.append({"action": "modify_target_group", "service": service_name, "name": desired["name"]})
    delay = (attributes or {}).get("deregistration_delay.timeout_seconds")
    if delay is None or int(delay) != desired["deregistration_delay"]:
        steps.append({"action": "set_deregistration_delay", "service": service_name,
                      "seconds": desired["deregistration_delay"]})
    return steps


def plan_load_balancer(current, subnet_ids, security_group_ids):
    if current is None:
        return [{"action": "create_load_balancer"}]
    if current.get("Scheme") != "internet-facing" or current.get("Type") != "application":
        raise AlbInputError(f"load balancer {current['LoadBalancerName']} exists as {current.get('Scheme')} "
                            f"{current.get('Type')}; this module manages internet-facing application load balancers")
    steps = []
    current_subnets = sorted(z["SubnetId"] for z in current.get("AvailabilityZones") or [])
    if None not in subnet_ids and current_subnets != sorted(subnet_ids):
        steps.append({"action": "set_subnets", "subnets": sorted(subnet_ids)})
    if None not in security_group_ids and sorted(current.get("SecurityGroups") or []) != sorted(security_group_ids):
        steps.append({"action": "set_security_groups", "security_groups": sorted(security_group_ids)})
    return steps


# --- listener rules --------------------------------------------------------------------------------

def rule_conditions(service):
    conditions = {}
    if service["hosts"]:
        conditions["host-header"] = service["hosts"]
    if service["paths"]:
        conditions["path-pattern"] = service["paths"]
    return conditions


def normalise_conditions(conditions):
    out = {}
    for c in conditions or []:
        field = c.get("Field")
        config = {"host-header": "HostHeaderConfig", "path-pattern": "PathPatternConfig"}.get(field)
        values = ((c.get(config) or {}).get("Values") if config else None) or c.get("Values") or []
        if field == "host-header":
            values = [v.lower() for v in values]
        out.setdefault(field, [])
        out[field] = sorted(set(out[field]) | set(values))
    return out


def aws_conditions(conditions):
    config = {"host-header": "HostHeaderConfig", "path-pattern": "PathPatternConfig"}
    return [{"Field": field, config[field]: {"Values": list(values)}} for field, values in sorted(conditions.items())]


def _band(service):
    if service["hosts"] and service["paths"]:
        return PRIORITY_BANDS["host+path"]
    return PRIORITY_BANDS["path"] if service["paths"] else PRIORITY_BANDS["host"]


def assign_priorities(services, current_priorities, foreign):
    """{service: priority}: given priorities as given; the others keep the priority their rule has (when
    free), else start from a hash of the name in their band (specific rules first) and take the next
    free one. Deterministic for a given current state, and stable as services come and go."""
    taken = set(foreign)
    out = {}
    for service in services:
        if service["priority"] is not None:
            if service["priority"] in taken:
                raise AlbInputError(f"priority {service['priority']} of service {service['name']} is held by a rule "
                                    f"this module does not manage")
            out[service["name"]] = service["priority"]
    taken |= set(out.values())
    for service in sorted((s for s in services if s["priority"] is None), key=lambda s: s["name"]):
        kept = current_priorities.get(service["name"])
        if kept is not None and kept not in taken:
            out[service["name"]] = kept
            taken.add(kept)
    for service in sorted((s for s in services if s["name"] not in out), key=lambda s: s["name"]):
        low, high = _band(service)
        size = high - low + 1
        start = zlib.crc32(service["name"].encode()) % size
        for offset in range(size):
            candidate = low + (start + offset) % size
            if candidate not in taken:
                out[service["name"]] = candidate
                taken.add(candidate)
                break
    return out


def plan_rules(rules, services, target_group_arns, managed_target_group_arns, purge):
    """rules: the HTTPS listener's DescribeRules items. A rule belongs to a service when it forwards to the
    service's target group. Rules forwarding to this module's other target groups (services no longer
    listed) are deleted; other rules are left alone unless ``purge``."""
    by_service, others = {}, []
    arn_to_service = {arn: name for name, arn in target_group_arns.items() if arn}
    for rule in rules:
        if rule.get("IsDefault"):
            continue
        action = normalise_action((rule.get("Actions") or [{}])[-1])
        service = arn_to_service.get(action.get("target_group_arn"))
        if service and service not in by_service:
            by_service[service] = rule
        else:
            others.append(rule)
    stale = [r for r in others
             if purge or normalise_action((r.get("Actions") or [{}])[-1]).get("target_group_arn") in managed_target_group_arns]
    foreign = {int(r["Priority"]) for r in others if r not in stale}
    current_priorities = {name: int(rule["Priority"]) for name, rule in by_service.items()}
    priorities = assign_priorities(services, current_priorities, foreign)
    steps = [{"action": "delete_rule", "rule_arn": r["RuleArn"], "priority": int(r["Priority"])} for r in stale]
    moves = {}
    for service in services:
        name = service["name"]
        rule = by_service.get(name)
        conditions = rule_conditions(service)
        if rule is None:
            continue
        if int(rule["Priority"]) != priorities[name]:
            moves[rule["RuleArn"]] = priorities[name]
        if normalise_conditions(rule.get("Conditions")) != conditions or len(rule.get("Actions") or []) != 1:
            steps.append({"action": "modify_rule", "service": name, "rule_arn": rule["RuleArn"]})
    if moves:
        steps.append({"action": "set_rule_priorities", "priorities": moves})
    for service in services:
        if service["name"] not in by_service:
            steps.append({"action": "create_rule", "service": service["name"], "priority": priorities[service["name"]]})
    return steps, priorities, by_service


# --- Route53 ---------------------------------------------------------------------------------------

def record_names(services, zone_name):
    """The hosts of the services that lie in the zone (no '?' wildcards: not a DNS name)."""
    zone = zone_name.lower().rstrip(".")
    names = set()
    for service in services:
        for host in service["hosts"]:
            if "?" in host:
                continue
            if host == zone or host.endswith("." + zone):
                names.add(host)
    return sorted(names)


def _dns(name):
    name = (name or "").lower().rstrip(".").replace("\\052", "*")
    return name[len("dualstack."):] if name.startswith("dualstack.") else name


def plan_records(current_sets, names, dns_name, hosted_zone_id, stale_names=()):
    """UPSERT an A alias to the load balancer for each name that lacks it; DELETE the aliases to it that
    ``stale_names`` lists. current_sets: ListResourceRecordSets items."""
    current = {(_dns(r["Name"]), r["Type"]): r for r in current_sets}
    changes = []
    for name in names:
        record = current.get((name, "A"))
        alias = (record or {}).get("AliasTarget") or {}
        if record is None or _dns(alias.get("DNSName")) != _dns(dns_name) or alias.get("HostedZoneId") != hosted_zone_id:
            changes.append({"action": "UPSERT", "name": name})
    for name in stale_names:
        record = current.get((name, "A"))
        if record is not None and _dns(((record.get("AliasTarget") or {}).get("DNSName"))) == _dns(dns_name):
            changes.append({"action": "DELETE", "name": name, "record": record})
    return changes


def alias_record(name, dns_name, hosted_zone_id):
    return {"Name": name, "Type": "A", "AliasTarget": {
        "HostedZoneId": hosted_zone_id, "DNSName": f"dualstack.{dns_name}", "EvaluateTargetHealth": True}}


# --- results ---------------------------------------------------------------------------------------

def url(service, dns_name=None):
    """https://<first plain host, else the load balancer's DNS name><path prefix> (None with neither)."""
    host = next((h for h in service["hosts"] if "*" not in h and "?" not in h), None) or dns_name
    if host is None:
        return None
    path = service["paths"][0] if service["paths"] else "/"
    path = path.split("*", 1)[0].split("?", 1)[0] or "/"
    return f"https://{host}{path}"


def describe_step(step):
    detail = {k: v for k, v in step.items() if k not in ("action", "record", "rules")}
    if "rules" in step:
        detail["rules"] = [f"{p} {lo}-{hi} from {src}" for p, lo, hi, src in step["rules"]]
    words = ", ".join(f"{k}={v}" for k, v in detail.items())
    return step["action"].replace("_", " ") + (f" ({words})" if words else "")
