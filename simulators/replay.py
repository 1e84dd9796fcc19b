"""Replay of a measured absorption scan, plus readers for common text formats."""

from pathlib import Path

import numpy as np
from scipy.interpolate import PchipInterpolator

from simulators.base import Simulator
from simulators.text_files import read_text, refuse_decimal_commas

#: Minimum number of distinct energies in a spectrum.
MIN_POINTS = 4


def _clean(energy: np.ndarray, mu: np.ndarray, source: str) -> tuple[np.ndarray, np.ndarray]:
    """Check a spectrum, sort it by energy and average duplicate energies.

    Args:
        energy: (n,) energies, eV.
        mu: (n,) absorption.
        source: where the data came from, for error messages.

    Returns:
        (energy, mu), each (m,) with m <= n distinct, increasing energies.
    """
    energy = np.asarray(energy, dtype=float)
    mu = np.asarray(mu, dtype=float)
    if energy.ndim != 1 or energy.shape != mu.shape:
        raise ValueError(
            f"{source}: energy and mu must be 1-D arrays of equal length, got shapes "
            f"{energy.shape} and {mu.shape}"
        )
    for name, values in (("energy", energy), ("mu", mu)):
        bad = ~np.isfinite(values)
        if bad.any():
            raise ValueError(
                f"{source}: {name} has non-finite value {float(values[bad][0])} at point "
                f"{int(np.argmax(bad))}; remove or fix that point"
            )
    unique, inverse = np.unique(energy, return_inverse=True)
    if unique.size < MIN_POINTS:
        raise ValueError(
            f"{source}: {unique.size} distinct energies, need at least {MIN_POINTS}; "
            "supply a longer scan"
        )
    return unique, np.bincount(inverse, weights=mu) / np.bincount(inverse)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _parse_rows(rows: list[tuple[int, str]], path: str | Path) -> np.ndarray:
    """Parse numbered text rows into an (n_rows, n_columns) float table."""
    table = []
    for number, line in rows:
        refuse_decimal_commas(line, f"{str(path)!r} line {number}")
        fields = line.replace(",", " ").split()
        try:
            table.append([float(f) for f in fields])
        except ValueError:
            raise ValueError(
                f"{str(path)!r} line {number}: cannot read numbers from {line.strip()!r}; "
                "fix or comment out (#) that line"
            ) from None
        if len(table[-1]) != len(table[0]):
            raise ValueError(
                f"{str(path)!r} line {number}: {len(table[-1])} columns, expected "
                f"{len(table[0])}; every data row needs the same columns"
            )
    if not table:
        raise ValueError(f"{str(path)!r} holds no data rows; pass a file with a spectrum")
    return np.array(table)


def read_two_column(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Read energy and mu from the first two columns of a CSV or whitespace text file.

    Blank lines (also those of commas only) and lines starting with ``#`` are skipped;
    the first other line may
    be a header such as ``energy_eV,mu``. Extra columns are ignored.

    Args:
        path: text file.

    Returns:
        (energy, mu), each (n,): increasing energies (eV), duplicates averaged.
    """
    rows = [
        (number, line)
        for number, line in enumerate(read_text(path, "a text spectrum").splitlines(), start=1)
        if line.replace(",", " ").strip() and not line.lstrip().startswith("#")
    ]
    if rows and not _is_number(rows[0][1].replace(",", " ").split()[0]):
        rows = rows[1:]  # header line
    table = _parse_rows(rows, path)
    if table.shape[1] < 2:
        raise ValueError(f"{str(path)!r} has one column; need energy and mu columns")
    return _clean(table[:, 0], table[:, 1], repr(str(path)))


def read_xdi(path: str | Path, fluorescence: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Read energy and mu from an XDI file.

    Column names come from ``# Column.N: name ...`` header lines (case-insensitive).
    mu is ``fluorescence / i0`` when a fluorescence column is named, else the ``mu``,
    ``mutrans`` or ``mufluor`` column if present, else ``ln(i0 / itrans)`` (``i1`` is
    accepted for ``itrans``), else ``ifluor / i0``: transmission wins when a file has
    both, so name the column of a fluorescence scan (e.g. ``Sum_Fe_Ka``).

    Args:
        path: XDI file.
        fluorescence: name of a fluorescence counts column, normalised by ``i0``.

    Returns:
        (energy, mu), each (n,): increasing energies (eV), duplicates averaged.
    """
    names: dict[str, int] = {}
    rows = []
    for number, line in enumerate(read_text(path, "a text spectrum").splitlines(), start=1):
        text = line.strip()
        if text.startswith("#"):
            key, _, value = text.lstrip("#").partition(":")
            if key.strip().lower().startswith("column.") and value.split():
                index = key.strip()[len("column.") :]
                if index.isdigit() and int(index) >= 1:  # XDI numbers columns from 1
                    names.setdefault(value.split()[0].lower(), int(index) - 1)
        elif text:
            rows.append((number, text))
    table = _parse_rows(rows, path)

    def column(name: str) -> np.ndarray:
        if names[name] >= table.shape[1]:
            raise ValueError(
                f"{str(path)!r}: column {name!r} is Column.{names[name] + 1} but rows have "
                f"{table.shape[1]} columns; fix the header"
            )
        return table[:, names[name]]

    if "energy" not in names:
        raise ValueError(f"{str(path)!r}: no 'energy' column in the '# Column.N:' header lines")
    transmitted = next((n for n in ("itrans", "i1") if n in names), None)
    if fluorescence is not None:
        if not {"i0", fluorescence.lower()} <= set(names):
            raise ValueError(
                f"{str(path)!r}: fluorescence {fluorescence!r} / i0 needs both columns "
                f"(columns: {sorted(names)}); name one of them"
            )
        with np.errstate(divide="ignore", invalid="ignore"):
            mu = column(fluorescence.lower()) / column("i0")
    elif mu_name := next((n for n in ("mu", "mutrans", "mufluor") if n in names), None):
        mu = column(mu_name)
    elif "i0" in names and transmitted:
        with np.errstate(divide="ignore", invalid="ignore"):
            mu = np.log(column("i0") / column(transmitted))
    elif "i0" in names and "ifluor" in names:
        with np.errstate(divide="ignore", invalid="ignore"):
            mu = column("ifluor") / column("i0")
    else:
        raise ValueError(
            f"{str(path)!r}: no mu, mutrans or mufluor column and no i0 with itrans/i1 or "
            f"ifluor (columns: {sorted(names)}); add one of them"
        )
    return _clean(column("energy"), mu, repr(str(path)))


def read_spectrum(
    path: str | Path, fluorescence: str | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Read a spectrum, choosing the reader from the content or the extension.

    Files whose first line starts with ``# XDI`` (or ``#XDI``), or named ``*.xdi``,
    go to ``read_xdi``; everything else to ``read_two_column``.

    Args:
        path: spectrum file.
        fluorescence: an XDI fluorescence column to read as mu (see ``read_xdi``).

    Returns:
        (energy, mu), each (n,): increasing energies (eV), duplicates averaged.
    """
    lines = read_text(path, "a text spectrum").splitlines()
    first = lines[0].lstrip("#").lstrip() if lines else ""
    if first.startswith("XDI") or Path(path).suffix.lower() == ".xdi":
        return read_xdi(path, fluorescence)
    if fluorescence is not None:
        raise ValueError(f"{str(path)!r} is not XDI; a fluorescence column needs an XDI file")
    return read_two_column(path)


class RecordedSpectrum(Simulator):
    """Replays a recorded scan: a monotone cubic (PCHIP) interpolant through it.

    With ``i0`` set, measurements get Poisson counting noise in transmission like
    ``KEdgeXAS``, with ``mu_offset = 0.5 - min(mu)`` so that the transmitted
    fraction never exceeds exp(-0.5).

    Channels: ``mu`` (primary), ``i0``, ``i1``.

    Attributes:
        energy: (n,) recorded energies, increasing, eV.
        mu: (n,) recorded absorption (duplicate energies averaged).
    """

    primary = "mu"
    channels = ("mu", "i0", "i1")

    def __init__(
        self,
        energy: np.ndarray,
        mu: np.ndarray,
        i0: float | None = None,
        seed: int | None = None,
    ) -> None:
        """Store the recording.

        Args:
            energy: (n,) recorded energies, eV, any order (n >= 4 distinct).
            mu: (n,) recorded absorption.
            i0: incident counts per point, or None for noise-free replay.
            seed: seed of the noise generator.
        """
        self.energy, self.mu = _clean(energy, mu, "recorded spectrum")
        super().__init__(
            (self.energy[0], self.energy[-1]), i0=i0, mu_offset=0.5 - self.mu.min(), seed=seed
        )
        self._interpolant = PchipInterpolator(self.energy, self.mu)

    @classmethod
    def from_file(
        cls,
        path: str | Path,
        i0: float | None = None,
        seed: int | None = None,
        fluorescence: str | None = None,
    ) -> "RecordedSpectrum":
        """Replay a spectrum file read with ``read_spectrum``.

        Args:
            path: XDI or column text file.
            i0: incident counts per point, or None for noise-free replay.
            seed: seed of the noise generator.
            fluorescence: an XDI fluorescence column to replay as mu.
        """
        return cls(*read_spectrum(path, fluorescence), i0=i0, seed=seed)

    def _evaluate_true(self, e: np.ndarray) -> np.ndarray:
        return self._interpolant(e)
