"""A Pulumi S3 state backend served by moto's real HTTP server on loopback.

    with start_moto_s3() as s3:
        ws = PulumiWorkspace(project, backend_url=s3.backend_url, env=s3.env)

moto does not check request signatures, so any AWS test credentials do.
"""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

import httpx

from pulumi_vast.engine.errors import EngineError, tail
from pulumi_vast.engine.workspace import venv_bin_dir

__all__ = ["AWS_TEST_ENV", "MotoS3", "start_moto_s3"]

LOOPBACK = "127.0.0.1"
STARTUP_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
AWS_TEST_ENV: Mapping[str, str] = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    # No instance-metadata lookups or shared profiles: the credentials above are the ones.
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
}


class MotoS3:
    """A running `moto_server` with one bucket; stop it with `stop()` or a `with` block."""

    def __init__(self, process: subprocess.Popen[bytes], port: int, bucket: str) -> None:
        self.process = process
        self.port = port
        self.bucket = bucket

    @property
    def endpoint(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def backend_url(self) -> str:
        """The `pulumi login` / PULUMI_BACKEND_URL for the bucket."""
        return (
            f"s3://{self.bucket}?endpoint={self.endpoint}"
            "&s3ForcePathStyle=true&region=us-east-1&disableSSL=true"
        )

    @property
    def env(self) -> dict[str, str]:
        """Environment the pulumi CLI needs to reach the bucket."""
        return dict(AWS_TEST_ENV)

    def objects(self) -> list[str]:
        """Keys of the objects in the bucket (to check the state really lives there)."""
        response = httpx.get(f"{self.endpoint}/{self.bucket}", params={"list-type": "2"})
        response.raise_for_status()
        text = response.text
        return [part.split("</Key>", 1)[0] for part in text.split("<Key>")[1:]]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> MotoS3:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_moto_s3(bucket: str = "pulumi-state", *, log_path: Path | None = None) -> MotoS3:
    """Start `moto_server` on a free loopback port, create `bucket`, return the handle."""
    port = _free_port()
    argv = [str(venv_bin_dir() / "moto_server"), "-H", LOOPBACK, "-p", str(port)]
    if log_path is None:
        process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    else:
        with log_path.open("wb") as log:
            process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    server = MotoS3(process, port, bucket)
    try:
        _wait_until_serving(server, log_path)
        httpx.put(f"{server.endpoint}/{bucket}").raise_for_status()
    except BaseException:
        server.stop()
        raise
    return server


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until_serving(server: MotoS3, log_path: Path | None) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            output = log_path.read_text(errors="replace") if log_path else ""
            raise EngineError(
                f"moto_server exited with {server.process.returncode}\n{tail(output)}"
            )
        try:
            httpx.get(f"{server.endpoint}/", timeout=1.0)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise EngineError(f"moto_server did not answer on {server.endpoint} in {STARTUP_TIMEOUT_S}s")
