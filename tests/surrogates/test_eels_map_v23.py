"""Review V23, spectrum images: a channel reading 0 in every pixel (a dead detector channel)
named I or Fe in most pixels; zero padding of drift-aligned pixels named Cd and warned of
"Few counts: 0 per 1 eV channel"; vacuum at a flat dark or bias level counted as specimen;
a float16 cube overflowed its sums and picked a vacuum pixel as the typical one."""

import warnings

import numpy as np
import pytest

from simulators.eels_files import read_eels
from surrogates.eels_checks import varies_beyond_noise
from surrogates.eels_identifier import EELSIdentifier
from surrogates.eels_map import identify_cube
from tests.shared_data import SHARED_DATA

MN_O = SHARED_DATA / "eels" / "exspy_coreloss_Mn_O.msa"


@pytest.fixture(scope="module")
def identifier():
    if not MN_O.is_file():
        pytest.skip(f"measured EELS spectrum not found at {MN_O} (shared data absent)")
    return EELSIdentifier.load()


def mn_o_cube(shape: tuple[int, int], seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The eXSpy Mn + O spectrum summed to 1 eV per channel in every pixel, Poisson noise
    at ~3,000 counts at its end: cube (H, W, 409) float32 and energy (409,) eV."""
    spectrum = read_eels(MN_O)
    energy = spectrum.energy[:2045].reshape(-1, 5).mean(axis=1)
    counts = spectrum.counts[:2045].astype(float).reshape(-1, 5).sum(axis=1)
    rate = np.broadcast_to(counts / counts[-1] * 3000, (*shape, energy.size))
    return np.random.default_rng(seed).poisson(rate).astype(np.float32), energy


@pytest.mark.parametrize("at", [620.0, 710.0])
def test_a_channel_reading_0_in_every_pixel_is_left_out_as_a_nan_one_is(identifier, at):
    cube, energy = mn_o_cube((6, 6), seed=1)
    k = int(np.argmin(abs(energy - at)))
    dead, missing = cube.copy(), cube.copy()
    dead[..., k], missing[..., k] = 0.0, np.nan
    result, reference = (identify_cube(c, energy, identifier) for c in (dead, missing))
    assert result.present_elements == reference.present_elements == {"O": 1.0, "Mn": 1.0}
    np.testing.assert_array_equal(result.probabilities, reference.probabilities)
    assert result.warnings == [
        f"1 of the 409 channels, at {energy[k]:g} eV, read 0 in every pixel, where the "
        "counts beside them lie over 10 noise sigmas above 0 (dead detector channels, or an "
        "energy alignment's zero padding?) and were left out: interpolated across between "
        "finite ones, dropped at the ends."
    ]


def test_zero_padding_of_drift_aligned_pixels_is_missing_as_nan_padding_is(identifier):
    cube, energy = mn_o_cube((8, 8), seed=2)
    padded = {}
    for fill in (0.0, np.nan):
        aligned = cube.copy()
        for column in range(4, 8):  # shifted 5-20 eV: the start padded
            aligned[:, column, : 5 * (column - 3)] = fill
        aligned[:, :2, -15:] = fill  # shifted the other way: 15 eV at the end
        padded[fill] = identify_cube(aligned, energy, identifier)
    np.testing.assert_array_equal(padded[0.0].probabilities, padded[np.nan].probabilities)
    assert padded[0.0].present_elements == {"O": 1.0, "Mn": 1.0}
    assert padded[0.0].warnings == padded[np.nan].warnings == []  # not "Few counts: 0"


@pytest.mark.parametrize("dark", ["read noise", "Poisson"])
def test_vacuum_at_a_flat_bias_level_has_no_signal(identifier, dark):
    # a flat 200 counts beside an Mn + O region: no pixel without signal, and the
    # elements in two thirds of the pixels, not all of the specimen
    cube, energy = mn_o_cube((6, 6), seed=3)
    rng = np.random.default_rng(4)
    shape = cube[:, 4:].shape
    cube[:, 4:] = 200 + rng.normal(0, 5, shape) if dark == "read noise" else rng.poisson(200, shape)
    result = identify_cube(cube, energy, identifier)
    assert result.no_signal == 12 and result.unidentified == 0
    assert result.present_elements == {"O": 1.0, "Mn": 1.0}
    assert np.isnan(result.probabilities[:, 4:]).all()
    assert result.warnings[-1].startswith("12 of the 36 pixels have no signal")


def test_a_narrow_bright_window_keeps_its_signal(identifier):
    # the brightness of a window too narrow for a background to fall beyond the noise
    cube, energy = mn_o_cube((4, 4), seed=5)
    narrow = (energy > 670) & (energy < 695)  # 25 eV past the Mn L2,3 edge, flat in noise
    counts = cube[..., narrow].reshape(-1, narrow.sum())
    assert not varies_beyond_noise(counts, energy[narrow]).any()
    assert identify_cube(cube[..., narrow], energy[narrow], identifier).no_signal == 0


def test_a_float16_cube_is_summed_without_overflow(identifier):
    # its float16 sums overflowed (a RuntimeWarning), so the typical pixel was a vacuum
    # one, warned of as "Few counts: 3 per 1 eV channel"
    cube, energy = mn_o_cube((6, 6), seed=6)
    cube[:2] = np.random.default_rng(7).poisson(3, cube[:2].shape)  # vacuum rows
    single = identify_cube(cube, energy, identifier)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        half = identify_cube(cube.astype(np.float16), energy, identifier)
    assert half.warnings == single.warnings
    assert not any("Few counts" in w for w in half.warnings)
    assert half.present_elements == single.present_elements
