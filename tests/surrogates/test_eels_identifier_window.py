"""Elements with no major edge in the window: the networks were trained to call only
elements with an edge inside it present, so their probability says nothing. On the O
K-edge-only La2NiO4 spectrum (522-559 eV) La and Ni read as a confident "absent" (p 3e-4);
now ``has_edge_in_window`` says which elements the window can show, and no other is ever
called present."""

import numpy as np
import pytest

from simulators.eels import ELEMENTS, EELSSimulator, has_major_edge_inside
from simulators.eels_files import read_eels
from surrogates.eels_identifier import EELSIdentifier, identify_spectrum
from surrogates.eels_net import EELSUNet
from tests.shared_data import SHARED_DATA

O_K_ONLY = "eels/eelsdb/o-k-edge-la2nio4-structure-of-k2nif4-tetragonale-i4-mmm/data.msa"
MEASURED = pytest.mark.skipif(not (SHARED_DATA / O_K_ONLY).is_file(), reason="shared data absent")


@MEASURED
def test_an_o_k_window_shows_o_but_not_la_or_ni():
    result = identify_spectrum(read_eels(SHARED_DATA / O_K_ONLY))
    assert result["window"] == (522, 559)
    assert "O" in result["has_edge_in_window"] and "O" in result["present"]
    assert not {"La", "Ni"} & set(result["has_edge_in_window"])
    assert set(result["present"]) <= set(result["has_edge_in_window"])


@MEASURED
def test_an_element_without_an_edge_in_the_window_is_never_present():
    # thresholds of 1e-30: an untrained network puts every element above its own, so only
    # the window decides
    identifier = EELSIdentifier([EELSUNet()], thresholds=np.full(80, 1e-30))
    result = identify_spectrum(read_eels(SHARED_DATA / O_K_ONLY), identifier)
    assert sorted(result["present"]) == sorted(result["has_edge_in_window"])
    batch = EELSSimulator().sample(40, 3)
    _, present = identifier.identify(batch.spectra, batch.window)
    assert (present.sum(axis=1) < 80).all()
    assert (present | ~batch.labels).all()  # every labelled element can be called present


def test_the_window_rule_is_the_simulators_labelling_rule_at_zero_margin():
    o = ELEMENTS.index("O")  # O K at 532 eV
    inside = has_major_edge_inside(
        np.array([[o, -1]] * 3), np.array([500, 540, 525]), np.array([600, 600, 600])
    )
    np.testing.assert_array_equal(inside, [[True, False], [False, False], [True, False]])
    margin = has_major_edge_inside(np.array([[o]]), np.array([525]), np.array([600]), 10.0)
    assert not margin.any()  # 7 eV inside: a simulated spectrum would not label it
