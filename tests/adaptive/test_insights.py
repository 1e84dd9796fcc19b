"""SHAP insights per round: rounds count all recipes, the network explains those with spectra."""

import inspect

import numpy as np
import pytest

import adaptive.insights
import surrogates.shap_report
from adaptive.campaign import Campaign
from adaptive.client import Client
from adaptive.insights import campaign_insights, shap_by_round
from adaptive.journal import Journal
from adaptive.objectives import SpectrumObjective
from adaptive.records import Observation, Spectrum
from adaptive.space import Dimension, Space
from adaptive.strategies.batch_bo import BatchBO
from surrogates.shap_report import plot_shap

WAVELENGTHS = np.linspace(400, 800, 21)


def strategy_with_scalar_first_round() -> tuple[BatchBO, np.ndarray]:
    """Three rounds of 3 recipes; the first round's came without spectra."""
    space = Space((Dimension("a", low=0.0, high=1.0), Dimension("b", low=0.0, high=1.0)))
    target = np.exp(-(((WAVELENGTHS - 600) / 50) ** 2))
    strategy = BatchBO(
        space,
        q=3,
        n_initial=3,
        model="net",
        objective=SpectrumObjective(WAVELENGTHS, target),
        net_members=2,
        seed=0,
    )
    recipes = np.random.default_rng(0).random((9, 2))
    observations = []
    for i, (a, b) in enumerate(recipes):
        spectrum = np.exp(-(((WAVELENGTHS - 500 - 200 * a) / (30 + 50 * b)) ** 2))
        observations.append(
            Observation(
                {"a": a, "b": b},
                value=float(a),
                spectrum=None if i < 3 else Spectrum(WAVELENGTHS, spectrum),
                time=1000.0 + i,
            )
        )
    strategy.observe(observations)
    return strategy, recipes


def test_net_insights_are_filed_under_the_rounds_of_all_recipes():
    strategy, recipes = strategy_with_scalar_first_round()
    shap = shap_by_round(strategy)
    gp, net = list(shap["gp"].values()), list(shap["net"].values())
    assert [(r["round"], r["n_recipes"]) for r in gp] == [(0, 3), (1, 6), (2, 9)]
    # round 0 has no spectra; round 1 adds recipes 3-5 (the first with spectra), round 2 6-8
    assert [(r["round"], r["n_recipes"]) for r in net] == [(1, 3), (2, 6)]
    np.testing.assert_allclose([[p["a"], p["b"]] for p in net[0]["recipes"]], recipes[3:6])
    np.testing.assert_allclose([[p["a"], p["b"]] for p in net[1]["recipes"]], recipes[3:9])


@pytest.mark.parametrize("n_measured", [0, 2])
def test_insights_of_a_campaign_with_fewer_than_3_recipes_have_no_shap(tmp_path, n_measured):
    space = {"dimensions": [{"name": "a", "kind": "continuous", "low": 0.0, "high": 1.0}]}
    strategy = {"name": "batch_bo", "options": {"q": 3, "n_initial": 3, "seed": 0}}
    campaign = Campaign.create(Journal(tmp_path / "j.sqlite"), space, strategy)
    for i, s in enumerate(campaign.suggest(3)[:n_measured]):
        campaign.observe(Observation(s.point, value=s.point["a"], suggestion_id=s.id, time=i))
    rounds = campaign_insights(campaign)["rounds"]
    assert [r["n_recipes"] for r in rounds] == ([n_measured] if n_measured else [])
    for r in rounds:
        assert r["shap_importance"] is None and r["shap_values_net"] is None


def test_recipes_whose_floats_do_not_round_trip_keep_their_source(tmp_path):
    space = Space((Dimension("a", low=0.1, high=0.7), Dimension("b", low=0.0, high=3.0)))
    rows = np.random.default_rng(1).uniform([0.1, 0.0], [0.7, 3.0], size=(400, 2))
    pool = [{"a": float(a), "b": float(b)} for a, b in rows]
    drifting = [p for p in pool if space.from_unit(space.to_unit([p]))[0] != p]
    assert len(drifting) >= 6  # decoding the unit coordinates changes these floats
    options = {"q": 2, "n_initial": 3, "candidates": drifting[:6], "seed": 0}
    config = {"name": "batch_bo", "options": options}
    campaign = Campaign.create(Journal(tmp_path / "j.sqlite"), space.to_dict(), config)
    for n in (3, 2):
        for s in campaign.suggest(n):
            observation = Observation(s.point, value=s.point["a"], suggestion_id=s.id)
            campaign.observe(observation)
    rounds = campaign_insights(campaign)["rounds"]
    assert [list(r["median_by_source"]) for r in rounds] == [["design"], ["gp"]]


SQUARE = {"dimensions": [{"name": n, "low": 0.0, "high": 1.0} for n in ("a", "b")]}
BATCHES = {"name": "batch_bo", "options": {"q": 3, "n_initial": 3, "n_candidates": 64, "seed": 0}}


@pytest.fixture
def explained(monkeypatch):
    """The number of rows each SHAP computation explained, one entry per computation."""
    calls = []

    def counting(predict, background, explain, seed=0):
        calls.append(len(explain))
        return shap_values(predict, background, explain, seed=seed)

    shap_values = adaptive.insights.shap_values
    monkeypatch.setattr(adaptive.insights, "shap_values", counting)
    return calls


def measure(campaign, rounds: int) -> None:
    """Observe ``rounds`` more batches of 3 suggested recipes (objective a + b)."""
    for _ in range(rounds):
        for s in campaign.suggest(3):
            value = s.point["a"] + s.point["b"]
            campaign.observe(Observation(s.point, value=value, suggestion_id=s.id))


def shap_fields(insights: dict) -> list:
    return [(r["shap_importance"], r["shap_values"].tolist()) for r in insights["rounds"]]


def test_a_cache_recomputes_only_the_rounds_whose_data_changed(tmp_path, explained):
    campaign = Campaign.create(Journal(tmp_path / "j.sqlite"), SQUARE, BATCHES)
    measure(campaign, 2)
    first = campaign_insights(campaign, cache=True)
    assert explained == [3, 6]
    assert shap_fields(campaign_insights(campaign, cache=True)) == shap_fields(first)
    assert explained == [3, 6]  # nothing recomputed
    measure(campaign, 1)
    grown = campaign_insights(campaign, cache=True)
    assert explained == [3, 6, 9]  # only the new round
    assert shap_fields(grown) == shap_fields(campaign_insights(campaign))  # as computed afresh
    assert shap_fields(grown)[:2] == shap_fields(first)
    # a second droplet of a design recipe changes its median: every round holds it
    point = campaign.journal.observations(campaign.id)[0].point
    campaign.observe(Observation(point, value=5.0))
    del explained[:]
    changed = campaign_insights(campaign, cache=True)
    assert explained == [3, 6, 9]
    assert shap_fields(changed) == shap_fields(campaign_insights(campaign))
    assert shap_fields(changed) != shap_fields(grown)


def test_a_later_recipes_droplets_leave_earlier_rounds_alone(tmp_path, explained):
    """Each round's GP learns the droplet noise pooled over the recipes measured by the end
    of that round, not later ones."""
    campaign = Campaign.create(Journal(tmp_path / "j.sqlite"), SQUARE, BATCHES)
    rng = np.random.default_rng(0)
    for _ in range(3):  # three rounds of 3 recipes x 3 droplets: the noise is pooled
        for s in campaign.suggest(3):
            for _ in range(3):
                value = s.point["a"] + 0.3 * s.point["b"] + rng.normal(0, 0.05)
                campaign.observe(Observation(s.point, value=value, suggestion_id=s.id))
    before = campaign_insights(campaign, cache=True)
    assert explained == [3, 6, 9]
    newest = campaign.journal.observations(campaign.id)[-1].point
    campaign.observe(Observation(newest, value=5.0))  # an odd droplet of round 2's recipe
    after = campaign_insights(campaign, cache=True)
    assert explained == [3, 6, 9, 9]  # only the round holding that recipe
    assert shap_fields(after)[:2] == shap_fields(before)[:2]
    assert shap_fields(after)[2] != shap_fields(before)[2]
    assert shap_fields(after) == shap_fields(campaign_insights(campaign))  # as computed afresh


def test_the_server_answers_repeated_insights_from_its_cache(server, explained):
    with Client(server.endpoint, timeout_s=30, retries=1) as client:
        campaign_id = client.call("campaign_create", space=SQUARE, strategy=BATCHES)["campaign_id"]
        suggestions = client.call("suggestions_get", campaign_id=campaign_id, n=3)
        for s in suggestions["suggestions"]:
            value = s["point"]["a"] + s["point"]["b"]
            client.call(
                "observation_put",
                campaign_id=campaign_id,
                point=s["point"],
                value=value,
                suggestion_id=s["id"],
            )
        replies = [client.call("campaign_insights", campaign_id=campaign_id) for _ in range(2)]
    assert explained == [3]  # the second call computed nothing
    assert shap_fields(replies[1]) == shap_fields(replies[0])


def test_values_by_source_hold_each_sources_recipes(tmp_path):
    campaign = Campaign.create(Journal(tmp_path / "j.sqlite"), SQUARE, BATCHES)
    measure(campaign, 2)
    _, y, _ = campaign.strategy.data(in_order=True)
    rounds = campaign_insights(campaign)["rounds"]
    assert [r["values_by_source"] for r in rounds] == [
        {"design": y[:3].tolist()},
        {"gp": y[3:].tolist()},
    ]
    assert rounds[1]["median_by_source"] == {"gp": float(np.median(y[3:]))}


def test_readbacks_keep_their_source_through_the_suggestion_id(tmp_path):
    campaign = Campaign.create(Journal(tmp_path / "j.sqlite"), SQUARE, BATCHES)
    for _ in range(2):
        for s in campaign.suggest(3):
            readback = {k: round(v, 3) + 0.0002 for k, v in s.point.items()}  # never exact
            value = readback["a"] + readback["b"]
            campaign.observe(Observation(readback, value=value, suggestion_id=s.id))
    # puts naming no suggestion: one at a suggested recipe, one at a recipe never suggested
    campaign.observe(Observation(campaign.suggest(1)[0].point, value=1.0))
    campaign.observe(Observation({"a": 0.5, "b": 0.5}, value=1.0))
    rounds = campaign_insights(campaign)["rounds"]
    sources = [list(r["values_by_source"]) for r in rounds]
    assert sources == [["design"], ["gp", "driver"]]  # unnamed puts join the round before


SOLVENTS = ["water", "ethanol", "toluene"]
WITH_SOLVENT = {
    "dimensions": [
        {"name": "T", "low": 20.0, "high": 80.0},
        {"name": "solvent", "kind": "categorical", "choices": SOLVENTS},
    ]
}


def test_insights_name_the_categorical_choices(server, tmp_path, monkeypatch):
    """The reply's recipes and the SHAP figure read "solvent = ethanol", not an index."""
    effect = {"water": 0.0, "ethanol": 1.0, "toluene": 0.3}
    with Client(server.endpoint, timeout_s=60, retries=1) as client:
        campaign_id = client.call("campaign_create", space=WITH_SOLVENT, strategy=BATCHES)[
            "campaign_id"
        ]
        for _ in range(2):
            for s in client.call("suggestions_get", campaign_id=campaign_id, n=3)["suggestions"]:
                point = s["point"]
                client.call(
                    "observation_put",
                    campaign_id=campaign_id,
                    point=point,
                    value=point["T"] / 80 + effect[point["solvent"]],
                    suggestion_id=s["id"],
                )
        last = client.call("campaign_insights", campaign_id=campaign_id)["rounds"][-1]
    recipes = last["shap_recipes"]
    assert len(recipes) == len(last["shap_values"]) == 6
    assert all(r["solvent"] in SOLVENTS and 20.0 <= r["T"] <= 80.0 for r in recipes)
    figures = []
    monkeypatch.setattr(
        surrogates.shap_report, "save_figure", lambda fig, path: figures.append(fig)
    )
    plot_shap(last["shap_values"], recipes, ["T", "solvent"], tmp_path / "shap.png")
    bar, swarm = figures[0].axes[:2]
    labels = {t.get_text() for t in swarm.get_legend().get_texts()}
    assert labels == {f"solvent = {r['solvent']}" for r in recipes}
    assert [t.get_text() for t in bar.get_yticklabels()] == list(last["shap_importance"])[::-1]


def test_shap_by_round_takes_no_seed():
    """The explained subsample and SHAP's permutations always use ``insights.SEED``."""
    assert "seed" not in inspect.signature(shap_by_round).parameters
