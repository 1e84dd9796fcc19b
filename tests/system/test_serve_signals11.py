"""``adaptive serve`` stopped by signals: SIGTERM, a second Ctrl-C, SIGINT ignored at start."""

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import zmq

from adaptive import protocol
from adaptive.client import Client
from adaptive.server import Server
from tests.adaptive.test_server_ops11 import unstamped

REPO = Path(__file__).resolve().parents[2]
SPACE = {"dimensions": [{"name": "energy", "low": 7000.0, "high": 7300.0, "units": "eV"}]}
#: ``adaptive serve`` whose campaign_status takes a minute: a request still in progress; it
#: creates the file ``$ASLEEP`` (``serve``'s journal folder's ``asleep``) once it began.
SLOW_SERVE = (
    "import os, pathlib, sys, time\n"
    "from adaptive.server import Server\n"
    "def status(self, campaign_id):\n"
    "    pathlib.Path(os.environ['ASLEEP']).touch()\n"
    "    return time.sleep(60)\n"
    "Server.campaign_status = status\n"
    "from adaptive.cli import main\n"
    "sys.exit(main())\n"
)


def serve(journal: Path, *python: str) -> subprocess.Popen:
    """``python -m adaptive.cli serve`` (or ``python *python serve``) on any free port."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "OPENBLAS_NUM_THREADS": "1"}
    env["ASLEEP"] = str(journal.parent / "asleep")
    command = [sys.executable, *(python or ("-m", "adaptive.cli"))]
    command += ["serve", "--bind", "tcp://127.0.0.1:0", "--journal", str(journal)]
    return subprocess.Popen(
        command, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def endpoint_of(run: subprocess.Popen) -> str:
    line = run.stdout.readline()
    assert line.startswith("adaptive server on tcp://127.0.0.1:"), line
    return line.split()[3].rstrip(",")


def closing(journal: Path) -> str:
    return (
        f"server stopped; its journal {journal} keeps every campaign: serve it again to resume them"
    )


def test_sigterm_stops_serve_cleanly_with_a_closing_line_and_the_journal_reopens(tmp_path):
    journal = tmp_path / "journal.sqlite"
    run = serve(journal)
    try:
        with Client(endpoint_of(run), timeout_s=30) as client:
            grid = {"name": "grid", "options": {"n_points": 20}}
            client.call("campaign_create", space=SPACE, strategy=grid, campaign_id="c")
            client.call("observation_put", campaign_id="c", point={"energy": 7100.0}, value=1)
        run.send_signal(signal.SIGTERM)
        _, err = run.communicate(timeout=30)
    finally:
        run.kill()
    assert run.returncode == 0, err  # a service manager's stop is no failure
    lines = err.splitlines()
    assert lines[0].endswith(": created") and len(lines) == 2, err  # the put is not logged
    assert unstamped(lines[-1]) == f"terminated: {closing(journal)}"
    server = Server(journal, bind="tcp://127.0.0.1:0")  # its lock was let go
    try:
        with Client(server.start(), timeout_s=30) as client:
            assert client.call("campaign_status", campaign_id="c")["n_observations"] == 1
    finally:
        server.stop()


@contextmanager
def status_in_progress(run: subprocess.Popen, journal: Path):
    """A DEALER that sent ``run`` (serving ``journal``) a campaign_status and waited for its
    worker to be asleep in it (``SLOW_SERVE``); at the end it is closed and ``run`` killed."""
    dealer = zmq.Context.instance().socket(zmq.DEALER)
    dealer.setsockopt(zmq.LINGER, 0)
    try:
        dealer.connect(endpoint_of(run))
        request = protocol.request("campaign_status", {"campaign_id": "c"})
        dealer.send_multipart([b"", *protocol.encode(request)])
        asleep, deadline = journal.parent / "asleep", time.monotonic() + 60
        while not asleep.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert asleep.exists(), "the server did not begin the request within 60 s"
        yield dealer
    finally:
        dealer.close()
        run.kill()


def test_a_request_in_progress_at_sigterm_gets_its_reply(tmp_path):
    # its reply was dropped: a suggestions_get journaled a batch its client never received
    script = SLOW_SERVE.replace("time.sleep(60)", "time.sleep(1) or {'slept': 1}")
    run = serve(tmp_path / "journal.sqlite", "-c", script)
    with status_in_progress(run, tmp_path / "journal.sqlite") as dealer:
        run.send_signal(signal.SIGTERM)
        answered = dealer.poll(10_000)
        _, err = run.communicate(timeout=30)
        reply = protocol.decode(dealer.recv_multipart()[1:], "reply") if answered else None
    assert run.returncode == 0, err
    assert reply is not None and protocol.unwrap_reply(reply) == {"slept": 1}, err


@pytest.mark.parametrize(
    ("signum", "again", "word"),
    [(signal.SIGINT, "Ctrl-C", "interrupted"), (signal.SIGTERM, "SIGTERM", "terminated")],
)
def test_a_second_signal_while_a_request_runs_quits_at_once_naming_the_request_left(
    tmp_path, signum, again, word
):
    # after SIGTERM the hint said Ctrl-C to a service manager, and the closing line of either
    # left the request out
    journal = tmp_path / "journal.sqlite"
    run = serve(journal, "-c", SLOW_SERVE)
    with status_in_progress(run, journal):
        run.send_signal(signum)
        time.sleep(1.0)
        run.send_signal(signum)
        second = time.monotonic()
        _, err = run.communicate(timeout=30)
        quit_s = time.monotonic() - second
    assert run.returncode == 128 + signum, err  # not a signal's abort (-6)
    assert quit_s < 2.5, quit_s  # not after the 5 s wait
    assert [unstamped(line) for line in err.splitlines()] == [
        f"stopping: waiting up to 5 s for 1 request in progress ({again} again to quit now)",
        f"{word}: {closing(journal)}; 1 request still running when it stopped went "
        "unanswered (journaled only if done; a client's retry asks the next server)",
    ], err


def test_serve_started_with_sigint_ignored_still_stops_on_ctrl_c(tmp_path):
    """As `adaptive serve &` in a script starts it; a `kill -INT` then did nothing."""
    journal = tmp_path / "journal.sqlite"
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # inherited, as a shell does
    try:
        run = serve(journal)
    finally:
        signal.signal(signal.SIGINT, previous)
    try:
        endpoint_of(run)
        run.send_signal(signal.SIGINT)
        _, err = run.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        err = "still serving 20 s after SIGINT"
    finally:
        run.kill()
    assert run.returncode == 130, err
    (line,) = err.splitlines()
    assert unstamped(line) == f"interrupted: {closing(journal)}"


def test_the_closing_line_says_a_removed_journal_is_gone_and_a_request_went_unanswered(tmp_path):
    # it said the removed journal "keeps every campaign", and nothing of the request
    journal = tmp_path / "journal.sqlite"
    run = serve(journal, "-c", SLOW_SERVE)
    with status_in_progress(run, journal):
        for path in tmp_path.glob("journal.sqlite*"):
            if not path.name.endswith(".lock"):
                path.unlink()
        run.send_signal(signal.SIGTERM)
        _, err = run.communicate(timeout=30)
    assert run.returncode == 0, err
    last = unstamped(err.splitlines()[-1])
    assert last.startswith(f"terminated: server stopped; the journal file {str(journal)!r} was")
    assert "keeps every campaign" not in last
    assert last.endswith(
        "; 1 request still running when it stopped went unanswered (journaled only if done; "
        "a client's retry asks the next server)"
    )


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_stdout_that_fails_the_start_line_says_so_on_stderr_and_serves_on(tmp_path):
    # killed by the broken pipe (exit 141, nothing said) or "No space left on device"
    # (exit 2, no word of the start line), either after creating the journal
    journal = tmp_path / "journal.sqlite"
    env = {**os.environ, "PYTHONPATH": str(REPO), "OPENBLAS_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "adaptive.cli", "serve", "--bind", "tcp://127.0.0.1:0"]
    with open("/dev/full", "w") as full:
        run = subprocess.Popen(
            [*command, "--journal", str(journal)], env=env, text=True, stdout=full,
            stderr=subprocess.PIPE,
        )  # fmt: skip
    try:
        line = run.stderr.readline()
        assert line.startswith("stdout failed ([Errno 28] No space left on device); "), line
        with Client(line.split("adaptive server on ")[1].split()[0], timeout_s=30) as client:
            assert client.call("server_ping")["journal_problem"] is None
        run.send_signal(signal.SIGTERM)
        _, err = run.communicate(timeout=30)
    finally:
        run.kill()
    assert run.returncode == 0 and unstamped(err.strip()) == f"terminated: {closing(journal)}"
