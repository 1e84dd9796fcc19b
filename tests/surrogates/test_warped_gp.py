import json

import numpy as np
import pytest

from adaptive.errors import InvalidParameterError
from surrogates.warped_gp import WarpedGP


def smooth(x):
    return np.sin(2 * np.pi * x) + 0.5 * x


def step(x):
    return np.arctan((x - 0.6) / 0.01) / np.pi + 0.5


@pytest.fixture(scope="module")
def fitted():
    x = np.linspace(0.0, 1.0, 15)
    return WarpedGP(grid_size=256).fit(x, smooth(x)), x


def test_predict_shapes(fitted):
    gp, _ = fitted
    mean, std = gp.predict(np.linspace(0, 1, 33))
    assert mean.shape == std.shape == (33,)
    grid_mean, grid_std = gp.predict(gp.grid)
    assert grid_mean.shape == grid_std.shape == (256,)
    assert np.all(std >= 0) and np.all(np.isfinite(mean))


def test_interpolates_noise_free_training_points(fitted):
    gp, x = fitted
    mean, std = gp.predict(x)
    np.testing.assert_allclose(mean, smooth(x), atol=1e-3 * np.ptp(smooth(x)))
    between = (x[:-1] + x[1:]) / 2
    mean_between, _ = gp.predict(between)
    np.testing.assert_allclose(mean_between, smooth(between), atol=0.05)


def test_std_small_at_data_larger_between_distant_points():
    x = np.array([0.0, 0.05, 0.1, 0.9, 0.95, 1.0])
    gp = WarpedGP(grid_size=256).fit(x, np.cos(3 * x))
    _, std_at = gp.predict(x)
    _, std_gap = gp.predict(np.array([0.5]))
    assert std_at.max() < 0.1 * std_gap[0]
    assert std_gap[0] > 0


def test_warp_is_monotone_and_steepest_at_the_step():
    x = np.linspace(0.0, 1.0, 25)
    gp = WarpedGP(grid_size=512)
    np.testing.assert_array_equal(gp.warp, gp.grid)  # identity before any fit
    gp.fit(x, step(x))
    gp.fit(x, step(x))  # the second fit uses the warp derived from the first
    warp = gp.warp
    assert warp[0] == pytest.approx(0.0) and warp[-1] == pytest.approx(1.0)
    assert np.all(np.diff(warp) > 0)
    slope = np.gradient(warp, gp.grid)
    # |f''| vanishes at the inflection point itself and peaks on the shoulders,
    # so the density is judged over the step's neighbourhood.
    near = np.abs(gp.grid - 0.6) < 0.1
    assert slope[near].mean() > 2 * slope[~near].mean()
    steepest = gp.grid[int(np.argmax(slope))]
    assert abs(steepest - 0.6) < 0.1, steepest


def test_predict_before_fit_raises():
    with pytest.raises(InvalidParameterError, match="before fit"):
        WarpedGP().predict(np.array([0.5]))
    assert WarpedGP().state() == {}


@pytest.mark.parametrize(
    "x, y",
    [
        (np.array([0.5]), np.array([1.0])),
        (np.zeros(3), np.zeros(4)),
        (np.zeros((2, 2)), np.zeros((2, 2))),
    ],
)
def test_fit_rejects_bad_shapes(x, y):
    with pytest.raises(InvalidParameterError):
        WarpedGP().fit(x, y)


def test_state_round_trip_gives_identical_predictions(fitted):
    gp, _ = fitted
    state = json.loads(json.dumps(gp.state()))
    other = WarpedGP(grid_size=256)
    other.load_state(state)
    query = np.linspace(0, 1, 101)
    mean_a, std_a = gp.predict(query)
    mean_b, std_b = other.predict(query)
    np.testing.assert_allclose(mean_b, mean_a, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(std_b, std_a, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(other.warp, gp.warp)


def test_load_state_rejects_garbage():
    with pytest.raises(InvalidParameterError):
        WarpedGP().load_state({"x": [0.0, 1.0]})


def test_std_given_pending_collapses_at_pending_point():
    x = np.array([0.0, 0.05, 0.1, 0.9, 0.95, 1.0])
    gp = WarpedGP(grid_size=256).fit(x, np.cos(3 * x))
    x_before, y_before = gp._x.copy(), gp._y.copy()
    mean_before, std_before = gp.predict(gp.grid, band=False)  # the GP's own, as ranked
    k = int(np.argmax(std_before))
    pending = np.array([gp.grid[k]])
    std = gp.std_given_pending(pending)
    assert std.shape == (256,)
    assert 0.3 < gp.grid[k] < 0.7  # the widest gap
    assert std[k] < 0.05 * std_before[k]
    assert np.all(std <= std_before + 1e-9)
    np.testing.assert_allclose(gp.std_given_pending(np.array([])), std_before)
    # the data and the posterior are untouched
    np.testing.assert_array_equal(gp._x, x_before)
    np.testing.assert_array_equal(gp._y, y_before)
    mean_after, std_after = gp.predict(gp.grid, band=False)
    np.testing.assert_array_equal(mean_after, mean_before)
    np.testing.assert_array_equal(std_after, std_before)


@pytest.mark.parametrize(
    "x, y",
    [
        (np.linspace(0, 1, 5), np.array([0.0, 1.0, np.nan, 1.0, 0.0])),
        (np.array([0.0, 0.5, np.inf]), np.zeros(3)),
    ],
    ids=["nan y", "inf x"],
)
def test_fit_rejects_non_finite_points(x, y):
    with pytest.raises(InvalidParameterError, match="finite"):
        WarpedGP(grid_size=64).fit(x, y)


def test_load_state_rejects_another_grid_size(fitted):
    gp, _ = fitted
    with pytest.raises(InvalidParameterError, match="grid_size=256"):
        WarpedGP(grid_size=128).load_state(gp.state())


def test_std_given_pending_at_chosen_points_matches_the_grid(fitted):
    gp, _ = fitted
    pending = np.array([0.33])
    on_grid = gp.std_given_pending(pending)
    np.testing.assert_allclose(
        gp.std_given_pending(pending, gp.grid[[10, 100]]), on_grid[[10, 100]]
    )


def test_the_band_follows_each_fit_and_the_positions_asked():
    # the misfit widening the band is kept between calls: it must follow a refit and x
    x = np.linspace(0.0, 1.0, 12)
    query = np.linspace(0.0, 1.0, 41)
    gp = WarpedGP(grid_size=256).fit(x, smooth(x))
    first = gp.predict(query)[1]
    np.testing.assert_allclose(gp.predict(query[::2])[1], first[::2], rtol=1e-9)
    noisy = smooth(x) + 0.3 * np.cos(40 * x)  # the same points, a worse fit
    gp.fit(x, noisy)
    unasked = WarpedGP(grid_size=256).fit(x, smooth(x)).fit(x, noisy)
    np.testing.assert_allclose(gp.predict(query)[1], unasked.predict(query)[1], rtol=1e-9)
    assert not np.allclose(gp.predict(query)[1], first)


@pytest.mark.parametrize(
    "options",
    [
        {"exponent": -0.5},
        {"exponent": float("inf")},
        {"exponent": "0.5"},
        {"floor": 1.5},
        {"floor": -0.1},
        {"floor": 0.0},
        {"floor": float("nan")},
        {"smoothing": -1.0},
        {"smoothing": None},
    ],
)
def test_warp_settings_outside_their_ranges_are_refused(options):
    (key,) = options
    with pytest.raises(InvalidParameterError, match=rf"{key}=.* must be a finite number"):
        WarpedGP(**options)


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"nu": 2.0}, "nu=2.0 must be 0.5, 1.5 or 2.5"),
        ({"nu": "2.5"}, "nu='2.5' must be 0.5, 1.5 or 2.5"),
        ({"grid_size": 1}, "grid_size=1 must be an integer >= 2"),
        ({"grid_size": 256.0}, "grid_size=256.0 must be an integer >= 2"),
        ({"fit_iterations": 0}, "fit_iterations=0 must be an integer >= 1"),
        ({"fit_iterations": None}, "fit_iterations=None must be an integer >= 1"),
        ({"min_noise": 0.0}, "min_noise=0.0 and max_noise=0.05 must be finite"),
        ({"min_noise": 0.1}, "0 < min_noise < max_noise"),
        ({"max_noise": float("nan")}, "max_noise=nan must be finite"),
        ({"max_noise": "0.1"}, "max_noise='0.1' must be finite"),
    ],
)
def test_model_settings_outside_their_ranges_are_refused(options, match):
    with pytest.raises(InvalidParameterError, match=match):
        WarpedGP(**options)


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"exponent": 400}, r"exponent=400 must be a finite number in \[0, 10\] \(a larger power"),
        ({"exponent": 10.01}, r"exponent=10.01 must be a finite number in \[0, 10\]"),
        ({"smoothing": 1e300}, r"smoothing=1e\+300 must be a finite number in \[0, 2048\]"),
        ({"smoothing": 1e7}, r"smoothing=10000000.0 .* \[0, 2048\] \(grid cells"),
        ({"smoothing": 65, "grid_size": 64}, r"smoothing=65 must be .* in \[0, 64\]"),
    ],
)
def test_warp_settings_that_would_overflow_or_stall_the_fit_are_refused(options, match):
    """exponent=400 overflowed the density to inf (NaN warp, failed Cholesky on every
    later fit); smoothing=1e7 took 24 s and 6 GB a fit, 1e300 a builtin ValueError."""
    with pytest.raises(InvalidParameterError, match=match):
        WarpedGP(**options)


def test_the_largest_exponent_and_smoothing_still_fit_a_sharp_edge():
    gp = WarpedGP(grid_size=256, exponent=10, smoothing=0)
    x = np.linspace(0.0, 1.0, 12)
    for _ in range(3):
        gp.fit(x, np.tanh((x - 0.5) / 0.01))
    for warp in (gp.warp, gp._next_warp):
        assert np.all(np.isfinite(warp)) and np.all(np.diff(warp) > 0)
    assert np.isfinite(WarpedGP(grid_size=64, smoothing=64).fit(x, x**2).grid_posterior()[0]).all()


def test_model_settings_at_the_ends_of_their_ranges_are_taken():
    WarpedGP(grid_size=2, smoothing=2, nu=0.5, fit_iterations=1, min_noise=1e-9, max_noise=1e-8)


def test_the_smallest_floor_keeps_a_flat_spectrum_warp_invertible():
    """A flat mean has no curvature: only the floor spreads the warp over [0, 1]."""
    gp = WarpedGP(floor=0.01)
    x = np.linspace(0.0, 1.0, 8)
    for _ in range(3):
        gp.fit(x, np.ones(8))
    assert np.all(np.diff(gp.warp) > 0)
