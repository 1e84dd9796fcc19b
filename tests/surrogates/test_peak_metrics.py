"""The benchmark's success criterion for peak fits."""

import numpy as np
import pytest

from adaptive.errors import InvalidParameterError
from surrogates.peak_metrics import match_peaks

TRUE_CENTER = np.array([284.0, 286.0, 290.0])
TRUE_AREA = np.array([100.0, 50.0, 80.0])


def test_close_fit_succeeds_with_errors_per_pair():
    fit_center = TRUE_CENTER[::-1] + np.array([0.1, -0.15, 0.05])
    fit_area = TRUE_AREA[::-1] * np.array([1.1, 0.85, 1.0])
    match = match_peaks(TRUE_CENTER, TRUE_AREA, fit_center, fit_area)
    assert match.success
    assert sorted(match.pairs) == [(0, 2), (1, 1), (2, 0)]
    assert match.missed == [] and match.extra == []
    errors = dict(zip(match.pairs, match.center_abs_err, strict=True))
    assert errors[(0, 2)] == pytest.approx(0.05)
    assert errors[(2, 0)] == pytest.approx(0.1)


def test_centre_beyond_tolerance_is_a_missed_peak():
    fit_center = TRUE_CENTER + np.array([0.0, 0.25, 0.0])
    match = match_peaks(TRUE_CENTER, TRUE_AREA, fit_center, TRUE_AREA)
    assert not match.success
    assert match.missed == [1] and match.extra == [1]
    assert match_peaks(TRUE_CENTER, TRUE_AREA, fit_center, TRUE_AREA, center_tol=0.3).success


def test_missing_peak_fails():
    match = match_peaks(TRUE_CENTER, TRUE_AREA, TRUE_CENTER[:2], TRUE_AREA[:2])
    assert not match.success and match.missed == [2]


def test_area_outside_tolerance_fails():
    fit_area = TRUE_AREA * np.array([1.0, 1.25, 1.0])
    match = match_peaks(TRUE_CENTER, TRUE_AREA, TRUE_CENTER, fit_area)
    assert not match.success
    assert match.missed == [] and match.area_rel_err[1] == pytest.approx(0.25)


@pytest.mark.parametrize("extra_area, success", [(0.04 * TRUE_AREA.sum(), True), (30.0, False)])
def test_extra_peak_fails_only_above_the_area_fraction(extra_area, success):
    fit_center = np.append(TRUE_CENTER, 295.0)
    fit_area = np.append(TRUE_AREA, extra_area)
    match = match_peaks(TRUE_CENTER, TRUE_AREA, fit_center, fit_area)
    assert match.success is success
    assert match.extra == [3]


def test_assignment_is_optimal_not_greedy():
    # Greedy nearest-first pairs true 0.0 with 0.12 and leaves 0.3 unmatched; the
    # optimal assignment pairs both within 0.2 eV.
    true_center, fit_center = np.array([0.0, 0.3]), np.array([0.12, -0.19])
    match = match_peaks(true_center, np.ones(2), fit_center, np.ones(2))
    assert match.success
    assert sorted(match.pairs) == [(0, 1), (1, 0)]


def test_no_fitted_peaks():
    match = match_peaks(TRUE_CENTER, TRUE_AREA, np.array([]), np.array([]))
    assert not match.success and match.missed == [0, 1, 2] and match.pairs == []


@pytest.mark.parametrize(
    "args, message",
    [
        ((np.array([1.0, np.nan]), np.ones(2), np.ones(1), np.ones(1)), "true_center"),
        ((np.ones(2), np.ones(3), np.ones(1), np.ones(1)), "differ in length"),
        ((np.ones(2), np.ones(2), np.ones((1, 1)), np.ones(1)), "fit_center"),
    ],
)
def test_bad_input_is_rejected(args, message):
    with pytest.raises(InvalidParameterError, match=message):
        match_peaks(*args)


@pytest.mark.parametrize(
    "keyword, value",
    [
        ("center_tol", 0.0),
        ("center_tol", -0.1),
        ("area_tol", -0.2),
        ("extra_area_fraction", np.nan),
    ],
)
def test_bad_tolerance_is_rejected(keyword, value):
    # center_tol = 0 made every pair cost the out-of-tolerance penalty (0): exact fits failed.
    with pytest.raises(InvalidParameterError, match=keyword):
        match_peaks(np.zeros(1), np.ones(1), np.zeros(1), np.ones(1), **{keyword: value})


def test_non_positive_true_area_is_rejected():
    with pytest.raises(InvalidParameterError, match="true_area must be positive"):
        match_peaks(np.zeros(1), np.zeros(1), np.zeros(1), np.zeros(1))
