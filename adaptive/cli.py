"""The ``adaptive`` command: serve, simulate, bench."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from adaptive.errors import AdaptiveError


def _simulator(source: str, noise_counts: float | None, seed: int):
    """A simulator by name (``kedge``, ``xmcd``) or a recorded spectrum file."""
    from simulators import XMCD, KEdgeXAS, RecordedSpectrum

    if source == "kedge":
        return KEdgeXAS(i0=noise_counts, seed=seed)
    if source == "xmcd":
        return XMCD(i0=noise_counts, seed=seed)
    if not Path(source).is_file():
        raise SystemExit(f"error: --source {source!r} is neither kedge, xmcd nor a file")
    return RecordedSpectrum.from_file(source, i0=noise_counts, seed=seed)


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
    from tqdm import tqdm

    from adaptive.client import Client
    from adaptive.figures import plot_scan
    from adaptive.server import Server
    from drivers import SimulatedInstrument, run_driver

    simulator = _simulator(args.source, args.noise_counts, args.seed)
    instrument = SimulatedInstrument(simulator, channel=args.channel)
    low, high = simulator.energy_range
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    server = Server(out / "journal.sqlite", bind=args.bind)
    endpoint = server.start()
    options = {"n_initial": args.n_initial} if args.strategy == "energy_scan" else {}
    started = time.perf_counter()
    with Client(endpoint, timeout_s=30) as client:
        campaign = client.call(
            "campaign_create",
            space={"dimensions": [{"name": "energy", "low": low, "high": high, "units": "eV"}]},
            strategy={"name": args.strategy, "options": options},
            goals={"max_observations": args.max_points},
        )
        campaign_id = campaign["campaign_id"]
        with tqdm(total=args.max_points, desc="measuring", unit="pt") as bar:
            run = run_driver(
                client,
                campaign_id,
                instrument,
                batch=args.batch,
                on_measured=lambda n, put: bar.update(),
            )
        measured = client.call("observations_get", campaign_id=campaign_id)
        grid = np.linspace(low, high, 2000)
        model = client.call("model_predict", campaign_id=campaign_id, points=grid)
    server.stop()
    energies = np.array([p["energy"] for p in measured["points"]])
    truth = simulator.evaluate_true(grid) if args.channel is None else None
    figure = plot_scan(
        out / "scan.png",
        energies,
        measured["values"],
        grid,
        model["mean"],
        model["std"],
        truth,
        title=f"{args.strategy} on {args.source}: {len(energies)} points",
    )
    summary = {
        "campaign_id": campaign_id,
        "source": args.source,
        "strategy": args.strategy,
        "n_measured": run.n_measured,
        "stop_reason": run.stop_reason,
        "seconds": round(time.perf_counter() - started, 2),
        "figure": str(figure),
        "journal": str(out / "journal.sqlite"),
    }
    if truth is not None:
        span = np.percentile(truth, 99.5) - np.percentile(truth, 0.5)
        summary["nrmse"] = float(np.sqrt(np.mean((model["mean"] - truth) ** 2)) / span)
    print(json.dumps(summary, indent=2))
    return 0


def cmd_bench_scan(args) -> int:
    from adaptive.bench import bench_scan

    result = bench_scan(args.spectrum, args.noise_counts, args.max_points, progress=not args.json)
    print(json.dumps(result, indent=None if args.json else 2))
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
    xas.add_argument("--strategy", default="energy_scan", choices=["energy_scan", "random"])
    xas.add_argument("--max-points", type=int, default=80)
    xas.add_argument("--n-initial", type=int, default=12)
    xas.add_argument("--batch", type=int, default=1)
    xas.add_argument("--noise-counts", type=float, default=1e6, help="I0 per point; 0 = none")
    xas.add_argument("--seed", type=int, default=0)
    xas.add_argument("--out", default="runs/xas")
    xas.add_argument("--bind", default="tcp://127.0.0.1:0")
    xas.set_defaults(func=cmd_simulate_xas)

    bench = commands.add_parser("bench", help="benchmarks that print JSON")
    benches = bench.add_subparsers(dest="kind", required=True)
    scan = benches.add_parser("scan", help="points to 1%%/2%% NRMSE on a recorded spectrum")
    scan.add_argument("--spectrum", required=True)
    scan.add_argument("--noise-counts", type=float, default=None)
    scan.add_argument("--max-points", type=int, default=300)
    scan.add_argument("--json", action="store_true")
    scan.set_defaults(func=cmd_bench_scan)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "noise_counts", None) == 0:
        args.noise_counts = None
    try:
        return args.func(args)
    except (AdaptiveError, ValueError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
