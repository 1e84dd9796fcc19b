"""The noise at each point (``noise_profile``) makes the reduced chi-square about 1 for a
right fit of counts of any height; before, one noise level from the baseline made it 3-20
on lines of many counts, and the fitter split such a line into two or three peaks."""

import numpy as np
import pytest

from simulators.lineshapes import xps_peak
from surrogates.peak_fitter import PeakFitter
from surrogates.peak_result import PeakFitResult, noise_profile

E = np.arange(925.0, 945.0, 0.05)


@pytest.mark.parametrize(("background", "height"), [(200, 200), (200, 20_000), (50, 100_000)])
def test_the_true_model_of_poisson_counts_has_a_reduced_chi2_near_one(background, height):
    truth = background + height * xps_peak(E, 932.7, 0.9, 0.3, 0.0)
    chi2r = []
    for seed in range(10):
        counts = np.random.default_rng(seed).poisson(truth).astype(float)
        flat = np.full_like(E, float(background))
        chi2r.append(PeakFitResult.from_model(E, counts, [], flat, truth, "truth", 5).reduced_chi2)
    assert 0.85 < np.mean(chi2r) < 1.15


def test_the_profile_follows_the_counts_and_stays_flat_for_one_noise_level():
    truth = 100 + 40_000 * xps_peak(E, 932.7, 0.9, 0.3, 0.0)
    counts = np.random.default_rng(0).poisson(truth).astype(float)
    ratio = noise_profile(counts) / np.sqrt(truth)
    assert np.all((ratio > 0.7) & (ratio < 1.4))
    noisy = truth + np.random.default_rng(1).normal(0.0, 50.0, E.size)
    np.testing.assert_allclose(noise_profile(noisy), 50.0, rtol=0.2)


def test_a_single_line_of_many_counts_is_fitted_as_one_peak():
    truth = 500 + 100_000 * xps_peak(E, 932.7, 1.0, 0.4, 0.0)
    fits = [
        PeakFitter().fit(E, np.random.default_rng(s).poisson(truth).astype(float)) for s in range(8)
    ]
    assert sum(len(fit.peaks) == 1 for fit in fits) >= 7  # was 4 of 8
    assert all(fit.reduced_chi2 < 2 for fit in fits if len(fit.peaks) == 1)
