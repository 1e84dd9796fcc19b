"""A request/reply client: the ZeroMQ guide's Lazy Pirate pattern.

Framing: the client uses a DEALER socket that emulates REQ. It sends
``[b"", frame0, frame1, ...]`` (an empty delimiter, then the frames from
:func:`adaptive.protocol.encode`), so a ROUTER server sees exactly what a REQ peer
would send, ``[identity, b"", frame0, ...]``, and answers ``[identity, b"", *reply]``.
Unlike REQ, a DEALER may keep waiting after a stale reply, so replies whose id is not
the request's are dropped and waiting goes on until the timeout.

On timeout the socket is closed (``linger=0``), a new one connects, and the same
request (same id, so the server can de-duplicate) is sent again, ``retries`` times
at most; then :class:`~adaptive.errors.ServerUnavailableError` is raised, carrying the
unanswered :class:`Request` as its ``request``; its message says whether the server
answered a ``server_ping`` (sent once, on a fresh socket): up but busy, not gone. To
keep retrying past that, :meth:`Client.send` that request again (or
:meth:`Client.prepare` one and send it as often as needed): its copies are the same
bytes, so a server that was only slow answers them from its reply cache instead of
doing the work again. Calling :meth:`Client.call` again instead makes a new request,
which a server that did the first one does again: an ``observation_put`` of one reading
is journaled twice, unless both name the same ``client_id`` and ``sequence``.
"""

from __future__ import annotations

import itertools
import math
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any, Self

import zmq

from adaptive import protocol
from adaptive.arrays import check_int, is_real
from adaptive.errors import (
    AnalysisError,
    CampaignStoppedError,
    InstrumentFailingError,
    InstrumentStateError,
    InvalidParameterError,
    JournalError,
    OutOfSpaceError,
    ProtocolError,
    RemoteError,
    ServerStartError,
    ServerUnavailableError,
    UnknownCampaignError,
    UnknownSuggestionError,
)
from adaptive.protocol import MAX_SUGGESTIONS
from adaptive.records import reading_number

# what a driver needs, so that drivers import nothing else of adaptive: the errors its
# instrument raises, the loop's when it gives up, and those of the server's replies it may
# catch by their class
__all__ = [
    "MAX_SUGGESTIONS",
    "AnalysisError",
    "CampaignStoppedError",
    "Client",
    "InstrumentFailingError",
    "InstrumentStateError",
    "InvalidParameterError",
    "JournalError",
    "OutOfSpaceError",
    "RemoteError",
    "Request",
    "ServerStartError",
    "ServerUnavailableError",
    "UnknownCampaignError",
    "UnknownSuggestionError",
]

#: Longest timeout, s: ZeroMQ keeps socket timeouts as int32 milliseconds.
MAX_TIMEOUT_S = (2**31 - 1) // 1000

#: Longest wait, s, for the ping that tells a busy server from a missing one once a
#: request's tries have all timed out.
PING_TIMEOUT_S = 1.0


@dataclass(frozen=True)
class Request:
    """One encoded request, from :meth:`Client.prepare`; every send of it is the same bytes.

    Attributes:
        method: the server method name.
        id: the request id its reply carries.
        frames: what is sent: the empty delimiter frame, then the encoded envelope.
    """

    method: str
    id: str
    frames: tuple[bytes, ...]


class Client:
    """Calls server methods over ZeroMQ with bounded timeouts and retries.

    Args:
        address: the server endpoint, e.g. ``"tcp://127.0.0.1:5555"``.
        timeout_s: seconds to wait for each reply (per try); must be finite and > 0.
        retries: how many times to resend after a timeout (0 means one try only).
        client_id: this client's id; a fresh uuid hex if omitted. Its plain observation
            puts are keyed under ``put_id``: that fresh id, or ``<client_id>/<12 hex>`` new
            to this instance, so a restarted script that reuses its id reuses no key.
        context: the ZeroMQ context; ``zmq.Context.instance()`` if omitted. The
            client never terminates it.

    Example:
        >>> with Client("tcp://127.0.0.1:5555", timeout_s=1.0) as client:  # doctest: +SKIP
        ...     client.call("campaign_status", campaign_id="c1")
    """

    def __init__(
        self,
        address: str,
        timeout_s: float = 5.0,
        retries: int = 3,
        client_id: str | None = None,
        context: zmq.Context | None = None,
    ):
        if not isinstance(address, str) or not address:
            raise InvalidParameterError(
                f"address must be an endpoint string like 'tcp://127.0.0.1:5555', got {address!r}"
            )
        if not is_real(timeout_s) or not 0 < timeout_s <= MAX_TIMEOUT_S:
            raise InvalidParameterError(
                f"timeout_s={timeout_s!r} must be a number of seconds > 0 and at most "
                f"{MAX_TIMEOUT_S} (24 days)"
            )
        retries = check_int("retries", retries, 0)
        if client_id is not None and (not isinstance(client_id, str) or not client_id):
            raise InvalidParameterError(f"client_id must be a non-empty str, got {client_id!r}")
        self.address = address
        self.timeout_s = float(timeout_s)
        self.retries = retries
        self.client_id = client_id or uuid.uuid4().hex
        self.put_id = (
            self.client_id if client_id is None else f"{client_id}/{uuid.uuid4().hex[:12]}"
        )
        self._context = context
        self._socket: zmq.Socket | None = None
        self._sequence = itertools.count(1)
        self._turn = threading.Lock()  # threads sharing a client take turns on its socket

    def __repr__(self) -> str:
        return (
            f"Client({self.address!r}, timeout_s={self.timeout_s}, retries={self.retries}, "
            f"client_id={self.client_id!r})"
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def next_sequence(self) -> int:
        """Return 1, 2, 3, ...: with ``put_id`` it keys idempotent observation puts."""
        return next(self._sequence)

    def call(self, method: str, /, **params: Any) -> Any:
        """Call ``method`` on the server and return its result.

        Args:
            method: the server method name, ``"resource_verb"``.
            **params: its parameters; numpy arrays travel as binary frames.

        Returns:
            The reply's ``result``.

        Raises:
            InvalidParameterError: the parameters cannot be encoded.
            RemoteError: the server answered with an error; ``.type`` names its class,
                and one of ``adaptive.errors`` is raised as that class too (see
                ``protocol.REMOTE_ERRORS``): ``except CampaignStoppedError`` catches it.
            ProtocolError: the server's reply is malformed.
            ServerUnavailableError: no reply after ``retries + 1`` tries; to try again,
                ``send(err.request)``, not ``call`` (see :meth:`send`).
        """
        return self.send(self.prepare(method, **params))

    def prepare(self, method: str, /, **params: Any) -> Request:
        """Encode a call once, to :meth:`send` it as often as needed under one id.

        An ``observation_put`` without ``client_id`` and ``sequence`` (absent or None) gets
        ``put_id`` and the next sequence, so a resend after a server restart (whose reply
        cache is gone) is journaled once.

        Args:
            method: the server method name, ``"resource_verb"``.
            **params: its parameters; numpy arrays travel as binary frames.

        Raises:
            InvalidParameterError: the parameters cannot be encoded (an observation's
                ``value``, ``uncertainty`` or ``point`` value of NaN or inf says what to
                send instead).
            ProtocolError: the request is over ``protocol.MAX_REQUEST_BYTES``.
        """
        if method == "observation_put":
            for name in ("value", "uncertainty"):  # JSON cannot carry NaN/inf: say why here
                if protocol.not_finite(params.get(name)):
                    reading_number(name, params[name])
            point = params.get("point")
            for name, coordinate in point.items() if isinstance(point, dict) else ():
                if protocol.not_finite(coordinate):
                    raise InvalidParameterError(
                        f"point {name}={coordinate!r} must be a finite number",
                        "send the position measured (its readback, or the setpoint), or, for "
                        "a reading that failed, the suggested point with failed='<why>'",
                    )
            if params.get("client_id") is None and params.get("sequence") is None:
                params = {**params, "client_id": self.put_id, "sequence": self.next_sequence()}
        envelope = protocol.request(method, params)
        frames = protocol.encode(envelope)
        protocol.check_request_size(frames)  # the server would refuse it, or drop the peer
        return Request(method, envelope["id"], (b"", *frames))

    def send(self, request: Request, *, retries: int | None = None) -> Any:
        """Send a prepared request, retrying as :meth:`call` does, and return its result.

        Threads sharing a client take turns: each call holds its socket until answered
        (or given up), so calls meant to run side by side need a client per thread.
        Sent again after a :class:`~adaptive.errors.ServerUnavailableError`, it is the
        same bytes, so the server answers copies it has already handled from its cache
        (an ``observation_put`` keyed by ``client_id`` and ``sequence`` is answered as a
        duplicate even by a restarted server).

        Args:
            request: from :meth:`prepare`.
            retries: how many times to resend after a timeout, for this send alone (0: one
                try); the client's ``retries`` if None. Other threads' sends keep theirs.

        Raises:
            InvalidParameterError: ``request`` is not a :class:`Request`, or ``retries`` is
                not an int >= 0.
            RemoteError: the server answered with an error, as :meth:`call` raises it.
            ProtocolError: the server's reply is malformed.
            ServerUnavailableError: no reply after ``retries + 1`` tries (the message says
                whether the server still answers a ping); its ``request`` is ``request``,
                to send again. A method in ``protocol.STATE_CHANGING`` may have been done
                all the same: its message says so.
        """
        if not isinstance(request, Request):
            raise InvalidParameterError(
                f"request must be a Request from Client.prepare(method, **params), got {request!r}"
            )
        tries = 1 + (self.retries if retries is None else check_int("retries", retries, 0))
        with self._turn:
            reply, answers_ping = self._exchange(request, tries)
        if reply is not None:
            return protocol.unwrap_reply(reply)
        if answers_ping:
            message = (
                f"the server at {self.address} is up but has not answered this "
                f"{request.method!r} (request id {request.id}) within {tries} tries of "
                f"{self.timeout_s:g} s (a long model fit, on this or another campaign): raise "
                "timeout_s, or pass outage_s to run_driver"
            )
        else:
            message = (
                f"no reply from {self.address} to {request.method!r} (request id {request.id}) "
                f"after {tries} tries ({tries} timeouts of {self.timeout_s:g} s); check that the "
                "server is running at that address, or raise timeout_s/retries (a driver loop: "
                "pass outage_s to run_driver to ride out a server restart, and restart a driver "
                "that gave up with resume_pending=True to measure what it left)"
            )
        if request.method in protocol.STATE_CHANGING:
            message += (
                f". The server may have done this {request.method} already: to try again, "
                "resend the same request with client.send(err.request), which a server that "
                "did it answers with its first reply (a put with client_id and sequence: as a "
                "duplicate); client.call() again is a new request, done twice"
            )
        err = ServerUnavailableError(message)
        err.request = request
        raise err

    def close(self) -> None:
        """Close the socket (``linger=0``). A later :meth:`call` opens a new one."""
        with self._turn:
            self._close_socket()

    def _exchange(self, request: Request, tries: int) -> tuple[dict | None, bool]:
        """Send ``request`` up to ``tries`` times: (its reply envelope, True), or (None,
        whether the server still answers a ping); one caller at a time (``send``)."""
        frames = list(request.frames)
        for attempt in range(tries):
            if attempt:
                self._close_socket()  # Lazy Pirate: a fresh socket for every retry
            reply = self._try_once(frames, request.id, self.timeout_s)
            if reply is not None:
                return reply, True
        self._close_socket()  # drop the unanswered request
        return None, request.method != "server_ping" and self._answers_ping()

    def _open_socket(self) -> zmq.Socket:
        if self._socket is None:
            context = self._context or zmq.Context.instance()
            sock = context.socket(zmq.DEALER)
            sock.setsockopt(zmq.LINGER, 0)
            sock.setsockopt(zmq.IPV6, "[" in self.address)  # tcp://[::1]:5556
            sock.setsockopt(zmq.SNDTIMEO, max(1, round(self.timeout_s * 1000)))
            try:
                sock.connect(self.address)
            except zmq.ZMQError as err:
                sock.close(linger=0)
                raise InvalidParameterError(
                    f"cannot connect to {self.address!r} ({err}); use an endpoint like "
                    "'tcp://127.0.0.1:5555'"
                ) from err
            self._socket = sock
        return self._socket

    def _close_socket(self) -> None:
        if self._socket is not None:
            self._socket.close(linger=0)
            self._socket = None

    def _answers_ping(self) -> bool:
        """Whether the server answers a ``server_ping`` on a fresh socket within
        ``PING_TIMEOUT_S`` (or ``timeout_s``, if shorter)."""
        ping = self.prepare("server_ping")
        try:
            reply = self._try_once(list(ping.frames), ping.id, min(self.timeout_s, PING_TIMEOUT_S))
        except ProtocolError:  # something answers, but not as our server does
            return False
        finally:
            self._close_socket()
        return reply is not None

    def _try_once(self, frames: list[bytes], request_id: str, timeout_s: float) -> dict | None:
        """Send once and wait up to ``timeout_s``; the reply envelope, or None on timeout."""
        deadline = time.monotonic() + timeout_s
        sock = self._open_socket()
        try:
            sock.send_multipart(frames)
        except zmq.Again:
            return None
        poller = zmq.Poller()
        poller.register(sock, zmq.POLLIN)
        while (remaining := deadline - time.monotonic()) > 0:
            if not poller.poll(max(1, math.ceil(remaining * 1000))):
                return None
            message = sock.recv_multipart()
            if not message or message[0] != b"":
                raise ProtocolError(
                    f"reply from {self.address} lacks the empty delimiter frame; the server "
                    "must answer a REQ-style peer with [identity, b'', *frames]"
                )
            reply = protocol.decode(message[1:], "reply")
            reply_id = reply.get("id")
            if reply_id == request_id or (reply_id is None and reply.get("ok") is False):
                return reply  # ours, or an error the server could not tie to a request
            # A stale reply to some earlier request: drop it and keep waiting.
        return None
