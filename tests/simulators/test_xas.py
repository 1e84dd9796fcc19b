import numpy as np
import pytest

from simulators import KEdgeXAS


@pytest.mark.parametrize("edge", [8979.0, 7112.0])
def test_edge_is_at_edge_energy(edge):
    sim = KEdgeXAS(edge_energy=edge, i0=None)
    e = np.arange(edge - 30.0, edge + 30.0, 0.05)
    slope = np.gradient(sim.evaluate_true(e), e)
    assert abs(e[slope.argmax()] - edge) < 2.0


def test_default_range_and_edge_step():
    sim = KEdgeXAS(i0=None, white_line_amplitude=0.0, pre_edge_slope=0.0, shells=())
    assert sim.energy_range == (8779.0, 9979.0)
    assert sim.evaluate_true(9979.0) - sim.evaluate_true(8779.0) == pytest.approx(1.0, abs=0.01)


def test_scalar_in_scalar_out_array_in_array_out():
    sim = KEdgeXAS(seed=0)
    assert isinstance(sim.evaluate_true(9000.0), float)
    assert isinstance(sim.measure(9000.0), float)
    assert isinstance(sim.measure_channels(9000.0)["i1"], float)
    e = np.full((2, 3), 9000.0)
    assert sim.evaluate_true(e).shape == (2, 3)
    assert sim.measure(e).shape == (2, 3)
    assert set(sim.measure_channels(e)) == set(KEdgeXAS.channels)


def test_noise_free_measure_equals_evaluate_true():
    sim = KEdgeXAS(i0=None)
    e = np.linspace(*sim.energy_range, 301)
    np.testing.assert_array_equal(sim.measure(e), sim.evaluate_true(e))


def test_seeded_noise_is_reproducible_and_seeds_differ():
    e = np.linspace(8900.0, 9300.0, 200)
    a, b, c = (KEdgeXAS(seed=s).measure(e) for s in (1, 1, 2))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_channels_are_consistent_counts():
    sim = KEdgeXAS(i0=1e5, seed=3)
    ch = sim.measure_channels(np.linspace(8900.0, 9300.0, 50))
    np.testing.assert_array_equal(ch["i0"], 1e5)
    assert np.all(ch["i1"] == np.round(ch["i1"]))
    np.testing.assert_allclose(ch["mu"], np.log(ch["i0"] / ch["i1"]) - sim.mu_offset)


def test_noise_is_unbiased_and_shrinks_like_one_over_sqrt_i0():
    e = np.full(4000, 9050.0)
    stds = {}
    for i0 in (1e4, 1e6):
        sim = KEdgeXAS(i0=i0, seed=7)
        mu = sim.measure(e)
        true = sim.evaluate_true(9050.0)
        stds[i0] = mu.std()
        expected_std = np.exp((true + sim.mu_offset) / 2) / np.sqrt(i0)
        assert stds[i0] == pytest.approx(expected_std, rel=0.1)
        assert abs(mu.mean() - true) < 5 * expected_std / np.sqrt(e.size)
    assert stds[1e4] / stds[1e6] == pytest.approx(10.0, rel=0.15)


@pytest.mark.parametrize("energy", [8000.0, 10000.0, np.nan, np.inf, [9000.0, np.nan]])
def test_measure_rejects_bad_energies(energy):
    sim = KEdgeXAS(seed=0)
    for method in (sim.measure, sim.measure_channels, sim.evaluate_true):
        with pytest.raises(ValueError, match="energy"):
            method(energy)


def test_out_of_range_message_names_value_and_range():
    expected = r"12000\.0 eV is outside energy_range \(8779\.0, 9979\.0\)"
    with pytest.raises(ValueError, match=expected):
        KEdgeXAS().measure(12000.0)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"i0": 0.0},
        {"i0": -5.0},
        {"energy_range": (9000.0, 8000.0)},
        {"energy_range": (8000.0, np.inf)},
        {"edge_width": 0.0},
        {"exafs_onset_k": 0.0},
        {"shells": [(1.0, -2.5, 0.01, 0.0)]},
    ],
)
def test_bad_settings_raise(kwargs):
    with pytest.raises(ValueError, match="got"):
        KEdgeXAS(**kwargs)


@pytest.mark.parametrize("edge", [np.nan, np.inf])
def test_a_non_finite_edge_energy_is_named(edge):
    with pytest.raises(ValueError, match="edge_energy must be finite"):
        KEdgeXAS(edge_energy=edge, i0=None)
