"""ECS API hooks: moto stores clusters, task definitions and the service record; these hooks answer
with the simulated deployments, tasks and events, and add the calls moto lacks."""

import base64
import json

from ..hooks import after, before
from ..protocol import AwsError
from . import render
from .scheduler import EventBatch


def _area(sb):
    return sb.area("ecs")


@after("ecs", "CreateService")
def create_service(sb, call):
    svc = _area(sb).create_service(call.region, call.account, call.params, call.response["service"], sb.now())
    call.response["service"] = render.service(svc)


@after("ecs", "UpdateService")
def update_service(sb, call):
    area = _area(sb)
    svc = area.find(call.region, call.params.get("cluster"), call.params["service"])
    if svc is None:
        return
    area.update_service(svc, call.params, sb.now())
    call.response["service"] = render.service(svc)


@after("ecs", "DeleteService")
def delete_service(sb, call):
    area = _area(sb)
    svc = area.find(call.region, call.params.get("cluster"), call.params["service"])
    if svc is None:
        return
    area.delete_service(svc, sb.now())
    call.response["service"] = render.service(svc)


@after("ecs", "DescribeServices")
def describe_services(sb, call):
    area = _area(sb)
    include_tags = "TAGS" in (call.params.get("include") or [])
    services = []
    for moto_json in call.response.get("services", []):
        svc = area.services.get(moto_json["serviceArn"])
        services.append(render.service(svc, include_tags) if svc is not None else moto_json)
    call.response["services"] = services


@after("ecs", "ListServices")
def list_services(sb, call):
    """ListServices does not return INACTIVE (deleted) services."""
    area = _area(sb)
    call.response["serviceArns"] = [
        arn for arn in call.response.get("serviceArns", [])
        if arn not in area.services or area.services[arn].status != "INACTIVE"
    ]


# -- tasks ---------------------------------------------------------------------------------
def _cluster_name(sb, call) -> str:
    return sb.backend("ecs", call.region)._get_cluster(call.params.get("cluster") or "default").name


@after("ecs", "ListTasks")
def list_tasks(sb, call):
    """Service tasks come from the scheduler; moto's own (RunTask) tasks stay, except when a service is
    named (moto cannot tell). Without desiredStatus, ECS lists tasks whose desired status is RUNNING."""
    params = call.params
    cluster = _cluster_name(sb, call)
    desired = params.get("desiredStatus") or "RUNNING"
    family = params.get("family")
    started_by = params.get("startedBy")
    service_name = params.get("serviceName")
    launch_type = params.get("launchType")
    ours = []
    for task in _area(sb).tasks.values():
        if task.region != call.region or task.cluster_name != cluster or task.desired_status != desired:
            continue
        if service_name and service_name not in (task.service.name, task.service.arn):
            continue
        if family and family != task.family:
            continue
        if started_by and started_by != task.deployment.id:
            continue
        if launch_type and launch_type != task.launch_type:
            continue
        ours.append(task.arn)
    theirs = [] if service_name else call.response.get("taskArns", [])
    arns = theirs + ours
    start = _decode_token(params.get("nextToken"))
    size = params.get("maxResults") or 100
    call.response["taskArns"] = arns[start:start + size]
    if start + size < len(arns):
        call.response["nextToken"] = _encode_token(start + size)
    else:
        call.response.pop("nextToken", None)


@after("ecs", "DescribeTasks")
def describe_tasks(sb, call):
    requested = call.params.get("tasks") or []
    if len(requested) > 100:
        raise AwsError("InvalidParameterException", "Tasks cannot contain more than 100 elements.")
    cluster = _cluster_name(sb, call)
    include_tags = "TAGS" in (call.params.get("include") or [])
    known = {t["taskArn"] for t in call.response.get("tasks", [])}
    tasks = list(call.response.get("tasks", []))
    failures = []
    by_id = {t.id: t for t in _area(sb).tasks.values() if t.region == call.region and t.cluster_name == cluster}
    for reference in requested:
        task = by_id.get(reference.rsplit("/", 1)[-1])
        if task is not None:
            tasks.append(render.task(task, include_tags))
        elif not any(arn.rsplit("/", 1)[-1] == reference.rsplit("/", 1)[-1] for arn in known):
            arn = reference if reference.startswith("arn:") else \
                f"arn:aws:ecs:{call.region}:{call.account}:task/{cluster}/{reference}"
            failures.append({"arn": arn, "reason": "MISSING"})
    call.response["tasks"] = tasks
    call.response["failures"] = failures


@before("ecs", "StopTask")
def stop_task(sb, call):
    area = _area(sb)
    reference = call.params.get("task", "")
    cluster = _cluster_name(sb, call)
    task = next((t for t in area.tasks.values() if t.region == call.region and t.cluster_name == cluster
                 and t.id == reference.rsplit("/", 1)[-1]), None)
    if task is None:
        return None
    if task.desired_status == "RUNNING":
        batch = EventBatch()
        area.scheduler.stop_task(task.service, task, "UserInitiated", call.params.get("reason") or
                                 "Task stopped by user", sb.now(), batch)
        batch.flush(area.scheduler, task.service, sb.now())
    return {"task": render.task(task)}


# -- service deployments (moto lacks them) --------------------------------------------------
@before("ecs", "ListServiceDeployments")
def list_service_deployments(sb, call):
    params = call.params
    area = _area(sb)
    backend = sb.backend("ecs", call.region)
    try:
        backend._get_cluster(params.get("cluster") or "default")
    except Exception:
        raise AwsError("ClusterNotFoundException", "Cluster not found.")
    svc = area.find(call.region, params.get("cluster"), params["service"])
    if svc is None:
        raise AwsError("ServiceNotFoundException", "Service not found.")
    statuses = set(params.get("status") or [])
    created = params.get("createdAt") or {}
    records = [r for r in area.records.values() if r.service is svc]
    records.sort(key=lambda r: r.created_at, reverse=True)
    chosen = [r for r in records if (not statuses or r.status in statuses)
              and (created.get("after") is None or r.created_at >= _epoch(created["after"]))
              and (created.get("before") is None or r.created_at <= _epoch(created["before"]))]
    start = _decode_token(params.get("nextToken"))
    size = params.get("maxResults") or 20
    out = {"serviceDeployments": [render.service_deployment_brief(r) for r in chosen[start:start + size]]}
    if start + size < len(chosen):
        out["nextToken"] = _encode_token(start + size)
    return out


@before("ecs", "DescribeServiceDeployments")
def describe_service_deployments(sb, call):
    arns = call.params.get("serviceDeploymentArns") or []
    if not arns:
        raise AwsError("InvalidParameterException", "serviceDeploymentArns cannot be empty.")
    if len(arns) > 20:
        raise AwsError("InvalidParameterException", "serviceDeploymentArns cannot contain more than 20 elements.")
    records = _area(sb).records
    found, failures = [], []
    for arn in arns:
        record = records.get(arn)
        if record is None:
            failures.append({"arn": arn, "reason": "MISSING"})
        else:
            found.append(render.service_deployment(record))
    return {"serviceDeployments": found, "failures": failures}


@before("ecs", "DescribeServiceRevisions")
def describe_service_revisions(sb, call):
    arns = call.params.get("serviceRevisionArns") or []
    if not arns:
        raise AwsError("InvalidParameterException", "serviceRevisionArns cannot be empty.")
    if len(arns) > 20:
        raise AwsError("InvalidParameterException", "serviceRevisionArns cannot contain more than 20 elements.")
    area = _area(sb)
    # A revision is what a deployment rolled out: every deployment has a record, kept after it drained.
    revisions = {r.service.revision_arn(r.target): r.target for r in area.records.values()}
    for svc in area.services.values():
        revisions.update((svc.revision_arn(d), d) for d in svc.deployments)
    found, failures = [], []
    for arn in arns:
        deployment = revisions.get(arn)
        if deployment is None:
            failures.append({"arn": arn, "reason": "MISSING"})
        else:
            found.append(render.service_revision(deployment, sb.backend("ecs", call.region)))
    return {"serviceRevisions": found, "failures": failures}


def _epoch(value) -> float:
    return float(value)


def _encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def _decode_token(token: str | None) -> int:
    if not token:
        return 0
    try:
        return int(json.loads(base64.urlsafe_b64decode(token.encode()))["offset"])
    except (ValueError, KeyError, TypeError):
        raise AwsError("InvalidParameterException", "Invalid nextToken.")


@after("ecs", "CreateCluster", "DescribeClusters", "PutClusterCapacityProviders", "UpdateCluster", "DeleteCluster")
def _cluster_lists_always_present(sb, call):
    # AWS answers empty lists; moto leaves the keys out, which breaks clients that compare them
    # (community.aws.ecs_cluster reports a change on every run).
    clusters = call.response.get("clusters") or [call.response.get("cluster") or {}]
    for cluster in clusters:
        if cluster:
            cluster.setdefault("capacityProviders", [])
            cluster.setdefault("defaultCapacityProviderStrategy", [])
