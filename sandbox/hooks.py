"""Registries that the behaviour modules (ecs, elb, cloudwatch, ...) fill at import time.

- `before(service, *operations)`: runs before moto sees the call. It may raise
  `protocol.AwsError` (AWS's validation), or return a response to answer instead of moto
  (a dict for JSON protocols, bytes/str of XML for query protocols).
- `after(service, *operations)`: runs after moto answered 2xx. For JSON protocols
  `call.response` holds the parsed body; mutate it in place to correct what moto got wrong.
- `area(name)`: a class holding one concern's simulated state, built with the Sandbox and
  rebuilt on reset. Optional methods: `tick(now)` (simulation step, called under the lock),
  `start()` / `stop()` (processes it owns, e.g. the registry).
- `route(method, prefix)`: a control endpoint under /_sandbox/ served by an area's code.

Each fn is called with the Sandbox first. All of them run under the Sandbox's lock.
"""

from collections import defaultdict

BEFORE = defaultdict(list)
AFTER = defaultdict(list)
AREAS = {}
ROUTES = []  # (method, prefix, fn)


def before(service, *operations):
    def register(fn):
        for operation in operations:
            BEFORE[(service, operation)].append(fn)
        return fn

    return register


def after(service, *operations):
    def register(fn):
        for operation in operations:
            AFTER[(service, operation)].append(fn)
        return fn

    return register


def area(name):
    def register(cls):
        AREAS[name] = cls
        return cls

    return register


def route(method, prefix):
    def register(fn):
        ROUTES.append((method, prefix, fn))
        return fn

    return register
