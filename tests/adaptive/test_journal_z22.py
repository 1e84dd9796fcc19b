"""Review Z22 (controls): the spectra of failed, late and analysis-failed puts, kept as JSON
in their events, are not parsed by a resume nor by ``observations_get`` (a resume of 1,500
such events of 4,096 channels took 4 s and 400 MB), which read the same as before."""

import sqlite3
import tracemalloc

import numpy as np
import pytest

from adaptive import Campaign, Journal, Observation
from adaptive.client import Client
from adaptive.errors import CampaignStoppedError, JournalError
from adaptive.records import Spectrum
from adaptive.server import Server

SPACE = {"dimensions": [{"name": "energy", "low": 8900.0, "high": 9100.0}]}
#: Channels of each spectrum: the 9 puts' x and y hold 14.4 MB of float64.
WIDE = 100_000
#: The most Python memory a read of the events may take: a tenth of the spectra's bytes.
PEAK_BYTES = 9 * WIDE * 16 / 10


def _with_unlearned_spectra(path) -> Campaign:
    """Campaign "c" of a random scan: 8 failed puts and one late put (after the stop), each
    with a spectrum of ``WIDE`` channels, and a release."""
    campaign = Campaign.create(Journal(path), SPACE, {"name": "random"}, campaign_id="c")
    x = np.linspace(8900.0, 9100.0, WIDE)
    *failing, late, released = campaign.suggest(10)
    for i, suggestion in enumerate(failing):
        spectrum = Spectrum(x, np.full(WIDE, float(i)), "eV")
        failed = Observation(
            suggestion.point, None, suggestion_id=suggestion.id, spectrum=spectrum, failed=f"{i}"
        )
        campaign.observe(failed, "driver", i)
    campaign.release([released.id])
    campaign.stop("beam lost")
    with pytest.raises(CampaignStoppedError):
        reading = Observation(late.point, 1.0, suggestion_id=late.id, spectrum=Spectrum(x, x))
        campaign.observe(reading, "driver", 8)
    return campaign


def _peak_bytes(read):
    """``read()`` and the peak of the Python memory it took."""
    tracemalloc.start()
    try:
        out = read()
        return out, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_resume_reads_no_spectrum_of_the_events(tmp_path):
    campaign = _with_unlearned_spectra(tmp_path / "j.sqlite")
    resumed, peak = _peak_bytes(lambda: Campaign.resume(campaign.journal, "c"))
    assert peak < PEAK_BYTES, peak
    assert resumed.failed_points == campaign.failed_points and resumed.n_failed == 8
    assert resumed.pending == {} and resumed.released == campaign.released
    assert (resumed.status, resumed.stop_reason) == ("stopped", "beam lost")


def test_events_without_spectra_are_the_events_less_their_spectrum(tmp_path):
    journal = _with_unlearned_spectra(tmp_path / "j.sqlite").journal
    whole = journal.events("c")
    assert sum(event["payload"].get("spectrum") is not None for event in whole) == 9
    for event in whole:
        event["payload"].pop("spectrum", None)
    assert journal.events("c", spectra=False) == whole
    assert journal.events("c", "measurement_failed", spectra=False) == [
        event for event in whole if event["kind"] == "measurement_failed"
    ]


def test_observations_get_lists_the_failed_puts_without_reading_their_spectra(tmp_path):
    campaign = _with_unlearned_spectra(tmp_path / "j.sqlite")
    failed = [e["payload"] for e in campaign.journal.events("c", "measurement_failed")]
    with Server(campaign.journal.path, bind="tcp://127.0.0.1:0") as server:
        with Client(server.endpoint, timeout_s=30) as client:
            client.call("campaign_status", campaign_id="c")  # resumed before the measure
            got, peak = _peak_bytes(lambda: client.call("observations_get", campaign_id="c"))
    assert peak < PEAK_BYTES, peak
    assert got["failed"] == {
        "points": [f["point"] for f in failed],
        "reasons": [f["failed"] for f in failed],
        "suggestion_ids": [f["suggestion_id"] for f in failed],
    }


def test_a_payload_that_is_no_json_is_still_named_as_damaged(tmp_path):
    journal = _with_unlearned_spectra(tmp_path / "j.sqlite").journal
    with sqlite3.connect(journal.path) as db:  # the index over payloads refuses it: bit rot
        db.executescript("DROP INDEX events_by_put; UPDATE events SET payload = '{' WHERE seq = 3")
    with pytest.raises(JournalError, match="event 3 of campaign 'c' is not valid JSON"):
        journal.events("c", spectra=False)
    with pytest.raises(JournalError, match="event 3 of campaign 'c' is not valid JSON"):
        Campaign.resume(journal, "c")
