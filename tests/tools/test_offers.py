"""`pulumi-vast offers`: ranked offers and their cost, against the simulator."""

from __future__ import annotations

import json

import pytest

from pulumi_vast.cli import main

pytestmark = pytest.mark.slow


def test_lists_matches_cheapest_first_with_the_estimate(
    sim_url: str,
    vast_account: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("VAST_API_KEY", vast_account)

    status = main(["offers", "gpu_ram>=24 num_gpus=1", "--url", sim_url, "--hours", "10", "--json"])

    assert status == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows and all(row["gpu"].startswith("1x ") for row in rows)
    prices = [row["$/h"] for row in rows]
    assert prices == sorted(prices)
    assert rows[0]["est. cost"] == pytest.approx(rows[0]["$/h"] * 10, abs=0.01)


def test_a_bad_query_names_the_token_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["offers", "gpu_rma>=24", "--url", "http://127.0.0.1:9"]) == 2
    assert "did you mean 'gpu_ram'" in capsys.readouterr().err


@pytest.mark.parametrize("as_json", [False, True])
def test_nothing_matching_exits_1_saying_what_to_loosen(
    sim_url: str,
    vast_account: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    as_json: bool,
) -> None:
    monkeypatch.setenv("VAST_API_KEY", vast_account)
    argv = ["offers", "gpu_ram>=24 dph<=0.001", "--url", sim_url, *(["--json"] if as_json else [])]

    status = main(argv)

    out, err = capsys.readouterr()
    assert status == 1
    assert "no on-demand offer matches 'gpu_ram>=24 dph<=0.001' with 10 GB of disk" in err
    assert "loosen a condition" in err
    assert json.loads(out) == [] if as_json else out == ""


def test_a_task_lists_offers_by_estimated_total_with_their_hours(
    sim_url: str,
    vast_account: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("VAST_API_KEY", vast_account)
    argv = ["offers", "--task", "params_b=7 precision=bf16", "--hours", "10", "--url", sim_url]

    assert main([*argv, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    totals = [row["est. total"] for row in rows]
    assert totals == sorted(totals), "cheapest in total first"
    assert len({row["gpu"] for row in rows}) > 1, "across GPU tiers"
    assert any(row["est. hours"] < 10 for row in rows), "faster cards take fewer hours"
    for row in rows:
        hours_rounding = row["$/h"] * 0.05 + 0.005
        assert row["est. total"] == pytest.approx(
            row["$/h"] * row["est. hours"], abs=hours_rounding
        )
        assert row["budget pick"] == (row["reliability"] < 0.97)

    assert main(argv) == 0
    table = capsys.readouterr().out
    assert table.startswith("the task needs >= 16.8 GB VRAM, 50 GB disk, CUDA >= 12.1, 10 h")
    assert "est. hours  est. total" in table
    assert f"~{rows[0]['est. hours']:.1f} h, ${rows[0]['est. total']:.2f} in all" in table


def test_a_bad_task_names_the_field(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["offers", "--task", "params=7", "--url", "http://127.0.0.1:9"]) == 2
    assert "did you mean 'params_b'" in capsys.readouterr().err
