"""Counts below zero fitted with Poisson weights carry a warning saying how to fit them."""

import numpy as np

from simulators.lineshapes import pseudo_voigt
from surrogates.peak_fitter import PeakFitter


def subtracted_line(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A background-subtracted line: 300 counts high on noise around zero (m = 201)."""
    e = np.linspace(280.0, 290.0, 201)
    rng = np.random.default_rng(seed)
    return e, 300.0 * pseudo_voigt(e, 285.0, 1.2, 0.3) + rng.normal(0.0, 5.0, e.size)


def test_counts_below_zero_with_poisson_weights_warn_and_name_the_fix():
    e, y = subtracted_line()
    assert y.min() < 0
    (warning,) = [w for w in PeakFitter().fit(e, y).warnings if "below zero" in w]
    assert f"go down to {y.min():.3g}" in warning and warning.endswith(
        "fit with poisson_weights off"
    )


def test_counts_below_zero_fitted_unweighted_and_raw_counts_do_not_warn():
    e, y = subtracted_line()
    unweighted = PeakFitter(poisson_weights=False).fit(e, y)
    assert len(unweighted.peaks) == 1
    raw = PeakFitter().fit(e, y + 100.0)  # on a background: no count below zero
    assert not [w for w in (*unweighted.warnings, *raw.warnings) if "below zero" in w]
