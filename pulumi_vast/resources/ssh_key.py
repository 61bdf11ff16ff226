"""An SSH public key registered on the Vast account (it reaches every instance)."""

from __future__ import annotations

from typing import Annotated, Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult
from pydantic import Field

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

    def create(self, props: dict[str, Any]) -> CreateResult:
        args = self.table.parse(props)
        key = self.client.ssh_keys.create(known(args.public_key))
        return CreateResult(str(key.id), {**props, **_outputs(key)})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        key = self.client.ssh_keys.get(int(id_))
        if key is None:
            return ReadResult(id_="", outs={})
        outs = {**props, **_outputs(key)}
        return ReadResult(id_=id_, outs=outs, inputs={"public_key": outs["public_key"]})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
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
