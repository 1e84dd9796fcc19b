"""The package as a beamline scientist's library: in-process campaigns, the server driven
by ``Client`` on loopback, and a strategy of one's own; natural misuse gets typed errors."""

import numpy as np
import pytest

import adaptive
import adaptive.strategies as strategies
from adaptive import Campaign, Dimension, Journal, Observation, Space, Suggestion
from adaptive.campaign import Goals
from adaptive.errors import InvalidParameterError
from adaptive.objectives import SpectrumObjective
from adaptive.strategies import STRATEGIES, BatchBO, EnergyScan, make_strategy
from tests.shared_data import SHARED_DATA

ENERGY = Space((Dimension("energy", low=8900.0, high=9100.0, units="eV"),))
RECIPE = Space((Dimension("a", low=0.0, high=1.0), Dimension("b", low=0.0, high=1.0)))
CU = SHARED_DATA / "xas" / "two_column" / "cu_metal_rt.csv"
needs_data = pytest.mark.skipif(not CU.exists(), reason=f"measured data absent: {CU}")


def test_library_names_are_exported():
    from adaptive.client import Client
    from adaptive.server import Server
    from adaptive.strategy import Strategy

    assert (adaptive.Client, adaptive.Server, adaptive.Strategy) == (Client, Server, Strategy)
    assert {"Client", "Server", "Strategy"} <= set(adaptive.__all__)


def test_campaign_observe_refuses_a_mapping(tmp_path):
    campaign = Campaign.create(Journal(tmp_path / "j.sqlite"), ENERGY, {"name": "grid"})
    with pytest.raises(InvalidParameterError, match=r"Observation\(point="):
        campaign.observe({"point": {"energy": 9000.0}, "value": 1.0})
    assert campaign.n_observations == 0


def test_campaign_suggest_asks_for_one_by_default(tmp_path):
    campaign = Campaign.create(Journal(tmp_path / "j.sqlite"), ENERGY, {"name": "grid"})
    assert len(campaign.suggest()) == 1 and len(campaign.pending) == 1


@pytest.mark.parametrize("strategy", [EnergyScan(ENERGY), BatchBO(RECIPE, q=2)])
def test_strategy_observe_refuses_one_observation(strategy):
    point = {name: 9000.0 if name == "energy" else 0.5 for name in strategy.space.names}
    one = Observation(point=point, value=1.0)
    with pytest.raises(InvalidParameterError, match=r"\[observation\]"):
        strategy.observe(one)
    strategy.observe([one])  # a list of one is learned
    assert strategy.data()[0].shape[0] == 1


def test_observation_refuses_a_spectrum_mapping():
    with pytest.raises(InvalidParameterError, match=r"Spectrum\(x="):
        Observation(point={"energy": 9000.0}, value=1.0, spectrum={"x": [1, 2], "y": [3, 4]})


@pytest.mark.parametrize("strategy", [EnergyScan(ENERGY), BatchBO(RECIPE, q=2)])
def test_load_state_names_missing_keys(strategy):
    state = strategy.state()
    with pytest.raises(InvalidParameterError, match="lacks"):
        strategy.load_state({})
    strategy.load_state(state)  # what state() gave loads


def test_batch_bo_predict_takes_recipes_with_text_choices():
    space = Space(
        (Dimension("a", low=0.0, high=1.0), Dimension("s", "categorical", choices=("w", "e")))
    )
    strategy = BatchBO(space, q=2)
    recipes = [{"a": 0.1, "s": "w"}, {"a": 0.5, "s": "e"}, {"a": 0.9, "s": "w"}]
    strategy.observe([Observation(point=r, value=r["a"]) for r in recipes])
    mean, std = strategy.predict(recipes + [{"a": 0.3, "s": "e"}])
    assert mean.shape == std.shape == (4,)
    np.testing.assert_allclose(mean[:3], [0.1, 0.5, 0.9], atol=0.1)
    with pytest.raises(InvalidParameterError, match="array of numbers"):
        strategy.predict([[0.5, "w"]])


def test_create_takes_goals_and_objective_objects(tmp_path):
    x = np.linspace(400.0, 800.0, 41)
    objective = SpectrumObjective(target_x=x, target_y=np.exp(-(((x - 500) / 40) ** 2)))
    journal = Journal(tmp_path / "j.sqlite")
    strategy = {"name": "batch_bo", "options": {"q": 2}}
    made = Campaign.create(journal, RECIPE, strategy, Goals(max_observations=5), "a", objective)
    given = Campaign.create(
        journal, RECIPE, strategy, {"max_observations": 5}, "b", objective.to_dict()
    )
    assert made.config == given.config
    assert made.goals == Goals(max_observations=5)
    assert Campaign.resume(journal, "a").objective.to_dict() == objective.to_dict()


@needs_data
def test_energy_scan_in_process_on_a_replayed_file(tmp_path):
    """suggest/observe, the state through JSON, the posterior, and a resume that agrees."""
    import json

    from drivers import replay_instrument

    recorded = np.loadtxt(CU, delimiter=",", skiprows=1)
    low, high = float(recorded[0, 0]), float(recorded[-1, 0])
    space = Space((Dimension("energy", low=low, high=high, units="eV"),))
    instrument = replay_instrument(CU, i0=1e6, seed=0)
    journal = Journal(tmp_path / "j.sqlite")
    campaign = Campaign.create(
        journal, space, {"name": "energy_scan"}, {"max_observations": 24}, "cu"
    )
    while campaign.status == "running":
        for suggestion in campaign.suggest(2):
            instrument.move(suggestion.point)
            reading = instrument.read()
            campaign.observe(
                Observation(
                    suggestion.point, reading.value, reading.uncertainty, None, suggestion.id
                )
            )
    assert (campaign.status, campaign.n_observations) == ("stopped", 24)
    energies = np.linspace(low, high, 9)
    mean, std = campaign.strategy.predict(energies)
    assert mean.shape == std.shape == (9,) and (std > 0).all()
    assert np.abs(mean - np.interp(energies, *recorded.T)).max() < 0.1

    restored = EnergyScan(space)
    restored.observe(journal.observations("cu"))
    restored.load_state(json.loads(json.dumps(campaign.strategy.state())))
    np.testing.assert_allclose(restored.predict(energies)[0], mean)
    np.testing.assert_allclose(Campaign.resume(journal, "cu").strategy.predict(energies)[0], mean)


class Bisect:
    """A strategy of one's own: the midpoint of the widest gap; done after ``max_points``."""

    name = "bisect_s15"

    def __init__(self, space: Space, max_points: int = 6):
        (self.dimension,) = space.dimensions
        self.max_points = max_points
        self.seen: dict[tuple, tuple[float, float]] = {}

    def observe(self, observations):
        for obs in observations:
            x = obs.point[self.dimension.name]
            self.seen[(x, obs.value, obs.time)] = (x, obs.value)

    def suggest(self, n, pending=()):
        name = self.dimension.name
        taken = sorted(
            [x for x, _ in self.seen.values()]
            + [p[name] for p in pending]
            + [self.dimension.low, self.dimension.high]
        )
        out = []
        for _ in range(n):
            k = int(np.argmax(np.diff(taken)))
            taken.insert(k + 1, (taken[k] + taken[k + 1]) / 2)
            out.append(Suggestion(point={name: taken[k + 1]}, strategy=self.name))
        return out

    def predict(self, points):
        x, y = zip(*sorted(self.seen.values()), strict=True)
        return np.interp(np.asarray(points, float), x, y), None

    def stop_reason(self):
        return "enough points" if len(self.seen) >= self.max_points else None

    def state(self):
        return {}

    def load_state(self, state):
        pass


def test_register_strategy_refuses_what_is_not_one():
    with pytest.raises(InvalidParameterError, match="already names"):
        strategies.register_strategy(type("Other", (Bisect,), {"name": "energy_scan"}))
    with pytest.raises(InvalidParameterError, match="load_state"):
        strategies.register_strategy(
            type("Half", (), {"name": "half_s15", "observe": Bisect.observe})
        )
    with pytest.raises(InvalidParameterError, match="name"):
        strategies.register_strategy(type("Nameless", (Bisect,), {"name": ""}))
    assert "half_s15" not in STRATEGIES


def test_own_strategy_through_the_server(tmp_path):
    from adaptive.client import Client
    from adaptive.server import Server

    strategies.register_strategy(Bisect)
    strategies.register_strategy(Bisect)  # again: no-op
    try:
        assert isinstance(make_strategy({"name": "bisect_s15"}, ENERGY), Bisect)
        server = Server(tmp_path / "j.sqlite", bind="tcp://127.0.0.1:0")
        endpoint = server.start()
        try:
            with Client(endpoint, timeout_s=30) as client:
                config = {"name": "bisect_s15", "options": {"max_points": 4}}
                summary = client.call("campaign_create", space=ENERGY.to_dict(), strategy=config)
                cid = summary["campaign_id"]
                while got := client.call("suggestions_get", campaign_id=cid, n=2)["suggestions"]:
                    for s in got:
                        value = s["point"]["energy"] / 1000
                        client.call(
                            "observation_put",
                            campaign_id=cid,
                            point=s["point"],
                            value=value,
                            suggestion_id=s["id"],
                        )
                status = client.call("campaign_status", campaign_id=cid)
                assert (status["status"], status["stop_reason"]) == ("stopped", "enough points")
                assert status["n_observations"] == 4
                reply = client.call("model_predict", campaign_id=cid, points=[9000.0])
                np.testing.assert_allclose(reply["mean"], [9.0])
                assert reply["std"] is None
        finally:
            server.stop()
    finally:
        del STRATEGIES["bisect_s15"]
