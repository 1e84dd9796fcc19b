"""The server over real loopback sockets: methods, bad input, nothing journaled lost."""

import json
import threading
import time

import numpy as np
import pytest
import zmq

import adaptive.server
from adaptive import protocol
from adaptive.campaign import Campaign
from adaptive.client import Client
from adaptive.errors import InvalidParameterError, JournalError, RemoteError, ServerStartError
from adaptive.journal import Journal, claim_for_serving
from adaptive.server import Server
from tests.adaptive.journal_lock import held_by_another_process

SPACE = {"dimensions": [{"name": "energy", "low": 7000.0, "high": 7300.0, "units": "eV"}]}


@pytest.fixture
def client(server):
    with Client(server.endpoint, timeout_s=10, retries=1) as client:
        yield client


def grid_campaign(client, **params) -> str:
    """A 20-point grid campaign over ``SPACE`` (``params``: e.g. ``goals``); its id."""
    grid = {"name": "grid", "options": {"n_points": 20}}
    return client.call("campaign_create", space=SPACE, strategy=grid, **params)["campaign_id"]


def goal_campaign(client, max_observations: int) -> str:
    """A random-scan campaign over ``SPACE`` with a ``max_observations`` goal (a grid of more
    points is refused: it would stop inside its scan); its id."""
    random = {"name": "random", "options": {"seed": 0}}
    goals = {"max_observations": max_observations}
    return client.call("campaign_create", space=SPACE, strategy=random, goals=goals)["campaign_id"]


@pytest.fixture
def campaign(client):
    return grid_campaign(client)


def put(client, campaign_id, energy, value, **extra):
    return client.call(
        "observation_put", campaign_id=campaign_id, point={"energy": energy}, value=value, **extra
    )


def raw_call(endpoint, frames):
    """Send raw frames as a REQ peer would and return the decoded reply."""
    context = zmq.Context.instance()
    socket = context.socket(zmq.DEALER)
    socket.setsockopt(zmq.LINGER, 0)
    socket.connect(endpoint)
    try:
        socket.send_multipart([b"", *frames])
        assert socket.poll(5000), "server did not answer"
        reply = socket.recv_multipart()
    finally:
        socket.close()
    assert reply[0] == b""
    return protocol.decode(reply[1:])


def test_suggest_observe_status(client, campaign):
    reply = client.call("suggestions_get", campaign_id=campaign, n=3)
    energies = [s["point"]["energy"] for s in reply["suggestions"]]
    assert len(set(energies)) == 3 and all(7000 <= e <= 7300 for e in energies)
    for s in reply["suggestions"]:
        put(client, campaign, s["point"]["energy"], 1.0, suggestion_id=s["id"])
    status = client.call("campaign_status", campaign_id=campaign)
    assert status["n_observations"] == 3
    assert status["pending"] == []
    assert campaign in client.call("campaign_list")


def test_spectrum_arrays_travel_as_frames_and_are_journaled(server, client, campaign):
    x = np.linspace(0, 1, 50)
    put(client, campaign, 7100.0, 0.5, spectrum={"x": x, "y": x**2, "x_units": "eV"})
    stored = Journal(server.journal_path).observations(campaign)
    np.testing.assert_array_equal(stored[0].spectrum.y, x**2)
    assert stored[0].spectrum.x_units == "eV"


def test_a_spectrum_the_analysis_cannot_place_is_answered_typed_and_kept(server, client):
    campaign_id = client.call(
        "campaign_create",
        space=SPACE,
        strategy={"name": "random"},
        analysis={"name": "elements", "value": "p_Fe"},
    )["campaign_id"]
    with pytest.raises(RemoteError, match="cannot identify elements") as err:
        put(client, campaign_id, 7100.0, None, spectrum={"x": np.array([500.0]), "y": [1.0]})
    assert err.value.type == "AnalysisError"
    assert client.call("campaign_status", campaign_id=campaign_id)["n_observations"] == 0
    (event,) = Journal(server.journal_path).events(campaign_id, "analysis_failed")
    assert event["payload"]["spectrum"]["x"] == [500.0]


def test_idempotent_put_counts_once(client, campaign):
    first = put(client, campaign, 7100.0, 1.0, client_id="drv", sequence=1)
    again = put(client, campaign, 7100.0, 1.0, client_id="drv", sequence=1)
    assert first["accepted"] and not again["accepted"] and again["duplicate"]
    assert again["n_observations"] == 1


@pytest.mark.parametrize(
    ("params", "error_type", "words"),
    [
        ({"point": {"energy": 9000.0}, "value": 1.0}, "OutOfSpaceError", "outside"),
        (
            {"point": {"energy": 7100.0}, "value": 1.0, "uncertainty": -1.0},
            "InvalidParameterError",
            "uncertainty",
        ),
        (
            {"point": {"energy": 7100.0}, "value": 1.0, "colour": "red"},
            "InvalidParameterError",
            "colour",
        ),
        ({"point": {"energy": 7100.0, "x": 1}, "value": 1.0}, "InvalidParameterError", "unknown"),
        (
            {
                "point": {"energy": 7100.0},
                "value": 1.0,
                "spectrum": {"x": np.arange(5.0), "y": np.arange(4.0)},
            },
            "InvalidParameterError",
            "differ in length",
        ),
        ({"point": {"energy": 7100.0}}, "InvalidParameterError", "value or a spectrum"),
        (
            {"point": {"energy": 7100.0}, "spectrum": {"x": np.arange(3.0), "y": np.ones(3)}},
            "InvalidParameterError",
            "only a spectrum",
        ),
        ({"point": {"energy": 7100.0}, "value": 10**400}, "InvalidParameterError", "finite"),
        ({"point": {"energy": 10**400}, "value": 1.0}, "InvalidParameterError", "not finite"),
        ({"point": {"energy": 7100.0}, "value": 1.0, "time": [1]}, "InvalidParameterError", "time"),
        (
            {"point": {"energy": 7100.0}, "value": 1.0, "suggestion_id": ["x"]},
            "InvalidParameterError",
            "suggestion_id",
        ),
        (
            {"point": {"energy": 7100.0}, "value": 1.0, "metadata": {"a": np.arange(3.0)}},
            "InvalidParameterError",
            "JSON values",
        ),
        (
            {"point": {"energy": 7100.0}, "value": 1.0, "metadata": []},
            "InvalidParameterError",
            "metadata must be a mapping",
        ),
        (
            {"point": {"energy": 7100.0}, "value": 1.0, "client_id": ["x"], "sequence": 1},
            "InvalidParameterError",
            "client_id",
        ),
        (
            {"point": {"energy": 7100.0}, "value": 1.0, "spectrum": {"x": ["a"], "y": [1.0]}},
            "InvalidParameterError",
            "numeric",
        ),
        (
            {
                "point": {"energy": 7100.0},
                "value": 1.0,
                "spectrum": {"x": np.ones(2), "y": np.ones(2), "x_units": np.zeros(1)},
            },
            "InvalidParameterError",
            "x_units",
        ),
        (
            {
                "point": {"energy": 7100.0},
                "value": 1.0,
                "spectrum": {"x": np.ones(2), "y": np.ones(2), "y_units": {"a": [1]}},
            },
            "InvalidParameterError",
            "y_units",
        ),
    ],
)
def test_bad_observations_get_typed_errors_and_change_nothing(
    server, client, campaign, params, error_type, words
):
    put(client, campaign, 7050.0, 2.0)
    with pytest.raises(RemoteError) as caught:
        client.call("observation_put", campaign_id=campaign, **params)
    assert caught.value.type == error_type
    assert words in str(caught.value)
    assert client.call("campaign_status", campaign_id=campaign)["n_observations"] == 1
    journal = Journal(server.journal_path)
    assert len(journal.observations(campaign)) == 1
    assert Campaign.resume(journal, campaign).n_observations == 1  # a restart still works
    journal.close()


def test_nan_value_is_refused_before_it_reaches_the_journal(server, client, campaign):
    with pytest.raises(InvalidParameterError, match="value=nan .*failed="):  # not in JSON
        put(client, campaign, 7100.0, float("nan"))
    nan_header = {
        "v": 1,
        "id": "n1",
        "method": "observation_put",
        "params": {"campaign_id": campaign, "point": {"energy": 7100.0}, "value": "NaN"},
    }
    reply = raw_call(server.endpoint, [json.dumps(nan_header).encode()])
    assert reply["ok"] is False and reply["error"]["type"] == "InvalidParameterError"
    assert Journal(server.journal_path).observations(campaign) == []


def test_unknown_method_and_campaign(client):
    with pytest.raises(RemoteError) as caught:
        client.call("campaign_explode")
    assert caught.value.type == "UnknownMethodError"
    with pytest.raises(RemoteError) as caught:
        client.call("campaign_status", campaign_id="nope")
    assert caught.value.type == "UnknownCampaignError"


def test_unknown_and_missing_parameters_are_named_and_the_server_keeps_serving(client, campaign):
    with pytest.raises(
        RemoteError,
        match="unknown parameter 'campain_id' .*did you mean "
        "'campaign_id'.*campaign_id \\(required\\)",
    ) as caught:
        client.call("campaign_status", campain_id=campaign)
    assert caught.value.type == "InvalidParameterError"
    with pytest.raises(RemoteError, match="parameter 'campaign_id' is required.*n=1"):
        client.call("suggestions_get", n=2)
    assert client.call("campaign_status", campaign_id=campaign)["n_observations"] == 0


def test_malformed_frames_and_wrong_version_are_answered(server, client, campaign):
    bad_json = raw_call(server.endpoint, [b"{not json"])
    assert bad_json["ok"] is False and bad_json["error"]["type"] == "ProtocolError"
    envelope = {"v": 2, "id": "x1", "method": "server_ping", "params": {}}
    wrong_version = raw_call(server.endpoint, [json.dumps(envelope).encode()])
    assert wrong_version["error"]["type"] == "ProtocolError"
    assert "version 1" in wrong_version["error"]["message"]
    header = {
        "v": 1,
        "id": "x2",
        "method": "server_ping",
        "params": {"a": {"__array__": 0, "dtype": "<f8", "shape": [3]}},
    }
    short = raw_call(server.endpoint, [json.dumps(header).encode(), b"\0" * 8])
    assert short["error"]["type"] == "ProtocolError"
    # the server is still serving and the campaign is intact
    assert client.call("server_ping")["campaigns"] == 1
    assert client.call("campaign_status", campaign_id=campaign)["status"] == "running"


PING = {"v": 1, "id": "z", "method": "server_ping", "params": {}}


@pytest.mark.parametrize(
    ("frames", "request_id"),
    [
        ([json.dumps({**PING, "v": 2, "id": "a"}).encode()], "a"),
        ([json.dumps({"v": 1, "id": 7, "method": "server_ping"}).encode()], 7),
        ([json.dumps(PING).encode(), b"unreferenced"], "z"),
        ([json.dumps({**PING, "id": "d", "extra": 1}).encode()], "d"),
        ([json.dumps({**PING, "id": ["x"]}).encode()], None),
        ([b"{not json"], None),
    ],
    ids=["other version", "no params", "extra frame", "extra key", "list id", "not json"],
)
def test_an_error_reply_to_a_bad_envelope_carries_its_readable_id(server, frames, request_id):
    reply = raw_call(server.endpoint, frames)
    assert reply["error"]["type"] == "ProtocolError" and reply["id"] == request_id


def test_bad_campaign_configs(client):
    with pytest.raises(RemoteError, match="unknown strategy"):
        client.call("campaign_create", space=SPACE, strategy={"name": "magic"})
    bad_dimensions = [
        ({"name": "energy", "low": 5.0, "high": 1.0}, "low"),
        ({"low": 0.0, "high": 1.0}, "needs a name"),
        ({"name": "c", "kind": "categorical", "choices": 5}, "choices must be a list"),
        ({"name": "energy", "low": 0.0, "high": 10**400}, "finite"),
        ({"name": "n", "kind": "integer", "low": 0.5, "high": 0.7}, "holds no integer"),
        ({"name": np.zeros(2), "low": 0.0, "high": 1.0}, "non-empty string"),
        ({"name": "c", "kind": "categorical", "choices": np.zeros(2)}, "choices must be a list"),
        ({"name": "energy", "low": 0.0, "high": 1.0, "choices": ["a"]}, "not choices"),
    ]
    for dimension, words in bad_dimensions:
        with pytest.raises(RemoteError, match=words) as caught:
            space = {"dimensions": [dimension]}
            client.call("campaign_create", space=space, strategy={"name": "random"})
        assert caught.value.type == "InvalidParameterError"
    assert client.call("campaign_list") == []


def test_bad_prediction_points_get_a_typed_error(client, campaign):
    with pytest.raises(
        RemoteError, match="points must be a numeric array, but it holds text"
    ) as caught:
        client.call("model_predict", campaign_id=campaign, points=["a"])
    assert caught.value.type == "InvalidParameterError"


def test_a_prediction_of_too_many_points_is_refused_and_chunks_are_answered(client, campaign):
    from adaptive.server import MAX_PREDICT_POINTS

    put(client, campaign, 7000.0, 0.0)
    put(client, campaign, 7300.0, 1.0)
    too_many = np.full(MAX_PREDICT_POINTS + 1, 7100.0)
    with pytest.raises(RemoteError, match="more than the .* ask in chunks"):
        client.call("model_predict", campaign_id=campaign, points=too_many)
    reply = client.call("model_predict", campaign_id=campaign, points=too_many[:1000])
    assert reply["mean"].shape == (1000,)


@pytest.mark.parametrize("taken", [True, False], ids=["port in use", "malformed"])
def test_a_bind_that_fails_at_start_is_a_typed_error_naming_the_fix(server, tmp_path, taken):
    bind = server.endpoint if taken else "nonsense"
    with pytest.raises(
        ServerStartError, match=f"cannot serve on {bind}: .*tcp://127.0.0.1:0"
    ) as caught:
        Server(tmp_path / "other.sqlite", bind=bind).start()
    assert isinstance(caught.value, OSError) and isinstance(caught.value.__cause__, zmq.ZMQError)
    assert not (tmp_path / "other.sqlite").exists()


@pytest.mark.parametrize("port", ["99999", "65536", "-1", "5e3", ""])
def test_a_port_beyond_0_to_65535_is_refused_before_binding(tmp_path, port):
    bind = f"tcp://127.0.0.1:{port}"
    with pytest.raises(ServerStartError, match=f"cannot serve on {bind}: its port is not a number"):
        Server(tmp_path / "journal.sqlite", bind=bind).start()  # ZeroMQ: 99999 -> 34463
    assert not (tmp_path / "journal.sqlite").exists()


def test_a_start_that_hangs_is_a_typed_error_and_the_late_server_stops(tmp_path, monkeypatch):
    claimed, released = threading.Event(), threading.Event()

    def hung_claim(path):  # a journal on a network mount that does not answer
        claimed.set()
        released.wait(10)
        return claim_for_serving(path)

    monkeypatch.setattr("adaptive.server.claim_for_serving", hung_claim)
    server = Server(tmp_path / "journal.sqlite", bind="tcp://127.0.0.1:0")
    with pytest.raises(ServerStartError, match="did not start within 0.2 s.*journal's disk"):
        server.start(timeout_s=0.2)
    assert claimed.is_set()
    released.set()
    server._thread.join(5)
    assert not server._thread.is_alive()  # it came up late, and stopped instead of serving


@pytest.mark.parametrize("timeout_s", [0, -1.0, float("nan"), "10", True])
def test_a_bad_start_timeout_is_refused(tmp_path, timeout_s):
    with pytest.raises(InvalidParameterError, match="timeout_s=.* > 0"):
        Server(tmp_path / "journal.sqlite", bind="tcp://127.0.0.1:0").start(timeout_s)


def test_stop_then_put_is_refused(client, campaign):
    client.call("campaign_stop", campaign_id=campaign, reason="beam lost")
    status = client.call("campaign_status", campaign_id=campaign)
    assert status["status"] == "stopped" and status["stop_reason"] == "beam lost"
    assert client.call("suggestions_get", campaign_id=campaign, n=1)["suggestions"] == []
    with pytest.raises(RemoteError) as caught:
        put(client, campaign, 7100.0, 1.0)
    assert caught.value.type == "CampaignStoppedError"


def test_retried_request_id_gets_the_cached_reply(server, campaign):
    envelope = protocol.request("suggestions_get", {"campaign_id": campaign, "n": 2}, id="same")
    first = raw_call(server.endpoint, protocol.encode(envelope))
    second = raw_call(server.endpoint, protocol.encode(envelope))
    assert first == second
    third = raw_call(server.endpoint, protocol.encode({**envelope, "id": "other"}))
    assert third["result"]["suggestions"][0]["id"] != first["result"]["suggestions"][0]["id"]
    # another request that reuses the id (another client counting from 1) is served anew
    ping = raw_call(
        server.endpoint, protocol.encode(protocol.request("server_ping", {}, id="same"))
    )
    assert ping["ok"] and "time" in ping["result"]


def test_a_status_poll_that_reuses_its_id_sees_the_present_not_a_cached_reply(
    server, client, campaign
):
    poll = protocol.encode(protocol.request("campaign_status", {"campaign_id": campaign}, id=1))
    assert raw_call(server.endpoint, poll)["result"]["n_observations"] == 0
    put(client, campaign, 7100.0, 1.0)
    client.call("campaign_stop", campaign_id=campaign)
    now = raw_call(server.endpoint, poll)["result"]
    assert (now["n_observations"], now["status"]) == (1, "stopped")


def test_a_put_resent_after_a_busy_journal_error_is_journaled_not_answered_from_cache(
    server, campaign
):
    server.journal._db.execute("PRAGMA busy_timeout = 50")
    envelope = protocol.request(
        "observation_put",
        {"campaign_id": campaign, "point": {"energy": 7100.0}, "value": 1.0},
        id="put-1",
    )
    frames = protocol.encode(envelope)
    with held_by_another_process(server.journal_path):
        assert raw_call(server.endpoint, frames)["error"]["type"] == "JournalError"
    resent = raw_call(server.endpoint, frames)  # the error said "retry": the retry works
    assert resent["ok"] and resent["result"]["n_observations"] == 1
    assert raw_call(server.endpoint, frames)["result"] == resent["result"]  # now cached


def test_sequence_beyond_sqlite_integers_is_refused(client, campaign):
    with pytest.raises(RemoteError, match=r"sequence must be an integer in \[0, 2\*\*63\)"):
        put(client, campaign, 7100.0, 1.0, client_id="c", sequence=2**70)
    assert client.call("campaign_status", campaign_id=campaign)["n_observations"] == 0


def test_pending_suggestions_expire_after_the_campaigns_ttl(client):
    grid = {"name": "grid", "options": {"n_points": 20}}
    campaign = client.call("campaign_create", space=SPACE, strategy=grid, pending_ttl_s=0.05)
    assert campaign["pending_ttl_s"] == 0.05
    made = client.call("suggestions_get", campaign_id=campaign["campaign_id"], n=2)
    time.sleep(0.1)
    status = client.call("campaign_status", campaign_id=campaign["campaign_id"])
    pending = client.call("suggestions_pending", campaign_id=campaign["campaign_id"])
    assert len(made["suggestions"]) == 2
    assert status["pending"] == [] and pending["suggestions"] == []
    with pytest.raises(RemoteError, match="pending_ttl_s") as err:
        client.call("campaign_create", space=SPACE, strategy=grid, pending_ttl_s=-1)
    assert err.value.type == "InvalidParameterError"


def test_pending_suggestions_can_be_listed_and_released(server, client, campaign):
    made = client.call("suggestions_get", campaign_id=campaign, n=3)["suggestions"]
    put(client, campaign, made[0]["point"]["energy"], 1.0, suggestion_id=made[0]["id"])
    pending = client.call("suggestions_pending", campaign_id=campaign)["suggestions"]
    assert pending == made[1:]
    reply = client.call("suggestions_release", campaign_id=campaign, ids=[made[1]["id"]])
    assert reply == {"released": [made[1]["id"]], "pending": [made[2]["id"]]}
    with pytest.raises(RemoteError, match="not pending") as err:
        client.call("suggestions_release", campaign_id=campaign, ids=[made[0]["id"]])
    assert err.value.type == "InvalidParameterError"
    # a restarted server reads the release back from the journal
    server.stop()
    again = Server(server.journal_path, bind="tcp://127.0.0.1:0")
    again.start()
    try:
        with Client(again.endpoint, timeout_s=10) as other:
            pending = other.call("suggestions_pending", campaign_id=campaign)["suggestions"]
            # the release resent after the restart (its reply lost with the old server's
            # cache) was refused as "not pending"; it gets the reply it would have got
            resent = other.call("suggestions_release", campaign_id=campaign, ids=[made[1]["id"]])
    finally:
        again.stop()
    assert [s["id"] for s in pending] == [made[2]["id"]]
    assert resent == reply
    journal = Journal(server.journal_path)
    try:
        assert len(journal.events(campaign, "release")) == 1  # journaled once
    finally:
        journal.close()


def test_a_dealer_request_without_the_delimiter_frame_gets_a_protocol_error(server, client):
    socket = zmq.Context.instance().socket(zmq.DEALER)
    socket.setsockopt(zmq.LINGER, 0)
    socket.connect(server.endpoint)
    try:
        envelope = protocol.request("server_ping")
        socket.send_multipart(protocol.encode(envelope))
        assert socket.poll(5000), "server did not answer"
        delimiter, *frames = socket.recv_multipart()
    finally:
        socket.close()
    reply = protocol.decode(frames)
    assert delimiter == b"" and reply["ok"] is False and reply["id"] == envelope["id"]
    assert reply["error"]["type"] == "ProtocolError"
    assert "send the empty delimiter frame first" in reply["error"]["message"]
    assert client.call("server_ping")["campaigns"] == 0


def test_requests_whose_frames_differ_only_in_their_boundaries_are_not_confused(server, campaign):
    spectrum = {"x": np.array([7100.0]), "y": np.array([2.0])}
    params = {"campaign_id": campaign, "point": {"energy": 7100.0}, "value": 1.0}
    frames = protocol.encode(
        protocol.request("observation_put", {**params, "spectrum": spectrum}, id="one")
    )
    assert raw_call(server.endpoint, frames)["ok"]
    merged = [frames[0], frames[1] + b"\0" + frames[2]]  # the same bytes joined by b"\0"
    reply = raw_call(server.endpoint, merged)
    assert reply["ok"] is False and reply["error"]["type"] == "ProtocolError"
    assert len(Journal(server.journal_path).observations(campaign)) == 1


def test_a_retried_put_after_campaign_stop_is_answered_as_a_duplicate(client, campaign):
    first = put(client, campaign, 7100.0, 1.0, client_id="drv", sequence=1)
    client.call("campaign_stop", campaign_id=campaign, reason="beam lost")
    again = put(client, campaign, 7100.0, 1.0, client_id="drv", sequence=1)
    assert first["accepted"] and again["duplicate"] and again["n_observations"] == 1
    with pytest.raises(RemoteError) as caught:
        put(client, campaign, 7150.0, 1.0, client_id="drv", sequence=2)
    assert caught.value.type == "CampaignStoppedError"


def test_a_stop_while_another_process_holds_the_journal_changes_nothing(server, client, campaign):
    server.journal._db.execute("PRAGMA busy_timeout = 50")  # not SQLite's 5 s wait
    with held_by_another_process(server.journal_path):
        with pytest.raises(RemoteError, match="another process is writing to it") as caught:
            client.call("campaign_stop", campaign_id=campaign, reason="operator")
        assert caught.value.type == "JournalError"
        with pytest.raises(RemoteError, match="locked") as caught:
            put(client, campaign, 7100.0, 1.0)
        assert caught.value.type == "JournalError"
    assert client.call("campaign_status", campaign_id=campaign)["status"] == "running"
    assert put(client, campaign, 7100.0, 1.0)["accepted"]
    assert client.call("campaign_stop", campaign_id=campaign, reason="operator")["status"] == (
        "stopped"
    )


@pytest.mark.parametrize("reason", [5, None, ["beam"], np.zeros(3)])
def test_a_stop_reason_that_is_not_text_is_refused(client, campaign, reason):
    with pytest.raises(RemoteError, match="reason") as caught:
        client.call("campaign_stop", campaign_id=campaign, reason=reason)
    assert caught.value.type == "InvalidParameterError"
    assert client.call("campaign_status", campaign_id=campaign)["status"] == "running"


@pytest.mark.parametrize("n", [1001, 10**6, 2**70])
def test_a_huge_n_is_refused_at_once_and_the_server_keeps_serving(client, n):
    random = client.call("campaign_create", space=SPACE, strategy={"name": "random"})
    started = time.monotonic()
    with pytest.raises(RemoteError, match="from 1 to 1000") as caught:
        client.call("suggestions_get", campaign_id=random["campaign_id"], n=n)
    assert caught.value.type == "InvalidParameterError" and time.monotonic() - started < 5
    assert client.call("server_ping")["campaigns"] == 1


def test_options_that_are_not_plain_json_are_refused(client):
    grid = {"name": "grid", "options": {"n_points": np.array(5)}}
    with pytest.raises(RemoteError, match="options must be plain JSON") as caught:
        client.call("campaign_create", space=SPACE, strategy=grid)
    assert caught.value.type == "InvalidParameterError"
    assert client.call("campaign_list") == []


def test_predictions_of_a_1d_space_take_m_or_m_by_1_points(client, campaign):
    for energy, value in [(7000.0, 0.0), (7300.0, 3.0)]:
        put(client, campaign, energy, value)
    flat = client.call("model_predict", campaign_id=campaign, points=np.array([7100.0, 7200.0]))
    column = client.call("model_predict", campaign_id=campaign, points=[[7100.0], [7200.0]])
    np.testing.assert_allclose(flat["mean"], [1.0, 2.0])
    np.testing.assert_array_equal(column["mean"], flat["mean"])
    for points, words in [
        ([10**400], "points holds a number too large"),
        (np.zeros((2, 2)), r"\(m, 1\) array"),
        ([], "m >= 1"),
        (np.array([np.inf]), "NaN or inf"),
    ]:
        with pytest.raises(RemoteError, match=words) as caught:
            client.call("model_predict", campaign_id=campaign, points=points)
        assert caught.value.type == "InvalidParameterError"


def test_predictions_of_a_2d_space_take_m_by_d_points_in_dimension_order(client):
    space = {"dimensions": [{"name": "a", "low": 0, "high": 1}, {"name": "b", "low": 0, "high": 1}]}
    bo = {"name": "batch_bo", "options": {"n_initial": 2, "q": 2, "seed": 0}}
    campaign = client.call("campaign_create", space=space, strategy=bo)["campaign_id"]
    for a, b, value in [(0.1, 0.2, 0.0), (0.7, 0.5, 1.0), (0.4, 0.9, 2.0)]:
        client.call("observation_put", campaign_id=campaign, point={"a": a, "b": b}, value=value)
    reply = client.call(
        "model_predict", campaign_id=campaign, points=np.array([[0.1, 0.2], [0.5, 0.5]])
    )
    assert reply["mean"].shape == (2,) and reply["std"].shape == (2,)
    with pytest.raises(RemoteError, match=r"\(m, 2\) array, columns \['a', 'b'\]") as caught:
        client.call("model_predict", campaign_id=campaign, points=[0.1, 0.2])
    assert caught.value.type == "InvalidParameterError"


def test_predictions_are_not_offered_for_categorical_dimensions(client):
    space = {
        "dimensions": [
            {"name": "a", "low": 0, "high": 1},
            {"name": "c", "kind": "categorical", "choices": ["pva", "citrate"]},
        ]
    }
    bo = {"name": "batch_bo", "options": {"n_initial": 2, "q": 2, "seed": 0}}
    campaign = client.call("campaign_create", space=space, strategy=bo)["campaign_id"]
    with pytest.raises(RemoteError, match=r"categorical dimensions \['c'\]") as caught:
        client.call("model_predict", campaign_id=campaign, points=[[0.5, 0.0]])
    assert caught.value.type == "InvalidParameterError"


def test_a_second_server_on_the_same_journal_is_refused_until_the_first_stops(server):
    second = Server(server.journal_path, bind="tcp://127.0.0.1:0")
    with pytest.raises(JournalError, match=r"served by another server \(pid \d+\)"):
        second.start()
    server.stop()
    third = Server(server.journal_path, bind="tcp://127.0.0.1:0")
    third.start()
    third.stop()


def test_a_plain_put_resent_after_a_server_restart_is_journaled_once(server, campaign):
    with Client(server.endpoint, timeout_s=10, retries=0) as client:
        request = client.prepare(
            "observation_put", campaign_id=campaign, point={"energy": 7100.0}, value=1.0
        )
        assert client.send(request)["n_observations"] == 1
        server.stop()  # its reply cache goes with it
        restarted = Server(server.journal_path, bind=server.endpoint)
        restarted.start()
        try:
            again = client.send(request)  # the reply was lost, say: the client resends
        finally:
            restarted.stop()
    assert again["duplicate"] and again["n_observations"] == 1


def test_a_restarted_script_reusing_its_client_id_keys_its_puts_anew(server, campaign):
    for _ in range(2):  # the same id and sequence 1 each run: put_id keys them apart
        with Client(server.endpoint, timeout_s=10, client_id="beamline-8") as client:
            reply = put(client, campaign, 7100.0, float(client.next_sequence()))
    assert reply["accepted"] and reply["n_observations"] == 2


def test_a_busy_journal_is_answered_within_a_default_clients_timeout(server, campaign):
    with Client(server.endpoint, retries=0) as client:  # default timeout_s
        with held_by_another_process(server.journal_path):
            with pytest.raises(RemoteError, match="locked") as caught:
                put(client, campaign, 7100.0, 1.0)
    assert caught.value.type == "JournalError"


OBJECTIVE = {"target_x": [400.0, 500.0, 600.0], "target_y": [0.0, 1.0, 0.0], "measure": "cosine"}


def test_a_resent_put_refused_after_journaling_its_measurement_journals_it_once(server, client):
    """Refused puts that kept the measurement as an event have their replies cached."""
    campaign_id = client.call(
        "campaign_create", space=SPACE, strategy={"name": "random"}, objective=OBJECTIVE
    )["campaign_id"]
    (made,) = client.call("suggestions_get", campaign_id=campaign_id, n=1)["suggestions"]
    spectrum = {"x": np.linspace(100.0, 300.0, 20), "y": np.ones(20)}  # off the target
    journal = Journal(server.journal_path)

    def resend_three_times(params, error, kind):
        frames = protocol.encode(protocol.request("observation_put", params))  # no sequence
        replies = [raw_call(server.endpoint, frames) for _ in range(3)]
        assert replies[0]["error"]["type"] == error and replies == [replies[0]] * 3
        assert len(journal.events(campaign_id, kind)) == 1

    failing = {"campaign_id": campaign_id, "point": made["point"], "spectrum": spectrum}
    resend_three_times(failing, "AnalysisError", "analysis_failed")
    client.call("campaign_stop", campaign_id=campaign_id)
    late = {"campaign_id": campaign_id, "point": made["point"], "value": 1.0}
    resend_three_times(
        {**late, "suggestion_id": made["id"]}, "CampaignStoppedError", "late_observation"
    )


def test_an_objective_given_as_a_strategy_option_is_refused_and_nothing_journaled(server, client):
    """The objective is the campaign's: as a batch_bo option it once built a campaign
    without one, whose spectrum-only puts were then refused."""
    strategy = {"name": "batch_bo", "options": {"model": "net", "objective": OBJECTIVE}}
    with pytest.raises(RemoteError, match="objective is not a strategy option") as caught:
        client.call("campaign_create", space=SPACE, strategy=strategy)
    assert caught.value.type == "InvalidParameterError"
    assert 'the "objective" parameter of campaign_create' in str(caught.value)
    assert client.call("campaign_list") == [] == Journal(server.journal_path).campaign_ids()


def test_a_stopped_server_can_be_started_again(server, client, campaign):
    put(client, campaign, 7100.0, 1.0)
    server.stop()
    endpoint = server.start()
    with Client(endpoint, timeout_s=10, retries=0) as again:
        assert again.call("server_ping")["campaigns"] == 1
        assert put(again, campaign, 7150.0, 1.0)["n_observations"] == 2


def test_starting_a_running_server_again_is_refused_and_leaves_it_serving(server, client, campaign):
    with pytest.raises(ServerStartError, match="serving on .* already; call stop"):
        server.start()
    assert put(client, campaign, 7100.0, 1.0)["n_observations"] == 1  # still the first run
    thread = server._thread
    server.stop()
    assert not thread.is_alive()  # stop() still reaches the first run
    endpoint = server.start()  # and its journal is no longer claimed
    with Client(endpoint, timeout_s=10, retries=0) as again:
        assert again.call("server_ping")["campaigns"] == 1


UNPAIRED = "unpaired surrogate"


@pytest.mark.parametrize(
    ("method", "params", "message"),
    [
        (
            "campaign_create",
            '{"space": %s, "strategy": {"name": "grid"}, "campaign_id": "x\\ud800"}',
            "printable characters",  # a new id is checked before the journal sees it
        ),
        ("campaign_status", '{"campaign_id": "\\udc00"}', UNPAIRED),
        ("campaign_stop", '{"campaign_id": "CID", "reason": "beam \\ud800"}', UNPAIRED),
        (
            "observation_put",
            '{"campaign_id": "CID", "point": {"energy": 7100}, "value": 1, '
            '"client_id": "\\ud800", "sequence": 1}',
            UNPAIRED,
        ),
    ],
)
def test_text_with_an_unpaired_surrogate_gets_a_typed_reply(
    server, client, campaign, capfd, method, params, message
):
    """JSON may escape a lone surrogate ("\\ud800"), which is not UTF-8 text."""
    params = params.replace("CID", campaign).replace("%s", json.dumps(SPACE))
    envelope = f'{{"v": 1, "id": "r", "method": "{method}", "params": {params}}}'
    reply = raw_call(server.endpoint, [envelope.encode()])
    assert reply["error"]["type"] == "InvalidParameterError"
    assert message in reply["error"]["message"]
    assert "Traceback" not in capfd.readouterr().err
    status = client.call("campaign_status", campaign_id=campaign)
    assert status["status"] == "running" and status["n_observations"] == 0


def test_a_put_naming_a_suggestion_never_made_gets_a_typed_error_and_is_not_journaled(
    server, client
):
    campaign_id = goal_campaign(client, 2)
    made = client.call("suggestions_get", campaign_id=campaign_id, n=2)["suggestions"]
    energies = [s["point"]["energy"] for s in made]
    with pytest.raises(RemoteError, match="'bogus' was never made") as err:
        put(client, campaign_id, energies[0], 1.0, suggestion_id="bogus")
    assert err.value.type == "UnknownSuggestionError"
    assert Journal(server.journal_path).observations(campaign_id) == []
    assert put(client, campaign_id, energies[0], 1.0, suggestion_id=made[0]["id"])["accepted"]
    assert client.call("campaign_status", campaign_id=campaign_id)["status"] == "running"
    put(client, campaign_id, energies[1], 1.0, suggestion_id=made[1]["id"])
    status = client.call("campaign_status", campaign_id=campaign_id)  # no suggest in between
    assert (status["status"], status["stop_reason"]) == ("stopped", "reached max_observations=2")


def test_the_put_that_meets_the_goal_replies_the_stop(client):
    campaign = goal_campaign(client, 2)
    first = put(client, campaign, 7100.0, 1.0)
    assert (first["status"], first["stop_reason"]) == ("running", None)
    second = put(client, campaign, 7150.0, 1.0)
    assert second["accepted"] and second["n_observations"] == 2
    assert (second["status"], second["stop_reason"]) == ("stopped", "reached max_observations=2")


def test_a_failed_measurement_is_put_keyed_unlearned_and_replays_the_same(server, client):
    campaign_id = goal_campaign(client, 2)
    clogged, measured = client.call("suggestions_get", campaign_id=campaign_id, n=2)["suggestions"]
    failed = {"point": clogged["point"], "suggestion_id": clogged["id"], "failed": "clogged"}
    key = {"campaign_id": campaign_id, "client_id": "drv", "sequence": 1}
    first = client.call("observation_put", **failed, **key)
    again = client.call("observation_put", **failed, **key)  # a retry under the same key
    assert first["accepted"] and again["duplicate"] and again["n_observations"] == 0
    put(client, campaign_id, measured["point"]["energy"], 1.0, suggestion_id=measured["id"])
    # the failure is not learned and does not count toward max_observations=2
    assert client.call("observations_get", campaign_id=campaign_id)["suggestion_ids"] == [
        measured["id"]
    ]
    assert len(server.campaigns[campaign_id].strategy.data()[0]) == 1
    (waiting,) = client.call("suggestions_get", campaign_id=campaign_id, n=2)["suggestions"]
    status = client.call("campaign_status", campaign_id=campaign_id)
    assert (status["status"], status["n_observations"], status["n_failed"]) == ("running", 1, 1)
    assert status["pending"] == [waiting["id"]]
    journal = Journal(server.journal_path)  # as a kill -9 now would leave it
    try:
        assert Campaign.resume(journal, campaign_id).summary() == status
    finally:
        journal.close()
    with pytest.raises(RemoteError, match="failed measurement .* send failed=") as err:
        client.call("observation_put", campaign_id=campaign_id, point=clogged["point"])
    assert err.value.type == "InvalidParameterError"


def test_observations_get_lists_the_failed_measurements_apart_in_journal_order(client, campaign):
    clogged, measured, dumped = client.call("suggestions_get", campaign_id=campaign, n=3)[
        "suggestions"
    ]
    for suggestion, value, why in (
        (clogged, None, "clogged"),
        (measured, 1.0, None),
        (dumped, None, "beam dump"),
    ):
        failed = {} if why is None else {"failed": why}
        put(
            client,
            campaign,
            suggestion["point"]["energy"],
            value,
            suggestion_id=suggestion["id"],
            **failed,
        )
    reply = client.call("observations_get", campaign_id=campaign)
    assert reply["points"] == [measured["point"]] and reply["values"].tolist() == [1.0]
    assert reply["suggestion_ids"] == [measured["id"]]  # the learned ones, as before
    assert reply["failed"] == {
        "points": [clogged["point"], dumped["point"]],
        "reasons": ["clogged", "beam dump"],
        "suggestion_ids": [clogged["id"], dumped["id"]],
    }


@pytest.mark.parametrize("shape", [[0], [2]])
def test_a_client_id_that_is_an_array_gets_a_typed_reply_and_the_server_serves_on(server, shape):
    # the log line's client_id was tested for truth: the serving thread died of a ValueError
    header = {"__array__": 0, "dtype": "<f8", "shape": shape}
    envelope = {**PING, "id": "bad", "params": {"client_id": header}}
    reply = raw_call(server.endpoint, [json.dumps(envelope).encode(), np.zeros(shape).tobytes()])
    assert reply["error"]["type"] == "InvalidParameterError" and reply["id"] == "bad"
    assert raw_call(server.endpoint, [json.dumps(PING).encode()])["ok"]


def test_a_bug_while_receiving_a_request_is_its_error_reply_and_the_server_serves_on(
    server, client, campaign, monkeypatch, capfd
):
    def submit(*args):
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(adaptive.server._Workers, "submit", submit)
    with pytest.raises(RemoteError, match="can't start new thread") as caught:
        client.call("campaign_status", campaign_id=campaign)
    assert caught.value.type == "RuntimeError"
    assert "Traceback" in capfd.readouterr().err  # a bug's traceback is logged
    assert client.call("server_ping")["campaigns"] == 1


def test_a_bug_outside_a_handler_is_its_error_reply_and_its_campaign_serves_on(
    server, client, campaign, monkeypatch
):
    change = Server._change

    def change_once(self, *args):
        monkeypatch.setattr(Server, "_change", change)
        raise RuntimeError("a bug in the log line")

    monkeypatch.setattr(Server, "_change", change_once)
    with pytest.raises(RemoteError, match="a bug in the log line") as caught:
        put(client, campaign, 7100.0, 1.0)
    assert caught.value.type == "RuntimeError"
    assert put(client, campaign, 7150.0, 2.0)["n_observations"] == 2  # the first was journaled


def test_a_restarted_server_logs_a_resume_as_the_journal_held_it_then_the_stop(tmp_path, capfd):
    journal = tmp_path / "journal.sqlite"
    first = Server(journal, bind="tcp://127.0.0.1:0")
    with Client(first.start(), timeout_s=10, retries=0) as client:
        try:
            a = grid_campaign(client)
            b = goal_campaign(client, 2)
            put(client, a, 7100.0, 1.0)
            put(client, b, 7100.0, 1.0)
        finally:
            first.stop()
    capfd.readouterr()
    again = Server(journal, bind="tcp://127.0.0.1:0")
    with Client(again.start(), timeout_s=10, retries=0) as client:
        try:
            client.call("campaign_stop", campaign_id=a, reason="beam lost")
            put(client, b, 7150.0, 1.0)  # meets b's goal
        finally:
            again.stop()
    lines = [line.split(": ", 1)[1] for line in capfd.readouterr().err.splitlines()]
    assert lines == [
        "resumed from the journal: running, n_observations=1",
        "stopped (beam lost)",
        "resumed from the journal: running, n_observations=1",
        "stopped (reached max_observations=2)",
    ]
