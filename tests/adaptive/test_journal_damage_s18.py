"""Damaged observation rows the journal names by row and problem: text that is not UTF-8,
a point that does not fit its campaign's space, a value holding "; "."""

import pytest

from adaptive.campaign import Campaign
from adaptive.client import Client
from adaptive.errors import JournalError
from adaptive.journal import Journal
from adaptive.records import Observation
from adaptive.server import Server
from tests.adaptive.test_journal_ops11 import (
    MEND,
    damage,
    damaged_read,
    two_campaigns_served_then_stopped,
)
from tests.adaptive.test_server_ops11 import GRID, SPACE


@pytest.fixture
def journal(tmp_path):
    """A journal holding campaign "c" (``SPACE``, ``GRID``) with observations 1 and 2."""
    j = Journal(tmp_path / "journal.sqlite")
    campaign = Campaign.create(j, SPACE, GRID, campaign_id="c")
    for energy in (7100.0, 7200.0):
        campaign.observe(Observation(point={"energy": energy}, value=1.0))
    yield j
    j.close()


@pytest.mark.parametrize(
    ("edit", "column"),
    [
        ("record = CAST(X'7b22ff227d' AS TEXT)", "record"),  # {"\xff"}
        ("spectrum_y = CAST(X'c3' AS TEXT)", "spectrum_y"),  # half a character
    ],
)
def test_text_that_is_not_utf8_is_named_by_row_not_failing_the_whole_read(journal, edit, column):
    damage(journal.path, f"UPDATE observations SET {edit} WHERE seq = 2")
    with pytest.raises(JournalError) as err:
        journal.observations("c")
    message = str(err.value)
    assert (
        f"is damaged: observation 2 of campaign 'c': its {column} is text that is not UTF-8 "
        "('utf-8' codec can't decode byte" in message
    )
    assert message.endswith(MEND)


#: Points edited out of ``SPACE`` (energy 7000..7300 eV), and what resuming says of them.
OFF_SPACE = [
    (
        "json_set(json_remove(record, '$.point.energy'), '$.point.enrgy', 7100.0)",
        "unknown dimensions ['enrgy']; the space has ['energy']",
    ),
    ("json_remove(record, '$.point.energy')", "point {} lacks dimensions ['energy']"),
    ("json_set(record, '$.point.energy', 'high')", "energy='high' is not a number"),
    ("json_set(record, '$.point.energy', 9000.0)", "energy=9000.0 lies outside [7000.0, 7300.0]"),
]


@pytest.mark.parametrize(("edit", "problem"), OFF_SPACE)
def test_a_journaled_point_off_its_campaigns_space_is_named_when_resumed(journal, edit, problem):
    damage(journal.path, f"UPDATE observations SET record = {edit} WHERE seq = 2")
    with pytest.raises(JournalError) as err:
        Campaign.resume(journal, "c")
    message = str(err.value)
    where = "observation 2 of campaign 'c': its point does not fit the campaign's space"
    assert f"is damaged: {where} ({problem}" in message
    assert message.endswith(MEND)


def test_a_served_campaign_with_a_point_off_its_space_is_refused_and_the_server_serves_on(
    server,
):
    two_campaigns_served_then_stopped(server)
    damage(server.journal_path, f"UPDATE observations SET record = {OFF_SPACE[0][0]} WHERE seq = 1")
    again = Server(server.journal_path, bind="tcp://127.0.0.1:0")
    try:
        with Client(again.start(), timeout_s=10) as client:
            with pytest.raises(JournalError, match="observation 1 of campaign 'c': its point"):
                client.call("campaign_status", campaign_id="c")
            assert client.call("campaign_status", campaign_id="d")["n_observations"] == 1
    finally:
        again.stop()


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (
            "json_set(record, '$.time', 'noon; UTC')",
            "observation time='noon; UTC' must be UNIX seconds (a finite number)",
        ),
        (
            "json_set(record, '$.suggestion_id', json('[\"a; b\"]'))",
            "suggestion_id=['a; b'] must be the suggestion's id string",
        ),
    ],
)
def test_a_damaged_value_holding_a_semicolon_is_reported_in_full(journal, edit, problem):
    message = damaged_read(journal, f"UPDATE observations SET record = {edit} WHERE seq = 1")
    assert message.endswith(f"is damaged: observation 1 of campaign 'c': {problem}{MEND}")


@pytest.mark.parametrize(
    ("kind", "edit", "problem"),
    [
        (
            "suggestions_request",
            """json_set(payload, '$.ids', json('["nope"]'))""",
            "it names suggestion(s) ['nope'], which no earlier event made",
        ),
        ("suggestions_request", "json_remove(payload, '$.ids')", "its payload lacks 'ids'"),
        ("suggestion", "json_remove(payload, '$.point')", "missing 1 required"),
        ("suggestion", "json_set(payload, '$.colour', 'red')", "unexpected keyword argument"),
        ("release", "json_remove(payload, '$.ids')", "its payload lacks 'ids'"),
    ],
)
def test_a_hand_edited_event_is_named_by_row_when_resumed(journal, kind, edit, problem):
    campaign = Campaign.resume(journal, "c")
    batch = campaign.suggest(2, request="r1")
    campaign.release([batch[0].id])
    (seq,) = [e["seq"] for e in journal.events("c", kind)][-1:]
    damage(journal.path, f"UPDATE events SET payload = {edit} WHERE seq = {seq}")
    with pytest.raises(JournalError) as err:
        Campaign.resume(journal, "c")
    message = str(err.value)
    assert f"is damaged: event {seq} of campaign 'c': " in message and problem in message
    assert message.endswith(MEND)


def test_resuming_takes_up_requests_releases_and_failures_in_journal_order(journal):
    campaign = Campaign.resume(journal, "c")
    batch = campaign.suggest(3, request="r1")
    campaign.release([batch[0].id])
    campaign.observe(
        Observation(point=dict(batch[1].point), failed="beam dump", suggestion_id=batch[1].id)
    )
    again = Campaign.resume(journal, "c")
    assert list(again.pending) == [batch[2].id]
    assert [s.id for s in again.requested["r1"]] == [s.id for s in batch]
    assert again.failed_points == [batch[1].point] and set(again.made) >= {s.id for s in batch}
    assert [s.id for s in again.suggest(3, request="r1")] == [s.id for s in batch]


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        ("json_set(state, '$.calm_fits', 'two')", "ValueError: invalid literal for int()"),
        ("json_set(state, '$.model.x', json('[\"a\"]'))", "ValueError: could not convert"),
        ("json_remove(state, '$.fitted_on')", "InvalidParameterError: energy_scan state lacks"),
        ("json_set(state, '$.model.hyper', 'x')", "AttributeError: 'str' object has no"),
    ],
)
def test_a_hand_edited_strategy_state_is_named_when_resumed(tmp_path, edit, problem):
    # a bare ValueError reached the client, and the server logged it as a bug
    j = Journal(tmp_path / "journal.sqlite")
    scan = {"name": "energy_scan", "options": {"n_initial": 3}}
    campaign = Campaign.create(j, SPACE, scan, campaign_id="e")
    for energy in (7000.0, 7150.0, 7300.0, 7100.0):
        campaign.observe(Observation(point={"energy": energy}, value=energy / 7000))
    campaign.suggest(1)  # journals the fitted state
    damage(j.path, f"UPDATE strategy_states SET state = {edit}")
    with pytest.raises(JournalError) as err:
        Campaign.resume(j, "e")
    j.close()
    message = str(err.value)
    assert (
        "is damaged: the strategy state of campaign 'e' (table strategy_states) does not load "
        f"({problem}" in message
    )
    assert message.endswith(MEND)
