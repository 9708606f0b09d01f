"""The API layer: retry on throttling, one typed error, 'missing' mapping, call counts."""

from __future__ import annotations

import boto3
import botocore.exceptions
import pytest
from botocore.stub import Stubber

from ansible_collections.ecsops.fargate.plugins.module_utils import api
from ansible_collections.ecsops.fargate.plugins.module_utils.api import ApiCallCounter
from ansible_collections.ecsops.fargate.plugins.module_utils.api import EcsopsAWSError
from ansible_collections.ecsops.fargate.plugins.module_utils.api import api_call


@pytest.fixture(name="sleeps")
def fixture_sleeps(monkeypatch):
    """Record backoff sleeps instead of sleeping (AWSRetry sleeps via cloud.time.sleep)."""
    recorded = []
    from ansible_collections.amazon.aws.plugins.module_utils import cloud

    monkeypatch.setattr(cloud.time, "sleep", recorded.append)
    return recorded


@pytest.fixture(name="ecs")
def fixture_ecs():
    client = boto3.client(
        "ecs",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        endpoint_url="http://127.0.0.1:1",  # never reached: Stubber answers every call
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


@api_call("list ECS clusters", retries=4)
def list_clusters(client):
    return client.list_clusters()["clusterArns"]


@api_call("describe ECS service", missing_codes=["ServiceNotFoundException"], missing_value={})
def describe_service(client, cluster, name):
    return client.describe_services(cluster=cluster, services=[name])["services"][0]


ARNS = {"clusterArns": ["arn:aws:ecs:us-east-1:123456789012:cluster/app"]}


def test_success_returns_the_value_without_sleeping(ecs, sleeps):
    client, stubber = ecs
    stubber.add_response("list_clusters", ARNS)
    assert list_clusters(client) == ARNS["clusterArns"]
    assert sleeps == []


@pytest.mark.parametrize(
    "code",
    [
        "ThrottlingException",  # ECS, ECR, Logs, Application Auto Scaling: not in AWSRetry's own list
        "Throttling",  # ELBv2, CloudWatch
        "TooManyRequestsException",
        "RequestLimitExceeded",  # EC2
    ],
)
def test_throttling_is_retried_with_backoff_then_succeeds(ecs, sleeps, code):
    client, stubber = ecs
    stubber.add_client_error("list_clusters", service_error_code=code, http_status_code=400)
    stubber.add_client_error("list_clusters", service_error_code=code, http_status_code=400)
    stubber.add_response("list_clusters", ARNS)

    assert list_clusters(client) == ARNS["clusterArns"]
    assert len(sleeps) == 2
    # Jittered: each sleep is drawn from [0, delay * 2**n].
    assert 0 <= sleeps[0] <= 1 and 0 <= sleeps[1] <= 2


def test_throttling_that_never_ends_fails_after_the_retry_budget(ecs, sleeps):
    client, stubber = ecs
    for _attempt in range(4):
        stubber.add_client_error("list_clusters", service_error_code="ThrottlingException", http_status_code=400)

    with pytest.raises(EcsopsAWSError) as raised:
        list_clusters(client)
    assert raised.value.code == "ThrottlingException"
    assert len(sleeps) == 3  # 4 attempts, a sleep between each


@pytest.mark.parametrize("code", ["AccessDeniedException", "InvalidParameterException", "LimitExceededException"])
def test_other_errors_fail_at_once_as_one_typed_error(ecs, sleeps, code):
    client, stubber = ecs
    stubber.add_client_error("list_clusters", service_error_code=code, service_message="nope", http_status_code=400)

    with pytest.raises(EcsopsAWSError) as raised:
        list_clusters(client)
    err = raised.value
    assert err.message == "Failed to list ECS clusters"
    assert err.code == code
    assert isinstance(err.exception, botocore.exceptions.ClientError)
    assert "nope" in str(err)
    assert sleeps == []


def test_missing_codes_return_the_missing_value(ecs, sleeps):
    client, stubber = ecs
    stubber.add_client_error("describe_services", service_error_code="ServiceNotFoundException", http_status_code=400)
    assert describe_service(client, "app", "web") == {}
    assert sleeps == []


def test_missing_codes_do_not_hide_other_errors(ecs, sleeps):
    client, stubber = ecs
    stubber.add_client_error("describe_services", service_error_code="ClusterNotFoundException", http_status_code=400)
    with pytest.raises(EcsopsAWSError, match="Failed to describe ECS service"):
        describe_service(client, "app", "web")


def test_botocore_errors_become_the_typed_error(sleeps):
    @api_call("reach ECS")
    def unreachable():
        raise botocore.exceptions.EndpointConnectionError(endpoint_url="http://127.0.0.1:1")

    with pytest.raises(EcsopsAWSError) as raised:
        unreachable()
    assert raised.value.message == "Failed to reach ECS"
    assert raised.value.code is None
    assert sleeps == []


def test_waiter_timeouts_say_timeout():
    @api_call("wait for the service to be stable")
    def wait():
        raise botocore.exceptions.WaiterError(name="ServicesStable", reason="Max attempts exceeded", last_response={})

    with pytest.raises(EcsopsAWSError, match="Timeout trying to wait for the service to be stable"):
        wait()


def test_decorated_functions_keep_their_name_and_doc():
    assert list_clusters.__name__ == "list_clusters"
    assert describe_service.__wrapped__ is not None


def test_throttling_codes_leave_quota_errors_out():
    assert "ThrottlingException" in api.THROTTLING_ERROR_CODES
    assert "LimitExceededException" not in api.THROTTLING_ERROR_CODES


def test_counter_counts_calls_per_operation_including_retried_ones(ecs, sleeps):
    client, stubber = ecs
    counter = ApiCallCounter()
    counter.attach(client)
    counter.attach(client)  # attaching twice must not double count

    stubber.add_client_error("list_clusters", service_error_code="ThrottlingException", http_status_code=400)
    stubber.add_response("list_clusters", ARNS)
    stubber.add_response("describe_services", {"services": [{"serviceName": "web"}]})
    list_clusters(client)
    describe_service(client, "app", "web")

    assert counter.as_dict()["by_operation"] == {"ecs:DescribeServices": 1, "ecs:ListClusters": 2}
    assert counter.total == 3
    # Stubber answers before anything is sent, so no HTTP attempt is recorded.
    assert counter.attempts == 0


def test_counter_attempts_include_botocore_retries(monkeypatch):
    """A call botocore retried once is one call but two HTTP attempts."""
    from botocore.awsrequest import AWSResponse

    monkeypatch.setattr(botocore.endpoint.time, "sleep", lambda _s: None)
    client = boto3.client(
        "ecs",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        endpoint_url="http://127.0.0.1:1",
    )
    counter = ApiCallCounter()
    counter.attach(client)

    bodies = [
        (400, b'{"__type": "ThrottlingException", "message": "Rate exceeded"}'),
        (200, b'{"clusterArns": []}'),
    ]

    def fake_transport(request, **kwargs):
        status, body = bodies.pop(0)
        return AWSResponse(request.url, status, {"Content-Type": "application/x-amz-json-1.1"}, _Raw(body))

    # Registered after the counter, so the counter still sees every attempt.
    client.meta.events.register("before-send.*.*", fake_transport)

    assert list_clusters(client) == []
    assert counter.total == 1
    assert counter.attempts == 2


class _Raw:
    """The minimal raw-response object AWSResponse reads its body from."""

    def __init__(self, body):
        self._body = body

    def stream(self, **kwargs):
        yield self._body
