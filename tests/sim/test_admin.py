"""The admin routes over HTTP: the admin token guards every one but the health check."""

from __future__ import annotations

import json
import re

import httpx
import pytest
from fastapi.routing import APIRoute

from pulumi_vast.sim import admin
from pulumi_vast.sim.datadir import read_admin_token
from pulumi_vast.sim.testing import SimAdmin, SimulatorProcess

pytestmark = pytest.mark.slow

ADMIN_ROUTES = sorted(
    (method, re.sub(r"\{\w+_id\}", "1", route.path))
    for route in admin.router.routes
    if isinstance(route, APIRoute)
    for method in route.methods
)


def test_the_docstring_lists_every_admin_route() -> None:
    documented = {
        (method, path.split("[")[0].split("?")[0].replace("{id}", "1"))
        for method, path in re.findall(
            r"^\s+(GET|POST|PUT|DELETE)\s+(/_sim/\S+)", admin.__doc__ or "", re.M
        )
    }
    assert documented == set(ADMIN_ROUTES)


@pytest.mark.parametrize(("method", "path"), ADMIN_ROUTES)
def test_admin_routes_refuse_callers_without_the_token(
    method: str, path: str, sim_url: str, vast_account: str
) -> None:
    with httpx.Client(base_url=sim_url, trust_env=False, timeout=30) as http:
        bare = http.request(method, path, json={})
        wrong = http.request(method, path, json={}, headers={"Authorization": "Bearer nope"})
        as_user = http.request(
            method, path, json={}, headers={"Authorization": f"Bearer {vast_account}"}
        )
    if path in admin.OPEN_PATHS:
        assert bare.status_code == 200
        assert vast_account not in bare.text
        return
    assert (bare.status_code, bare.json()["error"]) == (401, "auth_error")
    assert "Authorization: Bearer <token>" in bare.json()["msg"]
    for refused in (wrong, as_user):
        assert (refused.status_code, refused.json()["success"]) == (403, False)
        assert refused.json()["error"] == "forbidden"


def test_the_token_opens_them(sim_admin: SimAdmin, vast_account: str) -> None:
    assert sim_admin.ledger(vast_account)["totals"]["instances"] == 0


def test_health_answers_without_the_token_and_shows_no_secret(
    sim_server: SimulatorProcess, vast_http: httpx.Client, vast_account: str
) -> None:
    assert vast_http.get("/api/v0/users/current/").status_code == 200
    with SimAdmin(sim_server.url) as anonymous:
        health = anonymous.health()
    assert health["pid"] == sim_server.pid
    shown = json.dumps(health)
    assert vast_account not in shown
    assert read_admin_token(sim_server.data_dir) not in shown


def test_a_huge_clock_advance_is_refused_and_the_ledger_stays_sane(
    sim_server: SimulatorProcess, sim_admin: SimAdmin
) -> None:
    before = sim_admin.now()
    with pytest.raises(RuntimeError, match="400"):
        sim_admin.advance(1e308)
    token = read_admin_token(sim_server.data_dir)
    with httpx.Client(base_url=sim_server.url, trust_env=False) as http:
        nan = http.post(
            "/_sim/clock/advance",
            content=b'{"seconds": NaN}',
            headers={"Authorization": f"Bearer {token}", "content-type": "application/json"},
        )
    assert (nan.status_code, nan.json()["error"]) == (400, "invalid_request")
    assert sim_admin.now() - before < 3600, "the clock did not jump"
    assert sim_admin.ledger()["totals"]["total_cost"] < 1e6
