"""An account's environment variable (`/api/v0/secrets/`): its value is a secret, kept
sealed at rest (`sealing`); only its name is stored in clear."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pulumi_vast.sim.records import Sealer

__all__ = ["EnvVar"]


@dataclass
class EnvVar:
    account: str
    """The owner's digest."""
    key: str
    """The name, upper case (Vast upper-cases what it is given)."""
    value: str
    created_at: float

    @property
    def record_id(self) -> str:
        return f"{self.account}:{self.key}"

    def to_record(self, sealer: Sealer) -> dict[str, Any]:
        return {
            "account": self.account,
            "key": self.key,
            "sealed": sealer.seal(self.value),
            "created_at": self.created_at,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any], sealer: Sealer) -> EnvVar:
        data = dict(record)
        data["value"] = sealer.unseal(data.pop("sealed"))
        return cls(**data)
