"""A spectrum with no edge (a smooth background and noise) is warned of: flat Poisson noise
on 925-970 eV was named Cu (p 0.98) and Pr, a power law there Cu, with no warning. Spectra
with an edge, measured or simulated, are not."""

import numpy as np
import pytest

from simulators.eels import EELSSimulator
from simulators.eels_files import EELSSpectrum, read_eels
from surrogates.eels_checks import counts_warnings
from surrogates.eels_identifier import EELSIdentifier, identify_spectrum
from surrogates.eels_net import EELSResNet
from tests.shared_data import SHARED_DATA

UNTRAINED = EELSIdentifier([EELSResNet()])
NO_EDGE = "The counts show no edge"
ENERGY = np.linspace(925.0, 970.0, 500)
MEASURED = (
    "exspy_coreloss_Mn_O.msa",
    "eelsdb/la0-7sr0-3mno3srtio3-001-heterostructure/data.msa",
    "eelsdb/la2nio4-structure-of-k2nif4/data.msa",
    "eelsdb/o-k-edge-la2nio4-structure-of-k2nif4-tetragonale-i4-mmm/data.msa",
)


def warnings_of(energy: np.ndarray, counts: np.ndarray) -> list[str]:
    """``identify_spectrum``'s warnings (networks untrained: the warnings do not use them)."""
    return identify_spectrum(EELSSpectrum(energy, counts, {}, "test.msa"), UNTRAINED)["warnings"]


@pytest.mark.parametrize(
    "mean",
    [
        np.full(ENERGY.size, 1000.0),  # flat
        2e4 * (ENERGY / ENERGY[0]) ** -3.5,  # a power law
        np.full(ENERGY.size, 20.0),  # few counts
    ],
    ids=["flat", "power law", "few counts"],
)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_noise_on_a_smooth_background_is_warned_of(mean, seed):
    counts = np.random.default_rng(seed).poisson(mean).astype(float)
    found = [w for w in warnings_of(ENERGY, counts) if w.startswith(NO_EDGE)]
    assert len(found) == 1, warnings_of(ENERGY, counts)
    assert "not to be trusted" in found[0] and "measure a window holding an edge" in found[0]


def test_a_background_subtracted_spectrum_without_edge_is_warned_of():
    counts = np.random.default_rng(3).normal(0.0, 30.0, ENERGY.size)  # some counts negative
    assert any(w.startswith(NO_EDGE) for w in warnings_of(ENERGY, counts))


def test_an_edge_on_the_same_window_is_not_warned_of():
    # a Cu L3-like step of 10 % of the background at 940 eV, Poisson at 2e4 counts
    background = 2e4 * (ENERGY / ENERGY[0]) ** -3.5
    mean = background * (1 + 0.1 / (1 + np.exp(-(ENERGY - 940.0))))
    counts = np.random.default_rng(0).poisson(mean).astype(float)
    assert not any(w.startswith(NO_EDGE) for w in warnings_of(ENERGY, counts))


def test_simulated_spectra_with_edges_are_not_warned_of():
    # 0 of 1000 simulated with the default settings (6 of 2000 with the training ones:
    # weak broad edges of heavy elements over steep backgrounds)
    batch = EELSSimulator().sample(200, seed=31)
    fired = 0
    for spectrum, (first, last) in zip(batch.spectra, batch.window, strict=True):
        energy = np.arange(first, last + 1.0)
        warnings = counts_warnings(energy, spectrum[first : last + 1].astype(float), (first, last))
        fired += any(w.startswith(NO_EDGE) for w in warnings)
    assert fired == 0


@pytest.mark.parametrize("name", MEASURED)
def test_measured_spectra_of_the_shared_data_are_not_warned_of(name):
    path = SHARED_DATA / "eels" / name
    if not path.is_file():
        pytest.skip(f"measured EELS spectrum not found at {path} (shared data absent)")
    spectrum = read_eels(path)
    assert not any(w.startswith(NO_EDGE) for w in warnings_of(spectrum.energy, spectrum.counts))


def test_a_spike_on_a_measured_spectrum_is_warned_of_as_a_spike_not_as_no_edge():
    # one channel x 50 (a cosmic ray) inflated the noise the edges are judged against, and
    # the Mn + O spectrum was also said to show no edge
    path = SHARED_DATA / "eels" / MEASURED[0]
    if not path.is_file():
        pytest.skip(f"measured EELS spectrum not found at {path} (shared data absent)")
    spectrum = read_eels(path)
    counts = spectrum.counts.astype(float)
    counts[int(np.argmin(np.abs(spectrum.energy - 560.0)))] *= 50
    warnings = warnings_of(spectrum.energy, counts)
    assert any(w.startswith("The counts spike at 560 eV") for w in warnings), warnings
    assert not any(w.startswith(NO_EDGE) for w in warnings), warnings
