"""ECS: the Fargate service scheduler moto lacks (deployments, tasks, target registration, circuit
breaker, deployment alarms, blue/green) and the service deployment APIs. See sandbox/_ecs/."""

from ._ecs import api  # noqa: F401  (importing registers the ECS hooks)
from ._ecs.area import EcsArea

__all__ = ["EcsArea"]
