"""qLogNEI's baseline is capped: a GP that sees no signal made every pick slow."""

import numpy as np
import torch
from botorch.acquisition.utils import prune_inferior_points

import surrogates.batch_acquisition as ba
from surrogates.recipe_gp import fit_recipe_gp

#: ``ba.MAX_BASELINE``, spelt out so that code without it fails on the size itself.
CAP = 32


def spy_on_baselines(monkeypatch) -> list[torch.Tensor]:
    """The training baseline of each qLogNEI that ``sequential_qlognei`` builds, as
    pruned (botorch's ``_X_baseline``: ``X_baseline`` adds the pending points)."""
    baselines = []

    class Spy(ba.qLogNoisyExpectedImprovement):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            baselines.append(self._X_baseline)

    monkeypatch.setattr(ba, "qLogNoisyExpectedImprovement", Spy)
    return baselines


def rows_of(subset: torch.Tensor, x: np.ndarray) -> list[int]:
    """Indices of the rows of ``x`` (n, d) that ``subset`` (k, d) holds."""
    return [int(np.flatnonzero((x == row).all(axis=1))[0]) for row in subset.numpy()]


def test_a_pure_noise_objective_keeps_at_most_max_baseline_points(monkeypatch):
    rng = np.random.default_rng(0)
    x, candidates = rng.random((60, 5)), rng.random((40, 5))
    # pure noise at its known variance: nearly every recipe may be the best one
    model = fit_recipe_gp(x, rng.normal(size=60), y_var=np.ones(60))
    baselines = spy_on_baselines(monkeypatch)
    chosen, _ = ba.select_batch("qlognei", model, candidates, x, np.empty((0, 5)), 2)
    assert len(set(chosen)) == 2 and len(baselines) == 2
    for baseline in baselines:
        assert len(baseline) <= CAP  # botorch's own pruning kept 59 of the 60
        assert len(set(rows_of(baseline, x))) == len(baseline)


def test_the_capped_baseline_keeps_the_likely_best_points(monkeypatch):
    # 40 recipes far below the rest, 60 level ones that may each be the best
    x = np.linspace(0.0, 1.0, 100)[:, None]
    model = fit_recipe_gp(x, np.where(x[:, 0] < 0.4, -10.0, 0.0), y_var=np.full(100, 4.0))
    baselines = spy_on_baselines(monkeypatch)
    ba.select_batch("qlognei", model, np.array([[0.45], [0.55]]), x, np.empty((0, 1)), 1)
    (baseline,) = baselines
    assert 0 < len(baseline) <= CAP
    assert min(rows_of(baseline, x)) >= 40  # botorch's max_frac cap keeps rows 1, 2, ...


def test_below_the_cap_the_baseline_is_botorchs_pruned_one():
    rng = np.random.default_rng(3)
    x = rng.random((30, 2))
    model = fit_recipe_gp(x, -np.sum((x - 0.5) ** 2, axis=1) + 0.1 * rng.normal(size=30))
    train_x = torch.as_tensor(x)
    torch.manual_seed(7)
    expected = prune_inferior_points(model, train_x)
    torch.manual_seed(7)
    assert torch.equal(ba._prune_baseline(model, train_x), expected)
    assert 1 < len(expected) < ba.MAX_BASELINE == CAP
