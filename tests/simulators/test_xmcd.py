import numpy as np
import pytest

from simulators import XMCD


def test_dichroism_has_opposite_signs_at_l3_and_l2():
    sim = XMCD(i0=None)
    ch = sim.measure_channels(np.array([sim.l3_energy, sim.l2_energy]))
    assert ch["xmcd"][0] < 0 < ch["xmcd"][1]
    flipped = XMCD(i0=None, xmcd_l3=0.2, xmcd_l2=-0.1).measure_channels(707.0)
    assert flipped["xmcd"] > 0


@pytest.mark.parametrize("i0", [None, 1e5])
def test_channels_are_consistent(i0):
    sim = XMCD(i0=i0, seed=0)
    ch = sim.measure_channels(np.linspace(690.0, 740.0, 101))
    assert set(ch) == set(XMCD.channels)
    np.testing.assert_allclose(ch["mu_plus"] - ch["mu_minus"], ch["xmcd"], atol=1e-12)
    np.testing.assert_allclose((ch["mu_plus"] + ch["mu_minus"]) / 2, ch["mu_avg"], atol=1e-12)


def test_primary_is_helicity_average():
    sim = XMCD(i0=None)
    e = np.linspace(690.0, 740.0, 51)
    assert XMCD.primary == "mu_avg"
    np.testing.assert_allclose(sim.measure(e), sim.measure_channels(e)["mu_avg"])
    np.testing.assert_allclose(sim.evaluate_true(e), sim.measure(e))


def test_default_range_follows_the_edges():
    assert XMCD(i0=None).energy_range == (690.0, 740.0)  # Fe
    nickel = XMCD(i0=None, l3_energy=852.7, l2_energy=870.0)
    assert nickel.energy_range == pytest.approx((835.7, 890.0))
    low, high = nickel.energy_range
    mu = nickel.evaluate_true(np.array([low, high]))
    assert mu[1] - mu[0] == pytest.approx(1.0, abs=0.05)  # both edge steps inside


def test_edge_steps_have_two_to_one_branching():
    sim = XMCD(i0=None, white_line_l3=0.0, white_line_l2=0.0, energy_range=(600.0, 820.0))
    below, between, above = sim.evaluate_true(np.array([600.0, 713.5, 820.0]))
    assert (between - below) / (above - below) == pytest.approx(2 / 3, abs=0.03)
    assert above - below == pytest.approx(1.0, abs=0.01)


def test_noise_is_seeded_and_independent_per_helicity():
    e = np.full(2000, 730.0)
    a, b, c = (XMCD(seed=s).measure_channels(e) for s in (4, 4, 5))
    np.testing.assert_array_equal(a["xmcd"], b["xmcd"])
    assert not np.array_equal(a["xmcd"], c["xmcd"])
    assert abs(np.corrcoef(a["mu_plus"], a["mu_minus"])[0, 1]) < 0.1
    assert np.std(a["xmcd"]) > 0


def test_rejects_bad_energy_and_settings():
    with pytest.raises(ValueError, match="outside energy_range"):
        XMCD().measure(750.0)
    with pytest.raises(ValueError, match="l3_energy"):
        XMCD(l3_energy=725.0)
    with pytest.raises(ValueError, match="eta"):
        XMCD(eta=2.0)
