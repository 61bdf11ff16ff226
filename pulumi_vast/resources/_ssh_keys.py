"""OpenSSH public key lines: validation and fingerprints."""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from typing import Annotated

from pydantic import AfterValidator

__all__ = ["KEY_TYPES", "OpenSshLine", "PublicKey", "PublicKeyLine"]

KEY_TYPES = (
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
)


@dataclass(frozen=True)
class PublicKey:
    key_type: str
    blob: bytes
    comment: str

    @classmethod
    def parse(cls, text: str) -> PublicKey:
        """Parse one `type base64 [comment]` line; ValueError says what is wrong and the fix."""
        parts = text.strip().split(None, 2)
        if len(parts) < 2:
            raise ValueError(
                "expected an OpenSSH public key line like 'ssh-ed25519 AAAAC3Nz... you@host' "
                "(the contents of a .pub file, not the private key)"
            )
        key_type, encoded = parts[0], parts[1]
        if "PRIVATE KEY" in text:
            raise ValueError("this is a private key; give the public key (the .pub file)")
        if key_type not in KEY_TYPES:
            raise ValueError(
                f"unknown key type {key_type!r}; expected one of {', '.join(KEY_TYPES)}"
            )
        try:
            blob = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("the key's base64 body is damaged; copy the .pub line again") from None
        if not blob.startswith(len(key_type).to_bytes(4, "big") + key_type.encode()):
            raise ValueError(f"the key body does not match its type {key_type!r}")
        return cls(key_type, blob, parts[2].strip() if len(parts) > 2 else "")

    @property
    def fingerprint(self) -> str:
        """As `ssh-keygen -l` prints it: SHA256:<unpadded base64>."""
        digest = base64.b64encode(hashlib.sha256(self.blob).digest()).decode().rstrip("=")
        return f"SHA256:{digest}"

    def line(self) -> str:
        body = f"{self.key_type} {base64.b64encode(self.blob).decode()}"
        return f"{body} {self.comment}" if self.comment else body


def _valid_line(text: str) -> str:
    PublicKey.parse(text)
    return text


def _normalized_line(text: str) -> str:
    return PublicKey.parse(text).line()


PublicKeyLine = Annotated[str, AfterValidator(_valid_line)]
"""An OpenSSH public key line, kept as written."""
OpenSshLine = Annotated[str, AfterValidator(_normalized_line)]
"""An OpenSSH public key line, normalized to `type base64 [comment]`."""
