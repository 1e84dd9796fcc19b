"""Batch selection over a finite candidate set."""

import numpy as np
import pytest

from surrogates.batch_acquisition import BATCH_METHODS, select_batch
from surrogates.recipe_gp import fit_recipe_gp


@pytest.mark.parametrize("method", sorted(BATCH_METHODS))
def test_a_batch_larger_than_the_candidates_left_takes_them_all(method):
    train_x = np.array([[0.0], [0.5], [1.0]])
    model = fit_recipe_gp(train_x, np.array([0.0, 1.0, 0.2]))
    candidates = np.array([[0.25], [0.75]])
    chosen, values = select_batch(method, model, candidates, train_x, np.empty((0, 1)), 3)
    assert sorted(chosen) == [0, 1] and len(values) == 2
    assert select_batch(method, model, candidates[:0], train_x, np.empty((0, 1)), 3) == ([], [])
