"""A review of the XPS fitter: a shake-up satellite wider than 6 eV is one peak, a peak at
the widest FWHM and a survey window are warned of, an asymmetric line's tail is measured
against the pair's mean FWHM (``_tails``), and a descending binding-energy axis is fitted."""

import numpy as np
import pytest

import surrogates.peak_fitter as peak_fitter
from adaptive.errors import InvalidParameterError
from simulators.lineshapes import xps_peak
from simulators.xps_files import read_xps
from surrogates.peak_fitter import PeakFitter
from surrogates.peak_net import DEFAULT_WEIGHTS, check_spectra
from surrogates.peak_refine import FWHM_BOUNDS
from surrogates.peak_result import FittedPeak
from tests.shared_data import SHARED_DATA

pytestmark = pytest.mark.skipif(not DEFAULT_WEIGHTS.is_file(), reason="no trained weights")
DATA = SHARED_DATA / "xps"
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason="no shared XPS data")

WIDEST = "the widest FWHM the fitter takes"
SURVEY = "its areas are not quantitative"
ONE_LINE = "may be one asymmetric line"


def draw(truth: np.ndarray, seed: int = 0) -> np.ndarray:
    """(m,) Poisson counts of the expected counts ``truth`` (m,)."""
    return np.random.default_rng(seed).poisson(truth).astype(float)


def test_a_shake_up_satellite_10_ev_wide_is_one_peak_with_its_area():
    # the review's spectrum: the satellite was split into 3 peaks of FWHM 6.00 (no error),
    # no warning; a region's area came out 21 % low
    e = np.arange(920.0, 970.0, 0.1)
    truth = 1000 + 20000 * xps_peak(e, 933, 1.2, 0.3) + 4000 * xps_peak(e, 945, 10.0, 0.0)
    result = PeakFitter().fit(e, draw(truth))
    main, satellite = result.peaks
    assert satellite.center == pytest.approx(945.0, abs=0.1)
    assert satellite.fwhm == pytest.approx(10.0, abs=0.2) and satellite.fwhm_err > 0
    assert satellite.area == pytest.approx(4000 * 10.0 * 1.0645, rel=0.03)
    assert not [w for w in result.warnings if WIDEST in w]


def test_peaks_at_the_widest_fwhm_are_named_in_one_warning():
    # a hump 16 eV wide, wider than any line: fitted by peaks held at the upper bound
    e = np.arange(900.0, 1000.0, 0.2)
    truth = 500 + 20000 * xps_peak(e, 933, 1.2, 0.3) + 3000 * xps_peak(e, 960, 16.0, 0.0)
    result = PeakFitter().fit(e, draw(truth))
    held = [p for p in result.peaks if p.fwhm == pytest.approx(FWHM_BOUNDS[1], rel=1e-3)]
    assert len(held) >= 2
    (warning,) = [w for w in result.warnings if WIDEST in w]
    centres = [f"{p.center:.2f}" for p in held]
    assert warning.startswith(f"peaks at {', '.join(centres[:-1])} and {centres[-1]} eV have")
    assert f"({FWHM_BOUNDS[1]:g} eV: held at the bound, its FWHM and any FWHM error" in warning
    assert "fit a narrower window around the lines, or read it as background" in warning


def test_a_survey_window_is_warned_of_and_a_core_region_not():
    lines = [(285.0, 1.2, 3000.0), (532.0, 1.5, 8000.0), (933.0, 1.3, 20000.0)]

    def survey_warnings(low: float, high: float) -> list[str]:
        """The survey warnings of a fit of ``lines`` in the window ``low``..``high`` eV."""
        e = np.arange(low, high, 0.5)
        truth = 500 + sum(h * xps_peak(e, c, w, 0.3) for c, w, h in lines)
        return [w for w in PeakFitter().fit(e, draw(truth)).warnings if SURVEY in w]

    (warning,) = survey_warnings(250.0, 1000.0)
    assert warning.startswith("the window (250.00-999.50 eV) is a survey, wider than 200 eV")
    assert "fit each core level's region" in warning
    assert survey_warnings(900.0, 985.0) == []  # a 2p region with satellites: 85 eV


def peak(center: float, fwhm: float, height: float) -> FittedPeak:
    return FittedPeak(center=center, fwhm=fwhm, height=height, area=1.0, eta=0.0, asymmetry=0.0)


def test_a_tail_is_measured_against_the_pair_mean_fwhm():
    # measured Co metal 2p3/2: a line 0.89 eV wide and its tail 0.90 eV above it, 2.15 wide
    line, tail = peak(778.18, 0.89, 43759.0), peak(779.08, 2.15, 18301.0)
    assert peak_fitter._tails((line, tail)) == [(line, tail)]
    # two lines farther apart than their mean FWHM are no tail
    far = peak(779.3, 1.3, 18301.0)
    assert peak_fitter._tails((peak(778.0, 1.0, 40000.0), far)) == []


@needs_data
def test_measured_co_metal_gets_the_asymmetry_hint():
    region = read_xps(DATA / "Co2p_Co_metal.txt")
    result = PeakFitter().fit(region.binding_energy, region.counts)
    (hint, *_) = [w for w in result.warnings if ONE_LINE in w]
    assert hint.endswith("fit with asymmetry on")


def test_a_descending_binding_energy_axis_is_fitted_as_the_ascending_one():
    e = np.arange(925.0, 945.0, 0.05)
    counts = draw(300 + 5000 * xps_peak(e, 932.7, 1.2, 0.3) + 2000 * xps_peak(e, 935.0, 1.5, 0.3))
    ascending = PeakFitter().fit(e, counts)
    descending = PeakFitter().fit(e[::-1], counts[::-1])  # a text file's order
    assert [p.center for p in descending.peaks] == [p.center for p in ascending.peaks]
    assert np.array_equal(descending.binding_energy, ascending.binding_energy)
    assert np.array_equal(descending.counts, counts)
    # in a batch, each row is judged on its own
    batch = PeakFitter().fit_batch(np.stack([e[::-1], e]), np.stack([counts[::-1], counts]))
    assert [p.center for p in batch[0].peaks] == [p.center for p in batch[1].peaks]


def test_an_unsorted_axis_is_told_to_sort_not_to_convert():
    e = np.arange(925.0, 945.0, 0.05)
    shuffled = e.copy()
    shuffled[[3, 4]] = shuffled[[4, 3]]
    with pytest.raises(InvalidParameterError, match="ascends from its first point to") as err:
        PeakFitter().fit(shuffled, np.ones_like(e))
    assert "np.argsort" in str(err.value) and "to_binding_order" not in str(err.value)
    with pytest.raises(InvalidParameterError, match=r"energy\[i, ::-1\]"):
        check_spectra(e[None, ::-1], np.ones((1, e.size)))
