"""An SSH public key registered on the Vast account (it reaches every instance)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Any

import pulumi
from pydantic import Field

from pulumi_vast.api import ResponseLost
from pulumi_vast.api import SshKey as LiveSshKey
from pulumi_vast.resources._fields import REPLACE, FieldTable, Input, ResourceArgs, known
from pulumi_vast.resources._provider import VastProvider
from pulumi_vast.resources._resource import VastResource
from pulumi_vast.resources._ssh_keys import OpenSshLine, PublicKey

__all__ = ["SshKey", "SshKeyArgs", "SshKeyProvider"]


class SshKeyArgs(ResourceArgs):
    """Inputs of an `SshKey`."""

    public_key: Annotated[
        Input[OpenSshLine],
        REPLACE,
        Field(
            description="OpenSSH public key line, e.g. the contents of ~/.ssh/id_ed25519.pub.",
            examples=["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA... you@host"],
        ),
    ]


class SshKeyProvider(VastProvider):
    table = FieldTable(SshKeyArgs)
    kind = "SSH key"
    api_fields = MappingProxyType({"ssh_key": "public_key", "key": "public_key"})

    def _create(self, args: Any, props: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
        line = known(args.public_key)
        try:
            key = self.client.ssh_keys.create(line)
        except ResponseLost:
            # It may have been registered: a key is its own tag. Never registered twice.
            found = self._registered(line)
            if found is None:
                raise
            key = found
        return str(key.id), _outputs(key)

    def _registered(self, line: str) -> LiveSshKey | None:
        blob = PublicKey.parse(line).blob
        return next(
            (k for k in self.client.ssh_keys.list() if PublicKey.parse(k.public_key).blob == blob),
            None,
        )

    def _read(self, id_: str, props: Mapping[str, Any]) -> Mapping[str, Any] | None:
        key = self.client.ssh_keys.get(int(id_))
        return _outputs(key) if key is not None else None

    def _delete(self, id_: str, props: Mapping[str, Any]) -> None:
        self.client.ssh_keys.delete(int(id_))


def _outputs(key: LiveSshKey) -> dict[str, Any]:
    public_key = PublicKey.parse(key.public_key)
    return {
        "key_id": key.id,
        "public_key": public_key.line(),
        "fingerprint": public_key.fingerprint,
    }


class SshKey(VastResource, module="vast", name="SshKey"):
    """An SSH public key on the Vast account; Vast adds it to every instance the account owns.

    ## Example Usage

    ```python
    import pathlib
    import pulumi_vast as vast

    public_key = pathlib.Path("~/.ssh/id_ed25519.pub").expanduser().read_text()
    key = vast.SshKey("me", public_key=public_key)
    ```

    ## Import

    Declare it with its public key and ``opts=pulumi.ResourceOptions(import_="123")``, run
    ``pulumi up`` once, then drop the option.
    """

    provider_class = SshKeyProvider
    args_class = SshKeyArgs

    key_id: pulumi.Output[int]
    """Vast's id of the key."""
    public_key: pulumi.Output[str]
    """The key line as registered."""
    fingerprint: pulumi.Output[str]
    """SHA256 fingerprint, as `ssh-keygen -l` prints it."""
