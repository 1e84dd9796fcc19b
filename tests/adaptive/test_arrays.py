import numpy as np
import pytest

from adaptive.arrays import (
    ascending_steps,
    check_bool,
    check_int,
    finite_matrix,
    is_finite_real,
    is_int,
    is_real,
)
from adaptive.errors import InvalidParameterError


def test_finite_matrix_copies_as_the_dtype():
    value = [[1, 2], [3, 4]]
    a = finite_matrix("x", value, "recipe", dtype=np.float32)
    assert a.dtype == np.float32 and a.shape == (2, 2)
    a[0, 0] = 9
    assert value[0][0] == 1


@pytest.mark.parametrize(
    "value, message",
    [
        ([1.0, 2.0], r"x must be a 2-D array \(one spectrum per row\), got shape \(2,\)"),
        ([["a", "b"]], r"x must be a numeric array, but it holds text \(dtype <U1\)"),
        (
            [[1.0, 2.0], [3.0, np.inf]],
            r"x\[1, 1\] = inf is not finite; drop or repair that spectrum",
        ),
    ],
)
def test_finite_matrix_names_the_problem(value, message):
    with pytest.raises(InvalidParameterError, match=message):
        finite_matrix("x", value, "spectrum")


def test_ascending_steps_returns_the_steps_or_names_the_first_bad_point():
    np.testing.assert_allclose(
        ascending_steps("x", np.array([1.0, 1.5, 3.0]), "sort it"), [0.5, 1.5]
    )
    with pytest.raises(InvalidParameterError, match=r"x must be strictly .* point 1 .*sort it"):
        ascending_steps("x", np.array([3.0, 2.0, 1.0]), "sort it")


def test_number_predicates_refuse_bools_and_floats_that_overflow():
    assert is_int(3) and is_int(np.int64(3)) and not is_int(True) and not is_int(3.0)
    assert is_real(np.float32(1.5)) and is_real(float("nan")) and not is_real("1")
    assert is_finite_real(10**300) and not is_finite_real(10**400)
    assert not is_finite_real(float("inf")) and not is_finite_real(False)


def test_ascending_steps_refuses_nan():
    with pytest.raises(InvalidParameterError, match="point 1 "):
        ascending_steps("energy", np.array([0.0, np.nan, 2.0]), "fix it")


@pytest.mark.parametrize("value", [True, False])
def test_check_bool_takes_a_bool(value):
    assert check_bool("flag", value) is value


@pytest.mark.parametrize("value", ["true", 1, 0, None, np.float64(1.0)])
def test_check_bool_refuses_text_and_numbers_by_name(value):
    with pytest.raises(InvalidParameterError, match="flag=.* must be true or false"):
        check_bool("flag", value)


@pytest.mark.parametrize(
    ("axis", "match"),
    [
        ([1.0, 2.0, 2.0, 3.0], r"^e repeats 2 eV at points 1 and 2; merge them$"),
        ([1.0, 3.0, 2.0], r"^e must be strictly .* point 2 \(2.0 eV\) follows 3.0 eV; sort"),
        ([[1.0, 2.0, 3.0], [1.0, 2.0, 2.0]], r"^e\[1\] repeats 2 eV at points 1 and 2"),
    ],
)
def test_ascending_steps_names_a_repeat_and_its_row(axis, match):
    # a repeated value was reported as 'must be strictly increasing' and a row was not named
    with pytest.raises(InvalidParameterError, match=match):
        ascending_steps("e", np.array(axis), "sort them", "merge them", unit=" eV")


@pytest.mark.parametrize(
    ("name", "value", "bounds", "message"),
    [
        ("--n", 0, {}, "--n 0: must be a positive integer$"),
        ("--seed", np.int64(-1), {"low": 0}, "--seed -1: must be an integer >= 0$"),
        ("--droplets", 1.5, {"high": 10}, "--droplets 1.5: must be an integer from 1 to 10$"),
        ("--batch", "2", {}, "--batch '2': must be a positive integer$"),
        ("n", 0, {}, "n=0 must be an integer >= 1$"),  # an argument: its own phrasing
        ("n", True, {"high": 3}, "n=True must be an integer from 1 to 3$"),
    ],
)
def test_check_int_phrases_a_cli_option_as_the_cli_does(name, value, bounds, message):
    with pytest.raises(InvalidParameterError, match=message):
        check_int(name, value, **bounds)


def test_check_int_takes_integers_in_range_from_one_by_default():
    assert check_int("--n", np.int64(3)) == 3 and type(check_int("--n", np.int64(3))) is int
    assert check_int("--rounds", 0, low=0) == 0
