"""A journal file in real-world trouble, served with ``adaptive serve``: each is refused
with a typed error that names the file and the fix, and the file is left byte for byte as
it was; a journal that survives (kill -9, a stale lock) is served with nothing lost."""

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from adaptive.client import Client
from adaptive.errors import JournalError
from adaptive.journal import APPLICATION_ID, SCHEMA_VERSION, Journal
from adaptive.server import Server

REPO = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(REPO), "OPENBLAS_NUM_THREADS": "1"}


@pytest.fixture(scope="module")
def campaign_journal(tmp_path_factory) -> Path:
    """The journal of a short real campaign (``adaptive simulate xas``, 15 points)."""
    out = tmp_path_factory.mktemp("run")
    command = [sys.executable, "-m", "adaptive.cli", "simulate", "xas", "--max-points", "15"]
    command += ["--noise-counts", "0", "--out", str(out)]
    subprocess.run(command, env=ENV, check=True, capture_output=True, timeout=300)
    return out / "journal.sqlite"


def copy_of(journal: Path, tmp_path: Path) -> Path:
    path = tmp_path / "journal.sqlite"
    shutil.copyfile(journal, path)
    return path


def refused_by_serve(journal: Path) -> str:
    """``adaptive serve --journal journal``'s error line (it must exit 2, not serve)."""
    command = [sys.executable, "-m", "adaptive.cli", "serve", "--bind", "tcp://127.0.0.1:0"]
    try:
        run = subprocess.run(
            [*command, "--journal", str(journal)],
            env=ENV,
            capture_output=True,
            text=True,
            timeout=60,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"adaptive serve served {journal}")
    assert run.returncode == 2 and run.stdout == "", run.stdout + run.stderr
    assert run.stderr.startswith("error: ") and "Traceback" not in run.stderr, run.stderr
    return run.stderr


def overwrite_pages(path: Path, first: int, count: int, data: bytes) -> None:
    """Overwrite ``count`` 4096-byte pages from page ``first`` (0-based) with ``data``."""
    with open(path, "r+b") as f:
        f.seek(first * 4096)
        f.write(data * (count * 4096 // len(data)))


@pytest.mark.parametrize("junk", [b"\0", b"beam dump\n"], ids=["zeros", "garbage"])
def test_a_journal_with_pages_overwritten_is_refused_at_start_unchanged(
    campaign_journal, tmp_path, junk
):
    path = copy_of(campaign_journal, tmp_path)
    overwrite_pages(path, 3, 4, junk)  # the header is intact: SQLite opens it and reads on
    before = path.read_bytes()
    message = refused_by_serve(path)
    assert "the file is damaged" in message and "btreeInitPage" in message
    assert f'sqlite3 {path} ".recover" | sqlite3 {path}.recovered' in message
    assert path.read_bytes() == before
    with pytest.raises(JournalError, match="damaged"):  # a library Server does not start
        Server(path, bind="tcp://127.0.0.1:0").start()
    assert path.read_bytes() == before


def test_the_recovery_command_quotes_a_path_with_spaces(campaign_journal, tmp_path):
    folder = tmp_path / "beamtime 2024"
    folder.mkdir()
    path = copy_of(campaign_journal, folder)
    overwrite_pages(path, 3, 4, b"\0")
    message = refused_by_serve(path)
    assert f"""sqlite3 '{path}' ".recover" | sqlite3 '{path}.recovered' and serve""" in message


def another_applications_database(path: Path) -> None:
    """An SQLite file of a photo catalogue: rollback journal, its own schema version."""
    with closing(sqlite3.connect(path)) as db:
        db.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT)")
        db.execute("INSERT INTO photos (name) VALUES ('sample_3.png')")
        db.execute("PRAGMA user_version = 7")
        db.commit()


def test_another_applications_database_is_refused_and_left_as_it_was(tmp_path):
    path = tmp_path / "catalogue.db"
    another_applications_database(path)
    before = path.read_bytes()
    message = refused_by_serve(path)
    assert f"{str(path)!r} is no adaptive journal" in message
    assert "it lacks table campaigns" in message and "(its tables: photos)" in message
    assert "left unchanged" in message and "a new path to start one" in message
    assert path.read_bytes() == before  # no journal tables added, not turned to WAL
    assert sorted(os.listdir(tmp_path)) == ["catalogue.db"]  # nor a lock file left


def test_a_database_stamped_by_another_application_is_refused(tmp_path):
    path = tmp_path / "map.gpkg"
    with closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA application_id = 1196444487")  # GeoPackage's "GPKG"
    with pytest.raises(JournalError, match=r"another application's SQLite file \(applicati"):
        Journal(path)


def test_a_journal_lacking_a_column_is_refused_when_opened_not_at_a_put(campaign_journal, tmp_path):
    path = copy_of(campaign_journal, tmp_path)
    with closing(sqlite3.connect(path)) as db:
        db.execute("ALTER TABLE observations DROP COLUMN spectrum_y")
        db.commit()
    before = path.read_bytes()
    message = refused_by_serve(path)
    assert "it lacks observations.spectrum_y" in message and "another version" in message
    assert path.read_bytes() == before


def test_a_journal_of_a_newer_schema_version_is_refused(campaign_journal, tmp_path):
    path = copy_of(campaign_journal, tmp_path)
    with closing(sqlite3.connect(path)) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    before = path.read_bytes()
    with pytest.raises(JournalError) as err:
        Journal(path)
    assert (
        f"written with journal schema version {SCHEMA_VERSION + 1}, and this adaptive-lab "
        f"reads version {SCHEMA_VERSION}: serve it with the adaptive-lab that wrote it"
    ) in str(err.value)
    assert path.read_bytes() == before


def test_a_journal_records_its_schema_version_and_one_from_before_the_stamp_is_served(
    campaign_journal, tmp_path
):
    path = copy_of(campaign_journal, tmp_path)
    with closing(sqlite3.connect(path)) as db:
        stamp = (
            db.execute("PRAGMA application_id").fetchone()
            + db.execute("PRAGMA user_version").fetchone()
        )
        assert stamp == (APPLICATION_ID, SCHEMA_VERSION)
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        (campaign,) = db.execute("SELECT id FROM campaigns").fetchone()
        db.execute("PRAGMA application_id = 0")  # as every journal was before the stamp
        db.execute("PRAGMA user_version = 0")
    journal = Journal(path)
    try:
        assert len(journal.observations(campaign)) == 15
        assert journal._db.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL
    finally:
        journal.close()
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)


def test_an_unstamped_journal_lacking_a_table_added_since_gets_it(campaign_journal, tmp_path):
    # journals from before the events table was added were refused as another application's
    path = copy_of(campaign_journal, tmp_path)
    with closing(sqlite3.connect(path)) as db:
        (campaign,) = db.execute("SELECT id FROM campaigns").fetchone()
        db.execute("DROP TABLE events")
        db.execute("PRAGMA application_id = 0")
        db.execute("PRAGMA user_version = 0")
        db.commit()
    journal = Journal(path)
    try:
        assert len(journal.observations(campaign)) == 15
    finally:
        journal.close()
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("SELECT count(*) FROM events").fetchone() == (0,)


def test_an_empty_file_becomes_a_journal(tmp_path):
    path = tmp_path / "journal.sqlite"
    path.touch()
    Journal(path).close()
    assert Journal(path).campaign_ids() == []


def test_a_folder_is_refused_naming_a_file_path_to_pass(tmp_path):
    folder = tmp_path / "runs"
    folder.mkdir()
    message = refused_by_serve(folder)
    assert f"cannot use {str(folder)!r} as a writable journal: it is a folder" in message
    assert f"--journal {folder / 'journal.sqlite'}" in message
    assert os.listdir(folder) == []


def test_a_read_only_journal_says_it_is_read_only_and_how_to_fix_it(campaign_journal, tmp_path):
    path = copy_of(campaign_journal, tmp_path)
    if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i does not work here (and root writes through chmod)")
    try:
        message = refused_by_serve(path)
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)
    assert "(it cannot be opened for writing: Operation not permitted)" in message
    assert "the file (or its folder) is read-only: make it writable (chmod u+w" in message


def test_a_journal_with_two_names_is_refused(campaign_journal, tmp_path):
    """Served under two names, each with its own -wal and lock, it would be corrupted."""
    path = copy_of(campaign_journal, tmp_path)
    other = tmp_path / "snapshot.sqlite"
    os.link(path, other)
    for name in (path, other):
        with pytest.raises(JournalError, match="the file has 2 names \\(hard links"):
            Journal(name)
    assert "remove the other names, or serve a copy" in refused_by_serve(other)
    other.unlink()
    Journal(path).close()


def serve(journal: Path) -> tuple[subprocess.Popen, str]:
    """``adaptive serve`` on ``journal`` and any free port; the process and its endpoint."""
    command = [sys.executable, "-m", "adaptive.cli", "serve", "--bind", "tcp://127.0.0.1:0"]
    run = subprocess.Popen([*command, "--journal", str(journal)], env=ENV, stdout=subprocess.PIPE)
    line = run.stdout.readline().decode()
    assert line.startswith("adaptive server on tcp://"), line
    return run, line.split()[3].rstrip(",")


def test_kill_9_leaves_a_wal_and_a_stale_lock_and_the_next_server_keeps_every_put(tmp_path):
    path = tmp_path / "journal.sqlite"
    space = {"dimensions": [{"name": "energy", "low": 7000.0, "high": 7300.0}]}
    run, endpoint = serve(path)
    try:
        with Client(endpoint, timeout_s=30) as client:
            grid = {"name": "grid", "options": {"n_points": 20}}
            client.call("campaign_create", space=space, strategy=grid, campaign_id="c")
            client.call("observation_put", campaign_id="c", point={"energy": 7100.0}, value=1)
        os.kill(run.pid, signal.SIGKILL)  # right after the put's reply
        run.wait(30)
    finally:
        run.kill()
        run.stdout.close()
    assert Path(f"{path}-wal").stat().st_size > 0  # the put is in the WAL, not yet the file
    assert Path(f"{path}.lock").read_text() == str(run.pid)  # the dead server's
    run, endpoint = serve(path)
    try:
        with Client(endpoint, timeout_s=30) as client:
            assert client.call("campaign_status", campaign_id="c")["n_observations"] == 1
    finally:
        run.kill()
        run.wait(30)
        run.stdout.close()
