import numpy as np
import pytest

from simulators.agnp import AgNPSynthesis
from simulators.base import check_seed
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
