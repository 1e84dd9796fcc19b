"""What an operator sees: the server's log lines, and a journal removed under the server."""

import json
import os
import re
import threading

import pytest
import zmq

from adaptive import protocol
from adaptive.client import Client
from adaptive.errors import JournalError, RemoteError
from adaptive.server import Server

SPACE = {"dimensions": [{"name": "energy", "low": 7000.0, "high": 7300.0, "units": "eV"}]}
GRID = {"name": "grid", "options": {"n_points": 20}}
STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"  # UTC


def unstamped(line: str) -> str:
    """``line`` without the UTC time that a server's log line begins with (checked)."""
    assert re.match(f"{STAMP} ", line), line
    return line[len("2026-01-01T00:00:00Z ") :]


def log_lines(capfd) -> list[str]:
    return capfd.readouterr().err.splitlines()


def put(client: Client, energy: float) -> dict:
    return client.call("observation_put", campaign_id="c", point={"energy": energy}, value=1.0)


def test_the_log_has_a_line_per_campaign_created_stopped_and_error_reply_but_none_per_put(
    server, capfd
):
    with Client(server.endpoint, timeout_s=10, client_id="drv-1") as client:
        create = client.prepare(
            "campaign_create",
            space=SPACE,
            strategy={"name": "random", "options": {"seed": 0}},  # a grid of 20 is refused
            campaign_id="c",
            goals={"max_observations": 2},
        )
        client.send(create)
        put(client, 7100.0)
        client.call("suggestions_get", campaign_id="c")
        bad = client.prepare("observation_put", campaign_id="c", point={"energy": 9e3}, value=1)
        with pytest.raises(RemoteError):
            client.send(bad)
        put(client, 7200.0)  # the last the goal takes: it stops the campaign
        client.call("campaign_status", campaign_id="c")
    created, refused, stopped = log_lines(capfd)
    assert re.fullmatch(
        f"{STAMP} campaign_create campaign='c' client='[0-9a-f]+' id='{create.id}': created",
        created,
    ), created
    assert re.fullmatch(
        f"{STAMP} observation_put campaign='c' client='drv-1/[0-9a-f]{{12}}' id='{bad.id}': "
        "OutOfSpaceError: .*9000.*",
        refused,
    ), refused
    assert re.fullmatch(
        f"{STAMP} observation_put .*: stopped \\(reached max_observations=2\\)", stopped
    )


def test_a_request_without_client_id_is_logged_under_its_zeromq_identity(server, capfd):
    dealer = zmq.Context.instance().socket(zmq.DEALER)
    dealer.setsockopt(zmq.LINGER, 0)
    dealer.setsockopt(zmq.ROUTING_ID, b"\xab\x01")
    dealer.connect(server.endpoint)
    try:
        dealer.send_multipart([b"", *protocol.encode(protocol.request("campaign_status", {}))])
        assert dealer.poll(5000)
        dealer.recv_multipart()
        dealer.send_multipart([b"", b"{not json"])  # refused before its method is known
        assert dealer.poll(5000)
        dealer.recv_multipart()
    finally:
        dealer.close()
    missing, malformed = log_lines(capfd)
    assert re.fullmatch(
        f"{STAMP} campaign_status campaign=None client='ab01' id='[0-9a-f]+': "
        "InvalidParameterError: .*campaign_id.*",
        missing,
    ), missing
    assert re.fullmatch(
        f"{STAMP} \\? campaign=None client='ab01' id=None: ProtocolError: .*", malformed
    ), malformed


def test_a_request_whose_arrays_do_not_decode_is_logged_with_its_method_and_campaign(server, capfd):
    # "? campaign=None": the operator could not tell whose driver sent bad frames
    dealer = zmq.Context.instance().socket(zmq.DEALER)
    dealer.setsockopt(zmq.LINGER, 0)
    dealer.connect(server.endpoint)
    header = {"__array__": 0, "dtype": "<f8", "shape": [10]}
    params = {"campaign_id": "mono", "points": header, "client_id": "beamline-7"}
    envelope = {"v": 1, "id": "m", "method": "model_predict", "params": params}
    try:
        dealer.send_multipart([b"", json.dumps(envelope).encode(), b"\0" * 8])  # 1 of 10
        assert dealer.poll(5000)
        dealer.recv_multipart()
    finally:
        dealer.close()
    (line,) = log_lines(capfd)
    assert re.fullmatch(
        f"{STAMP} model_predict campaign='mono' client='beamline-7' id='m': ProtocolError: "
        "array 0 frame has 8 bytes.*",
        line,
    ), line


def test_a_campaign_loaded_from_the_journal_is_logged_as_resumed(tmp_path, capfd):
    journal = tmp_path / "journal.sqlite"
    server = Server(journal, bind="tcp://127.0.0.1:0")
    try:
        with Client(server.start(), timeout_s=10) as client:
            client.call("campaign_create", space=SPACE, strategy=GRID, campaign_id="c")
            put(client, 7100.0)
            client.call("campaign_stop", campaign_id="c", reason="beam lost")
    finally:
        server.stop()
    server = Server(journal, bind="tcp://127.0.0.1:0")
    try:
        with Client(server.start(), timeout_s=10) as client:
            client.call("campaign_status", campaign_id="c")
            client.call("campaign_status", campaign_id="c")  # loaded now: not logged
    finally:
        server.stop()
    lines = log_lines(capfd)
    assert [line.split(": ", 1)[1] for line in lines] == [
        "created",
        "stopped (beam lost)",
        "resumed from the journal: stopped (beam lost), n_observations=1",
    ], lines
    assert " campaign_status campaign='c' " in lines[-1]


def test_a_bugs_traceback_follows_its_log_line(server, capfd):
    def campaign_status(campaign_id):
        raise RuntimeError("boom")

    server.methods["campaign_status"] = campaign_status
    with Client(server.endpoint, timeout_s=10) as client:
        request = client.prepare("campaign_status", campaign_id="c")
        with pytest.raises(RemoteError, match="boom"):
            client.send(request)
    lines = log_lines(capfd)
    assert re.fullmatch(
        f"{STAMP} campaign_status campaign='c' client='[0-9a-f]+' id='{request.id}': "
        "RuntimeError: boom",
        lines[0],
    ), lines
    assert lines[1] == "Traceback (most recent call last):"
    assert lines[-1] == "RuntimeError: boom"


def test_a_put_after_the_journal_was_removed_is_refused_and_the_server_keeps_serving(server):
    with Client(server.endpoint, timeout_s=10) as client:
        client.call("campaign_create", space=SPACE, strategy=GRID, campaign_id="c")
        put(client, 7100.0)
        for suffix in ("", "-wal", "-shm"):  # rm journal.sqlite*
            path = f"{server.journal_path}{suffix}"
            if os.path.exists(path):
                os.remove(path)
        with pytest.raises(JournalError, match="removed or replaced while served") as err:
            put(client, 7200.0)
        assert "restart the server on it" in str(err.value)
        assert client.call("campaign_status", campaign_id="c")["n_observations"] == 1
        assert client.call("server_ping")["campaigns"] == 1


def test_a_start_waits_briefly_for_a_port_its_previous_server_is_still_releasing(tmp_path):
    # a restart on the same port right after stop() failed now and then ("Address already
    # in use": ZeroMQ closes the old listener a moment after its socket), 4 in 150 under load
    holder = zmq.Context.instance().socket(zmq.ROUTER)
    holder.setsockopt(zmq.LINGER, 0)
    port = holder.bind_to_random_port("tcp://127.0.0.1")
    threading.Timer(0.3, holder.close).start()
    server = Server(tmp_path / "j.sqlite", bind=f"tcp://127.0.0.1:{port}")
    try:
        assert server.start().endswith(f":{port}")
    finally:
        server.stop()


def test_a_lock_file_removed_as_stale_stops_the_writes_a_second_server_would_fork(server):
    # rm journal.sqlite.lock let a second server start: both took puts, a goal of 6 took 8
    with Client(server.endpoint, timeout_s=10) as client:
        client.call("campaign_create", space=SPACE, strategy=GRID, campaign_id="c")
        put(client, 7100.0)
        assert client.call("server_ping")["journal_problem"] is None
        os.remove(f"{server.journal_path}.lock")
        with pytest.raises(JournalError, match="lock file .* was removed or replaced") as err:
            put(client, 7200.0)
        assert "stop every server on this journal, then start one" in str(err.value)
        assert str(err.value).endswith(client.call("server_ping")["journal_problem"])
        assert client.call("campaign_status", campaign_id="c")["n_observations"] == 1


def test_a_full_journal_is_named_by_the_ping_until_a_write_succeeds(server):
    # every put failed on a full disk while server_ping said journal_problem None
    with Client(server.endpoint, timeout_s=10) as client:
        client.call("campaign_create", space=SPACE, strategy=GRID, campaign_id="c")
        put(client, 7000.0)
        ((pages,),) = server.journal._execute("PRAGMA page_count")
        server.journal._execute(f"PRAGMA max_page_count = {pages}")  # the disk fills up
        stored = 1
        with pytest.raises(JournalError, match="database or disk is full") as err:
            for stored in range(1, 300):
                put(client, 7000.0 + stored)
        problem = client.call("server_ping")["journal_problem"]
        reply = str(err.value).removeprefix("JournalError: ")
        assert unstamped(problem) == f"{reply} (nothing written since)"
        assert "free space on its disk and retry" in reply
        server.journal._execute(f"PRAGMA max_page_count = {2**30}")  # space freed
        assert put(client, 7299.0)["n_observations"] == stored + 1
        assert client.call("server_ping")["journal_problem"] is None


def test_request_text_cannot_split_or_forge_a_log_line(server, capfd):
    # a stop reason (a driver's traceback) and a method name were written raw, newlines kept
    forged = "\n2026-01-01T00:00:00Z campaign_stop campaign='other' client='x' id='y': stopped"
    with Client(server.endpoint, timeout_s=10) as client:
        client.call("campaign_create", space=SPACE, strategy=GRID, campaign_id="c")
        client.call("campaign_stop", campaign_id="c", reason="note:" + forged + "z" * 3000)
    with zmq.Context.instance().socket(zmq.DEALER) as dealer:
        dealer.setsockopt(zmq.RCVTIMEO, 5000)
        dealer.connect(server.endpoint)
        request = {"v": 1, "id": "r1", "method": "status" + forged, "params": {}}
        dealer.send_multipart([b"", json.dumps(request).encode()])
        assert json.loads(dealer.recv_multipart()[1])["error"]["type"] == "UnknownMethodError"
    created, stopped, refused = log_lines(capfd)
    assert unstamped(stopped).startswith("campaign_stop campaign='c' ")
    assert "stopped (note: 2026-01-01T00:00:00Z campaign_stop" in stopped
    assert len(stopped) < 500 and stopped.endswith(" ...)")
    assert unstamped(refused).startswith('"status\\n2026-01-01T00:00:00Z ')
