"""qLogNEI scored from the shared rows' posterior, computed once per pick, gives botorch's
values: known and learned noise, one-hot choices, pending points, near-duplicates."""

import warnings

import numpy as np
import pytest
import torch
from botorch.acquisition.logei import qLogNoisyExpectedImprovement
from botorch.sampling import SobolQMCNormalSampler
from linear_operator.utils.warnings import NumericalWarning

import surrogates.batch_acquisition as ba
from surrogates.recipe_gp import fit_recipe_gp
from surrogates.threads import seeded_torch
from tests.surrogates.test_batch_acquisition import CANDIDATES, MODEL, NONE, TRAIN_X

Y = -np.sum((TRAIN_X - 0.5) ** 2, axis=1)
MODELS = {
    "learned noise": (MODEL, TRAIN_X),
    "known noise": (fit_recipe_gp(TRAIN_X, Y, y_var=np.full(8, 1e-2)), TRAIN_X),
}


def one_hot_case():
    """A model whose column 0 is a categorical factor of 4 choices (one-hot kernel), its
    training inputs (14, 2) and candidates: every choice at 11 levels of column 1."""
    rng = np.random.default_rng(3)
    choice, level = rng.integers(4, size=14) / 3, rng.random(14)
    x = np.column_stack([choice, level])
    y = np.array([0.0, 0.8, -0.5, 0.7])[rng.integers(4, size=14)] - 2 * (level - 0.4) ** 2
    grid = np.array([[c / 3, t] for c in range(4) for t in np.linspace(0, 1, 11)])
    return fit_recipe_gp(x, y, choices={0: 4}), x, grid


def acquisition(model, train_x, pending, seed=3):
    """botorch's qLogNEI as ``sequential_qlognei`` builds it, on the whole training set."""
    return qLogNoisyExpectedImprovement(
        model,
        X_baseline=torch.as_tensor(train_x),
        X_pending=torch.as_tensor(pending) if len(pending) else None,
        sampler=SobolQMCNormalSampler(torch.Size([64]), seed=seed),
        prune_baseline=False,
        cache_root=False,
    )


def assert_botorchs_values(acq, candidates, n, atol=1e-9):
    """Up to rounding: covariances computed in other shapes differ in the last bits, which
    shared rows with a pivot of 1e-5 of their variance make 1e-8 of a value."""
    candidates = torch.as_tensor(candidates)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", NumericalWarning)  # jitter, as select_batch allows
        expected = acq(candidates[:, None, :])
        values = ba._qlognei_values(acq, candidates, n)
    np.testing.assert_allclose(values.numpy(), expected.numpy(), rtol=1e-8, atol=atol)


@pytest.mark.parametrize("with_pending", [False, True], ids=["no pending", "pending"])
@pytest.mark.parametrize("name", sorted(MODELS))
def test_values_are_botorchs(name, with_pending):
    model, x = MODELS[name]
    pending = CANDIDATES[:3] if with_pending else NONE
    assert_botorchs_values(acquisition(model, x, pending), CANDIDATES[3:], len(x))


@pytest.mark.parametrize("with_pending", [False, True], ids=["no pending", "pending"])
def test_values_are_botorchs_with_one_hot_choices(with_pending):
    model, x, grid = one_hot_case()
    copies = [5, 30] if with_pending else []
    acq = acquisition(model, x, grid[copies])
    assert_botorchs_values(acq, np.delete(grid, copies, axis=0), len(x))
    # a copy of a pending recipe (posterior variance 5e-8 here) is rounding-limited in
    # both: botorch jitters its factor (1e-8 on the diagonal, more improvement) on some
    # machines, not others; the shared rows give the copy no more than botorch does
    if not copies:
        return
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", NumericalWarning)
        candidates = torch.as_tensor(grid[copies])
        ours = ba._qlognei_values(acq, candidates, len(x)).numpy()
        assert np.all(ours <= acq(candidates[:, None, :]).numpy() + 1e-9)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_near_duplicates_of_shared_rows_get_botorchs_values(name):
    """A candidate on a pending point or training row leaves a pivot of about 0, which
    botorch may jitter: such candidates are botorch's to score."""
    model, x = MODELS[name]
    pending = CANDIDATES[:2]
    near = np.vstack([pending + 1e-9, pending + 1e-6, x[:3], x[:3] - 1e-8, CANDIDATES[2:12]])
    assert_botorchs_values(acquisition(model, x, pending), near, len(x))


@pytest.mark.parametrize(
    ("offset", "atol"), [(0.0, 1e-9), (1e-12, 1e-9), (1e-8, 1e-9), (1e-6, 1e-5)]
)
def test_a_pending_point_on_a_training_row_gets_botorchs_values(offset, atol):
    """The shared rows' own factor then has a pivot of about 0: 1e-16 of its variance at
    offset 0, 1e-14 at 1e-8 (botorch jitters it at 0 and 1e-12), below
    ``SHARED_PIVOT_FLOOR``, so botorch scores every candidate. At 1e-6 the pivot, 1e-10,
    is trusted, and the values are botorch's to 4e-6."""
    model, x = MODELS["known noise"]
    pending = np.vstack([x[4] + offset, CANDIDATES[0]])
    assert_botorchs_values(acquisition(model, x, pending), CANDIDATES[1:], len(x), atol)


def botorch_batch(model, candidates, train_x, pending, q, seed):
    """``select_batch("qlognei", ...)`` as a loop of botorch's acquisition: each pick
    scores every candidate with its own joint posterior."""
    candidates, train_x = torch.as_tensor(candidates), torch.as_tensor(train_x)
    chosen, values = [], []
    with seeded_torch(seed), torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", NumericalWarning)
        for _ in range(q):
            x_pending = torch.cat([torch.as_tensor(pending), candidates[chosen]])
            acq = qLogNoisyExpectedImprovement(
                model,
                X_baseline=ba._prune_baseline(model, train_x),  # the same global draws
                X_pending=x_pending if len(x_pending) else None,
                sampler=SobolQMCNormalSampler(torch.Size([64]), seed=seed),
                prune_baseline=False,
                cache_root=False,
            )
            scores = acq(candidates[:, None, :])
            scores[chosen] = -torch.inf
            chosen.append(int(torch.argmax(scores)))
            values.append(float(scores[chosen[-1]]))
    return chosen, values


def qlognei_picks(model, candidates, x, pending, q, seed):
    """``select_batch``'s qLogNEI picks, as it makes them where the posterior is not flat
    (the one-hot case's GP sees no signal: there ``select_batch`` fills the space)."""
    arrays = (torch.as_tensor(a, dtype=ba.DTYPE) for a in (candidates, x, pending))
    with seeded_torch(seed), warnings.catch_warnings():
        warnings.simplefilter("ignore", NumericalWarning)
        return ba.sequential_qlognei(model, *arrays, q, seed)


@pytest.mark.parametrize("case", ["known noise", "one-hot"])
def test_select_batch_picks_what_botorchs_loop_picks(case):
    if case == "one-hot":
        model, x, candidates = one_hot_case()
        pending = candidates[[7]]
    else:
        (model, x), candidates, pending = MODELS[case], CANDIDATES, CANDIDATES[:1] + 1e-9
    expected = botorch_batch(model, candidates, x, pending, 5, seed=2)
    chosen, values = qlognei_picks(model, candidates, x, pending, 5, seed=2)
    assert chosen == expected[0]
    np.testing.assert_allclose(values, expected[1], rtol=1e-8, atol=1e-9)


def test_each_pick_asks_the_posterior_for_each_candidate_once(monkeypatch):
    """Not for each candidate jointly with every shared row (m (r + 1) points a pick)."""
    model = fit_recipe_gp(TRAIN_X, Y)
    points = []
    posterior = model.posterior

    def spy(X, *args, **kwargs):
        points.append(X.shape[:-1].numel())
        return posterior(X, *args, **kwargs)

    monkeypatch.setattr(model, "posterior", spy)
    ba.select_batch("qlognei", model, CANDIDATES, TRAIN_X, CANDIDATES[:2] + 0.01, 3)
    # per pick: the baseline ranking (8), the shared rows (r <= 12), those with the 50;
    # once: the 50 for whether the posterior std is flat
    assert sum(points) <= 3 * (len(TRAIN_X) + 2 * 12 + len(CANDIDATES)) + len(CANDIDATES)


def test_dense_recipes_are_scored_from_the_shared_rows_with_botorchs_picks(monkeypatch):
    """120 recipes in 2-D, half within 0.03 of the best: the shared rows' factor is nearly
    singular (least pivot 2e-8 of its variance), which the posterior's own rounding
    decides in either computation. The shared rows score it (botorch's loop is ~7x slower
    here, and ~15x at 150 recipes), picking what botorch picks, values within 1e-2 in log."""
    rng = np.random.default_rng(0)
    x = np.vstack([rng.random((60, 2)), np.clip(rng.normal([0.3, 0.7], 0.03, (60, 2)), 0, 1)])
    y = -np.sum((x - [0.3, 0.7]) ** 2, axis=1) + rng.normal(0, 0.01, len(x))
    model = fit_recipe_gp(x, y)
    candidates = rng.random((600, 2))
    pending, candidates = candidates[:5], candidates[5:]
    with seeded_torch(2), torch.no_grad():
        shared = torch.cat(
            [ba._prune_baseline(model, torch.as_tensor(x)), torch.as_tensor(pending)]
        )
        covariance = model.posterior(shared).distribution.covariance_matrix
    pivots = torch.linalg.cholesky(covariance).diagonal() ** 2 / covariance.diagonal()
    assert ba.SHARED_PIVOT_FLOOR < pivots.min() < ba.PIVOT_TOLERANCE  # the case at hand
    expected = botorch_batch(model, candidates, x, pending, 5, seed=2)
    scored_by_botorch = []
    evaluate = ba._evaluate
    monkeypatch.setattr(
        ba, "_evaluate", lambda acq, c, *a: scored_by_botorch.append(len(c)) or evaluate(acq, c, *a)
    )
    chosen, values = qlognei_picks(model, candidates, x, pending, 5, seed=2)
    assert chosen == expected[0]
    np.testing.assert_allclose(values, expected[1], atol=1e-2)
    assert sum(scored_by_botorch) < 0.05 * 5 * len(candidates)
