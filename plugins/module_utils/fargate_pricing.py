# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Fargate and Fargate Spot prices per region, and the monthly saving of parked hours. Pure functions.

The table is dated (``PRICES_AS_OF``) and in USD per hour, Linux. On-demand prices are AWS's published
Fargate prices for x86_64 (ARM64 is about 20 % cheaper); Fargate Spot prices change over time and are a
snapshot. Both are estimates: pass ``prices`` (the module's ``savings.prices``) to use your own
(e.g. in EUR, or a newer snapshot).
"""

from __future__ import annotations

PRICES_AS_OF = "2025-06-01"
CURRENCY = "USD"
HOURS_PER_MONTH = 730.0  # AWS's billing month (365 x 24 / 12)

# region -> capacity provider -> (per vCPU-hour, per GB-hour), x86_64 Linux
PRICES = {
    "us-east-1": {"FARGATE": (0.04048, 0.004445), "FARGATE_SPOT": (0.012144, 0.0013335)},
    "us-east-2": {"FARGATE": (0.04048, 0.004445), "FARGATE_SPOT": (0.012144, 0.0013335)},
    "us-west-2": {"FARGATE": (0.04048, 0.004445), "FARGATE_SPOT": (0.012144, 0.0013335)},
    "eu-west-1": {"FARGATE": (0.04048, 0.004445), "FARGATE_SPOT": (0.012144, 0.0013335)},
    "eu-west-2": {"FARGATE": (0.04656, 0.00511), "FARGATE_SPOT": (0.013968, 0.001533)},
    "eu-west-3": {"FARGATE": (0.04656, 0.00511), "FARGATE_SPOT": (0.013968, 0.001533)},
    "eu-central-1": {"FARGATE": (0.04656, 0.00511), "FARGATE_SPOT": (0.013968, 0.001533)},
    "eu-north-1": {"FARGATE": (0.04445, 0.004865), "FARGATE_SPOT": (0.013335, 0.0014595)},
    "ap-southeast-1": {"FARGATE": (0.05056, 0.00553), "FARGATE_SPOT": (0.015168, 0.001659)},
    "ap-northeast-1": {"FARGATE": (0.05056, 0.00553), "FARGATE_SPOT": (0.015168, 0.001659)},
}
ARM64_FACTOR = 0.8


class PricingError(ValueError):
    """No price known for the region, or prices given in an unusable shape."""


def price_per_hour(region, capacity_provider, prices=None, architecture="X86_64"):
    """(per vCPU-hour, per GB-hour, source) for the region and capacity provider.

    ``prices`` overrides the table: ``{"vcpu_hour": x, "gb_hour": y}`` (any provider) or
    ``{"FARGATE": {...}, "FARGATE_SPOT": {...}}``.
    """
    provider = "FARGATE_SPOT" if capacity_provider == "FARGATE_SPOT" else "FARGATE"
    if prices:
        chosen = prices.get(provider, prices) if isinstance(prices.get(provider), dict) else prices
        try:
            return float(chosen["vcpu_hour"]), float(chosen["gb_hour"]), "given"
        except (KeyError, TypeError, ValueError) as e:
            raise PricingError("savings.prices needs vcpu_hour and gb_hour (numbers), for all providers or per "
                               f"FARGATE / FARGATE_SPOT; got {prices!r}") from e
    if region not in PRICES:
        raise PricingError(f"no Fargate price for region {region} in the table of {PRICES_AS_OF}; "
                           f"give savings.prices (known: {', '.join(sorted(PRICES))})")
    vcpu, gb = PRICES[region][provider]
    if architecture == "ARM64":
        vcpu, gb = vcpu * ARM64_FACTOR, gb * ARM64_FACTOR
    return vcpu, gb, f"table {PRICES_AS_OF}"


def capacity_provider_of(service):
    """The provider a service's tasks mostly run on: FARGATE_SPOT when the strategy weighs Spot more."""
    strategy = service.get("capacityProviderStrategy") or []
    if strategy:
        spot = sum(s.get("weight", 0) for s in strategy if s.get("capacityProvider") == "FARGATE_SPOT")
        other = sum(s.get("weight", 0) for s in strategy if s.get("capacityProvider") != "FARGATE_SPOT")
        return "FARGATE_SPOT" if spot > other else "FARGATE"
    return "FARGATE"


def hours_parked_by_schedule(wake_at, park_at, days_per_week):
    """Hours per month a business-hours schedule keeps the service parked (HH:MM strings)."""
    awake = _minutes(park_at) - _minutes(wake_at)
    if awake <= 0:
        awake += 24 * 60
    awake_per_week = days_per_week * awake / 60.0
    return round(HOURS_PER_MONTH - awake_per_week * HOURS_PER_MONTH / (7 * 24), 2)


def _minutes(hhmm):
    hours, minutes = str(hhmm).split(":")
    return int(hours) * 60 + int(minutes)


def monthly_savings(cpu_units, memory_mib, tasks, hours_parked, region, capacity_provider, prices=None,
                    architecture="X86_64"):
    """The estimate: what ``tasks`` tasks of this size would cost over ``hours_parked`` hours a month."""
    if hours_parked < 0 or hours_parked > HOURS_PER_MONTH:
        raise PricingError(f"hours parked per month must be between 0 and {HOURS_PER_MONTH:g}, not {hours_parked}")
    vcpu_price, gb_price, source = price_per_hour(region, capacity_provider, prices, architecture)
    vcpu = cpu_units / 1024.0
    gb = memory_mib / 1024.0
    per_task_hour = vcpu * vcpu_price + gb * gb_price
    always_on = per_task_hour * tasks * HOURS_PER_MONTH
    saved = per_task_hour * tasks * hours_parked
    return {
        "currency": (prices or {}).get("currency", CURRENCY) if prices else CURRENCY,
        "prices_as_of": PRICES_AS_OF if source != "given" else None,
        "price_source": source,
        "region": region,
        "capacity_provider": capacity_provider,
        "vcpu": vcpu,
        "memory_gb": gb,
        "tasks": tasks,
        "per_task_hour": round(per_task_hour, 6),
        "hours_parked_per_month": round(hours_parked, 2),
        "monthly_cost_always_on": round(always_on, 2),
        "monthly_cost_with_parking": round(always_on - saved, 2),
        "monthly_saving": round(saved, 2),
    }
