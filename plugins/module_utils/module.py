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

try:
    import boto3
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports a missing boto3/botocore

from ansible_collections.amazon.aws.plugins.module_utils.botocore import _get_user_agent_string
from ansible_collections.amazon.aws.plugins.module_utils.botocore import _merge_botocore_config
from ansible_collections.amazon.aws.plugins.module_utils.botocore import get_aws_connection_info
from ansible_collections.amazon.aws.plugins.module_utils.common import set_collection_info
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper

from ansible_collections.ecsops.fargate.plugins.module_utils.api import ApiCallCounter
from ansible_collections.ecsops.fargate.plugins.module_utils.common import COLLECTION_NAME
from ansible_collections.ecsops.fargate.plugins.module_utils.common import COLLECTION_VERSION


class EcsopsAWSModule(AnsibleAWSModule):
    """AnsibleAWSModule that identifies ecsops.fargate and counts its API calls."""

    def __init__(self, **kwargs):
        # Set before the parent's __init__: its __getattr__ recurses on unknown names
        # until self._module exists, and fail_json below reads this.
        self.api_calls = ApiCallCounter()
        self._sessions = {}
        super().__init__(**kwargs)
        set_collection_info(collection_name=COLLECTION_NAME, collection_version=COLLECTION_VERSION)

    def client(self, service, retry_decorator=None, **extra_params):
        """A boto3 client as AnsibleAWSModule.client builds it (same options, config and user agent),
        from one boto3 Session per module run: amazon.aws makes a Session per client, and each new
        Session reads botocore's endpoint and model data again (about 0.1 s a client)."""
        region, endpoint_url, params = get_aws_connection_info(self)
        params = dict(params, **extra_params)
        config = botocore.config.Config(user_agent=_get_user_agent_string())
        for key in ("config", "aws_config"):
            config = _merge_botocore_config(config, params.pop(key, None))
        profile = params.pop("profile_name", None)
        try:
            if profile not in self._sessions:
                self._sessions[profile] = boto3.session.Session(profile_name=profile)
            conn = self._sessions[profile].client(service, config=config, region_name=region,
                                                  endpoint_url=endpoint_url, **params)
        except botocore.exceptions.NoRegionError:
            self.fail_json(msg=f"The {self._name} module requires a region and none was found in configuration, "
                               "environment variables or module parameters")
        except (ValueError, botocore.exceptions.BotoCoreError) as e:
            self.fail_json_aws(e, msg="Couldn't connect to AWS")
        if retry_decorator is not None:
            conn = RetryingBotoClientWrapper(conn, retry_decorator)
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
