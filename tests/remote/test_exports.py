import pulumi_vast.remote as remote
from pulumi_vast.remote import errors


def test_public_names_are_pinned() -> None:
    assert sorted(remote.__all__) == [
        "CommandFailed",
        "CommandResult",
        "ConnectFailed",
        "InvalidPrivateKey",
        "ProbeFailed",
        "ReadinessTimeout",
        "ReadyResult",
        "RemoteError",
        "SshTarget",
        "TransferFailed",
        "download",
        "read_private_key",
        "run",
        "ssh_command",
        "upload",
        "wait_for_ssh",
    ]
    assert all(hasattr(remote, name) for name in remote.__all__)


def test_every_error_is_a_remote_error() -> None:
    for name in ("CommandFailed", "ConnectFailed", "InvalidPrivateKey", "TransferFailed"):
        assert issubclass(getattr(errors, name), errors.RemoteError)
    assert issubclass(errors.ReadinessTimeout, errors.RemoteError)
    # a failing probe is one way of not being ready: `except ReadinessTimeout` catches both
    assert issubclass(errors.ProbeFailed, errors.ReadinessTimeout)
