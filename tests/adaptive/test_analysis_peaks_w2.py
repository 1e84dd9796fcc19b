"""The peak_fit analysis refuses a put whose x is channel numbers (x = 0, 1, 2, ... with
x_units 'eV' was learned, area 0.0), journaling nothing (the driver's axis, not the sample),
and one of more points than a fit takes, which the campaign journals as analysis_failed;
energies written with few decimals are fitted."""

import numpy as np
import pytest

from adaptive.analysis import Analysis
from adaptive.campaign import Campaign
from adaptive.errors import AnalysisError, InvalidParameterError
from adaptive.journal import Journal
from adaptive.records import Observation, Spectrum
from simulators.lineshapes import xps_peak
from surrogates.peak_refine import MAX_POINTS
from tests.adaptive.test_analysis import SPACE

PEAK_FIT = {"name": "peak_fit", "options": {"max_peaks": 1}, "value": "area_0"}
ENERGY = np.arange(700.0, 725.0, 0.05)
COUNTS = 100 + 2000 * xps_peak(ENERGY, 707.0, 1.0, 0.3)


def refused(tmp_path, spectrum: Spectrum) -> tuple[str, Campaign, Journal]:
    """The error of a peak_fit campaign's put of ``spectrum``, the campaign and its journal,
    the put journaled as analysis_failed and nothing learned."""
    journal = Journal(tmp_path / "j.sqlite")
    campaign = Campaign.create(journal, SPACE, {"name": "random"}, analysis=PEAK_FIT)
    with pytest.raises(AnalysisError) as error:
        campaign.observe(Observation(point={"x": 0.5}, spectrum=spectrum))
    assert journal.observations(campaign.id) == [] and campaign.n_observations == 0
    (event,) = journal.events(campaign.id, "analysis_failed")
    np.testing.assert_array_equal(event["payload"]["spectrum"]["x"], spectrum.x)
    return str(error.value), campaign, journal


@pytest.mark.parametrize("first", [0, 1])
@pytest.mark.parametrize("units", ["eV", ""])
def test_a_put_whose_x_is_channel_numbers_is_refused_and_not_kept(tmp_path, first, units):
    channels = first + np.arange(COUNTS.size, dtype=float)
    journal = Journal(tmp_path / "j.sqlite")
    campaign = Campaign.create(journal, SPACE, {"name": "random"}, analysis=PEAK_FIT)
    with pytest.raises(InvalidParameterError) as error:
        campaign.observe(Observation(point={"x": 0.5}, spectrum=Spectrum(channels, COUNTS, units)))
    assert (
        f"cannot fit peaks in this spectrum: its energy axis is uncalibrated ({first}, "
        f"{first + 1}, ..., {first + COUNTS.size - 1} in steps of 1): channel numbers, not "
        "energies; calibrate the axis to binding energy (eV) before fitting peaks, and send x "
        "as binding energy in eV (x_units='eV')"
    ) in str(error.value)
    assert journal.events(campaign.id, "analysis_failed") == []
    assert campaign.analysis_failed_points == []  # not avoided: the sample did not fail
    # the same counts on their binding energies are learned
    assert campaign.observe(Observation(point={"x": 0.5}, spectrum=Spectrum(ENERGY, COUNTS, units)))
    assert len(journal.observations(campaign.id)) == 1


def test_a_put_of_more_points_than_a_fit_takes_is_journaled_as_analysis_failed(tmp_path):
    energy = np.linspace(0.0, 1200.0, MAX_POINTS + 1)
    message, _, _ = refused(tmp_path, Spectrum(energy, np.full(energy.size, 100.0), "eV"))
    assert f"the spectrum has {MAX_POINTS + 1} points, more than the {MAX_POINTS}" in message


def test_binding_energies_written_with_two_decimals_are_fitted():
    energy = 700.0 + 0.025 * np.arange(1000)
    counts = 100 + 2000 * xps_peak(energy, 707.0, 1.0, 0.3)
    analysis = Analysis(PEAK_FIT)
    features, area = analysis(Spectrum(np.round(energy, 2), counts, "eV"))
    assert features["center_0"] == pytest.approx(707.0, abs=0.01)
    assert area == pytest.approx(analysis(Spectrum(energy, counts, "eV"))[1], rel=1e-3)
