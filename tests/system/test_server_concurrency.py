"""A long request holds up no other, nor do a campaign's insights its other requests:
checked by the order of replies over loopback sockets. A gate holds the long request in
progress, inside the real handler; one test computes real insights instead."""

import json
import sqlite3
import threading
import time
from contextlib import closing
from functools import partial, wraps

import numpy as np
import pytest

import adaptive.server
from adaptive import protocol
from adaptive.campaign import Campaign
from adaptive.client import Client
from adaptive.errors import RemoteError
from adaptive.journal import Journal
from adaptive.records import Observation
from adaptive.server import Server

SQUARE = {"dimensions": [{"name": n, "low": 0.0, "high": 1.0} for n in ("a", "b")]}
BATCHES = {"name": "batch_bo", "options": {"q": 3, "n_initial": 3, "n_candidates": 64, "seed": 0}}
WAIT_MS = 10_000  # only a failing test waits this long
SHAP_WAIT_S = 300  # for real insights: the first SHAP of a process compiles for seconds


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
def observe_gate(monkeypatch):
    """``Campaign.observe`` calls held in progress until the gate is released."""
    gate = Gate(Campaign.observe)
    monkeypatch.setattr(Campaign, "observe", lambda *args, **kwargs: gate(*args, **kwargs))
    return gate


@pytest.fixture
def insights_gate(server, monkeypatch):
    """``campaign_insights`` requests held in progress, once their campaign's data are read
    (the SHAP's part), until the gate is released."""
    gate = Gate(lambda report, cache: report(cache))
    prepare = adaptive.server.prepare_insights
    monkeypatch.setattr(
        adaptive.server, "prepare_insights", lambda campaign: partial(gate, prepare(campaign))
    )
    yield gate
    gate.release.set()  # before the server fixture stops the server


@pytest.fixture
def client(server):
    with Client(server.endpoint, timeout_s=WAIT_MS / 1000, retries=0) as client:
        yield client


def request(method, **params):
    return protocol.encode(protocol.request(method, params))


def reply(socket, wait_ms: float = WAIT_MS) -> dict:
    assert socket.poll(wait_ms), "no reply"
    delimiter, *frames = socket.recv_multipart()
    return protocol.unwrap_reply(protocol.decode(frames, "reply"))


def create(client) -> str:
    return client.call("campaign_create", space=SQUARE, strategy=BATCHES)["campaign_id"]


def put_params(campaign_id, a, value=1.0) -> dict:
    return {"campaign_id": campaign_id, "point": {"a": a, "b": 0.5}, "value": value}


def test_a_long_request_holds_up_neither_pings_nor_other_campaigns_nor_its_own(
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
    # a's later requests run while its insights do, in the order they came (one connection
    # keeps its order; two would not)
    later_a = sockets(server.endpoint, request("observation_put", **put_params(a, 0.2, 2.0)))
    later_a.send_multipart([b"", *request("observation_put", **put_params(a, 0.3, 3.0))])
    assert [reply(later_a)["n_observations"] for _ in range(2)] == [1, 2]
    assert not any(socket.poll(200) for socket in [long_a, long_b])
    insights_gate.release.set()
    # the insights of the data as they were when asked for: a had no recipe then
    assert [len(reply(s)["rounds"]) for s in (long_a, long_b)] == [0, 1]
    assert [o.value for o in Journal(server.journal_path).observations(a)] == [2.0, 3.0]


def test_a_put_resent_while_its_original_runs_is_journaled_once(
    server, client, sockets, observe_gate
):
    campaign_id = create(client)
    frames = request("observation_put", **put_params(campaign_id, 0.5))
    original = sockets(server.endpoint, frames)
    assert observe_gate.wait_started()
    resent = sockets(server.endpoint, frames)  # a Lazy Pirate's retry, on a new socket
    assert client.call("server_ping")["campaigns"] == 1  # answered while the put runs
    observe_gate.release.set()
    first, second = reply(original), reply(resent)
    assert first == second and first["n_observations"] == 1
    assert len(Journal(server.journal_path).observations(campaign_id)) == 1
    assert not observe_gate.started.acquire(timeout=0)  # the resend never reached observe


def test_a_put_queued_behind_one_whose_client_id_is_an_array_is_answered_and_journaled(
    server, client, sockets, observe_gate
):
    # the bad put's log line killed the campaign's worker, and the put behind it was dropped
    campaign_id = create(client)
    first = sockets(server.endpoint, request("observation_put", **put_params(campaign_id, 0.1)))
    assert observe_gate.wait_started()
    array = {"__array__": 0, "dtype": "<f8", "shape": [0]}
    bad = {"v": 1, "id": "bad", "method": "observation_put", "params": put_params(campaign_id, 0.2)}
    bad["params"] |= {"client_id": array, "sequence": 1}
    bad = sockets(server.endpoint, [json.dumps(bad).encode(), b""])
    good = put_params(campaign_id, 0.3, 3.0) | {"client_id": "drv", "sequence": 1}
    good = sockets(server.endpoint, request("observation_put", **good))
    deadline = time.monotonic() + 30
    while len(server._copies) < 3 and time.monotonic() < deadline:  # requests queued or running
        time.sleep(0.01)
    assert len(server._copies) == 3  # both queued behind the first
    observe_gate.release.set()
    assert reply(first)["n_observations"] == 1
    with pytest.raises(RemoteError, match="client_id must be a non-empty string") as caught:
        reply(bad)
    assert caught.value.type == "InvalidParameterError"
    assert reply(good)["n_observations"] == 2
    assert [o.value for o in Journal(server.journal_path).observations(campaign_id)] == [1.0, 3.0]


def test_copies_of_a_read_sent_while_it_runs_run_it_once_and_get_its_reply(
    server, client, sockets, monkeypatch
):
    # each copy (a polling dashboard's retry) was queued and run again: the queue grew
    campaign_id = create(client)
    for a in (0.1, 0.5, 0.9):
        client.call("observation_put", **put_params(campaign_id, a, a))
    gate = Gate(server.model_predict)
    held = wraps(server.model_predict)(lambda **params: gate(**params))  # its parameters
    monkeypatch.setitem(server.methods, "model_predict", held)
    frames = request("model_predict", campaign_id=campaign_id, points=np.array([[0.5, 0.5]]))
    copies = [sockets(server.endpoint, frames)]
    assert gate.wait_started()
    copies += [sockets(server.endpoint, frames) for _ in range(2)]
    assert client.call("server_ping")["campaigns"] == 1  # both copies were read meanwhile
    gate.release.set()
    first, *others = [reply(socket) for socket in copies]
    assert all(np.array_equal(other["mean"], first["mean"]) for other in others)
    assert not gate.started.acquire(timeout=0.5)  # it ran once
    assert client.call("campaign_status", campaign_id=campaign_id)["n_observations"] == 3


def test_a_request_in_progress_at_stop_gets_its_reply_and_no_new_request_is_read(
    server, client, sockets, observe_gate
):
    # the reply of a request that ended within the grace was dropped: a suggestions_get
    # journaled a batch its client never received
    campaign_id = create(client)
    running = sockets(server.endpoint, request("observation_put", **put_params(campaign_id, 0.1)))
    assert observe_gate.wait_started()
    stopping = threading.Thread(target=server.stop)
    stopping.start()
    time.sleep(0.3)  # the server has stopped reading
    late = sockets(server.endpoint, request("observation_put", **put_params(campaign_id, 0.2)))
    time.sleep(0.2)
    observe_gate.release.set()
    assert reply(running)["n_observations"] == 1
    stopping.join(WAIT_MS / 1000)
    assert not server._thread.is_alive() and server.workers_left_running == 0
    assert not late.poll(0)  # its client's retry goes to the next server
    assert len(Journal(server.journal_path).observations(campaign_id)) == 1


def test_a_stop_ends_the_server_while_a_request_runs_and_keeps_what_was_committed(
    server, insights_gate, client, sockets
):
    campaign_id = create(client)
    client.call("observation_put", **put_params(campaign_id, 0.5))
    sockets(server.endpoint, request("campaign_insights", campaign_id=campaign_id))
    assert insights_gate.wait_started()
    server.stop()
    assert not server._thread.is_alive() and server.workers_left_running == 1
    insights_gate.release.set()  # the abandoned request's reply is dropped
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


def test_a_put_and_a_status_during_real_insights_are_answered_first(tmp_path, sockets):
    """The SHAP of 15 recipes takes seconds; the put and the status, milliseconds."""
    path = tmp_path / "journal.sqlite"
    campaign = Campaign.create(Journal(path), SQUARE, BATCHES)
    for i, (a, b) in enumerate(np.random.default_rng(0).random((15, 2))):
        campaign.observe(Observation({"a": a, "b": b}, value=a + b * b, time=1000.0 + i))
    campaign.journal.close()
    idle = Server(path, bind="tcp://127.0.0.1:0")  # the reply of a server doing nothing else
    with Client(idle.start(), timeout_s=SHAP_WAIT_S, retries=0) as client:
        try:
            expected = client.call("campaign_insights", campaign_id=campaign.id)
        finally:
            idle.stop()
    with closing(sqlite3.connect(path)) as db:  # the SHAP rounds it kept forgotten
        db.execute("DELETE FROM shap_rounds")
        db.commit()
    server = Server(path, bind="tcp://127.0.0.1:0")  # insights computed anew
    with Client(server.start(), timeout_s=SHAP_WAIT_S, retries=0) as client:
        try:
            client.call("campaign_status", campaign_id=campaign.id)  # resumed
            insights = sockets(
                server.endpoint, request("campaign_insights", campaign_id=campaign.id)
            )
            deadline = time.monotonic() + WAIT_MS / 1000
            while not server.requests_in_progress and time.monotonic() < deadline:
                time.sleep(0.001)  # until the server works on the insights
            put = client.call("observation_put", **put_params(campaign.id, 0.5, 7.0))
            status = client.call("campaign_status", campaign_id=campaign.id)
            assert not insights.poll(0)  # the old server answered the insights first
            assert put["n_observations"] == status["n_observations"] == 16
            np.testing.assert_equal(reply(insights, 1000 * SHAP_WAIT_S), expected)  # as asked
        finally:
            server.stop()
    observations = Journal(path).observations(campaign.id)
    assert len(observations) == 16 and observations[-1].value == 7.0


def test_a_create_resent_to_a_restarted_server_waits_on_its_campaigns_requests(
    tmp_path, sockets, observe_gate
):
    # review Z19: it ran on the worker of requests with no campaign, and resumed the campaign
    # while the campaign's own worker did: the object assigned last lost the suggestions the
    # other had just made
    path = tmp_path / "journal.sqlite"
    frames = request("campaign_create", space=SQUARE, strategy=BATCHES)  # named by the request
    first = Server(path, bind="tcp://127.0.0.1:0")
    try:
        campaign_id = reply(sockets(first.start(), frames))["campaign_id"]
    finally:
        first.stop()
    again = Server(path, bind="tcp://127.0.0.1:0")  # its reply cache is empty
    endpoint = again.start()
    try:
        put = sockets(endpoint, request("observation_put", **put_params(campaign_id, 0.5)))
        assert observe_gate.wait_started()  # the campaign's worker resumed it, and is held
        resent = sockets(endpoint, frames)
        assert not resent.poll(500)  # queued behind the put, on the campaign's worker
        loaded = again.campaigns[campaign_id]
        observe_gate.release.set()
        assert reply(put)["n_observations"] == 1
        assert reply(resent)["n_observations"] == 1  # the campaign as the put left it
        assert again.campaigns[campaign_id] is loaded
    finally:
        observe_gate.release.set()
        again.stop()
