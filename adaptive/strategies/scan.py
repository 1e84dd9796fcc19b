"""Shared bookkeeping of one-dimensional scans (energy, or position along a line)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from adaptive.arrays import as_positions, check_all_finite, check_int
from adaptive.errors import InvalidParameterError, OutOfSpaceError
from adaptive.records import Observation, Suggestion
from adaptive.space import READBACK_TOLERANCE, Space, check_space, jitters
from adaptive.strategy import observation_list

#: Positions closer than this fraction of the scan's range count as the same position.
SAME = 1e-9
#: A scan skips a position whose measurement failed this many times, within half
#: ``READBACK_TOLERANCE`` of the range, and the glitch band around it (see
#: ``Scan._glitch_bands``): a monochromator glitch or an I0 dip fails there every time (an
#: energy_scan asked for one energy 20 times in a row, and its driver gave up), a beam loss
#: once, so fewer failures are measured again.
REPEATED_FAILURES = 3


class Scan:
    """Base of 1-D scan strategies over the single continuous dimension of ``space``.

    Observations are kept by identity, as the ``Strategy`` protocol says: re-observing
    one object is a no-op, two readings alike (one point, value and time) are two, and
    the order of ``observe`` calls does not matter. Subclasses
    implement ``_choose(n, taken)`` returning positions and reasons; positions
    lie on the dimension's step lattice when it has a ``step``. A subclass that sets
    ``avoids_failed`` gets the failed points too, and takes a position whose measurement
    failed ``REPEATED_FAILURES`` times as taken; the grids do not (a grid
    whose every reading fails, a dead beam, would complete without a reading).
    """

    name: ClassVar[str] = "scan"

    def __init__(self, space: Space):
        dims = check_space(space, type(self).__name__).dimensions
        if len(dims) != 1:
            raise InvalidParameterError(
                f"{self.name} scans one continuous dimension; got {[d.name for d in dims]}"
            )
        if dims[0].kind != "continuous":
            raise InvalidParameterError(
                f"{self.name} scans one continuous dimension; {dims[0].name!r} is of kind "
                f"{dims[0].kind!r}: give it kind 'continuous' with low and high, and 'step': 1 "
                "(in its units) for a monochromator or stage that moves in whole steps"
            )
        if space.constraints:
            shown = [c.to_dict() for c in space.constraints]
            raise InvalidParameterError(
                f"{self.name} scans the whole of [{dims[0].low}, {dims[0].high}] and cannot "
                f"honour the constraints {shown}: on one dimension a constraint is a bound, "
                "so drop it and narrow low/high to the range it allows"
            )
        self.space = space
        self.dimension = dims[0]
        # id -> (observation, held so ids stay unique; its position, value, uncertainty)
        self._observed: dict[int, tuple[Observation, tuple[float, float, float]]] = {}
        #: (first, last) position of each glitch band given up on, as the last suggest saw
        self.given_up: list[tuple[float, float]] = []

    def _require_ev(self, why: str) -> None:
        """An error unless the dimension's units are eV or unset: ``why`` is given in eV."""
        if self.dimension.units.strip().lower() not in ("", "ev"):
            raise InvalidParameterError(
                f"{self.name}: the energy dimension {self.dimension.name!r} is in "
                f"{self.dimension.units!r}, but {why} in eV; give the energy dimension in eV "
                "(units 'eV', low and high in eV)"
            )

    def _inside(self, points) -> np.ndarray:
        """``points`` as positions (m,) (see ``as_positions``), those at most
        ``READBACK_TOLERANCE`` of the range past a bound moved onto it, as ``observation_put``
        takes a readback (a replay's bound read from its file, 7032.000244 eV, and 7032.0
        asked), or an OutOfSpaceError naming the first farther outside the scan (an
        InvalidParameterError naming a NaN or inf one)."""
        points = as_positions("points", points)
        check_all_finite("points", points, "predict at real energies")
        reach = READBACK_TOLERANCE * (self.high - self.low) if jitters(self.dimension) else 0.0
        outside = ~((points >= self.low - reach) & (points <= self.high + reach))
        if outside.any():
            k = int(np.argmax(outside))
            units = f" {self.dimension.units}".rstrip()
            beyond = f" by more than the readback tolerance {reach:g}{units}" if reach else ""
            raise OutOfSpaceError(
                f"point {k} ({self.dimension.name}={points.flat[k]}) lies outside the scan "
                f"[{self.low}, {self.high}]{units}{beyond}; predict only inside it (the model "
                "does not extrapolate)"
            )
        return np.clip(points, self.low, self.high)

    @property
    def low(self) -> float:
        return float(self.dimension.low)

    @property
    def high(self) -> float:
        return float(self.dimension.high)

    def observe(self, observations: Sequence[Observation]) -> None:
        for obs in observation_list(observations, self.name):
            if obs.value is None:
                raise InvalidParameterError(
                    f"{self.name} needs a scalar value per observation; "
                    f"got only a spectrum at {obs.point}"
                )
            position = float(self.space.validate(obs.point)[self.dimension.name])
            uncertainty = np.nan if obs.uncertainty is None else obs.uncertainty
            self._observed[id(obs)] = (obs, (position, obs.value, uncertainty))

    def _rows(self) -> np.ndarray:
        """(n, 3) observed position, value and uncertainty (NaN: not given), by position."""
        rows = sorted((row for _, row in self._observed.values()), key=lambda row: row[:2])
        return np.array(rows, float).reshape(-1, 3)

    def data(self) -> tuple[np.ndarray, np.ndarray]:
        """Observed positions (n,) and values (n,), sorted by position."""
        rows = self._rows()
        return rows[:, 0], rows[:, 1]

    def uncertainties(self) -> np.ndarray:
        """One standard deviation (n,) per value of ``data()``, in its order; NaN where the
        observation gave none."""
        return self._rows()[:, 2]

    def suggest(
        self, n: int, pending: Sequence[dict[str, Any]] = (), failed: Sequence[dict] = ()
    ) -> list[Suggestion]:
        """Up to ``n`` positions; ``pending`` holds points (``suggestion.point``) not to repeat,
        ``failed`` those of failed measurements (see ``REPEATED_FAILURES``)."""
        n = check_int("n", n, 1, why="ask for at least one suggestion")
        name = self.dimension.name
        self.given_up = self._glitch_bands([self.space.validate(p)[name] for p in failed])
        taken = [*self.data()[0], *(self.space.validate(p)[name] for p in pending)]
        chosen = self._choose(n, taken)
        return [
            Suggestion(
                point={self.dimension.name: float(x)},
                strategy=self.name,
                acquisition=None if acq is None else float(acq),
                reason=reason,
            )
            for x, acq, reason in chosen
        ]

    def _choose(self, n: int, taken: list[float]) -> list[tuple[float, float | None, str]]:
        raise NotImplementedError

    def _glitch_bands(self, failed: list[float]) -> list[tuple[float, float]]:
        """The (first, last) positions skipped around each glitch band, ascending.

        A band starts at a position that failed ``REPEATED_FAILURES`` times (within half
        the readback tolerance: a glitch fails there each time, a beam loss fails the
        neighbouring energies of a batch once each) and takes in each of the ``failed``
        positions within ``reach`` (the readback tolerance, or a lattice step if larger) of
        the span it skips, short of the readings that succeeded on either side of the start.
        A position that failed fewer times and was measured there (a beam loss's, measured
        again) counts for nothing. The span reaches past its failed positions by their
        spread, at least ``reach``, and not past a reading that succeeded: it doubles with
        each failure at its side, so a 4 eV band on a 0.2 eV grid costs a few failures, not
        one per grid energy (22 in a row, and the driver gave up). Spans that overlap merge.
        """
        measured = self.data()[0]
        ordered = np.sort(np.asarray(failed, float))
        same = SAME * (self.high - self.low)
        here = np.searchsorted(ordered, ordered + same, "right")
        here -= np.searchsorted(ordered, ordered - same)
        passing = self._is_taken(ordered, measured) & (here < REPEATED_FAILURES)
        ordered = ordered[~passing]  # a beam loss's, measured there since
        if len(ordered) < REPEATED_FAILURES:
            return []
        tolerance = READBACK_TOLERANCE * (self.high - self.low)
        around = np.searchsorted(ordered, ordered + tolerance / 2, "right")
        repeats = around - np.searchsorted(ordered, ordered - tolerance / 2)
        reach = max(tolerance, self.dimension.step or 0.0)
        spans: list[tuple[float, float]] = []
        for seed in np.unique(ordered[repeats >= REPEATED_FAILURES]):
            below = measured[measured < seed].max(initial=-np.inf)
            above = measured[measured > seed].min(initial=np.inf)
            between = ordered[(ordered > below) & (ordered < above)]  # not past a success
            first = last = seed
            while True:
                pad = max(reach, last - first)
                near = between[(between >= first - pad - reach) & (between <= last + pad + reach)]
                if near[0] >= first and near[-1] <= last:
                    break
                first, last = min(first, near[0]), max(last, near[-1])
            low = max(first - pad, below, self.low)
            high = min(last + pad, above, self.high)
            if spans and low <= spans[-1][1]:  # a seed of the band before, or overlapping it
                before = spans.pop()
                low, high = min(low, before[0]), max(high, before[1])
            spans.append((float(low), float(high)))
        return spans

    def _in_given_up(self, positions) -> np.ndarray:
        """Whether each of ``positions`` (m,) lies in a glitch band given up on
        (``given_up``), to ``SAME`` of the range: no reading can come from there."""
        positions, same = np.asarray(positions, float), SAME * (self.high - self.low)
        inside = np.zeros(positions.shape, bool)
        for first, last in self.given_up:
            inside |= (positions >= first - same) & (positions <= last + same)
        return inside

    def _is_taken(self, positions, taken) -> np.ndarray:
        """Whether each of ``positions`` (m,) is one of ``taken`` (k,), to ``SAME`` of the range.

        Each position is compared with its two neighbours in sorted ``taken``: memory
        O(m + k), not an m x k distance matrix (480 MB at m=100,000 and k=300).
        """
        positions, taken = np.asarray(positions, float), np.sort(np.asarray(taken, float))
        if taken.size == 0:
            return np.zeros(positions.shape, bool)
        above = np.searchsorted(taken, positions).clip(max=taken.size - 1)
        below = (above - 1).clip(min=0)
        nearest = np.minimum(np.abs(positions - taken[below]), np.abs(positions - taken[above]))
        return nearest <= SAME * (self.high - self.low)

    def _is_measured(self, positions, taken) -> np.ndarray:
        """Whether each scan position of ``positions`` (m,), ascending, is taken.

        A value of ``taken`` (k,) takes the position it lies closer to than half the way to
        the neighbouring position on that side, or within ``SAME`` of the range, so a driver
        that reports the monochromator's readback (setpoint plus a meV) still measures the
        suggested position. Positions within ``SAME`` of each other count as one. Memory
        O(m + k), as ``_is_taken``.
        """
        positions, taken = np.asarray(positions, float), np.sort(np.asarray(taken, float))
        same = SAME * (self.high - self.low)
        new = np.diff(positions, prepend=-np.inf) > same
        heads, run = positions[new], np.cumsum(new) - 1  # one head per run within SAME
        measured = np.zeros(heads.shape, bool)
        if taken.size == 0:
            return measured[run]
        gaps = np.diff(heads) if heads.size > 1 else np.array([self.high - self.low])
        below, above = np.append(gaps[:1], gaps), np.append(gaps, gaps[-1:])
        right = np.searchsorted(taken, heads).clip(max=taken.size - 1)
        for near in (taken[(right - 1).clip(min=0)], taken[right]):  # nearest on each side
            offset = np.abs(near - heads)
            half = np.where(near >= heads, above, below) / 2
            measured |= (offset < half) | (offset <= same)
        return measured[run]

    def _next_unmeasured(self, positions: np.ndarray, n: int, taken: list[float], label: str):
        """The first ``n`` of ``positions`` (m,) not measured or pending (see ``_is_measured``)
        as (x, None, reason) rows; fewer (none) when fewer are left, as at the end of a batch
        that does not divide them."""
        free = np.flatnonzero(~self._is_measured(positions, taken))
        m = len(positions)
        return [(float(positions[k]), None, f"{label}: point {k + 1}/{m}") for k in free[:n]]

    def _all_measured(self, positions: np.ndarray) -> bool:
        """Whether every one of ``positions`` (m,) has been observed (see ``_is_measured``)."""
        return bool(self._is_measured(positions, self.data()[0]).all())

    def predict(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Linear interpolation through the observations (repeats averaged) at ``points`` (m,).

        One number is one point (m = 1); an (m, 1) column is taken as (m,). Returns the
        mean (m,) and None for the std.

        Raises:
            OutOfSpaceError: a point outside [low, high] by more than ``READBACK_TOLERANCE``
                of the range (see ``_inside``: one within is taken onto the bound).
        """
        points = self._inside(points)
        x, y = self.data()
        if x.size < 2:
            raise InvalidParameterError(
                f"{self.name} needs two observations to reconstruct, has {x.size}; measure "
                "the points it suggests first"
            )
        unique, inverse = np.unique(x, return_inverse=True)
        means = np.bincount(inverse, y) / np.bincount(inverse)
        return np.interp(points, unique, means), None

    def stop_reason(self) -> str | None:
        return None

    def state(self) -> dict:
        return {}

    def load_state(self, state: dict) -> None:
        if state:
            raise InvalidParameterError(f"{self.name} keeps no state; got {sorted(state)}")
