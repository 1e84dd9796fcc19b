"""Z14 findings: an ipc:// path another server answers on, and an inproc endpoint for
``adaptive serve``. Real sockets, real journals."""

import os
import socket

import pytest

from adaptive.cli import main
from adaptive.client import Client
from adaptive.errors import JournalError, ServerStartError
from adaptive.journal import claim_for_serving
from adaptive.server import Server

SPACE = {"dimensions": [{"name": "energy", "low": 7000.0, "high": 7300.0, "units": "eV"}]}


def test_an_ipc_path_a_live_server_answers_on_is_refused_and_that_server_keeps_it(tmp_path):
    # the second server took the socket file over: the first one's drivers reached it and
    # were told their campaign did not exist
    endpoint = f"ipc://{tmp_path / 'sock'}"
    with Server(tmp_path / "first.sqlite", bind=endpoint) as first:
        with pytest.raises(ServerStartError, match="another process serves that path"):
            Server(tmp_path / "second.sqlite", bind=endpoint).start()
        assert not (tmp_path / "second.sqlite").exists()
        with Client(first.endpoint, timeout_s=10, retries=0) as client:
            client.call(
                "campaign_create", space=SPACE, strategy={"name": "random"}, campaign_id="c"
            )
            assert client.call("campaign_status", campaign_id="c")["status"] == "running"


def test_an_ipc_socket_file_nobody_answers_on_is_taken_over(tmp_path):
    path = tmp_path / "sock"
    with socket.socket(socket.AF_UNIX) as killed:  # a server killed with -9 leaves its file
        killed.bind(str(path))
    assert path.exists()
    with Server(tmp_path / "j.sqlite", bind=f"ipc://{path}") as server:
        with Client(server.endpoint, timeout_s=10, retries=0) as client:
            assert client.call("server_ping")["journal_problem"] is None


def test_serve_refuses_an_inproc_endpoint_no_driver_could_reach(tmp_path, capsys):
    journal = tmp_path / "j.sqlite"
    assert main(["serve", "--journal", str(journal), "--bind", "inproc://lab"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "error: --bind inproc://lab: an inproc endpoint reaches only this process, so no "
        "driver could connect; serve on tcp://HOST:PORT or ipc://PATH\n"
    )
    assert not journal.exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes any file")
def test_a_lock_file_this_account_cannot_write_is_named_with_its_owner(tmp_path):
    # "pass a journal path in a folder you can write to", of a folder this account can write
    lock = tmp_path / "j.sqlite.lock"
    lock.write_text("12345")
    lock.chmod(0o444)
    with pytest.raises(JournalError, match=r"mode -r--r--r--\): left by a server of another"):
        claim_for_serving(tmp_path / "j.sqlite")
    assert lock.exists() and not (tmp_path / "j.sqlite").exists()


def test_an_ipc_path_that_is_a_file_is_refused_and_the_file_kept(tmp_path):
    # ZeroMQ deleted what was there: a journal passed as --bind ipc://...sqlite was lost
    journal = tmp_path / "lab.sqlite"
    journal.write_bytes(b"SQLite format 3\x00 ...")
    with pytest.raises(ServerStartError, match="is a file or folder, not a socket"):
        Server(tmp_path / "other.sqlite", bind=f"ipc://{journal}").start()
    assert journal.read_bytes() == b"SQLite format 3\x00 ..."
