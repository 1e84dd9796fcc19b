"""The driver loop: get suggestions -> move and measure -> put observations."""

from __future__ import annotations

import contextlib
import logging
import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from adaptive.client import (
    MAX_SUGGESTIONS,
    AnalysisError,
    CampaignStoppedError,
    Client,
    InstrumentFailingError,
    InvalidParameterError,
    JournalError,
    RemoteError,
    Request,
    ServerStartError,
    ServerUnavailableError,
)
from drivers.protocols import Instrument, Reading
from simulators.base import is_finite_real, is_int, is_real

#: The readings in a row that may fail before ``run_driver`` gives up (its default): a scan
#: suggests a failed energy again, so a dead instrument would otherwise loop for ever.
FAILURES_IN_A_ROW = 20
#: Seconds between resends of a request the server refused as a ``JournalError`` (another
#: process held the journal's write lock) or a ``ServerStartError`` (it could not start a
#: thread for it), while ``outage_s`` lasts.
JOURNAL_RETRY_S = 0.5

#: Logs each warning of a put's reply (a readback far from its suggestion, an analysis's
#: warnings) as it comes; with no logging set up, Python prints it on stderr.
_LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class DriverRun:
    """How a driver loop ended. ``n_measured``: suggestions measured (each of
    ``replicates`` readings: 12 suggestions of 2 put 24). ``waiting_on``: ids of pending
    suggestions (another driver's, or a dead run's) that hold up a running campaign that
    made no new one; measure them (``resume_pending=True``) or release them
    (``suggestions_release``). ``warnings``: what the replies to the run's puts warned of,
    and each metadata entry read as NaN or inf and journaled as null, in order (each also
    logged as it came; see ``_LOG``)."""

    n_measured: int
    status: str
    stop_reason: str | None
    waiting_on: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


def run_driver(
    client: Client,
    campaign_id: str,
    instrument: Instrument,
    batch: int = 1,
    max_measurements: int | None = None,
    on_measured: Callable[[int, dict], None] | None = None,
    replicates: int = 1,
    resume_pending: bool = False,
    outage_s: float = 0.0,
    max_failures_in_a_row: int | None = FAILURES_IN_A_ROW,
) -> DriverRun:
    """Measure what the server suggests until the campaign stops.

    The client keys its puts (``client.put_id`` and its next sequence, see
    ``Client.prepare``): a retried put is journaled once, and a restarted driver whose client
    has a chosen id (the same each time) never reuses a key of its earlier runs. With a
    ``max_observations`` goal, it asks for no more suggestions than the goal takes,
    ``replicates`` readings each. A ``Reading`` with ``failed`` (a clogged channel, a beam
    dump) is put as a failed measurement: it answers its suggestion and counts as measured,
    but is not learned; so is a reading whose ``value`` or ``uncertainty`` is NaN or
    infinite (a detector glitch, an I0 of 0), the number named in its ``failed``. A reading
    whose put the campaign's analysis fails on (a map pixel with no counts:
    ``AnalysisError``, the reading kept in the journal) is a warning, not the end of the
    run: the loop goes on, and a suggestion none of whose readings was learned is released,
    uncounted (batch_bo does not suggest its point again). A ``Reading`` with a ``point``
    (the readback of an axis that settled off its setpoint) is journaled there, not at the
    suggested point. If the instrument, a put or ``on_measured`` raises (Ctrl-C included),
    the suggestions of the batch not yet observed are released (``suggestions_release``,
    one try each, none when the server is what failed; not the one whose put a Ctrl-C
    interrupted before its reply, which may be journaled: if not, it stays pending, for
    ``resume_pending`` or ``suggestions_release``) so the strategy may suggest their points
    again, and the error propagates; so is a batch whose ``suggestions_get`` Ctrl-C
    interrupts (its request sent once more, one try, for the server to answer from its
    reply cache).

    Args:
        client: an :class:`~adaptive.client.Client` of the server.
        campaign_id: the campaign to serve.
        instrument: moves and reads (an :class:`~drivers.protocols.Instrument`); its
            ``read()`` returns a :class:`~drivers.protocols.Reading`.
        batch: suggestions asked for per round trip, at most ``MAX_SUGGESTIONS``.
        max_measurements: stop the loop (not the campaign) after this many suggestions
            measured (``replicates`` readings each).
        on_measured: called with (suggestions measured so far, reply of the last put
            learned: one refused as ``AnalysisError`` is not) after each suggestion's
            readings.
        replicates: readings per suggestion (droplets of one recipe), each put.
        resume_pending: first measure what a run of this driver that died mid-batch
            left: the readings its last suggestion lacks (``replicates`` minus those
            journaled, failed ones included), then the suggestions the campaign still holds
            as pending. Only for a campaign one driver serves: two drivers would both
            measure them.
        outage_s: keep calling a server that does not answer (the client's own retries
            spent) until this many seconds have passed, e.g. while it restarts; the call
            in progress then runs its tries out, so giving up takes at least ``outage_s``
            and up to ``(client.retries + 1) * client.timeout_s`` more, plus the client's
            ping that tells a busy server from a gone one (at most 1 s). Each call resends
            the same request, which a server that was only slow answers from its reply
            cache, and a put keeps its sequence, so the reading in hand is journaled
            exactly once; a ``suggestions_get`` whose reply a restart lost gets the batch
            it made (the journal keeps which request made it). A ``JournalError`` reply
            (another process holds the journal's write lock, e.g. a backup) is likewise
            resent every ``JOURNAL_RETRY_S``.
        max_failures_in_a_row: give up after this many readings in a row failed (each
            put as a failed measurement, or refused as ``AnalysisError``); None: never.

    Returns:
        How many suggestions were measured, the campaign's status at the end, and what the
        puts' replies warned of (each warning logged as it came). A
        stopped campaign returns at once, before anything moves; one that stops while a
        batch is measured (a put that meets its goal, or a stop from elsewhere) ends the
        loop, and the suggestions not yet started are released.

    Raises:
        InvalidParameterError: ``client`` not a ``Client``, ``batch``, ``replicates``,
            ``max_measurements`` or ``outage_s`` out of range, ``instrument`` lacking
            ``move`` or ``read`` (before any call), or a ``read()`` that returns no
            ``Reading`` or one whose ``point`` is not a dict (the batch released).
        ServerUnavailableError: the server stayed silent for ``outage_s`` and more (see
            ``outage_s``).
        InstrumentFailingError: ``max_failures_in_a_row`` readings in a row failed; the
            batch's other suggestions are released and the campaign keeps running.
        JournalError: the server could not write its journal, still so after ``outage_s``;
            its ``request`` is the unanswered request (a put: the reading in hand, kept
            unreleased as after a silent server), to resend with ``client.send``.
    """
    if not isinstance(client, Client):
        raise InvalidParameterError(
            f"client={client!r} is not an adaptive.client.Client; pass one, e.g. "
            "Client('tcp://127.0.0.1:5555')"
        )
    counts = {
        "batch": batch,
        "replicates": replicates,
        "max_measurements": max_measurements,
        "max_failures_in_a_row": max_failures_in_a_row,
    }
    for name, count in counts.items():
        optional = name.startswith("max_")
        if not (count is None and optional) and not _is_count(count):
            raise InvalidParameterError(f"{name}={count!r} must be a positive integer")
    if batch > MAX_SUGGESTIONS:
        raise InvalidParameterError(
            f"batch={batch!r} is more than the {MAX_SUGGESTIONS} suggestions the server makes "
            "per call; ask for at most that many"
        )
    if not is_finite_real(outage_s) or outage_s < 0:
        raise InvalidParameterError(f"outage_s={outage_s!r} must be a finite number >= 0")
    if not isinstance(instrument, Instrument):
        raise InvalidParameterError(
            f"instrument={instrument!r} lacks move(point) or read(); pass an object with "
            "both, such as drivers.SimulatedInstrument"
        )
    status = _call(client, outage_s, "campaign_status", campaign_id=campaign_id)
    if status["status"] != "running":
        return DriverRun(0, status["status"], status["stop_reason"])
    limit, observed = status["goals"]["max_observations"], status["n_observations"]
    measured = failures = 0
    warned: list[str] = []  # what the puts' replies warned of, for DriverRun.warnings
    todo: list[tuple[dict, int]] = []  # (suggestion, readings to take); fewer: not pending
    if resume_pending:
        todo = _left_by_dead_run(client, outage_s, campaign_id, int(replicates))
    while max_measurements is None or measured < max_measurements:
        if not todo:
            n = batch if max_measurements is None else min(batch, max_measurements - measured)
            if limit is not None:  # as many as the goal takes: none left pending at the stop
                # (at least one: the put that meets the goal stops the campaign)
                n = min(n, math.ceil((limit - observed) / replicates))
            reply = _suggest(client, outage_s, campaign_id, int(n))
            if not reply["suggestions"]:
                return DriverRun(
                    measured,
                    reply["status"],
                    reply["stop_reason"],
                    tuple(reply["waiting_on"]),
                    tuple(warned),
                )
            todo = [(s, replicates) for s in reply["suggestions"]]
        suggestion, readings = todo.pop(0)
        put, putting = None, False
        try:
            instrument.move(suggestion["point"])
            for _ in range(readings):
                reading = instrument.read()
                if not isinstance(reading, Reading):
                    raise InvalidParameterError(
                        f"{type(instrument).__name__}.read() returned {reading!r}; it must "
                        "return a drivers.Reading, e.g. Reading(value=mu)"
                    )
                if not isinstance(reading.point, dict | None):
                    raise InvalidParameterError(
                        f"{type(instrument).__name__}.read() returned point={reading.point!r}; "
                        "it must be None or the readback, e.g. {'energy': 9000.4}"
                    )
                reading, blanked = _journalable(reading)
                warned += _logged(campaign_id, suggestion, blanked)
                putting, why = True, reading.failed
                try:
                    reply = _put(client, outage_s, campaign_id, suggestion, reading)
                except AnalysisError as err:  # journaled as analysis_failed: the run goes on
                    reply, why = {"warnings": [str(err)]}, str(err)
                else:
                    put = reply
                putting = False
                warned += _warnings(campaign_id, suggestion, reply)
                failures = failures + 1 if why is not None else 0
                if failures == max_failures_in_a_row:
                    raise InstrumentFailingError(
                        f"{failures} readings in a row failed or failed analysis, the last at "
                        f"{suggestion['point']}: {why}. The campaign keeps running "
                        "and its journal holds every failure: fix the instrument and run the "
                        "driver again (or pass max_failures_in_a_row=None to never give up)"
                    )
                if put is not None and put["status"] != "running":
                    break
            if put is None:  # every reading failed analysis: the suggestion is still pending
                _release(client, campaign_id, [suggestion])
                continue
            measured += 1
            if on_measured is not None:
                on_measured(measured, put)
        except CampaignStoppedError:
            return _stopped(client, outage_s, campaign_id, measured, todo, replicates, warned)
        except BaseException as err:
            # unless the server failed the put (a release would wait, or fail, in vain)
            if not (putting and isinstance(err, ServerUnavailableError | JournalError)):
                _release(client, campaign_id, [s for s, n in todo if n == replicates])
                # not while its put awaits the reply (a stop, ^C: not an Exception): it may
                # be journaled already, and the server refuses to release it
                in_flight = putting and not isinstance(err, Exception)
                if put is None and readings == replicates and not in_flight:
                    _release(client, campaign_id, [suggestion])
            raise
        observed = put["n_observations"]
        if put["status"] != "running":  # the put met the campaign's goal
            return _stopped(client, outage_s, campaign_id, measured, todo, replicates, warned)
    return _ended(client, outage_s, campaign_id, measured, warned)


def _journalable(reading: Reading) -> tuple[Reading, list[str]]:
    """``reading`` as the server takes it, and what was changed to make it so.

    Numpy arrays as a detector's software returns them are sent as the server keeps them: a
    0-d array (an ophyd signal's reading) as ``value``, ``uncertainty`` or a ``point``'s
    coordinate as its number, a metadata array as its list, and a spectrum's integer arrays
    (uint32 counts, which the wire does not carry in every width) as float64, the type
    the server keeps spectra in. A ``value`` or ``uncertainty`` of NaN or inf, which the
    server refuses, makes it a failed measurement: a glitch of the instrument (an I0 of 0
    makes both so), not of the driver. A NaN or inf in its metadata (a channel that read
    none), which JSON cannot carry, becomes None, each named in what is returned: the run
    keeps the reading.
    """
    changed: list[str] = []
    metadata = _non_finite_as_none(reading.metadata, "metadata", changed)
    changed = [f"{path} read NaN or inf; journaled as null" for path in changed]
    point = reading.point
    reading = replace(
        reading,
        value=_number(reading.value),
        uncertainty=_number(reading.uncertainty),
        spectrum=_float_counts(reading.spectrum),
        metadata=metadata,
        point=None if point is None else {name: _number(x) for name, x in point.items()},
    )
    for name in ("value", "uncertainty") if reading.failed is None else ():
        number = getattr(reading, name)
        if is_real(number) and not is_finite_real(number):
            why = (
                f"the instrument read {name}={number}, not a finite number (a glitch, an I0 of 0?)"
            )
            return replace(reading, value=None, uncertainty=None, failed=why), changed
    return reading, changed


def _number(value: Any) -> Any:
    """``value``, or its number where it is a 0-d numpy array of numbers."""
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf":
        return value.item()
    return value


def _float_counts(spectrum: Any) -> Any:
    """``spectrum`` (a ``Reading``'s) with its integer numpy arrays as float64 (counts of
    any width: uint32, int16), as the server keeps them; anything else as it is."""
    if not isinstance(spectrum, dict):
        return spectrum
    return {
        key: array.astype("<f8")
        if isinstance(array, np.ndarray) and array.dtype.kind in "iu"
        else array
        for key, array in spectrum.items()
    }


def _non_finite_as_none(value: Any, path: str, found: list[str]) -> Any:
    """``value`` (dicts, lists and numpy arrays of JSON-able leaves; an array as its list,
    a 0-d one as its number) with each NaN or inf number made None, its path
    (``metadata.ring[1]``) appended to ``found``."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, dict):
        return {k: _non_finite_as_none(v, f"{path}.{k}", found) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_non_finite_as_none(v, f"{path}[{i}]", found) for i, v in enumerate(value)]
    if is_real(value) and not is_finite_real(value):
        found.append(path)
        return None
    return value


def _warnings(campaign_id: str, suggestion: dict, put: dict) -> list[str]:
    """What the reply to a put of ``suggestion``'s reading warns of (its own warnings, then
    its analysis's), each logged as it comes."""
    features = put.get("features") or {}
    found = [*put.get("warnings", []), *(f"analysis: {w}" for w in features.get("warnings", []))]
    return _logged(campaign_id, suggestion, found)


def _logged(campaign_id: str, suggestion: dict, warnings: list[str]) -> list[str]:
    """``warnings`` about ``suggestion``'s reading, each logged."""
    for warning in warnings:
        _LOG.warning("campaign %s, suggestion %s: %s", campaign_id, suggestion["id"], warning)
    return warnings


def _is_count(value) -> bool:
    """Whether ``value`` is an integer >= 1 (a numpy integer is, a bool is not)."""
    return is_int(value) and value >= 1


def _left_by_dead_run(
    client: Client, outage_s: float, campaign_id: str, replicates: int
) -> list[tuple[dict, int]]:
    """The readings the campaign's last measured suggestion lacks, then its pending ones.

    Replicates are put one after another, so only the last suggestion can lack some; a
    failed reading counts as one of them, as in the loop. The last is the suggestion of the
    last learned reading or of the last failed one, whichever lacks readings (the learned
    one when both do: ``observations_get`` does not say which came later). Readings that
    name no suggestion (a reference put by hand) are skipped.
    """
    pending = _call(client, outage_s, "suggestions_pending", campaign_id=campaign_id)
    todo = [(s, replicates) for s in pending["suggestions"]]
    if replicates > 1:
        done = _call(client, outage_s, "observations_get", campaign_id=campaign_id)
        readings, lasts = Counter(), []
        for listing in (done, done["failed"]):
            named = [
                (i, p)
                for i, p in zip(listing["suggestion_ids"], listing["points"], strict=True)
                if i is not None
            ]
            readings.update(i for i, _ in named)
            lasts += named[-1:]
        lacking = [(i, p) for i, p in lasts if readings[i] < replicates]
        if lacking:
            last, point = lacking[0]
            todo.insert(0, ({"id": last, "point": point}, replicates - readings[last]))
    return todo


def _call(client: Client, outage_s: float, method: str, **params) -> dict:
    """``client.call`` retried while the server is unavailable, for up to ``outage_s``.

    Every try sends the same request (one id, the same bytes), so copies that a slow
    server has queued are answered from its reply cache, not handled again.
    """
    return _send(client, outage_s, client.prepare(method, **params))


def _send(client: Client, outage_s: float, request: Request) -> dict:
    """``client.send(request)`` retried while the server is unavailable, its journal busy or
    it cannot start a thread for the request, for up to ``outage_s`` (see ``_call``); the
    error raised carries ``request``. The first retry is logged as a warning, and the reply
    that ends them."""
    start = time.monotonic()
    deadline, retrying = start + outage_s, False
    while True:
        try:
            reply = client.send(request)
        except (ServerUnavailableError, JournalError, ServerStartError) as err:
            if not retrying and time.monotonic() < deadline:
                retrying = True
                _LOG.warning(
                    "%s %s: %s; retrying for up to %.0f s more (outage_s)",
                    request.method,
                    request.id,
                    err,
                    deadline - time.monotonic(),
                )
            if time.monotonic() >= deadline:
                if isinstance(err, ServerUnavailableError) and outage_s > 0:
                    err = ServerUnavailableError(
                        f"{err}. run_driver waited outage_s={outage_s:g} s for the server: "
                        "raise outage_s to ride out a longer restart, or restart the driver "
                        "with resume_pending=True once the server is back"
                    )
                err.request = request
                raise err from None
            if not isinstance(err, ServerUnavailableError):  # answered at once: wait a little
                time.sleep(JOURNAL_RETRY_S)
            continue
        if retrying:
            _LOG.warning(
                "%s %s: answered after %.1f s of retries",
                request.method,
                request.id,
                time.monotonic() - start,
            )
        return reply


def _suggest(client: Client, outage_s: float, campaign_id: str, n: int) -> dict:
    """``suggestions_get`` of ``n``. Interrupted (Ctrl-C), it sends the same request once
    more, which the server answers from its reply cache once it has made the batch, releases
    the batch, and re-raises; a failed resend leaves it pending. An error reply, or a server
    silent for ``outage_s``, gives no batch to release."""
    request = client.prepare("suggestions_get", campaign_id=campaign_id, n=n)
    try:
        return _send(client, outage_s, request)
    except (RemoteError, ServerUnavailableError):
        raise
    except BaseException:
        with contextlib.suppress(BaseException):  # a second Ctrl-C, say: the first goes on
            _release(client, campaign_id, _once(client, request)["suggestions"])
        raise


def _once(client: Client, request: Request) -> dict:
    """``client.send(request)`` in one try (``client.timeout_s``): the error in hand matters
    more than a retry. The client's ``retries`` stay as they are for other threads' calls."""
    return client.send(request, retries=0)


def _release(client: Client, campaign_id: str, suggestions: list[dict]) -> None:
    """Release unmeasured suggestions in one try: the error in hand matters more."""
    if not suggestions:
        return
    ids = [s["id"] for s in suggestions]
    with contextlib.suppress(RemoteError, ServerUnavailableError):
        _once(client, client.prepare("suggestions_release", campaign_id=campaign_id, ids=ids))


def _ended(
    client: Client, outage_s: float, campaign_id: str, measured: int, warned: list[str]
) -> DriverRun:
    """The run's end, with the campaign's status as the server reports it."""
    status = _call(client, outage_s, "campaign_status", campaign_id=campaign_id)
    return DriverRun(measured, status["status"], status["stop_reason"], (), tuple(warned))


def _stopped(
    client: Client,
    outage_s: float,
    campaign_id: str,
    measured: int,
    todo: list[tuple[dict, int]],
    replicates: int,
    warned: list[str],
) -> DriverRun:
    """The end of a run whose campaign stopped: the suggestions not started are released."""
    _release(client, campaign_id, [s for s, n in todo if n == replicates])
    return _ended(client, outage_s, campaign_id, measured, warned)


def _put(
    client: Client,
    outage_s: float,
    campaign_id: str,
    suggestion: dict,
    reading: Reading,
) -> dict:
    """Put one reading as an observation timed at its read (a failed measurement when the
    reading says why it failed) at its readback ``point`` over the suggested one, keyed by
    the client; the server's reply."""
    return _call(
        client,
        outage_s,
        "observation_put",
        campaign_id=campaign_id,
        point={**suggestion["point"], **(reading.point or {})},
        value=reading.value,
        uncertainty=reading.uncertainty,
        spectrum=reading.spectrum,
        metadata=reading.metadata,
        time=reading.time,
        suggestion_id=suggestion["id"],
        failed=reading.failed,
    )
