"""Provide the pulumi CLI whose version equals the installed Python SDK's, with our hosts.

`python -m pulumi_vast.engine.setup --bin-dir DIR` makes `DIR/pulumi` that CLI, trying in
order: what is already there, the per-version cache, a `pulumi` of that exact version on
PATH, and finally a build from Go modules (../shared/ENGINE.md: the CLI is on no package
registry, only its Go source is). Then it writes our Python language host and
dynamic-provider plugin beside it (`install_hosts`): the engine runs the plugins it bundles
from beside its own executable, and this build has no others (the Go language host cannot
be built here). They are scripts running this interpreter, never part of the package: a
`pip install pulumi-vast` puts nothing on a user's PATH that their own Pulumi would run.

`DIR/pulumi` is a hard link to the binary (a copy across filesystems), not a symlink: the
engine looks for its bundled plugins beside the *resolved* executable, and when the ones
it finds on PATH are elsewhere it warns "using pulumi-language-python from $PATH" on every
command.

The cache lives in
`${PULUMI_VAST_CACHE:-~/.cache/pulumi-vast}/engine/v<version>/`:

    bin/pulumi     the binary, written atomically after it printed the right version
    src/           the throwaway Go main module the build ran in
    build.log      output of the last build
    .build.lock    held while building, so concurrent set-ups build once
"""

from __future__ import annotations

import argparse
import enum
import fcntl
import importlib.metadata
import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pulumi_vast.engine.errors import BuildFailed, GoNotFound, SetupError, tail

__all__ = [
    "CACHE_ENV_VAR",
    "HOSTS",
    "Builder",
    "EngineCache",
    "Outcome",
    "Probe",
    "Reporter",
    "SetupResult",
    "build_cli",
    "default_cache_root",
    "ensure_pulumi",
    "install_hosts",
    "main",
    "own_python",
    "probe_version",
    "sdk_version",
]

CACHE_ENV_VAR = "PULUMI_VAST_CACHE"
DEFAULT_CACHE_ROOT = "~/.cache/pulumi-vast"

# The Go build recipe (../shared/ENGINE.md, measured on this project's machines).
PKG_MODULE = "github.com/pulumi/pulumi/pkg/v3"
SDK_MODULE = "github.com/pulumi/pulumi/sdk/v3"
CLI_PACKAGE = f"{PKG_MODULE}/cmd/pulumi"
GO_DIRECTIVE = "1.25.11"
# pkg/v3's go.mod has this one non-local replace; a main module must repeat it.
CLIPBOARD_REPLACE = (
    "github.com/atotto/clipboard => "
    "github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e"
)
VERSION_LDFLAG_VAR = f"{SDK_MODULE}/go/common/version.Version"
PROBE_TIMEOUT_S = 60.0
HOSTS = {
    "pulumi-language-python": "pulumi_vast.engine.language_host",
    "pulumi-resource-pulumi-python": "pulumi_vast.engine.provider_plugin",
}
"""The plugins written beside `pulumi`, and the module each runs."""

Reporter = Callable[[str], None]
Probe = Callable[[Path], "str | None"]


class Outcome(enum.Enum):
    """How `DIR/pulumi` came to be the right CLI."""

    PRESENT = "present"
    CACHED = "cached"
    ON_PATH = "on-path"
    BUILT = "built"


@dataclass(frozen=True)
class SetupResult:
    outcome: Outcome
    binary: Path
    """`DIR/pulumi`, the path callers run."""
    source: Path
    """The binary `binary` was linked or copied from."""


@dataclass(frozen=True)
class EngineCache:
    """The per-version cache folder of the CLI."""

    root: Path
    version: str

    @property
    def dir(self) -> Path:
        return self.root / "engine" / f"v{self.version}"

    @property
    def binary(self) -> Path:
        return self.dir / "bin" / "pulumi"

    @property
    def src(self) -> Path:
        return self.dir / "src"

    @property
    def log(self) -> Path:
        return self.dir / "build.log"

    @property
    def lock(self) -> Path:
        return self.dir / ".build.lock"


Builder = Callable[[EngineCache, Reporter], None]


def sdk_version() -> str:
    """The installed pulumi Python SDK's version, which the CLI must match."""
    return importlib.metadata.version("pulumi")


def default_cache_root(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    return Path(env.get(CACHE_ENV_VAR) or DEFAULT_CACHE_ROOT).expanduser()


def probe_version(binary: Path) -> str | None:
    """The version `binary version` prints (without the leading `v`), or None if it fails."""
    try:
        done = subprocess.run(
            [str(binary), "version"],
            capture_output=True,
            text=True,
            timeout=PROBE_TIMEOUT_S,
            env={**os.environ, "PULUMI_SKIP_UPDATE_CHECK": "true"},
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.strip().removeprefix("v") or None


def ensure_pulumi(
    bin_dir: Path,
    *,
    version: str | None = None,
    cache_root: Path | None = None,
    path: str | None = None,
    probe: Probe = probe_version,
    builder: Builder | None = None,
    report: Reporter = lambda _line: None,
) -> SetupResult:
    """Make `bin_dir/pulumi` the CLI of exactly `version` (default: the SDK's).

    `path` is the PATH to search (default: the process's). `probe` and `builder` are the
    seams tests replace; the default builder is `build_cli`.
    """
    version = version or sdk_version()
    cache = EngineCache(cache_root or default_cache_root(), version)
    target = bin_dir / "pulumi"
    build = builder or build_cli

    if _is_cached_binary(target, cache) or (
        target.exists() and not target.is_symlink() and probe(target) == version
    ):
        return SetupResult(Outcome.PRESENT, target, target)
    if cache.binary.exists():
        _link(target, cache.binary)
        report(f"pulumi v{version}: using the cached CLI {cache.binary}")
        return SetupResult(Outcome.CACHED, target, cache.binary)
    # A symlink left by an older set-up is replaced by a link to what it points at.
    relinks = [target.resolve()] if target.is_symlink() and target.exists() else []
    for candidate in [*relinks, *_path_candidates(path, exclude=bin_dir)]:
        if probe(candidate) == version:
            _link(target, candidate)
            report(f"pulumi v{version}: using {candidate}")
            return SetupResult(Outcome.ON_PATH, target, candidate)

    with _build_lock(cache, report):
        # Another set-up may have finished the build while we waited for the lock.
        outcome = Outcome.CACHED
        if not cache.binary.exists():
            build(cache, report)
            outcome = Outcome.BUILT
    _link(target, cache.binary)
    return SetupResult(outcome, target, cache.binary)


def install_hosts(bin_dir: Path, python: Path | None = None) -> list[Path]:
    """Write `HOSTS` into `bin_dir`, each running its module with `python` (default: this
    interpreter, `own_python`); returns the ones written (an up-to-date one is left alone)."""
    python = python or own_python()
    written = []
    for name, module in HOSTS.items():
        path = bin_dir / name
        text = _host_script(python, module)
        if path.is_file() and not path.is_symlink() and path.read_text() == text:
            continue
        staging = path.with_name(f".{name}.{os.getpid()}.staging")
        staging.write_text(text)
        staging.chmod(0o755)
        os.replace(staging, path)
        written.append(path)
    return written


def own_python() -> Path:
    """This interpreter by a path that stays valid: its virtual environment's real folder.

    A set-up run through a link to the environment (a copy of the repository whose .venv
    points at this one) must not write that link's path into the scripts, which outlive it.
    """
    executable = Path(sys.executable)
    if sys.prefix == sys.base_prefix:
        return executable
    return Path(sys.prefix).resolve() / "bin" / executable.name


def _host_script(python: Path, module: str) -> str:
    # -P: the engine starts plugins in the project's folder, whose modules must not shadow
    # the host's own imports (a project's yaml.py, say).
    return (
        "#!/bin/sh\n"
        "# pulumi-vast: written by `./dev setup` (python -m pulumi_vast.engine.setup) beside\n"
        "# the pulumi CLI it set up, which runs the plugins beside itself.\n"
        f'exec {shlex.quote(str(python))} -P -m {module} "$@"\n'
    )


def build_cli(cache: EngineCache, report: Reporter) -> None:
    """Build `cache.binary` from Go modules with the ENGINE.md recipe, atomically."""
    go = shutil.which("go")
    if go is None:
        raise GoNotFound(cache.version)
    started = time.monotonic()
    report(
        f"pulumi v{cache.version} is not cached: building it from Go modules "
        f"(about 6 minutes on 2 cores, 1.7 GB of memory); log: {cache.log}"
    )
    cache.src.mkdir(parents=True, exist_ok=True)
    cache.binary.parent.mkdir(parents=True, exist_ok=True)
    _write_main_module(cache)
    env = {
        **os.environ,
        # The main module is throwaway: let Go edit go.mod, and don't stamp VCS data
        # (the cache folder may sit inside somebody's git work tree).
        "GOFLAGS": f"{os.environ.get('GOFLAGS', '')} -mod=mod -buildvcs=false".strip(),
    }
    partial = cache.binary.with_name(f".pulumi.{os.getpid()}.partial")
    ldflags = f"-s -w -X {VERSION_LDFLAG_VAR}=v{cache.version}"
    phases: list[tuple[str, list[str]]] = [
        ("go mod tidy (module downloads)", [go, "mod", "tidy"]),
        (
            "go build",
            [go, "build", "-trimpath", "-ldflags", ldflags, "-o", str(partial), CLI_PACKAGE],
        ),
    ]
    try:
        with cache.log.open("w") as log:
            for number, (phase, argv) in enumerate(phases, start=1):
                report(f"[{number}/{len(phases)}] {phase} ...")
                phase_started = time.monotonic()
                log.write(f"$ {' '.join(argv)}\n")
                log.flush()
                done = subprocess.run(
                    argv, cwd=cache.src, env=env, stdout=log, stderr=subprocess.STDOUT, check=False
                )
                log.flush()
                if done.returncode != 0:
                    raise BuildFailed(phase, str(cache.log), tail(cache.log.read_text()))
                report(f"[{number}/{len(phases)}] {phase}: {_elapsed(phase_started)}")
        built = probe_version(partial)
        if built != cache.version:
            raise BuildFailed(
                "verification",
                str(cache.log),
                f"the built binary reports version {built!r}, expected {cache.version!r}",
            )
        os.replace(partial, cache.binary)
    finally:
        partial.unlink(missing_ok=True)
    report(f"built pulumi v{cache.version} in {_elapsed(started)}: {cache.binary}")


def _write_main_module(cache: EngineCache) -> None:
    (cache.src / "go.mod").write_text(
        "module pulumivastengine\n\n"
        f"go {GO_DIRECTIVE}\n\n"
        "require (\n"
        f"\t{PKG_MODULE} v{cache.version}\n"
        f"\t{SDK_MODULE} v{cache.version}\n"
        ")\n\n"
        f"replace {CLIPBOARD_REPLACE}\n"
    )
    (cache.src / "tools.go").write_text(
        f'//go:build tools\n\npackage tools\n\nimport _ "{CLI_PACKAGE}"\n'
    )


def _is_cached_binary(target: Path, cache: EngineCache) -> bool:
    """`target` is a hard link to the cached binary: its version is known without running it.

    The cache is keyed by version and only ever receives a binary that printed it.
    """
    if target.is_symlink() or not target.exists() or not cache.binary.exists():
        return False
    return os.path.samefile(target, cache.binary)


def _link(target: Path, source: Path) -> None:
    """Make `target` a hard link to (or a copy of) `source`, replacing it in one rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.{os.getpid()}.staging")
    staging.unlink(missing_ok=True)
    try:
        os.link(source.resolve(), staging)
    except OSError:  # another filesystem, or links not allowed there
        shutil.copy2(source.resolve(), staging)
    os.replace(staging, target)


def _path_candidates(path: str | None, *, exclude: Path) -> Iterator[Path]:
    """Executable `pulumi` files on PATH, in order, skipping `exclude` and duplicates."""
    seen = {exclude.resolve()}
    for entry in (os.environ.get("PATH", "") if path is None else path).split(os.pathsep):
        if not entry:
            continue
        folder = Path(entry)
        if folder.resolve() in seen:
            continue
        seen.add(folder.resolve())
        candidate = folder / "pulumi"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            yield candidate


@contextmanager
def _build_lock(cache: EngineCache, report: Reporter) -> Iterator[None]:
    cache.dir.mkdir(parents=True, exist_ok=True)
    with cache.lock.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            report(f"another set-up is building pulumi v{cache.version}; waiting for it")
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _elapsed(started: float) -> str:
    seconds = time.monotonic() - started
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes)}m{rest:04.1f}s" if minutes else f"{rest:.1f}s"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pulumi_vast.engine.setup",
        description="Make BIN_DIR/pulumi the pulumi CLI matching the installed Python SDK, "
        "with pulumi-vast's language host and dynamic-provider plugin beside it.",
    )
    parser.add_argument("--bin-dir", type=Path, required=True, help="where `pulumi` must be")
    args = parser.parse_args(argv)

    def report(line: str) -> None:
        print(f"==> {line}", file=sys.stderr, flush=True)

    try:
        ensure_pulumi(args.bin_dir, report=report)
        for path in install_hosts(args.bin_dir):
            report(f"{path.name}: pulumi-vast's, beside the pulumi CLI")
    except SetupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
