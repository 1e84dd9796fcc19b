"""Records that travel between driver, server, campaign and strategy."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from adaptive.arrays import is_finite_real, is_real, real_array
from adaptive.errors import InvalidParameterError


def _non_text_key(value: Any, where: str) -> tuple[str, Any] | None:
    """``(where it is, key)`` of the first mapping key in ``value`` that is not a str."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return where, key
            found = _non_text_key(item, f"{where}[{key!r}]")
            if found is not None:
                return found
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            found = _non_text_key(item, f"{where}[{i}]")
            if found is not None:
                return found
    return None


def reading_number(name: str, value: Any) -> float:
    """An observation's ``value`` or ``uncertainty`` as a float.

    Raises:
        InvalidParameterError: not a scalar number (an array, a string), or NaN/inf,
            saying what to send instead.
    """
    if is_finite_real(value):
        return float(value)
    if is_real(value):
        fix = (
            "for a failed measurement send failed='<why>' and no value"
            if name == "value"
            else "drop it"
        )
        raise InvalidParameterError(f"observation {name}={value!r} must be a finite number", fix)
    raise InvalidParameterError(
        f"observation {name}={value!r} must be one number, not {type(value).__name__}",
        "send float(x) (a measured curve goes in spectrum)",
    )


@dataclass(frozen=True)
class Suggestion:
    """A point the strategy asks to measure, with why it was chosen.

    Args:
        point: ``{dimension name: value}``.
        strategy: name of the strategy that chose it, optionally ":source" (e.g. "batch_bo:gp").
        acquisition: the acquisition value at ``point`` (higher was better), or None.
        reason: a short human-readable reason ("max warped posterior std", "initial grid").
        id: unique id; drivers echo it back in the observation.
    """

    point: dict[str, Any]
    strategy: str
    acquisition: float | None = None
    reason: str = ""
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    def __post_init__(self):
        if not isinstance(self.point, dict):
            raise InvalidParameterError(
                f"a suggestion's point must be a mapping, got {self.point!r}"
            )
        for name in ("strategy", "reason", "id"):
            if not isinstance(getattr(self, name), str):
                raise InvalidParameterError(
                    f"a suggestion's {name} must be text, got {getattr(self, name)!r}"
                )
        if self.acquisition is not None:
            if not is_finite_real(self.acquisition):
                raise InvalidParameterError(
                    f"acquisition={self.acquisition!r} must be a finite number or None; "
                    "the strategy should not rank a point by NaN"
                )
            object.__setattr__(self, "acquisition", float(self.acquisition))

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "point": self.point,
            "strategy": self.strategy,
            "acquisition": self.acquisition,
            "reason": self.reason,
        }


@dataclass(frozen=True, eq=False)
class Spectrum:
    """A measured spectrum: ``x`` (n,), ``y`` (n,) float copies of the arrays given, with units.

    x must be finite; NaN or inf in y are missing channels (a dead detector channel), which
    only an analysis that takes them reads (``refuse_missing``). Two spectra are equal when
    their arrays (NaN at the same channels) and units are.
    """

    x: np.ndarray
    y: np.ndarray
    x_units: str = ""
    y_units: str = ""

    def __post_init__(self):
        for name in ("x_units", "y_units"):
            if not isinstance(getattr(self, name), str):
                raise InvalidParameterError(
                    f"spectrum {name}={getattr(self, name)!r} must be text such as 'eV' "
                    "(or '' for none)"
                )
        x = real_array("spectrum x", self.x)
        y = real_array("spectrum y", self.y)
        if x.ndim != 1 or y.ndim != 1:
            raise InvalidParameterError(
                f"spectrum arrays must be 1-D, got shapes {x.shape}, {y.shape}"
            )
        if x.shape != y.shape:
            raise InvalidParameterError(
                f"spectrum x and y differ in length ({x.size} vs {y.size})",
                "send equal-length arrays",
            )
        if x.size == 0:
            raise InvalidParameterError("spectrum arrays are empty", "send at least one channel")
        object.__setattr__(self, "x", x)
        object.__setattr__(self, "y", y)
        _refuse_non_finite(self, "x", "fill each with the value its step gives")

    def refuse_missing(self) -> None:
        """Raise ``InvalidParameterError`` when y holds NaN or inf (missing channels)."""
        _refuse_non_finite(
            self,
            "y",
            "fill each with its neighbours' mean (a peak fit refuses the gap that dropping a "
            "channel leaves in x; other analyses take such a gap, so there dropping those "
            "channels works too); only the elements analysis takes them as missing channels, and a "
            "campaign that reads no spectrum (the put carries the value) keeps them",
        )

    def ascending(self) -> tuple[np.ndarray, np.ndarray]:
        """``(x, y)``, each (n,), ordered by increasing x (stable: repeated x keep their
        order); a spectrum may be recorded either way (high to low is common)."""
        order = np.argsort(self.x, kind="stable")
        return self.x[order], self.y[order]

    def __eq__(self, other):
        if not isinstance(other, Spectrum):
            return NotImplemented
        return (
            (self.x_units, self.y_units) == (other.x_units, other.y_units)
            and np.array_equal(self.x, other.x)
            and np.array_equal(self.y, other.y, equal_nan=True)
        )

    __hash__ = None


def _refuse_non_finite(spectrum: Spectrum, name: str, fix: str) -> None:
    """Raise ``InvalidParameterError`` saying ``fix`` when the spectrum's array ``name``
    ("x" or "y") holds NaN or inf."""
    values = getattr(spectrum, name)
    bad = ~np.isfinite(values)
    if bad.any():
        raise InvalidParameterError(
            f"spectrum holds NaN or inf in {name} at {bad.sum()} of its {values.size} channels "
            f"(the first index {np.flatnonzero(bad)[0]})",
            fix,
        )


@dataclass(frozen=True)
class Observation:
    """One measurement at ``point``: a scalar ``value``, a ``spectrum``, or both; or one
    that ``failed``.

    Args:
        point: ``{dimension name: value}``.
        value: the scalar result (None when only a spectrum was measured).
        uncertainty: one standard deviation of ``value``, if known.
        spectrum: optional measured spectrum, a :class:`Spectrum` (a mapping is refused).
        suggestion_id: id of the suggestion this answers, if any.
        metadata: free JSON-able details (detector, helicity, counts, ...).
        time: UNIX seconds when measured.
        failed: why the measurement failed ("channel clogged"), or None. A failed one has
            no value or uncertainty (a spectrum, if any, is kept): a campaign journals it
            and answers its suggestion, and its strategy does not learn it.
    """

    point: dict[str, Any]
    value: float | None = None
    uncertainty: float | None = None
    spectrum: Spectrum | None = None
    suggestion_id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    time: float = field(default_factory=time.time)
    failed: str | None = None

    def __post_init__(self):
        self._check_fields()
        try:
            json.dumps(self.metadata, allow_nan=False)
        except (TypeError, ValueError) as err:
            raise InvalidParameterError(
                f"metadata must hold only JSON values (strings, finite numbers, lists, "
                f"mappings): {err}; send arrays as spectra"
            ) from None
        found = _non_text_key(self.metadata, "metadata")
        if found is not None:
            where, key = found
            raise InvalidParameterError(
                f"{where} has the key {key!r}, which is not a string; JSON would turn it "
                f"into text and could merge it with another key; use the string {str(key)!r}"
            )

    @classmethod
    def from_journal(
        cls,
        *,
        point: dict[str, Any],
        value: float | None,
        uncertainty: float | None,
        suggestion_id: str | None,
        metadata: dict[str, Any],
        time: float,
        spectrum: Spectrum | None,
    ) -> Observation:
        """The observation a journal row keeps: its record's fields, parsed from JSON text
        refused if it holds NaN or Infinity, and its spectrum (or None).

        Checked as ``Observation(...)`` checks a new one, but for ``metadata``'s contents:
        such text holds only text keys and finite JSON values, so they are not encoded
        again to check (that took most of the time of reading a journal).
        """
        observation = object.__new__(cls)
        fields = {
            "point": point,
            "value": value,
            "uncertainty": uncertainty,
            "spectrum": spectrum,
            "suggestion_id": suggestion_id,
            "metadata": metadata,
            "time": time,
            "failed": None,
        }
        for name, field_value in fields.items():
            object.__setattr__(observation, name, field_value)
        observation._check_fields()
        return observation

    def _check_fields(self) -> None:
        """Check (and cast) every field but ``metadata``'s contents."""
        if self.failed is not None:
            if not isinstance(self.failed, str) or not self.failed.strip():
                raise InvalidParameterError(
                    f"failed={self.failed!r} must be non-empty text saying why the measurement "
                    "failed, such as 'channel clogged'"
                )
            if self.value is not None or self.uncertainty is not None:
                raise InvalidParameterError(
                    f"a failed measurement (failed={self.failed!r}) has no value or uncertainty",
                    "drop them, or drop failed if the measurement worked",
                )
        if self.spectrum is not None and not isinstance(self.spectrum, Spectrum):
            raise InvalidParameterError(
                f"spectrum must be a Spectrum, got {type(self.spectrum).__name__}",
                "build one with Spectrum(x=..., y=..., x_units=..., y_units=...) "
                "(adaptive.Spectrum)",
            )
        if self.failed is None and self.value is None and self.spectrum is None:
            raise InvalidParameterError(
                "an observation needs a value or a spectrum",
                "for a failed measurement (a clogged reactor, a broken sample) send "
                "failed='<why>' instead of a value",
            )
        for name in ("value", "uncertainty"):
            v = getattr(self, name)
            if v is not None:
                object.__setattr__(self, name, reading_number(name, v))
        if self.uncertainty is not None and self.uncertainty < 0:
            raise InvalidParameterError(f"uncertainty={self.uncertainty} must be >= 0")
        if not is_finite_real(self.time):
            raise InvalidParameterError(
                f"observation time={self.time!r} must be UNIX seconds (a finite number)"
            )
        object.__setattr__(self, "time", float(self.time))
        if self.suggestion_id is not None and not isinstance(self.suggestion_id, str):
            raise InvalidParameterError(
                f"suggestion_id={self.suggestion_id!r} must be the suggestion's id string"
            )
        if not isinstance(self.metadata, dict):
            raise InvalidParameterError(f"metadata must be a mapping, got {self.metadata!r}")
