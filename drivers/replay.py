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
) -> SimulatedInstrument:
    """An instrument that measures the recorded spectrum in ``path`` (XDI or columns).

    Args:
        path: the recorded scan.
        i0: incident counts per point for Poisson noise; None replays noise-free.
        seed: seed of that noise.
        dimension: the energy dimension's name in suggested points.
        fluorescence: an XDI fluorescence column to replay as mu (see ``read_xdi``).
    """
    recording = RecordedSpectrum.from_file(path, i0=i0, seed=seed, fluorescence=fluorescence)
    return SimulatedInstrument(recording, dimension)
