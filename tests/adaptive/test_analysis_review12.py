"""A peak-fit campaign as an XPS user runs one: spectra on another energy scale, regions
outside the window, an undefined value, weights files that move."""

import os
import shutil

import numpy as np
import pytest

from adaptive.campaign import Campaign
from adaptive.errors import AnalysisError, InvalidParameterError
from adaptive.journal import Journal
from adaptive.records import Observation, Spectrum
from simulators.lineshapes import xps_peak
from surrogates.peak_fitter import PeakFitter
from tests.adaptive.test_analysis import (
    SPACE,
    marked_weights,
    observed_peak_fit_campaign,
    two_peaks,
)


def test_a_kev_axis_read_as_ev_is_refused_with_the_fix():
    # 0.925-0.950 "eV" was fitted: two peaks 0.005 eV apart, value 0.998 learned
    e, counts = two_peaks()
    with pytest.raises(InvalidParameterError, match=r"spans 0.02495 eV.*keV\? multiply it"):
        PeakFitter().fit(e / 1000, counts)
    with pytest.raises(InvalidParameterError, match=r"reaches 949950 eV.*meV\? divide"):
        PeakFitter().fit(e * 1000, counts)


def test_a_repeated_energy_is_named_as_repeated_not_unsorted():
    e, counts = two_peaks()
    e[5] = e[4]
    with pytest.raises(InvalidParameterError, match=r"repeats 925.2 eV at points 4 and 5"):
        PeakFitter().fit(e, counts)


def test_a_campaign_keeps_a_kev_spectrum_sent_as_ev_and_learns_nothing(tmp_path):
    journal = Journal(tmp_path / "j.sqlite")
    analysis = {"name": "peak_fit", "value": "area_ratio_1"}
    campaign = Campaign.create(journal, SPACE, {"name": "random"}, analysis=analysis)
    e, counts = two_peaks()
    observation = Observation({"x": 0.5}, spectrum=Spectrum(e / 1000, counts, "", "counts"))
    with pytest.raises(AnalysisError, match="send x_units='keV'"):
        campaign.observe(observation)
    assert campaign.n_observations == 0
    assert len(journal.events(campaign.id, "analysis_failed")) == 1


def test_a_region_outside_the_window_warns_that_its_area_is_undefined():
    from adaptive.analysis import Analysis

    regions = {"main": [930, 936], "typo": [9300, 9360]}
    analysis = Analysis({"name": "peak_fit", "options": {"regions": regions}})
    features, _ = analysis(Spectrum(*two_peaks(), "eV", "counts"))
    assert features["area_typo"] is None and features["area_main"] > 0
    (warning,) = [w for w in features["warnings"] if "region" in w]
    assert "region 'typo' [9300, 9360] eV lies outside the spectrum's window 925-" in warning


def test_an_undefined_value_says_why():
    from adaptive.analysis import Analysis

    e = np.arange(925.0, 950.0, 0.05)
    flat = np.random.default_rng(0).poisson(500.0, e.size).astype(float)
    options = {"regions": {"main": [930, 936]}}
    analysis = Analysis({"name": "peak_fit", "options": options, "value": "area_fraction_main"})
    with pytest.raises(InvalidParameterError, match=r"undefined for it: the fit found n_peaks=0"):
        analysis(Spectrum(e, flat, "eV", "counts"))
    one_peak = 100 + 2000 * xps_peak(e, 932.0, 1.0, 0.3)
    analysis = Analysis({"name": "peak_fit", "value": "area_ratio_1"})
    with pytest.raises(InvalidParameterError, match=r"not among its features: .* n_peaks=1"):
        analysis(Spectrum(e, one_peak, "eV", "counts"))


def test_a_campaign_whose_weights_file_moved_still_resumes_reads_and_stops(tmp_path):
    # every call on it answered "no peak-network weights at ...": unreadable, unstoppable
    weights, journal, campaign, spectrum = observed_peak_fit_campaign(tmp_path)
    shutil.move(weights, tmp_path / "moved.pt")
    resumed = Campaign.resume(journal, campaign.id)
    assert resumed.n_observations == 1 and resumed.summary()["status"] == "running"
    gone = r"no peak-network weights at .*w\.pt.*restore"
    with pytest.raises(InvalidParameterError, match=gone):
        resumed.observe(Observation({"x": 0.25}, spectrum=spectrum))
    # the server's setup, not the sample: nothing kept, so the point is not avoided (review C26)
    assert journal.events(campaign.id, "analysis_failed") == []
    assert resumed.analysis_failed_points == [] and resumed.n_observations == 1
    resumed.stop("weights gone")
    assert Campaign.resume(journal, campaign.id).status == "stopped"


def test_a_journaled_put_resent_after_its_weights_moved_is_refused_not_kept(tmp_path):
    # review C26: it was scored again before the duplicate check, failed, and its point was
    # kept as analysis_failed and avoided, though the journal held it learned
    weights = marked_weights(tmp_path / "w.pt")
    journal = Journal(tmp_path / "j.sqlite")
    analysis = {"name": "peak_fit", "options": {"weights": str(weights)}, "value": "n_peaks"}
    campaign = Campaign.create(journal, SPACE, {"name": "random"}, analysis=analysis)
    put = Observation({"x": 0.5}, spectrum=Spectrum(*two_peaks(), "eV", "counts"))
    assert campaign.observe(put, "driver", 7)
    shutil.move(weights, tmp_path / "moved.pt")
    resumed = Campaign.resume(journal, campaign.id)
    with pytest.raises(InvalidParameterError, match="restore what it names"):
        resumed.observe(put, "driver", 7)
    assert journal.events(campaign.id, "analysis_failed") == []
    assert resumed.analysis_failed_points == [] and resumed.n_observations == 1


def test_a_relative_weights_path_is_journaled_absolute(tmp_path, monkeypatch):
    # a server restarted from another folder lost a relative path
    marked_weights(tmp_path / "w.pt")
    monkeypatch.chdir(tmp_path)
    journal = Journal(tmp_path / "j.sqlite")
    analysis = {"name": "peak_fit", "options": {"weights": "w.pt"}}
    campaign = Campaign.create(journal, SPACE, {"name": "random"}, analysis=analysis)
    stored = journal.campaign(campaign.id)["config"]["analysis"]["options"]["weights"]
    assert stored == os.path.join(str(tmp_path), "w.pt")
    monkeypatch.chdir(os.path.dirname(tmp_path))
    assert Campaign.resume(journal, campaign.id).analysis.unavailable is None


def test_an_asymmetric_metal_line_is_fitted_as_one_with_the_asymmetry_option():
    # a campaign could not fit asymmetric lines: {"asymmetry": true} was an unknown option
    from adaptive.analysis import Analysis

    e = np.arange(925.0, 945.0, 0.05)
    line = 100 + 20000 * xps_peak(e, 932.7, 1.0, 0.3, 0.6)
    counts = np.random.default_rng(3).poisson(line).astype(float)
    spectrum = Spectrum(e, counts, "eV", "counts")
    asymmetric = Analysis({"name": "peak_fit", "options": {"asymmetry": True}})
    features, _ = asymmetric(spectrum)
    expected = PeakFitter(asymmetry=True).fit(e, counts).features()
    assert features["n_peaks"] == expected["n_peaks"] == 1
    assert features["center_0"] == pytest.approx(expected["center_0"])
    symmetric, _ = Analysis({"name": "peak_fit"})(spectrum)
    assert symmetric["n_peaks"] > 1  # a symmetric fit takes the tail for another line
