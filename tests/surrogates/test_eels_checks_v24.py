"""Review V24: white lines filling a narrow window raised the noise the departure from a
power law is judged against, so Ba M4,5 at 8 times the background (p 0.99999) was said to
show no edge; a rise at the window's start toward an edge of an element found, with the
10 eV of pre-edge the warning asks for, was warned of as a window starting on an edge
(naming Co L3 for Ba M5 781 eV in a window from 769 eV)."""

import numpy as np
import pytest

from surrogates.eels_checks import NO_EDGE, counts_warnings

STARTS_ON_AN_EDGE = "starts on an edge"


def edges_with_white_lines(
    energy: np.ndarray, onsets: tuple[float, float], seed: int, hwhm: float
) -> np.ndarray:
    """Poisson counts (m,) at ``energy`` (m,): a power law, edge steps of 0.3 and 0.6 of
    it at the two ``onsets`` (eV), a Lorentzian white line on each (half width ``hwhm``
    eV) 5 and 8 times the background high, and a delayed maximum 17 eV past the second
    (as Ba M4,5 have)."""
    background = 1e4 * (energy / energy[0]) ** -3
    steps = sum(h / (1 + np.exp(-(energy - e))) for h, e in zip((0.3, 0.6), onsets, strict=True))
    lines = sum(
        h / (1 + ((energy - e - 0.5) / hwhm) ** 2) for h, e in zip((5, 8), onsets, strict=True)
    )
    delayed = 1.8 * np.exp(-0.5 * ((energy - onsets[1] - 17) / 4) ** 2)
    mean = background * (1 + steps + lines + delayed)
    return np.random.default_rng(seed).poisson(mean).astype(float)


def warnings_of(first: float, width: int, onsets, seed: int, hwhm: float, present) -> list[str]:
    """``counts_warnings`` of ``edges_with_white_lines`` on ``first`` to ``first + width``
    eV at 1 eV per channel, the elements ``present`` named."""
    energy = np.arange(first, first + width + 1.0)
    counts = edges_with_white_lines(energy, onsets, seed, hwhm)
    return counts_warnings(energy, counts, np.array([first, first + width]), present)


@pytest.mark.parametrize("seed", range(5))
def test_white_lines_filling_a_narrow_window_show_an_edge(seed):
    # Ba M5,4 on 770-820 eV: said to show no edge in 20 of 20 such spectra
    warnings = warnings_of(770.0, 50, (781.0, 796.0), seed, 1.0, ["Ba"])
    assert not any(w.startswith(NO_EDGE) for w in warnings), warnings


@pytest.mark.parametrize(
    ("first", "onsets", "element"),
    [(769.0, (781.0, 796.0), "Ba"), (843.0, (855.0, 872.0), "Ni")],
    ids=["Ba M5,4", "Ni L3,2"],
)
def test_a_rise_toward_an_edge_of_an_element_found_12_ev_inside_is_not_warned_of(
    first, onsets, element
):
    for seed in range(3):
        found = warnings_of(first, 200, onsets, seed, 2.5, [element])
        assert not any(STARTS_ON_AN_EDGE in w for w in found), found
        # the counts do rise there: with the element not found, the warning stays
        missed = warnings_of(first, 200, onsets, seed, 2.5, [])
        assert any(STARTS_ON_AN_EDGE in w for w in missed), missed


def test_an_edge_of_the_element_found_cut_at_the_start_is_still_warned_of():
    # Mn L3 640 eV 6 eV inside a window from 634 eV: its L2 651 eV, 17 eV inside, does not
    # explain the rise over the first 10 eV
    for seed in range(3):
        warnings = warnings_of(634.0, 200, (640.0, 651.0), seed, 2.5, ["Mn"])
        rises = [w for w in warnings if STARTS_ON_AN_EDGE in w]
        assert len(rises) == 1 and "first 10 eV" in rises[0], warnings
        assert "Mn L3 640 eV" in rises[0]
