"""How a simulator is started: one options model shared by the CLI, the server and tests."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from pulumi_vast._sim_home import default_sim_data_dir
from pulumi_vast.sim.reading import DEFAULT_BODY_TIMEOUT

__all__ = [
    "DEFAULT_BOOT_DELAY",
    "DEFAULT_CREATED_DELAY",
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "DEFAULT_SEED",
    "SimOptions",
]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
DEFAULT_BOOT_DELAY = 3.0
DEFAULT_CREATED_DELAY = 0.5
DEFAULT_SEED = 0


class SimOptions(BaseModel):
    """Options of one simulator process (`pulumi-vast sim --help` documents each)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = DEFAULT_HOST
    port: int = Field(default=DEFAULT_PORT, ge=0, le=65535)
    data_dir: Path = Field(default_factory=default_sim_data_dir)
    """Default: `PULUMI_VAST_SIM_DATA`, else a per-user folder (`pulumi_vast._sim_home`)."""
    api_key: str | None = None
    """When set, only this key (and the instance keys of its instances) is accepted."""
    boot_delay: float = Field(default=DEFAULT_BOOT_DELAY, ge=0)
    """Seconds an instance spends `loading` before `running` (per account overridable)."""
    created_delay: float = Field(default=DEFAULT_CREATED_DELAY, ge=0)
    """Seconds a new instance spends before `loading`: half with no status (null), half
    `created`, as on Vast (per account overridable)."""
    rate_limits: bool = True
    seed: int = DEFAULT_SEED
    market_scale: int = Field(default=1, ge=1, le=16)
    """How many copies of the seeded fleet the market lists (a world keeps its first)."""
    log_level: str = "warning"
    body_timeout: float = Field(default=DEFAULT_BODY_TIMEOUT, gt=0)
    """Seconds a client gets to send a request's whole body (then 408)."""
    idle_timeout: float | None = Field(default=None, gt=0)
    """Exit after this many seconds without requests while no instance is loading or
    running (the world persists; `ensure_running` starts it again on demand)."""

    def to_argv(self) -> list[str]:
        """The `python -m pulumi_vast.sim` arguments that serve with these options."""
        argv = [
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--data",
            str(self.data_dir),
            "--boot-delay",
            repr(self.boot_delay),
            "--created-delay",
            repr(self.created_delay),
            "--rate-limits",
            "on" if self.rate_limits else "off",
            "--seed",
            str(self.seed),
            "--market-scale",
            str(self.market_scale),
            "--log-level",
            self.log_level,
            "--body-timeout",
            repr(self.body_timeout),
        ]
        if self.api_key is not None:
            argv += ["--api-key", self.api_key]
        if self.idle_timeout is not None:
            argv += ["--idle-timeout", repr(self.idle_timeout)]
        return argv
