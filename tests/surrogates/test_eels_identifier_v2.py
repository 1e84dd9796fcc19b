"""Counts in reverse order (high loss first) and a window starting past an edge's peak are
warned of: the La2NiO4 spectrum reversed gave no element and no warning, the eXSpy Mn + O
spectrum cut to start at 540, 544 or 548 eV missed O (p 0.001) without a warning."""

import numpy as np
import pytest

from simulators.eels import EELSSimulator, edge_table
from simulators.eels_files import EELSSpectrum, read_eels
from surrogates.eels_checks import counts_warnings
from surrogates.eels_identifier import EELSIdentifier, identify_spectrum
from surrogates.eels_net import EELSResNet
from tests.shared_data import SHARED_DATA
from tests.surrogates.test_eels_identifier_no_edge import MEASURED

UNTRAINED = EELSIdentifier([EELSResNet()])
REVERSED = "The counts rise toward high energy loss"
PAST_PEAK = "The counts fall from a maximum in the first 5 eV"
#: 450-900 eV in 0.5 eV steps.
ENERGY = np.arange(450.0, 900.0, 0.5)


def warnings_of(energy: np.ndarray, counts: np.ndarray) -> list[str]:
    """``identify_spectrum``'s warnings (networks untrained: the warnings do not use them)."""
    return identify_spectrum(EELSSpectrum(energy, counts, {}, "test.msa"), UNTRAINED)["warnings"]


def core_loss() -> np.ndarray:
    """(m,) Poisson counts on ``ENERGY``: an E^-3 background from 1e5, an O K-like step at
    532 eV and a white line at 645 eV on a step at 642 eV."""
    edges = (
        1
        + 0.6 / (1 + np.exp(-(ENERGY - 532.0)))
        + 2.0 * np.exp(-0.5 * ((ENERGY - 645.0) / 1.5) ** 2)
        + 0.4 / (1 + np.exp(-(ENERGY - 642.0)))
    )
    return np.random.default_rng(0).poisson(1e5 * (ENERGY / ENERGY[0]) ** -3 * edges) * 1.0


def measured(name: str) -> EELSSpectrum:
    path = SHARED_DATA / "eels" / name
    if not path.is_file():
        pytest.skip(f"measured EELS spectrum not found at {path} (shared data absent)")
    return read_eels(path)


def test_reversed_counts_are_warned_of():
    counts = core_loss()
    assert not any(w.startswith(REVERSED) for w in warnings_of(ENERGY, counts))
    (found,) = [w for w in warnings_of(ENERGY, counts[::-1].copy()) if w.startswith(REVERSED)]
    assert "-fold over the window" in found
    assert "are the counts reversed, or is the axis not energy loss?" in found


def test_simulated_spectra_are_warned_of_when_reversed_or_cut_past_an_edge_only():
    batch = EELSSimulator().sample(100, seed=5)
    backward = positive = 0
    for spectrum, (first, last), elements in zip(
        batch.spectra, batch.window, batch.elements, strict=True
    ):
        energy, counts = np.arange(first, last + 1.0), spectrum[first : last + 1].astype(float)
        found = counts_warnings(energy, counts, (first, last))
        assert not any(w.startswith(REVERSED) for w in found), found
        if any(w.startswith(PAST_PEAK) for w in found):  # an edge at most 60 eV below the start
            onsets = [e.onset_ev for e in edge_table() if e.element in elements]
            assert any(first - 60 < onset < first + 10 for onset in onsets), (first, elements)
        if np.all(counts > 0):  # not background-subtracted
            positive += 1
            found = counts_warnings(energy, counts[::-1].copy(), (first, last))
            backward += any(w.startswith(REVERSED) for w in found)
    assert backward >= 0.8 * positive > 0, (backward, positive)


def test_measured_spectra_are_warned_of_when_reversed_only():
    for name in MEASURED:
        spectrum = measured(name)
        forward = warnings_of(spectrum.energy, spectrum.counts)
        assert not any(w.startswith((REVERSED, PAST_PEAK)) for w in forward), (name, forward)
        # the two wide windows of positive counts; reversed, they rise 3- to 3.5-fold (the
        # 38 eV O K window is mostly its edge; the LSMO counts are background-subtracted)
        if name in ("exspy_coreloss_Mn_O.msa", "eelsdb/la2nio4-structure-of-k2nif4/data.msa"):
            backward = warnings_of(spectrum.energy, spectrum.counts[::-1].copy())
            assert any(w.startswith(REVERSED) for w in backward), (name, backward)


@pytest.mark.parametrize("start", [644.0, 646.0, 648.0])
def test_a_window_starting_past_a_white_line_peak_is_warned_of(start):
    counts = core_loss()
    kept = ENERGY >= start
    (found,) = [w for w in warnings_of(ENERGY[kept], counts[kept]) if w.startswith(PAST_PEAK)]
    assert "starts past an edge's onset" in found and "include 10 eV or more" in found
    before = ENERGY >= 620.0  # 25 eV of pre-edge
    assert not any(w.startswith(PAST_PEAK) for w in warnings_of(ENERGY[before], counts[before]))


def test_the_mn_o_spectrum_cut_inside_the_o_k_edge_is_warned_of():
    # cut at 540-548 eV, past the O K peaks, O was missed (p 0.001) with no warning
    spectrum = measured("exspy_coreloss_Mn_O.msa")
    on_edge = "The counts rise by"
    cuts = [(532, on_edge), (538, on_edge), (540, PAST_PEAK), (544, PAST_PEAK), (548, PAST_PEAK)]
    for start, warning in cuts:
        kept = spectrum.energy >= start
        found = warnings_of(spectrum.energy[kept], spectrum.counts[kept])
        starts = [w for w in found if w.startswith((on_edge, PAST_PEAK))]
        assert [w[: len(warning)] for w in starts] == [warning], (start, found)
