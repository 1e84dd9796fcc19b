"""A synthesis chemist's review of batch_bo: full design batches, net_accuracy as an R^2,
and errors that name what the user sent."""

import pytest

from adaptive.client import Client
from adaptive.errors import InvalidParameterError
from adaptive.records import Observation
from adaptive.space import Space
from adaptive.strategies import BatchBO

SYNTHESIS = {
    "dimensions": [
        {"name": "ag", "low": 0.5, "high": 10.0, "units": "%"},
        {"name": "pva", "low": 5, "high": 40, "units": "%"},
        {"name": "tsc", "low": 0.5, "high": 30},
        {"name": "loops", "kind": "integer", "low": 1, "high": 6},
        {"name": "solvent", "kind": "categorical", "choices": ["water", "ethanol", "glycol"]},
    ],
    "constraints": [{"coefficients": {"ag": 1, "pva": 1, "tsc": 1}, "upper": 60}],
}
DRIVERS_OWN = {"ag": 4.0, "pva": 20, "tsc": 8, "loops": 3, "solvent": "water"}
SQUARE = {"dimensions": [{"name": "a", "low": 0, "high": 10}, {"name": "b", "low": 0, "high": 10}]}
OBJECTIVE = {"target_x": [1, 2, 3], "target_y": [1, 2, 1]}


@pytest.fixture
def client(server):
    with Client(server.endpoint, timeout_s=60, retries=0) as client:
        yield client


def key(point):
    return tuple(sorted(point.items()))


def test_a_batch_after_a_drivers_own_recipe_is_full(client):
    """The driver's recipe counted toward n_initial: 14 of 15 came back, waiting_on empty."""
    create = {"space": SYNTHESIS, "strategy": {"name": "batch_bo", "options": {}}}
    cid = client.call("campaign_create", campaign_id="own", **create)["campaign_id"]
    fresh = client.call("campaign_create", campaign_id="fresh", **create)["campaign_id"]
    client.call("observation_put", campaign_id=cid, point=DRIVERS_OWN, value=0.1)
    reply = client.call("suggestions_get", campaign_id=cid, n=15)
    points = [s["point"] for s in reply["suggestions"]]
    assert len(points) == 15 and reply["waiting_on"] == []
    assert len({key(p) for p in points} | {key(DRIVERS_OWN)}) == 16
    assert all(p["ag"] + p["pva"] + p["tsc"] <= 60 for p in points)
    design = client.call("suggestions_get", campaign_id=fresh, n=15)["suggestions"]
    assert {key(p) for p in points} == {key(s["point"]) for s in design}  # none displaced
    again = client.call("suggestions_get", campaign_id=cid, n=1)
    assert again["suggestions"] == [] and len(again["waiting_on"]) == 15


def test_the_top_up_avoids_measured_pending_and_failed_recipes_in_the_box():
    space = Space.from_dict(SQUARE)
    strategy = BatchBO(space, q=4, search_box={"a": [0, 5]}, seed=1)
    strategy.observe([Observation({"a": 1.0, "b": 1.0}, 0.5, time=0)])
    design = strategy.suggest(4)
    pending, failed = [design[0].point], [design[1].point]
    batch = strategy.suggest(6, pending=pending, failed=failed)
    points = {key(s.point) for s in batch}
    assert len(points) == 4  # topped up to n_initial = 4 (the model comes after)
    assert not points & {key(p) for p in [*pending, *failed, {"a": 1.0, "b": 1.0}]}
    assert all(0 <= s.point["a"] <= 5 for s in batch)
    assert {s.strategy for s in batch} == {"batch_bo:design"}


def test_a_pool_tops_up_the_design_from_the_pool():
    pool = [{"a": float(i), "b": float(i % 3)} for i in range(10)]
    strategy = BatchBO(Space.from_dict(SQUARE), q=4, candidates=pool)
    strategy.observe([Observation(pool[0], 0.5, time=0)])
    batch = strategy.suggest(4)
    assert len({key(s.point) for s in batch}) == 4
    assert all(s.point in pool[1:] for s in batch)


@pytest.mark.parametrize("accuracy", [95, -3, 1e9, 0])
def test_net_accuracy_outside_0_1_is_refused_as_an_r2(client, accuracy):
    options = {"model": "net", "net_accuracy": accuracy}
    with pytest.raises(InvalidParameterError) as err:
        client.call(
            "campaign_create",
            space=SQUARE,
            strategy={"name": "batch_bo", "options": options},
            objective=OBJECTIVE,
        )
    message = str(err.value)
    assert f"net_accuracy={accuracy!r} must be in (0, 1]" in message
    assert "R^2" in message and "e.g. 0.9" in message and "not a percentage" in message


def test_net_accuracy_of_one_is_taken_and_just_past_it_refused(client):
    def create(accuracy):
        strategy = {"name": "batch_bo", "options": {"model": "net", "net_accuracy": accuracy}}
        return client.call("campaign_create", space=SQUARE, strategy=strategy, objective=OBJECTIVE)

    assert create(1)["strategy"]["options"]["net_accuracy"] == 1
    with pytest.raises(InvalidParameterError, match="not a percentage"):
        create(1.001)


def test_a_greedy_batch_capped_by_max_observations_names_the_n_asked_and_the_cap(client):
    strategy = {"name": "batch_bo", "options": {"q": 4}}
    goals = {"max_observations": 200}
    cid = client.call("campaign_create", space=SQUARE, strategy=strategy, goals=goals)
    cid = cid["campaign_id"]
    for s in client.call("suggestions_get", campaign_id=cid, n=4)["suggestions"]:
        put = {"point": s["point"], "value": s["point"]["a"], "suggestion_id": s["id"]}
        client.call("observation_put", campaign_id=cid, **put)
    with pytest.raises(InvalidParameterError) as err:
        client.call("suggestions_get", campaign_id=cid, n=1000)
    message = str(err.value)
    assert (
        "n=1000 asked, capped at 196 by goals max_observations=200 less 4 observed and 0 "
        "pending: this request's model batch asks qlognei for 196 recipes in one batch"
    ) in message


@pytest.mark.parametrize(
    "options, given, not_given",
    [
        ({"net_accuracy": 0.9}, "net_accuracy=0.9", "model="),
        ({"model": "net"}, "model='net'", "net_accuracy"),
        ({"model": "mix", "net_accuracy": 0.5}, "model='mix' with net_accuracy=0.5", "/"),
    ],
)
def test_a_missing_objective_names_the_option_given_and_the_wire_shape(
    client, options, given, not_given
):
    with pytest.raises(InvalidParameterError) as err:
        client.call(
            "campaign_create", space=SQUARE, strategy={"name": "batch_bo", "options": options}
        )
    message = str(err.value)
    named = message.split(" needs spectra")[0]
    assert named.endswith(f": {given}") and not_given not in named
    assert '{"target_x": [m distinct numbers, any order], "target_y": [m numbers]' in message


def test_the_top_up_keeps_to_n_initial_so_the_model_still_proposes():
    """Topped up to n, a q = 15 batch overrode n_initial = 5: 10 design recipes spent a
    max_observations of 10 that creation had passed for the model's sake."""
    strategy = BatchBO(Space.from_dict(SQUARE), q=15, n_initial=5, seed=0)
    batch = strategy.suggest(15)
    assert len(batch) == 5 and {s.strategy for s in batch} == {"batch_bo:design"}
    strategy.observe([Observation(point=s.point, value=1.0, time=i) for i, s in enumerate(batch)])
    assert {s.strategy for s in strategy.suggest(5)} == {"batch_bo:gp"}
