"""A batch_bo space of lattice dimensions (integer, categorical, stepped) whose feasible
recipes are fewer than its initial design is refused at creation; before, one with none
was accepted and stopped at its first suggestions_get, one with too few raised there."""

from dataclasses import asdict

import pytest

from adaptive.campaign import Campaign, Goals
from adaptive.errors import InvalidParameterError

COUNTS = [
    {"name": "a", "kind": "integer", "low": 0, "high": 5},
    {"name": "b", "kind": "integer", "low": 0, "high": 5},
]
ODD = {"coefficients": {"a": 2, "b": 2}, "lower": 3, "upper": 3}  # no integers meet it
ONE = {"coefficients": {"a": 1, "b": 1}, "lower": 1, "upper": 1}  # (0, 1) and (1, 0)
BATCH = {"name": "batch_bo", "options": {"q": 4, "seed": 0}}


def test_constraints_no_lattice_recipe_meets_are_refused(journal):
    space = {"dimensions": COUNTS, "constraints": [ODD]}
    with pytest.raises(InvalidParameterError, match="holds 0 feasible recipes") as info:
        Campaign.create(journal, space, BATCH, campaign_id="c")
    assert "3 <= 2*a+2*b <= 3" in str(info.value) and "loosen the constraints" in str(info.value)
    assert "n_initial=0" not in str(info.value)
    assert journal.campaign_ids() == []


def test_too_few_recipes_for_the_design_are_refused_with_the_n_initial_that_fits(journal):
    space = {"dimensions": COUNTS, "constraints": [ONE]}
    with pytest.raises(InvalidParameterError, match="holds 2 feasible recipes") as info:
        Campaign.create(journal, space, BATCH, campaign_id="c")
    assert "fewer than the n_initial=4" in str(info.value)
    assert "pass n_initial=2 or less" in str(info.value)
    fitting = {"name": "batch_bo", "options": {"q": 4, "n_initial": 2, "seed": 0}}
    campaign = Campaign.create(journal, space, fitting, campaign_id="c")
    assert sorted(tuple(s.point.values()) for s in campaign.suggest(4)) == [(0, 1), (1, 0)]


def test_a_categorical_space_smaller_than_the_design_is_refused(journal):
    space = {"dimensions": [{"name": "s", "kind": "categorical", "choices": ["x", "y", "z"]}]}
    with pytest.raises(InvalidParameterError, match="holds 3 feasible recipes \\(its"):
        Campaign.create(journal, space, BATCH, campaign_id="c")
    pooled = {"name": "batch_bo", "options": {"q": 4, "candidates": [{"s": "x"}, {"s": "y"}]}}
    Campaign.create(journal, space, pooled, campaign_id="p")  # a pool is its own design


def test_a_journal_holding_one_still_resumes_and_stops(journal):
    space = {"dimensions": COUNTS, "constraints": [ODD]}
    journal.create_campaign("old", {"space": space, "strategy": BATCH, "goals": asdict(Goals())})
    campaign = Campaign.resume(journal, "old")
    assert campaign.suggest(4) == [] and campaign.status == "stopped"
