"""A served EELS spectrum with a dead detector channel (NaN counts) is identified by the
elements analysis as ``adaptive identify`` identifies it; it used to be refused, the driver
stopped and the reading was lost. Campaigns whose analysis or objective cannot read missing
channels still refuse it, journaling nothing; one that reads no spectrum keeps it."""

import numpy as np
import pytest

from adaptive.client import Client, RemoteError
from adaptive.journal import Journal
from simulators.eels_files import read_msa
from tests.shared_data import SHARED_DATA

MN_O = SHARED_DATA / "eels" / "exspy_coreloss_Mn_O.msa"
SPACE = {"dimensions": [{"name": "x", "low": 0, "high": 1}]}
ELEMENTS = {"name": "elements", "options": {"networks": "unet"}, "value": "p_Mn"}

pytestmark = pytest.mark.skipif(not MN_O.is_file(), reason="needs shared/data/eels")


def spectra() -> tuple[dict, dict]:
    """The measured Mn + O core-loss spectrum as sent, whole and with channel 1000 dead."""
    spectrum = read_msa(MN_O)
    counts = spectrum.counts.copy()
    counts[1000] = np.nan
    whole = {"x": spectrum.energy, "y": spectrum.counts, "x_units": "eV"}
    return whole, {**whole, "y": counts}


def create_map(client: Client) -> None:
    """Campaign ``map``: random positions, their spectra scored by the elements analysis."""
    client.call(
        "campaign_create",
        space=SPACE,
        strategy={"name": "random"},
        campaign_id="map",
        analysis=ELEMENTS,
    )


def test_an_elements_campaign_identifies_a_spectrum_with_a_dead_channel(server):
    whole, dead = spectra()
    with Client(server.endpoint, timeout_s=60, retries=1) as client:
        client.call("campaign_create", space=SPACE, strategy={"name": "random"}, campaign_id="c")
        create_map(client)
        reply = client.call("observation_put", campaign_id="map", point={"x": 0.2}, spectrum=dead)
        assert reply["accepted"] and reply["n_observations"] == 1
        features = reply["features"]
        assert features["present"][:2] in (["Mn", "O"], ["O", "Mn"]), features["present"]
        assert any("560 eV, are NaN" in w for w in features["warnings"]), features["warnings"]
        full = client.call("observation_put", campaign_id="map", point={"x": 0.3}, spectrum=whole)
        assert full["value"] == pytest.approx(reply["value"], abs=0.05)
        # a retry of the same put is the same put, NaN and all
        again = {"client_id": "d", "sequence": 1}
        first = client.call(
            "observation_put", campaign_id="map", point={"x": 0.4}, spectrum=dead, **again
        )
        second = client.call(
            "observation_put", campaign_id="map", point={"x": 0.4}, spectrum=dead, **again
        )
        assert first["accepted"] and not second["accepted"] and second["n_observations"] == 3
        # a campaign that learns the driver's value reads no spectrum: it was refused, and
        # run_driver lost the reading (review X14); now it is kept, dead channel and all
        kept = client.call(
            "observation_put", campaign_id="c", point={"x": 0.2}, value=1.0, spectrum=dead
        )
        assert kept["accepted"] and kept["n_observations"] == 1
        assert "NaN or inf at 1 of its 2048 channels (the first index 1000)" in kept["warnings"][0]
    (learned,) = Journal(server.journal_path).observations("c")
    assert learned.value == 1.0 and np.isnan(learned.spectrum.y[1000])


def test_readings_with_dead_channels_kept_unlearned_are_journaled_as_events(server):
    # the event's JSON held NaN, which SQLite's JSON index refused: a JournalError blamed
    # the disk and the reading was lost
    _, dead = spectra()
    nearly_empty = {**dead, "y": np.where(np.arange(dead["y"].size) == 5, 1.0, np.nan)}
    with Client(server.endpoint, timeout_s=60, retries=1) as client:
        create_map(client)
        put = {"campaign_id": "map", "point": {"x": 0.2}}
        client.call("observation_put", failed="beam dump", spectrum=dead, **put)
        with pytest.raises(RemoteError) as refused:
            client.call("observation_put", spectrum=nearly_empty, **put)
        assert refused.value.type == "AnalysisError"
        (suggestion,) = client.call("suggestions_get", campaign_id="map", n=1)["suggestions"]
        client.call("campaign_stop", campaign_id="map")
        with pytest.raises(RemoteError) as late:
            client.call("observation_put", spectrum=dead, suggestion_id=suggestion["id"], **put)
        assert late.value.type == "CampaignStoppedError"
    journal = Journal(server.journal_path)
    kinds = ("measurement_failed", "analysis_failed", "late_observation")
    for kind in kinds:
        (event,) = journal.events("map", kind)
        y = event["payload"]["spectrum"]["y"]
        assert y[1000] is None and y[5] is not None, kind  # missing channels as null


def test_a_campaign_that_refuses_dead_channels_keeps_failed_and_late_readings(server):
    # a beam dump's reading with NaN counts was refused in a campaign without the elements
    # analysis: the failed put was lost and the driver stopped
    _, dead = spectra()
    with Client(server.endpoint, timeout_s=60, retries=1) as client:
        client.call("campaign_create", space=SPACE, strategy={"name": "random"}, campaign_id="c")
        put = {"campaign_id": "c", "point": {"x": 0.2}, "spectrum": dead}
        assert client.call("observation_put", failed="beam dump", **put)["accepted"]
        assert client.call("campaign_status", campaign_id="c")["n_failed"] == 1
        (suggestion,) = client.call("suggestions_get", campaign_id="c", n=1)["suggestions"]
        client.call("campaign_stop", campaign_id="c")
        with pytest.raises(RemoteError) as late:
            client.call("observation_put", suggestion_id=suggestion["id"], value=1.0, **put)
        assert late.value.type == "CampaignStoppedError"
    journal = Journal(server.journal_path)
    for kind in ("measurement_failed", "late_observation"):
        (event,) = journal.events("c", kind)
        assert event["payload"]["spectrum"]["y"][1000] is None, kind
