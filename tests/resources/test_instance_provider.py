"""The Instance provider against a real simulator: check, diff, create, read, update, delete.

Each test has its own Vast account (API key) on the session's simulator, and ends by
proving from the simulator's ledger that nothing it rented is still billing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from pulumi.output import Unknown

from pulumi_vast import remote
from pulumi_vast.api import CHEAPEST_FIRST, VastClient
from pulumi_vast.remote import ProbeFailed
from pulumi_vast.resources import InstanceProvider, SshKeyProvider
from pulumi_vast.resources._rental import FROM_THE_OFFER, RentalFailed
from pulumi_vast.sim.testing import SimAdmin

pytestmark = pytest.mark.slow

QUERY = "gpu_ram>=24 num_gpus=1 reliability>0.95"
IMAGE = "pytorch/pytorch"


@pytest.fixture
def provider(configure: Callable[..., Any]) -> InstanceProvider:
    provider: InstanceProvider = configure(InstanceProvider)
    return provider


@pytest.fixture
def client(sim_url: str, vast_account: str) -> VastClient:
    return VastClient(sim_url, vast_account)


def checked(provider: InstanceProvider, olds: dict[str, Any] | None = None, **fields: Any) -> dict:
    fields = {"query": QUERY, "image": IMAGE, "label": "test", **fields}
    result = provider.check(olds or {}, fields)
    assert [(f.property, f.reason) for f in result.failures] == []
    return dict(result.inputs)


def failures(provider: InstanceProvider, olds: dict | None = None, **fields: Any) -> dict:
    """{setting: reason} of a check; the setting leads the reason (never `property`, beside
    which the engine would print the value, secret or not)."""
    fields = {"query": QUERY, "image": IMAGE, **fields}
    found = provider.check(olds or {}, fields).failures
    assert all(f.property == "" for f in found)
    return dict(f.reason.split(": ", 1) for f in found)


def alive(sim_admin: SimAdmin, key: str) -> int:
    count: int = sim_admin.ledger(key)["totals"]["alive"]
    return count


# ------------------------------------------------------------------------------ check


def test_unknown_query_field_is_named_with_the_valid_choices(provider: InstanceProvider) -> None:
    found = failures(provider, query="gpu_rma>=24")
    assert "gpu_rma" in found["query"]
    assert "gpu_ram" in found["query"]


def test_exactly_one_of_query_and_offer_id(provider: InstanceProvider) -> None:
    assert "exactly one" in failures(provider, offer_id=123)["query"]
    assert "exactly one" in failures(provider, query=None)["query"]


def test_a_query_nothing_matches_fails_before_renting(
    provider: InstanceProvider, sim_admin: SimAdmin, vast_account: str
) -> None:
    found = failures(provider, query="gpu_ram>=500")
    assert "no offer on the market matches" in found["query"]
    assert sim_admin.ledger(vast_account)["totals"]["instances"] == 0


def test_new_instances_of_one_stack_are_previewed_on_different_offers(
    provider: InstanceProvider, client: VastClient
) -> None:
    offer = client.offers.search(QUERY, order=CHEAPEST_FIRST, limit=1)[0]

    assert failures(provider, query=None, offer_id=offer.id, __owner="s/a") == {}
    other = failures(provider, query=None, offer_id=offer.id, __owner="s/b")
    again = failures(provider, query=None, offer_id=offer.id, __owner="s/a")

    assert "go to other new instances of this stack" in other["offer_id"]
    assert again == {}, "the same resource checked again gets the same answer"
    assert provider.connection.offers.preview_pick([offer], "s/c") is None


def test_instance_keys_must_be_public_keys(
    provider: InstanceProvider, key_pair: tuple[Path, str]
) -> None:
    found = failures(provider, ssh_keys=[key_pair[1], "my-laptop"])
    assert list(found) == ["ssh_keys[1]"]
    assert "OpenSSH public key line" in found["ssh_keys[1]"]


def test_ports_may_be_numbers(provider: InstanceProvider) -> None:
    assert checked(provider, ports=[8080, "53/udp"])["ports"] == [8080, "53/udp"]


def test_only_offers_with_room_for_the_disk_are_considered(
    provider: InstanceProvider, client: VastClient
) -> None:
    biggest = max(o.disk_space or 0 for o in client.offers.search(QUERY, limit=100))

    found = failures(provider, disk_gb=biggest + 1)

    assert f"with {biggest + 1:g} GB of disk" in found["query"]


def test_an_offer_too_small_for_the_disk_is_refused_naming_disk_gb(
    provider: InstanceProvider, client: VastClient
) -> None:
    offer = client.offers.search(QUERY, order=CHEAPEST_FIRST, limit=1)[0]
    assert offer.disk_space is not None

    found = failures(provider, query=None, offer_id=offer.id, disk_gb=offer.disk_space + 1)

    assert f"offer {offer.id} has {offer.disk_space:g} GB of disk" in found["disk_gb"]


def test_disk_shrink_fails_naming_disk_gb(provider: InstanceProvider) -> None:
    olds = checked(provider, disk_gb=50)
    found = failures(provider, olds, disk_gb=20)
    assert "cannot shrink from 50 to 20 GB" in found["disk_gb"]
    assert failures(provider, olds, disk_gb=80) == {}


def test_ssh_readiness_needs_a_private_key(configure: Callable[..., Any]) -> None:
    keyless = configure(InstanceProvider, sshPrivateKeyFile="")
    found = failures(keyless, ready={"ssh": True})
    assert "vast:sshPrivateKeyFile" in found["ready.ssh"]


def test_an_existing_instance_is_checked_and_diffed_without_api_calls(
    provider: InstanceProvider, sim_admin: SimAdmin, vast_account: str
) -> None:
    inputs = checked(provider)
    created = provider.create(inputs)
    sim_admin.reset_request_counts(vast_account)

    again = checked(provider, olds=inputs)
    diff = provider.diff(created.id, created.outs, again)

    assert diff.changes is False
    assert sim_admin.request_counts(vast_account) == {}
    provider.delete(created.id, created.outs)


# ------------------------------------------------------------------------------ diff


def test_diff_declares_in_place_and_replacing_changes(provider: InstanceProvider) -> None:
    olds = {**checked(provider), "offer": {"gpu_ram": 24576, "num_gpus": 1, "reliability": 0.99}}

    label = provider.diff("1", olds, checked(provider, olds, label="renamed"))
    assert label.changes is True and label.replaces == []

    image = provider.diff("1", olds, checked(provider, olds, image="nvidia/cuda"))
    assert image.replaces == ["image"]
    assert image.delete_before_replace is True

    still_matching = provider.diff("1", olds, checked(provider, olds, query="gpu_ram>=16"))
    assert still_matching.changes is True and still_matching.replaces == []

    no_longer = provider.diff("1", olds, checked(provider, olds, query="gpu_ram>=40"))
    assert no_longer.replaces == ["query"]


# ------------------------------------------------------------------------------ create


def test_create_rents_the_cheapest_match_and_says_so(
    provider: InstanceProvider, client: VastClient, sim_admin: SimAdmin, vast_account: str
) -> None:
    cheapest = client.offers.search(QUERY, order=CHEAPEST_FIRST, storage_gb=10)[0]

    created = provider.create(checked(provider))

    outs = created.outs
    assert outs["offer_id"] == cheapest.id
    assert outs["gpu_name"] == cheapest.gpu_name
    assert outs["status"] == "running"
    assert outs["selection"].startswith("best of")
    assert outs["ssh_command"] == remote.ssh_command(
        remote.SshTarget(host="127.0.0.1", port=outs["ssh_port"]), provider.settings.ssh_key
    )
    assert alive(sim_admin, vast_account) == 1
    provider.delete(created.id, outs)
    assert alive(sim_admin, vast_account) == 0


def test_a_preview_of_a_create_shows_what_the_offer_it_picked_will_give(
    provider: InstanceProvider, sim_admin: SimAdmin, vast_account: str
) -> None:
    inputs = checked(provider)  # a new instance's check picks its offer

    shown = provider.preview_create(inputs)
    created = provider.create(inputs)

    for name in FROM_THE_OFFER:
        assert shown[name] == created.outs[name], name
    assert shown["dph_total"] == pytest.approx(created.outs["dph_total"], abs=1e-9)
    assert isinstance(shown["instance_id"], Unknown), "only what the offer tells is known"
    provider.delete(created.id, created.outs)
    assert alive(sim_admin, vast_account) == 0


def test_create_moves_on_when_the_chosen_offer_is_taken_meanwhile(
    provider: InstanceProvider, client: VastClient, sim_admin: SimAdmin, vast_account: str
) -> None:
    ranked = client.offers.search(QUERY, order=CHEAPEST_FIRST, storage_gb=10)
    sim_admin.set_faults(vast_account, snatched_offers=[ranked[0].id])

    created = provider.create(checked(provider))

    assert created.outs["offer_id"] == ranked[1].id
    assert f"offer {ranked[0].id} was taken" in created.outs["selection"]
    provider.delete(created.id, created.outs)


def test_parallel_creates_of_one_query_share_a_search_and_spread_over_offers(
    provider: InstanceProvider, sim_admin: SimAdmin, vast_account: str
) -> None:
    sim_admin.reset_request_counts(vast_account)
    inputs = checked(provider)

    with ThreadPoolExecutor(max_workers=6) as pool:
        created = list(pool.map(lambda _: provider.create(inputs), range(6)))

    offers = [c.outs["offer_id"] for c in created]
    assert len(set(offers)) == 6
    counts = sim_admin.request_counts(vast_account)
    assert counts["search_offers"]["by_status"]["200"] == 1  # the preview's, shared by all
    creates = counts["create_instance"]["by_status"]
    assert creates["200"] == 6
    assert "404" not in creates  # no create lost a race for an offer another one took
    assert alive(sim_admin, vast_account) == 6
    for c in created:
        provider.delete(c.id, c.outs)
    assert alive(sim_admin, vast_account) == 0


def test_a_lost_create_answer_adopts_the_instance_instead_of_renting_twice(
    provider: InstanceProvider, sim_admin: SimAdmin, vast_account: str
) -> None:
    sim_admin.set_faults(vast_account, lost={"create_instance": {"count": 1, "mode": "drop"}})

    created = provider.create(checked(provider))

    ledger = sim_admin.ledger(vast_account)
    assert ledger["totals"]["instances"] == 1
    assert [row["id"] for row in ledger["instances"]] == [int(created.id)]
    provider.delete(created.id, created.outs)


def test_an_outbid_create_destroys_the_instance_its_refusal_names(
    provider: InstanceProvider, sim_admin: SimAdmin, vast_account: str
) -> None:
    # Preview refuses a bid under the best offer's minimum; a create can still meet one when
    # the minimum rose after the preview, and must leave nothing behind.
    fields = {"query": QUERY, "image": IMAGE, "label": "test", "bid_price": 0.001}
    inputs = provider.table.check(fields).inputs
    with pytest.raises(RentalFailed, match=r"invalid_price.*yet instance (\d+) was created"):
        provider.create(inputs)

    (stranded,) = sim_admin.ledger(vast_account)["instances"]
    assert stranded["status"] == "destroyed"
    assert sim_admin.request_counts(vast_account).get("list_instances") is None, (
        "found by the refusal's new_contract, not by searching the account"
    )


def test_an_instance_that_never_boots_is_destroyed_before_the_error(
    provider: InstanceProvider, sim_admin: SimAdmin, vast_account: str
) -> None:
    sim_admin.set_faults(vast_account, stuck_loading=True)

    with pytest.raises(RentalFailed, match=r"was not running after .* it was destroyed"):
        provider.create(checked(provider, ready={"timeout": 2}))

    totals = sim_admin.ledger(vast_account)["totals"]
    assert (totals["instances"], totals["alive"]) == (1, 0)


def test_a_host_lost_while_booting_is_replaced_by_another_offer(
    provider: InstanceProvider, sim_admin: SimAdmin, vast_account: str
) -> None:
    sim_admin.set_boot_delay(vast_account, 3)
    result: dict[str, Any] = {}
    creating = threading.Thread(
        target=lambda: result.update(out=provider.create(checked(provider)))
    )
    creating.start()
    deadline = time.monotonic() + 20
    while not sim_admin.ledger(vast_account)["instances"] and time.monotonic() < deadline:
        time.sleep(0.1)
    first = sim_admin.ledger(vast_account)["instances"][0]["id"]
    sim_admin.host_lost(first)
    creating.join(timeout=60)

    created = result["out"]
    assert int(created.id) != first
    assert f"instance {first}" in created.outs["selection"]
    assert alive(sim_admin, vast_account) == 1
    provider.delete(created.id, created.outs)
    assert alive(sim_admin, vast_account) == 0


def _looks(sim_admin: SimAdmin, key: str) -> int:
    """How often the account looked at its instances (show or list)."""
    counts = sim_admin.request_counts(key)
    return sum(
        counts.get(route, {}).get("total", 0) for route in ("show_instance", "list_instances")
    )


def _more_looks(sim_admin: SimAdmin, key: str, more: int) -> None:
    """Wait until the account has looked at its instances `more` times again."""
    enough = _looks(sim_admin, key) + more
    _eventually(lambda: _looks(sim_admin, key) >= enough, f"{more} more looks")


def _eventually(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 60  # a hang guard, far beyond the poll interval
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen"
        time.sleep(0.05)


def test_an_instance_pending_without_status_then_created_is_waited_for(
    provider: InstanceProvider, sim_admin: SimAdmin, vast_account: str
) -> None:
    sim_admin.set_created_delay(vast_account, 3600)
    sim_admin.set_boot_delay(vast_account, 0)
    result: dict[str, Any] = {}

    def create() -> None:
        try:
            result["out"] = provider.create(checked(provider))
        except Exception as exc:
            result["error"] = exc

    creating = threading.Thread(target=create)
    creating.start()
    _eventually(lambda: bool(sim_admin.ledger(vast_account)["instances"]), "the rental")
    (rented,) = sim_admin.ledger(vast_account)["instances"]
    for phase in ("new", "created"):
        assert sim_admin.instance(rented["id"])["phase"] == phase
        _more_looks(sim_admin, vast_account, 2)
        sim_admin.advance(1800)
    creating.join(timeout=60)

    assert "error" not in result, f"the wait failed a pending instance: {result.get('error')}"
    created = result["out"]
    assert (int(created.id), created.outs["status"]) == (rented["id"], "running")
    assert sim_admin.ledger(vast_account)["totals"]["instances"] == 1, "nothing was replaced"
    provider.delete(created.id, created.outs)
    assert alive(sim_admin, vast_account) == 0


def test_ssh_readiness_runs_the_probe_on_the_instance(
    configure: Callable[..., Any], key_pair: tuple[Any, str], sim_admin: SimAdmin, vast_account: str
) -> None:
    keys: SshKeyProvider = configure(SshKeyProvider)
    key = keys.create(keys.check({}, {"public_key": key_pair[1]}).inputs)
    provider: InstanceProvider = configure(InstanceProvider)
    probe = 'test "C.$CONTAINER_ID" = "$VAST_CONTAINERLABEL"'

    created = provider.create(checked(provider, ready={"ssh": True, "probe": probe}))

    assert created.outs["status"] == "running"
    provider.delete(created.id, created.outs)
    keys.delete(key.id, key.outs)


def test_a_probe_that_keeps_failing_destroys_the_instance(
    configure: Callable[..., Any], key_pair: tuple[Any, str], sim_admin: SimAdmin, vast_account: str
) -> None:
    keys: SshKeyProvider = configure(SshKeyProvider)
    keys.create(keys.check({}, {"public_key": key_pair[1]}).inputs)
    provider: InstanceProvider = configure(InstanceProvider)

    with pytest.raises(ProbeFailed, match="last exited 3"):
        provider.create(checked(provider, ready={"probe": "exit 3", "timeout": 3}))

    assert alive(sim_admin, vast_account) == 0


# ------------------------------------------------------------------------------ read


def test_read_drops_an_instance_destroyed_elsewhere(
    provider: InstanceProvider, client: VastClient
) -> None:
    created = provider.create(checked(provider))
    client.instances.destroy(int(created.id))
    provider.watcher.forget()

    assert provider.read(created.id, created.outs).id == ""


def test_read_shows_a_label_changed_elsewhere_as_drift(
    provider: InstanceProvider, client: VastClient
) -> None:
    created = provider.create(checked(provider))
    client.instances.set_label(int(created.id), "changed by hand")
    provider.watcher.forget()

    read = provider.read(created.id, created.outs)

    assert read.outs["label"] == "changed by hand"
    assert read.inputs is not None and read.inputs["label"] == "changed by hand"
    diff = provider.diff(created.id, read.outs, checked(provider, read.inputs, label="test"))
    assert diff.changes is True and diff.replaces == []
    provider.delete(created.id, created.outs)


def test_parallel_reads_share_one_listing(
    provider: InstanceProvider, sim_admin: SimAdmin, vast_account: str
) -> None:
    created = [provider.create(checked(provider, label=f"n{i}")) for i in range(4)]
    provider.watcher.forget()
    sim_admin.reset_request_counts(vast_account)

    with ThreadPoolExecutor(max_workers=4) as pool:
        reads = list(pool.map(lambda c: provider.read(c.id, c.outs), created))

    assert [r.id for r in reads] == [c.id for c in created]
    counts = sim_admin.request_counts(vast_account)
    assert set(counts) == {"list_instances"}
    # one listing answered every read (a 429 retry of it is still that one listing)
    assert counts["list_instances"]["by_status"]["200"] == 1
    for c in created:
        provider.delete(c.id, c.outs)


# ------------------------------------------------------------------------------ update, delete


def test_label_and_stop_are_changed_in_place(
    provider: InstanceProvider, client: VastClient
) -> None:
    inputs = checked(provider)
    created = provider.create(inputs)

    updated = provider.update(
        created.id, created.outs, checked(provider, inputs, label="b", running=False)
    )

    live = client.instances.get(int(created.id))
    assert live is not None
    assert (live.label, live.intended_status) == ("b", "stopped")
    assert updated.outs is not None and updated.outs["instance_id"] == int(created.id)
    provider.delete(created.id, created.outs)


def test_a_preview_of_an_update_shows_unknown_only_what_it_may_move(
    provider: InstanceProvider,
) -> None:
    olds = {**checked(provider), "dph_total": 0.25, "status": "running", "ssh_port": 2222}

    relabeled = provider.preview_update("1", olds, checked(provider, olds, label="b"))
    stopping = provider.preview_update("1", olds, checked(provider, olds, running=False))

    assert relabeled["label"] == "b"
    assert (relabeled["dph_total"], relabeled["status"], relabeled["ssh_port"]) == (
        0.25,
        "running",
        2222,
    ), "a label moves neither its price nor its address"
    assert all(isinstance(stopping[name], Unknown) for name in ("status", "ssh_port"))
    assert stopping["dph_total"] == 0.25, "stopped, it keeps its price (what vast_cost reads)"


def test_starting_again_waits_until_it_runs(provider: InstanceProvider, client: VastClient) -> None:
    inputs = checked(provider)
    created = provider.create(inputs)
    stopped = provider.update(created.id, created.outs, checked(provider, inputs, running=False))
    assert stopped.outs is not None

    started = provider.update(created.id, stopped.outs, checked(provider, inputs, running=True))

    assert started.outs is not None and started.outs["status"] == "running"
    provider.delete(created.id, created.outs)


def test_a_start_whose_gpu_was_rented_meanwhile_fails_plainly_and_keeps_the_instance(
    provider: InstanceProvider, sim_admin: SimAdmin, sim_url: str, vast_account: str
) -> None:
    inputs = checked(provider)
    created = provider.create(inputs)
    stopped = provider.update(created.id, created.outs, checked(provider, inputs, running=False))
    assert stopped.outs is not None
    sim_admin.take_offer(vast_account, created.outs["offer_id"])

    with pytest.raises(RuntimeError, match=r"was asked to start.*stopped again.*rented by"):
        provider.update(
            created.id,
            stopped.outs,
            checked(provider, inputs, running=True, ready={"timeout": 2}),
        )

    assert alive(sim_admin, vast_account) == 1  # not ours to destroy: the user decides
    live = VastClient(sim_url, vast_account).instances.get(int(created.id))
    assert live is not None and live.intended_status == "stopped"  # so it cannot start billing
    provider.delete(created.id, created.outs)


def test_instance_keys_are_attached_at_create_and_detached_when_removed(
    provider: InstanceProvider, client: VastClient, key_pair: tuple[Any, str]
) -> None:
    extra = key_pair[1]
    inputs = checked(provider, ssh_keys=[extra])
    created = provider.create(inputs)
    instance_id = int(created.id)
    assert extra in [key.public_key for key in client.instances.ssh_keys(instance_id)]

    provider.update(created.id, created.outs, checked(provider, inputs, ssh_keys=[]))

    assert extra not in [key.public_key for key in client.instances.ssh_keys(instance_id)]
    provider.delete(created.id, created.outs)


def test_a_replacement_with_nothing_to_rent_is_refused_and_the_instance_kept(
    provider: InstanceProvider, sim_admin: SimAdmin, vast_account: str
) -> None:
    inputs = checked(provider)
    created = provider.create(inputs)
    narrower = checked(provider, inputs, image="nvidia/cuda")
    narrower["query"] = "gpu_ram>=500"  # matches nothing: a replacement could not rent

    with pytest.raises(ValueError, match=r"replacing instance .* no offer on the market"):
        provider.diff(created.id, created.outs, narrower)

    assert alive(sim_admin, vast_account) == 1
    provider.delete(created.id, created.outs)


def test_deleting_an_instance_that_is_already_gone_succeeds(
    provider: InstanceProvider, client: VastClient, sim_admin: SimAdmin, vast_account: str
) -> None:
    created = provider.create(checked(provider))
    client.instances.destroy(int(created.id))

    provider.delete(created.id, created.outs)

    assert alive(sim_admin, vast_account) == 0
