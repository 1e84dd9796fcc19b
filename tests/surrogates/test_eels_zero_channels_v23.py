"""Review V23: a dead detector channel reads 0, not NaN, and an energy alignment pads with
zeros; only NaN and infinite counts were missing channels, so a channel of 0 amid bright
counts named wrong elements or lost real ones, unwarned (the eXSpy Mn + O spectrum at 1 eV
per channel with 710 eV at 0 named Fe; runs of 1-3 such channels every 10 eV over
380-750 eV, 27 of 114 wrong), and La2NiO4 zero-padded at an end named In or Cu."""

import numpy as np
import pytest

from simulators.eels_files import EELSSpectrum, read_eels
from surrogates.eels_identifier import EELSIdentifier, identify_spectrum
from tests.shared_data import SHARED_DATA

EELS = SHARED_DATA / "eels"
MN_O = EELS / "exspy_coreloss_Mn_O.msa"
LA2NIO4 = EELS / "eelsdb/la2nio4-structure-of-k2nif4/data.msa"
READ_0 = "read 0, where the counts beside them lie over 10 noise sigmas above 0"


@pytest.fixture(scope="module")
def identifier():
    if not EELS.is_dir():
        pytest.skip(f"measured EELS data not found at {EELS} (shared data absent)")
    return EELSIdentifier.load()


def mn_o_1ev() -> tuple[np.ndarray, np.ndarray]:
    """The eXSpy Mn + O spectrum summed to 1 eV per channel: energy, counts (409,) each."""
    spectrum = read_eels(MN_O)
    energy = spectrum.energy[:2045].reshape(-1, 5).mean(axis=1)
    return energy, spectrum.counts[:2045].astype(float).reshape(-1, 5).sum(axis=1)


def identified(energy: np.ndarray, counts: np.ndarray, identifier) -> dict:
    return identify_spectrum(EELSSpectrum(energy, counts, {}, "x.msa"), identifier)


def test_channels_reading_0_amid_bright_counts_are_missing_as_nan_ones_are(identifier):
    energy, counts = mn_o_1ev()
    wrong = []
    for at in range(380, 760, 10):
        for width in (1, 2, 3):
            k = int(np.argmin(abs(energy - at)))
            dead, missing = counts.copy(), counts.copy()
            dead[k : k + width], missing[k : k + width] = 0.0, np.nan
            result = identified(energy, dead, identifier)
            reference = identified(energy, missing, identifier)
            assert result["probabilities"] == reference["probabilities"]
            listed = ", ".join(f"{e:g}" for e in energy[k : k + width])
            assert f"{width} of the 409 channels, at {listed} eV, {READ_0}" in result["warnings"][0]
            wrong += [(at, width)] * (set(result["present"]) != {"Mn", "O"})
    assert wrong == []  # 27 of 114 before: Fe at 700-720 eV, I at 610-620, O alone at 650


@pytest.mark.parametrize("where", ["start", "end"])
@pytest.mark.parametrize("ev", [15, 20])
def test_zero_padding_at_an_end_is_missing_as_nan_padding_is(identifier, where, ev):
    # zeros named In (start) or Cu (end) and lost Ni; NaN kept the elements and warned
    spectrum = read_eels(LA2NIO4)
    k = round(ev / 0.25)
    padded = {}
    for fill in (0.0, np.nan):
        counts = spectrum.counts.astype(float)
        counts[slice(None, k) if where == "start" else slice(-k, None)] = fill
        padded[fill] = identified(spectrum.energy, counts, identifier)
    assert padded[0.0]["present"] == padded[np.nan]["present"]
    assert padded[0.0]["probabilities"] == padded[np.nan]["probabilities"]
    assert f"{k} of the 2043 channels" in padded[0.0]["warnings"][0]
    assert READ_0 in padded[0.0]["warnings"][0]


def test_zero_padding_of_raw_counts_is_not_read_as_few_counts(identifier):
    # whole-number counts padded with zeros at the end warned "Few counts: 0 per 1 eV"
    energy, counts = mn_o_1ev()
    counts[-15:] = 0.0
    result = identified(energy, counts, identifier)
    assert set(result["present"]) == {"Mn", "O"}
    assert not any(w.startswith("Few counts") for w in result["warnings"]), result["warnings"]
    (sentence,) = result["warnings"]
    assert sentence.startswith(f"15 of the 409 channels, at {energy[-15]:g},")


@pytest.mark.parametrize("per_channel", [0.3, 1.0, 3.0, 10.0])
def test_honest_zeros_of_few_counts_or_a_subtracted_background_stay_counts(per_channel):
    from surrogates.eels_checks import dead_zeros

    rng = np.random.default_rng(0)
    counts = rng.poisson(per_channel, (2000, 600)).astype(float)
    assert (counts == 0).any()
    assert not dead_zeros(counts).any()  # Poisson counts of a few per channel
    for gain in (7.3, 0.37):  # counts times a gain: few distinct values, not whole numbers
        assert not dead_zeros(counts * gain).any()
    assert not dead_zeros(np.round(counts - per_channel)).any()  # background subtracted
    assert not dead_zeros(np.round(rng.normal(0, 5, (2000, 600)))).any()  # read noise
    bright = counts + 200.0
    bright[:, [100, 300, 301]] = 0.0
    assert dead_zeros(bright).sum(axis=1).tolist() == [3] * 2000


def test_the_measured_spectra_and_a_low_dose_one_keep_their_zeros(identifier):
    # the shared low-loss spectrum (dark subtracted) holds 7 zeros among its counts
    low_loss = read_eels(EELS / "exspy_lowloss.msa")
    assert (low_loss.counts == 0).sum() == 7
    assert not any(READ_0 in w for w in identify_spectrum(low_loss, identifier)["warnings"])
    energy, counts = mn_o_1ev()
    dim = np.random.default_rng(1).poisson(counts / counts.max() * 4).astype(float)
    assert (dim == 0).sum() > 10
    assert not any(READ_0 in w for w in identified(energy, dim, identifier)["warnings"])
