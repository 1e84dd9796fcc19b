"""A bad recipe of a candidates pool is refused naming its index and how to fix the pool."""

import pytest

from adaptive.errors import OutOfSpaceError
from adaptive.space import Space
from adaptive.strategies import BatchBO

SPACE = Space.from_dict(
    {
        "dimensions": [
            {"name": "a", "low": 0, "high": 10},
            {"name": "b", "low": 0, "high": 10},
            {"name": "cat", "kind": "categorical", "choices": ["x", "y"]},
        ],
        "constraints": [{"coefficients": {"a": 1, "b": 1}, "upper": 12}],
    }
)
GOOD = [{"a": 1, "b": 1, "cat": "x"}, {"a": 2, "b": 1, "cat": "y"}]


def test_an_infeasible_pool_recipe_is_named_with_pool_advice():
    """It was refused as a measurement: no index, 'measure within the constraint'."""
    with pytest.raises(OutOfSpaceError) as err:
        BatchBO(SPACE, q=3, candidates=[*GOOD, {"a": 9, "b": 9, "cat": "x"}])
    message = str(err.value)
    assert message.startswith("candidates[2], recipe {'a': 9, 'b': 9, 'cat': 'x'}")
    assert "a+b = 18 > 12; drop it from the pool, or loosen the constraint" in message
    assert "measure" not in message


def test_a_pool_recipe_with_a_bad_value_is_named_by_its_index():
    with pytest.raises(OutOfSpaceError, match=r"^candidates\[1\], recipe .*'z'.* not one of") as e:
        BatchBO(SPACE, q=2, candidates=[GOOD[0], {"a": 1, "b": 2, "cat": "z"}, GOOD[1]])
    assert str(e.value).endswith("; fix it, or drop it from the pool")
