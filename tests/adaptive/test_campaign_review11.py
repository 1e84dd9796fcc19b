"""Review 11 (chemist): a put naming another recipe's suggestion, an undrawable equality, a
blank campaign id and units on a categorical factor are refused; old journals still open."""

import copy
from dataclasses import asdict

import pytest

from adaptive.campaign import Campaign, Goals
from adaptive.errors import InvalidParameterError
from adaptive.records import Observation
from adaptive.space import Space

SPACE = {
    "dimensions": [
        {"name": "QAg", "low": 0.5, "high": 43, "units": "%", "step": 0.5},
        {"name": "Qpva", "low": 10, "high": 40, "units": "%"},
        {"name": "Qtot", "kind": "integer", "low": 200, "high": 1000, "units": "uL/min"},
        {"name": "solvent", "kind": "categorical", "choices": ["water", "ethanol", "glycerol"]},
    ],
    "constraints": [{"coefficients": {"QAg": 1, "Qpva": 1}, "upper": 80, "name": "flow"}],
}
BATCH = {"name": "batch_bo", "options": {"q": 4, "batch_method": "thompson", "seed": 0}}
EQUAL = {"coefficients": {"QAg": 1, "Qpva": 1}, "lower": 40, "upper": 40, "name": "sum"}


def other_solvent(point: dict) -> str:
    return next(c for c in ("water", "ethanol") if c != point["solvent"])


def test_a_put_naming_another_recipe_s_suggestion_is_refused(journal):
    campaign = Campaign.create(journal, SPACE, BATCH, campaign_id="c")
    first, second, *_ = campaign.suggest(4)
    pending = dict(campaign.pending)
    wrong = [
        second.point,  # suggestion 1's recipe under suggestion 0's id (an off-by-one robot)
        {**first.point, "solvent": other_solvent(first.point)},
        {**first.point, "Qtot": first.point["Qtot"] + 1 - 2 * (first.point["Qtot"] == 1000)},
        {**first.point, "QAg": first.point["QAg"] + 0.5 - (first.point["QAg"] >= 30)},
    ]
    for point in wrong:
        for put in (
            Observation(point, value=0.5, suggestion_id=first.id),
            Observation(point, failed="clogged", suggestion_id=first.id),
        ):
            with pytest.raises(InvalidParameterError, match=f"names suggestion {first.id}, whose"):
                campaign.observe(put, client_id="robot", sequence=1)
    assert campaign.pending == pending and campaign.n_observations == campaign.n_failed == 0
    assert journal.observations("c") == [] and journal.events("c", "measurement_failed") == []
    # a continuous value without a step may be the driver's readback: taken as before
    readback = {**first.point, "Qpva": first.point["Qpva"] + 0.02}
    assert campaign.observe(Observation(readback, value=0.5, suggestion_id=first.id))
    assert first.id not in campaign.pending


def test_the_check_holds_after_a_resume_and_for_released_suggestions(journal):
    campaign = Campaign.create(journal, SPACE, BATCH, campaign_id="c")
    first, second, *_ = campaign.suggest(4)
    campaign.release([first.id])
    resumed = Campaign.resume(journal, "c")
    with pytest.raises(InvalidParameterError, match="whose point differs in"):
        resumed.observe(Observation(second.point, value=0.5, suggestion_id=first.id))
    assert resumed.observe(Observation(first.point, value=0.5, suggestion_id=first.id))


def test_an_equality_no_draw_meets_is_refused_at_creation(journal):
    space = copy.deepcopy(SPACE)
    space["constraints"] = [EQUAL]
    with pytest.raises(InvalidParameterError) as info:
        Campaign.create(journal, space, BATCH, campaign_id="eq")
    assert str(info.value) == Space.from_dict(space).undrawable()
    assert "give ['QAg', 'Qpva'] a step" not in str(info.value)  # QAg has one
    assert "give ['Qpva'] a step" in str(info.value)
    assert journal.campaign_ids() == []
    pool = [{"QAg": 10.0, "Qpva": 30.0, "Qtot": 300, "solvent": "water"}]
    pooled = {"name": "batch_bo", "options": {"candidates": pool, "n_initial": 2}}
    Campaign.create(journal, space, pooled, campaign_id="pool")  # a pool can meet it


def test_a_journal_holding_an_undrawable_campaign_still_opens(journal):
    space = copy.deepcopy(SPACE)
    space["constraints"] = [EQUAL]
    space["dimensions"][3]["units"] = "none"  # once accepted too
    config = {"space": space, "strategy": BATCH, "goals": asdict(Goals())}
    journal.create_campaign("old", config)  # written before creation refused it
    campaign = Campaign.resume(journal, "old")
    with pytest.raises(InvalidParameterError, match="give \\['Qpva'\\] a step"):
        campaign.suggest(2)


@pytest.mark.parametrize("campaign_id", [" ", "\t\n", ""])
def test_a_blank_campaign_id_is_refused(journal, campaign_id):
    with pytest.raises(InvalidParameterError, match="with no space at either end"):
        Campaign.create(journal, SPACE, BATCH, campaign_id=campaign_id)
    assert journal.campaign_ids() == []


def test_units_on_a_categorical_factor_are_refused_naming_it(journal):
    space = copy.deepcopy(SPACE)
    space["dimensions"][3]["units"] = "none"
    with pytest.raises(InvalidParameterError, match="categorical dimension 'solvent' takes no"):
        Campaign.create(journal, space, BATCH)
    assert journal.campaign_ids() == []
