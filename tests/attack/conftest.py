"""The attack tests use the console's fixtures for its pages: signed-in clients and one account per role."""

from tests.console.conftest import client, quick_hashes, team  # noqa: F401 (the console's fixtures, for its pages)
