"""WarpedGP as a library: the shapes and ranges it takes, copies of its inputs, strict JSON."""

import json

import numpy as np
import pytest

from adaptive.errors import InvalidParameterError
from surrogates.warped_gp import WarpedGP

#: ``WarpedGP(grid_size=8).fit(linspace(0, 1, 5), sin(3 x)).state()`` as the code before
#: strict-JSON states saved it (with the constraints' bounds, inf among them), and its
#: predictions at ``OLD_QUERY``.
OLD_STATE = """{"x": [0.0, 0.25, 0.5, 0.75, 1.0], "y": [0.0, 0.6816387600233341,
0.9974949866040544, 0.7780731968879212, 0.1411200080598672], "warp": [0.0,
0.14285714285714285, 0.2857142857142857, 0.42857142857142855, 0.5714285714285714,
0.7142857142857142, 0.8571428571428571, 1.0], "next_warp": [0.0, 0.14115731363130188,
0.2829056266860128, 0.4254036371945328, 0.5685811581058156, 0.7122196024619386,
0.8560791102168673, 1.0], "hyper": {"likelihood.noise_covar.raw_noise": [-6.250017642328919],
"likelihood.noise_covar.raw_noise_constraint.lower_bound": 9.999999974752427e-07,
"likelihood.noise_covar.raw_noise_constraint.upper_bound": 0.05000000074505806,
"mean_module.raw_constant": -1.2160020833746916, "covar_module.raw_outputscale":
3.0260793068332577, "covar_module.base_kernel.raw_lengthscale": [[-0.3450867212149259]],
"covar_module.base_kernel.raw_lengthscale_constraint.lower_bound": 0.0,
"covar_module.base_kernel.raw_lengthscale_constraint.upper_bound": Infinity,
"covar_module.raw_outputscale_constraint.lower_bound": 0.0,
"covar_module.raw_outputscale_constraint.upper_bound": Infinity}}"""
OLD_QUERY = np.array([0.1, 0.45, 0.8])
OLD_MEAN = np.array([0.26991502, 0.97688749, 0.66569959])
OLD_STD = np.array([0.0487438, 0.02471429, 0.02704744])


@pytest.fixture(scope="module")
def gp():
    x = np.linspace(0.0, 1.0, 12)
    return WarpedGP(grid_size=64).fit(x, np.sin(4 * x))


def test_one_number_is_one_position(gp):
    mean, std = gp.predict(np.array([0.3]))
    for one in (0.3, np.array(0.3), np.float32(0.3)):
        got_mean, got_std = gp.predict(one)
        assert got_mean.shape == got_std.shape == (1,)
        np.testing.assert_allclose(got_mean, mean, rtol=1e-6)
        np.testing.assert_allclose(got_std, std, rtol=1e-5)


def test_a_column_is_taken_as_positions(gp):
    x = np.array([0.1, 0.5, 0.9])
    flat, column = gp.predict(x), gp.predict(x[:, None])
    for a, b in zip(flat, column, strict=True):
        assert b.shape == (3,)
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(
        gp.std_given_pending(x[:1, None], x[:, None]), gp.std_given_pending(x[:1], x)
    )


@pytest.mark.parametrize("x", [np.zeros((1, 3)), np.zeros((3, 2)), np.zeros((2, 1, 1))])
def test_other_shapes_are_refused_naming_the_one_taken(gp, x):
    with pytest.raises(InvalidParameterError, match=r"an \(m,\) array .* got shape"):
        gp.predict(x)


def test_positions_that_are_not_numbers_are_refused(gp):
    with pytest.raises(InvalidParameterError, match="must be numbers"):
        gp.predict(["a"])


def test_fit_refuses_positions_outside_0_1_saying_how_to_scale_them():
    energy = np.linspace(8800.0, 9300.0, 20)
    with pytest.raises(
        InvalidParameterError, match=r"x\[0\]=8800.0 .*\(x - low\) / \(high - low\)"
    ):
        WarpedGP(grid_size=64).fit(energy, np.tanh(energy - 9000.0))


def test_positions_a_rounding_outside_0_1_are_the_ends():
    x = np.linspace(0.0, 1.0, 6)
    x[0], x[-1] = -1e-12, 1 + 1e-12
    gp = WarpedGP(grid_size=64).fit(x, np.cos(3 * x))
    np.testing.assert_array_equal(gp.predict(x)[0], gp.predict(np.clip(x, 0, 1))[0])


@pytest.mark.parametrize("call", ["predict", "pending", "at"])
def test_queries_outside_0_1_are_refused_not_clamped(gp, call):
    outside = np.array([0.5, 1.5])
    with pytest.raises(InvalidParameterError, match=r"\[1\]=1.5 is not in \[0, 1\]"):
        if call == "predict":
            gp.predict(outside)
        elif call == "pending":
            gp.std_given_pending(outside)
        else:
            gp.std_given_pending(np.array([0.5]), outside)


def test_editing_the_callers_arrays_after_fit_changes_nothing():
    x = np.linspace(0.0, 1.0, 20)
    y = np.sin(6 * x)
    gp = WarpedGP(grid_size=64).fit(x, y)
    before = gp.predict(0.5)
    state = gp.state()
    x *= 0.5
    y[:] = 0.0
    np.testing.assert_array_equal(gp.predict(0.5), before)
    assert gp.state() == state


def test_state_is_strict_json_of_the_learned_parameters(gp):
    state = gp.state()
    text = json.dumps(state, allow_nan=False)
    assert all(key.rsplit(".", 1)[-1].startswith("raw_") for key in state["hyper"])
    other = WarpedGP(grid_size=64)
    other.load_state(json.loads(text))
    query = np.linspace(0, 1, 33)
    for a, b in zip(gp.predict(query), other.predict(query), strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-12)


def test_a_state_saved_with_the_constraints_bounds_still_loads_and_fits_on():
    old = WarpedGP(grid_size=8)
    old.load_state(json.loads(OLD_STATE))
    mean, std = old.predict(OLD_QUERY, band=False)  # the GP's own std, as saved then
    np.testing.assert_allclose(mean, OLD_MEAN, rtol=1e-7)
    np.testing.assert_allclose(std, OLD_STD, rtol=1e-6)
    json.dumps(old.state(), allow_nan=False)
    x = np.linspace(0.0, 1.0, 6)
    old.fit(x, np.sin(3 * x))  # warm-starts from the loaded hyperparameters
    assert np.isfinite(old.predict(OLD_QUERY)[0]).all()
