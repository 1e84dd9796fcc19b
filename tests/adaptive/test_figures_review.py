"""What the figures show: whole rounds, the spectrum the networks saw, titles that
describe the curve drawn, profiles not hidden by their frame or legend."""

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

import adaptive.figures
import adaptive.simulate
from adaptive.figures import plot_identification, plot_importance_by_round, plot_rounds, plot_scan
from adaptive.objectives import target_loss
from adaptive.simulate import simulate_synthesis
from simulators.eels import ELEMENTS
from simulators.eels_files import NavigationAxis
from surrogates.eels_map import CubeResult, plot_probability_maps
from surrogates.peak_result import Estimate, FittedPeak, PeakFitResult


def shown_ticks(axis) -> list[float]:
    """The major tick values inside the axis's view limits."""
    low, high = sorted(axis.get_view_interval())
    return [t for t in axis.get_majorticklocs() if low <= t <= high]


# ------------------------------------------------------------------- whole rounds


@pytest.mark.parametrize("first", [0, 1])
def test_a_single_round_gets_one_whole_tick(tmp_path, saved, first):
    # --rounds 0 ticked the round axis at -0.15 ... 0.12; one explained round 0.945 ... 1.05
    by_source = {"design": [0.2, 0.3, 0.7]}
    rounds = [{"round": first, "median": 0.3, "best_so_far": 0.05, "values_by_source": by_source}]
    plot_rounds(tmp_path / "loss.png", rounds)
    explained = [{"round": first, "shap_importance": {"a": 0.2, "b": 0.05}}]
    plot_importance_by_round(tmp_path / "shap.png", explained)
    for fig in saved:
        ax = fig.axes[0]
        fig.canvas.draw()
        assert shown_ticks(ax.xaxis) == [first]
        assert ax.get_xlim() == pytest.approx((first - 0.5, first + 0.5))


def test_many_rounds_get_whole_ticks_only(tmp_path, saved):
    by_source = {"gp": [0.2, 0.3]}
    rounds = [
        {"round": r, "median": 0.3, "best_so_far": 0.05, "values_by_source": by_source}
        for r in range(3)
    ]
    plot_rounds(tmp_path / "loss.png", rounds)
    ax = saved[0].axes[0]
    assert shown_ticks(ax.xaxis) == [0, 1, 2]
    assert ax.get_xlim() == pytest.approx((-0.5, 2.5))


# ------------------------------------------------------------------- the XAS scan


def test_the_scan_counts_points_in_whole_numbers(tmp_path, saved):
    # 3 points gave the histogram ticks at 0, 0.5 and 1 points
    energies = np.array([8800.0, 9400.0, 10000.0])
    grid = np.linspace(8800.0, 10000.0, 50)
    plot_scan(tmp_path / "scan.png", energies, np.ones(3), grid, grid * 0)
    fig = saved[0]
    fig.canvas.draw()
    ticks = shown_ticks(fig.axes[1].yaxis)
    assert ticks and all(float(t).is_integer() for t in ticks)
    assert fig.axes[0].get_ylabel() == "signal"  # what a channel is not named


def test_the_scan_names_its_channel(tmp_path, saved):
    # the y label was "signal" whatever was scanned
    grid = np.linspace(8800.0, 10000.0, 50)
    plot_scan(tmp_path / "scan.png", grid, grid, grid, grid, ylabel="i1 (counts)")
    assert saved[0].axes[0].get_ylabel() == "i1 (counts)"


# ------------------------------------------------------------------- identification


def identify_figure(tmp_path, saved, energy, counts, **window):
    """The spectrum panel of an identification figure of ``counts`` on ``energy``."""
    plot_identification(tmp_path / "id.png", energy, counts, {"O": 0.9}, ["O"], **window)
    return saved[-1].axes[0]


def test_the_spectrum_breaks_at_a_gap_in_the_energy_axis(tmp_path, saved):
    # a line was drawn straight across 999 ... 1101 eV, like an edge
    energy = np.concatenate([np.arange(900.0, 1000.0, 3.0), np.arange(1101.0, 1200.0, 3.0)])
    counts = np.linspace(500.0, 400.0, energy.size)
    ax = identify_figure(tmp_path, saved, energy, counts)
    x = ax.lines[0].get_xdata()
    (breaks,) = np.flatnonzero(np.isnan(x))
    assert x[breaks - 1] == 999.0 and x[breaks + 1] == 1101.0
    assert np.isnan(ax.lines[0].get_ydata()[breaks])


def test_points_outside_the_window_the_networks_saw_are_grey_and_named(tmp_path, saved):
    # the points above 3071 eV were drawn like the rest, though never identified
    energy = np.arange(2900.0, 3200.0, 3.0)
    counts = np.linspace(50.0, 40.0, energy.size)
    ax = identify_figure(tmp_path, saved, energy, counts, window=(2900, 3071))
    seen, unseen = ax.lines
    above = energy > 3071.5
    np.testing.assert_array_equal(np.isnan(seen.get_ydata()), above)
    np.testing.assert_array_equal(np.isnan(unseen.get_ydata()), ~above)
    assert seen.get_color() != unseen.get_color()
    (entry,) = [t.get_text() for t in ax.get_legend().get_texts()]
    assert entry.startswith("not identified") and "2900-3071 eV" in entry


def test_counts_spanning_decades_are_drawn_on_a_log_axis(tmp_path, saved):
    # a low-loss tail of 2e5 counts flattened every edge above it on a linear axis
    energy = np.arange(30.0, 2000.0, 1.0)
    tail = identify_figure(tmp_path, saved, energy, 2e5 * (energy / 30.0) ** -3 + 1.0)
    assert tail.get_yscale() == "log" and "log" in tail.get_ylabel()
    core = identify_figure(tmp_path, saved, energy, 1e4 + 100.0 * np.sin(energy))
    assert core.get_yscale() == "linear" and core.get_ylabel() == "counts"
    assert len(core.lines) == 1 and core.get_legend() is None  # no window: all drawn as seen


# ------------------------------------------------------------------- line-scan profiles


def line_scan(n: int = 9) -> CubeResult:
    """A 1 x n scan where O is certain (p = 1) but at one pixel not identified."""
    p = np.zeros((1, n, len(ELEMENTS)), dtype=np.float32)
    p[..., ELEMENTS.index("O")] = 1.0
    p[0, 2] = np.nan
    return CubeResult(
        probabilities=p,
        present_elements={"O": 1.0},
        thresholds=np.full(len(ELEMENTS), 0.5),
        warnings=[],
        fractions=np.where(np.arange(len(ELEMENTS)) == ELEMENTS.index("O"), 1.0, 0.0),
        unidentified=1,
        no_signal=0,
        scattered={},
        has_edge_in_window=list(ELEMENTS),
    )


def test_a_profile_at_p_1_lies_inside_the_frame_and_clear_of_the_legend(tmp_path, saved):
    # the p = 1 line lay on the top spine, the legend over its points, all in 6-8 pt
    navigation = (NavigationAxis(), NavigationAxis(1.0, 0.0, "nm"))
    plot_probability_maps(line_scan(), ["O", "Fe"], tmp_path / "line.png", navigation)
    fig = saved[0]
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.canvas.draw()
    for ax in fig.axes:
        low, high = ax.get_ylim()
        assert low < 0 and high > 1
        frame = ax.get_window_extent(renderer)
        assert not ax.get_legend().get_window_extent(renderer).overlaps(frame)
        assert ax.yaxis.label.get_fontsize() >= 10
        assert min(t.get_fontsize() for t in ax.get_xticklabels()) >= 9
    assert fig.get_size_inches()[0] >= 10


# ------------------------------------------------------------------- XPS fits


def peak_fit(centers, splitting=None) -> PeakFitResult:
    e = np.linspace(280.0, 300.0, 201)
    peaks = [FittedPeak(c, 1.2, 500.0, 700.0, 0.3, 0.0) for c in centers]
    background = np.full(e.size, 100.0)
    counts = background + np.exp(-((e - 290.0) ** 2))
    return PeakFitResult.from_model(e, counts, peaks, background, counts, "test", 3, splitting)


@pytest.mark.parametrize(
    ("centers", "splitting", "title"),
    [
        ([285.0], None, "test: 1 peak"),
        ([], None, "test: 0 peaks"),
        ([285.0, 291.0], Estimate(6.0), "test: 2 peaks, doublet splitting 6.00 eV"),
        ([283.0, 285.0, 289.0, 291.0], Estimate(6.0), "test: 4 peaks, doublet splitting 6.00 eV"),
    ],
)
def test_fit_titles_count_in_the_singular_and_plural(centers, splitting, title):
    assert peak_fit(centers, splitting).plot().axes[0].get_title() == title


def test_the_background_is_drawn_over_the_peaks_under_the_envelope():
    # it was drawn first, covered by every peak line that starts from it
    ax = peak_fit([285.0, 291.0]).plot().axes[0]
    zorder = {line.get_label(): line.get_zorder() for line in ax.lines}
    peaks = [zorder["285.00 eV"], zorder["291.00 eV"]]
    assert max(peaks) < zorder["background"] < zorder["envelope"]


# ------------------------------------------------------------------- synthesis


def test_the_best_spectrum_is_titled_with_its_own_loss(tmp_path, monkeypatch):
    # titled "best loss 0.000": the droplets' median loss, to 3 decimals, not the loss
    # of the channel-wise median spectrum drawn (11 times larger in one run)
    drawn = {}
    plot = adaptive.simulate.plot_spectrum_match

    def spy(path, x, spectrum, target_x, target, title=""):
        drawn.update(loss=target_loss(x, spectrum, target_x, target), title=title)
        return plot(path, x, spectrum, target_x, target, title=title)

    monkeypatch.setattr(adaptive.simulate, "plot_spectrum_match", spy)
    summary = simulate_synthesis(tmp_path, batch=6, rounds=0, droplets=3, model="gp")
    loss = f"{drawn['loss']:.3g}"
    assert drawn["title"].startswith(
        f"best recipe: median spectrum of its 3 droplets, loss {loss}\n"
    )
    assert f"the recipe's loss, {summary['best_loss']:.3g}," in drawn["title"]
    flows = ", ".join(f"{k} {v:.4g}" for k, v in summary["best_recipe"].items())
    assert drawn["title"].endswith(f"\n{flows}")
    one = adaptive.simulate.BestRecipe({"a": 1.5}, 0.0123, np.ones((1, 3)))
    assert adaptive.simulate._best_title(0.0123, one) == "best recipe: loss 0.0123\na 1.5"
