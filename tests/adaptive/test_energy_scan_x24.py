"""Review X24: a dilute edge on a sloping background stopped "converged" too early. The stop's
scale, the feature range, was floored at a tenth of the reconstruction's whole range: for a
0.02 Fe edge step on a background falling by 0.72 that floor (0.07) set it, three times the
features' own range, and the scan stopped at 136 points 6.3 % of the step off at the edge
(5.1 times the band), its reason silent about the floor."""

import numpy as np
import pytest

from adaptive.strategies import energy_scan
from adaptive.strategies.energy_scan import MIN_FEATURE_RANGE, _feature_range
from simulators import KEdgeXAS

ENERGY = np.linspace(6900.0, 8000.0, 1024)  # the grid of a reconstruction over the scan
EDGE = KEdgeXAS(edge_energy=7112.0, energy_range=(6900.0, 8000.0), pre_edge_slope=0.0, i0=None)
FEATURES = 0.02 * EDGE.evaluate_true(ENERGY)  # a dilute sample's edge step, white line, EXAFS
SLOPE = 2.0 - 0.72 * (ENERGY - ENERGY[0]) / np.ptp(ENERGY)  # its background, 36 times as tall


def test_a_dilute_edge_on_a_slope_is_scaled_by_its_features_not_the_background():
    assert _feature_range(SLOPE + FEATURES) == pytest.approx(_feature_range(FEATURES), rel=1e-9)
    assert _feature_range(SLOPE + FEATURES) < 0.5 * 0.1 * np.ptp(SLOPE + FEATURES)


def test_where_the_floor_sets_the_feature_range_the_note_for_the_stop_reason_says_so():
    faint = SLOPE + FEATURES / 10  # the background 360 times the features
    assert _feature_range(faint) == pytest.approx(MIN_FEATURE_RANGE * np.ptp(faint))
    note = energy_scan._floor_note(faint)
    assert note.startswith(f"the feature range is its floor, {100 * MIN_FEATURE_RANGE:g}%")
    features = _feature_range(FEATURES) / 10
    assert f"less the line through its ends it spans only {features:.3g}" in note
    # where the features set it, the reason has no note
    assert energy_scan._floor_note(SLOPE + FEATURES) is None
    assert energy_scan._floor_note(FEATURES) is None
