"""The XAS scan benchmark on a small recorded spectrum."""

import numpy as np
import pytest

from adaptive.bench import bench_scan
from simulators import KEdgeXAS


def test_bench_scan_reports_every_method(tmp_path):
    simulator = KEdgeXAS(i0=None, energy_range=(8900.0, 9300.0))
    energy = np.linspace(8900.0, 9300.0, 401)
    path = tmp_path / "kedge.csv"
    path.write_text(
        "energy_eV,mu\n"
        + "".join(
            f"{e},{m}\n" for e, m in zip(energy, simulator.evaluate_true(energy), strict=True)
        )
    )
    result = bench_scan(path, max_points=40, random_seeds=1, progress=False)
    assert set(result["methods"]) == {"gp", "grid", "conventional", "random"}
    for figures in result["methods"].values():
        low, high = figures["points_to_2pct"], figures["points_to_1pct"]
        assert low is None or 2 <= low <= 40
        assert high is None or (low is not None and low <= high <= 40)
    assert result["methods"]["gp"]["points_to_2pct"] is not None  # 28 measured
    assert result["methods"]["gp"]["suggest_ms_median"] > 0


@pytest.mark.parametrize("max_points", [1, 0, 2.5])
def test_bench_scan_needs_two_points(tmp_path, max_points):
    with pytest.raises(ValueError, match="max_points"):
        bench_scan(tmp_path / "unread.csv", max_points=max_points)


def test_bench_scan_json_has_no_nan_when_no_scan_is_that_short(tmp_path):
    import json

    energy = np.linspace(8900.0, 9300.0, 401)
    mu = KEdgeXAS(i0=None, energy_range=(8900.0, 9300.0)).evaluate_true(energy)
    path = tmp_path / "kedge.csv"
    path.write_text("".join(f"{e},{m}\n" for e, m in zip(energy, mu, strict=True)))
    result = bench_scan(path, max_points=2, random_seeds=1, progress=False)
    assert result["methods"]["conventional"]["suggest_ms_median"] is None
    json.dumps(result, allow_nan=False)
