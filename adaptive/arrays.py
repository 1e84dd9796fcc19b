"""The checks of numeric input every entry point shares: numbers, a batch of rows, an
ascending axis, positions along one axis."""

from __future__ import annotations

from typing import Any

import numpy as np

from adaptive.errors import InvalidParameterError

# What an integer and a real number are (numpy's included; a bool is neither) is decided
# once, in the simulators' base, for every package; adaptive's modules import them from here.
from simulators.base import is_finite_real, is_int, is_real  # noqa: F401 (re-exported)

#: what an array of each non-numeric dtype kind holds, for the messages
_NOT_NUMBERS = {
    "U": "text",
    "T": "text",
    "S": "bytes",
    "M": "dates",
    "m": "time spans",
    "V": "records",
}


def check_bool(name: str, value: Any) -> bool:
    """``value``, or an error naming it unless it is a bool (text and numbers are not)."""
    if not isinstance(value, bool):
        raise InvalidParameterError(
            f"{name}={value!r} must be true or false (a bool, not text or a number)"
        )
    return value


def check_int(name: str, value: Any, low: int = 1, high: int | None = None, why: str = "") -> int:
    """``value`` as an int, or an error unless an integer (a bool is not) from ``low`` to ``high``
    (no upper bound when None).

    ``name`` is an argument (``n=0 must be an integer >= 1``) or, starting ``--``, a CLI option
    (``--n 0: must be a positive integer``).

    Raises:
        InvalidParameterError: naming ``value``, the range, and ``why`` when given.
    """
    if is_int(value) and low <= value and (high is None or value <= high):
        return int(value)
    span = f">= {low}" if high is None else f"from {low} to {high}"
    if name.startswith("--"):
        kind = "a positive integer" if span == ">= 1" else f"an integer {span}"
        message = f"{name} {value if is_int(value) else repr(value)}: must be {kind}"
    else:
        message = f"{name}={value!r} must be an integer {span}"
    raise InvalidParameterError(message + (f": {why}" if why else ""))


def real_array(name: str, value: Any) -> np.ndarray:
    """A float copy of ``value`` (array-like, any shape), which must hold real numbers
    (``is_real``).

    Integer and float arrays are taken, and lists of Python numbers (ints too large
    for int64 included); NaN and inf pass (``check_all_finite`` refuses them).

    Raises:
        InvalidParameterError: ``value`` holds complex numbers, bools, text, dates or
            other non-numbers, or a number beyond the float range.
    """
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError) as err:
        raise InvalidParameterError(
            f"{name} must be a numeric array (numbers only), got {type(value).__name__}: {err}"
        ) from None
    kind = arr.dtype.kind
    if kind == "c":
        raise InvalidParameterError(
            f"{name} holds complex numbers, but it must be real",
            "send the magnitude, or the real and imaginary parts as separate arrays",
        )
    if kind == "b":
        raise InvalidParameterError(
            f"{name} holds bools (True/False), not numbers",
            "send the numbers they stand for (counts, absorbances, recipe values)",
        )
    if kind in _NOT_NUMBERS:
        raise InvalidParameterError(
            f"{name} must be a numeric array, but it holds {_NOT_NUMBERS[kind]} (dtype "
            f"{arr.dtype})",
            "convert it to numbers (float values, dates as seconds) first",
        )
    if kind == "O":
        bad = [item for item in arr.flat if not is_real(item)]
        if bad:
            raise InvalidParameterError(
                f"{name} must be a numeric array, but it holds the non-number {bad[0]!r}",
                "send real numbers only",
            )
    try:
        return np.array(arr, dtype=float)
    except OverflowError:
        raise InvalidParameterError(
            f"{name} holds a number too large for floating point (beyond 1e308)", "rescale it"
        ) from None


def check_all_finite(name: str, a: np.ndarray, fix: str) -> None:
    """Nothing, or an error naming the first NaN/inf entry of ``a`` (any shape) and ``fix``.

    Raises:
        InvalidParameterError: ``{name}[i, j] = nan is not finite; {fix}``.
    """
    bad = ~np.isfinite(a)
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        raise InvalidParameterError(
            f"{name}[{', '.join(map(str, index))}] = {a[index]} is not finite; {fix}"
        )


def finite_matrix(name: str, value, row: str, dtype=float) -> np.ndarray:
    """A finite (n, m) copy of ``value`` as ``dtype``, or an error naming the bad entry.

    Args:
        name: the argument's name, for the messages.
        value: array-like of real numbers (``real_array``: not text or bools), one ``row``
            per line.
        row: what one row holds ("spectrum", "recipe"), for the messages.
        dtype: the copy's dtype.

    Raises:
        InvalidParameterError: not real numbers, not 2-D, or a NaN/inf entry (in ``dtype``).
    """
    a = real_array(name, value)
    if a.ndim != 2:
        raise InvalidParameterError(
            f"{name} must be a 2-D array (one {row} per row), got shape {a.shape}; "
            f"pass a single {row} as x[None, :]"
        )
    a = a.astype(dtype, copy=False)
    check_all_finite(name, a, f"drop or repair that {row}")
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
