"""A journal removed, replaced or damaged under its server: refused and named, never lost
unseen."""

import math
import os
import sqlite3
import struct
from contextlib import closing

import pytest

from adaptive.client import Client
from adaptive.errors import JournalError
from adaptive.journal import Journal
from adaptive.records import Observation, Spectrum
from adaptive.server import Server
from tests.adaptive.test_server_ops11 import GRID, SPACE

CONFIG = {"space": {"dimensions": [{"name": "energy", "low": 0.0, "high": 1.0}]}}


def observation(x: float) -> Observation:
    return Observation(point={"energy": x}, value=1.0)


@pytest.fixture
def journal(tmp_path):
    j = Journal(tmp_path / "journal.sqlite")
    j.create_campaign("c", CONFIG)
    j.append_observation("c", observation(0.1))
    yield j
    j.close()


def remove(path) -> None:
    """``rm journal.sqlite*``: the file and its WAL companions."""
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(f"{path}{suffix}"):
            os.remove(f"{path}{suffix}")


def test_a_write_to_a_removed_journal_is_refused_not_acknowledged_and_lost(journal):
    remove(journal.path)
    with pytest.raises(JournalError, match="was removed or replaced while served") as err:
        journal.append_observation("c", observation(0.2))
    assert "restart the server" in str(err.value)
    with pytest.raises(JournalError, match="removed or replaced"):  # a transaction's too
        with journal.transaction():
            journal.append_event("c", "note", {})
    with pytest.raises(JournalError, match="removed or replaced"):
        journal.create_campaign("d", CONFIG)


def test_a_write_to_a_journal_replaced_by_another_file_is_refused(journal, tmp_path):
    other = Journal(tmp_path / "other.sqlite")
    other.close()
    os.replace(tmp_path / "other.sqlite", journal.path)
    with pytest.raises(JournalError, match="was removed or replaced"):
        journal.set_status("c", "stopped", "beam lost")


def test_a_journal_moved_back_where_it_was_takes_writes_again(journal, tmp_path):
    os.rename(journal.path, tmp_path / "aside.sqlite")
    with pytest.raises(JournalError, match="removed or replaced"):
        journal.append_observation("c", observation(0.2))
    os.rename(tmp_path / "aside.sqlite", journal.path)
    assert journal.append_observation("c", observation(0.3))
    assert [o.point["energy"] for o in journal.observations("c")] == [0.1, 0.3]


def damage(path, sql: str) -> None:
    """Run ``sql`` on the journal at ``path`` from another connection."""
    db = sqlite3.connect(path)
    db.executescript(sql)
    db.close()


def test_an_observation_that_does_not_parse_is_named_by_campaign_and_row(journal):
    journal.append_observation("c", observation(0.2))
    damage(journal.path, "UPDATE observations SET record = substr(record, 2) WHERE seq = 2")
    with pytest.raises(JournalError) as err:
        journal.observations("c")
    message = str(err.value)
    assert "is damaged: observation 2 of campaign 'c' is not valid JSON" in message
    assert "restore the journal from a backup" in message


@pytest.mark.parametrize(
    ("edit", "constant"),
    [
        ("""replace(record, '"metadata": {}', '"metadata": {"i0": NaN}')""", "NaN"),
        ("""replace(record, '"energy": 0.2', '"energy": -Infinity')""", "-Infinity"),
    ],
)
def test_an_observation_holding_nan_or_infinity_is_named_damaged(journal, edit, constant):
    # the journal writes neither, and reading relies on it (Observation.from_journal)
    journal.append_observation("c", observation(0.2))
    damage(journal.path, f"UPDATE observations SET record = {edit} WHERE seq = 2")
    with pytest.raises(JournalError) as err:
        journal.observations("c")
    message = str(err.value)
    row = "observation 2 of campaign 'c'"
    assert f"damaged: {row} is not valid JSON (it holds {constant}, which no " in message
    assert "mend or delete that row with sqlite3" in message


#: What a journal's reader is told to do about a damaged row (no advice for a client).
MEND = "; restore the journal from a backup, or mend or delete that row with sqlite3"


def damaged_read(journal: Journal, sql: str) -> str:
    """The message of the JournalError that ``journal.observations("c")`` raises after
    ``damage(sql)``; the rows are checked to be left as they were."""
    damage(journal.path, sql)
    with closing(sqlite3.connect(journal.path)) as db:
        rows = db.execute("SELECT * FROM observations").fetchall()
        with pytest.raises(JournalError) as err:
            journal.observations("c")
        assert db.execute("SELECT * FROM observations").fetchall() == rows
    return str(err.value)


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (
            "spectrum_x = substr(spectrum_x, 1, 13)",
            "its spectrum_x holds 13 bytes, not a whole number of float64s (8 bytes each)",
        ),
        ("spectrum_y = NULL", "it has spectrum_x and units but no spectrum_y"),
        ("spectrum_x = NULL", "it has spectrum_y and units but no spectrum_x"),
        ("spectrum_y = substr(spectrum_y, 1, 16)", "spectrum x and y differ in length (3 vs 2)"),
        (
            f"spectrum_x = X'{struct.pack('<3d', 7100.0, math.inf, 7120.0).hex()}'",
            "spectrum holds NaN or inf in x",
        ),
        ("spectrum_x = 'energies'", "its spectrum_x is 'energies', not a blob of float64s"),
        (
            "record = json_remove(record, '$.units')",
            "it has spectrum_x and spectrum_y but no units",
        ),
        ("""record = json_set(record, '$.units', json('["eV"]'))""", "its units are ['eV'], not"),
    ],
)
def test_a_damaged_spectrum_is_named_by_row_and_what_is_wrong(journal, edit, problem):
    spectrum = Spectrum([7100.0, 7110.0, 7120.0], [0.1, 0.5, 0.2], "eV", "a.u.")
    journal.append_observation("c", Observation(point={"energy": 0.2}, spectrum=spectrum))
    message = damaged_read(journal, f"UPDATE observations SET {edit} WHERE seq = 2")
    assert f"is damaged: observation 2 of campaign 'c': {problem}" in message
    assert message.endswith(MEND)


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        ("json_set(record, '$.value', 'high')", "observation value='high' must be one number"),
        ("json_set(record, '$.point', 3)", "its point is 3, not a mapping {dimension name: value}"),
        ("json_remove(record, '$.time')", "its record lacks time (an observation's record has"),
        ("json_set(record, '$.colour', 'red')", "its record has colour, which no observation"),
        ("'[0.1, 1.0]'", "its record is [0.1, 1.0], not a mapping of its fields"),
        ("""json_set(record, '$.units', json('["eV", ""]'))""", "it has units but no spectrum_x"),
    ],
)
def test_a_record_edited_into_no_observation_is_named_by_row_and_what_is_wrong(
    journal, edit, problem
):
    message = damaged_read(journal, f"UPDATE observations SET record = {edit} WHERE seq = 1")
    assert f"is damaged: observation 1 of campaign 'c': {problem}" in message
    assert message.endswith(MEND)  # not the advice a client's put gets ("send float(x)")


def two_campaigns_served_then_stopped(server) -> None:
    """Campaigns c and d, one observation each (rows 1 and 2), journaled by ``server``,
    which then stops."""
    with Client(server.endpoint, timeout_s=10) as client:
        for campaign_id in ("c", "d"):
            client.call("campaign_create", space=SPACE, strategy=GRID, campaign_id=campaign_id)
            client.call(
                "observation_put", campaign_id=campaign_id, point={"energy": 7100.0}, value=1.0
            )
    server.stop()


def test_a_campaign_with_a_damaged_row_is_refused_per_request_and_the_server_serves_on(
    server, capfd
):
    two_campaigns_served_then_stopped(server)
    damage(server.journal_path, "UPDATE observations SET spectrum_x = X'00' WHERE seq = 1")
    capfd.readouterr()
    again = Server(server.journal_path, bind="tcp://127.0.0.1:0")
    try:
        with Client(again.start(), timeout_s=10) as client:
            for _ in range(2):  # each request is told, as the campaign is not loaded half
                with pytest.raises(JournalError, match="observation 1 of campaign 'c': it has"):
                    client.call("campaign_status", campaign_id="c")
            assert client.call("campaign_status", campaign_id="d")["n_observations"] == 1
    finally:
        again.stop()
    log = capfd.readouterr().err
    assert log.count("JournalError: the journal") == 2 and "Traceback" not in log, log


def test_an_event_that_does_not_parse_is_named_by_campaign_and_row(journal):
    journal.append_event("c", "note", {"a": 1})
    # the index over payloads refuses malformed JSON: bit rot does not ask
    damage(journal.path, "DROP INDEX events_by_put; UPDATE events SET payload = '{' WHERE seq = 1")
    with pytest.raises(JournalError, match="damaged: event 1 of campaign 'c' is not valid JSON"):
        journal.events("c")


def test_a_truncated_journal_is_called_damaged_with_how_to_recover_it(tmp_path):
    path = tmp_path / "journal.sqlite"
    j = Journal(path)
    j.create_campaign("c", CONFIG)
    for k in range(300):
        j.append_observation(
            "c", Observation(point={"energy": k / 300}, value=1.0, metadata={"n": "x" * 99})
        )
    j.close()
    with open(path, "r+b") as f:
        f.truncate(int(os.path.getsize(path) * 0.6) // 4096 * 4096)
    with pytest.raises(JournalError) as err:
        Journal(path)
    message = str(err.value)
    assert "database disk image is malformed" in message
    assert (
        f'the file is damaged: recover what it holds with sqlite3 {path} ".recover" | ' in message
    )
    assert f"sqlite3 {path}.recovered and serve {path}.recovered, or serve a backup" in message


def test_a_file_that_is_no_database_may_be_a_damaged_journal(tmp_path):
    path = tmp_path / "journal.sqlite"
    path.write_text("energy,value\n" * 500)
    with pytest.raises(JournalError) as err:
        Journal(path)
    assert (
        "the file is no SQLite file: pass the journal adaptive wrote (--journal), or a new path "
        "to start one; if it is a journal whose start was damaged: recover what it holds with "
        f'sqlite3 {path} ".recover"'
    ) in str(err.value)


def test_a_sqlite_file_that_does_not_open_is_a_damaged_one(tmp_path):
    path = tmp_path / "journal.sqlite"
    path.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4080)  # a header, then no database
    with pytest.raises(
        JournalError, match=r"\(file is not a database\); the file is damaged: recover"
    ):
        Journal(path)


def test_file_problem_answers_while_a_transaction_holds_the_journal(journal):
    # serve's closing line asks it from a signal handler: it waited for a slow request
    import threading

    answers = []
    with journal.transaction():
        asker = threading.Thread(target=lambda: answers.append(journal.file_problem()))
        asker.start()
        asker.join(5)
    assert answers == [None]
