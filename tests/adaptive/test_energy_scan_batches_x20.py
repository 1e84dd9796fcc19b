"""Review X20: a batch of an energy scan. Picked on a flat std (readings of no signal), its
picks piled up beside the first one (8 within 0.35 eV); and a fit after a batch ranked the
next batch on the warp of the fit before (the first model batch on no warp, none of it on
the edge). And the stop's scale: a steep background's range, not the edge step, set it."""

import numpy as np
import pytest

from adaptive.records import Observation
from adaptive.space import Space
from adaptive.strategies import EnergyScan
from adaptive.strategies.energy_scan import MIN_FEATURE_RANGE, _feature_range
from simulators import KEdgeXAS

SPACE = Space.from_dict({"dimensions": [{"name": "energy", "low": 690, "high": 740}]})


def test_a_batch_picked_on_a_flat_std_spreads_over_the_range():
    rng = np.random.default_rng(1)
    scan = EnergyScan(SPACE)
    for _ in range(3):
        batch = scan.suggest(8)
        scan.observe(
            [
                Observation(dict(s.point), float(rng.normal(0, 0.3)), 0.3, time=float(k))
                for k, s in enumerate(batch)
            ]
        )
    batch = scan.suggest(8)
    assert all("std flat" in s.reason for s in batch)
    energies = np.sort([s.point["energy"] for s in batch])
    assert np.diff(energies).min() > 1.0, energies  # 50 eV of range, 32 readings


def test_the_batch_after_the_first_is_ranked_on_a_warp_of_its_readings():
    sim = KEdgeXAS(seed=0)  # its edge at 8979 eV
    space = Space.from_dict({"dimensions": [{"name": "energy", "low": 8779, "high": 9979}]})
    scan = EnergyScan(space)
    for s in scan.suggest(65):
        channels = sim.measure_channels(s.point["energy"])
        mu, sigma = channels["mu"], sim.uncertainties(channels)["mu"]
        scan.observe([Observation(dict(s.point), mu, sigma)])
    energies = np.array([s.point["energy"] for s in scan.suggest(15)])
    assert ((energies > 8960) & (energies < 9020)).sum() >= 5, np.sort(energies)


def test_the_stop_scales_by_the_edge_step_not_a_sloping_background():
    grid = np.linspace(0.0, 1.0, 1024)
    edge = 0.1 * (grid > 0.2)  # a dilute sample's edge step
    assert _feature_range(edge - 0.5 * grid) == pytest.approx(0.1, rel=0.01)  # ptp 0.5
    slope = -2.4 * grid  # no feature: a tenth of its range
    assert _feature_range(slope) == pytest.approx(MIN_FEATURE_RANGE * 2.4)
    assert _feature_range(np.zeros(1024)) == 0.0
