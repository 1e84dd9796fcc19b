"""The event journal: an embedded SQLite file that outlives the server process.

Every observation is committed (``synchronous=FULL``) before the server
acknowledges it, and only while the journal's path still names the file it opened (a
journal removed or replaced meanwhile is refused, not written unseen). Observation puts
are idempotent, keyed by ``(campaign_id, client_id, sequence)``, so a retried put is never
counted twice.
"""

from __future__ import annotations

import errno
import fcntl
import functools
import inspect
import json
import os
import reprlib
import shlex
import sqlite3
import stat
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import IO, Any

import numpy as np

from adaptive.errors import InvalidParameterError, JournalError, UnknownCampaignError
from adaptive.records import Observation, Spectrum
from adaptive.stamps import stamped

SCHEMA = """
CREATE TABLE IF NOT EXISTS campaigns (
    id TEXT PRIMARY KEY,
    config TEXT NOT NULL,
    created REAL NOT NULL,
    status TEXT NOT NULL DEFAULT 'running',
    stop_reason TEXT
);
CREATE TABLE IF NOT EXISTS observations (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id TEXT NOT NULL REFERENCES campaigns(id),
    client_id TEXT,
    client_seq INTEGER,
    record TEXT NOT NULL,
    spectrum_x BLOB,
    spectrum_y BLOB,
    UNIQUE (campaign_id, client_id, client_seq)
);
CREATE TABLE IF NOT EXISTS strategy_states (
    campaign_id TEXT PRIMARY KEY REFERENCES campaigns(id),
    state TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id TEXT NOT NULL REFERENCES campaigns(id),
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    time REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_put ON events (
    campaign_id, json_extract(payload, '$.client_id'), json_extract(payload, '$.sequence')
);
CREATE TABLE IF NOT EXISTS shap_rounds (
    campaign_id TEXT NOT NULL REFERENCES campaigns(id),
    surrogate TEXT NOT NULL,
    round INTEGER NOT NULL,
    key BLOB NOT NULL,
    report TEXT NOT NULL,
    PRIMARY KEY (campaign_id, surrogate, round)
);
"""


#: ``PRAGMA application_id`` of a journal ("ADJL"): another application's SQLite file is
#: refused, never given the journal's tables.
APPLICATION_ID = 0x41444A4C
#: ``PRAGMA user_version`` of a journal: the version of ``SCHEMA``, raised when it changes
#: (a journal of a newer version is refused, not written; one of an older version is served
#: if it lacks only tables added since, which are then created). 2: ``shap_rounds``.
SCHEMA_VERSION = 2

#: How long a write waits for another process's lock before failing with a JournalError:
#: well under a client's default 5 s timeout, so the error reply reaches it.
BUSY_TIMEOUT_S = 1.0
#: Pages of write-ahead log after which a commit checkpoints them into the file (SQLite's
#: default 1,000 left ~4 MB, 300 puts, only in the -wal file): 1, every commit; 300 puts
#: and suggestions of a random strategy 0.85 -> 1.58 ms each.
CHECKPOINT_PAGES = 1


class Journal:
    """Append-only store of campaigns, observations and events.

    Safe to share between threads: one lock serializes its statements, and a thread's
    ``transaction()`` holds it throughout, so no other thread's statement joins it.

    A journal a server holds (see ``claim_for_serving``) is written only by that server:
    any other ``Journal`` on it reads, and its writes are refused, since the server keeps
    its campaigns in memory and would not see them.

    Args:
        path: the SQLite file (created with its folder when missing).
        serving: this is the journal of the server that claimed it.
    """

    def __init__(self, path: str | Path, serving: bool = False):
        self.path = Path(path)
        self.serving = serving
        self._lock = threading.RLock()
        self._db, self._closed = None, False
        self._failed: str | None = None  # the last failure, until a write succeeds since
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._refuse_path()
            self._refuse_read_only()
            self._db = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_S
            )
            self._check_schema()  # before any write: another application's file stays as it was
            self._check_intact()
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            # every commit copied on into the file itself: a copy of the .sqlite alone (a
            # backup by cp, after kill -9) held none of the last ~1,000 pages' campaigns
            self._db.execute(f"PRAGMA wal_autocheckpoint={CHECKPOINT_PAGES}")
            self._db.executescript(SCHEMA)
            # written at every open (a change only to a journal from before the stamp), so a
            # read-only journal fails here, not at a put
            self._db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            self._file = os.stat(self.path)  # what _check_file compares the path against
            # ... and the lock file of the server's claim: one removed (as stale) or made
            # anew lets a second server claim the journal
            self._claim = os.stat(_lock_path(self.path)) if serving else None
        except (sqlite3.Error, OSError) as err:
            if self._db is not None:
                self._db.close()
            if isinstance(err, JournalError):
                raise
            advice = _advice(self.path, err, "pass a writable SQLite file (a new path creates one)")
            raise JournalError(
                f"cannot use {str(self.path)!r} as a writable journal ({err}); {advice}"
            ) from None

    def _refuse_path(self) -> None:
        """Raise for a path that names a folder, or a file that has other names (hard links:
        SQLite keeps a journal's write-ahead log by name, so two names of one file, each
        with its own log and lock, corrupt it)."""
        if self.path.is_dir():
            raise JournalError(
                f"cannot use {str(self.path)!r} as a writable journal: it is a folder; pass a "
                f"file path, e.g. --journal {shlex.quote(str(self.path / 'journal.sqlite'))}"
            )
        links = self.path.stat().st_nlink if self.path.exists() else 1
        if links > 1:
            raise JournalError(
                f"cannot use {str(self.path)!r} as a journal: the file has {links} names (hard "
                "links, e.g. made by cp -l or ln), and SQLite keeps a journal's write-ahead "
                "log and locks by name, so serving it under two names corrupts it; remove "
                "the other names, or serve a copy (cp without -l)"
            )

    def _refuse_read_only(self) -> None:
        """Raise for an existing file this process cannot write, before SQLite opens it:
        SQLite would open it read-only and leave an empty ``-wal`` and ``-shm`` beside it."""
        try:
            if self.path.exists():
                os.close(os.open(self.path, os.O_RDWR))
        except OSError as err:
            if err.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
                raise
            raise JournalError(
                f"cannot use {str(self.path)!r} as a writable journal (it cannot be opened "
                f"for writing: {err.strerror}); {_ADVICE['SQLITE_READONLY']}"
            ) from None

    def _check_schema(self) -> None:
        """Raise unless the file is empty or a journal of ``SCHEMA_VERSION`` (``SCHEMA``'s
        tables and columns; one of an older version, or from before the version stamp
        (application_id 0), may lack tables added since, which ``SCHEMA`` then creates, but
        no column)."""
        (app_id,) = self._db.execute("PRAGMA application_id").fetchone()
        (version,) = self._db.execute("PRAGMA user_version").fetchone()
        tables = _tables(self._db)
        if app_id not in (0, APPLICATION_ID):
            problem = f"it is another application's SQLite file (application_id {app_id:#x})"
        elif app_id == APPLICATION_ID and version > SCHEMA_VERSION:
            problem = (
                f"it was written with journal schema version {version}, and this adaptive-lab "
                f"reads version {SCHEMA_VERSION}: serve it with the adaptive-lab that wrote it"
            )
        elif not tables:  # a new (or empty) file
            return
        else:
            missing, journal = [], _journal_tables()
            for table, columns in journal.items():
                if table not in tables:
                    missing.append(f"table {table}")
                else:
                    missing += [f"{table}.{column}" for column in sorted(columns - tables[table])]
            # unstamped or an older version, only our tables
            older = (app_id == 0 or version < SCHEMA_VERSION) and set(tables) <= set(journal)
            if not missing or (older and all(m.startswith("table ") for m in missing)):
                return
            problem = (
                f"it lacks {', '.join(missing)} (its tables: {', '.join(sorted(tables))}): "
                "another application's SQLite file, or a journal of another version"
            )
        raise JournalError(
            f"{str(self.path)!r} is no adaptive journal this version can serve: {problem}; "
            "it was left unchanged: pass the journal adaptive wrote, or a new path to start one"
        )

    def _check_intact(self) -> None:
        """Raise unless SQLite's ``quick_check`` finds the file sound (a damaged journal is
        not written to: writes could spread the damage)."""
        problems = [row.replace("\n", " ") for (row,) in self._db.execute("PRAGMA quick_check(3)")]
        if problems != ["ok"]:
            what = f"the file is damaged ({'; '.join(problems)})"
            raise JournalError(
                f"cannot use {str(self.path)!r} as a journal: {_recovery(self.path, what)}"
            )

    def close(self) -> None:
        with self._lock:  # after another thread's transaction, not in its middle
            self._db.close()
            self._closed = True

    def _check_open(self) -> None:
        """Raise unless the journal is open (a stopping server closes it under requests
        that outlive its grace)."""
        if self._closed:
            raise JournalError(
                f"the journal {str(self.path)!r} is closed (a stopping server closes it under "
                "requests still running after its grace): nothing more of this request was "
                "journaled; send it again once a server serves the journal"
            )

    def _execute(self, sql: str, args: tuple = ()) -> list[tuple]:
        """Run one statement and return all its rows, read under the lock (so no other
        thread's transaction is open meanwhile); SQLite's failures (a uniqueness conflict
        aside) are JournalErrors."""
        try:
            with self._lock:
                self._check_open()
                return self._db.execute(sql, args).fetchall()
        except sqlite3.IntegrityError:
            raise
        except UnicodeEncodeError as err:  # SQLite stores text as UTF-8
            raise InvalidParameterError(
                f"the text {reprlib.repr(err.object)} holds an unpaired surrogate "
                f"({err.object[err.start : err.end]!r}); send valid UTF-8 text"
            ) from None
        except sqlite3.Error as err:
            advice = _advice(
                self.path,
                err,
                "check that the file and its disk are healthy and writable, then retry",
            )
            failed = f"the journal {str(self.path)!r} failed: {err}; {advice}"
            self._failed = stamped(f"{failed} (nothing written since)")
            raise JournalError(failed) from None

    def _write(self, sql: str, args: tuple = ()) -> list[tuple]:
        """``_execute`` a write; one outside a transaction first checks the file (see
        ``_check_file``), as ``transaction()`` does before its commit."""
        with self._lock:
            self._check_open()
            if not self._db.in_transaction:
                self._check_file()
            rows = self._execute(sql, args)
            if not self._db.in_transaction:
                self._failed = None
            return rows

    def file_problem(self) -> str | None:
        """Why a write would be refused now (``_check_file``'s message), or None. It only
        stats paths, so it takes no lock: a request's transaction may hold it for long (a
        signal's closing line asks, and must not wait)."""
        try:
            self._check_file()
        except JournalError as err:
            return str(err)
        return None

    @property
    def last_failure(self) -> str | None:
        """SQLite's last failure on the journal, after its UTC time, while no write has
        succeeded since (a full disk), or None; what failed was refused, not lost."""
        return self._failed

    def _check_file(self) -> None:
        """Raise unless the journal's path still names the file opened (a write to a file
        removed or replaced since would be acknowledged, then lost) and, when ``serving``, its
        lock file the one claimed (else another server may serve the journal too, each with
        its own copy of the campaigns), or, unless ``serving``, no server holds it."""
        if not _names(self.path, self._file):
            raise JournalError(
                f"the journal file {str(self.path)!r} was removed or replaced while served, "
                "so nothing more is written to it; restore the file (or a backup of it) and "
                "restart the server on it"
            )
        lock_path = _lock_path(self.path)
        if self.serving and not _names(lock_path, self._claim):
            raise JournalError(
                f"the lock file {str(lock_path)!r} of the server serving the journal "
                f"{str(self.path)!r} was removed or replaced, so another server may serve it "
                "too, each with its own copy of the campaigns; nothing more is written through "
                "this one: stop every server on this journal, then start one (a lock file "
                "left by a killed server needs no removing: the next server takes it over)"
            )
        holder = None if self.serving else _server_holding(self.path)
        if holder is not None:
            raise JournalError(
                f"the journal {str(self.path)!r} is served by a server (pid {holder}), which "
                "keeps its campaigns in memory and would not see this change; send it "
                "through the server (adaptive.Client), or stop the server first"
            )

    def _parsed(self, text: str, row: str, finite: bool = False) -> Any:
        """``text`` parsed as JSON; ``row`` names where it is kept, for a damaged journal.
        ``finite``: NaN and Infinity are damage too (no observation the journal writes holds
        them)."""
        try:
            return (_FINITE_JSON.decode if finite else json.loads)(text)
        except (ValueError, TypeError) as err:  # bad JSON, NaN or Infinity refused, not text
            raise self._damaged(f"{row} is not valid JSON ({err})") from None

    def _damaged(self, what: str) -> JournalError:
        """The error for a damaged row: ``what`` names the row and says what is wrong."""
        return JournalError(
            f"the journal {str(self.path)!r} is damaged: {what}; restore the journal from a "
            "backup, or mend or delete that row with sqlite3"
        )

    def _one(self, sql: str, args: tuple = ()) -> tuple | None:
        """The first row of a query, or None."""
        rows = self._execute(sql, args)
        return rows[0] if rows else None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """The block's writes commit together at its end, or none when it raises; other
        threads' statements wait until then."""
        with self._lock:
            self._execute("BEGIN IMMEDIATE")
            try:
                yield
                self._check_file()
                self._execute("COMMIT")
                self._failed = None
            except BaseException:
                if self._db.in_transaction:  # SQLite ends it itself on a full disk or I/O error
                    self._execute("ROLLBACK")
                raise

    def create_campaign(self, campaign_id: str, config: dict) -> None:
        try:
            self._write(
                "INSERT INTO campaigns (id, config, created) VALUES (?, ?, ?)",
                (campaign_id, json.dumps(config), time.time()),
            )
        except sqlite3.IntegrityError:
            stored, sent = self.campaign(campaign_id)["config"], json.loads(json.dumps(config))
            differ = sorted(k for k in {*stored, *sent} if stored.get(k) != sent.get(k))
            if not differ:
                raise InvalidParameterError(
                    f"campaign {campaign_id!r} exists already, with this setup; a create "
                    "resent after its reply was lost made it: go on with it (or pick another "
                    "id, or omit it, for a new campaign)"
                ) from None
            raise InvalidParameterError(
                f"campaign {campaign_id!r} exists already with another setup (what differs: "
                f"{', '.join(differ)}); pick another id, or omit it, for a new campaign"
            ) from None

    def campaign(self, campaign_id: str) -> dict:
        """Return ``{"id", "config", "created", "status", "stop_reason"}``."""
        row = self._one(
            "SELECT id, config, created, status, stop_reason FROM campaigns WHERE id = ?",
            (campaign_id,),
        )
        if row is None:
            raise UnknownCampaignError(
                f"no campaign {campaign_id!r} in {self.path}; list them with campaign_list"
            )
        return {
            "id": row[0],
            "config": self._parsed(row[1], f"the config of campaign {campaign_id!r}"),
            "created": row[2],
            "status": row[3],
            "stop_reason": row[4],
        }

    def campaign_ids(self) -> list[str]:
        return [r[0] for r in self._execute("SELECT id FROM campaigns ORDER BY created")]

    def campaign_strategies(self) -> dict[str, str | None]:
        """``{campaign id: the strategy name its config gives}``, in creation order, in one
        query: None where the config is no JSON or gives no strategy name (that campaign's
        requests report it); text that is not UTF-8 is read with replacement characters."""
        rows = self._execute(
            "SELECT CAST(id AS BLOB), CASE WHEN json_valid(config) THEN CASE WHEN "
            "json_type(config, '$.strategy.name') = 'text' THEN "
            "CAST(json_extract(config, '$.strategy.name') AS BLOB) END END "
            "FROM campaigns ORDER BY created"
        )
        return {
            campaign_id.decode(errors="replace"): None
            if name is None
            else name.decode(errors="replace")
            for campaign_id, name in rows
        }

    def set_status(self, campaign_id: str, status: str, reason: str | None = None) -> None:
        self._write(
            "UPDATE campaigns SET status = ?, stop_reason = ? WHERE id = ?",
            (status, reason, campaign_id),
        )

    def append_observation(
        self,
        campaign_id: str,
        obs: Observation,
        client_id: str | None = None,
        client_seq: int | None = None,
    ) -> bool:
        """Commit ``obs``; return False when ``(client_id, client_seq)`` was seen already."""
        record = {
            "point": obs.point,
            "value": obs.value,
            "uncertainty": obs.uncertainty,
            "suggestion_id": obs.suggestion_id,
            "metadata": obs.metadata,
            "time": obs.time,
        }
        spectrum = obs.spectrum
        if spectrum is not None:
            record["units"] = [spectrum.x_units, spectrum.y_units]
        try:
            self._write(
                "INSERT INTO observations (campaign_id, client_id, client_seq, record, "
                "spectrum_x, spectrum_y) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    campaign_id,
                    client_id,
                    client_seq,
                    json.dumps(record),
                    *((None, None) if spectrum is None else _spectrum_bytes(spectrum)),
                ),
            )
        except sqlite3.IntegrityError:
            if client_id is None or client_seq is None:
                raise
            self._check_same(campaign_id, client_id, client_seq, record, spectrum)
            return False
        return True

    def has_put(self, campaign_id: str, client_id: str | None, client_seq: int | None) -> bool:
        """Whether the put ``(client_id, client_seq)`` is journaled; False without a client_id."""
        if client_id is None:
            return False
        row = self._one(
            "SELECT 1 FROM observations WHERE campaign_id = ? AND client_id = ? AND client_seq = ?",
            (campaign_id, client_id, client_seq),
        )
        return row is not None

    def _check_same(
        self, campaign_id: str, client_id: str, client_seq: int, record: dict, spectrum
    ) -> None:
        """Raise unless the stored put ``(client_id, client_seq)`` holds the same measurement
        as ``record`` (its time aside: the server stamps puts that carry none)."""
        stored, sx, sy = self._one(
            "SELECT record, spectrum_x, spectrum_y FROM observations "
            "WHERE campaign_id = ? AND client_id = ? AND client_seq = ?",
            (campaign_id, client_id, client_seq),
        )
        old, new = ({**json.loads(r), "time": None} for r in (stored, json.dumps(record)))
        new_arrays = (None, None) if spectrum is None else _spectrum_bytes(spectrum)
        if json.dumps(old, sort_keys=True) != json.dumps(new, sort_keys=True) or (
            (sx, sy) != new_arrays
        ):
            raise different_put_error(client_id, client_seq)

    def observations(self, campaign_id: str, spectra: bool = True) -> list[Observation]:
        """All observations of a campaign in the order they were committed; without their
        spectra unless ``spectra`` (SQLite then never loads them, quick on a journal of large
        spectra; each is checked to have its three parts only).

        Raises:
            JournalError: a row is not what ``append_observation`` writes (edited by hand,
                or damaged on disk; text that is not UTF-8 too), named by its seq, with what
                is wrong with it.
        """
        try:
            blobs = "spectrum_x, spectrum_y" if spectra else _SPECTRUM_SIZES
            rows = self._execute(
                f"SELECT seq, record, {blobs} FROM observations WHERE campaign_id = ? ORDER BY seq",
                (campaign_id,),
            )
        except JournalError:  # sqlite3 fails the whole query on one row's text
            undecodable = self._undecodable_observation(campaign_id)
            if undecodable is None:
                raise
            raise self._damaged(undecodable) from None
        out = []
        for seq, record_json, sx, sy in rows:
            where = _observation_row(seq, campaign_id)
            record = self._parsed(record_json, where, finite=True)
            try:
                out.append(_observation(record, sx, sy, spectra))
            except _Damage as err:
                raise self._damaged(f"{where}: {err}") from None
        return out

    def _undecodable_observation(self, campaign_id: str) -> str | None:
        """Which observation of a campaign holds text that is not UTF-8 (which sqlite3
        cannot read), in which column; None if none does. Each text is read as a blob and
        decoded here: slow, for a query that failed only."""
        columns = ("record", "spectrum_x", "spectrum_y")
        as_blobs = ", ".join(
            f"CASE typeof({column}) WHEN 'text' THEN CAST({column} AS BLOB) END"
            for column in columns
        )
        rows = self._execute(
            f"SELECT seq, {as_blobs} FROM observations WHERE campaign_id = ? ORDER BY seq",
            (campaign_id,),
        )
        for seq, *texts in rows:
            for column, text in zip(columns, texts, strict=True):
                if text is None:  # not text
                    continue
                try:
                    text.decode()
                except UnicodeDecodeError as err:
                    return (
                        f"{_observation_row(seq, campaign_id)}: its {column} is text that is "
                        f"not UTF-8 ({err})"
                    )
        return None

    def damaged_observation(self, campaign_id: str, index: int, problem: str) -> JournalError:
        """The error for the campaign's observation at ``index`` in ``observations``'s
        list, which its reader found damaged as ``problem`` says (e.g. a point not in its
        campaign's space); the row is named by its seq."""
        (seq,) = self._one(
            "SELECT seq FROM observations WHERE campaign_id = ? ORDER BY seq LIMIT 1 OFFSET ?",
            (campaign_id, index),
        )
        return self._damaged(f"{_observation_row(seq, campaign_id)}: {problem}")

    def damaged_event(self, campaign_id: str, event: dict, problem: str) -> JournalError:
        """The error for an ``events`` entry its reader found damaged as ``problem`` says
        (e.g. a hand-edited payload); the row is named by its seq."""
        return self._damaged(f"event {event['seq']} of campaign {campaign_id!r}: {problem}")

    def save_strategy_state(self, campaign_id: str, state: dict) -> None:
        """Keep the strategy's latest learned state (warm starts) for resuming."""
        self._write(
            "INSERT OR REPLACE INTO strategy_states (campaign_id, state) VALUES (?, ?)",
            (campaign_id, json.dumps(state)),
        )

    def strategy_state(self, campaign_id: str) -> dict | None:
        row = self._one("SELECT state FROM strategy_states WHERE campaign_id = ?", (campaign_id,))
        if row is None:
            return None
        return self._parsed(row[0], _state_row(campaign_id))

    def damaged_state(self, campaign_id: str, problem: str) -> JournalError:
        """The error for the campaign's strategy state that its strategy could not load, as
        ``problem`` says (e.g. a hand-edited value)."""
        return self._damaged(f"{_state_row(campaign_id)} does not load ({problem})")

    def save_shap_round(
        self, campaign_id: str, surrogate: str, round_: int, key: bytes, report: dict
    ) -> None:
        """Keep the SHAP report (JSON-able) of a campaign's round on ``surrogate``, computed
        from what ``key`` digests, in place of the one kept before."""
        self._write(
            "INSERT OR REPLACE INTO shap_rounds (campaign_id, surrogate, round, key, report) "
            "VALUES (?, ?, ?, ?, ?)",
            (campaign_id, surrogate, round_, key, json.dumps(report)),
        )

    def shap_round(self, campaign_id: str, surrogate: str, round_: int, key: bytes) -> dict | None:
        """The SHAP report kept of a campaign's round on ``surrogate``, or None if none is
        kept under ``key`` (none was, or it was computed from other data)."""
        row = self._one(
            "SELECT report FROM shap_rounds "
            "WHERE campaign_id = ? AND surrogate = ? AND round = ? AND key = ?",
            (campaign_id, surrogate, round_, key),
        )
        where = f"the {surrogate} SHAP of round {round_} of campaign {campaign_id!r}"
        return None if row is None else self._parsed(row[0], where)

    def append_event(self, campaign_id: str, kind: str, payload: dict[str, Any]) -> None:
        self._write(
            "INSERT INTO events (campaign_id, kind, payload, time) VALUES (?, ?, ?, ?)",
            (campaign_id, kind, json.dumps(payload), time.time()),
        )

    def put_event(
        self, campaign_id: str, kinds: tuple[str, ...], client_id: str, client_seq: int
    ) -> dict | None:
        """``{"kind", "payload"}`` of the first event of one of ``kinds`` that keeps the put
        ``(client_id, client_seq)``; None if there is none."""
        row = self._one(
            "SELECT kind, payload FROM events WHERE campaign_id = ? "
            "AND json_extract(payload, '$.client_id') = ? "
            "AND json_extract(payload, '$.sequence') = ? "
            f"AND kind IN ({', '.join('?' * len(kinds))}) ORDER BY seq LIMIT 1",
            (campaign_id, client_id, client_seq, *kinds),
        )
        return None if row is None else {"kind": row[0], "payload": json.loads(row[1])}

    def events(self, campaign_id: str, kind: str | None = None, spectra: bool = True) -> list[dict]:
        """Events of a campaign, oldest first: ``[{"seq", "kind", "payload", "time"}]``.
        Without ``spectra``, a payload's ``spectrum`` (a failed, late or analysis-failed
        put's: x and y as JSON lists) is left out by SQLite, unparsed here: a resume of
        1,500 such events of 4,096 channels read them in 4.5 s, without them in 0.7 s."""
        payload = "payload" if spectra else _WITHOUT_SPECTRUM
        query = f"SELECT seq, kind, {payload}, time FROM events WHERE campaign_id = ?"
        args: tuple = (campaign_id,)
        if kind is not None:
            query += " AND kind = ?"
            args += (kind,)
        rows = self._execute(query + " ORDER BY seq", args)
        return [
            {
                "seq": seq,
                "kind": k,
                "payload": self._parsed(p, f"event {seq} of campaign {campaign_id!r}"),
                "time": t,
            }
            for seq, k, p, t in rows
        ]


#: An event's payload without its ``spectrum`` (``Journal.events``); a payload that is no
#: JSON SQLite reads is read whole, for ``Journal._parsed`` to name as damaged.
_WITHOUT_SPECTRUM = (
    "CASE WHEN json_valid(payload) THEN json_remove(payload, '$.spectrum') ELSE payload END"
)


def claim_for_serving(path: str | Path) -> IO[str]:
    """Take the exclusive lock ``<path>.lock`` that one server holds on its journal, and
    check that the journal opens; the path resolved, so a symlink to the journal takes the
    same lock.

    Returns the open lock file; closing it (or the process dying, kill -9 included)
    releases the lock. Two servers on one journal would each keep their own copy of a
    campaign (both suggesting the same points, one taking puts after the other stopped).
    A claim that fails removes the lock file if it created it (never one another server
    holds), so a failed start leaves none behind.

    Raises:
        JournalError: the lock file cannot be created (the journal's folder cannot be
            written) or opened (left by another account), is a file no server wrote (a
            journal named like it: it is left as it is), another server (this process or
            another) holds the lock, or the journal does not open (a folder, a file that is
            no SQLite database).
    """
    lock_path = _lock_path(path)
    created = not lock_path.exists()
    if (what := _foreign_lock_file(lock_path)) is not None:
        raise JournalError(
            f"{str(lock_path)!r}, the lock file of the journal {str(path)!r}, is {what}, which "
            "a server on that journal would overwrite with its pid; rename the journal (serve "
            f"it under another name) or move {str(lock_path)!r} away"
        )
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        lock = open(lock_path, "a+")
    except OSError as err:
        if not created and lock_path.is_file():  # one left by a server of another account
            mode = lock_path.stat()
            raise JournalError(
                f"cannot open the lock file {str(lock_path)!r} beside the journal ({err}; owner "
                f"uid {mode.st_uid}, mode {stat.filemode(mode.st_mode)}): left by a server of "
                "another account? A server takes over only a lock file it can write: if no "
                "server runs on the journal, remove the lock file or make it writable (chmod "
                "a+w)"
            ) from None
        raise JournalError(
            f"cannot create the lock file {str(lock_path)!r} beside the journal ({err}); pass "
            "a journal path in a folder you can write to, e.g. --journal runs/journal.sqlite"
        ) from None
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _holder(lock)
        lock.close()
        raise JournalError(
            f"the journal {str(path)!r} is served by another server (pid {holder}); stop that "
            "server, or give this one another --journal"
        ) from None
    opened = os.fstat(lock.fileno())
    if not _names(lock_path, opened):  # a failed claim removed it after we opened it
        lock.close()
        return claim_for_serving(path)
    try:
        Journal(path).close()
    except BaseException:
        if created:
            lock_path.unlink(missing_ok=True)  # still locked: no other claim holds it
        lock.close()
        raise
    lock.truncate(0)
    lock.write(str(os.getpid()))
    lock.flush()
    return lock


def _server_holding(path: Path) -> str | None:
    """The pid (text, "unknown" if unwritten) of the server whose ``claim_for_serving``
    holds the journal at ``path``, or None when none does."""
    try:
        lock = open(_lock_path(path))
    except OSError:  # no lock file: never served
        return None
    with lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _holder(lock)
        return None


#: Bytes a lock file of ``claim_for_serving`` stays under: one pid, written without a newline.
_LOCK_FILE_BYTES = 64


def _foreign_lock_file(lock_path: Path) -> str | None:
    """What the file at ``lock_path`` is, when it is none a claim wrote (empty, or a
    server's pid); None for such a lock file, or none there (or unreadable: opening it
    for the claim says why)."""
    try:
        with open(lock_path, "rb") as file:
            head = file.read(_LOCK_FILE_BYTES)
    except OSError:
        return None
    if len(head) < _LOCK_FILE_BYTES and (head.strip().isdigit() or not head.strip()):
        return None
    size = lock_path.stat().st_size
    if _begins_as_sqlite(lock_path):
        return f"an SQLite database of {size:,} bytes (a journal named like a lock file?)"
    return f"a file of {size:,} bytes that holds no server's pid ({head[:24]!r}...)"


def _lock_path(path: str | Path) -> Path:
    """The lock file a server holds on the journal at ``path``: beside the resolved path,
    so a symlink to the journal names the same one."""
    return Path(f"{Path(path).resolve()}.lock")


def _holder(lock: IO[str]) -> str:
    """The pid a server wrote to its ``lock`` file (text; "unknown" if it wrote none)."""
    lock.seek(0)
    return lock.read().strip() or "unknown"


def _not_finite(constant: str) -> float:
    """Refuse a JSON ``NaN``, ``Infinity`` or ``-Infinity`` (``JSONDecoder``'s
    ``parse_constant``)."""
    raise ValueError(f"it holds {constant}, which no journaled observation does")


#: Parses an observation's record (``Observation.from_journal`` relies on its finite numbers).
_FINITE_JSON = json.JSONDecoder(parse_constant=_not_finite)


#: What to do about SQLite's errors (by ``sqlite_errorname``) other than a damaged file.
_ADVICE = {
    "SQLITE_BUSY": "another process is writing to it; close that process (or end its "
    "transaction) and retry",
    "SQLITE_FULL": "free space on its disk and retry",
    "SQLITE_READONLY": "the file (or its folder) is read-only: make it writable (chmod u+w, "
    "or chattr -i where it is immutable), or serve a copy in a folder you can write to",
}


def _advice(path: Path, err: sqlite3.Error | OSError, default: str) -> str:
    """What to do about SQLite's ``err`` on the journal at ``path``; ``default`` for errors
    without advice of their own."""
    name = getattr(err, "sqlite_errorname", "")
    if name == "SQLITE_NOTADB" and not _begins_as_sqlite(path):
        return _recovery(
            path,
            "the file is no SQLite file: pass the journal adaptive wrote (--journal), or a new "
            "path to start one; if it is a journal whose start was damaged",
        )
    if name in ("SQLITE_CORRUPT", "SQLITE_NOTADB"):
        return _recovery(path, "the file is damaged")
    return _ADVICE.get(name, default)


def _begins_as_sqlite(path: Path) -> bool:
    """Whether the file at ``path`` begins with SQLite's header string."""
    try:
        with open(path, "rb") as file:
            return file.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def _recovery(path: Path, what: str) -> str:
    """``what`` is wrong with the journal at ``path``, and how to recover what it holds."""
    src, out = shlex.quote(str(path)), shlex.quote(f"{path}.recovered")
    return (
        f'{what}: recover what it holds with sqlite3 {src} ".recover" | sqlite3 {out} and '
        f"serve {out}, or serve a backup (a sqlite3 shell built without .recover, as Debian's "
        "is, says 'SQL logic error' and leaves the .recovered file empty: use sqlite.org's)"
    )


@functools.cache
def _journal_tables() -> dict[str, set[str]]:
    """``SCHEMA``'s tables and their columns."""
    with closing(sqlite3.connect(":memory:")) as db:
        db.executescript(SCHEMA)
        return _tables(db)


def _tables(db: sqlite3.Connection) -> dict[str, set[str]]:
    """The tables of ``db`` (SQLite's own aside) and their columns."""
    names = db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    ).fetchall()
    return {
        name: {column for (column,) in db.execute("SELECT name FROM pragma_table_info(?)", (name,))}
        for (name,) in names
    }


def _names(path: Path, file: os.stat_result) -> bool:
    """Whether ``path`` names the file whose stat is ``file`` (not removed, nor made anew
    since)."""
    try:
        return os.path.samestat(os.stat(path), file)
    except FileNotFoundError:
        return False


def _state_row(campaign_id: str) -> str:
    """How messages name a campaign's row of ``strategy_states``."""
    return f"the strategy state of campaign {campaign_id!r} (table strategy_states)"


def different_put_error(client_id: str, client_seq: int) -> InvalidParameterError:
    """The error for a put under a journaled ``(client_id, client_seq)`` that differs from it."""
    return InvalidParameterError(
        f"client {client_id!r} already put a different observation as sequence {client_seq}; "
        "give each driver session its own client_id (the Client's default is a fresh one)"
    )


def _spectrum_bytes(spectrum: Spectrum) -> tuple[bytes, bytes]:
    """A spectrum's x and y as stored: little-endian float64 bytes."""
    return spectrum.x.astype("<f8").tobytes(), spectrum.y.astype("<f8").tobytes()


def _observation_row(seq: int, campaign_id: str) -> str:
    """How a damage message names an observation's row."""
    return f"observation {seq} of campaign {campaign_id!r}"


class _Damage(Exception):
    """What is wrong with a journal row (``Journal._damaged`` names the row)."""


#: What ``Journal.observations`` reads of a spectrum it leaves out: its blobs' sizes, which
#: SQLite knows without loading them (``spectrum_x IS NULL`` loads them).
_SPECTRUM_SIZES = "length(spectrum_x), length(spectrum_y)"


def _observation(record: Any, sx: Any, sy: Any, spectra: bool = True) -> Observation:
    """The observation of a row: its ``record`` (parsed) and its spectrum's blobs, or with
    ``spectra`` False their sizes (``_SPECTRUM_SIZES``), for one without its spectrum.

    Raises:
        _Damage: the row is not what ``Journal.append_observation`` writes.
    """
    if not isinstance(record, dict):
        raise _Damage(f"its record is {reprlib.repr(record)}, not a mapping of its fields")
    units = record.pop("units", None)  # [x_units, y_units], kept with a spectrum
    spectrum = None
    if sx is not None or sy is not None or units is not None:
        _check_spectrum_parts(sx, sy, units)
        spectrum = _stored_spectrum(sx, sy, units) if spectra else None
    try:
        observation = Observation.from_journal(spectrum=spectrum, **record)
    except TypeError:  # a field missing, or one it does not take
        raise _Damage(_fields_problem(record)) from None
    except InvalidParameterError as err:
        raise _Damage(err.problem) from None  # not its advice to a sender
    if not isinstance(observation.point, dict):  # a new one's, its campaign's space checks
        raise _Damage(
            f"its point is {reprlib.repr(observation.point)}, not a mapping "
            "{dimension name: value}"
        )
    return observation


def _check_spectrum_parts(sx: Any, sy: Any, units: Any) -> None:
    """Raise ``_Damage`` unless a row holds all three parts of its spectrum: ``sx``, ``sy``
    (its blobs, or their sizes) and its record's ``units``."""
    parts = {"spectrum_x": sx, "spectrum_y": sy, "units": units}
    missing = [name for name, part in parts.items() if part is None]
    if missing:
        held = [name for name, part in parts.items() if part is not None]
        raise _Damage(
            f"it has {' and '.join(held)} but no {' or '.join(missing)} (a spectrum is kept "
            "as spectrum_x, spectrum_y and the record's units)"
        )


def _stored_spectrum(sx: Any, sy: Any, units: Any) -> Spectrum:
    """A row's spectrum from its blobs ``sx``, ``sy`` (little-endian float64s, (n,) each) and
    its record's ``units`` (``[x_units, y_units]``), all three present.

    Raises:
        _Damage: one of them malformed, or a spectrum ``Spectrum`` refuses.
    """
    for name, blob in (("spectrum_x", sx), ("spectrum_y", sy)):
        if not isinstance(blob, bytes):
            raise _Damage(f"its {name} is {reprlib.repr(blob)}, not a blob of float64s")
        if len(blob) % 8:
            raise _Damage(
                f"its {name} holds {len(blob)} bytes, not a whole number of float64s (8 bytes each)"
            )
    if not isinstance(units, list) or len(units) != 2:
        raise _Damage(f"its units are {reprlib.repr(units)}, not [x_units, y_units]")
    try:
        return Spectrum(np.frombuffer(sx, "<f8"), np.frombuffer(sy, "<f8"), *units)
    except InvalidParameterError as err:
        raise _Damage(err.problem) from None  # not its advice to a sender


def _fields_problem(record: dict) -> str:
    """Which fields of an observation's ``record`` are missing, and which unknown."""
    fields = inspect.signature(Observation.from_journal).parameters.keys() - {"spectrum"}
    missing, unknown = sorted(fields - record.keys()), sorted(record.keys() - fields)
    wrong = []
    if missing:
        wrong.append(f"lacks {' and '.join(missing)}")
    if unknown:
        wrong.append(f"has {' and '.join(unknown)}, which no observation has")
    return (
        f"its record {', and '.join(wrong)} (an observation's record has "
        f"{', '.join(sorted(fields))}, and units with a spectrum)"
    )
