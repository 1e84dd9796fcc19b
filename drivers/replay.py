"""Replay of a recorded scan as an instrument."""

from __future__ import annotations

from pathlib import Path

from drivers.simulated import SimulatedInstrument
from simulators import RecordedSpectrum


def replay_instrument(
    path: str | Path,
    i0: float | None = None,
    seed: int | None = None,
    dimension: str = "energy",
    fluorescence: str | None = None,
    column: str | None = None,
) -> SimulatedInstrument:
    """An instrument that measures the recorded spectrum in ``path`` (XDI or columns).

    Args:
        path: the recorded scan.
        i0: incident counts per point for Poisson noise; None replays noise-free.
        seed: seed of that noise.
        dimension: the energy dimension's name in suggested points.
        fluorescence: a fluorescence column (XDI or titled) to replay over i0 as mu.
        column: a column (XDI or titled) to replay as mu as it is; not with ``fluorescence``.
    """
    recording = RecordedSpectrum.from_file(path, i0, seed, fluorescence, column)
    return SimulatedInstrument(recording, dimension)
