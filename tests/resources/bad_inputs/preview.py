"""`pulumi preview` of a row, as the engine runs it, in-process and fast.

The program (the repository's own for stack config, or the row's Python function) runs
under Pulumi's mocks with the row's config; each resource it registers is then checked by
a freshly configured provider of its type, with its inputs as the engine sends them
(numbers as floats, secrets unwrapped: the dynamic provider does not accept secrets). A
check failure is rendered as the engine prints it (`issueCheckFailures` in the engine's
step generator), including the input value it prints beside a failure's `property`, so a
leaked secret shows here as it would on a terminal.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import traceback
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config
from pulumi.runtime import rpc
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

import pulumi_vast.resources
from pulumi_vast import stack
from pulumi_vast.engine.provider_host import describe_error
from tests.resources.bad_inputs.rows import Files, Program, StackConfig

__all__ = ["PROJECT", "Preview", "preview"]

PROJECT = "pulumi-vast"
STACK = "test"
_LOOP = asyncio.new_event_loop()


@dataclass
class Preview:
    messages: list[str] = field(default_factory=list)
    """What the user reads: the program's error, or the engine's line per check failure."""
    tracebacks: list[str] = field(default_factory=list)
    """Exceptions that would reach the user with a Python traceback."""
    resources: list[str] = field(default_factory=list)
    """Resources the program registered (type:name)."""

    @property
    def refused(self) -> bool:
        return bool(self.messages or self.tracebacks)

    def text(self) -> str:
        return "\n".join([*self.messages, *self.tracebacks])


class _Recorder(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.registered: list[tuple[str, str, dict[str, Any]]] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.registered.append((args.typ, args.name, dict(args.inputs)))
        return f"{args.name}-id", {}

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


def preview(given: StackConfig | Program, base: dict[str, Any], files: Files) -> Preview:
    """Run ``given`` as `pulumi preview` would, with stack config ``base`` under it."""
    config = dict(base)
    config.update(files.fill(given.config))
    raw = {
        k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items() if v is not None
    }
    result = Preview()
    recorder = _Recorder()
    program = stack.main if isinstance(given, StackConfig) else (lambda: given.run(files))
    contextvars.copy_context().run(_run_program, program, raw, recorder, result)
    if result.refused:
        return result
    for type_token, name, inputs in recorder.registered:
        result.resources.append(f"{type_token}:{name}")
        # An `Account` (a provider) or a component (a `Deployment`, a `TrainingCluster`) has
        # nothing to check: the resources it is made of are checked on their own.
        if type_token.startswith("pulumi-python:dynamic/"):
            _check(type_token, name, inputs, raw, result)
    return result


def _run_program(program: Any, raw: dict[str, str], recorder: _Recorder, result: Preview) -> None:
    # The harness's own loop, set for each run: a test before this one may have left none
    # set (asyncio.run does), and the SDK keeps objects bound to the loop of earlier runs,
    # so it is one loop for them all, never closed.
    asyncio.set_event_loop(_LOOP)
    # Outputs an earlier test made outside a program stay pending in the SDK's settings,
    # bound to that test's loop; a run awaits its own only.
    settings = pulumi.runtime.settings.SETTINGS
    settings.outputs = set()
    try:
        pulumi.runtime.set_mocks(recorder, project=PROJECT, stack=STACK, preview=True)
        pulumi.runtime.set_all_config(raw, [])
        _sync_await(run_pulumi_func(program))
    except pulumi.RunError as exc:  # the language host prints its message alone
        result.messages.append(str(exc))
    except Exception:
        result.tracebacks.append(traceback.format_exc())
    finally:
        asyncio.set_event_loop(None)


def _check(
    type_token: str, name: str, inputs: dict[str, Any], raw: dict[str, str], result: Preview
) -> None:
    resource_class = getattr(pulumi_vast.resources, type_token.rsplit(":", 1)[-1])
    provider = resource_class.provider_class()
    news = {k: _plain(v) for k, v in inputs.items()}
    shown_type = type_token.removeprefix("pulumi-python:")
    try:
        provider.configure(ConfigureRequest(Config(raw, PROJECT)))
        checked = provider.check({}, news)
    except Exception as exc:
        # The provider host reports an exception's message (a builtin one with its type).
        result.messages.append(f"{shown_type} resource '{name}': {describe_error(exc)}")
        return
    for failure in checked.failures:
        if failure.property:
            value = news.get(failure.property)
            result.messages.append(
                f"{shown_type} resource '{name}': property {failure.property} value "
                f"{{{value}}} has a problem: {failure.reason}"
            )
        else:
            result.messages.append(
                f"{shown_type} resource '{name}' has a problem: {failure.reason}"
            )


def _plain(value: Any) -> Any:
    if rpc.is_rpc_secret(value):
        return _plain(rpc.unwrap_rpc_secret(value))
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
