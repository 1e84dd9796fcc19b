"""Review V22: intensities under 3,072 in the first column and energies in the second were
told to sort the spectrum by energy, not that the columns look swapped."""

import numpy as np
import pytest

from simulators import read_eels
from tests.shared_data import SHARED_DATA

SWAPPED = "the counts increase strictly (like energies): energy and counts look swapped"
O_K = SHARED_DATA / "eels/eelsdb/o-k-edge-la2nio4-structure-of-k2nif4-tetragonale-i4-mmm/data.msa"


def write_columns(path, first: np.ndarray, second: np.ndarray):
    path.write_text("".join(f"{a:.6g}\t{b:.6g}\n" for a, b in zip(first, second, strict=True)))
    return path


def test_normalised_intensities_before_the_energies_are_named_swapped(tmp_path):
    energy = 360.0 + 0.2 * np.arange(400)
    counts = np.random.default_rng(0).poisson(47000.0 * (energy / 360.0) ** -3)
    path = write_columns(tmp_path / "swapped.txt", counts / counts.max(), energy)
    with pytest.raises(ValueError, match="energy must increase strictly") as err:
        read_eels(path)
    assert SWAPPED in str(err.value) and "sort" not in str(err.value)


def test_the_measured_o_k_spectrum_with_its_columns_swapped_is_named_swapped(tmp_path):
    # counts 486-886: below 3071, so read as energies inside the channels
    if not O_K.is_file():
        pytest.skip(f"measured EELS data not found at {O_K} (shared data absent)")
    spectrum = read_eels(O_K)
    path = write_columns(tmp_path / "swapped_ok.txt", spectrum.counts, spectrum.energy)
    with pytest.raises(ValueError, match="energy must increase strictly") as err:
        read_eels(path)
    assert SWAPPED in str(err.value) and "sort" not in str(err.value)


@pytest.mark.parametrize(
    "second",
    [[5.0, 9.0, 4.0, 8.0, 6.0, 7.0], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0][:4]],
    ids=["counts in no order", "four rising counts"],
)
def test_misordered_energies_beside_counts_not_rising_over_five_points_are_sorted(tmp_path, second):
    # energies out of order beside noisy counts, or a few counts rising by chance
    energy = np.array([500.0, 500.5, 501.0, 500.8, 501.5, 502.0])[: len(second)]
    path = write_columns(tmp_path / "misordered.txt", energy, np.array(second))
    with pytest.raises(ValueError, match="sort the spectrum by energy") as err:
        read_eels(path)
    assert "look swapped" not in str(err.value)
