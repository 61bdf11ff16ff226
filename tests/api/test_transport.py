"""Retries, decoding, error translation, redaction and counting, over a scripted API."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from pulumi_vast.api import (
    APIError,
    BadRequest,
    Gone,
    NotFound,
    QuotaExceeded,
    RateLimited,
    RetriesExhausted,
    RetryPolicy,
    ServerError,
    TransportError,
    Unauthorized,
    UnexpectedResponse,
    VastClient,
)
from tests.api.fake_vast import API_KEY, FakeVast, reply

USER = "/api/v0/users/current"
ME = {"id": 7, "email": "me@example.com"}
RATE_LIMIT_TEXT = "API requests too frequent endpoint threshold=4.5"


def test_sends_bearer_key_user_agent_and_official_path() -> None:
    fake = FakeVast()
    fake.on("GET", USER, reply(200, ME))
    assert fake.client().users.current().id == 7
    (sent,) = fake.requests
    assert sent.headers["Authorization"] == f"Bearer {API_KEY}"
    assert sent.headers["User-Agent"].startswith("pulumi-vast/")


def test_no_key_sends_no_authorization_header() -> None:
    fake = FakeVast()
    fake.on("GET", USER, reply(200, ME))
    fake.client(api_key=None).users.current()
    assert "Authorization" not in fake.requests[0].headers


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_retryable_statuses_are_retried_with_growing_backoff(status: int) -> None:
    fake = FakeVast()
    fake.on("GET", USER, reply(status, text="busy"), reply(status, text="busy"), reply(200, ME))
    client = fake.client()
    assert client.users.current().id == 7
    assert len(fake.requests) == 3
    assert fake.sleeps == [0.5, 1.0]  # jitter disabled by the fake's random() == 0
    assert client.stats.retries == 2


def test_plain_text_429_without_retry_after_backs_off_then_gives_up() -> None:
    fake = FakeVast()
    fake.on("GET", USER, reply(429, text=RATE_LIMIT_TEXT))
    policy = RetryPolicy(max_attempts=4, backoff_base=1.0, backoff_cap=3.0, random=lambda: 0.0)
    with pytest.raises(RetriesExhausted) as caught:
        fake.client(retry=policy).users.current()
    assert fake.sleeps == [1.0, 2.0, 3.0]
    err = caught.value
    assert err.attempts == 4 and err.waited == 6.0
    assert isinstance(err.last_error, RateLimited) and err.__cause__ is err.last_error
    assert "after 4 attempts and 6.0 s" in str(err)
    assert RATE_LIMIT_TEXT in str(err)


def test_jitter_randomizes_the_top_fraction_of_each_wait() -> None:
    policy = RetryPolicy(backoff_base=2.0, jitter=0.5, random=lambda: 1.0)
    assert policy.backoff(1) == 1.0
    assert policy.backoff(2) == 2.0
    assert RetryPolicy(backoff_base=2.0, jitter=0.5, random=lambda: 0.0).backoff(2) == 4.0
    assert RetryPolicy(backoff_cap=5.0, random=lambda: 0.0).backoff(30) == 5.0


def test_retry_after_seconds_is_honoured() -> None:
    fake = FakeVast()
    fake.on("GET", USER, reply(429, text="slow down", **{"Retry-After": "7"}), reply(200, ME))
    fake.client().users.current()
    assert fake.sleeps == [7.0]


def test_retry_after_http_date_is_honoured() -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    fake = FakeVast()
    fake.on("GET", USER, reply(503, text="down", **{"Retry-After": when}), reply(200, ME))
    fake.client().users.current()
    (slept,) = fake.sleeps
    assert 25.0 <= slept <= 30.0


def test_retry_after_longer_than_a_minute_raises_at_once_saying_so() -> None:
    fake = FakeVast()
    fake.on("GET", USER, reply(429, text="later", **{"Retry-After": "3600"}), reply(200, ME))
    with pytest.raises(RateLimited) as caught:
        fake.client().users.current()
    assert len(fake.requests) == 1 and fake.sleeps == []
    assert caught.value.retry_after == 3600.0
    assert "retry after 3600 s" in str(caught.value)


def test_search_quota_429_is_not_retried() -> None:
    fake = FakeVast()
    body = {"success": False, "error": "search_quota_exceeded", "msg": "daily quota used"}
    fake.on("POST", "/api/v0/bundles/", reply(429, body))
    with pytest.raises(QuotaExceeded) as caught:
        fake.client().offers.search()
    assert len(fake.requests) == 1
    assert "midnight UTC" in str(caught.value)


def test_wait_budget_stops_retrying_before_the_attempt_limit() -> None:
    fake = FakeVast()
    fake.on("GET", USER, reply(503, text="down"))
    policy = RetryPolicy(max_attempts=50, backoff_base=10.0, backoff_cap=10.0, max_wait=25.0,
                         random=lambda: 0.0)  # fmt: skip
    with pytest.raises(RetriesExhausted) as caught:
        fake.client(retry=policy).users.current()
    assert fake.sleeps == [10.0, 10.0]
    assert caught.value.attempts == 3


@pytest.mark.parametrize(("method", "route"), [("GET", USER), ("DELETE", "/api/v0/instances/5/")])
def test_a_500_on_an_idempotent_call_is_retried_then_reported(method: str, route: str) -> None:
    fake = FakeVast()
    fake.on(method, route, reply(500, {"error": "server_error", "msg": "boom"}))
    policy = RetryPolicy(max_attempts=3, random=lambda: 0.0)
    with pytest.raises(RetriesExhausted) as caught:
        fake.client(retry=policy).request(method, route)
    assert len(fake.requests) == 3
    assert isinstance(caught.value.last_error, ServerError)


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (400, {"error": "invalid_args", "msg": "bad disk"}, BadRequest),
        (401, {"error": "auth_error", "msg": "Invalid user key"}, Unauthorized),
        (403, {"error": "invalid_args", "msg": "not your own"}, Unauthorized),
        (404, {"error": "not_found", "msg": "Instance not found"}, NotFound),
        (404, {"msg": "Invalid user key"}, Unauthorized),  # how a bad key answers
        (400, {"error": "nonexistent_key", "msg": "no such env var"}, NotFound),
        (400, {"error": "no_ssh_key", "msg": "No ssh key provided"}, NotFound),
        (404, {"error": "no_such_volume", "msg": "No such volume"}, NotFound),
        (200, {"success": False, "error": "no_such_volume", "msg": "gone"}, NotFound),
        (410, {"error": "no_such_ask", "msg": "no longer available"}, Gone),
        (418, {"error": "teapot", "msg": "short and stout"}, APIError),
        (200, {"success": False, "error": "invalid_args", "msg": "bad"}, BadRequest),
        (200, {"success": False, "error": "no_such_ask", "msg": "taken"}, Gone),
        (200, {"success": False, "error": "auth_error", "msg": "no"}, Unauthorized),
        (200, {"success": False, "msg": "something else"}, APIError),
    ],
)
def test_error_answers_map_to_the_error_tree(
    status: int, body: dict[str, object], kind: type[APIError]
) -> None:
    fake = FakeVast()
    fake.on("GET", USER, reply(status, body))
    with pytest.raises(APIError) as caught:
        fake.client().users.current()
    err = caught.value
    assert type(err) is kind
    assert (err.status, err.error, err.msg) == (status, body.get("error"), body.get("msg"))
    assert str(err).startswith(f"GET {USER} failed with {status}")
    assert str(body["msg"]) in str(err)


def test_unauthorized_message_says_where_the_key_comes_from() -> None:
    fake = FakeVast()
    fake.on("GET", USER, reply(404, {"error": "", "msg": "Invalid user key"}))
    with pytest.raises(Unauthorized, match="VAST_API_KEY"):
        fake.client().users.current()


def test_non_json_success_is_an_unexpected_response() -> None:
    fake = FakeVast()
    fake.on("GET", USER, reply(200, text="<html>maintenance</html>"))
    with pytest.raises(UnexpectedResponse, match="not JSON"):
        fake.client().users.current()


def test_a_body_that_does_not_fit_the_model_is_an_unexpected_response() -> None:
    fake = FakeVast()
    fake.on("GET", USER, reply(200, {"email": "no id"}))
    with pytest.raises(UnexpectedResponse, match=r"not a valid User.*id"):
        fake.client().users.current()


def test_connection_refused_is_retried_then_reported() -> None:
    fake = FakeVast()
    fake.on("GET", USER, httpx.ConnectError("refused"))
    with pytest.raises(RetriesExhausted) as caught:
        fake.client(retry=RetryPolicy(max_attempts=3, random=lambda: 0.0)).users.current()
    assert isinstance(caught.value.last_error, TransportError)
    assert "ConnectError: refused" in str(caught.value)
    assert len(fake.requests) == 3


def test_read_timeout_on_an_idempotent_request_is_retried() -> None:
    fake = FakeVast()
    fake.on("GET", USER, httpx.ReadTimeout("slow"), reply(200, ME))
    assert fake.client().users.current().id == 7


def test_a_malformed_request_is_not_retried() -> None:
    fake = FakeVast()
    fake.on("GET", USER, httpx.UnsupportedProtocol("gopher"))
    with pytest.raises(TransportError, match="could not be sent"):
        fake.client().users.current()
    assert len(fake.requests) == 1


def test_api_key_never_appears_in_errors_reprs_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="pulumi_vast.api")
    fake = FakeVast()
    echo = {"error": "auth_error", "msg": f"key {API_KEY} is revoked", "key": API_KEY}
    fake.on("GET", USER, reply(429, text=f"too fast for {API_KEY}"), reply(403, echo))
    client = fake.client()
    with pytest.raises(Unauthorized) as caught:
        client.users.current()
    err = caught.value
    for text in (str(err), repr(err), repr(err.body), str(err.msg), repr(client), caplog.text):
        assert API_KEY not in text
    assert "<redacted>" in str(err)
    assert "retrying GET" in caplog.text


def test_from_env_reads_url_and_key() -> None:
    client = VastClient.from_env({"VAST_URL": "http://127.0.0.1:9/", "VAST_API_KEY": "k"})
    assert client.api_url == "http://127.0.0.1:9"
    assert repr(client) == "VastClient(api_url='http://127.0.0.1:9', api_key='<redacted>')"
    default = VastClient.from_env({})
    assert default.api_url == "https://console.vast.ai"
    assert "api_key=None" in repr(default)


def test_a_non_http_url_is_refused_naming_it() -> None:
    with pytest.raises(ValueError, match="'local'"):
        VastClient("local")


def test_path_parameters_are_quoted() -> None:
    fake = FakeVast()
    fake.on("GET", "/api/v0/instances/1%2F2/", reply(200, {"instances": None}))
    assert fake.client().instances.get("1/2") is None  # type: ignore[arg-type]


def test_request_counting_is_exact_under_many_threads() -> None:
    fake = FakeVast()
    fake.on("GET", USER, reply(200, ME))
    fake.on("GET", "/api/v0/instances/1/", reply(503, text="x"), reply(200, {"instances": None}))
    client = fake.client()

    def work() -> None:
        for _ in range(25):
            client.users.current()

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    client.instances.get(1)
    snap = client.stats.snapshot()
    assert snap.total == 8 * 25 + 2 == len(fake.requests)
    assert snap.by_route == {("GET", USER): 200, ("GET", "/api/v0/instances/{id}/"): 2}
    assert client.stats.count("get", USER) == 200
    assert snap.retries == 1
    assert snap.by_status == {200: 201, 503: 1}
    client.stats.reset()
    assert client.stats.total == 0 and client.stats.by_route == {}


def test_server_time_follows_the_date_of_the_last_answer() -> None:
    ahead = datetime.now(UTC) + timedelta(hours=2)
    fake = FakeVast()
    fake.on("GET", USER, reply(200, ME, Date=format_datetime(ahead, usegmt=True)), reply(200, ME))
    client = fake.client()
    before = client.server_time()
    assert abs(before - datetime.now(UTC).timestamp()) < 60, "this machine's clock at first"
    client.users.current()
    assert abs(client.server_time() - ahead.timestamp()) < 60, "then the service's"
    client.users.current()  # an answer without a Date keeps the last one's
    assert abs(client.server_time() - ahead.timestamp()) < 60
