"""`get_offers`: the ranked market for programs, with the stack's settings."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pulumi.runtime.config import set_all_config

import pulumi_vast as vast
from pulumi_vast.cli import main
from pulumi_vast.resources._problems import InvalidInputs

StackConfig = Callable[..., None]


@pytest.fixture
def stack_config(monkeypatch: pytest.MonkeyPatch) -> Iterator[StackConfig]:
    """Sets the running program's stack config, as the language host does."""
    for env in ("VAST_URL", "VAST_API_KEY", "PULUMI_CONFIG"):
        monkeypatch.delenv(env, raising=False)

    def set_config(**config: Any) -> None:
        set_all_config({key: str(value) for key, value in config.items()})

    yield set_config
    set_all_config({})


@pytest.mark.slow
def test_ranks_what_the_offers_command_lists_with_typed_costs(
    stack_config: StackConfig,
    sim_url: str,
    vast_account: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    stack_config(**{"vast:apiUrl": sim_url, "vast:apiKey": vast_account})
    query = "gpu_ram>=24 num_gpus=1"

    offers = vast.get_offers(query, limit=4, hours=10)

    monkeypatch.setenv("VAST_API_KEY", vast_account)
    assert main(["offers", query, "--url", sim_url, "--hours", "10", "--limit", "4", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [offer.offer_id for offer in offers] == [row["offer"] for row in listed]
    assert len(offers) == 4
    assert [o.per_hour for o in offers] == sorted(o.per_hour for o in offers)
    best = offers[0]
    assert best.estimated_cost == pytest.approx(best.per_hour * 10)
    assert best.num_gpus == 1 and best.gpu_ram_gib >= 22
    assert best.offer.id == best.offer_id
    assert f"(offer {best.offer_id})" in best.description


@pytest.mark.slow
def test_a_task_ranks_by_estimated_total_as_the_offers_command_does(
    stack_config: StackConfig,
    sim_url: str,
    vast_account: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    stack_config(**{"vast:apiUrl": sim_url, "vast:apiKey": vast_account})

    offers = vast.get_offers(task=vast.Task(params_b=7, hours=10), limit=3)

    monkeypatch.setenv("VAST_API_KEY", vast_account)
    argv = ["offers", "--task", "params_b=7", "--hours", "10", "--limit", "3", "--json"]
    assert main([*argv, "--url", sim_url]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [offer.offer_id for offer in offers] == [row["offer"] for row in listed]
    totals = [offer.estimated_cost for offer in offers]
    assert totals == sorted(totals)
    assert all(offer.hours == pytest.approx(10 * 21.5 / (offer.dlperf or 0)) for offer in offers)


@pytest.mark.slow
def test_fastest_first_and_nothing_matching_is_an_empty_list(
    stack_config: StackConfig, sim_url: str, vast_account: str
) -> None:
    stack_config(**{"vast:apiUrl": sim_url, "vast:apiKey": vast_account})

    fastest = vast.get_offers("num_gpus>=1", order="dlperf-", limit=5)

    scores = [offer.dlperf or 0 for offer in fastest]
    assert scores == sorted(scores, reverse=True)
    assert vast.get_offers("gpu_ram>=24 dph<=0.001") == []


@pytest.mark.parametrize(
    ("call", "named"),
    [
        (lambda: vast.get_offers("gpu_rma>=24"), "get_offers().query: unknown field 'gpu_rma'"),
        (lambda: vast.get_offers("gpu_ram>=24", order="speed-"), "get_offers().order"),
        (lambda: vast.get_offers("gpu_ram>=24", limit=0), "get_offers().limit"),
        (lambda: vast.get_offers("gpu_ram>=24", hours=-1), "get_offers().hours"),
        (lambda: vast.get_offers(), "get_offers().query: give a query, or a task"),
    ],
)
def test_bad_arguments_are_named(
    stack_config: StackConfig, call: Callable[[], Any], named: str
) -> None:
    stack_config(**{"vast:apiUrl": "local"})

    with pytest.raises(InvalidInputs) as refused:
        call()

    assert str(refused.value).startswith(named)


def test_the_stacks_settings_are_checked_as_the_provider_checks_them(
    stack_config: StackConfig,
) -> None:
    stack_config(**{"vast:apiURL": "local"})
    with pytest.raises(InvalidInputs, match=r"vast:apiURL is not a setting .*vast:apiUrl"):
        vast.get_offers("gpu_ram>=24")

    stack_config(**{"vast:apiUrl": "https://console.vast.ai"})
    with pytest.raises(InvalidInputs, match="vast:apiKey is not set"):
        vast.get_offers("gpu_ram>=24")
