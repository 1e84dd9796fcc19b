"""A window of a few counts per point: the network's grid reads every point."""

import numpy as np

from simulators.lineshapes import xps_peak
from surrogates import PeakFitter
from surrogates.peak_net import prepare_spectra

E = np.arange(920.0, 972.0, 0.05)  # 1,040 points: a step of the 256-point grid spans 4


def test_a_line_of_a_few_counts_per_point_is_found():
    # read one point in four, the network found this line in 1 of 8 draws (and none of
    # Cu 2p metal at 1/1000 of its counts in 4 draws); averaged, in 4 of 8 (4 of 4)
    rate = 0.5 + 6.0 * xps_peak(E, 932.7, 1.0, 0.3) + 3.0 * xps_peak(E, 952.5, 1.5, 0.3)
    found = 0
    for seed in range(8):
        counts = np.random.default_rng(seed).poisson(rate).astype(float)
        fit = PeakFitter().fit(E, counts)
        found += any(abs(p.center - 932.7) < 0.3 for p in fit.peaks)
    assert found >= 3


def test_every_point_counts_on_the_grid():
    spike = np.zeros(E.size)
    spike[1::4] = 100.0  # points the grid's linear interpolation never reads
    prepared = prepare_spectra(E[None], (10.0 + spike)[None], subtract_background=False)
    assert prepared.scale[0] > 0 and np.ptp(prepared.x) == 0  # averaged: 35 everywhere
