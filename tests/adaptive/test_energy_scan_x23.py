"""A resolution-limited stop names how far apart the energies it reads lie, and how to read
finer (review X23): on a lattice finer than the 1,024-point grid's spacing it said "0.1 eV
apart on the lattice (a finer step reads finer)", while the scan reads only the grid's
energies snapped to the lattice, 1.1-1.2 eV apart, and a finer step reads no finer."""

import re

import numpy as np
import pytest

from adaptive.space import Dimension, Space
from adaptive.strategies import EnergyScan

LOW, HIGH = 8779.0, 9979.0  # eV, the K-edge simulation's range: its grid 1.17 eV apart


def scan_on(step: float | None) -> EnergyScan:
    """An energy scan over LOW-HIGH on a ``step`` lattice (None: no lattice)."""
    return EnergyScan(Space((Dimension("energy", low=LOW, high=HIGH, units="eV", step=step),)))


def named_and_read(scan: EnergyScan) -> tuple[float, str, np.ndarray]:
    """The spacing the stop reason names, its advice, and the gaps (k,) between the distinct
    energies the scan reads."""
    words = scan._resolution()
    spacing, advice = re.fullmatch(r"([\d.]+) eV apart.*\((.*)\)", words).groups()
    return float(spacing), advice, np.diff(np.unique(scan._grid_energies()))


@pytest.mark.parametrize("step", [0.1, 0.5, 1.0, None])
def test_a_lattice_finer_than_the_grid_names_the_grids_spacing_and_a_narrower_range(step):
    spacing, advice, gaps = named_and_read(scan_on(step))
    # within the rounding to 3 digits
    assert 0.995 * gaps.min() <= spacing <= 1.005 * gaps.max(), (spacing, gaps.min(), gaps.max())
    assert advice == "a narrower range reads finer"


@pytest.mark.parametrize("step", [2.0, 5.0])
def test_a_lattice_coarser_than_the_grid_names_its_step_and_a_finer_one(step):
    spacing, advice, gaps = named_and_read(scan_on(step))
    np.testing.assert_allclose(gaps, step)  # every lattice energy is read
    assert spacing == step and advice == "a finer step reads finer"
