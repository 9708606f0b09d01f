# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The rollout, step by step: validate, resolve references, plan, apply, wait, roll back.

Every decision is made by the pure functions of taskdef.py, service.py and waiter.py; this file
only reads, hands over and writes. Nothing is written before every check has passed, and nothing
at all in check mode.
"""

from __future__ import annotations

import time

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.ecsops.fargate.plugins.module_utils import service_autoscaling

from ansible_collections.ecsops.fargate.plugins.module_utils import cloudwatch
from ansible_collections.ecsops.fargate.plugins.module_utils._ecs import alarms as service_alarms
from ansible_collections.ecsops.fargate.plugins.module_utils._ecs import api
from ansible_collections.ecsops.fargate.plugins.module_utils._ecs import service as svc
from ansible_collections.ecsops.fargate.plugins.module_utils._ecs import taskdef
from ansible_collections.ecsops.fargate.plugins.module_utils._ecs.waiter import Backoff
from ansible_collections.ecsops.fargate.plugins.module_utils._ecs.waiter import RolloutWatch
from ansible_collections.ecsops.fargate.plugins.module_utils.api import EcsopsAWSError

NEW_REVISION = "(new revision of {family})"


class RolloutInputError(ValueError):
    """Arguments that cannot work; raised before anything is written."""


class Clients:
    """boto3 clients made on first use (a no-op run needs ECS only, plus what its references need)."""

    def __init__(self, module):
        self._module = module
        self._clients = {}

    def __getattr__(self, name):
        service = {"autoscaling": "application-autoscaling"}.get(name, name)
        if name not in self._clients:
            self._clients[name] = self._module.client(service)
        return self._clients[name]


class Rollout:
    def __init__(self, module, clients=None, clock=time.monotonic, sleep=time.sleep):
        self.module = module
        self.params = module.params
        self.aws = clients or Clients(module)
        self.clock = clock
        self.sleep = sleep
        self.cluster = self.params["cluster"]
        self.name = self.params["name"]
        self.warnings = []

    # --- entry point ----------------------------------------------------------------------

    def run(self):
        try:
            svc.validate_name(self.name)
            svc.validate_registries(self.params.get("service_registries"))
        except svc.ServicePlanError as e:
            raise RolloutInputError(str(e)) from e
        keep = self.params.get("keep_revisions")
        if keep is not None and keep < 1:
            raise RolloutInputError(f"keep_revisions must be at least 1, not {keep}")
        state = self.params["state"]
        scaling = autoscaling_params(self.params)
        result = {"rolled_back": self.roll_back, "absent": self.remove}.get(state, self.deploy)()
        if state == "absent" and not result.get("failed"):
            self.remove_alarms(result)
        if scaling is not None and state != "rolled_back" and not result.get("failed"):
            self.converge_autoscaling(result, scaling)
        if keep is not None and not result.get("failed"):
            self.housekeeping(result, keep)
        return result

    # --- housekeeping ----------------------------------------------------------------------

    def housekeeping(self, result, keep):
        """Deregister the family's ACTIVE revisions beyond the newest ``keep``, except those in use: the
        task definition of every deployment of every service in the cluster (ours included)."""
        family = taskdef.family_and_revision(result.get("task_definition_arn"))[0] \
            or self.params.get("family") or self.name
        arns = api.list_active_revisions(self.aws.ecs, family)
        candidates = taskdef.revisions_to_deregister(arns, family, keep, ())
        if not candidates:
            result["deregistered_revisions"] = []
            return
        services = api.describe_services(self.aws.ecs, self.cluster, api.list_services(self.aws.ecs, self.cluster))
        in_use = {d.get("taskDefinition") for s in services for d in s.get("deployments") or []}
        in_use |= {s.get("taskDefinition") for s in services}
        in_use.discard(None)
        doomed = taskdef.revisions_to_deregister(arns, family, keep, in_use)
        if not self.module.check_mode:
            for arn in doomed:
                api.deregister_task_definition(self.aws.ecs, arn)
        result["deregistered_revisions"] = doomed
        if doomed:
            result["changed"] = True

    def deploy(self):
        try:
            taskdef.validate(self.params)
            wanted_alarms = service_alarms.desired(self.params.get("alarms"), self.cluster, self.name)
        except ValueError as e:
            raise RolloutInputError(str(e)) from e
        current = api.describe_service(self.aws.ecs, self.cluster, self.name)
        current_td = api.describe_task_definition(self.aws.ecs, current["taskDefinition"]) if current else None
        target_groups = self.resolve_target_groups(current)
        request = taskdef.build(self.params, self.resolve_secrets(), self.module.region,
                                self.resolve_role(self.params.get("execution_role")),
                                self.resolve_role(self.params.get("task_role")))
        self.check_log_groups()
        deployment = service_alarms.with_deployment_alarms(self.params.get("deployment"), self.params.get("alarms"))
        desired = svc.desired_service(dict(self.params, deployment=deployment), target_groups)
        if current is None and "launchType" not in desired and "capacityProviderStrategy" not in desired:
            desired["launchType"] = "FARGATE"
        self.check_network(current, desired)

        differences = taskdef.differences(request, current_td) if current_td else ["(no current revision)"]
        td_arn = current_td["taskDefinitionArn"] if current_td and not differences else None
        if td_arn is None:
            # A re-run after a failed rollout: the latest revision of the family may already be this one.
            latest = api.describe_task_definition(self.aws.ecs, request["family"]) if current_td else None
            if latest and taskdef.same(request, latest):
                td_arn = latest["taskDefinitionArn"]
        registered = td_arn is None
        if registered:
            td_arn = NEW_REVISION.format(family=request["family"])

        desired_count_managed = self.desired_count_managed(current)
        try:
            plan = svc.plan(current, desired, td_arn, desired_count=self.params.get("desired_count"),
                            desired_count_on_update=self.params["desired_count_on_update"],
                            desired_count_managed=desired_count_managed,
                            force_new_deployment=self.params["force_new_deployment"])
        except svc.ServicePlanError as e:
            raise RolloutInputError(str(e)) from e
        tags = svc.tag_plan(svc.tags_dict((current or {}).get("tags")), self.params.get("tags"),
                            self.params["purge_tags"]) if plan["action"] != "create" else {"add": {}, "remove": []}
        current_alarms = self.read_alarms(wanted_alarms)
        alarms_to_put = service_alarms.to_put(wanted_alarms, current_alarms)
        changed = registered or plan["action"] != "none" or bool(tags["add"] or tags["remove"])
        result = {
            "changed": changed or bool(alarms_to_put),
            "task_definition_registered": registered,
            "task_definition_differences": [] if not registered else differences,
            "service_changes": plan["changes"],
            "alarms_changed": alarms_to_put,
            "diff": self.diff(current, current_td, desired, request, plan, tags),
        }
        if alarms_to_put:
            result["diff"]["before"]["alarms"] = {n: service_alarms.state(current_alarms.get(n)) for n in alarms_to_put}
            result["diff"]["after"]["alarms"] = {n: service_alarms.state(wanted_alarms[n]) for n in alarms_to_put}
            if not self.module.check_mode:
                # Before the service: the deployment about to start watches alarms that exist.
                for name in alarms_to_put:
                    cloudwatch.put_metric_alarm(self.aws.cloudwatch, **wanted_alarms[name])
        if self.module.check_mode or not changed:
            result["task_definition_arn"] = td_arn
            result["service"] = _snake(current)
            if not changed:
                result["message"] = "service and task definition already as requested"
            return result

        previous_td, previous_good = self.previous_revision(current)
        if registered:
            td_arn = api.register_task_definition(self.aws.ecs, request)["taskDefinitionArn"]
            if "taskDefinition" in plan["request"]:
                plan["request"]["taskDefinition"] = td_arn
                plan["changes"]["taskDefinition"]["after"] = td_arn
        result["task_definition_arn"] = td_arn
        service = self.apply(current, plan, tags)
        started = plan["action"] == "create" or svc.starts_deployment(plan["request"])
        if not started or not self.params["wait"]:
            result["service"] = _snake(service)
            result["deployment_id"] = _primary_id(service) if started else None
            return result
        return self.wait_and_report(result, service, previous_td if previous_good else None)

    # --- autoscaling ---------------------------------------------------------------------

    def converge_autoscaling(self, result, params):
        """The ``autoscaling`` option: fargate_service_autoscaling's work in this process (a module process
        costs ~0.7 s), once the service exists (or, in check mode, would)."""
        clients = {"application-autoscaling": "autoscaling"}
        scaling = service_autoscaling.ServiceAutoscaling(
            params, lambda service: getattr(self.aws, clients.get(service, service)),
            check_mode=self.module.check_mode, warn=self.warnings.append, service_exists=True).run()
        result["changed"] = result.get("changed", False) or scaling["changed"]
        result["autoscaling"] = {key: scaling[key] for key in ("resource_id", "scalable_target", "policies",
                                                               "other_policies", "actions")}
        if scaling["changed"]:
            diff = result.setdefault("diff", {"before": {}, "after": {}})
            diff["before"]["autoscaling"] = scaling["diff"]["before"]
            diff["after"]["autoscaling"] = scaling["diff"]["after"]

    # --- alarms --------------------------------------------------------------------------

    def read_alarms(self, names):
        """{name: MetricAlarm} of those that exist; one call for up to 100, none without alarms."""
        if not names:
            return {}
        return {a["AlarmName"]: a for a in cloudwatch.describe_alarms(self.aws.cloudwatch, list(names))}

    def remove_alarms(self, result):
        """state=absent: the alarms given in ``alarms`` go with the service (they are the service's)."""
        names = [a["name"] for a in self.params.get("alarms") or []]
        existing = sorted(self.read_alarms(names))
        result["alarms_changed"] = existing
        if not existing:
            return
        result["changed"] = True
        diff = result.setdefault("diff", {"before": {}, "after": {}})
        diff["before"]["alarms"] = existing
        diff["after"]["alarms"] = []
        if not self.module.check_mode:
            cloudwatch.delete_alarms(self.aws.cloudwatch, existing)

    # --- removal -------------------------------------------------------------------------

    def remove(self):
        """Delete the service (its tasks stop; target groups, task definitions and the alarms of
        ``deployment.alarms`` stay) and wait
        until ECS reports it INACTIVE, so a service of the same name can be created right after."""
        try:
            current = api.describe_service(self.aws.ecs, self.cluster, self.name)
        except EcsopsAWSError as e:
            if e.code != "ClusterNotFoundException":
                raise
            current = None  # no cluster, no service: already absent
        result = {"changed": current is not None and current.get("status") != "DRAINING",
                  "service": _snake(current)}
        if current is None:
            return result
        if result["changed"]:
            result["diff"] = {"before": {"service": self.name, "status": current.get("status")},
                              "after": {"service": self.name, "status": "INACTIVE"}}
            if self.module.check_mode:
                return result
            api.delete_service(self.aws.ecs, self.cluster, self.name)
        if not self.params["wait"]:
            return result
        backoff = Backoff(self.params["poll_interval"], max(self.params["poll_interval"], self.params["poll_max_interval"]))
        deadline = self.clock() + self.params["wait_timeout"]
        while True:
            described = api.describe_service(self.aws.ecs, self.cluster, self.name)
            if described is None:
                result["service"] = {}
                return result
            if self.clock() >= deadline:
                result.update(failed=True, service=_snake(described),
                              msg=f"service {self.name} still {described.get('status')} with "
                                  f"{described.get('runningCount')} running task(s) after {self.params['wait_timeout']} s")
                return result
            self.sleep(min(backoff.current, max(0.0, deadline - self.clock())))
            backoff.quiet()

    # --- explicit rollback ---------------------------------------------------------------

    def roll_back(self):
        current = api.describe_service(self.aws.ecs, self.cluster, self.name)
        if current is None:
            raise RolloutInputError(f"service {self.name} does not exist in cluster {self.cluster}: nothing to roll back")
        target = self.rollback_target(current)
        result = {"changed": target != current["taskDefinition"], "task_definition_arn": target,
                  "task_definition_registered": False, "task_definition_differences": [],
                  "service_changes": {}, "rolled_back": False}
        if not result["changed"]:
            result["service"] = _snake(current)
            result["message"] = f"the service already runs {target}"
            return result
        result["service_changes"] = {"taskDefinition": {"before": current["taskDefinition"], "after": target}}
        result["diff"] = {"before": {"task_definition": current["taskDefinition"]}, "after": {"task_definition": target}}
        if self.module.check_mode:
            result["service"] = _snake(current)
            return result
        service = api.update_service(self.aws.ecs, self.cluster, self.name, {"taskDefinition": target})
        result["rolled_back"] = True
        if not self.params["wait"]:
            result["service"] = _snake(service)
            result["deployment_id"] = _primary_id(service)
            return result
        return self.wait_and_report(result, service, None)

    def rollback_target(self, current):
        revision = self.params.get("revision")
        if revision:
            reference = revision
            if str(revision).isdigit():
                family = current["taskDefinition"].rsplit("/", 1)[-1].split(":")[0]
                reference = f"{family}:{revision}"
            found = api.describe_task_definition(self.aws.ecs, reference)
            if found is None:
                raise RolloutInputError(f"task definition {reference} does not exist")
            return found["taskDefinitionArn"]
        # The previous good revision: the newest successful deployment whose revision differs from today's.
        deployments = api.list_successful_deployments(self.aws.ecs, self.cluster, self.name)
        arns = [d["targetServiceRevisionArn"] for d in deployments if d.get("targetServiceRevisionArn")]
        revisions = api.describe_service_revisions(self.aws.ecs, arns[:20]) if arns else []
        order = {arn: i for i, arn in enumerate(arns)}
        for revision_record in sorted(revisions, key=lambda r: order.get(r.get("serviceRevisionArn"), 0)):
            if revision_record.get("taskDefinition") and revision_record["taskDefinition"] != current["taskDefinition"]:
                return revision_record["taskDefinition"]
        raise RolloutInputError("no earlier successful deployment with another revision was found; give revision")

    # --- waiting ---------------------------------------------------------------------------

    def wait_and_report(self, result, service, last_good):
        deployment_id = _primary_id(service)
        watch = self.wait(deployment_id, service, spot_fallback=self.params.get("spot_fallback", True))
        if watch.outcome == "spot_fallback":
            deployment_id, service, watch = self.fall_back(result, service, deployment_id, watch)
        result["deployment_id"] = deployment_id
        result["deployment_outcome"] = watch.outcome
        result["timeline"] = watch.timeline()
        result["stop_reasons"] = dict(watch.stop_reasons)
        if watch.failed and watch.outcome in ("failed", "timeout") and self.params["rollback_on_failure"] \
                and last_good and last_good != watch.service_task_definition:
            rollback_service = api.update_service(self.aws.ecs, self.cluster, self.name, {"taskDefinition": last_good})
            rollback = self.wait(_primary_id(rollback_service), rollback_service)
            result["rolled_back"] = True
            result["rollback"] = {"deployment_id": _primary_id(rollback_service), "task_definition_arn": last_good,
                                  "outcome": rollback.outcome, "timeline": rollback.timeline()}
            revision_now = last_good if rollback.outcome == "succeeded" else rollback.service_task_definition
            result["failed"] = True
            result["msg"] = watch.message() + f"; rolled back to {last_good}: " + \
                (rollback.message(revision_now) if rollback.failed else f"the service now runs {revision_now}")
        elif watch.failed:
            result["failed"] = True
            result["rolled_back"] = watch.outcome == "rolled_back"
            result["msg"] = watch.message(watch.service_task_definition)
        else:
            result["message"] = watch.message()
        if "spot_fallback" in result:
            note = (f"Fargate Spot could not place deployment {result['spot_fallback']['spot_deployment_id']}'s "
                    f"tasks: fell back to FARGATE")
            key = "msg" if result.get("failed") else "message"
            result[key] = f"{note}; {result[key]}"
        result["revision_now"] = watch.service_task_definition
        final = api.describe_service(self.aws.ecs, self.cluster, self.name)
        result["service"] = _snake(final)
        if final:
            result["revision_now"] = final["taskDefinition"]
        return result

    def fall_back(self, result, service, spot_deployment_id, spot_watch):
        """Fargate Spot could not place the tasks: switch the strategy to FARGATE, redeploy, wait (in what is
        left of wait_timeout). Returns the new deployment id, the service and its watch."""
        before = svc.normalise_strategy((spot_watch.deployment or {}).get("capacityProviderStrategy")
                                        or service.get("capacityProviderStrategy"))
        after = spot_watch.fallback_strategy
        service = api.update_service(self.aws.ecs, self.cluster, self.name,
                                     {"capacityProviderStrategy": after, "forceNewDeployment": True})
        deployment_id = _primary_id(service)
        remaining = max(0.0, spot_watch.deadline - self.clock())
        watch = self.wait(deployment_id, service, timeout=remaining)
        result["changed"] = True
        result["spot_fallback"] = {"from": before, "to": after, "spot_deployment_id": spot_deployment_id,
                                   "deployment_id": deployment_id, "timeline": spot_watch.timeline()}
        self.warnings.append(f"Fargate Spot capacity was unavailable: deployment {spot_deployment_id} could not "
                             f"place its tasks; the service now uses capacity provider strategy {after} "
                             f"(deployment {deployment_id}). The next run with a FARGATE_SPOT strategy tries Spot again.")
        return deployment_id, service, watch

    def wait(self, deployment_id, service, spot_fallback=False, timeout=None):
        target_groups = sorted({lb["targetGroupArn"] for lb in service.get("loadBalancers") or []
                                if lb.get("targetGroupArn")})
        backoff = Backoff(self.params["poll_interval"], max(self.params["poll_interval"], self.params["poll_max_interval"]))
        watch = RolloutWatch(deployment_id, self.clock(), self.params["wait_timeout"] if timeout is None else timeout,
                             target_groups, known_events=service.get("events") or [], backoff=backoff)
        ips = {}
        while True:
            now = self.clock()
            described = api.describe_service(self.aws.ecs, self.cluster, self.name) or {"status": "INACTIVE"}
            needs = watch.observe_service(now, described)
            if spot_fallback and not watch.done and watch.watching == deployment_id:
                strategy = svc.spot_fallback((watch.deployment or {}).get("capacityProviderStrategy")
                                             or described.get("capacityProviderStrategy"),
                                             watch.spot_unavailable, watch.deployment)
                if strategy:
                    watch.fall_back(now, strategy)
                    return watch
            if "stopped_tasks" in needs:
                for source in watch.stopped_task_sources():
                    arns = [a for a in api.list_deployment_tasks(self.aws.ecs, self.cluster, source, "STOPPED")
                            if a not in watch.seen_stopped]
                    if arns:
                        watch.observe_stopped_tasks(now, api.describe_tasks(self.aws.ecs, self.cluster, arns))
            if "targets" in needs:
                arns = api.list_deployment_tasks(self.aws.ecs, self.cluster, deployment_id, "RUNNING")
                unknown = [a for a in arns if a not in ips]
                if unknown:
                    ips.update({t["taskArn"]: _task_ip(t) for t in api.describe_tasks(self.aws.ecs, self.cluster, unknown)})
                health = {tg: api.describe_target_health(self.aws.elbv2, tg) for tg in target_groups}
                watch.observe_targets(now, health, [ips[a] for a in arns if ips.get(a)])
            watch.check_timeout(self.clock())
            if watch.done:
                return watch
            self.sleep(watch.next_delay(self.clock()))

    # --- reading references (all before any write) ----------------------------------------

    def resolve_secrets(self):
        arns = {}
        references = taskdef.secret_references(self.params["containers"])
        ssm_refs = [ref for kind, ref in references if kind == "ssm"]
        missing = []
        for start in range(0, len(ssm_refs), 10):
            chunk = ssm_refs[start:start + 10]
            found, invalid = api.get_parameters(self.aws.ssm, chunk)
            for ref in chunk:
                match = next((p for p in found if ref in (p.get("Name"), p.get("ARN")) or
                              (p.get("ARN") or "").endswith("parameter/" + ref.lstrip("/"))), None)
                if match is None:
                    missing.append(f"SSM parameter {ref}")
                else:
                    arns[("ssm", ref)] = match["ARN"]
        for kind, ref in references:
            if kind == "secretsmanager":
                secret = api.describe_secret(self.aws.secretsmanager, ref)
                if secret is None:
                    missing.append(f"Secrets Manager secret {ref}")
                else:
                    arns[(kind, ref)] = secret["ARN"]
        if missing:
            raise RolloutInputError(f"secrets do not exist: {', '.join(missing)}")
        return arns

    def resolve_role(self, role):
        if not role or role.startswith("arn:"):
            return role
        found = api.get_role(self.aws.iam, role)
        if found is None:
            raise RolloutInputError(f"IAM role {role} does not exist")
        return found["Arn"]

    def check_log_groups(self):
        missing = [g for g in taskdef.log_groups(self.params["containers"]) if not api.log_group_exists(self.aws.logs, g)]
        if missing:
            raise RolloutInputError(f"log groups do not exist: {', '.join(missing)}")

    def resolve_target_groups(self, current):
        load_balancers = self.params.get("load_balancers")
        if load_balancers is None:
            return {}
        known = {lb.get("targetGroupArn") for lb in (current or {}).get("loadBalancers") or []}
        wanted = [lb["target_group"] for lb in load_balancers]
        resolved = {ref: ref for ref in wanted if ref in known}
        names = sorted({ref for ref in wanted if ref not in resolved and not ref.startswith("arn:")})
        arns = sorted({ref for ref in wanted if ref not in resolved and ref.startswith("arn:")})
        for kind, refs in (("names", names), ("arns", arns)):
            if not refs:
                continue
            groups = api.describe_target_groups(self.aws.elbv2, **{kind: refs})
            for ref in refs:
                group = next((g for g in groups if ref in (g["TargetGroupName"], g["TargetGroupArn"])), None)
                if group is None:
                    raise RolloutInputError(f"target group {ref} does not exist")
                if not group.get("LoadBalancerArns"):
                    raise RolloutInputError(f"target group {ref} is not attached to a load balancer")
                resolved[ref] = group["TargetGroupArn"]
        return resolved

    def check_network(self, current, desired):
        """Unknown subnets or security groups fail here, checked only when they would be sent."""
        network = desired.get("networkConfiguration")
        if not network or (current and svc.current_fields(current).get("networkConfiguration") == network):
            return
        awsvpc = network["awsvpcConfiguration"]
        if not awsvpc["subnets"]:
            raise RolloutInputError("subnets must name at least one subnet")
        if api.describe_subnets(self.aws.ec2, awsvpc["subnets"]) is None:
            raise RolloutInputError(f"one of the subnets {', '.join(awsvpc['subnets'])} does not exist")
        if awsvpc["securityGroups"] and api.describe_security_groups(self.aws.ec2, awsvpc["securityGroups"]) is None:
            raise RolloutInputError(f"one of the security groups {', '.join(awsvpc['securityGroups'])} does not exist")

    def desired_count_managed(self, current):
        wanted = self.params.get("desired_count")
        if current is None or wanted is None or wanted == current.get("desiredCount") \
                or self.params["desired_count_on_update"] != "auto":
            return False
        # With the autoscaling option, this run manages the scalable target: no need to ask.
        managed = self.params.get("autoscaling") is not None or \
            api.scalable_target_exists(self.aws.autoscaling, self.cluster, self.name)
        if managed:
            self.warnings.append(f"desired_count {wanted} not applied: Application Auto Scaling manages the "
                                 f"service's desired count (now {current.get('desiredCount')}); "
                                 f"set desired_count_on_update=always to force it")
        return managed

    def previous_revision(self, current):
        """The revision running before this rollout, and whether its deployment had completed (a good one)."""
        if not current:
            return None, False
        primary = next((d for d in current.get("deployments") or [] if d.get("status") == "PRIMARY"), {})
        return current["taskDefinition"], primary.get("rolloutState") in ("COMPLETED", None) \
            and len(current.get("deployments") or []) <= 1

    # --- writing ---------------------------------------------------------------------------

    def apply(self, current, plan, tags):
        if plan["action"] == "create":
            request = dict(plan["request"])
            if self.params.get("tags"):
                request["tags"] = [{"key": k, "value": str(v)} for k, v in sorted(self.params["tags"].items())]
            if self.params.get("propagate_tags") is None:
                request.pop("propagateTags", None)
            return api.create_service(self.aws.ecs, self.cluster, self.name, request)
        service = current
        if plan["request"]:
            service = api.update_service(self.aws.ecs, self.cluster, self.name, plan["request"])
        if tags["add"]:
            api.tag_resource(self.aws.ecs, current["serviceArn"], tags["add"])
        if tags["remove"]:
            api.untag_resource(self.aws.ecs, current["serviceArn"], tags["remove"])
        return service

    def diff(self, current, current_td, desired, request, plan, tags):
        before_service = {k: v["before"] for k, v in plan["changes"].items()}
        after_service = {k: v["after"] for k, v in plan["changes"].items()}
        if tags["add"] or tags["remove"]:
            current_tags = svc.tags_dict((current or {}).get("tags"))
            before_service["tags"] = current_tags
            after_service["tags"] = dict({k: v for k, v in current_tags.items() if k not in tags["remove"]},
                                         **tags["add"])
        return {"before": {"task_definition": taskdef.normalise(current_td), "service": before_service},
                "after": {"task_definition": taskdef.normalise(request), "service": after_service}}


def autoscaling_params(params):
    """fargate_service_autoscaling's parameters from the ``autoscaling`` option (None without it), validated
    against its argument spec and its checks, before anything is written. Raises RolloutInputError."""
    if params.get("autoscaling") is None:
        return None
    validated = ArgumentSpecValidator(service_autoscaling.options()).validate(params["autoscaling"])
    if validated.error_messages:
        raise RolloutInputError("autoscaling: " + "; ".join(validated.error_messages))
    scaling = dict(validated.validated_parameters, cluster=params["cluster"], service=params["name"],
                   state="absent" if params["state"] == "absent" else "present")
    try:
        service_autoscaling.validate(scaling)
    except service_autoscaling.AutoscalingInputError as e:
        raise RolloutInputError(f"autoscaling: {e}") from e
    return scaling


def _primary_id(service):
    primary = next((d for d in (service or {}).get("deployments") or [] if d.get("status") == "PRIMARY"), None)
    return primary["id"] if primary else None


def _task_ip(task):
    for attachment in task.get("attachments") or []:
        for detail in attachment.get("details") or []:
            if detail.get("name") == "privateIPv4Address":
                return detail.get("value")
    for container in task.get("containers") or []:
        for interface in container.get("networkInterfaces") or []:
            if interface.get("privateIpv4Address"):
                return interface["privateIpv4Address"]
    return None


def _snake(service):
    if not service:
        return {}
    return camel_dict_to_snake_dict(service, ignore_list=["tags"])


def run_module(module):
    """Run the rollout for a module; returns the result dict (``failed`` set when the rollout failed)."""
    rollout = Rollout(module)
    result = rollout.run()
    if rollout.warnings:
        for warning in rollout.warnings:
            module.warn(warning)
    return result
