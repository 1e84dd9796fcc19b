"""Tests for adaptive.client against real ROUTER servers on loopback (no mocks)."""

import functools
import math
import threading
import time
from collections.abc import Callable

import numpy as np
import pytest
import zmq

import adaptive.server
from adaptive import protocol
from adaptive.client import CampaignStoppedError, Client, Request
from adaptive.errors import (
    InvalidParameterError,
    OutOfSpaceError,
    ProtocolError,
    RemoteError,
    ServerUnavailableError,
)

TIMEOUT_S = 0.2

# respond(request_id, method, params, n_seen) -> messages to send back, each the frames
# that follow the peer identity (normally [b"", *protocol.encode(reply)]).
Respond = Callable[[object, str, dict, int], list[list[bytes]]]


def framed(reply: dict) -> list[bytes]:
    """The frames a ROUTER sends after the identity to answer a REQ-style peer."""
    return [b"", *protocol.encode(reply)]


def echo(request_id, method, params, n_seen):
    return [framed(protocol.ok_reply(request_id, {"method": method, "params": params}))]


class RouterServer:
    """A ROUTER socket served from a thread; it records every request it sees."""

    def __init__(self, context: zmq.Context, respond: Respond):
        self._socket = context.socket(zmq.ROUTER)
        self._socket.setsockopt(zmq.LINGER, 0)
        port = self._socket.bind_to_random_port("tcp://127.0.0.1")
        self.address = f"tcp://127.0.0.1:{port}"
        self.seen: list[tuple[bytes, object, str]] = []  # (peer identity, id, method)
        self._respond = respond
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        poller = zmq.Poller()
        poller.register(self._socket, zmq.POLLIN)
        try:
            while not self._stop.is_set():
                if not poller.poll(20):
                    continue
                identity, delimiter, *frames = self._socket.recv_multipart()
                assert delimiter == b""
                request_id, method, params = protocol.parse_request(protocol.decode(frames))
                self.seen.append((identity, request_id, method))
                for message in self._respond(request_id, method, params, len(self.seen)):
                    self._socket.send_multipart([identity, *message])
        finally:
            self._socket.close(linger=0)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        assert not self._thread.is_alive(), "server thread did not stop"


def terminate(context: zmq.Context) -> None:
    """Terminate the context, failing (not hanging) if a socket was left open."""
    thread = threading.Thread(target=context.term, daemon=True)
    thread.start()
    thread.join(timeout=2)
    assert not thread.is_alive(), "zmq context did not terminate: a socket was left open"


@pytest.fixture
def context():
    ctx = zmq.Context()
    yield ctx
    terminate(ctx)


@pytest.fixture
def serve(context):
    servers: list[RouterServer] = []

    def start(respond: Respond) -> RouterServer:
        server = RouterServer(context, respond)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def connect(context):
    clients: list[Client] = []

    def make(address: str, **options) -> Client:
        options.setdefault("timeout_s", TIMEOUT_S)
        client = Client(address, context=context, **options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def test_call_returns_result_with_arrays(serve, connect):
    server = serve(echo)
    client = connect(server.address)
    result = client.call("echo_params", n=3, y=np.arange(4.0).reshape(2, 2), tag="a")
    assert result["method"] == "echo_params"
    assert result["params"]["n"] == 3 and result["params"]["tag"] == "a"
    np.testing.assert_array_equal(result["params"]["y"], [[0.0, 1.0], [2.0, 3.0]])
    assert len(server.seen) == 1
    # A second call reuses the connection and uses a new request id.
    assert client.call("echo_params")["params"] == {}
    assert len(server.seen) == 2 and server.seen[0][1] != server.seen[1][1]
    assert server.seen[0][0] == server.seen[1][0]


def test_retries_on_a_new_socket_with_the_same_id(serve, connect):
    server = serve(lambda rid, m, p, n: [] if n == 1 else echo(rid, m, p, n))
    client = connect(server.address, retries=3)
    start = time.monotonic()
    assert client.call("echo_params", x=1.5)["params"] == {"x": 1.5}
    assert time.monotonic() - start >= TIMEOUT_S
    assert len(server.seen) == 2
    (first_peer, first_id, _), (second_peer, second_id, _) = server.seen
    assert first_id == second_id
    assert first_peer != second_peer  # the socket was closed and reopened


def test_gives_up_after_bounded_retries(serve, connect):
    server = serve(lambda rid, m, p, n: [])
    client = connect(server.address, retries=2)
    start = time.monotonic()
    with pytest.raises(ServerUnavailableError) as caught:
        client.call("campaign_status", campaign="c1")
    elapsed = time.monotonic() - start
    assert 3 * TIMEOUT_S * 0.9 <= elapsed < 3 * TIMEOUT_S + 1.5
    message = str(caught.value)
    assert server.address in message and "'campaign_status'" in message and "3 tries" in message
    assert isinstance(caught.value, ConnectionError)
    deadline = time.monotonic() + 1
    while len(server.seen) < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [method for *_, method in server.seen] == ["campaign_status"] * 3 + ["server_ping"]
    assert len({request_id for _, request_id, _ in server.seen[:3]}) == 1
    assert len({peer for peer, _, _ in server.seen}) == 4  # the last: the ping's fresh socket


def test_a_prepared_request_sent_again_keeps_its_id_and_bytes(serve, connect):
    received = []

    def answer_the_third(rid, method, params, n):
        if method == "server_ping":  # the client's ping after its last try: unanswered
            return []
        received.append(params)
        return echo(rid, method, params, n) if len(received) == 3 else []

    server = serve(answer_the_third)
    client = connect(server.address, retries=0)
    request = client.prepare("echo_params", y=np.arange(3.0), tag="a")
    assert isinstance(request, Request) and request.method == "echo_params"
    envelope = protocol.request("echo_params", {"y": np.arange(3.0), "tag": "a"}, id=request.id)
    assert request.frames == (b"", *protocol.encode(envelope))
    for _ in range(2):  # as a driver riding out an outage would
        with pytest.raises(ServerUnavailableError, match=request.id):
            client.send(request)
    assert client.send(request)["params"]["tag"] == "a"
    sent = [
        (peer, request_id) for peer, request_id, method in server.seen if method != "server_ping"
    ]
    assert [request_id for _, request_id in sent] == [request.id] * 3
    assert len({peer for peer, _ in sent}) == 3  # a fresh socket each time
    for params in received:
        np.testing.assert_array_equal(params["y"], np.arange(3.0))


def test_threads_sharing_a_client_take_turns(serve, connect):
    server = serve(echo)
    client = connect(server.address, timeout_s=5.0)
    answers: dict[int, list] = {0: [], 1: []}
    errors: list[BaseException] = []

    def caller(tag: int) -> None:
        try:
            for k in range(40):
                answers[tag].append(client.call("echo_params", tag=tag, k=k)["params"])
        except BaseException as err:  # a raw ZMQError, or a reply meant for the other thread
            errors.append(err)

    threads = [threading.Thread(target=caller, args=(tag,)) for tag in answers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    for tag, got in answers.items():
        assert got == [{"tag": tag, "k": k} for k in range(40)]
    assert len(server.seen) == 80  # no retries: every call was answered on its first try


def test_send_takes_only_a_prepared_request(connect):
    client = connect("tcp://127.0.0.1:1")
    with pytest.raises(InvalidParameterError, match="Client.prepare"):
        client.send("campaign_list")


def test_zero_retries_means_one_try(serve, connect):
    server = serve(lambda rid, m, p, n: [])
    client = connect(server.address, retries=0)
    start = time.monotonic()
    with pytest.raises(ServerUnavailableError, match="1 tries"):
        client.call("m")
    assert time.monotonic() - start < TIMEOUT_S + 1.0


def test_no_server_at_all_is_unavailable(connect):
    client = connect("tcp://127.0.0.1:1", retries=1)  # nothing listens on port 1
    with pytest.raises(ServerUnavailableError, match="2 tries"):
        client.call("m")


def test_error_reply_raises_remote_error(serve, connect):
    error = OutOfSpaceError("x=5.0 is outside [0, 1]; suggest within the space")
    server = serve(lambda rid, m, p, n: [framed(protocol.error_reply(rid, error))])
    client = connect(server.address)
    with pytest.raises(RemoteError, match="x=5.0 is outside") as caught:
        client.call("observation_put", x=5.0)
    assert caught.value.type == "OutOfSpaceError" and isinstance(caught.value, OutOfSpaceError)
    assert len(server.seen) == 1  # an error reply is an answer: no retry


def test_a_driver_catches_a_servers_error_by_the_class_client_exports(serve, connect):
    stopped = CampaignStoppedError("campaign c1 has stopped (operator); create a new one")
    server = serve(lambda rid, m, p, n: [framed(protocol.error_reply(rid, stopped))])
    client = connect(server.address)
    with pytest.raises(CampaignStoppedError) as caught:  # imported from adaptive.client
        client.call("observation_put", x=5.0)
    assert isinstance(caught.value, RemoteError) and caught.value.type == "CampaignStoppedError"
    assert str(caught.value) == f"CampaignStoppedError: {stopped}"


def test_error_reply_without_id_is_raised(serve, connect):
    error = ProtocolError("frame 0 is not valid JSON")
    server = serve(lambda rid, m, p, n: [framed(protocol.error_reply(None, error))])
    client = connect(server.address, retries=0)
    with pytest.raises(RemoteError) as caught:
        client.call("m")
    assert caught.value.type == "ProtocolError"


def test_stale_reply_is_discarded(serve, connect):
    def stale_then_fresh(rid, method, params, n):
        return [framed(protocol.ok_reply("not-" + rid, "stale")), *echo(rid, method, params, n)]

    server = serve(stale_then_fresh)
    client = connect(server.address, retries=0, timeout_s=1.0)
    assert client.call("echo_params", k=1)["params"] == {"k": 1}
    assert len(server.seen) == 1


def test_only_stale_replies_time_out(serve, connect):
    server = serve(lambda rid, m, p, n: [framed(protocol.ok_reply("old", 1))])
    client = connect(server.address, retries=1)
    with pytest.raises(ServerUnavailableError, match="2 tries"):
        client.call("m")


def test_reply_without_delimiter_is_protocol_error(serve, connect):
    server = serve(lambda rid, m, p, n: [protocol.encode(protocol.ok_reply(rid, 1))])
    client = connect(server.address, retries=0)
    with pytest.raises(ProtocolError, match="delimiter"):
        client.call("m")


def test_malformed_reply_is_protocol_error(serve, connect):
    server = serve(lambda rid, m, p, n: [[b"", b'{"v": 1, "id": "' + rid.encode() + b'"}']])
    client = connect(server.address, retries=0)
    with pytest.raises(ProtocolError, match="boolean 'ok'"):
        client.call("m")


def test_unencodable_params_fail_before_sending(serve, connect):
    server = serve(echo)
    client = connect(server.address)
    with pytest.raises(InvalidParameterError, match="JSON"):
        client.call("m", x=float("nan"))
    with pytest.raises(InvalidParameterError, match="dtype"):
        client.call("m", y=np.zeros(2, dtype=complex))
    assert client.call("m", x=1.0)["params"] == {"x": 1.0}
    assert len(server.seen) == 1


def test_method_may_be_passed_as_a_parameter_name(serve, connect):
    client = connect(serve(echo).address)
    assert client.call("echo_params", method="linear")["params"] == {"method": "linear"}


def test_context_manager_closes_the_socket():
    ctx = zmq.Context()
    server = RouterServer(ctx, echo)
    try:
        with Client(server.address, timeout_s=TIMEOUT_S, context=ctx) as client:
            assert client.call("echo_params")["method"] == "echo_params"
    finally:
        server.stop()
    terminate(ctx)  # blocks (and fails) if the client left its socket open


def test_default_context(serve):
    server = serve(echo)
    with Client(server.address, timeout_s=1.0) as client:
        assert client.call("echo_params", a=[1, 2])["params"] == {"a": [1, 2]}


def test_client_id_and_sequence():
    first, second = Client("tcp://127.0.0.1:1"), Client("tcp://127.0.0.1:1", client_id="rig-7")
    assert len(first.client_id) == 32 and int(first.client_id, 16) >= 0
    assert first.client_id != Client("tcp://127.0.0.1:1").client_id
    assert second.client_id == "rig-7"
    assert [first.next_sequence() for _ in range(3)] == [1, 2, 3]
    assert second.next_sequence() == 1
    assert "rig-7" in repr(second)


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"timeout_s": 0}, "timeout_s"),
        ({"timeout_s": float("nan")}, "timeout_s"),
        ({"timeout_s": 1e7}, "timeout_s"),  # over the int32 milliseconds ZeroMQ holds
        ({"timeout_s": "1"}, "timeout_s"),
        ({"timeout_s": True}, "timeout_s"),
        ({"timeout_s": np.float64("nan")}, "timeout_s"),
        ({"retries": -1}, "retries"),
        ({"retries": 1.5}, "retries"),
        ({"retries": True}, "retries"),
        ({"client_id": ""}, "client_id"),
    ],
)
def test_rejects_bad_settings(options, match):
    with pytest.raises(InvalidParameterError, match=match):
        Client("tcp://127.0.0.1:1", **options)


@pytest.mark.parametrize("seconds", [np.float32(2.0), np.int64(2), np.float64(0.5), 2])
def test_takes_any_real_number_of_seconds(seconds):
    client = Client("tcp://127.0.0.1:1", timeout_s=seconds, retries=np.int64(1))
    assert type(client.timeout_s) is float and client.timeout_s == float(seconds)
    assert type(client.retries) is int and client.retries == 1


def test_bad_address_is_invalid_parameter(context):
    with pytest.raises(InvalidParameterError, match="address"):
        Client("")
    client = Client("nonsense://x", timeout_s=TIMEOUT_S, context=context)
    with pytest.raises(InvalidParameterError, match="cannot connect"):
        client.call("m")
    client.close()


@pytest.mark.parametrize(("method", "may_be_done"), [("observation_put", True), ("m", False)])
def test_an_unanswered_request_rides_on_its_error(serve, connect, method, may_be_done):
    client = connect(serve(lambda rid, m, p, n: []).address, retries=0)
    with pytest.raises(ServerUnavailableError) as caught:
        client.call(method, campaign_id="c1")
    request = caught.value.request
    assert isinstance(request, Request) and request.method == method
    assert request.id in str(caught.value)
    said = "may have done this observation_put already" in str(caught.value)
    assert said == ("client.send(err.request)" in str(caught.value)) == may_be_done


@pytest.mark.parametrize(
    ("method", "advice"),
    [
        ("suggestions_get", None),  # the journal keeps which request made a batch
        ("campaign_create", None),  # a campaign without an id is named by its request
        ("observation_put", None),  # and the put a request made
    ],
)
def test_an_unanswered_request_says_what_a_restarted_server_does_with_it(
    serve, connect, method, advice
):
    client = connect(serve(lambda rid, m, p, n: []).address, retries=0)
    with pytest.raises(ServerUnavailableError) as caught:
        client.call(method, campaign_id="c1")
    said = str(caught.value)
    assert ("A server restarted since" in said) == (advice is not None)
    assert advice is None or advice in said


def test_resending_the_request_of_an_unanswered_put_journals_one_reading(tmp_path):
    slow = adaptive.server.Server(tmp_path / "journal.sqlite", bind="tcp://127.0.0.1:0")
    handler = slow.methods["observation_put"]

    @functools.wraps(handler)  # keeps the signature the dispatcher checks
    def slowly(**params):
        time.sleep(0.6)  # longer than the client waits
        return handler(**params)

    slow.methods["observation_put"] = slowly
    slow.start()
    space = {"dimensions": [{"name": "energy", "low": 7000.0, "high": 7300.0}]}
    try:
        with Client(slow.endpoint, timeout_s=10) as setup:
            created = setup.call("campaign_create", space=space, strategy={"name": "grid"})
        campaign_id = created["campaign_id"]
        with Client(slow.endpoint, timeout_s=0.2, retries=1) as client:
            put = {"campaign_id": campaign_id, "point": {"energy": 7100.0}, "value": 1.0}
            with pytest.raises(ServerUnavailableError) as caught:
                client.call("observation_put", **put)
            for _ in range(10):  # as its message says, until the server answers
                try:
                    reply = client.send(caught.value.request)
                    break
                except ServerUnavailableError:
                    pass
        assert reply["n_observations"] == 1
        with Client(slow.endpoint, timeout_s=10) as check:
            assert check.call("campaign_status", campaign_id=campaign_id)["n_observations"] == 1
    finally:
        slow.stop()


@pytest.mark.parametrize("client_id", [None, "beamline-7"])
def test_a_put_resent_after_a_server_restart_is_journaled_once_whatever_the_client_id(
    server, client_id
):
    space = {"dimensions": [{"name": "energy", "low": 7000.0, "high": 7300.0}]}
    with Client(server.endpoint, timeout_s=10, retries=0, client_id=client_id) as client:
        created = client.call("campaign_create", space=space, strategy={"name": "random"})
        put = {"campaign_id": created["campaign_id"], "point": {"energy": 7100.0}, "value": 1.0}
        request = client.prepare("observation_put", **put)
        assert client.send(request)["n_observations"] == 1
        server.stop()  # its reply cache goes with it: the reply was lost, say
        restarted = adaptive.server.Server(server.journal_path, bind=server.endpoint)
        restarted.start()
        try:
            again = client.send(request)  # the resend the error's message advises
        finally:
            restarted.stop()
    assert again["duplicate"] and again["n_observations"] == 1


def test_clients_that_reuse_a_chosen_id_key_their_puts_apart():
    first, second = (Client("tcp://127.0.0.1:1", client_id="rig-7") for _ in range(2))
    assert first.client_id == second.client_id == "rig-7"
    assert first.put_id.startswith("rig-7/") and first.put_id != second.put_id
    fresh = Client("tcp://127.0.0.1:1")
    assert fresh.put_id == fresh.client_id


def test_a_put_of_a_nan_value_names_the_value_and_failed_before_encoding(connect):
    client = connect("tcp://127.0.0.1:9")  # nothing is sent: prepare refuses first
    with pytest.raises(InvalidParameterError, match=r"value=nan .*send failed='<why>'"):
        client.prepare("observation_put", campaign_id="c", point={"x": 1.0}, value=math.nan)
    with pytest.raises(InvalidParameterError, match="uncertainty=inf must be a finite number"):
        client.prepare(
            "observation_put", campaign_id="c", point={"x": 1.0}, value=1.0, uncertainty=math.inf
        )
