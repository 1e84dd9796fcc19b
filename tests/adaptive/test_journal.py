import fcntl
import os
import subprocess

import numpy as np
import pytest

from adaptive.errors import InvalidParameterError, JournalError, UnknownCampaignError
from adaptive.journal import Journal, claim_for_serving
from adaptive.records import Observation, Spectrum
from tests.adaptive.journal_lock import held_by_another_process

CONFIG = {"space": {"dimensions": [{"name": "energy", "low": 0.0, "high": 1.0}]}, "x": [1, 2]}


@pytest.fixture
def journal(tmp_path):
    j = Journal(tmp_path / "sub" / "journal.sqlite")
    yield j
    j.close()


def test_create_and_read_campaign(journal):
    journal.create_campaign("c1", CONFIG)
    row = journal.campaign("c1")
    assert row["id"] == "c1"
    assert row["config"] == CONFIG
    assert row["status"] == "running" and row["stop_reason"] is None
    assert journal.campaign_ids() == ["c1"]


def test_duplicate_campaign_id_rejected(journal):
    journal.create_campaign("c1", CONFIG)
    with pytest.raises(InvalidParameterError, match="exists"):
        journal.create_campaign("c1", {"other": True})
    assert journal.campaign("c1")["config"] == CONFIG


def test_a_closed_journal_says_so_on_writes_and_reads_not_that_its_file_failed(tmp_path):
    # a request still running after a stopping server's grace read "closed database ...
    # check that the file and its disk are healthy", or, on a put, a ProgrammingError
    journal = Journal(tmp_path / "journal.sqlite")
    journal.create_campaign("c1", CONFIG)
    journal.close()
    for use in (lambda: journal.create_campaign("c2", CONFIG), lambda: journal.campaign("c1")):
        with pytest.raises(JournalError, match=r"is closed \(a stopping server .* send it again"):
            use()
    assert Journal(tmp_path / "journal.sqlite").campaign_ids() == ["c1"]


def test_unknown_campaign(journal):
    with pytest.raises(UnknownCampaignError, match="nope"):
        journal.campaign("nope")
    assert issubclass(UnknownCampaignError, LookupError)


def test_observations_round_trip_in_order(journal):
    journal.create_campaign("c1", CONFIG)
    spectrum = Spectrum(np.linspace(0, 1, 7), np.sin(np.arange(7.0)), "eV", "counts")
    written = [
        Observation(
            {"energy": 0.5},
            value=2.0,
            uncertainty=0.1,
            suggestion_id="s1",
            metadata={"i0": 1e6, "tags": ["a"]},
        ),
        Observation({"energy": 0.1}, spectrum=spectrum, metadata={"detector": "fluo"}),
        Observation({"energy": 0.9}, value=-1.5, spectrum=spectrum),
    ]
    for obs in written:
        assert journal.append_observation("c1", obs) is True
    read = journal.observations("c1")
    assert len(read) == 3
    for a, b in zip(written, read, strict=True):
        assert b.point == a.point
        assert b.value == a.value
        assert b.uncertainty == a.uncertainty
        assert b.suggestion_id == a.suggestion_id
        assert b.metadata == a.metadata
        assert b.time == a.time
        if a.spectrum is None:
            assert b.spectrum is None
        else:
            np.testing.assert_array_equal(b.spectrum.x, a.spectrum.x)
            np.testing.assert_array_equal(b.spectrum.y, a.spectrum.y)
            assert (b.spectrum.x_units, b.spectrum.y_units) == ("eV", "counts")


def test_idempotent_put(journal):
    journal.create_campaign("c1", CONFIG)
    obs = Observation({"energy": 0.5}, value=1.0)
    assert journal.append_observation("c1", obs, client_id="drv", client_seq=1) is True
    assert journal.append_observation("c1", obs, client_id="drv", client_seq=1) is False
    assert len(journal.observations("c1")) == 1
    # another sequence number or another client is a new observation
    assert journal.append_observation("c1", obs, client_id="drv", client_seq=2) is True
    assert journal.append_observation("c1", obs, client_id="other", client_seq=1) is True
    assert len(journal.observations("c1")) == 3


def test_observations_are_kept_per_campaign(journal):
    journal.create_campaign("c1", CONFIG)
    journal.create_campaign("c2", CONFIG)
    journal.append_observation("c1", Observation({"energy": 0.5}, value=1.0), "d", 1)
    assert journal.append_observation("c2", Observation({"energy": 0.5}, value=1.0), "d", 1)
    assert len(journal.observations("c1")) == 1
    assert len(journal.observations("c2")) == 1


def test_events_filter_by_kind(journal):
    journal.create_campaign("c1", CONFIG)
    journal.append_event("c1", "suggestion", {"id": "a"})
    journal.append_event("c1", "stop", {"reason": "done"})
    journal.append_event("c1", "suggestion", {"id": "b"})
    all_events = journal.events("c1")
    assert [e["kind"] for e in all_events] == ["suggestion", "stop", "suggestion"]
    suggestions = journal.events("c1", "suggestion")
    assert [e["payload"]["id"] for e in suggestions] == ["a", "b"]
    assert journal.events("c1", "nothing") == []


def test_status_update(journal):
    journal.create_campaign("c1", CONFIG)
    journal.set_status("c1", "stopped", "reached max_observations=3")
    row = journal.campaign("c1")
    assert row["status"] == "stopped"
    assert row["stop_reason"] == "reached max_observations=3"


def test_second_journal_on_same_file_sees_everything(tmp_path):
    path = tmp_path / "journal.sqlite"
    first = Journal(path)
    first.create_campaign("c1", CONFIG)
    first.append_observation("c1", Observation({"energy": 0.2}, value=3.0), "d", 7)
    first.append_event("c1", "suggestion", {"id": "x"})
    first.set_status("c1", "stopped", "why")
    second = Journal(path)
    try:
        assert second.campaign("c1")["status"] == "stopped"
        assert [o.value for o in second.observations("c1")] == [3.0]
        assert second.events("c1", "suggestion")[0]["payload"] == {"id": "x"}
        # the idempotency key survives too
        obs = Observation({"energy": 0.2}, value=3.0)
        assert second.append_observation("c1", obs, "d", 7) is False
    finally:
        second.close()
    first.close()
    third = Journal(path)
    try:
        assert len(third.observations("c1")) == 1
        assert third.campaign("c1")["stop_reason"] == "why"
    finally:
        third.close()


def test_a_file_that_is_not_a_journal_gets_a_typed_error(tmp_path):
    path = tmp_path / "notes.sqlite"
    path.write_text("not a database\n")
    with pytest.raises(JournalError, match="writable journal"):
        Journal(path)
    with pytest.raises(JournalError):
        Journal(tmp_path)  # a folder


def _read_only(path) -> bool:
    """Make ``path`` read-only (immutable where chattr works); whether that took."""
    if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode == 0:
        return True
    path.chmod(0o444)
    return os.geteuid() != 0  # root writes through permissions


def test_a_read_only_journal_is_refused_when_opened(tmp_path):
    path = tmp_path / "journal.sqlite"
    Journal(path).close()
    try:
        if not _read_only(path):
            pytest.skip("cannot make a file read-only here")
        with pytest.raises(JournalError, match="writable"):
            Journal(path)
    finally:
        subprocess.run(["chattr", "-i", str(path)], capture_output=True)
        path.chmod(0o644)


def test_a_full_disk_inside_a_transaction_reports_the_full_disk(journal):
    journal.create_campaign("c1", CONFIG)
    (pages,) = journal._db.execute("PRAGMA page_count").fetchone()
    journal._db.execute(f"PRAGMA max_page_count = {pages + 2}")
    big = Spectrum(np.arange(200_000.0), np.ones(200_000))
    with pytest.raises(JournalError, match="disk is full; free space"):
        with journal.transaction():
            journal.append_observation("c1", Observation(point={"e": 1.0}, value=1.0, spectrum=big))
    assert journal.observations("c1") == []


def test_a_journal_another_process_holds_locked_gives_a_journal_error_with_advice(journal):
    journal.create_campaign("c1", CONFIG)
    journal._db.execute("PRAGMA busy_timeout = 50")  # not SQLite's 5 s wait
    with held_by_another_process(journal.path):
        with pytest.raises(JournalError, match="another process is writing to it; close"):
            journal.append_event("c1", "note", {})
        with pytest.raises(JournalError, match="locked"):
            with journal.transaction():
                journal.set_status("c1", "stopped", "why")
    assert journal.campaign("c1")["status"] == "running" and journal.events("c1") == []
    with journal.transaction():  # the failed attempts left no transaction open
        journal.set_status("c1", "stopped", "why")
    assert journal.campaign("c1")["status"] == "stopped"


def test_the_event_keeping_a_put_is_found_by_one_indexed_query(journal):
    journal.create_campaign("c1", CONFIG)
    journal.create_campaign("c2", CONFIG)
    journal.append_event("c1", "suggestion", {"id": "s1"})
    journal.append_event("c1", "analysis_failed", {"client_id": "drv", "sequence": 1})
    journal.append_event("c1", "late_observation", {"client_id": "drv", "sequence": 2})
    kinds = ("analysis_failed", "late_observation")
    assert journal.put_event("c1", kinds, "drv", 1)["kind"] == "analysis_failed"
    assert journal.put_event("c1", kinds, "drv", 2)["kind"] == "late_observation"
    assert journal.put_event("c1", ("late_observation",), "drv", 1) is None
    for other in (("c1", "drv", 3), ("c1", "other", 1), ("c2", "drv", 1)):
        assert journal.put_event(other[0], kinds, *other[1:]) is None
    plan = journal._db.execute(
        "EXPLAIN QUERY PLAN SELECT kind FROM events WHERE campaign_id = 'c1' "
        "AND json_extract(payload, '$.client_id') = 'drv' "
        "AND json_extract(payload, '$.sequence') = 1 AND kind IN ('analysis_failed')"
    ).fetchall()
    assert "USING INDEX events_by_put" in str(plan)


@pytest.mark.parametrize("text", ["\ud800", "beam\udc00 lost"])
def test_text_with_an_unpaired_surrogate_is_refused_typed(journal, text):
    """SQLite keeps text as UTF-8, which a lone surrogate (JSON "\\ud800") is not."""
    journal.create_campaign("c1", CONFIG)
    with pytest.raises(InvalidParameterError, match="unpaired surrogate.*send valid UTF-8"):
        journal.create_campaign(text, CONFIG)
    with pytest.raises(InvalidParameterError, match="unpaired surrogate"):
        with journal.transaction():
            journal.set_status("c1", "stopped", text)
    with pytest.raises(InvalidParameterError, match="unpaired surrogate"):
        journal.campaign(text)
    assert journal.campaign_ids() == ["c1"] and journal.campaign("c1")["status"] == "running"


def test_a_symlink_to_a_served_journal_takes_the_same_lock(tmp_path):
    real = tmp_path / "run-1.sqlite"
    link = tmp_path / "latest.sqlite"
    link.symlink_to(real)
    lock = claim_for_serving(real)
    try:
        with pytest.raises(JournalError, match="served by another server"):
            claim_for_serving(link)
    finally:
        lock.close()
    claim_for_serving(link).close()


def test_a_lock_file_that_cannot_be_created_says_to_pick_a_writable_folder(tmp_path):
    (tmp_path / "notes.txt").write_text("a file, not a folder")
    with pytest.raises(JournalError, match="pass a journal path in a folder you can write to"):
        claim_for_serving(tmp_path / "notes.txt" / "journal.sqlite")


@pytest.mark.parametrize("journal_is", ["a folder", "no database"])
def test_a_claim_that_fails_removes_the_lock_file_it_created_and_no_other(tmp_path, journal_is):
    path = tmp_path / "journal.sqlite"
    if journal_is == "a folder":
        path.mkdir()
    else:
        path.write_text("plain text, not SQLite\n" * 100)
    lock_path = tmp_path / "journal.sqlite.lock"
    with pytest.raises(JournalError, match="writable journal"):
        claim_for_serving(path)
    assert not lock_path.exists()
    lock_path.write_text("4321")  # left by a server that stopped: not this claim's
    with pytest.raises(JournalError, match="writable journal"):
        claim_for_serving(path)
    assert lock_path.read_text() == "4321"


def test_a_claim_that_finds_the_journal_served_leaves_its_lock_file(tmp_path):
    path = tmp_path / "journal.sqlite"
    lock = claim_for_serving(path)
    try:
        with pytest.raises(JournalError, match="served by another server"):
            claim_for_serving(path)
        assert (tmp_path / "journal.sqlite.lock").read_text() == str(os.getpid())
    finally:
        lock.close()


def test_a_claim_whose_lock_file_a_failed_start_removed_meanwhile_locks_the_new_one(
    tmp_path, monkeypatch
):
    """Locking a removed file would let a third server lock a new one beside it."""
    path, lock_path = tmp_path / "journal.sqlite", tmp_path / "journal.sqlite.lock"
    flock, removed = fcntl.flock, []

    def removed_before_the_first_lock(file, operation):
        if not removed:  # between this claim's open and its lock
            removed.append(lock_path.unlink())
        flock(file, operation)

    monkeypatch.setattr(fcntl, "flock", removed_before_the_first_lock)
    lock = claim_for_serving(path)
    try:
        assert os.path.samestat(os.stat(lock_path), os.fstat(lock.fileno()))
    finally:
        lock.close()


def test_a_copy_of_the_file_alone_holds_every_committed_observation(tmp_path):
    """The write-ahead log was checkpointed only past ~1,000 pages: a copy of the .sqlite
    taken while the server ran (a backup by cp, or after kill -9) held no campaign."""
    journal = Journal(tmp_path / "j.sqlite")
    journal.create_campaign("c", {"strategy": {"name": "random"}})
    for i in range(30):
        journal.append_observation("c", Observation({"x": i / 30}, value=float(i), time=float(i)))
    copy = tmp_path / "copy.sqlite"
    copy.write_bytes((tmp_path / "j.sqlite").read_bytes())  # no -wal beside it
    copied = Journal(copy)
    assert [o.value for o in copied.observations("c")] == [float(i) for i in range(30)]
    copied.close()
    journal.close()
