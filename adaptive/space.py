"""The search space: named continuous, integer and categorical dimensions."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from adaptive.errors import InvalidParameterError, OutOfSpaceError

KINDS = ("continuous", "integer", "categorical")


@dataclass(frozen=True)
class Dimension:
    """One named axis of a space.

    Args:
        name: the key of this dimension in every point.
        kind: ``"continuous"``, ``"integer"`` or ``"categorical"``.
        low, high: inclusive bounds (continuous and integer).
        choices: allowed values (categorical).
        units: free text, e.g. ``"eV"``.
    """

    name: str
    kind: str = "continuous"
    low: float | None = None
    high: float | None = None
    choices: tuple[Any, ...] = ()
    units: str = ""

    def __post_init__(self):
        if not self.name or not isinstance(self.name, str):
            raise InvalidParameterError(
                f"dimension name must be a non-empty string, got {self.name!r}"
            )
        if self.kind not in KINDS:
            raise InvalidParameterError(
                f"dimension {self.name!r}: kind {self.kind!r} is not one of {KINDS}"
            )
        if self.kind == "categorical":
            if len(self.choices) < 1:
                raise InvalidParameterError(f"categorical dimension {self.name!r} needs choices")
            object.__setattr__(self, "choices", tuple(self.choices))
            return
        for bound in (self.low, self.high):
            if (
                isinstance(bound, bool)
                or not isinstance(bound, (int, float))
                or not math.isfinite(bound)
            ):
                raise InvalidParameterError(
                    f"dimension {self.name!r}: bounds must be finite numbers, "
                    f"got low={self.low!r}, high={self.high!r}"
                )
        if not self.low < self.high:
            raise InvalidParameterError(
                f"dimension {self.name!r}: low={self.low} must be below high={self.high}"
            )

    def validate(self, value: Any) -> Any:
        """Return ``value`` checked (and cast) for this dimension, or raise."""
        if self.kind == "categorical":
            if value not in self.choices:
                raise OutOfSpaceError(
                    f"{self.name}={value!r} is not one of the choices {list(self.choices)}"
                )
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InvalidParameterError(f"{self.name}={value!r} is not a number")
        if not math.isfinite(value):
            raise InvalidParameterError(f"{self.name}={value!r} is not finite; send a real number")
        if not self.low <= value <= self.high:
            raise OutOfSpaceError(
                f"{self.name}={value} lies outside [{self.low}, {self.high}] {self.units}".rstrip()
            )
        if self.kind == "integer":
            if value != int(value):
                raise InvalidParameterError(f"{self.name}={value} must be an integer")
            return int(value)
        return float(value)

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "kind": self.kind,
            "low": self.low,
            "high": self.high,
            "choices": list(self.choices),
            "units": self.units,
        }


@dataclass(frozen=True)
class Space:
    """An ordered set of dimensions; points are ``{name: value}`` dicts."""

    dimensions: tuple[Dimension, ...] = field(default_factory=tuple)

    def __post_init__(self):
        object.__setattr__(self, "dimensions", tuple(self.dimensions))
        if not self.dimensions:
            raise InvalidParameterError("a space needs at least one dimension")
        names = [d.name for d in self.dimensions]
        if len(set(names)) != len(names):
            raise InvalidParameterError(f"dimension names repeat: {names}")

    @property
    def names(self) -> list[str]:
        return [d.name for d in self.dimensions]

    def __getitem__(self, name: str) -> Dimension:
        for dim in self.dimensions:
            if dim.name == name:
                return dim
        raise InvalidParameterError(f"no dimension {name!r}; the space has {self.names}")

    def validate(self, point: Any) -> dict[str, Any]:
        """Return a checked copy of ``point``; raise on missing, unknown or bad values."""
        if not isinstance(point, dict):
            raise InvalidParameterError(f"a point must be a mapping name -> value, got {point!r}")
        unknown = set(point) - set(self.names)
        if unknown:
            raise InvalidParameterError(
                f"unknown dimensions {sorted(unknown)}; the space has {self.names}"
            )
        missing = [n for n in self.names if n not in point]
        if missing:
            raise InvalidParameterError(f"point {point} lacks dimensions {missing}")
        return {dim.name: dim.validate(point[dim.name]) for dim in self.dimensions}

    def to_dict(self) -> dict:
        return {"dimensions": [d.to_dict() for d in self.dimensions]}

    @classmethod
    def from_dict(cls, data: Any) -> Space:
        """Build from ``{"dimensions": [{"name":..., "low":..., ...}, ...]}``."""
        if not isinstance(data, dict) or not isinstance(data.get("dimensions"), list):
            raise InvalidParameterError(
                'a space is {"dimensions": [{"name": ..., "low": ..., "high": ...}, ...]}, '
                f"got {data!r}"
            )
        dims = []
        for raw in data["dimensions"]:
            if not isinstance(raw, dict):
                raise InvalidParameterError(f"a dimension must be a mapping, got {raw!r}")
            unknown = set(raw) - {"name", "kind", "low", "high", "choices", "units"}
            if unknown:
                raise InvalidParameterError(f"unknown dimension fields {sorted(unknown)}")
            dims.append(Dimension(**{**raw, "choices": tuple(raw.get("choices") or ())}))
        return cls(tuple(dims))
