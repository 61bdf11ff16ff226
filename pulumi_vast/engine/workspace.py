"""Drive the real pulumi CLI from Python: for tests, benchmarks and tools.

    ws = PulumiWorkspace(project_dir, backend_url="file:///tmp/state")
    ws.init_stack("dev")
    ws.set_config("vast:apiKey", "k", secret=True)
    ws.up()
    ws.outputs()  # {"name": "value", ...}

Every command runs with the virtualenv's bin folder first on PATH, as with that virtualenv
activated (its Python runs a program whose Pulumi.yaml names no virtualenv; the CLI finds
our plugins beside itself, where `./dev setup` wrote them), update checks and plugin
downloads off, and the backend and passphrase given here; `env` overrides any of it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pulumi_vast.engine.errors import CommandFailed

__all__ = [
    "DEFAULT_PASSPHRASE",
    "PulumiWorkspace",
    "stock_provider_host",
    "venv_bin_dir",
]

DEFAULT_PASSPHRASE = "pulumi-vast-test"
# Flags every deployment command gets: no prompts, no colour codes in captured output.
_DEPLOY_FLAGS = ("--yes", "--non-interactive", "--color", "never")
_PREVIEW_FLAGS = ("--non-interactive", "--color", "never")


def venv_bin_dir() -> Path:
    """The bin folder of the running interpreter's environment (where setup puts `pulumi`)."""
    return Path(sys.executable).parent


def stock_provider_host(folder: Path) -> dict[str, str]:
    """`env` for a workspace whose dynamic providers run under the SDK's stock host
    (`python -m pulumi.dynamic`), as with Pulumi's own CLI: a bin folder made in ``folder``,
    whose `pulumi-resource-pulumi-python` runs that host, is first on PATH."""
    folder.mkdir(parents=True)
    script = folder / "pulumi-resource-pulumi-python"
    script.write_text(f'#!/bin/sh\nexec "{venv_bin_dir() / "python"}" -u -m pulumi.dynamic "$@"\n')
    script.chmod(0o755)
    return {"PATH": os.pathsep.join([str(folder), str(venv_bin_dir()), os.environ["PATH"]])}


class PulumiWorkspace:
    """One Pulumi project folder, one backend, and the stack commands run against it."""

    def __init__(
        self,
        project_dir: Path,
        *,
        backend_url: str,
        passphrase: str = DEFAULT_PASSPHRASE,
        env: Mapping[str, str] | None = None,
        pulumi_bin: Path | None = None,
        pulumi_home: Path | None = None,
        stack: str | None = None,
    ) -> None:
        self.project_dir = project_dir
        self.backend_url = backend_url
        self.passphrase = passphrase
        self.extra_env = dict(env or {})
        self.pulumi_bin = pulumi_bin or venv_bin_dir() / "pulumi"
        self.pulumi_home = pulumi_home
        self.stack = stack

    @property
    def env(self) -> dict[str, str]:
        """The environment each command runs with."""
        env = {k: v for k, v in os.environ.items() if k != "PULUMI_CONFIG_PASSPHRASE_FILE"}
        env.update(
            PATH=os.pathsep.join([str(venv_bin_dir()), env.get("PATH", "")]),
            PULUMI_SKIP_UPDATE_CHECK="true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true",
            PULUMI_BACKEND_URL=self.backend_url,
            PULUMI_CONFIG_PASSPHRASE=self.passphrase,
        )
        if self.pulumi_home is not None:
            env["PULUMI_HOME"] = str(self.pulumi_home)
        env.update(self.extra_env)
        return env

    def command(self, *args: str) -> list[str]:
        return [str(self.pulumi_bin), *args]

    def run(
        self,
        *args: str,
        check: bool = True,
        timeout: float | None = None,
        input: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run `pulumi ARGS` in the project folder; raise CommandFailed if `check` and it fails."""
        argv = self.command(*args)
        try:
            done = subprocess.run(
                argv,
                cwd=self.project_dir,
                env=self.env,
                input=input,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise CommandFailed(argv, None, _text(exc.stdout), _text(exc.stderr)) from exc
        if check and done.returncode != 0:
            raise CommandFailed(argv, done.returncode, done.stdout, done.stderr)
        return done

    def start(self, *args: str) -> subprocess.Popen[str]:
        """Start `pulumi ARGS` without waiting, in its own process group (for Ctrl-C tests)."""
        return subprocess.Popen(
            self.command(*args),
            cwd=self.project_dir,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )

    @staticmethod
    def interrupt(process: subprocess.Popen[str]) -> None:
        """What Ctrl-C in a terminal does: SIGINT to the command's whole process group."""
        os.killpg(process.pid, signal.SIGINT)

    # -- stacks and config -------------------------------------------------------------

    def init_stack(self, name: str) -> None:
        self.run("stack", "init", name, "--secrets-provider", "passphrase", "--non-interactive")
        self.stack = name

    def select_stack(self, name: str) -> None:
        self.run("stack", "select", name, "--non-interactive")
        self.stack = name

    def set_config(self, key: str, value: str, *, secret: bool = False) -> None:
        if secret:
            # Through stdin: a secret on the command line shows in `ps` and in the
            # CommandFailed message of a failing command.
            self.run("config", "set", *self._stack_flag(), "--secret", key, input=value)
        else:
            self.run("config", "set", *self._stack_flag(), "--plaintext", key, "--", value)

    # -- deployments -------------------------------------------------------------------

    def up(
        self, *args: str, check: bool = True, timeout: float | None = None
    ) -> subprocess.CompletedProcess[str]:
        return self._deploy("up", _DEPLOY_FLAGS, args, check, timeout)

    def preview(
        self, *args: str, check: bool = True, timeout: float | None = None
    ) -> subprocess.CompletedProcess[str]:
        return self._deploy("preview", _PREVIEW_FLAGS, args, check, timeout)

    def refresh(
        self, *args: str, check: bool = True, timeout: float | None = None
    ) -> subprocess.CompletedProcess[str]:
        return self._deploy("refresh", _DEPLOY_FLAGS, args, check, timeout)

    def destroy(
        self, *args: str, check: bool = True, timeout: float | None = None
    ) -> subprocess.CompletedProcess[str]:
        return self._deploy("destroy", _DEPLOY_FLAGS, args, check, timeout)

    def _deploy(
        self,
        verb: str,
        flags: Sequence[str],
        args: Sequence[str],
        check: bool,
        timeout: float | None,
    ) -> subprocess.CompletedProcess[str]:
        return self.run(verb, *flags, *self._stack_flag(), *args, check=check, timeout=timeout)

    # -- reading the stack -------------------------------------------------------------

    def outputs(self) -> dict[str, Any]:
        """Stack outputs, secrets shown in clear."""
        done = self.run("stack", "output", "--json", "--show-secrets", *self._stack_flag())
        result: dict[str, Any] = json.loads(done.stdout)
        return result

    def export_state(self, *, show_secrets: bool = False) -> dict[str, Any]:
        """The stack's checkpoint (`pulumi stack export`); secrets stay encrypted by default."""
        flags = ["--show-secrets"] if show_secrets else []
        done = self.run("stack", "export", *flags, *self._stack_flag())
        result: dict[str, Any] = json.loads(done.stdout)
        return result

    def resources(self) -> list[dict[str, Any]]:
        """The resources recorded in the stack's state."""
        deployment = self.export_state().get("deployment", {})
        resources: list[dict[str, Any]] = deployment.get("resources") or []
        return resources

    def _stack_flag(self) -> list[str]:
        return ["--stack", self.stack] if self.stack else []


def _text(stream: str | bytes | None) -> str:
    if stream is None:
        return ""
    return stream.decode(errors="replace") if isinstance(stream, bytes) else stream
