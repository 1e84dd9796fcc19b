from fractions import Fraction

import numpy as np
import pytest

from simulators import RecordedSpectrum
from simulators.agnp import AgNPSynthesis
from simulators.base import check_seed, is_finite_real
from simulators.xas import KEdgeXAS
from simulators.xmcd import XMCD
from simulators.xps import XPSSimulator

SEEDED = {
    "kedge": lambda seed: KEdgeXAS(seed=seed),
    "xmcd": lambda seed: XMCD(seed=seed),
    "agnp": lambda seed: AgNPSynthesis(seed=seed),
    "xps": lambda seed: XPSSimulator().sample(3, seed=seed),
}


def test_check_seed_keeps_integers_and_none():
    assert check_seed(None) is None
    assert check_seed(0) == 0
    assert check_seed(np.uint64(7)) == 7 and type(check_seed(np.uint64(7))) is int
    assert check_seed(2**70) == 2**70  # numpy's generators take any size


@pytest.mark.parametrize("make", SEEDED.values(), ids=SEEDED.keys())
@pytest.mark.parametrize("seed", ["a", 1.5, -1, True, [1]])
def test_every_simulator_refuses_a_bad_seed_by_name(make, seed):
    with pytest.raises(ValueError, match="seed must be a non-negative int or None, got"):
        make(seed)


def test_a_numpy_integer_seed_draws_like_the_int():
    a, b = XPSSimulator().sample(4, seed=np.int64(3)), XPSSimulator().sample(4, seed=3)
    np.testing.assert_array_equal(a.counts, b.counts)
    energy = np.linspace(8950.0, 9050.0, 5)
    np.testing.assert_array_equal(
        KEdgeXAS(seed=np.int32(5)).measure(energy), KEdgeXAS(seed=5).measure(energy)
    )


def test_is_finite_real_takes_ints_and_floats_without_numpy_errors():
    for value in (0, -3, 10**20, np.float32(2.5), np.int64(-7), 1e308):
        assert is_finite_real(value), value
    refused = (10**400, float("nan"), -np.inf, True, np.bool_(True), "1", 1 + 0j, None, [1])
    for value in (*refused, Fraction(1, 2)):
        assert not is_finite_real(value), value


def test_settings_beyond_numpy_are_refused_by_name():
    # a Fraction was taken here but refused by adaptive; one rule: an int or a float
    with pytest.raises(ValueError, match=r"^edge_step must be finite, got Fraction\(1, 2\); pass"):
        KEdgeXAS(edge_step=Fraction(1, 2))
    with pytest.raises(ValueError, match="^i0 must be a count with 0 < i0 <= 1e"):
        KEdgeXAS(i0=10**20)
    with pytest.raises(ValueError, match="^noise must be a finite number >= 0"):
        AgNPSynthesis(noise=10**400)


@pytest.mark.parametrize("make", [KEdgeXAS, XMCD])
@pytest.mark.parametrize(
    "energy",
    [
        *(9000 + 1j, np.array([700.0 + 0j]), object(), "abc", [700.0, [701.0, 702.0]]),
        *([{"e": 700}], "9000", None, [700.0, None], True),  # "9000" was measured at 9000 eV
    ],
    ids=["complex", "complex-array", "object", "string", "ragged", "dict"]
    + ["numeric-text", "none", "list-with-none", "bool"],
)
def test_energy_that_is_not_real_numbers_is_refused_by_name(make, energy):
    sim = make(seed=0)
    for call in (sim.measure, sim.measure_channels, sim.evaluate_true):
        with pytest.raises(ValueError, match="^energy must be a real number or an array of"):
            call(energy)


@pytest.mark.parametrize(
    "simulator",
    [
        KEdgeXAS(i0=1e4, seed=0),
        XMCD(i0=1e4, seed=0),
        RecordedSpectrum(
            np.linspace(8900.0, 9100.0, 41), np.linspace(0.1, 1.0, 41), i0=300, fluorescent=True
        ),
    ],
    ids=["xas", "xmcd", "fluorescent replay"],
)
def test_uncertainties_of_several_energies_are_those_of_each(simulator):
    # measure_channels of an array gave "truth value of an array ... is ambiguous"
    low, high = simulator.energy_range
    channels = simulator.measure_channels(np.linspace(low, high, 7).reshape(7, 1))
    several = simulator.uncertainties(channels)
    assert several and all(np.shape(spread) == (7, 1) for spread in several.values())
    for k in range(7):
        one = simulator.uncertainties({name: float(v[k, 0]) for name, v in channels.items()})
        assert all(type(spread) is float for spread in one.values())
        assert {name: several[name][k, 0] for name in one} == pytest.approx(one)
