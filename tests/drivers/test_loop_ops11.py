"""run_driver with ``outage_s`` rides out a journal another process holds locked (the
server's JournalError reply), resending the same put, so no reading is lost."""

import sqlite3
import threading
from contextlib import contextmanager

import pytest

from adaptive.client import Client
from adaptive.errors import JournalError
from drivers import DriverRun, Reading, run_driver

SPACE = {"dimensions": [{"name": "energy", "low": 8900.0, "high": 9100.0}]}


class LockingInstrument:
    """Reads ``energy / 1e4``; its first read has another connection take the journal's
    write lock (as a backup or an sqlite3 shell would) and hold it for ``hold_s``."""

    def __init__(self, journal, hold_s: float):
        self.journal, self.hold_s, self.reads = journal, hold_s, 0
        self.released = threading.Event()
        self._holder: threading.Thread | None = None

    def move(self, point: dict) -> None:
        self.x = point["energy"]

    def read(self) -> Reading:
        self.reads += 1
        if self._holder is None:
            locked = threading.Event()
            self._holder = threading.Thread(target=self._hold, args=(locked,), daemon=True)
            self._holder.start()
            locked.wait(10)
        return Reading(value=self.x / 1e4)

    def release(self) -> None:
        """End the lock now (a test's cleanup)."""
        self.released.set()
        if self._holder is not None:
            self._holder.join(10)

    def _hold(self, locked: threading.Event) -> None:
        db = sqlite3.connect(self.journal, isolation_level=None)
        try:
            db.execute("BEGIN IMMEDIATE")
            locked.set()
            self.released.wait(self.hold_s)
            db.execute("ROLLBACK")
        finally:
            db.close()


def campaign(client: Client) -> str:
    strategy = {"name": "random", "options": {"seed": 0}}
    return client.call("campaign_create", space=SPACE, strategy=strategy)["campaign_id"]


def test_a_put_the_locked_journal_refuses_is_resent_until_the_lock_goes(server):
    instrument = LockingInstrument(server.journal_path, hold_s=2.5)
    with Client(server.endpoint) as client:
        cid = campaign(client)
        run = run_driver(client, cid, instrument, max_measurements=3, outage_s=20)
        status = client.call("campaign_status", campaign_id=cid)
    assert run == DriverRun(3, "running", None)
    assert instrument.reads == status["n_observations"] == 3  # the first reading too
    assert status["pending"] == []


@contextmanager
def refused_while_locked(server, match: str, **options):
    """(client, campaign id, instrument, error): ``run_driver(**options)`` raising the
    JournalError ``match`` finds while another connection holds the journal locked."""
    instrument = LockingInstrument(server.journal_path, hold_s=30)
    with Client(server.endpoint) as client:
        cid = campaign(client)
        try:
            with pytest.raises(JournalError, match=match) as caught:
                run_driver(client, cid, instrument, **options)
        finally:
            instrument.release()
        yield client, cid, instrument, caught.value


def test_a_lock_held_past_outage_s_raises_with_the_reading_to_resend(server):
    with refused_while_locked(server, "database is locked", outage_s=1.5) as found:
        client, cid, instrument, error = found
        put = error.request
        assert put.method == "observation_put"
        pending = client.call("suggestions_pending", campaign_id=cid)["suggestions"]
        assert len(pending) == 1  # its suggestion kept, not released
        reply = client.send(put)  # the reading in hand, journaled once the lock goes
        assert reply["accepted"] and client.send(put) == reply  # a resend: from the cache
        status = client.call("campaign_status", campaign_id=cid)
    assert instrument.reads == status["n_observations"] == 1
    assert status["pending"] == []


def test_without_outage_s_a_locked_journal_raises_at_once(server):
    with refused_while_locked(server, "retry") as (client, cid, instrument, _):
        status = client.call("campaign_status", campaign_id=cid)
    assert instrument.reads == 1 and status["n_observations"] == 0
