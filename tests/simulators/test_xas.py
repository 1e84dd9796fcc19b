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


E0 = 8979.0


def shape_difference(energy, **changed):
    """Noise-free mu with ``changed`` settings minus the default noise-free mu."""
    return KEdgeXAS(i0=None, **changed).evaluate_true(energy) - KEdgeXAS(i0=None).evaluate_true(
        energy
    )


@pytest.mark.parametrize("edge_step", [1.0, 2.0])
def test_white_line_is_a_lorentzian_at_e0_plus_offset_scaled_by_edge_step(edge_step):
    e = np.arange(E0 - 30.0, E0 + 30.0, 0.01)
    white = KEdgeXAS(i0=None, edge_step=edge_step).evaluate_true(e) - KEdgeXAS(
        i0=None, edge_step=edge_step, white_line_amplitude=0.0
    ).evaluate_true(e)
    assert abs(e[white.argmax()] - (E0 + 3.0)) < 0.5  # documented white_line_offset = +3 eV
    assert white.max() == pytest.approx(0.4 * edge_step, rel=1e-6)  # amplitude x edge_step
    half = e[white >= white.max() / 2]
    assert half[-1] - half[0] == pytest.approx(5.0, abs=0.03)  # white_line_fwhm
    # Seen in the whole spectrum: the maximum near the edge is the white line.
    mu = KEdgeXAS(i0=None, edge_step=edge_step).evaluate_true(e)
    assert abs(e[mu.argmax()] - (E0 + 3.0)) < 0.5


def test_pre_edge_peak_is_a_gaussian_at_e0_minus_seven():
    e = np.arange(E0 - 30.0, E0 + 10.0, 0.01)
    pre = -shape_difference(e, pre_edge_amplitude=0.0)
    assert abs(e[pre.argmax()] - (E0 - 7.0)) < 0.05
    assert pre.max() == pytest.approx(0.05, rel=1e-6)
    half = e[pre >= pre.max() / 2]
    assert half[-1] - half[0] == pytest.approx(1.5, abs=0.03)  # pre_edge_fwhm
    # Seen in the whole spectrum: the only local maximum below the edge, near E0 - 7.
    mu = KEdgeXAS(i0=None).evaluate_true(e[e < E0 - 2.0])
    rising, falling = np.diff(mu)[:-1] > 0, np.diff(mu)[1:] <= 0
    (peaks,) = np.nonzero(rising & falling)
    assert peaks.size == 1 and abs(e[peaks[0] + 1] - (E0 - 7.0)) < 0.5


def test_pre_edge_slope_is_referenced_to_the_edge_energy():
    e = np.array([E0 - 150.0, E0, E0 + 500.0])
    np.testing.assert_allclose(
        shape_difference(e, pre_edge_slope=1e-3), (1e-3 + 2e-4) * (e - E0), atol=1e-12
    )


def test_exafs_matches_the_documented_formula_by_hand():
    shells = ((4.0, 2.55, 0.0087, -1.0), (1.5, 3.61, 0.012, 0.8))
    e = np.array([E0 + 5.0, E0 + 20.0, E0 + 80.0, E0 + 300.0, E0 + 700.0])
    with_exafs = KEdgeXAS(i0=None, shells=shells).evaluate_true(e)
    exafs = with_exafs - KEdgeXAS(i0=None, shells=()).evaluate_true(e)
    k = np.sqrt(0.2624682917 * (e - E0))
    chi = sum(
        a * np.exp(-2 * k**2 * s2) * np.sin(2 * k * r + phase) / (k * r**2)
        for a, r, s2, phase in shells
    )
    window = 1 - np.exp(-((k / 2.5) ** 2))  # exafs_onset_k = 2.5
    step = 0.5 + np.arctan((e - E0) / 1.5) / np.pi  # edge_width = 1.5
    np.testing.assert_allclose(exafs, step * window * chi, rtol=1e-9, atol=1e-12)
    assert np.abs(exafs).max() > 1e-3  # the comparison is not trivially zero
    # Below the edge there is no EXAFS at all.
    below = np.array([E0 - 100.0, E0])
    np.testing.assert_array_equal(
        KEdgeXAS(i0=None, shells=shells).evaluate_true(below),
        KEdgeXAS(i0=None, shells=()).evaluate_true(below),
    )


def test_numpy_and_integer_settings_are_accepted():
    e = np.linspace(8900.0, 9300.0, 41)
    sim = KEdgeXAS(i0=None, edge_energy=np.float64(E0), edge_step=1, exafs_onset_k=np.int64(3))
    expected = KEdgeXAS(i0=None, exafs_onset_k=3.0).evaluate_true(e)
    np.testing.assert_array_equal(sim.evaluate_true(e), expected)
    assert isinstance(sim.edge_step, float)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"edge_step": np.nan}, "edge_step"),
        ({"edge_step": True}, "edge_step"),
        ({"pre_edge_amplitude": np.nan}, "pre_edge_amplitude"),
        ({"pre_edge_slope": np.nan}, "pre_edge_slope"),
        ({"pre_edge_offset": np.inf}, "pre_edge_offset"),
        ({"white_line_amplitude": np.inf}, "white_line_amplitude"),
        ({"white_line_offset": np.nan}, "white_line_offset"),
        ({"exafs_onset_k": np.inf}, "exafs_onset_k"),
        ({"pre_edge_fwhm": 0.0}, "pre_edge_fwhm"),
        ({"pre_edge_fwhm": 0.0, "pre_edge_amplitude": 0.0}, "pre_edge_fwhm"),
        ({"white_line_fwhm": -1.0}, "white_line_fwhm"),
        ({"edge_width": "1.5"}, "edge_width"),
        ({"edge_energy": "8979"}, "edge_energy"),
        ({"mu_offset": "1"}, "mu_offset"),
        ({"i0": "1e6"}, "i0"),
        ({"i0": 1e20}, "i0"),
        ({"energy_range": (8000.0,)}, "energy_range"),
        ({"energy_range": ("8000", "9000")}, "energy_range"),
        ({"shells": [(np.nan, 2.5, 0.01, 0.0)]}, r"shells\[0\] amplitude"),
        ({"shells": [(1.0, 2.5, 0.01, np.inf)]}, r"shells\[0\] phase"),
        ({"shells": [(1.0, 2.5, 0.01, 0.0), (1.0, 0.0, 0.01, 0.0)]}, r"shells\[1\] R"),
        ({"shells": [(1.0, 2.5, -0.01, 0.0)]}, r"shells\[0\] sigma2"),
        ({"shells": [(1.0, 2.5, 0.01)]}, "shells must be a sequence of"),
        ({"shells": 4.0}, "shells must be a sequence of"),
    ],
)
@pytest.mark.parametrize("i0", [None, 1e6])
def test_bad_settings_are_refused_by_name(kwargs, name, i0):
    kwargs = {"i0": i0} | kwargs
    with pytest.raises(ValueError, match=f"^{name} .*got"):
        KEdgeXAS(**kwargs)


def test_i0_up_to_the_poisson_limit_works():
    sim = KEdgeXAS(i0=1e18, seed=0)
    true = sim.evaluate_true(9050.0)
    assert sim.measure(9050.0) == pytest.approx(true, abs=1e-6)


def test_counts_beyond_the_poisson_limit_are_refused_clearly():
    sim = KEdgeXAS(mu_offset=-60.0, seed=0)  # transmitted fraction exp(60) > 1
    with pytest.raises(ValueError, match="lower i0 or raise mu_offset"):
        sim.measure(9050.0)


def test_mu_beyond_ln_i0_is_refused_with_the_values_and_the_fix():
    """Once undone: edge_step=20 at i0=1e6 measured ln(i0) - mu_offset = 12.8 flat above the
    edge, as the transmitted counts I0 exp(-mu - mu_offset) rounded to zero."""
    expected = (
        r"^the noise-free mu reaches 24\.4 at 8982\.16 eV: with mu_offset = 1, 25\.4 exceeds "
        r"ln\(i0 / 10\) = 11\.5 \(i0 = 1e\+06\), so under 10 transmitted counts are expected "
        r"there and many noisy readings would clip at ln\(i0\) - mu_offset; lower edge_step, "
        r"white_line_amplitude, pre_edge_amplitude or mu_offset, or raise i0 to at least "
        r"1\.2e\+12, or pass "
        r"i0=None for noise-free measurements$"
    )
    with pytest.raises(ValueError, match=expected):
        KEdgeXAS(edge_step=20.0)
    with pytest.raises(
        ValueError, match=r"with mu_offset = 20, 21\.2 exceeds ln\(i0 / 10\) = 11\.5"
    ):
        KEdgeXAS(mu_offset=20.0)
    with pytest.raises(ValueError, match=r"reaches 1\.22e\+03 .*or mu_offset, or pass i0=None"):
        KEdgeXAS(edge_step=1000.0)  # no countable i0 would do
    KEdgeXAS(edge_step=20.0, i0=None)  # noise-free is always allowed
    sim = KEdgeXAS(edge_step=20.0, i0=1.2e12, seed=0)
    assert np.unique(sim.measure(np.full(200, 8982.16))).size > 1  # noisy, not clipped flat


def test_a_narrow_peak_between_grid_energies_is_seen():
    with pytest.raises(ValueError, match=r"reaches 20\.\d at 8972 eV"):
        KEdgeXAS(pre_edge_amplitude=20.0, pre_edge_fwhm=1e-3)


def test_the_borderline_i0_is_accepted_and_just_below_it_refused():
    # Defaults: mu + mu_offset peaks at 2.2208 = ln(92.15 / 10).
    KEdgeXAS(i0=92.2)
    with pytest.raises(ValueError, match=r"ln\(i0 / 10\) = 2\.22 .*raise i0 to at least 93,"):
        KEdgeXAS(i0=92.1)
    sim = KEdgeXAS(edge_step=8.0, seed=0)  # mu + mu_offset up to 10.8 < ln(1e6 / 10) = 11.5
    assert np.unique(sim.measure(np.full(200, 8982.16))).size > 1


def test_default_seeded_draws_are_unchanged():
    counts = KEdgeXAS(seed=0).measure_channels(np.array([8900.0, 8982.0, 9100.0]))["i1"]
    np.testing.assert_array_equal(counts, [360034.0, 107903.0, 136059.0])
