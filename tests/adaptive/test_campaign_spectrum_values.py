"""Campaigns whose values come from spectra refuse a put that carries only a value."""

import numpy as np
import pytest

from adaptive.campaign import FAILED_EVENT, Campaign
from adaptive.errors import InvalidParameterError
from adaptive.records import Observation

SPACE = {"dimensions": [{"name": "x", "low": 0.0, "high": 1.0}]}
X = np.linspace(400.0, 800.0, 50)
TARGET = {"target_x": X.tolist(), "target_y": np.exp(-(((X - 600) / 40) ** 2)).tolist()}


@pytest.mark.parametrize(
    "scorer, named",
    [
        ({"objective": TARGET}, "'target_loss' objective"),
        ({"analysis": {"name": "peak_fit", "value": "n_peaks"}}, "'peak_fit' analysis"),
    ],
)
def test_a_value_without_its_spectrum_is_refused_and_nothing_journaled(journal, scorer, named):
    campaign = Campaign.create(journal, SPACE, {"name": "random"}, **scorer)
    (suggestion,) = campaign.suggest(1)
    put = Observation(dict(suggestion.point), value=0.95, suggestion_id=suggestion.id)
    with pytest.raises(InvalidParameterError, match=f"scores spectra with the {named}.*send the"):
        campaign.observe(put, client_id="drv", sequence=1)
    assert journal.observations(campaign.id) == [] and campaign.n_observations == 0
    assert suggestion.id in campaign.pending
    failed = Observation(dict(suggestion.point), failed="no spectrum", suggestion_id=suggestion.id)
    assert campaign.observe(failed, client_id="drv", sequence=1)  # failed is still taken
    assert len(journal.events(campaign.id, FAILED_EVENT)) == 1


def test_a_campaign_without_a_scorer_still_learns_a_value(journal):
    campaign = Campaign.create(journal, SPACE, {"name": "random"})
    assert campaign.observe(Observation({"x": 0.5}, value=0.95))
