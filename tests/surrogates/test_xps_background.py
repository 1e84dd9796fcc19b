"""The iterative Shirley background converges instead of cycling."""

import numpy as np

from simulators.xps import XPSSimulator
from surrogates.peak_net import to_binding_order
from surrogates.xps_background import shirley_background


def test_the_background_converges_on_simulated_spectra():
    """Only the peak area above the background drives it: one more iteration moves it little.

    Integrating negative differences too made it cycle (period 4-6) on 11 % of these.
    """
    batch = XPSSimulator().sample(400, seed=3)
    _, counts = to_binding_order(batch.energy, batch.counts, batch.kinetic, batch.photon_energy)
    moved = np.abs(shirley_background(counts, 12) - shirley_background(counts, 13)).max(axis=1)
    assert np.mean(moved > 0.01 * np.nanmax(batch.height, axis=1)) < 0.04


def test_the_background_rises_monotonically_between_its_end_levels():
    energy = np.linspace(280.0, 300.0, 300)
    counts = 200.0 + 20.0 * (energy - 280.0) + 1000.0 * np.exp(-0.5 * ((energy - 290) / 0.8) ** 2)
    background = shirley_background(counts)
    assert np.all(np.diff(background) >= 0)
    np.testing.assert_allclose(background[[0, -1]], [counts[:5].mean(), counts[-5:].mean()])
    np.testing.assert_allclose(background, shirley_background(counts, 200), rtol=1e-6)
