"""What the official client (`vastai` from PyPI) would send, without a network.

`sent_by(function, ...)` runs one of its API functions (``vastai.api.*``) against a
recorder standing in for its ``VastClient`` and returns the one request it made, with the
path as it goes on the wire (``/api/v0`` added as the official client adds it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Sent", "sent_by"]


@dataclass(frozen=True)
class Sent:
    method: str
    path: str
    body: Any
    """The JSON body, or the query arguments of a request without one."""


class _Recorder:
    def __init__(self, answer: Any) -> None:
        self.sent: list[Sent] = []
        self._answer = answer

    def __getattr__(self, name: str) -> Callable[..., _Recorder]:
        if name not in ("get", "post", "put", "delete"):
            raise AttributeError(name)

        def send(path: str, json_data: Any = None, query_args: Any = None) -> _Recorder:
            wire = path if path.startswith("/api/") else f"/api/v0{path}"
            body = json_data if json_data is not None else query_args
            self.sent.append(Sent(name.upper(), wire, body))
            return self

        return send

    def raise_for_status(self) -> None:
        pass

    def json(self) -> Any:
        return self._answer


def sent_by(function: Callable[..., Any], *args: Any, answer: Any = None, **kwargs: Any) -> Sent:
    """The one request ``function(client, *args, **kwargs)`` sends."""
    recorder = _Recorder(
        {"offers": [], "volumes": [], "templates": []} if answer is None else answer
    )
    function(recorder, *args, **kwargs)
    (sent,) = recorder.sent
    return sent
