"""Put a local folder's files into S3, or any S3-compatible store (boto3).

boto3 loads with the first upload; naming a target does not load it. Its errors become
`S3Failed` in plain words that name the bucket and endpoint, never a credential.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import SecretStr

__all__ = ["S3Failed", "S3Place", "upload_folder"]

#: Seconds to connect, and to wait for an answer, per request; botocore's defaults (60 s)
#: would keep a `pulumi destroy` silent for minutes on an unreachable endpoint.
_CONNECT_TIMEOUT = 10
_READ_TIMEOUT = 60
_ATTEMPTS = 3


@dataclass(frozen=True)
class S3Place:
    """A bucket and key prefix, and how to reach it."""

    bucket: str
    prefix: str = ""
    endpoint_url: str | None = None
    region: str | None = None
    access_key_id: SecretStr | None = None
    secret_access_key: SecretStr | None = None

    def key(self, relative: str) -> str:
        """The object key of a file at ``relative`` (a POSIX path) under the prefix."""
        prefix = self.prefix.strip("/")
        return f"{prefix}/{relative}" if prefix else relative

    @property
    def url(self) -> str:
        """``s3://bucket/prefix/``, and the endpoint when it is not AWS's, for messages."""
        where = f"s3://{self.bucket}/{self.key('')}"
        return f"{where} at {self.endpoint_url}" if self.endpoint_url else where


class S3Failed(Exception):
    """Files could not be put into the bucket; the message says why, without credentials."""


def upload_folder(place: S3Place, folder: Path, under: str) -> int:
    """Upload every file below ``folder`` as ``prefix/under/<its path>``; the count.

    Raises S3Failed at the first file that cannot be put.
    """
    import boto3
    from boto3.exceptions import Boto3Error
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    client = boto3.client(
        "s3",
        endpoint_url=place.endpoint_url or None,
        region_name=place.region or None,
        config=Config(
            connect_timeout=_CONNECT_TIMEOUT,
            read_timeout=_READ_TIMEOUT,
            retries={"max_attempts": _ATTEMPTS, "mode": "standard"},
        ),
        **_credentials(place),
    )
    count = 0
    for path in sorted(_files(folder)):
        relative = path.relative_to(folder).as_posix()
        key = place.key(f"{under}/{relative}")
        try:
            client.upload_file(str(path), place.bucket, key)
        except (Boto3Error, BotoCoreError, ClientError) as exc:
            raise S3Failed(f"cannot put {key}: {_reason(exc)}") from None
        count += 1
    return count


def _credentials(place: S3Place) -> dict[str, Any]:
    if place.access_key_id is None and place.secret_access_key is None:
        return {}  # the usual AWS environment variables and files
    return {
        "aws_access_key_id": _plain(place.access_key_id),
        "aws_secret_access_key": _plain(place.secret_access_key),
    }


def _plain(secret: SecretStr | None) -> str | None:
    return secret.get_secret_value() if secret is not None else None


def _files(folder: Path) -> list[Path]:
    return [Path(root, name) for root, _, names in os.walk(folder) for name in names]


def _reason(exc: BaseException) -> str:
    from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

    # boto3's transfers wrap botocore's error (S3UploadFailedError): the cause says more.
    while not isinstance(exc, ClientError | EndpointConnectionError | NoCredentialsError):
        cause = exc.__cause__ or exc.__context__
        if cause is None:
            break
        exc = cause

    if isinstance(exc, EndpointConnectionError):
        return "the endpoint cannot be reached (is the URL right, and the store up?)"
    if isinstance(exc, NoCredentialsError):
        return (
            "no credentials: set access_key_id and secret_access_key (as secrets) on the "
            "s3 target, or the AWS environment variables"
        )
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code, message = error.get("Code", "?"), error.get("Message", "")
        if code == "NoSuchBucket":
            return "the bucket does not exist; create it, or fix s3.bucket"
        return f"the store refused it ({code}{': ' + message if message else ''})"
    return str(exc) or type(exc).__name__
