"""The strategy protocol: data in, suggestions out; no sockets, no hardware."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np

from adaptive.errors import InvalidParameterError
from adaptive.records import Observation, Suggestion

#: The methods a strategy defines (see ``Strategy``), besides its ``name``.
METHODS = ("observe", "suggest", "predict", "stop_reason", "state", "load_state")


@runtime_checkable
class Strategy(Protocol):
    """What every strategy offers the campaign.

    Constructors store settings only (``space`` plus keyword options, plain JSON, which
    a campaign's ``{"name": ..., "options": {...}}`` config passes); learned state comes
    from ``observe``. ``state``/``load_state`` carry what cannot be re-derived from the
    observations (warm-started hyperparameters, counters). A class of one's own serves
    campaigns once ``adaptive.strategies.register_strategy`` has added it under its ``name``.

    A strategy whose class sets ``avoids_failed = True`` (a recipe that clogged will clog
    again) has its ``suggest`` called with a third argument, ``failed``: the points of failed
    measurements and of readings whose analysis failed, not to be suggested again (nor
    counted as measured: an initial design replaces them), unless it says otherwise
    (energy_scan, whose failed reading was likely a beam loss, skips an energy only once it
    failed there ``REPEATED_FAILURES`` times: a monochromator glitch); others (the grids)
    may suggest them again. A strategy with a
    ``check_new()`` method has it called when a new campaign is created, before anything is
    journaled, to refuse settings it cannot serve (raising ``InvalidParameterError``); a
    journal holding such a campaign still resumes. A strategy with a ``stop_options()``
    method names the stopping options set on it (``{name: value}``), which a new campaign
    with the goal ``stop_on_convergence`` false refuses (it would ignore them). A strategy
    with a ``warning()`` method (a sentence, or None) has it added to the warnings of the
    put after which it begins to return one (energy_scan and batch_bo: uncertainties in
    other units).
    """

    name: ClassVar[str]

    def observe(self, observations: Sequence[Observation]) -> None:
        """Add measurements; observing the same object twice changes nothing (two readings
        alike, at one point, value and time, are two)."""

    def suggest(self, n: int, pending: Sequence[dict[str, Any]] = ()) -> list[Suggestion]:
        """Return ``n`` new points (fewer where a finite scan has fewer left), none equal to
        a ``pending`` or another suggested one."""

    def predict(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Model at ``points``, (m,) in a 1-D space, else (m, d): mean (m,) and std (m,) or None."""

    def stop_reason(self) -> str | None:
        """Why the strategy considers the campaign done, or None."""

    def state(self) -> dict:
        """JSON-able learned state."""

    def load_state(self, state: dict) -> None:
        """Restore what ``state`` returned."""


def observation_list(observations: Any, name: str) -> Sequence[Observation]:
    """``observations`` if it is a sequence (a list) of ``Observation``, else an error saying
    so (a single one is refused: ``observe([observation])``); ``name`` is the strategy's."""
    if isinstance(observations, Sequence) and all(
        isinstance(obs, Observation) for obs in observations
    ):
        return observations
    one = "; pass one as [observation]" if isinstance(observations, Observation) else ""
    raise InvalidParameterError(
        f"{name}.observe takes a list of Observation objects, got "
        f"{type(observations).__name__}{one}"
    )


def check_state(name: str, state: Any, keys: set[str]) -> None:
    """Refuse a ``state`` for strategy ``name`` that is not a mapping of exactly ``keys``
    (what its ``state()`` returns)."""
    if not isinstance(state, dict):
        raise InvalidParameterError(
            f"{name} state must be the mapping its state() returned, got {type(state).__name__}"
        )
    unknown, missing = sorted(set(state) - keys), sorted(keys - set(state))
    if unknown or missing:
        raise InvalidParameterError(
            f"{name} state "
            + (f"has unknown keys {unknown}" if unknown else f"lacks {missing}")
            + "; load only what its state() returned"
        )
