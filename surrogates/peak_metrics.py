"""Whether a peak fit recovered the true peaks: the benchmark's success criterion."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from adaptive.arrays import is_finite_real
from adaptive.errors import InvalidParameterError


@dataclass(frozen=True)
class PeakMatch:
    """True peaks paired with fitted peaks.

    Attributes:
        success: every true peak is paired with a centre within tolerance and an area
            within tolerance, and no unpaired fitted peak is larger than the allowed
            fraction of the total true area.
        pairs: ``(true_index, fit_index)`` of the pairs within the centre tolerance.
        center_abs_err: (len(pairs),) absolute centre errors of the pairs, eV.
        area_rel_err: (len(pairs),) ``(fit_area - true_area) / true_area`` of the pairs.
        missed: indices of true peaks without a pair.
        extra: indices of fitted peaks without a pair (large or small).
    """

    success: bool
    pairs: list[tuple[int, int]]
    center_abs_err: np.ndarray
    area_rel_err: np.ndarray
    missed: list[int]
    extra: list[int]


def _vector(name: str, values: np.ndarray) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    if array.ndim != 1 or not np.all(np.isfinite(array)):
        raise InvalidParameterError(
            f"{name} must be a 1-D array of finite numbers, got {values!r}; "
            "slice NaN-padded rows to their number of peaks"
        )
    return array


def match_peaks(
    true_center: np.ndarray,
    true_area: np.ndarray,
    fit_center: np.ndarray,
    fit_area: np.ndarray,
    center_tol: float = 0.2,
    area_tol: float = 0.2,
    extra_area_fraction: float = 0.05,
) -> PeakMatch:
    """Pair true and fitted peaks by an optimal assignment on centre distance.

    The assignment first maximises the number of pairs within ``center_tol``, then
    minimises their total centre distance; pairs further apart count as unmatched.

    Args:
        true_center: (k,) true centres, eV.
        true_area: (k,) true areas.
        fit_center: (j,) fitted centres, eV.
        fit_area: (j,) fitted areas.
        center_tol: largest centre distance of a pair, eV (> 0).
        area_tol: largest relative area error of a pair (>= 0).
        extra_area_fraction: largest area of an unpaired fitted peak, as a fraction of
            the total true area (>= 0).

    Returns:
        The pairing and whether the fit succeeded.

    Raises:
        InvalidParameterError: inputs that are not finite 1-D arrays, lengths that differ,
            true areas that are not positive, or tolerances out of range.
    """
    for name, value, positive in (
        ("center_tol", center_tol, True),
        ("area_tol", area_tol, False),
        ("extra_area_fraction", extra_area_fraction, False),
    ):
        if not is_finite_real(value) or value < 0 or (positive and value == 0):
            raise InvalidParameterError(
                f"{name} must be a finite number {'> 0' if positive else '>= 0'}, "
                f"got {value!r}; pass e.g. the default"
            )
    true_center = _vector("true_center", true_center)
    true_area = _vector("true_area", true_area)
    fit_center = _vector("fit_center", fit_center)
    fit_area = _vector("fit_area", fit_area)
    if true_center.shape != true_area.shape or fit_center.shape != fit_area.shape:
        raise InvalidParameterError(
            f"centres and areas differ in length: true {true_center.shape} vs "
            f"{true_area.shape}, fit {fit_center.shape} vs {fit_area.shape}; "
            "pass one area per centre"
        )
    if np.any(true_area <= 0):
        raise InvalidParameterError(
            f"true_area must be positive, got {true_area!r}; relative area errors divide by it"
        )
    distance = np.abs(true_center[:, None] - fit_center[None, :])
    # Out-of-tolerance pairs cost more than any set of in-tolerance ones.
    penalty = center_tol * (distance.size + 1)
    rows, cols = linear_sum_assignment(np.where(distance <= center_tol, distance, penalty))
    keep = distance[rows, cols] <= center_tol
    rows, cols = rows[keep], cols[keep]
    center_abs_err = distance[rows, cols]
    area_rel_err = (fit_area[cols] - true_area[rows]) / true_area[rows]
    missed = sorted(set(range(true_center.size)) - set(rows.tolist()))
    extra = sorted(set(range(fit_center.size)) - set(cols.tolist()))
    too_large = fit_area[extra] > extra_area_fraction * true_area.sum()
    success = not missed and bool(np.all(np.abs(area_rel_err) <= area_tol)) and not any(too_large)
    return PeakMatch(
        success=success,
        pairs=list(zip(rows.tolist(), cols.tolist(), strict=True)),
        center_abs_err=center_abs_err,
        area_rel_err=area_rel_err,
        missed=missed,
        extra=extra,
    )
