"""The ecs area: simulated state per service, the interface other areas use, and the glue to moto."""

import copy
import logging

from ..hooks import area
from .model import (
    DEFAULT_DEPLOYMENT_CONFIGURATION,
    Deployment,
    Service,
    ServiceDeploymentRecord,
    deployment_id,
    is_fargate,
    service_deployment_suffix,
)
from .scheduler import Scheduler

log = logging.getLogger("sandbox.ecs")

# UpdateService fields that change only the configuration; taskDefinition, networkConfiguration,
# capacityProviderStrategy, platformVersion, loadBalancers and serviceRegistries start a deployment.
CONFIG_FIELDS = ("healthCheckGracePeriodSeconds", "enableExecuteCommand", "enableECSManagedTags", "propagateTags",
                 "availabilityZoneRebalancing", "placementConstraints", "placementStrategy")


@area("ecs")
class EcsArea:
    def __init__(self, sb):
        self.sb = sb
        self.scheduler = Scheduler(self)
        self.reset()

    def reset(self):
        self.services: dict[str, Service] = {}  # by ARN: the current service of that name
        self.retired: list[Service] = []  # deleted and re-created services whose tasks still stop
        self.tasks = {}  # task ARN -> Task (all services)
        self.records: dict[str, ServiceDeploymentRecord] = {}

    def tick(self, now: float):
        for svc in list(self.services.values()) + self.retired:
            try:
                self.scheduler.tick_service(svc, now)
            except Exception:  # one service's bug must not stop the others
                log.exception("scheduling %s failed", svc.arn)
        self.retired = [s for s in self.retired if s.tasks]

    def describe(self) -> dict:
        return {"ecs": {"services": sum(1 for s in self.services.values() if s.status != "INACTIVE"),
                        "running_tasks": sum(1 for t in self.tasks.values() if t.running)}}

    # -- interface for other areas (Application Auto Scaling) --------------------------
    def set_desired_count(self, region: str, cluster: str, service: str, count: int, cause: str) -> tuple[int, int]:
        """Change desiredCount as UpdateService(desiredCount) does: no new deployment."""
        svc = self.find(region, cluster, service)
        if svc is None or svc.status != "ACTIVE":
            raise KeyError(f"service {service} in cluster {cluster} ({region}) does not exist")
        old = svc.desired_count
        self.apply_desired_count(svc, count)
        log.info("%s desiredCount %d -> %d: %s", svc.arn, old, count, cause)
        return old, count

    def desired_count(self, region: str, cluster: str, service: str) -> int:
        svc = self.find(region, cluster, service)
        if svc is None or svc.status != "ACTIVE":
            raise KeyError(f"service {service} in cluster {cluster} ({region}) does not exist")
        return svc.desired_count

    # -- lookups ------------------------------------------------------------------------
    def find(self, region: str, cluster: str | None, service: str) -> Service | None:
        cluster_name = (cluster or "default").rsplit("/", 1)[-1]
        name = service.rsplit("/", 1)[-1]
        for svc in self.services.values():
            if svc.region == region and svc.cluster_name == cluster_name and (svc.name == name or svc.arn == service):
                return svc
        return None

    # -- life cycle of a service --------------------------------------------------------
    def create_service(self, region: str, account: str, params: dict, moto_json: dict, now: float) -> Service:
        cluster = self.sb.backend("ecs", region)._get_cluster(params.get("cluster") or "default")
        config = {
            "desiredCount": moto_json.get("desiredCount", 0),
            "taskDefinition": moto_json["taskDefinition"],
            "loadBalancers": copy.deepcopy(params.get("loadBalancers") or []),
            "serviceRegistries": copy.deepcopy(params.get("serviceRegistries") or []),
            "launchType": params.get("launchType"),
            "capacityProviderStrategy": _strategy(params.get("capacityProviderStrategy")),
            "platformVersion": params.get("platformVersion"),
            "deploymentConfiguration": _deployment_configuration({}, params.get("deploymentConfiguration")),
            "networkConfiguration": _network(params.get("networkConfiguration")),
            "healthCheckGracePeriodSeconds": params.get("healthCheckGracePeriodSeconds"),
            "placementConstraints": params.get("placementConstraints") or [],
            "placementStrategy": params.get("placementStrategy") or [],
            "schedulingStrategy": params.get("schedulingStrategy") or "REPLICA",
            "deploymentController": params.get("deploymentController") or {"type": "ECS"},
            "tags": params.get("tags") or [],
            "enableECSManagedTags": bool(params.get("enableECSManagedTags", False)),
            "propagateTags": params.get("propagateTags") or "NONE",
            "enableExecuteCommand": bool(params.get("enableExecuteCommand", False)),
            "availabilityZoneRebalancing": params.get("availabilityZoneRebalancing") or "ENABLED",
        }
        if not config["launchType"] and not config["capacityProviderStrategy"]:
            # Neither given: the cluster's default capacity provider strategy, else the EC2 launch type.
            config["capacityProviderStrategy"] = _strategy(cluster.default_capacity_provider_strategy)
            if not config["capacityProviderStrategy"]:
                config["launchType"] = "EC2"
        if config["loadBalancers"] and config["healthCheckGracePeriodSeconds"] is None:
            config["healthCheckGracePeriodSeconds"] = 0
        if is_fargate(config) and not config["platformVersion"]:
            config["platformVersion"] = "LATEST"
        arn = moto_json["serviceArn"]
        previous = self.services.pop(arn, None)
        if previous is not None and previous.tasks:
            self.retired.append(previous)
        svc = Service(arn=arn, name=moto_json["serviceName"], region=region, account=account,
                      cluster_arn=cluster.arn, cluster_name=cluster.name, created_at=now, config=config)
        self.services[arn] = svc
        self.start_deployment(svc, now)
        self.sync_moto(svc)
        return svc

    def update_service(self, svc: Service, params: dict, now: float):
        config = svc.config
        backend = self.sb.backend("ecs", svc.region)
        changes = {}
        if params.get("taskDefinition"):
            changes["taskDefinition"] = backend.describe_task_definition(params["taskDefinition"]).arn
        if params.get("networkConfiguration") is not None:
            changes["networkConfiguration"] = _network(params["networkConfiguration"])
        if params.get("capacityProviderStrategy") is not None:
            changes["capacityProviderStrategy"] = _strategy(params["capacityProviderStrategy"])
            changes["launchType"] = None
        if params.get("platformVersion") is not None:
            changes["platformVersion"] = params["platformVersion"]
        if params.get("loadBalancers") is not None:
            changes["loadBalancers"] = copy.deepcopy(params["loadBalancers"])
        if params.get("serviceRegistries") is not None:
            changes["serviceRegistries"] = copy.deepcopy(params["serviceRegistries"])
        new_deployment = bool(params.get("forceNewDeployment")) or any(
            config.get(key) != value for key, value in changes.items())
        config.update(changes)
        for key in CONFIG_FIELDS:
            if params.get(key) is not None:
                config[key] = copy.deepcopy(params[key])
        if params.get("deploymentConfiguration") is not None:
            config["deploymentConfiguration"] = _deployment_configuration(config["deploymentConfiguration"],
                                                                          params["deploymentConfiguration"])
        if params.get("deploymentController") is not None:
            config["deploymentController"] = params["deploymentController"]
        if is_fargate(config) and not config.get("platformVersion"):
            config["platformVersion"] = "LATEST"
        if params.get("desiredCount") is not None:
            config["desiredCount"] = params["desiredCount"]
            svc.primary.desired_count = params["desiredCount"]
        if new_deployment:
            self.start_deployment(svc, now)
        self.sync_moto(svc)

    def delete_service(self, svc: Service, now: float):
        """DeleteService: the service is DRAINING until its tasks have stopped, then INACTIVE."""
        svc.status = "DRAINING"
        svc.config["desiredCount"] = 0
        for deployment in svc.deployments:
            deployment.desired_count = 0
            deployment.updated_at = now
        self.sync_moto(svc)

    def apply_desired_count(self, svc: Service, count: int):
        svc.config["desiredCount"] = count
        if svc.primary is not None:
            svc.primary.desired_count = count
            svc.primary.updated_at = self.sb.now()
        self.sync_moto(svc)

    # -- deployments ----------------------------------------------------------------------
    def current_snapshot(self, svc: Service) -> dict:
        config = svc.config
        return {
            "id": None,
            "task_definition": config["taskDefinition"],
            "launch_type": config.get("launchType"),
            "capacity_provider_strategy": config.get("capacityProviderStrategy"),
            "platform_version": config.get("platformVersion"),
            "network_configuration": config.get("networkConfiguration"),
            "load_balancers": copy.deepcopy(config.get("loadBalancers") or []),
        }

    def new_deployment(self, svc: Service, snapshot: dict, now: float) -> Deployment:
        """A new PRIMARY deployment of `snapshot`; the previous PRIMARY becomes ACTIVE."""
        deployment = Deployment(
            id=deployment_id(), service=svc, task_definition=snapshot["task_definition"],
            desired_count=svc.desired_count, created_at=now, updated_at=now,
            launch_type=snapshot["launch_type"] if not snapshot["capacity_provider_strategy"] else None,
            capacity_provider_strategy=snapshot["capacity_provider_strategy"],
            platform_version=snapshot["platform_version"],
            network_configuration=snapshot["network_configuration"],
            load_balancers=copy.deepcopy(snapshot["load_balancers"]),
        )
        deployment.target_groups = self.assign_target_groups(svc, deployment)
        alarms = svc.deployment_configuration.get("alarms") or {}
        if alarms.get("enable"):
            # Alarms already in ALARM when a deployment starts are not monitored for that deployment.
            deployment.alarms_ignored = frozenset(n for n in alarms.get("alarmNames") or []
                                                  if self.scheduler.alarm_state(svc.region, n) == "ALARM")
        for previous in svc.deployments:
            previous.status = "ACTIVE"
        svc.deployments.insert(0, deployment)
        svc.steady = False
        return deployment

    def start_deployment(self, svc: Service, now: float) -> Deployment:
        """A deployment the user started (CreateService, UpdateService): with its service deployment."""
        sources = [(svc.revision_arn(d), d.desired_count, sum(1 for t in svc.tasks if t.deployment is d and t.running),
                    sum(1 for t in svc.tasks if t.deployment is d and t.pending)) for d in svc.deployments]
        for previous in svc.deployments:
            record = previous.record
            if record is not None and record.status == "IN_PROGRESS":
                record.status = "STOPPED"
                record.status_reason = "Service deployment superseded by a newer deployment."
                record.stopped_at = record.finished_at = record.updated_at = now
        deployment = self.new_deployment(svc, self.current_snapshot(svc), now)
        record = ServiceDeploymentRecord(
            arn=(f"arn:aws:ecs:{svc.region}:{svc.account}:service-deployment/{svc.cluster_name}/{svc.name}/"
                 f"{service_deployment_suffix()}"),
            service=svc, target=deployment, created_at=now, source_revisions=sources,
            deployment_configuration=copy.deepcopy(svc.deployment_configuration), started_at=now, updated_at=now,
            circuit_breaker_status="MONITORING",
        )
        deployment.record = record
        self.records[record.arn] = record
        return deployment

    def assign_target_groups(self, svc: Service, deployment: Deployment) -> list:
        """Rolling: the service's target groups. Blue/green: the alternate of the production target group
        while another revision still runs, so the new revision is tested before traffic moves."""
        blue_running = any(svc.live_tasks(d) for d in svc.deployments)
        groups = []
        for index, lb in enumerate(deployment.load_balancers):
            primary = lb.get("targetGroupArn")
            alternate = (lb.get("advancedConfiguration") or {}).get("alternateTargetGroupArn")
            production = svc.live_target_groups.get(index, primary)
            if svc.strategy == "BLUE_GREEN" and alternate and blue_running:
                groups.append(alternate if production == primary else primary)
            else:
                groups.append(production)
        return groups

    # -- collaborators ---------------------------------------------------------------------
    def image_available(self, image: str) -> bool:
        ecr = self.sb.areas.get("ecr")
        if ecr is None or not hasattr(ecr, "image_available"):
            return True
        return ecr.image_available(image)

    def secret_error(self, task) -> str | None:
        """ResourceInitializationError, as the task's execution resources retrieval reports it, for the first
        secret (SSM parameter or Secrets Manager secret) that does not exist."""
        definition = self.sb.backend("ecs", task.region).describe_task_definition(task.task_definition_arn)
        for container in definition.container_definitions:
            for secret in container.get("secrets") or []:
                value_from = secret.get("valueFrom", "")
                if value_from.startswith("arn:") and ":secretsmanager:" in value_from:
                    secret_arn = ":".join(value_from.split(":")[:7])
                    region = value_from.split(":")[3] or task.region
                    if secret_arn not in self.sb.backend("secretsmanager", region).secrets:
                        return ("ResourceInitializationError: unable to pull secrets or registry auth: execution "
                                "resource retrieval failed: unable to retrieve secret from asm: service call has "
                                f"been retried 1 time(s): failed to fetch secret {value_from} from secrets manager: "
                                "ResourceNotFoundException: Secrets Manager can't find the specified secret.")
                    continue
                region = value_from.split(":")[3] if value_from.startswith("arn:") else task.region
                try:
                    found = self.sb.backend("ssm", region).get_parameter(value_from)
                except Exception:  # moto raises for a missing version or label
                    found = None
                if found is None:
                    name = value_from.split(":parameter", 1)[-1] if value_from.startswith("arn:") else value_from
                    return ("ResourceInitializationError: unable to pull secrets or registry auth: execution "
                            "resource retrieval failed: unable to retrieve secrets from ssm: service call has been "
                            f"retried 1 time(s): invalid ssm parameters: {name}")
        return None

    def forward_rule_to(self, region: str, rule_arn: str, target_group: str, pair: list):
        """Make a listener rule's forward action send all traffic to `target_group` (weight 100, the other
        target group of the pair 0), as ECS does when it shifts production traffic."""
        elbv2 = self.sb.backend("elbv2", region)
        try:
            rule = elbv2.describe_rules(listener_arn=None, rule_arns=[rule_arn])[0]
        except Exception:
            log.warning("production listener rule %s not found", rule_arn)
            return
        for action in rule.actions:
            if action.type != "forward":
                continue
            data = action.data
            groups = (data.get("ForwardConfig") or {}).get("TargetGroups")
            if groups:
                if not any(g["TargetGroupArn"] == target_group for g in groups):
                    groups.append({"TargetGroupArn": target_group, "Weight": 0})
                for group in groups:
                    if group["TargetGroupArn"] == target_group:
                        group["Weight"] = 100
                    elif group["TargetGroupArn"] in pair:
                        group["Weight"] = 0
                data.pop("TargetGroupArn", None)
            else:
                data["TargetGroupArn"] = target_group
            action.__dict__.update(data)
            if "TargetGroupArn" not in data:
                action.__dict__.pop("TargetGroupArn", None)

    def sync_moto(self, svc: Service):
        """Keep moto's service record in step, for code that reads moto's backend directly."""
        if self.services.get(svc.arn) is not svc:
            return
        moto_service = self.sb.backend("ecs", svc.region).services.get(f"{svc.cluster_name}:{svc.name}")
        if moto_service is None:
            return
        moto_service.desired_count = svc.desired_count
        moto_service.running_count = sum(1 for t in svc.tasks if t.running)
        moto_service.pending_count = sum(1 for t in svc.tasks if t.pending)
        moto_service.task_definition = svc.config["taskDefinition"]
        moto_service.launch_type = svc.config.get("launchType")
        moto_service.status = svc.status


def _strategy(strategy) -> list | None:
    if not strategy:
        return None
    return [{"capacityProvider": s["capacityProvider"], "weight": s.get("weight", 0), "base": s.get("base", 0)}
            for s in strategy]


def _network(network) -> dict | None:
    if not network:
        return None
    network = copy.deepcopy(network)
    awsvpc = network.get("awsvpcConfiguration")
    if awsvpc is not None:
        awsvpc.setdefault("securityGroups", [])
        awsvpc.setdefault("assignPublicIp", "DISABLED")
    return network


def _deployment_configuration(current: dict, given: dict | None) -> dict:
    """Documented defaults, then what the service had, then what the call sets."""
    merged = copy.deepcopy(DEFAULT_DEPLOYMENT_CONFIGURATION)
    for source in (current, given or {}):
        for key, value in source.items():
            merged[key] = copy.deepcopy(value)
    breaker = merged["deploymentCircuitBreaker"]
    breaker.setdefault("enable", False)
    breaker.setdefault("rollback", False)
    return merged
