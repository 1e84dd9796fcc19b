import math

import numpy as np
import pytest

from adaptive.errors import InvalidParameterError, OutOfSpaceError
from adaptive.space import Dimension, Space


def energy_space():
    return Space((Dimension("energy", low=8900.0, high=9100.0, units="eV"),))


def mixed_space():
    return Space(
        (
            Dimension("energy", low=8900.0, high=9100.0, units="eV"),
            Dimension("repeats", kind="integer", low=1, high=10),
            Dimension("helicity", kind="categorical", choices=("plus", "minus")),
        )
    )


@pytest.mark.parametrize(
    "low, high",
    [
        (1.0, 1.0),
        (2.0, 1.0),
        (math.nan, 1.0),
        (0.0, math.inf),
        (-math.inf, 0.0),
        (None, 1.0),
        ("0", 1.0),
    ],
)
def test_dimension_rejects_bad_bounds(low, high):
    with pytest.raises(InvalidParameterError):
        Dimension("x", low=low, high=high)


def test_dimension_rejects_bad_name_and_kind():
    with pytest.raises(InvalidParameterError):
        Dimension("", low=0.0, high=1.0)
    with pytest.raises(InvalidParameterError, match="kind"):
        Dimension("x", kind="ordinal", low=0.0, high=1.0)
    with pytest.raises(InvalidParameterError, match="choices"):
        Dimension("c", kind="categorical")


def test_space_needs_dimensions_with_distinct_names():
    with pytest.raises(InvalidParameterError):
        Space(())
    with pytest.raises(InvalidParameterError, match="repeat"):
        Space((Dimension("x", low=0.0, high=1.0), Dimension("x", low=0.0, high=2.0)))


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_values_rejected(value):
    with pytest.raises(InvalidParameterError, match="finite"):
        energy_space().validate({"energy": value})


@pytest.mark.parametrize("value", ["9000", None, True, [9000.0]])
def test_non_numbers_rejected(value):
    with pytest.raises(InvalidParameterError, match="not a number"):
        energy_space().validate({"energy": value})


@pytest.mark.parametrize("value", [8899.999, 9100.001, -1e9])
def test_out_of_range_is_out_of_space_and_value_error(value):
    with pytest.raises(OutOfSpaceError) as info:
        energy_space().validate({"energy": value})
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, InvalidParameterError)
    assert str(value) in str(info.value)


def test_bounds_are_inclusive_and_values_become_float():
    space = energy_space()
    assert space.validate({"energy": 8900}) == {"energy": 8900.0}
    assert isinstance(space.validate({"energy": 8900})["energy"], float)
    assert space.validate({"energy": 9100.0}) == {"energy": 9100.0}


def test_unknown_and_missing_dimension_names():
    space = mixed_space()
    with pytest.raises(InvalidParameterError, match="unknown dimensions"):
        space.validate({"energy": 9000.0, "repeats": 2, "helicity": "plus", "temp": 3.0})
    with pytest.raises(InvalidParameterError, match="lacks"):
        space.validate({"energy": 9000.0, "helicity": "plus"})
    with pytest.raises(InvalidParameterError):
        space.validate([9000.0, 2, "plus"])
    with pytest.raises(InvalidParameterError, match="no dimension"):
        space["temp"]
    assert space["repeats"].kind == "integer"


def test_integer_dimension_casts_and_rejects_fractions():
    space = mixed_space()
    point = space.validate({"energy": 9000.0, "repeats": 3.0, "helicity": "minus"})
    assert point["repeats"] == 3 and type(point["repeats"]) is int
    with pytest.raises(InvalidParameterError, match="integer"):
        space.validate({"energy": 9000.0, "repeats": 2.5, "helicity": "minus"})
    with pytest.raises(OutOfSpaceError):
        space.validate({"energy": 9000.0, "repeats": 11, "helicity": "minus"})


def test_categorical_choices():
    space = mixed_space()
    assert space.validate({"energy": 9000.0, "repeats": 1, "helicity": "plus"})["helicity"] == (
        "plus"
    )
    with pytest.raises(OutOfSpaceError, match="choices"):
        space.validate({"energy": 9000.0, "repeats": 1, "helicity": "left"})


def test_to_dict_from_dict_round_trip():
    space = mixed_space()
    data = space.to_dict()
    again = Space.from_dict(data)
    assert again == space
    assert again.names == ["energy", "repeats", "helicity"]
    assert again["helicity"].choices == ("plus", "minus")
    assert again["energy"].units == "eV"


def test_from_dict_rejects_unknown_fields_and_bad_shapes():
    with pytest.raises(InvalidParameterError, match="unknown dimension fields"):
        Space.from_dict({"dimensions": [{"name": "e", "low": 0.0, "high": 1.0, "stride": 1.0}]})
    with pytest.raises(InvalidParameterError):
        Space.from_dict({"dims": []})
    with pytest.raises(InvalidParameterError):
        Space.from_dict([{"name": "e", "low": 0.0, "high": 1.0}])
    with pytest.raises(InvalidParameterError):
        Space.from_dict({"dimensions": ["e"]})
    with pytest.raises(InvalidParameterError):
        Space.from_dict({"dimensions": [{"name": "e", "low": 1.0, "high": 0.0}]})


def test_snap_rounds_onto_the_step_lattice_within_the_bounds():
    stepped = Dimension("x", low=0.0, high=1.1, step=0.25)
    np.testing.assert_array_equal(stepped.snap([-0.3, 0.1, 0.13, 1.1]), [0.0, 0.0, 0.25, 1.0])
    plain = Dimension("x", low=0.0, high=1.0)
    np.testing.assert_array_equal(plain.snap([0.1234]), [0.1234])
