"""Each fault the simulator can play, switched on per API key through the admin routes."""

from __future__ import annotations

from typing import Any

import asyncssh
import httpx
import pytest

from pulumi_vast.sim.testing import SimAdmin
from tests.sim.sshutil import new_key, public_line, ssh_run

pytestmark = pytest.mark.slow


def _cheapest(client: httpx.Client) -> dict[str, Any]:
    body = {"num_gpus": {"eq": 1}, "rented": {"eq": False}, "order": [["dph_total", "asc"]]}
    offer: dict[str, Any] = client.post("/api/v0/bundles/", json=body).json()["offers"][0]
    return offer


def _create(client: httpx.Client, offer_id: int, **body: Any) -> httpx.Response:
    return client.put(
        f"/api/v0/asks/{offer_id}/", json={"image": "ubuntu:22.04", "disk": 10, **body}
    )


def _list(client: httpx.Client) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = client.get("/api/v1/instances/").json()["instances"]
    return rows


@pytest.fixture
def api(vast_http: httpx.Client, vast_account: str, sim_admin: SimAdmin) -> httpx.Client:
    sim_admin.set_rate_limits(vast_account, False)
    return vast_http


def test_rate_limit_answers_plain_text_429_without_retry_after(
    vast_http: httpx.Client, sim_url: str, sim_admin: SimAdmin, vast_account: str
) -> None:
    # GET /api/v1/instances/ allows 1 request per second per key (openapi's 429 example);
    # with a burst of 1 the second call within the second is refused.
    sim_admin.set_rate_limits(vast_account, True, burst=1)
    statuses = [vast_http.get("/api/v1/instances/").status_code for _ in range(4)]
    assert statuses[0] == 200
    assert 429 in statuses
    limited = vast_http.get("/api/v1/instances/")
    assert limited.status_code == 429
    assert limited.text == "API requests too frequent endpoint threshold=1.0"
    assert limited.headers["content-type"].startswith("text/plain")
    assert "retry-after" not in limited.headers
    other = sim_admin.new_account()
    with httpx.Client(
        base_url=sim_url, headers={"Authorization": f"Bearer {other}"}, trust_env=False
    ) as someone_else:
        assert someone_else.get("/api/v1/instances/").status_code == 200, "limits are per key"
    assert vast_http.get("/api/v0/users/current/").status_code == 200, "and per route"
    sim_admin.set_rate_limits(vast_account, False)
    assert {vast_http.get("/api/v1/instances/").status_code for _ in range(5)} == {200}
    counts = sim_admin.request_counts(vast_account)["list_instances"]["by_status"]
    assert counts["429"] >= 2


def test_a_quick_script_is_served_and_only_sustained_overload_is_refused(
    vast_http: httpx.Client, sim_url: str, sim_admin: SimAdmin, vast_account: str
) -> None:
    sim_admin.set_rate_limits(vast_account, True)
    # list -> show -> list in a few ms, as scripts using the official SDK do
    assert vast_http.get("/api/v1/instances/").status_code == 200
    assert vast_http.get("/api/v0/users/current/").status_code == 200
    assert vast_http.get("/api/v1/instances/").status_code == 200
    statuses = [vast_http.get("/api/v1/instances/").status_code for _ in range(10)]
    assert 429 in statuses


def test_callers_without_a_valid_key_never_share_a_429_bucket(sim_url: str) -> None:
    with httpx.Client(base_url=sim_url, trust_env=False) as anonymous:
        statuses = {anonymous.get("/api/v1/instances/").status_code for _ in range(12)}
        searches = {
            anonymous.post("/api/v0/bundles/", json={"limit": 1}).status_code for _ in range(12)
        }
    assert statuses == {401}, "answered as a missing key, never 429"
    assert searches == {200}, "the public search is not throttled for everyone at once"


def test_server_errors_on_the_next_n_requests_of_a_route(
    api: httpx.Client, sim_admin: SimAdmin, vast_account: str
) -> None:
    sim_admin.set_faults(vast_account, errors={"search_offers": {"count": 2, "status": 503}})
    first = api.post("/api/v0/bundles/", json={"limit": 1})
    assert first.status_code == 503
    assert "Service Temporarily Unavailable" in first.text
    assert api.get("/api/v0/users/current/").status_code == 200, "other routes are unaffected"
    assert api.post("/api/v0/bundles/", json={"limit": 1}).status_code == 503
    assert api.post("/api/v0/bundles/", json={"limit": 1}).status_code == 200
    sim_admin.set_faults(vast_account, errors={"*": {"count": 1, "status": 500}})
    failed = api.get("/api/v0/users/current/")
    assert failed.status_code == 500
    assert failed.json()["error"] == "server_error"
    assert api.get("/api/v0/users/current/").status_code == 200


def test_slow_responses(api: httpx.Client, sim_admin: SimAdmin, vast_account: str) -> None:
    sim_admin.set_faults(vast_account, delays={"current_user": 5.0})
    with pytest.raises(httpx.ReadTimeout):
        api.get("/api/v0/users/current/", timeout=0.5)
    assert api.post("/api/v0/bundles/", json={"limit": 1}, timeout=5).status_code == 200
    sim_admin.clear_faults(vast_account)
    assert api.get("/api/v0/users/current/", timeout=5).status_code == 200


def test_lost_response_drops_the_connection_after_committing_the_create(
    api: httpx.Client, sim_admin: SimAdmin, vast_account: str
) -> None:
    sim_admin.set_faults(vast_account, lost={"create_instance": {"count": 1, "mode": "drop"}})
    offer = _cheapest(api)
    with pytest.raises(httpx.RemoteProtocolError):
        _create(api, offer["id"], label="lost-1")
    (created,) = _list(api)
    assert created["label"] == "lost-1", "the create was committed before the answer was lost"
    again = _create(api, _cheapest(api)["id"], label="second")
    assert again.status_code == 200
    assert len(_list(api)) == 2


def test_lost_response_held_past_the_client_timeout(
    api: httpx.Client, sim_admin: SimAdmin, vast_account: str
) -> None:
    sim_admin.set_faults(
        vast_account, lost={"create_instance": {"mode": "timeout", "seconds": 3.0}}
    )
    offer_id = _cheapest(api)["id"]
    with pytest.raises(httpx.ReadTimeout):
        api.put(
            f"/api/v0/asks/{offer_id}/",
            json={"image": "ubuntu:22.04", "label": "slow"},
            timeout=0.5,
        )
    assert [row["label"] for row in _list(api)] == ["slow"]


def test_offer_taken_by_someone_else(
    api: httpx.Client, sim_admin: SimAdmin, vast_account: str
) -> None:
    offer = _cheapest(api)
    sim_admin.take_offer(vast_account, offer["id"])
    assert offer["id"] not in {
        o["id"] for o in api.post("/api/v0/bundles/", json={}).json()["offers"]
    }
    taken = _create(api, offer["id"])
    assert taken.status_code == 404
    assert taken.json()["error"] == "no_such_ask"
    sim_admin.release_offer(vast_account, offer["id"])
    assert _create(api, offer["id"]).status_code == 200


def test_offer_snatched_between_search_and_create(
    api: httpx.Client, sim_admin: SimAdmin, vast_account: str
) -> None:
    offer = _cheapest(api)
    sim_admin.set_faults(vast_account, snatched_offers=[offer["id"]])
    assert _cheapest(api)["id"] == offer["id"], "still listed: the race is not visible yet"
    lost_race = _create(api, offer["id"])
    assert lost_race.status_code == 404
    assert lost_race.json()["error"] == "no_such_ask"
    assert _cheapest(api)["id"] != offer["id"]
    assert _create(api, _cheapest(api)["id"]).status_code == 200


def test_stuck_loading_never_runs(
    api: httpx.Client, sim_admin: SimAdmin, vast_account: str
) -> None:
    sim_admin.set_faults(vast_account, stuck_loading=True)
    instance_id = _create(api, _cheapest(api)["id"]).json()["new_contract"]
    sim_admin.advance(3600)
    instance = api.get(f"/api/v0/instances/{instance_id}/").json()["instances"]
    assert instance["actual_status"] == "loading"


def test_host_lost_takes_the_instance_offline_and_its_ssh_away(
    api: httpx.Client, sim_admin: SimAdmin
) -> None:
    key = new_key()
    api.post("/api/v0/ssh/", json={"ssh_key": public_line(key)})
    instance_id = _create(api, _cheapest(api)["id"]).json()["new_contract"]
    sim_admin.advance(1)
    running = api.get(f"/api/v0/instances/{instance_id}/").json()["instances"]
    assert ssh_run(running["ssh_port"], key, "echo up") == (0, "up\n")
    sim_admin.host_lost(instance_id, "offline")
    lost = api.get(f"/api/v0/instances/{instance_id}/").json()["instances"]
    assert (lost["actual_status"], lost["intended_status"]) == ("offline", "running")
    with pytest.raises((OSError, asyncssh.Error)):
        ssh_run(running["ssh_port"], key, "echo up", timeout=3)
    sim_admin.host_lost(instance_id, "exited")
    assert api.get(f"/api/v0/instances/{instance_id}/").json()["instances"]["actual_status"] == (
        "exited"
    )


def test_preemption_stops_an_interruptible_instance(
    api: httpx.Client, sim_admin: SimAdmin, vast_account: str
) -> None:
    offer = _cheapest(api)
    response = _create(api, offer["id"], price=round(offer["min_bid"] * 1.2, 4))
    instance_id = response.json()["new_contract"]
    sim_admin.advance(1)
    sim_admin.preempt(instance_id)
    outbid = api.get(f"/api/v0/instances/{instance_id}/").json()["instances"]
    assert outbid["is_bid"] is True
    assert outbid["cur_state"] == outbid["intended_status"] == outbid["next_state"] == "stopped"
    api.put(f"/api/v0/instances/{instance_id}/", json={"state": "running"})
    sim_admin.advance(60)
    waiting = api.get(f"/api/v0/instances/{instance_id}/").json()["instances"]
    assert waiting["actual_status"] == "scheduling", "its GPU went to the higher bid"
    assert offer["id"] in sim_admin.faults(vast_account)["taken_offers"]


def test_insufficient_bid_creates_a_stopped_instance_and_errors(api: httpx.Client) -> None:
    offer = _cheapest(api)
    low = _create(api, offer["id"], price=0.001)
    assert low.status_code == 400
    assert low.json()["error"] == "invalid_price"
    (lingering,) = _list(api)
    assert lingering["actual_status"] == "stopped"
    refused = _create(api, _cheapest(api)["id"], price=0.001, cancel_unavail=True)
    assert refused.status_code == 410
    assert len(_list(api)) == 1


def test_unknown_fault_route_is_refused_with_the_valid_names(
    sim_admin: SimAdmin, vast_account: str
) -> None:
    with pytest.raises(RuntimeError, match=r"valid:.*create_instance"):
        sim_admin.set_faults(vast_account, errors={"create": {"count": 1}})


def test_faults_apply_to_every_objects_routes(
    api: httpx.Client, sim_admin: SimAdmin, vast_account: str
) -> None:
    sim_admin.set_faults(
        vast_account,
        errors={"create_volume": {"count": 1, "status": 503}},
        lost={"create_env_var": {}},
    )
    offer = api.post("/api/v0/volumes/search/", json={}).json()["offers"][0]
    assert api.put("/api/v0/volumes/", json={"id": offer["id"]}).status_code == 503
    assert api.put("/api/v0/volumes/", json={"id": offer["id"]}).status_code == 200
    with pytest.raises(httpx.RemoteProtocolError):
        api.post("/api/v0/secrets/", json={"key": "LOST", "value": "1"})
    assert api.get("/api/v0/secrets/").json()["secrets"] == {"LOST": "1"}, "committed"
