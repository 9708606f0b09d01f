"""AWS Cloud Map (servicediscovery): the list filters moto ignores.

moto 5.2.5 answers ListNamespaces and ListServices with every namespace and service of the
region, whatever ``Filters`` say. AWS applies them (API reference, NamespaceFilter and
ServiceFilter):

- ListNamespaces: ``TYPE`` (EQ or IN), ``NAME`` and ``HTTP_NAME`` (EQ or BEGINS_WITH); EQ is the
  default condition; several filters all apply.
- ListServices: ``NAMESPACE_ID`` (EQ or IN). A service summary does not say which namespace it
  is in, so without the filter a client cannot tell two namespaces' ``api`` services apart.
"""

from .hooks import after
from .protocol import AwsError


def _matches(value, condition, values):
    if condition == "EQ":
        return value == values[0]
    if condition == "IN":
        return value in values
    if condition == "BEGINS_WITH":
        return value is not None and value.startswith(values[0])
    return True


def _check(filters, allowed):
    for f in filters:
        condition = f.get("Condition") or "EQ"
        if f.get("Name") not in allowed:
            raise AwsError("InvalidInput", f"Filter name {f.get('Name')} is not valid here.")
        if condition not in allowed[f["Name"]]:
            raise AwsError("InvalidInput", f"Condition {condition} is not valid for filter {f['Name']}.")
        if not f.get("Values") or (condition != "IN" and len(f["Values"]) != 1):
            raise AwsError("InvalidInput", f"Filter {f['Name']} with condition {condition} takes "
                                           f"{'one value' if condition != 'IN' else 'values'}.")


@after("servicediscovery", "ListNamespaces")
def _filter_namespaces(sb, call):
    filters = call.params.get("Filters") or []
    _check(filters, {"TYPE": ("EQ", "IN"), "NAME": ("EQ", "BEGINS_WITH"), "HTTP_NAME": ("EQ", "BEGINS_WITH")})
    backend = sb.backend("servicediscovery", call.region, call.account)

    def value(namespace, name):
        if name == "TYPE":
            return namespace.get("Type")
        if name == "NAME":
            return namespace.get("Name")
        stored = backend.namespaces.get(namespace.get("Id"))
        return getattr(stored, "name", None)  # HTTP_NAME: the namespace's HTTP name is its name

    call.response["Namespaces"] = [
        ns for ns in call.response.get("Namespaces") or []
        if all(_matches(value(ns, f["Name"]), f.get("Condition") or "EQ", f["Values"]) for f in filters)]


@after("servicediscovery", "ListServices")
def _filter_services(sb, call):
    filters = call.params.get("Filters") or []
    _check(filters, {"NAMESPACE_ID": ("EQ", "IN")})
    if not filters:
        return
    backend = sb.backend("servicediscovery", call.region, call.account)

    def namespace_of(summary):
        stored = backend.services.get(summary.get("Id"))
        return getattr(stored, "namespace_id", None)

    call.response["Services"] = [
        s for s in call.response.get("Services") or []
        if all(_matches(namespace_of(s), f.get("Condition") or "EQ", f["Values"]) for f in filters)]
