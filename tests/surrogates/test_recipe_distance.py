"""One distance between recipes: another choice of a categorical factor is 1 apart,
whichever it is, in fill-space, local penalisation, the network's picks and designs."""

import numpy as np
import pytest
import torch

from adaptive import designs
from adaptive.designs import latin_hypercube
from surrogates.batch_acquisition import _fill_space
from surrogates.net_acquisition import pick_diverse
from tests.spaces import agnp_space

#: column 0 a 3-choice categorical (choices at 0, 0.5 and 1), column 1 continuous
CHOICES = {0: 3}


def test_another_choice_is_one_apart_whichever_it_is():
    from surrogates.one_hot import recipe_distance

    x = np.array([[0.0, 0.3], [0.5, 0.3], [1.0, 0.3], [0.5, 0.7]])
    distances = recipe_distance(x, x[0], CHOICES)
    assert distances.tolist() == pytest.approx([0.0, 1.0, 1.0, np.hypot(1.0, 0.4)])
    # tensors too, and the centre's own column of choices is not rewritten
    centre = torch.tensor([0.5, 0.3], dtype=torch.float64)
    assert recipe_distance(torch.as_tensor(x), centre, [0]).tolist() == pytest.approx(
        [1.0, 0.0, 1.0, 0.4]
    )
    assert centre.tolist() == [0.5, 0.3]


def test_pick_diverse_keeps_the_spacing_fill_space_measures():
    # rows 0 and 1 differ only in the categorical, row 2 also in x
    x = np.array([[0.0, 0.0], [0.5, 0.0], [1.0, 1.0]])
    _, (gap,) = _fill_space(torch.as_tensor(x[1:2]), torch.as_tensor(x[:1]), 1, [0])
    assert gap == pytest.approx(1.0)  # rows 0 and 1 are 1 apart
    score = np.array([0.0, 1.0, 2.0])
    none = np.empty((0, 2))
    # just over that distance keeps row 1 out (it was sqrt(2) apart one-hot), just under not
    assert pick_diverse(score, x, 2, gap + 1e-6, none, CHOICES) == [0, 2]
    assert pick_diverse(score, x, 2, gap - 1e-6, none, CHOICES) == [0, 1]


def test_maximin_ignores_the_order_of_the_choices():
    rng = np.random.default_rng(0)
    u = rng.random((200, 3))
    u[:, 0] = rng.integers(0, 3, 200) / 2  # a 3-choice categorical: 0, 0.5, 1
    swapped = u.copy()
    swapped[:, 0] = np.select([u[:, 0] == 0.0, u[:, 0] == 0.5], [0.5, 0.0], 1.0)
    assert designs._maximin(swapped, 12, [0]) == designs._maximin(u, 12, [0])


def test_a_seeded_design_without_categorical_factors_is_unchanged():
    points = latin_hypercube(agnp_space(60.0), 6, seed=5)  # constrained: greedy maximin
    expected = [
        (16.176365, 15.982746, 7.970933, 9.899889, 632.0),
        (8.176518, 32.150295, 3.727083, 2.801536, 201.0),
        (10.201907, 20.967457, 27.578867, 0.888533, 413.0),
        (35.70905, 16.908103, 3.329041, 4.045396, 243.0),
        (9.730822, 10.540723, 21.115256, 16.35728, 261.0),
        (12.450412, 28.161669, 15.204333, 0.56501, 824.0),
    ]
    assert [tuple(p.values()) for p in points] == [pytest.approx(e, abs=1e-6) for e in expected]
