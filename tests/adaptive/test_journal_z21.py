"""Review Z21: a journal's observations read without their spectra (``observations_get``, and
the resume of a campaign whose strategy learns values) never load them, yet a spectrum with
a part missing is still named; strategies that learn spectra get them on a resume."""

import tracemalloc

import numpy as np
import pytest

from adaptive import Campaign, Journal, Observation, Spectrum
from adaptive.errors import JournalError
from tests.adaptive.test_campaign_r2 import BATCH_BO, CHANNELS, OBJECTIVE, SQUARE, counts
from tests.adaptive.test_journal_ops11 import damage

CONFIG = {"space": {"dimensions": [{"name": "energy", "low": 0.0, "high": 1.0}]}}
#: Channels of each spectrum: 8 readings hold 12.8 MB of them.
WIDE = 100_000


@pytest.fixture
def journal(tmp_path):
    journal = Journal(tmp_path / "journal.sqlite")
    journal.create_campaign("c", CONFIG)
    x = np.linspace(0.0, 1.0, WIDE)
    for k in range(8):
        spectrum = Spectrum(x, np.full(WIDE, float(k)), "eV", "a.u.")
        observation = Observation(point={"energy": k / 10}, value=k, spectrum=spectrum)
        journal.append_observation("c", observation)
    yield journal
    journal.close()


def test_observations_without_spectra_keep_every_field_and_load_no_spectrum(journal):
    tracemalloc.start()
    try:
        readings = journal.observations("c", spectra=False)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    full = journal.observations("c")
    assert peak < 8 * WIDE * 16 / 10, peak  # a tenth of the spectra's bytes
    assert [o.spectrum for o in readings] == [None] * 8
    assert all(o.spectrum.x.size == WIDE for o in full)
    fields = ("point", "value", "uncertainty", "suggestion_id", "metadata", "time")
    assert [[getattr(o, f) for f in fields] for o in readings] == [
        [getattr(o, f) for f in fields] for o in full
    ]


def test_a_spectrum_with_a_part_missing_is_named_though_left_unread(journal):
    damage(journal.path, "UPDATE observations SET spectrum_y = NULL WHERE seq = 3")
    with pytest.raises(JournalError) as err:
        journal.observations("c", spectra=False)
    assert "observation 3 of campaign 'c': it has spectrum_x and units but no spectrum_y" in str(
        err.value
    )


def test_batch_bo_with_an_objective_learns_its_spectra_again_on_a_resume(tmp_path):
    journal = Journal(tmp_path / "journal.sqlite")
    try:
        live = Campaign.create(journal, SQUARE, BATCH_BO, campaign_id="c", objective=OBJECTIVE)
        for suggestion in live.suggest(3):
            spectrum = Spectrum(CHANNELS, counts({**suggestion.point, "y": 0.0}))
            live.observe(Observation(suggestion.point, spectrum=spectrum))
        resumed = Campaign.resume(journal, "c")
        learned = [c.strategy.spectrum_data()[1] for c in (live, resumed)]
    finally:
        journal.close()
    assert learned[0].shape == (3, CHANNELS.size)
    np.testing.assert_array_equal(learned[1], learned[0])
