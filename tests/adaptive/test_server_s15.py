"""Server leftovers: a context manager, insights and a thread that cannot start at a stop,
copies of requests never answered, and `adaptive serve`'s start line and double signal.
Real ZeroMQ sockets on loopback, real SQLite journals; a gate holds a request in progress."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import adaptive.server
from adaptive import protocol
from adaptive.campaign import Campaign
from adaptive.client import Client
from adaptive.errors import JournalError, ServerStartError
from adaptive.journal import Journal
from adaptive.server import Server
from drivers import DriverRun, Reading, run_driver
from tests.adaptive.test_server_ops11 import unstamped

REPO = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(REPO), "OPENBLAS_NUM_THREADS": "1"}
SQUARE = {"dimensions": [{"name": n, "low": 0.0, "high": 1.0} for n in ("a", "b")]}
BATCHES = {"name": "batch_bo", "options": {"q": 3, "n_initial": 3, "n_candidates": 64, "seed": 0}}
WAIT_S = 10.0  # only a failing test waits this long


class Gate:
    """Holds each call of ``function`` until ``release``; ``started`` is set by the first."""

    def __init__(self, function):
        self.function, self.release, self.started = function, threading.Event(), threading.Event()

    def __call__(self, *args, **kwargs):
        self.started.set()
        assert self.release.wait(WAIT_S)
        return self.function(*args, **kwargs)


def request(method, **params) -> list[bytes]:
    return protocol.encode(protocol.request(method, params))


def reply(socket) -> dict:
    assert socket.poll(1000 * WAIT_S), "no reply"
    _, *frames = socket.recv_multipart()
    return protocol.unwrap_reply(protocol.decode(frames, "reply"))


def client_of(endpoint: str) -> Client:
    return Client(endpoint, timeout_s=WAIT_S, retries=0)


def put(campaign_id: str, a: float) -> dict:
    return {"campaign_id": campaign_id, "point": {"a": a, "b": 0.5}, "value": a}


def stop_in_background(server: Server) -> threading.Thread:
    """``server.stop()`` begun in another thread: it reads no new request once this returns."""
    stopping = threading.Thread(target=server.stop)
    stopping.start()
    assert server._stop.wait(WAIT_S)
    return stopping


def test_a_server_in_a_with_block_serves_there_and_stops_at_its_end_even_on_an_error(tmp_path):
    path = tmp_path / "journal.sqlite"
    with pytest.raises(KeyError):
        with Server(path, bind="tcp://127.0.0.1:0") as server:
            with client_of(server.endpoint) as client:
                client.call("campaign_create", space=SQUARE, strategy=BATCHES, campaign_id="c")
            raise KeyError("the caller's own error")
    assert not server._thread.is_alive()
    with Server(path, bind="tcp://127.0.0.1:0") as again:  # the journal's lock was let go
        with client_of(again.endpoint) as client:
            assert client.call("campaign_list") == ["c"]


def test_insights_whose_data_were_read_when_a_stop_began_get_their_reply(
    server, sockets, monkeypatch
):
    # the first stage ended in the grace, the SHAP stage was never queued: no reply
    with client_of(server.endpoint) as client:
        client.call("campaign_create", space=SQUARE, strategy=BATCHES, campaign_id="c")
        client.call("observation_put", **put("c", 0.3))
    gate = Gate(adaptive.server.prepare_insights)
    monkeypatch.setattr(adaptive.server, "prepare_insights", gate)
    insights = sockets(server.endpoint, request("campaign_insights", campaign_id="c"))
    assert gate.started.wait(WAIT_S)  # the campaign's worker is reading its data
    stopping = stop_in_background(server)
    gate.release.set()
    assert [r["n_recipes"] for r in reply(insights)["rounds"]] == [1]
    stopping.join(WAIT_S)
    assert not server._thread.is_alive() and server.workers_left_running == 0


def test_insights_still_reading_when_the_grace_ends_run_no_shap_after_the_stop(
    server, sockets, monkeypatch
):
    # the rest was queued on the closed workers: a new thread ran SHAP for nobody
    with client_of(server.endpoint) as client:
        client.call("campaign_create", space=SQUARE, strategy=BATCHES, campaign_id="c")
        client.call("observation_put", **put("c", 0.3))
    prepare_insights, rest_ran = adaptive.server.prepare_insights, threading.Event()
    hold = Gate(lambda report: lambda cache: rest_ran.set() or report(cache))
    monkeypatch.setattr(adaptive.server, "prepare_insights", lambda c: hold(prepare_insights(c)))
    monkeypatch.setattr(adaptive.server, "WORKER_GRACE_S", 0.2)
    sockets(server.endpoint, request("campaign_insights", campaign_id="c"))
    assert hold.started.wait(WAIT_S)  # the data are read; the rest is not queued yet
    server.stop()  # the grace ends with the campaign's worker still in the first stage
    assert server.workers_left_running == 1
    hold.release.set()
    assert not rest_ran.wait(2.0)


def test_a_worker_thread_that_cannot_start_fails_its_request_and_the_next_one_is_served(
    server, monkeypatch
):
    # the queue kept the request with no worker: every later request of it went unanswered
    start, failed = threading.Thread.start, []

    def start_once(thread):  # the process out of threads, once
        if not failed:
            failed.append(thread)
            raise RuntimeError("can't start new thread")
        return start(thread)

    monkeypatch.setattr(threading.Thread, "start", start_once)
    create = {"space": SQUARE, "strategy": BATCHES, "campaign_id": "c"}
    with client_of(server.endpoint) as client:
        with pytest.raises(ServerStartError, match="could not start a thread to answer this"):
            client.call("campaign_create", **create)  # "c": a queue made now
        assert client.call("campaign_create", **create)["campaign_id"] == "c"
        assert client.call("campaign_status", campaign_id="c")["n_observations"] == 0
    assert len(failed) == 1


class Reader:
    """Reads ``a``."""

    def move(self, point: dict) -> None:
        self.a = point["a"]

    def read(self) -> Reading:
        return Reading(value=self.a)


def test_run_driver_rides_out_a_worker_thread_that_cannot_start(server, monkeypatch):
    # the driver died on the ServerStartError reply, though the next request is served
    with client_of(server.endpoint) as client:
        client.call("campaign_create", space=SQUARE, strategy=BATCHES, campaign_id="c")
        deadline = time.monotonic() + WAIT_S
        while server._workers.running() and time.monotonic() < deadline:
            time.sleep(0.01)  # the create's worker gone, the driver's first request starts one
        start, failed = threading.Thread.start, []

        def start_once(thread):
            if not failed:
                failed.append(thread)
                raise RuntimeError("can't start new thread")
            return start(thread)

        monkeypatch.setattr(threading.Thread, "start", start_once)
        run = run_driver(client, "c", Reader(), batch=2, max_measurements=2, outage_s=WAIT_S)
        assert run == DriverRun(2, "running", None) and len(failed) == 1
        assert client.call("campaign_status", campaign_id="c")["n_observations"] == 2


def test_requests_never_answered_at_a_stop_are_served_by_a_restart(server, sockets, monkeypatch):
    with client_of(server.endpoint) as client:
        client.call("campaign_create", space=SQUARE, strategy=BATCHES, campaign_id="c")
        gate = Gate(Campaign.observe)
        monkeypatch.setattr(Campaign, "observe", lambda *args, **kwargs: gate(*args, **kwargs))
        running = sockets(server.endpoint, request("observation_put", **put("c", 0.3)))
        assert gate.started.wait(WAIT_S)
        status = request("campaign_status", campaign_id="c")
        queued = [sockets(server.endpoint, status) for _ in range(2)]  # the original, a copy
        assert client.call("server_ping")["campaigns"] == 1  # both were read meanwhile
    stopping = stop_in_background(server)
    gate.release.set()
    assert reply(running)["n_observations"] == 1
    stopping.join(WAIT_S)
    assert not any(socket.poll(0) for socket in queued)  # their retries reach the next server
    resent = sockets(server.start(), status)
    assert reply(resent)["n_observations"] == 1


def test_a_read_only_journal_is_refused_leaving_no_wal_or_shm_beside_it(tmp_path):
    path = tmp_path / "journal.sqlite"
    Journal(path).close()
    if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i does not work here (and root writes through chmod)")
    try:
        with pytest.raises(JournalError, match="read-only: make it writable"):
            Journal(path)
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)
    assert sorted(os.listdir(tmp_path)) == ["journal.sqlite"]


def serve(journal: Path) -> tuple[subprocess.Popen, str]:
    """``adaptive serve`` in a process group of its own (as ``timeout`` runs it) on any
    free port; the process and its start line."""
    command = [sys.executable, "-m", "adaptive.cli", "serve", "--bind", "tcp://127.0.0.1:0"]
    run = subprocess.Popen(
        [*command, "--journal", str(journal)],
        env=ENV,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    return run, run.stdout.readline().strip()


def end(run: subprocess.Popen) -> None:
    """Kill ``run`` if it still runs, and close its pipes."""
    if run.poll() is None:
        run.kill()
        run.communicate()


def test_serves_start_line_says_whether_its_journal_is_new_or_how_many_campaigns_it_holds(
    tmp_path,
):
    # a mistyped --journal folder quietly started an empty journal
    path = tmp_path / "mistyped" / "journal.sqlite"
    for held in ("new: created now", "existing: 1 campaign"):
        run, line = serve(path)
        try:
            assert line.startswith("adaptive server on tcp://127.0.0.1:"), line
            assert line.endswith(f" (pid {run.pid}), journal {path.resolve()} ({held})"), line
            with client_of(line.split()[3].rstrip(",")) as client:
                client.call("campaign_create", space=SQUARE, strategy=BATCHES)
            run.send_signal(signal.SIGTERM)
            run.communicate(timeout=30)
        finally:
            end(run)


@pytest.mark.parametrize(
    ("signum", "code", "word"),
    [(signal.SIGTERM, 0, "terminated"), (signal.SIGINT, 130, "interrupted")],
)
def test_a_signal_sent_twice_at_once_as_timeout_does_stops_serve_cleanly(
    tmp_path, signum, code, word
):
    # `timeout` signals the server, then its process group: the second signal quit at once
    # (exit 143 after SIGTERM) without closing the journal, leaving its -wal and -shm
    path = tmp_path / "journal.sqlite"
    run, line = serve(path)
    try:
        assert line.startswith("adaptive server on"), line
        os.kill(run.pid, signum)
        os.killpg(run.pid, signum)
        _, err = run.communicate(timeout=30)
    finally:
        end(run)
    assert run.returncode == code, err
    assert unstamped(err.splitlines()[-1]).startswith(f"{word}: server stopped"), err
    assert sorted(os.listdir(tmp_path)) == ["journal.sqlite", "journal.sqlite.lock"]
