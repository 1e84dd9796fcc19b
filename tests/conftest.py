"""Fixtures shared by the test packages."""

import pytest
import zmq

from adaptive.journal import Journal
from adaptive.server import Server


@pytest.fixture
def journal(tmp_path):
    """A fresh journal, ``tmp_path / "journal.sqlite"``; closed afterwards."""
    journal = Journal(tmp_path / "journal.sqlite")
    yield journal
    journal.close()


@pytest.fixture
def server(tmp_path):
    """A started server on a free loopback port with a fresh journal; stopped afterwards."""
    server = Server(tmp_path / "journal.sqlite", bind="tcp://127.0.0.1:0")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def sockets():
    """``send(endpoint, frames)``: a DEALER-as-REQ socket that sent them; closed after."""
    opened = []

    def send(endpoint, frames):
        socket = zmq.Context.instance().socket(zmq.DEALER)
        socket.setsockopt(zmq.LINGER, 0)
        socket.connect(endpoint)
        socket.send_multipart([b"", *frames])
        opened.append(socket)
        return socket

    yield send
    for socket in opened:
        socket.close()
