"""Predicted losses and diverse picks for the spectrum network's batches."""

import numpy as np
import pytest

from adaptive.errors import InvalidParameterError
from surrogates import net_acquisition
from surrogates.net_acquisition import pick_diverse, predicted_loss
from surrogates.spectrum_net import SpectrumNet


def test_picks_the_best_scores_that_keep_their_distance():
    x = np.array([[0.0, 0.0], [0.01, 0.0], [0.5, 0.5], [1.0, 1.0], [0.52, 0.5]])
    score = np.array([0.0, 0.1, 0.2, 0.9, 0.3])
    assert pick_diverse(score, x, 3, 0.1, np.empty((0, 2))) == [0, 2, 3]


def test_keeps_away_from_pending_and_fills_the_batch_when_space_runs_out():
    x = np.array([[0.0, 0.0], [0.01, 0.0], [0.02, 0.0]])
    score = np.array([0.0, 0.1, 0.2])
    assert pick_diverse(score, x, 2, 0.1, np.array([[0.0, 0.0]])) == [0, 1]
    assert pick_diverse(score, x, 1, 0.1, np.array([[1.0, 1.0]])) == [0]


def test_empty_pending_and_an_empty_batch():
    x = np.array([[0.9, 0.9], [0.1, 0.9], [0.5, 0.5]])
    score = np.array([0.0, 0.1, 0.2])
    assert pick_diverse(score, x, 2, 0.05, []) == [0, 1]
    assert pick_diverse(score, x, 0, 0.05, np.empty((0, 2))) == []


@pytest.mark.parametrize("order", [list(range(12)), [5, 0, 9, 6, 1, 4, 3, 11, 2, 7, 10, 8]])
def test_another_choice_is_far_whatever_its_place_in_the_list(order):
    """Of 12 choices, neighbours in the list are 1/11 < 0.1 apart as indices; one-hot,
    every other choice is sqrt(2) away, so the batch does not depend on the listing."""

    def recipe(choice: int) -> list[float]:
        return [order.index(choice) / 11, 0.5]

    x = np.array([recipe(5), recipe(6), recipe(0)])
    score = np.array([0.0, 0.1, 0.2])
    pending = np.array([recipe(4)])
    assert pick_diverse(score, x, 2, 0.1, pending, choices={0: 12}) == [0, 1]
    with pytest.raises(InvalidParameterError, match="choices must map categorical columns"):
        pick_diverse(score, x, 2, 0.1, pending, choices={2: 12})


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"avoid": np.array([0.1, 0.9])}, r"avoid must be a 2-D array .*avoid\[None, :\]"),
        ({"avoid": np.zeros((1, 3))}, "avoid has 3 columns but the candidates x have 2"),
        ({"avoid": np.array([[0.1, np.nan]])}, "not finite"),
        ({"n": -1}, "n=.* must be an integer >= 0"),
        ({"n": 2.5}, "n=.* must be an integer >= 0"),
        ({"n": True}, "n=.* must be an integer >= 0"),
        ({"min_distance": -0.1}, "min_distance"),
        ({"min_distance": float("nan")}, "min_distance"),
        ({"score": np.zeros(2)}, r"score must have shape \(3,\)"),
        ({"x": np.array([0.1, 0.2, 0.3])}, "x must be a 2-D array"),
    ],
)
def test_bad_input_is_an_invalid_parameter(kwargs, match):
    args = {
        "score": np.array([0.0, 0.1, 0.2]),
        "x": np.array([[0.9, 0.9], [0.1, 0.9], [0.5, 0.5]]),
        "n": 1,
        "min_distance": 0.05,
        "avoid": np.empty((0, 2)),
    } | kwargs
    with pytest.raises(InvalidParameterError, match=match):
        pick_diverse(**args)


class StubNet:
    """Member spectra (M, m, w) known in advance."""

    def __init__(self, members: np.ndarray):
        self.members = members

    def predict_members(self, x: np.ndarray) -> np.ndarray:
        assert len(x) == self.members.shape[1]
        return self.members


def loop_loss(members: np.ndarray, losses) -> tuple[np.ndarray, np.ndarray]:
    """Mean and spread over members, one member at a time."""
    per_member = np.stack([losses(member) for member in members])  # (M, m)
    return per_member.mean(axis=0), per_member.std(axis=0)


def sum_loss(spectra: np.ndarray) -> np.ndarray:
    assert spectra.ndim == 2
    return np.abs(spectra - np.linspace(0, 1, spectra.shape[1])).sum(axis=1)


def test_predicted_loss_summarises_each_members_loss():
    members = np.random.default_rng(0).random((3, 4, 7))  # 3 members, 4 recipes
    mean, std = predicted_loss(StubNet(members), sum_loss, np.zeros((4, 2)))
    expected_mean, expected_std = loop_loss(members, sum_loss)
    np.testing.assert_allclose(mean, expected_mean, rtol=1e-12)
    np.testing.assert_allclose(std, expected_std, rtol=1e-12)
    assert mean.shape == std.shape == (4,) and (std > 0).all()


def test_predicted_loss_of_a_fitted_net():
    rng = np.random.default_rng(0)
    x = rng.random((12, 2))
    spectra = np.sin(np.outer(x[:, 0] + x[:, 1], np.linspace(0, 3, 20)))
    net = SpectrumNet(n_members=3, epochs=20, seed=0).fit(x, spectra)
    candidates = rng.random((5, 2))
    mean, std = predicted_loss(net, sum_loss, candidates)
    expected_mean, expected_std = loop_loss(net.predict_members(candidates), sum_loss)
    np.testing.assert_allclose(mean, expected_mean, rtol=1e-12)
    np.testing.assert_allclose(std, expected_std, rtol=1e-12)
    assert (std > 0).all()


def test_predicted_loss_scores_many_candidates_in_chunks_with_the_same_result(monkeypatch):
    """Predicted spectra take ~100 KB per candidate, so no call predicts more than CHUNK."""
    rng = np.random.default_rng(1)
    x = rng.random((12, 2))
    spectra = np.sin(np.outer(x[:, 0] + x[:, 1], np.linspace(0, 3, 20)))
    net = SpectrumNet(n_members=2, epochs=20, seed=0).fit(x, spectra)
    candidates = rng.random((2 * net_acquisition.CHUNK + 5, 2))
    expected_mean, expected_std = loop_loss(net.predict_members(candidates), sum_loss)
    sizes = []
    predict = net.predict_members
    monkeypatch.setattr(net, "predict_members", lambda x: sizes.append(len(x)) or predict(x))
    mean, std = predicted_loss(net, sum_loss, candidates)
    assert sizes == [net_acquisition.CHUNK, net_acquisition.CHUNK, 5]
    # equal up to float32 rounding, which torch's kernels vary with the number of rows
    np.testing.assert_allclose(mean, expected_mean, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(std, expected_std, rtol=1e-5, atol=1e-5)
