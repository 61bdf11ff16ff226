"""Shared fixtures live in plugin modules under tests/fixtures, one per layer."""

pytest_plugins = [
    "tests.fixtures.sim",
    "tests.fixtures.engine",
]
