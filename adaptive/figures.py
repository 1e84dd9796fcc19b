"""Campaign figures (matplotlib, no screen needed).

The figures are plain ``matplotlib.figure.Figure`` objects, not pyplot ones: they
need no backend, so importing this module leaves the caller's (a notebook's)
backend alone, and they are saved headless all the same.
"""

from __future__ import annotations

import os
import sys
import textwrap
from collections.abc import Sequence
from itertools import cycle
from pathlib import Path

import numpy as np
from matplotlib.backend_bases import FigureCanvasBase
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from adaptive.errors import InvalidParameterError
from adaptive.objectives import inside_target, minmax

#: Characters per line of the warnings above the identification figure's spectrum.
WARNING_WIDTH = 110
#: Bars of the identification figure: the present elements and the most probable others.
TOP_ELEMENTS = 10
#: Positive counts spanning more than this factor are drawn on a log axis.
LOG_SPAN = 100
#: Positive losses spanning more than this factor (a decade) are drawn on a log axis.
LOSS_LOG_SPAN = 10
#: Marker and colour of the recipes of each proposal source (``campaign_insights``'
#: ``values_by_source``).
SOURCE_STYLES = {
    "design": ("o", "0.5"),
    "gp": ("o", "C0"),
    "net": ("^", "C2"),
    "driver": ("s", "C1"),
}
#: Colours, in turn, of the sources not in ``SOURCE_STYLES``.
OTHER_SOURCE_COLOURS = ("C4", "C5", "C6", "C8", "C9")


def plot_scan(
    path: str | Path,
    energies: np.ndarray,
    values: np.ndarray,
    grid: np.ndarray,
    mean: np.ndarray,
    std: np.ndarray | None = None,
    truth: np.ndarray | None = None,
    title: str = "",
    ylabel: str = "signal",
) -> Path:
    """Save measured points, reconstruction (with a 2-sigma band) and truth.

    Args:
        energies, values: the measurements, (n,) each.
        grid: energies of the reconstruction, (m,).
        mean, std: reconstruction and its std on ``grid``, (m,) each.
        truth: the noise-free signal on ``grid`` (m,), when known.
        ylabel: the measured channel, e.g. ``"mu"`` or ``"i1 (counts)"``.
    """
    fig = Figure(figsize=(9, 6))
    ax, ax_hist = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    if truth is not None:
        ax.plot(grid, truth, color="0.6", lw=2.5, label="truth")
    ax.plot(grid, mean, color="C0", lw=1.2, label="reconstruction")
    if std is not None:
        ax.fill_between(
            grid, mean - 2 * std, mean + 2 * std, color="C0", alpha=0.25, lw=0, label="±2σ"
        )
    ax.plot(energies, values, "o", ms=3.5, color="C3", label=f"measured ({len(energies)})")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(loc="best", fontsize=8)
    ax_hist.hist(energies, bins=60, color="C3")
    ax_hist.set_xlabel("energy (eV)")
    ax_hist.set_ylabel("points")
    ax_hist.yaxis.set_major_locator(MaxNLocator(integer=True))
    fig.tight_layout()
    return save_figure(fig, path)


def plot_rounds(path: str | Path, rounds: list[dict]) -> Path:
    """Objective of every recipe per round (dots, marked by the source that proposed it),
    median and best so far (lines); on a log axis when every loss is positive and they
    span more than ``LOSS_LOG_SPAN``, so that the best loss's late gains still show.

    Args:
        path: the PNG to write.
        rounds: one dict per round with ``"round"``, ``"median"``, ``"best_so_far"`` and
            ``"values_by_source"`` ({source: (n_s,) objectives}, sources such as "design",
            "gp", "net", "driver"), as the ``"rounds"`` of ``adaptive.insights`` give them.
    """
    dots: dict[str, tuple[list, list]] = {}  # source -> x and y of its recipes
    for r in rounds:
        by_source = r["values_by_source"]
        n = sum(len(values) for values in by_source.values())
        jitter = iter(np.random.default_rng(r["round"]).uniform(-0.15, 0.15, n))
        for source, values in by_source.items():
            xs, ys = dots.setdefault(source, ([], []))
            xs.extend(r["round"] + next(jitter) for _ in values)
            ys.extend(float(v) for v in values)
    fig = Figure(figsize=(8, 4.5))
    ax = fig.subplots()
    other_colours = cycle(OTHER_SOURCE_COLOURS)
    for source, (xs, ys) in dots.items():
        marker, colour = SOURCE_STYLES.get(source) or ("o", next(other_colours))
        ax.plot(xs, ys, marker, ms=4, color=colour, alpha=0.7, label=source)
    ax.plot(
        [r["round"] for r in rounds],
        [r["median"] for r in rounds],
        "-D",  # a marker, so a single round shows too
        color="k",
        label="median of round",
    )
    ax.plot(
        [r["round"] for r in rounds],
        [r["best_so_far"] for r in rounds],
        "-s",
        color="C3",
        label="best so far",
    )
    ax.set_xlabel("round (0 = initial design)")
    _round_axis(ax, [r["round"] for r in rounds])
    ax.set_ylabel("loss")
    losses = [y for _, ys in dots.values() for y in ys]
    losses += [r[key] for r in rounds for key in ("median", "best_so_far")]
    if min(losses) > 0 and max(losses) > LOSS_LOG_SPAN * min(losses):
        ax.set_yscale("log")
        ax.set_ylabel("loss (log scale)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return save_figure(fig, path)


def plot_spectrum_match(
    path: str | Path,
    x: np.ndarray,
    spectrum: np.ndarray,
    target_x: np.ndarray,
    target: np.ndarray,
    title: str = "",
) -> Path:
    """The best measured spectrum beside the target, as ``target_loss`` compares them:
    on the spectrum's channels inside the target's range, the target interpolated onto
    them, both min-max normalised there.

    Args:
        x, spectrum: (n,) the measured spectrum.
        target_x, target: (m,) the target.

    Raises:
        InvalidParameterError: ``x`` covers too little of the target's range, or the
            spectrum or target is constant on the channels inside it.
    """
    x, spectrum = np.asarray(x, dtype=float), np.asarray(spectrum, dtype=float)
    target_x = np.asarray(target_x, dtype=float)
    inside = inside_target(x, target_x)
    window = x[inside]
    compared = np.interp(window, target_x, target)
    fig = Figure(figsize=(8, 4.5))
    ax = fig.subplots()
    ax.plot(
        window,
        minmax("target (on the spectrum's wavelengths)", compared),
        "k--",
        lw=2,
        label="target",
    )
    ax.plot(
        window,
        minmax("spectrum (inside the target's range)", spectrum[inside]),
        color="C3",
        label="best recipe (median of its droplets)",
    )
    ax.set_xlabel("wavelength (nm)")
    ylabel = "normalised absorbance"
    if not inside.all():
        ylabel = f"absorbance normalised over the target's {target_x[0]:g}-{target_x[-1]:g} nm"
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    return save_figure(fig, path)


def plot_importance_by_round(path: str | Path, rounds: list[dict]) -> Path:
    """Mean |SHAP| of every factor against the round, the legend right of the axes.

    Args:
        rounds: ``[{"round": int, "shap_importance": {factor: value} or None}]``, e.g.
            ``campaign_insights``' rounds; those whose importance is None (too few
            recipes yet) are left out.

    Raises:
        InvalidParameterError: no round has an importance.
    """
    explained = [r for r in rounds if r["shap_importance"] is not None]
    if not explained:
        raise InvalidParameterError(
            f"no round has a SHAP importance ({len(rounds)} given; campaign_insights gives "
            "None before 3 recipes): pass the rounds of a campaign with at least 3 recipes"
        )
    fig = Figure(figsize=(9.5, 4.5))
    ax = fig.subplots()
    for name in explained[-1]["shap_importance"]:
        ax.plot(
            [r["round"] for r in explained],
            [r["shap_importance"][name] for r in explained],
            "-o",
            label=name,
        )
    ax.set_xlabel("round")
    _round_axis(ax, [r["round"] for r in explained])
    ax.set_ylabel("mean |SHAP| on the GP's predicted loss")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    fig.tight_layout()  # makes room for the legend right of the axes, clear of every point
    return save_figure(fig, path)


def plot_identification(
    path: str | Path,
    energy: np.ndarray,
    counts: np.ndarray,
    probabilities: dict[str, float],
    present: list[str],
    thresholds: dict[str, float] | None = None,
    warnings: Sequence[str] = (),
    window: tuple[int, int] | None = None,
) -> Path:
    """A core-loss spectrum beside the present elements (highlighted) and the most
    probable others, ``TOP_ELEMENTS`` bars in all (more when more are present), each
    with a tick at its threshold; any warnings are written above the spectrum.

    The spectrum's line breaks at gaps in the energy axis (``eels_checks.gap_indices``,
    the rule of the identifier's gap warning), its points outside ``window`` are grey,
    and positive counts spanning more than ``LOG_SPAN`` are drawn on a log axis (a
    low-loss tail would flatten every edge on a linear one).

    Args:
        energy: (m,) energy loss, eV; counts: (m,) the spectrum.
        probabilities: element -> probability, highest first.
        present: elements above their thresholds (a threshold is per element, so a
            present one may rank below absent ones).
        thresholds: element -> its calibrated threshold, as ``identify_spectrum`` gives
            them; no ticks when None.
        warnings: sentences on where the spectrum leaves the trained range
            (``identify_spectrum``'s ``warnings``).
        window: (first, last) channel, eV, that the networks saw (``identify_spectrum``'s
            ``window``); all points are drawn as seen when None.
    """
    lines = [line for warning in warnings for line in textwrap.wrap(warning, WARNING_WIDTH)]
    fig = Figure(figsize=(11, 4 + 0.16 * len(lines)), layout="constrained")
    left, right = fig.subplots(1, 2, width_ratios=(2, 1))
    _plot_counts(left, energy, counts, window)
    left.set_title("\n".join(lines), loc="left", fontsize=8, color="C3")
    others = [n for n in probabilities if n not in present]
    shown = {*present, *others[: max(TOP_ELEMENTS - len(present), 0)]}  # present ones always
    names = [n for n in probabilities if n in shown][::-1]  # most probable on top
    colours = ["C2" if n in present else "0.6" for n in names]
    right.barh(names, [probabilities[n] for n in names], color=colours)
    label = "probability (green: present)"
    if thresholds is not None:
        rows = np.arange(len(names))
        right.vlines([thresholds[n] for n in names], rows - 0.4, rows + 0.4, color="k", lw=2)
        label = "probability (green: present; black tick: threshold)"
    right.set_xlim(0, 1)
    right.set_xlabel(label)
    fig.suptitle(f"elements present: {', '.join(present) or 'none'}")
    return save_figure(fig, path)


def _plot_counts(ax, energy: np.ndarray, counts: np.ndarray, window) -> None:
    """``counts`` (m,) against ``energy`` (m,): broken at gaps, grey outside ``window``
    (first, last eV or None), on a log axis when all counts are positive and span over
    ``LOG_SPAN`` (a log axis would hide the counts <= 0 of a background-subtracted one)."""
    from surrogates.eels_checks import gap_indices  # here: it loads torch

    energy, counts = np.asarray(energy, dtype=float), np.asarray(counts, dtype=float)
    seen = np.ones(energy.shape, dtype=bool)
    if window is not None:
        seen = (energy >= window[0] - 0.5) & (energy <= window[1] + 0.5)
    gaps = gap_indices(energy) + 1
    energy, counts = np.insert(energy, gaps, np.nan), np.insert(counts, gaps, np.nan)
    seen = np.insert(seen, gaps, True)
    ax.plot(energy, np.where(seen, counts, np.nan), lw=1, color="C0")
    if not seen.all():
        ax.plot(energy, np.where(seen, np.nan, counts), lw=1, color="0.6")
        label = f"not identified: outside the {window[0]}-{window[1]} eV the networks saw"
        for low, high in (
            (np.nanmin(energy), window[0] - 0.5),
            (window[1] + 0.5, np.nanmax(energy)),
        ):
            if high > low:
                ax.axvspan(low, high, color="0.9", lw=0, zorder=0, label=label)
                label = None  # one entry in the legend
        ax.legend(fontsize=8)
    drawn = counts[np.isfinite(counts)]
    ax.set_ylabel("counts")
    if drawn.size and drawn.min() > 0 and drawn.max() > LOG_SPAN * drawn.min():
        ax.set_yscale("log")
        ax.set_ylabel("counts (log scale)")
    ax.set_xlabel("energy loss (eV)")


def _round_axis(ax, rounds: list[int]) -> None:
    """Whole-number ticks on an x axis of ``rounds``, half a round beyond the first and last."""
    ax.set_xlim(min(rounds) - 0.5, max(rounds) + 0.5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))


def save_figure(fig, path: str | Path) -> Path:
    """Save ``fig`` to ``path`` (creating its folder; ``.png`` added when it has no suffix
    or one that names no format matplotlib writes: ``la2nio4.data`` is saved as
    ``la2nio4.data.png``), close it, and return the path written.

    The figure is closed even when saving fails. ``fig`` may be a plain ``Figure``
    or a pyplot one.

    Raises:
        InvalidParameterError: ``path`` names a folder (an existing one, or it ends in a
            separator; checked before any folder is made), or the writer of its format
            cannot run here (``.pgf`` without LaTeX).
    """
    separators = tuple(s for s in (os.sep, os.altsep) if s)
    try:
        if Path(path).is_dir() or str(path).endswith(separators):
            raise InvalidParameterError(
                f"cannot save a figure as {str(path)!r}: it names a folder; "
                "pass a file name such as dir/figure.png"
            )
        path = Path(path)
        # the formats registered with matplotlib, whatever the figure's canvas (the base
        # class holds that registry); not the canvas's print_* methods: print_figure is one
        if path.suffix[1:].lower() not in FigureCanvasBase.get_supported_filetypes():
            path = path.with_name(path.name + ".png")
        fmt = path.suffix[1:].lower()
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fig.savefig(path, dpi=110)
        except RuntimeError as err:  # a writer that needs a program missing here (pgf: LaTeX)
            raise InvalidParameterError(
                f"cannot save a figure as {path.name!r}: matplotlib cannot write {fmt!r} "
                f"here ({err}); use e.g. {path.with_suffix('.png').name!r}"
            ) from err
    finally:
        _close(fig)
    return path


def _close(fig) -> None:
    """Release ``fig``: a pyplot figure is dropped from pyplot's list of open figures;
    a plain ``Figure`` is held by nothing, and pyplot is not imported for it."""
    pyplot = sys.modules.get("matplotlib.pyplot")  # not imported: no pyplot figure exists
    if pyplot is not None:
        pyplot.close(fig)
