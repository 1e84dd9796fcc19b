import math

import numpy as np
import pytest

from adaptive.campaign import Campaign
from adaptive.designs import latin_hypercube
from adaptive.errors import InvalidParameterError, OutOfSpaceError
from adaptive.journal import Journal
from adaptive.records import Observation
from adaptive.space import READBACK_TOLERANCE, Dimension, LinearConstraint, Space
from adaptive.strategies import STRATEGIES


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


@pytest.mark.parametrize("low, high, step", [(0.0, 0.7, 0.1), (0.0, 0.3, 0.1), (0.1, 0.3, 0.2)])
def test_top_of_a_stepped_range_is_high_exactly(low, high, step):
    dim = Dimension("x", low=low, high=high, step=step)
    assert dim.validate(high) == high
    assert dim.validate(dim.validate(high)) == high
    assert dim.snap([high + 1.0])[0] == high
    assert Space((dim,)).from_unit([[1.0]]) == [{"x": high}]


@pytest.mark.parametrize(
    "low, high, step, count", [(0.0, 1e308, 0.5, "inf"), (0.0, 1e3, 1e-14, "1e\\+17")]
)
def test_a_step_count_past_max_steps_is_refused_saying_the_smallest_step(low, high, step, count):
    # 1e308 / 0.5 steps overflowed: OverflowError when the lattice was first used
    raw = {"name": "x", "low": low, "high": high, "step": step}
    smallest = f"{(high - low) / 2**53:.3g}".replace("+", r"\+")
    match = rf"'x': step=.* into {count} steps, more than MAX_STEPS = 2\*\*53; .* {smallest}"
    with pytest.raises(InvalidParameterError, match=match):
        Space.from_dict({"dimensions": [raw]})
    finest = Dimension("x", low=low, high=high, step=(high - low) / 2**53)  # as advised
    assert finest.snap([high]) == [high]


def test_categorical_values_come_back_as_the_stored_choice():
    dim = Dimension("c", kind="categorical", choices=(0, 1, "two"))
    got = dim.validate(np.int64(1))
    assert got == 1 and type(got) is int
    flag = Dimension("f", kind="categorical", choices=(True, False, "unknown"))
    assert flag.validate(True) is True
    assert flag.validate(np.True_) is True
    with pytest.raises(OutOfSpaceError):
        dim.validate("1")


@pytest.mark.parametrize(
    "choices, value",
    [((0, 1), True), ((0, 1), np.False_), ((True, False), 1), ((True, False), np.int64(0))],
)
def test_a_bool_never_names_a_number_choice_nor_a_number_a_bool(choices, value):
    dim = Dimension("c", kind="categorical", choices=choices)
    with pytest.raises(OutOfSpaceError, match="not one of the choices"):
        dim.validate(value)


@pytest.mark.parametrize("choices", [(1, True), (0, False, 2), (True, 2.5, "x"), (np.True_, 1)])
def test_choices_that_mix_bools_and_numbers_are_refused(choices):
    with pytest.raises(InvalidParameterError, match=r"mixes the bools .* numbers .*'yes'/'no'"):
        Dimension("c", kind="categorical", choices=choices)


def test_bool_choices_and_their_equal_numbers_make_different_spaces():
    numbers = Space((Dimension("c", kind="categorical", choices=(1, 0)),))
    bools = Space((Dimension("c", kind="categorical", choices=(True, False)),))
    assert numbers != bools and numbers.dimensions[0] != bools.dimensions[0]
    assert len({numbers, bools}) == 2
    assert numbers.from_unit([[0.0]]) == [{"c": 1}] and bools.from_unit([[0.0]]) == [{"c": True}]
    assert type(numbers.from_unit([[0.0]])[0]["c"]) is int


@pytest.mark.parametrize(
    "choices, message",
    [
        ((1, 1.0, 2), "twice"),
        (("a", "a"), "twice"),
        ((math.nan, 1.0), "finite number"),
        (((1, 2), (3, 4)), "survive JSON"),
    ],
)
def test_bad_categorical_choices_rejected(choices, message):
    with pytest.raises(InvalidParameterError, match=message):
        Dimension("c", kind="categorical", choices=choices)


def test_categorical_choices_survive_json():
    import json

    space = Space((Dimension("c", kind="categorical", choices=(np.int64(3), "a", None)),))
    again = Space.from_dict(json.loads(json.dumps(space.to_dict())))
    assert again == space and hash(again) == hash(space)


def test_numpy_bounds_become_floats():
    import json

    dim = Dimension("x", low=np.float32(0), high=np.int64(2))
    assert type(dim.low) is float and type(dim.high) is float
    json.dumps(Space((dim,)).to_dict())


@pytest.mark.parametrize(
    "dimensions", [("x",), ({"name": "x", "low": 0, "high": 1},), Dimension("x", low=0, high=1)]
)
def test_space_needs_dimension_objects(dimensions):
    with pytest.raises(InvalidParameterError, match="Dimension"):
        Space(dimensions)


def test_categorical_takes_no_bounds_and_units_are_text():
    with pytest.raises(InvalidParameterError, match="not low/high"):
        Dimension("c", kind="categorical", choices=("a",), low=0.0, high=1.0)
    with pytest.raises(InvalidParameterError, match="units"):
        Dimension("x", low=0.0, high=1.0, units=5)


@pytest.mark.parametrize(
    "raw, message",
    [
        ({"name": np.zeros(2), "low": 0.0, "high": 1.0}, "name must be a non-empty string"),
        ({"name": "c", "kind": "categorical", "choices": np.zeros(2)}, "choices must be a list"),
        ({"name": "c", "kind": "categorical", "choices": {"a": 1}}, "choices must be a list"),
        ({"name": "e", "low": 0.0, "high": 1.0, "choices": ["a"]}, "not choices"),
        ({"name": "n", "kind": "integer", "low": 0, "high": 3, "choices": [1]}, "not choices"),
    ],
)
def test_array_names_and_choices_and_choices_of_numeric_dimensions_are_refused(raw, message):
    with pytest.raises(InvalidParameterError, match=message):
        Space.from_dict({"dimensions": [raw]})


@pytest.mark.parametrize("kind", [np.zeros(0), np.zeros(2), np.array(["integer", "x"])])
def test_a_kind_sent_as_an_array_is_refused_naming_the_field(kind):
    # an array's `in KINDS` test raised "truth value of an array is ambiguous"
    raw = {"name": "x", "low": 0.0, "high": 1.0, "kind": kind}
    with pytest.raises(InvalidParameterError, match=r"dimension 'x': kind .* is not one of"):
        Space.from_dict({"dimensions": [raw]})


def test_numeric_dimensions_take_empty_or_null_choices():
    for choices in ([], None):
        space = Space.from_dict(
            {"dimensions": [{"name": "e", "low": 0, "high": 1, "choices": choices}]}
        )
        assert space["e"].choices == ()


@pytest.mark.parametrize("kind", ["continuous", "integer"])
@pytest.mark.parametrize("low, high", [(-1e308, 1e308), (-1.7e308, 1e308)])
def test_a_range_wider_than_floating_point_holds_is_refused(kind, low, high):
    with pytest.raises(InvalidParameterError, match="wider than floating point holds"):
        Dimension("x", kind=kind, low=low, high=high)


@pytest.mark.parametrize(
    "low, high", [(1e12, 1e12 + 0.01), (8979.0, 8979.0 + 1e-6), (-1.0, -1.0 + 1e-12)]
)
def test_a_range_too_narrow_for_its_magnitude_is_refused(low, high):
    with pytest.raises(InvalidParameterError, match="too narrow for floating point.*offset"):
        Dimension("x", low=low, high=high)


@pytest.mark.parametrize(
    "low, high, kind",
    [
        (0.0, 1e-9, "continuous"),
        (8979.0, 8979.0 + 1e-5, "continuous"),
        (0.0, 1e300, "continuous"),
        (1e12, 1e12 + 1, "integer"),
    ],
)
def test_narrow_ranges_that_floating_point_resolves_are_taken(low, high, kind):
    assert Dimension("x", kind=kind, low=low, high=high).high == high


SPACE = Space((Dimension("x", low=0, high=1), Dimension("c", kind="categorical", choices=["a"])))


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: SPACE.validate({"x": 0.5, "c": "a", 1: 2, "zz": 3}), r"\[1, 'zz'\]"),
        (
            lambda: Space.from_dict(
                {"dimensions": [{"name": "x", "low": 0, "high": 1}], 1: 2, "z": 3}
            ),
            r"unknown space fields \[1, 'z'\]",
        ),
        (
            lambda: Space.from_dict(
                {"dimensions": [{"name": "x", "low": 0, "high": 1, 1: 2, "z": 3}]}
            ),
            r"unknown dimension fields \[1, 'z'\]",
        ),
        (
            lambda: LinearConstraint.from_dict(
                {"coefficients": {"x": 1}, "upper": 1, 1: 2, "z": 3}
            ),
            r"unknown constraint fields \[1, 'z'\]",
        ),
        (lambda: Space(None), "list or tuple of Dimension objects, got None"),
        (lambda: Space(5), "list or tuple of Dimension objects, got 5"),
        (lambda: Space(SPACE.dimensions, None), "list or tuple of LinearConstraint.*got None"),
        (lambda: SPACE.to_unit(5), "list of points .*got 5"),
        (lambda: SPACE.from_unit([["0.5", "a"]]), "u must be a numeric array, but it holds text"),
    ],
)
def test_malformed_input_raises_typed_errors_naming_it(call, message):
    with pytest.raises(InvalidParameterError, match=message):
        call()


@pytest.mark.parametrize("low, high", [(-44.71, 0.24), (-37.63, -15.33)])
def test_decoding_the_top_of_the_cube_stays_within_the_bounds(low, high):
    assert low + 1.0 * (high - low) > high  # the plain decode overshoots these bounds
    space = Space((Dimension("t", low=low, high=high), Dimension("b", low=0.0, high=1.0)))
    u = np.array([[1.0, 0.5], [1.0 + 1e-12, 0.0], [0.0, 1.0]])
    assert space.from_unit_array(u)[:, 0].tolist() == [high, high, low]
    points = space.from_unit(u)
    assert [p["t"] for p in points] == [high, high, low]
    np.testing.assert_array_equal(space.to_unit(points)[:, 0], [1.0, 1.0, 0.0])


def test_from_dict_refuses_constraints_that_are_not_a_list():
    dims = [{"name": "a", "low": 0, "high": 1}]
    for bad in ({}, 0, "", None, False):
        with pytest.raises(InvalidParameterError, match=r"constraints must be a list.*\[\] for"):
            Space.from_dict({"dimensions": dims, "constraints": bad})
    assert Space.from_dict({"dimensions": dims, "constraints": []}).constraints == ()


def test_a_space_reads_as_a_mapping_of_dimension_names():
    space = mixed_space()
    assert "energy" in space and "helicity" in space
    assert "temp" not in space and 0 not in space and None not in space
    assert list(space) == ["energy", "repeats", "helicity"] == space.names
    assert len(space) == 3
    assert [space[name] for name in space] == list(space.dimensions)


@pytest.mark.parametrize(
    ("reported", "bound"), [(9100.001, 9100.0), (9100.19, 9100.0), (8899.9999, 8900.0)]
)
def test_a_readback_just_past_a_bound_is_clipped_onto_it_and_reported(reported, bound):
    """READBACK_TOLERANCE is 0.2 eV on this 200 eV range; validate stays strict."""
    space = mixed_space()
    point = {"energy": reported, "repeats": 3, "helicity": "plus"}
    clipped, readback = space.clip_readback(point)
    assert clipped == {"energy": bound, "repeats": 3, "helicity": "plus"}
    assert readback == {"energy": reported}
    assert point["energy"] == reported  # the caller's point is not changed
    assert space.validate(clipped)["energy"] == bound
    with pytest.raises(OutOfSpaceError):
        space.validate(point)


@pytest.mark.parametrize(
    "point",
    [
        {"energy": 9000.0, "repeats": 3, "helicity": "plus"},
        {"energy": 9100.0, "repeats": 11, "helicity": "left"},  # integers and choices: strict
        {"energy": "9100.001", "repeats": 3, "helicity": "plus"},  # for validate to refuse
        {"repeats": 3},
        [9100.001],
    ],
)
def test_points_inside_or_not_continuous_readbacks_come_back_as_they_are(point):
    assert mixed_space().clip_readback(point) == (point, {})


@pytest.mark.parametrize("reported", [9100.3, 8899.7, 1e9, -1e9])
def test_a_point_beyond_the_readback_tolerance_is_refused_naming_it(reported):
    tolerance = READBACK_TOLERANCE * 200.0
    with pytest.raises(
        OutOfSpaceError, match=rf"by more than the readback tolerance {tolerance:g} eV"
    ):
        energy_space().clip_readback({"energy": reported})


@pytest.mark.parametrize("suggested", [None, {"energy": 8980.0}])
def test_a_readback_in_kev_on_an_ev_space_is_told_to_convert_not_to_widen(suggested):
    """8.98 (keV) on 8900-9100 eV was told to widen low/high in a new campaign."""
    with pytest.raises(OutOfSpaceError) as caught:
        energy_space().clip_readback({"energy": 8.98}, suggested, reach=0.05)
    message = str(caught.value)
    assert "8.98 x 1000 = 8980 eV lies inside" in message and "convert it" in message
    assert "widen" not in message
    with pytest.raises(OutOfSpaceError, match=r"8\.98 x 1000 = 8980 eV lies inside"):
        energy_space().validate({"energy": 8.98})


@pytest.mark.parametrize(
    ("low", "high", "value", "scaled"),
    [
        (8900.0, 9100.0, 9_000_000.0, "/ 1000 = 9000"),
        (8900.0, 9100.0, 9.2, None),  # 9200 is outside too
        (0.0, 10.0, 11.0, None),  # 0.011 is inside, but 11 is near the range: no units slip
        (0.0, 10.0, 2000.0, "/ 1000 = 2"),
    ],
)
def test_only_a_value_far_off_that_scales_into_the_range_is_called_other_units(
    low, high, value, scaled
):
    advice = Dimension("x", low=low, high=high).other_units(value)
    assert (advice is None) if scaled is None else advice.startswith(f"{value:g} {scaled}")
    if scaled is not None:  # too large: a finer unit; too small: a coarser one
        assert ("(meV for eV" in advice) is scaled.startswith("/")


def test_a_clipped_readback_must_still_satisfy_the_constraints():
    space = Space(
        (Dimension("a", low=0.0, high=10.0), Dimension("b", low=0.0, high=10.0)),
        (LinearConstraint({"a": 1.0, "b": 1.0}, upper=12.0),),
    )
    clipped, readback = space.clip_readback({"a": 10.005, "b": 2.0})
    assert space.validate(clipped) == {"a": 10.0, "b": 2.0} and readback == {"a": 10.005}
    clipped, _ = space.clip_readback({"a": 10.005, "b": 2.5})
    with pytest.raises(OutOfSpaceError, match="violates constraint"):
        space.validate(clipped)


def test_a_stepped_dimension_gets_no_readback_tolerance():
    space = Space((Dimension("e", low=0.0, high=10.0, step=3.0),))
    assert space.clip_readback({"e": 10.005}) == ({"e": 10.005}, {})
    with pytest.raises(OutOfSpaceError, match="outside"):
        space.validate({"e": 10.005})


# ---- readbacks against constraints --------------------------------------------------

PUMPS = {
    "dimensions": [{"name": k, "low": 0.0, "high": 100.0} for k in "ABC"],
    "constraints": [{"coefficients": {"A": 1, "B": 1, "C": 1}, "upper": 100, "name": "sum<=100"}],
}


def test_a_readback_just_over_a_constraint_is_taken_as_read_not_projected():
    """The tolerance is READBACK_TOLERANCE * (100 + 100 + 100) = 0.3 on sum<=100."""
    space = Space.from_dict(PUMPS)
    read = {"A": 33.335, "B": 33.335, "C": 33.335}  # sum 100.005
    assert space.clip_readback(read) == (read, {})
    assert space.validate(read) == read
    assert space.validate({"A": 50.0, "B": 50.0, "C": 0.29}) == {"A": 50.0, "B": 50.0, "C": 0.29}
    with pytest.raises(
        OutOfSpaceError,
        match=r"^point violates constraint sum<=100 = 100.31 > 100 by more than the readback "
        r"tolerance 0.3; ",
    ):
        space.validate({"A": 50.0, "B": 50.0, "C": 0.31})


def test_a_constraint_readback_tolerance_scales_with_coefficients_and_skips_lattices():
    """Only continuous dimensions without a step jitter: 1e-3 * |-2| * 10 = 0.02 here."""
    dims = (
        Dimension("a", low=0.0, high=10.0),
        Dimension("s", low=0.0, high=10.0, step=0.5),
        Dimension("n", kind="integer", low=0, high=10),
    )
    space = Space(dims, (LinearConstraint({"a": -2.0, "s": 1.0, "n": 1.0}, lower=-10.0),))
    assert space.validate({"a": 5.009, "s": 0.0, "n": 0})["a"] == 5.009  # -10.018
    with pytest.raises(OutOfSpaceError, match=r"-10.022 < -10 by more than .* tolerance 0.02;"):
        space.validate({"a": 5.011, "s": 0.0, "n": 0})
    lattice = Space(dims, (LinearConstraint({"s": 1.0, "n": 1.0}, upper=3.0),))
    with pytest.raises(OutOfSpaceError, match=r"^point violates constraint s\+n = 3.5 > 3$"):
        lattice.validate({"a": 0.0, "s": 0.5, "n": 3})


def test_suggestions_and_designs_stay_strictly_feasible():
    space = Space.from_dict(PUMPS)
    read = {"A": 33.335, "B": 33.335, "C": 33.335}
    assert space.feasible(space.to_unit([read])).tolist() == [False]
    con = space.constraints[0]
    for point in latin_hypercube(space, 64, seed=0):
        assert con.value(point) <= 100.0 + 1e-7


def test_a_campaign_journals_a_readback_just_over_a_constraint_as_read(tmp_path):
    journal = Journal(tmp_path / "journal.sqlite")
    try:
        campaign = Campaign.create(journal, PUMPS, {"name": "batch_bo"}, campaign_id="c1")
        read = {"A": 33.335, "B": 33.335, "C": 33.335}
        assert campaign.observe(Observation(point=read, value=0.3)) is True
        with pytest.raises(OutOfSpaceError, match="by more than the readback tolerance 0.3"):
            campaign.observe(Observation(point={"A": 34.0, "B": 34.0, "C": 34.0}, value=0.1))
        assert [o.point for o in journal.observations("c1")] == [read]
        assert all(sum(s.point.values()) <= 100 + 1e-7 for s in campaign.suggest(4))
        assert Campaign.resume(journal, "c1").n_observations == 1
    finally:
        journal.close()


def test_a_recipes_key_follows_the_dimensions_not_the_dicts_order():
    space = Space(
        (Dimension("a", low=0, high=1), Dimension("b", "categorical", choices=("x", "y")))
    )
    assert space.key({"b": "y", "a": 0.5}) == space.key({"a": 0.5, "b": "y"}) == (0.5, "y")


@pytest.mark.parametrize(
    ("low", "high", "advice"),
    [
        (500.0, 500.0, "leave the dimension out and keep 500 in each put's metadata"),
        (600.0, 500.0, "swap them"),
    ],
)
def test_bounds_not_in_order_say_how_to_give_what_was_meant(low, high, advice):
    """A map of one row (y from 500 to 500) was refused without saying how to give one."""
    with pytest.raises(InvalidParameterError, match=r"low=.* must be below high=.*; ") as caught:
        Dimension("y", low=low, high=high)
    assert advice in str(caught.value)
    one_row = Dimension("y", kind="categorical", choices=[500])
    assert one_row.validate(500) == 500


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_a_strategy_given_a_mapping_for_its_space_says_to_build_a_space(name):
    # review X19: EnergyScan({"dimensions": [...]}) raised AttributeError
    mapping = {"dimensions": [{"name": "energy", "low": 8900.0, "high": 9100.0}]}
    with pytest.raises(InvalidParameterError, match=r"takes a Space, got dict .*Space.from_dict"):
        STRATEGIES[name](mapping, **({"edge_energy": 9000.0} if name == "conventional" else {}))
