"""Turning a measured spectrum into a scalar objective (a loss to minimise).

The headline function is :func:`target_loss`, the loss of the silver-nanoparticle
flow-synthesis study (Mekki-Berrada et al., npj Comput. Mater. 7, 55, 2021): interpolate
the target onto the spectrum's wavelengths, min-max normalise both, take their cosine
similarity and multiply it by a step factor on the raw spectrum's maximum
(:func:`peak_factor`); the loss is ``1 - similarity``.

Beside it, similarity measures for two spectra on a common axis, each
``f(a, b, x=None) -> float`` and listed in :data:`SIMILARITIES`:

=================  ==========  ====================================================
name               kind        meaning
=================  ==========  ====================================================
``pearson``        similarity  Pearson correlation, in [-1, 1]
``cosine``         similarity  cosine of the angle between the raw vectors
``jensen_shannon`` distance    Jensen-Shannon distance (base 2, in [0, 1]) of the
                               spectra as unit-area distributions over ``x``
``wasserstein``    distance    earth mover's distance of the same distributions,
                               in the units of ``x``
``dtw``            distance    dynamic time warping distance (Euclidean cost,
                               optional Sakoe-Chiba band); never above the plain
                               Euclidean distance of equal-length inputs
=================  ==========  ====================================================

:class:`SpectrumObjective` wraps a target and one measure into a callable that returns
a loss: ``1 - similarity`` for similarities, the distance for distances,
:func:`target_loss` as is. Replicate droplets are reduced by the median
(:func:`reduce_replicates`, :func:`reduce_spectra`).
"""

from __future__ import annotations

import math
import reprlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from scipy.special import rel_entr
from scipy.stats import wasserstein_distance

from adaptive.arrays import ascending_steps, check_all_finite, check_bool, is_int, real_array
from adaptive.errors import InvalidParameterError
from simulators.text_files import UNSET_UNITS, ev_per
from simulators.xps_files import KINETIC

#: Raw spectrum maxima in ``[STEP_LOW, STEP_HIGH]`` keep the full similarity.
STEP_LOW = 0.7
STEP_HIGH = 1.2
#: A spectrum must cover at least this fraction of the target's axis range.
MIN_COVERAGE = 0.9
#: Unit names (lower case) taken as the symbol they spell when units are compared (energy
#: units are read by ``simulators.text_files.ev_per``).
UNIT_ALIASES = {
    "nanometer": "nm",
    "nanometers": "nm",
    "nanometre": "nm",
    "nanometres": "nm",
}

# ----------------------------------------------------------------------------- validation


def _as_float_array(name: str, value: Any, ndim: int) -> np.ndarray:
    """A finite, non-empty float copy of ``value`` with ``ndim`` dimensions (``real_array``:
    real numbers only)."""
    arr = real_array(name, value)
    if arr.ndim != ndim:
        raise InvalidParameterError(
            f"{name} must be {ndim}-D, got shape {arr.shape}; pass "
            + ("one spectrum as a flat array" if ndim == 1 else "a (k, n) stack of spectra")
        )
    if arr.size == 0:
        raise InvalidParameterError(f"{name} is empty; pass at least one value")
    check_all_finite(name, arr, "drop or repair that channel before computing the objective")
    return arr


def _as_vector(name: str, value: Any, min_len: int = 2) -> np.ndarray:
    arr = _as_float_array(name, value, 1)
    if arr.size < min_len:
        raise InvalidParameterError(
            f"{name} has {arr.size} value(s); at least {min_len} are needed"
        )
    return arr


def _as_axis(name: str, value: Any) -> np.ndarray:
    x = _as_vector(name, value)
    ascending_steps(name, x, "sort the spectrum by its axis and average duplicate points")
    return x


def _sorted_axis(name: str, value: Any, min_len: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """``value`` (n,), given in any order (UV-Vis is often recorded high to low), sorted
    ascending, and the order (n,) that sorts it; a repeated value is refused, named by its
    positions as given."""
    x = _as_vector(name, value, min_len)
    order = np.argsort(x, kind="stable")
    repeated = np.flatnonzero(np.diff(x[order]) == 0)
    if repeated.size:
        first, second = sorted(int(i) for i in order[repeated[0] : repeated[0] + 2])
        raise InvalidParameterError(
            f"{name} repeats {x[first]:g} at points {first} and {second}; average the "
            "points measured at one x into one"
        )
    return x[order], order


def _unit(units: str) -> str:
    """``units`` compared: stripped, lower case, a ``UNIT_ALIASES`` name as its symbol."""
    key = units.strip().lower()
    return UNIT_ALIASES.get(key, key)


def _x_unit(units: str) -> tuple[float, bool] | str:
    """``x_units`` compared: an energy as (eV per unit, kinetic or not), so that 'eV',
    'Energy (eV)', 'energy_eV' and 'electron volts' are one unit and 'keV' another
    (``simulators.text_files.ev_per``, as the file readers); any other unit, a unit per
    energy ('1/eV') included, as ``_unit``."""
    try:
        return ev_per(units), bool(KINETIC.search(units))
    except ValueError:
        return _unit(units)


def _same_length(name_a: str, a: np.ndarray, name_b: str, b: np.ndarray) -> None:
    if a.shape[-1] != b.shape[-1]:
        raise InvalidParameterError(
            f"{name_a} has {a.shape[-1]} points but {name_b} has {b.shape[-1]}; "
            "they must be sampled on the same axis"
        )


def _pair(a: Any, b: Any, x: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate two spectra on a common axis; ``x`` defaults to the channel index."""
    a = _as_vector("a", a)
    b = _as_vector("b", b)
    _same_length("a", a, "b", b)
    if x is None:
        x = np.arange(a.size, dtype=float)
    else:
        x = _as_axis("x", x)
        _same_length("x", x, "a", a)
    return a, b, x


def minmax(name: str, y: np.ndarray) -> np.ndarray:
    """Min-max normalise along the last axis; ``y`` is ``n`` or ``k x n`` (a constant row
    is named by its index when k > 1)."""
    lo = y.min(axis=-1, keepdims=True)
    span = y.max(axis=-1, keepdims=True) - lo
    if (span <= 0).any():
        i = int(np.argmax(span.ravel() <= 0))
        where = f" (row {i})" if y.ndim == 2 and len(y) > 1 else ""
        raise InvalidParameterError(
            f"{name}{where} is constant ({float(lo.ravel()[i])!r} everywhere), so it cannot "
            "be min-max normalised; check that the detector saw a signal"
        )
    return (y - lo) / span


def inside_target(x: np.ndarray, target_x: np.ndarray) -> np.ndarray:
    """Mask (n,) of the channels of the axis ``x`` (n,) inside the range of ``target_x`` (m,).

    Raises:
        InvalidParameterError: ``x`` covers less than :data:`MIN_COVERAGE` of the
            target's range, or fewer than 3 channels lie inside it.
    """
    t0, t1 = float(target_x[0]), float(target_x[-1])
    covered = min(x[-1], t1) - max(x[0], t0)
    need = MIN_COVERAGE * (t1 - t0)
    if covered < need:
        share = max(covered, 0.0) / (t1 - t0)
        raise InvalidParameterError(
            f"the spectrum's axis {x[0]:g}-{x[-1]:g} covers {share:.0%} of the target's "
            f"range {t0:g}-{t1:g}; measure at least {MIN_COVERAGE:.0%} of it "
            f"(a span of {need:g} inside {t0:g}-{t1:g}, e.g. {t0:g}-{t0 + need:g})"
        )
    inside = (x >= t0) & (x <= t1)
    if inside.sum() < 3:
        raise InvalidParameterError(
            f"only {int(inside.sum())} spectrum point(s) lie inside the target's range "
            f"{t0:g}-{t1:g}; sample it with at least 3 points"
        )
    return inside


# ----------------------------------------------------------------------------- target loss


def peak_factor(peak: float | np.ndarray) -> float | np.ndarray:
    """The step factor on a raw spectrum's maximum.

    ``0`` if ``peak > 1.2`` (saturated); ``1`` if ``0.7 <= peak <= 1.2``;
    ``peak / 0.7`` if ``peak < 0.7`` (too dilute).

    Args:
        peak: a maximum, or an array of maxima (any shape).

    Returns:
        The factor, a float for a scalar input, else an array of the input's shape.
    """
    m = np.asarray(peak, dtype=float)
    out = np.where(m > STEP_HIGH, 0.0, np.where(m >= STEP_LOW, 1.0, m / STEP_LOW))
    return float(out) if out.ndim == 0 else out


def target_losses(
    wavelengths: Any, spectra: Any, target_wavelengths: Any, target: Any
) -> np.ndarray:
    """:func:`target_loss` for a stack of spectra sharing one axis.

    Args:
        wavelengths: ``n``, strictly increasing, covering at least 90 % of the target's
            range.
        spectra: ``k x n`` raw spectra (e.g. absorbance), one per row.
        target_wavelengths: ``m``, strictly increasing.
        target: ``m``, the target spectrum.

    Returns:
        ``k`` losses, each in ``[0, 1]`` for non-negative spectra.
    """
    x = _as_axis("wavelengths", wavelengths)
    s = _as_float_array("spectra", spectra, 2)
    _same_length("spectra", s, "wavelengths", x)
    tx = _as_axis("target_wavelengths", target_wavelengths)
    ty = _as_vector("target", target)
    _same_length("target", ty, "target_wavelengths", tx)
    inside = inside_target(x, tx)
    x, s = x[inside], s[:, inside]
    t_n = minmax("target (interpolated onto the spectrum's wavelengths)", np.interp(x, tx, ty))
    s_n = minmax("spectra" if len(s) > 1 else "the spectrum", s)
    cos = np.clip((s_n @ t_n) / (np.linalg.norm(s_n, axis=1) * np.linalg.norm(t_n)), -1.0, 1.0)
    return 1.0 - cos * peak_factor(s.max(axis=1))


def target_loss(wavelengths: Any, spectrum: Any, target_wavelengths: Any, target: Any) -> float:
    """The flow-synthesis loss of one spectrum against a target (lower is better).

    Exactly: keep the spectrum's channels inside the target's wavelength range (they
    must cover at least 90 % of it, as for :class:`SpectrumObjective`), interpolate the
    target onto them (linear, ``np.interp``), min-max normalise it and the spectrum,
    ``sim = cosine(target_n, spectrum_n) * peak_factor(max(spectrum))`` with the
    maximum of the raw spectrum on those channels, and return ``1 - sim``. A spectrum
    whose maximum exceeds 1.2 therefore scores 1.

    Args:
        wavelengths: ``n``, strictly increasing, covering at least 90 % of the target's
            range.
        spectrum: ``n``, the raw measured spectrum.
        target_wavelengths: ``m``, strictly increasing.
        target: ``m``, the target spectrum.

    Returns:
        The loss, in ``[0, 1]`` for non-negative spectra.

    Raises:
        InvalidParameterError: shapes differ, an axis is not strictly increasing, a value
            is NaN/inf, complex or bool, a spectrum is constant, or ``wavelengths`` covers
            less than 90 % of the target's range.
    """
    s = _as_vector("spectrum", spectrum)
    return float(target_losses(wavelengths, s[None, :], target_wavelengths, target)[0])


# ----------------------------------------------------------------------------- similarities


def pearson(a: Any, b: Any, x: Any = None) -> float:
    """Pearson correlation of two spectra (similarity, in ``[-1, 1]``).

    Args:
        a, b: ``n`` spectra on a common axis.
        x: ``n`` axis; unused, accepted for a uniform signature.
    """
    a, b, _ = _pair(a, b, x)
    if np.ptp(a) == 0 or np.ptp(b) == 0:  # exact: a - mean(a) of a constant need not be 0
        which = "a" if np.ptp(a) == 0 else "b"
        raise InvalidParameterError(
            f"{which} is constant, so its Pearson correlation is undefined; "
            "use measure='wasserstein' or check the spectrum"
        )
    da, db = a - a.mean(), b - b.mean()
    return float(np.clip(da @ db / (np.linalg.norm(da) * np.linalg.norm(db)), -1.0, 1.0))


def cosine(a: Any, b: Any, x: Any = None) -> float:
    """Cosine similarity of two spectra as raw vectors (in ``[-1, 1]``).

    Args:
        a, b: ``n`` spectra on a common axis.
        x: ``n`` axis; unused, accepted for a uniform signature.
    """
    a, b, _ = _pair(a, b, x)
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0 or nb == 0:
        which = "a" if na == 0 else "b"
        raise InvalidParameterError(f"{which} is all zeros, so its cosine is undefined")
    return float(np.clip(a @ b / (na * nb), -1.0, 1.0))


def _cell_widths(x: np.ndarray) -> np.ndarray:
    """``n`` widths of the cells around each sample (midpoint rule)."""
    edges = np.concatenate(([x[0]], 0.5 * (x[1:] + x[:-1]), [x[-1]]))
    return np.diff(edges)


def _distribution(name: str, y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Probability mass per channel: negatives clipped, unit area over ``x``."""
    mass = np.clip(y, 0.0, None) * _cell_widths(x)
    total = mass.sum()
    if total <= 0:
        raise InvalidParameterError(
            f"{name} has no positive area after clipping negatives (max {float(y.max())!r}); "
            "it cannot be treated as a distribution"
        )
    return mass / total


def jensen_shannon(a: Any, b: Any, x: Any = None) -> float:
    """Jensen-Shannon distance (base 2, in ``[0, 1]``; 0 for identical shapes).

    Both spectra are clipped at zero and normalised to unit area over ``x``: each
    channel weighs the width of its midpoint cell, so on an evenly spaced axis (or
    ``x`` None) every channel weighs the same except the two end ones, which weigh half.

    Args:
        a, b: ``n`` spectra on a common axis.
        x: ``n`` strictly increasing axis, or None for the channel index.
    """
    a, b, x = _pair(a, b, x)
    p, q = _distribution("a", a, x), _distribution("b", b, x)
    m = 0.5 * (p + q)
    div = 0.5 * (rel_entr(p, m).sum() + rel_entr(q, m).sum()) / math.log(2.0)
    return float(math.sqrt(min(max(div, 0.0), 1.0)))


def wasserstein(a: Any, b: Any, x: Any = None) -> float:
    """Earth mover's distance between the spectra as distributions over ``x``.

    Spectra are clipped at zero and normalised to unit area as in
    :func:`jensen_shannon`; the distance is in the units of ``x`` (channels if None).

    Args:
        a, b: ``n`` spectra on a common axis.
        x: ``n`` strictly increasing axis, or None for the channel index.
    """
    a, b, x = _pair(a, b, x)
    p, q = _distribution("a", a, x), _distribution("b", b, x)
    return float(wasserstein_distance(x, x, u_weights=p, v_weights=q))


def dtw(a: Any, b: Any, x: Any = None, window: int | None = None) -> float:
    """Dynamic time warping distance with Euclidean cost (0 for identical spectra).

    ``sqrt(min over warping paths of sum (a_i - b_j)^2)``; the diagonal path gives the
    plain Euclidean distance, so for equal lengths ``dtw <= ||a - b||``. O(n m) time and
    O(n) memory, one vectorised pass per anti-diagonal (a few ms for n = m = 421).

    Args:
        a: ``n`` spectrum.
        b: ``m`` spectrum (may differ in length from ``a``).
        x: unused (warping is over channel indices); if given it must match ``a``.
        window: Sakoe-Chiba band half-width in channels (``|i - j| <= window``), or None
            for no band. Must be at least ``|n - m|``.

    Returns:
        The distance, in the units of the spectra.
    """
    a = _as_vector("a", a, 1)
    b = _as_vector("b", b, 1)
    if x is not None:
        _same_length("x", _as_axis("x", x), "a", a)
    n, m = a.size, b.size
    if window is None:
        w = max(n, m)
    else:
        if not is_int(window) or window < 0:
            raise InvalidParameterError(
                f"window must be a non-negative integer number of channels or None, got {window!r}"
            )
        w = int(window)
        if w < abs(n - m):
            raise InvalidParameterError(
                f"window={w} is narrower than the length difference |{n} - {m}| = {abs(n - m)},"
                f" so no warping path fits; pass window >= {abs(n - m)} or None"
            )
    return float(math.sqrt(_dtw_costs(a, b[None, :], w)[0]))


def _dtw_costs(a: np.ndarray, b: np.ndarray, window: int) -> np.ndarray:
    """Squared DTW distance of ``a`` (n,) to each row of ``b`` (k, m), ``|i - j| <= window``.

    The cumulative cost ``acc[i, j]`` (1-based, guard row and column) is filled one
    anti-diagonal ``i + j = d`` at a time for all rows at once, keeping only the last
    two diagonals (each (n + 1, k), indexed by ``i``, so a diagonal's cells are one
    contiguous block): O(k n) memory, O(k n m) time.
    """
    n, m = a.size, b.shape[1]
    b_by_j = np.ascontiguousarray(b.T)  # (m, k)
    before, last, diagonal = (np.full((n + 1, len(b)), np.inf) for _ in range(3))
    before[0] = 0.0  # diagonal 0 is acc[0, 0]; diagonal 1 (last) is all guard cells
    best = np.empty((n, len(b)))
    for d in range(2, n + m + 1):
        lo = max(1, d - m, -((window - d) // 2))  # ceil((d - window) / 2)
        hi = min(n, d - 1, (d + window) // 2)
        diagonal[:lo] = np.inf
        diagonal[hi + 1 :] = np.inf
        if lo <= hi:  # cells i = lo..hi, j = d - i (none for an even band width 0 and odd d)
            step = best[: hi - lo + 1]  # min of acc[i-1, j-1], acc[i-1, j], acc[i, j-1]
            np.minimum(before[lo - 1 : hi], last[lo - 1 : hi], out=step)
            np.minimum(step, last[lo : hi + 1], out=step)
            cell = diagonal[lo : hi + 1]
            np.subtract(a[lo - 1 : hi, None], b_by_j[d - hi - 1 : d - lo][::-1], out=cell)
            np.square(cell, out=cell)
            cell += step
        before, last, diagonal = last, diagonal, before
    return last[n]


#: name -> ``f(a, b, x=None) -> float``; see :data:`DISTANCES` for which are distances.
SIMILARITIES: dict[str, Callable[..., float]] = {
    "pearson": pearson,
    "cosine": cosine,
    "jensen_shannon": jensen_shannon,
    "wasserstein": wasserstein,
    "dtw": dtw,
}
#: Entries of :data:`SIMILARITIES` that are distances (0 = identical, larger = worse).
DISTANCES = frozenset({"jensen_shannon", "wasserstein", "dtw"})
#: Every measure :class:`SpectrumObjective` accepts.
MEASURES = ("target_loss", *SIMILARITIES)
#: Measures that ``normalise=False`` would not change, and why (for the message).
UNCHANGED_BY_NORMALISE = {
    "target_loss": "which always min-max normalises both spectra",
    "pearson": "whose correlation min-max normalising does not change",
}
#: What a campaign's ``objective`` looks like, for messages (keys with ``?`` optional).
OBJECTIVE_SHAPE = (
    '{"target_x": [m distinct numbers, any order], "target_y": [m numbers], "measure"?: one of '
    f'{list(MEASURES)} (default target_loss), "normalise"?: bool, "dtw_window"?: int, '
    '"x_units"?: str, "y_units"?: str}'
)


# ----------------------------------------------------------------------------- objective


class SpectrumObjective:
    """A target spectrum and a measure, called on a measured spectrum to give a loss.

    The spectrum's axis must cover at least 90 % of the target's range. Only the
    spectrum's channels inside the target's range are compared; the target is linearly
    interpolated onto them. With ``measure="target_loss"`` the loss is
    :func:`target_loss` on those channels (for the silver-nanoparticle data, whose
    spectra span the target's 380-800 nm exactly, this is the published loss).
    Other measures compare the two spectra after min-max normalising both (if
    ``normalise``) and return ``1 - similarity`` for ``pearson``/``cosine`` or the
    distance for ``jensen_shannon``/``wasserstein``/``dtw``.

    Args:
        target_x: ``m`` axis of the target (e.g. wavelength, nm), in any order (a target
            recorded high to low is sorted, like a measured spectrum), no value repeated.
        target_y: ``m`` target spectrum.
        measure: one of :data:`MEASURES`.
        normalise: min-max normalise both spectra before a similarity measure; False is
            refused with a measure it would not change (:data:`UNCHANGED_BY_NORMALISE`).
        dtw_window: Sakoe-Chiba band half-width in channels for ``measure="dtw"``.
        x_units, y_units: the target's units (e.g. ``"nm"``, ``"absorbance"``); a
            campaign refuses a spectrum whose own, non-empty units differ (:meth:`check_units`).
            Empty: not checked.
    """

    def __init__(
        self,
        target_x: Any,
        target_y: Any,
        measure: str = "target_loss",
        normalise: bool = True,
        dtw_window: int | None = None,
        x_units: str = "",
        y_units: str = "",
    ):
        x = _as_vector("target_x", target_x, min_len=3)
        y = _as_vector("target_y", target_y, min_len=3)
        _same_length("target_y", y, "target_x", x)
        self.target_x, order = _sorted_axis("target_x", x, min_len=3)
        self.target_y = y[order]
        if np.ptp(self.target_y) == 0:  # no spectrum could be compared with it
            raise InvalidParameterError(
                f"target_y is constant ({float(self.target_y[0])!r} everywhere): give the "
                "target spectrum itself"
            )
        if not isinstance(measure, str) or measure not in MEASURES:
            raise InvalidParameterError(
                f"unknown measure {measure!r}; choose one of {', '.join(MEASURES)}"
            )
        check_bool("normalise", normalise)
        if dtw_window is not None and (not is_int(dtw_window) or dtw_window < 0):
            raise InvalidParameterError(
                f"dtw_window must be a non-negative int or None, got {dtw_window!r}"
            )
        if dtw_window is not None and measure != "dtw":
            raise InvalidParameterError(
                f"dtw_window={dtw_window!r} only applies to measure='dtw', not {measure!r};"
                " drop it or switch the measure"
            )
        if not normalise and measure in UNCHANGED_BY_NORMALISE:
            raise InvalidParameterError(
                f"normalise=False does not apply to measure={measure!r}, "
                f"{UNCHANGED_BY_NORMALISE[measure]}; drop it, or switch to a measure it changes "
                f"({', '.join(m for m in MEASURES if m not in UNCHANGED_BY_NORMALISE)})"
            )
        for name, units in (("x_units", x_units), ("y_units", y_units)):
            if not isinstance(units, str):
                raise InvalidParameterError(
                    f"{name}={units!r} must be text such as 'nm' (or '' to not check units)"
                )
        self.measure = measure
        self.normalise = normalise
        self.dtw_window = None if dtw_window is None else int(dtw_window)
        self.x_units, self.y_units = x_units, y_units

    def check_units(self, x_units: str, y_units: str) -> None:
        """Refuse a spectrum in other units than the target's (units unset on either
        side, empty or ``UNSET_UNITS`` such as ``-``, are not compared; case, surrounding
        spaces and the names in ``UNIT_ALIASES`` do not count, so 'NM' and 'nanometers'
        are 'nm'; energies compare by what ``_x_unit``
        reads, so 'eV' and 'Energy (eV)' agree and 'keV' does not): a loss of nm against
        eV, of keV against eV, or of mAU against AU, would be wrong."""
        units = (("x", self.x_units, x_units, _x_unit), ("y", self.y_units, y_units, _unit))
        for axis, mine, theirs, meaning in units:
            given = all(u.strip().lower() not in UNSET_UNITS for u in (mine, theirs))
            if given and meaning(mine) != meaning(theirs):
                raise InvalidParameterError(
                    f"the spectrum's {axis}_units {theirs!r} differs from the objective "
                    f"target's {mine!r}; send the spectrum in {mine!r}, with "
                    f"{axis}_units={mine!r}"
                )

    def __repr__(self) -> str:
        lo, hi = self.target_x[0], self.target_x[-1]
        return (
            f"SpectrumObjective(measure={self.measure!r}, target {self.target_x.size} points "
            f"over {lo:g}-{hi:g}, normalise={self.normalise}, dtw_window={self.dtw_window})"
        )

    def inside(self, x: Any) -> np.ndarray:
        """Validate a measured axis; return the mask of its channels inside the target's range."""
        return inside_target(_as_axis("x", x), self.target_x)

    def _overlap(self, x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        """Validate a measured spectrum, x in any order; return its channels inside the
        target's range, ascending."""
        x, order = _sorted_axis("x", x)
        y = _as_vector("y", y)
        _same_length("y", y, "x", x)
        y = y[order]
        inside = inside_target(x, self.target_x)
        return x[inside], y[inside]

    def __call__(self, x: Any, y: Any) -> float:
        """The loss of one measured spectrum (lower is better).

        Args:
            x: ``n`` finite axis, same units as ``target_x``, in any order (sorted here,
                with ``y``), no value repeated.
            y: ``n`` measured spectrum.

        Raises:
            InvalidParameterError: bad shapes or values, or an axis that covers less than
                90 % of the target's range.
        """
        x, y = self._overlap(x, y)
        if self.measure == "target_loss":
            return target_loss(x, y, self.target_x, self.target_y)
        t = np.interp(x, self.target_x, self.target_y)
        if self.normalise:
            t, y = minmax("target (on the spectrum's axis)", t), minmax("y", y)
        fn = SIMILARITIES[self.measure]
        if self.measure == "dtw":
            value = dtw(t, y, x, window=self.dtw_window)
        else:
            value = fn(t, y, x)
        return float(value) if self.measure in DISTANCES else 1.0 - float(value)

    def losses(self, x: Any, spectra: Any) -> np.ndarray:
        """The loss of each of a stack of spectra on one axis.

        Args:
            x: ``n`` strictly increasing axis.
            spectra: ``k x n`` spectra, one per row.

        Returns:
            ``k`` losses, as ``self(x, spectra[i])`` would give (vectorised for
            ``target_loss`` and ``dtw``).
        """
        spectra = _as_float_array("spectra", spectra, 2)
        if self.measure not in ("target_loss", "dtw"):
            return np.array([self(x, row) for row in spectra])
        x = _as_axis("x", x)
        _same_length("spectra", spectra, "x", x)
        inside = self.inside(x)
        x, spectra = x[inside], spectra[:, inside]
        if self.measure == "target_loss":
            return target_losses(x, spectra, self.target_x, self.target_y)
        t = np.interp(x, self.target_x, self.target_y)
        if self.normalise:
            t, spectra = minmax("target (on the spectrum's axis)", t), minmax("spectra", spectra)
        window = x.size if self.dtw_window is None else self.dtw_window
        return np.sqrt(_dtw_costs(t, spectra, window))

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON config (target arrays as lists) for the journal."""
        return {
            "target_x": self.target_x.tolist(),
            "target_y": self.target_y.tolist(),
            "measure": self.measure,
            "normalise": self.normalise,
            "dtw_window": self.dtw_window,
            "x_units": self.x_units,
            "y_units": self.y_units,
        }

    @classmethod
    def from_dict(cls, config: Mapping[str, Any]) -> SpectrumObjective:
        """Build from :meth:`to_dict` output or a campaign's ``objective`` (see
        :data:`OBJECTIVE_SHAPE`); unknown keys are rejected. A ``SpectrumObjective`` is
        taken as it is."""
        if isinstance(config, SpectrumObjective):
            return config
        if not isinstance(config, Mapping):
            raise InvalidParameterError(
                f"an objective is {OBJECTIVE_SHAPE}, not the {type(config).__name__} "
                f"{reprlib.repr(config)}"
            )
        known = {
            "target_x",
            "target_y",
            "measure",
            "normalise",
            "dtw_window",
            "x_units",
            "y_units",
        }
        unknown = sorted(set(config) - known)
        if unknown:
            raise InvalidParameterError(
                f"unknown objective key(s) {unknown}; allowed: {sorted(known)}"
            )
        missing = sorted({"target_x", "target_y"} - set(config))
        if missing:
            raise InvalidParameterError(
                f"the objective lacks {missing}; an objective is {OBJECTIVE_SHAPE}"
            )
        return cls(**dict(config))


# ----------------------------------------------------------------------------- replicates


def reduce_replicates(values: Sequence[float]) -> float:
    """The median of replicate objective values (robust to an odd droplet).

    Args:
        values: ``k >= 1`` finite values.

    Raises:
        InvalidParameterError: not a sequence of numbers (a str, bytes or mapping is not),
            empty, or any value NaN/inf.
    """
    wrong = f"values must be a sequence of numbers, got {type(values).__name__}"
    if isinstance(values, str | bytes | Mapping):  # list() would take characters or keys
        raise InvalidParameterError(wrong)
    try:
        values = list(values)
    except TypeError:
        raise InvalidParameterError(wrong) from None
    return float(np.median(_as_float_array("values", values, 1)))


def reduce_spectra(spectra: Any) -> np.ndarray:
    """Channel-wise median of replicate spectra.

    Args:
        spectra: ``k x n`` finite spectra on one axis, ``k >= 1``.

    Returns:
        ``n`` median spectrum.
    """
    return np.median(_as_float_array("spectra", spectra, 2), axis=0)
