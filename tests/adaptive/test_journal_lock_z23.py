"""Review Z23 (controls): serving the journal X leaves alone a file ``X.lock`` that is no lock
file a server wrote (a journal named so, 49,152 bytes, had become a 5-byte pid): the claim
is refused, saying what the file is and how to serve both; a lock file a server left (its
pid, or empty) is taken over as before."""

import os
from contextlib import closing

import pytest

from adaptive.errors import JournalError
from adaptive.journal import Journal, claim_for_serving


def test_a_journal_named_as_anothers_lock_file_is_left_as_it_is(tmp_path):
    other = tmp_path / "lk.sqlite.lock"
    with closing(Journal(other)) as journal:
        journal.create_campaign("keep", {"strategy": {"name": "random"}})
    before = other.read_bytes()
    with pytest.raises(JournalError) as caught:
        claim_for_serving(tmp_path / "lk.sqlite")
    message = str(caught.value)
    assert f"is an SQLite database of {len(before):,} bytes" in message
    assert "rename the journal" in message and f"move {str(other)!r} away" in message
    assert other.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["lk.sqlite.lock"]  # the journal not made either
    with closing(Journal(other)) as journal:
        assert journal.campaign_ids() == ["keep"]


@pytest.mark.parametrize("text", ["pid 4321 of a server on host b\n", "4321\n" * 20])
def test_a_lock_path_holding_more_than_a_pid_is_refused(tmp_path, text):
    lock_path = tmp_path / "j.sqlite.lock"
    lock_path.write_text(text)
    with pytest.raises(JournalError, match="bytes that holds no server's pid"):
        claim_for_serving(tmp_path / "j.sqlite")
    assert lock_path.read_text() == text


@pytest.mark.parametrize("left", ["4321", "", "4321\n"])
def test_a_lock_file_a_server_left_is_taken_over(tmp_path, left):
    lock_path = tmp_path / "j.sqlite.lock"
    lock_path.write_text(left)
    with claim_for_serving(tmp_path / "j.sqlite"):
        assert lock_path.read_text() == str(os.getpid())
