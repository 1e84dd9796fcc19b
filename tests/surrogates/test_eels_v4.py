"""EELS review fixes: counts far below zero (an over-subtracted dark reference) are warned
of, a put whose x is binding energy is refused by the elements analysis, and training
scores its network on held-out spectra, not those its thresholds were calibrated on."""

import numpy as np
import pytest
import torch

from adaptive.analysis import Analysis
from adaptive.errors import InvalidParameterError
from adaptive.records import Spectrum
from simulators import read_eels, to_channels
from surrogates.eels_checks import domain_warnings
from surrogates.eels_identifier import EELSIdentifier, score_identification
from surrogates.eels_training import simulate_eels, train_eels_net
from tests.shared_data import SHARED_DATA
from tests.surrogates.test_eels_map import COMMITTED

NEGATIVE = "of the counts in the window lie far below zero"
MN_O = SHARED_DATA / "eels" / "exspy_coreloss_Mn_O.msa"


def mn_o_like() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(energy, counts, background) (m,) each: O K and Mn L3 edges on a power law, eV, Poisson
    counts from 47,000 down to about 6,000, as the eXSpy Mn + O spectrum."""
    energy = np.arange(360.0, 770.0, 0.2)
    background = 4.7e4 * (energy / 360.0) ** -3
    edges = 3e3 * (energy > 532) * (energy / 532) ** -2 + 8e3 * np.exp(-((energy - 642) ** 2) / 8)
    counts = np.random.default_rng(4).poisson(background + edges).astype(float)
    return energy, counts, background


def warnings_of(energy: np.ndarray, counts: np.ndarray) -> list[str]:
    return domain_warnings(energy, to_channels(energy, counts)[1], counts)


def test_counts_far_below_zero_are_warned_of_but_a_subtracted_background_is_not():
    # minus 30,000 (counts from +17,000 to -17,000): present [], warnings []
    energy, counts, background = mn_o_like()
    found = [w for w in warnings_of(energy, counts - 30000.0) if NEGATIVE in w]
    assert len(found) == 1 and "over-subtracted" in found[0], found
    assert int(found[0].split("%")[0]) > 75 and "(down to -2" in found[0], found
    # background-subtracted: a pre-edge of noise about zero, some points below it
    after = energy >= 500
    subtracted = counts[after] - background[after]
    assert (subtracted < 0).mean() > 0.05
    assert not [w for w in warnings_of(energy[after], subtracted) if NEGATIVE in w]


@pytest.mark.skipif(not MN_O.is_file(), reason=f"{MN_O} absent (shared data)")
def test_the_measured_spectra_warn_of_negative_counts_only_when_offset():
    spectrum = read_eels(MN_O)
    assert any(NEGATIVE in w for w in warnings_of(spectrum.energy, spectrum.counts - 30000.0))
    for path in [MN_O, *sorted((SHARED_DATA / "eels").glob("**/data.msa"))]:
        spectrum = read_eels(path)
        assert not [w for w in warnings_of(spectrum.energy, spectrum.counts) if NEGATIVE in w]


@pytest.mark.skipif(not COMMITTED, reason="needs the committed EELS weights")
@pytest.mark.parametrize(
    "units", ["binding energy (eV)", "Binding Energy / eV", "BE", "B.E.", "BE (eV)"]
)
def test_the_element_analysis_refuses_binding_energy(units):
    # accepted as eV (kinetic energy was refused)
    energy, counts, _ = mn_o_like()
    analysis = Analysis({"name": "elements", "options": {"networks": "unet"}})
    with pytest.raises(
        InvalidParameterError,
        match=r"x is an XPS axis \(binding or kinetic energy\), not energy loss; send an EELS",
    ):
        analysis(Spectrum(energy, counts, units))


def test_training_scores_on_held_out_spectra_not_the_calibration_set(tmp_path):
    # f1, precision and recall were all one number: P = R by construction on validation
    from surrogates.eels_training import SCORE_SEED, VALIDATION_SEED

    assert SCORE_SEED != VALIDATION_SEED
    out = tmp_path / "eels_unet.pt"
    metrics = train_eels_net(
        "unet", n_train=128, epochs=1, batch_size=64, checkpoint_dir=tmp_path / "ck",
        out_path=out, progress=False, n_val=150,
    )  # fmt: skip
    saved = torch.load(out, weights_only=True)
    assert saved["metrics"] == metrics and metrics["scored_spectra"] == 150
    scored = simulate_eels(150, SCORE_SEED)
    p = EELSIdentifier.from_files([out]).probabilities(scored.spectra, scored.window)
    expected = score_identification(p > saved["thresholds"].numpy(), scored.labels)
    assert {key: metrics[key] for key in expected} == pytest.approx(expected, abs=1e-12)
    with pytest.raises(InvalidParameterError, match="seed=2024 is the seed of the held-out"):
        train_eels_net("unet", n_train=128, seed=SCORE_SEED, checkpoint_dir=tmp_path / "x")


@pytest.mark.parametrize(("first", "calibrate"), [(0.0, True), (1.0, True), (1.5, False)])
def test_a_low_start_in_steps_of_one_is_asked_whether_it_is_channel_numbers(first, calibrate):
    """Channel numbers titled eV were only told to crop to 50 eV, which named Zn where the
    calibrated spectrum holds Mn and O."""
    energy = first + np.arange(2048.0)
    (warning,) = domain_warnings(energy, np.array([int(np.ceil(first)), 2047]))
    assert warning.startswith(f"The spectrum starts at {first:g} eV, below 50 eV")
    assert ("as uncalibrated detector channel numbers do: if it is uncalibrated" in warning) is (
        calibrate
    )
    # a spectrum image was told of EMSA's keys only (review V15)
    assert ("#XPERCHAN in an EMSA file; offset and scale of s.axes_manager" in warning) is (
        calibrate
    )
