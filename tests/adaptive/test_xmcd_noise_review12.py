"""A noisy XMCD scan: each channel's reading carries its counting uncertainty, and a scan
whose GP explains its readings as noise on a flat line does not call itself converged."""

import numpy as np
import pytest

from adaptive.records import Observation
from adaptive.space import Dimension, Space
from adaptive.strategies import EnergyScan
from drivers import SimulatedInstrument
from simulators import XMCD


@pytest.mark.parametrize("channel", ["xmcd", "mu_avg", "mu_plus", "mu_minus"])
def test_an_xmcd_reading_reports_the_scatter_of_its_channel(channel):
    # the XMCD channels reported none, so noisy scans learned a noise level capped far below
    instrument = SimulatedInstrument(XMCD(i0=1e3, seed=0), channel=channel)
    instrument.move({"energy": 707.0})  # the L3 white line: tens of counts
    readings = [instrument.read() for _ in range(4000)]
    scatter = np.std([r.value for r in readings])
    stated = np.sqrt(np.mean([r.uncertainty**2 for r in readings]))
    assert stated == pytest.approx(scatter, rel=0.1)


def test_noise_on_a_flat_line_is_not_a_converged_scan():
    # held noise let the GP read a buried signal as flat and certain: "converged: posterior
    # std 0.00% ... of the signal range" (the readings' range), after 25 of 60 points
    space = Space((Dimension("energy", low=0.0, high=1.0),))
    scan = EnergyScan(space, edge_prior=False, tolerance=0.05)
    rng = np.random.default_rng(0)
    for k in range(40):
        (suggestion,) = scan.suggest(1)
        reading = Observation(suggestion.point, value=float(rng.normal(0, 0.1)), uncertainty=0.1)
        scan.observe([Observation(**{**reading.__dict__, "time": float(k)})])
    scan.suggest(1)
    assert scan.stop_reason() is None
