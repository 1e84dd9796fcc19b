"""Review Z22 (controls): a stderr that takes no log lines (a pipe nobody reads) holds up no
request, on a worker or on the serving thread; the lines past the log's queue are dropped
and their count written in their place once stderr is read."""

import fcntl
import os
import re
import sys
import threading
import time

import pytest
import zmq

import adaptive.stderr_log as stderr_log
from adaptive.client import Client
from adaptive.errors import UnknownCampaignError
from adaptive.server import Server

#: Error replies sent while stderr is not read: each logs one line of ~200 bytes, 4 times
#: what the 4 KiB pipe and the queue of ``QUEUE`` lines hold together.
REQUESTS = 100
QUEUE = 5

pytestmark = pytest.mark.skipif(
    not hasattr(fcntl, "F_SETPIPE_SZ"), reason="sizes a pipe as Linux does"
)


def test_a_stderr_nobody_reads_holds_up_no_request(tmp_path, monkeypatch):
    # each error reply's log line was written by the thread answering it: once ~64 KiB
    # waited in the pipe, requests timed out, and after a malformed frame (answered by the
    # serving thread itself) even server_ping went unanswered
    monkeypatch.setattr(stderr_log, "LOG_QUEUE_LINES", QUEUE)
    read_end, write_end = os.pipe()
    fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, 4096)
    sink, stderr = open(write_end, "w"), sys.stderr
    read: list[bytes] = []
    reader = threading.Thread(target=lambda: read.append(_read_all(read_end)))
    sys.stderr = sink
    try:
        with Server(tmp_path / "j.sqlite", bind="tcp://127.0.0.1:0") as server:
            with Client(server.endpoint, timeout_s=3, retries=0) as client:
                started = time.monotonic()
                for i in range(REQUESTS):
                    with pytest.raises(UnknownCampaignError):
                        client.call("campaign_status", campaign_id=f"none-{i}")
                assert _malformed_frame_answered(server.endpoint)
                assert client.call("server_ping")["campaigns"] == 0
                assert time.monotonic() - started < 10
            reader.start()  # stderr read at last: the server writes what it kept
    finally:
        if not reader.is_alive():
            reader.start()  # unblocks the threads writing, should the test have failed
        sys.stderr = stderr
        sink.close()
        reader.join(10)
    lines = read[0].decode().splitlines()
    written = [line for line in lines if "UnknownCampaignError" in line or "ProtocolError" in line]
    dropped = [
        int(re.search(r" (\d+) log lines? dropped here", line).group(1))
        for line in lines
        if "dropped here" in line
    ]
    assert dropped  # the count of the lines that found the queue full, in their place
    assert len(written) + sum(dropped) == REQUESTS + 1  # each line written or counted


def _malformed_frame_answered(endpoint: str) -> bool:
    """Whether a frame that is no JSON gets its error reply within 3 s."""
    with zmq.Context.instance().socket(zmq.DEALER) as dealer:
        dealer.setsockopt(zmq.LINGER, 0)
        dealer.connect(endpoint)
        dealer.send_multipart([b"", b"not json"])
        return bool(dealer.poll(3000))


def _read_all(fd: int) -> bytes:
    """Everything written to the pipe ``fd`` until its write end is closed."""
    chunks = []
    with open(fd, "rb") as pipe:
        while chunk := pipe.read1(65536):
            chunks.append(chunk)
    return b"".join(chunks)
