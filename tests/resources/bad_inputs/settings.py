"""Bad provider settings (`vast:` stack config) and bad keys of the program's own namespace."""

from __future__ import annotations

from typing import Any

from tests.resources.bad_inputs.rows import DROP, Bad, StackConfig, instance

__all__ = ["ROWS"]

CHECKED = "resource 'gpu' has a problem: "
API_KEY_SECRET = "ключ-0123456789"


def setting(id_: str, where: str, fix: str, secret: str | None = None, **config: Any) -> Bad:
    given = StackConfig({"pulumi-vast:instances": [instance()], **config})
    return Bad(f"config-{id_}", given, where, fix, secret)


ROWS = [
    setting(
        "api-url-typo",
        f"{CHECKED}vast:apiURL",
        "did you mean vast:apiUrl",
        **{"vast:apiURL": "local"},
    ),
    setting(
        "api-key-typo", f"{CHECKED}vast:apikey", "did you mean vast:apiKey", **{"vast:apikey": "k"}
    ),
    setting("unknown-vast-key", f"{CHECKED}vast:region", "vast:apiUrl", **{"vast:region": "eu"}),
    setting(
        "api-key-list",
        f"{CHECKED}vast:apiKey",
        "pulumi config set --secret vast:apiKey",
        **{"vast:apiKey": ["a", "b"]},
    ),
    setting(
        "api-key-non-ascii",
        f"{CHECKED}vast:apiKey",
        "copy the key again",
        API_KEY_SECRET,
        **{"vast:apiKey": API_KEY_SECRET},
    ),
    setting(
        "api-key-space",
        f"{CHECKED}vast:apiKey",
        "copy the key again",
        "abc def",
        **{"vast:apiKey": "abc def"},
    ),
    setting(
        "api-url-scheme",
        f"{CHECKED}vast:apiUrl",
        "https://console.vast.ai",
        **{"vast:apiUrl": "ftp://vast"},
    ),
    setting("api-url-word", f"{CHECKED}vast:apiUrl", "local", **{"vast:apiUrl": "localhost"}),
    setting(
        "real-service-without-key",
        f"{CHECKED}vast:apiKey",
        "pulumi config set --secret vast:apiKey",
        **{"vast:apiUrl": "https://console.vast.ai", "vast:apiKey": DROP},
    ),
    setting(
        "default-service-without-key",
        f"{CHECKED}vast:apiKey",
        "vast:apiUrl: local",
        **{"vast:apiUrl": DROP, "vast:apiKey": DROP},
    ),
    setting(
        "policy-negative-hours",
        f"{CHECKED}vast:policy.max_hours",
        "greater than 0",
        **{"vast:policy": {"max_hours": -1}},
    ),
    setting(
        "policy-field-typo",
        f"{CHECKED}vast:policy.max_budjet",
        "did you mean 'max_budget'",
        **{"vast:policy": {"max_budjet": 5}},
    ),
    setting(
        "policy-on-destroy",
        f"{CHECKED}vast:policy.on_destroy",
        "'destroy', 'stop' or 'keep'",
        **{"vast:policy": {"on_destroy": "nuke"}},
    ),
    setting(
        "program-key-typo",
        "pulumi-vast:instance",
        "did you mean pulumi-vast:instances",
        **{"pulumi-vast:instance": [instance()]},
    ),
    setting(
        "program-keys-typo",
        "pulumi-vast:sshkeys",
        "did you mean pulumi-vast:sshKeys",
        **{"pulumi-vast:sshkeys": []},
    ),
]
