# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The one base class for every ecsops.fargate module.

    from ansible_collections.ecsops.fargate.plugins.module_utils.module import EcsopsAWSModule

    module = EcsopsAWSModule(argument_spec=spec, supports_check_mode=True)
    ecs = module.client("ecs")
    try:
        ...  # call functions from the API layer (module_utils/api.py)
    except EcsopsAWSError as e:
        module.fail_json_aws_error(e)
    module.exit_json(changed=..., ...)

On top of amazon.aws's AnsibleAWSModule (standard AWS options, endpoint_url for the
sandbox, fail_json_aws) it stamps this collection into the boto3 user agent, so
CloudTrail shows which tool made a call, and counts the API calls of every client it
creates. The counts come back in each result as ``api_calls``: benchmarks read them,
and tests assert call budgets (a run that changes nothing must stay cheap).
"""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.common import set_collection_info
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.ecsops.fargate.plugins.module_utils.api import ApiCallCounter
from ansible_collections.ecsops.fargate.plugins.module_utils.common import COLLECTION_NAME
from ansible_collections.ecsops.fargate.plugins.module_utils.common import COLLECTION_VERSION


class EcsopsAWSModule(AnsibleAWSModule):
    """AnsibleAWSModule that identifies ecsops.fargate and counts its API calls."""

    def __init__(self, **kwargs):
        # Set before the parent's __init__: its __getattr__ recurses on unknown names
        # until self._module exists, and fail_json below reads this.
        self.api_calls = ApiCallCounter()
        super().__init__(**kwargs)
        set_collection_info(collection_name=COLLECTION_NAME, collection_version=COLLECTION_VERSION)

    def client(self, service, retry_decorator=None, **extra_params):
        conn = super().client(service, retry_decorator=retry_decorator, **extra_params)
        # A RetryingBotoClientWrapper forwards .meta to the real client.
        self.api_calls.attach(conn)
        return conn

    def resource(self, service, **extra_params):
        res = super().resource(service, **extra_params)
        self.api_calls.attach(res.meta.client)
        return res

    def exit_json(self, *args, **kwargs):
        kwargs.setdefault("api_calls", self.api_calls.as_dict())
        super().exit_json(*args, **kwargs)

    def fail_json(self, *args, **kwargs):
        kwargs.setdefault("api_calls", self.api_calls.as_dict())
        super().fail_json(*args, **kwargs)
