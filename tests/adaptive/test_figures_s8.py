"""The loss-per-round figure: a log axis for losses spanning decades, dots by source."""

import numpy as np
import pytest
from matplotlib.colors import to_rgba

from adaptive.figures import plot_rounds


def round_of(r: int, by_source: dict[str, list[float]]) -> dict:
    """A ``campaign_insights`` round of the recipes ``by_source``; its best so far is its own."""
    values = [v for vs in by_source.values() for v in vs]
    return {
        "round": r,
        "median": float(np.median(values)),
        "best_so_far": min(values),
        "values_by_source": by_source,
    }


def dots(ax) -> dict[str, np.ndarray]:
    """The recipes drawn per legend label (lines without a line style), y values."""
    return {
        line.get_label(): np.asarray(line.get_ydata())
        for line in ax.get_lines()
        if line.get_linestyle() == "None"
    }


def test_losses_spanning_decades_are_on_a_log_axis_each_source_marked(tmp_path, saved):
    # the synthesis run: the design's 0.74 flattened the best loss's 0.0097 -> 0.00025 on 0
    rounds = [
        round_of(0, {"design": [0.74, 0.4, 0.0097]}),
        round_of(1, {"gp": [0.05, 0.004], "net": [0.03, 0.0021]}),
        round_of(2, {"gp": [0.01, 0.00025], "driver": [0.2]}),
    ]
    plot_rounds(tmp_path / "loss_by_round.png", rounds)
    ax = saved[0].axes[0]
    assert ax.get_yscale() == "log" and "log" in ax.get_ylabel()
    drawn = dots(ax)
    assert set(drawn) == {"design", "gp", "net", "driver"}
    np.testing.assert_array_equal(drawn["gp"], [0.05, 0.004, 0.01, 0.00025])
    np.testing.assert_array_equal(drawn["driver"], [0.2])
    colours = {line.get_label(): to_rgba(line.get_color()) for line in ax.get_lines()}
    assert len({colours[s] for s in drawn}) == 4  # told apart
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["design", "gp", "net", "driver", "median of round", "best so far"]
    gp_x = next(line for line in ax.get_lines() if line.get_label() == "gp").get_xdata()
    assert np.all(np.abs(np.asarray(gp_x) - [1, 1, 2, 2]) <= 0.15)  # at their rounds


@pytest.mark.parametrize(
    "values",
    [[0.5, 0.2, 0.06], [0.3, 0.0, 0.0001], [0.2, -0.1, 0.001]],
    ids=["within a decade", "a loss of 0", "a negative objective"],
)
def test_losses_within_a_decade_or_not_all_positive_stay_linear(tmp_path, saved, values):
    rounds = [round_of(0, {"design": values[:2]}), round_of(1, {"gp": values[2:]})]
    plot_rounds(tmp_path / "loss_by_round.png", rounds)
    ax = saved[0].axes[0]
    assert ax.get_yscale() == "linear" and ax.get_ylabel() == "loss"
    assert set(dots(ax)) == {"design", "gp"}
