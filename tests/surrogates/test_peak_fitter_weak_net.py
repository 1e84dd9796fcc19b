"""A line a weak peak network misses is named in a warning although slots remain
(``PeakFitter._left_out``): a network trained 2 epochs fitted measured Cu 2p, a line 3,700
counts high, with no peak and no warning, as the warning needed every slot used."""

import re

import numpy as np
import pytest
import torch

import surrogates.peak_fitter as peak_fitter
from simulators.lineshapes import xps_peak
from simulators.xps_files import read_xps
from surrogates.peak_fitter import PeakFitter
from surrogates.peak_net import DEFAULT_WEIGHTS, PeakNet, PeakNetPredictor
from tests.shared_data import SHARED_DATA

DATA = SHARED_DATA / "xps"
E = np.arange(280.0, 300.0, 0.05)
ADVICE = "the peak network may be weak; fit with the committed one (leave out the weights option)"


def blind() -> PeakNetPredictor:
    """A network that sees no peak anywhere (count 0, height 0), as the 2-epoch one did."""
    net = PeakNet()
    with torch.no_grad():
        for head in (net.count_head, net.peak_head):
            head.weight.zero_()
            head.bias.zero_()
        net.count_head.bias[0] = 10.0
    return PeakNetPredictor(net)


def poisson(mean: np.ndarray, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).poisson(mean).astype(float)


def named_line(warning: str) -> float:
    """The centre (eV) of the line a missed-line warning names."""
    return float(re.match(r"the residual holds a line near ([0-9.]+) eV", warning)[1])


def test_a_line_the_network_misses_is_named_with_what_to_do():
    counts = poisson(200.0 + 1000.0 * xps_peak(E, 287.0, 1.2, 0.3))
    result = PeakFitter(predictor=blind()).fit(E, counts)
    assert result.peaks == () and result.r_squared < 0.1  # the fit itself is unchanged
    (warning,) = result.warnings
    assert named_line(warning) == pytest.approx(287.0, abs=0.3)
    assert "that the fitter did not take although max_peaks=5 leaves room" in warning
    assert ADVICE in warning and warning.endswith("or train it longer")
    assert result.to_dict()["warnings"] == [warning]


def test_a_second_line_the_network_misses_is_named(monkeypatch):
    counts = poisson(
        200.0 + 1000.0 * xps_peak(E, 285.0, 1.2, 0.3) + 600.0 * xps_peak(E, 293.0, 1.2, 0.3)
    )
    first = {"center": 285.0, "fwhm": 1.2, "height": 1000.0, "eta": 0.3}
    monkeypatch.setattr(peak_fitter, "extract_peaks_batch", lambda *args: [[first]])
    result = PeakFitter(predictor=blind()).fit(E, counts)
    np.testing.assert_allclose([p.center for p in result.peaks], [285.0], atol=0.05)
    (warning,) = result.warnings
    assert named_line(warning) == pytest.approx(293.0, abs=0.3) and ADVICE in warning


@pytest.mark.skipif(not DATA.is_dir(), reason="shared data absent")
def test_measured_cu_2p_fitted_with_no_peak_says_so():
    data = read_xps(DATA / "Cu2p_Cu_metal.txt")
    result = PeakFitter(predictor=blind()).fit(data.binding_energy, data.counts)
    assert result.peaks == ()
    (warning,) = result.warnings
    assert named_line(warning) == pytest.approx(932.7, abs=0.3) and ADVICE in warning


@pytest.mark.parametrize("slope", [0.0, 20.0])
def test_a_spectrum_without_peaks_stays_empty_without_a_warning(slope):
    counts = poisson(800.0 + slope * (E - E[0]), seed=3)
    fitters = [PeakFitter(predictor=blind())]
    if DEFAULT_WEIGHTS.is_file():
        fitters.append(PeakFitter())
    for fitter in fitters:
        result = fitter.fit(E, counts)
        assert result.peaks == () and result.warnings == ()
