"""Review V21: noise correlated between channels (a detector's point spread) was taken for
an edge, so edge-free windows of measured spectra were told to check their calibration and
elements named from noise went unwarned; a spectrum image's channels NaN in every pixel at
its end still counted as inside its energy window."""

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter1d
from scipy.special import erf

from simulators.eels_files import EELSSpectrum, read_eels
from surrogates.eels_checks import NO_EDGE, counts_warnings
from surrogates.eels_identifier import EELSIdentifier, identify_spectrum
from surrogates.eels_map import identify_cube
from surrogates.eels_net import EELSResNet
from tests.shared_data import SHARED_DATA

UNTRAINED = EELSIdentifier([EELSResNet()])  # the warnings and windows do not use them
EDGE = "show an edge"
ENERGY = np.round(np.arange(360.0, 450.0, 0.2), 1)  # no major edge; 450 points


def blurred(mean: np.ndarray, seed: int, sigma: float = 1.0) -> np.ndarray:
    """Poisson counts of ``mean`` (m,) spread over neighbouring channels by a detector's
    point spread (a Gaussian of ``sigma`` channels), which correlates their noise."""
    counts = np.random.default_rng(seed).poisson(mean).astype(float)
    return gaussian_filter1d(counts, sigma)


def warnings_of(energy: np.ndarray, counts: np.ndarray) -> list[str]:
    """``counts_warnings`` with no element identified (an edge seen is then warned of)."""
    window = np.array([int(np.ceil(energy[0])), int(np.floor(energy[-1]))])
    return counts_warnings(energy, counts, window, present=[])


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("level", [1e3, 5e4])
def test_an_edge_free_power_law_with_correlated_noise_shows_no_edge(seed, level):
    # blurred by 1 channel, all of 100 were said to show an edge (0 of 100 unblurred)
    counts = blurred(level * (ENERGY / ENERGY[0]) ** -3.0, seed)
    warnings = warnings_of(ENERGY, counts)
    assert any(w.startswith(NO_EDGE) for w in warnings), warnings
    assert not any(EDGE in w for w in warnings), warnings


@pytest.mark.parametrize("seed", range(4))
def test_a_weak_edge_with_the_same_noise_is_still_seen(seed):
    energy = np.round(np.arange(400.0, 500.0, 0.2), 1)
    shape = (energy / 400) ** -3 * (1 + 0.02 * (1 + erf(energy - 450)) * (energy / 450) ** -1)
    warnings = warnings_of(energy, blurred(1e4 * shape, seed))
    assert not any(w.startswith(NO_EDGE) for w in warnings), warnings


@pytest.mark.parametrize(
    ("name", "low", "high"),
    [
        ("exspy_coreloss_Mn_O.msa", 360.0, 450.0),
        ("exspy_coreloss_Mn_O.msa", 410.0, 455.0),  # the networks named In, unwarned
        ("eelsdb/la2nio4-structure-of-k2nif4/data.msa", 424.0, 520.0),
    ],
)
def test_the_pre_edge_counts_of_measured_spectra_show_no_edge(name, low, high):
    path = SHARED_DATA / "eels" / name
    if not path.is_file():
        pytest.skip(f"measured EELS spectrum not found at {path} (shared data absent)")
    spectrum = read_eels(path)
    keep = (spectrum.energy >= low) & (spectrum.energy <= high)
    cut = EELSSpectrum(spectrum.energy[keep], spectrum.counts[keep], {}, "pre-edge.msa")
    warnings = identify_spectrum(cut, UNTRAINED)["warnings"]
    assert any(w.startswith(NO_EDGE) for w in warnings), warnings
    assert not any(EDGE in w for w in warnings), warnings


def test_channels_nan_in_every_pixel_at_the_end_are_outside_the_cubes_window():
    # 800-900 eV never measured: Ni (L2,3 855 eV) was still said to have an edge inside
    energy = np.arange(700.0, 900.0, 0.5)
    cube = np.random.default_rng(0).poisson(1e4 * (energy / 700) ** -3, (3, 4, energy.size))
    cube = cube.astype(np.float32)
    whole = identify_cube(cube, energy, UNTRAINED)
    cube[..., energy > 800] = np.nan
    cut = identify_cube(cube, energy, UNTRAINED)
    pixel = EELSSpectrum(energy, cube[0, 0].astype(float), {}, "pixel.msa")
    assert "Ni" in whole.has_edge_in_window and "Ni" not in cut.has_edge_in_window
    assert cut.has_edge_in_window == identify_spectrum(pixel, UNTRAINED)["has_edge_in_window"]
