"""Typed errors the simulator answers with, each carrying its HTTP status, Vast `error`
code and human `msg`, serialized as Vast does: ``{"success": false, "error": ..., "msg": ...}``.

    SimError                      500 server_error
    ├── BadRequest                400 invalid_args
    │   ├── InvalidPrice          400 invalid_price
    │   ├── InvalidRequest        400 invalid_request   (malformed JSON, bad query documents)
    │   ├── InvalidToken          400 invalid_token     (a pagination token we did not issue)
    │   └── NoSshKey              400 no_ssh_key
    ├── Unauthorized              401 auth_error        (no key; a bad key on some routes;
    │                                                    no admin token)
    ├── NotAuthorized             401 not_authorized    (an instance-scoped key used elsewhere)
    ├── Forbidden                 403 forbidden         (a wrong admin token)
    ├── NotFound                  404 not_found         (also a bad key on some routes)
    │   └── NoSuchAsk             404 no_such_ask       (offer unknown or taken)
    ├── MethodNotAllowed          405 method_not_allowed
    ├── RequestTimeout            408 request_timeout   (a body that stops short of its length)
    ├── Gone                      410                    (deprecated_endpoint, or no_such_ask
    │                                                     with cancel_unavail)
    ├── PayloadTooLarge           413 request_too_large
    └── UnsupportedMediaType      415 unsupported_media_type (a body that is not JSON)
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "BadRequest",
    "Forbidden",
    "Gone",
    "InvalidPrice",
    "InvalidRequest",
    "InvalidToken",
    "MethodNotAllowed",
    "NoSshKey",
    "NoSuchAsk",
    "NotAuthorized",
    "NotFound",
    "PayloadTooLarge",
    "RequestTimeout",
    "SimError",
    "Unauthorized",
    "UnsupportedMediaType",
]


class SimError(Exception):
    status: ClassVar[int] = 500
    code: ClassVar[str] = "server_error"

    def __init__(self, msg: str, *, error: str | None = None, **extra: Any) -> None:
        super().__init__(msg)
        self.msg = msg
        self.error = error or self.code
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"success": False, "error": self.error, "msg": self.msg, **self.extra}


class BadRequest(SimError):
    status = 400
    code = "invalid_args"


class InvalidPrice(BadRequest):
    code = "invalid_price"


class InvalidRequest(BadRequest):
    code = "invalid_request"


class InvalidToken(BadRequest):
    code = "invalid_token"


class NoSshKey(BadRequest):
    code = "no_ssh_key"


class Unauthorized(SimError):
    status = 401
    code = "auth_error"


class NotAuthorized(SimError):
    status = 401
    code = "not_authorized"


class Forbidden(SimError):
    status = 403
    code = "forbidden"


class NotFound(SimError):
    status = 404
    code = "not_found"


class NoSuchAsk(NotFound):
    code = "no_such_ask"


class MethodNotAllowed(SimError):
    status = 405
    code = "method_not_allowed"


class RequestTimeout(SimError):
    status = 408
    code = "request_timeout"


class Gone(SimError):
    status = 410
    code = "gone"


class PayloadTooLarge(SimError):
    status = 413
    code = "request_too_large"


class UnsupportedMediaType(SimError):
    status = 415
    code = "unsupported_media_type"
