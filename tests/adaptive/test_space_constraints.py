import math

import numpy as np
import pytest

from adaptive.campaign import Campaign
from adaptive.designs import random_design
from adaptive.errors import InvalidParameterError, OutOfSpaceError
from adaptive.journal import Journal
from adaptive.space import Dimension, LinearConstraint, Space
from tests.spaces import agnp_space


def mixed_space():
    return Space(
        (
            Dimension("x", low=-1.0, high=3.0),
            Dimension("n", kind="integer", low=1, high=10),
            Dimension("s", low=0.0, high=1.0, step=0.1),
            Dimension("c", kind="categorical", choices=("a", "b", "c")),
            Dimension("one", kind="categorical", choices=("only",)),
        ),
        (LinearConstraint({"x": 1.0, "n": -0.5}, lower=-2.0, upper=1.0, name="balance"),),
    )


def point(agno3, pva, tsc, seed, qtot=500.0):
    return {
        "QAgNO3(%)": agno3,
        "Qpva(%)": pva,
        "Qtsc(%)": tsc,
        "Qseed(%)": seed,
        "Qtot(uL/min)": qtot,
    }


# ---- steps ------------------------------------------------------------------------


def test_step_validate_accepts_lattice_and_rejects_off_lattice_with_nearest():
    dim = Dimension("Qtot", low=200.0, high=983.0, step=1.0, units="uL/min")
    assert dim.validate(200) == 200.0
    assert dim.validate(983.0) == 983.0
    assert dim.validate(500.0 + 1e-10) == 500.0  # within the relative tolerance
    with pytest.raises(InvalidParameterError, match="nearest valid values are 300 and 301"):
        dim.validate(300.5)
    fine = Dimension("s", low=0.0, high=1.0, step=0.1)
    assert fine.validate(0.3) == pytest.approx(0.3)
    with pytest.raises(InvalidParameterError, match=r"0\.3 and 0\.4"):
        fine.validate(0.35)


def test_step_whose_range_is_not_a_multiple_names_the_last_lattice_value():
    dim = Dimension("v", low=0.0, high=1.0, step=0.3)
    assert dim.n_steps == 3
    assert dim.validate(0.9) == pytest.approx(0.9)
    with pytest.raises(InvalidParameterError, match="nearest valid value is 0.9"):
        dim.validate(0.95)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"low": 0.0, "high": 1.0, "step": 0.0},
        {"low": 0.0, "high": 1.0, "step": -0.1},
        {"low": 0.0, "high": 1.0, "step": math.inf},
        {"low": 0.0, "high": 1.0, "step": 2.0},
        {"low": 0.0, "high": 1.0, "step": "1"},
        {"kind": "integer", "low": 0, "high": 5, "step": 2.0},
        {"kind": "categorical", "choices": ("a",), "step": 1.0},
    ],
)
def test_bad_steps_rejected(kwargs):
    with pytest.raises(InvalidParameterError, match="step"):
        Dimension("x", **kwargs)


def test_step_round_trips_through_dict():
    space = agnp_space()
    again = Space.from_dict(space.to_dict())
    assert again == space
    assert again["Qtot(uL/min)"].step == 1.0
    assert again["QAgNO3(%)"].step is None


# ---- constraints ------------------------------------------------------------------


def test_constraint_satisfied_and_violated_messages():
    space = agnp_space()
    con = space.constraints[0]
    assert con.label == "QAgNO3(%)+Qpva(%)+Qtsc(%)+Qseed(%)"
    assert con.violation(point(20.0, 20.0, 10.0, 5.0)) is None
    bad = point(40.0, 40.0, 20.0, 4.2, qtot=300.0)
    assert con.violation(bad) is not None
    with pytest.raises(OutOfSpaceError) as info:
        space.validate(bad)
    assert isinstance(info.value, InvalidParameterError)
    assert "QAgNO3(%)+Qpva(%)+Qtsc(%)+Qseed(%) = 104.2 > 100" in str(info.value)
    edge = point(40.0, 40.0, 15.0, 5.0)
    assert space.validate(edge)["Qseed(%)"] == 5.0  # bound is inclusive


def test_lower_bound_and_name_in_message():
    space = mixed_space()
    ok = {"x": 0.0, "n": 1, "s": 0.5, "c": "b", "one": "only"}
    assert space.validate(ok) == ok
    with pytest.raises(OutOfSpaceError, match=r"balance = -3 < -2"):
        space.validate({**ok, "x": -1.0, "n": 4})
    with pytest.raises(OutOfSpaceError, match=r"balance = 2.5 > 1"):
        space.validate({**ok, "x": 3.0})
    con = LinearConstraint({"a": 2.0, "b": -1.0, "c": -0.5}, upper=1.0)
    assert con.label == "2*a-b-0.5*c"


@pytest.mark.parametrize(
    "low, high, step",
    [
        (1e6, 1e6 + 1, 1e-3),
        (20000.0, 20001.0, 1e-4),
        (8979.0, 8980.0, 1e-5),
        (-1e6 - 1, -1e6, 1e-3),
        (0.0, 0.7, 0.1),
        (1e12, 1e12 + 2e4, 1.0),
    ],
)
def test_every_value_snap_and_from_unit_give_passes_validate_off_lattice_does_not(low, high, step):
    dim = Dimension("e", low=low, high=high, step=step)
    space = Space((dim,))
    points = space.from_unit(np.linspace(0.0, 1.0, 2001)[:, None])
    snapped = dim.snap(np.linspace(low, high, 2001))
    for value in [p["e"] for p in points] + snapped.tolist():
        assert dim.validate(value) == value
        assert space.validate({"e": value}) == {"e": value}
    for k in (1, dim.n_steps // 2, dim.n_steps - 1):
        for off in (0.5, 0.1, -0.1):
            with pytest.raises(InvalidParameterError, match="not on the step"):
                dim.validate(low + (k + off) * step)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"coefficients": {"x": 1.0}},
        {"coefficients": {}, "upper": 1.0},
        {"coefficients": {"x": math.nan}, "upper": 1.0},
        {"coefficients": {"x": True}, "upper": 1.0},
        {"coefficients": {"x": 1.0}, "upper": math.inf},
        {"coefficients": {"x": 1.0}, "upper": 0.0, "lower": 1.0},
        {"coefficients": {"": 1.0}, "upper": 1.0},
        {"coefficients": [("x", 1.0)], "upper": 1.0},
    ],
)
def test_bad_constraints_rejected(kwargs):
    with pytest.raises(InvalidParameterError):
        LinearConstraint(**kwargs)


def test_space_rejects_constraints_on_unknown_or_categorical_dims():
    dims = (Dimension("x", low=0.0, high=1.0), Dimension("c", kind="categorical", choices=(1, 2)))
    with pytest.raises(InvalidParameterError, match="unknown dimensions"):
        Space(dims, (LinearConstraint({"y": 1.0}, upper=1.0),))
    with pytest.raises(InvalidParameterError, match="categorical"):
        Space(dims, (LinearConstraint({"c": 1.0}, upper=1.0),))
    with pytest.raises(InvalidParameterError):
        Space(dims, ({"coefficients": {"x": 1.0}, "upper": 1.0},))


BOX = (
    Dimension("a", low=0.0, high=10.0),
    Dimension("b", low=0.0, high=10.0),
    Dimension("n", kind="integer", low=0.5, high=3.5),
    Dimension("s", low=0.0, high=1.0, step=0.3),
    Dimension("c", kind="categorical", choices=("x", "y")),
)


@pytest.mark.parametrize(
    "coefficients, bounds, reach",
    [
        ({"a": 1, "b": 1}, {"lower": 50}, r"\[0, 20\]"),
        ({"a": 1, "b": -1}, {"upper": -11}, r"\[-10, 10\]"),
        ({"a": -2, "b": 1}, {"lower": 10.5, "upper": 30}, r"\[-20, 10\]"),
        ({"n": 1}, {"lower": 3.2}, r"\[1, 3\]"),
        ({"n": 1}, {"upper": 0.9}, r"\[1, 3\]"),
        ({"s": 1}, {"lower": 0.95, "upper": 0.95}, r"\[0, 0.9\]"),
    ],
)
def test_a_constraint_no_point_within_the_bounds_meets_is_refused(coefficients, bounds, reach):
    with pytest.raises(InvalidParameterError, match=f"can never hold.*reaches only {reach}"):
        Space(BOX, (LinearConstraint(coefficients, **bounds),))


@pytest.mark.parametrize(
    "coefficients, bounds",
    [
        ({"a": 1, "b": 1}, {"lower": 20}),
        ({"n": 1, "s": 1}, {"lower": 2.3, "upper": 2.3}),
        ({"a": -2, "b": 1}, {"lower": 10}),
        ({"n": 1, "s": 1}, {"upper": 1}),
        ({"s": 1}, {"lower": 0.9 + 1e-12}),
    ],
)
def test_constraints_met_only_at_the_edge_or_by_equality_are_taken(coefficients, bounds):
    space = Space(BOX, (LinearConstraint(coefficients, **bounds),))
    assert len(space.constraints) == 1


def test_constraints_round_trip_and_from_dict_checks():
    space = mixed_space()
    data = space.to_dict()
    assert data["constraints"] == [
        {"coefficients": {"x": 1.0, "n": -0.5}, "upper": 1.0, "lower": -2.0, "name": "balance"}
    ]
    again = Space.from_dict(data)
    assert again == space and hash(again) == hash(space)
    wire = {
        "dimensions": [{"name": "a", "low": 0.0, "high": 1.0}, {"name": "b", "low": 0, "high": 1}],
        "constraints": [{"coefficients": {"a": 1, "b": 1}, "upper": 1}],
    }
    built = Space.from_dict(wire)
    assert built.constraints[0].upper == 1.0
    with pytest.raises(InvalidParameterError, match="unknown space fields"):
        Space.from_dict({**wire, "extra": 1})
    with pytest.raises(InvalidParameterError, match="unknown constraint fields"):
        Space.from_dict({**wire, "constraints": [{"coefficients": {"a": 1}, "max": 1}]})
    with pytest.raises(InvalidParameterError, match="unknown dimensions"):
        Space.from_dict({**wire, "constraints": [{"coefficients": {"z": 1}, "upper": 1}]})
    with pytest.raises(InvalidParameterError):
        Space.from_dict({**wire, "constraints": {"coefficients": {"a": 1}, "upper": 1}})
    with pytest.raises(InvalidParameterError, match="lacks coefficients"):
        Space.from_dict({**wire, "constraints": [{"upper": 1}]})
    # spaces written before constraints existed still load
    assert Space.from_dict({"dimensions": wire["dimensions"]}).constraints == ()


# ---- unit cube --------------------------------------------------------------------


def test_to_unit_from_unit_round_trip_mixed():
    space = mixed_space()
    points = [
        {"x": -1.0, "n": 1, "s": 0.0, "c": "a", "one": "only"},
        {"x": 3.0, "n": 10, "s": 1.0, "c": "c", "one": "only"},
        {"x": 0.5, "n": 4, "s": 0.7, "c": "b", "one": "only"},
    ]
    u = space.to_unit(points)
    assert u.shape == (3, 5)
    np.testing.assert_allclose(u[0], [0, 0, 0, 0, 0])
    np.testing.assert_allclose(u[1], [1, 1, 1, 1, 0])
    np.testing.assert_allclose(u[2], [0.375, 3 / 9, 0.7, 0.5, 0])
    back = space.from_unit(u)
    for got, want in zip(back, points, strict=True):
        assert got.keys() == want.keys()
        assert got["x"] == pytest.approx(want["x"])
        assert got["s"] == pytest.approx(want["s"])
        assert got["n"] == want["n"] and type(got["n"]) is int
        assert got["c"] == want["c"] and got["one"] == "only"


def test_from_unit_snaps_and_round_trip_is_stable_on_random_rows():
    space = mixed_space()
    rng = np.random.default_rng(0)
    u = rng.random((200, 5))
    points = space.from_unit(u)
    for p in points:
        assert p["n"] in range(1, 11)
        assert abs(p["s"] * 10 - round(p["s"] * 10)) < 1e-9
        assert p["c"] in ("a", "b", "c")
        space["s"].validate(p["s"])
    again = space.from_unit(space.to_unit(points))
    assert again == points


def test_from_unit_rejects_bad_arrays():
    space = mixed_space()
    with pytest.raises(InvalidParameterError, match="n x 5"):
        space.from_unit(np.zeros((2, 4)))
    with pytest.raises(InvalidParameterError, match="nan is not finite"):
        space.from_unit(np.full((1, 5), np.nan))
    with pytest.raises(InvalidParameterError, match=r"\[0, 1\]"):
        space.from_unit(np.full((1, 5), 1.5))
    assert space.from_unit(np.full((1, 5), 1 + 1e-12))[0]["n"] == 10
    with pytest.raises(InvalidParameterError):
        space.to_unit([{"x": 0.0}])


@pytest.mark.parametrize("space_fn", [agnp_space, lambda: agnp_space(60.0), mixed_space])
def test_feasible_mask_agrees_with_validate(space_fn):
    space = space_fn()
    u = np.random.default_rng(1).random((400, len(space.dimensions)))
    mask = space.feasible(u)
    assert mask.shape == (400,) and mask.dtype == bool
    assert 0 < mask.sum() < 400
    for ok, p in zip(mask, space.from_unit(u), strict=True):
        if ok:
            space.validate(p)
        else:
            with pytest.raises(OutOfSpaceError, match="constraint"):
                space.validate(p)


def test_feasible_without_constraints_is_all_true():
    space = Space((Dimension("x", low=0.0, high=1.0),))
    assert space.feasible(np.zeros((3, 1))).tolist() == [True, True, True]


def test_equal_constraints_hash_alike_whatever_the_key_order():
    a = LinearConstraint({"a": 1, "b": 2}, upper=1)
    b = LinearConstraint({"b": 2, "a": 1}, upper=1)
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1


@pytest.mark.parametrize("value", [1000.34, 1000.333333, 1000.5])
def test_the_nearest_values_an_off_grid_error_names_are_themselves_valid(value):
    dim = Dimension("energy", low=1000.0, high=2000.0, step=1 / 3, units="eV")
    with pytest.raises(InvalidParameterError, match="nearest valid values are") as err:
        dim.validate(value)
    assert "a readback that jitters off the grid needs a dimension without a step" in str(err.value)
    shown = str(err.value).split("nearest valid values are ")[1].split(";")[0].split(" and ")
    assert len(shown) == 2
    for text in shown:
        assert dim.validate(float(text)) == pytest.approx(float(text))


# ---- equality constraints -----------------------------------------------------------


@pytest.mark.parametrize(
    "dims, coefficients, total, loose, instead",
    [
        (
            [Dimension(k, low=0.0, high=100.0) for k in "ABC"],
            {"A": 1, "B": 1, "C": 1},
            100.0,
            "['A', 'B', 'C']",
            "drop 'C' from the space (the driver sets it from the others) and bound the rest: "
            "0 <= A+B <= 100",
        ),
        (
            [Dimension("A", low=0.0, high=100.0, step=1.0), Dimension("B", low=20.0, high=80.0)],
            {"A": 1, "B": 2},
            100.0,
            "['B']",
            "drop 'B' from the space (the driver sets it from the others) and bound the rest: "
            "-60 <= A <= 60",
        ),
        (
            [Dimension("x", low=0.0, high=4.0)],
            {"x": 2},
            4.0,
            "['x']",
            "drop 'x' from the space (it is fixed at 2)",
        ),
    ],
)
def test_an_equality_over_continuous_dimensions_without_a_step_is_named_when_drawn(
    dims, coefficients, total, loose, instead
):
    """No drawn point meets it, so a design fails saying why and how to fix it (not "ask
    for fewer points"); the space itself is valid, for a pool of candidates."""
    constraint = LinearConstraint(coefficients, lower=total, upper=total)
    space = Space(tuple(dims), (constraint,))
    with pytest.raises(InvalidParameterError) as info:
        random_design(space, 2, seed=0)
    message = str(info.value)
    assert message == space.undrawable()
    assert message.startswith(f"equality constraint {constraint.label} = {total:g} ")
    assert message.endswith(
        f"give {loose} a step (the resolution the instrument sets), or {instead}"
    )


def test_an_equality_campaign_draws_nothing_but_a_pool_meets_it(tmp_path):
    journal = Journal(tmp_path / "journal.sqlite")
    space = {
        "dimensions": [{"name": k, "low": 0, "high": 100} for k in "ABC"],
        "constraints": [
            {"coefficients": {"A": 1, "B": 1, "C": 1}, "lower": 100, "upper": 100, "name": "sum"}
        ],
    }
    pool = [{"A": 40.0, "B": 10.0, "C": 50.0}, {"A": 20.0, "B": 30.0, "C": 50.0}]
    try:
        with pytest.raises(InvalidParameterError, match="give .* a step"):
            Campaign.create(journal, space, {"name": "batch_bo"}, campaign_id="c1")
        strategy = {"name": "batch_bo", "options": {"candidates": pool, "n_initial": 2}}
        pooled = Campaign.create(journal, space, strategy, campaign_id="c2")
        assert sorted(s.point["A"] for s in pooled.suggest(2)) == [20.0, 40.0]
    finally:
        journal.close()


def test_constraints_that_cannot_hold_together_are_refused_with_the_space():
    # each alone holds somewhere in the box; together they failed only at the first
    # suggestions_get, after some 150,000 random draws
    dims = [{"name": "a", "low": 0, "high": 100}, {"name": "b", "low": 0, "high": 100}]
    apart = [
        {"coefficients": {"a": 1, "b": -1}, "lower": 60},
        {"coefficients": {"a": -1, "b": 1}, "lower": 60},
    ]
    with pytest.raises(InvalidParameterError) as err:
        Space.from_dict({"dimensions": dims, "constraints": apart})
    assert str(err.value) == (
        "the constraints 60 <= a-b; 60 <= -a+b can never hold together within the "
        "dimensions' bounds (each can alone); loosen or drop one of them"
    )
    apart[1]["lower"] = 30  # a + 30 <= b and b + 60 <= a: still impossible
    with pytest.raises(InvalidParameterError, match="can never hold together"):
        Space.from_dict({"dimensions": dims, "constraints": apart})
    window = [
        {"coefficients": {"a": 1, "b": 1}, "lower": 150},
        {"coefficients": {"a": 1, "b": -1}, "upper": 10, "lower": -10},
    ]
    assert len(Space.from_dict({"dimensions": dims, "constraints": window}).constraints) == 2
