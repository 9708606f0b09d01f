# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The API layer: how every boto3 call in this collection is made.

Each call lives in a small function in module_utils, decorated once:

    @api_call("describe ECS clusters")
    def describe_clusters(client, names):
        return client.describe_clusters(clusters=names, include=["SETTINGS"])["clusters"]

    @api_call("describe ECS service", missing_codes=["ServiceNotFoundException"])
    def describe_service(client, cluster, name):
        ...  # returns None when AWS says the service does not exist

The decorator retries throttling with amazon.aws's jittered backoff and turns every
botocore error into one typed exception, EcsopsAWSError, which a module catches and
hands to ``module.fail_json_aws_error(e)``. Modules never see botocore exceptions and
never write try/except around single calls.
"""

from __future__ import annotations

import collections
import functools

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

# AWSRetry only knows the EC2 spellings (Throttling, RequestLimitExceeded, ...).
# ECS, ECR, CloudWatch Logs, Application Auto Scaling and Cloud Map answer
# "ThrottlingException"; the rest are other services' names for the same thing.
# LimitExceededException is left out on purpose: for ECS and ELBv2 it is a quota
# (e.g. 100 target groups per ALB), and retrying a quota only delays the failure.
THROTTLING_ERROR_CODES = (
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
    "BandwidthLimitExceeded",
)

# Backoff defaults: register_task_definition allows a burst of 20 and then 1 per
# second, so a short first delay recovers quickly while 10 tries still ride out a
# longer throttle (at most about 3 minutes in total).
DEFAULT_RETRIES = 10
DEFAULT_DELAY = 1
DEFAULT_MAX_DELAY = 30


class EcsopsAWSError(AnsibleAWSError):
    """The one exception the API layer raises; ``module.fail_json_aws_error(e)`` reports it."""

    @property
    def code(self):
        """The AWS error code (e.g. ``ClusterNotFoundException``), or None."""
        response = getattr(self.exception, "response", None) or {}
        return response.get("Error", {}).get("Code")


class EcsopsErrorHandler(AWSErrorHandler):
    """amazon.aws's error handler, raising EcsopsAWSError ("Failed to <description>")."""

    _CUSTOM_EXCEPTION = EcsopsAWSError


def api_call(
    description,
    missing_codes=(),
    missing_value=None,
    retries=DEFAULT_RETRIES,
    delay=DEFAULT_DELAY,
    max_delay=DEFAULT_MAX_DELAY,
):
    """Decorate a function that makes one AWS API call.

    :param description: what the call does, for the error message ("describe ECS clusters").
    :param missing_codes: AWS error codes that mean "it does not exist"; the function then
        returns ``missing_value`` instead of failing (for describe and delete calls).
    :param retries, delay, max_delay: jittered backoff on throttling, see AWSRetry.
    """
    retry = AWSRetry.jittered_backoff(
        retries=retries,
        delay=delay,
        max_delay=max_delay,
        catch_extra_error_codes=list(THROTTLING_ERROR_CODES),
    )
    missing = list(missing_codes)

    def decorator(func):
        retried = retry(func)

        @EcsopsErrorHandler.common_error_handler(description)
        @functools.wraps(func)
        def call(*args, **kwargs):
            try:
                return retried(*args, **kwargs)
            except is_boto3_error_code(missing):
                return missing_value

        return call

    return decorator


class ApiCallCounter:
    """Count the API calls made by the boto3 clients attached to it.

    ``calls`` counts operations as the caller made them ("ecs:DescribeServices");
    ``attempts`` counts HTTP requests, which is higher when botocore or our backoff
    retried. Hooks botocore's event system, so it sees every call whoever makes it.
    """

    def __init__(self):
        self.calls = collections.Counter()
        self.attempts = 0
        self._emitters = []

    def attach(self, client):
        emitter = client.meta.events
        if not any(emitter is seen for seen in self._emitters):
            self._emitters.append(emitter)
            # register_first: botocore stops at the first before-call handler that
            # answers (Stubber does), so ours must run before any of them.
            emitter.register_first("before-call.*.*", self._on_call)
            emitter.register_first("before-send.*.*", self._on_send)
        return client

    def _on_call(self, model, **kwargs):
        self.calls[f"{model.service_model.endpoint_prefix}:{model.name}"] += 1

    def _on_send(self, **kwargs):
        self.attempts += 1

    @property
    def total(self):
        return sum(self.calls.values())

    def as_dict(self):
        return {"total": self.total, "attempts": self.attempts, "by_operation": dict(sorted(self.calls.items()))}
