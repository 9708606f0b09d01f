"""The savings estimate from the dated Fargate price table."""

from __future__ import annotations

import pytest

from ansible_collections.ecsops.fargate.plugins.module_utils import fargate_pricing as pricing


def test_dev_service_on_spot_in_ireland():
    estimate = pricing.monthly_savings(256, 512, 1, 469.29, "eu-west-1", "FARGATE_SPOT")
    per_hour = 0.25 * 0.012144 + 0.5 * 0.0013335
    assert estimate["per_task_hour"] == round(per_hour, 6)
    assert estimate["monthly_saving"] == round(per_hour * 469.29, 2)
    assert estimate["monthly_cost_always_on"] == round(per_hour * 730, 2)
    assert estimate["monthly_cost_with_parking"] == round(per_hour * 730 - per_hour * 469.29, 2)
    assert estimate["prices_as_of"] == pricing.PRICES_AS_OF and estimate["currency"] == "USD"


def test_on_demand_costs_more_than_spot_and_tasks_multiply():
    spot = pricing.monthly_savings(512, 1024, 2, 300, "us-east-1", "FARGATE_SPOT")
    demand = pricing.monthly_savings(512, 1024, 2, 300, "us-east-1", "FARGATE")
    one = pricing.monthly_savings(512, 1024, 1, 300, "us-east-1", "FARGATE")
    assert demand["monthly_saving"] > spot["monthly_saving"]
    assert demand["monthly_saving"] == pytest.approx(2 * one["monthly_saving"], abs=0.01)


def test_arm64_is_cheaper():
    x86 = pricing.monthly_savings(1024, 2048, 1, 730, "eu-central-1", "FARGATE")
    arm = pricing.monthly_savings(1024, 2048, 1, 730, "eu-central-1", "FARGATE", architecture="ARM64")
    assert arm["monthly_saving"] == pytest.approx(x86["monthly_saving"] * pricing.ARM64_FACTOR, abs=0.01)


def test_given_prices_override_the_table_even_for_unknown_regions():
    estimate = pricing.monthly_savings(1024, 1024, 1, 100, "xx-nowhere-1", "FARGATE",
                                       prices={"vcpu_hour": 0.05, "gb_hour": 0.01, "currency": "EUR"})
    assert estimate["monthly_saving"] == 6.0 and estimate["currency"] == "EUR"
    assert estimate["price_source"] == "given" and estimate["prices_as_of"] is None


def test_given_prices_per_provider():
    prices = {"FARGATE": {"vcpu_hour": 0.1, "gb_hour": 0}, "FARGATE_SPOT": {"vcpu_hour": 0.01, "gb_hour": 0}}
    assert pricing.monthly_savings(1024, 1024, 1, 10, "us-east-1", "FARGATE_SPOT", prices)["monthly_saving"] == 0.1


def test_unknown_region_without_prices_is_an_error():
    with pytest.raises(pricing.PricingError, match="no Fargate price for region xx-nowhere-1"):
        pricing.monthly_savings(256, 512, 1, 10, "xx-nowhere-1", "FARGATE")


def test_hours_out_of_range_are_an_error():
    with pytest.raises(pricing.PricingError, match="between 0 and 730"):
        pricing.monthly_savings(256, 512, 1, 731, "us-east-1", "FARGATE")


def test_business_hours_leave_the_rest_of_the_month_parked():
    # 12 awake hours on 5 days = 60 of 168 hours a week.
    assert pricing.hours_parked_by_schedule("08:00", "20:00", 5) == round(730 - 60 * 730 / 168, 2)
    assert pricing.hours_parked_by_schedule("22:00", "06:00", 7) == round(730 - 56 * 730 / 168, 2)


@pytest.mark.parametrize("strategy, provider", [
    ([{"capacityProvider": "FARGATE_SPOT", "weight": 1}], "FARGATE_SPOT"),
    ([{"capacityProvider": "FARGATE", "weight": 1}, {"capacityProvider": "FARGATE_SPOT", "weight": 3}], "FARGATE_SPOT"),
    ([{"capacityProvider": "FARGATE", "weight": 1}], "FARGATE"),
    ([], "FARGATE"),
])
def test_capacity_provider_of_the_service(strategy, provider):
    assert pricing.capacity_provider_of({"capacityProviderStrategy": strategy}) == provider
