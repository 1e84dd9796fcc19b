"""A server whose workers' wake-up pipe cannot be made (the process out of file
descriptors) is refused by ``start`` (review C29): it returned an endpoint whose serving
thread had died, and held the journal's lock until the collector freed it."""

import errno
import os

import pytest

import adaptive.server
from adaptive.client import Client
from adaptive.errors import ServerStartError
from adaptive.server import Server


def test_a_server_whose_workers_cannot_start_is_refused_and_releases_its_journal(
    tmp_path, monkeypatch
):
    def no_descriptors():
        raise OSError(errno.EMFILE, os.strerror(errno.EMFILE))

    journal = tmp_path / "j.sqlite"
    server = Server(journal, bind="tcp://127.0.0.1:0")
    with monkeypatch.context() as patch:
        patch.setattr(adaptive.server.os, "pipe", no_descriptors)
        with pytest.raises(ServerStartError, match="out of file descriptors"):
            server.start()
    with Server(journal, bind="tcp://127.0.0.1:0") as again:  # the lock was released
        with Client(again.endpoint, timeout_s=5.0, retries=0) as client:
            assert client.call("server_ping")["journal_problem"] is None
