"""The Vast routes over HTTP against a real simulator process: paths, bodies, status codes,
error JSON, auth, pagination, and the instance-scoped key."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from pulumi_vast.sim.testing import SimAdmin
from tests.sim.sshutil import container_key

pytestmark = pytest.mark.slow

PUBLIC_KEY = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx1c3RyZWFsbHlub3RhcmVhbGtleWF0YWxsMTIz me@laptop"
)
CLI_DEFAULTS = {
    "verified": {"eq": True},
    "external": {"eq": False},
    "rentable": {"eq": True},
    "rented": {"eq": False},
}


@pytest.fixture
def api(vast_http: httpx.Client, vast_account: str, sim_admin: SimAdmin) -> httpx.Client:
    """The account's client, without rate limits (a rate-limit test turns them back on)."""
    sim_admin.set_rate_limits(vast_account, False)
    return vast_http


def _offers(api: httpx.Client, **filters: Any) -> list[dict[str, Any]]:
    body = {**CLI_DEFAULTS, "order": [["dph_total", "asc"]], "allocated_storage": 10, **filters}
    response = api.post("/api/v0/bundles/", json=body)
    assert response.status_code == 200, response.text
    offers: list[dict[str, Any]] = response.json()["offers"]
    return offers


def _create(api: httpx.Client, offer_id: int, **body: Any) -> int:
    response = api.put(
        f"/api/v0/asks/{offer_id}/", json={"image": "ubuntu:22.04", "disk": 10, **body}
    )
    assert response.status_code == 200, response.text
    assert response.json()["success"] is True
    instance_id: int = response.json()["new_contract"]
    return instance_id


def _show(api: httpx.Client, instance_id: int) -> dict[str, Any] | None:
    response = api.get(f"/api/v0/instances/{instance_id}/", params={"owner": "me"})
    assert response.status_code == 200, response.text
    instance: dict[str, Any] | None = response.json()["instances"]
    return instance


@pytest.fixture
def cheap_offer(api: httpx.Client) -> int:
    offer_id: int = _offers(api, num_gpus={"eq": 1})[0]["id"]
    return offer_id


def test_paths_answer_with_and_without_trailing_slash(api: httpx.Client) -> None:
    with_slash = api.get("/api/v0/users/current/")
    without = api.get("/api/v0/users/current")
    assert with_slash.status_code == without.status_code == 200
    assert with_slash.json()["id"] == without.json()["id"]
    assert api.get("/api/v1/instances").status_code == 200


def test_missing_key_is_401_except_on_public_routes(sim_url: str) -> None:
    with httpx.Client(base_url=sim_url, trust_env=False) as anonymous:
        denied = anonymous.get("/api/v0/users/current/")
        assert denied.status_code == 401
        assert denied.json()["success"] is False
        assert denied.json()["error"] == "auth_error"
        assert anonymous.put("/api/v0/asks/1/", json={"image": "x"}).status_code == 401
        search = anonymous.post("/api/v0/bundles/", json={"limit": 3})
        assert search.status_code == 200
        assert len(search.json()["offers"]) == 3
        assert anonymous.get("/api/v0/gpu_names/unique/").json()["gpu_names"]


def test_each_key_is_its_own_account(sim_url: str, sim_admin: SimAdmin) -> None:
    first, second = sim_admin.new_account(), sim_admin.new_account()
    ids = set()
    for key in (first, second):
        with httpx.Client(
            base_url=sim_url, headers={"Authorization": f"Bearer {key}"}, trust_env=False
        ) as client:
            ids.add(client.get("/api/v0/users/current/").json()["id"])
    assert len(ids) == 2


def test_search_answers_json_offers_filtered_ordered_and_priced(api: httpx.Client) -> None:
    response = api.post(
        "/api/v0/bundles/",
        json={
            **CLI_DEFAULTS,
            "gpu_ram": {"gte": 24000.0},
            "num_gpus": {"eq": "1"},
            "order": [["dph_total", "asc"]],
            "type": "on-demand",
            "allocated_storage": 5.0,
        },
    )
    assert response.headers["content-type"] == "application/json"
    offers = response.json()["offers"]
    assert offers
    assert all(o["gpu_ram"] >= 24000 and o["num_gpus"] == 1 and o["verified"] for o in offers)
    prices = [o["dph_total"] for o in offers]
    assert prices == sorted(prices)
    bids = _offers(api, type="bid", limit=5)
    assert all(o["is_bid"] and o["dph_total"] < o["dph_base"] + 1 for o in bids)


def test_new_search_endpoint_selects_columns(api: httpx.Client) -> None:
    response = api.put(
        "/api/v0/search/asks/",
        json={"select_cols": ["id", "gpu_name"], "q": {**CLI_DEFAULTS, "limit": 4}},
    )
    assert response.status_code == 200
    offers = response.json()["offers"]
    assert len(offers) == 4
    assert all(set(o) == {"id", "gpu_name"} for o in offers)


def test_bad_search_answers_400_naming_the_field(api: httpx.Client) -> None:
    response = api.post("/api/v0/bundles/", json={"gpu_rma": {"gte": 1}})
    assert response.status_code == 400
    assert "gpu_rma" in response.json()["msg"]
    malformed = api.post(
        "/api/v0/bundles/", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert malformed.status_code == 400
    assert malformed.json()["error"] == "invalid_request"


def test_instance_lifecycle_over_http(
    api: httpx.Client, sim_admin: SimAdmin, cheap_offer: int
) -> None:
    instance_id = _create(
        api,
        cheap_offer,
        label="web",
        env={"TOKEN": "t", "-p 8080:8080": "1"},
        onstart="echo hi",
        runtype="ssh_direc ssh_proxy",
    )
    pending = _show(api, instance_id)
    assert pending is not None
    assert pending["actual_status"] in (None, "created", "loading")
    assert pending["intended_status"] == "running"
    assert cheap_offer not in {o["id"] for o in _offers(api, num_gpus={"eq": 1})}
    sim_admin.advance(1)
    running = _show(api, instance_id)
    assert running is not None
    assert running["actual_status"] == running["cur_state"] == "running"
    assert running["ssh_host"] == running["public_ipaddr"] == "127.0.0.1"
    assert set(running["ports"]) == {"22/tcp", "8080/tcp"}
    assert running["extra_env"] == [["TOKEN", "t"], ["-p 8080:8080", "1"]]
    assert running["label"] == "web"
    assert running["image_runtype"] == "ssh_direc ssh_proxy"

    assert api.put(f"/api/v0/instances/{instance_id}/", json={"label": "api"}).json() == {
        "success": True
    }
    assert api.put(f"/api/v0/instances/{instance_id}/", json={"state": "stopped"}).json()["success"]
    stopped = _show(api, instance_id)
    assert stopped is not None
    assert (stopped["actual_status"], stopped["intended_status"], stopped["label"]) == (
        "stopped",
        "stopped",
        "api",
    )
    assert stopped["ports"] is None
    assert api.put(f"/api/v0/instances/{instance_id}/", json={"state": "running"}).json()["success"]
    sim_admin.advance(1)
    restarted = _show(api, instance_id)
    assert restarted is not None
    assert restarted["actual_status"] == "running"

    destroyed = api.request("DELETE", f"/api/v0/instances/{instance_id}/", json={})
    assert destroyed.json() == {"success": True}
    assert _show(api, instance_id) is None
    assert cheap_offer in {o["id"] for o in _offers(api, num_gpus={"eq": 1})}
    again = api.request("DELETE", f"/api/v0/instances/{instance_id}/", json={})
    assert again.status_code == 404
    assert again.json()["success"] is False


def test_create_errors_are_vast_shaped(api: httpx.Client, cheap_offer: int) -> None:
    unknown = api.put("/api/v0/asks/1/", json={"image": "x"})
    assert unknown.status_code == 404
    assert unknown.json()["error"] == "no_such_ask"
    assert unknown.json()["ask_id"] == 1
    not_a_number = api.put("/api/v0/asks/abc/", json={"image": "x"})
    assert not_a_number.status_code == 400
    assert not_a_number.json()["error"] == "invalid_args"
    bad_disk = api.put(f"/api/v0/asks/{cheap_offer}/", json={"image": "x", "disk": -1})
    assert bad_disk.status_code == 400
    assert "disk" in bad_disk.json()["msg"]
    bad_runtype = api.put(f"/api/v0/asks/{cheap_offer}/", json={"image": "x", "runtype": "vnc"})
    assert "runtype" in bad_runtype.json()["msg"]
    long_onstart = api.put(
        f"/api/v0/asks/{cheap_offer}/", json={"image": "x", "onstart": "x" * 5000}
    )
    assert long_onstart.status_code == 400


def test_an_outbid_create_names_the_instance_it_left_stopped(
    api: httpx.Client, cheap_offer: int
) -> None:
    offer = _offers(api, id={"eq": cheap_offer}, type="bid")[0]
    body = {"image": "x", "price": round(offer["min_bid"] / 2, 4)}

    refused = api.put(f"/api/v0/asks/{cheap_offer}/", json=body)

    assert (refused.status_code, refused.json()["error"]) == (400, "invalid_price")
    stranded = _show(api, refused.json()["new_contract"])
    assert stranded is not None
    assert (stranded["actual_status"], stranded["is_bid"]) == ("stopped", True)


def test_v1_list_pages_filters_orders_and_counts_labels(api: httpx.Client) -> None:
    # Search again before each create: a rented bundle hides its machine's overlapping ones.
    ids = [_create(api, _offers(api)[0]["id"], label="odd" if i % 2 else None) for i in range(9)]
    seen: list[int] = []
    params: dict[str, Any] = {
        "select_filters": json.dumps({}),
        "order_by": json.dumps([{"col": "id", "dir": "desc"}]),
        "limit": 4,
    }
    pages = 0
    while True:
        page = api.get("/api/v1/instances/", params=params).json()
        pages += 1
        assert page["success"] is True
        assert page["total_instances"] == len(ids)
        assert page["label_counts"] == {"odd": 4, "": 5}
        assert page["instances_found"] == len(page["instances"]) <= 4
        seen += [row["id"] for row in page["instances"]]
        if not page["next_token"]:
            break
        params["after_token"] = page["next_token"]
    assert pages == 3
    assert seen == sorted(ids, reverse=True)
    labelled = api.get(
        "/api/v1/instances/",
        params={"select_filters": json.dumps({"label": {"in": ["odd"]}}), "select_cols": '["id"]'},
    ).json()
    assert labelled["total_instances"] == 4
    assert all(set(row) == {"id"} for row in labelled["instances"])
    bad = api.get("/api/v1/instances/", params={"select_filters": '{"dph_total": {"lt": 1}}'})
    assert bad.status_code == 400
    assert "dph_total" in bad.json()["msg"]
    assert api.get("/api/v1/instances/", params={"after_token": "garbage"}).json()["error"] == (
        "invalid_token"
    )
    filters = api.get("/api/v0/instances/filters/").json()["filters"]
    gpus = {_show(api, i)["gpu_name"] for i in ids}  # type: ignore[index]
    assert {f["gpu_name"] for f in filters} == gpus
    assert {f["actual_status"] for f in filters} <= {None, "created", "loading", "running"}


def test_deprecated_unknown_and_wrong_method_routes(api: httpx.Client) -> None:
    deprecated = api.get("/api/v0/instances/")
    assert deprecated.status_code == 410
    assert deprecated.json()["error"] == "deprecated_endpoint"
    assert api.get("/api/v0/teleport/").status_code == 404
    assert api.post("/api/v0/users/current/").status_code == 405


def test_ssh_keys_routes(api: httpx.Client, cheap_offer: int) -> None:
    created = api.post("/api/v0/ssh/", json={"ssh_key": PUBLIC_KEY})
    assert created.status_code == 200
    key = created.json()["key"]
    assert key["public_key"] == PUBLIC_KEY
    listed = api.get("/api/v0/ssh/").json()
    assert isinstance(listed, list)
    assert [(k["id"], k["key"]) for k in listed] == [(key["id"], PUBLIC_KEY)]
    assert api.post("/api/v0/ssh/", json={}).json()["error"] == "no_ssh_key"
    assert api.post("/api/v0/ssh/", json={"ssh_key": "hello"}).status_code == 400

    instance_id = _create(api, cheap_offer)
    attached = api.post(f"/api/v0/instances/{instance_id}/ssh/", json={"ssh_key": PUBLIC_KEY})
    assert attached.json()["success"] is True
    on_instance = json.loads(api.get(f"/api/v0/instances/{instance_id}/ssh/").json()["ssh_keys"])
    assert [k["id"] for k in on_instance] == [key["id"]]
    detached = api.request("DELETE", f"/api/v0/instances/{instance_id}/ssh/{key['id']}/", json={})
    assert detached.json()["success"] is True
    assert json.loads(api.get(f"/api/v0/instances/{instance_id}/ssh/").json()["ssh_keys"]) == []

    updated = api.put(f"/api/v0/ssh/{key['id']}/", json={"ssh_key": PUBLIC_KEY + "2"})
    assert updated.json()["key"]["public_key"].endswith("laptop2")
    assert api.request("DELETE", f"/api/v0/ssh/{key['id']}/", json={}).json() == {"success": True}
    gone = api.request("DELETE", f"/api/v0/ssh/{key['id']}/", json={})
    assert gone.status_code == 400
    assert gone.json()["error"] == "no_ssh_key"


def test_balance_goes_down_with_running_costs(
    api: httpx.Client, sim_admin: SimAdmin, cheap_offer: int
) -> None:
    start = api.get("/api/v0/users/current/").json()["balance"]
    instance_id = _create(api, cheap_offer)
    sim_admin.advance(1)
    sim_admin.advance(3600)
    balance = api.get("/api/v0/users/current/").json()["balance"]
    instance = _show(api, instance_id)
    assert instance is not None
    assert start - balance == pytest.approx(instance["dph_total"], rel=0.01)


@pytest.fixture
def scoped(
    api: httpx.Client, sim_url: str, sim_admin: SimAdmin, cheap_offer: int
) -> Iterator[tuple[int, httpx.Client]]:
    instance_id = _create(api, cheap_offer)
    sim_admin.advance(1)
    shown = _show(api, instance_id)
    assert shown is not None
    scoped_key = container_key(api, shown["ssh_port"])
    with httpx.Client(
        base_url=sim_url, headers={"Authorization": f"Bearer {scoped_key}"}, trust_env=False
    ) as client:
        yield instance_id, client


def test_instance_key_may_only_show_stop_or_destroy_its_instance(
    api: httpx.Client, scoped: tuple[int, httpx.Client]
) -> None:
    instance_id, own = scoped
    other = _create(api, _offers(api, num_gpus={"eq": 1})[0]["id"])
    assert own.get(f"/api/v0/instances/{instance_id}/").json()["instances"]["id"] == instance_id
    for response in (
        own.get(f"/api/v0/instances/{other}/"),
        own.get("/api/v1/instances/"),
        own.post("/api/v0/ssh/", json={"ssh_key": PUBLIC_KEY}),
        own.put(f"/api/v0/instances/{instance_id}/", json={"label": "mine"}),
    ):
        assert response.status_code == 401, response.text
        assert response.json()["error"] == "not_authorized"
    assert own.put(f"/api/v0/instances/{instance_id}/", json={"state": "stopped"}).json()["success"]
    assert own.request("DELETE", f"/api/v0/instances/{instance_id}/", json={}).json()["success"]
    assert _show(api, instance_id) is None
    assert _show(api, other) is not None
    after = own.get(f"/api/v0/instances/{instance_id}/")
    assert after.json() == {"instances": None}, "a destroyed instance's key sees nothing"


def test_request_counts_per_route_and_status(
    api: httpx.Client, sim_admin: SimAdmin, vast_account: str
) -> None:
    api.get("/api/v0/users/current/")
    api.get("/api/v0/users/current")
    api.get("/api/v0/instances/")
    counts = sim_admin.request_counts(vast_account)
    assert counts["current_user"] == {"total": 2, "by_status": {"200": 2}}
    assert counts["list_instances_v0"]["by_status"] == {"410": 1}


def test_concurrent_creates_each_get_an_instance_and_an_offer_goes_to_one(
    api: httpx.Client,
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    offers = [o["id"] for o in _offers(api, num_gpus={"eq": 1}, limit=16)]

    def create(offer_id: int) -> int:
        body = {"image": "ubuntu:22.04", "disk": 10}
        return api.put(f"/api/v0/asks/{offer_id}/", json=body).status_code

    with ThreadPoolExecutor(16) as pool:
        distinct = list(pool.map(create, offers))
        contested = _offers(api)[0]["id"]
        same = list(pool.map(create, [contested] * 8))
    assert distinct == [200] * len(offers)
    assert sorted(same) == [200] + [404] * 7, "an offer can be rented once"
    listed = api.get("/api/v1/instances/").json()
    assert listed["total_instances"] == len(offers) + 1
