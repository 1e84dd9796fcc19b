"""Baseline: the segmented XAFS scan beamlines run by hand."""

from __future__ import annotations

import numpy as np

from adaptive.arrays import is_finite_real
from adaptive.errors import InvalidParameterError
from adaptive.space import Space
from adaptive.strategies.scan import Scan
from adaptive.strategies.uniform_grid import MAX_POINTS
from simulators.lineshapes import K_FACTOR


class ConventionalScan(Scan):
    """Coarse pre-edge, fine edge, constant-k steps after the edge.

    Regions (at ``scale=1``): pre-edge ``step_pre`` eV up to ``E0 + xanes_from``;
    XANES ``step_xanes`` eV up to ``E0 + xanes_to``, at or above the edge (``xanes_to >=
    0``), where k starts; then ``step_k`` Å^-1 in k to the end of the space. ``scale``
    multiplies all steps together. On a dimension with a ``step`` the energies are
    snapped to its lattice (repeats merged). At most ``MAX_POINTS`` energies (of
    ``uniform_grid``), as for a grid.

    Args:
        space: one continuous dimension, the energy in eV.
        edge_energy: E0 in eV (the known edge of the element), inside the space.
        scale: factor on all three steps, > 0 (``bench scan`` scales them together).
        step_pre: pre-edge step, eV, > 0.
        step_xanes: XANES step, eV, > 0.
        step_k: EXAFS step in k, 1/Å, > 0.
        xanes_from, xanes_to: the XANES region, eV relative to E0, ``xanes_from <
            xanes_to`` and ``xanes_to >= 0``.
    """

    name = "conventional"

    def __init__(
        self,
        space: Space,
        edge_energy: float,
        scale: float = 1.0,
        step_pre: float = 10.0,
        step_xanes: float = 0.5,
        step_k: float = 0.05,
        xanes_from: float = -20.0,
        xanes_to: float = 30.0,
    ):
        super().__init__(space)
        self._require_ev("edge_energy, the steps and the k conversion are")
        if not is_finite_real(edge_energy) or not self.low < edge_energy < self.high:
            raise InvalidParameterError(
                f"edge_energy={edge_energy!r} must be a number in eV inside "
                f"[{self.low}, {self.high}]"
            )
        if not is_finite_real(scale) or scale <= 0:
            raise InvalidParameterError(f"scale={scale!r} must be a finite number > 0")
        steps = {"step_pre": step_pre, "step_xanes": step_xanes, "step_k": step_k}
        for key, step in steps.items():
            if not is_finite_real(step) or step <= 0:
                raise InvalidParameterError(
                    f"{key}={step!r} must be a finite number > 0 (a step of the scan)"
                )
        if not (is_finite_real(xanes_from) and is_finite_real(xanes_to)):
            raise InvalidParameterError(
                f"xanes_from={xanes_from!r} and xanes_to={xanes_to!r} must be finite numbers "
                "(eV relative to edge_energy)"
            )
        if not xanes_from < xanes_to:
            raise InvalidParameterError(
                f"xanes_from={xanes_from} must be below xanes_to={xanes_to}: the XANES "
                "region runs from E0 + xanes_from up to E0 + xanes_to"
            )
        if xanes_to < 0:
            raise InvalidParameterError(
                f"xanes_to={xanes_to} must be >= 0: the k steps start at the edge E0 (k = 0), "
                "so the XANES region must reach it; give xanes_to >= 0 eV"
            )
        self.edge_energy = float(edge_energy)
        self.scale = scale
        self.steps = (step_pre, step_xanes, step_k)
        self.xanes = (xanes_from, xanes_to)
        count = 1 + sum(
            np.ceil(max(stop - start, 0.0) / step) if step > 0 else np.inf  # 0: underflowed
            for start, stop, step in self._ranges()
        )
        if count > MAX_POINTS:
            raise InvalidParameterError(
                f"scale={scale:g} with steps {self.steps} makes {count:.3g} scan points, more "
                f"than the {MAX_POINTS} a scan takes; raise scale or the steps"
            )

    def _ranges(self) -> list[tuple[float, float, float]]:
        """(start, stop, step) of the pre-edge and XANES energies (eV) and the EXAFS k (1/Å)."""
        e0, (lo, hi) = self.edge_energy, self.xanes
        step_pre, step_xanes, step_k = (s * self.scale for s in self.steps)
        k_start = np.sqrt(K_FACTOR * hi)
        k_end = np.sqrt(K_FACTOR * max(self.high - e0, 0.0))
        return [
            (self.low, e0 + lo, step_pre),
            (max(self.low, e0 + lo), min(self.high, e0 + hi), step_xanes),
            (k_start, k_end, step_k),
        ]

    def positions(self) -> np.ndarray:
        """All scan energies, ascending (m,)."""
        pre, xanes, k = (np.arange(*r) for r in self._ranges())
        exafs = self.edge_energy + k**2 / K_FACTOR
        points = np.concatenate([pre, xanes, exafs, [self.high]])
        points = points[(points >= self.low) & (points <= self.high)]
        return np.unique(self.dimension.snap(points))

    def _choose(self, n, taken):
        label = f"conventional scan x{self.scale:g}"
        return self._next_unmeasured(self.positions(), n, taken, label)

    def stop_reason(self) -> str | None:
        positions = self.positions()
        if self._all_measured(positions):
            return f"all {len(positions)} scan points measured"
        return None
