"""Campaign figures: saved headless, without touching the caller's matplotlib backend."""

import os
import subprocess
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure

from adaptive.errors import InvalidParameterError
from adaptive.figures import (
    plot_identification,
    plot_importance_by_round,
    plot_rounds,
    plot_scan,
    plot_spectrum_match,
    save_figure,
)
from adaptive.objectives import peak_factor, target_loss

ROOT = Path(__file__).resolve().parents[2]
PNG = b"\x89PNG\r\n\x1a\n"
ROUNDS = [
    {
        "round": r,
        "median": 1.0 / (r + 1),
        "best_so_far": 0.5 / (r + 1),
        "values_by_source": {"gp": [0.5, 1.0]},
    }
    for r in range(3)
]


def run_python(code: str, **env) -> str:
    """Run ``code`` in a fresh interpreter with no display (stdout back); ``env`` added."""
    clean = {k: v for k, v in os.environ.items() if k not in {"DISPLAY", "WAYLAND_DISPLAY"}}
    clean.pop("MPLBACKEND", None)
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.parametrize(
    "module", ["adaptive.figures", "surrogates.shap_report", "surrogates.eels_map", "adaptive.cli"]
)
def test_importing_a_plotting_module_keeps_the_callers_backend(module):
    code = (
        "import matplotlib\n"
        "matplotlib.use('svg')\n"
        f"import {module}\n"
        "print(matplotlib.get_backend())\n"
    )
    assert run_python(code) == "svg"


def test_figures_are_saved_with_no_display_and_no_backend_chosen(tmp_path):
    """The command line's case: no screen, nothing chosen, and pyplot never imported."""
    target = tmp_path / "rounds.png"
    code = (
        "import sys\n"
        "from adaptive.figures import plot_rounds\n"
        f"plot_rounds({str(target)!r}, {ROUNDS!r})\n"
        "print('matplotlib.pyplot' in sys.modules)\n"
    )
    assert run_python(code, MPLBACKEND="") == "False"
    assert target.read_bytes().startswith(PNG)


def test_a_save_that_fails_still_closes_the_figure(tmp_path):
    taken = tmp_path / "taken"
    taken.write_text("")
    fig = plt.figure()
    with pytest.raises(OSError):
        save_figure(fig, taken / "fig.png")  # its folder is a file
    assert fig.number not in plt.get_fignums()


def test_a_figure_on_another_backends_canvas_is_saved_as_png(tmp_path):
    """An SVG canvas lists only svg/svgz as its own; matplotlib still writes png through Agg."""
    fig = Figure()
    FigureCanvasSVG(fig)
    path = save_figure(fig, tmp_path / "fig.png")
    assert path.read_bytes().startswith(PNG)


@pytest.mark.parametrize("suffix", [".png", ".PNG", ".svg", ".pdf"])
def test_every_format_matplotlib_writes_is_saved(tmp_path, suffix):
    path = save_figure(plt.figure(), tmp_path / "sub" / f"fig{suffix}")
    assert path == tmp_path / "sub" / f"fig{suffix}" and path.stat().st_size > 0


def test_every_plot_is_written_and_leaves_no_figure_open(tmp_path):
    open_before = plt.get_fignums()
    grid = np.linspace(0.0, 10.0, 50)
    energies = np.linspace(0.0, 10.0, 12)
    written = [
        plot_scan(
            tmp_path / "scan", energies, np.sin(energies), grid, np.sin(grid), 0.1 + 0 * grid
        ),
        plot_rounds(tmp_path / "rounds.png", ROUNDS),
        plot_spectrum_match(tmp_path / "match.png", grid, np.cos(grid), grid, np.sin(grid)),
        plot_importance_by_round(
            tmp_path / "shap.png", [{"round": r, "shap_importance": {"a": r}} for r in range(2)]
        ),
        plot_identification(tmp_path / "id.png", grid, np.exp(-grid), {"Fe": 0.9}, ["Fe"]),
    ]
    for path in written:
        assert path.suffix == ".png" and path.read_bytes().startswith(PNG)
    assert plt.get_fignums() == open_before


@pytest.mark.parametrize("name", ["existing", "new/"])
def test_a_folder_is_refused_and_nothing_written_beside_it(tmp_path, name):
    (tmp_path / "existing").mkdir()
    fig = plt.figure()
    with pytest.raises(InvalidParameterError, match="pass a file name such as dir/figure.png"):
        save_figure(fig, f"{tmp_path}/{name}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["existing"]
    assert list((tmp_path / "existing").iterdir()) == []
    assert fig.number not in plt.get_fignums()


def test_importance_by_round_leaves_out_rounds_without_importance(tmp_path, saved):
    rounds = [
        {"round": 0, "shap_importance": None},  # campaign_insights' rounds before 3 recipes
        {"round": 1, "shap_importance": {"a": 0.2, "b": 0.1}},
        {"round": 2, "shap_importance": {"b": 0.3, "a": 0.1}},
    ]
    plot_importance_by_round(tmp_path / "shap.png", rounds)
    ax = saved[0].axes[0]
    assert {line.get_label(): line.get_xdata().tolist() for line in ax.lines} == {
        "a": [1, 2],
        "b": [1, 2],
    }
    ticks = [t for t in ax.get_xticks() if 1 <= t <= 2]
    assert ticks == [1, 2]  # rounds are whole numbers


def test_importance_by_round_keeps_its_legend_off_the_points(tmp_path, saved):
    # the default placement covered round 11's point of Q2 among 8 factors over 12 rounds
    values = np.random.default_rng(1).uniform(0.0, 0.1, (12, 8))
    rounds = [
        {"round": r, "shap_importance": {f"Q{k}": float(v) for k, v in enumerate(row)}}
        for r, row in enumerate(values)
    ]
    plot_importance_by_round(tmp_path / "shap.png", rounds)
    fig = saved[0]
    fig.canvas.draw()
    ax = fig.axes[0]
    legend = ax.get_legend().get_window_extent()
    assert not legend.overlaps(ax.get_window_extent())
    assert legend.x1 <= fig.bbox.x1  # inside the figure, not cut off


@pytest.mark.parametrize("rounds", [[], [{"round": 0, "shap_importance": None}]])
def test_importance_by_round_refuses_rounds_without_any_importance(tmp_path, rounds):
    with pytest.raises(InvalidParameterError, match="no round has a SHAP importance"):
        plot_importance_by_round(tmp_path / "shap.png", rounds)
    assert not (tmp_path / "shap.png").exists()


@pytest.mark.parametrize("make", [Figure, plt.figure], ids=["plain", "pyplot"])
@pytest.mark.parametrize("name", ["run.figure", "la2nio4.data", "cuo.v2"])
def test_a_suffix_naming_no_format_is_part_of_the_name(tmp_path, make, name):
    """``.figure``: every canvas has ``print_figure``, which is no format (it recursed); a
    dotted name such as ``FOLDER.STEM`` was refused after the work was done."""
    path = save_figure(make(), tmp_path / name)
    assert path == tmp_path / f"{name}.png" and path.read_bytes().startswith(PNG)


def test_a_format_whose_writer_cannot_run_here_is_refused_with_a_png_hint(tmp_path, monkeypatch):
    """``.pgf`` needs LaTeX: with none on the PATH matplotlib raises a plain RuntimeError."""
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    fig = plt.figure()
    fig.text(0.5, 0.5, "text")  # measured by LaTeX
    with pytest.raises(InvalidParameterError, match=r"'fig\.pgf'.*'pgf' here.*'fig\.png'"):
        save_figure(fig, tmp_path / "fig.pgf")
    assert fig.number not in plt.get_fignums()


def test_identification_draws_a_present_element_ranked_below_top_absent_ones(tmp_path, saved):
    """Thresholds are per element: Ne is present at 0.1, below ten absent elements."""
    names = ["O", "Mn", "F", "Fe", "Co", "Ni", "Cr", "V", "Ti", "Cu", "Ne"]
    probabilities = dict(zip(names, np.linspace(1.0, 0.1, len(names)), strict=True))
    energy = np.linspace(400.0, 800.0, 100)
    plot_identification(tmp_path / "id.png", energy, energy, probabilities, ["O", "Mn", "Ne"])
    bars = [t.get_text() for t in saved[0].axes[1].get_yticklabels()]
    assert bars == ["Ne", "Ti", "V", "Cr", "Ni", "Co", "Fe", "F", "Mn", "O"]  # top 10, by rank


def test_identification_takes_no_top_and_draws_the_top_ten(tmp_path, saved):
    # top was a parameter no caller set
    probabilities = {f"E{i}": 1 - i / 20 for i in range(20)}
    energy = np.linspace(400.0, 800.0, 100)
    with pytest.raises(TypeError, match="top"):
        plot_identification(tmp_path / "id.png", energy, energy, probabilities, ["E0"], top=3)
    plot_identification(tmp_path / "id.png", energy, energy, probabilities, ["E0"])
    bars = [t.get_text() for t in saved[-1].axes[1].get_yticklabels()]
    assert bars == [f"E{i}" for i in range(10)][::-1]


def test_identification_ticks_each_threshold_and_writes_the_warnings(tmp_path, saved):
    # the figure showed neither: a bar could not be judged against its own threshold
    probabilities = {"O": 0.9, "Mn": 0.6, "F": 0.2}
    thresholds = {"O": 0.8, "Mn": 0.45, "F": 0.55}
    warning = "The window is 20 eV wide, narrower than the 30 eV of the narrowest training windows."
    energy = np.linspace(400.0, 800.0, 100)
    plot_identification(
        tmp_path / "id.png",
        energy,
        energy,
        probabilities,
        ["O", "Mn"],
        thresholds=thresholds,
        warnings=[warning],
    )
    spectrum, bars = saved[0].axes
    (ticks,) = bars.collections  # the bars are patches
    xs = [segment[0, 0] for segment in ticks.get_segments()]
    names = [t.get_text() for t in bars.get_yticklabels()]
    assert names == ["F", "Mn", "O"] and xs == [thresholds[n] for n in names]
    assert " ".join(spectrum.get_title(loc="left").split()) == warning
    assert "threshold" in bars.get_xlabel()


def test_the_spectrum_match_draws_what_the_loss_compared_on_a_narrow_target(tmp_path, saved):
    # a ramp over 500-550 nm scored 0.0059, but the spectrum was normalised over 380-800 nm
    # and ran flat (0.87-0.98) beside the target climbing 0 -> 1
    x = np.arange(380.0, 801.0)
    spectrum = 0.9 * np.exp(-(((x - 420.0) / 30.0) ** 2)) + 0.002 * (x - 380.0)
    target_x = np.linspace(500.0, 550.0, 11)
    target = np.linspace(0.0, 1.0, 11)
    plot_spectrum_match(tmp_path / "match.png", x, spectrum, target_x, target)
    ax = saved[0].axes[0]
    lines = {line.get_label(): line for line in ax.lines}
    drawn, aimed = lines["best recipe (median of its droplets)"], lines["target"]
    window = (x >= 500.0) & (x <= 550.0)
    part = spectrum[window]
    np.testing.assert_array_equal(drawn.get_xdata(), x[window])
    np.testing.assert_allclose(drawn.get_ydata(), (part - part.min()) / np.ptp(part))
    np.testing.assert_allclose(aimed.get_ydata(), np.interp(x[window], target_x, target))
    a, b = drawn.get_ydata(), aimed.get_ydata()
    cosine = a @ b / (np.linalg.norm(a) * np.linalg.norm(b))
    loss = target_loss(x, spectrum, target_x, target)
    assert 1.0 - cosine * peak_factor(part.max()) == pytest.approx(loss)
    assert ax.get_ylabel() == "absorbance normalised over the target's 500-550 nm"
