"""The driver loop: get suggestions -> move and measure -> put observations."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from adaptive.client import Client, InvalidParameterError, RemoteError
from drivers.protocols import Instrument


@dataclass(frozen=True)
class DriverRun:
    """How a driver loop ended."""

    n_measured: int
    status: str
    stop_reason: str | None


def run_driver(
    client: Client,
    campaign_id: str,
    instrument: Instrument,
    batch: int = 1,
    max_measurements: int | None = None,
    on_measured: Callable[[int, dict], None] | None = None,
    replicates: int = 1,
) -> DriverRun:
    """Measure what the server suggests until the campaign stops.

    Each observation is put with ``(client.client_id, sequence)`` so a retried
    put is journaled once.

    Args:
        client: connected to the server.
        campaign_id: the campaign to serve.
        instrument: moves and reads.
        batch: suggestions asked for per round trip.
        max_measurements: stop the loop (not the campaign) after this many.
        on_measured: called with (count, reply of the put) after each measurement.
        replicates: readings per suggestion (droplets of one recipe), each put.

    Returns:
        How many suggestions were measured and the campaign's status at the end; a
        campaign stopped while a batch is measured ends the loop, its unmeasured
        suggestions left.

    Raises:
        InvalidParameterError: ``batch`` or ``replicates`` not a positive integer.
    """
    for name, count in (("batch", batch), ("replicates", replicates)):
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise InvalidParameterError(f"{name}={count!r} must be a positive integer")
    measured = 0
    while max_measurements is None or measured < max_measurements:
        n = batch if max_measurements is None else min(batch, max_measurements - measured)
        reply = client.call("suggestions_get", campaign_id=campaign_id, n=n)
        if not reply["suggestions"]:
            return DriverRun(measured, reply["status"], reply["stop_reason"])
        for suggestion in reply["suggestions"]:
            instrument.move(suggestion["point"])
            try:
                for _ in range(replicates):
                    put = _put(client, campaign_id, suggestion, instrument.read())
            except RemoteError as err:
                if err.type != "CampaignStoppedError":
                    raise
                return _ended(client, campaign_id, measured)  # stopped while measuring
            measured += 1
            if on_measured is not None:
                on_measured(measured, put)
    return _ended(client, campaign_id, measured)


def _ended(client: Client, campaign_id: str, measured: int) -> DriverRun:
    """The run's end, with the campaign's status as the server reports it."""
    status = client.call("campaign_status", campaign_id=campaign_id)
    return DriverRun(measured, status["status"], status["stop_reason"])


def _put(client: Client, campaign_id: str, suggestion: dict, reading) -> dict:
    """Put one reading as an observation keyed by (client id, sequence)."""
    return client.call(
        "observation_put",
        campaign_id=campaign_id,
        point=suggestion["point"],
        value=reading.value,
        uncertainty=reading.uncertainty,
        spectrum=reading.spectrum,
        metadata=reading.metadata,
        suggestion_id=suggestion["id"],
        client_id=client.client_id,
        sequence=client.next_sequence(),
    )
