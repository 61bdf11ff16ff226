"""Secrets at rest: API keys are kept only as keyed hashes, secret values only sealed.

The data folder's key (`datadir.SECRET_KEY_FILE`, 32 random bytes, 0600) derives two
keys: one for HMAC-SHA256 digests of API keys (an account is stored and found by the
digest of its key: the key itself is never written), and one for Fernet (AES-CBC with an
HMAC) that seals what the simulator must give back later, such as the env values it hands
an instance's container and SSH sessions, and the instance's own CONTAINER_API_KEY.

A keyed digest rather than a plain hash, so that a short key ("k") cannot be recovered
from the database by trying candidates without the key file too.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from pulumi_vast.sim.datadir import SECRET_KEY_FILE, load_or_create_secret

if TYPE_CHECKING:
    from cryptography.fernet import Fernet

__all__ = ["Keyring", "SealError"]

_DIGEST_PURPOSE = b"pulumi-vast simulator: API key digests"
_SEAL_PURPOSE = b"pulumi-vast simulator: sealed values"


class SealError(ValueError):
    """A sealed value that this data folder's key did not seal (or that was altered)."""


class Keyring:
    """Digests and seals with one data folder's key."""

    def __init__(self, master: bytes) -> None:
        if len(master) < 32:
            raise ValueError("the simulator's key must be at least 32 bytes")
        self._digest_key = hmac.new(master, _DIGEST_PURPOSE, hashlib.sha256).digest()
        self._seal_key = hmac.new(master, _SEAL_PURPOSE, hashlib.sha256).digest()
        self._fernet: Fernet | None = None

    @classmethod
    def of(cls, data_dir: Path) -> Keyring:
        """The keyring of `data_dir`, its key made on first use."""
        hex_key = load_or_create_secret(
            data_dir / SECRET_KEY_FILE, lambda: secrets.token_hex(32).encode()
        )
        return cls(bytes.fromhex(hex_key.decode().strip()))

    def digest(self, api_key: str) -> str:
        return hmac.new(self._digest_key, api_key.encode(), hashlib.sha256).hexdigest()

    def seal(self, text: str) -> str:
        return self._cipher().encrypt(text.encode()).decode("ascii")

    def unseal(self, sealed: str) -> str:
        from cryptography.fernet import InvalidToken

        try:
            return self._cipher().decrypt(sealed.encode("ascii")).decode()
        except (InvalidToken, UnicodeError) as exc:
            raise SealError("a sealed value does not open with this data folder's key") from exc

    def _cipher(self) -> Fernet:
        # cryptography loads on first use: looking a simulator up stays cheap.
        if self._fernet is None:
            from cryptography.fernet import Fernet

            self._fernet = Fernet(base64.urlsafe_b64encode(self._seal_key))
        return self._fernet
