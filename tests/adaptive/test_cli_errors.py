"""How the ``adaptive`` command fails: Ctrl-C, a closed pipe, and bad flags named as typed."""

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from adaptive.cli import main
from adaptive.client import Client
from adaptive.errors import RemoteError
from adaptive.server import Server
from tests.adaptive.test_server_ops11 import unstamped
from tests.shared_data import SHARED_DATA

REPO = Path(__file__).resolve().parents[2]
CU_VAMAS = REPO.parent / "shared" / "data" / "xps" / "Cu_references.vms"  # 11 blocks


def _adaptive(*argv, **popen) -> subprocess.Popen:
    """This checkout's ``adaptive`` command, started in a subprocess that takes Ctrl-C as
    one started from a terminal does: a suite run as a background job (``cmd &``) ignores
    SIGINT, and its subprocesses would inherit that."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "OPENBLAS_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "adaptive.cli", *map(str, argv)]
    return subprocess.Popen(command, env=env, text=True, preexec_fn=_default_sigint, **popen)


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _wait_for(done, seconds: float = 30.0) -> None:
    """Poll ``done()`` until true or ``seconds`` pass (the test's assertions then judge)."""
    deadline = time.monotonic() + seconds
    while not done() and time.monotonic() < deadline:
        time.sleep(0.1)


@pytest.mark.parametrize(
    "stop", [signal.SIGINT, signal.SIGTERM]
)  # Ctrl-C, or kill / a batch job's end
def test_ctrl_c_in_simulate_names_the_campaign_it_printed_at_once_and_loses_nothing(tmp_path, stop):
    err = tmp_path / "err.txt"
    with err.open("w") as sink:
        run = _adaptive(
            *("simulate", "xas", "--noise-counts", 100, "--max-points", 1000),
            *("--out", tmp_path / "out"),
            stdout=subprocess.DEVNULL,
            stderr=sink,
        )
        try:
            # the campaign line comes before the first point; wait for ten points
            _wait_for(lambda: re.search(r"\b\d\d+/1000\b", err.read_text()))
            run.send_signal(stop)
            assert run.wait(timeout=30) == 130
        finally:
            run.kill()
    text = err.read_text()
    created = re.search(r"^campaign (\w+), journal (\S+)$", text, re.M)
    assert created, text
    campaign_id, journal = created.groups()
    assert journal == str(tmp_path / "out" / "journal.sqlite")
    assert created.start() < text.index("/1000")  # printed before the first point
    assert "Traceback" not in text
    assert text.splitlines()[-1] == (
        f"interrupted: the run stopped; campaign {campaign_id} is still running, and what it "
        "measured is journaled in "
        f"{journal} (serve it to look at the campaign, or to continue it with a driver of your "
        f"own: adaptive serve --journal {journal})"
    )
    shown = int(re.findall(r"\b(\d+)/1000\b", text)[-1])  # the bar counts journaled puts
    server = Server(journal, bind="tcp://127.0.0.1:0")  # the stopped run let go of it
    try:
        with Client(server.start(), timeout_s=30) as client:
            status = client.call("campaign_status", campaign_id=campaign_id)
            assert status["status"] == "running" and status["n_observations"] >= shown >= 10
            assert client.call("suggestions_get", campaign_id=campaign_id)["suggestions"]
    finally:
        server.stop()


def test_ctrl_c_after_the_campaign_stopped_says_it_stopped_and_left_no_figures(tmp_path):
    """A Ctrl-C while the figures are made, after the last put met the goal."""
    from adaptive import Campaign, Journal, Observation
    from adaptive.cli import _run_campaign

    space = {"dimensions": [{"name": "energy", "low": 0.0, "high": 1.0}]}

    def simulate(out, seed, bind, on_created):
        journal = Journal(out / "journal.sqlite")
        campaign = Campaign.create(
            journal, space, {"name": "random"}, goals={"max_observations": 2}
        )
        on_created(campaign.id, journal.path)
        for suggestion in campaign.suggest(2):
            campaign.observe(Observation(point=suggestion.point, value=1.0))
        journal.close()
        raise KeyboardInterrupt  # in plotting

    args = argparse.Namespace(out=tmp_path / "out", seed=0, bind="tcp://127.0.0.1:0")
    with pytest.raises(KeyboardInterrupt) as interrupted:
        _run_campaign(simulate, args)
    journal = tmp_path / "out" / "journal.sqlite"
    assert re.fullmatch(
        r"the run stopped after campaign \w+ had stopped \(reached max_observations=2\), "
        r"before its figures and summary were written; what it measured is journaled in "
        + re.escape(f"{journal} (serve it to look at the campaign: adaptive serve --journal ")
        + re.escape(f"{journal})"),
        str(interrupted.value),
    ), interrupted.value


def _serve(journal: Path) -> subprocess.Popen:
    """``adaptive serve`` on any free port, its output piped."""
    return _adaptive(
        *("serve", "--bind", "tcp://127.0.0.1:0", "--journal", journal),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_ctrl_c_stops_serve_with_one_line_and_exit_130(tmp_path):
    journal = tmp_path / "journal.sqlite"
    run = _serve(journal)
    try:
        assert run.stdout.readline().startswith("adaptive server on tcp://127.0.0.1:")
        run.send_signal(signal.SIGINT)
        _, err = run.communicate(timeout=30)
    finally:
        run.kill()
    assert run.returncode == 130
    (line,) = err.splitlines()  # after the UTC time, as the server's log lines
    assert unstamped(line) == (
        f"interrupted: server stopped; its journal {journal} keeps every campaign: serve it "
        "again to resume them"
    )


def test_ctrl_c_stops_serve_in_the_middle_of_a_model_fit_with_one_line_and_exit_130(tmp_path):
    """A worker inside torch when the interpreter exits would abort it (SIGABRT)."""
    import numpy as np
    import zmq

    from adaptive import protocol

    journal = tmp_path / "journal.sqlite"
    run = _serve(journal)
    try:
        endpoint = run.stdout.readline().split()[3].rstrip(",")
        space = {"dimensions": [{"name": n, "low": 0.0, "high": 1.0} for n in ("a", "b")]}
        strategy = {
            "name": "batch_bo",
            "options": {"q": 4, "n_initial": 3, "n_candidates": 64, "seed": 0},
        }
        with Client(endpoint, timeout_s=60) as client:
            client.call("campaign_create", space=space, strategy=strategy, campaign_id="c")
            for a, b in np.random.default_rng(1).random((40, 2)):
                point = {"a": float(a), "b": float(b)}
                client.call("observation_put", campaign_id="c", point=point, value=float(a + b))
        dealer = zmq.Context.instance().socket(zmq.DEALER)
        dealer.setsockopt(zmq.LINGER, 0)
        dealer.connect(endpoint)  # SHAP over models of 40 recipes: seconds of torch
        request = protocol.request("campaign_insights", {"campaign_id": "c"})
        dealer.send_multipart([b"", *protocol.encode(request)])
        time.sleep(1.0)
        run.send_signal(signal.SIGINT)
        _, err = run.communicate(timeout=60)
        dealer.close()
    finally:
        run.kill()
    assert run.returncode == 130, err
    lines = err.splitlines()  # the log's "created" line, the wait, then the closing line
    assert unstamped(lines[-2]).startswith("stopping: waiting up to 5 s for 1 request"), err
    assert unstamped(lines[-1]).startswith("interrupted: server stopped;"), err
    assert "Traceback" not in err, err


def _interrupted_training(tmp_path, n_train: int, epochs: int, ready, stop=signal.SIGINT) -> str:
    """The stderr of ``train peakfit`` (checkpoints in ``tmp_path / "ck"``) sent ``stop`` once
    ``ready(err_path)`` holds; it must exit 130."""
    checkpoints, err = tmp_path / "ck", tmp_path / "err.txt"
    with err.open("w") as sink:
        run = _adaptive(
            *("train", "peakfit", "--n-train", n_train, "--epochs", epochs),
            *("--checkpoints", checkpoints, "--out", tmp_path / "w.pt"),
            stdout=subprocess.DEVNULL,
            stderr=sink,
        )
        try:
            _wait_for(lambda: ready(err), seconds=60)
            run.send_signal(stop)
            assert run.wait(timeout=30) == 130
        finally:
            run.kill()
    return err.read_text()


def test_sigterm_while_simulate_imports_is_one_line_and_exit_130(tmp_path):
    # it exited 143 with no line: simulate took SIGTERM as Ctrl-C only once its imports
    # (torch, gpytorch, botorch: seconds) were done
    err = tmp_path / "err.txt"
    with err.open("w") as sink:
        run = _adaptive("simulate", "xas", "--out", tmp_path / "out", stderr=sink)
        try:
            maps = Path(f"/proc/{run.pid}/maps")
            _wait_for(lambda: run.poll() is not None or "libtorch" in maps.read_text(), 60)
            run.send_signal(signal.SIGTERM)  # torch is loading: the imports have begun
            assert run.wait(timeout=30) == 130
        finally:
            run.kill()
    lines = err.read_text().splitlines()
    assert lines[-1].startswith("interrupted: "), lines
    assert "Traceback" not in err.read_text()


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])  # SIGTERM: a batch system's
def test_ctrl_c_in_training_says_how_to_resume(tmp_path, stop):
    # SIGTERM exited 143 with no line
    checkpoints = tmp_path / "ck"
    text = _interrupted_training(
        tmp_path, 256, 1000, lambda _: (checkpoints / "epoch_002.pt").exists(), stop
    )
    assert "Traceback" not in text
    assert text.splitlines()[-1] == (
        f"interrupted: training stopped; the same command resumes it from the newest epoch "
        f"checkpoint in {checkpoints} (one is written after every epoch)"
    )
    assert not (tmp_path / "w.pt").exists()


def test_ctrl_c_before_the_first_epoch_ends_says_the_rerun_starts_afresh(tmp_path):
    # it said the same command resumes from the newest epoch checkpoint, though none existed
    checkpoints = tmp_path / "ck"
    # interrupted once the progress bar shows: training began
    text = _interrupted_training(tmp_path, 131_072, 1, lambda err: "%|" in err.read_text())
    assert text.splitlines()[-1] == (
        "interrupted: training stopped before its first epoch ended, so no checkpoint was "
        f"written yet (to {checkpoints}); the same command starts it afresh"
    )
    assert not checkpoints.exists()  # made with the first checkpoint


def test_ctrl_c_in_any_other_command_is_one_line_and_exit_130(monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("adaptive.bench_batch.bench_batch_time", interrupted)
    try:
        code = main(["bench", "batch"])
    except KeyboardInterrupt:  # escaping main, it would end the whole test session
        code = None
    assert code == 130
    assert capsys.readouterr().err == "interrupted: adaptive bench batch stopped\n"


def test_a_reader_that_leaves_early_ends_the_command_quietly():
    command = ("bench", "eels", "--n", 4, "--json")
    with _adaptive(*command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as run:
        run.stdout.close()  # as `| head -1` does once it has its line
        err = run.stderr.read()
        assert run.wait(timeout=60) == 141  # 128 + SIGPIPE, as the shell reports it
    assert "Broken pipe" not in err and "BrokenPipeError" not in err and "Traceback" not in err


def test_simulate_synthesis_prints_its_campaign_on_stderr(tmp_path, capsys):
    command = ["simulate", "synthesis", "--batch", "1", "--rounds", "4", "--droplets", "1"]
    assert main([*command, "--out", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    assert f"campaign {summary['campaign_id']}, journal {summary['journal']}\n" in captured.err


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (
            "simulate xas --noise-counts -5",
            "--noise-counts -5: must be the incident counts I0 per point, from 0 (noise-free)",
        ),
        ("simulate xas --seed -1", "--seed -1: must be an integer >= 0"),
        (
            "simulate xas --source xmcd --noise-counts 5",
            "--noise-counts 5 is too few for --source xmcd: under 10 counts would pass its most "
            "absorbing energy, so many readings would clip; pass --noise-counts 740 or more, or 0 "
            "for noise-free",
        ),
        ("simulate xas --channel bogus", "--channel bogus: kedge measures mu, i0, i1; pass one"),
        (
            "simulate synthesis --batch 65",
            "--batch 65 asks qlognei for 65 recipes in one batch; it picks at most 64 (each "
            "conditions the model on every earlier pick, so its time grows steeply with the "
            "batch): pass --batch 64 or less, or --method thompson or local_penalization",
        ),
        (
            "simulate synthesis --target nope.csv",
            "--target 'nope.csv' does not exist; check the path, or",
        ),
        (
            "bench scan --spectrum nope.csv",
            "--spectrum 'nope.csv' does not exist; check the path, or pass a recorded spectrum "
            "(two-column or XDI)",
        ),
        ("bench scan --spectrum kedge.csv --max-points 1", "--max-points 1: must be an integer"),
        ("bench scan --spectrum kedge.csv --noise-counts -3", "--noise-counts -3: must be the"),
        ("bench pool --data pool.csv --inputs a --objective y --seeds 0", "--seeds 0: must be"),
        (
            "bench pool --data nope.csv --inputs a --objective y",
            "--data 'nope.csv' does not exist; check the path, or pass the pool CSV",
        ),
        (
            "bench pool --data . --inputs a --objective y",
            "--data '.' is a directory, not a file; pass the pool",
        ),
        (
            "bench pool --data pool.csv --inputs a --objective y --batch 65 --methods ucb,random",
            "--batch 65 asks ucb for 65 recipes in one batch; it picks at most 64",
        ),
        (
            "bench pool --data pool.csv --inputs a --objective y --methods ,",
            "--methods ',' names no method; give a comma list of distinct methods from "
            "qlognei,kriging_believer,local_penalization,thompson,ucb,random",
        ),
        (
            "bench pool --data pool.csv --inputs a --objective y --methods ucb,,thompson",
            "--methods 'ucb,,thompson' has an empty entry; give a comma list of distinct methods",
        ),
        (
            "bench pool --data pool.csv --inputs a --objective y --methods ucb,bogus",
            "--methods 'ucb,bogus' names unknown method(s) bogus; give a comma list of distinct",
        ),
        (
            "bench pool --data pool.csv --inputs a --objective y --methods ucb,random,ucb",
            "--methods 'ucb,random,ucb' names ucb more than once; give a comma list of distinct",
        ),
        (
            "bench pool --data pool.csv --inputs a, --objective y",
            "--inputs 'a,' has an empty entry; give a comma list of distinct input columns",
        ),
        (
            "bench batch --batch 65",
            "--batch 65 asks qlognei, kriging_believer, ucb for 65 recipes in one batch; they "
            "pick at most 64",
        ),
        ("bench peakfit --n 0", "--n 0: must be a positive integer"),
        ("bench peakfit --n 1 --seed -1", "--seed -1: must be an integer >= 0"),
        (
            "bench peakfit --n 1 --methods ,,",
            "--methods ',,' names no method; give a comma list of distinct methods from pipeline,",
        ),
        ("bench peakfit --n 1 --methods em,em", "--methods 'em,em' names em more than once"),
        ("bench peakfit --n 1 --workers 0", "--workers 0: must be a positive integer"),
        ("bench eels --n 0", "--n 0: must be a positive integer"),
        ("bench eels --n 1 --seed -1", "--seed -1: must be an integer >= 0"),
        (
            "fit peaks nope.vms --json",
            "file 'nope.vms' does not exist; check the path, or pass a VAMAS (.vms) or two-column "
            "binding-energy file",
        ),
        ("fit peaks .", "file '.' is a directory, not a file; pass a VAMAS (.vms) or two-column"),
        (
            "fit peaks kedge.csv --weights nope.pt",
            "--weights 'nope.pt' does not exist; check the path, or pass a weights file of "
            "adaptive train peakfit",
        ),
        (
            "bench peakfit --n 1 --weights .",
            "--weights '.' is a directory, not a file; pass a weights file of adaptive train "
            "peakfit --out",
        ),
        (
            "identify nope.msa --json",
            "file 'nope.msa' does not exist; check the path, or pass an EMSA/MSA or two-column "
            "EELS spectrum",
        ),
        (
            "train eels --arch resnet --init nope.pt",
            "--init 'nope.pt' does not exist; check the path, or pass a weights file of adaptive "
            "train eels --arch resnet",
        ),
        pytest.param(
            "fit peaks CU_VAMAS",
            "CU_VAMAS: holds 11 regions; pass --block <name substring> or --block <",
            marks=pytest.mark.skipif(not CU_VAMAS.is_file(), reason="needs shared/data/xps"),
        ),
    ],
)
def test_a_bad_flag_is_named_as_typed_before_anything_is_written(
    tmp_path, monkeypatch, capsys, command, message
):
    monkeypatch.chdir(tmp_path)
    Path("kedge.csv").write_text("".join(f"{e} {int(e > 9000)}\n" for e in range(8900, 9100, 5)))
    Path("pool.csv").write_text("a,y\n" + "".join(f"{a},{(a - 30) ** 2}\n" for a in range(100)))
    where = ["--out", "out"] if command.startswith("simulate") else []
    assert main([*command.replace("CU_VAMAS", str(CU_VAMAS)).split(), *where]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {message.replace('CU_VAMAS', str(CU_VAMAS))}"), err
    assert len(err.splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kedge.csv", "pool.csv"]


@pytest.mark.parametrize(
    ("inputs", "methods", "expected"),
    [(" a ", " random", ["random"]), ("a", " ucb , random", ["ucb", "random"]), ("a", None, None)],
)
def test_comma_lists_drop_the_spaces_around_each_name(
    tmp_path, monkeypatch, inputs, methods, expected
):
    calls = []
    monkeypatch.setattr(
        "adaptive.bench_pool.bench_pool", lambda *args, **kwargs: calls.append(args) or {}
    )
    (tmp_path / "pool.csv").write_text("a,y\n1,2\n")
    command = ["bench", "pool", "--data", str(tmp_path / "pool.csv"), "--inputs", inputs]
    methods_flag = [] if methods is None else ["--methods", methods]
    assert main([*command, "--objective", "y", *methods_flag, "--json"]) == 0
    assert calls[0][1] == ["a"] and calls[0][7] == expected


def test_an_empty_methods_list_is_refused_not_taken_for_all(capsys):
    assert main(["bench", "peakfit", "--n", "1", "--methods", ""]) == 2
    assert capsys.readouterr().err.startswith("error: --methods '' names no method; give a")


def test_ctrl_c_in_bench_pool_closes_its_bar_before_the_one_line(tmp_path, monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("adaptive.bench_pool.run_pool_campaign", interrupted)
    (tmp_path / "pool.csv").write_text("a,y\n" + "".join(f"{a},{a}\n" for a in range(10)))
    command = ["bench", "pool", "--data", str(tmp_path / "pool.csv"), "--inputs", "a"]
    try:
        code = main(
            [*command, "--objective", "y", "--methods", "random", "--init", "2", "--batch", "2"]
        )
    except KeyboardInterrupt:  # escaping main, it would end the whole test session
        code = None
    assert code == 130
    bar, line = capsys.readouterr().err.rstrip("\n").split("\n")  # the bar's \r stay in bar
    assert bar.startswith("\rpool campaigns:   0%")
    assert line == "interrupted: adaptive bench pool stopped"


@pytest.mark.parametrize(
    ("patched", "argv"),
    [
        ("adaptive.bench._run_sequential", ["bench", "scan", "--spectrum", "kedge.csv"]),
        (
            "adaptive.bench_peakfit.fit_lmfit_naive",
            ["bench", "peakfit", "--n", "2", "--methods", "lmfit_naive"],
        ),
    ],
)
def test_ctrl_c_in_a_benchmark_closes_its_bar_before_the_one_line(
    tmp_path, monkeypatch, capsys, patched, argv
):
    """A closed bar ends its line (or, with leave=False, clears it): the one line starts
    a line of its own on the terminal."""

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.chdir(tmp_path)
    Path("kedge.csv").write_text("".join(f"{e} {int(e > 9000)}\n" for e in range(8900, 9100, 5)))
    monkeypatch.setattr(patched, interrupted)
    try:
        code = main(argv)
    except KeyboardInterrupt:  # escaping main, it would end the whole test session
        code = None
    assert code == 130
    err = capsys.readouterr().err
    assert "0%" in err, "no progress bar was shown"
    shown = err.rstrip("\n").split("\n")[-1].split("\r")[-1]  # what the terminal shows last
    assert shown == f"interrupted: adaptive {argv[0]} {argv[1]} stopped"


@pytest.mark.parametrize(
    ("out", "message"),
    [
        ("taken", "--out taken is a file, not a folder; pass a folder (made if missing)"),
        ("taken/sub", "--out taken/sub: {tmp}/taken is a file, not a folder"),
    ],
)
@pytest.mark.parametrize("kind", ["xas", "synthesis"])
def test_an_out_that_is_a_file_is_named(tmp_path, monkeypatch, capsys, out, message, kind):
    monkeypatch.chdir(tmp_path)
    Path("taken").write_text("")
    assert main(["simulate", kind, "--out", out]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {message.format(tmp=tmp_path)}"), err
    assert len(err.splitlines()) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["taken"]


def test_a_server_error_is_printed_once_without_its_type_name(tmp_path, monkeypatch, capsys):
    def stopped(*args, **kwargs):
        raise RemoteError("CampaignStoppedError", "campaign abc has stopped")

    monkeypatch.setattr("adaptive.simulate.simulate_xas", stopped)
    assert main(["simulate", "xas", "--out", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err == "error: campaign abc has stopped\n"


@pytest.mark.parametrize("kind", ["xas", "synthesis"])
def test_simulate_into_a_served_journal_says_to_pass_another_out(tmp_path, capsys, kind):
    # the advice was "give this one another --journal", a flag simulate does not have
    server = Server(tmp_path / "journal.sqlite", bind="tcp://127.0.0.1:0")
    server.start()
    try:
        assert main(["simulate", kind, "--out", str(tmp_path), "--bind", "tcp://127.0.0.1:0"]) == 2
    finally:
        server.stop()
    err = capsys.readouterr().err
    assert f"is served by another server (pid {os.getpid()})" in err
    assert err.endswith("; stop that server, or pass another --out\n"), err
    assert "--journal" not in err


def test_train_peakfit_takes_lr_and_a_diverged_run_names_it(tmp_path, capsys):
    # the diverged message said to lower --lr, a flag only train eels had
    with pytest.raises(SystemExit):
        main(["train", "peakfit", "--help"])
    shown = " ".join(capsys.readouterr().out.split())  # argparse wraps at the terminal width
    assert "--lr LR peak learning rate (cosine decay to 0) (default: 0.003)" in shown
    ck, out = tmp_path / "ck", tmp_path / "w.pt"
    argv = ["--n-train", "256", "--epochs", "1", "--checkpoints", str(ck), "--out", str(out)]
    assert main(["train", "peakfit", *argv, "--lr", "1e9"]) == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "error: training diverged at --lr 1e+09 (its losses or validation figures are NaN or "
        "inf), so no "
        f"weights file was written; lower it, e.g. --lr 1e+08, with a new --checkpoints or "
        f"after deleting {ck}, which holds the diverged run"
    )
    assert not out.exists()  # one step at 1e9 left finite weights whose outputs are NaN
    assert torch.load(ck / "epoch_001.pt", weights_only=True)["settings"]["lr"] == 1e9


@pytest.mark.parametrize("network", ["eels", "peakfit"])
def test_train_refuses_spectra_beyond_memory_leaving_no_checkpoint_folder(
    tmp_path, capsys, network
):
    # eels left an empty checkpoint folder; peakfit simulated for hours before running out
    where = ["--checkpoints", str(tmp_path / "ck"), "--out", str(tmp_path / "w.pt")]
    assert main(["train", network, "--n-train", str(2**40), "--epochs", "1", *where]) == 2
    line = capsys.readouterr().err.splitlines()[-1]
    assert re.fullmatch(
        rf"error: --n-train {2**40} (training )?spectra need [\d,.]+ GiB \(\d+ bytes each\), "
        "more memory than this machine can allocate; pass fewer",
        line,
    ), line
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("kind", ["eels", "peakfit"])
def test_bench_refuses_a_test_set_beyond_memory_in_one_line(capsys, kind):
    # a MemoryError traceback
    assert main(["bench", kind, "--n", str(10**12), "--json"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and re.fullmatch(
        rf"error: --n {10**12} test spectra need [\d,.]+ GiB \(\d+ bytes each\), more memory "
        "than this machine can allocate; pass fewer\n",
        err,
    ), err


CU_METAL = SHARED_DATA / "xps" / "Cu2p_Cu_metal.txt"  # 1040 points, 0.05 eV apart


@pytest.mark.skipif(not CU_METAL.is_file(), reason="needs shared/data/xps")
def test_fit_peaks_says_to_widen_a_range_that_holds_too_few_points(tmp_path, monkeypatch, capsys):
    # it said "measure a wider window" of a file of 1040 points
    monkeypatch.chdir(tmp_path)
    assert main(["fit", "peaks", str(CU_METAL), "--range", "930:930.3", "--json"]) == 2
    assert capsys.readouterr().err == (
        f"error: {CU_METAL} --range 930:930.3 (7 of its 1040 points, 920.00-971.95 eV): "
        "spectra need at least 10 points, got 7; widen --range to take in 10 or more of them\n"
    )
    # a file of too few points: widening the range cannot help
    Path("short.txt").write_text("".join(f"{930 + 0.1 * i} {100 + i}\n" for i in range(8)))
    assert main(["fit", "peaks", "short.txt", "--range", "920:940", "--json"]) == 2
    err = capsys.readouterr().err
    assert err.endswith("spectra need at least 10 points, got 8; measure a wider window\n"), err
    assert sorted(os.listdir()) == ["short.txt"]
