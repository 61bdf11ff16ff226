"""Drive a simulator from tests and benchmarks: a child process and its admin routes.

with SimulatorProcess.start(tmp_path, boot_delay=0.2) as sim:
    key = sim.admin.new_account()
    ...                                  # talk Vast to sim.url with `key`
    sim.admin.advance(600)               # ten minutes pass at once
    assert sim.admin.ledger(key)["totals"]["alive"] == 0
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import httpx

from pulumi_vast.sim.datadir import create_private, private_folder, read_admin_token
from pulumi_vast.sim.options import SimOptions
from pulumi_vast.sim.records import ACCOUNT_KEY_PREFIX, new_key
from pulumi_vast.sim.server import LOG_FILE, SimulatorStartError, live_server

__all__ = ["SimAdmin", "SimulatorProcess", "worker_statuses"]

_POLL = 0.05


class SimAdmin:
    """A client of the `/_sim` admin routes (see `pulumi_vast.sim.admin`), sending the
    admin token given, or else the one in `data_dir` (without either, only `health`)."""

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        data_dir: Path | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.url = url.rstrip("/")
        if token is None and data_dir is not None:
            token = read_admin_token(data_dir)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(
            base_url=self.url + "/_sim", headers=headers, timeout=timeout, trust_env=False
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._http.request(method, path, **kwargs)
        if response.is_error:
            raise RuntimeError(f"{method} /_sim{path} -> {response.status_code}: {response.text}")
        return response.json()

    def health(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/health")
        return result

    def reset(self) -> None:
        self._call("POST", "/reset")

    def new_account(
        self,
        *,
        credit: float | None = None,
        boot_delay: float | None = None,
        rate_limits: bool | None = None,
    ) -> str:
        """A fresh API key: a new, empty account. The key is made here, so no answer of
        the simulator needs to carry it."""
        key = new_key(ACCOUNT_KEY_PREFIX)
        settings = {"credit": credit, "boot_delay": boot_delay, "rate_limits": rate_limits}
        body = {k: v for k, v in settings.items() if v is not None}
        self._call("POST", "/accounts", json={"key": key, **body})
        return key

    def configure(self, key: str, **settings: Any) -> dict[str, Any]:
        """Set `credit`, `boot_delay`, `created_delay`, `rate_limits` or `rate_burst` of an
        account (see `pulumi_vast.sim.admin`)."""
        result: dict[str, Any] = self._call("PUT", "/accounts", json={"key": key, **settings})
        return result

    def set_boot_delay(self, key: str, seconds: float) -> None:
        self.configure(key, boot_delay=seconds)

    def set_created_delay(self, key: str, seconds: float) -> None:
        """Seconds the key's new instances spend before loading: half with no status,
        half `created`."""
        self.configure(key, created_delay=seconds)

    def set_rate_limits(self, key: str, enabled: bool, *, burst: float | None = None) -> None:
        """Switch the key's rate limits; ``burst=1`` admits one request per route at once,
        so 429s come easily (the default burst serves quick scripts as Vast does)."""
        settings: dict[str, Any] = {"rate_limits": enabled}
        if burst is not None:
            settings["rate_burst"] = burst
        self.configure(key, **settings)

    def now(self) -> float:
        now: float = self._call("GET", "/clock")["now"]
        return now

    def advance(self, seconds: float) -> float:
        """Move the simulator's clock forward; transitions due by then have happened (and
        their SSH servers started) when this returns."""
        now: float = self._call("POST", "/clock/advance", json={"seconds": seconds})["now"]
        return now

    def set_faults(self, key: str, **faults: Any) -> dict[str, Any]:
        """Merge faults into the key's (`errors`, `delays`, `lost`, `stuck_loading`,
        `taken_offers`, `snatched_offers`; see `pulumi_vast.sim.faults`)."""
        result: dict[str, Any] = self._call("PUT", "/faults", json={"key": key, **faults})
        return result

    def faults(self, key: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/faults", params={"key": key})
        return result

    def clear_faults(self, key: str | None = None) -> None:
        self._call("DELETE", "/faults", params={"key": key} if key is not None else {})

    def ledger(self, key: str | None = None) -> dict[str, Any]:
        params = {"key": key} if key is not None else {}
        result: dict[str, Any] = self._call("GET", "/ledger", params=params)
        return result

    def request_counts(self, key: str | None = None) -> dict[str, Any]:
        """{route name: {"total": n, "by_status": {"200": n, ...}}} of the key's requests;
        without a key, {"keys": [{"key": masked key, "routes": {...}}, ...]}."""
        params = {"key": key} if key is not None else {}
        result: dict[str, Any] = self._call("GET", "/requests", params=params)
        return result

    def reset_request_counts(self, key: str | None = None) -> None:
        self._call("DELETE", "/requests", params={"key": key} if key is not None else {})

    def instance(self, instance_id: int) -> dict[str, Any]:
        """Everything the simulator knows of an instance (its CONTAINER_API_KEY, folder...)."""
        result: dict[str, Any] = self._call("GET", f"/instances/{instance_id}")
        return result

    def host_lost(self, instance_id: int, status: str = "offline") -> None:
        self._call("POST", f"/instances/{instance_id}/host_lost", json={"status": status})

    def destroy(self, instance_id: int) -> None:
        """Its owner destroys the instance out of band (not in the owner's request counts)."""
        self._call("POST", f"/instances/{instance_id}/destroy")

    def preempt(self, instance_id: int) -> None:
        self._call("POST", f"/instances/{instance_id}/preempt")

    def take_offer(self, key: str, offer_id: int) -> None:
        self._call("POST", f"/offers/{offer_id}/take", json={"key": key})

    def release_offer(self, key: str, offer_id: int) -> None:
        self._call("POST", f"/offers/{offer_id}/release", json={"key": key})

    def endpoint(self, endpoint_id: int) -> dict[str, Any]:
        """The Serverless Engine's view of an endpoint: ``load``, ``hot_target``,
        ``cold_target``, ``workers`` (as ``get endpt-workers`` shows them) and ``log``."""
        result: dict[str, Any] = self._call("GET", f"/endpoints/{endpoint_id}")
        return result

    def set_load(
        self, endpoint_id: int, load: float, *, worker_perf: float | None = None
    ) -> dict[str, Any]:
        """Offer `load` requests/s to the endpoint (one worker serves `worker_perf`, 10
        unless set); the engine acts on it at once. The engine's view back."""
        body: dict[str, Any] = {"load": load}
        if worker_perf is not None:
            body["worker_perf"] = worker_perf
        result: dict[str, Any] = self._call("PUT", f"/endpoints/{endpoint_id}/load", json=body)
        return result

    def wait_for_endpoint(
        self,
        endpoint_id: int,
        condition: Callable[[dict[str, Any]], bool],
        *,
        timeout: float = 120.0,
    ) -> dict[str, Any]:
        """The engine's view of the endpoint once `condition` holds for it (workers boot
        on the simulator's ticker, a moment after the clock says they may)."""
        deadline = time.monotonic() + timeout
        while True:
            view = self.endpoint(endpoint_id)
            if condition(view):
                return view
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"endpoint {endpoint_id} did not reach the condition in {timeout:g} s; "
                    f"workers {worker_statuses(view)}, targets hot {view['hot_target']} "
                    f"cold {view['cold_target']}"
                )
            time.sleep(_POLL)


def worker_statuses(view: dict[str, Any]) -> dict[str, int]:
    """How many of an endpoint's workers (the engine's view) are in each status."""
    counts: dict[str, int] = {}
    for worker in view["workers"]:
        counts[worker["status"]] = counts.get(worker["status"], 0) + 1
    return dict(sorted(counts.items()))


class SimulatorProcess:
    """A simulator served by a child process of ours (stopped with `.stop()` or `with`)."""

    def __init__(self, process: subprocess.Popen[bytes], data_dir: Path, url: str) -> None:
        self.process = process
        self.data_dir = data_dir
        self.url = url
        self.admin = SimAdmin(url, data_dir=data_dir)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def log_path(self) -> Path:
        return self.data_dir / LOG_FILE

    @classmethod
    def start(
        cls,
        data_dir: Path,
        *,
        timeout: float = 30.0,
        env: dict[str, str] | None = None,
        **options: Any,
    ) -> SimulatorProcess:
        """Serve `data_dir` with `options` (`SimOptions` fields; port defaults to a free one)."""
        data_dir = Path(data_dir).expanduser().resolve()
        private_folder(data_dir)
        settings = SimOptions.model_validate({"port": 0, **options, "data_dir": data_dir})
        create_private(data_dir / LOG_FILE)
        log = (data_dir / LOG_FILE).open("ab")
        process = subprocess.Popen(
            [sys.executable, "-m", "pulumi_vast.sim", *settings.to_argv()],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            info = live_server(data_dir)
            if info is not None and info.pid == process.pid:
                return cls(process, data_dir, info.url)
            if process.poll() is not None:
                break
            time.sleep(_POLL)
        if process.poll() is None:
            process.kill()
            process.wait()
        tail = "\n".join((data_dir / LOG_FILE).read_text(errors="replace").splitlines()[-20:])
        raise SimulatorStartError(f"simulator did not start in {data_dir}; its log ends:\n{tail}")

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM, wait (SIGKILL after `timeout`); the exit status."""
        self.admin.close()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
