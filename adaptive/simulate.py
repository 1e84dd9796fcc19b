"""Offline campaigns: the real server on loopback, a simulated instrument, figures, summary."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import NamedTuple

import numpy as np
from tqdm import tqdm

from adaptive.arrays import check_int, is_finite_real, is_real
from adaptive.campaign import MAX_SUGGESTIONS, Campaign
from adaptive.client import Client
from adaptive.errors import InvalidParameterError
from adaptive.figures import (
    plot_importance_by_round,
    plot_rounds,
    plot_scan,
    plot_spectrum_match,
)
from adaptive.insights import campaign_insights, fewest_explained
from adaptive.journal import Journal
from adaptive.metrics import nrmse, nrmse_span
from adaptive.objectives import MIN_COVERAGE, SpectrumObjective, reduce_spectra, target_loss
from adaptive.server import Server
from adaptive.space import Space
from adaptive.strategies.batch_bo import MAX_BATCH, MAX_GREEDY_BATCH, check_greedy_batch
from adaptive.strategies.energy_scan import DEFAULT_INITIAL, MAX_INITIAL, NOISE_MODELS
from drivers import SimulatedInstrument, SynthesisInstrument, run_driver
from simulators import XMCD, AgNPSynthesis, KEdgeXAS, RecordedSpectrum
from simulators.agnp import BOUNDS, FACTORS, MAX_DROPLETS, MAX_FRACTION_SUM, WAVELENGTHS
from simulators.base import MAX_COUNTS, MIN_TRANSMITTED, TooFewCountsError
from simulators.replay import GAP_STEPS, MU_NAMES, gaps
from simulators.text_files import read_named_columns
from surrogates.shap_report import plot_shap

#: The first round after the design in which BatchBO's spectrum network proposes: its
#: default ``net_after`` is the design plus one GP round.
NET_FIRST_ROUND = 2

#: The XAS channels in counts: transmission (``Simulator._transmission``), whose noise-free
#: values are per incident photon, and a replay's fluorescence (``RecordedSpectrum``), whose
#: noise-free values are a fraction of the counts at the highest mu.
COUNT_CHANNELS = ("i0", "i1", "i1_plus", "i1_minus", "if")

#: The strategies ``simulate_xas`` runs (``--strategy``).
XAS_STRATEGIES = ("energy_scan", "random")

# The default synthesis goal: the simulator's own spectrum of this recipe, so the
# optimum is known. Pass --target for a measured target (e.g. the nanoprism one).
GOAL_RECIPE = {
    "QAgNO3(%)": 30.0,
    "Qpva(%)": 20.0,
    "Qtsc(%)": 6.0,
    "Qseed(%)": 4.0,
    "Qtot(uL/min)": 400.0,
}


def check_noise_counts(value) -> float | None:
    """``--noise-counts`` as a simulator's ``i0``: None (noise-free) for 0 or None, refused
    unless a number from 0 to ``MAX_COUNTS``."""
    if value is None or value == 0:
        return None
    if not (is_finite_real(value) and 0 < value <= MAX_COUNTS):
        shown = f"{value:g}" if is_real(value) else repr(value)
        raise InvalidParameterError(
            f"--noise-counts {shown}: must be the incident counts I0 per point, from 0 "
            f"(noise-free) to {MAX_COUNTS:g}, e.g. 1e6"
        )
    return value


def xas_source(
    source: str,
    noise_counts: float | None,
    seed: int,
    fluorescence: str | None = None,
    column: str | None = None,
):
    """A simulator by name (``kedge``, ``xmcd``) or a recorded spectrum file (a
    ``fluorescence`` column read over i0, or a ``column`` read as mu: see
    ``simulators.replay.read_spectrum``), measured with ``noise_counts`` I0 per point
    (``check_noise_counts``: 0 or None is noise-free)."""
    noise_counts = check_noise_counts(noise_counts)
    for option, name in (("--fluorescence", fluorescence), ("--column", column)):
        if name is not None and source in ("kedge", "xmcd"):
            raise InvalidParameterError(
                f"{option} names a column of a recorded file; --source {source} has none "
                "(a simulator's channels are chosen with --channel)"
            )
    if source in ("kedge", "xmcd"):
        try:
            return (KEdgeXAS if source == "kedge" else XMCD)(i0=noise_counts, seed=seed)
        except TooFewCountsError as err:  # default settings: only too few counts are refused
            raise InvalidParameterError(
                f"--noise-counts {noise_counts:g} is too few for --source {source}: under "
                f"{MIN_TRANSMITTED:g} counts would pass its most absorbing energy, so many "
                f"readings would clip; pass --noise-counts {err.least_i0:g} or more, or 0 for "
                "noise-free"
            ) from None
    if not Path(source).is_file():
        raise InvalidParameterError(
            f"--source {source!r} is neither kedge, xmcd nor a file; pass kedge, xmcd or the "
            "path of a recorded spectrum (XDI, or two columns: energy eV, mu)"
        )
    recorded = RecordedSpectrum.from_file(source, fluorescence=fluorescence, column=column)
    check_not_flat(recorded.mu, recorded.signal, f"--source {source}")
    return with_noise(recorded, noise_counts, seed, f"--source {source}")


def check_not_flat(values: np.ndarray, signal: str, where: str) -> None:
    """Refuse (``InvalidParameterError``) the replay of ``where`` (the file's option and
    path) whose noise-free mu ``values`` (m,), read as ``signal`` (``Recording.signal``), is
    flat over its 0.5th-99.5th percentiles (``nrmse_span`` 0: an all-zero column): it has
    no edge for a scan to find (an energy scan never stops on it) and no scale for NRMSE.
    ``simulate xas`` checks the recorded points, the scan benchmark its truth."""
    if nrmse_span(values) > 0:
        return
    raise InvalidParameterError(
        f"{where}: mu = {signal} is flat ({np.percentile(values, 0.5):g} at its 0.5th and "
        "99.5th percentiles): no edge to scan, and NRMSE, scaled by their difference, is "
        "undefined; name the column that holds the spectrum (--column NAME, or --fluorescence "
        "NAME over i0), or replay a spectrum with an edge"
    )


def with_noise(
    recorded: RecordedSpectrum, noise_counts: float | None, seed: int, what: str
) -> RecordedSpectrum:
    """``recorded`` replayed with ``noise_counts`` I0 per point (None: noise-free), seeded
    with ``seed``; too few counts for its mu are refused naming ``--noise-counts``, ``what``
    (the file's option and path) and 0 for noise-free, as for kedge and xmcd, and a larger
    ``--noise-counts`` unless even ``MAX_COUNTS`` are too few (mu spanning more than about
    38.6), when mu must be rescaled; a fluorescence-like column read as mu (``--column``)
    is pointed to ``--fluorescence``. A fluorescence replay, whose ``noise_counts`` are the
    counts at its highest mu, needs ``MIN_TRANSMITTED`` of them (``RecordedSpectrum``)."""
    try:
        return recorded.replayed(noise_counts, seed)
    except TooFewCountsError as err:  # a recording read already: only too few counts refused
        column = recorded.signal.removeprefix("column ")
        fluorescent = not recorded.fluorescent and column in recorded.fluorescence_columns
        hint = (
            f"; its column {column}, read as mu, holds fluorescence counts by its title: "
            f"with an i0 column, replay them over i0 with --fluorescence {column}"
            if fluorescent
            else ""
        )
        if err.least_i0 is not None:
            raise InvalidParameterError(
                f"--noise-counts {noise_counts:g} is too few for {what} ({err}); pass "
                f"--noise-counts {err.least_i0:g} or more, or 0 for noise-free{hint}"
            ) from None
        raise InvalidParameterError(
            f"--noise-counts {noise_counts:g}: no --noise-counts up to {MAX_COUNTS:g} is enough "
            f"for {what} ({err}); rescale its mu, or pass --noise-counts 0 for noise-free{hint}"
        ) from None


def simulate_xas(
    out: str | Path,
    source="kedge",
    channel=None,
    strategy="energy_scan",
    max_points=80,
    n_initial=None,
    batch=1,
    noise_counts=1e6,
    noise=None,
    seed=0,
    bind="tcp://127.0.0.1:0",
    fluorescence=None,
    column=None,
    on_created: Callable[[str, Path], None] | None = None,
) -> dict:
    """An adaptive energy scan through the server; writes scan.png and the journal in
    ``out``. ``noise_counts``: I0 per point, 0 or None for noise-free (``xas_source``).
    ``noise``: energy_scan's noise model (``EnergyScan``: "reported", its default, or
    "learned", for readings whose uncertainties understate their scatter); None for the
    default.
    ``on_created(campaign_id, journal_path)`` is called once the campaign exists.
    The summary says what was scanned: ``mu`` (what the replayed mu is: ``ln(i0/i1)``,
    ``Sum_Fe_Ka/i0``, ``column mu``; ``simulated`` for kedge and xmcd), ``channel``, and
    ``noise_counts`` (None: noise-free) and ``seed``;
    a note on stderr names a file's fluorescence-like columns (XDI or titled columns) when
    no ``fluorescence`` nor ``column`` was chosen and it has an i0 column to read them over,
    another a mu titled as fluorescence (``mufluor``) then counted in transmission, and
    another each gap of the recording (``replay.gaps``).
    The figure's truth and the summary's ``nrmse`` are of the scanned channel
    (``true_channel``).

    The settings are checked first (``--strategy`` one of ``XAS_STRATEGIES``;
    ``--max-points`` >= 2, the points a reconstruction needs, and >= 3 for ``energy_scan``,
    whose grid it caps; ``--batch`` at most the server's ``MAX_SUGGESTIONS`` per call;
    ``--n-initial`` of ``energy_scan`` from 3 to ``MAX_INITIAL`` and at most
    ``--max-points``, None for its default, and given to no other strategy; ``--seed`` >= 0;
    ``--channel`` one of the source's; a replayed mu not flat, see ``check_not_flat``;
    ``--noise-counts`` enough for the source, see ``with_noise``), so a bad one writes
    nothing. The progress bar ends at the points measured: a scan that converges stops
    before ``max_points``.
    """
    out = Path(out)
    if strategy not in XAS_STRATEGIES:
        raise InvalidParameterError(
            f"--strategy {strategy!r}: simulate xas runs {' or '.join(XAS_STRATEGIES)}; "
            "pass one of them"
        )
    max_points = check_int("--max-points", max_points, low=2)
    batch = check_int("--batch", batch, high=MAX_SUGGESTIONS)
    if strategy == "energy_scan" and max_points < 3:
        raise InvalidParameterError(
            f"--max-points {max_points}: --strategy energy_scan starts from a grid of at least "
            "3 points; pass --max-points 3 or more"
        )
    if strategy == "energy_scan" and n_initial is None and max_points < DEFAULT_INITIAL:
        n_initial = max_points  # a scan shorter than the default grid is all grid
    if strategy == "energy_scan" and n_initial is not None:
        n_initial = check_int("--n-initial", n_initial, low=3, high=MAX_INITIAL)
        if n_initial > max_points:
            raise InvalidParameterError(
                f"--n-initial {n_initial} is more than --max-points {max_points}: the scan "
                f"would stop inside its starting grid; pass --n-initial {max_points} or less, "
                f"or --max-points {n_initial} or more"
            )
    elif n_initial is not None:
        raise InvalidParameterError(
            f"--n-initial {n_initial}: only --strategy energy_scan starts from a grid of "
            f"points; drop --n-initial for --strategy {strategy}"
        )
    if noise is not None and strategy != "energy_scan":
        raise InvalidParameterError(
            f"--noise {noise}: only --strategy energy_scan models the noise; drop --noise for "
            f"--strategy {strategy}"
        )
    if noise not in (None, *NOISE_MODELS):
        raise InvalidParameterError(f"--noise {noise!r}: pass one of {', '.join(NOISE_MODELS)}")
    seed = check_int("--seed", seed, low=0)
    simulator = xas_source(source, noise_counts, seed, fluorescence, column)
    if channel is not None and channel not in simulator.channels:
        raise InvalidParameterError(
            f"--channel {channel}: {source} measures {', '.join(simulator.channels)}; "
            "pass one of them"
        )
    instrument = SimulatedInstrument(simulator, channel=channel)
    recorded = isinstance(simulator, RecordedSpectrum)
    signal = simulator.signal if recorded else "simulated"
    scanned = instrument.channel  # in the figure's title
    if recorded:
        scanned = f"mu = {signal}" if scanned == "mu" else f"{scanned} (mu = {signal})"
    chose = fluorescence is not None or column is not None
    if recorded and not chose and simulator.fluorescence_columns:
        print(
            f"note: replaying mu = {signal}; {source} also has fluorescence-like columns "
            f"{', '.join(simulator.fluorescence_columns)}: pass --fluorescence NAME to replay "
            "NAME/i0",
            file=sys.stderr,
        )
    fluor_mu = recorded and not simulator.fluorescent and "fluor" in signal.lower()
    if fluor_mu and not chose and simulator.i0 is not None:
        title = signal.removeprefix("column ")
        # --fluorescence reads a column titled as mu (MU_NAMES) as it is, any other over i0
        how = (
            f"pass --fluorescence {title}"
            if title.lower() in MU_NAMES
            else "title its column mufluor and pass --fluorescence mufluor"
        )
        print(
            f"note: replaying mu = {signal}, a fluorescence mu by its title, counted in "
            f"transmission (I0 {simulator.i0:g}); {how} to count it in fluorescence",
            file=sys.stderr,
        )
    for start, end in gaps(simulator.energy) if recorded else ():
        print(
            f"note: {source} has a gap from {start:g} to {end:g} eV ({end - start:g} eV in "
            f"steps over {GAP_STEPS} times those around them): the replay interpolates across "
            "it, so readings there were not measured",
            file=sys.stderr,
        )
    low, high = simulator.energy_range
    server = Server(out / "journal.sqlite", bind=bind)
    started = time.perf_counter()
    scan = {"n_initial": n_initial, "noise": noise}
    scan = {name: value for name, value in scan.items() if value is not None}
    options = {"energy_scan": scan, "random": {"seed": seed}}[strategy]
    try:
        with Client(server.start(), timeout_s=30) as client:
            campaign_id = client.call(
                "campaign_create",
                space={"dimensions": [{"name": "energy", "low": low, "high": high, "units": "eV"}]},
                strategy={"name": strategy, "options": options},
                goals={"max_observations": max_points},
            )["campaign_id"]
            if on_created is not None:
                on_created(campaign_id, out / "journal.sqlite")
            with tqdm(total=max_points, desc="measuring", unit="pt") as bar:
                run = run_driver(
                    client,
                    campaign_id,
                    instrument,
                    batch=batch,
                    on_measured=lambda n, put: bar.update(),
                )
                bar.total = bar.n  # a converged scan ends before max_points
            measured = client.call("observations_get", campaign_id=campaign_id)
            grid = np.linspace(low, high, 2000)
            model = client.call("model_predict", campaign_id=campaign_id, points=grid)
    finally:
        server.stop()
    energies = np.array([p["energy"] for p in measured["points"]])
    read = {"fluorescence": fluorescence, "column": column}
    truth = true_channel(source, seed, read, instrument.channel, simulator.i0, grid)
    figure = plot_scan(
        out / "scan.png",
        energies,
        measured["values"],
        grid,
        model["mean"],
        model["std"],
        truth,
        title=f"{strategy} on {Path(source).name}: {scanned}, {len(energies)} points",
        ylabel=f"{instrument.channel} (counts)"
        if instrument.channel in COUNT_CHANNELS and simulator.i0 is not None
        else instrument.channel,  # noise-free counts are fractions of i0
    )
    return {
        "campaign_id": campaign_id,
        "source": source,
        "mu": signal,
        "channel": instrument.channel,
        "strategy": strategy,
        "noise_counts": float(noise_counts) if noise_counts else None,  # None: noise-free
        "seed": int(seed),
        "n_measured": run.n_measured,
        "stop_reason": run.stop_reason,
        "seconds": round(time.perf_counter() - started, 2),
        "figure": str(figure),
        "journal": str(out / "journal.sqlite"),
        **nrmse(model["mean"], truth, instrument.channel),
    }


def true_channel(source, seed: int, read: dict, channel: str, i0, grid: np.ndarray):
    """The noise-free ``channel`` of ``source`` on ``grid`` (m,), (m,): what a noise-free
    twin (``xas_source`` without noise, reading the file as ``read``: its ``fluorescence``
    and ``column``) measures, in counts of ``i0`` per point for the ``COUNT_CHANNELS``
    (the twin counts one incident photon per point)."""
    truth = xas_source(source, None, seed, **read).measure_channels(grid)[channel]
    return truth * i0 if channel in COUNT_CHANNELS and i0 is not None else truth


def synthesis_space() -> dict:
    """The AgNP recipe space: flow fractions sum to <= 100%, total flow in 1 uL/min steps."""
    dims = [
        {"name": f, "low": BOUNDS[f][0], "high": BOUNDS[f][1], "units": "%"} for f in FACTORS[:4]
    ]
    low, high = BOUNDS["Qtot(uL/min)"]
    dims.append(
        {
            "name": "Qtot(uL/min)",
            "low": float(np.ceil(low)),
            "high": float(np.floor(high)),
            "units": "uL/min",
            "step": 1.0,
        }
    )
    fractions = {
        "coefficients": {f: 1.0 for f in FACTORS[:4]},
        "upper": MAX_FRACTION_SUM,
        "name": "flow fractions <= 100%",
    }
    return {"dimensions": dims, "constraints": [fractions]}


def read_target(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """A target spectrum CSV with columns ``wavelength_nm`` and ``absorbance_target``
    (``read_named_columns``: separated by commas, semicolons or tabs, ``#`` comment lines
    skipped).

    Returns:
        (n,) wavelengths and (n,) absorbance, in file order.
    """
    try:
        values = read_named_columns(
            path,
            ["wavelength_nm", "absorbance_target"],
            "a target spectrum CSV",
            "write the target spectrum as columns wavelength_nm and absorbance_target",
        )
    except ValueError as err:
        raise InvalidParameterError(str(err)) from None
    return values[:, 0], values[:, 1]


def _check_target(path, objective: SpectrumObjective) -> None:
    """Refuse a target every put would fail on, with a hint the user can act on: one the
    simulator's spectra (on ``WAVELENGTHS``) do not cover enough (a target in micrometres,
    one wholly outside them, or one too wide), or one constant on the wavelengths they
    share (the loss min-max normalises it)."""
    low, high = WAVELENGTHS[0], WAVELENGTHS[-1]
    first, last = objective.target_x[0], objective.target_x[-1]
    try:
        inside = objective.inside(WAVELENGTHS)  # the objective's own coverage rule
    except InvalidParameterError:
        if low / 1000 <= first and last <= high / 1000:
            hint = (
                f", within the simulator's {low:g}-{high:g} nm divided by 1000: its wavelengths "
                "look like micrometres; multiply the wavelength_nm column by 1000 (nanometres)"
            )
        elif last < low or first > high:
            hint = (
                f", with no part in the {low:g}-{high:g} nm the simulator measures: give a "
                "target spectrum on that range"
            )
        else:
            hint = (
                f"; the simulator measures only {low:g}-{high:g} nm, under {MIN_COVERAGE:.0%} of "
                f"that span: crop the target to {low:g}-{high:g} nm"
            )
        raise InvalidParameterError(f"--target {path} spans {first:g}-{last:g} nm{hint}") from None
    shared = np.interp(WAVELENGTHS[inside], objective.target_x, objective.target_y)
    if np.ptp(shared) == 0:
        raise InvalidParameterError(
            f"--target {path}: absorbance_target is constant ({shared[0]:g}) over the "
            f"{low:g}-{high:g} nm the simulator measures, so it has no shape to match: "
            "give a target spectrum with a peak"
        )


def simulate_synthesis(
    out: str | Path,
    batch=15,
    rounds=6,
    droplets=3,
    method="qlognei",
    model="gp",
    seed=0,
    target=None,
    bind="tcp://127.0.0.1:0",
    on_created: Callable[[str, Path], None] | None = None,
) -> dict:
    """A batch-recipe campaign on the AgNP simulator; writes figures, returns a summary.

    ``model`` is BatchBO's proposer: ``gp``, ``net`` (the spectrum network after the
    design and one GP round; a warning on stderr when ``rounds`` are too few) or ``mix``
    (half of each batch from each).
    The campaign measures a design of ``max(batch, 2)`` recipes (BatchBO's model needs
    two), then ``rounds`` batches of ``batch``: at least one more recipe than the 5
    factors in all (``insights.fewest_explained``), for the SHAP report.
    Each recipe is measured in ``droplets`` droplets, from 1 to ``MAX_DROPLETS``.
    The settings are checked before the campaign is created;
    ``on_created(campaign_id, journal_path)`` is called once it is.
    Progress bars on stderr count the recipes measured, then the insights' SHAP rounds
    (of both surrogates) and the figures.
    """
    out = Path(out)
    batch = check_int("--batch", batch, high=MAX_BATCH)
    check_greedy_batch(
        [method],
        batch,
        f"--batch {batch}",
        f"pass --batch {MAX_GREEDY_BATCH} or less, or --method thompson or local_penalization",
    )
    rounds = check_int("--rounds", rounds, low=0)
    droplets = check_int("--droplets", droplets, high=MAX_DROPLETS)
    seed = check_int("--seed", seed, low=0, high=2**63 - 1)  # BatchBO's bound
    n_initial = max(batch, 2)
    n_recipes = n_initial + batch * rounds
    fewest = fewest_explained(len(FACTORS))
    if n_recipes < fewest:
        raise InvalidParameterError(
            f"--batch {batch} --rounds {rounds} gives {n_recipes} recipes (a design of "
            f"{n_initial}, then {rounds} batch{'es' * (rounds != 1)} of {batch}); the SHAP "
            f"report needs at least {fewest}, one more than the {len(FACTORS)} factors: raise "
            "--batch or --rounds"
        )
    if model in ("net", "mix") and rounds < NET_FIRST_ROUND:
        print(
            f"warning: --model {model} --rounds {rounds}: the spectrum network proposes from "
            f"round {NET_FIRST_ROUND} after the design (it trains on the design and one GP "
            f"round), so this run is GP only; pass --rounds {NET_FIRST_ROUND} or more",
            file=sys.stderr,
        )
    simulator = AgNPSynthesis(seed=seed)
    if target is None:
        goal = np.array([GOAL_RECIPE[f] for f in FACTORS])
        target_x, target_y = WAVELENGTHS, simulator.spectrum_true(goal)
    else:
        target_x, target_y = read_target(target)
        try:
            objective = SpectrumObjective(target_x, target_y)
        except InvalidParameterError as err:
            raise InvalidParameterError(f"--target {target}: {err}") from None
        _check_target(target, objective)
        target_x, target_y = objective.target_x, objective.target_y  # sorted (UV-Vis: high to low)
    journal_path = out / "journal.sqlite"
    server = Server(journal_path, bind=bind)
    started = time.perf_counter()
    try:
        with Client(server.start(), timeout_s=120) as client:
            campaign_id = client.call(
                "campaign_create",
                space=synthesis_space(),
                strategy={
                    "name": "batch_bo",
                    "options": {
                        "q": batch,
                        "n_initial": n_initial,
                        "batch_method": method,
                        "model": model,
                        "seed": seed,
                    },
                },
                goals={"max_observations": n_recipes * droplets},
                objective={
                    "target_x": target_x,
                    "target_y": target_y,
                    "measure": "target_loss",
                    "x_units": "nm",
                    "y_units": "absorbance",
                },
            )["campaign_id"]
            if on_created is not None:
                on_created(campaign_id, journal_path)
            with tqdm(total=n_recipes, desc="recipes", unit="recipe") as bar:
                run = run_driver(
                    client,
                    campaign_id,
                    SynthesisInstrument(simulator),
                    batch=batch,
                    replicates=droplets,
                    on_measured=lambda n, put: bar.update(),
                )
    finally:
        server.stop()
    insights, figures, best = _synthesis_report(out, journal_path, campaign_id, target_x, target_y)
    last = insights["rounds"][-1]
    return {
        "campaign_id": campaign_id,
        "method": method,
        "model": model,
        "batch": batch,
        "rounds": rounds,
        "seed": seed,
        "target": "simulator's goal recipe" if target is None else str(target),
        "recipes": run.n_measured,
        "droplets_per_recipe": droplets,
        "stop_reason": run.stop_reason,
        "seconds": round(time.perf_counter() - started, 1),
        "best_loss": last["best_so_far"],
        "best_recipe": best.point,
        "goal_recipe": GOAL_RECIPE if target is None else None,
        "best_loss_by_round": [r["best_so_far"] for r in insights["rounds"]],
        "median_loss_by_round": [r["median"] for r in insights["rounds"]],
        **median_by_source(insights["rounds"][1:]),  # after the design
        "shap_importance_last_round": last["shap_importance"],
        "shap_importance_net_last_round": last["shap_importance_net"],
        "figures": [str(f) for f in figures],
        "journal": str(journal_path),
    }


def median_by_source(rounds: list[dict]) -> dict:
    """The median objective of each source's recipes, pooled like for like.

    Only the rounds in which every source proposed are pooled: with ``--model mix`` the
    GP proposes alone in round 1, from the design only, and pooling that round would
    set the GP's early recipes against the network's later ones. When no round holds
    every source (``--model net``: the GP in round 1, the network after), each source
    is pooled over its own rounds and a note says the medians are not comparable.

    Args:
        rounds: ``campaign_insights`` rounds; their ``"round"`` numbers them and their
            ``values_by_source`` map a source ("design", "gp", "net") to the objective
            of each of its recipes (n_s,).

    Returns:
        The summary's ``median_loss_by_source`` ({source: median}),
        ``median_loss_rounds_pooled`` ({source: [round, ...]}) and
        ``median_loss_note`` (None when the medians compare like for like).
    """
    sources = list(dict.fromkeys(s for r in rounds for s in r["values_by_source"]))
    shared = [r for r in rounds if set(r["values_by_source"]) == set(sources)]
    pooled = {s: [r for r in shared or rounds if s in r["values_by_source"]] for s in sources}
    note = None
    if len(sources) > 1 and not shared:
        note = (
            f"{', '.join(sources[:-1])} and {sources[-1]} never proposed in the same round: "
            "each median pools its own source's rounds (median_loss_rounds_pooled) and "
            "later rounds learn from more data, so these medians are not a like-for-like "
            "comparison"
        )
    return {
        "median_loss_by_source": {
            s: float(np.median([v for r in pooled[s] for v in r["values_by_source"][s]]))
            for s in sources
        },
        "median_loss_rounds_pooled": {s: [r["round"] for r in pooled[s]] for s in sources},
        "median_loss_note": note,
    }


class BestRecipe(NamedTuple):
    """The recipe of lowest loss, as measured.

    Attributes:
        point: ``{factor: value}`` as the driver put it.
        loss: its loss, the median of its droplets' own losses.
        droplets: spectra (r, w) of its droplets.
    """

    point: dict
    loss: float
    droplets: np.ndarray


def best_recipe(space: Space, x: np.ndarray, y: np.ndarray, observations: list) -> BestRecipe:
    """The recipe of lowest loss among the strategy's recipes ``x`` (n, d), in unit
    coordinates, of losses ``y`` (n,), with its droplets among ``observations``.

    Matched in unit coordinates: decoding the unit row need not give back the measured floats.
    """
    best = int(np.argmin(y))
    with_spectra = [o for o in observations if o.spectrum is not None]
    units = space.to_unit([o.point for o in with_spectra])
    at_best = np.isclose(units, x[best], rtol=0.0, atol=1e-9).all(axis=1)
    hits = [o for o, hit in zip(with_spectra, at_best, strict=True) if hit]
    return BestRecipe(hits[0].point, float(y[best]), np.array([o.spectrum.y for o in hits]))


def _best_title(drawn: float, best: BestRecipe) -> str:
    """The best-spectrum figure's title: the loss ``drawn`` of the spectrum drawn, the
    median of the ``best`` recipe's droplets, beside the recipe's loss when they differ,
    then the recipe."""
    flows = ", ".join(f"{factor} {value:.4g}" for factor, value in best.point.items())
    n_droplets = len(best.droplets)
    if n_droplets == 1:
        return f"best recipe: loss {drawn:.3g}\n{flows}"
    return (
        f"best recipe: median spectrum of its {n_droplets} droplets, loss {drawn:.3g}\n"
        f"(the recipe's loss, {best.loss:.3g}, is the median of the droplets' own "
        f"losses)\n{flows}"
    )


def _synthesis_report(
    out, journal_path, campaign_id, target_x, target_y
) -> tuple[dict, list, BestRecipe]:
    """The campaign's ``campaign_insights`` (its SHAP rounds kept in the journal, as the
    server keeps them), figures and best recipe, under a progress bar of the
    SHAP rounds, then one step for the figures."""
    with ExitStack() as closing:
        bar = None

        def show(done: int, total: int) -> None:
            nonlocal bar
            if bar is None:  # shown once the total is known; every step drawn (a few slow
                # ones: tqdm's 0.1 s redraw interval skipped one that came quickly)
                bar = closing.enter_context(
                    tqdm(total=total + 1, desc="insights", unit="step", mininterval=0)
                )
            bar.update(done - bar.n)

        journal = Journal(journal_path)
        try:
            campaign = Campaign.resume(journal, campaign_id)
            observations = journal.observations(campaign_id)
            insights = campaign_insights(campaign, cache=True, progress=show)
        finally:
            journal.close()
        space = campaign.strategy.space
        best = best_recipe(space, *campaign.strategy.data(in_order=True)[:2], observations)
        figures = _synthesis_figures(out, space, best, insights, target_x, target_y)
        bar.update()
    return insights, figures, best


def _synthesis_figures(out, space, best, insights, target_x, target_y) -> list:
    """The figures of a synthesis campaign in ``space``: its ``best`` recipe's spectrum
    and its ``insights``; the paths written."""
    spectrum = reduce_spectra(best.droplets)
    drawn = target_loss(WAVELENGTHS, spectrum, target_x, target_y)
    shap_rounds = [r for r in insights["rounds"] if r["shap_values"] is not None]
    final = shap_rounds[-1]
    n_total = sum(r["n_recipes"] for r in insights["rounds"])
    explained = f"{n_total} recipes, {len(final['shap_values'])} explained"
    choices = {n: space[n].choices for n in space if space[n].kind == "categorical"}
    return [
        plot_rounds(out / "loss_by_round.png", insights["rounds"]),
        plot_spectrum_match(
            out / "best_spectrum.png",
            WAVELENGTHS,
            spectrum,
            target_x,
            target_y,
            title=_best_title(drawn, best),
        ),
        plot_shap(
            final["shap_values"],
            final["shap_recipes"],
            space.names,
            out / "shap.png",
            title=f"SHAP on the GP's predicted loss: {explained}",
            choices=choices,
        ),
        plot_importance_by_round(out / "shap_by_round.png", shap_rounds),
        plot_shap(
            final["shap_values_net"],
            final["shap_recipes_net"],
            space.names,
            out / "shap_net.png",
            title=f"SHAP on the spectrum network's predicted loss: {explained}",
            choices=choices,
        ),
    ]
