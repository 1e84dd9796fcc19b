"""One conformance check run over every strategy (python-adaptive's invariants)."""

import json
import random

import numpy as np
import pytest

import adaptive.strategy
from adaptive.errors import InvalidParameterError, OutOfSpaceError
from adaptive.records import Observation, Spectrum
from adaptive.space import Dimension, Space
from adaptive.strategies import STRATEGIES, make_strategy

LOW, HIGH = 8900.0, 9100.0
SPACE = Space((Dimension("energy", low=LOW, high=HIGH, units="eV"),))
SPAN = HIGH - LOW
#: Strategies whose noise model may ask to measure an energy again (see ``EnergyScan``):
#: their suggestions avoid the pending points only.
REMEASURE = {"energy_scan"}

CONFIGS = {
    "energy_scan": {"name": "energy_scan"},
    "grid": {"name": "grid", "options": {"n_points": 60}},
    "conventional": {"name": "conventional", "options": {"edge_energy": 8980.0, "scale": 4.0}},
    "random": {"name": "random", "options": {"seed": 7}},
    "batch_bo": {"name": "batch_bo", "options": {"q": 5, "n_initial": 6, "seed": 3}},
}


def edge(energy):
    """A smooth edge-like curve: arctan step plus a small white-line bump."""
    e = np.asarray(energy, float)
    return np.arctan((e - 8980.0) / 4.0) / np.pi + 0.5 + 0.3 * np.exp(-(((e - 8990.0) / 8) ** 2))


def measure(suggestion, t):
    energy = suggestion.point["energy"]
    return Observation(point={"energy": energy}, value=float(edge(energy)), time=t)


def run(strategy, n):
    """``n`` sequential suggest/observe steps; return the observations."""
    observations = []
    for i in range(n):
        (suggestion,) = strategy.suggest(1)
        obs = measure(suggestion, 1000.0 + i)
        strategy.observe([obs])
        observations.append(obs)
    return observations


def same(a, b):
    return abs(a - b) <= 1e-9 * max(abs(a), abs(b), 1.0)


def energies(suggestions):
    return [s.point["energy"] for s in suggestions]


def check_strategy(make):
    """The invariants every strategy keeps; ``make()`` returns a fresh strategy."""
    a = make()
    assert isinstance(a, adaptive.strategy.Strategy)
    observations = run(a, 20)

    # (a) every suggestion lies in the space
    batch = a.suggest(5)
    for s in batch:
        assert SPACE.validate(s.point) == s.point
        assert s.strategy.split(":")[0] == a.name  # "name" or "name:source"

    # (b) a batch has no duplicates, none equal to a pending or (most) a measured point
    pending = [s.point for s in batch[:3]]
    nxt = energies(a.suggest(5, pending=pending))
    assert len(nxt) == 5
    taken = [p["energy"] for p in pending]
    if a.name not in REMEASURE:
        taken += [o.point["energy"] for o in observations]
    for i, e in enumerate(nxt):
        assert LOW <= e <= HIGH
        assert not any(same(e, other) for other in nxt[:i]), f"duplicate {e} in {nxt}"
        assert not any(same(e, t) for t in taken), f"{e} repeats a pending/measured point"

    # (c) re-observing the same observations changes nothing
    x0, y0 = (arr.copy() for arr in a.data()[:2])
    before = energies(a.suggest(1))
    a.observe(observations)
    a.observe(observations[:5])
    x1, y1 = a.data()[:2]
    np.testing.assert_array_equal(x0, x1)
    np.testing.assert_array_equal(y0, y1)
    after = energies(a.suggest(1))
    assert same(before[0], after[0])

    # (d) observation order does not matter (fresh strategies)
    shuffled = list(observations)
    random.Random(3).shuffle(shuffled)
    assert shuffled != observations
    b, c = make(), make()
    b.observe(observations)
    c.observe(shuffled)
    np.testing.assert_array_equal(b.data()[0], c.data()[0])
    np.testing.assert_array_equal(b.data()[1], c.data()[1])
    assert same(energies(b.suggest(1))[0], energies(c.suggest(1))[0])

    # (e) state round-trips through JSON
    state = json.loads(json.dumps(a.state()))
    restored = make()
    restored.observe(observations)
    restored.load_state(state)
    # what load_state took, not what replaying the observations rebuilt (batch_bo's
    # batches come from suggest calls only)
    assert json.loads(json.dumps(restored.state())) == state
    assert same(energies(a.suggest(1))[0], energies(restored.suggest(1))[0])
    query = np.linspace(LOW, HIGH, 37)
    mean_a, std_a = a.predict(query)
    mean_r, std_r = restored.predict(query)
    assert mean_a.shape == (37,)
    np.testing.assert_allclose(mean_r, mean_a, rtol=1e-9, atol=1e-12)
    if std_a is None:
        assert std_r is None
    else:
        np.testing.assert_allclose(std_r, std_a, rtol=1e-9, atol=1e-12)
    # the reconstruction is sensible: through the measured values, within their range
    measured = np.array([o.point["energy"] for o in observations])
    values = edge(measured)
    at_measured, _ = a.predict(measured)
    spread = np.ptp(values)
    np.testing.assert_allclose(at_measured, values, atol=0.05 * spread)
    assert np.all(mean_a >= values.min() - 0.1 * spread), mean_a
    assert np.all(mean_a <= values.max() + 0.1 * spread), mean_a


def test_configs_cover_every_strategy():
    assert set(CONFIGS) == set(STRATEGIES)


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_strategy_conformance(name):
    check_strategy(lambda: make_strategy(CONFIGS[name], SPACE))


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_strategy_rejects_bad_n_and_spectrum_only(name):
    strategy = make_strategy(CONFIGS[name], SPACE)
    for n in (0, -2, 1.5, True):
        with pytest.raises(InvalidParameterError):
            strategy.suggest(n)
    spectrum = Spectrum(np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    with pytest.raises(InvalidParameterError, match="scalar value"):
        strategy.observe([Observation(point={"energy": 9000.0}, spectrum=spectrum)])
    with pytest.raises(OutOfSpaceError):
        strategy.observe([Observation(point={"energy": 9500.0}, value=1.0)])
    assert strategy.data()[0].size == 0
