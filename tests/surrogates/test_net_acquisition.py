"""Diverse picks for the spectrum network's batches."""

import numpy as np

from surrogates.net_acquisition import pick_diverse


def test_picks_the_best_scores_that_keep_their_distance():
    x = np.array([[0.0, 0.0], [0.01, 0.0], [0.5, 0.5], [1.0, 1.0], [0.52, 0.5]])
    score = np.array([0.0, 0.1, 0.2, 0.9, 0.3])
    assert pick_diverse(score, x, 3, 0.1, np.empty((0, 2))) == [0, 2, 3]


def test_keeps_away_from_pending_and_fills_the_batch_when_space_runs_out():
    x = np.array([[0.0, 0.0], [0.01, 0.0], [0.02, 0.0]])
    score = np.array([0.0, 0.1, 0.2])
    assert pick_diverse(score, x, 2, 0.1, np.array([[0.0, 0.0]])) == [0, 1]
    assert pick_diverse(score, x, 1, 0.1, np.array([[1.0, 1.0]])) == [0]
