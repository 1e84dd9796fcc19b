"""The scan's GP holds each reading's known uncertainty as its noise."""

import numpy as np
import pytest

from adaptive.errors import InvalidParameterError
from adaptive.records import Observation
from adaptive.space import Dimension, Space
from adaptive.strategies import EnergyScan
from simulators import KEdgeXAS


def scan_of(sim, n, uncertain=lambda k: True, **options):
    """An EnergyScan (``options``) over ``sim``'s range after ``n`` noisy readings; reading
    k carries its counting uncertainty where ``uncertain(k)``."""
    low, high = sim.energy_range
    scan = EnergyScan(Space((Dimension("energy", low=low, high=high, units="eV"),)), **options)
    for k in range(n):
        (suggestion,) = scan.suggest(1)
        energy = suggestion.point["energy"]
        i1 = sim.measure_channels(energy)["i1"]
        scan.observe(
            [
                Observation(
                    {"energy": energy},
                    value=float(np.log(sim.i0 / i1)),
                    uncertainty=1 / np.sqrt(i1) if uncertain(k) else None,
                    time=float(k),
                )
            ]
        )
    scan.suggest(1)  # the refit
    return scan


def test_uncertainties_follow_the_data_order():
    sim = KEdgeXAS(i0=1e4, seed=1)
    scan = scan_of(sim, 15, uncertain=lambda k: k % 2 == 0)
    x, y = scan.data()
    sd = scan.uncertainties()
    assert sd.shape == x.shape and np.all(np.diff(x) >= 0)
    given = ~np.isnan(sd)
    assert given.sum() == 8
    # counting noise of mu = ln(i0 / i1): 1 / sqrt(i1) = exp(mu / 2) / sqrt(i0)
    np.testing.assert_allclose(sd[given], np.exp(y[given] / 2) / np.sqrt(sim.i0))


def test_readings_with_uncertainties_fix_the_noise_and_mixed_ones_learn_it():
    sim = KEdgeXAS(i0=1e4, seed=2)
    scan = scan_of(sim, 20)
    np.testing.assert_allclose(scan.model.state()["noise"], scan.uncertainties() ** 2)
    assert scan_of(sim, 20, uncertain=lambda k: k != 5).model.state()["noise"] is None
    assert scan_of(sim, 20, noise="learned").model.state()["noise"] is None


@pytest.mark.parametrize("noise", ["known", "", None, 1])
def test_an_unknown_noise_model_is_refused_naming_both(noise):
    space = Space((Dimension("energy", low=8950.0, high=9100.0, units="eV"),))
    with pytest.raises(InvalidParameterError, match="'reported' holds .* 'learned' fits"):
        EnergyScan(space, noise=noise)


def test_held_noise_keeps_readings_inside_the_band_where_learned_noise_did_not():
    sim = KEdgeXAS(i0=1e4, seed=0)
    for uncertain, most_outside in ((lambda k: True, 2), (lambda k: False, None)):
        scan = scan_of(sim, 40, uncertain)
        x, y = scan.data()
        mean, std = scan.model.predict(scan._unit(x), band=False)  # the GP's own std
        sd = np.exp(y / 2) / np.sqrt(sim.i0)
        outside = int(np.sum(np.abs(y - mean) > 2 * np.hypot(std, sd)))
        if most_outside is not None:
            assert outside <= most_outside
        else:
            learned_outside = outside
    assert learned_outside > 2
