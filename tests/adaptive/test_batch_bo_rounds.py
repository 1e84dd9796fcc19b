"""BatchBO's rounds: each recipe belongs to the suggest call whose suggestion it answers."""

from adaptive.records import Observation
from adaptive.space import Space
from adaptive.strategies.batch_bo import BatchBO

SPACE = Space.from_dict(
    {
        "dimensions": [
            {"name": "a", "low": 0.0, "high": 10.0},
            {"name": "b", "low": 0.0, "high": 10.0},
        ]
    }
)


def strategy_with_batches(q: int = 4) -> tuple[BatchBO, list[list]]:
    strategy = BatchBO(SPACE, q=q, batch_method="thompson", n_candidates=64, seed=1)
    batches = []
    for b in range(3):
        batch = strategy.suggest(q)
        batches.append(batch)
        measured = batch[1:] if b == 1 else batch  # batch 1's first recipe failed
        strategy.observe(
            [
                Observation(dict(s.point), value=10.0 * b + k, suggestion_id=s.id, time=10 * b + k)
                for k, s in enumerate(measured)
            ]
        )
    return strategy, batches


def test_a_failed_recipe_does_not_shift_the_later_rounds():
    strategy, _ = strategy_with_batches()
    assert strategy.round_ends() == [4, 7, 11]
    _, y, _ = strategy.data(in_order=True)
    assert y.tolist() == [0, 1, 2, 3, 10, 11, 12, 20, 21, 22, 23]


def test_a_late_reading_and_jittered_replicates_stay_in_their_round():
    strategy, batches = strategy_with_batches()
    failed = batches[1][0]
    jittered = {**failed.point, "a": failed.point["a"] + 1e-7}  # a replicate's readback
    strategy.observe(
        [
            Observation(dict(failed.point), value=99.0, suggestion_id=failed.id, time=40),
            Observation(jittered, value=98.0, suggestion_id=failed.id, time=41),
        ]
    )
    # the readback names the suggestion: a replicate of its recipe, reduced to their median
    assert strategy.round_ends() == [4, 8, 12]
    _, y, _ = strategy.data(in_order=True)
    assert y[4:8].tolist() == [10, 11, 12, 98.5]


def test_rounds_survive_a_rebuild_from_observations_and_state():
    strategy, _ = strategy_with_batches()
    rebuilt = BatchBO(SPACE, q=4, batch_method="thompson", n_candidates=64, seed=1)
    rebuilt.observe(list(strategy._observed.values()))
    rebuilt.load_state(strategy.state())
    assert rebuilt.round_ends() == [4, 7, 11]


def test_stable_rounds_count_rounds_by_batch():
    strategy = BatchBO(
        SPACE, q=2, n_initial=2, stable_rounds=1, stable_tolerance=0.05, n_candidates=64, seed=0
    )
    values = [[0.9, 0.3], [0.5, 0.31], [0.31, 0.305]]  # counted by 2: not stable
    for b, pair in enumerate(values):
        batch = strategy.suggest(2)
        measured = batch[1:] if b == 1 else batch  # round 1's first recipe failed
        pairs = pair[1:] if b == 1 else pair
        strategy.observe(
            [
                Observation(dict(s.point), value=v, suggestion_id=s.id, time=10 * b + k)
                for k, (s, v) in enumerate(zip(measured, pairs, strict=True))
            ]
        )
        assert strategy.stop_reason() is None if b < 2 else "stable" in strategy.stop_reason()


def test_suggestions_asked_for_one_at_a_time_make_rounds_of_q():
    # a driver's batch of 1 made every call a round, so stable_rounds fired after 9 recipes
    strategy = BatchBO(SPACE, q=4, batch_method="thompson", n_candidates=64, seed=1)
    for k in range(12):
        (suggestion,) = strategy.suggest(1)
        strategy.observe(
            [Observation(suggestion.point, value=float(k), suggestion_id=suggestion.id, time=k)]
        )
    assert strategy.round_ends() == [4, 8, 12]


def test_round_variances_are_those_of_each_round_alone():
    """Droplets replicated only in round 2, uncertainties only in round 0: each round's
    variance is what ``data`` gives a strategy that holds only the recipes up to it."""
    full = BatchBO(SPACE, q=3, n_initial=3, batch_method="thompson")
    observations = []
    for i in range(9):
        point = {"a": float(i), "b": 9.0 - i}
        droplets = 3 if i >= 6 else 1
        uncertainty = 0.5 if i < 3 else None
        observations += [
            Observation(point, value=i + 0.1 * d, uncertainty=uncertainty, time=i)
            for d in range(droplets)
        ]
    full.observe(observations)
    assert full.round_ends() == [3, 6, 9]
    variances = full.round_variances()
    for end, variance in zip(full.round_ends(), variances, strict=True):
        alone = BatchBO(SPACE, q=3, n_initial=3, batch_method="thompson")
        alone.observe([o for o in observations if o.time < end])
        expected = alone.data(in_order=True)[2]
        if expected is None:
            assert variance is None
        else:
            assert variance.tolist() == expected.tolist()
    assert variances[0] is not None and variances[1] is None and variances[2] is not None


def test_stable_rounds_wait_for_a_signal():
    # a map whose element no point had hit stopped "stable" on 12 equal values
    strategy = BatchBO(
        SPACE, q=2, n_initial=2, stable_rounds=1, stable_tolerance=0.05, n_candidates=64, seed=0
    )
    for b in range(4):
        batch = strategy.suggest(2)
        values = [5.52e-10, 5.52e-10] if b < 3 else [5.52e-10, 0.4]
        strategy.observe(
            [
                Observation(dict(s.point), value=v, suggestion_id=s.id, time=10 * b + k)
                for k, (s, v) in enumerate(zip(batch, values, strict=True))
            ]
        )
        assert strategy.stop_reason() is None, b  # the last round moved: not stable
