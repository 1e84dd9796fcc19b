"""The search space: named continuous, integer and categorical dimensions.

A :class:`Space` is an ordered set of :class:`Dimension` objects plus optional
:class:`LinearConstraint` objects (``lower <= sum(c_i * x_i) <= upper``). Points are
``{name: value}`` dicts. For models, :meth:`Space.to_unit` / :meth:`Space.from_unit`
map points to and from the unit cube ``[0, 1]^d`` (one column per dimension, in order).
"""

from __future__ import annotations

import math
import reprlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from adaptive.arrays import finite_matrix, is_finite_real, is_real
from adaptive.errors import InvalidParameterError, OutOfSpaceError
from adaptive.options import check_keys
from adaptive.protocol import ARRAY_KEY

#: relative tolerance for "on the step lattice" and for constraint bounds
TOL = 1e-9
#: Narrowest continuous range, as a fraction of its largest |bound|: ~4.5e6 float64
#: steps, so a 1024-point model grid still resolves it (at ~1e-14, 1e12 .. 1e12+0.01,
#: the grid repeats values and the fits fail).
MIN_RELATIVE_WIDTH = 1e-9
#: How far past a bound of a continuous dimension an observed point may lie, as a fraction
#: of the dimension's span, and still be taken as measured on that bound (see
#: :meth:`Space.clip_readback`): a driver reporting the instrument's readback lands a hair
#: outside (0.3 eV on a 300 eV XANES range, 10 um on a 10 mm stage), a real reading
#: outside the range lies farther out. A constraint gets the same fraction of the spans
#: of its jittering dimensions, weighted by ``|coefficient|`` (see :meth:`Space.validate`).
READBACK_TOLERANCE = 1e-3
#: Most steps a stepped dimension's range may hold: lattice indices up to 2**53 are exact
#: as floats.
MAX_STEPS = 2**53


def _bound_slack(bound: float) -> float:
    """The rounding a constraint's ``bound`` allows: ``TOL`` relative to it."""
    return TOL * max(1.0, abs(bound))


def _fmt(value: float) -> str:
    return f"{value:.10g}"


KINDS = ("continuous", "integer", "categorical")


def _same_choice(choice: Any, value: Any) -> bool:
    """Whether ``value`` names ``choice``: equal, and a bool only for a bool (True is not 1)."""
    if isinstance(value, (list, dict, tuple, np.ndarray)):
        return False
    if isinstance(choice, bool) or isinstance(value, (bool, np.bool_)):
        return isinstance(choice, bool) and isinstance(value, (bool, np.bool_)) and choice == value
    return is_real(choice) == is_real(value) and choice == value


def _checked_choices(name: str, choices: Any) -> tuple[Any, ...]:
    """``choices`` as a tuple of JSON scalars (text, finite numbers, bools, None), distinct."""
    checked: list[Any] = []
    for choice in choices:
        if isinstance(choice, (np.generic,)):
            choice = choice.item()
        if not (choice is None or isinstance(choice, (str, bool)) or is_finite_real(choice)):
            raise InvalidParameterError(
                f"categorical dimension {name!r}: choice {choice!r} must be text, a finite "
                "number, a bool or None (values that survive JSON); name it by a string"
            )
        if any(_same_choice(seen, choice) for seen in checked):
            raise InvalidParameterError(
                f"categorical dimension {name!r} lists the choice {choice!r} twice "
                f"(choices {list(choices)!r}); list each once"
            )
        checked.append(choice)
    bools = [c for c in checked if isinstance(c, bool)]
    numbers = [c for c in checked if is_real(c)]
    if bools and numbers:
        raise InvalidParameterError(
            f"categorical dimension {name!r} mixes the bools {bools} with the numbers "
            f"{numbers}, which Python takes as equal (True == 1, False == 0); name the "
            "choices by strings such as 'yes'/'no', or use numbers only"
        )
    return tuple(checked)


def jitters(dim: Dimension) -> bool:
    """Whether a readback of ``dim`` jitters: continuous without a step (not a lattice)."""
    return dim.kind == "continuous" and dim.step is None


def _sorted_keys(keys: Any) -> list[Any]:
    """``keys`` sorted by their text, so that keys of mixed types (1, "a") sort too."""
    return sorted(keys, key=str)


def thousandfold(value: float, low: float, high: float) -> tuple[float, str, str] | None:
    """``(value x 1000 or / 1000, which: "x 1000", units alike: "keV for eV, ...")`` for
    the first that lies in ``low``..``high``: a value in other units (keV for eV, um for
    nm); None when neither does."""
    for factor, times, units_like in (
        (1e3, "x 1000", "keV for eV, mm for um"),
        (1e-3, "/ 1000", "meV for eV, um for mm"),
    ):
        scaled = value * factor
        if low <= scaled <= high:
            return scaled, times, units_like
    return None


@dataclass(frozen=True)
class Dimension:
    """One named axis of a space.

    Args:
        name: the key of this dimension in every point.
        kind: ``"continuous"``, ``"integer"`` or ``"categorical"``.
        low, high: inclusive bounds (continuous and integer); ``high - low`` must be
            finite, and for a continuous dimension at least ``MIN_RELATIVE_WIDTH`` of
            ``max(|low|, |high|)``.
        choices: allowed values, a list or tuple (categorical only): text, finite
            numbers, bools or None, each once; bools and numbers do not mix (True == 1).
        units: free text, e.g. ``"eV"``.
        step: optional fixed resolution of a continuous dimension (e.g. a pump's
            step): the valid values are ``low + k * step`` for ``k = 0, 1, ...`` up to
            ``high``, at most ``MAX_STEPS`` steps. :meth:`validate` rejects values off
            this lattice (tolerance ``1e-9 * k * step``, at least four float spacings of
            the bounds); :meth:`Space.from_unit` rounds onto it.
    """

    name: str
    kind: str = "continuous"
    low: float | None = None
    high: float | None = None
    choices: tuple[Any, ...] = ()
    units: str = ""
    step: float | None = None

    def __eq__(self, other):
        if not isinstance(other, Dimension):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self):
        return hash(self._key())

    def _key(self) -> tuple:
        # tuple equality takes True for 1: tag each choice with whether it is a bool
        choices = tuple((isinstance(c, bool), c) for c in self.choices)
        return (self.name, self.kind, self.low, self.high, choices, self.units, self.step)

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise InvalidParameterError(
                f"dimension name must be a non-empty string, got {self.name!r}"
            )
        if self.name == ARRAY_KEY:  # a point {"__array__": x} could not be sent on the wire
            raise InvalidParameterError(
                f"dimension name {ARRAY_KEY!r} is reserved for the wire's array headers; "
                "rename the dimension"
            )
        if not isinstance(self.kind, str) or self.kind not in KINDS:
            raise InvalidParameterError(
                f"dimension {self.name!r}: kind {self.kind!r} is not one of {KINDS}"
            )
        if not isinstance(self.units, str):
            raise InvalidParameterError(
                f"dimension {self.name!r}: units must be text such as 'eV', got {self.units!r}"
            )
        choices = () if self.choices is None else self.choices
        if not isinstance(choices, list | tuple):
            raise InvalidParameterError(
                f"dimension {self.name!r}: choices must be a list, got {self.choices!r}"
            )
        object.__setattr__(self, "choices", tuple(choices))
        if self.kind == "categorical":
            if len(self.choices) < 1:
                raise InvalidParameterError(f"categorical dimension {self.name!r} needs choices")
            if self.low is not None or self.high is not None:
                raise InvalidParameterError(
                    f"categorical dimension {self.name!r} takes choices, not low/high bounds"
                )
            object.__setattr__(self, "choices", _checked_choices(self.name, self.choices))
            if self.step is not None:
                raise InvalidParameterError(
                    f"categorical dimension {self.name!r} takes no step, got step={self.step!r}"
                )
            return
        if self.choices:
            raise InvalidParameterError(
                f"{self.kind} dimension {self.name!r} takes low/high bounds, not choices "
                f"{list(self.choices)!r}; give kind 'categorical' to pick among choices"
            )
        for bound in (self.low, self.high):
            if not is_finite_real(bound):
                raise InvalidParameterError(
                    f"dimension {self.name!r}: bounds must be finite numbers, "
                    f"got low={self.low!r}, high={self.high!r}"
                )
        object.__setattr__(self, "low", float(self.low))
        object.__setattr__(self, "high", float(self.high))
        if not self.low < self.high:
            raise InvalidParameterError(
                f"dimension {self.name!r}: low={self.low} must be below high={self.high}",
                "for a value held fixed (a map of one row), leave the dimension out and keep "
                f"{_fmt(self.low)} in each put's metadata (a categorical dimension of one "
                "choice would keep the map from model_predict)"
                if self.low == self.high
                else "swap them",
            )
        width = self.high - self.low
        if not math.isfinite(width):
            raise InvalidParameterError(
                f"dimension {self.name!r}: the range [{self.low}, {self.high}] is wider than "
                "floating point holds; give bounds less than 1e308 apart (or rescale the units)"
            )
        magnitude = max(abs(self.low), abs(self.high))
        if self.kind == "continuous" and width < MIN_RELATIVE_WIDTH * magnitude:
            raise InvalidParameterError(
                f"dimension {self.name!r}: the range [{self.low!r}, {self.high!r}] is {width:.3g} "
                f"wide, below {MIN_RELATIVE_WIDTH:g} of its magnitude {magnitude:g}, too narrow "
                f"for floating point; measure from an offset instead (e.g. [0, {width:.3g}])"
            )
        if self.kind == "integer" and math.ceil(self.low) > math.floor(self.high):
            raise InvalidParameterError(
                f"integer dimension {self.name!r}: [{self.low}, {self.high}] holds no integer"
            )
        if self.step is not None:
            if self.kind != "continuous":
                raise InvalidParameterError(
                    f"dimension {self.name!r}: step applies to continuous dimensions only; "
                    f"an {self.kind} dimension already has unit steps"
                )
            if not is_finite_real(self.step) or self.step <= 0:
                raise InvalidParameterError(
                    f"dimension {self.name!r}: step must be a finite positive number, "
                    f"got step={self.step!r}"
                )
            if self.step > (self.high - self.low) * (1 + TOL):
                raise InvalidParameterError(
                    f"dimension {self.name!r}: step={self.step} exceeds the range "
                    f"[{self.low}, {self.high}]"
                )
            if (self.high - self.low) / self.step > MAX_STEPS:
                raise InvalidParameterError(
                    f"dimension {self.name!r}: step={self.step} cuts [{self.low}, {self.high}] "
                    f"into {(self.high - self.low) / self.step:.3g} steps, more than "
                    f"MAX_STEPS = 2**53; give a step of at least "
                    f"{(self.high - self.low) / MAX_STEPS:.3g}, or no step (continuous)"
                )
            object.__setattr__(self, "step", float(self.step))

    @property
    def n_steps(self) -> int | None:
        """Index ``k`` of the largest lattice value ``low + k * step <= high``; None if no step."""
        if self.step is None:
            return None
        ratio = (self.high - self.low) / self.step
        return int(math.floor(ratio + TOL * max(1.0, ratio)))

    def _extremes(self) -> tuple[float, float]:
        """The smallest and largest value a numeric dimension takes."""
        if self.kind == "integer":
            return float(math.ceil(self.low)), float(math.floor(self.high))
        if self.step is not None:
            return self.low, self._lattice(self.n_steps)
        return self.low, self.high

    def _lattice(self, k: int) -> float:
        # low + k * step can round above high (0.7 / 0.1 steps): the top value is high
        return min(self.low + k * self.step, self.high)

    def _slack(self, k: int) -> float:
        # relative to k * step, and at least a few float spacings of the bounds: far
        # from zero (1e6 + k * 1e-3) a lattice value is only known to ~ulp(1e6)
        return max(TOL * self.step * max(1.0, k), 4 * math.ulp(max(abs(self.low), abs(self.high))))

    def _show_lattice(self, k: int) -> str:
        """Lattice value ``k`` as text that :meth:`validate` accepts (short when it can)."""
        value = self._lattice(k)
        text = _fmt(value)
        return text if abs(float(text) - value) <= self._slack(k) else repr(value)

    def snap(self, values: Any) -> np.ndarray:
        """``values`` (n,) rounded onto the step lattice within the bounds (as is if no step)."""
        values = np.asarray(values, dtype=float)
        if self.step is None:
            return values
        k = np.clip(np.round((values - self.low) / self.step), 0, self.n_steps)
        return np.minimum(self.low + k * self.step, self.high)

    def validate(self, value: Any) -> Any:
        """Return ``value`` checked (and cast) for this dimension, or raise."""
        if self.kind == "categorical":
            for choice in self.choices:
                if _same_choice(choice, value):
                    return choice
            raise OutOfSpaceError(
                f"{self.name}={value!r} is not one of the choices {list(self.choices)}"
            )
        if not is_real(value):
            raise InvalidParameterError(f"{self.name}={value!r} is not a number")
        if not is_finite_real(value):
            raise InvalidParameterError(f"{self.name}={value!r} is not finite; send a real number")
        if not self.low <= value <= self.high:
            raise OutOfSpaceError(
                f"{self.name}={value} lies outside [{self.low}, {self.high}] {self.units}".rstrip(),
                self.other_units(value),
            )
        if self.kind == "integer":
            if value != int(value):
                raise InvalidParameterError(f"{self.name}={value} must be an integer")
            return int(value)
        if self.step is not None:
            ratio = (value - self.low) / self.step
            k = min(round(ratio), self.n_steps)
            if abs(value - self._lattice(k)) > self._slack(k):
                k_below = min(math.floor(ratio), self.n_steps)
                nearest = sorted({k_below, min(k_below + 1, self.n_steps)})
                shown = " and ".join(self._show_lattice(k) for k in nearest)
                raise InvalidParameterError(
                    f"{self.name}={value} is not on the step-{_fmt(self.step)} grid from "
                    f"{_fmt(self.low)}; the nearest valid "
                    f"{'values are' if len(nearest) > 1 else 'value is'} {shown}; a readback "
                    "that jitters off the grid needs a dimension without a step"
                )
            return self._lattice(k)
        return float(value)

    def other_units(self, value: float) -> str | None:
        """Advice when ``value``, farther outside the bounds than their span, lies inside
        them times 1000 or over 1000 (a readback in keV on a space in eV, in mm on one in
        um); else None."""
        if min(abs(value - self.low), abs(value - self.high)) <= self.high - self.low:
            return None  # near the range: not off by a factor of 1000
        found = thousandfold(value, self.low, self.high)
        if found is None:
            return None
        scaled, times, units_like = found
        units = f" {self.units}" if self.units else ""
        return (
            f"{value:g} {times} = {scaled:g}{units} lies inside: is it in other units "
            f"({units_like})? convert it to the space's units{units} first"
        )

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "kind": self.kind,
            "low": self.low,
            "high": self.high,
            "choices": list(self.choices),
            "units": self.units,
            "step": self.step,
        }


@dataclass(frozen=True)
class LinearConstraint:
    """A linear constraint ``lower <= sum(coefficients[name] * point[name]) <= upper``.

    Args:
        coefficients: ``{dimension name: coefficient}``; the names must be numeric
            dimensions of the space that holds the constraint (checked by :class:`Space`).
        upper, lower: inclusive bounds; at least one is required.
        name: optional label used in messages; defaults to the expression, e.g.
            ``"QAgNO3(%)+Qpva(%)"``.
    """

    coefficients: dict[str, float]
    upper: float | None = None
    lower: float | None = None
    name: str = ""

    def __post_init__(self):
        if not isinstance(self.coefficients, dict) or not self.coefficients:
            raise InvalidParameterError(
                "a constraint needs coefficients as a non-empty mapping "
                f"{{dimension name: number}}, got {self.coefficients!r}"
            )
        coefficients = {}
        for key, c in self.coefficients.items():
            if not isinstance(key, str) or not key:
                raise InvalidParameterError(
                    f"constraint coefficient names must be dimension names, got {key!r}"
                )
            if not is_finite_real(c):
                raise InvalidParameterError(
                    f"constraint coefficient for {key!r} must be a finite number, got {c!r}"
                )
            coefficients[key] = float(c)
        object.__setattr__(self, "coefficients", coefficients)
        if self.upper is None and self.lower is None:
            raise InvalidParameterError(
                f"constraint {self.label!r} needs an upper and/or a lower bound"
            )
        for bound_name in ("upper", "lower"):
            bound = getattr(self, bound_name)
            if bound is None:
                continue
            if not is_finite_real(bound):
                raise InvalidParameterError(
                    f"constraint {self.label!r}: {bound_name} must be a finite number, "
                    f"got {bound!r}"
                )
            object.__setattr__(self, bound_name, float(bound))
        if self.upper is not None and self.lower is not None and self.lower > self.upper:
            raise InvalidParameterError(
                f"constraint {self.label!r}: lower={self.lower} exceeds upper={self.upper}"
            )
        if not isinstance(self.name, str):
            raise InvalidParameterError(f"constraint name must be a string, got {self.name!r}")

    def __hash__(self):
        return hash((tuple(sorted(self.coefficients.items())), self.upper, self.lower, self.name))

    @property
    def is_equality(self) -> bool:
        """Whether the constraint pins its value (``lower == upper``)."""
        return self.lower is not None and self.lower == self.upper

    def describe(self) -> str:
        """The constraint as text, e.g. ``"60 <= a-b"`` or ``"20 <= a+b <= 60"``."""
        since = "" if self.lower is None else f"{_fmt(self.lower)} <= "
        until = "" if self.upper is None else f" <= {_fmt(self.upper)}"
        return f"{since}{self.label}{until}"

    @property
    def label(self) -> str:
        """The name, or the expression such as ``"a+2*b-c"``."""
        if self.name:
            return self.name
        parts = []
        for key, c in self.coefficients.items():
            sign = "-" if c < 0 else "+"
            mag = abs(c)
            term = key if mag == 1 else f"{_fmt(mag)}*{key}"
            parts.append(f"{sign}{term}")
        text = "".join(parts)
        return text[1:] if text.startswith("+") else text

    def value(self, point: dict[str, Any]) -> float:
        """``sum(c_i * point[name_i])``."""
        return float(sum(c * point[key] for key, c in self.coefficients.items()))

    def violation(self, point: dict[str, Any], margin: float = 0.0) -> str | None:
        """A message like ``"a+b = 104.2 > 100"`` if ``point`` violates this, else None.

        Each bound allows ``TOL`` relative to it (rounding), and ``margin`` (absolute) on top.
        """
        value = self.value(point)
        if self.upper is not None and value > self.upper + _bound_slack(self.upper) + margin:
            return f"{self.label} = {_fmt(value)} > {_fmt(self.upper)}"
        if self.lower is not None and value < self.lower - _bound_slack(self.lower) - margin:
            return f"{self.label} = {_fmt(value)} < {_fmt(self.lower)}"
        return None

    def to_dict(self) -> dict:
        data: dict[str, Any] = {"coefficients": dict(self.coefficients)}
        if self.upper is not None:
            data["upper"] = self.upper
        if self.lower is not None:
            data["lower"] = self.lower
        if self.name:
            data["name"] = self.name
        return data

    @classmethod
    def from_dict(cls, data: Any) -> LinearConstraint:
        """Build from ``{"coefficients": {...}, "upper": ..., "lower": ..., "name": ...}``."""
        if not isinstance(data, dict):
            raise InvalidParameterError(
                'a constraint is {"coefficients": {"a": 1, "b": 1}, "upper": 100}, '
                f"got {data!r}"
            )
        check_keys(data, ("coefficients", "upper", "lower", "name"), "constraint")
        if "coefficients" not in data:
            raise InvalidParameterError(f"constraint {data!r} lacks coefficients")
        return cls(**data)


def _check_reachable(con: LinearConstraint, dims: dict[str, Dimension]) -> None:
    """Raise unless ``con`` can hold somewhere within the bounds of ``dims`` (name -> numeric dim).

    Only the range of the constraint's value over the box is checked, so an equality
    constraint between two lattice values still passes.
    """
    low = high = 0.0
    for key, c in con.coefficients.items():
        ends = [c * end for end in dims[key]._extremes()]
        low, high = low + min(ends), high + max(ends)
    too_high = con.upper is not None and low > con.upper + _bound_slack(con.upper)
    too_low = con.lower is not None and high < con.lower - _bound_slack(con.lower)
    if too_high or too_low:
        raise InvalidParameterError(
            f"constraint {con.describe()} can never hold: within the dimensions' "
            f"bounds {con.label} reaches only [{_fmt(low)}, {_fmt(high)}]; loosen the "
            "constraint or widen the bounds"
        )


def _check_jointly_reachable(
    constraints: tuple[LinearConstraint, ...],
    matrix: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    dimensions: tuple[Dimension, ...],
) -> None:
    """Raise unless some point within the dimensions' bounds meets all ``constraints`` at
    once (each alone can: ``_check_reachable``), e.g. ``a - b >= 60`` with ``b - a >= 60``.

    A linear program over the box, integer and stepped dimensions relaxed to their
    ranges, each bound widened by the constraints' tolerance.

    Args:
        constraints: the space's constraints (k,).
        matrix: (k, d) their coefficients over all dimensions (0 for categorical ones).
        lower, upper: (k,) their bounds, -inf / inf where absent.
        dimensions: the space's dimensions (d,).
    """
    from scipy.optimize import linprog

    box = [(None, None) if d.kind == "categorical" else d._extremes() for d in dimensions]
    slack_up = np.array([_bound_slack(c.upper) if c.upper is not None else 0 for c in constraints])
    slack_low = np.array([_bound_slack(c.lower) if c.lower is not None else 0 for c in constraints])
    rows = np.isfinite(upper), np.isfinite(lower)
    found = linprog(
        np.zeros(len(dimensions)),
        A_ub=np.vstack([matrix[rows[0]], -matrix[rows[1]]]),
        b_ub=np.concatenate([(upper + slack_up)[rows[0]], -(lower - slack_low)[rows[1]]]),
        bounds=box,
        method="highs",
    )
    if found.status == 2:  # infeasible
        labels = "; ".join(c.describe() for c in constraints)
        raise InvalidParameterError(
            f"the constraints {labels} can never hold together within the dimensions' bounds "
            "(each can alone); loosen or drop one of them"
        )


def _equality_problem(con: LinearConstraint, dims: dict[str, Dimension]) -> str | None:
    """Why no drawn point can meet ``con``, an equality over continuous dimensions without
    a step, and how to fix it; None for any other constraint.

    Random draws of such a dimension never meet an equality exactly, so no design or
    suggestion can be drawn; on a lattice (steps, integers) they can, and a pool of
    candidate recipes is not drawn at all.
    """
    if not con.is_equality:
        return None
    loose = [key for key, c in con.coefficients.items() if c and jitters(dims[key])]
    if not loose:
        return None
    drop = loose[-1]
    rest = {key: c for key, c in con.coefficients.items() if key != drop}
    c = con.coefficients[drop]
    ends = (c * dims[drop].low, c * dims[drop].high)
    if rest:
        label = LinearConstraint(rest, upper=0.0).label
        instead = (
            f"drop {drop!r} from the space (the driver sets it from the others) and bound "
            f"the rest: {_fmt(con.upper - max(ends))} <= {label} <= {_fmt(con.upper - min(ends))}"
        )
    else:
        instead = f"drop {drop!r} from the space (it is fixed at {_fmt(con.upper / c)})"
    return (
        f"equality constraint {con.label} = {_fmt(con.upper)} over the continuous dimensions "
        f"{loose} without a step can never be met by a drawn point, so no design or "
        f"suggestion can be drawn; give {loose} a step (the resolution the instrument sets), "
        f"or {instead}"
    )


@dataclass(frozen=True)
class Space:
    """An ordered set of dimensions, optionally with linear constraints.

    Points are ``{name: value}`` dicts. A point is in the space when every value is
    valid for its dimension and every constraint holds, within the constraint's readback
    tolerance (see :meth:`validate`). A constraint whose
    value cannot reach its bounds anywhere within the dimensions' bounds is refused. An
    equality constraint (``lower == upper``) over a continuous dimension without a
    ``step``, which no drawn point meets, is kept (a pool of candidates can meet it):
    :meth:`undrawable` says why and how to fix it, and a new campaign that draws its
    points refuses it.

    Unit-cube encoding (for models), one column per dimension in order, ``d =
    len(dimensions)``: continuous and integer values map linearly, ``low -> 0`` and
    ``high -> 1``; a categorical value maps to ``index / (k - 1)`` of its choice
    (``0`` when ``k = 1``); the models of recipes (the recipe GP, the spectrum
    network and its diverse picks) take a column of more than two choices one-hot
    (``choice_counts``, ``surrogates.one_hot``). Decoding rounds integers and
    categorical indices and snaps stepped dimensions onto their lattice.

    A space reads as a mapping name -> :class:`Dimension`: ``space["a"]``, ``"a" in
    space``, ``len(space)`` dimensions, and iterating gives the names in order.
    """

    dimensions: tuple[Dimension, ...] = field(default_factory=tuple)
    constraints: tuple[LinearConstraint, ...] = ()

    def __post_init__(self):
        if isinstance(self.dimensions, Dimension):
            raise InvalidParameterError(
                "a space takes a sequence of dimensions; wrap the one Dimension in a tuple"
            )
        try:
            object.__setattr__(self, "dimensions", tuple(self.dimensions))
        except TypeError:
            raise InvalidParameterError(
                f"a space takes a list or tuple of Dimension objects, got {self.dimensions!r}"
            ) from None
        if not self.dimensions:
            raise InvalidParameterError("a space needs at least one dimension")
        for dim in self.dimensions:
            if not isinstance(dim, Dimension):
                raise InvalidParameterError(
                    f"dimensions must be Dimension objects, got {dim!r}; build mappings "
                    "with Space.from_dict"
                )
        names = [d.name for d in self.dimensions]
        if len(set(names)) != len(names):
            raise InvalidParameterError(
                f"dimension names repeat: {names}; give each dimension its own name"
            )
        try:
            object.__setattr__(self, "constraints", tuple(self.constraints))
        except TypeError:
            raise InvalidParameterError(
                "constraints must be a list or tuple of LinearConstraint objects (() for none), "
                f"got {self.constraints!r}"
            ) from None
        dims = {d.name: d for d in self.dimensions}
        for con in self.constraints:
            if not isinstance(con, LinearConstraint):
                raise InvalidParameterError(
                    f"constraints must be LinearConstraint objects, got {con!r}"
                )
            unknown = [key for key in con.coefficients if key not in dims]
            if unknown:
                raise InvalidParameterError(
                    f"constraint {con.label!r} names unknown dimensions {unknown}; "
                    f"the space has {names}"
                )
            categorical = [key for key in con.coefficients if dims[key].kind == "categorical"]
            if categorical:
                raise InvalidParameterError(
                    f"constraint {con.label!r} uses categorical dimensions {categorical}; "
                    "constraints apply to numeric dimensions only"
                )
            _check_reachable(con, dims)
        # constraint matrix (m x d) in original units, and bounds (m,), for feasible()
        matrix = np.zeros((len(self.constraints), len(names)))
        for i, con in enumerate(self.constraints):
            for key, c in con.coefficients.items():
                matrix[i, names.index(key)] = c
        upper = np.array(
            [np.inf if c.upper is None else c.upper for c in self.constraints], dtype=float
        )
        lower = np.array(
            [-np.inf if c.lower is None else c.lower for c in self.constraints], dtype=float
        )
        object.__setattr__(self, "_matrix", matrix)
        object.__setattr__(self, "_upper", upper)
        object.__setattr__(self, "_lower", lower)
        if len(self.constraints) > 1:
            _check_jointly_reachable(self.constraints, matrix, lower, upper, self.dimensions)
        readback = [
            READBACK_TOLERANCE
            * sum(
                abs(c) * (dims[key].high - dims[key].low)
                for key, c in con.coefficients.items()
                if jitters(dims[key])
            )
            for con in self.constraints
        ]
        object.__setattr__(self, "_readback", tuple(readback))

    def __eq__(self, other):
        if not isinstance(other, Space):
            return NotImplemented
        return self.dimensions == other.dimensions and self.constraints == other.constraints

    def __hash__(self):
        return hash((self.dimensions, self.constraints))

    @property
    def names(self) -> list[str]:
        return [d.name for d in self.dimensions]

    @property
    def choice_counts(self) -> dict[int, int]:
        """``{column: number of choices}`` of the categorical dimensions."""
        return {j: len(d.choices) for j, d in enumerate(self.dimensions) if d.kind == "categorical"}

    def __getitem__(self, name: str) -> Dimension:
        for dim in self.dimensions:
            if dim.name == name:
                return dim
        raise InvalidParameterError(f"no dimension {name!r}; the space has {self.names}")

    def __contains__(self, name: Any) -> bool:
        return any(dim.name == name for dim in self.dimensions)

    def __iter__(self) -> Iterator[str]:
        """The dimension names in order, as for a mapping name -> :class:`Dimension`."""
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.dimensions)

    def key(self, point: dict[str, Any]) -> tuple:
        """A checked ``point``'s values in the order of the dimensions: one recipe's
        hashable key, however its dict is ordered."""
        return tuple(point[name] for name in self.names)

    def validate(self, point: Any) -> dict[str, Any]:
        """Return a checked copy of ``point``; raise on missing, unknown or bad values.

        A constraint may be exceeded by its readback tolerance, ``READBACK_TOLERANCE``
        times ``sum(|c_i| * span_i)`` over its continuous dimensions without a step (0.3
        for ``a+b+c <= 100`` on three 0..100 ranges): pumps read back as 33.335 each are
        taken as measured, not projected onto the constraint. Suggestions and designs
        stay strictly feasible: they are drawn with :meth:`feasible`, which has no such
        tolerance.

        Raises:
            InvalidParameterError: malformed point or value.
            OutOfSpaceError: a value outside its dimension, or a constraint violated
                beyond its readback tolerance (the message names the constraint, its
                value, its bound and the tolerance).
        """
        if not isinstance(point, dict):
            raise InvalidParameterError(
                f"a point must be a mapping name -> value (a suggestion's .point), got {point!r}"
            )
        unknown = set(point) - set(self.names)
        if unknown:
            raise InvalidParameterError(
                f"unknown dimensions {_sorted_keys(unknown)}; the space has {self.names}"
            )
        missing = [n for n in self.names if n not in point]
        if missing:
            raise InvalidParameterError(
                f"point {point} lacks dimensions {missing}; give a value for every one of "
                f"{self.names}"
            )
        checked = {dim.name: dim.validate(point[dim.name]) for dim in self.dimensions}
        for con, margin in zip(self.constraints, self._readback, strict=True):
            problem = con.violation(checked, margin=margin)
            if problem is not None:
                beyond = (
                    f" by more than the readback tolerance {margin:g}; measure within the "
                    "constraint, or loosen it"
                    if margin
                    else ""
                )
                raise OutOfSpaceError(f"point violates constraint {problem}{beyond}")
        return checked

    def clip_readback(
        self, point: Any, suggested: dict | None = None, reach: float = 0.0
    ) -> tuple[Any, dict[str, float]]:
        """``point`` with continuous values just past a bound moved onto it, and what moved.

        Values at most ``READBACK_TOLERANCE`` of their dimension's span outside it (the
        readback jitter of a monochromator or a stage) are moved onto the bound, and so are
        values farther out but within ``reach`` of the span of the ``suggested`` point (the
        suggestion a put names: a mono that reads back 8899.7 eV for its setpoint 8900, the
        low end of the scan, which no running campaign can widen); integer,
        categorical and stepped values (settings on a lattice, which readbacks do not
        jitter), and malformed points, are returned as they are for :meth:`validate` to
        check. Observations only: suggestions stay strict. Constraints are left to
        :meth:`validate`, which takes a point within a constraint's readback tolerance
        as read: it is not projected onto the constraint.

        Returns:
            a copy of the point and ``{name: reported value}`` of each value moved.

        Raises:
            OutOfSpaceError: a continuous value farther outside than the tolerance, and
                farther than ``reach`` from the ``suggested`` value (if any).
        """
        if not isinstance(point, dict):
            return point, {}
        clipped, moved = dict(point), {}
        for dim in self.dimensions:
            value = point.get(dim.name)
            if not jitters(dim) or not is_finite_real(value):
                continue
            if dim.low <= value <= dim.high:
                continue
            span = dim.high - dim.low
            tolerance = READBACK_TOLERANCE * span
            near = suggested is not None and abs(value - suggested[dim.name]) <= reach * span
            if not (dim.low - tolerance <= value <= dim.high + tolerance or near):
                units = f" {dim.units}" if dim.units else ""
                named = ""
                if suggested is not None:
                    named = (
                        f" and farther than {reach:.0%} of the range from the "
                        f"{suggested[dim.name]:g}{units} of the suggestion the put names"
                    )
                elif reach:
                    named = (
                        f" (a put naming the suggestion it measured, suggestion_id, is taken "
                        f"onto the bound within {reach:.0%} of the range of that suggestion)"
                    )
                raise OutOfSpaceError(
                    f"{dim.name}={value} lies outside [{dim.low}, {dim.high}]{units} by more "
                    f"than the readback tolerance {tolerance:g}{units} (READBACK_TOLERANCE = "
                    f"{READBACK_TOLERANCE:g} of the range){named}",
                    dim.other_units(value)
                    or "measure inside the space, or widen low/high in a new campaign to "
                    "include the point",
                )
            clipped[dim.name] = dim.low if value < dim.low else dim.high
            moved[dim.name] = float(value)
        return clipped, moved

    # ---- unit-cube encoding -------------------------------------------------------

    def to_unit(self, points: list[dict[str, Any]]) -> np.ndarray:
        """Encode points into the unit cube.

        Args:
            points: ``n`` points; each value is checked against its dimension
                (constraints are not checked, so infeasible points can be encoded).

        Returns:
            ``n x d`` float array in ``[0, 1]``.
        """
        if isinstance(points, dict):
            raise InvalidParameterError("to_unit takes a list of points, got a single mapping")
        if not isinstance(points, list | tuple):
            raise InvalidParameterError(
                f"to_unit takes a list of points (mappings name -> value), got {points!r}"
            )
        out = np.empty((len(points), len(self.dimensions)))
        for i, point in enumerate(points):
            if not isinstance(point, dict) or set(point) != set(self.names):
                raise InvalidParameterError(
                    f"point {point!r} must be a mapping with exactly the keys {self.names}"
                )
            for j, dim in enumerate(self.dimensions):
                value = dim.validate(point[dim.name])
                if dim.kind == "categorical":
                    k = len(dim.choices)
                    out[i, j] = dim.choices.index(value) / (k - 1) if k > 1 else 0.0
                else:
                    out[i, j] = (value - dim.low) / (dim.high - dim.low)
        return out

    def from_unit_array(self, u: Any) -> np.ndarray:
        """Decode unit-cube rows to an array in original units (snapped).

        Args:
            u: ``n x d`` array with values in ``[0, 1]`` (``1e-9`` slack is clipped).

        Returns:
            ``n x d`` float array: every numeric value within its dimension's bounds,
            integers rounded, stepped values on their lattice, categorical columns
            holding the choice index.
        """
        u = finite_matrix("u", u, "unit-cube point")
        d = len(self.dimensions)
        if u.shape[1] != d:
            raise InvalidParameterError(f"expected an n x {d} array, got shape {u.shape}")
        if u.size and (u.min() < -TOL or u.max() > 1 + TOL):
            raise InvalidParameterError(
                f"unit-cube values must lie in [0, 1], got [{u.min()}, {u.max()}]"
            )
        u = np.clip(u, 0.0, 1.0)
        x = np.empty_like(u)
        for j, dim in enumerate(self.dimensions):
            col = u[:, j]
            if dim.kind == "categorical":
                x[:, j] = np.round(col * (len(dim.choices) - 1))
                continue
            # low + 1.0 * (high - low) can round past high: keep decoded values in bounds
            val = np.clip(dim.low + col * (dim.high - dim.low), dim.low, dim.high)
            if dim.kind == "integer":
                val = np.clip(np.round(val), math.ceil(dim.low), math.floor(dim.high))
            else:
                val = dim.snap(val)
            x[:, j] = val
        return x

    def from_unit(self, u: Any) -> list[dict[str, Any]]:
        """Decode unit-cube rows into points (integers rounded, steps snapped).

        Args:
            u: ``n x d`` array with values in ``[0, 1]``.

        Returns:
            ``n`` points; constraints are not checked (see :meth:`feasible`).
        """
        x = self.from_unit_array(u)
        points = []
        for row in x:
            point = {}
            for j, dim in enumerate(self.dimensions):
                if dim.kind == "categorical":
                    point[dim.name] = dim.choices[int(row[j])]
                elif dim.kind == "integer":
                    point[dim.name] = int(row[j])
                else:
                    point[dim.name] = float(row[j])
            points.append(point)
        return points

    def undrawable(self) -> str | None:
        """Why no random draw can meet the constraints (an equality over continuous
        dimensions without a step) and how to fix it, or None."""
        dims = {d.name: d for d in self.dimensions}
        problems = (_equality_problem(con, dims) for con in self.constraints)
        return next((p for p in problems if p is not None), None)

    def feasible(self, u: Any) -> np.ndarray:
        """Which unit-cube rows satisfy every constraint once decoded (vectorised).

        Args:
            u: ``n x d`` array with values in ``[0, 1]``.

        Returns:
            bool array of shape ``(n,)``; agrees with :meth:`validate` on
            :meth:`from_unit` of the same rows, except that it is strict: a row past a
            constraint by no more than its readback tolerance, which :meth:`validate`
            takes, is refused here.
        """
        x = self.from_unit_array(u)
        if not self.constraints:
            return np.ones(len(x), dtype=bool)
        values = x @ self._matrix.T  # n x m
        upper_slack = TOL * np.maximum(
            1.0, np.abs(np.where(np.isfinite(self._upper), self._upper, 0))
        )
        lower_slack = TOL * np.maximum(
            1.0, np.abs(np.where(np.isfinite(self._lower), self._lower, 0))
        )
        ok = (values <= self._upper + upper_slack) & (values >= self._lower - lower_slack)
        return np.all(ok, axis=1)

    # ---- serialisation ------------------------------------------------------------

    def to_dict(self) -> dict:
        return {
            "dimensions": [d.to_dict() for d in self.dimensions],
            "constraints": [c.to_dict() for c in self.constraints],
        }

    @classmethod
    def from_dict(cls, data: Any) -> Space:
        """Build from ``{"dimensions": [...], "constraints": [...]}``.

        Each dimension is ``{"name":..., "kind":..., "low":..., "high":..., "choices":
        [...], "units":..., "step":...}`` (only ``name`` and the bounds or choices are
        required); each constraint is ``{"coefficients": {...}, "upper":..., "lower":...,
        "name":...}``. Unknown keys are rejected.
        """
        if not isinstance(data, dict) or not isinstance(data.get("dimensions"), list):
            raise InvalidParameterError(
                'a space is {"dimensions": [{"name": ..., "low": ..., "high": ...}, ...]}, '
                f"got {data!r}"
            )
        check_keys(data, ("dimensions", "constraints"), "space")
        dims = []
        for raw in data["dimensions"]:
            if not isinstance(raw, dict):
                raise InvalidParameterError(f"a dimension must be a mapping, got {raw!r}")
            check_keys(
                raw, ("name", "kind", "low", "high", "choices", "units", "step"), "dimension"
            )
            if "name" not in raw:
                raise InvalidParameterError(f"dimension {raw!r} needs a name")
            dims.append(Dimension(**raw))
        raw_constraints = data.get("constraints", [])
        if not isinstance(raw_constraints, list):
            raise InvalidParameterError(
                f"constraints must be a list of mappings ([] for none), got {raw_constraints!r}"
            )
        constraints = tuple(LinearConstraint.from_dict(raw) for raw in raw_constraints)
        return cls(tuple(dims), constraints)


def check_space(space: Any, who: str) -> Space:
    """``space`` if it is a :class:`Space`.

    Raises:
        InvalidParameterError: anything else (a mapping: build it with ``Space.from_dict``);
            ``who`` names what takes it.
    """
    if not isinstance(space, Space):
        raise InvalidParameterError(
            f"{who} takes a Space, got {type(space).__name__} {reprlib.repr(space)}; build one "
            "from a mapping with Space.from_dict({'dimensions': [...]})"
        )
    return space
