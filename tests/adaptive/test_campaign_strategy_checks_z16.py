"""Review Z16 (controls): what a strategy (a plugin's) suggests is checked before a driver
moves to it: a point outside the space, NaN, more than asked for, or one point twice is
refused as ``StrategyError`` naming the strategy, journaling nothing."""

import math
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pytest

import adaptive.strategies as strategies
from adaptive import Campaign, Dimension, Journal, Observation, Space, Suggestion
from adaptive.client import Client
from adaptive.errors import InvalidParameterError, StrategyError
from adaptive.server import Server
from adaptive.strategies import STRATEGIES

LINE = Space((Dimension("x", low=0.0, high=10.0),))


class Faulty:
    """Suggests what its ``mode`` says; otherwise one new point per call."""

    name = "faulty_z16"

    def __init__(self, space, mode="ok"):
        self.space, self.mode, self.calls = space, mode, 0

    def suggest(self, n, pending=()):
        self.calls += 1
        points = {
            "outside": [{"x": 99.0}],
            "nan": [{"x": math.nan}],
            "many": [{"x": float(i)} for i in range(n + 3)],
            "twice": [{"x": 1.0}] * n,
            "pending": [{"x": 1.0}],  # again and again, pending or not
            "dict": None,
            "numpy": [{"x": np.float32(2.5)}],
            "none": None,
        }.get(self.mode, [{"x": float(self.calls + i)} for i in range(n)])
        if self.mode == "none":
            return None
        if self.mode == "suggest raises":
            raise KeyError("x")
        if points is None:
            return [{"point": {"x": 1.0}}]
        # a plugin numbering its ids afresh in each strategy object: p0, p1, ...
        ids = {"one id": ["p0"] * n, "counted ids": [f"p{i}" for i in range(n)]}
        return [
            Suggestion(
                point=p,
                strategy=self.name,
                **({"id": ids[self.mode][i]} if self.mode in ids else {}),
            )
            for i, p in enumerate(points)
        ]

    def observe(self, observations):
        if self.mode == "observe raises" and observations:
            raise ValueError("boom in observe")

    def predict(self, points):
        return [0.0] * (len(points) + (self.mode == "predict one more")), None

    def stop_reason(self):
        if self.mode == "stop raises":
            raise RuntimeError("boom")
        return 1 if self.mode == "stop number" else None

    def state(self):
        if self.mode == "state raises":
            raise KeyError("calls")
        return {"calls": np.int64(self.calls) if self.mode == "numpy state" else self.calls}

    def warning(self):
        if self.mode == "warning raises" and self.calls:
            raise KeyError("missing")
        return None

    def load_state(self, state):
        self.calls = state.get("calls", 0)


@pytest.fixture
def faulty():
    strategies.register_strategy(Faulty)
    yield
    del STRATEGIES[Faulty.name]


@pytest.mark.parametrize(
    ("mode", "n", "match"),
    [
        ("outside", 1, r"suggested \{'x': 99.0\}, which the space refuses"),
        ("nan", 1, r"suggested \{'x': nan\}, which the space refuses"),
        ("many", 2, "returned 5 suggestions for n=2"),
        ("twice", 2, r"suggested \{'x': 1.0\} twice"),
        ("dict", 1, "returned dict .*, not a Suggestion"),
        # review Z18: these were a TypeError, an InvalidParameterError blaming the request's
        # reason, a bare RuntimeError, and three suggestions under one id
        ("none", 1, "returned None from suggest, not a list of Suggestion"),
        ("stop number", 1, "stop_reason.. returned 1; fix it to return None"),
        ("stop raises", 1, "stop_reason.. raised RuntimeError: boom"),
        ("one id", 3, "gave the suggestion id 'p0' again"),
        # review Z19: a bare KeyError: 'x', read as a missing parameter x of the request
        ("suggest raises", 1, "suggest.. raised KeyError: 'x'; fix the strategy"),
        ("state raises", 1, "state.. raised KeyError: 'calls'; fix the strategy"),  # C27
    ],
)
def test_a_faulty_batch_is_refused_and_nothing_is_journaled(faulty, tmp_path, mode, n, match):
    journal = Journal(tmp_path / "j.sqlite")
    config = {"name": Faulty.name, "options": {"mode": mode}}
    campaign = Campaign.create(journal, LINE, config, campaign_id="c")
    with pytest.raises(StrategyError, match=f"strategy 'faulty_z16' {match}"):
        campaign.suggest(n)
    assert campaign.pending == {} and journal.events("c", "suggestion") == []
    assert campaign.strategy.calls == 0  # rebuilt from the journal: it suggested nothing


def test_a_suggestion_id_given_before_is_refused_after_a_resume_too(faulty, tmp_path):
    # review Z18: a plugin numbering its ids from each new object gave p0 again after a
    # restart; the next resume took the new p0 as answered by the old p0's reading
    journal = Journal(tmp_path / "j.sqlite")
    config = {"name": Faulty.name, "options": {"mode": "counted ids"}}
    campaign = Campaign.create(journal, LINE, config, campaign_id="c")
    (first,) = campaign.suggest(1)
    resumed = Campaign.resume(journal, "c")
    with pytest.raises(StrategyError, match="gave the suggestion id 'p0' again"):
        resumed.suggest(1)
    assert list(resumed.pending) == [first.id] and len(journal.events("c", "suggestion")) == 1


def test_a_pending_point_suggested_again_is_refused(faulty, tmp_path):
    config = {"name": Faulty.name, "options": {"mode": "pending"}}
    campaign = Campaign.create(Journal(tmp_path / "j.sqlite"), LINE, config)
    (first,) = campaign.suggest(1)
    with pytest.raises(StrategyError, match="twice .pending, or twice in one batch"):
        campaign.suggest(1)
    assert list(campaign.pending) == [first.id]


@contextmanager
def served(tmp_path, mode: str) -> Iterator[tuple[Client, str]]:
    """A client of a served campaign of a ``Faulty`` strategy in ``mode``, and its id."""
    with Server(tmp_path / "j.sqlite", bind="tcp://127.0.0.1:0") as server:
        with Client(server.endpoint, timeout_s=30, retries=0) as client:
            config = {"name": Faulty.name, "options": {"mode": mode}}
            created = client.call("campaign_create", space=LINE.to_dict(), strategy=config)
            yield client, created["campaign_id"]


def test_the_server_answers_a_faulty_strategy_with_a_strategy_error(faulty, tmp_path):
    # a NaN point was a JournalError ("malformed JSON; check that the file and its disk are
    # healthy"), and server_ping's journal_problem blamed the disk after it
    with served(tmp_path, "nan") as (client, cid):
        with pytest.raises(StrategyError, match="which the space refuses"):
            client.call("suggestions_get", campaign_id=cid)
        assert client.call("server_ping")["journal_problem"] is None


def test_numpy_numbers_in_a_suggestion_are_handed_out_as_python_ones(faulty, tmp_path):
    # a plugin's np.float32 point came back as "TypeError: Object of type float32 is not
    # JSON serializable", a server bug's type naming no strategy (review Z17)
    journal = Journal(tmp_path / "j.sqlite")
    config = {"name": Faulty.name, "options": {"mode": "numpy"}}
    campaign = Campaign.create(journal, LINE, config, campaign_id="c")
    (suggestion,) = campaign.suggest(1)
    assert suggestion.point == {"x": 2.5} and type(suggestion.point["x"]) is float
    assert [e["payload"]["point"] for e in journal.events("c", "suggestion")] == [{"x": 2.5}]


def test_a_state_json_cannot_hold_is_a_strategy_error(faulty, tmp_path):
    journal = Journal(tmp_path / "j.sqlite")
    config = {"name": Faulty.name, "options": {"mode": "numpy state"}}
    campaign = Campaign.create(journal, LINE, config, campaign_id="c")
    with pytest.raises(StrategyError, match="'faulty_z16' returned a state.. that JSON cannot"):
        campaign.suggest(1)
    assert campaign.pending == {} and journal.events("c", "suggestion") == []


def test_a_strategy_whose_observe_raises_is_a_strategy_error_and_journals_nothing(faulty, tmp_path):
    # review Z19: a bare ValueError, a server bug's type naming no strategy
    journal = Journal(tmp_path / "j.sqlite")
    config = {"name": Faulty.name, "options": {"mode": "observe raises"}}
    campaign = Campaign.create(journal, LINE, config, campaign_id="c")
    with pytest.raises(StrategyError, match="'faulty_z16' observe.. raised ValueError: boom"):
        campaign.observe(Observation({"x": 1.0}, 2.0))
    assert campaign.n_observations == 0 and journal.observations("c") == []


def test_a_warning_that_raises_is_the_puts_warning_and_the_put_counts(faulty, tmp_path):
    # review C27: a bare KeyError after the put was journaled: the campaign in memory never
    # counted it, and the campaign could not be resumed
    with served(tmp_path, "warning raises") as (client, cid):
        (suggestion,) = client.call("suggestions_get", campaign_id=cid, n=1)["suggestions"]
        reply = client.call(
            "observation_put",
            campaign_id=cid,
            point=suggestion["point"],
            value=1.0,
            suggestion_id=suggestion["id"],
        )
        status = client.call("campaign_status", campaign_id=cid)
    assert any("warning() raised KeyError: 'missing'" in w for w in reply["warnings"]), reply
    assert status["n_observations"] == 1 and status["pending"] == [], status
    resumed = Campaign.resume(Journal(tmp_path / "j.sqlite"), cid)
    assert resumed.n_observations == 1


def test_the_server_checks_what_a_strategy_predicts_and_refuses_bools(faulty, tmp_path):
    # review Z19: three means for two points were sent on; [true, false] were points 1.0, 0.0
    with served(tmp_path, "predict one more") as (client, cid):
        with pytest.raises(StrategyError, match=r"predict.. gave no \(mean, std\) of shape"):
            client.call("model_predict", campaign_id=cid, points=[1.0, 2.0])
        with pytest.raises(InvalidParameterError, match="points holds bools"):
            client.call("model_predict", campaign_id=cid, points=[True, False])
