"""An energy scan whose lattice is too coarse for its edge stops once every energy it can read
is read, and says its band is over tolerance there (review X22): it judged the band and the
change between lattice energies, where no reading lowers them, and never stopped, re-reading
lattice energies (99 identical readings noise-free); and re-read energies narrowed the band
at the edge without adding information."""

import numpy as np

from adaptive.records import Observation
from adaptive.space import Dimension, Space
from adaptive.strategies import EnergyScan
from simulators import KEdgeXAS

LOW, HIGH, STEP = 8960.0, 9000.0, 2.0  # eV: 21 lattice energies, the edge at 8979 eV
MOST = 60  # readings: the old code had not stopped by then


def scan_to_the_stop(simulator: KEdgeXAS) -> tuple[EnergyScan, str | None]:
    """The scan of ``simulator`` over LOW-HIGH on the STEP lattice, to its stop or MOST
    readings, and its stop reason."""
    scan = EnergyScan(Space((Dimension("energy", low=LOW, high=HIGH, units="eV", step=STEP),)))
    for k in range(MOST):
        (suggestion,) = scan.suggest(1)
        channels = simulator.measure_channels(suggestion.point["energy"])
        uncertainty = simulator.uncertainties(channels).get("mu")
        scan.observe(
            [Observation(suggestion.point, channels["mu"], uncertainty=uncertainty, time=k)]
        )
        reason = scan.stop_reason()
        if reason is not None:
            return scan, reason
    return scan, None


def test_a_lattice_too_coarse_for_the_edge_stops_and_says_its_band_is_over_tolerance():
    simulator = KEdgeXAS(seed=1, energy_range=(LOW, HIGH), i0=None)
    scan, reason = scan_to_the_stop(simulator)
    energies, readings = np.unique(scan.data()[0], return_counts=True)
    assert reason is not None, f"no stop in {MOST} readings, {readings.max()} at one energy"
    # stopped at 27, every lattice energy read, none more than twice (7 times before)
    assert energies.size == round((HIGH - LOW) / STEP) + 1 and readings.max() <= 2
    # the band it reports stays over tolerance at the edge, and the reason says so
    assert scan.last_max_std > scan.tolerance
    assert reason.startswith("resolution-limited") and f"{STEP:g} eV apart on the lattice" in reason
    # and that band holds the truth between the lattice energies (63 % before, now 87 %)
    edge = np.linspace(8970.0, 8990.0, 401)
    mean, band = scan.predict(edge)
    assert np.mean(np.abs(mean - simulator.evaluate_true(edge)) < 2 * band) > 0.8
