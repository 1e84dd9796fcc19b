"""Fixtures shared by the test packages."""

import pytest

from adaptive.server import Server


@pytest.fixture
def server(tmp_path):
    """A started server on a free loopback port with a fresh journal; stopped afterwards."""
    server = Server(tmp_path / "journal.sqlite", bind="tcp://127.0.0.1:0")
    server.start()
    yield server
    server.stop()
