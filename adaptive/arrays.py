"""The checks of numeric input every entry point shares: numbers, a batch of rows, an
ascending axis, positions along one axis."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from adaptive.errors import InvalidParameterError


def is_int(value: Any) -> bool:
    """Whether ``value`` is an integer (a bool is not)."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    """Whether ``value`` is a real number (a bool is not; NaN and inf are)."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def is_finite_number(value: Any) -> bool:
    """Whether ``value`` is a real number that is finite as a float (``10**400`` is not)."""
    if not is_number(value):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def check_bool(name: str, value: Any) -> bool:
    """``value``, or an error naming it unless it is a bool (text and numbers are not)."""
    if not isinstance(value, bool):
        raise InvalidParameterError(
            f"{name}={value!r} must be true or false (a bool, not text or a number)"
        )
    return value


def check_int(name: str, value: Any, low: int, high: int | None = None, why: str = "") -> int:
    """``value`` as an int, or an error unless an integer (a bool is not) from ``low`` to ``high``.

    Raises:
        InvalidParameterError: naming ``value``, the range, and ``why`` when given.
    """
    if not is_int(value) or value < low or (high is not None and value > high):
        span = f">= {low}" if high is None else f"from {low} to {high}"
        raise InvalidParameterError(
            f"{name}={value!r} must be an integer {span}" + (f": {why}" if why else "")
        )
    return int(value)


def finite_matrix(name: str, value, row: str, dtype=float) -> np.ndarray:
    """A finite (n, m) copy of ``value`` as ``dtype``, or an error naming the bad entry.

    Args:
        name: the argument's name, for the messages.
        value: array-like, one ``row`` per line.
        row: what one row holds ("spectrum", "recipe"), for the messages.
        dtype: the copy's dtype.

    Raises:
        InvalidParameterError: not numeric, not 2-D, or a NaN/inf entry.
    """
    try:
        a = np.array(value, dtype=dtype)
    except (TypeError, ValueError) as err:
        raise InvalidParameterError(f"{name} must be a numeric 2-D array: {err}") from None
    if a.ndim != 2:
        raise InvalidParameterError(
            f"{name} must be a 2-D array (one {row} per row), got shape {a.shape}; "
            f"pass a single {row} as x[None, :]"
        )
    if not np.isfinite(a).all():
        i, j = np.argwhere(~np.isfinite(a))[0]
        raise InvalidParameterError(
            f"{name}[{i}, {j}] = {a[i, j]} is not finite; drop or repair that {row}"
        )
    return a


def ascending_steps(
    name: str,
    axis: np.ndarray,
    fix: str,
    repeat_fix: str | None = None,
    unit: str = "",
) -> np.ndarray:
    """Steps (..., m - 1) of ``axis`` (..., m) along its last dimension, or an error naming
    the first one that is not > 0 (in which row, for a 2-D ``axis``).

    Args:
        name: the axis's name, for the message.
        axis: (m,) values, or (n, m): one axis per row.
        fix: how to repair an axis that does not ascend, the end of the message.
        repeat_fix: how to repair a repeated value (default ``fix``).
        unit: the values' unit, for the message (``" eV"``).

    Raises:
        InvalidParameterError: a step <= 0.
    """
    steps = np.diff(axis, axis=-1)
    bad = ~(steps > 0)  # NaN steps are bad too
    if bad.any():
        *row, i = (int(j) for j in np.argwhere(bad)[0])
        values = axis[tuple(row)]
        where = f"{name}[{row[0]}]" if row else name
        if steps[(*row, i)] == 0:
            raise InvalidParameterError(
                f"{where} repeats {values[i]:g}{unit} at points {i} and {i + 1}; "
                f"{repeat_fix or fix}"
            )
        raise InvalidParameterError(
            f"{where} must be strictly increasing (ascending), but point {i + 1} "
            f"({values[i + 1]}{unit}) follows {values[i]}{unit}; {fix}"
        )
    return steps


def as_positions(name: str, value) -> np.ndarray:
    """``value`` as a float (m,) copy: one number is one position, an (m, 1) column is flattened.

    Raises:
        InvalidParameterError: not numbers, or another shape.
    """
    try:
        positions = np.array(value, float)
    except (TypeError, ValueError, OverflowError) as err:
        raise InvalidParameterError(f"{name} must be numbers: {err}") from None
    if positions.ndim == 0 or (positions.ndim == 2 and positions.shape[1] == 1):
        positions = positions.reshape(-1)
    if positions.ndim != 1:
        raise InvalidParameterError(
            f"{name} must be an (m,) array of positions (or one number, or an (m, 1) column), "
            f"got shape {positions.shape}"
        )
    return positions
