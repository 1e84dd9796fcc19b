"""Campaign figures (matplotlib, no screen needed)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np


def plot_scan(
    path: str | Path,
    energies: np.ndarray,
    values: np.ndarray,
    grid: np.ndarray,
    mean: np.ndarray,
    std: np.ndarray | None = None,
    truth: np.ndarray | None = None,
    title: str = "",
) -> Path:
    """Save measured points, reconstruction (with a 2-sigma band) and truth.

    Args:
        energies, values: the measurements, (n,) each.
        grid: energies of the reconstruction, (m,).
        mean, std: reconstruction and its std on ``grid``, (m,) each.
        truth: the noise-free signal on ``grid`` (m,), when known.
    """
    fig, (ax, ax_hist) = plt.subplots(
        2, 1, figsize=(9, 6), sharex=True, gridspec_kw={"height_ratios": [3, 1]}
    )
    if truth is not None:
        ax.plot(grid, truth, color="0.6", lw=2.5, label="truth")
    ax.plot(grid, mean, color="C0", lw=1.2, label="reconstruction")
    if std is not None:
        ax.fill_between(
            grid, mean - 2 * std, mean + 2 * std, color="C0", alpha=0.25, lw=0, label="±2σ"
        )
    ax.plot(energies, values, "o", ms=3.5, color="C3", label=f"measured ({len(energies)})")
    ax.set_ylabel("signal")
    ax.set_title(title)
    ax.legend(loc="best", fontsize=8)
    ax_hist.hist(energies, bins=60, color="C3")
    ax_hist.set_xlabel("energy (eV)")
    ax_hist.set_ylabel("points")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
