"""`pulumi-vast sim` serving: what it says before it serves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pulumi_vast.sim import cli, server
from pulumi_vast.sim.options import SimOptions
from tests.sim.models.world import World


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[SimOptions]:
    """Options `sim` would serve with, without serving (nor re-executing itself confined)."""
    calls: list[SimOptions] = []

    def fake_serve(options: SimOptions, **_: Any) -> int:
        calls.append(options)
        return 0

    monkeypatch.setattr(server, "serve", fake_serve)
    monkeypatch.setattr(server, "confine_process", lambda data_dir: None)
    return calls


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "sim.example.internal"])
def test_a_non_loopback_host_is_served_with_a_warning(
    host: str, served: list[SimOptions], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["--host", host, "--port", "0", "--data", str(tmp_path)]) == 0
    assert [options.host for options in served] == [host]
    err = capsys.readouterr().err
    assert f"WARNING: --host {host} is not a loopback address" in err
    assert "run commands as" in err and "--api-key" in err


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "localhost", "::1"])
def test_loopback_is_served_quietly(
    host: str, served: list[SimOptions], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["--host", host, "--port", "0", "--data", str(tmp_path)]) == 0
    assert served and "WARNING" not in capsys.readouterr().err


def test_the_ledger_shows_instances_then_volumes_then_what_still_bills(tmp_path: Path) -> None:
    world = World(tmp_path)
    alice = world.backend.account("alice")
    world.create(label="trainer")
    offer = next(o for o in world.backend.volume_market if o.kind == "network")
    volume = world.backend.create_volume(alice, offer.id, kind="network", size=40, name="ckpt")

    lines = cli.format_ledger(world.backend.ledger()).splitlines()

    assert lines[0].split()[:3] == ["ID", "ACCOUNT", "LABEL"] and "trainer" in lines[1]
    volumes = lines.index("") + 1
    assert lines[volumes].split()[:4] == ["VOLUME", "ACCOUNT", "NAME", "TYPE"]
    assert lines[volumes + 1].split()[:5] == [
        str(volume.id),
        str(alice.id),
        "ckpt",
        "network_volume",
        "40",
    ]
    assert lines[-1].startswith("instances: 1 ever, 1 not destroyed, 0 running; volumes: 1 ever")
    assert f"billing now: 1 at ${volume.storage_dph:.4f}/h" in lines[-1]
    world.backend.store.close()
