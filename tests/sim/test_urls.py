"""The route table collected from the per-object responses modules."""

from __future__ import annotations

import pytest

from pulumi_vast.sim import responses
from pulumi_vast.sim.routing import DEFAULT_THRESHOLD
from pulumi_vast.sim.urls import ROUTES, ROUTES_BY_NAME, match


def test_every_route_has_its_handler_and_a_unique_name() -> None:
    assert len(ROUTES_BY_NAME) == len(ROUTES)
    assert set(responses.HANDLERS) == set(ROUTES_BY_NAME)
    for name, handler in responses.HANDLERS.items():
        assert handler.__name__ == name


@pytest.mark.parametrize(
    ("name", "threshold", "bad_key_status"),
    [
        ("list_env_vars", 5.0, 401),
        ("create_env_var", 3.0, 401),
        ("update_env_var", 3.0, 401),
        ("delete_env_var", 3.0, 401),
        ("search_templates", 3.0, 401),
        ("create_template", DEFAULT_THRESHOLD, 401),
        ("update_template_v1", DEFAULT_THRESHOLD, 404),
        ("search_volumes", 5.5, 404),
        ("create_volume", DEFAULT_THRESHOLD, 404),
        ("list_volumes", 5.5, 401),
        ("delete_volume", 5.5, 404),
        ("search_network_volumes", DEFAULT_THRESHOLD, 404),
    ],
)
def test_new_routes_carry_openapis_limits_and_bad_key_answers(
    name: str, threshold: float, bad_key_status: int
) -> None:
    """openapi's 429 examples give the thresholds; a 401 it documents, the bad-key status."""
    route = ROUTES_BY_NAME[name]
    assert (route.threshold, route.bad_key_status) == (threshold, bad_key_status)


@pytest.mark.parametrize(
    ("method", "path", "name"),
    [
        ("POST", "/api/v0/volumes/search/", "search_volumes"),
        ("GET", "/api/v0/volumes", "list_volumes"),
        ("PUT", "/api/v1/template/", "update_template_v1"),
        ("GET", "/api/v0/instances/filters/", "instance_filters"),
        ("GET", "/api/v0/instances/7/", "show_instance"),
    ],
)
def test_requests_find_their_route(method: str, path: str, name: str) -> None:
    route, _, _ = match(method, path)
    assert route is not None and route.name == name


def test_a_known_path_under_another_method_is_told_apart_from_an_unknown_one() -> None:
    assert match("GET", "/api/v0/volumes/search/") == (None, {}, True)
    assert match("GET", "/api/v0/nothing/") == (None, {}, False)
