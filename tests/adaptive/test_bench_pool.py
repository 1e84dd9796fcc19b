"""Argument checks of the pool benchmark."""

import numpy as np
import pytest

from adaptive.bench_pool import bench_pool, pool_space
from adaptive.errors import InvalidParameterError
from simulators import PoolEmulator


@pytest.fixture
def pool_csv(tmp_path):
    path = tmp_path / "pool.csv"
    rows = "\n".join(f"{a},5,{(a - 3) ** 2}" for a in range(8))
    path.write_text(f"a,b,y\n{rows}\n")
    return path


def test_constant_input_column_is_named(pool_csv):
    pool = PoolEmulator.from_csv(pool_csv, ["a", "b"], "y")
    with pytest.raises(InvalidParameterError, match=r"'b' has the same value 5 .*drop it"):
        pool_space(pool)
    assert pool_space(PoolEmulator.from_csv(pool_csv, ["a"], "y")).names == ["a"]


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"seeds": 0}, "seeds=0 must be an integer >= 1"),
        ({"seeds": 1.5}, "seeds=1.5 must be an integer >= 1"),
        ({"methods": []}, "non-empty list"),
        ({"methods": "random"}, "non-empty list"),
        ({"methods": ["random", "bogus"]}, r"unknown method\(s\) \['bogus'\]"),
        ({"methods": ["random", "random"]}, "repeat a name"),
    ],
)
def test_bad_seeds_and_methods_raise_before_reading(options, match):
    with pytest.raises(InvalidParameterError, match=match):
        bench_pool("missing.csv", ["a"], "y", progress=False, **options)


def test_random_only_run_gives_finite_figures(pool_csv):
    result = bench_pool(
        pool_csv, ["a"], "y", q=2, n_init=2, seeds=2, methods=["random"], progress=False
    )
    assert result["seeds"] == 2 and list(result["methods"]) == ["random"]
    assert np.isfinite(result["methods"]["random"]["ef_at_30pct"])


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"n_init": 8}, "--init 8: must be an integer from 2 to 7"),  # the whole pool
        ({"n_init": 100}, "--init 100: must be an integer from 2 to 7"),
        ({"n_init": 2, "q": 9}, "--batch 9: must be an integer from 1 to 8"),
    ],
)
def test_init_and_batch_beyond_the_pool_are_refused_by_flag(pool_csv, options, match):
    with pytest.raises(InvalidParameterError, match=match):
        bench_pool(pool_csv, ["a"], "y", seeds=1, methods=["random"], progress=False, **options)


@pytest.mark.parametrize("minimize", [True, False])
def test_the_result_records_the_objective_and_its_direction(pool_csv, minimize):
    result = bench_pool(
        pool_csv, ["a"], "y", minimize, q=2, n_init=2, seeds=1, methods=["random"], progress=False
    )
    assert (result["objective"], result["minimize"]) == ("y", minimize)


def test_a_pool_of_two_recipes_is_refused_by_its_size(tmp_path):
    path = tmp_path / "two.csv"
    path.write_text("a,y\n1,0.5\n1,0.6\n2,0.1\n2,0.2\n2,0.3\n")  # replicates of 2 recipes
    match = r"only 2 distinct recipes .*needs at least 3 \(an initial design of 2 and one to find\)"
    with pytest.raises(InvalidParameterError, match=match):
        bench_pool(path, ["a"], "y", n_init=2, seeds=1, methods=["random"], progress=False)
