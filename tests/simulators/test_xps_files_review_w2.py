"""An XPS user's review of the reader's messages: a one-point file names the fitter's
minimum, and swapped columns are named as such, not as an energy axis out of order at a
count."""

import numpy as np
import pytest

from simulators import read_xps_text
from surrogates.peak_net import MIN_POINTS
from tests.simulators.test_xps_files import write


def test_a_one_point_file_names_the_fitters_minimum(tmp_path):
    with pytest.raises(ValueError, match="has 1 point") as err:
        read_xps_text(write(tmp_path, "one.txt", "Cu2p\n932.5 1200\n"))
    assert f"a peak fit at least {MIN_POINTS}: measure a wider window" in str(err.value)


def columns(first, second) -> str:
    return "".join(f"{a:g}\t{b:g}\n" for a, b in zip(first, second, strict=True))


ENERGY = 700.0 - 0.5 * np.arange(8)  # descending, as exports write it
COUNTS = np.array([150.0, 140.0, 130.0, 110.0, 120.0, 100.0, 105.0, 95.0])


@pytest.mark.parametrize(("counts", "line"), [(COUNTS, 6), (COUNTS[::-1], 3)])
def test_swapped_columns_are_named_with_the_line_where_the_order_breaks(tmp_path, counts, line):
    path = write(tmp_path, "swapped.txt", columns(counts, ENERGY))
    with pytest.raises(ValueError, match="energy and counts look swapped") as err:
        read_xps_text(path)
    assert f"the energy axis is not monotonic at line {line} while the counts" in str(err.value)
    assert " eV;" not in str(err.value)  # no count read as an energy
    # an axis out of order beside counts in no order is no swap
    energy = np.array([700.0, 700.5, 701.0, 700.8, 701.5, 702.0])
    path = write(tmp_path, "scans.txt", columns(energy, [5, 9, 4, 8, 6, 7]))
    with pytest.raises(
        ValueError, match=r"not monotonic at 701 eV: 700.8 eV follows it on line 4; .*sort the rows"
    ) as err:
        read_xps_text(path)
    assert "look swapped" not in str(err.value)
