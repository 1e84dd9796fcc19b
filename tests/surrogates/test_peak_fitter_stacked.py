"""Peaks fitted too close to be separate lines are named in a warning
(``PeakFitter._with_warnings``, ``_stacked``): measured Cu metal 2p3/2 alone was fitted
with three symmetric peaks within 0.33 eV of each other, and nothing said so."""

import numpy as np
import pytest

from simulators.lineshapes import xps_peak
from simulators.xps_files import read_xps
from surrogates.peak_fitter import STACKED_FWHM, PeakFitter, _stacked
from surrogates.peak_result import FittedPeak
from tests.shared_data import SHARED_DATA

STACKED = "FWHM of each other: too close to be separate lines"


def peak(center: float, fwhm: float = 1.0) -> FittedPeak:
    return FittedPeak(center=center, fwhm=fwhm, height=1.0, area=1.0, eta=0.5, asymmetry=0.0)


def test_runs_of_close_peaks_are_found_in_centre_order():
    a, b, c, far = peak(10.3), peak(10.0), peak(10.15, fwhm=0.5), peak(12.0)
    assert _stacked((far, a, b, c)) == [[b, c, a]]
    # their mean FWHM decides: 0.3 eV is 0.3 of 1 eV, 0.4 of the mean of 1 and 0.5 eV
    assert _stacked((peak(10.0), peak(10.3))) == [[peak(10.0), peak(10.3)]]
    assert _stacked((peak(10.0), peak(10.3, fwhm=0.5))) == []
    assert _stacked((peak(10.0), peak(10.0 + STACKED_FWHM))) == []
    # measured Cu metal 2p3/2 in 925-940 eV: against the narrower FWHM, no pair was close
    low, narrow, high = peak(932.26, 0.87), peak(932.64, 0.54), peak(932.90, 0.88)
    assert _stacked((low, narrow, high)) == [[narrow, high]]


def test_a_clean_doublet_and_close_resolved_lines_do_not_warn():
    e = np.arange(925.0, 960.0, 0.05)
    truth = (
        2000 * xps_peak(e, 932.6, 1.2, 0.3)
        + 1000 * xps_peak(e, 952.4, 1.2, 0.3)
        + 1500 * xps_peak(e, 934.0, 1.6, 0.3)  # 0.9 FWHM from the main line
        + 300
    )
    counts = np.random.default_rng(0).poisson(truth).astype(float)
    result = PeakFitter().fit(e, counts)
    assert not [w for w in result.warnings if STACKED in w]
    assert len(result.peaks) >= 3


@pytest.mark.skipif(not SHARED_DATA.exists(), reason="needs ../shared/data")
@pytest.mark.parametrize("low", [926.0, 925.0])
def test_measured_cu_metal_2p3_alone_warns_that_its_peaks_fit_one_line(low):
    region = read_xps(SHARED_DATA / "xps" / "Cu2p_Cu_metal.txt")
    e, counts = np.asarray(region.binding_energy), np.asarray(region.counts)
    window = (e >= low) & (e <= 940.0)
    result = PeakFitter().fit(e[window], counts[window])
    warned = [w for w in result.warnings if STACKED in w]
    assert len(warned) == 1
    named = [
        float(v)
        for v in warned[0]
        .split(" eV")[0]
        .removeprefix("peaks at ")
        .replace(" and", ",")
        .split(", ")
    ]
    assert len(named) >= 2 and all(931.5 < v < 934.0 for v in named)
    assert named == sorted(named)


@pytest.mark.skipif(not SHARED_DATA.exists(), reason="needs ../shared/data")
def test_a_peak_at_the_widest_fwhm_is_warned_of_on_its_own_not_as_one_line_with_another():
    # Fe metal 2p with asymmetry: a 12 eV-wide peak 2.6 eV above the 1.5 eV-wide line made
    # their mean FWHM 6.75 eV, so the pair was told to be one line the pseudo-Voigt misses
    region = read_xps(SHARED_DATA / "xps" / "Fe2p_Fe_metal.txt")
    result = PeakFitter(asymmetry=True).fit(region.binding_energy, region.counts)
    (wide,) = (p for p in result.peaks if p.fwhm == pytest.approx(12.0, rel=1e-3))
    assert any(
        w.startswith(f"a peak at {wide.center:.2f} eV has the widest") for w in result.warnings
    )
    assert not [w for w in result.warnings if STACKED in w]
