"""Review W25: rows of one recipe written at two precisions (or read back with a pump's
jitter) are replicates of one candidate in ``bench pool``, as BatchBO takes them."""

import csv

import numpy as np
import pytest

from adaptive.bench_pool import bench_pool
from adaptive.space import READBACK_TOLERANCE
from simulators import PoolEmulator
from tests.shared_data import SHARED_DATA

DROPLETS = SHARED_DATA / "synthesis" / "agnp_droplets.csv"
FLOWS = ["QAgNO3(%)", "Qpva(%)", "Qtsc(%)", "Qseed(%)", "Qtot(uL/min)"]


@pytest.fixture
def two_precisions(tmp_path):
    """Recipe (13.10132159, 2) in full and to 6 decimals, and two recipes 1 % of the range
    of a apart (0..100)."""
    path = tmp_path / "pool.csv"
    rows = ["13.10132159,2,0.5", "13.101322,2,0.7", "0,1,0.1", "100,3,0.9", "1,1,0.3"]
    path.write_text("a,b,y\n" + "\n".join(rows) + "\n")
    return path


def test_rows_within_the_readback_tolerance_are_one_candidate(two_precisions):
    exact = PoolEmulator.from_csv(two_precisions, ["a", "b"], "y")
    assert exact.n_candidates == 5  # the default groups only equal rows
    pool = PoolEmulator.from_csv(two_precisions, ["a", "b"], "y", tolerance=READBACK_TOLERANCE)
    assert pool.n_candidates == 4  # 0 and 1 (1 % of a's range apart) stay two recipes
    np.testing.assert_array_equal(pool.X, [[13.10132159, 2], [0, 1], [100, 3], [1, 1]])
    np.testing.assert_array_equal(pool.replicates[0], [0.5, 0.7])
    np.testing.assert_allclose(pool.mean, [0.6, 0.1, 0.9, 0.3])


@pytest.mark.parametrize("tolerance", [-0.1, 0.5, float("nan"), "0.001", True])
def test_a_bad_tolerance_is_refused(two_precisions, tolerance):
    with pytest.raises(ValueError, match=r"tolerance must be a share .*\[0, 0.5\)"):
        PoolEmulator.from_csv(two_precisions, ["a", "b"], "y", tolerance=tolerance)


@pytest.mark.skipif(not DROPLETS.is_file(), reason=f"{DROPLETS} not found (shared data absent)")
def test_bench_pool_figures_do_not_change_with_the_precision_of_the_rows(tmp_path):
    with open(DROPLETS, newline="") as f:
        header, *rows = list(csv.reader(f))
    column = header.index(FLOWS[0])
    for row in rows[1::2]:  # every other droplet's flow to 6 decimals
        row[column] = f"{float(row[column]):.6f}"
    rounded = tmp_path / "droplets_6_decimals.csv"
    with open(rounded, "w", newline="") as f:
        csv.writer(f).writerows([header, *rows])
    figures = [
        bench_pool(path, FLOWS, "loss", seeds=1, methods=["random"], progress=False)
        for path in (DROPLETS, rounded)
    ]
    keys = ("n_candidates", "top_count", "random_found_at_median_2000_shuffles", "methods")
    assert [figures[1][k] for k in keys] == [figures[0][k] for k in keys]
