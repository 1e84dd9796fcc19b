"""Joint refinement of XPS peaks and their background."""

import math

import numpy as np
import pytest
from scipy.optimize import least_squares

from adaptive.errors import InvalidParameterError
from simulators.lineshapes import pseudo_voigt_area, xps_peak
from surrogates import peak_refine
from surrogates.peak_refine import (
    FWHM_BOUNDS,
    RATIO_BOUNDS,
    _Doublets,
    _Model,
    check_spectrum,
    guess_peaks,
    parse_peaks,
    peak_areas,
    refine_doublets,
    refine_peaks,
)

E = np.linspace(280.0, 300.0, 300)


def synthetic(
    peaks: np.ndarray, noise: float, seed: int, step: float = 200.0, slope: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Peaks (P, 4: center, fwhm, height, eta) on a Shirley step and a slope, plus noise.

    Returns:
        ``(counts (m,), true areas (P,))``.
    """
    c, w, h, eta = peaks.T
    signal = (h * xps_peak(E[:, None], c, w, eta)).sum(axis=1)
    cumulative = np.cumsum(signal)
    shirley = cumulative / cumulative[-1] if len(peaks) else np.zeros(E.size)
    background = 300.0 + slope * (E - E[0]) + step * shirley
    rng = np.random.default_rng(seed)
    return background + signal + rng.normal(0.0, noise, E.size), pseudo_voigt_area(h, w, eta)


def perturbed_starts(peaks: np.ndarray, seed: int) -> list[dict]:
    """Starts off the truth: centres by up to 0.3 eV, widths and heights by 20-30%."""
    rng = np.random.default_rng(seed)
    return [
        {
            "center": c + rng.uniform(-0.3, 0.3),
            "fwhm": w * rng.uniform(0.8, 1.25),
            "height": h * rng.uniform(0.7, 1.3),
            "eta": 0.5,
        }
        for c, w, h, _ in peaks
    ]


CASES = {
    "one": np.array([[289.0, 1.5, 1000.0, 0.3]]),
    "two overlapping at 1 FWHM": np.array([[288.0, 1.4, 1000.0, 0.2], [289.4, 1.4, 600.0, 0.4]]),
    "three": np.array(
        [[284.0, 1.0, 800.0, 0.1], [288.5, 2.0, 1000.0, 0.5], [292.0, 1.2, 500.0, 0.3]]
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_recovers_peaks_from_perturbed_starts(name):
    peaks = CASES[name]
    counts, area = synthetic(peaks, noise=2.0, seed=1)  # SNR 500
    result = refine_peaks(E, counts, perturbed_starts(peaks, seed=2))
    assert len(result.peaks) == len(peaks)
    fitted = np.array([[p.center, p.area, p.fwhm, p.eta] for p in result.peaks])
    np.testing.assert_allclose(fitted[:, 0], peaks[:, 0], atol=0.05)
    np.testing.assert_allclose(fitted[:, 1], area, rtol=0.05)
    np.testing.assert_allclose(fitted[:, 2], peaks[:, 1], rtol=0.05)
    assert result.reduced_chi2 == pytest.approx(1.0, abs=0.3)
    assert result.method == "pipeline"


def test_background_follows_a_sloped_shirley_step():
    peaks = CASES["two overlapping at 1 FWHM"]
    counts, _ = synthetic(peaks, noise=2.0, seed=3, step=400.0, slope=-10.0)
    result = refine_peaks(E, counts, perturbed_starts(peaks, seed=4))
    c, w, h, eta = peaks.T
    signal = (h * xps_peak(E[:, None], c, w, eta)).sum(axis=1)
    cumulative = np.cumsum(signal)
    truth = 300.0 - 10.0 * (E - E[0]) + 400.0 * cumulative / cumulative[-1]
    assert np.max(np.abs(result.background - truth)) < 10.0  # 1% of the largest peak


def test_standard_errors_cover_the_truth():
    peaks = CASES["two overlapping at 1 FWHM"]
    scores = []
    for seed in range(30):
        counts, area = synthetic(peaks, noise=20.0, seed=seed)  # SNR 50
        result = refine_peaks(E, counts, perturbed_starts(peaks, seed), poisson_weights=False)
        for peak, center, true_area in zip(result.peaks, peaks[:, 0], area, strict=True):
            scores += [
                abs(peak.center - center) / peak.center_err,
                abs(peak.area - true_area) / peak.area_err,
            ]
    coverage = np.mean(np.array(scores) < 3.0)
    assert 0.8 <= coverage <= 1.0
    # The errors are not vacuous: about a third of the deviations exceed 1 sigma.
    assert 0.15 < np.mean(np.array(scores) > 1.0) < 0.5


def test_poisson_weighted_errors_cover_the_truth():
    peaks = CASES["one"]
    scores = []
    for seed in range(30):
        counts, area = synthetic(peaks, noise=0.0, seed=seed)
        counts = np.random.default_rng(seed).poisson(counts).astype(float)
        peak = refine_peaks(E, counts, perturbed_starts(peaks, seed)).peaks[0]
        scores += [abs(peak.center - peaks[0, 0]) / peak.center_err]
        scores += [abs(peak.area - area[0]) / peak.area_err]
    assert 0.8 <= np.mean(np.array(scores) < 3.0) <= 1.0


def test_noise_of_one_level_is_fitted_unweighted_and_counts_weighted():
    # Gaussian noise of one level fitted with Poisson weights left a misfit at the line's
    # top that a broad peak under the line took up
    e = np.arange(280.0, 295.0, 0.05)
    clean = 100 + 5000 * xps_peak(e, 285.0, 1.2, 0.3) + 2500 * xps_peak(e, 288.5, 1.4, 0.3)
    starts = [{"center": 285.0, "fwhm": 1.2, "height": 5000.0, "eta": 0.3}]
    starts += [{"center": 288.5, "fwhm": 1.4, "height": 2500.0, "eta": 0.3}]
    one_level = clean + np.random.default_rng(1).normal(0.0, 60.0, e.size)
    counts = np.random.default_rng(1).poisson(clean).astype(float)
    for y, same in ((one_level, True), (counts, False)):
        weighted, unweighted = (
            refine_peaks(e, y, starts, poisson_weights=flag).model for flag in (True, False)
        )
        assert np.array_equal(weighted, unweighted) == same


def test_noise_of_one_level_is_fitted_unweighted_in_every_draw():
    # its noise profile came out rising by up to 25 % in half the draws (counts would rise
    # 5x), and those draws were weighted as counts: errors and areas then moved with the draw
    e = np.linspace(925.0, 945.0, 201)
    clean = 200 + 5000 * xps_peak(e, 933.0, 1.5, 0.3)
    starts = [{"center": 933.0, "fwhm": 1.5, "height": 5000.0, "eta": 0.3}]
    for seed in range(8):
        y = clean + np.random.default_rng(seed).normal(0.0, 30.0, e.size)
        weighted, unweighted = (
            refine_peaks(e, y, starts, poisson_weights=flag) for flag in (True, False)
        )
        assert np.array_equal(weighted.model, unweighted.model), seed
        assert weighted.peaks[0].area_err == unweighted.peaks[0].area_err, seed


def test_area_errors_are_not_inflated_by_a_background_term_pinned_at_its_bound():
    # a flat background: the fitted Shirley and Tougaard steps mostly sit at their bound 0
    peaks = CASES["one"]
    z = []
    for seed in range(60):
        counts, area = synthetic(peaks, noise=20.0, seed=seed, step=0.0)
        peak = refine_peaks(E, counts, perturbed_starts(peaks, seed), poisson_weights=False).peaks[
            0
        ]
        z.append((peak.area - area[0]) / peak.area_err)
    # calibrated errors give an RMS z of 1; counting the pinned steps as free gave 0.76
    assert 0.8 < np.sqrt(np.mean(np.square(z))) < 1.25


def test_a_clear_minor_line_below_one_percent_of_the_area_is_kept():
    # 0.8 % of the area but 25 noise sigmas high: dropped as small, with no word
    e = np.arange(280.0, 300.0, 0.05)
    rate = 1000 + 1e5 * xps_peak(e, 285.0, 1.0, 0.2) + 800 * xps_peak(e, 293.0, 1.0, 0.2)
    counts = np.random.default_rng(0).poisson(rate).astype(float)
    starts = [{"center": 285.0, "fwhm": 1.0, "height": 1e5, "eta": 0.2}]
    starts += [{"center": 293.0, "fwhm": 1.0, "height": 800.0, "eta": 0.2}]
    fit = refine_peaks(e, counts, starts)
    assert [round(p.center) for p in fit.peaks] == [285, 293]
    assert fit.peaks[1].area == pytest.approx(800 * fit.peaks[0].area / 1e5, rel=0.15)
    assert fit.reduced_chi2 < 1.3  # 10.6 with the line left in the residual


def test_spurious_start_is_dropped():
    peaks = CASES["one"]
    counts, area = synthetic(peaks, noise=5.0, seed=5)
    starts = perturbed_starts(peaks, seed=6) + [
        {"center": 296.0, "fwhm": 1.0, "height": 30.0, "eta": 0.5}
    ]
    result = refine_peaks(E, counts, starts)
    assert len(result.peaks) == 1
    assert result.peaks[0].area == pytest.approx(area[0], rel=0.03)


def test_zero_peaks_gives_a_background_only_result():
    counts, _ = synthetic(np.empty((0, 4)), noise=5.0, seed=7, step=0.0, slope=3.0)
    result = refine_peaks(E, counts, [])
    assert result.peaks == ()
    assert result.features() == {"n_peaks": 0.0}
    np.testing.assert_allclose(result.background, 300.0 + 3.0 * (E - E[0]), atol=3.0)


class _Start:
    """A start given as an object with attributes, as a peak network returns."""

    def __init__(self, center, fwhm, height, eta, asymmetry=0.0):
        self.center, self.fwhm, self.height, self.eta = center, fwhm, height, eta
        self.asymmetry = asymmetry


def test_fits_asymmetry_when_asked():
    center, fwhm, height, eta, asymmetry = 290.0, 1.5, 1000.0, 0.3, 0.6
    signal = height * xps_peak(E, center, fwhm, eta, asymmetry)
    counts = 200.0 + signal + np.random.default_rng(8).normal(0.0, 2.0, E.size)
    starts = [_Start(center + 0.2, fwhm * 1.2, height * 0.8, 0.5)]
    peak = refine_peaks(E, counts, starts, fit_asymmetry=True).peaks[0]
    assert peak.asymmetry == pytest.approx(asymmetry, abs=0.05)
    assert peak.center == pytest.approx(center, abs=0.02)
    true_area = peak_areas(np.array([[center, fwhm, height, eta, asymmetry]]))[0][0]
    assert peak.area == pytest.approx(true_area, rel=0.02)
    symmetric = refine_peaks(E, counts, starts).peaks[0]
    assert symmetric.asymmetry == 0.0


def test_basin_hopping_is_seeded_and_no_worse():
    peaks = CASES["three"]
    counts, _ = synthetic(peaks, noise=10.0, seed=9)
    starts = perturbed_starts(peaks, seed=10)
    local = refine_peaks(E, counts, starts)
    hopped = refine_peaks(E, counts, starts, basin_hopping=True, seed=3)
    again = refine_peaks(E, counts, starts, basin_hopping=True, seed=3)
    assert hopped.peaks == again.peaks
    weights = 1.0 / np.sqrt(counts)
    cost = [np.sum((r.residual * weights) ** 2) for r in (local, hopped)]
    assert cost[1] <= cost[0] * (1 + 1e-9)


def assert_jacobian_matches(model, theta: np.ndarray) -> None:
    """The model's analytic Jacobian equals central differences of its residual."""
    analytic = model.jacobian(theta)
    numeric = np.empty_like(analytic)
    for j in range(theta.size):
        d = np.zeros_like(theta)
        d[j] = 1e-6
        numeric[:, j] = (model.residual(theta + d) - model.residual(theta - d)) / 2e-6
    np.testing.assert_allclose(analytic, numeric, atol=1e-6 * np.abs(numeric).max())


@pytest.mark.parametrize("fit_asymmetry", [False, True])
def test_jacobian_matches_finite_differences(fit_asymmetry):
    peaks = CASES["two overlapping at 1 FWHM"]
    counts, _ = synthetic(peaks, noise=5.0, seed=11, slope=2.0)
    weights = np.linspace(0.5, 1.5, E.size)
    model = _Model(E, counts / 1000.0, weights, 2, fit_asymmetry)
    per_peak = [[288.0, 1.4, 1.0, 0.2, 0.3], [289.4, 1.6, 0.6, 0.4, 0.5]]
    per_peak = np.array(per_peak)[:, : model.n_per_peak]
    assert_jacobian_matches(model, np.append(per_peak.ravel(), [0.3, 0.01, 0.2, 0.4]))


def test_doublet_jacobian_matches_finite_differences():
    counts, _ = synthetic(CASES["two overlapping at 1 FWHM"], noise=5.0, seed=12)
    model = _Doublets(_Model(E, counts / 1000.0, np.ones(E.size), 4, fit_asymmetry=True))
    phi = np.array([285.0, 1.2, 1.0, 0.3, 0.2, 286.1, 1.5, 0.7, 0.5, 0.4, 2.4, 0.6])
    assert_jacobian_matches(model, np.append(phi, [0.3, 0.01, 0.2, 0.4]))


def test_interleaved_doublets_share_width_splitting_and_ratio():
    mains = np.array([[285.0, 1.2, 1000.0, 0.3], [286.1, 1.2, 700.0, 0.3]])
    partners = mains + [2.4, 0.0, 0.0, 0.0]
    partners[:, 2] *= 0.5
    counts, areas = synthetic(np.vstack([mains, partners]), noise=4.0, seed=13)
    result = refine_doublets(E, counts, perturbed_starts(mains, seed=14), 2.2, 0.7)
    assert result.splitting.value == pytest.approx(2.4, abs=0.03)
    assert result.ratio.value == pytest.approx(0.5, abs=0.03)
    assert 0 < result.splitting.err < 0.03 and 0 < result.ratio.err < 0.03
    assert result.n_params == 2 * 4 + 2 + 4
    np.testing.assert_allclose([p.center for p in result.peaks], [285.0, 286.1, 287.4, 288.5],
                               atol=0.03)  # fmt: skip
    np.testing.assert_allclose([p.area for p in result.peaks], areas[[0, 1, 2, 3]], rtol=0.05)
    main, partner = result.peaks[0], result.peaks[2]
    assert partner.fwhm == main.fwhm
    assert partner.area == pytest.approx(result.ratio.value * main.area, rel=1e-9)
    assert all(p.area_err > 0 for p in result.peaks)


@pytest.mark.parametrize("splitting", [0.0, -1.0, float("nan")])
def test_doublets_need_a_positive_splitting(splitting):
    counts, _ = synthetic(CASES["one"], noise=4.0, seed=15)
    with pytest.raises(InvalidParameterError, match="splitting"):
        refine_doublets(E, counts, [{"center": 289.0, "fwhm": 1.5, "height": 1.0, "eta": 0.3}],
                        splitting, 0.5)  # fmt: skip


@pytest.mark.parametrize("ratio", [2.0, 0.1, float("nan"), None, "0.5"])
def test_doublets_need_a_ratio_within_bounds(ratio):
    counts, _ = synthetic(CASES["one"], noise=4.0, seed=15)
    with pytest.raises(InvalidParameterError, match="ratio"):
        refine_doublets(E, counts, [{"center": 289.0, "fwhm": 1.5, "height": 1.0, "eta": 0.3}],
                        2.2, ratio)  # fmt: skip


@pytest.mark.parametrize("center", ["289", None, float("inf")])
def test_a_start_that_is_not_a_number_is_named(center):
    counts, _ = synthetic(CASES["one"], noise=4.0, seed=15)
    start = {"center": center, "fwhm": 1.5, "height": 1.0, "eta": 0.3}
    with pytest.raises(InvalidParameterError, match="peak 0"):
        refine_peaks(E, counts, [start])


def test_peak_areas_and_gradients():
    params = np.array([[290.0, 1.5, 2.0, 0.3, 0.0], [285.0, 1.0, 1.0, 0.7, 0.8]])
    area, gradient = peak_areas(params)
    assert area[0] == pytest.approx(pseudo_voigt_area(2.0, 1.5, 0.3), rel=1e-9)
    grid = np.linspace(-300.0, 300.0, 600_001) + 285.0
    with np.errstate(divide="ignore"):  # the narrow side's width underflows to 0 far out
        numeric = np.trapezoid(xps_peak(grid, 285.0, 1.0, 0.7, 0.8), grid)
    assert area[1] == pytest.approx(numeric, rel=2e-3)  # the grid misses the far tails
    for j in (1, 2, 3, 4):
        d = np.zeros_like(params)
        d[:, j] = 1e-6
        numeric_gradient = (peak_areas(params + d)[0] - peak_areas(params - d)[0]) / 2e-6
        np.testing.assert_allclose(gradient[:, j], numeric_gradient, rtol=1e-5, atol=1e-7)


def test_guess_peaks_finds_separated_peaks():
    peaks = CASES["three"]
    counts, _ = synthetic(peaks, noise=10.0, seed=12)
    guesses = guess_peaks(E, counts)
    assert len(guesses) == 3
    found = parse_peaks(guesses)
    np.testing.assert_allclose(found[:, 0], peaks[:, 0], atol=0.15)
    np.testing.assert_allclose(found[:, 1], peaks[:, 1], rtol=0.35)
    assert len(guess_peaks(E, counts, max_peaks=2)) == 2
    flat = np.random.default_rng(13).normal(100.0, 5.0, E.size)
    assert guess_peaks(E, flat) == []


@pytest.mark.parametrize(
    "energy, counts, message",
    [
        (E, np.where(E > 290, np.nan, 1.0), "finite"),
        (E[::-1], np.ones(E.size), "ascending"),
        (np.sort(np.r_[E[:-1], 299.0]), np.ones(E.size), "uniform step"),
        (E[:1], np.ones(1), "length >= 2"),
        (E, np.ones(E.size - 1), "length >= 2"),
    ],
)
def test_bad_spectrum_is_rejected(energy, counts, message):
    with pytest.raises(InvalidParameterError, match=message):
        refine_peaks(energy, counts, [])


def test_a_gap_in_the_axis_is_named_where_it_is_and_an_even_drift_by_its_steps():
    e = np.r_[np.arange(280.0, 285.0, 0.1), np.arange(285.1, 290.0, 0.1)]  # 285.0 missing
    with pytest.raises(InvalidParameterError) as gap:
        check_spectrum(e, np.ones(e.size))
    assert str(gap.value).startswith(
        "binding_energy must have a uniform step: it has a gap of 0.2 eV between 284.9 and "
        "285.1 eV (its steps are otherwise 0.1 eV): a row may be missing; fill in"
    )
    drift = 280.0 + np.cumsum(np.linspace(0.10, 0.14, 120))  # no step 1.5x the median
    with pytest.raises(
        InvalidParameterError, match=r"steps from 0.1 to 0.14 eV, points .* interpolate"
    ):
        check_spectrum(drift, np.ones(drift.size))


@pytest.mark.parametrize(
    "start, message",
    [
        ({"center": 290.0, "fwhm": 1.0, "height": 1.0}, "lacks"),
        ({"center": 290.0, "fwhm": 0.0, "height": 1.0, "eta": 0.5}, "fwhm > 0"),
        ({"center": np.nan, "fwhm": 1.0, "height": 1.0, "eta": 0.5}, "finite"),
    ],
)
def test_bad_start_is_rejected(start, message):
    with pytest.raises(InvalidParameterError, match=message):
        refine_peaks(E, np.ones(E.size), [start])


def test_values_held_at_a_bound_have_unknown_errors_not_zero():
    wide = FWHM_BOUNDS[1] + 2.0
    counts, _ = synthetic(np.array([[290.0, wide, 2000.0, 0.3]]), noise=5.0, seed=20, step=0.0)
    start = {"center": 290.0, "fwhm": FWHM_BOUNDS[1] - 0.4, "height": 2000.0, "eta": 0.3}
    peak = refine_peaks(E, counts, [start]).peaks[0]
    assert peak.fwhm == pytest.approx(FWHM_BOUNDS[1])  # wider than allowed: at the bound
    assert math.isnan(peak.fwhm_err) and peak.to_dict()["fwhm_err"] is None
    assert peak.center_err > 0 and peak.area_err > 0
    # a partner weaker than RATIO_BOUNDS allow: the doublet ratio is held at its bound
    mains = np.array([[285.0, 1.2, 1000.0, 0.3]])
    partners = mains * [1.0, 1.0, 0.1, 1.0] + [2.4, 0.0, 0.0, 0.0]
    counts, _ = synthetic(np.vstack([mains, partners]), noise=4.0, seed=13)
    result = refine_doublets(E, counts, perturbed_starts(mains, seed=14), 2.2, 0.5)
    assert result.ratio.value == pytest.approx(RATIO_BOUNDS[0])
    assert math.isnan(result.ratio.err) and result.to_dict()["ratio"]["err"] is None
    assert 0 < result.splitting.err < 0.1


def test_every_fit_stops_at_the_module_tolerance(monkeypatch):
    """``TOLERANCE`` is the one setting of when a fit stops, for single lines and doublets,
    local fits and basin hopping alike."""
    seen = []

    def spy(*args, **kwargs):
        seen.append((kwargs["ftol"], kwargs["xtol"]))
        return least_squares(*args, **kwargs)

    monkeypatch.setattr(peak_refine, "least_squares", spy)
    monkeypatch.setattr(peak_refine, "TOLERANCE", 1e-3)
    mains = CASES["one"]
    counts, _ = synthetic(np.vstack([mains, mains + [2.4, 0.0, -500.0, 0.0]]), 2.0, seed=5)
    refine_peaks(E, counts, perturbed_starts(mains, seed=6), basin_hopping=True)
    refine_doublets(E, counts, perturbed_starts(mains, seed=6), 2.2, 0.6)
    assert len(seen) > 2 and set(seen) == {(1e-3, 1e-3)}


@pytest.mark.parametrize(
    ("scale", "match"), [(1e-3, r"is it in keV\? multiply it by 1000"), (1e3, r"is it in meV\?")]
)
def test_refine_peaks_refuses_a_window_in_kev_or_mev(scale, match):
    # a keV window read as eV (0.925-0.950) was fitted as if it were eV
    energy = np.linspace(925.0, 950.0, 200)
    counts = 100 + xps_peak(energy, 933.0, 1.5, 1000.0, 0.3)
    start = [{"center": 933.0 * scale, "fwhm": 1.5 * scale, "height": 1000.0, "eta": 0.3}]
    with pytest.raises(InvalidParameterError, match=match):
        refine_peaks(energy * scale, counts, start)


def test_constant_counts_are_weighted_without_dividing_by_zero():
    # noise_grows_with_counts divided a zero noise profile by itself (a RuntimeWarning,
    # an error under pytest's filter)
    e = np.arange(280.0, 295.0, 0.05)
    fit = refine_peaks(e, np.full(e.size, 7.0), [])
    assert fit.peaks == () and np.allclose(fit.background, 7.0)
