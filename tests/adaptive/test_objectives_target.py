"""A target recorded high to low is sorted; unit names compare as their symbols."""

import numpy as np
import pytest

from adaptive.errors import InvalidParameterError
from adaptive.objectives import SpectrumObjective

X = np.linspace(380.0, 800.0, 43)
PEAK = np.exp(-(((X - 600.0) / 50.0) ** 2))


def test_a_descending_target_is_sorted_like_a_measured_spectrum():
    ascending = SpectrumObjective(X, PEAK)
    descending = SpectrumObjective(X[::-1], PEAK[::-1])
    assert np.array_equal(descending.target_x, X) and np.array_equal(descending.target_y, PEAK)
    shifted = np.exp(-(((X - 580.0) / 50.0) ** 2))
    assert descending(X, shifted) == ascending(X, shifted)
    assert descending.to_dict()["target_x"] == X.tolist()


def test_a_target_with_a_repeated_x_is_still_refused():
    match = "target_x repeats 500 at points 1 and 2; average the points"
    with pytest.raises(InvalidParameterError, match=match):
        SpectrumObjective([380.0, 500.0, 500.0, 800.0], [0.0, 1.0, 0.5, 0.0])


@pytest.mark.parametrize("theirs", ["nanometers", "Nanometer", " NM ", "nanometres"])
def test_a_unit_name_is_its_symbol(theirs):
    SpectrumObjective(X, PEAK, x_units="nm").check_units(theirs, "")
    SpectrumObjective(X, PEAK, x_units="eV").check_units("electronvolts", "")


@pytest.mark.parametrize("target", ["eV", "keV", "nm"])
@pytest.mark.parametrize("unset", ["-", "none", "undefined", ""])
def test_unset_units_are_not_compared(target, unset):
    SpectrumObjective(X, PEAK, x_units=target).check_units(unset, "")
    SpectrumObjective(X, PEAK, x_units=unset).check_units(target, "")


def test_other_units_are_refused_with_the_units_to_send():
    objective = SpectrumObjective(X, PEAK, x_units="nm")
    with pytest.raises(InvalidParameterError, match="x_units 'eV' differs.*x_units='nm'"):
        objective.check_units("eV", "")
