"""Review V20: too few points to tell an edge were told they show one (and to check the
calibration); a spectrum image's typical pixel, edge-free support film, discredited the
elements present elsewhere; counts per 2 eV point were called per 1 eV channel."""

import dask.array as da
import numpy as np

from simulators.eels_files import EELSSpectrum
from surrogates.eels_checks import NO_EDGE, counts_warnings
from surrogates.eels_identifier import EELSIdentifier, identify_spectrum
from surrogates.eels_map import _typical_pixel_warnings
from surrogates.eels_net import EELSResNet

UNTRAINED = EELSIdentifier([EELSResNet()])  # the warnings do not use the networks


def test_too_few_points_to_tell_are_told_neither_edge_nor_none():
    energy = 900.0 + np.arange(31.0)  # 900-930 eV, no major edge; under 2 x 16 blocks
    counts = np.random.default_rng(0).poisson(1e5 * (energy / 900) ** -3).astype(float)
    window = np.array([900, 930])  # its first and last 1 eV channel
    warnings = counts_warnings(energy, counts, window, present=[])
    assert not any("show an edge" in w or w.startswith(NO_EDGE) for w in warnings), warnings


def test_a_typical_pixel_without_an_edge_keeps_quiet_where_elements_are_present():
    energy = np.linspace(925.0, 970.0, 500)
    film = np.random.default_rng(1).poisson(2e4 * (energy / energy[0]) ** -3.5, (3, 3, 500))
    cube = da.from_array(film.astype(float))
    window, totals = np.array([925, 970]), film.sum(-1).astype(float)
    alone = _typical_pixel_warnings(cube, energy, window, totals, present=[])
    assert any(NO_EDGE in w for w in alone), alone  # nothing present: the film is all there is
    assert not any(
        NO_EDGE in w for w in _typical_pixel_warnings(cube, energy, window, totals, ["Cu"])
    )


def test_few_counts_at_2_ev_steps_are_counted_per_point():
    energy = np.arange(400.0, 800.0, 2.0)
    counts = np.random.default_rng(2).poisson(600 * (energy / 800) ** -3).astype(float)
    spectrum = EELSSpectrum(energy, counts, {}, "test.msa")
    (few,) = [w for w in identify_spectrum(spectrum, UNTRAINED)["warnings"] if "Few" in w]
    assert few.startswith("Few counts: ") and " per 2 eV point at the end" in few, few
