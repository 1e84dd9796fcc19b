"""Review Z23 (controls): threads that share one Client (they take turns on its socket)
release batches through the loop's single-try sends without touching the client's
``retries``: two releases at once had left them 0 for good, and meanwhile other threads'
calls had one try. A single-try send is ``Client.send(request, retries=0)``."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import zmq

from adaptive import protocol
from adaptive.client import Client
from adaptive.errors import InvalidParameterError, ServerUnavailableError
from drivers.loop import _release

TIMEOUT_S = 0.2


class SilentServer:
    """A ROUTER on loopback that answers nothing and records the method of every request."""

    def __init__(self, context: zmq.Context):
        self._socket = context.socket(zmq.ROUTER)
        self._socket.setsockopt(zmq.LINGER, 0)
        self.address = f"tcp://127.0.0.1:{self._socket.bind_to_random_port('tcp://127.0.0.1')}"
        self.methods: list[str] = []
        self.received = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        try:
            while not self._stop.is_set():
                if self._socket.poll(20):
                    _identity, _delimiter, *frames = self._socket.recv_multipart()
                    _id, method, _params = protocol.parse_request(protocol.decode(frames))
                    with self.received:
                        self.methods.append(method)
                        self.received.notify_all()
        finally:
            self._socket.close(linger=0)

    def wait_for(self, method: str) -> None:
        """Block until a request of ``method`` has arrived."""
        with self.received:
            assert self.received.wait_for(lambda: method in self.methods, timeout=5)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)


@contextmanager
def silent_client(retries: int) -> Iterator[tuple[SilentServer, Client]]:
    """A silent server and a client of it that waits ``TIMEOUT_S`` per try."""
    context = zmq.Context()
    server = SilentServer(context)
    try:
        with Client(server.address, timeout_s=TIMEOUT_S, retries=retries, context=context) as c:
            yield server, c
    finally:
        server.stop()
        context.term()


def test_releases_at_once_keep_the_shared_clients_retries_for_every_thread():
    with silent_client(retries=2) as (server, client):
        unanswered: list[str] = []

        def status() -> None:
            with pytest.raises(ServerUnavailableError) as caught:
                client.call("campaign_status", campaign_id="c1")
            unanswered.append(str(caught.value))

        first = threading.Thread(target=_release, args=(client, "c1", [{"id": "s1"}]))
        first.start()
        server.wait_for("suggestions_release")  # the first holds the socket, in its one try
        others = [
            threading.Thread(target=_release, args=(client, "c1", [{"id": "s2"}])),
            threading.Thread(target=status),
        ]
        for thread in others:
            thread.start()
        for thread in (first, *others):
            thread.join(timeout=10)
        assert client.retries == 2
        assert server.methods.count("suggestions_release") == 2  # one try each
        assert server.methods.count("campaign_status") == 3  # retries + 1, as the client's
        assert len(unanswered) == 1 and "after 3 tries" in unanswered[0]


def test_a_send_takes_its_own_retries_and_leaves_the_clients():
    with silent_client(retries=3) as (server, client):
        request = client.prepare("campaign_status", campaign_id="c1")
        with pytest.raises(ServerUnavailableError, match="after 2 tries"):
            client.send(request, retries=1)
        assert server.methods.count("campaign_status") == 2 and client.retries == 3
        with pytest.raises(InvalidParameterError, match=r"retries=-1 must be an integer >= 0"):
            client.send(request, retries=-1)
