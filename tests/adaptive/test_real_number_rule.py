"""One rule for what a real number is, in adaptive, surrogates and simulators alike: an int or
a float, numpy's included; text, bools and Fractions are refused, not converted."""

from fractions import Fraction

import numpy as np
import pytest

from adaptive.arrays import finite_matrix, is_finite_real, is_real
from adaptive.errors import InvalidParameterError
from adaptive.objectives import pearson
from simulators import base
from surrogates.net_acquisition import pick_diverse
from surrogates.spectrum_net import SpectrumNet


@pytest.mark.parametrize(
    "value, message",
    [
        ([["0.5", "1"]], r"^x must be a numeric array, but it holds text \(dtype <U3\)"),
        ([[True, False]], r"^x holds bools \(True/False\), not numbers"),
        ([[0.5, Fraction(1, 2)]], r"^x must be a numeric array, but it holds the non-number Fr"),
        ([[0.5, 10**400]], r"^x holds a number too large for floating point"),
    ],
)
def test_finite_matrix_refuses_what_is_not_real_numbers(value, message):
    # text and bools became numbers ([[0.5, 1.0]], [[1.0, 0.0]]); 10**400 an OverflowError
    with pytest.raises(InvalidParameterError, match=message):
        finite_matrix("x", value, "recipe")


def test_finite_matrix_and_the_objectives_name_a_nan_alike():
    with pytest.raises(InvalidParameterError, match=r"^x\[1, 0\] = nan is not finite; drop or"):
        finite_matrix("x", [[1.0, 2.0], [np.nan, 3.0]], "recipe")
    with pytest.raises(InvalidParameterError, match=r"^a\[2\] = inf is not finite; drop or"):
        pearson([1.0, 2.0, np.inf], [1.0, 2.0, 3.0])


def test_a_spectrum_net_refuses_text_recipes():
    spectra = np.ones((3, 4))
    with pytest.raises(
        InvalidParameterError, match="^x must be a numeric array, but it holds text"
    ):
        SpectrumNet(n_members=1).fit([["0.1", "0.2"], ["0.3", "0.4"], ["0.5", "0.6"]], spectra)


def test_pick_diverse_refuses_text_scores_and_pending_recipes():
    x, none = [[0.0, 0.0], [1.0, 1.0]], np.empty((0, 2))
    with pytest.raises(InvalidParameterError, match="^score must be a numeric array, but it"):
        pick_diverse(["0.5", "0.1"], x, 1, 0.1, none)
    with pytest.raises(InvalidParameterError, match="^avoid must be a numeric array, but it"):
        pick_diverse([0.5, 0.1], x, 1, 0.1, [["0.5", "0.5"]])


def test_the_number_predicates_are_the_simulators_ones():
    # Fraction(1, 2) was a finite real to the simulators but not a number to adaptive
    assert is_finite_real is base.is_finite_real and is_real is base.is_real
    for value in (Fraction(1, 2), True, "1"):
        assert not is_real(value) and not is_finite_real(value), value
    assert is_real(np.nan) and not is_finite_real(np.nan) and is_finite_real(np.int8(3))
