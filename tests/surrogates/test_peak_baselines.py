"""Baseline peak fitters: lmfit (naive and oracle) and spectrum-adapted EM."""

import warnings

import numpy as np
import pytest

from adaptive.errors import InvalidParameterError
from simulators.lineshapes import pseudo_voigt_area, xps_peak
from simulators.xps import XPSSimulator
from surrogates.peak_baselines import fit_em, fit_lmfit_naive, fit_lmfit_oracle
from surrogates.peak_metrics import match_peaks
from surrogates.peak_net import to_binding_order
from surrogates.xps_background import shirley_background

E = np.linspace(280.0, 300.0, 300)


def synthetic(peaks: np.ndarray, noise: float, seed: int, step: float = 100.0) -> np.ndarray:
    """Peaks (P, 4: center, fwhm, height, eta) on a constant plus a Shirley step, plus noise.

    Returns:
        (m,) counts.
    """
    c, w, h, eta = peaks.T
    signal = (h * xps_peak(E[:, None], c, w, eta)).sum(axis=1)
    cumulative = np.cumsum(signal)
    background = 200.0 + step * cumulative / cumulative[-1]
    return background + signal + np.random.default_rng(seed).normal(0.0, noise, E.size)


def as_starts(peaks: np.ndarray) -> list[dict]:
    return [dict(zip(("center", "fwhm", "height", "eta"), row, strict=True)) for row in peaks]


def match(peaks: np.ndarray, result):
    area = pseudo_voigt_area(peaks[:, 2], peaks[:, 1], peaks[:, 3])
    fitted = np.array([[p.center, p.area] for p in result.peaks]).reshape(-1, 2)
    return match_peaks(peaks[:, 0], area, fitted[:, 0], fitted[:, 1])


SEPARATED = np.array(
    [[284.0, 1.2, 800.0, 0.3], [288.5, 1.8, 1000.0, 0.5], [293.0, 1.0, 500.0, 0.2]]
)


def test_lmfit_naive_fits_separated_peaks():
    result = fit_lmfit_naive(E, synthetic(SEPARATED, noise=5.0, seed=1))
    assert result.method == "lmfit_naive"
    assert match(SEPARATED, result).success
    assert all(np.isfinite(p.center_err) and p.center_err > 0 for p in result.peaks)
    np.testing.assert_allclose(result.model, result.background + result.peak_curves().sum(axis=1))


def test_lmfit_oracle_converts_lorentzian_fraction_and_area():
    # A wide window, so that the Lorentzian tails barely lift the Shirley end levels.
    e = np.linspace(220.0, 360.0, 2801)
    peak = [{"center": 290.0, "fwhm": 1.5, "height": 1000.0, "eta": 0.6}]
    counts = 200.0 + 1000.0 * xps_peak(e, 290.0, 1.5, 0.6)
    fitted = fit_lmfit_oracle(e, counts, peak).peaks[0]
    assert fitted.eta == pytest.approx(0.6, abs=0.01)  # xps_peak's height fraction
    assert fitted.height == pytest.approx(1000.0, rel=0.01)
    assert fitted.area == pytest.approx(pseudo_voigt_area(1000.0, 1.5, 0.6), rel=0.01)


def test_oracle_beats_naive_on_a_hard_overlap():
    # Two peaks 0.6 FWHM apart look like one to a peak finder.
    peaks = np.array([[289.0, 1.5, 1000.0, 0.3], [289.9, 1.5, 700.0, 0.3]])
    counts = synthetic(peaks, noise=3.0, seed=2)
    naive, oracle = fit_lmfit_naive(E, counts), fit_lmfit_oracle(E, counts, as_starts(peaks))
    naive_match, oracle_match = match(peaks, naive), match(peaks, oracle)
    assert oracle_match.success
    assert not naive_match.success
    assert len(oracle_match.pairs) > len(naive_match.pairs)


def test_em_finds_the_number_of_separated_gaussian_peaks():
    found = []
    for n_peaks in (1, 2, 3, 4):
        for seed in range(3):
            rng = np.random.default_rng(10 * n_peaks + seed)
            peaks = np.column_stack(
                [
                    283.0 + 4.0 * np.arange(n_peaks) + rng.uniform(-0.5, 0.5, n_peaks),
                    rng.uniform(0.8, 1.6, n_peaks),
                    rng.uniform(400, 1000, n_peaks),
                    np.zeros(n_peaks),
                ]
            )
            result = fit_em(E, synthetic(peaks, noise=15.0, seed=seed, step=0.0))
            found.append(len(result.peaks) == n_peaks and match(peaks, result).success)
    assert result.method == "em"
    # A Gaussian mixture fitted by moments, not least squares, sometimes splits a peak.
    assert np.mean(found) >= 0.75


def test_em_on_a_flat_spectrum_finds_nothing_large():
    counts = np.full(E.size, 100.0)
    assert fit_em(E, counts).peaks == ()


def test_em_is_seeded():
    counts = synthetic(SEPARATED, noise=5.0, seed=3)
    assert fit_em(E, counts, seed=4).peaks == fit_em(E, counts, seed=4).peaks


def test_bad_input_is_rejected():
    with pytest.raises(InvalidParameterError, match="max_peaks"):
        fit_em(E, np.ones(E.size), max_peaks=0)
    with pytest.raises(InvalidParameterError, match="ascending"):
        fit_lmfit_naive(E[::-1], np.ones(E.size))
    with pytest.raises(InvalidParameterError, match="lacks"):
        fit_lmfit_oracle(E, np.ones(E.size), [{"center": 290.0}])


def test_lmfit_naive_on_too_few_points_for_its_model_raises_typed_error():
    # One peak found on 3 points: 6 free parameters (4 for the peak, 2 for the line).
    with pytest.raises(InvalidParameterError, match="at least 6 points.*got 3"):
        fit_lmfit_naive(np.array([280.0, 281.0, 282.0]), np.array([1.0, 5.0, 1.0]))


@pytest.mark.parametrize("max_peaks", [2.5, True, "3"])
def test_em_rejects_max_peaks_that_is_not_an_int(max_peaks):
    with pytest.raises(InvalidParameterError, match=r"max_peaks=.* must be an integer >= 1"):
        fit_em(E, np.ones(E.size), max_peaks=max_peaks)


def test_em_warns_nothing_where_the_floor_rounds_below_zero():
    """Spectrum 17 of ``bench peakfit``'s test set: the flat floor's weight rounded to about
    -1e-16, the far tails' density went below zero and np.log warned; the 5-peak run whose
    likelihood was then nan won over the other restarts."""
    batch = XPSSimulator().sample(300, 0)
    energy, counts = to_binding_order(
        batch.energy, batch.counts, batch.kinetic, batch.photon_energy
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = fit_em(energy[17], counts[17], seed=0)
    assert len(result.peaks) == 5
    assert np.all(result.background >= shirley_background(counts[17]))  # the floor is >= 0
