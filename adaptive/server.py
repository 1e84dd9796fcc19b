"""The ZeroMQ ROUTER server: decode, validate, journal, dispatch, reply.

Peers send ``[b"", frame0, ...]`` (REQ or DEALER-as-REQ, see ``adaptive.client``);
the ROUTER sees ``[identity, b"", frame0, ...]`` and answers ``[identity, b"", *reply]``.
Every request gets a reply; errors are replies. A request id seen recently gets
the cached reply again, so a client's retry never does the work twice.
"""

from __future__ import annotations

import inspect
import sys
import threading
import time
import traceback
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np
import zmq

from adaptive import protocol
from adaptive.campaign import Campaign
from adaptive.errors import AdaptiveError, InvalidParameterError, UnknownMethodError
from adaptive.insights import campaign_insights
from adaptive.journal import Journal
from adaptive.records import Observation, Spectrum

REPLY_CACHE_SIZE = 1024


class Server:
    """Serves campaigns from one journal file.

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
        self._replies: OrderedDict[Any, list[bytes]] = OrderedDict()
        self.methods = {
            "server_ping": self.server_ping,
            "campaign_create": self.campaign_create,
            "campaign_list": self.campaign_list,
            "campaign_status": self.campaign_status,
            "campaign_stop": self.campaign_stop,
            "suggestions_get": self.suggestions_get,
            "observation_put": self.observation_put,
            "observations_get": self.observations_get,
            "model_predict": self.model_predict,
            "campaign_insights": self.campaign_insights,
        }

    # ------------------------------------------------------------------ transport
    def start(self) -> str:
        """Open the journal, bind, and serve in a background thread; return the endpoint."""
        ready = threading.Event()
        self._thread = threading.Thread(target=self.serve_forever, args=(ready,), daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError(f"server did not bind {self.bind} within 10 s")
        return self.endpoint

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def serve_forever(self, ready: threading.Event | None = None) -> None:
        """Serve until ``stop()``; the socket and journal are owned by this thread."""
        self.journal = Journal(self.journal_path)
        self.campaigns: dict[str, Campaign] = {}
        context = zmq.Context.instance()
        socket = context.socket(zmq.ROUTER)
        socket.setsockopt(zmq.LINGER, 0)
        host, _, port = self.bind.rpartition(":")
        if port in ("0", "*"):
            socket.bind_to_random_port(host)
        else:
            socket.bind(self.bind)
        self.endpoint = socket.getsockopt_string(zmq.LAST_ENDPOINT)
        if ready is not None:
            ready.set()
        poller = zmq.Poller()
        poller.register(socket, zmq.POLLIN)
        try:
            while not self._stop.is_set():
                if not poller.poll(100):
                    continue
                frames = socket.recv_multipart()
                if len(frames) < 2 or frames[1] != b"":
                    continue  # not a REQ-style peer: there is no envelope to answer
                socket.send_multipart([frames[0], b"", *self.handle(frames[2:])])
        finally:
            socket.close(linger=0)
            self.journal.close()

    def handle(self, frames: list[bytes]) -> list[bytes]:
        """Answer one request's frames with reply frames; never raises."""
        request_id = None
        try:
            envelope = protocol.decode(frames)
            request_id, method, params = protocol.parse_request(envelope)
            if request_id in self._replies:
                return self._replies[request_id]
            reply = protocol.ok_reply(request_id, self._dispatch(method, params))
        except AdaptiveError as err:
            reply = protocol.error_reply(request_id, err)
        except Exception as err:  # a bug: report it and keep serving
            traceback.print_exc(file=sys.stderr)
            reply = protocol.error_reply(request_id, err)
        try:
            out = protocol.encode(reply)
        except AdaptiveError as err:
            out = protocol.encode(protocol.error_reply(request_id, err))
        if request_id is not None:
            self._replies[request_id] = out
            while len(self._replies) > REPLY_CACHE_SIZE:
                self._replies.popitem(last=False)
        return out

    def _dispatch(self, method: str, params: dict) -> Any:
        handler = self.methods.get(method)
        if handler is None:
            raise UnknownMethodError(
                f"unknown method {method!r}; the server has {sorted(self.methods)}"
            )
        signature = inspect.signature(handler)
        unknown = set(params) - set(signature.parameters)
        if unknown:
            raise InvalidParameterError(
                f"{method} takes no parameter(s) {sorted(unknown)}; "
                f"it takes {list(signature.parameters)}"
            )
        missing = [
            name
            for name, p in signature.parameters.items()
            if p.default is inspect.Parameter.empty and name not in params
        ]
        if missing:
            raise InvalidParameterError(f"{method} needs parameter(s) {missing}")
        return handler(**params)

    # ------------------------------------------------------------------ handlers
    def _campaign(self, campaign_id: Any) -> Campaign:
        if not isinstance(campaign_id, str):
            raise InvalidParameterError(f"campaign_id must be a string, got {campaign_id!r}")
        if campaign_id not in self.campaigns:
            self.campaigns[campaign_id] = Campaign.resume(self.journal, campaign_id)
        return self.campaigns[campaign_id]

    def server_ping(self) -> dict:
        """Heartbeat: the server's time and how many campaigns it holds."""
        return {"time": time.time(), "campaigns": len(self.journal.campaign_ids())}

    def campaign_create(
        self, space, strategy, goals=None, campaign_id=None, objective=None, analysis=None
    ) -> dict:
        campaign = Campaign.create(
            self.journal, space, strategy, goals, campaign_id, objective, analysis
        )
        self.campaigns[campaign.id] = campaign
        return campaign.summary()

    def campaign_list(self) -> list[str]:
        return self.journal.campaign_ids()

    def campaign_status(self, campaign_id) -> dict:
        return self._campaign(campaign_id).summary()

    def campaign_stop(self, campaign_id, reason="stopped by request") -> dict:
        campaign = self._campaign(campaign_id)
        campaign.stop(str(reason))
        return campaign.summary()

    def suggestions_get(self, campaign_id, n=1) -> dict:
        campaign = self._campaign(campaign_id)
        suggestions = campaign.suggest(n) if campaign.status == "running" else []
        return {
            "suggestions": [s.to_dict() for s in suggestions],
            "status": campaign.status,
            "stop_reason": campaign.stop_reason,
        }

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
    ) -> dict:
        campaign = self._campaign(campaign_id)
        if metadata is not None and not isinstance(metadata, dict):
            raise InvalidParameterError(f"metadata must be a mapping, got {metadata!r}")
        if (client_id is None) != (sequence is None):
            raise InvalidParameterError("send client_id and sequence together, or neither")
        observation = Observation(
            point=point,
            value=value,
            uncertainty=uncertainty,
            spectrum=_spectrum(spectrum),
            suggestion_id=suggestion_id,
            metadata=metadata or {},
            **({} if time is None else {"time": time}),
        )
        accepted = campaign.observe(observation, client_id, sequence)
        return {
            "accepted": accepted,
            "duplicate": not accepted,
            "n_observations": campaign.n_observations,
        }

    def observations_get(self, campaign_id) -> dict:
        """All observations: ``points`` (list of dicts), ``values`` (n,) with NaN for none."""
        observations = self.journal.observations(self._campaign(campaign_id).id)
        return {
            "points": [o.point for o in observations],
            "values": np.array([np.nan if o.value is None else o.value for o in observations]),
            "suggestion_ids": [o.suggestion_id for o in observations],
        }

    def model_predict(self, campaign_id, points) -> dict:
        """The strategy's reconstruction at ``points`` (m,) of a 1-D space."""
        points = np.asarray(points, dtype=float)
        if points.ndim != 1 or not np.isfinite(points).all():
            raise InvalidParameterError("points must be a finite 1-D array")
        mean, std = self._campaign(campaign_id).strategy.predict(points)
        return {"mean": np.asarray(mean, float), "std": None if std is None else std}

    def campaign_insights(self, campaign_id) -> dict:
        """Per round: recipes, best and median objective, and SHAP importance of each factor."""
        return campaign_insights(self._campaign(campaign_id))


def _spectrum(raw: Any) -> Spectrum | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or not {"x", "y"} <= set(raw) <= {"x", "y", "x_units", "y_units"}:
        raise InvalidParameterError(
            f"spectrum must be {{x: array, y: array, x_units?, y_units?}}, got keys "
            f"{sorted(raw) if isinstance(raw, dict) else raw!r}"
        )
    return Spectrum(**raw)
