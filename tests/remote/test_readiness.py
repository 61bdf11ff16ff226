import socket
import threading
from pathlib import Path

import pytest

from pulumi_vast.remote import (
    InvalidPrivateKey,
    ProbeFailed,
    ReadinessTimeout,
    SshTarget,
    wait_for_ssh,
)
from tests.remote.conftest import MakeHost
from tests.remote.sshhosts import ClientKey, ServedHost


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _dead_target(key: ClientKey, label: str = "") -> SshTarget:
    return SshTarget(host="127.0.0.1", port=_free_port(), private_key=key.path, label=label)


def test_ready_at_once_with_passing_probe(served: ServedHost, client_key: ClientKey) -> None:
    progress: list[str] = []

    ready = wait_for_ssh(
        [served.target(client_key)],
        timeout=10,
        probe='test -n "$CONTAINER_ID" && echo ok',
        on_progress=progress.append,
    )

    assert ready.target == served.target(client_key)
    assert ready.attempts == 1
    assert ready.probe is not None and ready.probe.stdout == "ok\n"
    assert progress == []


def test_prefers_the_route_that_answers(served: ServedHost, client_key: ClientKey) -> None:
    live = served.target(client_key, label="direct")

    ready = wait_for_ssh([_dead_target(client_key, "proxy"), live], timeout=10, interval=0.1)

    assert ready.target == live
    assert ready.attempts == 1


def test_succeeds_once_the_server_starts_late(make_host: MakeHost, client_key: ClientKey) -> None:
    served = make_host(start=False)
    port = _free_port()
    target = SshTarget(host="127.0.0.1", port=port, private_key=client_key.path)
    progress: list[str] = []
    first_report = threading.Event()

    def report(line: str) -> None:
        progress.append(line)
        first_report.set()

    starter = threading.Thread(target=lambda: first_report.wait(10) and served.start((port,)))
    starter.start()
    ready = wait_for_ssh([target], timeout=30, interval=0.2, on_progress=report)
    starter.join()

    assert ready.attempts >= 2
    assert progress[0].startswith("waiting for SSH: attempt 1, ")
    assert f"root@127.0.0.1:{port}: connection refused" in progress[0]


def test_times_out_naming_endpoints_and_last_error(client_key: ClientKey) -> None:
    proxy, direct = _dead_target(client_key, "proxy"), _dead_target(client_key, "direct")
    progress: list[str] = []

    with pytest.raises(ReadinessTimeout) as caught:
        wait_for_ssh([proxy, direct], timeout=0.6, interval=0.2, on_progress=progress.append)

    message = str(caught.value)
    assert not isinstance(caught.value, ProbeFailed)
    assert proxy.endpoint in message and direct.endpoint in message
    assert "connection refused (nothing is listening on that port yet)" in message
    assert caught.value.attempts == len(progress) >= 2


def test_a_port_that_never_speaks_ssh_is_named(client_key: ClientKey) -> None:
    with socket.socket() as silent:  # the kernel accepts connections; nobody answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        target = SshTarget(
            host="127.0.0.1",
            port=silent.getsockname()[1],
            private_key=client_key.path,
            connect_timeout=0.3,
        )

        with pytest.raises(ReadinessTimeout, match="no SSH server answered"):
            wait_for_ssh([target], timeout=0.5, interval=0.1)


def test_unauthorized_key_times_out_with_the_reason(
    served: ServedHost, other_key: ClientKey
) -> None:
    with pytest.raises(ReadinessTimeout, match="refused the key"):
        wait_for_ssh([served.target(other_key)], timeout=0.5, interval=0.2)


def test_probe_that_keeps_failing_is_reported(served: ServedHost, client_key: ClientKey) -> None:
    progress: list[str] = []

    with pytest.raises(ProbeFailed) as caught:
        wait_for_ssh(
            [served.target(client_key)],
            timeout=0.8,
            interval=0.2,
            probe="echo model not loaded >&2; exit 4",
            on_progress=progress.append,
        )

    error = caught.value
    assert error.probe_exit_code == 4
    assert "model not loaded" in error.probe_stderr
    assert "probe `echo model not loaded >&2; exit 4` last exited 4" in str(error)
    assert "model not loaded" in str(error)
    assert "probe exited 4: model not loaded" in progress[0]


def test_probe_passes_once_onstart_is_done(served: ServedHost, client_key: ClientKey) -> None:
    served.loop.run(served.host.run_background("sleep 0.5; touch ready"))

    ready = wait_for_ssh(
        [served.target(client_key)], timeout=20, interval=0.1, probe="test -f ~/ready"
    )

    assert ready.attempts >= 2
    assert (served.root / "ready").exists()


def test_unusable_key_fails_at_once(tmp_path: Path) -> None:
    target = SshTarget(host="127.0.0.1", port=_free_port(), private_key=tmp_path / "nope")

    with pytest.raises(InvalidPrivateKey):
        wait_for_ssh([target], timeout=60)
