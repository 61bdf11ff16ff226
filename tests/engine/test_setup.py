"""The CLI set-up's decisions, with the probe and the builder replaced (no real build)."""

from __future__ import annotations

import importlib.metadata
import os
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from pulumi_vast.engine.errors import BuildFailed, GoNotFound
from pulumi_vast.engine.setup import (
    HOSTS,
    EngineCache,
    Outcome,
    Reporter,
    build_cli,
    ensure_pulumi,
    install_hosts,
    main,
)

VERSION = "3.250.0"


def _executable(path: Path, text: str = "#!/bin/sh\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


class Versions:
    """A probe answering from a table, and counting its calls."""

    def __init__(self, table: dict[Path, str]) -> None:
        self.table = table
        self.calls: list[Path] = []

    def __call__(self, binary: Path) -> str | None:
        self.calls.append(binary)
        return self.table.get(binary)


class FakeBuilder:
    def __init__(self, delay: float = 0.0) -> None:
        self.builds = 0
        self.delay = delay

    def __call__(self, cache: EngineCache, report: Reporter) -> None:
        self.builds += 1
        time.sleep(self.delay)
        _executable(cache.binary, "#!/bin/sh\necho built\n")


@pytest.fixture
def bin_dir(tmp_path: Path) -> Path:
    path = tmp_path / "venv-bin"
    path.mkdir()
    return path


@pytest.fixture
def cache(tmp_path: Path) -> EngineCache:
    return EngineCache(tmp_path / "cache", VERSION)


def test_cached_binary_is_hard_linked_and_then_known_without_running_it(
    bin_dir: Path, cache: EngineCache
) -> None:
    _executable(cache.binary)
    probe, builder, lines = Versions({}), FakeBuilder(), []

    first = ensure_pulumi(
        bin_dir,
        version=VERSION,
        cache_root=cache.root,
        path="",
        probe=probe,
        builder=builder,
        report=lines.append,
    )
    second = ensure_pulumi(
        bin_dir, version=VERSION, cache_root=cache.root, path="", probe=probe, builder=builder
    )

    assert first.outcome is Outcome.CACHED
    assert second.outcome is Outcome.PRESENT
    target = bin_dir / "pulumi"
    assert not target.is_symlink()
    assert os.path.samefile(target, cache.binary)
    assert probe.calls == []
    assert builder.builds == 0
    assert lines == [f"pulumi v{VERSION}: using the cached CLI {cache.binary}"]


def test_a_binary_of_the_right_version_already_there_is_kept(
    bin_dir: Path, cache: EngineCache
) -> None:
    target = _executable(bin_dir / "pulumi", "#!/bin/sh\necho mine\n")
    probe = Versions({target: VERSION})

    result = ensure_pulumi(
        bin_dir,
        version=VERSION,
        cache_root=cache.root,
        path="",
        probe=probe,
        builder=FakeBuilder(),
    )

    assert result.outcome is Outcome.PRESENT
    assert target.read_text() == "#!/bin/sh\necho mine\n"


def test_a_wrong_version_is_replaced_by_the_cached_one(bin_dir: Path, cache: EngineCache) -> None:
    target = _executable(bin_dir / "pulumi")
    _executable(cache.binary)
    probe = Versions({target: "3.100.0"})

    result = ensure_pulumi(
        bin_dir,
        version=VERSION,
        cache_root=cache.root,
        path="",
        probe=probe,
        builder=FakeBuilder(),
    )

    assert result.outcome is Outcome.CACHED
    assert os.path.samefile(target, cache.binary)


def test_a_pulumi_of_that_exact_version_on_path_is_used(
    tmp_path: Path, bin_dir: Path, cache: EngineCache
) -> None:
    wrong = _executable(tmp_path / "old" / "pulumi")
    right = _executable(tmp_path / "good" / "pulumi", "#!/bin/sh\necho good\n")
    probe = Versions({wrong: "3.249.0", right: VERSION})
    builder = FakeBuilder()

    result = ensure_pulumi(
        bin_dir,
        version=VERSION,
        cache_root=cache.root,
        path=os.pathsep.join([str(bin_dir), str(wrong.parent), str(right.parent)]),
        probe=probe,
        builder=builder,
    )

    assert result.outcome is Outcome.ON_PATH
    assert result.source == right
    assert (bin_dir / "pulumi").read_text() == right.read_text()
    assert builder.builds == 0


def test_nothing_suitable_means_one_build_into_the_cache(
    tmp_path: Path, bin_dir: Path, cache: EngineCache
) -> None:
    wrong = _executable(tmp_path / "old" / "pulumi")
    builder = FakeBuilder()

    result = ensure_pulumi(
        bin_dir,
        version=VERSION,
        cache_root=cache.root,
        path=str(wrong.parent),
        probe=Versions({wrong: "3.249.0"}),
        builder=builder,
    )

    assert result.outcome is Outcome.BUILT
    assert builder.builds == 1
    assert os.path.samefile(bin_dir / "pulumi", cache.binary)


def test_concurrent_set_ups_build_once(tmp_path: Path, cache: EngineCache) -> None:
    builder = FakeBuilder(delay=0.3)
    outcomes: list[Outcome] = []

    def set_up(name: str) -> None:
        target_dir = tmp_path / name
        target_dir.mkdir()
        result = ensure_pulumi(
            target_dir,
            version=VERSION,
            cache_root=cache.root,
            path="",
            probe=Versions({}),
            builder=builder,
        )
        outcomes.append(result.outcome)

    threads = [threading.Thread(target=set_up, args=(f"venv{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert builder.builds == 1
    assert sorted(o.value for o in outcomes) == ["built", "cached"]


def test_a_symlink_from_an_older_set_up_becomes_a_hard_link(
    bin_dir: Path, cache: EngineCache
) -> None:
    _executable(cache.binary)
    (bin_dir / "pulumi").symlink_to(cache.binary)

    result = ensure_pulumi(
        bin_dir,
        version=VERSION,
        cache_root=cache.root,
        path="",
        probe=Versions({}),
        builder=FakeBuilder(),
    )

    assert result.outcome is Outcome.CACHED
    assert not (bin_dir / "pulumi").is_symlink()


# -- the real builder, with a fake `go` on PATH ---------------------------------------


def _fake_go(folder: Path, build_script: str) -> None:
    """A `go` whose `mod tidy` succeeds and whose `build` runs `build_script` ($out = -o)."""
    _executable(
        folder / "go",
        "#!/bin/sh\n"
        'if [ "$1" = mod ]; then echo "go: tidy ok"; exit 0; fi\n'
        'while [ "$1" != -o ]; do shift; done; out=$2\n' + build_script,
    )


@pytest.mark.slow
def test_build_writes_the_module_and_installs_the_binary_atomically(
    tmp_path: Path, cache: EngineCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    go_dir = tmp_path / "go-bin"
    _fake_go(go_dir, f'printf \'#!/bin/sh\\necho v{VERSION}\\n\' > "$out"; chmod +x "$out"\n')
    monkeypatch.setenv("PATH", f"{go_dir}{os.pathsep}/usr/bin{os.pathsep}/bin")
    lines: list[str] = []

    build_cli(cache, lines.append)

    assert cache.binary.exists()
    assert [p.name for p in cache.binary.parent.iterdir()] == ["pulumi"]  # no partial left
    go_mod = (cache.src / "go.mod").read_text()
    assert f"github.com/pulumi/pulumi/pkg/v3 v{VERSION}" in go_mod
    assert f"github.com/pulumi/pulumi/sdk/v3 v{VERSION}" in go_mod
    assert "replace github.com/atotto/clipboard => github.com/tgummerer/clipboard" in go_mod
    assert "//go:build tools" in (cache.src / "tools.go").read_text()
    assert lines[0].startswith(f"pulumi v{VERSION} is not cached: building it")
    assert lines[1] == "[1/2] go mod tidy (module downloads) ..."
    assert lines[2].startswith("[1/2] go mod tidy (module downloads): ")
    assert lines[3] == "[2/2] go build ..."
    assert lines[4].startswith("[2/2] go build: ")
    assert lines[5].startswith(f"built pulumi v{VERSION} in ")


@pytest.mark.slow
def test_a_failed_build_shows_the_log_tail_and_leaves_no_binary(
    tmp_path: Path, cache: EngineCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    go_dir = tmp_path / "go-bin"
    _fake_go(go_dir, 'echo "compile: undefined: frobnicate"; exit 2\n')
    monkeypatch.setenv("PATH", f"{go_dir}{os.pathsep}/usr/bin{os.pathsep}/bin")

    with pytest.raises(BuildFailed) as failure:
        build_cli(cache, lambda _line: None)

    assert failure.value.phase == "go build"
    assert "compile: undefined: frobnicate" in str(failure.value)
    assert str(cache.log) in str(failure.value)
    assert not cache.binary.exists()


def test_no_go_toolchain_is_a_clear_error(
    tmp_path: Path, cache: EngineCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))

    with pytest.raises(GoNotFound, match=r"`go` is not on PATH.*\./dev setup"):
        build_cli(cache, lambda _line: None)


def test_main_says_when_it_uses_the_cache(
    bin_dir: Path,
    cache: EngineCache,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from pulumi_vast.engine import setup

    _executable(cache.binary)
    monkeypatch.setenv("PULUMI_VAST_CACHE", str(cache.root))
    monkeypatch.setattr(setup, "sdk_version", lambda: VERSION)

    assert main(["--bin-dir", str(bin_dir)]) == 0
    assert main(["--bin-dir", str(bin_dir)]) == 0

    err = capsys.readouterr().err
    assert err.count("using the cached CLI") == 1
    assert err.count("pulumi-language-python: pulumi-vast's, beside the pulumi CLI") == 1
    assert all(os.access(bin_dir / name, os.X_OK) for name in HOSTS)


# -- our plugins beside it --------------------------------------------------------------


def test_the_hosts_beside_pulumi_run_their_module_with_the_given_python(bin_dir: Path) -> None:
    python = Path("/opt/with space/bin/python")

    written = install_hosts(bin_dir, python)

    assert sorted(path.name for path in written) == sorted(HOSTS)
    for name, module in HOSTS.items():
        script = (bin_dir / name).read_text()
        assert script.startswith("#!/bin/sh\n")
        assert script.endswith(f"exec '/opt/with space/bin/python' -P -m {module} \"$@\"\n")
        assert os.access(bin_dir / name, os.X_OK)
    assert install_hosts(bin_dir, python) == []  # already there
    assert len(install_hosts(bin_dir, Path("/usr/bin/python3"))) == len(HOSTS)


def test_the_hosts_name_this_environment_by_its_real_folder(tmp_path: Path) -> None:
    linked = tmp_path / "linked-venv"
    linked.symlink_to(sys.prefix)
    probe = "from pulumi_vast.engine.setup import own_python; print(own_python())"

    done = subprocess.run(
        [str(linked / "bin" / "python"), "-c", probe], capture_output=True, text=True, check=True
    )

    assert Path(done.stdout.strip()).parent == Path(sys.prefix).resolve() / "bin"


def test_the_package_itself_installs_no_pulumi_plugin() -> None:
    # On a user's PATH they would take over every Python program their Pulumi runs.
    scripts = {
        entry.name
        for entry in importlib.metadata.distribution("pulumi-vast").entry_points
        if entry.group == "console_scripts"
    }

    assert scripts == {"pulumi-vast"}
