"""The ``adaptive`` command: serve, simulate, bench, fit, train."""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import time
from pathlib import Path

import zmq

from adaptive.errors import AdaptiveError, InvalidParameterError


def _print_result(result: dict, args) -> None:
    """Print a command's figures: one JSON line with ``--json``, else indented JSON."""
    print(json.dumps(result, indent=None if args.json else 2, allow_nan=False))


def cmd_serve(args) -> int:
    from adaptive.server import Server

    server = Server(args.journal, bind=args.bind)
    endpoint = server.start()
    print(f"adaptive server on {endpoint}, journal {args.journal}", flush=True)
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        server.stop()
    return 0


def cmd_simulate_xas(args) -> int:
    from adaptive.simulate import simulate_xas

    summary = simulate_xas(
        Path(args.out),
        args.source,
        args.channel,
        args.strategy,
        args.max_points,
        args.n_initial,
        args.batch,
        args.noise_counts,
        args.seed,
        args.bind,
        args.fluorescence,
    )
    print(json.dumps(summary, indent=2))
    return 0


def cmd_simulate_synthesis(args) -> int:
    from adaptive.simulate import simulate_synthesis

    summary = simulate_synthesis(
        Path(args.out),
        batch=args.batch,
        rounds=args.rounds,
        droplets=args.droplets,
        method=args.method,
        model=args.model,
        seed=args.seed,
        target=args.target,
        bind=args.bind,
    )
    print(json.dumps(summary, indent=2))
    return 0


def cmd_bench_scan(args) -> int:
    from adaptive.bench import bench_scan

    result = bench_scan(
        args.spectrum,
        args.noise_counts or None,  # 0 = none, as for simulate xas; bench_scan takes None
        args.max_points,
        progress=not args.json,
        fluorescence=args.fluorescence,
    )
    _print_result(result, args)
    return 0


def cmd_bench_pool(args) -> int:
    from adaptive.bench_pool import bench_pool

    result = bench_pool(
        args.data,
        args.inputs.split(","),
        args.objective,
        args.minimize,
        args.batch,
        args.init,
        args.seeds,
        args.methods.split(",") if args.methods else None,
        progress=not args.json,
    )
    _print_result(result, args)
    return 0


def cmd_bench_batch(args) -> int:
    from adaptive.bench_pool import bench_batch_time

    result = bench_batch_time(args.observations, args.batch, args.repeats)
    _print_result(result, args)
    return 0


def cmd_fit_peaks(args) -> int:
    """Fit, print the fit, then save its figure (see ``_print_with_figure``)."""
    import re

    from adaptive.figures import save_figure
    from simulators.xps_files import read_xps
    from surrogates.peak_fitter import PeakFitter

    region = read_xps(args.file, block=args.block)
    fitter = PeakFitter(
        basin_hopping=args.basin_hopping,
        fit_asymmetry=args.asymmetry,
        poisson_weights=args.poisson_weights,
    )
    result = fitter.fit(region.binding_energy, region.counts)
    stem = Path(args.file).stem
    block = re.sub(r"[^A-Za-z0-9.-]+", "_", args.block or "").strip("._")
    default = f"{stem}.{block}.fit.png" if block else f"{stem}.fit.png"
    return _print_with_figure(
        {"file": args.file, "block": region.name, **result.to_dict()},
        lambda: save_figure(
            result.plot(title=f"{region.name}: {len(result.peaks)} peaks"), args.figure or default
        ),
        "the fit was printed but its figure",
        args,
    )


def cmd_bench_peakfit(args) -> int:
    from adaptive.bench_peakfit import METHODS, bench_peakfit

    methods = args.methods.split(",") if args.methods else METHODS
    unknown = sorted(set(methods) - set(METHODS))
    if unknown:
        raise ValueError(f"unknown methods {unknown}; choose from {','.join(METHODS)}")
    result = bench_peakfit(args.n, args.seed, methods, not args.json, args.data)
    _print_result(result, args)
    return 0


def _check_out_file(flag: str, path: str | Path) -> None:
    """Raise ``InvalidParameterError`` unless ``path`` can be written as a file: it names no
    folder, and its nearest existing folder (the file's folder, made later) is writable."""
    if Path(path).is_dir() or str(path).endswith(("/", os.sep)):
        raise InvalidParameterError(
            f"{flag} {path} names a folder; pass a file name such as {Path(path) / 'weights.pt'}"
        )
    folder = Path(path).absolute().parent
    while not folder.exists():  # a missing folder is made when the file is written
        folder = folder.parent
    if not folder.is_dir():
        raise InvalidParameterError(
            f"{flag} {path}: {folder} is a file, not a folder; pass a path in a folder"
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InvalidParameterError(
            f"{flag} {path}: the folder {folder} is not writable; pass a file in a folder "
            "you can write"
        )


def cmd_train_peakfit(args) -> int:
    from surrogates.peak_net import DEFAULT_WEIGHTS, train_peak_net

    out = args.out or DEFAULT_WEIGHTS
    _check_out_file("--out", out)  # before hours of training, not after
    metrics = train_peak_net(
        n_train=args.n_train,
        epochs=args.epochs,
        seed=args.seed,
        checkpoint_dir=args.checkpoints,
        out_path=out,
        device=args.device,
    )
    print(json.dumps(metrics, indent=2))
    return 0


def cmd_identify(args) -> int:
    """Identify, print the result, then save its figure (see ``_print_with_figure``)."""
    from adaptive.figures import plot_identification
    from simulators.eels_files import read_eels
    from surrogates.eels_net import identify_spectrum

    spectrum = read_eels(args.file)
    result = identify_spectrum(spectrum)
    return _print_with_figure(
        result,
        lambda: plot_identification(
            args.figure or Path(args.file).with_suffix(".elements.png"),
            spectrum.energy,
            spectrum.counts,
            result["probabilities"],
            result["present"],
        ),
        "the elements were printed but their figure",
        args,
    )


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
        print(
            f"error: {printed} was not: {failure}; pass --figure PATH in a folder you can write",
            file=sys.stderr,
        )
        return 2
    return 0


def cmd_bench_eels(args) -> int:
    from adaptive.bench_eels import bench_eels
    from surrogates.eels_net import TEST_SEED

    result = bench_eels(args.n, TEST_SEED if args.seed is None else args.seed, args.data)
    _print_result(result, args)
    return 0


def cmd_train_eels(args) -> int:
    from surrogates.eels_net import WEIGHTS_DIR, train_eels_net

    _check_out_file("--out", args.out or WEIGHTS_DIR / f"eels_{args.arch}.pt")
    if not 0 <= args.overlap <= 1:  # NaN too; checked before the checkpoint folder is made
        raise InvalidParameterError(
            f"--overlap {args.overlap:g}: must be a share from 0 to 1 (e.g. 0.25)"
        )
    metrics = train_eels_net(
        args.arch,
        n_train=args.n_train,
        epochs=args.epochs,
        seed=args.seed,
        checkpoint_dir=Path(args.checkpoints) / args.arch,
        out_path=args.out,
        device=args.device,
        lr=args.lr,
        augment={"overlap_fraction": args.overlap} if args.overlap else None,
        init=args.init,
    )
    print(json.dumps(metrics, indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="adaptive", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the ZeroMQ server")
    serve.add_argument("--bind", default="tcp://127.0.0.1:5555")
    serve.add_argument("--journal", default="runs/journal.sqlite")
    serve.set_defaults(func=cmd_serve)

    simulate = commands.add_parser("simulate", help="run a whole campaign offline")
    kinds = simulate.add_subparsers(dest="kind", required=True)
    xas = kinds.add_parser("xas", help="an adaptive XAS energy scan")
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
        help="replay this XDI fluorescence column over I0 as mu (e.g. Sum_Fe_Ka)",
    )
    xas.add_argument("--strategy", default="energy_scan", choices=["energy_scan", "random"])
    xas.add_argument("--max-points", type=int, default=80)
    xas.add_argument("--n-initial", type=int, default=12)
    xas.add_argument("--batch", type=int, default=1)
    xas.add_argument("--noise-counts", type=float, default=1e6, help="I0 per point; 0 = none")
    xas.add_argument("--seed", type=int, default=0)
    xas.add_argument("--out", default="runs/xas")
    xas.add_argument("--bind", default="tcp://127.0.0.1:0")
    xas.set_defaults(func=cmd_simulate_xas)

    synthesis = kinds.add_parser("synthesis", help="batch recipes for AgNP flow synthesis")
    synthesis.add_argument("--batch", type=int, default=15)
    synthesis.add_argument("--rounds", type=int, default=6, help="batches after the design")
    synthesis.add_argument("--droplets", type=int, default=3, help="replicate droplets/recipe")
    synthesis.add_argument(
        "--method",
        default="qlognei",
        choices=["qlognei", "kriging_believer", "local_penalization", "thompson", "ucb"],
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
        help="who proposes after the design: GP, spectrum network, or half each",
    )
    synthesis.add_argument("--seed", type=int, default=0)
    synthesis.add_argument("--out", default="runs/synthesis")
    synthesis.add_argument("--bind", default="tcp://127.0.0.1:0")
    synthesis.set_defaults(func=cmd_simulate_synthesis)

    bench = commands.add_parser("bench", help="benchmarks that print JSON")
    benches = bench.add_subparsers(dest="kind", required=True)
    scan = benches.add_parser("scan", help="points to 1%%/2%% NRMSE on a recorded spectrum")
    scan.add_argument("--spectrum", required=True)
    scan.add_argument("--noise-counts", type=float, default=None, help="I0 per point; 0 = none")
    scan.add_argument("--max-points", type=int, default=300)
    scan.add_argument(
        "--fluorescence",
        default=None,
        help="benchmark this XDI fluorescence column over I0 as mu (e.g. Sum_Fe_Ka)",
    )
    scan.add_argument("--json", action="store_true")
    scan.set_defaults(func=cmd_bench_scan)

    pool = benches.add_parser("pool", help="batch BO on a pool of measured experiments")
    pool.add_argument("--data", required=True)
    pool.add_argument("--inputs", required=True, help="comma-separated input columns")
    pool.add_argument("--objective", required=True)
    pool.add_argument("--minimize", action="store_true")
    pool.add_argument("--batch", type=int, default=15)
    pool.add_argument("--init", type=int, default=15)
    pool.add_argument("--seeds", type=int, default=5)
    pool.add_argument("--methods", default=None, help="comma-separated; default all + random")
    pool.add_argument("--json", action="store_true")
    pool.set_defaults(func=cmd_bench_pool)

    batch = benches.add_parser("batch", help="seconds to propose one batch (5-D AgNP space)")
    batch.add_argument("--observations", type=int, default=150)
    batch.add_argument("--batch", type=int, default=15)
    batch.add_argument("--repeats", type=int, default=3)
    batch.add_argument("--json", action="store_true")
    batch.set_defaults(func=cmd_bench_batch)

    peakfit = benches.add_parser("peakfit", help="XPS peak fitters on simulated spectra")
    peakfit.add_argument("--n", type=int, default=2000)
    peakfit.add_argument("--seed", type=int, default=0)
    peakfit.add_argument("--methods", default=None, help="comma-separated; default all")
    peakfit.add_argument("--data", default=None, help="folder of the measured 2p references")
    peakfit.add_argument("--json", action="store_true")
    peakfit.set_defaults(func=cmd_bench_peakfit)

    eels = benches.add_parser("eels", help="EELS element identification (simulated + real)")
    eels.add_argument("--n", type=int, default=5000)
    eels.add_argument("--seed", type=int, default=None, help="test-set seed (default 12345)")
    eels.add_argument("--data", default=None, help="folder of the measured EELS spectra")
    eels.add_argument("--json", action="store_true")
    eels.set_defaults(func=cmd_bench_eels)

    identify = commands.add_parser("identify", help="elements in an EELS core-loss spectrum")
    identify.add_argument("file")
    identify.add_argument(
        "--figure",
        default=None,
        help="figure path, .png added without a suffix (default FILE.elements.png beside FILE)",
    )
    identify.add_argument("--json", action="store_true")
    identify.set_defaults(func=cmd_identify)

    fit = commands.add_parser("fit", help="analyse one measured spectrum")
    fits = fit.add_subparsers(dest="kind", required=True)
    peaks = fits.add_parser("peaks", help="XPS peaks of a VAMAS or two-column file")
    peaks.add_argument("file")
    peaks.add_argument(
        "--block",
        default=None,
        help="VAMAS block: a name substring (an exact name wins), or a number N for the "
        "N-th block (from 1; picks among blocks of the same name)",
    )
    peaks.add_argument("--basin-hopping", action="store_true")
    peaks.add_argument("--asymmetry", action="store_true", help="fit asymmetric peaks")
    peaks.add_argument(
        "--no-poisson-weights",
        dest="poisson_weights",
        action="store_false",
        help="weight all points alike, for spectra that are not counts (normalised, "
        "averaged or background-subtracted); default: Poisson weights 1/sqrt(counts)",
    )
    peaks.add_argument(
        "--figure",
        default=None,
        help="figure path, .png added without a suffix (default FILE.fit.png, or "
        "FILE.BLOCK.fit.png with --block, in the working folder)",
    )
    peaks.add_argument("--json", action="store_true")
    peaks.set_defaults(func=cmd_fit_peaks)

    train = commands.add_parser("train", help="train an analysis network from scratch")
    nets = train.add_subparsers(dest="network", required=True)
    peaknet = nets.add_parser("peakfit", help="the XPS peak SE-CNN (simulated spectra)")
    peaknet.add_argument("--n-train", type=int, default=131_072, help="spectra per epoch")
    peaknet.add_argument("--epochs", type=int, default=32)
    peaknet.add_argument("--seed", type=int, default=0)
    peaknet.add_argument("--checkpoints", default="runs/peak_net_checkpoints")
    peaknet.add_argument("--out", default=None, help="weights file (default: the committed)")
    peaknet.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    peaknet.set_defaults(func=cmd_train_peakfit)
    eelsnet = nets.add_parser("eels", help="an EELS element-identification network")
    eelsnet.add_argument("--arch", default="unet", choices=["unet", "resnet"])
    eelsnet.add_argument("--n-train", type=int, default=130_000)
    eelsnet.add_argument("--epochs", type=int, default=4)
    eelsnet.add_argument("--seed", type=int, default=0)
    eelsnet.add_argument("--checkpoints", default="runs/eels_checkpoints")
    eelsnet.add_argument("--out", default=None, help="weights file (default: the committed)")
    eelsnet.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    eelsnet.add_argument("--lr", type=float, default=2e-3, help="peak learning rate")
    eelsnet.add_argument(
        "--overlap", type=float, default=0.25, help="share of spectra with overlapping edges"
    )
    eelsnet.add_argument("--init", default=None, help="weights file to fine-tune from")
    eelsnet.set_defaults(func=cmd_train_eels)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (AdaptiveError, ValueError, OSError, sqlite3.Error) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except zmq.ZMQError as err:  # the server's bind (serve, simulate): a busy port, a bad address
        print(
            f"error: cannot serve on --bind {getattr(args, 'bind', None)}: {err}; give an "
            "endpoint with a free port, e.g. tcp://127.0.0.1:5556, or tcp://127.0.0.1:0 for any",
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":
    sys.exit(main())
