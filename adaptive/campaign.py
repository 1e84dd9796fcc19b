"""The campaign: space, strategy, pending suggestions, goals, and the journal."""

from __future__ import annotations

import dataclasses
import json
import math
import reprlib
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from operator import attrgetter
from typing import Any, NamedTuple

import numpy as np

from adaptive.analysis import Analysis, pin_weights
from adaptive.arrays import check_bool, is_finite_real, is_int
from adaptive.errors import (
    AdaptiveError,
    AnalysisError,
    CampaignStoppedError,
    InvalidParameterError,
    StrategyError,
    StrategyMissingError,
    UnknownSuggestionError,
)
from adaptive.journal import Journal, different_put_error
from adaptive.objectives import SpectrumObjective
from adaptive.options import check_keys
from adaptive.protocol import MAX_SUGGESTIONS
from adaptive.records import Observation, Spectrum, Suggestion
from adaptive.space import READBACK_TOLERANCE, Space, jitters, thousandfold
from adaptive.strategies import STRATEGIES, is_plugin, make_strategy
from adaptive.strategy import Strategy

#: The largest ``|value|`` and ``uncertainty`` a new observation takes (the models square
#: values: 1e155**2 overflows). Journals are read back without it.
MAX_MAGNITUDE = 1e150
#: The most channels a new observation's spectrum may have: ample for any XAS, XPS or
#: EELS scan, and a guard against a runaway array filling the journal and the server's
#: memory. Journals are read back without it.
MAX_CHANNELS = 1_000_000
#: The latest UNIX time a new observation may carry (the year 3000): a clock in
#: milliseconds or nanoseconds is refused rather than journaled.
LATEST_TIME = 32_503_680_000.0
#: The most characters of a new campaign's id.
MAX_ID_CHARS = 128
#: How many pending ids an unknown ``suggestion_id`` error lists.
PENDING_SHOWN = 5
#: How far a put's continuous value may lie from that of the suggestion it names, as a
#: fraction of its dimension's span, before the put's reply warns (the put is journaled all
#: the same): a readback settles much closer to its setpoint (9000.4 eV for 9000), while a
#: driver that put the wrong suggestion_id or the wrong point is usually farther off. A
#: readback past a bound by more than ``READBACK_TOLERANCE`` is taken onto it (with a
#: warning) when it lies this close to the suggestion the put names (see ``observe``).
FAR_FROM_SUGGESTION = 0.05
#: A put warns of a pending suggestion once this many suggestions made after it are
#: answered (measured, or failed): a driver killed mid-batch left 4, and an energy scan
#: that waited on one on the edge had not converged after 252 more readings (132 without).
OVERTAKEN = 20
#: The metadata keys the campaign writes when it scores a spectrum or clips a readback onto
#: the space's bounds; a put may not use them.
CAMPAIGN_METADATA = (
    "features",
    "value_from",
    "driver_value",
    "driver_uncertainty",
    "driver_point",
)
#: The event kind that journals ``n_observations`` when a ``suggest`` found no goal met:
#: the status's ``goals_checked_at``.
GOALS_CHECKED_EVENT = "goals_checked"
#: The event kind that journals a put with ``failed``: a measurement that failed (a clogged
#: reactor, a broken sample). It answers its suggestion but is not learned from, and does
#: not count toward ``max_observations``; its point (in the payload) is not suggested again
#: by a strategy that ``avoids_failed`` (see ``Strategy``).
FAILED_EVENT = "measurement_failed"
#: The event kind that journals which request (``suggest``'s ``request``) made a batch, so a
#: server restarted since answers that request resent with the same batch.
REQUEST_EVENT = "suggestions_request"


@dataclass(frozen=True)
class Goals:
    """When a campaign stops.

    Args:
        max_observations: stop after this many observations (readings: each replicate is
            one; None: no limit); failed measurements do not count.
        stop_on_convergence: stop when the strategy's own stopping rule fires.
    """

    max_observations: int | None = None
    stop_on_convergence: bool = True

    @classmethod
    def from_dict(cls, data: Any) -> Goals:
        """Build from ``{"max_observations"?, "stop_on_convergence"?}``; None or a ``Goals``
        is taken as it is (None: the defaults)."""
        if data is None:
            return cls()
        if isinstance(data, Goals):
            return data
        if not isinstance(data, dict):
            raise InvalidParameterError(
                f"goals are {{max_observations: int, stop_on_convergence: bool}}, got {data!r}"
            )
        check_keys(data, ("max_observations", "stop_on_convergence"), "goals")
        limit = data.get("max_observations")
        if limit is not None and (not is_int(limit) or limit < 1):
            raise InvalidParameterError(f"max_observations={limit!r} must be a positive integer")
        check_bool("stop_on_convergence", data.get("stop_on_convergence", True))
        return cls(**data)


def _strategy_name(config: Any) -> Any:
    """The strategy name a journaled ``config`` names, None where it names none."""
    strategy = config.get("strategy") if isinstance(config, dict) else None
    return strategy.get("name") if isinstance(strategy, dict) else None


def _check_journal(journal: Any) -> None:
    """Refuse anything but a ``Journal`` (a path, say), naming how to open one."""
    if not isinstance(journal, Journal):
        raise InvalidParameterError(
            f"journal must be a Journal, got {journal!r}; open one with "
            "adaptive.journal.Journal(path) (a new path creates it)"
        )


def _check_new_space(space: Space, strategy: Strategy) -> None:
    """Refuse, for a new campaign only (a journal holding one still opens), ``units`` on a
    categorical factor (they would be ignored), and constraints no drawn point meets
    (``Space.undrawable``) unless the strategy picks from a ``candidates`` pool."""
    for dim in space.dimensions:
        if dim.kind == "categorical" and dim.units:
            raise InvalidParameterError(
                f"categorical dimension {dim.name!r} takes no units (got {dim.units!r}): its "
                "values are the choices' names; drop units, or name the choices with them"
            )
    undrawable = space.undrawable()
    if undrawable is not None and getattr(strategy, "pool", None) is None:
        raise InvalidParameterError(undrawable)


class StartingPoints(NamedTuple):
    """The fixed points a strategy starts from, measured before anything else.

    Attributes:
        count: how many there are, of the strategy.
        what: what they are, after the strategy's name in the message (``{n}``: count).
        fewer: what makes fewer (``{n}``: the most that fit), for the message.
        floor: the least ``{n}`` that ``fewer`` takes.
        past: the observations past them that ``max_observations`` must allow.
        loss: what stopping too soon loses.
    """

    count: Callable[[Any], int]
    what: str
    fewer: str
    floor: int
    past: int
    loss: str


def _scan_length(scan: Any) -> int:
    """How many energies a grid or conventional scan measures (its ``positions()``)."""
    return len(scan.positions())


#: What stopping inside a scan measured from low to high loses.
LOW_END_ONLY = "stop inside it, with only the low end measured"
#: The strategies that start from fixed points: an energy_scan's grid and batch_bo's
#: initial design (``n_initial``), and the whole of a grid or conventional scan.
STARTING_POINTS = {
    "energy_scan": StartingPoints(
        attrgetter("n_initial"),
        "starts from a grid of n_initial={n} points",
        "the option n_initial={n} or less",
        3,
        0,
        LOW_END_ONLY,
    ),
    "batch_bo": StartingPoints(
        attrgetter("n_initial"),
        "starts from an initial design of n_initial={n} points",
        "the option n_initial={n} or less",
        2,
        1,
        "stop before its model proposes any batch",
    ),
    "grid": StartingPoints(
        _scan_length,
        "scans a grid of {n} points, low to high",
        "the option n_points={n} or less",
        2,
        0,
        LOW_END_ONLY,
    ),
    "conventional": StartingPoints(
        _scan_length,
        "scans {n} points, low to high (its pre-edge, XANES and k steps, times scale)",
        "a larger scale or larger steps (fewer points)",
        0,
        0,
        LOW_END_ONLY,
    ),
}


def _check_stop_rules(campaign: Campaign) -> None:
    """Refuse stopping options set on the campaign's strategy (its ``stop_options``, if any,
    through ``call_strategy``) with the goal ``stop_on_convergence`` false, which would
    ignore them without a word."""
    strategy = campaign.strategy
    if campaign.goals.stop_on_convergence or not hasattr(strategy, "stop_options"):
        return
    rules = campaign.strategy_returns(
        "stop_options",
        lambda rules: isinstance(rules, Mapping),
        "a mapping of the stopping options set to their values (empty when none is)",
    )
    if rules:
        named = ", ".join(f"{name}={value!r}" for name, value in rules.items())
        raise InvalidParameterError(
            f"goals stop_on_convergence=false turns off {strategy.name}'s stopping rules, so "
            f"{named} would never stop the campaign; drop {', '.join(rules)}, or "
            "stop_on_convergence"
        )


def _check_starting_points(strategy: Strategy, goals: Goals) -> None:
    """Refuse a strategy of ``STARTING_POINTS`` whose starting points leave its
    ``max_observations`` goal too few observations past them: an energy_scan measures its
    grid, and a grid or conventional scan all its points, from low to high, and batch_bo's
    model proposes only after the design. ``max_observations`` counts readings, each
    replicate one, which the campaign cannot foresee: the message says what a driver taking
    replicates needs."""
    limit = goals.max_observations
    if limit is None or strategy.name not in STARTING_POINTS:
        return
    start = STARTING_POINTS[strategy.name]
    n = start.count(strategy)
    if n + start.past <= limit:
        return
    fits = limit - start.past
    smaller = start.fewer.format(n=fits) + ", or " if fits >= start.floor else ""
    than = "at least as many as" if start.past else "more than"
    plus = f" + {start.past}" if start.past else ""
    raise InvalidParameterError(
        f"{strategy.name} {start.what.format(n=n)}, {than} goals max_observations={limit}: "
        f"the campaign would {start.loss}; pass {smaller}max_observations={n + start.past} or "
        "more. max_observations counts readings, each replicate one: for a driver measuring "
        f"each point in replicates, pass max_observations={n} x replicates{plus} or more"
    )


class Campaign:
    """One experiment: asks its strategy for points and journals every observation.

    Build new ones with ``Campaign.create`` and rebuild after a restart with
    ``Campaign.resume``: the strategy is re-made from the stored config and
    re-observes the journal, so nothing is lost or counted twice.
    """

    def __init__(self, campaign_id: str, config: dict, journal: Journal, resumed: bool = False):
        self.id = campaign_id
        self.config = config
        self.journal = journal
        self.space = Space.from_dict(config["space"])
        self.goals = Goals.from_dict(config.get("goals"))
        raw_objective = config.get("objective")
        self.objective = (
            None if raw_objective is None else SpectrumObjective.from_dict(raw_objective)
        )
        self.strategy: Strategy = make_strategy(config["strategy"], self.space, self.objective)
        raw_analysis = config.get("analysis")
        self.analysis = None if raw_analysis is None else Analysis(raw_analysis, resumed)
        self.pending: dict[str, Suggestion] = {}
        self.made: dict[str, dict] = {}  # id -> point of every suggestion made, pending or not
        self.requested: dict[str, list[Suggestion]] = {}  # request -> the batch it made
        self.pending_ttl_s: float | None = config.get("pending_ttl_s")
        self._suggested_at: dict[str, float] = {}  # pending id -> time.time() of suggesting
        self.released: set[str] = set()  # ids given up by ``release``
        self.n_observations = 0
        self.failed_points: list[dict] = []  # of FAILED_EVENT puts, in order; see ``suggest``
        self.analysis_failed_points: list[dict] = []  # of analysis_failed events, likewise
        self.status = "running"
        self.stop_reason: str | None = None
        self.goals_checked_at: int | None = None  # see summary()
        # What the last ``observe`` call learned (None: a duplicate, failed or refused put)
        self.last_learned: Observation | None = None
        self.last_warnings: list[str] = []  # what the last accepted put's reply warns of
        self._strategy_warning: str | None = None  # the last put's (see ``observe``)
        self._unrebuilt: StrategyError | None = None  # see ``_rebuild_strategy``

    @classmethod
    def create(
        cls,
        journal: Journal,
        space: Any,
        strategy: Any,
        goals: Any = None,
        campaign_id=None,
        objective: Any = None,
        analysis: Any = None,
        pending_ttl_s: Any = None,
    ) -> Campaign:
        """Validate the config, journal it, and return the new campaign.

        ``journal`` is a :class:`~adaptive.journal.Journal`; ``space`` a ``Space`` or its
        ``to_dict()``. ``strategy`` is a config ``{"name": ..., "options": {...}}`` (wire
        JSON, checked by ``make_strategy``), from which the campaign builds its
        ``self.strategy``, a :class:`~adaptive.strategy.Strategy`. ``goals``: a ``Goals`` or
        its dict (None: no limit, stop on convergence). ``objective`` (a
        ``SpectrumObjective`` or its ``to_dict()``) turns each observed spectrum into the
        scalar the strategy optimises. ``campaign_id``: None makes a new 12-hex one.
        ``analysis`` (see ``adaptive.analysis``) runs on each observed spectrum; its
        features are journaled with the observation and one of them may be the value.
        ``pending_ttl_s``: release pending suggestions not observed within this many
        seconds (see ``expire_pending``); None keeps them pending until released.
        An energy_scan whose starting grid, or a grid or conventional scan whose points, are
        more than ``max_observations`` is refused (see ``STARTING_POINTS``), and so are a
        batch_bo whose initial design leaves no observation to its model or whose
        ``q`` is past its greedy ``batch_method``'s ``MAX_GREEDY_BATCH``, ``units``
        on a categorical dimension, and an equality constraint that no drawn point meets
        (over continuous dimensions without a step) unless a ``candidates`` pool meets it: a
        journal holding such a campaign still resumes.
        """
        _check_journal(journal)
        if not isinstance(strategy, dict):  # the journal keeps the config; resume rebuilds from it
            raise InvalidParameterError(
                f'strategy must be a config {{"name": one of {sorted(STRATEGIES)}, "options": '
                f"{{...}}}}, from which the campaign builds (and on resume rebuilds) the strategy; "
                f"got {strategy!r}"
            )
        if campaign_id is None:
            campaign_id = uuid.uuid4().hex[:12]
        if (
            not isinstance(campaign_id, str)
            or not 0 < len(campaign_id) <= MAX_ID_CHARS
            or campaign_id != campaign_id.strip()
            or not campaign_id.isprintable()
        ):
            raise InvalidParameterError(
                f"campaign_id={reprlib.repr(campaign_id)} must be text of 1 to {MAX_ID_CHARS} "
                "printable characters with no space at either end (such as 'cu-edge-run3'), "
                "or null for a new id"
            )
        config = {
            "space": (space if isinstance(space, Space) else Space.from_dict(space)).to_dict(),
            "strategy": strategy,
            "goals": asdict(Goals.from_dict(goals)),
        }
        if objective is not None:
            config["objective"] = SpectrumObjective.from_dict(objective).to_dict()
        if analysis is not None:
            if objective is not None and isinstance(analysis, dict) and analysis.get("value"):
                raise InvalidParameterError(
                    "give the value either by an objective or by an analysis feature, not both"
                )
            config["analysis"] = pin_weights(analysis)
        if pending_ttl_s is not None:
            if not is_finite_real(pending_ttl_s) or pending_ttl_s <= 0:
                raise InvalidParameterError(
                    f"pending_ttl_s={pending_ttl_s!r} must be a positive number of seconds, "
                    "or null to keep suggestions pending until observed or released"
                )
            config["pending_ttl_s"] = float(pending_ttl_s)
        try:  # the journal stores the config as JSON
            json.dumps(config, allow_nan=False)
        except (TypeError, ValueError) as err:
            raise InvalidParameterError(
                f"options must be plain JSON (text, finite numbers, true/false, null, lists, "
                f"mappings): {err}; send arrays as lists"
            ) from None
        campaign = cls(campaign_id, config, journal)  # validates the strategy before journaling
        _check_new_space(campaign.space, campaign.strategy)
        _check_starting_points(campaign.strategy, campaign.goals)
        _check_stop_rules(campaign)
        if hasattr(campaign.strategy, "check_new"):  # see ``Strategy``
            campaign.call_strategy("check_new")
        journal.create_campaign(campaign_id, config)
        return campaign

    @classmethod
    def resume(cls, journal: Journal, campaign_id: str) -> Campaign:
        """Rebuild from the journal: config, observations, failed measurements, unanswered
        suggestions (a late reading answers its own), status."""
        _check_journal(journal)
        row = journal.campaign(campaign_id)
        name = _strategy_name(row["config"])
        if isinstance(name, str) and name not in STRATEGIES:  # not a damaged config's
            raise StrategyMissingError(
                f"campaign {campaign_id} runs strategy {name!r}, which this server does not "
                f"have (it has {sorted(STRATEGIES)}); start it with --plugin MODULE_OR_FILE "
                "naming the module that registers it (register_strategy). Its journal is intact"
            )
        campaign = cls(campaign_id, row["config"], journal, resumed=True)
        observations = campaign._teach_journal()
        campaign.n_observations = len(observations)
        answered = {o.suggestion_id for o in observations}
        made: dict[str, Suggestion] = {}
        for event in journal.events(campaign_id, spectra=False):  # _take_up reads none
            try:
                campaign._take_up(event, answered, made)
            except (KeyError, TypeError, ValueError) as err:  # a hand-edited payload
                problem = f"its payload lacks {err}" if isinstance(err, KeyError) else str(err)
                raise journal.damaged_event(campaign_id, event, problem) from None
        campaign.status, campaign.stop_reason = row["status"], row["stop_reason"]
        return campaign

    def _take_up(self, event: dict, answered: set, made: dict[str, Suggestion]) -> None:
        """Take up one journaled event (oldest first) on resuming: a suggestion is pending
        unless ``answered`` (ids the observations answer) holds it or a later failure, late
        reading or release answers it; ``made`` collects the suggestions by id."""
        kind, payload = event["kind"], event["payload"]
        if kind == "suggestion":
            suggestion = made[payload["id"]] = Suggestion(**payload)
            self.made[suggestion.id] = suggestion.point
            if suggestion.id not in answered:
                self.pending[suggestion.id] = suggestion
                self._suggested_at[suggestion.id] = event["time"]
        elif kind == "analysis_failed":  # leaves its suggestion pending (see ``observe``)
            self.analysis_failed_points.append(payload["point"])
        elif kind in (FAILED_EVENT, "late_observation", "release"):
            if kind == FAILED_EVENT:
                self.failed_points.append(payload["point"])
            if kind == "release":
                self.released.update(payload["ids"])
            for suggestion_id in (
                payload["ids"] if kind == "release" else [payload["suggestion_id"]]
            ):
                self.pending.pop(suggestion_id, None)
                self._suggested_at.pop(suggestion_id, None)
        elif kind == REQUEST_EVENT:
            unknown = [i for i in payload["ids"] if i not in made]
            if unknown:
                raise ValueError(f"it names suggestion(s) {unknown}, which no earlier event made")
            self.requested[payload["request"]] = [made[i] for i in payload["ids"]]
        elif kind == GOALS_CHECKED_EVENT:
            self.goals_checked_at = payload["n_observations"]

    def _rebuild_strategy(self) -> None:
        """Make the strategy anew from the journal, forgetting what it learned beyond it.
        One that cannot learn the journal again (a plugin's load_state bug) leaves every
        later strategy call refused with that error: a strategy half rebuilt, its state
        lost, would serve on as if nothing had happened."""
        if self._unrebuilt is not None:  # refused every call since: nothing to forget
            return
        self.strategy = make_strategy(self.config["strategy"], self.space, self.objective)
        try:
            self._teach_journal()
        except StrategyError as err:  # not a journal's, which may pass (a full disk)
            self._unrebuilt = err
            raise

    def _strategy_warns(self) -> str | None:
        """The strategy's optional warning on what it has learned (see ``Strategy``). One
        that raises is the warning, naming its error: it runs once a put is journaled (and
        on a resume), so the put is still acknowledged and the campaign can be served."""
        if not hasattr(self.strategy, "warning"):
            return None
        try:
            return self.strategy_returns(
                "warning", lambda text: text is None or isinstance(text, str), "None or a sentence"
            )
        except StrategyError as err:
            return f"{err} (the reading is journaled and learned)"

    def _teach_journal(self) -> list[Observation]:
        """Teach the strategy every journaled observation and its saved state; return them
        (with their spectra only where ``_strategy_reads_spectra``). A warning the strategy
        gives on them was given as it began, before the restart."""
        observations = self.journal.observations(self.id, spectra=self._strategy_reads_spectra())
        try:
            if observations:  # a plugin's observe that stacks what it gets needs some
                self.call_strategy("observe", observations)
        except Exception:  # a journaled point that is not in the space, named; else as raised
            for index, observation in enumerate(observations):
                try:
                    self.space.validate(observation.point)
                except InvalidParameterError as err:
                    raise self.journal.damaged_observation(
                        self.id, index, f"its point does not fit the campaign's space ({err})"
                    ) from None
            raise
        state = self.journal.strategy_state(self.id)
        if state is not None:
            try:
                self.strategy.load_state(state)
            except (ValueError, TypeError, LookupError, AttributeError, RuntimeError) as err:
                if is_plugin(type(self.strategy)):
                    raise StrategyError(
                        f"strategy {self.config['strategy']['name']!r} load_state() raised "
                        f"{type(err).__name__}: {err} on the state its state() saved; fix the "
                        "strategy to load what its state() returns (the journal is intact)"
                    ) from err
                # a hand-edited or damaged row: the strategy's state() wrote none of these
                raise self.journal.damaged_state(self.id, f"{type(err).__name__}: {err}") from None
        self._strategy_warning = self._strategy_warns()
        return observations

    def _strategy_reads_spectra(self) -> bool:
        """Whether the strategy learns the spectra of observations, so that rebuilding it
        reads them from the journal: a plugin's may; a built-in one only when it was given
        the campaign's objective (batch_bo's spectrum network), the others learn values."""
        return (
            is_plugin(type(self.strategy)) or getattr(self.strategy, "objective", None) is not None
        )

    @property
    def n_failed(self) -> int:
        """Failed measurements, journaled as ``FAILED_EVENT`` events."""
        return len(self.failed_points)

    def _require_running(self) -> None:
        if self.status != "running":
            raise CampaignStoppedError(
                f"campaign {self.id} stopped ({self.stop_reason}); create a new one to go on"
            )

    def suggest(self, n: int = 1, request: str | None = None) -> list[Suggestion]:
        """Up to ``n`` (default 1, as for the wire's ``suggestions_get``; at most
        ``MAX_SUGGESTIONS``) new suggestions; none when this call finds a goal met (it stops
        the campaign). A stopped campaign (``stop``, or the put that met ``max_observations``)
        raises :class:`CampaignStoppedError`: loop while ``status`` is ``"running"`` (the
        server's ``suggestions_get`` answers a stopped one with none).

        No more than ``max_observations`` minus the observations so far and the pending
        suggestions, so batches (or drivers sharing the campaign) do not overshoot the goal;
        none while the pending ones fill it (replicate puts of a suggestion still count
        each). A strategy that makes none with none pending is asked for its stopping rule
        again (batch_bo: every recipe measured or failed). The point of a failed
        measurement, or of a spectrum the analysis failed on, is not suggested again by a
        strategy that ``avoids_failed`` (batch_bo: a recipe that clogged, a pixel with no
        counts), which gets it as ``failed`` (a driver that wants to retry the recipe puts
        it itself; energy_scan skips an energy only once it failed there
        ``REPEATED_FAILURES`` (3) times, a glitch); the other scans suggest it again. The
        batch and the strategy's state are journaled together, or not at all; the state also
        with no batch, as the goal check (``stop_reason``) may have refitted it, and a
        ``GOALS_CHECKED_EVENT`` when the check saw new observations. ``request`` names the
        request asking (the server's digest of its frames): the batch it makes is journaled
        under it (``REQUEST_EVENT``), and the same request again, after a restart too, gets
        that batch, not a new one.
        """
        self._require_running()
        if request in self.requested:
            return self.requested[request]
        if not is_int(n) or not 1 <= n <= MAX_SUGGESTIONS:
            raise InvalidParameterError(
                f"n={n!r} must be an integer from 1 to {MAX_SUGGESTIONS} (the most one call "
                "makes); ask again for more"
            )
        n = int(n)
        if self._check_goals():
            return []
        self.expire_pending()
        asked, limit = n, self.goals.max_observations
        if limit is not None:
            n = min(n, limit - self.n_observations - len(self.pending))
        pending = [s.point for s in self.pending.values()]
        try:
            if n < 1:
                suggestions = []
            elif getattr(self.strategy, "avoids_failed", False):
                failed = [*self.failed_points, *self.analysis_failed_points]
                suggestions = self.call_strategy("suggest", n, pending=pending, failed=failed)
            else:
                suggestions = self.call_strategy("suggest", n, pending=pending)
        except InvalidParameterError as err:
            if n == asked:
                raise
            raise InvalidParameterError(
                f"n={asked} asked, capped at {n} by goals max_observations={limit} less "
                f"{self.n_observations} observed and {len(self.pending)} pending: {err}"
            ) from None
        except StrategyError:  # it failed midway: rebuilt from the journal, as below
            self._rebuild_strategy()
            raise
        try:
            suggestions = self._check_batch(suggestions, n, pending)
            state = self._checked_state()
            with self.journal.transaction():
                for suggestion in suggestions:
                    self.journal.append_event(self.id, "suggestion", suggestion.to_dict())
                if request is not None and suggestions:
                    ids = [s.id for s in suggestions]
                    self.journal.append_event(
                        self.id, REQUEST_EVENT, {"request": request, "ids": ids}
                    )
                self.journal.save_strategy_state(self.id, state)
                if self.goals_checked_at != self.n_observations:
                    checked = {"n_observations": self.n_observations}
                    self.journal.append_event(self.id, GOALS_CHECKED_EVENT, checked)
        except BaseException:  # nothing journaled: the strategy forgets it suggested them
            self._rebuild_strategy()
            raise
        self.goals_checked_at = self.n_observations
        if n >= 1 and not suggestions and not self.pending:
            self._check_goals()  # the strategy may have found nothing left (all failed)
            return []
        if request is not None and suggestions:
            self.requested[request] = suggestions
        now = time.time()
        for suggestion in suggestions:
            self.pending[suggestion.id] = suggestion
            self._suggested_at[suggestion.id] = now
            self.made[suggestion.id] = suggestion.point
        return suggestions

    def _check_batch(self, suggestions: list, n: int, pending: list[dict]) -> list[Suggestion]:
        """Refuse, before a driver moves to them, ``suggestions`` that the strategy (a
        plugin's, say) should not have made for ``n`` asked with ``pending`` points: no
        list, more than ``n``, not :class:`Suggestion`, an id given before (or twice in the
        batch: a driver's puts would name two points by it, and a resume would take the
        later one as answered), points outside the space (or NaN), or one point twice or a
        pending one again. Returns them with their points as the space
        reads them (Python numbers: a plugin's numpy scalars are no JSON).

        Raises:
            StrategyError: naming the strategy and the suggestion at fault.
        """
        name = self.config["strategy"]["name"]
        if not isinstance(suggestions, list | tuple):
            raise StrategyError(
                f"strategy {name!r} returned {reprlib.repr(suggestions)} from suggest, not a "
                "list of Suggestion; fix the strategy to return a list (empty for none)"
            )
        if len(suggestions) > n:
            raise StrategyError(
                f"strategy {name!r} returned {len(suggestions)} suggestions for n={n}; "
                "none is handed out: fix the strategy's suggest to return at most n"
            )
        taken = {self.space.key(self.space.validate(p)) for p in pending}
        checked = []
        for suggestion in suggestions:
            if not isinstance(suggestion, Suggestion):
                raise StrategyError(
                    f"strategy {name!r} returned {type(suggestion).__name__} "
                    f"{reprlib.repr(suggestion)}, not a Suggestion; none is handed out"
                )
            if suggestion.id in self.made or suggestion.id in (s.id for s in checked):
                raise StrategyError(
                    f"strategy {name!r} gave the suggestion id {suggestion.id!r} again; none is "
                    "handed out: leave each Suggestion's id to its default (a fresh one)"
                )
            try:
                point = self.space.validate(suggestion.point)
            except InvalidParameterError as err:
                raise StrategyError(
                    f"strategy {name!r} suggested {reprlib.repr(suggestion.point)}, which "
                    f"the space refuses ({err.problem}); none is handed out: fix the strategy"
                ) from None
            key = self.space.key(point)
            if key in taken:
                raise StrategyError(
                    f"strategy {name!r} suggested {suggestion.point} twice (pending, or "
                    "twice in one batch); none is handed out: fix the strategy to leave "
                    "out its pending points"
                )
            taken.add(key)
            checked.append(dataclasses.replace(suggestion, point=point))
        return checked

    def _checked_state(self) -> dict:
        """The strategy's ``state()``, refused as ``StrategyError`` where JSON cannot hold
        it (a plugin's numpy numbers, NaN), or that raises (see ``call_strategy``)."""
        state = self.call_strategy("state")
        try:
            json.dumps(state, allow_nan=False)
        except (TypeError, ValueError) as err:
            raise StrategyError(
                f"strategy {self.config['strategy']['name']!r} returned a state() that JSON "
                f"cannot hold ({err}); none is handed out: fix the strategy to return plain "
                "numbers, text, lists and dicts (float(x), array.tolist())"
            ) from None
        return state

    def expire_pending(self) -> list[str]:
        """Release the pending suggestions older than ``pending_ttl_s``; return their ids.

        Runs before every ``suggest`` (and the server's status and pending listings): the
        strategy may then suggest those points again. A stopped campaign's pending
        suggestions do not expire; a late reading answers one (see ``observe``) and a release
        gives it up, as while it runs.
        """
        if self.pending_ttl_s is None or self.status != "running":
            return []
        deadline = time.time() - self.pending_ttl_s
        stale = [i for i in self.pending if self._suggested_at[i] < deadline]
        if stale:
            self.release(stale, f"not observed within pending_ttl_s={self.pending_ttl_s:g}")
        return stale

    def release(self, suggestion_ids: Any, reason: str = "released by request") -> list[str]:
        """Give up pending suggestions that will not be measured; return the ids, each now
        released.

        The strategy no longer treats their points as taken, so it may suggest them again.
        A later observation that names a released suggestion is still accepted. An id
        released before is taken as released and not journaled again: a release resent
        after a server restart (whose reply cache it lost) gets the same reply.
        """
        if (
            not isinstance(suggestion_ids, list)
            or not suggestion_ids
            or not all(isinstance(i, str) for i in suggestion_ids)
        ):
            raise InvalidParameterError(
                f"ids must be a non-empty list of suggestion id strings, got {suggestion_ids!r}"
            )
        unknown = sorted(set(suggestion_ids) - set(self.pending) - self.released)
        if unknown:
            raise InvalidParameterError(
                f"suggestion(s) {unknown} are not pending in campaign {self.id} (measured, "
                f"failed or never made); pending: {sorted(self.pending)}"
            )
        asked = list(dict.fromkeys(suggestion_ids))
        releasing = [i for i in asked if i in self.pending]
        if releasing:
            self.journal.append_event(self.id, "release", {"ids": releasing, "reason": reason})
        for suggestion_id in releasing:
            del self.pending[suggestion_id]
            del self._suggested_at[suggestion_id]
        self.released.update(releasing)
        return asked

    def observe(
        self, observation: Observation, client_id: str | None = None, sequence: int | None = None
    ) -> bool:
        """Journal, and learn from, one observation; False if it was a duplicate put.
        ``last_learned`` is then the observation as learned (the value the strategy got,
        the analysis's ``features`` in its metadata), or None when none was learned, and
        ``last_warnings`` what the put's reply warns of (see ``_put_warnings``; and the
        strategy's ``warning()``, if it has one, on the put after which it begins).

        A put with ``failed`` (a measurement that failed) is journaled as a ``FAILED_EVENT``
        instead: it answers its suggestion (no longer pending), counts in ``n_failed``, is
        not learned from and does not count toward ``max_observations``, and its point is
        not suggested again where the strategy ``avoids_failed`` (see ``suggest``);
        otherwise it is checked, keyed and refused after the stop like any put.

        A ``suggestion_id`` must be one this campaign made (pending, measured, released or
        expired; resumes keep them all), or None for a reading it did not ask for; any
        other raises :class:`UnknownSuggestionError` and journals nothing, unless the put
        ``(client_id, sequence)`` is journaled already (a retry: a duplicate). A put whose
        categorical, integer or stepped values differ from those of the suggestion it names
        (another recipe was made) raises :class:`InvalidParameterError` and journals nothing.
        The put that meets ``max_observations`` stops the campaign, journaled with it.

        The journal commits the observation only once the strategy has learned it: a
        strategy that raises leaves the journal as it was (and is rebuilt from it), so
        its error cannot make the campaign fail to resume. A retry of a put journaled
        before the campaign stopped is still answered as a duplicate; any other put to a
        stopped campaign raises :class:`CampaignStoppedError` (so a driver stops measuring),
        and one naming a suggestion the campaign made (pending at the stop, released or
        expired, or a further replicate of one measured), or none (a driver's own reading), is
        first journaled once as a ``late_observation`` event, not lost, which answers its
        suggestion (no longer pending, on a resume too); not again when its ``(client_id,
        sequence)`` is kept already as a ``late_observation`` or ``analysis_failed`` event.

        A spectrum is scored by the campaign's analysis and objective (an axis from high to low is
        put in order first). A spectrum in units or on an axis they cannot read, or sent to an
        analysis this server cannot run (its weights file gone since the campaign began), raises
        :class:`InvalidParameterError` and journals nothing. A spectrum they fail on raises
        :class:`AnalysisError`; the measurement is journaled as an ``analysis_failed`` event
        (``journal.events(id, "analysis_failed")``), not lost, and its point is avoided like a
        failed measurement's (``analysis_failed_points``, see ``suggest``), though its suggestion
        stays pending (measure it again, or release it). When they give the value, the driver's own
        ``value`` and ``uncertainty`` are kept as metadata ``driver_value`` and
        ``driver_uncertainty`` and the observation has no uncertainty; metadata ``features`` and
        ``value_from`` are written too. In a campaign whose values come from spectra (an objective,
        or an analysis ``value``), a new put to learn from with no spectrum is refused: its value is
        on another scale.

        A point a hair outside a continuous dimension without a step (a driver reporting
        the readback, 9100.001 eV for 9100) is journaled and learned on the bound, within
        the space's ``READBACK_TOLERANCE``, with the driver's point kept as metadata
        ``driver_point`` (see ``Space.clip_readback``); so is a point farther out that lies
        within ``FAR_FROM_SUGGESTION`` of the span of the suggestion it names (a mono reading
        back 8899.7 eV for the scan's low end 8900), with a reply warning. A new put using
        any of these ``CAMPAIGN_METADATA`` keys, or with a spectrum of more than
        ``MAX_CHANNELS`` channels, is refused.
        """
        if not isinstance(observation, Observation):
            raise InvalidParameterError(
                f"observe takes one Observation(point=..., value=..., suggestion_id=...) "
                f"(adaptive.Observation), got {type(observation).__name__}"
            )
        self.last_learned, self.last_warnings = None, []
        retry = self._is_retry(observation, client_id, sequence)
        late = self.status != "running" and not retry
        known = observation.suggestion_id in self.made
        if late and not (known or observation.suggestion_id is None):
            self._require_running()
        self._check_new(observation, known)
        suggested = self.made.get(observation.suggestion_id)
        clipped, readback = self.space.clip_readback(
            observation.point, suggested, FAR_FROM_SUGGESTION
        )
        point = self.space.validate(clipped)
        self._check_named(point, observation.suggestion_id)
        warnings = self._put_warnings(point, observation.suggestion_id, readback)
        if readback:
            metadata = {**observation.metadata, "driver_point": {**point, **readback}}
            observation = Observation(**{**observation.__dict__, "metadata": metadata})
        if late:  # the reading of a suggestion made before the campaign stopped
            why = f"campaign stopped ({self.stop_reason})"
            kind = self._keep_unlearned(
                "late_observation", observation, point, why, client_id, sequence
            )
            if kind == "late_observation":  # not a put that failed analysis before the stop
                self._answer(observation.suggestion_id)
            measured = (
                "before this reading, which names no suggestion, was put"
                if observation.suggestion_id is None
                else f"while suggestion {observation.suggestion_id} was measured"
            )
            raise CampaignStoppedError(
                f"campaign {self.id} stopped ({self.stop_reason}) {measured}; the reading is "
                f"kept in the journal (event kind {kind!r}) and not learned from. Create a new "
                "campaign to go on"
            )
        if observation.failed is not None:
            if not retry:
                self._journal_unlearned(
                    FAILED_EVENT, observation, point, observation.failed, client_id, sequence
                )
                self.failed_points.append(point)
                warnings += self._answer_warned(observation.suggestion_id)
            self.last_warnings = warnings
            return not retry
        if observation.suggestion_id in self.released:  # a reading to learn (not failed)
            warnings.append(self._given_up(observation.suggestion_id))
        warnings += self._check_learnable(observation.spectrum)
        scorer = self._spectrum_scorer()
        if observation.spectrum is None and scorer is not None:
            raise InvalidParameterError(
                f"campaign {self.id} scores spectra with {scorer}, so it cannot learn a put "
                f"with only value={observation.value!r} (not a value on that scale); send the "
                "spectrum, or failed='<why>' if there is none"
            )
        # the checked point: canonical types (int, float, the stored choice), snapped
        changes: dict[str, Any] = {"point": point}
        if observation.spectrum is not None and (
            self.analysis is not None or self.objective is not None
        ):
            changes.update(self._score(observation, point, client_id, sequence))
        observation = Observation(**{**observation.__dict__, **changes})
        if observation.value is None:  # every strategy learns from a scalar
            raise InvalidParameterError(
                f"the observation at {point} has only a spectrum and campaign {self.id} has no "
                "objective or analysis value to turn it into a number; send value too"
            )
        for name in ("value", "uncertainty"):
            number = getattr(observation, name)
            if number is not None and abs(number) > MAX_MAGNITUDE:
                raise InvalidParameterError(
                    f"observation {name}={number!r} is beyond +-{MAX_MAGNITUDE:g}, which would "
                    "overflow the models; rescale it (other units), or for a failed "
                    "measurement send failed='<why>' and no value rather than a sentinel"
                )
        reached = self._limit_reason(self.n_observations + 1)
        journaled = False
        try:
            with self.journal.transaction():  # committed once the strategy has learned it
                journaled = self.journal.append_observation(
                    self.id, observation, client_id, sequence
                )
                if journaled:
                    self.call_strategy("observe", [observation])
                    if reached:
                        self._journal_stop(reached)
        except BaseException:  # Ctrl-C included: the journal rolled back, so must the strategy
            if journaled:  # the strategy failed: forget what it half-learned, as on a resume
                self._rebuild_strategy()
            raise
        if journaled:  # the strategy's warning (see ``Strategy``), once as it begins
            warning = self._strategy_warns()
            if warning is not None and self._strategy_warning is None:
                warnings.append(warning)
            self._strategy_warning = warning
        self.last_warnings = warnings
        if not journaled:
            return False
        self.n_observations += 1
        self.last_learned = observation
        warnings += self._answer_warned(observation.suggestion_id)
        if reached:
            self.status, self.stop_reason = "stopped", reached
        return True

    def _answer_warned(self, suggestion_id: str | None) -> list[str]:
        """``_answer`` ``suggestion_id``, and the warning of the suggestions that answering it
        made overtaken (``_overtaken``), if it was pending."""
        answered = suggestion_id in self.pending
        self._answer(suggestion_id)
        return self._overtaken(suggestion_id) if answered else []

    def _overtaken(self, answered: str) -> list[str]:
        """A warning naming the pending suggestions that the put answering suggestion
        ``answered`` made ``OVERTAKEN``: as many suggestions made after each (``answered``
        the last) have been measured or failed (their driver may have died)."""
        later_measured, overtaken, passed = 0, [], False
        for suggestion_id in reversed(self.made):
            passed = passed or suggestion_id == answered
            if suggestion_id in self.pending:
                if passed and later_measured == OVERTAKEN:
                    overtaken.append(suggestion_id)
            elif suggestion_id not in self.released:
                later_measured += 1
        if not overtaken:
            return []
        points = ", ".join(f"{i} {self.made[i]}" for i in reversed(overtaken))
        return [
            f"suggestions still pending while {OVERTAKEN} made after them were answered: "
            f"{points}; if the driver that took them died, measure them (run_driver "
            "resume_pending=True) or release them (suggestions_release): until then the "
            "strategy counts them as coming (energy_scan's stop waits on their energies)"
        ]

    def _is_retry(
        self, observation: Observation, client_id: str | None, sequence: int | None
    ) -> bool:
        """Whether the put ``(client_id, sequence)`` is journaled already: as an observation,
        or, for a failed measurement, as a ``FAILED_EVENT``. A put of the other kind under that
        key, or a failed one for another suggestion or reason, is refused."""
        if client_id is None:
            return False
        measured = self.journal.has_put(self.id, client_id, sequence)
        kept = self.journal.put_event(self.id, (FAILED_EVENT,), client_id, sequence)
        failed = kept is not None
        if (measured or failed) and failed != (observation.failed is not None):
            raise different_put_error(client_id, sequence)
        if failed and (kept["payload"]["failed"], kept["payload"]["suggestion_id"]) != (
            observation.failed,
            observation.suggestion_id,
        ):
            raise different_put_error(client_id, sequence)
        return measured or failed

    def _answer(self, suggestion_id: str | None) -> None:
        """``suggestion_id`` (if any) is measured or failed: no longer pending."""
        self.pending.pop(suggestion_id or "", None)
        self._suggested_at.pop(suggestion_id or "", None)

    def _check_new(self, observation: Observation, known: bool) -> None:
        """Refuse a new put naming a suggestion never made, using a ``CAMPAIGN_METADATA``
        key, with a spectrum of more than ``MAX_CHANNELS``, or a time after ``LATEST_TIME``."""
        if not (known or observation.suggestion_id is None):
            raise self._unknown_suggestion(observation.suggestion_id)
        if observation.time > LATEST_TIME:
            raise InvalidParameterError(
                f"observation time={observation.time:g} is after the year 3000; it must be UNIX "
                f"seconds (now {time.time():.4g}): divide milliseconds by 1e3, nanoseconds by "
                "1e9, or leave it out for the time of the put"
            )
        taken = [key for key in CAMPAIGN_METADATA if key in observation.metadata]
        if taken:
            raise InvalidParameterError(
                f"metadata key {taken[0]!r} is written by campaign {self.id} (it writes "
                f"{list(CAMPAIGN_METADATA)} when it scores a spectrum or clips a readback onto "
                "the bounds); rename it in the put"
            )
        spectrum = observation.spectrum
        if spectrum is not None and spectrum.x.size > MAX_CHANNELS:
            raise InvalidParameterError(
                f"the spectrum has {spectrum.x.size} channels, more than the {MAX_CHANNELS} one "
                "observation may carry; bin or crop it, or send it as several observations"
            )

    def _check_learnable(self, spectrum: Spectrum | None) -> list[str]:
        """Refuse a spectrum with missing channels (NaN or inf counts) that an objective,
        or an analysis that does not take them, scores; a spectrum nothing reads (the put
        carries the value) keeps them as sent (a failed or late put's event, as null),
        and what the reply warns of that is returned."""
        missing = np.flatnonzero(~np.isfinite(spectrum.y)) if spectrum is not None else []
        if not len(missing):
            return []
        if self.objective is not None or (
            self.analysis is not None and not self.analysis.takes_missing_channels
        ):
            spectrum.refuse_missing()
        if self.analysis is not None:
            return []
        return [
            f"the spectrum holds NaN or inf at {missing.size} of its {spectrum.y.size} channels "
            f"(the first index {missing[0]}): journaled as sent; this campaign "
            "learns the put's value, not the spectrum"
        ]

    def _check_named(self, point: dict, suggestion_id: str | None) -> None:
        """Refuse the checked ``point`` when a categorical, integer or stepped value differs
        from that of the suggestion it names (no readback moves those: another recipe was
        made); continuous values without a step may differ (a driver's readback)."""
        suggested = self.made.get(suggestion_id)
        if suggested is None:  # none named, or a retry of a put the journal holds already
            return
        differ = [
            f"{dim.name}={point[dim.name]!r} (suggested {suggested[dim.name]!r})"
            for dim in self.space.dimensions
            if not jitters(dim) and point[dim.name] != dim.validate(suggested[dim.name])
        ]
        if differ:
            raise InvalidParameterError(
                f"the put names suggestion {suggestion_id}, whose point differs in "
                f"{', '.join(differ)}: nothing is journaled; send the id of the suggestion "
                "whose point was measured (suggestions_pending lists each with its point), or "
                "omit suggestion_id for a point the campaign did not ask for"
            )

    def _put_warnings(
        self, point: dict, suggestion_id: str | None, readback: dict[str, float]
    ) -> list[str]:
        """What the reply to a put of the checked ``point`` naming ``suggestion_id`` warns
        of, almost always a driver's bug though the put is journaled: a continuous value
        farther than ``FAR_FROM_SUGGESTION`` of its span from the suggestion's, or a
        ``readback`` (``{name: reported value}``, see ``Space.clip_readback``) moved onto a
        bound from farther than ``READBACK_TOLERANCE``; or, for a put naming none, pending
        suggestions at exactly its point (the put answers none of them, so they stay
        pending and a resumed driver measures them again)."""
        if suggestion_id is None:
            same = [i for i, s in self.pending.items() if s.point == point]
            if not same:
                return []
            return [
                f"this point is pending suggestion {', '.join(same)}; send its suggestion_id "
                "with the put so it is answered (or release it): a put without one answers "
                "no suggestion, so it stays pending and a driver resuming pending suggestions "
                "measures it again"
            ]
        suggested = self.made.get(suggestion_id)
        if suggested is None:
            return []
        warnings = []
        for dim in filter(jitters, self.space.dimensions):  # the others equal it (_check_named)
            span, units = dim.high - dim.low, f" {dim.units}" if dim.units else ""
            value, wanted = point[dim.name], suggested[dim.name]
            off = abs(value - wanted)
            if off > FAR_FROM_SUGGESTION * span:
                reach = FAR_FROM_SUGGESTION * span  # a driver in um on a space in nm: 0.514
                scaled = thousandfold(value, wanted - reach, wanted + reach)
                fix = (
                    f"{value:g} {scaled[1]} = {scaled[0]:g}{units} is near it: is the "
                    "driver in other units (um for nm, keV for eV)? convert its points to the "
                    f"space's units{units}"
                    if scaled is not None
                    else "check that the driver puts the point it measured with the id of the "
                    "suggestion it measured"
                )
                warnings.append(
                    f"{dim.name}={value:g}{units} is {off:g}{units} from the "
                    f"{wanted:g}{units} of suggestion {suggestion_id}, more than "
                    f"{FAR_FROM_SUGGESTION:.0%} of the range {dim.low:g}..{dim.high:g} "
                    f"({FAR_FROM_SUGGESTION * span:g}{units}), while a readback usually lies "
                    f"within {FAR_FROM_SUGGESTION:.0%} of its suggestion: it is journaled as "
                    f"put; {fix}"
                )
            reported = readback.get(dim.name, point[dim.name])
            if abs(reported - point[dim.name]) > READBACK_TOLERANCE * span:
                warnings.append(
                    f"{dim.name}={reported:g}{units} lies outside {dim.low:g}..{dim.high:g}"
                    f"{units} by more than the readback tolerance (READBACK_TOLERANCE = "
                    f"{READBACK_TOLERANCE:g} of the range), but within {FAR_FROM_SUGGESTION:.0%} "
                    f"of the range of suggestion {suggestion_id}'s {suggested[dim.name]:g}"
                    f"{units}: it is journaled on the bound {point[dim.name]:g}{units}, the "
                    "reported point kept as metadata driver_point; if the readback is offset "
                    "from the setpoint, calibrate the instrument"
                )
        return warnings

    def _given_up(self, suggestion_id: str) -> str:
        """The warning for a reading of a released suggestion (or one expired): the
        strategy may have suggested its point again, and a reading of that counts too."""
        ids, point = list(self.made), self.made[suggestion_id]
        again = [i for i in ids[ids.index(suggestion_id) + 1 :] if self.made[i] == point]
        ttl = self.pending_ttl_s
        expired = "" if ttl is None else f", or not observed within pending_ttl_s={ttl:g} s"
        made_again = f", and did: {', '.join(again)}" if again else ""
        fix = "" if ttl is None else "; if measuring takes longer than pending_ttl_s, raise it"
        return (
            f"suggestion {suggestion_id} was given up before this reading came (released"
            f"{expired}), so the strategy was free to suggest its point again{made_again}; "
            "this reading is learned, and a reading of the point suggested again counts as "
            f"well (a scan with max_observations may end a point short){fix}"
        )

    def _spectrum_scorer(self) -> str | None:
        """What turns a spectrum into this campaign's value (its objective, or its
        analysis's ``value`` feature), or None when puts carry the value."""
        if self.objective is not None:
            return f"the {self.objective.measure!r} objective"
        if self.analysis is not None and self.analysis.value is not None:
            return f"the {self.analysis.config['name']!r} analysis (value {self.analysis.value!r})"
        return None

    def _unknown_suggestion(self, suggestion_id: str) -> UnknownSuggestionError:
        """The error for a put naming ``suggestion_id``, which this campaign never made."""
        pending = sorted(self.pending)
        shown = ", ".join(pending[:PENDING_SHOWN]) or "none"
        if len(pending) > PENDING_SHOWN:
            shown += f" and {len(pending) - PENDING_SHOWN} more"
        return UnknownSuggestionError(
            f"suggestion_id={suggestion_id!r} was never made by campaign {self.id} (pending: "
            f"{shown}); send the id a suggestions_get returned, or omit suggestion_id for a "
            "measurement the campaign did not ask for"
        )

    def _score(
        self,
        observation: Observation,
        point: dict,
        client_id: str | None,
        sequence: int | None,
    ) -> dict[str, Any]:
        """The changes that scoring ``observation``'s spectrum makes to it: metadata and,
        when the analysis or objective gives one, the value (see ``observe``).

        Raises:
            InvalidParameterError: the spectrum's axis or units are not the analysis's or
                the objective's, or the analysis cannot run on this server (journaling
                nothing: resend it once that is fixed).
            AnalysisError: they failed on it (kept as an ``analysis_failed`` event).
        """
        spectrum = observation.spectrum
        # the driver's units, not the sample: refused, not kept as a failed analysis
        if self.analysis is not None:
            self.analysis.check_axis(spectrum)
        if self.objective is not None:
            self.objective.check_units(spectrum.x_units, spectrum.y_units)
        metadata, value, value_from = dict(observation.metadata), None, None
        step = "objective"
        try:
            if self.analysis is not None:
                step = f"{self.analysis.config['name']} analysis"
                metadata["features"], value = self.analysis(spectrum)
                value_from = self.analysis.value
            if self.objective is not None:
                step = f"{self.objective.measure} objective"
                value = self.objective(spectrum.x, spectrum.y)  # sorts, naming points as sent
                value_from = self.objective.measure
        except Exception as err:  # a fit that raised is a failed analysis too
            kind = "analysis_failed"
            self._keep_unlearned(kind, observation, point, str(err), client_id, sequence)
            raise AnalysisError(
                f"the {step} failed on the spectrum measured at {point}: {err}. The measurement "
                "is kept in the journal as an 'analysis_failed' event and not learned from"
            ) from err
        if value is None:
            return {"metadata": metadata}
        metadata["value_from"] = value_from
        for name in ("value", "uncertainty"):  # in the driver's units, not the value's
            if getattr(observation, name) is not None:
                metadata[f"driver_{name}"] = getattr(observation, name)
        return {"metadata": metadata, "value": value, "uncertainty": None}

    def _keep_unlearned(
        self,
        kind: str,
        observation: Observation,
        point: dict,
        error: str,
        client_id: str | None,
        sequence: int | None,
    ) -> str:
        """Journal a measurement the strategy will not learn from as a ``kind`` event (with
        why, ``error``), so it is not lost; return the kind of event that keeps it. Once per
        ``(client_id, sequence)`` over both kinds: a put that failed analysis and is retried
        after the stop stays one ``analysis_failed`` event."""
        if client_id is not None:
            kept = self.journal.put_event(
                self.id, ("analysis_failed", "late_observation"), client_id, sequence
            )
            if kept is not None:
                return kept["kind"]
        self._journal_unlearned(kind, observation, point, error, client_id, sequence)
        if kind == "analysis_failed":
            self.analysis_failed_points.append(point)
        return kind

    def _journal_unlearned(
        self,
        kind: str,
        observation: Observation,
        point: dict,
        error: str,
        client_id: str | None,
        sequence: int | None,
    ) -> None:
        """Journal the put ``observation`` (at the checked ``point``) as a ``kind`` event,
        with why it is not learned from, ``error``."""
        spectrum = observation.spectrum
        self.journal.append_event(
            self.id,
            kind,
            {
                "point": point,
                "value": observation.value,
                "uncertainty": observation.uncertainty,
                "suggestion_id": observation.suggestion_id,
                "metadata": observation.metadata,
                "time": observation.time,
                "failed": observation.failed,
                "error": error,
                "client_id": client_id,
                "sequence": sequence,
                "spectrum": None
                if spectrum is None
                else {
                    "x": spectrum.x.tolist(),
                    # missing channels as null: SQLite's JSON (the events' index) reads no NaN
                    "y": [v if math.isfinite(v) else None for v in spectrum.y.tolist()],
                    "x_units": spectrum.x_units,
                    "y_units": spectrum.y_units,
                },
            },
        )

    def _limit_reason(self, n_observations: int) -> str | None:
        """Why to stop once there are ``n_observations``: None below ``max_observations``."""
        limit = self.goals.max_observations
        if limit is not None and n_observations >= limit:
            return f"reached max_observations={limit}"
        return None

    def _check_goals(self) -> bool:
        """Stop (and journal why) when a goal is met; return whether stopped."""
        reason = self._limit_reason(self.n_observations)
        if reason is None and self.goals.stop_on_convergence:
            reason = self._strategy_stop_reason()
        if reason:
            self.stop(reason)
        return self.status != "running"

    def call_strategy(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """``strategy.<method>(*args, **kwargs)``. An error of no :class:`AdaptiveError`
        type that it raises (a plugin's bug, a ``KeyError`` read as the request's, a
        ``sys.exit``, asyncio's ``CancelledError``; not Ctrl-C's ``KeyboardInterrupt``) is a
        :class:`StrategyError` naming the strategy and the method, caused by that error (the
        server logs its traceback). After a rebuild that failed, the rebuild's error."""
        if self._unrebuilt is not None:
            raise StrategyError(
                f"{self._unrebuilt} (raised rebuilding the strategy from the journal after an "
                "error; restart the server once the strategy is fixed)"
            )
        try:
            return getattr(self.strategy, method)(*args, **kwargs)
        except (AdaptiveError, KeyboardInterrupt):  # not Ctrl-C's
            raise
        except BaseException as err:  # sys.exit, asyncio's CancelledError too
            raise StrategyError(
                f"strategy {self.config['strategy']['name']!r} {method}() raised "
                f"{type(err).__name__}: {err}; fix the strategy"
            ) from err

    def strategy_returns(self, method: str, fits: Callable[[Any], bool], expected: str) -> Any:
        """``call_strategy(method)``; a value that ``fits`` refuses is a
        :class:`StrategyError` naming it and what the method should return (``expected``),
        not the request's error nor a server bug."""
        value = self.call_strategy(method)
        if not fits(value):
            raise StrategyError(
                f"strategy {self.config['strategy']['name']!r} {method}() returned "
                f"{reprlib.repr(value)}; fix it to return {expected}"
            )
        return value

    def _strategy_stop_reason(self) -> str | None:
        """The strategy's ``stop_reason()``: None or non-empty text (``strategy_returns``)."""
        return self.strategy_returns(
            "stop_reason",
            lambda reason: reason is None or (isinstance(reason, str) and bool(reason)),
            "None while running, or non-empty text saying why it stops",
        )

    def stop(self, reason: str = "stopped by request") -> None:
        """Stop for ``reason``, journaled before the campaign changes; no-op once stopped."""
        if not isinstance(reason, str) or not reason:
            raise InvalidParameterError(
                f"reason={reason!r} must be non-empty text such as 'beam lost'; omit it for "
                "'stopped by request'"
            )
        if self.status != "running":
            return
        with self.journal.transaction():
            self._journal_stop(reason)
        self.status, self.stop_reason = "stopped", reason

    def _journal_stop(self, reason: str) -> None:
        """Write the stop (status and a ``stop`` event) inside the caller's transaction."""
        self.journal.set_status(self.id, "stopped", reason)
        self.journal.append_event(self.id, "stop", {"reason": reason})

    def summary(self) -> dict:
        """JSON-able status: counts, pending ids, stop reason, strategy config.

        ``goals_checked_at`` is ``n_observations`` when a ``suggest`` last found no goal met
        (None before the first): the strategy's stopping rule (a refit, for a model) is
        checked only by ``suggest``, so a running campaign with more observations than that
        may stop at the next one; the put that meets ``max_observations`` stops it at once."""
        return {
            "campaign_id": self.id,
            "status": self.status,
            "stop_reason": self.stop_reason,
            "n_observations": self.n_observations,
            "n_failed": self.n_failed,
            "goals_checked_at": self.goals_checked_at,
            "pending": sorted(self.pending),
            "pending_ttl_s": self.pending_ttl_s,
            "space": self.config["space"],
            "strategy": self.config["strategy"],
            "goals": self.config["goals"],
            "objective": None if self.objective is None else self.objective.measure,
            "analysis": self.config.get("analysis"),
        }
