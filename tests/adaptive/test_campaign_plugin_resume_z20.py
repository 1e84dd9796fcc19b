"""Review Z20 (controls): a plugin's bug that shows on a resume or a rebuild is a
StrategyError naming the strategy and its method, not a damaged journal, a server bug's
type, or a strategy silently reset; a dimension named for the wire's array headers is
refused when the campaign is created."""

import numpy as np
import pytest

import adaptive.strategies as strategies
from adaptive import Campaign, Journal, Observation, Suggestion
from adaptive.errors import InvalidParameterError, StrategyError
from adaptive.strategies import STRATEGIES

SPACE = {"dimensions": [{"name": "x", "low": 0.0, "high": 1.0}]}


class Plugin:
    """Suggests 0.1, 0.2, ... and counts them; its bug is named by ``mode``."""

    name = "plugin_z20"

    def __init__(self, space, mode="load"):
        self.space, self.mode, self.count, self.values = space, mode, 0, np.zeros(0)

    def observe(self, observations):  # "stack": fine live, where it always gets one
        self.values = np.concatenate([[o.value] for o in observations])

    def suggest(self, n, pending=()):
        if self.mode == "flaky" and self.count == 2:
            raise RuntimeError("optimizer diverged")
        self.count += n
        return [
            Suggestion(point={"x": 0.1 * (self.count - i)}, strategy=self.name) for i in range(n)
        ]

    def predict(self, points):
        return [0.0] * len(points), None

    def stop_reason(self):
        return None

    def state(self):
        return {"n_suggested": self.count}

    def load_state(self, state):
        self.count = state["n_suggested" if self.mode == "stack" else "count"]


@pytest.fixture
def plugin():
    strategies.register_strategy(Plugin)
    yield
    del STRATEGIES[Plugin.name]


def created(tmp_path, mode: str) -> Campaign:
    journal = Journal(tmp_path / "j.sqlite")
    config = {"name": Plugin.name, "options": {"mode": mode}}
    return Campaign.create(journal, SPACE, config, campaign_id="c")


def test_a_plugins_load_state_bug_is_a_strategy_error_not_a_damaged_journal(plugin, tmp_path):
    # it was JournalError "... is damaged ... restore the journal from a backup", which
    # run_driver retried as an outage
    campaign = created(tmp_path, "load")
    campaign.suggest(2)
    with pytest.raises(StrategyError, match=r"'plugin_z20' load_state\(\) raised KeyError"):
        Campaign.resume(campaign.journal, "c")


def test_a_resume_with_nothing_observed_does_not_call_observe(plugin, tmp_path):
    # it called observe([]): a bare ValueError on every request, "a server bug"
    campaign = created(tmp_path, "stack")
    made = campaign.suggest(2)
    resumed = Campaign.resume(campaign.journal, "c")
    assert sorted(resumed.pending) == sorted(s.id for s in made)


def test_a_strategy_that_cannot_be_rebuilt_is_not_served_half_rebuilt(plugin, tmp_path):
    # a failed suggest rebuilds the strategy from the journal; the rebuild's load_state
    # failed, and the next requests were served by a strategy whose count started afresh
    campaign = created(tmp_path, "flaky")
    campaign.suggest(1)
    campaign.suggest(1)
    with pytest.raises(StrategyError, match="load_state"):
        campaign.suggest(1)
    with pytest.raises(StrategyError, match="raised rebuilding the strategy"):
        campaign.suggest(1)
    assert len(campaign.pending) == 2


def test_puts_refused_after_a_failed_rebuild_repeat_one_error(plugin, tmp_path):
    # review C28: each refused put rebuilt the strategy again (a whole journal read) and its
    # error nested the last one: 276, 388, 500, 612 characters
    campaign = created(tmp_path, "flaky")
    made = campaign.suggest(1) + campaign.suggest(1)
    with pytest.raises(StrategyError, match="load_state"):
        campaign.suggest(1)
    errors = []
    for suggestion in made:
        with pytest.raises(StrategyError) as refused:
            campaign.observe(Observation(suggestion.point, 1.0, suggestion_id=suggestion.id))
        errors.append(str(refused.value))
    assert errors[0] == errors[1] and errors[0].count("raised rebuilding") == 1, errors
    assert campaign.n_observations == 0 and len(campaign.pending) == 2


def test_a_dimension_named_like_the_array_header_key_is_refused(tmp_path):
    # it was accepted, and each suggestions_get then journaled a batch the client never
    # got: the reply, a point {"__array__": x}, could not be encoded
    journal = Journal(tmp_path / "j.sqlite")
    space = {"dimensions": [{"name": "__array__", "low": 0.0, "high": 1.0}]}
    with pytest.raises(InvalidParameterError, match="'__array__' is reserved"):
        Campaign.create(journal, space, {"name": "random"})
    assert journal.campaign_ids() == []
