"""Reviews C30 and Z23: the log on stderr in a forked child writes its lines (the parent's
writer thread does not exist there), and `adaptive serve` whose stderr nobody reads still
stops on SIGTERM (its stopping and closing lines blocked on the full pipe, for ever)."""

import multiprocessing
import os
import signal
import sys

import pytest

from adaptive.client import Client
from adaptive.errors import UnknownCampaignError
from adaptive.stderr_log import STDERR
from tests.adaptive.test_server_s15 import end, serve

#: Error replies, each one log line of ~250 bytes: several times what a 64 KiB pipe holds.
ERRORS = 1000


def _log_in_child(path: str) -> None:
    sys.stderr = open(path, "w")
    STDERR.put("line of the child")
    os._exit(0 if STDERR.drain(5) else 1)


def test_a_forked_child_writes_its_log_lines(tmp_path):
    STDERR.put("line of the parent")  # the parent's writer thread runs
    assert STDERR.drain(5)
    child = multiprocessing.get_context("fork").Process(
        target=_log_in_child, args=(str(tmp_path / "child.log"),)
    )
    child.start()
    child.join(30)
    assert child.exitcode == 0  # drained: its own writer wrote the line
    assert (tmp_path / "child.log").read_text() == "line of the child\n"


@pytest.mark.skipif(sys.platform != "linux", reason="sizes of pipes as on Linux")
def test_serve_whose_stderr_nobody_reads_stops_on_sigterm(tmp_path):
    run, line = serve(tmp_path / "journal.sqlite")  # its stderr a pipe read only at the end
    try:
        with Client(line.split()[3].rstrip(","), timeout_s=10) as client:
            for i in range(ERRORS):
                with pytest.raises(UnknownCampaignError):
                    client.call("campaign_status", campaign_id=f"none-{i}")
        os.kill(run.pid, signal.SIGTERM)
        run.wait(timeout=30)  # before: still running, deaf to more signals
        _, err = run.communicate()
        assert run.returncode == 0
        assert "UnknownCampaignError" in err
    finally:
        end(run)
