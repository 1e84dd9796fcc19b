"""Review V24: a one-pixel-wide boundary at 45 degrees, rich in an element, was called
scattered (its pixels touch only by corners); an element spread evenly (2 at.% La in
Fe2O3, above threshold in 20 % of the pixels) was called scattered, as false positives
are; a map's rows in angstrom ("A") or metres beside columns in nm filled the panel."""

import numpy as np
import pytest

from simulators.eels import ELEMENTS
from simulators.eels_files import NavigationAxis
from surrogates import eels_map
from surrogates.eels_map import CubeResult, identify_cube

ENERGY = np.arange(400, 1000.0)  # Fe L3 708 eV, Cu L3 931 eV, Pr M5 931 eV inside


class NamedWhereBright:
    """Names ``everywhere`` in every pixel and ``bright`` where a pixel's first window
    channel is bright (twice the background)."""

    thresholds = np.full(len(ELEMENTS), 0.5)

    def __init__(self, bright: str, everywhere: tuple[str, ...] = ()):
        self.bright, self.everywhere = ELEMENTS.index(bright), everywhere

    def probabilities(self, spectra, windows):
        p = np.zeros((len(spectra), len(ELEMENTS)), np.float32)
        p[:, self.bright] = spectra[np.arange(len(spectra)), windows[:, 0]] > 1.5e4
        for symbol in self.everywhere:
            p[:, ELEMENTS.index(symbol)] = 1.0
        return p


def named_where(mask: np.ndarray, bright: str = "Fe", everywhere=()) -> CubeResult:
    """``identify_cube`` of a cube bright where ``mask`` (H, W), ``bright`` named there."""
    background = 1e4 * (ENERGY / 400) ** -3
    counts = np.where(mask[..., None], 2 * background, background)
    cube = np.random.default_rng(0).poisson(counts)
    return identify_cube(cube, ENERGY, NamedWhereBright(bright, everywhere))


@pytest.mark.parametrize("direction", [1, -1], ids=["diagonal", "anti-diagonal"])
def test_a_diagonal_boundary_one_pixel_wide_is_present(direction):
    mask = np.eye(32, dtype=bool)[:, ::direction]  # 32 of 1,024 pixels, touching by corners
    result = named_where(mask)
    assert result.present_elements == {"Fe": 32 / 1024} and result.scattered == {}


def test_pixels_touching_by_corners_are_neighbours_and_one_cluster():
    above = np.zeros((5, 6, 2), dtype=bool)
    above[[0, 1, 2, 3], [0, 1, 2, 3], 0] = True  # a diagonal of 4
    above[4, 5, 0] = True  # alone
    above[::2, ::2, 1] = True  # none touches another, side or corner
    np.testing.assert_allclose(eels_map._coherent_share(above), [4 / 5, 0])
    np.testing.assert_array_equal(eels_map._largest_cluster(above), [4, 1])


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("share", [0.2, 0.3])
def test_an_element_spread_evenly_over_the_map_is_present(share, seed):
    mask = np.random.default_rng(seed).random((24, 24)) < share  # as coherent as chance
    result = named_where(mask)
    assert result.present_elements == {"Fe": mask.mean()} and result.scattered == {}


@pytest.mark.parametrize("seed", range(3))
def test_false_positives_in_a_few_percent_of_the_pixels_stay_scattered(seed):
    # the reviewer's maps: Xe, Cs, Sb above threshold in 1-2 % of 24 x 24 pixels
    mask = np.zeros(24 * 24, dtype=bool)
    mask[np.random.default_rng(seed).choice(mask.size, 12, replace=False)] = True
    result = named_where(mask.reshape(24, 24))
    assert result.present_elements == {} and result.scattered == {"Fe": 12 / 576}


def test_an_element_spread_evenly_under_another_ones_edges_stays_scattered():
    # Pr M5,4 beside Cu L3,2: CuO named Pr in 14-20 % of its pixels
    mask = np.random.default_rng(2).random((24, 24)) < 0.2
    result = named_where(mask, bright="Pr", everywhere=("Cu",))
    assert result.present_elements == {"Cu": 1.0} and result.scattered == {"Pr": mask.mean()}


@pytest.mark.parametrize(("unit", "nm"), [("A", 0.1), ("\u00c5", 0.1), ("\u212b", 0.1), ("m", 1e9)])
def test_rows_in_angstrom_or_metres_beside_columns_in_nm_are_drawn_to_scale(unit, nm):
    rows, columns = NavigationAxis(10.0, 2.0, unit), NavigationAxis(1.0, 0.0, "nm")
    down, across = eels_map._in_one_unit(rows, columns)
    assert across == columns
    assert down.units == "nm"
    assert down.scale == pytest.approx(10.0 * nm) and down.offset == pytest.approx(2.0 * nm)
