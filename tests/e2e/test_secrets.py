"""No secret in clear anywhere: a whole lifecycle at `-v=9 --logtostderr`, then every byte
it left behind is searched.

The stack has a secret API key, a secret `vast:sshPrivateKey` (readiness logs in with it;
no key file exists) and a secret env value (`pulumi config set --secret --path`). After
`up`, a no-change preview, an in-place update, `refresh` and `destroy`, the three secrets
are searched for, as they are and as JSON and base64 write them, in every command's stdout
and stderr and in every file under the test's folder (project and stack config, the state
backend with its history and backups, PULUMI_HOME with its logs, gzip ones opened, and
TMPDIR, where the engine writes log files and plugins their temporary files) and in the
simulator's data folder. Both plugin hosts run it: ours and the SDK's
`python -m pulumi.dynamic`, under which users may also run these resources.

One thing is let through, and only it: records the engine (v3.250.0) logs at -v=7 and
above that print property values it holds. It prints a secret's value in clear there,
whoever handed it over (the config it decrypts itself, the program, a provider), because
`resource.PropertyValue.String()` formats a secret's element with `%v`
(sdk/go/common/resource/properties.go:648-661) and its secret filter runs before the
message is formatted, so it sees the format string but not these arguments
(sdk/go/common/util/logging/log.go:77-86, 465-486). The records are the per-property RPC
traces (pkg/resource/plugin/rpc.go:91, 328) and the planner's decisions
(pkg/resource/deploy/step_generator.go:1509, 1734, 1846, 1973, 2112). They still tell
whether a provider handed a secret back marked: each value a provider call returned for
the declared secret field `env` must print as a secret (`{&{{...}}}`) there.
"""

from __future__ import annotations

import base64
import gzip
import json
import re
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pulumi_vast.engine import PulumiWorkspace
from pulumi_vast.sim.testing import SimAdmin, SimulatorProcess
from pulumi_vast.stack import generate_key_pair
from tests.e2e.conftest import STACK, VastStack, instance, write_config

pytestmark = pytest.mark.slow

VERBOSE = ("-v=9", "--logtostderr")
ENGINE_PROPERTY_DUMPS = (
    "Marshaling property for RPC[",
    "Unmarshaling property for RPC[",
    "Planner decided ",
)
"""Message templates of the engine's records that print property values (see above)."""
PROVIDER_RESULT = re.compile(
    r"Unmarshaling property for RPC\[Provider\[0x[0-9a-f]+\]\.(\w+)\(.*\)\.(inputs|outputs)\]:"
    r" env=(.*)",
    re.DOTALL,
)
SECRET_AS_ENGINE_PRINTS_IT = "{&{{"
RETURNING_ENV = {
    ("Check", "inputs"),
    ("Create", "outputs"),
    ("Read", "outputs"),
    ("Read", "inputs"),
    ("Update", "outputs"),
}
"""The provider results that carry `env` in this lifecycle."""


@dataclass(frozen=True)
class Secret:
    name: str
    value: str
    not_secret: tuple[str, ...] = ()
    """Texts that share parts with the value and are no secret (its public key, another key
    of its kind, whose header and first line are those of every such key): a form found in
    one of them is not searched for."""

    def clear_forms(self) -> list[bytes]:
        """The value as it is, as JSON writes it, each long line of it alone (a PEM body
        line), and its base64 in all three alignments (as inside a larger encoded blob)."""
        forms = {self.value, json.dumps(self.value)[1:-1]}
        forms |= {line for line in self.value.splitlines() if len(line) >= 16}
        for core in _base64_cores(self.value.encode()):
            forms |= {core, core.replace("+", "-").replace("/", "_")}
        return sorted(
            form.encode() for form in forms if not any(form in text for text in self.not_secret)
        )


def _base64_cores(data: bytes) -> set[str]:
    """The base64 characters that encode ``data`` alone, at each offset it may start at."""
    cores = set()
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + data).decode()
        cores.add(encoded[(shift * 8 + 5) // 6 : (shift + len(data)) * 8 // 6])
    return cores


def _key_pair(folder: Path) -> tuple[str, str]:
    """(private key text, public key line) of a new pair, made in ``folder`` (outside the
    searched tree), which is gone afterwards: the key lives only in the stack's config."""
    generate_key_pair(folder / "id_ed25519.pub")
    pair = (folder / "id_ed25519").read_text(), (folder / "id_ed25519.pub").read_text().strip()
    shutil.rmtree(folder)
    return pair


# ------------------------------------------------------------------------------ searching


@dataclass(frozen=True)
class Leak:
    where: str
    secret: str
    excerpt: str

    def __str__(self) -> str:
        return f"{self.secret} in {self.where}: ...{self.excerpt!r}..."


def leaks(where: str, data: bytes, secrets_: list[Secret]) -> list[Leak]:
    """One `Leak` per secret found in ``data`` in any clear form, with what surrounds it."""
    found = []
    for secret in secrets_:
        for form in secret.clear_forms():
            at = data.find(form)
            if at >= 0:
                excerpt = data[max(0, at - 100) : at + len(form) + 20].decode(errors="replace")
                found.append(Leak(where, secret.name, excerpt))
                break
    return found


def leaks_in_files(root: Path, secrets_: list[Secret]) -> list[Leak]:
    found = []
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink()):
        data = path.read_bytes()
        if data[:2] == b"\x1f\x8b":  # a gzip log: search what it holds too
            data += gzip.decompress(data)
        found += leaks(str(path), data, secrets_)
    return found


@dataclass
class CommandOutputs:
    """What the lifecycle's commands printed, and what the engine's own records showed."""

    leaks: list[Leak]
    provider_results: set[tuple[str, str]]
    """(call, inputs or outputs) of every provider result seen handing `env` back marked."""

    def search(self, command: str, stdout: str, stderr: str, secrets_: list[Secret]) -> None:
        self.leaks += leaks(f"{command}: stdout", stdout.encode(), secrets_)
        for line in stderr.splitlines():
            found = leaks(f"{command}: stderr", line.encode(), secrets_)
            if not found:
                continue
            record = _engine_property_dump(line)
            if record is None:
                self.leaks += found
                continue
            returned = PROVIDER_RESULT.match(record)
            if returned is None:
                continue
            call, side, value = returned.groups()
            if value.startswith(SECRET_AS_ENGINE_PRINTS_IT):
                self.provider_results.add((call, side))
            else:
                self.leaks.append(
                    Leak(f"{command}: {call} {side} handed back in clear", "env", record)
                )


def _engine_property_dump(line: str) -> str | None:
    """The message of an engine record that prints property values, else None."""
    try:
        record = json.loads(line)
    except ValueError:
        return None
    if not isinstance(record, dict) or set(record) != {"time", "level", "msg", "v"}:
        return None
    message = record["msg"]
    if record["v"] >= 7 and isinstance(message, str) and message.startswith(ENGINE_PROPERTY_DUMPS):
        return message
    return None


# ------------------------------------------------------------------------------ the test


@pytest.mark.parametrize("host", ["pulumi-vast host", "SDK host"])
def test_a_whole_lifecycle_leaves_no_secret_in_clear(
    host: str,
    vast_stack: VastStack,
    vast_account: str,
    sim_server: SimulatorProcess,
    sim_admin: SimAdmin,
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    stock_host_env: dict[str, str],
) -> None:
    private_key, public_key = _key_pair(tmp_path_factory.mktemp("key"))
    another_key, _ = _key_pair(tmp_path_factory.mktemp("key"))
    hf_token = f"hf_{secrets.token_hex(16)}"
    secrets_ = [
        Secret("the API key", vast_account),
        Secret("vast:sshPrivateKey", private_key.strip(), not_secret=(public_key, another_key)),
        Secret("the env value", hf_token),
    ]
    (tmp_path / "tmp").mkdir()
    env = {"TMPDIR": str(tmp_path / "tmp"), **(stock_host_env if host == "SDK host" else {})}

    probe = 'test -n "$HF_TOKEN"'  # the env value reached the instance, over SSH
    stack = vast_stack([instance(ready={"ssh": True, "probe": probe, "timeout": 60})], env=env)
    stack.run("config", "rm", "--stack", STACK, "vast:sshPrivateKeyFile")
    stack.set_config("vast:sshPrivateKey", private_key, secret=True)
    write_config(stack, sshKeys=[{"name": "dev", "publicKey": public_key}])
    path = "pulumi-vast:instances[0].env.HF_TOKEN"
    stack.run("config", "set", "--stack", STACK, "--secret", "--path", path, input=hf_token)

    outputs = CommandOutputs(leaks=[], provider_results=set())

    def run(command: str, *args: str) -> None:
        done = stack.run(command, *args, "--stack", STACK, *VERBOSE)
        outputs.search(f"pulumi {command}", done.stdout, done.stderr, secrets_)

    run("up", "--yes", "--non-interactive")
    _assert_env_stored_encrypted(stack)
    run("preview", "--expect-no-changes", "--non-interactive")
    label = "pulumi-vast:instances[0].label"
    stack.run("config", "set", "--stack", STACK, "--plaintext", "--path", label, "--", "b")
    run("up", "--yes", "--non-interactive")
    run("refresh", "--yes", "--non-interactive")
    run("destroy", "--yes", "--non-interactive")
    assert stack.resources() == []
    assert sim_admin.ledger(vast_account)["totals"]["alive"] == 0

    assert not outputs.leaks, _listed(outputs.leaks)
    assert outputs.provider_results >= RETURNING_ENV  # the check above saw every path
    in_files = leaks_in_files(tmp_path, secrets_)
    assert not in_files, _listed(in_files)
    # Last, apart: the simulator's own files (it keeps keys hashed and env values encrypted)
    in_simulator = leaks_in_files(sim_server.data_dir, secrets_)
    assert not in_simulator, _listed(in_simulator)


def _listed(found: list[Leak]) -> str:
    return "secrets in clear:\n" + "\n".join(map(str, found))


def _assert_env_stored_encrypted(stack: PulumiWorkspace) -> None:
    [gpu] = [r for r in stack.resources() if r["type"].endswith("vast:Instance")]
    for side in ("inputs", "outputs"):
        stored: Any = gpu[side]["env"]
        assert set(stored) == {"4dabf18193072939515e22adb298388d", "ciphertext"}, side
