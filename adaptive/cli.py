"""The adaptive command: serve, simulate, bench, identify, fit, train."""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import importlib.util
import json
import math
import os
import re
import signal
import sqlite3
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from importlib.machinery import PathFinder
from pathlib import Path
from typing import NoReturn

from adaptive.errors import AdaptiveError, InvalidParameterError, JournalError, RemoteError
from adaptive.stamps import stamped
from adaptive.stderr_log import STDERR


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows each option's default, except for flags (``--json``) and options whose
    default is None (their help says what leaving them out does)."""

    def _get_help_string(self, action):
        if action.default is None or action.nargs == 0:
            return action.help
        return super()._get_help_string(action)


JSON_HELP = "print one line of JSON and no progress bar (default: indented JSON)"
CHECKPOINTS_HELP = "folder of per-epoch checkpoints; a run with the same settings resumes there"
TRAINED_OUT_HELP = (
    "weights file written (to replace the committed network, name its file in surrogates/weights/)"
)
PEAK_WEIGHTS_HELP = "peak-network weights file of train peakfit --out (default: the committed)"
#: What ``adaptive serve --plugin`` takes.
PLUGIN_WHAT = (
    ".py file, or a dotted module name in the current directory or on PYTHONPATH, that calls "
    "adaptive.strategies.register_strategy"
)


def _print_result(result: dict, args) -> None:
    """Print a command's figures: one JSON line with ``--json``, else indented JSON."""
    print(json.dumps(result, indent=None if args.json else 2, allow_nan=False))


#: The signals that stop ``adaptive serve``: its closing line's first word, and the exit
#: status of the stop (SIGTERM, a service manager's stop, is not a failure).
SERVE_SIGNALS = {signal.SIGINT: ("interrupted", 130), signal.SIGTERM: ("terminated", 0)}


def cmd_serve(args) -> int:
    """Serve until SIGINT (Ctrl-C) or SIGTERM (systemd, docker stop), then stop: requests
    in progress get up to ``WORKER_GRACE_S``, and a second signal after the line saying so
    quits at once (exit 128 + its number); one before it (``timeout`` signals the server
    and then its process group) lets the stop close the journal. Every put is committed
    before its reply, so neither loses anything journaled. A signal while it starts, before
    the journal is opened (the imports take seconds on a loaded machine), quits at once
    with the same exit status."""

    def closing() -> str:
        """The closing line after the signal's word: the journal keeps every campaign, or
        why it no longer does; and the requests abandoned unanswered, if any."""
        problem = server.journal.file_problem()
        line = f"server stopped; {problem}"
        if problem is None:
            line = (
                f"server stopped; its journal {Path(args.journal).resolve()} keeps every "
                "campaign: serve it again to resume them"
            )
        # a second signal quits while the workers run, before stop() has counted them
        left = max(server.workers_left_running, server.requests_in_progress)
        if left:
            line += (
                f"; {left} request{'s' * (left > 1)} still running when it stopped went "
                "unanswered (journaled only if done; a client's retry asks the next server)"
            )
        return line

    received: list[int] = []
    stopping, waiting = threading.Event(), threading.Event()
    server = None  # until the imports are done

    def on_signal(signum: int, frame) -> None:
        word, code = SERVE_SIGNALS[signum]
        if server is None:
            _quit(
                stamped(f"{word}: adaptive serve stopped while starting; no journal was opened"),
                code,
            )
        if waiting.is_set():
            _quit(stamped(f"{word}: {closing()}"), 128 + signum)
        received.append(signum)
        stopping.set()

    # set even where SIGINT was ignored (`adaptive serve &` in a script), so it stops
    previous = {signum: signal.signal(signum, on_signal) for signum in SERVE_SIGNALS}
    try:
        if args.bind.startswith("inproc://"):
            raise InvalidParameterError(
                f"--bind {args.bind}: an inproc endpoint reaches only this process, so no "
                "driver could connect; serve on tcp://HOST:PORT or ipc://PATH"
            )
        _import_plugins(args.plugin or ())
        import torch

        from adaptive.server import WORKER_GRACE_S, Server

        torch.set_num_threads(1)  # then campaigns' fits take no lock (surrogates.threads)
        server = Server(args.journal, bind=args.bind)
        new = not Path(args.journal).exists()
        endpoint = server.start()
        strategies = server.journal.campaign_strategies()
        n = len(strategies)
        held = "new: created now" if new else f"existing: {n} campaign{'s' * (n != 1)}"
        journal = Path(args.journal).resolve()  # as a service manager's log needs it
        started = f"adaptive server on {endpoint} (pid {os.getpid()}), journal {journal} ({held})"
        try:
            print(started, flush=True)
        except OSError as err:  # a log reader gone, a full disk: the server serves on
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            STDERR.put(f"stdout failed ({err}); {started}")
        unserved = _unregistered(strategies)
        if unserved:
            STDERR.put(unserved)
        stopping.wait()
        busy = server.requests_in_progress
        if busy:
            again = "Ctrl-C" if received[0] == signal.SIGINT else "SIGTERM"
            STDERR.put(
                stamped(
                    f"stopping: waiting up to {WORKER_GRACE_S:g} s for {busy} request"
                    f"{'s' * (busy > 1)} in progress ({again} again to quit now)"
                )
            )
            waiting.set()
        server.stop()
        word, code = SERVE_SIGNALS[received[0]]
        said = _said(stamped(f"{word}: {closing()}"))
        # workers inside torch, or a line half written, would abort the interpreter's exit
        if server.workers_left_running or not said:
            os._exit(code)
        return code
    finally:
        if server is not None:
            server.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _import_plugins(plugins: Sequence[str]) -> None:
    """Import each ``--plugin``, a .py file or else a dotted module name, so that its
    ``register_strategy`` calls add strategies of one's own before campaigns resume.

    Raises:
        InvalidParameterError: a file that does not exist, or a module that does not
            import (its error named).
    """
    # a file run twice (two spellings of it, or one plugin importing another) would
    # register a second class
    unique = dict.fromkeys(str(Path(p).resolve()) if p.endswith(".py") else p for p in plugins)
    folders = [
        str(Path(plugin).parent) if plugin.endswith(".py") else os.getcwd() for plugin in unique
    ]
    with _first_on_path(folders):
        for plugin in unique:
            load = partial(importlib.import_module, plugin)
            if plugin.endswith(".py"):
                _check_in_file("--plugin", plugin, f"a {PLUGIN_WHAT}")
                if _imported_from(plugin):  # by a plugin before it, as a module beside it
                    continue
                # named apart, so that a file json.py replaces no module of that name
                name = f"adaptive_plugin_{Path(plugin).stem}"
                spec = importlib.util.spec_from_file_location(name, plugin)
                module = sys.modules[name] = importlib.util.module_from_spec(spec)
                # a later plugin importing it by its own name finds it run already, where
                # that name is no other module's
                stem, elsewhere = Path(plugin).stem, [p for p in sys.path if p not in folders]
                if stem not in sys.stdlib_module_names and not PathFinder.find_spec(
                    stem, elsewhere
                ):
                    sys.modules.setdefault(stem, module)
                load = partial(spec.loader.exec_module, module)
            try:
                load()
            except (Exception, SystemExit) as err:  # anything its top level raises, but Ctrl-C
                raise InvalidParameterError(
                    f"--plugin {plugin} does not import: {_raised(err)}; pass a {PLUGIN_WHAT}"
                ) from None


def _raised(err: BaseException) -> str:
    """What a plugin's import raised, for its error line."""
    if isinstance(err, SystemExit):
        return (
            f"SystemExit({err.code!r}): it exits on import (a sys.exit at its top level, or "
            "an argparse parsing the server's command line)"
        )
    return f"{type(err).__name__}: {err}"


def _imported_from(path: str) -> bool:
    """Whether a module already imported was run from the file at ``path`` (resolved)."""
    return any(
        getattr(module, "__file__", None) and Path(module.__file__).resolve() == Path(path)
        for module in list(sys.modules.values())
    )


@contextmanager
def _first_on_path(folders: list[str]) -> Iterator[None]:
    """In the block, modules resolve in ``folders`` first: the current directory for a
    plugin's module name, as under ``python -m`` (the ``adaptive`` console script's sys.path
    lacks it), and a plugin file's own folder, as when the file runs as a script, so it
    imports the modules beside it. After the block they stay on sys.path but last: a
    plugin's later imports of modules beside it still resolve, while no file there (a
    queue.py, a torch.py) takes the place of a module the server imports later."""
    searched = set(sys.path) | ({os.getcwd()} if "" in sys.path else set())  # "": python -c/-m
    added = [folder for folder in dict.fromkeys(folders) if folder not in searched]
    sys.path[:0] = added
    try:
        yield
    finally:
        for folder in added:
            sys.path.remove(folder)
        sys.path.extend(added)


def _unregistered(strategies: dict[str, object]) -> str | None:
    """The warning line naming the campaigns of ``strategies`` (``Journal.campaign_strategies``)
    whose strategy is not registered, so no request to them is served; None if there are
    none."""
    from adaptive.strategies import STRATEGIES

    unknown: dict[str, list[str]] = {}
    for campaign_id, name in strategies.items():
        if isinstance(name, str) and name not in STRATEGIES:
            unknown.setdefault(name, []).append(campaign_id)
    if not unknown:
        return None
    n = sum(map(len, unknown.values()))
    named = "; ".join(
        f"{name}: {', '.join(ids[:5])}" + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
        for name, ids in unknown.items()
    )
    some, are, them = (
        ("strategies", "are", "them") if len(unknown) > 1 else ("a strategy", "is", "it")
    )
    return (
        f"warning: {n} campaign{'s use' if n > 1 else ' uses'} {some} that {are} not registered "
        f"({named}); pass --plugin MODULE_OR_FILE that registers {them}"
    )


def _said(line: str) -> bool:
    """Write ``line`` on stderr through the log (``STDERR``), waiting up to
    ``LOG_DRAIN_S`` for it and the lines before it; whether they were written (a stderr
    nobody reads takes none)."""
    STDERR.put(line)
    return STDERR.drain()


def _quit(line: str, code: int) -> NoReturn:
    """Write ``line`` on stderr (``_said``) and exit with ``code`` at once, waiting for no
    thread (one inside torch would abort the interpreter's exit)."""
    _said(line)
    os._exit(code)


def _interrupt(signum: int, frame) -> NoReturn:
    """A signal handler that stops the run as Ctrl-C does."""
    raise KeyboardInterrupt


def _run_campaign(simulate, args, **settings) -> int:
    """Run ``simulate`` into ``--out``, saying on stderr which campaign and journal it
    made as soon as it has; on Ctrl-C, or SIGTERM taken as one (``main``), the
    ``KeyboardInterrupt`` names them."""
    _check_out_folder("--out", args.out)
    created: list[tuple[str, Path]] = []

    def announce(campaign_id: str, journal: Path) -> None:
        created.append((campaign_id, journal))
        print(f"campaign {campaign_id}, journal {journal}", file=sys.stderr, flush=True)

    try:
        summary = simulate(
            Path(args.out), seed=args.seed, bind=args.bind, on_created=announce, **settings
        )
    except KeyboardInterrupt:
        if not created:
            raise KeyboardInterrupt(
                "the run stopped before its campaign was created; nothing was journaled"
            ) from None
        raise KeyboardInterrupt(_interrupted(*created[0])) from None
    except JournalError as err:  # its advice names serve's --journal, a flag simulate lacks
        if "served by another server" not in str(err):
            raise
        held = str(err).partition("; ")[0]
        raise JournalError(f"{held}; stop that server, or pass another --out") from None
    print(json.dumps(summary, indent=2))
    return 0


def _interrupted(campaign_id: str, journal: Path) -> str:
    """What a run interrupted after ``campaign_id`` was created left, by the campaign's
    status in ``journal`` (still running, or stopped by a goal before the figures and summary
    were made)."""
    from adaptive.journal import Journal

    try:
        kept = Journal(journal)
        try:
            campaign = kept.campaign(campaign_id)
        finally:
            kept.close()
    except AdaptiveError:  # the journal cannot say: the campaign was last seen running
        campaign = {"status": "running"}
    if campaign["status"] == "running":
        return (
            f"the run stopped; campaign {campaign_id} is still running, and what it measured "
            f"is journaled in {journal} (serve it to look at the campaign, or to continue it "
            f"with a driver of your own: adaptive serve --journal {journal})"
        )
    return (
        f"the run stopped after campaign {campaign_id} had stopped "
        f"({campaign['stop_reason']}), before its figures and summary were written; what it "
        f"measured is journaled in {journal} (serve it to look at the campaign: adaptive "
        f"serve --journal {journal})"
    )


def cmd_simulate_xas(args) -> int:
    from adaptive.simulate import simulate_xas

    return _run_campaign(
        simulate_xas,
        args,
        source=args.source,
        channel=args.channel,
        strategy=args.strategy,
        max_points=args.max_points,
        n_initial=args.n_initial,
        batch=args.batch,
        noise_counts=args.noise_counts,
        noise=args.noise,
        fluorescence=args.fluorescence,
        column=args.column,
    )


def cmd_simulate_synthesis(args) -> int:
    from adaptive.simulate import simulate_synthesis

    if args.target is not None:
        _check_in_file("--target", args.target, "a target CSV")
    return _run_campaign(
        simulate_synthesis,
        args,
        batch=args.batch,
        rounds=args.rounds,
        droplets=args.droplets,
        method=args.method,
        model=args.model,
        target=args.target,
    )


def cmd_bench_scan(args) -> int:
    from adaptive.arrays import check_int
    from adaptive.bench import bench_scan
    from adaptive.simulate import check_noise_counts

    _check_in_file("--spectrum", args.spectrum, "a recorded spectrum (two-column or XDI)")
    result = bench_scan(
        args.spectrum,
        check_noise_counts(args.noise_counts),  # 0 = none, as for simulate xas
        check_int("--max-points", args.max_points, 3, why="gp starts from a grid of 3 points"),
        progress=not args.json,
        fluorescence=args.fluorescence,
        column=args.column,
    )
    _print_result(result, args)
    return 0


def cmd_bench_pool(args) -> int:
    from adaptive.arrays import check_int
    from adaptive.bench_pool import METHODS, bench_pool

    check_int("--seeds", args.seeds)
    _check_in_file("--data", args.data, "the pool CSV (one row per measured experiment)")
    result = bench_pool(
        args.data,
        _comma_list("--inputs", args.inputs, "input column"),
        args.objective,
        args.minimize,
        args.batch,
        args.init,
        args.seeds,
        None if args.methods is None else _comma_list("--methods", args.methods, "method", METHODS),
        progress=not args.json,
    )
    _print_result(result, args)
    return 0


def cmd_bench_batch(args) -> int:
    from adaptive.bench_batch import bench_batch_time

    result = bench_batch_time(args.observations, args.batch, args.repeats, progress=not args.json)
    _print_result(result, args)
    return 0


def cmd_fit_peaks(args) -> int:
    """Fit, print the fit, then save its figure (see ``_print_with_figure``)."""
    from adaptive.figures import save_figure
    from simulators.xps_files import read_xps
    from surrogates.peak_fitter import PeakFitter

    _check_in_file("file", args.file, "a VAMAS (.vms) or two-column binding-energy file")
    bounds = _binding_range(args.range)
    predictor = _peak_predictor(args.weights)
    try:
        region = read_xps(args.file, block=args.block)
    except ValueError as err:  # the reader names its argument: block=<name substring>
        raise InvalidParameterError(str(err).replace("block=<", "--block <")) from None
    where = args.file if args.block is None else f"{args.file} --block {args.block}"
    energy, counts = region.binding_energy, region.counts
    if bounds is not None:
        where, energy, counts = _cut(where, args.range, bounds, energy, counts)
    fitter = PeakFitter(
        predictor=predictor,
        basin_hopping=args.basin_hopping,
        asymmetry=args.asymmetry,
        poisson_weights=args.poisson_weights,
        doublets=args.doublets,
    )
    try:
        result = fitter.fit(energy, counts)
    except InvalidParameterError as err:  # the fitter's message names no file nor option
        raise InvalidParameterError(f"{where}: {_as_fit_flags(str(err))}") from None
    result = dataclasses.replace(result, warnings=tuple(map(_as_fit_flags, result.warnings)))
    named = (args.block or "", (args.range or "").replace(":", "to"))  # 925:948 -> 925to948
    parts = [re.sub(r"[^A-Za-z0-9.-]+", "_", part).strip("._") for part in named]
    default = ".".join([Path(args.file).stem, *filter(None, parts), "fit.png"])
    window = [float(f"{end:.12g}") for end in (energy[0], energy[-1])]  # 770, not 769.99...
    return _print_with_figure(
        {
            "file": args.file,
            "block": region.name,
            "range": window,
            "weights": args.weights,
            **result.to_dict(),
        },
        lambda: save_figure(result.plot(name=region.name), args.figure or default),
        "the fit was printed but its figure",
        args,
    )


def _as_fit_flags(message: str) -> str:
    """The peak fitter's ``message`` (an error or a warning) naming its options as ``adaptive
    fit peaks`` flags: ``asymmetry on`` -> ``--asymmetry``, ``poisson_weights off`` ->
    ``--no-poisson-weights``, ``doublets off`` -> ``--no-doublets``, a narrower window or
    the gaps cut away with ``--range``."""
    message = message.replace("cut the gap(s) away", "cut the gap(s) away with --range")
    message = message.replace(
        "onto a uniform axis, np.linspace(e[0], e[-1], m)",
        "onto a uniform axis of the same range and number of points, and save that file",
    )
    message = re.sub(
        r"fit (a narrower window|narrower windows)", r"fit \1 with --range LOW:HIGH", message
    )
    message = message.replace("fit with asymmetry on", "fit with --asymmetry")
    message = message.replace("fit with doublets off", "fit with --no-doublets")
    return message.replace("fit with poisson_weights off", "fit with --no-poisson-weights")


#: A point this close (eV) to a ``--range`` end is inside it: a VAMAS axis converted from
#: kinetic energy reads 924.9999999999999 for 925.
_ON_POINT = 1e-6


def _binding_range(text: str | None) -> tuple[float, float] | None:
    """``--range LOW:HIGH`` as (low, high) binding energies, eV, an end left out as -inf or
    inf; None without the flag.

    Raises:
        InvalidParameterError: not two numbers around one ':' (one may be left out), or
            LOW not below HIGH.
    """
    if text is None:
        return None
    from simulators.text_files import reads_as_float

    ends = [end.strip() for end in text.split(":")]
    if (
        len(ends) != 2
        or not any(ends)
        or not all(reads_as_float(end) and math.isfinite(float(end)) for end in ends if end)
    ):
        raise InvalidParameterError(
            f"--range {text!r} is not LOW:HIGH, two binding energies in eV around one ':'; "
            "pass e.g. --range 925:965, or leave one end out: --range 925: or --range :965"
        )
    low, high = (
        float(end) if end else bound for end, bound in zip(ends, (-math.inf, math.inf), strict=True)
    )
    if low >= high:
        instead = f"--range {high:g}:{low:g}" if low > high else "a range of some width"
        raise InvalidParameterError(f"--range {text!r}: LOW is not below HIGH; pass {instead}")
    return low, high


def _cut(where: str, text: str, bounds: tuple[float, float], energy, counts):
    """``where`` told of the cut, and the (k,) binding energies and counts of the (m,)
    ``energy`` and ``counts`` inside ``bounds`` (``_binding_range`` of ``text``); raises
    ``InvalidParameterError`` for bounds outside ``energy``'s span, or holding too few of
    its points, or too narrow a window of them, to fit where it has enough."""
    from surrogates.peak_net import MIN_POINTS
    from surrogates.peak_refine import MIN_WINDOW_EV

    span = f"{energy[0]:.2f}-{energy[-1]:.2f} eV"
    low, high = bounds[0] - _ON_POINT, bounds[1] + _ON_POINT
    if low > energy[-1] or high < energy[0]:
        hint = ""
        for factor, unit in ((1e3, "keV"), (1e-3, "meV")):
            low_ev, high_ev = factor * bounds[0], factor * bounds[1]
            if (
                math.isfinite(low_ev)
                and math.isfinite(high_ev)
                and low_ev <= energy[-1]
                and high_ev >= energy[0]
            ):
                hint = f" (in {unit}? {low_ev:g}:{high_ev:g} is the range in eV)"
        raise InvalidParameterError(
            f"{where}: --range {text} lies outside its binding energies, {span}; "
            f"pass a range that overlaps them{hint}"
        )
    inside = (energy >= low) & (energy <= high)
    told = f"{where} --range {text} ({inside.sum()} of its {energy.size} points, {span})"
    if inside.sum() < MIN_POINTS <= energy.size:
        raise InvalidParameterError(
            f"{told}: spectra need at least {MIN_POINTS} points, got {inside.sum()}; widen "
            f"--range to take in {MIN_POINTS} or more of them"
        )
    window = energy[inside]
    kept = window[-1] - window[0] if window.size else 0.0
    # too few points of a short file, or a narrow file (keV numbers?): the fitter says so
    if window.size >= MIN_POINTS and kept < MIN_WINDOW_EV <= energy[-1] - energy[0]:
        raise InvalidParameterError(
            f"{where}: --range {text} keeps {kept:.3g} eV of the spectrum; a fit needs at least "
            f"{MIN_WINDOW_EV:g} eV: widen it"
        )
    return told, window, counts[inside]


def _peak_predictor(weights: str | None):
    """The peak network of ``--weights``, the file checked first; None (the fitters load
    the committed one) without."""
    from surrogates.peak_net import PeakNetPredictor

    if weights is None:
        return None
    _check_in_file("--weights", weights, "a weights file of adaptive train peakfit --out")
    return PeakNetPredictor.load(weights)


def cmd_bench_peakfit(args) -> int:
    from adaptive.arrays import check_int
    from adaptive.bench_peakfit import METHODS, bench_peakfit

    check_int("--n", args.n)
    check_int("--seed", args.seed, low=0)
    workers = len(os.sched_getaffinity(0)) if args.workers is None else args.workers
    check_int("--workers", workers)
    methods = (
        METHODS
        if args.methods is None
        else _comma_list("--methods", args.methods, "method", METHODS)
    )
    predictor = _peak_predictor(args.weights)
    result = bench_peakfit(args.n, args.seed, methods, not args.json, args.data, predictor, workers)
    _print_result({"weights": args.weights, **result}, args)
    return 0


def _comma_list(flag: str, text: str, what: str, choices: Sequence[str] | None = None) -> list[str]:
    """The names in ``flag``'s comma list ``text``, without the spaces around each.

    Raises:
        InvalidParameterError: no name, an empty entry (``a,,b``), a name not in
            ``choices`` (when given), or one named twice; ``what`` is what a name names.
    """
    names = [name.strip() for name in text.split(",")]
    unknown = [name for name in names if name and choices and name not in choices]
    repeated = sorted({name for name in names if name and names.count(name) > 1})
    if not any(names):
        problem = f"names no {what}"
    elif not all(names):
        problem = "has an empty entry"
    elif unknown:
        problem = f"names unknown {what}(s) {', '.join(unknown)}"
    elif repeated:
        problem = f"names {', '.join(repeated)} more than once"
    else:
        return names
    known = f" from {','.join(choices)}" if choices else ""
    raise InvalidParameterError(
        f"{flag} {text!r} {problem}; give a comma list of distinct {what}s{known}"
    )


def _check_out_file(flag: str, path: str | Path, example: str = "weights.pt") -> None:
    """Raise ``InvalidParameterError`` unless ``path`` can be written as a file: it names no
    folder (the message suggests the file ``example`` in it), and its nearest existing
    folder (the file's folder, made later) is writable."""
    if Path(path).is_dir() or str(path).endswith(("/", os.sep)):
        raise InvalidParameterError(
            f"{flag} {path} names a folder; pass a file name such as {Path(path) / example}"
        )
    _check_writable(flag, path, Path(path).absolute().parent)


def _check_out_folder(flag: str, path: str | Path, holds: str = "the journal and figures") -> None:
    """Raise ``InvalidParameterError`` unless ``path`` is, or can be made, a writable folder
    for what it ``holds``."""
    if Path(path).exists() and not Path(path).is_dir():
        raise InvalidParameterError(
            f"{flag} {path} is a file, not a folder; pass a folder (made if missing) for {holds}"
        )
    _check_writable(flag, path, Path(path).absolute())


def _check_writable(flag: str, path: str | Path, folder: Path) -> None:
    """Raise ``InvalidParameterError`` unless the nearest existing one of ``folder`` and its
    parents (the rest is made later) is a writable folder; ``flag`` ``path`` is the option."""
    while not folder.exists():
        folder = folder.parent
    if not folder.is_dir():
        raise InvalidParameterError(
            f"{flag} {path}: {folder} is a file, not a folder; pass a path in a folder"
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InvalidParameterError(
            f"{flag} {path}: the folder {folder} is not writable; pass a path in a folder "
            "you can write"
        )


def _check_in_file(flag: str, path: str, what: str) -> None:
    """Raise ``InvalidParameterError`` unless ``path`` is a file; ``what`` it should be."""
    from simulators.text_files import existing_file

    try:
        existing_file(path, what)
    except OSError as err:
        raise InvalidParameterError(f"{flag} {err}") from None


def _check_training_outputs(args, out: str | Path, checkpoints: str | Path) -> None:
    """Raise ``InvalidParameterError`` before hours of training, not after, for an empty
    ``--out`` or ``--checkpoints`` (read as the working folder), or an ``out`` weights file
    or ``checkpoints`` folder that cannot be written."""
    for flag, given, example in (
        ("--out", args.out, "a weights file, e.g. --out runs/weights.pt"),
        ("--checkpoints", args.checkpoints, "a folder, e.g. --checkpoints runs/checkpoints"),
    ):
        if given == "":
            raise InvalidParameterError(f"{flag} '' names nothing; pass {example}")
    _check_out_file("--out", out)
    _check_out_folder("--checkpoints", checkpoints, "the epoch checkpoints")


def _given(**settings) -> dict:
    """The training ``settings`` whose flags were given (not None): one left out keeps the
    training function's default, the committed network's."""
    return {name: value for name, value in settings.items() if value is not None}


def cmd_train_peakfit(args) -> int:
    from surrogates.peak_net import TRAINED_WEIGHTS, TRAINING_CHECKPOINTS, train_peak_net

    out = TRAINED_WEIGHTS if args.out is None else args.out
    checkpoints = TRAINING_CHECKPOINTS if args.checkpoints is None else args.checkpoints
    _check_training_outputs(args, out, checkpoints)
    with _training(checkpoints):
        metrics = train_peak_net(
            checkpoint_dir=checkpoints,
            out_path=out,
            device=args.device,
            **_given(n_train=args.n_train, epochs=args.epochs, seed=args.seed, lr=args.lr),
        )
    print(json.dumps({**metrics, "weights": out}, indent=2))
    return 0


@contextmanager
def _training(checkpoints: str | Path):
    """On Ctrl-C, or SIGTERM taken as one (``main``), a ``KeyboardInterrupt`` saying how
    training resumes from ``checkpoints`` (or starts afresh, before the first epoch's
    checkpoint); a bad setting's message with the flags for the training function's
    arguments."""
    from surrogates.checkpoints import latest_checkpoint

    try:
        yield
    except KeyboardInterrupt:
        if latest_checkpoint(checkpoints) is None:
            raise KeyboardInterrupt(
                "training stopped before its first epoch ended, so no checkpoint was written "
                f"yet (to {checkpoints}); the same command starts it afresh"
            ) from None
        raise KeyboardInterrupt(
            f"training stopped; the same command resumes it from the newest epoch "
            f"checkpoint in {checkpoints} (one is written after every epoch)"
        ) from None
    except InvalidParameterError as err:
        raise InvalidParameterError(_as_train_flags(str(err))) from None


def _as_train_flags(message: str) -> str:
    """A training function's ``message`` naming its arguments as ``adaptive train`` flags:
    ``n_train=100`` -> ``--n-train 100``, ``device='cpu'`` -> ``--device cpu``, ``lr must``
    -> ``--lr must``, ``init PATH`` -> ``--init PATH``."""
    message = re.sub(
        r"that train_eels_net wrote for arch='(\w+)'", r"of adaptive train eels --arch \1", message
    )
    message = re.sub(
        r"\b(n_train|epochs|seed|device|lr|arch)=('[^']*'|[^\s,;:]+)",
        lambda m: f"--{m[1].replace('_', '-')} {m[2].strip(chr(39))}",
        message,
    )
    message = re.sub(r"\b(device|lr) must\b", r"--\1 must", message)
    message = re.sub(r"(^|as )init ", r"\1--init ", message)
    return message.replace("checkpoint_dir (--checkpoints)", "--checkpoints")


def cmd_identify(args) -> int:
    """Identify, print the result, then save its figure (see ``_print_with_figure``); a
    spectrum image is mapped pixel by pixel (``_identify_image``)."""
    from adaptive.figures import plot_identification
    from simulators.eels_files import read_eels_image
    from surrogates.eels_identifier import EELSIdentifier, identify_spectrum

    what = "an EMSA/MSA or two-column EELS spectrum, or a .dm3/.dm4/.hspy/.hdf5 spectrum image"
    _check_in_file("file", args.file, what)
    weights = _eels_weights(args.weights)
    identifier = EELSIdentifier.load() if weights is None else EELSIdentifier.from_files(weights)
    image = read_eels_image(args.file)
    if image.cube.shape[:2] != (1, 1):
        return _identify_image(image, identifier, args)
    for flag, does in (("elements", "picks the maps"), ("probabilities", "saves the maps")):
        if getattr(args, flag) is not None:
            raise InvalidParameterError(
                f"--{flag} {does} of a spectrum image, but {args.file} holds one spectrum; "
                f"leave --{flag} out"
            )
    spectrum = image.spectrum()
    result = identify_spectrum(spectrum, identifier)
    return _print_with_figure(
        {"weights": weights, **result},
        lambda: plot_identification(
            args.figure or _identification_figure(args.file, "elements"),
            spectrum.energy,
            spectrum.counts,
            result["probabilities"],
            result["present"],
            thresholds=result["thresholds"],
            warnings=result["warnings"],
            window=result["window"],
        ),
        "the elements were printed but their figure",
        args,
    )


def _identify_image(image, identifier, args) -> int:
    """Map the elements of ``image`` (an ``EELSImage`` of more than one pixel), save the
    probabilities for ``--probabilities``, print where the elements are present (and the
    fractions of ``--elements``), then save the maps of ``--elements`` or the present ones;
    a file whose data fails to read while computed is named (``unreadable``)."""
    import dataclasses

    import numpy as np

    from simulators.eels import ELEMENTS
    from simulators.eels_files import unreadable
    from surrogates.eels_map import (
        PRESENT_RULE,
        check_elements,
        identify_cube,
        plot_probability_maps,
    )

    elements = None
    if args.elements is not None:  # checked before the cube is computed, not after
        names = _comma_list("--elements", args.elements, "element")
        try:
            elements = check_elements(names)
        except InvalidParameterError as err:
            raise InvalidParameterError(f"--elements {args.elements}: {err}") from None
    for flag, path, example in (
        ("--figure", args.figure, "maps.png"),
        ("--probabilities", args.probabilities, "probabilities.npy"),
    ):  # before the cube is computed, not after
        if path is not None:
            _check_out_file(flag, path, example)
    with _dask_progress(args):
        try:
            maps = identify_cube(image.cube, image.energy, identifier)
        except OSError as err:  # a chunk of a lazily read file (h5py's error names none)
            raise unreadable(image.source, err) from err
    present = maps.present_elements
    shown = [*present, *(e for e in elements or () if e not in present)]
    rows, columns = map(dataclasses.asdict, image.navigation)
    result = {
        "source": image.source,
        "weights": args.weights,
        "shape": list(maps.probabilities.shape[:2]),
        "pixel_size": {"rows": rows, "columns": columns},
        "present": present,
        "scattered": maps.scattered,
        "thresholds": {e: float(maps.thresholds[ELEMENTS.index(e)]) for e in shown},
        "unidentified_pixels": maps.unidentified,
        "no_signal_pixels": maps.no_signal,
        "has_edge_in_window": maps.has_edge_in_window,
        "warnings": maps.warnings,
    }
    if elements is not None:
        result["fractions"] = {e: float(maps.fractions[ELEMENTS.index(e)]) for e in elements}
        unseen = [e for e in elements if e not in maps.has_edge_in_window]
        if unseen:
            unseeable = (
                "this element: its map says nothing of it (see has_edge_in_window); measure "
                "a window holding its edges"
                if len(unseen) == 1
                else "these elements: their maps say nothing of them (see has_edge_in_window); "
                "measure a window holding their edges"
            )
            result["warnings"] = maps.warnings + [
                f"--elements {','.join(unseen)}: no major edge in the energy window, so the "
                f"networks cannot see {unseeable}"
            ]
    if args.probabilities is not None:
        saved = str(args.probabilities)
        saved += "" if saved.endswith(".npy") else ".npy"
        Path(saved).absolute().parent.mkdir(parents=True, exist_ok=True)
        np.save(saved, maps.probabilities)
        result["probabilities_file"] = saved
    if elements is None and not present:
        result["warnings"] = maps.warnings + [
            f"no element is present ({PRESENT_RULE}), so no map was drawn; name the "
            "elements to map with --elements (e.g. --elements Fe,O; those only scattered "
            "are listed in scattered)"
        ]
        _print_result({**result, "figure": None}, args)
        return 0
    figure = args.figure or _identification_figure(args.file, "maps")
    return _print_with_figure(
        result,
        lambda: plot_probability_maps(maps, elements, figure, image.navigation),
        "the element maps were printed but their figure",
        args,
    )


@contextmanager
def _dask_progress(args):
    """A progress bar on stderr for what dask computes inside, unless ``--json``."""
    if args.json:
        yield
        return
    from dask.diagnostics import ProgressBar

    with ProgressBar(minimum=1.0, out=sys.stderr):
        yield


def _identification_figure(file: str, kind: str) -> str:
    """``identify``'s default figure, in the working folder: ``STEM.KIND.png`` for a
    file there, ``FOLDER.STEM.KIND.png`` for one elsewhere, so that files of one name
    in other folders (EELSDB's are all ``data.msa``) do not overwrite each other's."""
    folder = Path(os.path.abspath(file)).parent
    prefix = f"{folder.name}." if folder.name and folder != Path.cwd() else ""
    return f"{prefix}{Path(file).stem}.{kind}.png"


def _eels_weights(weights: list[str] | None) -> list[str] | None:
    """The ``--weights`` files, each checked to be a file; None without."""
    for path in weights or ():
        _check_in_file("--weights", path, "a weights file of adaptive train eels --out")
    return weights


def _print_with_figure(result: dict, write_figure, printed: str, args) -> int:
    """Print ``result`` with ``"figure"``, the path ``write_figure()`` drew and saved; a
    figure that cannot be made is ``null`` there, then one ``error:`` line saying
    ``printed`` ... ``was not`` and why (exit 2): the result is printed whatever the
    figure raised, so everything about the figure belongs in ``write_figure``."""
    try:
        written, failure = str(write_figure()), None
    except Exception as err:  # any: the result is printed all the same
        expected = isinstance(err, AdaptiveError | ValueError | OSError)
        written, failure = None, err if expected else f"{type(err).__name__}: {err}"
    _print_result({**result, "figure": written}, args)
    if failure is not None:
        where = " in a folder you can write" * isinstance(failure, OSError)
        print(f"error: {printed} was not: {failure}; pass --figure PATH{where}", file=sys.stderr)
        return 2
    return 0


def cmd_bench_eels(args) -> int:
    from adaptive.arrays import check_int
    from adaptive.bench_eels import bench_eels
    from surrogates.eels_training import TEST_SEED

    check_int("--n", args.n)
    seed = TEST_SEED if args.seed is None else check_int("--seed", args.seed, low=0)
    weights = _eels_weights(args.weights)
    result = bench_eels(args.n, seed, args.data, weights, progress=not args.json)
    _print_result({"weights": args.weights, **result}, args)
    return 0


def cmd_train_eels(args) -> int:
    from surrogates.eels_training import TRAINED_WEIGHTS, TRAINING_CHECKPOINTS, train_eels_net

    out = TRAINED_WEIGHTS.format(arch=args.arch) if args.out is None else args.out
    checkpoints = TRAINING_CHECKPOINTS if args.checkpoints is None else args.checkpoints
    _check_training_outputs(args, out, checkpoints)
    if args.overlap is not None and not 0 <= args.overlap <= 1:  # NaN too; before any folder
        raise InvalidParameterError(
            f"--overlap {args.overlap:g}: must be a share from 0 to 1 (e.g. 0.25)"
        )
    if args.init is not None:
        _check_in_file(
            "--init", args.init, f"a weights file of adaptive train eels --arch {args.arch}"
        )
    checkpoints = Path(checkpoints) / args.arch
    settings = _given(n_train=args.n_train, epochs=args.epochs, seed=args.seed, lr=args.lr)
    if args.overlap is not None:
        settings["augment"] = {"overlap_fraction": args.overlap} if args.overlap else None
    with _training(checkpoints):
        metrics = train_eels_net(
            args.arch,
            checkpoint_dir=checkpoints,
            out_path=out,
            device=args.device,
            init=args.init,
            **settings,
        )
    print(json.dumps({**metrics, "weights": out}, indent=2))
    return 0


def _add_command(commands, name: str, summary: str) -> argparse.ArgumentParser:
    """A subcommand whose ``--help`` starts with ``summary`` and shows the defaults; the
    innermost one parsed is ``args.command_parser``, which ``main`` has refuse what it does
    not know (with its own usage, not the top level's)."""
    command = commands.add_parser(
        name,
        help=summary.replace("%", "%%"),  # argparse %-formats help, not descriptions
        description=summary,
        formatter_class=_HelpFormatter,
    )
    command.set_defaults(command_parser=command)
    return command


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="adaptive", description=__doc__, formatter_class=_HelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = _add_command(commands, "serve", "run the ZeroMQ server")
    serve.add_argument("--bind", default="tcp://127.0.0.1:5555", help="endpoint to serve on")
    serve.add_argument(
        "--journal",
        default="runs/journal.sqlite",
        help="SQLite journal of every campaign (created when missing)",
    )
    serve.add_argument(
        "--plugin",
        action="append",
        default=None,
        metavar="MODULE_OR_FILE",
        help="import this .py file, or dotted module name (in the current directory or on "
        "PYTHONPATH), before serving, so its adaptive.strategies.register_strategy calls add "
        "strategies of your own; repeat it for several",
    )
    serve.set_defaults(func=cmd_serve)

    simulate = _add_command(commands, "simulate", "run a whole campaign offline")
    kinds = simulate.add_subparsers(dest="kind", required=True)
    xas = _add_command(kinds, "xas", "an adaptive XAS energy scan")
    xas.add_argument(
        "--source",
        default="kedge",
        help="kedge, xmcd, or a recorded spectrum file (two-column or XDI)",
    )
    xas.add_argument(
        "--channel",
        default=None,
        help="the simulator channel to scan (e.g. xmcd); default its primary",
    )
    xas.add_argument(
        "--fluorescence",
        default=None,
        help="replay this fluorescence column (XDI or titled) over I0 as mu (e.g. Sum_Fe_Ka)",
    )
    xas.add_argument(
        "--column",
        default=None,
        help="replay this column (XDI or titled) as mu as it is (e.g. xmcd of an XMCD scan)",
    )
    xas.add_argument(
        "--strategy", default="energy_scan", choices=["energy_scan", "random"], help="who picks"
    )
    xas.add_argument("--max-points", type=int, default=80, help="most points to measure")
    xas.add_argument(
        "--n-initial",
        type=int,
        default=None,
        help="energy_scan's starting grid of points (default 12; energy_scan only)",
    )
    xas.add_argument("--batch", type=int, default=1, help="points asked for per call")
    xas.add_argument(
        "--noise-counts",
        type=float,
        default=1e6,
        metavar="I0",
        help="incident counts per point (with --fluorescence: fluorescence counts at the "
        "recording's highest mu); 0 = noise-free (default: %(default)g)",
    )
    xas.add_argument(
        "--noise",
        choices=["reported", "learned"],
        default=None,
        help="energy_scan's GP noise: hold each reading's reported uncertainty (default), or "
        "learn one level (for readings that scatter more than their uncertainties say; at "
        "tens of counts with honest uncertainties, held noise reconstructs better)",
    )
    xas.add_argument(
        "--seed", type=int, default=0, help="seed of the noise (and of --strategy random)"
    )
    xas.add_argument("--out", default="runs/xas", help="folder of the journal and figure")
    xas.add_argument(
        "--bind", default="tcp://127.0.0.1:0", help="the server's endpoint (port 0: any free)"
    )
    xas.set_defaults(func=cmd_simulate_xas)

    synthesis = _add_command(kinds, "synthesis", "batch recipes for AgNP flow synthesis")
    synthesis.add_argument("--batch", type=int, default=15, help="recipes per batch")
    # 6 = insights.fewest_explained of the 5 factors, written out (importing it loads torch)
    synthesis.add_argument(
        "--rounds",
        type=int,
        default=6,
        help="batches after the design of max(--batch, 2) recipes; the SHAP report needs at "
        "least 6 recipes in all, one more than the 5 factors",
    )
    synthesis.add_argument("--droplets", type=int, default=3, help="replicate droplets/recipe")
    synthesis.add_argument(
        "--method",
        default="qlognei",
        choices=["qlognei", "kriging_believer", "local_penalization", "thompson", "ucb"],
        help="how the GP picks a batch",
    )
    synthesis.add_argument(
        "--target",
        default=None,
        help="target CSV (wavelength_nm, absorbance_target); default: the "
        "simulator's spectrum of a hidden goal recipe",
    )
    synthesis.add_argument(
        "--model",
        default="gp",
        choices=["gp", "net", "mix"],
        help="who proposes after the design: GP, the spectrum network, or half each (net "
        "and mix from round 2: the network trains on the design and one GP round)",
    )
    synthesis.add_argument("--seed", type=int, default=0, help="seed of the simulator and BO")
    synthesis.add_argument("--out", default="runs/synthesis", help="folder of journal, figures")
    synthesis.add_argument(
        "--bind", default="tcp://127.0.0.1:0", help="the server's endpoint (port 0: any free)"
    )
    synthesis.set_defaults(func=cmd_simulate_synthesis)

    bench = _add_command(commands, "bench", "benchmarks that print JSON")
    benches = bench.add_subparsers(dest="kind", required=True)
    scan = _add_command(
        benches, "scan", "points to 1%/2% NRMSE (first reached) on a recorded spectrum"
    )
    scan.add_argument("--spectrum", required=True, help="recorded spectrum (two-column or XDI)")
    scan.add_argument(
        "--noise-counts",
        type=float,
        default=None,
        metavar="I0",
        help="incident counts per point (with --fluorescence: fluorescence counts at the "
        "recording's highest mu); default or 0: noise-free",
    )
    scan.add_argument("--max-points", type=int, default=300, help="most points per method")
    scan.add_argument(
        "--fluorescence",
        default=None,
        help="benchmark this fluorescence column (XDI or titled) over I0 as mu (e.g. Sum_Fe_Ka)",
    )
    scan.add_argument(
        "--column",
        default=None,
        help="benchmark this column (XDI or titled) as mu as it is (e.g. xmcd of an XMCD scan)",
    )
    scan.add_argument("--json", action="store_true", help=JSON_HELP)
    scan.set_defaults(func=cmd_bench_scan)

    pool = _add_command(benches, "pool", "batch BO on a pool of measured experiments")
    pool.add_argument("--data", required=True, help="pool CSV, one row per experiment")
    pool.add_argument("--inputs", required=True, help="comma-separated input columns")
    pool.add_argument("--objective", required=True, help="the objective's column")
    pool.add_argument("--minimize", action="store_true", help="minimise it (default: maximise)")
    pool.add_argument("--batch", type=int, default=15, help="experiments per batch")
    pool.add_argument("--init", type=int, default=15, help="random experiments to start")
    pool.add_argument("--seeds", type=int, default=5, help="campaigns per method")
    pool.add_argument("--methods", default=None, help="comma-separated; default all + random")
    pool.add_argument("--json", action="store_true", help=JSON_HELP)
    pool.set_defaults(func=cmd_bench_pool)

    batch = _add_command(benches, "batch", "seconds to propose one batch (5-D AgNP space)")
    batch.add_argument("--observations", type=int, default=150, help="recipes observed first")
    batch.add_argument("--batch", type=int, default=15, help="recipes per batch")
    batch.add_argument("--repeats", type=int, default=3, help="timed batches per method")
    batch.add_argument("--json", action="store_true", help=JSON_HELP)
    batch.set_defaults(func=cmd_bench_batch)

    peakfit = _add_command(benches, "peakfit", "XPS peak fitters on simulated spectra")
    peakfit.add_argument("--n", type=int, default=2000, help="simulated test spectra")
    peakfit.add_argument("--seed", type=int, default=0, help="seed of the test set")
    peakfit.add_argument("--methods", default=None, help="comma-separated; default all")
    peakfit.add_argument(
        "--data",
        default=None,
        help="folder of the measured 2p references, e.g. ../shared/data/xps (default: none: "
        "the simulated test set only)",
    )
    peakfit.add_argument("--weights", default=None, help=PEAK_WEIGHTS_HELP)
    peakfit.add_argument(
        "--workers",
        type=int,
        default=None,
        help="processes the pipeline refines in (default: this machine's usable cores)",
    )
    peakfit.add_argument("--json", action="store_true", help=JSON_HELP)
    peakfit.set_defaults(func=cmd_bench_peakfit)

    eels = _add_command(benches, "eels", "EELS element identification (simulated + real)")
    eels.add_argument("--n", type=int, default=5000, help="simulated test spectra")
    eels.add_argument("--seed", type=int, default=None, help="test-set seed (default 12345)")
    eels.add_argument(
        "--data",
        default=None,
        help="folder of the measured EELS spectra, e.g. ../shared/data/eels (default: none: "
        "the simulated test set only)",
    )
    eels.add_argument(
        "--weights",
        action="append",
        default=None,
        metavar="PATH",
        help="EELS weights file of train eels --out; repeat it to bench several, alone and "
        "as an ensemble (default: the committed U-Net and ResNet)",
    )
    eels.add_argument("--json", action="store_true", help=JSON_HELP)
    eels.set_defaults(func=cmd_bench_eels)

    identify = _add_command(
        commands, "identify", "elements in an EELS core-loss spectrum, or maps of a spectrum image"
    )
    identify.add_argument(
        "file",
        help="EMSA/MSA or two-column text; with the io extra (.venv/bin/pip install -c "
        'constraints.txt -e ".[io]") .dm3/.dm4/.hspy/.hdf5, a spectrum or a spectrum image '
        "(rows x columns or a line scan), whose pixels are identified one by one",
    )
    identify.add_argument(
        "--figure",
        default=None,
        help="figure path, .png added without a suffix matplotlib writes (default, in the "
        "working folder: STEM.elements.png for a FILE there, FOLDER.STEM.elements.png for "
        "one in another FOLDER, e.g. o-k-edge.data.elements.png for o-k-edge/data.msa; likewise "
        "STEM.maps.png or FOLDER.STEM.maps.png for a spectrum image)",
    )
    identify.add_argument(
        "--elements",
        default=None,
        metavar="Fe,O",
        help="spectrum images: the elements to map, comma-separated, any case; their "
        "fractions and thresholds are printed too (default: map those present)",
    )
    identify.add_argument(
        "--probabilities",
        default=None,
        metavar="OUT.npy",
        help="spectrum images: save every pixel's probabilities as a (rows, columns, 80) "
        "NumPy array, columns in the order of simulators.eels.ELEMENTS (Be to Bi), NaN "
        "for pixels not identified",
    )
    identify.add_argument(
        "--weights",
        action="append",
        default=None,
        metavar="PATH",
        help="EELS weights file of train eels --out; repeat it for an ensemble (default: the "
        "committed U-Net + ResNet ensemble)",
    )
    identify.add_argument("--json", action="store_true", help=JSON_HELP)
    identify.set_defaults(func=cmd_identify)

    fit = _add_command(commands, "fit", "analyse one measured spectrum")
    fits = fit.add_subparsers(dest="kind", required=True)
    peaks = _add_command(fits, "peaks", "XPS peaks of a VAMAS or two-column file")
    peaks.add_argument("file", help="VAMAS (.vms) or two-column binding-energy file")
    peaks.add_argument(
        "--block",
        default=None,
        help="VAMAS block: a name substring (an exact name wins, then an exact sample or "
        "block identifier: MnO of 'Mn 2p MnO'), or a number N for the N-th block (from 1; "
        "picks among blocks of the same name)",
    )
    peaks.add_argument(
        "--range",
        default=None,
        metavar="LOW:HIGH",
        help="fit only the points of binding energies LOW to HIGH, eV (a kinetic-energy axis "
        "is read as binding energy first); either end may be left out (925: or :965), a "
        "negative end needs '=': --range=-2:10 (default: the whole block or file)",
    )
    peaks.add_argument(
        "--basin-hopping",
        action="store_true",
        help="also search nearby basins after each fit (keeps the better of it and the plain fit)",
    )
    peaks.add_argument("--asymmetry", action="store_true", help="fit asymmetric peaks")
    peaks.add_argument(
        "--no-poisson-weights",
        dest="poisson_weights",
        action="store_false",
        help="weight all points alike, for spectra that are not counts (normalised, "
        "averaged or background-subtracted); default: Poisson weights 1/sqrt(counts)",
    )
    peaks.add_argument(
        "--no-doublets",
        dest="doublets",
        action="store_false",
        help="fit free peaks only, for s levels (C 1s, O 1s) that have no spin-orbit partner; "
        "default: spin-orbit doublet fits are tried too",
    )
    peaks.add_argument(
        "--figure",
        default=None,
        help="figure path, .png added without a suffix matplotlib writes (default FILE.fit.png; "
        "with --block FILE.BLOCK.fit.png, with --range FILE.LOWtoHIGH.fit.png, in the working "
        "folder)",
    )
    peaks.add_argument("--weights", default=None, help=PEAK_WEIGHTS_HELP)
    peaks.add_argument("--json", action="store_true", help=JSON_HELP)
    peaks.set_defaults(func=cmd_fit_peaks)

    train = _add_command(commands, "train", "train an analysis network from scratch")
    nets = train.add_subparsers(dest="network", required=True)
    # Settings left out (None) take the training function's defaults, the committed
    # network's; the help states them, as importing them here would load torch.
    peaknet = _add_command(nets, "peakfit", "the XPS peak SE-CNN (simulated spectra)")
    peaknet.add_argument("--n-train", type=int, help="spectra per epoch (default: 131072)")
    peaknet.add_argument("--epochs", type=int, help="training epochs (default: 32)")
    peaknet.add_argument("--seed", type=int, help="seed of spectra and weights (default: 0)")
    peaknet.add_argument(
        "--checkpoints", help=f"{CHECKPOINTS_HELP} (default: runs/peak_net_checkpoints)"
    )
    peaknet.add_argument("--out", help=f"{TRAINED_OUT_HELP} (default: runs/peak_net.pt)")
    peaknet.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    peaknet.add_argument(
        "--lr", type=float, help="peak learning rate (cosine decay to 0) (default: 0.003)"
    )
    peaknet.set_defaults(func=cmd_train_peakfit)
    eelsnet = _add_command(nets, "eels", "an EELS element-identification network")
    eelsnet.add_argument("--arch", default="unet", choices=["unet", "resnet"], help="which network")
    eelsnet.add_argument("--n-train", type=int, help="training spectra (default: 130000)")
    eelsnet.add_argument("--epochs", type=int, help="training epochs (default: 4)")
    eelsnet.add_argument("--seed", type=int, help="seed of spectra and weights (default: 0)")
    eelsnet.add_argument(
        "--checkpoints",
        help=f"{CHECKPOINTS_HELP}, per --arch (default: runs/eels_checkpoints)",
    )
    eelsnet.add_argument(
        "--out",
        help=f"{TRAINED_OUT_HELP}; use it as identify and bench eels --weights and the "
        "elements analysis option weights (default: runs/eels_ARCH.pt)",
    )
    eelsnet.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    eelsnet.add_argument("--lr", type=float, help="peak learning rate (default: 0.002)")
    eelsnet.add_argument(
        "--overlap",
        type=float,
        help="share of spectra with overlapping edges (default: 0.25)",
    )
    eelsnet.add_argument("--init", default=None, help="weights file to fine-tune from")
    eelsnet.set_defaults(func=cmd_train_eels)
    return parser


def main(argv: list[str] | None = None) -> int:
    args, unknown = build_parser().parse_known_args(argv)
    if unknown:  # the top level's usage would hide the options of the command that was meant
        args.command_parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    # SIGTERM (``kill``, a batch system's stop) stops a command as Ctrl-C does, its imports
    # too (seconds on a loaded machine); serve sets its own. Handlers are the main thread's:
    # main run in another thread leaves them alone
    threaded = threading.current_thread() is not threading.main_thread()
    previous = None if threaded else signal.signal(signal.SIGTERM, _interrupt)
    try:
        code = args.func(args)
        sys.stdout.flush()  # a reader that left shows here, not at exit
        return code
    except KeyboardInterrupt as err:  # Ctrl-C: one line, the shell's code for SIGINT
        command = args.func.__name__.removeprefix("cmd_").replace("_", " ")
        print(f"interrupted: {str(err) or f'adaptive {command} stopped'}", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `adaptive ... | head -1`: exit quietly, as on SIGPIPE
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except (AdaptiveError, ValueError, OSError, sqlite3.Error) as err:
        message = str(err)
        if isinstance(err, RemoteError):  # the server's message, without its type name
            message = message.removeprefix(f"{err.type}: ")
        print(f"error: {message}", file=sys.stderr)
        return 2
    finally:
        if not threaded:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
