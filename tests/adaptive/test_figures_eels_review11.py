"""The identification figure draws every count: no log axis hides those <= 0."""

import numpy as np

from adaptive.figures import plot_identification


def spectrum_panel(tmp_path, saved, energy, counts):
    """The spectrum panel of an identification figure of ``counts`` on ``energy``."""
    plot_identification(tmp_path / "id.png", energy, counts, {"Mn": 0.9}, ["Mn"], window=(629, 682))
    return saved[-1].axes[0]


def test_a_background_subtracted_spectrum_is_drawn_whole_on_a_linear_axis(tmp_path, saved):
    # a pre-edge of noise about 0 beside a 15,000-count white line went onto a log axis that
    # masked every point <= 0 (42 of the 78 of an EELSDB La0.7Sr0.3MnO3 spectrum), leaving
    # fragments that looked like signal
    energy = np.round(np.arange(629.0, 682.5, 0.2), 1)
    pre_edge = np.random.default_rng(0).normal(0.0, 150.0, energy.size)
    counts = pre_edge + 15000.0 * np.exp(-0.5 * ((energy - 642.0) / 1.5) ** 2)
    ax = spectrum_panel(tmp_path, saved, energy, counts)
    assert ax.get_yscale() == "linear" and ax.get_ylabel() == "counts"
    low, high = ax.get_ylim()
    assert low <= counts.min() and high >= counts.max()  # the counts <= 0 are in view
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), counts)


def test_positive_counts_spanning_decades_stay_on_a_log_axis(tmp_path, saved):
    energy = np.arange(629.0, 682.0, 0.5)
    ax = spectrum_panel(tmp_path, saved, energy, 1e5 * (energy / 629.0) ** -80)
    assert ax.get_yscale() == "log" and "log" in ax.get_ylabel()
