"""The elements analysis refuses a spectrum whose x is channel numbers (a put with x =
0..2047 at a Mn-rich point was learned as p_Mn ~ 0), journaling nothing (the driver's axis,
not the sample); its keV advice names the put's x_units, not a file's header."""

import numpy as np
import pytest

from adaptive.analysis import Analysis
from adaptive.campaign import Campaign
from adaptive.errors import InvalidParameterError
from adaptive.journal import Journal
from adaptive.records import Observation, Spectrum
from tests.adaptive.test_analysis import SPACE, edge_spectrum

ELEMENTS = {"name": "elements", "options": {"networks": "unet"}, "value": "p_O"}


@pytest.mark.parametrize("first", [0, 1])
@pytest.mark.parametrize("units", ["eV", ""])
def test_a_put_whose_x_is_channel_numbers_is_refused_and_not_kept(tmp_path, first, units):
    journal = Journal(tmp_path / "j.sqlite")
    campaign = Campaign.create(journal, SPACE, {"name": "random"}, analysis=ELEMENTS)
    _, counts = edge_spectrum()
    channels = first + np.arange(counts.size, dtype=float)
    observation = Observation(point={"x": 0.5}, spectrum=Spectrum(channels, counts, units))
    with pytest.raises(InvalidParameterError) as refused:  # the driver's axis: not kept
        campaign.observe(observation)
    message = str(refused.value)
    assert f"its energy axis is uncalibrated ({first}, {first + 1}, ..., " in message
    assert "calibrate the energy axis (eV) before identifying, and send x in eV" in message
    assert journal.observations(campaign.id) == [] and campaign.n_observations == 0
    assert journal.events(campaign.id, "analysis_failed") == []
    # the same counts on their energies are learned
    energy, _ = edge_spectrum()
    assert campaign.observe(Observation(point={"x": 0.5}, spectrum=Spectrum(energy, counts, units)))


def test_the_kev_advice_of_a_put_names_x_units():
    analysis = Analysis(ELEMENTS)
    energy, counts = edge_spectrum()
    with pytest.raises(InvalidParameterError) as refused:
        analysis(Spectrum(energy / 1000, counts, "eV"))  # keV sent as eV
    message = str(refused.value)
    assert message.endswith(
        "if the axis is in keV, send x_units='keV' with the spectrum (or x in eV)"
    )
    assert "#XUNITS" not in message and "multiply the energies" not in message
