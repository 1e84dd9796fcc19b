"""Readings spaced closer than ``SAME_POSITION`` are not chained into one position (review
C29): a driver's 0.5 eV steps over an edge made one "position" of 101 energies, left out as
one mean, and the band there came out about 80 times the GP's own std."""

import numpy as np

from surrogates.warped_gp import SAME_POSITION, WarpedGP, _positions

SD = 0.01  # each reading's known noise


def test_no_position_spans_more_than_same_position():
    x = np.random.default_rng(0).permutation(np.arange(0.0, 0.1, 0.0004))
    groups = _positions(x)
    assert all(np.ptp(x[g]) <= SAME_POSITION for g in groups)
    assert np.array_equal(np.sort(np.concatenate(groups)), np.arange(x.size))
    assert len(groups) == 125  # pairs 0.0004 apart, each 0.0008 from the next pair


def test_dense_steps_over_an_edge_leave_a_band_near_the_gps_own_std():
    rng = np.random.default_rng(1)
    x = np.r_[np.linspace(0.0, 0.4, 40, endpoint=False), np.arange(0.4, 0.6, 0.0004)]
    x = np.r_[x, np.linspace(0.6, 1.0, 40)]
    # an edge off the block's centre, and wiggles above it: the block's mean is not its
    # neighbours'
    y = np.tanh((x - 0.45) / 0.01) + 0.3 * (x > 0.45) * np.sin(40 * x)
    y = y + rng.normal(0.0, SD, x.size)
    gp = WarpedGP(grid_size=512).fit(x, y, np.full(x.size, SD**2))
    near = np.linspace(0.42, 0.58, 51)
    _, own = gp.predict(near, band=False)
    _, band = gp.predict(near)
    # chained into one position, the band was 85 times the GP's own std here
    assert np.median(band) < 3 * np.median(own)
