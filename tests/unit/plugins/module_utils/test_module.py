"""EcsopsAWSModule: user agent stamp, call counts in every result, typed-error reporting."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from botocore.stub import Stubber

from ansible.module_utils.testing import patch_module_args
from ansible_collections.ecsops.fargate.plugins.module_utils.api import EcsopsAWSError
from ansible_collections.ecsops.fargate.plugins.module_utils.api import api_call
from ansible_collections.ecsops.fargate.plugins.module_utils.common import COLLECTION_NAME
from ansible_collections.ecsops.fargate.plugins.module_utils.common import COLLECTION_VERSION
from ansible_collections.ecsops.fargate.plugins.module_utils.module import EcsopsAWSModule

ROOT = Path(__file__).resolve().parents[4]

SANDBOX_ARGS = {
    "region": "us-east-1",
    "endpoint_url": "http://127.0.0.1:1",  # never reached: Stubber answers
    "access_key": "testing",
    "secret_key": "testing",
}


@pytest.fixture(name="module")
def fixture_module():
    with patch_module_args(dict(SANDBOX_ARGS, name="web")):
        yield EcsopsAWSModule(argument_spec={"name": {"type": "str", "required": True}}, supports_check_mode=True)


def _result(capsys, exc_info):
    return exc_info.value.code, json.loads(capsys.readouterr().out)


def test_collection_identity_matches_galaxy_yml():
    galaxy = yaml.safe_load((ROOT / "galaxy.yml").read_text())
    assert COLLECTION_NAME == f"{galaxy['namespace']}.{galaxy['name']}"
    assert COLLECTION_VERSION == galaxy["version"]


def test_user_agent_names_the_collection(module):
    ecs = module.client("ecs")
    user_agent = ecs.meta.config.user_agent
    assert f"{COLLECTION_NAME}/{COLLECTION_VERSION}" in user_agent
    assert "APN/1.0 Ansible/" in user_agent


def test_clients_share_one_session_and_keep_the_connection_options(module):
    ecs, logs = module.client("ecs"), module.client("logs")
    # One botocore loader: the second client did not read the endpoint and model data again.
    assert ecs.meta.events is not logs.meta.events
    assert ecs._loader is logs._loader  # pylint: disable=protected-access
    assert ecs.meta.endpoint_url == logs.meta.endpoint_url == "http://127.0.0.1:1"
    assert ecs.meta.region_name == logs.meta.region_name == "us-east-1"
    assert logs.meta.config.user_agent == ecs.meta.config.user_agent


def test_amazon_aws_options_are_inherited(module):
    assert module.params["name"] == "web"
    assert module.region == "us-east-1"
    assert module.params["endpoint_url"] == "http://127.0.0.1:1"


def test_exit_json_reports_the_api_calls_made(module, capsys):
    ecs = module.client("ecs")
    with Stubber(ecs) as stubber:
        stubber.add_response("list_clusters", {"clusterArns": []})
        stubber.add_response("list_clusters", {"clusterArns": []})
        ecs.list_clusters()
        ecs.list_clusters()

    with pytest.raises(SystemExit) as exited:
        module.exit_json(changed=False)
    rc, result = _result(capsys, exited)
    assert rc == 0
    assert result["api_calls"]["total"] == 2
    assert result["api_calls"]["by_operation"] == {"ecs:ListClusters": 2}


def test_a_result_without_calls_says_so(module, capsys):
    with pytest.raises(SystemExit) as exited:
        module.exit_json(changed=False)
    _rc, result = _result(capsys, exited)
    assert result["api_calls"] == {"total": 0, "attempts": 0, "by_operation": {}}


@api_call("create ECS cluster")
def _create_cluster(client, name):
    return client.create_cluster(clusterName=name)["cluster"]


def test_typed_error_is_reported_with_the_aws_error_code(module, capsys):
    ecs = module.client("ecs")
    with Stubber(ecs) as stubber:
        stubber.add_client_error(
            "create_cluster",
            service_error_code="AccessDeniedException",
            service_message="not allowed",
            http_status_code=400,
        )
        with pytest.raises(SystemExit) as exited:
            try:
                _create_cluster(ecs, "app")
            except EcsopsAWSError as e:
                module.fail_json_aws_error(e)

    rc, result = _result(capsys, exited)
    assert rc == 1
    assert result["failed"] is True
    assert result["msg"].startswith("Failed to create ECS cluster: ")
    assert "not allowed" in result["msg"]
    assert result["error"]["code"] == "AccessDeniedException"
    assert result["api_calls"]["by_operation"] == {"ecs:CreateCluster": 1}
    assert "boto3_version" in result
