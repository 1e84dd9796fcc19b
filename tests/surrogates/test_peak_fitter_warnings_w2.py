"""A photoemission user's review of the fit warnings: one asymmetric metal line fitted as
two peaks is named as possibly one line (``PeakFitter._one_line``), a one-channel spike
fitted as a line is named (``_spike_channels``), and a survey's left-out line is the
highest that qualifies, over every view (``_left_out``)."""

import re

import numpy as np
import pytest

import surrogates.peak_fitter as peak_fitter
from simulators.lineshapes import xps_peak
from simulators.xps_files import read_xps
from surrogates.peak_fitter import PeakFitter
from surrogates.peak_net import DEFAULT_WEIGHTS
from surrogates.peak_refine import FWHM_BOUNDS
from surrogates.peak_result import FittedPeak, PeakFitResult
from tests.shared_data import SHARED_DATA

DATA = SHARED_DATA / "xps"
pytestmark = pytest.mark.skipif(not DEFAULT_WEIGHTS.is_file(), reason="no trained weights")

E = np.arange(925.0, 940.0, 0.05)
ONE_LINE = "may be one asymmetric line"
SPIKE = "one-channel spike (a cosmic ray or a detector glitch?)"


def draw(truth: np.ndarray, seed: int) -> np.ndarray:
    """(m,) Poisson counts of the expected counts ``truth`` (m,)."""
    return np.random.default_rng(seed).poisson(truth).astype(float)


def test_an_asymmetric_line_fitted_as_two_peaks_may_be_one_line():
    # the review's spectrum: one line at 932.7 eV, FWHM 1.0, asymmetry 0.4 /eV, fitted as
    # two chemical states (932.64 and 933.20 eV, chi2r 0.86) with no warning
    line = 300 + 5000 * xps_peak(E, 932.7, 1.0, 0.3, 0.4)
    for seed in range(3):
        counts = draw(line, seed)
        result = PeakFitter().fit(E, counts)
        assert len(result.peaks) == 2 and result.splitting is None
        (warning,) = [w for w in result.warnings if ONE_LINE in w]
        low, high = (f"{p.center:.2f}" for p in result.peaks)
        assert warning.startswith(f"peaks at {low} and {high} eV {ONE_LINE}")
        assert warning.endswith("fit with asymmetry on")
        # fitted with asymmetry the fit has one line and nothing to warn of
        asymmetric = PeakFitter(asymmetry=True).fit(E, counts)
        assert len(asymmetric.peaks) == 1
        assert not [w for w in asymmetric.warnings if ONE_LINE in w]


def test_two_chemical_states_are_not_taken_for_one_asymmetric_line():
    # a metal line at 932 eV (FWHM 1) and a line ``apart`` eV above it, ``ratio`` x as
    # high, ``fwhm`` wide: no warning in most noise draws, where the asymmetric line warns
    one_line = 300 + 5000 * xps_peak(E, 932.7, 1.0, 0.3, 0.4)
    assert any(ONE_LINE in w for w in PeakFitter().fit(E, draw(one_line, 0)).warnings)
    for apart, ratio, fwhm in [(1.0, 1.0, 1.0), (0.7, 0.5, 1.0), (0.7, 2.0, 1.0), (1.0, 1.0, 1.3)]:
        truth = 300 + 3000 * (
            xps_peak(E, 932.0, 1.0, 0.3) + ratio * xps_peak(E, 932 + apart, fwhm, 0.3)
        )
        warned = [
            any(ONE_LINE in w for w in PeakFitter().fit(E, draw(truth, seed)).warnings)
            for seed in range(4)
        ]
        assert sum(warned) <= 1, (apart, ratio, fwhm)


def spiked(seed: int) -> np.ndarray:
    """(m,) counts of a line at 932.7 eV and one channel 3,000 counts high at 932.5 eV."""
    counts = draw(1000 + 3000 * xps_peak(E, 932.7, 1.2, 0.2), seed)
    counts[np.argmin(np.abs(E - 932.5))] += 3000
    return counts


def test_a_one_channel_spike_fitted_as_a_line_is_named():
    # the review's spectrum: the spike was fitted as a peak of FWHM 0.20 (the lower bound),
    # area 317 +- 135, with no warning
    for seed in range(2):
        result = PeakFitter().fit(E, spiked(seed))
        (spike,) = [p for p in result.peaks if abs(p.center - 932.5) < 0.05]
        (warning,) = [w for w in result.warnings if SPIKE in w]
        assert warning.startswith(f"a peak at {spike.center:.2f} eV has the narrowest FWHM")
        assert "stands out in 1 channel only" in warning and "remove it" in warning
    # a line 0.2 eV wide, fitted at the bound too, stands out in 4 channels of 0.05 eV
    narrow = PeakFitter().fit(E, draw(300 + 3000 * xps_peak(E, 932.7, 0.2, 0.2), 2))
    assert [p.fwhm for p in narrow.peaks] == [pytest.approx(FWHM_BOUNDS[0], rel=1e-6)]
    assert not [w for w in narrow.warnings if SPIKE in w]


def test_the_spike_width_counts_the_channels_over_half_the_excess():
    line = FittedPeak(center=932.5, fwhm=0.2, height=100.0, area=1.0, eta=0.0, asymmetry=0.0)
    at = int(np.argmin(np.abs(E - 932.5)))

    def fit(excess: np.ndarray) -> PeakFitResult:
        """A fit of ``line`` alone whose counts are ``excess`` (m,) above the rest of it (a
        flat background of 100: a spectrum with no count above 0 is refused)."""
        model = 100 + line.height * xps_peak(E, 932.5, 0.2, 0.0)
        return PeakFitResult.from_model(E, 100 + excess, [line], 100 + 0 * E, model, "test", 4)

    one, two, four = (np.where(np.abs(np.arange(len(E)) - at) < k, 100.0, 0.0) for k in (1, 2, 3))
    two[at + 1] = 0.0  # the channel and its lower neighbour
    assert peak_fitter._spike_channels(E, fit(one), line) == 1
    assert peak_fitter._spike_channels(E, fit(two), line) == 2
    assert peak_fitter._spike_channels(E, fit(four), line) == 0
    assert peak_fitter._spike_channels(E, fit(-one), line) == 0


@pytest.mark.skipif(not DATA.is_dir(), reason="shared data absent")
def test_a_surveys_left_out_line_is_the_highest_that_qualifies():
    # Survey CuO: the whole window's peak (572 eV, 6,130 counts high) was named, not O 1s
    # (530 eV, 14,399 counts high) that a piece of the window finds; with other fits the
    # whole window's peak is as low (622 eV, 81 counts) and Cu 2p3/2 (934 eV) the highest
    survey = read_xps(DATA / "Cu_references.vms", 11)
    result = PeakFitter().fit(survey.binding_energy, survey.counts)
    (warning,) = [w for w in result.warnings if "the residual holds another" in w]
    (height,) = re.search(r"another near \S+ eV, (\S+) counts high", warning).groups()
    assert float(height) > 1e4


@pytest.mark.parametrize("first", [0.0, 1.0])
def test_an_axis_of_channel_numbers_is_named(first):
    # PeakFitter fitted channel numbers as eV without a word, where the CLI refuses them
    channel = first + np.arange(300.0)
    counts = draw(200 + 3000 * xps_peak(channel, first + 120.0, 6.0, 0.3, 0.0), seed=0)
    warned = [w for w in PeakFitter().fit(channel, counts).warnings if "channel numbers" in w]
    assert len(warned) == 1 and warned[0].startswith(
        f"the binding energies are {first:g}, {first + 1:g}, ..., {first + 299:g} in steps of 1"
    )
    calibrated = PeakFitter().fit(channel + 700.0, counts).warnings
    assert not any("channel numbers" in w for w in calibrated)
