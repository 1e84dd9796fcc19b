"""Batch BO on the AgNP recipe space and on a measured pool."""

from pathlib import Path

import numpy as np
import pytest

from adaptive.bench_pool import pool_space, run_pool_campaign
from adaptive.errors import InvalidParameterError
from adaptive.objectives import target_loss
from adaptive.records import Observation
from adaptive.simulate import GOAL_RECIPE, synthesis_space
from adaptive.space import Space
from adaptive.strategies import BatchBO
from simulators import AgNPSynthesis, PoolEmulator
from simulators.agnp import FACTORS, WAVELENGTHS
from surrogates.batch_acquisition import BATCH_METHODS

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
SPACE = Space.from_dict(synthesis_space())
SIMULATOR = AgNPSynthesis(seed=1)
TARGET = SIMULATOR.spectrum_true(np.array([GOAL_RECIPE[f] for f in FACTORS]))


def loss(point):
    spectrum = SIMULATOR.spectrum_true(np.array([point[f] for f in FACTORS]))
    return target_loss(WAVELENGTHS, spectrum, WAVELENGTHS, TARGET)


def observe(strategy, points, t0=0.0):
    strategy.observe(
        [Observation(point=p, value=loss(p), time=t0 + i) for i, p in enumerate(points)]
    )


@pytest.mark.parametrize("method", sorted(BATCH_METHODS))
def test_each_method_proposes_a_feasible_distinct_batch(method):
    strategy = BatchBO(SPACE, q=6, batch_method=method, n_initial=10, n_candidates=256, seed=0)
    initial = strategy.suggest(10)
    assert all(s.strategy == "batch_bo:design" for s in initial)
    observe(strategy, [s.point for s in initial])
    pending = [initial[0].point]  # measured already; a pending duplicate must not be proposed
    batch = strategy.suggest(6, pending=pending)
    keys = {tuple(s.point.values()) for s in batch}
    assert len(keys) == 6
    assert not keys & {tuple(s.point.values()) for s in initial}
    for s in batch:
        assert SPACE.validate(s.point) == s.point  # steps and the 100% constraint hold
        assert s.strategy == "batch_bo:gp" and method in s.reason


def test_model_batches_beat_the_initial_design():
    strategy = BatchBO(SPACE, q=8, n_initial=12, n_candidates=512, seed=2)
    design = strategy.suggest(12)
    observe(strategy, [s.point for s in design])
    batch = strategy.suggest(8)
    observe(strategy, [s.point for s in batch], t0=100)
    design_losses = [loss(s.point) for s in design]
    batch_losses = [loss(s.point) for s in batch]
    assert np.median(batch_losses) < np.median(design_losses)


def test_replicates_reduce_to_the_median_with_their_variance():
    strategy = BatchBO(SPACE, q=2, n_initial=2, seed=0)
    a, b = (s.point for s in strategy.suggest(2))
    values = [0.2, 0.3, 0.9]
    strategy.observe([Observation(point=a, value=v, time=i) for i, v in enumerate(values)])
    strategy.observe([Observation(point=b, value=0.5, time=10)])
    x, y, y_var = strategy.data()
    assert sorted(y.tolist()) == [0.3, 0.5]
    assert y_var is not None and np.all(y_var > 0)


def test_bad_requests_are_refused():
    with pytest.raises(InvalidParameterError, match="batch_method"):
        BatchBO(SPACE, batch_method="magic")
    with pytest.raises(InvalidParameterError, match="search_box"):
        BatchBO(SPACE, search_box={"Qpva(%)": [5.0, 50.0]})
    strategy = BatchBO(SPACE, q=3, n_initial=3, seed=0)
    with pytest.raises(InvalidParameterError, match="2 measured recipes"):
        strategy.suggest(5)  # 3 from the design, then the model has nothing to fit


def test_search_box_widens_when_the_best_recipe_hugs_it():
    box = {"QAgNO3(%)": [10.0, 20.0]}
    strategy = BatchBO(SPACE, q=4, n_initial=6, n_candidates=256, search_box=box, seed=0)
    design = strategy.suggest(6)
    observe(strategy, [s.point for s in design])
    best = {**design[0].point, "QAgNO3(%)": 20.0}
    strategy.observe([Observation(point=best, value=-1.0, time=50)])  # best sits on the edge
    batch = strategy.suggest(4)
    assert strategy.search_box["QAgNO3(%)"][1] > 20.0
    assert "widened" in batch[0].reason


def test_pool_campaign_measures_each_recipe_once():
    path = DATA / "synthesis" / "agnp_droplets.csv"
    if not path.exists():
        pytest.skip(f"shared data not found at {path}")
    inputs = list(FACTORS)
    pool = PoolEmulator.from_csv(path, inputs, "loss")
    assert len(pool_space(pool).names) == 5
    result = run_pool_campaign(pool, "thompson", q=5, n_init=5, seed=0)
    assert len(result["order"]) == len(set(result["order"]))
    top = set(pool.top_indices(0.05).tolist())
    assert len(top & set(result["order"])) >= 6  # stops once 80% of the top 5% are found


def test_stops_at_the_target_value():
    strategy = BatchBO(SPACE, q=3, n_initial=3, target_value=0.2, seed=0)
    points = [s.point for s in strategy.suggest(3)]
    strategy.observe(
        [
            Observation(point=p, value=v, time=i)
            for i, (p, v) in enumerate(zip(points, [0.9, 0.5, 0.4], strict=True))
        ]
    )
    assert strategy.stop_reason() is None
    strategy.observe([Observation(point=points[0], value=0.1, time=9)])  # median now 0.5
    strategy.observe([Observation(point=points[1], value=0.1, time=10)])
    strategy.observe([Observation(point=points[1], value=0.1, time=11)])
    assert "reached the target" in strategy.stop_reason()


def test_stops_when_rounds_stop_improving():
    strategy = BatchBO(SPACE, q=2, n_initial=2, stable_rounds=2, stable_tolerance=0.05, seed=0)
    points = [p for p in (s.point for s in strategy.suggest(2))]
    extra = [{**points[0], "Qtot(uL/min)": 300.0 + k} for k in range(6)]
    values = [0.9, 0.3, 0.5, 0.31, 0.5, 0.305, 0.5, 0.302]
    recipes = points + extra
    for i in range(4):  # design, then three rounds of two
        block = slice(2 * i, 2 * i + 2)
        strategy.observe(
            [
                Observation(point=p, value=v, time=10 * i + k)
                for k, (p, v) in enumerate(zip(recipes[block], values[block], strict=True))
            ]
        )
        reason = strategy.stop_reason()
        assert (reason is None) == (i < 3), (i, reason)
    assert reason.startswith("stable")
