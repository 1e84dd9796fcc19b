"""One campaign's long request holds up no other: checked by the order of replies over
loopback sockets. A gate holds the long request in progress, inside the real handler."""

import threading

import pytest
import zmq

import adaptive.server
from adaptive import protocol
from adaptive.campaign import Campaign
from adaptive.client import Client
from adaptive.journal import Journal
from adaptive.server import Server

SQUARE = {"dimensions": [{"name": n, "low": 0.0, "high": 1.0} for n in ("a", "b")]}
BATCHES = {"name": "batch_bo", "options": {"q": 3, "n_initial": 3, "n_candidates": 64, "seed": 0}}
WAIT_MS = 10_000  # only a failing test waits this long


class Gate:
    """Holds each call of ``function`` until ``release``; ``started`` counts the calls."""

    def __init__(self, function):
        self.function, self.release = function, threading.Event()
        self.started = threading.Semaphore(0)

    def __call__(self, *args, **kwargs):
        self.started.release()
        assert self.release.wait(WAIT_MS / 1000)
        return self.function(*args, **kwargs)

    def wait_started(self, n: int = 1) -> bool:
        return all(self.started.acquire(timeout=WAIT_MS / 1000) for _ in range(n))


@pytest.fixture
def insights_gate(server, monkeypatch):
    """``campaign_insights`` requests held in progress until the gate is released."""
    gate = Gate(adaptive.server.campaign_insights)
    monkeypatch.setattr(adaptive.server, "campaign_insights", gate)
    yield gate
    gate.release.set()  # before the server fixture stops the server


@pytest.fixture
def client(server):
    with Client(server.endpoint, timeout_s=WAIT_MS / 1000, retries=0) as client:
        yield client


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


def request(method, **params):
    return protocol.encode(protocol.request(method, params))


def reply(socket) -> dict:
    assert socket.poll(WAIT_MS), "no reply"
    delimiter, *frames = socket.recv_multipart()
    return protocol.unwrap_reply(protocol.decode(frames, "reply"))


def create(client) -> str:
    return client.call("campaign_create", space=SQUARE, strategy=BATCHES)["campaign_id"]


def put_params(campaign_id, a, value=1.0) -> dict:
    return {"campaign_id": campaign_id, "point": {"a": a, "b": 0.5}, "value": value}


def test_a_long_request_holds_up_neither_pings_nor_other_campaigns(
    server, insights_gate, client, sockets
):
    a, b = create(client), create(client)
    long_a = sockets(server.endpoint, request("campaign_insights", campaign_id=a))
    assert insights_gate.wait_started()
    with Client(server.endpoint, timeout_s=5, retries=0) as other:  # old server: no reply
        assert other.call("server_ping")["campaigns"] == 2
        assert other.call("observation_put", **put_params(b, 0.1))["n_observations"] == 1
        assert len(other.call("suggestions_get", campaign_id=b, n=2)["suggestions"]) == 2
        assert other.call("campaign_status", campaign_id=b)["n_observations"] == 1
    long_b = sockets(server.endpoint, request("campaign_insights", campaign_id=b))
    assert insights_gate.wait_started()  # another campaign's long request runs alongside
    # a's later requests wait behind its long one, and run in the order they came (one
    # connection keeps its order; two would not)
    later_a = sockets(server.endpoint, request("observation_put", **put_params(a, 0.2, 2.0)))
    later_a.send_multipart([b"", *request("observation_put", **put_params(a, 0.3, 3.0))])
    assert not any(socket.poll(200) for socket in [long_a, long_b, later_a])
    insights_gate.release.set()
    assert [len(reply(s)["rounds"]) for s in (long_a, long_b)] == [0, 1]
    assert [reply(later_a)["n_observations"] for _ in range(2)] == [1, 2]
    assert [o.value for o in Journal(server.journal_path).observations(a)] == [2.0, 3.0]


def test_a_put_resent_while_its_original_runs_is_journaled_once(
    server, client, sockets, monkeypatch
):
    campaign_id = create(client)
    gate = Gate(Campaign.observe)
    monkeypatch.setattr(Campaign, "observe", lambda *args, **kwargs: gate(*args, **kwargs))
    frames = request("observation_put", **put_params(campaign_id, 0.5))
    original = sockets(server.endpoint, frames)
    assert gate.wait_started()
    resent = sockets(server.endpoint, frames)  # a Lazy Pirate's retry, on a new socket
    assert client.call("server_ping")["campaigns"] == 1  # answered while the put runs
    gate.release.set()
    first, second = reply(original), reply(resent)
    assert first == second and first["n_observations"] == 1
    assert len(Journal(server.journal_path).observations(campaign_id)) == 1
    assert not gate.started.acquire(timeout=0)  # the resend never reached observe


def test_a_stop_ends_the_server_while_a_request_runs_and_keeps_what_was_committed(
    server, insights_gate, client, sockets
):
    campaign_id = create(client)
    client.call("observation_put", **put_params(campaign_id, 0.5))
    sockets(server.endpoint, request("campaign_insights", campaign_id=campaign_id))
    assert insights_gate.wait_started()
    server.stop()
    assert not server._thread.is_alive()
    insights_gate.release.set()  # the abandoned request meets a closed journal
    again = Server(server.journal_path, bind="tcp://127.0.0.1:0")
    with Client(again.start(), timeout_s=WAIT_MS / 1000, retries=0) as other:
        try:
            assert other.call("campaign_status", campaign_id=campaign_id)["n_observations"] == 1
        finally:
            again.stop()


def test_a_transaction_takes_no_statement_of_another_thread(tmp_path):
    """Thread B's write while thread A's transaction is open must not join it: A rolls back."""
    journal = Journal(tmp_path / "journal.sqlite")
    for campaign_id in "ab":
        journal.create_campaign(campaign_id, {})
    inside, written = threading.Event(), threading.Event()

    def write_b():
        assert inside.wait(WAIT_MS / 1000)
        journal.append_event("b", "note", {})
        written.set()

    other = threading.Thread(target=write_b)
    other.start()
    with pytest.raises(RuntimeError, match="abandoned"):
        with journal.transaction():
            journal.append_event("a", "note", {})
            inside.set()
            written.wait(0.5)  # an unguarded journal lets B's write in at once
            raise RuntimeError("abandoned")
    other.join(WAIT_MS / 1000)
    assert written.is_set()
    assert [len(journal.events(c)) for c in "ab"] == [0, 1]
