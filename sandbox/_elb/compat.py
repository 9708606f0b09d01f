"""Temporary workaround until sandbox/protocol.py parses query-protocol lists.

protocol.identify() parses query/ec2 requests with moto's QueryParser over botocore's own
shapes; moto's parser needs moto's shape classes (`is_flattened`), so every request with a
list parameter (RegisterTargets' Targets, CreateRule's Conditions, ...) parses to {} and the
hooks see no parameters. When that is the case, hand identify() moto's service models, which
is what moto itself parses with. Once protocol.py does so itself this installs nothing.
"""

from moto.core.parse import QueryParser
from moto.core.utils import get_service_model
from werkzeug.datastructures import MultiDict

from .. import protocol


def _lists_parse() -> bool:
    operation = protocol.service_model("elbv2").operation_model("DeregisterTargets")
    form = MultiDict([("TargetGroupArn", "arn"), ("Targets.member.1.Id", "i-1")])
    try:
        QueryParser(operation).parse({"values": form, "body": b"", "headers": {}, "method": "POST",
                                      "url_params": {}, "url_path": "/"})
    except AttributeError:
        return False
    return True


def install():
    if _lists_parse():
        return
    models = {}

    def moto_service_model(service: str):
        if service not in models:
            models[service] = get_service_model(service)
        return models[service]

    protocol.service_model = moto_service_model
