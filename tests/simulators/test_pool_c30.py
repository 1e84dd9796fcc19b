"""Review C30: a fine lattice of setpoints is not merged into replicates by the readback
tolerance, and grouping does not depend on the rows' order."""

import numpy as np

from adaptive.space import READBACK_TOLERANCE
from simulators import PoolEmulator


def _write(path, rows):
    path.write_text("t,r,y\n" + "\n".join(",".join(map(str, row)) for row in rows) + "\n")
    return path


def test_a_lattice_finer_than_the_tolerance_keeps_its_recipes(tmp_path):
    rows = [(t, r, t / 1000 + r) for t in range(300, 1301) for r in (1, 2)]
    pool = PoolEmulator.from_csv(
        _write(tmp_path / "lattice.csv", rows), ["t", "r"], "y", tolerance=READBACK_TOLERANCE
    )
    assert pool.n_candidates == 2002
    assert pool.count.max() == 1


def test_jittered_readings_of_one_setpoint_group_in_any_order(tmp_path):
    rows = [(500.4, 1, 0.1), (0, 2, 0.2), (500, 1, 0.3), (1000, 1, 0.4), (499.6, 1, 0.5)]
    for order in (rows, rows[::-1]):
        pool = PoolEmulator.from_csv(
            _write(tmp_path / "jitter.csv", order), ["t", "r"], "y", tolerance=READBACK_TOLERANCE
        )
        assert pool.n_candidates == 3  # 499.6, 500 and 500.4 span 0.8 <= 2 x 0.001 x 1000
        group = next(
            r for r, x in zip(pool.replicates, pool.X, strict=True) if x[0] != 0 and x[0] < 1000
        )
        np.testing.assert_allclose(sorted(group), [0.1, 0.3, 0.5])
