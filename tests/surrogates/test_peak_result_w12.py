"""Short spectra: the noise profile of fewer than 100 points groups its points in fewer,
larger groups (at 31 points one level for all made a right fit's reduced chi-square 2.7
on average; at 41, groups of 5 points 1.3), and a fit warns that its chi-square scatters
(at 51 points, from 0.5 to 1.8 for the true line: one seed's 3.7 split it into 3 peaks).
A spectrum with no count above 0 (a dead detector, a closed shutter, the wrong column) is
refused, not fitted as 'no peaks' (a campaign learned 0.0 from it)."""

import numpy as np
import pytest

from adaptive.campaign import Campaign
from adaptive.errors import AnalysisError, InvalidParameterError
from adaptive.journal import Journal
from adaptive.records import Observation, Spectrum
from surrogates.peak_fitter import PeakFitter
from surrogates.peak_result import PeakFitResult, noise_profile
from tests.adaptive.test_analysis import SPACE

NOISE_POINTS = 100  # ``surrogates.peak_result.NOISE_POINTS``
NOTHING_COUNTED = r"no count above 0 .*detector.*shutter.*the exported column is the counts"


def _line(m: int) -> tuple[np.ndarray, np.ndarray]:
    """One Gaussian line (FWHM 2.355 eV, 50,000 counts over 1,000) on m points over 895-905 eV."""
    x = np.linspace(895.0, 905.0, m)
    return x, 1000 + 5e4 * np.exp(-((x - 900) ** 2) / 2)


@pytest.mark.parametrize(("m", "noise"), [(31, "poisson"), (41, "gauss")])
def test_the_true_model_of_a_short_spectrum_has_a_reduced_chi2_near_one(m, noise):
    x, truth = _line(m)
    chi2r = []
    for seed in range(100):
        rng = np.random.default_rng(seed)
        y = rng.poisson(truth).astype(float) if noise == "poisson" else rng.normal(truth, 30.0)
        chi2r.append(np.mean(((y - truth) / noise_profile(y)) ** 2))
    assert 0.8 < np.mean(chi2r) < 1.2  # was 2.7 (31 points), 1.3 (41)


def test_a_fit_of_fewer_than_100_points_warns_that_its_chi2_scatters():
    x, truth = _line(51)
    fit = PeakFitter().fit(x, np.random.default_rng(0).poisson(truth).astype(float))
    (short,) = [w for w in fit.warnings if "only 51 points" in w]
    assert "reduced chi-square reads anywhere from about 0.5 to 2" in short
    assert f"measure at least {NOISE_POINTS} points" in short
    x, truth = _line(NOISE_POINTS)
    fit = PeakFitter().fit(x, np.random.default_rng(0).poisson(truth).astype(float))
    assert not [w for w in fit.warnings if "points:" in w]


@pytest.mark.parametrize(
    ("level", "refusal"),
    [
        (0.0, NOTHING_COUNTED),
        (-3.0, r"every count of the spectrum is below 0 \(at most -3\): the counts are sign-inv"),
    ],
)
def test_a_spectrum_with_no_count_above_zero_is_refused_but_a_flat_one_has_no_peaks(level, refusal):
    x, _ = _line(301)
    nothing = np.full(x.size, level)
    with pytest.raises(InvalidParameterError, match=refusal):
        PeakFitResult.from_model(x, nothing, [], nothing, nothing, "test", 2)
    with pytest.raises(InvalidParameterError, match=refusal):
        PeakFitter().fit(x, nothing)
    flat = PeakFitter().fit(x, np.full(x.size, 500.0))
    assert flat.peaks == () and flat.warnings == ()


def test_a_campaign_journals_a_spectrum_of_zeros_as_analysis_failed(tmp_path):
    journal = Journal(tmp_path / "j.sqlite")
    analysis = {"name": "peak_fit", "options": {"regions": {"main": [898, 902]}}}
    campaign = Campaign.create(
        journal, SPACE, {"name": "random"}, analysis={**analysis, "value": "area_main"}
    )
    x, _ = _line(301)
    with pytest.raises(AnalysisError, match=NOTHING_COUNTED):
        campaign.observe(Observation(point={"x": 0.5}, spectrum=Spectrum(x, 0 * x, "eV")))
    assert journal.observations(campaign.id) == [] and campaign.n_observations == 0
    (event,) = journal.events(campaign.id, "analysis_failed")
    np.testing.assert_array_equal(event["payload"]["spectrum"]["y"], 0 * x)
