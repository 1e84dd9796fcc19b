"""A table of measured experiments replayed as a discrete instrument.

Rows with identical input values (or, with ``tolerance``, values that differ only by the
rounding or readback jitter of a pump) are replicates of one *candidate*; measuring a
candidate returns its mean objective or one of its real replicate values, so a
campaign run against the pool sees the measured, heteroscedastic noise.

Example:
    >>> pool = PoolEmulator.from_csv(
    ...     "../shared/data/synthesis/agnp_droplets.csv",
    ...     inputs=["QAgNO3(%)", "Qpva(%)", "Qtsc(%)", "Qseed(%)", "Qtot(uL/min)"],
    ...     objective="loss", seed=0)
    >>> pool.n_candidates, round(float(pool.mean.min()), 3)
    (164, 0.148)
"""

import os
from collections.abc import Sequence

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from simulators.base import as_float_array, check_seed, is_finite_real, is_int
from simulators.text_files import read_named_columns

MODES = ("mean", "sample")


def _input_names(inputs: Sequence[str]) -> list[str]:
    """``inputs`` as a list of names; a single string is refused, not split into letters."""
    if isinstance(inputs, str):
        raise ValueError(
            f"inputs must be a list of column names, got the string {inputs!r}; "
            f"pass [{inputs!r}] for one input"
        )
    return list(inputs)


def _replicate_keys(x: np.ndarray, reach: np.ndarray) -> list:
    """A key (n,) for each row of ``x`` (n, d), equal for replicates of one recipe: rows
    chained by steps of at most ``reach`` (d,) in every column whose chain spans at most
    ``reach`` in every column (one setpoint's readings, or one recipe at two precisions).
    A longer chain (a lattice of setpoints finer than ``reach``, which jitter could not be
    told from) groups only equal rows."""
    keys = [tuple(row) for row in x.tolist()]
    varies = reach > 0
    if not varies.any():
        return keys
    pairs = cKDTree(x[:, varies] / reach[varies]).query_pairs(1.0, p=np.inf, output_type="ndarray")
    links = coo_matrix((np.ones(len(pairs)), pairs.T), shape=(len(x), len(x)))
    chain = connected_components(links, directed=False)[1]
    for k in np.unique(chain[pairs[:, 0]]) if len(pairs) else ():
        rows = np.flatnonzero(chain == k)
        if np.all(np.ptp(x[rows], axis=0) <= reach):
            for row in rows:
                keys[row] = ("chain", int(k))
    return keys


class PoolEmulator:
    """Candidates (distinct input rows) with their replicate objective values.

    Candidates keep the order in which their first replicate appears in the table.

    Attributes:
        inputs: names of the input columns, in the column order of ``X``.
        objective: name of the objective column.
        X: (n_candidates, d) input values of each candidate.
        replicates: n_candidates arrays, each (count_i,), the raw objective values
            in table order.
        mean: (n_candidates,) mean objective of each candidate.
        std: (n_candidates,) sample standard deviation (ddof=1; 0 for one replicate).
        count: (n_candidates,) number of replicates.
        seed: seed of the random generator used by ``measure(mode="sample")``.
    """

    def __init__(
        self,
        X: np.ndarray,
        replicates: Sequence[Sequence[float]],
        inputs: Sequence[str],
        objective: str,
        seed: int | None = None,
    ) -> None:
        """Store the candidates.

        Args:
            X: (n_candidates, d) distinct, finite input values.
            replicates: n_candidates non-empty sequences of finite objective values (ragged
                lists, not NaN-padded rows).
            inputs: d input names, a list (a single string is refused, not split).
            objective: objective name.
            seed: non-negative int seed for ``np.random.default_rng``; None draws a
                fresh one.
        """
        check_seed(seed)
        x = as_float_array("X", X, "a (n_candidates, d) array of real numbers", "pass floats")
        inputs = tuple(_input_names(inputs))
        if x.ndim != 2 or x.shape[0] == 0 or x.shape[1] != len(inputs):
            raise ValueError(
                f"X must be a non-empty (n_candidates, {len(inputs)}) array matching "
                f"inputs {list(inputs)}, got shape {x.shape}"
            )
        if len(replicates) != x.shape[0]:
            raise ValueError(
                f"need one replicate list per candidate: {x.shape[0]} rows in X, "
                f"{len(replicates)} replicate lists"
            )
        reps = [
            as_float_array(f"replicates[{i}]", r, "real numbers", "pass a list of floats").ravel()
            for i, r in enumerate(replicates)
        ]
        for i, r in enumerate(reps):
            if r.size == 0:
                raise ValueError(
                    f"candidate {i} needs at least one {objective!r} value, got none; drop "
                    "candidates that were never measured"
                )
            if not np.isfinite(r).all():
                raise ValueError(
                    f"every {objective!r} value must be finite, got {r.tolist()} for candidate "
                    f"{i}; drop the NaN/inf values (replicate lists may differ in length, "
                    "so NaN padding is not needed)"
                )
        if not np.isfinite(x).all():
            raise ValueError("X must be finite; drop rows with NaN/inf inputs")
        first: dict[tuple[float, ...], int] = {}
        for i, row in enumerate(map(tuple, x.tolist())):
            if row in first:
                raise ValueError(
                    f"rows {first[row]} and {i} of X are the same inputs {list(row)}; give "
                    "each candidate once with all its replicates (from_csv groups them)"
                )
            first[row] = i
        self.inputs = inputs
        self.objective = str(objective)
        self.X = x
        self.replicates = reps
        self.count = np.array([r.size for r in reps])
        self.mean = np.array([r.mean() for r in reps])
        self.std = np.array([r.std(ddof=1) if r.size > 1 else 0.0 for r in reps])
        self.seed = seed
        self._rng = np.random.default_rng(seed)

    @classmethod
    def from_csv(
        cls,
        path: str | os.PathLike,
        inputs: Sequence[str],
        objective: str,
        seed: int | None = None,
        tolerance: float = 0.0,
    ) -> "PoolEmulator":
        """Read a CSV with a header row and group its rows into candidates.

        Args:
            path: CSV file, UTF-8 or else Latin-1 (Excel's Windows CSV), separated by
                commas, semicolons or tabs, ``#`` comment lines skipped; the first row
                names the columns (``read_named_columns``).
            inputs: names of the d input columns (distinct, at least one).
            objective: name of the objective column (not one of ``inputs``).
            seed: seed for the replicate sampling.
            tolerance: how far, as a share of each input column's range (max - min), a
                reading of one recipe may lie from its setpoint (0 <= tolerance < 0.5; 0:
                only equal rows are replicates). Rows chained by steps of at most twice
                that in every column (two readings of one setpoint, one on either side of
                it) are replicates of one candidate when their chain spans at most twice
                that in every column: the same recipe written at two precisions
                (13.10132159 and 13.101322) is one candidate. A chain that spans more (a
                lattice of setpoints finer than that, such as 1 K steps over 1000 K) groups
                only equal rows, as with 0.

        Returns:
            The emulator, candidates in order of first appearance, each at its first
            row's inputs.

        Raises:
            FileNotFoundError: no such file.
            ValueError: a ``tolerance`` outside [0, 0.5), not a text file, empty file or no
                data rows, an unknown column name or one that the header repeats, a data row
                with values beyond the header, non-numeric or non-finite values (messages
                give the file's line number).
        """
        if not (is_finite_real(tolerance) and 0 <= tolerance < 0.5):
            raise ValueError(
                f"tolerance must be a share of each input's range in [0, 0.5), got "
                f"{tolerance!r}; pass 0 to group only equal rows"
            )
        inputs = _input_names(inputs)
        if not inputs:
            raise ValueError("inputs must name at least one column of the CSV")
        if len(set(inputs)) != len(inputs):
            raise ValueError(f"inputs must be distinct column names, got {inputs}")
        if objective in inputs:
            raise ValueError(f"objective {objective!r} must not also be an input")
        values = read_named_columns(
            path, [*inputs, objective], "a CSV table", "pass inputs and objective from those"
        )
        x = values[:, :-1]
        groups: dict[tuple, list[int]] = {}
        for row, key in enumerate(_replicate_keys(x, 2 * tolerance * np.ptp(x, axis=0))):
            groups.setdefault(key, []).append(row)
        rows = list(groups.values())
        replicates = [values[r, -1] for r in rows]
        return cls(x[[r[0] for r in rows]], replicates, inputs, objective, seed=seed)

    @property
    def n_candidates(self) -> int:
        """Number of distinct candidates."""
        return self.X.shape[0]

    def _check_index(self, index: int) -> int:
        if not is_int(index):
            raise ValueError(f"index must be an int, got {index!r}")
        if not 0 <= index < self.n_candidates:
            raise ValueError(
                f"index {index} is out of range; pass 0 <= index < {self.n_candidates}"
            )
        return int(index)

    def measure(self, index: int, mode: str = "mean") -> float:
        """Objective of one candidate.

        Args:
            index: candidate index, 0 <= index < ``n_candidates``.
            mode: ``"mean"`` for the replicate mean, ``"sample"`` for one replicate
                value drawn uniformly with the seeded generator (real noise).

        Returns:
            The objective value.
        """
        i = self._check_index(index)
        if mode == "mean":
            return float(self.mean[i])
        if mode == "sample":
            reps = self.replicates[i]
            return float(reps[self._rng.integers(reps.size)])
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")

    def top_indices(self, fraction: float = 0.05, minimize: bool = True) -> np.ndarray:
        """Indices of the best candidates by mean objective, best first.

        Args:
            fraction: share of candidates to return, 0 < fraction <= 1; the count is
                ``round(fraction * n_candidates)``, at least 1.
            minimize: True when lower objective is better (a bool: a string such as
                ``"false"`` is refused, not read as true).

        Returns:
            (k,) int indices; ties keep table order.
        """
        if not (is_finite_real(fraction) and 0 < fraction <= 1):
            raise ValueError(f"fraction must be a number in (0, 1], got {fraction!r}")
        if not isinstance(minimize, bool | np.bool_):
            raise ValueError(
                f"minimize must be True or False, got {minimize!r}; pass a bool, not a string"
            )
        k = max(1, round(fraction * self.n_candidates))
        key = self.mean if minimize else -self.mean
        return np.argsort(key, kind="stable")[:k]
