"""The batch-time benchmark: its flag checks and a small real run."""

import pytest

from adaptive.bench_batch import bench_batch_time
from adaptive.errors import InvalidParameterError
from surrogates.batch_acquisition import BATCH_METHODS


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"repeats": 0}, "--repeats 0: must be a positive integer"),
        ({"n_observations": 1}, "--observations 1: must be an integer >= 15"),
        ({"n_observations": 1, "q": 1}, "--observations 1: must be an integer >= 2"),
        ({"q": 0}, "--batch 0: must be a positive integer"),
    ],
)
def test_bad_batch_bench_counts_are_refused_by_flag(options, match):
    with pytest.raises(InvalidParameterError, match=match):
        bench_batch_time(**options)


def test_a_small_run_times_every_batch_method():
    result = bench_batch_time(n_observations=4, q=2, repeats=1)
    assert (result["observations"], result["q"], result["dimensions"]) == (4, 2, 5)
    assert set(result["methods"]) == set(BATCH_METHODS)
    for figures in result["methods"].values():
        assert 0 < figures["batch_s_median"] <= figures["batch_s_max"]
