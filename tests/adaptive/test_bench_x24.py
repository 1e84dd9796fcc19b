"""Review X24: with noise, `bench scan` scored the conventional baseline as the best of many
noise draws: each of its step scales was measured with fresh noise and the smallest scan
reaching the threshold kept, so a point count shared by up to 78 scales had up to 78 tries,
gp and the grid one."""

import numpy as np
import pytest

from adaptive.bench import THRESHOLDS, Truth, _fixed_scans
from adaptive.simulate import with_noise
from adaptive.strategies import ConventionalScan
from simulators import KEdgeXAS

ENERGY = np.linspace(8900.0, 9300.0, 401)


@pytest.fixture
def truth(tmp_path):
    """The simulated K edge, 8900-9300 eV at 1 eV, read back from a two-column file."""
    mu = KEdgeXAS(i0=None, energy_range=(8900.0, 9300.0)).evaluate_true(ENERGY)
    path = tmp_path / "kedge.csv"
    path.write_text(
        "energy_eV,mu\n" + "".join(f"{e},{m}\n" for e, m in zip(ENERGY, mu, strict=True))
    )
    return Truth(path)


@pytest.fixture
def scans(truth):
    """Conventional scans of 300 step scales, several to most point counts."""
    scales = np.geomspace(0.2, 200, 300)
    scans = [ConventionalScan(truth.space, truth.edge_energy, scale=s) for s in scales]
    return [s for s in scans if 2 <= len(s.positions()) <= 100]


def noise_free_error(truth, positions):
    return truth.nrmse(
        np.interp(truth.energies, positions, truth.recording.evaluate_true(positions))
    )


def test_each_point_count_is_measured_once_by_its_scale_closest_noise_free(truth, scans):
    noisy = with_noise(truth.recording, 1e4, 0, "the K edge")
    measured = []

    def measure(energies):
        measured.append(energies)
        return noisy.measure(energies)

    _fixed_scans(truth, scans, measure)
    counts = sorted({len(s.positions()) for s in scans})
    assert len(scans) > len(counts)  # several scales share a count
    assert [len(energies) for energies in measured] == counts  # one noise draw per count
    for energies in measured:
        same = [s.positions() for s in scans if len(s.positions()) == len(energies)]
        errors = [noise_free_error(truth, positions) for positions in same]
        np.testing.assert_array_equal(energies, same[int(np.argmin(errors))])


def test_noise_free_the_figures_are_the_smallest_scan_reaching_each_threshold(truth, scans):
    result = _fixed_scans(truth, scans)
    for key, threshold in THRESHOLDS.items():
        reaching = [
            len(s.positions()) for s in scans if noise_free_error(truth, s.positions()) <= threshold
        ]
        assert result[key] == min(reaching, default=None), key
