"""Renting over HTTP in tests: an offer, an instance that runs, the account's own key."""

from __future__ import annotations

from typing import Any

import httpx

from pulumi_vast.sim.testing import SimAdmin

__all__ = ["cheapest_offer", "rent", "show"]


def cheapest_offer(api: httpx.Client, **filters: Any) -> dict[str, Any]:
    body = {"num_gpus": {"eq": 1}, "order": [["dph_total", "asc"]], **filters}
    response = api.post("/api/v0/bundles/", json=body)
    assert response.status_code == 200, response.text
    offer: dict[str, Any] = response.json()["offers"][0]
    return offer


def show(api: httpx.Client, instance_id: int) -> dict[str, Any]:
    instance: dict[str, Any] = api.get(f"/api/v0/instances/{instance_id}/").json()["instances"]
    return instance


def rent(
    api: httpx.Client, sim_admin: SimAdmin, offer_id: int | None = None, **body: Any
) -> dict[str, Any]:
    """A running instance of the cheapest single GPU (or `offer_id`), as shown."""
    offer_id = offer_id if offer_id is not None else cheapest_offer(api)["id"]
    created = api.put(f"/api/v0/asks/{offer_id}/", json={"image": "ubuntu:22.04", **body})
    assert created.status_code == 200, created.text
    sim_admin.advance(1)
    instance = show(api, created.json()["new_contract"])
    assert instance["actual_status"] == "running", instance
    return instance
