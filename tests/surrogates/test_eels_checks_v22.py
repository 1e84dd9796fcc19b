"""Review V22: an element named only for edges lying beside a surer element's (Sb M4,5 under
O K, Co L2,3 under Ba M4,5) went unwarned; the warning of a window starting on an edge named
a later, absent edge (Sb M4 537 eV) or none when the onset lay just below the start; the
calibration warning said the measured spectra lose their elements from 3 eV too high, where
La2NiO4 keeps them at +5 eV."""

import numpy as np
import pytest

from simulators.eels import ELEMENTS
from simulators.eels_files import EELSSpectrum, read_eels
from surrogates.eels_checks import counts_warnings, overlap_warnings
from surrogates.eels_identifier import EELSIdentifier, identify_spectrum
from tests.shared_data import SHARED_DATA

EELS = SHARED_DATA / "eels"
MN_O = EELS / "exspy_coreloss_Mn_O.msa"
LA2NIO4 = EELS / "eelsdb/la2nio4-structure-of-k2nif4/data.msa"
MEASURED = [
    MN_O,
    EELS / "eelsdb/la0-7sr0-3mno3srtio3-001-heterostructure/data.msa",
    LA2NIO4,
    EELS / "eelsdb/o-k-edge-la2nio4-structure-of-k2nif4-tetragonale-i4-mmm/data.msa",
]


@pytest.fixture(scope="module")
def identifier():
    return EELSIdentifier.load()


def named(probabilities: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """(80,) probabilities and (80,) present of the elements given, all named present."""
    p = np.zeros(len(ELEMENTS))
    for element, value in probabilities.items():
        p[ELEMENTS.index(element)] = value
    return p, p > 0


def cut(lowest: float, highest: float = np.inf) -> EELSSpectrum:
    """The eXSpy Mn + O spectrum from ``lowest`` to ``highest`` eV."""
    spectrum = read_eels(MN_O)
    keep = (spectrum.energy >= lowest) & (spectrum.energy <= highest)
    return EELSSpectrum(spectrum.energy[keep], spectrum.counts[keep], {}, "cut.msa")


def test_an_element_whose_every_edge_lies_beside_a_surer_ones_is_warned_of():
    # BaTiO3 on 400-900 eV named Co (L3 779, L2 794 eV) in 6 of 20 draws, beside Ba M5,4
    (sentence,) = overlap_warnings(
        *named({"Ba": 0.99, "Ti": 1.0, "O": 1.0, "Co": 0.74}), (400, 900)
    )
    assert sentence.startswith("Co (p 0.74) may be absent: each of its major edges in the window")
    assert "of an edge of Ba (p 0.99), named with more confidence" in sentence
    assert "(Co L3 779 eV beside Ba M5 781 eV, Co L2 794 eV beside Ba M4 796 eV)" in sentence
    edges = "(Co M2 59 eV, Co M3 59 eV, Co L1 926 eV (minor))"
    assert f"confirm Co by another of its edges {edges}: widen the window" in sentence
    # the surer element is the one left alone: Ba is warned of when Co is the surer
    (sentence,) = overlap_warnings(*named({"Ba": 0.7, "Co": 0.9}), (400, 900))
    assert sentence.startswith("Ba (p 0.70) may be absent")


@pytest.mark.parametrize(
    ("probabilities", "window"),
    [
        ({"La": 1.0, "Ni": 0.57}, (424, 934)),  # Ni L2 872 eV lies 23 eV from La M4 849 eV
        ({"La": 0.5, "Ni": 1.0}, (424, 934)),  # La M5 832 eV lies 23 eV from Ni L3 855 eV
        ({"O": 1.0, "Sb": 0.6}, (540, 900)),  # Sb's major edges lie below the window
        ({"Mn": 1.0, "O": 1.0}, (360, 769)),
    ],
)
def test_an_element_with_an_edge_clear_of_the_others_is_not_warned_of(probabilities, window):
    assert overlap_warnings(*named(probabilities), window) == []


@pytest.mark.parametrize(("lowest", "highest"), [(503, 553), (479, 559), (409, 559)])
def test_the_measured_o_k_edge_naming_sb_warns_of_it(identifier, lowest, highest):
    if not EELS.is_dir():
        pytest.skip(f"measured EELS data not found at {EELS} (shared data absent)")
    result = identify_spectrum(cut(lowest, highest), identifier)
    assert set(result["present"]) == {"O", "Sb"}
    (sentence,) = result["warnings"]
    assert sentence.startswith(f"Sb (p {result['probabilities']['Sb']:.2f}) may be absent")
    assert "(Sb M5 528 eV beside O K 532 eV, Sb M4 537 eV beside O K 532 eV)" in sentence
    assert "(Sb M3 766 eV (minor), Sb M2 812 eV (minor))" in sentence


@pytest.mark.parametrize("path", MEASURED, ids=lambda p: p.parent.name)
def test_the_measured_spectra_get_no_overlap_warning(identifier, path):
    if not EELS.is_dir():
        pytest.skip(f"measured EELS data not found at {EELS} (shared data absent)")
    assert identify_spectrum(read_eels(path), identifier)["warnings"] == []


@pytest.mark.parametrize(
    ("start", "edge"), [(533, "O K 532 eV"), (535, "O K 532 eV"), (642, "Mn L3 640 eV"),
                        (644, "Mn L3 640 eV")],
)  # fmt: skip
def test_a_window_starting_just_past_an_onset_names_that_edge(start, edge):
    # from 533 or 535 eV the warning named only Sb M4 537 eV, from 642 or 644 eV no edge
    if not EELS.is_dir():
        pytest.skip(f"measured EELS data not found at {EELS} (shared data absent)")
    spectrum = cut(start)
    energy = spectrum.energy
    window = np.array([round(energy[0]), round(energy[-1])])
    (sentence,) = counts_warnings(energy, spectrum.counts, window)
    assert "it starts on an edge (major edges there or up to 7 eV below the window: " in sentence
    assert edge in sentence


def test_the_calibration_warning_says_which_shifts_lose_the_measured_elements(identifier):
    if not EELS.is_dir():
        pytest.skip(f"measured EELS data not found at {EELS} (shared data absent)")
    kept = {
        (path.parent.name, shift): identify_spectrum(
            EELSSpectrum(s.energy + shift, s.counts, {}, "moved.msa"), identifier
        )["present"]
        for path in MEASURED
        for s in [read_eels(path)]
        for shift in (4.0, 5.0)
    }
    lost = [path.parent.name for path in MEASURED if kept[(path.parent.name, 4.0)] == []]
    assert len(lost) == 3 and set(kept[(LA2NIO4.parent.name, 5.0)]) == {"O", "Ni", "La"}
    s = read_eels(MN_O)
    moved = EELSSpectrum(s.energy + 7.0, s.counts, {}, "moved.msa")
    (sentence,) = identify_spectrum(moved, identifier)["warnings"]
    assert (
        "they lost every element of three of four measured spectra at 3.4-4 eV too high, though "
        "the fourth kept its elements to 5 eV)" in sentence
    )
