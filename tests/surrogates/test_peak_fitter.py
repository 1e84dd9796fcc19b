"""The whole peak-fitting pipeline: network extraction, refinement, residual peaks."""

from pathlib import Path

import numpy as np
import pytest

from adaptive.bench_peakfit import REFERENCE_SPLITTINGS, score, spin_orbit_splitting
from simulators.lineshapes import xps_peak
from simulators.xps import XPSSimulator
from simulators.xps_files import read_xps
from surrogates.peak_fitter import PeakFitter
from surrogates.peak_net import DEFAULT_WEIGHTS, to_binding_order

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "xps"
pytestmark = pytest.mark.skipif(not DEFAULT_WEIGHTS.is_file(), reason="no trained weights")


def test_two_overlapping_peaks_on_a_shirley_step_are_found_and_refined():
    e = np.arange(280.0, 300.0, 0.05)
    peaks = 1000 * xps_peak(e, 288.0, 1.2, 0.3) + 600 * xps_peak(e, 289.4, 1.2, 0.3)
    background = 200 + 150 * np.cumsum(peaks) / peaks.sum()
    counts = np.random.default_rng(0).poisson(peaks + background).astype(float)
    result = PeakFitter().fit(e, counts)
    centers = sorted(p.center for p in result.peaks)
    assert len(centers) == 2
    np.testing.assert_allclose(centers, [288.0, 289.4], atol=0.05)
    assert result.features()["area_ratio_1"] == pytest.approx(0.6, abs=0.08)


def test_pipeline_beats_the_network_alone_on_simulated_spectra():
    batch = XPSSimulator().sample(60, seed=99)
    e, y = to_binding_order(batch.energy, batch.counts, batch.kinetic, batch.photon_energy)
    fitter = PeakFitter()
    pipeline = score(fitter.fit_batch(e, y), batch)
    network = score(fitter.extract_batch(e, y), batch)
    assert pipeline["success_rate"] > network["success_rate"]
    assert pipeline["center_mae_ev"] < 0.05 and pipeline["count_accuracy"] > 0.8


@pytest.mark.skipif(not DATA.is_dir(), reason="shared data absent")
def test_measured_cu_2p_splitting_matches_the_literature():
    region = read_xps(DATA / "Cu2p_Cu_metal.txt")
    result = PeakFitter(fit_asymmetry=True).fit(region.binding_energy, region.counts)
    literature = REFERENCE_SPLITTINGS["Cu2p_Cu_metal.txt"]
    assert abs(spin_orbit_splitting(result) - literature) < 0.3
