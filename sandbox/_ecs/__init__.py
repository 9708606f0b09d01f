"""ECS behaviour behind sandbox/ecs.py: model (records), scheduler (simulation), area (state and
interface), render (JSON shapes) and api (hooks on moto's ECS calls)."""
