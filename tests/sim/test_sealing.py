"""Secrets at rest: keyed digests and sealed values, and a whole lifecycle after which no
file of the data folder holds an API key or a secret value in clear."""

from __future__ import annotations

import json
import secrets
import stat
from pathlib import Path

import httpx
import pytest

from pulumi_vast.sim.datadir import SECRET_KEY_FILE
from pulumi_vast.sim.models.templates import CATALOG
from pulumi_vast.sim.sealing import Keyring, SealError
from pulumi_vast.sim.testing import SimulatorProcess
from tests.sim.sshutil import new_key, public_line, ssh_run


def test_digests_are_stable_and_keyed_by_the_data_folder(tmp_path: Path) -> None:
    one, again, other = (
        Keyring.of(tmp_path / "a"),
        Keyring.of(tmp_path / "a"),
        Keyring.of(tmp_path / "b"),
    )
    assert one.digest("k") == again.digest("k") != one.digest("k2")
    assert one.digest("k") != other.digest("k"), "a short key cannot be found by hashing guesses"
    assert len(one.digest("k")) == 64


def test_sealed_values_open_only_with_their_folders_key(tmp_path: Path) -> None:
    keyring = Keyring.of(tmp_path / "a")
    sealed = keyring.seal("hf_token=abc")
    assert "abc" not in sealed
    assert keyring.unseal(sealed) == "hf_token=abc"
    assert Keyring.of(tmp_path / "a").unseal(sealed) == "hf_token=abc", "the key file is kept"
    with pytest.raises(SealError):
        Keyring.of(tmp_path / "b").unseal(sealed)
    with pytest.raises(SealError):
        keyring.unseal(sealed[:-4] + "AAAA")


def test_the_key_file_is_private(tmp_path: Path) -> None:
    Keyring.of(tmp_path)
    assert stat.S_IMODE((tmp_path / SECRET_KEY_FILE).stat().st_mode) == 0o600


def _in_clear(folder: Path, needles: dict[str, str]) -> list[str]:
    """`name in file` for each needle found in a file under `folder`."""
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        content = path.read_bytes()
        found += [
            f"{name} in {path.relative_to(folder)}"
            for name, needle in needles.items()
            if needle.encode() in content
        ]
    return found


def _not_private(folder: Path) -> list[str]:
    paths = [folder, *folder.rglob("*")]
    return [
        f"{oct(stat.S_IMODE(p.lstat().st_mode))} {p}" for p in paths if p.lstat().st_mode & 0o077
    ]


@pytest.mark.slow
def test_a_whole_lifecycle_leaves_no_key_or_secret_in_the_data_folder(tmp_path: Path) -> None:
    data = tmp_path / "sim"
    needles = {"env secret": f"env-secret-{secrets.token_hex(12)}"}
    onstart_secret = f"onstart-secret-{secrets.token_hex(12)}"
    needles["onstart secret"] = onstart_secret
    login = new_key()
    with SimulatorProcess.start(data, boot_delay=0, rate_limits=False) as sim:
        key = needles["API key"] = sim.admin.new_account()
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=sim.url, headers=headers, trust_env=False, timeout=30) as api:
            api.post("/api/v0/ssh/", json={"ssh_key": public_line(login)})
            offer = api.post("/api/v0/bundles/", json={"num_gpus": {"eq": 1}}).json()["offers"][0]
            created = api.put(
                f"/api/v0/asks/{offer['id']}/",
                json={
                    "image": "ubuntu:22.04",
                    "env": f"-e TOKEN={needles['env secret']} -p 8080:8080",
                    "onstart": f"export EXTRA={onstart_secret}",
                    "label": "sealed",
                },
            )
            instance_id = created.json()["new_contract"]
            sim.admin.advance(1)
            shown = api.get(f"/api/v0/instances/{instance_id}/").json()["instances"]
            needles["jupyter token"] = shown["jupyter_token"]
            _, out = ssh_run(shown["ssh_port"], login, "echo $TOKEN; echo $CONTAINER_API_KEY")
            token, container_key = out.split()
            assert token == needles["env secret"], "the container still gets its env"
            needles["CONTAINER_API_KEY"] = container_key
            with httpx.Client(
                base_url=sim.url,
                headers={"Authorization": f"Bearer {container_key}"},
                trust_env=False,
            ) as own:
                assert (
                    own.get(f"/api/v0/instances/{instance_id}/").json()["instances"]["id"]
                    == instance_id
                )

            sim.admin.set_faults(key, delays={"show_instance": 0.0})
            answers = [
                sim.admin.instance(instance_id),
                sim.admin.faults(key),
                sim.admin.ledger(key),
                sim.admin.configure(key, credit=50),
                sim.admin.request_counts(),
            ]
            shown_to_admin = json.dumps(answers)
            assert not [name for name, needle in needles.items() if needle in shown_to_admin]
            assert sim.admin.instance(instance_id)["account_key"] == f"vastsim-…{key[-4:]}"

            assert not _in_clear(data, needles), "while running"
            api.put(f"/api/v0/instances/{instance_id}/", json={"label": "relabelled"})
            api.put(f"/api/v0/instances/{instance_id}/", json={"state": "stopped"})
            api.put(f"/api/v0/instances/{instance_id}/", json={"state": "running"})
            sim.admin.advance(1)
            api.request("DELETE", f"/api/v0/instances/{instance_id}/")
            assert sim.admin.ledger(key)["totals"]["alive"] == 0
        assert not _in_clear(data, needles), "after the destroy"
    assert not _in_clear(data, needles), "after the server stopped"
    assert not _not_private(data)


@pytest.mark.slow
def test_env_vars_and_templates_leave_no_value_or_docker_login_in_the_data_folder(
    tmp_path: Path,
) -> None:
    data = tmp_path / "sim"
    needles = {
        name: f"{name.replace(' ', '-')}-{secrets.token_hex(12)}"
        for name in ("env var", "rotated env var", "template env", "docker user", "docker pass")
    }
    login = new_key()
    with SimulatorProcess.start(data, boot_delay=0, rate_limits=False) as sim:
        key = sim.admin.new_account()
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=sim.url, headers=headers, trust_env=False, timeout=30) as api:
            api.post("/api/v0/ssh/", json={"ssh_key": public_line(login)})
            api.post("/api/v0/secrets/", json={"key": "HF_TOKEN", "value": needles["env var"]})
            template = api.post(
                "/api/v0/template/",
                json={
                    "name": "private-image",
                    "image": "registry.example/private",
                    "env": f"-e TEMPLATE_TOKEN={needles['template env']}",
                    "docker_login_repo": "registry.example",
                    "docker_login_user": needles["docker user"],
                    "docker_login_pass": needles["docker pass"],
                },
            ).json()["template"]
            offer = api.post("/api/v0/bundles/", json={"num_gpus": {"eq": 1}}).json()["offers"][0]
            created = api.put(
                f"/api/v0/asks/{offer['id']}/", json={"template_hash_id": template["hash_id"]}
            )
            instance_id = created.json()["new_contract"]
            sim.admin.advance(1)
            shown = api.get(f"/api/v0/instances/{instance_id}/").json()["instances"]
            _, out = ssh_run(shown["ssh_port"], login, "echo $HF_TOKEN $TEMPLATE_TOKEN")
            assert out.split() == [needles["env var"], needles["template env"]]
            api.put(
                "/api/v0/secrets/", json={"key": "HF_TOKEN", "value": needles["rotated env var"]}
            )
            found = api.get("/api/v0/template/").json()["templates"]
            assert needles["docker pass"] not in json.dumps(found)
            assert needles["docker user"] not in json.dumps(found)

            admin_answers = json.dumps(
                [sim.admin.instance(instance_id), sim.admin.ledger(key), sim.admin.request_counts()]
            )
            assert not [name for name, needle in needles.items() if needle in admin_answers]
            assert not _in_clear(data, needles), "while running"
            api.request("DELETE", f"/api/v0/instances/{instance_id}/")
            api.request("DELETE", "/api/v0/template/", json={"template_id": template["id"]})
            api.request("DELETE", "/api/v0/secrets/", json={"key": "HF_TOKEN"})
        assert not _in_clear(data, needles), "after deleting them"
    assert not _in_clear(data, needles), "after the server stopped"
    assert not _not_private(data)


@pytest.mark.slow
def test_serverless_leaves_no_endpoint_key_or_launch_env_in_the_data_folder(
    tmp_path: Path,
) -> None:
    data = tmp_path / "sim"
    needles = {"launch env": f"launch-env-{secrets.token_hex(12)}"}
    login = new_key()
    with SimulatorProcess.start(data, boot_delay=0, rate_limits=False) as sim:
        key = sim.admin.new_account()
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=sim.url, headers=headers, trust_env=False, timeout=30) as api:
            api.post("/api/v0/ssh/", json={"ssh_key": public_line(login)})
            endpoint_id = api.post(
                "/api/v0/endptjobs/", json={"endpoint_name": "e", "cold_workers": 0}
            ).json()["result"]
            api.post(
                "/api/v0/workergroups/",
                json={
                    "endpoint_id": endpoint_id,
                    "template_hash": CATALOG[0].hash_id,
                    "launch_args": f"--env '-e TOKEN={needles['launch env']}'",
                    "test_workers": 0,
                },
            )
            needles["endpoint key"] = api.get("/api/v0/endptjobs/").json()["results"][0]["api_key"]
            sim.admin.set_load(endpoint_id, 1)
            view = sim.admin.wait_for_endpoint(
                endpoint_id, lambda v: [w["status"] for w in v["workers"]] == ["running"]
            )
            worker = api.get(f"/api/v0/instances/{view['workers'][0]['id']}/").json()["instances"]
            _, out = ssh_run(worker["ssh_port"], login, "echo $TOKEN")
            assert out.strip() == needles["launch env"], "the worker gets its launch env"
            shown_to_admin = json.dumps([sim.admin.endpoint(endpoint_id), sim.admin.ledger(key)])
            assert not [name for name, needle in needles.items() if needle in shown_to_admin]
            assert not _in_clear(data, needles), "while running"
            api.request("DELETE", f"/api/v0/endptjobs/{endpoint_id}/")
        assert not _in_clear(data, needles), "after deleting it"
    assert not _in_clear(data, needles), "after the server stopped"
