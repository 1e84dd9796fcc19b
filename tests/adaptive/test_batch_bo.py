"""Batch BO on the AgNP recipe space and on a measured pool."""

import json

import numpy as np
import pytest
from scipy import stats

from adaptive.bench_pool import pool_space, run_pool_campaign
from adaptive.client import Client
from adaptive.designs import MAX_DRAWS
from adaptive.errors import InvalidParameterError, OutOfSpaceError, RemoteError
from adaptive.objectives import SpectrumObjective, reduce_spectra, target_loss
from adaptive.records import Observation, Spectrum
from adaptive.simulate import GOAL_RECIPE, synthesis_space
from adaptive.space import Dimension, LinearConstraint, Space
from adaptive.strategies import BatchBO
from adaptive.strategies.batch_bo import MAX_CANDIDATES, MEDIAN_VARIANCE_FACTOR
from simulators import AgNPSynthesis, PoolEmulator
from simulators.agnp import FACTORS, WAVELENGTHS
from surrogates.batch_acquisition import BATCH_METHODS, select_batch
from surrogates.recipe_gp import posterior_mean_std
from tests.shared_data import SHARED_DATA

DATA = SHARED_DATA
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
    values = [0.2, 0.3, 0.9, 0.4, 0.35, 0.1, 0.6]  # 6 degrees of freedom: the variance is known
    strategy.observe([Observation(point=a, value=v, time=i) for i, v in enumerate(values)])
    strategy.observe([Observation(point=b, value=0.5, time=10)])
    x, y, y_var = strategy.data()
    assert sorted(y.tolist()) == [0.35, 0.5]
    assert y_var is not None and np.all(y_var > 0)


def test_replicated_recipes_share_the_pooled_variance_of_their_median():
    droplets = {0.1: [0.0, 1.0], 0.2: [0.0, 1.0, 2.0], 0.3: [1.0, 2.0, 3.0, 4.0], 0.4: [0.3]}
    strategy = BatchBO(LINE, q=2, n_initial=2)
    strategy.observe(
        [Observation({"a": a}, v, time=t) for a, vs in droplets.items() for t, v in enumerate(vs)]
    )
    _, _, y_var = strategy.data()
    # each recipe's squared deviations over the median of chi-square of its 1, 2, 3 degrees
    # of freedom; their median
    pooled = np.median([s / stats.chi2.ppf(0.5, k) for s, k in ((0.5, 1), (2.0, 2), (5.0, 3))])
    factor = np.array([1.0, 1.346, 1.193, 1.0])  # the median of 2 is their mean
    np.testing.assert_allclose(y_var, pooled * factor / [2, 3, 4, 1])


def test_one_replicate_pair_leaves_the_noise_to_the_gp():
    """A pair agreeing by chance must not make 40 single measurements noise-free."""
    rng = np.random.default_rng(0)
    points = rng.uniform(0.0, 1.0, 40)
    strategy = BatchBO(LINE, q=2, n_initial=2, minimize=False)
    strategy.observe([Observation({"a": a}, np.sin(3 * a) + rng.normal(0, 0.2)) for a in points])
    strategy.observe([Observation({"a": points[0]}, 0.5, time=t) for t in (1.0, 2.0)])
    assert strategy.data()[2] is None  # 2 degrees of freedom (< MIN_NOISE_DOF): learned


def test_the_median_variance_factors_match_normal_droplets():
    rng = np.random.default_rng(0)
    for count, factor in enumerate(MEDIAN_VARIANCE_FACTOR, start=1):
        medians = np.median(rng.standard_normal((100_000, count)), axis=1)
        assert count * medians.var() == pytest.approx(factor, rel=0.02)


def test_bad_requests_are_refused():
    with pytest.raises(InvalidParameterError, match="batch_method"):
        BatchBO(SPACE, batch_method="magic")
    with pytest.raises(InvalidParameterError, match="search_box"):
        BatchBO(SPACE, search_box={"Qpva(%)": [5.0, 50.0]})
    with pytest.raises(InvalidParameterError, match="SpectrumObjective.from_dict"):
        BatchBO(SPACE, objective={"target_x": [1.0, 2.0], "target_y": [0.0, 1.0]})


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


SQUARE = Space((Dimension("a", low=0.0, high=10.0), Dimension("b", low=0.0, high=10.0)))


def bowl(point):
    return (point["a"] - 9.9) ** 2 / 100 + (point["b"] - 3.0) ** 2 / 100


def test_local_candidates_stay_near_the_best_recipe_inside_the_search_box(monkeypatch):
    box = {"a": [0.0, 5.0], "b": [0.0, 5.0]}
    strategy = BatchBO(SQUARE, q=2, n_initial=2, n_candidates=400, search_box=box)
    recipes = [
        ({"a": 4.0, "b": 4.0}, 0.0),
        ({"a": 1.0, "b": 1.0}, 1.0),
        ({"a": 2.5, "b": 0.5}, 0.8),
    ]
    strategy.observe([Observation(p, v, time=t) for t, (p, v) in enumerate(recipes)])
    monkeypatch.setattr(strategy, "_sobol_unit", lambda rng, n: (np.empty((0, 2)), 0))  # local
    _, points, _ = strategy._candidates(set(), 2)
    a, b = (np.array([p[k] for p in points]) for k in "ab")
    assert np.all((a <= 5.0) & (b <= 5.0))  # clipped to the box
    assert np.hypot(a - 4.0, b - 4.0).min() < 0.5  # perturbations of the best, sd 0.5, stay there


def test_predict_refits_after_replicates_at_a_measured_recipe():
    strategy = BatchBO(SQUARE, q=2, n_initial=3, n_candidates=64)
    recipes = [{"a": 1.0, "b": 1.0}, {"a": 5.0, "b": 5.0}, {"a": 9.0, "b": 9.0}]
    strategy.observe([Observation(p, 0.1 * p["a"], time=t) for t, p in enumerate(recipes)])
    middle = np.array([[5.0, 5.0]])
    assert strategy.predict(middle)[0][0] == pytest.approx(0.5, abs=0.1)
    strategy.observe([Observation(recipes[1], 5.0, time=10), Observation(recipes[1], 5.1, time=11)])
    assert strategy.predict(middle)[0][0] > 2.0  # the median there is now 5.0


def test_model_picks_see_the_design_picks_of_the_same_call(monkeypatch):
    import adaptive.strategies.batch_bo as batch_bo

    seen = []

    def spy(method, model, candidates, train_x, pending, q, seed):
        seen.append(np.array(pending))
        return select_batch(method, model, candidates, train_x, pending, q, seed)

    monkeypatch.setattr(batch_bo, "select_batch", spy)
    strategy = BatchBO(SQUARE, q=4, n_initial=5, n_candidates=64, seed=0)
    design = strategy.suggest(5)
    strategy.observe(
        [Observation(s.point, bowl(s.point), time=t) for t, s in enumerate(design[:3])]
    )
    batch = strategy.suggest(4)  # the 2 design recipes not yet measured, then 2 from the GP
    assert [s.strategy for s in batch] == ["batch_bo:design"] * 2 + ["batch_bo:gp"] * 2
    np.testing.assert_allclose(seen[0], SQUARE.to_unit([s.point for s in batch[:2]]))


def test_search_box_widens_only_after_new_observations():
    strategy = BatchBO(SQUARE, q=1, n_initial=3, n_candidates=64, search_box={"a": [5.0, 9.0]})
    recipes = [
        ({"a": 9.9, "b": 3.0}, 0.0),
        ({"a": 6.0, "b": 1.0}, 1.0),
        ({"a": 5.5, "b": 8.0}, 2.0),
    ]
    observations = [Observation(p, v, time=t) for t, (p, v) in enumerate(recipes)]
    strategy.observe(observations)
    assert "widened a high -> 9.4" in strategy.suggest(1)[0].reason
    for _ in range(2):  # no new data: the box stays, though the best (a=9.9) lies past it
        assert "widened" not in strategy.suggest(1)[0].reason
        assert strategy.search_box["a"] == [5.0, 9.4]
    restored = BatchBO(SQUARE, q=1, n_initial=3, n_candidates=64, search_box={"a": [5.0, 9.0]})
    restored.observe(observations)
    restored.load_state(json.loads(json.dumps(strategy.state())))
    restored.suggest(1)
    assert restored.search_box["a"] == [5.0, 9.4]
    strategy.observe([Observation({"a": 9.4, "b": 3.0}, 0.5, time=9)])  # new data: widen again
    assert "widened a high -> 9.84" in strategy.suggest(1)[0].reason


@pytest.mark.parametrize("batches", ["abc", [["s1"], "s2"], [[1, 2]]])
def test_a_state_whose_batches_are_not_lists_of_ids_is_refused(batches):
    # "abc" was loaded as the batches [['a'], ['b'], ['c']]
    strategy = BatchBO(SQUARE, q=1, n_initial=3, n_candidates=64)
    state = {**strategy.state(), "batches": batches}
    with pytest.raises(InvalidParameterError, match=r"state's batches must be lists of suggest"):
        strategy.load_state(state)


def test_categorical_choices_of_mixed_types():
    space = Space(
        (
            Dimension("a", low=0.0, high=1.0),
            Dimension("surfactant", kind="categorical", choices=(None, "pva", "citrate")),
        )
    )
    strategy = BatchBO(space, q=2, n_initial=2, n_candidates=64)
    recipes = [({"a": 0.5, "surfactant": "pva"}, 2.0), ({"a": 0.5, "surfactant": None}, 1.0)]
    strategy.observe([Observation(p, v, time=t) for t, (p, v) in enumerate(recipes)])
    x, y, _ = strategy.data()
    np.testing.assert_array_equal(x, [[0.5, 0.0], [0.5, 0.5]])  # choices in listed order
    np.testing.assert_array_equal(y, [1.0, 2.0])
    (suggestion,) = strategy.suggest(1)
    assert space.validate(suggestion.point) == suggestion.point


@pytest.mark.parametrize("n_initial", [1, 0, -3, 2.5, True])
def test_n_initial_below_two_is_refused(n_initial):
    with pytest.raises(InvalidParameterError, match="n_initial"):
        BatchBO(SQUARE, q=1, n_initial=n_initial)


def test_q_of_one_starts_with_two_design_recipes():
    strategy = BatchBO(SQUARE, q=1, n_candidates=64)
    for t in range(3):
        (suggestion,) = strategy.suggest()
        strategy.observe([Observation(suggestion.point, bowl(suggestion.point), time=t)])
    assert suggestion.strategy == "batch_bo:gp"


@pytest.mark.parametrize("seed", [-1, 0.5, True, 2**64])
def test_bad_seed_is_refused(seed):
    with pytest.raises(InvalidParameterError, match="seed"):
        BatchBO(SQUARE, seed=seed)


@pytest.mark.parametrize(
    "box, message",
    [
        ({"c": [0.0, 1.0]}, "not a dimension"),
        ({"surfactant": [0, 1]}, "categorical dimension"),
        ({"a": [0.2]}, "two finite numbers"),
        ({"a": [0.1, 0.2, 0.3]}, "two finite numbers"),
        ({"a": "ab"}, "two finite numbers"),
        ({"a": [float("nan"), 0.5]}, "two finite numbers"),
        ({"a": [0.5, 0.2]}, "low < high"),
        ({"a": [0.0, 2.0]}, "inside"),
        ([("a", [0.0, 0.5])], "must map"),
    ],
)
def test_bad_search_box_is_refused(box, message):
    space = Space(
        (
            Dimension("a", low=0.0, high=1.0),
            Dimension("surfactant", kind="categorical", choices=("pva", "citrate")),
        )
    )
    with pytest.raises(InvalidParameterError, match=message):
        BatchBO(space, search_box=box)


def test_replicate_spectra_sharing_a_time_are_both_kept():
    x = np.linspace(400.0, 800.0, 50)
    objective = SpectrumObjective(x, np.exp(-(((x - 550.0) / 40.0) ** 2)))
    strategy = BatchBO(Space((Dimension("a", low=0.0, high=1.0),)), q=2, objective=objective)
    spectra = [np.exp(-(((x - centre) / 40.0) ** 2)) for centre in (540.0, 600.0)]
    strategy.observe(
        [
            Observation({"a": 0.5}, objective(x, y), spectrum=Spectrum(x, y), time=1000.0)
            for y in spectra
        ]
    )
    _, median = strategy.spectrum_data()
    np.testing.assert_allclose(median[0], reduce_spectra(spectra))


LINE = Space((Dimension("a", low=0.0, high=1.0),))


def test_droplets_sharing_a_time_and_value_each_count_once(tmp_path):
    from adaptive.campaign import Campaign
    from adaptive.journal import Journal

    droplets = [Observation({"a": 0.5}, v, time=100.0) for v in (1.0, 1.0, 0.4)]
    other = Observation({"a": 0.1}, 0.3, time=101.0)
    strategy = BatchBO(LINE, q=2, n_initial=2)
    strategy.observe([*droplets, other])
    strategy.observe(droplets)  # the same observations again change nothing
    x, y, _ = strategy.data()
    assert y[x[:, 0] == 0.5].tolist() == [1.0]  # the median of 1.0, 1.0 and 0.4
    config = {"name": "batch_bo", "options": {"q": 2, "n_initial": 2}}
    journal = Journal(tmp_path / "j.sqlite")
    campaign = Campaign.create(journal, LINE.to_dict(), config)
    for i, droplet in enumerate(droplets):
        assert campaign.observe(droplet, client_id="driver", sequence=i)
    for learned in (campaign.strategy, Campaign.resume(journal, campaign.id).strategy):
        assert len(learned.recipes()) == 1 and learned.data()[1].tolist() == [1.0]
        assert learned.data()[2] is None  # 3 replicates, 2 degrees of freedom: noise is learned
    journal.close()


def test_a_pool_listing_recipes_once_per_droplet_proposes_each_once():
    pool = [{"a": v} for v in (0.0, 0.2, 0.4, 0.6, 0.8, 1.0) for _ in range(3)]
    for seed in range(5):
        design = BatchBO(LINE, q=4, n_initial=4, candidates=pool, seed=seed).suggest(4)
        assert len({s.point["a"] for s in design}) == 4
    strategy = BatchBO(LINE, q=3, n_initial=2, candidates=pool, batch_method="ucb")
    assert len(strategy.pool) == 6
    design = strategy.suggest(2)
    strategy.observe(
        [Observation(s.point, (s.point["a"] - 0.5) ** 2, time=t) for t, s in enumerate(design)]
    )
    batch = [s.point["a"] for s in strategy.suggest(3)]
    assert len(set(batch)) == 3 and not set(batch) & {s.point["a"] for s in design}


@pytest.mark.parametrize("method", ["qlognei", "ucb"])
def test_the_last_pool_batches_hold_what_is_left(method):
    pool = [{"a": v} for v in (0.0, 0.15, 0.3, 0.45, 0.6, 0.75, 0.9)]
    strategy = BatchBO(LINE, q=3, n_initial=2, candidates=pool, batch_method=method)
    sizes = []
    for t in range(4):
        batch = strategy.suggest(2 if t == 0 else 3)
        sizes.append(len(batch))
        strategy.observe([Observation(s.point, (s.point["a"] - 0.4) ** 2, time=t) for s in batch])
    assert sizes == [2, 3, 2, 0]


@pytest.mark.parametrize(
    "options, message",
    [
        ({"n_candidates": 0}, r"n_candidates=0 must be an integer from 2 to 8192"),
        ({"n_candidates": -5}, "n_candidates=-5"),
        ({"n_candidates": 2.5}, "n_candidates=2.5"),
        ({"n_candidates": True}, "n_candidates=True"),
        ({"n_candidates": 10**6}, "n_candidates=1000000"),
        ({"q": 10**9}, r"q=1000000000 must be an integer from 1 to 1000"),
        ({"q": True}, "q=True"),
        ({"n_initial": 10**9}, r"n_initial=1000000000 must be an integer from 2 to"),
        ({"widen_fraction": -1.0}, r"widen_fraction=-1.0 must be a number in \(0, 1\]"),
        ({"widen_fraction": float("nan")}, "widen_fraction=nan"),
        ({"target_value": "0.1"}, "target_value='0.1' must be a finite number"),
        ({"target_value": True}, "target_value=True"),
        ({"stable_rounds": 0}, r"stable_rounds=0 must be an integer >= 1"),
        ({"stable_rounds": 1.5}, "stable_rounds=1.5"),
        ({"stable_tolerance": 0.0}, "stable_tolerance=0.0"),
        ({"net_after": 2}, r"net_after=2 must be an integer >= 3"),
        ({"net_members": 0}, "net_members=0"),
        ({"net_accuracy": float("inf")}, "net_accuracy=inf"),
        ({"minimize": "no"}, "minimize='no' must be true or false"),
        ({"candidates": []}, "candidates holds no recipe"),
        (
            {"candidates": [{"a": 0.1}, {"a": 0.9}], "search_box": {"a": [0.0, 0.5]}},
            "search_box with candidates: the pool is searched whole",
        ),
    ],
)
def test_bad_options_are_refused_when_made(options, message):
    with pytest.raises(InvalidParameterError, match=message):
        BatchBO(LINE, **{"q": 2, **options})


def test_too_many_recipes_in_one_request_are_refused():
    with pytest.raises(InvalidParameterError, match="ask for 1 to 1000 recipes"):
        BatchBO(LINE, q=2).suggest(1001)


@pytest.mark.parametrize("method", ["qlognei", "kriging_believer", "ucb"])
def test_a_greedy_batch_past_its_cap_is_refused_naming_the_faster_methods(method):
    """Each pick conditions the model on the earlier ones, so the time grows steeply (150
    recipes: 64 believer picks take half a minute, 200 two to three minutes)."""
    assert BatchBO(LINE, q=65, batch_method=method).q == 65  # a journal's q still resumes
    strategy = BatchBO(SQUARE, q=4, n_initial=70, n_candidates=64, batch_method=method, seed=0)
    design = strategy.suggest(70)  # the design alone: no GP picks
    assert len(design) == 70
    strategy.observe([Observation(s.point, bowl(s.point), time=t) for t, s in enumerate(design)])
    message = (
        rf"model batch asks {method} for 65 .*thompson or local_penalization.* parts of up to 64"
    )
    with pytest.raises(InvalidParameterError, match=message):
        strategy.suggest(65)


@pytest.mark.parametrize("method", ["thompson", "local_penalization"])
def test_the_scaling_methods_take_a_batch_past_the_greedy_cap(method):
    assert BatchBO(LINE, q=1000, batch_method=method).q == 1000


def test_a_batch_larger_than_n_candidates_is_full_on_a_continuous_space():
    strategy = BatchBO(
        SQUARE, q=4, n_initial=4, n_candidates=16, batch_method="local_penalization", seed=0
    )
    design = strategy.suggest(4)
    strategy.observe([Observation(s.point, bowl(s.point), time=t) for t, s in enumerate(design)])
    assert len({tuple(s.point.values()) for s in strategy.suggest(100)}) == 100


def test_the_initial_design_lies_in_the_search_box():
    box = {"QAgNO3(%)": [10.0, 20.0], "Qtot(uL/min)": [300.5, 400.5]}
    strategy = BatchBO(SPACE, q=4, n_initial=8, search_box=box, seed=0)
    design = [s.point for s in strategy.suggest(8)]
    assert all(10.0 <= p["QAgNO3(%)"] <= 20.0 for p in design)
    assert all(300.0 <= p["Qtot(uL/min)"] <= 401.0 for p in design)  # its 1 uL/min steps
    assert all(SPACE.validate(p) == p for p in design)
    stepped = Space((Dimension("a", low=0.0, high=0.75, step=0.1),))  # 0.75 is off the lattice
    strategy = BatchBO(stepped, q=2, search_box={"a": [0.72, 0.74]})  # box in the top part-step
    design = [s.point for s in strategy.suggest(2)]
    assert len(design) == 2 and all(
        p["a"] >= 0.6 - 1e-9 and stepped.validate(p) == p for p in design
    )


def test_generated_candidates_never_pass_max_candidates():
    space = Space(tuple(Dimension(f"x{j}", low=0.0, high=1.0) for j in range(3)))
    strategy = BatchBO(space, q=2, n_initial=2, n_candidates=MAX_CANDIDATES)
    rng = np.random.default_rng(0)
    strategy.observe(
        [Observation(space.from_unit(row[None])[0], float(row.sum())) for row in rng.random((5, 3))]
    )
    unit, points, _ = strategy._candidates(set(), 2)
    assert len(points) == len(unit) == MAX_CANDIDATES  # Sobol points make room for local ones


def test_all_equal_objectives_with_replicates_propose_and_predict():
    """Known noise of 0 (all droplets equal) stays above gpytorch's floor: no warning."""
    strategy = BatchBO(SQUARE, q=2, n_initial=2, n_candidates=64)
    points = [{"a": a, "b": b} for a, b in ((1.0, 2.0), (3.0, 7.0), (8.0, 4.0))]
    strategy.observe([Observation(p, 0.25, time=t) for p in points for t in (0.0, 1.0, 2.0)])
    assert strategy.data()[2] is not None  # 6 degrees of freedom
    assert len(strategy.suggest(2)) == 2
    np.testing.assert_allclose(strategy.predict([[5.0, 5.0]])[0], 0.25, atol=1e-6)


def spectrum_strategy():
    x = np.linspace(400.0, 800.0, 81)
    objective = SpectrumObjective(x, np.exp(-(((x - 550.0) / 40.0) ** 2)))
    return BatchBO(LINE, q=2, objective=objective), x


def test_a_descending_spectrum_axis_is_sorted_before_interpolation():
    strategy, x = spectrum_strategy()
    y = np.exp(-(((x - 600.0) / 30.0) ** 2)) + x / 1000.0
    strategy.observe([Observation({"a": 0.5}, 0.1, spectrum=Spectrum(x[::-1], y[::-1]))])
    np.testing.assert_allclose(strategy.spectrum_data()[1][0], y)


def test_a_spectrum_repeating_an_x_is_refused_before_anything_is_learned():
    strategy, x = spectrum_strategy()
    axis = np.r_[x[:10], x[9:]]  # x[9] twice
    spectrum = Spectrum(axis, np.ones_like(axis))
    with pytest.raises(InvalidParameterError, match="sorted spectrum x.*average the points"):
        strategy.observe([Observation({"a": 0.5}, 0.1, spectrum=spectrum)])
    assert strategy.recipes() == []


def fractions(names, upper=100.0, high=100.0):
    """Fractions from 0 to ``high``, summing to at most ``upper``."""
    return Space.from_dict(
        {
            "dimensions": [{"name": n, "low": 0.0, "high": high} for n in names],
            "constraints": [{"coefficients": {n: 1 for n in names}, "upper": upper}],
        }
    )


def test_a_mixture_space_draws_sobol_candidates_until_half_are_feasible():
    """6 fractions summing to <= 100 %: 0.14 % of the cube is feasible, so one draw of
    2048 Sobol points leaves about 3 and the candidates were all near the best recipes."""
    space = fractions([f"f{i}" for i in range(6)])
    strategy = BatchBO(space, q=15, batch_method="ucb", seed=0)
    design = [s.point for s in strategy.suggest()]
    strategy.observe([Observation(p, float(np.var(list(p.values())))) for p in design])
    unit = strategy._candidates(set(strategy._values), 15)[0]
    x, y, _ = strategy.data()
    best = x[np.argsort(y)[:5]]
    far = np.min(np.linalg.norm(unit[:, None] - best[None], axis=2), axis=1) > 0.25
    assert far.sum() > 100  # one draw left 2
    sobol, drawn = strategy._sobol_unit(np.random.default_rng(0), 2048)
    assert drawn == MAX_DRAWS and len(sobol) > 250 and np.all(space.feasible(sobol))


def test_unconstrained_sobol_candidates_are_the_first_points_of_the_sequence():
    """Drawing on for constrained spaces leaves the seeded candidates of others as they were."""
    from scipy.stats import qmc

    strategy = BatchBO(SQUARE, q=2, n_candidates=300)
    sobol, drawn = strategy._sobol_unit(np.random.default_rng(7), 300)
    first = qmc.Sobol(2, scramble=True, seed=np.random.default_rng(7)).random_base2(9)[:300]
    assert drawn == 512
    np.testing.assert_array_equal(sobol, SQUARE.to_unit(SQUARE.from_unit(first)))


def test_a_tightly_constrained_batch_is_full():
    space = fractions("abc", upper=2.0, high=10.0)  # 0.13 % of the cube is feasible
    strategy = BatchBO(
        space, q=100, batch_method="local_penalization", n_initial=10, n_candidates=100, seed=0
    )
    design = [s.point for s in strategy.suggest(10)]
    strategy.observe([Observation(p, float(sum(p.values()))) for p in design])
    batch = strategy.suggest(100)
    assert len({tuple(s.point.values()) for s in batch}) == 100
    assert all(space.validate(s.point) == s.point for s in batch)
    assert not any("short batch" in s.reason for s in batch)


def test_a_batch_short_of_candidates_says_so_in_its_reasons():
    grid = Space(tuple(Dimension(n, low=0, high=5, kind="integer") for n in "ab"))  # 36 recipes
    strategy = BatchBO(grid, q=40, batch_method="ucb", n_initial=4, n_candidates=64, seed=0)
    design = [s.point for s in strategy.suggest(4)]
    strategy.observe([Observation(p, float(p["a"] - p["b"])) for p in design])
    batch = strategy.suggest(40)
    assert len(batch) == 32
    assert all("short batch: 32 new candidates for 40 recipes asked" in s.reason for s in batch)


def test_a_search_box_outside_the_constraints_is_refused_when_made():
    box = {"QAgNO3(%)": [40, 42.81], "Qpva(%)": [35, 40.01], "Qtsc(%)": [26, 30.5]}  # >= 101 %
    match = r"search_box .* outside the constraint 'flow fractions <= 100%'.*widen search_box"
    with pytest.raises(InvalidParameterError, match=match):
        BatchBO(SPACE, search_box=box)
    BatchBO(SPACE, search_box={**box, "Qtsc(%)": [0.5, 30.5]})  # reaches 100 %: accepted


def test_a_search_box_where_the_constraints_cannot_hold_together_is_refused_when_made():
    # accepted, then every suggest failed with a message blaming the space
    space = Space.from_dict(
        {
            "dimensions": [{"name": "a", "low": 0, "high": 1}, {"name": "b", "low": 0, "high": 1}],
            "constraints": [
                {"coefficients": {"a": 1, "b": 1}, "lower": 1.2},
                {"coefficients": {"b": 1, "a": -1}, "upper": 0.1},
            ],
        }
    )
    with pytest.raises(InvalidParameterError) as err:
        BatchBO(space, q=2, n_initial=3, search_box={"a": [0, 0.5]})
    assert str(err.value).startswith(
        "search_box {'a': [0.0, 0.5]} holds no recipe that meets the constraints "
        "['1.2 <= a+b', 'b-a <= 0.1'] together"
    )
    assert len(BatchBO(space, q=2, n_initial=3, search_box={"a": [0, 1]}).suggest(3)) == 3


def test_no_feasible_candidate_at_all_is_a_typed_error(monkeypatch):
    strategy = BatchBO(SQUARE, q=1, n_initial=2, n_candidates=2)  # no local perturbations
    strategy.observe(
        [Observation({"a": 1.0, "b": 1.0}, 0.1), Observation({"a": 2.0, "b": 2.0}, 0.2)]
    )
    monkeypatch.setattr(strategy, "_sobol_unit", lambda rng, n: (np.empty((0, 2)), 4096))
    with pytest.raises(InvalidParameterError, match="no candidate recipe .* none of 4096 Sobol"):
        strategy.suggest(1)


STAGE = Space((Dimension("x", low=0.0, high=10.0), Dimension("y", low=0.0, high=5.0)))


def test_a_readback_of_a_design_recipe_counts_as_measured():
    strategy = BatchBO(STAGE, q=2, n_initial=4, n_candidates=64, seed=0)
    design = [s.point for s in BatchBO(STAGE, q=2, n_initial=4, seed=0).suggest(4)]
    suggested = []
    for t in range(3):
        batch = strategy.suggest(2)
        suggested += [s.point for s in batch]
        readbacks = [{**s.point, "x": s.point["x"] + 0.004} for s in batch]  # 0.04 % of x's span
        strategy.observe([Observation(p, p["x"], time=2 * t + i) for i, p in enumerate(readbacks)])
    assert suggested[:4] == design  # each design recipe once, not the first two again
    assert len({tuple(p.values()) for p in suggested}) == 6


def test_a_readback_takes_only_the_nearest_of_close_recipes():
    pool = [{"a": 0.5}, {"a": 0.5002}, {"a": 0.1}]  # two recipes within the readback tolerance
    for measured, left in ((0.5, [0.1, 0.5002]), (0.5003, [0.1, 0.5]), (0.09995, [0.5, 0.5002])):
        strategy = BatchBO(LINE, q=2, n_initial=3, candidates=pool)
        strategy.observe([Observation({"a": measured}, 1.0)])
        assert sorted(s.point["a"] for s in strategy.suggest(2)) == left, measured


def test_a_pool_read_back_is_used_up_and_says_so():
    pool = [{"a": v} for v in (0.1, 0.4, 0.7, 0.95)]
    strategy = BatchBO(LINE, q=2, n_initial=2, candidates=pool, seed=0)
    measured = []
    for t in range(2):  # the design, then the model's batch
        batch = strategy.suggest(2)
        measured += [s.point["a"] for s in batch]
        assert strategy.stop_reason() is None
        strategy.observe(
            [
                Observation({"a": s.point["a"] + 0.0004}, s.point["a"], time=2 * t + i)
                for i, s in enumerate(batch)
            ]
        )
    assert sorted(measured) == [0.1, 0.4, 0.7, 0.95]
    assert strategy.suggest(2) == []
    assert strategy.stop_reason() == "all 4 recipes of the pool measured"


def test_a_used_up_finite_space_stops_the_campaign(tmp_path):
    from adaptive.campaign import Campaign
    from adaptive.journal import Journal

    space = {
        "dimensions": [
            {"name": "n_pumps", "kind": "integer", "low": 1, "high": 2},
            {"name": "ligand", "kind": "categorical", "choices": ["a", "b"]},
        ]
    }
    config = {"name": "batch_bo", "options": {"q": 2}}
    campaign = Campaign.create(Journal(tmp_path / "j.sqlite"), space, config)
    for _ in range(2):
        for s in campaign.suggest(2):
            value = s.point["n_pumps"] + (s.point["ligand"] == "a")
            campaign.observe(Observation(s.point, float(value), suggestion_id=s.id))
    assert campaign.status == "running"
    assert campaign.suggest(2) == []
    assert campaign.status == "stopped"
    assert campaign.stop_reason == "all 4 feasible recipes of the space measured"


def test_the_feasible_recipes_of_a_lattice_are_counted_within_its_constraints():
    dims = (
        Dimension("a", low=0.0, high=1.0, step=0.25),
        Dimension("b", low=0, high=4, kind="integer"),
    )
    lattice = Space(dims, (LinearConstraint({"a": 4.0, "b": 1.0}, upper=4.0),))
    strategy = BatchBO(lattice, q=2, n_initial=2)
    recipes = [{"a": k / 4, "b": b} for k in range(5) for b in range(5) if k + b <= 4]
    strategy.observe([Observation(p, float(p["b"]), time=t) for t, p in enumerate(recipes[:-1])])
    assert strategy.stop_reason() is None
    strategy.observe([Observation(recipes[-1], 0.0, time=99)])
    assert strategy.stop_reason() == "all 15 feasible recipes of the space measured"


def test_a_pool_recipe_within_the_readback_tolerance_of_a_constraint_is_refused():
    """Observations may read back past a constraint; a recipe to suggest may not."""
    space = Space(
        tuple(Dimension(k, low=0.0, high=100.0) for k in "abc"),
        (LinearConstraint({k: 1.0 for k in "abc"}, upper=100.0),),
    )
    assert space.validate({"a": 33.4, "b": 33.4, "c": 33.4})  # a readback: taken
    pool = [{"a": 10.0, "b": 10.0, "c": 10.0}, {"a": 33.4, "b": 33.4, "c": 33.4}]
    with pytest.raises(OutOfSpaceError, match=r"recipe \{'a': 33.4, .* violates the constraints"):
        BatchBO(space, q=1, candidates=pool)


def test_the_gp_takes_no_order_among_categorical_choices():
    solvents = ["water", "ethanol", "toluene", "dmf", "thf"]
    space = Space(
        (
            Dimension("t", low=0.0, high=1.0),
            Dimension("solvent", kind="categorical", choices=solvents),
        )
    )
    strategy = BatchBO(space, q=2, n_initial=2, minimize=False, batch_method="ucb")
    t = np.random.default_rng(1).random(12)
    strategy.observe(
        [
            Observation(point={"t": float(ti), "solvent": solvent}, value=sign + 0.1 * ti)
            for ti, (solvent, sign) in zip(t, [("water", 1.0), ("thf", -1.0)] * 6, strict=True)
        ]
    )
    strategy.suggest(2)  # fits the GP
    unit = space.to_unit([{"t": 0.5, "solvent": s} for s in ("ethanol", "dmf")])
    mean = posterior_mean_std(strategy.gp, unit)[0]
    assert abs(mean[0] - mean[1]) < 1e-6  # by index, ethanol would lean to water


def test_predict_takes_m_by_d_recipes_or_one_recipe_and_refuses_other_shapes():
    # a transposed (d, m) array was read as scrambled recipes and (1, 4) as two recipes
    strategy = BatchBO(SQUARE, q=2, n_initial=2, n_candidates=64)
    points = [{"a": a, "b": b} for a, b in ((1.0, 2.0), (3.0, 7.0), (8.0, 4.0), (6.0, 9.0))]
    strategy.observe([Observation(p, p["a"] - p["b"], time=0.0) for p in points])
    rows = np.array([[2.0, 3.0], [5.0, 5.0], [7.0, 1.0]])
    mean, std = strategy.predict(rows)
    assert mean.shape == std.shape == (3,)
    np.testing.assert_allclose(strategy.predict(rows[1])[0], mean[1:2])
    for bad in (rows.T, rows.reshape(1, 6)[:, :4], rows[0, :1].repeat(3)):
        with pytest.raises(InvalidParameterError, match=r"points must be an \(m, 2\) array, "):
            strategy.predict(bad)


def test_a_spectrum_without_a_value_is_told_to_score_it_not_to_give_an_objective():
    # it said "give the campaign an objective" to a strategy made with one, used directly
    strategy = BatchBO(SPACE, q=2, objective=SpectrumObjective(WAVELENGTHS, TARGET))
    spectrum = Spectrum(x=WAVELENGTHS, y=TARGET)
    with pytest.raises(
        InvalidParameterError, match=r"pass value=objective\(spectrum.x, spectrum.y\)"
    ):
        strategy.observe([Observation(dict(GOAL_RECIPE), spectrum=spectrum)])


def test_a_spectrum_with_missing_channels_is_refused_where_the_strategy_keeps_spectra():
    # used without a Campaign, the NaN went into the spectra the network learns from
    strategy = BatchBO(SPACE, q=2, objective=SpectrumObjective(WAVELENGTHS, TARGET))
    y = TARGET.copy()
    y[3] = np.nan
    observation = Observation(dict(GOAL_RECIPE), value=0.1, spectrum=Spectrum(WAVELENGTHS, y))
    with pytest.raises(InvalidParameterError, match="NaN or inf in y at 1 of its"):
        strategy.observe([observation])
    assert strategy.data()[0].shape[0] == 0


def test_predict_takes_a_readback_past_a_bound_on_the_bound_as_a_put_does():
    # a driver's readback 1e-6 of the span past a bound was refused as outside the space
    strategy = BatchBO(SQUARE, q=2, n_initial=2, n_candidates=64)
    points = [{"a": a, "b": b} for a, b in ((1.0, 2.0), (3.0, 7.0), (8.0, 4.0), (6.0, 9.0))]
    strategy.observe([Observation(p, p["a"] - p["b"], time=0.0) for p in points])
    high = SQUARE.dimensions[0].high
    past, on = strategy.predict([[high * (1 + 1e-6), 3.0], [high, 3.0]])[0]
    assert past == on
    # it told a prediction to "measure inside the space", naming no recipe
    with pytest.raises(
        OutOfSpaceError,
        match=r"^points\[1\]: a=11.0 lies outside \[0.0, 10.0\] by more than the readback "
        r"tolerance 0.01 \(READBACK_TOLERANCE = 0.001 of the range\); predict inside the space",
    ):
        strategy.predict([[1.0, 3.0], [high + 1.0, 3.0]])
    # a NaN was "x=np.float64(nan) is not finite", naming no recipe; named as passed
    with pytest.raises(InvalidParameterError, match=r"^points\[1, 0\] = nan is not finite"):
        strategy.predict([[1.0, 3.0], [np.nan, 3.0]])
    with pytest.raises(InvalidParameterError, match=r"^points\[0\] = nan is not finite"):
        strategy.predict([np.nan, 3.0])  # one recipe (d,)


MIXED = Space.from_dict(
    {
        "dimensions": [
            {"name": "T", "low": 20, "high": 80, "units": "C"},
            {"name": "n", "kind": "integer", "low": 1, "high": 5},
            {"name": "solvent", "kind": "categorical", "choices": ["water", "ethanol"]},
            {"name": "a", "low": 0, "high": 100, "step": 5},
        ]
    }
)


@pytest.mark.parametrize(
    ("bad", "error", "match"),
    [
        ({"n": 3.5}, InvalidParameterError, r"^points\[2\]: n=3.5 must be an integer$"),
        ({"a": 33}, InvalidParameterError, r"^points\[2\]: a=33 is not on the step-5 grid"),
        ({"solvent": "Water"}, OutOfSpaceError, r"^points\[2\]: solvent='Water' is not one of"),
        ({"T": float("nan")}, InvalidParameterError, r"^points\[2\]: T=nan is not finite"),
    ],
)
def test_predict_names_the_recipe_of_any_bad_value(bad, error, match):
    # only a value past a bound named its recipe; the rest came from encoding, unnamed
    strategy = BatchBO(MIXED, q=4, n_initial=4, n_candidates=64, seed=0)
    design = [s.point for s in strategy.suggest()]
    strategy.observe([Observation(p, p["T"] / 80 + p["n"], time=0.0) for p in design])
    good = {"T": 50.0, "n": 3, "solvent": "water", "a": 30}
    assert np.isfinite(strategy.predict([good])[0]).all()
    with pytest.raises(error, match=match):
        strategy.predict([good, good, {**good, **bad}])


FLOWS = [{"name": "flowA", "low": 0, "high": 100}, {"name": "flowB", "low": 0, "high": 100}]
NEARLY_FULL = {"coefficients": {"flowA": 1, "flowB": 1}, "lower": 199.99}


@pytest.mark.parametrize("design", ["lhs", "sobol", "random"])
def test_constraints_too_tight_for_the_initial_design_are_refused_at_creation(server, design):
    # accepted before, and then every suggestions_get failed: the campaign was stuck
    space = {"dimensions": FLOWS, "constraints": [NEARLY_FULL]}
    strategy = {"name": "batch_bo", "options": {"initial_design": design}}
    with Client(server.endpoint, timeout_s=30, retries=0) as client:
        with pytest.raises(RemoteError) as err:
            client.call("campaign_create", campaign_id="c", space=space, strategy=strategy)
        assert err.value.type == "InvalidParameterError"
        assert (
            f"InvalidParameterError: the campaign was not created: its initial {design} design "
            "(n_initial=15) cannot be drawn, so it could never suggest a recipe: found only 0 "
            "distinct feasible points of the 15 asked for"
        ) in str(err.value)
        assert "['199.99 <= flowA+flowB'] leave too little feasible volume" in str(err.value)
        assert client.call("campaign_list") == []


def test_a_search_box_too_tight_for_the_initial_design_is_refused_saying_widen_it():
    space = Space.from_dict(
        {
            "dimensions": FLOWS,
            "constraints": [{"coefficients": {"flowA": 1, "flowB": 1}, "lower": 150}],
        }
    )
    strategy = BatchBO(space, q=4, search_box={"flowA": [0, 50.001]})  # flowA >= 50 holds
    with pytest.raises(InvalidParameterError, match="initial lhs design .* widen search_box$"):
        strategy.check_new()
    BatchBO(space, q=4, search_box={"flowA": [0, 60]}).check_new()
