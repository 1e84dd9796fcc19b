"""The strategy protocol: data in, suggestions out; no sockets, no hardware."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np

from adaptive.records import Observation, Suggestion


@runtime_checkable
class Strategy(Protocol):
    """What every strategy offers the campaign.

    Constructors store settings only (``space`` plus keyword options); learned
    state comes from ``observe``. ``state``/``load_state`` carry what cannot be
    re-derived from the observations (warm-started hyperparameters, counters).
    """

    name: ClassVar[str]

    def observe(self, observations: Sequence[Observation]) -> None:
        """Add measurements; observing the same one twice changes nothing."""

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
