# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""AWS Lambda calls (the scale_to_zero waker), one small function each under ``api_call``.

Shapes are boto3's. "Does not exist" (ResourceNotFoundException) becomes None for reads and deletes.
"""

from __future__ import annotations

import base64
import hashlib

from ansible_collections.ecsops.fargate.plugins.module_utils.api import api_call

MISSING = ["ResourceNotFoundException"]


def code_sha256(zip_bytes):
    """The CodeSha256 Lambda reports for a deployment package: base64 of the SHA-256 digest."""
    return base64.b64encode(hashlib.sha256(zip_bytes).digest()).decode("ascii")


@api_call("get Lambda function", missing_codes=MISSING)
def get_function(client, name):
    """``{"Configuration": ..., "Tags": ...}`` or None."""
    response = client.get_function(FunctionName=name)
    return {"Configuration": response.get("Configuration") or {}, "Tags": response.get("Tags") or {}}


@api_call("create Lambda function")
def create_function(client, **params):
    return client.create_function(**params)


@api_call("update Lambda function code")
def update_function_code(client, name, zip_bytes):
    return client.update_function_code(FunctionName=name, ZipFile=zip_bytes)


@api_call("update Lambda function configuration")
def update_function_configuration(client, name, **params):
    return client.update_function_configuration(FunctionName=name, **params)


@api_call("delete Lambda function", missing_codes=MISSING)
def delete_function(client, name):
    client.delete_function(FunctionName=name)


@api_call("get Lambda function policy", missing_codes=MISSING)
def get_policy(client, name):
    """The function's resource policy (a JSON string), or None."""
    return client.get_policy(FunctionName=name).get("Policy")


@api_call("add Lambda permission")
def add_permission(client, name, statement_id, action, principal, source_arn=None):
    params = dict(FunctionName=name, StatementId=statement_id, Action=action, Principal=principal)
    if source_arn:
        params["SourceArn"] = source_arn
    client.add_permission(**params)


@api_call("remove Lambda permission", missing_codes=MISSING)
def remove_permission(client, name, statement_id):
    client.remove_permission(FunctionName=name, StatementId=statement_id)
