"""Review W23: a metal's asymmetric doublet (Pt 4f-like) was fitted as two doublets, a
second "chemical state" 0.5 eV up, with no warning (``_one_line`` skipped doublet fits);
and a peak-free window kept a lone noise peak 1-3 errors from zero (``_prune`` never
tested the last peak against the background alone)."""

import numpy as np

from simulators.lineshapes import xps_peak
from surrogates.peak_fitter import PeakFitter

PT4F = np.arange(65.0, 85.0001, 0.05)
ONE_DOUBLET = "may be one asymmetric doublet"


def pt4f(seed: int, lines: list[tuple[float, float, float, float]]) -> np.ndarray:
    """Poisson counts on 800 of ``lines`` (centre eV, FWHM eV, height, tail asymmetry /eV),
    each with its 4f5/2 partner 3.33 eV up at 0.75 of its height."""
    mean = 800.0 + sum(
        h * (xps_peak(PT4F, c, w, 0.5, a) + 0.75 * xps_peak(PT4F, c + 3.33, w, 0.5, a))
        for c, w, h, a in lines
    )
    return np.random.default_rng(seed).poisson(mean).astype(float)


def test_an_asymmetric_metal_doublet_fitted_as_two_doublets_is_warned_of():
    result = PeakFitter().fit(PT4F, pt4f(0, [(71.1, 0.9, 8000.0, 0.5)]))
    assert result.splitting is not None and len(result.peaks) == 4  # the case: two doublets
    (warning,) = [w for w in result.warnings if ONE_DOUBLET in w]
    mains = sorted(p.center for p in result.peaks)[:2]
    assert f"main lines at {mains[0]:.2f} and {mains[1]:.2f} eV" in warning
    assert warning.endswith("fit with asymmetry on")


def test_two_chemical_states_each_a_doublet_are_not_warned_of():
    # metal 71.1 eV (FWHM 0.9) and an oxide 1.0 eV up (FWHM 1.3), both symmetric
    lines = [(71.1, 0.9, 8000.0, 0.0), (72.1, 1.3, 3000.0, 0.0)]
    for seed in range(2):
        result = PeakFitter().fit(PT4F, pt4f(seed, lines))
        assert result.splitting is not None
        assert not [w for w in result.warnings if "asymmetric" in w]


FLAT = np.arange(280.0, 295.0001, 0.1)


def test_a_peak_free_window_gives_no_peak():
    # draws where a lone noise peak was kept: 18 +- 9 at 292.07 eV (FWHM 0.35, no
    # warning), 82 +- 28 at 292.79 eV (called a one-channel spike)
    for level, seed in [(1000.0, 3), (20000.0, 5)]:
        counts = np.random.default_rng(seed).poisson(np.full(FLAT.size, level)).astype(float)
        result = PeakFitter().fit(FLAT, counts)
        assert result.peaks == () and result.warnings == ()
        assert abs(np.median(result.background) - level) < 3 * np.sqrt(level)


def test_a_lone_weak_line_is_kept():
    # 6 noise deviations high, 1.2 eV wide: its area is ~20 errors from zero
    level = 1000.0
    mean = level + 6 * np.sqrt(level) * xps_peak(FLAT, 287.5, 1.2, 0.3)
    counts = np.random.default_rng(0).poisson(mean).astype(float)
    result = PeakFitter().fit(FLAT, counts)
    assert len(result.peaks) == 1 and abs(result.peaks[0].center - 287.5) < 0.2
