"""Past ``refit_until`` points a fit re-learns the hyperparameters only once the data grew by
``refit_growth``; in between the stored ones condition the new data."""

import numpy as np
import pytest

from adaptive.errors import InvalidParameterError
from surrogates.warped_gp import WarpedGP


def data(n):
    x = np.linspace(0.0, 1.0, n)
    return x, np.sin(5 * x) + 0.3 * x


def hyper(gp):
    return {k: np.asarray(v) for k, v in gp.state()["hyper"].items()}


def same(a, b):
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def test_hyperparameters_are_relearned_only_after_growth():
    gp = WarpedGP(grid_size=64, refit_until=5, refit_growth=0.5)
    gp.fit(*data(6))  # none stored yet: learned on 6
    learned = hyper(gp)
    gp.fit(*data(8))  # 8 < 1.5 x 6: conditioned on the stored ones
    assert same(hyper(gp), learned)
    x, y = data(8)
    mean, _ = gp.predict(x)
    np.testing.assert_allclose(mean, y, atol=0.05)  # the new points are in the posterior
    gp.fit(*data(9))  # 9 >= 1.5 x 6: learned again
    assert not same(hyper(gp), learned)


def test_every_fit_learns_up_to_refit_until():
    gp = WarpedGP(grid_size=64, refit_until=8, refit_growth=10.0)
    gp.fit(*data(6))
    learned = hyper(gp)
    gp.fit(*data(8))
    assert not same(hyper(gp), learned)


def test_switching_between_known_and_learned_noise_relearns():
    gp = WarpedGP(grid_size=64, refit_until=3, refit_growth=10.0)
    x, y = data(6)
    gp.fit(x, y)
    learned = hyper(gp)
    gp.fit(x, y, np.full(x.size, 1e-4))
    assert not same({k: v for k, v in hyper(gp).items() if k in learned}, learned)


def test_a_restored_model_relearns_when_the_original_does():
    gp = WarpedGP(grid_size=64, refit_until=5, refit_growth=0.5)
    gp.fit(*data(6))
    restored = WarpedGP(grid_size=64, refit_until=5, refit_growth=0.5)
    restored.load_state(gp.state())
    for n in (8, 9):
        gp.fit(*data(n))
        restored.fit(*data(n))
        assert same(hyper(restored), hyper(gp))
        np.testing.assert_array_equal(restored.grid_posterior()[0], gp.grid_posterior()[0])


def test_grid_posterior_is_the_gps_own_prediction_on_the_grid():
    gp = WarpedGP(grid_size=64).fit(*data(7))
    mean, std = gp.grid_posterior()
    own_mean, own_std = gp.predict(gp.grid, band=False)
    np.testing.assert_array_equal(mean, own_mean)
    np.testing.assert_array_equal(std, own_std)
    np.testing.assert_array_equal(gp.std_given_pending(np.array([])), own_std)
    with pytest.raises(ValueError):
        mean[0] = 1.0  # shared by the fit and the acquisition: read-only
    gp.fit(*data(9))
    assert not np.array_equal(gp.grid_posterior()[0], own_mean)  # refreshed by the fit


@pytest.mark.parametrize(
    "settings", [{"refit_until": 1}, {"refit_growth": -0.1}, {"refit_growth": float("nan")}]
)
def test_bad_refit_settings_are_refused(settings):
    with pytest.raises(InvalidParameterError, match=next(iter(settings))):
        WarpedGP(**settings)
