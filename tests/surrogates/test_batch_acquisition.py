"""Batch selection over a finite candidate set."""

import numpy as np
import pytest

from adaptive.errors import InvalidParameterError
from surrogates.batch_acquisition import BATCH_METHODS, MAX_JOINT, select_batch
from surrogates.recipe_gp import fit_recipe_gp, posterior_mean_std


@pytest.mark.parametrize("method", sorted(BATCH_METHODS))
def test_a_batch_larger_than_the_candidates_left_takes_them_all(method):
    train_x = np.array([[0.0], [0.5], [1.0]])
    model = fit_recipe_gp(train_x, np.array([0.0, 1.0, 0.2]))
    candidates = np.array([[0.25], [0.75]])
    chosen, values = select_batch(method, model, candidates, train_x, np.empty((0, 1)), 3)
    assert sorted(chosen) == [0, 1] and len(values) == 2
    assert select_batch(method, model, candidates[:0], train_x, np.empty((0, 1)), 3) == ([], [])


RNG = np.random.default_rng(0)
TRAIN_X = RNG.random((8, 2))
MODEL = fit_recipe_gp(TRAIN_X, -np.sum((TRAIN_X - 0.5) ** 2, axis=1))
CANDIDATES = RNG.random((50, 2))
NONE = np.empty((0, 2))


@pytest.mark.parametrize(
    "change, message",
    [
        ({"pending": RNG.random((2, 3))}, r"pending has shape \(2, 3\) but the model takes 2"),
        ({"pending": np.full(2, 0.5)}, r"pending must be a 2-D array.*x\[None, :\]"),
        ({"train_x": RNG.random((6, 3))}, r"train_x has shape \(6, 3\)"),
        ({"candidates": CANDIDATES[:, :1]}, r"candidates has shape \(50, 1\)"),
        ({"candidates": np.vstack([CANDIDATES, [[np.nan, 0.5]]])}, r"candidates\[50, 0\] = nan"),
        ({"candidates": [["a", "b"]]}, "candidates must be a numeric array, but it holds text"),
        ({"q": 2.0}, f"q=2.0 must be an integer from 1 to {MAX_JOINT}"),
        ({"q": -1}, "q=-1"),
        ({"q": 0}, "q=0"),
        ({"q": True}, "q=True"),
        ({"method": "magic"}, "unknown batch method 'magic'"),
    ],
)
def test_bad_inputs_are_refused(change, message):
    args = {"method": "ucb", "candidates": CANDIDATES, "train_x": TRAIN_X, "pending": NONE, "q": 3}
    args.update(change)
    with pytest.raises(InvalidParameterError, match=message):
        select_batch(model=MODEL, **args)


def test_candidates_may_be_nested_lists():
    as_array = select_batch("ucb", MODEL, CANDIDATES, TRAIN_X, NONE, 3)
    assert select_batch("ucb", MODEL, CANDIDATES.tolist(), TRAIN_X.tolist(), NONE, 3) == as_array


def spy_on_joint_sizes(monkeypatch, model) -> list[int]:
    """Points per joint posterior that ``model`` is asked for, one entry per call."""
    joint = []
    posterior = model.posterior

    def spy(*args, **kwargs):
        joint.append((args[0] if args else kwargs["X"]).shape[-2])
        return posterior(*args, **kwargs)

    monkeypatch.setattr(model, "posterior", spy)
    return joint


def test_thompson_draws_jointly_over_a_ucb_shortlist_only(monkeypatch):
    model = fit_recipe_gp(TRAIN_X, -np.sum((TRAIN_X - 0.5) ** 2, axis=1))
    candidates = np.random.default_rng(1).random((MAX_JOINT + 500, 2))
    joint = spy_on_joint_sizes(monkeypatch, model)
    chosen, _ = select_batch("thompson", model, candidates, TRAIN_X, NONE, 3, seed=1)
    assert max(joint) == MAX_JOINT  # the UCB pass looks at one candidate at a time
    mean, std = posterior_mean_std(model, candidates)
    top = set(np.argsort(-(mean + np.sqrt(2.0) * std))[:MAX_JOINT].tolist())
    assert len(set(chosen)) == 3 and set(chosen) <= top
    assert select_batch("thompson", model, candidates, TRAIN_X, NONE, 3, seed=1)[0] == chosen


def test_local_penalization_takes_no_joint_posterior_over_the_candidates(monkeypatch):
    model = fit_recipe_gp(TRAIN_X, -np.sum((TRAIN_X - 0.5) ** 2, axis=1))
    joint = spy_on_joint_sizes(monkeypatch, model)
    chosen, _ = select_batch("local_penalization", model, CANDIDATES, TRAIN_X, NONE, 3)
    assert len(set(chosen)) == 3
    assert max(joint) == len(TRAIN_X)  # the best mean over the training points; else 1
