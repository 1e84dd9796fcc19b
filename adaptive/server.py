"""The ZeroMQ ROUTER server: decode, validate, journal, dispatch, reply.

A REQ peer sends ``[frame0, ...]`` (its socket adds the empty delimiter), a DEALER
``[b"", frame0, ...]`` (see ``adaptive.client``); the ROUTER sees
``[identity, b"", frame0, ...]`` and answers ``[identity, b"", *reply]``.
Every request gets a reply; errors are replies (a DEALER that leaves out the empty
delimiter frame, or a REQ peer that adds one more, gets a ``ProtocolError``; a bug met
while answering one, an error reply typed as the bug's class, e.g. ``ValueError``, and
the server serves on). A request seen recently (the same bytes: a client's retry resends
its frames) gets the cached reply again, so a retry never does the work twice, while
another request that reuses its id is served anew.
Request ids must therefore be unique across peers (``protocol.request`` uses a uuid):
two peers that send byte-identical requests under one id are answered as one request.

Only the serving thread touches the socket. It answers pings, campaign lists, cached
replies and malformed requests itself, and hands every other request to its campaign's
worker thread (requests naming no campaign share one), which runs them in arrival order
and hands the replies back. A long ``campaign_insights`` holds up no request: its
campaign's worker only copies the data, and the SHAP runs on a second worker of that
campaign. A copy of a request (the same bytes: a retry, of a read too) that arrives while
the request is queued or running is not run again: it gets the request's reply.

A stopping server reads no new request (its client's retry reaches the next server) and
sends the replies of the requests in progress that end within ``WORKER_GRACE_S`` (a
``campaign_insights`` whose campaign's data were read runs its SHAP then too). A request
for which no worker thread can be started (the process is out of threads or memory) gets
a ``ServerStartError`` reply, and its campaign's next request tries again.

The server logs on stderr one line per campaign created, resumed or stopped and per error
reply: UTC time, method, campaign, client (the ``client_id`` of a put, the one request that
carries it; else the connection's ZeroMQ identity in hex, which tells connections apart
within one server run only), request id, and what happened; a bug's traceback follows its
line. Successful puts, suggestions and reads are not logged. A thread of the log's own
(``adaptive.stderr_log``) writes the lines, so a stderr that blocks (a pipe nobody reads)
holds up no request: the lines wait for it, up to ``LOG_QUEUE_LINES``, and those past them
are dropped and counted.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import os
import queue
import re
import reprlib
import socket as unix_socket
import stat
import textwrap
import threading
import time
import traceback
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import torch
import zmq

from adaptive import protocol
from adaptive.arrays import is_finite_real, is_int, real_array
from adaptive.campaign import FAILED_EVENT, Campaign
from adaptive.errors import (
    AdaptiveError,
    AnalysisError,
    CampaignStoppedError,
    InvalidParameterError,
    ProtocolError,
    ServerStartError,
    StrategyError,
    UnknownMethodError,
)
from adaptive.insights import prepare_insights
from adaptive.journal import Journal, claim_for_serving
from adaptive.options import check_options
from adaptive.records import Observation, Spectrum
from adaptive.stamps import stamped
from adaptive.stderr_log import STDERR

REPLY_CACHE_SIZE = 1024
#: Errors of an ``observation_put`` that journaled the measurement as an event (see
#: ``Campaign.observe``): cached like a success, so a resent put does not journal it again.
JOURNALED_ERRORS = (AnalysisError, CampaignStoppedError)
#: The most points one ``model_predict`` call takes (a model's memory grows with them).
MAX_PREDICT_POINTS = 100_000
#: Hex digits of a request's digest that name the campaign a ``campaign_create`` with no
#: ``campaign_id`` makes (so a resend finds it), and pick the worker it runs on.
REQUEST_NAME_CHARS = 12
#: Cheap reads of no campaign, answered by the serving thread itself.
LOOP_METHODS = frozenset({"server_ping", "campaign_list"})
#: Seconds a server start retries an address in use (a server stopped just before).
BIND_RETRY_S = 1.0
#: Seconds a stopping server waits for its workers' requests in progress to end.
WORKER_GRACE_S = 5.0
#: Milliseconds ZeroMQ keeps delivering the last replies after a stopped server's socket closed.
REPLY_LINGER_MS = 1000
#: The most characters of an error message or stop reason a log line keeps, its
#: whitespace (newlines too) collapsed: one line per event (the client gets all of it).
LOG_MESSAGE_CHARS = 300
#: Seconds of requests the workers run between two ``malloc_trim`` calls, which hand the C
#: heap's free pages back to the system: glibc keeps what GP fits free (a 1,000-point energy
#: scan grew the server from 540 to 740-800 MB; with these trims, to 610), and a trim takes
#: ~5 ms (a trim after every request kept 550 MB but made suggestions 20 % slower).
TRIM_EVERY_S = 1.0
try:  # glibc's; macOS's C library has none, and its servers trim nothing
    _malloc_trim = ctypes.CDLL(None).malloc_trim
except AttributeError:
    _malloc_trim = None
_SHORT = reprlib.Repr()  # a log line's ids: whole up to 64 characters, escaped
_SHORT.maxstring = _SHORT.maxother = 64


class Server:
    """Serves campaigns from one journal file.

    ``with Server(journal, bind) as server:`` starts it (``server.endpoint`` is its
    endpoint) and stops it at the end of the block, even on an exception.

    Args:
        journal: path of the SQLite journal (created when missing).
        bind: ZeroMQ endpoint; port 0 picks a free port (see ``endpoint``).
    """

    def __init__(self, journal: str | Path, bind: str = "tcp://127.0.0.1:5555"):
        self.journal_path = Path(journal)
        self.bind = bind
        self.endpoint: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._replies: OrderedDict[bytes, list[bytes]] = OrderedDict()
        self._replies_lock = threading.Lock()  # workers fill the cache, all threads read it
        self._start_error: BaseException | None = None
        self.workers_left_running = 0  # workers a stop abandoned mid-request (see stop)
        self._workers: _Workers | None = None
        self._request = threading.local()  # the request its thread answers (see _campaign)
        self.methods = {
            "server_ping": self.server_ping,
            "campaign_create": self.campaign_create,
            "campaign_list": self.campaign_list,
            "campaign_status": self.campaign_status,
            "campaign_stop": self.campaign_stop,
            "suggestions_get": self.suggestions_get,
            "suggestions_pending": self.suggestions_pending,
            "suggestions_release": self.suggestions_release,
            "observation_put": self.observation_put,
            "observations_get": self.observations_get,
            "model_predict": self.model_predict,
            "campaign_insights": self.campaign_insights,
        }

    # ------------------------------------------------------------------ transport
    def start(self, timeout_s: float = 10.0) -> str:
        """Bind, open the journal, and serve in a background thread; return the endpoint.

        A stopped server may be started again (port 0 then picks a new port); a server
        still serving, or still stopping, may not.

        Args:
            timeout_s: how long to wait for the bind and the journal, s (finite, > 0).

        Raises:
            ServerStartError: the server is serving or stopping already; the endpoint is in
                use or malformed, or binding and opening the journal took over ``timeout_s``
                (the late server then stops at once).
            JournalError: the journal cannot be opened, or another server serves it.
        """
        if not is_finite_real(timeout_s) or timeout_s <= 0:
            raise InvalidParameterError(f"timeout_s={timeout_s!r} must be a number of seconds > 0")
        if self._thread is not None and self._thread.is_alive():
            doing = "stopping" if self._stop.is_set() else f"serving on {self.endpoint}"
            raise ServerStartError(
                f"the server is {doing} already; call stop() before start() again, and use "
                "either start() or `with server:`, not both"
            )
        self._stop = threading.Event()  # the workers of an earlier run keep the set one
        self._start_error = None
        ready = threading.Event()
        self._thread = threading.Thread(target=self.serve_forever, args=(ready,), daemon=True)
        self._thread.start()
        if not ready.wait(timeout_s):
            self._stop.set()
            raise ServerStartError(
                f"the server did not start within {timeout_s:g} s: binding {self.bind} or "
                f"opening the journal {str(self.journal_path)!r} hangs; check that the "
                "journal's disk (a network mount?) answers, and give the endpoint's host as "
                "an IP address, not a name to look up"
            )
        if isinstance(self._start_error, zmq.ZMQBaseError):
            raise ServerStartError(
                f"cannot serve on {self.bind}: {self._start_error}; give an endpoint such as "
                "tcp://127.0.0.1:5556 whose port is free, or tcp://127.0.0.1:0 for any free port"
            ) from self._start_error
        if self._start_error is not None:
            raise self._start_error
        return self.endpoint

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def requests_in_progress(self) -> int:
        """How many requests the campaigns' workers are running: what ``stop`` waits for."""
        return 0 if self._workers is None else self._workers.busy()

    def stop(self) -> None:
        """Stop serving: no new request is read; requests in progress get
        ``WORKER_GRACE_S`` to end, and their replies are sent; those still running after it
        are abandoned (``workers_left_running`` counts them: a process that exits with such
        a thread inside torch should leave by ``os._exit``). The log's lines are written
        before it returns (up to ``stderr_log.LOG_DRAIN_S``: stderr may take none)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(WORKER_GRACE_S + 5)
        STDERR.drain()

    def serve_forever(self, ready: threading.Event | None = None) -> None:
        """Serve until ``stop()``; the socket is owned by this thread, the journal shared
        with the campaigns' workers, which ``stop()`` abandons mid-request after its grace
        (uncommitted work is lost; their replies are dropped).

        Raises: the endpoint cannot be bound (``zmq.ZMQError`` "Address already in use";
        ``start()`` raises it as ``ServerStartError``; a tcp port outside 0..65535 is a
        ``ServerStartError`` here), or the journal opened or claimed (``JournalError``:
        another server serves it).
        """
        # Each entry is read and written only by its campaign's worker (see _Workers).
        self.campaigns: dict[str, Campaign] = {}
        stop = self._stop
        socket = zmq.Context.instance().socket(zmq.ROUTER)
        socket.setsockopt(zmq.LINGER, 0)
        # an IPv6 address ([::1]) needs it; with it, IPv4 ones would read back as [::ffff:...]
        socket.setsockopt(zmq.IPV6, "[" in self.bind)
        # a frame this large is not even received (its peer is disconnected): a typed reply
        # below needs the frames in memory first
        socket.setsockopt(zmq.MAXMSGSIZE, 4 * protocol.MAX_REQUEST_BYTES)
        self.journal, lock = None, None
        try:  # bind first: a busy endpoint leaves no journal file behind
            host, _, port = self.bind.rpartition(":")
            number = re.fullmatch(r"[0-9]{1,5}", port) and int(port) <= 65535
            if self.bind.startswith("tcp://") and not (port == "*" or number):
                raise ServerStartError(  # ZeroMQ would wrap 99999 round to 34463
                    f"cannot serve on {self.bind}: its port is not a number from 0 to 65535; "
                    "give an endpoint such as tcp://127.0.0.1:5556, or tcp://127.0.0.1:0 for "
                    "any free port"
                )
            if port in ("0", "*"):
                socket.bind_to_random_port(host)
            else:
                _bind(socket, self.bind)
            self.endpoint = socket.getsockopt_string(zmq.LAST_ENDPOINT)
            lock = claim_for_serving(self.journal_path)
            self.journal = Journal(self.journal_path, serving=True)
            try:
                workers = self._workers = _Workers(self._answer, stop)
            except OSError as err:  # its wake-up pipe
                raise ServerStartError(
                    f"cannot start the server's workers: {err}; the process is out of file "
                    "descriptors? Close some, or raise the limit (ulimit -n)"
                ) from err
        except Exception as err:
            socket.close(linger=0)
            if self.journal is not None:
                self.journal.close()
            if lock is not None:
                lock.close()
            if ready is None:
                raise
            self._start_error = err  # start() raises it in the caller's thread
            return
        finally:
            if ready is not None:
                ready.set()
        # the digest of each request queued or running -> the peers of its copies since
        self._copies: dict[bytes, list[bytes]] = {}
        poller = zmq.Poller()
        poller.register(socket, zmq.POLLIN)
        poller.register(workers.wake_fd, zmq.POLLIN)
        try:
            while not stop.is_set():
                ready_now = dict(poller.poll(100))
                if socket in ready_now:
                    identity, *frames = socket.recv_multipart()
                    try:
                        reply = self._receive(identity, frames, workers)
                    except Exception as err:  # a bug: this request's error reply; serve on
                        request_id = protocol.request_id(frames[1:])
                        reply = protocol.encode(_refuse(identity, request_id, "?", {}, err))
                    if reply is not None:
                        socket.send_multipart([identity, b"", *reply])
                if workers.wake_fd in ready_now:
                    self._send_replies(socket, workers)
            poller.unregister(socket)  # stopping: the requests in progress end and are answered
            deadline = time.monotonic() + WORKER_GRACE_S
            while workers.running() and (left_s := deadline - time.monotonic()) > 0:
                poller.poll(min(100, 1000 * left_s))
                self._send_replies(socket, workers)
            self._send_replies(socket, workers)
        finally:
            self.workers_left_running = workers.close()
            socket.close(linger=REPLY_LINGER_MS)
            self.journal.close()
            lock.close()

    def _send_replies(self, socket: zmq.Socket, workers: _Workers) -> None:
        """Send the workers' finished replies, each to its request's peer and to those of
        the copies that came while it was queued or running."""
        for identity, key, reply in workers.replies():
            copies = self._copies.pop(key, [])
            for peer in (identity, *copies) if reply else ():  # []: no reply (see _Workers)
                socket.send_multipart([peer, b"", *reply])

    def _receive(self, identity: bytes, frames: list[bytes], workers: _Workers) -> list | None:
        """Reply frames for a request the serving thread answers itself, or None when its
        campaign's worker (``params["campaign_id"]``) will, or its original queued or
        running (a copy, answered with it)."""
        if frames[:1] != [b""]:
            error = ProtocolError(
                'a request is the frames [b"", json, *arrays]: send the empty '
                "delimiter frame first (a REQ socket adds it; a DEALER must)"
            )
            return protocol.encode(_refuse_frames(identity, frames, error))
        frames = frames[1:]
        try:
            protocol.check_request_size(frames)
        except ProtocolError as err:
            return protocol.encode(_refuse_frames(identity, frames, err))
        digest = hashlib.sha256()
        for frame in frames:  # each frame's length first, so frame boundaries count
            digest.update(len(frame).to_bytes(8, "little"))
            digest.update(frame)
        key = digest.digest()
        with self._replies_lock:
            cached = self._replies.get(key)
        if cached is not None:
            return cached
        if key in self._copies:
            self._copies[key].append(identity)
            return None
        try:
            request_id, method, params = protocol.parse_request(protocol.decode(frames))
        except Exception as err:
            return protocol.encode(_refuse_frames(identity, frames, err))
        if method in LOOP_METHODS:
            return self._answer(identity, key, request_id, method, params)
        campaign_id = params.get("campaign_id")
        if method == "campaign_create" and campaign_id is None:  # the campaign it names:
            campaign_id = key.hex()[:REQUEST_NAME_CHARS]  # a resend resumes it on its worker
        job = (key, request_id, method, params)
        try:
            workers.submit(campaign_id if isinstance(campaign_id, str) else None, identity, job)
        except ServerStartError as err:
            return protocol.encode(_refuse(identity, request_id, method, params, err))
        self._copies[key] = []
        return None

    def _answer(
        self,
        identity: bytes,
        key: bytes,
        request_id: str | int,
        method: str,
        params: dict,
        rest: Callable[[], Any] | None = None,
    ) -> list | None:
        """Reply frames for a parsed request of the peer ``identity`` whose frames' digest
        is ``key``, run and (when it changed state) cached; never raises: a bug's reply is
        an error typed as its class, logged with its traceback.

        A handler that returns a function has done all that needs its campaign: the
        function, the slow rest that reads nothing of it (``campaign_insights``' SHAP), is
        queued on the campaign's worker for ``method``, which answers by calling this again
        with it as ``rest``; None is returned.
        """
        try:
            return self._run(identity, key, request_id, method, params, rest)
        except KeyboardInterrupt:
            raise
        except BaseException as err:  # a plugin's sys.exit or CancelledError too: answered
            return protocol.encode(_refuse(identity, request_id, method, {}, err))

    def _run(
        self,
        identity: bytes,
        key: bytes,
        request_id: str | int,
        method: str,
        params: dict,
        rest: Callable[[], Any] | None,
    ) -> list | None:
        """``_answer``'s work, which may raise on a bug."""
        if rest is not None:  # changes nothing: neither logged as a change nor cached
            try:
                reply = protocol.ok_reply(request_id, rest())
            except Exception as err:
                reply = _refuse(identity, request_id, method, params, err)
            return self._encode(identity, request_id, method, params, reply)
        campaign_id = params.get("campaign_id")
        before = self.campaigns.get(campaign_id) if isinstance(campaign_id, str) else None
        self._request.who = _who(identity, request_id, method, params)
        self._request.key = key.hex()  # suggestions_get journals its batch under it
        self._request.status = None if before is None else before.status  # or as resumed
        journaled = False
        try:
            reply = protocol.ok_reply(request_id, self._dispatch(method, params))
        except Exception as err:
            reply = _refuse(identity, request_id, method, params, err)
            journaled = method == "observation_put" and isinstance(err, JOURNALED_ERRORS)
        if reply["ok"] and method == "campaign_create":
            params = {**params, "campaign_id": reply["result"]["campaign_id"]}
        change = self._change(method, params.get("campaign_id"), self._request.status)
        if change is not None:
            _log(f"{_who(identity, request_id, method, params)}: {change}")
        if reply["ok"] and callable(reply["result"]):
            job = (key, request_id, method, params, reply["result"])
            self._workers.submit((method, campaign_id), identity, job, in_progress=True)
            return None
        out = self._encode(identity, request_id, method, params, reply)
        if (method in protocol.STATE_CHANGING and reply["ok"]) or journaled:
            with self._replies_lock:
                self._replies[key] = out
                while len(self._replies) > REPLY_CACHE_SIZE:
                    self._replies.popitem(last=False)
        return out

    def _encode(
        self, identity: bytes, request_id: str | int, method: str, params: dict, reply: dict
    ) -> list[bytes]:
        """``reply``'s frames, or those of the error of a result the protocol cannot send."""
        try:
            return protocol.encode(reply)
        except AdaptiveError as err:
            return protocol.encode(_refuse(identity, request_id, method, params, err))

    def _change(self, method: str, campaign_id: Any, status: str | None) -> str | None:
        """What a request did to its campaign, for the log: created it (it was not loaded
        before: ``status`` None), stopped it (``status`` "running" before, or when resumed
        by it); None for anything else."""
        campaign = self.campaigns.get(campaign_id) if isinstance(campaign_id, str) else None
        if campaign is None:
            return None
        if status is None and method == "campaign_create":
            return "created"
        if status == "running" and campaign.status == "stopped":
            return f"stopped{_reason(campaign)}"
        return None

    def _dispatch(self, method: str, params: dict) -> Any:
        handler = self.methods.get(method)
        if handler is None:
            raise UnknownMethodError(
                f"unknown method {method!r}; the server has {sorted(self.methods)}"
            )
        params = check_options(handler, params, method, noun="parameter")
        return handler(**params)

    # ------------------------------------------------------------------ handlers
    def _campaign(self, campaign_id: Any) -> Campaign:
        """The campaign, resumed from the journal (and logged so, as the journal held it)
        when not loaded: the request's change is then logged against that state."""
        if not isinstance(campaign_id, str):
            raise InvalidParameterError(f"campaign_id must be a string, got {campaign_id!r}")
        if campaign_id not in self.campaigns:
            campaign = self.campaigns[campaign_id] = Campaign.resume(self.journal, campaign_id)
            self._request.status = campaign.status
            _log(
                f"{self._request.who}: resumed from the journal: {campaign.status}"
                f"{_reason(campaign)}, n_observations={campaign.n_observations}"
            )
        return self.campaigns[campaign_id]

    def server_ping(self) -> dict:
        """Heartbeat: the server's time, how many campaigns it holds, and why its journal
        would refuse a write now (the file or its lock file removed or replaced, or its last
        failure while no write has succeeded since: a full disk), or None."""
        return {
            "time": time.time(),
            "campaigns": len(self.journal.campaign_ids()),
            "journal_problem": self.journal.file_problem() or self.journal.last_failure,
        }

    def campaign_create(
        self,
        space,
        strategy,
        goals=None,
        campaign_id=None,
        objective=None,
        analysis=None,
        pending_ttl_s=None,
    ) -> dict:
        """Make a campaign. Without ``campaign_id`` it is named by the request (its digest):
        the same request resent, to a server restarted since too, finds the campaign it made
        instead of making another."""
        request = getattr(self._request, "key", None)  # None: called in process, not served
        if campaign_id is None and request is not None:
            campaign_id = request[:REQUEST_NAME_CHARS]
            if campaign_id in self.journal.campaign_ids():  # found, not created (see _change)
                campaign = self._campaign(campaign_id)
                self._request.status = campaign.status
                return campaign.summary()
        campaign = Campaign.create(
            self.journal, space, strategy, goals, campaign_id, objective, analysis, pending_ttl_s
        )
        self.campaigns[campaign.id] = campaign
        return campaign.summary()

    def campaign_list(self) -> list[str]:
        return self.journal.campaign_ids()

    def campaign_status(self, campaign_id) -> dict:
        campaign = self._campaign(campaign_id)
        campaign.expire_pending()
        return campaign.summary()

    def campaign_stop(self, campaign_id, reason="stopped by request") -> dict:
        campaign = self._campaign(campaign_id)
        campaign.stop(reason)
        return campaign.summary()

    def suggestions_get(self, campaign_id, n=1) -> dict:
        """Up to ``n`` new suggestions. None while the campaign runs means the pending ones
        (``waiting_on``, their ids) fill what is left: measure or release them. The same
        request resent gets the batch it made, from a server restarted since too (the
        journal keeps which request made it)."""
        campaign = self._campaign(campaign_id)
        request = getattr(self._request, "key", None)  # None: called in process, not served
        suggestions = campaign.suggest(n, request=request) if campaign.status == "running" else []
        waiting = not suggestions and campaign.status == "running"
        return {
            "suggestions": [s.to_dict() for s in suggestions],
            "status": campaign.status,
            "stop_reason": campaign.stop_reason,
            "waiting_on": sorted(campaign.pending) if waiting else [],
        }

    def suggestions_pending(self, campaign_id) -> dict:
        """The suggestions made and not yet observed, released or expired, oldest first."""
        campaign = self._campaign(campaign_id)
        campaign.expire_pending()
        return {"suggestions": [s.to_dict() for s in campaign.pending.values()]}

    def suggestions_release(self, campaign_id, ids) -> dict:
        """Give up pending suggestions (``ids``) that will not be measured."""
        campaign = self._campaign(campaign_id)
        return {"released": campaign.release(ids), "pending": sorted(campaign.pending)}

    def observation_put(
        self,
        campaign_id,
        point,
        value=None,
        uncertainty=None,
        spectrum=None,
        suggestion_id=None,
        metadata=None,
        time=None,
        client_id=None,
        sequence=None,
        failed=None,
    ) -> dict:
        """Journal one observation, or with ``failed`` (why, instead of a value) a failed
        measurement (see ``Campaign.observe``). The reply has ``accepted``, ``duplicate``,
        ``n_observations``, and the campaign's ``status`` and ``stop_reason`` after the put
        (the put that meets ``max_observations`` stops the campaign), and of a reading
        learned the ``value`` the strategy learned (the driver's, or the one its spectrum's
        analysis or objective gave) and the analysis's ``features`` (with ``warnings``; None
        without an analysis); both None for a duplicate or a failed measurement. Its
        ``warnings`` (a list, empty when there is nothing to say) name what is almost always
        a driver's bug though the put is journaled: a point far from its suggestion's (see
        ``Campaign._put_warnings``)."""
        campaign = self._campaign(campaign_id)
        if (client_id is None) != (sequence is None):
            raise InvalidParameterError("send client_id and sequence together, or neither")
        if client_id is not None and (not isinstance(client_id, str) or not client_id):
            raise InvalidParameterError(f"client_id must be a non-empty string, got {client_id!r}")
        if sequence is not None and (not is_int(sequence) or not 0 <= sequence < 2**63):
            raise InvalidParameterError(
                f"sequence must be an integer in [0, 2**63), got {sequence!r}; count from 1"
            )
        observation = Observation(
            point=point,
            value=value,
            uncertainty=uncertainty,
            spectrum=_spectrum(spectrum),
            suggestion_id=suggestion_id,
            metadata={} if metadata is None else metadata,
            **({} if time is None else {"time": time}),
            failed=failed,
        )
        accepted = campaign.observe(observation, client_id, sequence)
        learned = campaign.last_learned
        return {
            "accepted": accepted,
            "duplicate": not accepted,
            "n_observations": campaign.n_observations,
            "status": campaign.status,
            "stop_reason": campaign.stop_reason,
            "value": None if learned is None else learned.value,
            "features": None if learned is None else learned.metadata.get("features"),
            "warnings": campaign.last_warnings,
        }

    def observations_get(self, campaign_id) -> dict:
        """All learned observations: ``points`` (list of dicts), ``values`` (n,) with NaN for
        none, ``suggestion_ids``, ``features`` (each one's analysis features, or None); and
        ``failed``, the failed measurements (not learned) in
        journal order: ``points``, ``reasons`` (each one's ``failed``), ``suggestion_ids``."""
        campaign = self._campaign(campaign_id)
        observations = self.journal.observations(campaign.id, spectra=False)
        events = self.journal.events(campaign.id, FAILED_EVENT, spectra=False)
        failures = [event["payload"] for event in events]
        return {
            "points": [o.point for o in observations],
            "values": np.array([np.nan if o.value is None else o.value for o in observations]),
            "suggestion_ids": [o.suggestion_id for o in observations],
            "features": [o.metadata.get("features") for o in observations],
            "failed": {
                "points": [f["point"] for f in failures],
                "reasons": [f["failed"] for f in failures],
                "suggestion_ids": [f["suggestion_id"] for f in failures],
            },
        }

    def model_predict(self, campaign_id, points) -> dict:
        """The strategy's model at ``points``: mean (m,) and std (m,) or None.

        ``points`` is an (m, d) array of numeric points (m <= ``MAX_PREDICT_POINTS``),
        columns in the space's dimension order; a 1-D space takes (m,) too. Spaces with categorical
        dimensions have no numeric points to send.
        """
        campaign = self._campaign(campaign_id)
        space = campaign.space
        categorical = [d.name for d in space.dimensions if d.kind == "categorical"]
        if categorical:
            raise InvalidParameterError(
                f"model_predict takes numeric points; campaign {campaign.id} has categorical "
                f"dimensions {categorical}, so it is not available there"
            )
        d = len(space.dimensions)
        shape = f"(m, {d}) array, columns {space.names}" + (" (or (m,))" if d == 1 else "")
        if _holds_null(points):
            raise InvalidParameterError(
                "points hold null (a JSON null is not a number); send finite numbers"
            )
        points = real_array("points", points)
        if d == 1 and points.ndim == 1:
            points = points[:, None]
        if points.ndim != 2 or points.shape[1] != d or len(points) == 0:
            raise InvalidParameterError(
                f"points must be an {shape} with m >= 1; got shape {points.shape}"
            )
        if not np.isfinite(points).all():
            raise InvalidParameterError("points hold NaN or inf; send finite numbers")
        if len(points) > MAX_PREDICT_POINTS:
            raise InvalidParameterError(
                f"{len(points)} points are more than the {MAX_PREDICT_POINTS} one model_predict "
                "call takes; ask in chunks"
            )
        predicted = campaign.call_strategy("predict", points[:, 0] if d == 1 else points)
        try:
            mean, std = predicted
            mean, std = np.asarray(mean, float), None if std is None else np.asarray(std, float)
        except (TypeError, ValueError):
            mean = std = np.empty(0)  # not a pair of number arrays: refused below
        if mean.shape != (len(points),) or (std is not None and std.shape != mean.shape):
            raise StrategyError(
                f"strategy {campaign.config['strategy']['name']!r} predict() gave no (mean, "
                f"std) of shape ({len(points)},) for {len(points)} points; fix it to return "
                "one mean and one std (or None for std) per point"
            )
        return {"mean": mean, "std": std}

    def campaign_insights(self, campaign_id) -> Callable[[], dict]:
        """Per round: recipes, best and median objective, and SHAP importance of each factor.

        Each round's SHAP is kept in the journal: rounds whose data have not changed since
        an earlier call (of this server, or of one before it on the journal) are read back,
        so a repeated call computes only new rounds. Returns the rest of the work (see
        ``_answer``): the report of the campaign's data as they are now, which the
        campaign's second worker computes.
        """
        return partial(prepare_insights(self._campaign(campaign_id)), True)


class _Workers:
    """One daemon thread per busy queue (a campaign's, or one of its methods'; see
    ``Server._answer``): runs its requests in arrival order and queues the replies for the
    serving thread, which alone may use the socket. A request whose answer fails all the
    same (out of memory even for its error reply) gets none, and the queue goes on.

    Each worker runs torch on the thread count of the thread that made the workers
    (``adaptive serve`` sets 1): a fresh thread's first backward pass would otherwise reset
    its count to one per core, and two threads on two busy cores made a recipe-GP fit 10x
    slower (0.4 s -> 4-7 s).

    Once requests have run ``TRIM_EVERY_S`` since the last trim, the worker that ran the
    last one calls ``malloc_trim`` after queueing its reply, where the C library has it.

    Args:
        answer: ``answer(identity, *job) -> reply frames``, or None when it queued the
            rest of the job on another queue, which replies; ``job[0]`` is the request's
            key, which its reply carries.
        stop: once set, workers take no further request but the rest of one in progress
            (one mid-request finishes, or is abandoned after the grace of
            ``Server.serve_forever``).
    """

    def __init__(self, answer: Callable[..., list[bytes] | None], stop: threading.Event):
        self._answer, self._stop = answer, stop
        self._torch_threads = torch.get_num_threads()
        self._jobs: dict[Hashable, deque] = {}  # queue -> its (identity, job, in_progress)
        self._replies: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self.wake_fd, self._wake_write = os.pipe()  # readable when replies wait
        os.set_blocking(self.wake_fd, False)
        os.set_blocking(self._wake_write, False)
        self._closed = False
        self._threads: set[threading.Thread] = set()
        self._running = 0  # requests being answered; a reply is queued only once it is not
        self._untrimmed_s = 0.0  # seconds of requests run since the last malloc_trim

    def submit(
        self, name: Hashable, identity: bytes, job: tuple, in_progress: bool = False
    ) -> None:
        """Queue ``job`` behind the others of queue ``name`` (a campaign id, or a method and
        a campaign id), starting its worker when idle; none once ``stop`` is set, unless
        ``in_progress``: the rest of a request begun, which is due a reply in the grace;
        none at all once ``close``d (the grace is over: no reply could be sent).

        Raises:
            ServerStartError: no worker thread could be started (out of threads or
                memory); nothing was queued, and the next job tries again.
        """
        with self._lock:
            if self._closed or (self._stop.is_set() and not in_progress):
                return
            if name in self._jobs:
                self._jobs[name].append((identity, job, in_progress))
                return
            thread = threading.Thread(target=self._work, args=(name,), daemon=True)
            try:  # under the lock, by choice: the thread waits for its queue, made below
                thread.start()
            except RuntimeError as err:  # "can't start new thread"
                raise ServerStartError(
                    f"the server could not start a thread to answer this request ({err}): "
                    "its process is out of threads or memory; retry later, and if this "
                    "persists, restart the server or give its machine more memory"
                ) from None
            self._jobs[name] = deque([(identity, job, in_progress)])
            self._threads.add(thread)

    def _work(self, name: Hashable) -> None:
        me = threading.current_thread()
        torch.set_num_threads(self._torch_threads)
        while True:
            with self._lock:  # the check and the removal at once: submit() sees either
                waiting = self._jobs[name]
                if not waiting or self._closed or (self._stop.is_set() and not waiting[0][2]):
                    del self._jobs[name]
                    self._threads.discard(me)
                    return
                identity, job, _ = waiting.popleft()
                self._running += 1
            started = time.monotonic()
            try:
                reply = self._answer(identity, *job)
            except BaseException:  # even its error reply failed (out of memory): none, []
                with contextlib.suppress(BaseException):
                    STDERR.put(stamped(f"no reply sent:\n{traceback.format_exc().rstrip()}"))
                reply = []
            finally:
                with self._lock:
                    self._running -= 1
            if reply is None:  # answered by another worker
                continue
            self._replies.put((identity, job[0], reply))
            with self._lock:  # not after close(): the pipe's number may be reused by then
                if not self._closed:
                    try:
                        os.write(self._wake_write, b"\0")
                    except BlockingIOError:  # the pipe is full: the serving thread wakes
                        pass
                self._untrimmed_s += time.monotonic() - started
                trim = _malloc_trim is not None and self._untrimmed_s >= TRIM_EVERY_S
                if trim:
                    self._untrimmed_s = 0.0
            if trim:
                _malloc_trim(0)  # the GIL released: the serving thread sends the reply

    def busy(self) -> int:
        """How many requests the workers are answering (each runs one at a time); a request
        whose reply is queued is done, so a client that has its reply never finds it busy."""
        with self._lock:
            return self._running

    def running(self) -> bool:
        """Whether a worker runs; once none does, each finished request's reply is queued."""
        with self._lock:
            return bool(self._threads)

    def replies(self) -> list[tuple[bytes, Hashable, list[bytes]]]:
        """The ``(identity, key, reply frames)`` finished since the last call ([]: none)."""
        try:
            os.read(self.wake_fd, 65536)
        except BlockingIOError:
            pass
        out = []
        while not self._replies.empty():
            out.append(self._replies.get())
        return out

    def close(self) -> int:
        """Close the wake-up pipe; return how many workers are still running."""
        with self._lock:
            self._closed = True
            os.close(self.wake_fd)
            os.close(self._wake_write)
            return sum(thread.is_alive() for thread in self._threads)


def _bind(socket: zmq.Socket, endpoint: str) -> None:
    """Bind ``socket``, retrying for ``BIND_RETRY_S`` while the address is in use: a server
    stopped just before frees it soon (ZeroMQ closes its listener a moment after the
    socket), so a restart on the same port does not fail by a hair."""
    _refuse_served_ipc(endpoint)
    deadline = time.monotonic() + BIND_RETRY_S
    while True:
        try:
            socket.bind(endpoint)
            return
        except zmq.ZMQError as err:
            if err.errno != zmq.EADDRINUSE or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _refuse_served_ipc(endpoint: str) -> None:
    """Raise ``ServerStartError`` when ``endpoint`` is an ``ipc://`` path (not abstract,
    ``@name``) that a live process answers on, or that is no socket (a journal, a data
    file): ZeroMQ's bind removes what is there and takes the path over, cutting a server
    off from every driver that reconnects, or deleting the file. A socket file left by a
    killed server (no one answers) is taken over."""
    path = endpoint.removeprefix("ipc://")
    if path == endpoint or path.startswith("@") or not os.path.exists(path):
        return
    if not stat.S_ISSOCK(os.stat(path).st_mode):
        raise ServerStartError(
            f"cannot serve on {endpoint}: {path} is a file or folder, not a socket, and "
            "ZeroMQ would delete it to make its socket there; give a path that does not exist"
        )
    with contextlib.closing(unix_socket.socket(unix_socket.AF_UNIX)) as probe:
        try:
            probe.connect(path)
        except OSError:
            return
    raise ServerStartError(
        f"cannot serve on {endpoint}: another process serves that path (a server on it "
        "would take its socket file over, and that server's drivers would reach this one); "
        "stop that server first, or give another path"
    )


def _refuse(
    identity: bytes, request_id: str | int | None, method: str, params: dict, err: BaseException
) -> dict:
    """The error reply for ``err``, logged; an error that is not ours is a bug, its
    traceback logged under that line, as is a strategy's (``Campaign.call_strategy``)."""
    reply = protocol.error_reply(request_id, err)
    message = _one_line(reply["error"]["message"])
    ours = isinstance(err, AdaptiveError) and not (
        isinstance(err, StrategyError) and err.__cause__ is not None
    )
    bug = "" if ours else "\n" + traceback.format_exc().rstrip()
    _log(f"{_who(identity, request_id, method, params)}: {reply['error']['type']}: {message}{bug}")
    return reply


def _refuse_frames(identity: bytes, frames: list[bytes], err: Exception) -> dict:
    """``_refuse`` for a request whose ``frames`` did not decode: its id, method, campaign
    and client as far as frame 0 names them."""
    return _refuse(identity, *protocol.request_head(frames), err)


def _who(identity: bytes, request_id: str | int | None, method: str, params: dict) -> str:
    """A log line's request: method (escaped and shortened unless printable and short),
    campaign, client (its ``client_id`` when a string, else its ZeroMQ identity in hex)
    and request id."""
    client, short = params.get("client_id"), _SHORT.repr
    if not isinstance(client, str) or not client:
        client = identity.hex()
    if not (isinstance(method, str) and method.isprintable() and len(method) <= 64):
        method = short(method)  # a newline in it would forge a line
    return (
        f"{method} campaign={short(params.get('campaign_id'))} client={short(client)} "
        f"id={short(request_id)}"
    )


def _reason(campaign: Campaign) -> str:
    """A log line's `` (why)`` a campaign stopped (``_one_line``), or nothing."""
    return f" ({_one_line(campaign.stop_reason)})" if campaign.stop_reason else ""


def _one_line(text: str) -> str:
    """``text`` for a log line: whitespace collapsed, at most ``LOG_MESSAGE_CHARS``."""
    return textwrap.shorten(text, LOG_MESSAGE_CHARS, placeholder=" ...")


def _log(line: str) -> None:
    """Write ``line`` on stderr after the UTC time (``stamped``), above any progress bar of
    the process (``adaptive simulate`` serves in process), through ``STDERR``: a stderr
    that fails or blocks (a pipe nobody reads) stops no request."""
    STDERR.put(stamped(line).encode(errors="backslashreplace").decode())  # lone surrogates


def _holds_null(value: Any) -> bool:
    """Whether a JSON value, or a list of them nested in lists, is or holds a null."""
    return value is None or (isinstance(value, list) and any(map(_holds_null, value)))


def _spectrum(raw: Any) -> Spectrum | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or not {"x", "y"} <= set(raw) <= {"x", "y", "x_units", "y_units"}:
        raise InvalidParameterError(
            f"spectrum must be {{x: array, y: array, x_units?, y_units?}}, got keys "
            f"{sorted(raw) if isinstance(raw, dict) else raw!r}"
        )
    return Spectrum(**raw)
