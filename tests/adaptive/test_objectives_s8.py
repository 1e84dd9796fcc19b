"""Objective messages name positions as the spectrum was sent, and one flat spectrum as
the spectrum."""

import numpy as np
import pytest

from adaptive.campaign import Campaign
from adaptive.errors import AnalysisError, InvalidParameterError
from adaptive.objectives import SpectrumObjective, target_loss, target_losses
from adaptive.records import Observation, Spectrum

X = np.linspace(380.0, 800.0, 421)
PEAK = np.exp(-(((X - 600.0) / 50.0) ** 2))


def test_a_repeated_x_is_named_at_its_positions_as_sent():
    # the first 5 channels appended at the end: sorted, they sat at points 0 and 1
    objective = SpectrumObjective(X, PEAK)
    with pytest.raises(InvalidParameterError, match=r"^x repeats 380 at points 0 and 421; "):
        objective(np.r_[X, X[:5]], np.r_[PEAK, PEAK[:5]])
    match = r"^target_x repeats 500 at points 1 and 3; average"
    with pytest.raises(InvalidParameterError, match=match):
        SpectrumObjective([800.0, 500.0, 380.0, 500.0], [0.0, 1.0, 0.0, 0.5])


def test_a_spectrum_recorded_high_to_low_scores_as_sorted():
    shifted = np.exp(-(((X - 580.0) / 50.0) ** 2))
    for measure in ("target_loss", "pearson"):
        objective = SpectrumObjective(X, PEAK, measure=measure)
        assert objective(X[::-1], shifted[::-1]) == objective(X, shifted)


def test_one_flat_spectrum_is_the_spectrum_and_a_flat_row_of_many_is_named():
    with pytest.raises(InvalidParameterError, match=r"^the spectrum is constant \(1\.0 every"):
        target_loss(X, np.ones_like(X), X, PEAK)
    with pytest.raises(InvalidParameterError, match=r"^the spectrum is constant"):
        SpectrumObjective(X, PEAK)(X, np.ones_like(X))
    with pytest.raises(InvalidParameterError, match=r"^spectra \(row 1\) is constant"):
        target_losses(X, np.stack([PEAK, np.ones_like(X)]), X, PEAK)


def test_a_campaign_names_the_repeated_x_at_its_positions_as_put(journal):
    objective = {"target_x": X.tolist(), "target_y": PEAK.tolist()}
    space = {"dimensions": [{"name": "x", "low": 0.0, "high": 1.0}]}
    campaign = Campaign.create(journal, space, {"name": "random"}, objective=objective)
    spectrum = Spectrum(np.r_[X, X[:5]], np.r_[PEAK, PEAK[:5]], x_units="nm")
    with pytest.raises(AnalysisError, match="x repeats 380 at points 0 and 421"):
        campaign.observe(Observation({"x": 0.5}, spectrum=spectrum))
