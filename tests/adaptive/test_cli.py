"""The ``adaptive`` command's own behaviour: exit codes, messages and where outputs go."""

import argparse
import dataclasses
import json
import os
import re
import signal
import threading
from pathlib import Path

import numpy as np
import pytest
import torch
import zmq

from adaptive import bench_peakfit  # now: c1s patches the PeakFitter it would import
from adaptive.bench_eels import real_spectra
from adaptive.cli import _as_fit_flags, _training, build_parser, main
from adaptive.errors import InvalidParameterError
from adaptive.figures import save_figure
from adaptive.simulate import simulate_xas, xas_source
from simulators.eels_files import read_eels
from simulators.lineshapes import xps_peak
from surrogates.eels_identifier import EELSIdentifier, identify_spectrum
from surrogates.peak_result import Estimate
from tests.adaptive.test_analysis import marked_weights, retrained_eels
from tests.shared_data import SHARED_DATA

EELS_DATA = SHARED_DATA / "eels"


def test_a_journal_that_is_not_a_database_exits_2_with_one_line(tmp_path, capsys):
    journal = tmp_path / "bad.sqlite"
    journal.write_text("not a database\n")
    assert main(["serve", "--journal", str(journal), "--bind", "tcp://127.0.0.1:0"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("command", ["serve", "simulate xas", "simulate synthesis"])
def test_a_busy_or_malformed_bind_exits_2_and_writes_nothing(tmp_path, capsys, command):
    taken = zmq.Context.instance().socket(zmq.REP)
    try:
        port = taken.bind_to_random_port("tcp://127.0.0.1")
        for bind in (f"tcp://127.0.0.1:{port}", "nonsense"):
            where = ["--journal", str(tmp_path / "j.sqlite")] if command == "serve" else []
            where = where or ["--out", str(tmp_path / "out")]
            assert main([*command.split(), *where, "--bind", bind]) == 2
            err = capsys.readouterr().err
            assert err.startswith(f"error: cannot serve on {bind}: ")
            assert "tcp://127.0.0.1:0" in err and len(err.strip().splitlines()) == 1
            assert not any(tmp_path.iterdir()), "a failed bind left a journal or folder"
    finally:
        taken.close(linger=0)


def test_an_output_folder_that_is_a_file_exits_2(tmp_path, capsys):
    out = tmp_path / "taken"
    out.write_text("")
    assert main(["simulate", "xas", "--max-points", "3", "--out", str(out)]) == 2
    assert capsys.readouterr().err.startswith("error: ")


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (
            "peakfit",
            "epoch_001.pt cannot be read (EOFError): it is truncated, corrupt or no torch file",
        ),
        ("eels --device meta", "device must be 'cpu', 'cuda' or 'cuda:N', got 'meta'"),
        (
            "eels --init INIT",
            "init.pt cannot be read (UnpicklingError): it is truncated, corrupt or no",
        ),
    ],
)
def test_train_with_a_broken_checkpoint_device_or_init_exits_2_with_one_line(
    tmp_path, capsys, command, message
):
    (tmp_path / "ck").mkdir()
    (tmp_path / "ck" / "epoch_001.pt").write_bytes(b"")  # a save killed in the old code
    (tmp_path / "init.pt").write_bytes(b"not a weights file")
    command = command.replace("INIT", str(tmp_path / "init.pt"))
    where = ["--checkpoints", str(tmp_path / "ck"), "--out", str(tmp_path / "w.pt")]
    assert main(["train", *command.split(), *where]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("error: ") and len(captured.err.strip().splitlines()) == 1
    assert message in captured.err and not captured.out
    assert not (tmp_path / "w.pt").exists()


@pytest.mark.parametrize(
    ("out", "message"),
    [
        ("folder", "--out {tmp}/folder names a folder; pass a file name such as"),
        ("folder/", "--out {tmp}/folder/ names a folder; pass a file name such as"),
        ("file/new/w.pt", "--out {tmp}/file/new/w.pt: {tmp}/file is a file, not a folder"),
    ],
)
@pytest.mark.parametrize("network", ["peakfit", "eels"])
def test_train_refuses_an_out_it_cannot_write_before_training(
    tmp_path, capsys, monkeypatch, out, message, network
):
    (tmp_path / "folder").mkdir()
    (tmp_path / "file").write_text("")
    monkeypatch.setattr("surrogates.peak_net._simulate", None)  # training would crash here
    monkeypatch.setattr("surrogates.eels_training.simulate_eels", None)
    where = ["--checkpoints", str(tmp_path / "ck"), "--out", f"{tmp_path}/{out}"]
    assert main(["train", network, "--n-train", "256", "--epochs", "1", *where]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1
    assert message.format(tmp=tmp_path) in err
    assert not (tmp_path / "ck").exists()


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--out", "", "--out '' names nothing; pass a weights file, e.g. --out runs/weights.pt"),
        ("--checkpoints", "", "--checkpoints '' names nothing; pass a folder, e.g. --checkpoints "),
        (
            "--checkpoints",
            "file",
            "--checkpoints file is a file, not a folder; pass a folder (made if missing) for the "
            "epoch checkpoints",
        ),
    ],
)
@pytest.mark.parametrize("network", ["peakfit", "eels"])
def test_train_refuses_an_empty_out_or_checkpoints_or_a_checkpoints_file_before_training(
    tmp_path, capsys, monkeypatch, flag, value, message, network
):
    # --out '' overwrote the committed peak weights, or failed after training eels;
    # --checkpoints '' wrote into the working folder; a file failed with "[Errno 17] File exists"
    monkeypatch.chdir(tmp_path)
    Path("file").write_text("")
    monkeypatch.setattr("surrogates.peak_net._simulate", None)  # training would crash here
    monkeypatch.setattr("surrogates.eels_training.simulate_eels", None)
    where = {"--out": "w.pt", "--checkpoints": "ck", flag: value}
    argv = ["train", network, "--n-train", "256", "--epochs", "1"]
    assert main([*argv, *(word for pair in where.items() for word in pair)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {message}") and len(err.splitlines()) == 1, err
    assert os.listdir() == ["file"]


def test_train_eels_refuses_training_spectra_that_do_not_fit_in_memory_in_one_line(
    tmp_path, capsys
):
    # an _ArrayMemoryError traceback
    where = ["--checkpoints", str(tmp_path / "ck"), "--out", str(tmp_path / "w.pt")]
    assert main(["train", "eels", "--n-train", str(10**12), "--epochs", "1", *where]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: --n-train {10**12} training spectra need ") and err.endswith(
        " GiB (6240 bytes each), more memory than this machine can allocate; pass fewer\n"
    )


def test_a_diverged_training_names_the_flags_to_change():
    from surrogates.checkpoints import check_finite_training  # new: a NaN run was saved

    net = torch.nn.Linear(1, 1)
    net.weight.data[:] = float("nan")
    with pytest.raises(InvalidParameterError) as raised, _training(Path("ck")):
        check_finite_training(1e9, Path("ck"), net, [1.0])
    assert str(raised.value) == (
        "training diverged at --lr 1e+09 (its weights are NaN or inf), so no weights "
        "file was written; lower it, e.g. --lr 1e+08, with a new --checkpoints or after "
        "deleting ck, which holds the diverged run"
    )


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("peakfit --seed 1180591620717411303424", "--seed 1180591620717411303424 must be an int"),
        # the training functions' messages named their Python arguments, not the flags
        ("peakfit --n-train 100", "error: --n-train 100 must be an integer >= "),
        ("eels --epochs 0", "error: --epochs 0 must be an integer >= 1"),
        ("eels --lr 0", "error: --lr must be a finite number > 0, got 0.0"),
        ("eels --device meta", "error: --device must be 'cpu', 'cuda' or 'cuda:N', got 'meta'"),
        (
            "eels --arch resnet --init INIT",
            "; pass as --init a weights file of adaptive train eels --arch resnet",
        ),
        ("eels --overlap 2", "--overlap 2: must be a share from 0 to 1"),
        ("eels --overlap nan", "--overlap nan: must be a share from 0 to 1"),
        # it said "seed 2023 is the seed of ..."
        ("eels --seed 2023", "error: --seed 2023 is the seed of the validation spectra"),
    ],
)
def test_bad_train_settings_exit_2_before_the_checkpoint_folder_is_made(
    tmp_path, capsys, command, message
):
    init = tmp_path / "init.pt"
    init.write_bytes(b"not a weights file")
    command = command.replace("INIT", str(init))
    where = ["--checkpoints", str(tmp_path / "ck"), "--out", str(tmp_path / "w.pt")]
    assert main(["train", *command.split(), *where]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1
    assert message in err
    assert [p.name for p in tmp_path.iterdir()] == ["init.pt"]


def test_demo_script_runs_in_the_callers_folder(tmp_path):
    """Relative --source/--out paths (and the default runs/xas) are the caller's; stand-ins
    replace setup.sh and the venv's ``adaptive``."""
    import shutil
    import subprocess

    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    shutil.copy(Path(__file__).resolve().parents[2] / "scripts" / "demo.sh", repo / "scripts")
    (repo / "scripts" / "setup.sh").write_text('touch "$(dirname "$0")/../set_up"\n')
    adaptive = repo / ".venv" / "bin" / "adaptive"
    adaptive.parent.mkdir(parents=True)
    adaptive.write_text('#!/bin/sh\necho "$PWD $*"\n')
    adaptive.chmod(0o755)
    caller = tmp_path / "caller"
    caller.mkdir()
    run = subprocess.run(
        ["bash", "../repo/scripts/demo.sh", "--source", "my.xdi", "--out", "mine"],
        cwd=caller,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert run.stdout == f"{caller} simulate xas --source my.xdi --out mine\n"
    assert (repo / "set_up").is_file()


def test_fluorescence_needs_a_file_source():
    with pytest.raises(ValueError, match="--fluorescence"):
        xas_source("kedge", None, 0, fluorescence="Sum_Fe_Ka")


def test_a_source_that_is_no_simulator_nor_file_is_a_typed_error(tmp_path):
    with pytest.raises(InvalidParameterError, match="pass kedge, xmcd or the path"):
        xas_source(str(tmp_path / "Cu_foil.xdi"), None, 0)


def test_a_figure_path_without_suffix_gets_png(tmp_path):
    import matplotlib.pyplot as plt

    written = save_figure(plt.figure(), tmp_path / "fig")
    assert written == tmp_path / "fig.png" and written.is_file()


def test_eels_references_from_a_wrong_folder_are_refused(tmp_path):
    with pytest.raises(InvalidParameterError, match="--data .*no labelled EELS spectra"):
        real_spectra(tmp_path / "nowhere")
    meta = tmp_path / "eelsdb" / "x" / "metadata.json"
    meta.parent.mkdir(parents=True)
    meta.write_text(json.dumps({"formula": "MnO"}))
    with pytest.raises(ValueError, match='"edges"'):
        real_spectra(tmp_path)


@pytest.mark.skipif(not EELS_DATA.is_dir(), reason="needs shared/data/eels")
def test_identify_writes_its_figure_in_the_working_folder(tmp_path, monkeypatch, capsys):
    # it went beside the file, into a shared or read-only data folder
    spectrum = tmp_path / "in" / "mn.msa"
    spectrum.parent.mkdir()
    spectrum.write_bytes((EELS_DATA / "exspy_coreloss_Mn_O.msa").read_bytes())
    monkeypatch.chdir(tmp_path)
    assert main(["identify", str(spectrum), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["figure"] == "in.mn.elements.png" and (tmp_path / result["figure"]).is_file()
    assert result["weights"] is None  # the committed networks
    assert [p.name for p in spectrum.parent.iterdir()] == ["mn.msa"]
    assert result["source"] == str(spectrum)


@pytest.mark.skipif(not EELS_DATA.is_dir(), reason="needs shared/data/eels")
def test_identify_prints_the_figure_path_it_wrote(tmp_path, capsys):
    spectrum = EELS_DATA / "exspy_coreloss_Mn_O.msa"
    assert main(["identify", str(spectrum), "--figure", str(tmp_path / "mn"), "--json"]) == 0
    printed = Path(json.loads(capsys.readouterr().out)["figure"])
    assert printed == tmp_path / "mn.png" and printed.is_file()
    assert not (tmp_path / "mn").exists()


@pytest.mark.skipif(not EELS_DATA.is_dir(), reason="needs shared/data/eels")
@pytest.mark.parametrize("blocker", ["read-only folder", "folder named like the figure"])
def test_identify_prints_the_result_when_its_figure_cannot_be_written(
    tmp_path, monkeypatch, capsys, blocker
):
    spectrum = tmp_path / "in" / "mn.msa"
    spectrum.parent.mkdir()
    spectrum.write_bytes((EELS_DATA / "exspy_coreloss_Mn_O.msa").read_bytes())
    monkeypatch.chdir(spectrum.parent)  # the default figure goes in the working folder
    if blocker == "read-only folder":
        spectrum.parent.chmod(0o555)
    else:
        spectrum.with_suffix(".elements.png").mkdir()
    try:
        if os.access(spectrum.parent, os.W_OK) and blocker == "read-only folder":
            pytest.skip("a read-only folder is writable here (root)")
        assert main(["identify", str(spectrum), "--json"]) == 2
    finally:
        spectrum.parent.chmod(0o755)
    out, err = capsys.readouterr()
    result = json.loads(out)
    assert result["figure"] is None and "Mn" in result["present"]
    assert err.startswith("error: the elements were printed but their figure was not")
    assert "--figure" in err and err.count("\n") == 1


@pytest.mark.skipif(not EELS_DATA.is_dir(), reason="needs shared/data/eels")
def test_identify_gives_same_named_files_in_other_folders_figures_of_their_own(
    tmp_path, monkeypatch, capsys
):
    # EELSDB files are all data.msa: the second figure overwrote the first, data.elements.png
    source = EELS_DATA / "exspy_coreloss_Mn_O.msa"
    for name in ("mno-a/data.msa", "mno-b/data.msa", "data.msa"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(source.read_bytes())
    monkeypatch.chdir(tmp_path)
    figures = []
    for name in ("mno-a/data.msa", str(tmp_path / "mno-b" / "data.msa"), "data.msa"):
        assert main(["identify", name, "--json"]) == 0
        figures.append(json.loads(capsys.readouterr().out)["figure"])
    assert figures == ["mno-a.data.elements.png", "mno-b.data.elements.png", "data.elements.png"]
    assert all((tmp_path / figure).is_file() for figure in figures)
    with pytest.raises(SystemExit):
        main(["identify", "--help"])
    assert "FOLDER.STEM.elements.png for one in another FOLDER" in " ".join(
        capsys.readouterr().out.split()
    )


@pytest.fixture(scope="module")
def retrained(tmp_path_factory) -> Path:
    return retrained_eels(tmp_path_factory.mktemp("eels") / "my_resnet.pt")


@pytest.mark.skipif(not EELS_DATA.is_dir(), reason="needs shared/data/eels")
def test_identify_and_bench_eels_use_the_weights_files_given(tmp_path, capsys, retrained):
    # both always loaded the committed networks
    spectrum = EELS_DATA / "exspy_coreloss_Mn_O.msa"
    weights = str(retrained)
    figure = str(tmp_path / "mn.png")
    assert (
        main(["identify", str(spectrum), "--weights", weights, "--figure", figure, "--json"]) == 0
    )
    result = json.loads(capsys.readouterr().out)
    assert result["weights"] == [weights]  # the JSON named no weights
    printed = result["probabilities"]
    mine = identify_spectrum(read_eels(spectrum), EELSIdentifier.from_files([weights]))
    assert printed == pytest.approx(mine["probabilities"])
    assert printed != pytest.approx(identify_spectrum(read_eels(spectrum))["probabilities"])
    (tmp_path / "copy.pt").write_bytes(retrained.read_bytes())
    both = ["--weights", weights, "--weights", str(tmp_path / "copy.pt")]
    assert main(["bench", "eels", "--n", "2", *both, "--data", str(EELS_DATA), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert list(report["methods"]) == [weights, str(tmp_path / "copy.pt"), "ensemble"]
    assert report["weights"] == [weights, str(tmp_path / "copy.pt")]
    assert main(["bench", "eels", "--n", "2", "--weights", weights, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert list(report["methods"]) == [weights] and report["weights"] == [weights]


@pytest.mark.parametrize("command", ["identify SPECTRUM", "bench eels --n 2"])
@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ("nope.pt", "--weights '{path}' does not exist; check the path, or pass a weights file of "
         "adaptive train eels"),
        ("junk.pt", "{path} cannot be read (UnpicklingError): it is truncated, corrupt or no "
         "torch file; pass a weights file that adaptive train eels --out (train_eels_net) wrote"),
        ("peak.pt", "{path} does not hold a dict with the keys ['arch', 'config', "),
    ],
)  # fmt: skip
def test_identify_and_bench_eels_refuse_weights_they_cannot_load_in_one_line(
    tmp_path, capsys, monkeypatch, command, weights, message
):
    monkeypatch.setattr("adaptive.bench_eels.simulate_eels", None)  # refused before simulating
    spectrum = tmp_path / "s.msa"
    spectrum.write_text("".join(f"{e} {1e4 * (e / 480) ** -3}\n" for e in range(480, 620)))
    (tmp_path / "junk.pt").write_bytes(b"not a weights file")
    marked_weights(tmp_path / "peak.pt")
    path = tmp_path / weights
    argv = command.replace("SPECTRUM", str(spectrum)).split()
    assert main([*argv, "--weights", str(path), "--json"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("error: " + message.format(path=path))
    assert err.count("\n") == 1


class _OnePeak:
    """Stands in for the peak network in ``fit peaks``: one refined peak at the maximum."""

    def __init__(self, **settings):
        pass

    def fit(self, energy, counts):
        from surrogates.peak_refine import refine_peaks

        start = {"center": energy[np.argmax(counts)], "fwhm": 1.2, "height": np.ptp(counts)}
        return refine_peaks(energy, counts, [{**start, "eta": 0.3}])


@pytest.fixture
def c1s(tmp_path, monkeypatch):
    """A C1s text spectrum in tmp_path/data, the working folder tmp_path, the stand-in fitter."""
    monkeypatch.setattr("surrogates.peak_fitter.PeakFitter", _OnePeak)
    monkeypatch.chdir(tmp_path)
    e = np.linspace(280.0, 295.0, 151)
    counts = np.random.default_rng(0).poisson(1000 + 5000 * xps_peak(e, 285.0, 1.2, 0.3))
    path = tmp_path / "data" / "c1s.txt"
    path.parent.mkdir()
    path.write_text(
        "C1s region\n" + "".join(f"{x:.2f}\t{y}\n" for x, y in zip(e, counts, strict=True))
    )
    return path


def test_main_runs_in_a_thread_and_leaves_the_sigterm_handler_as_it_was(tmp_path, c1s, capsys):
    # main set its SIGTERM handler in any thread: in another it raised ValueError ("signal
    # only works in main thread") before the command ran
    before = signal.getsignal(signal.SIGTERM)
    codes = []
    worker = threading.Thread(target=lambda: codes.append(main(["fit", "peaks", str(c1s)])))
    worker.start()
    worker.join()
    assert codes == [0] and json.loads(capsys.readouterr().out)["peaks"]
    assert main(["fit", "peaks", str(c1s)]) == 0  # in the main thread: set, then restored
    assert signal.getsignal(signal.SIGTERM) is before


def test_fit_peaks_reports_the_figure_path_it_wrote(tmp_path, c1s, capsys):
    assert main(["fit", "peaks", str(c1s), "--figure", "noext", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["figure"] == "noext.png" and result["weights"] is None  # the committed
    assert (tmp_path / "noext.png").is_file()


@pytest.mark.parametrize(
    ("options", "figure"),
    [
        ([], "c1s.fit.png"),
        (["--block", "1"], "c1s.1.fit.png"),
        (["--block", "C1s region"], "c1s.C1s_region.fit.png"),
        (["--range", "280:"], "c1s.280to.fit.png"),  # two windows' fits keep a figure each
        (["--range", ":295"], "c1s.to295.fit.png"),
    ],
)
def test_fit_peaks_default_figure_names_the_block_and_range(tmp_path, c1s, capsys, options, figure):
    assert main(["fit", "peaks", str(c1s), "--json", *options]) == 0
    assert json.loads(capsys.readouterr().out)["figure"] == figure
    assert (tmp_path / figure).is_file()


def test_fit_peaks_prints_the_fit_when_its_figure_cannot_be_written(tmp_path, c1s, capsys):
    (tmp_path / "taken").write_text("")  # a file where the figure's folder should be
    assert main(["fit", "peaks", str(c1s), "--figure", "taken/fit.png", "--json"]) == 2
    out, err = capsys.readouterr()
    report = json.loads(out)
    assert report["n_peaks"] == 1 and report["figure"] is None
    assert (
        err.startswith("error: the fit was printed but its figure was not") and err.count("\n") == 1
    )


def test_fit_peaks_prints_the_fit_when_its_format_cannot_be_written(
    tmp_path, c1s, capsys, monkeypatch
):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no LaTeX, wherever the test runs
    assert main(["fit", "peaks", str(c1s), "--figure", "fit.pgf", "--json"]) == 2
    out, err = capsys.readouterr()
    report = json.loads(out)
    assert report["n_peaks"] == 1 and report["figure"] is None
    assert err.startswith("error: the fit was printed but its figure was not: ")
    assert re.search(r"'fit\.pgf'.*'pgf' here.*'fit\.png'", err) and err.count("\n") == 1
    assert "folder you can write" not in err  # the folder was not the trouble


def test_fit_peaks_saves_a_dotted_figure_name_as_png(tmp_path, c1s, capsys):
    # 'cuo.v2' was refused as format 'v2' after the fit was printed
    assert main(["fit", "peaks", str(c1s), "--figure", str(tmp_path / "cuo.v2"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["figure"] == str(tmp_path / "cuo.v2.png")


@pytest.mark.parametrize("stage", ["plot", "save"])
def test_fit_peaks_prints_the_fit_whatever_its_figure_raises(c1s, capsys, monkeypatch, stage):
    def fail(*args, **kwargs):
        raise RuntimeError("boom")

    if stage == "plot":
        monkeypatch.setattr("surrogates.peak_result.PeakFitResult.plot", fail)
    else:
        monkeypatch.setattr("adaptive.figures.save_figure", fail)
    assert main(["fit", "peaks", str(c1s), "--json"]) == 2
    out, err = capsys.readouterr()
    assert json.loads(out)["figure"] is None
    assert err.startswith("error: the fit was printed but its figure was not: RuntimeError: boom")


class _Doublet(_OnePeak):
    """A stand-in fitter whose one peak is reported as a doublet fit, lines 2.5 eV apart."""

    def fit(self, energy, counts):
        one = super().fit(energy, counts)
        return dataclasses.replace(one, splitting=Estimate(2.5), ratio=Estimate(0.5))


def test_fit_peaks_figure_title_keeps_the_doublet_note(c1s, capsys, monkeypatch):
    # the command set its own title "<region>: N peaks" and dropped ", doublets X eV apart"
    monkeypatch.setattr("surrogates.peak_fitter.PeakFitter", _Doublet)
    titles = []

    def save(figure, path):
        titles.append(figure.axes[0].get_title())
        return save_figure(figure, path)

    monkeypatch.setattr("adaptive.figures.save_figure", save)
    assert main(["fit", "peaks", str(c1s), "--json"]) == 0
    assert titles == ["C1s region: 1 peak, doublet splitting 2.50 eV"]


def test_fit_peaks_and_bench_peakfit_use_the_weights_file_given(tmp_path, c1s, capsys, monkeypatch):
    # both always loaded the committed weights
    seen = []

    class Recording(_OnePeak):
        def __init__(self, predictor=None, **settings):
            seen.append(predictor.metadata)

        def extract_batch(self, energy, counts):
            return [self.fit(e, y) for e, y in zip(energy, counts, strict=True)]

    weights = str(marked_weights(tmp_path / "retrained.pt"))
    monkeypatch.setattr("surrogates.peak_fitter.PeakFitter", Recording)
    monkeypatch.setattr(bench_peakfit, "PeakFitter", Recording)
    assert main(["fit", "peaks", str(c1s), "--weights", weights, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["weights"] == weights  # the JSON named none
    bench = ["bench", "peakfit", "--n", "2", "--methods", "network", "--weights", weights]
    assert main([*bench, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["weights"] == weights
    assert seen == [{"marked": True}] * 2


def test_fit_peaks_names_the_file_whose_axis_the_fitter_refuses(tmp_path, monkeypatch, capsys):
    # "error: binding_energy must have a uniform step ..." named no file
    monkeypatch.chdir(tmp_path)
    e = 280.0 + np.cumsum(np.linspace(0.10, 0.14, 120))  # a step that grows, no gap
    Path("uneven.txt").write_text("".join(f"{x:.2f}\t{1000 + x}\n" for x in e))
    assert main(["fit", "peaks", "uneven.txt", "--json"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("error: uneven.txt: binding_energy must have a uniform")


def test_noise_counts_0_is_noise_free_for_simulate_xas_and_bench_scan(tmp_path, capsys):
    kedge = tmp_path / "kedge.csv"
    energy = np.linspace(8900.0, 9100.0, 60)
    kedge.write_text("".join(f"{e} {1 / (1 + np.exp(-(e - 9000.0) / 5))}\n" for e in energy))
    assert (
        main(
            [
                "bench",
                "scan",
                "--spectrum",
                str(kedge),
                "--max-points",
                "3",
                "--json",
                "--noise-counts",
                "0",
            ]
        )
        == 0
    )
    assert json.loads(capsys.readouterr().out)["noise_counts"] is None
    command = ["simulate", "xas", "--strategy", "random", "--max-points", "3", "--seed", "1"]
    nrmse = []
    for noise, out in (("0", "zero"), ("1e3", "noisy")):
        assert main([*command, "--noise-counts", noise, "--out", str(tmp_path / out)]) == 0
        nrmse.append(json.loads(capsys.readouterr().out)["nrmse"])
    summary = simulate_xas(
        tmp_path / "none", strategy="random", max_points=3, noise_counts=None, seed=1
    )
    assert nrmse[0] == summary["nrmse"] != nrmse[1]


def test_bench_scan_passes_the_fluorescence_column(tmp_path, capsys):
    energy = np.linspace(8900.0, 9100.0, 60)
    mu = 1 / (1 + np.exp(-(energy - 9000.0) / 5))
    rows = "".join(f"{e} 2000 1500 {2000 * m}\n" for e, m in zip(energy, mu, strict=True))
    path = tmp_path / "fluo.xdi"
    path.write_text(
        "# XDI/1.0\n# Column.1: energy eV\n# Column.2: i0\n# Column.3: itrans\n"
        "# Column.4: Sum_Fe_Ka\n#----\n" + rows
    )
    command = ["bench", "scan", "--spectrum", str(path), "--max-points", "3", "--json"]
    assert main([*command, "--fluorescence", "Sum_Fe_Ka"]) == 0
    assert json.loads(capsys.readouterr().out)["fluorescence"] == "Sum_Fe_Ka"
    assert main([*command, "--fluorescence", "Sum_Mn_Ka"]) == 2
    assert "Sum_Mn_Ka" in capsys.readouterr().err
    assert main([*command, "--column", "Sum_Fe_Ka"]) == 0  # the raw counts
    assert json.loads(capsys.readouterr().out)["column"] == "Sum_Fe_Ka"


def test_simulate_xas_replays_a_named_column(tmp_path, capsys):
    path = tmp_path / "xmcd.dat"
    energy = np.linspace(700.0, 730.0, 40)
    rows = [f"{e} 1 1 {np.exp(-((e - 710) ** 2) / 8)}\n" for e in energy]
    path.write_text("# energy mu_plus mu_minus xmcd\n" + "".join(rows))
    command = ["simulate", "xas", "--source", str(path), "--max-points", "12"]
    assert main([*command, "--noise-counts", "0", "--column", "xmcd", "--out", str(tmp_path)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["mu"] == "column xmcd" and summary["nrmse"] < 0.1
    assert main(["simulate", "xas", "--column", "xmcd", "--out", str(tmp_path / "k")]) == 2
    assert "--column names a column of a recorded file" in capsys.readouterr().err


def test_fit_peaks_no_poisson_weights_reaches_the_fitter(tmp_path, monkeypatch, capsys):
    # a normalised export (noise growing with the level, so weighted as counts by default):
    # unweighted, the background weighs as much as the peak's top, so the errors change
    monkeypatch.chdir(tmp_path)
    e = np.linspace(280.0, 295.0, 151)
    rate = 20 + 5000 * xps_peak(e, 285.0, 1.2, 0.3)
    counts = np.random.default_rng(0).poisson(rate) / 7.3
    Path("c1s.txt").write_text(
        "C1s\n" + "".join(f"{x:.2f}\t{y:.3f}\n" for x, y in zip(e, counts, strict=True))
    )
    errors = []
    for flag in ([], ["--no-poisson-weights"]):
        assert main(["fit", "peaks", "c1s.txt", "--json", *flag]) == 0
        (peak,) = json.loads(capsys.readouterr().out)["peaks"]
        errors.append(peak["center_err"])
    assert errors[0] != pytest.approx(errors[1], rel=0.05)


def test_fit_peaks_warnings_name_the_commands_flags(tmp_path, monkeypatch, capsys):
    # they said "fit with poisson_weights off", an option of the library, not a flag
    monkeypatch.chdir(tmp_path)
    e = np.linspace(280.0, 295.0, 301)
    counts = 1000 * xps_peak(e, 285.0, 1.2, 0.3) + np.random.default_rng(0).normal(0, 20, e.size)
    Path("c1s.txt").write_text(
        "".join(f"{x:.2f}\t{y - 30:.3f}\n" for x, y in zip(e, counts, strict=True))
    )
    assert main(["fit", "peaks", "c1s.txt", "--json"]) == 0
    warnings = json.loads(capsys.readouterr().out)["warnings"]
    assert any(w.endswith("fit with --no-poisson-weights") for w in warnings), warnings
    assert not any("poisson_weights" in w for w in warnings), warnings
    assert _as_fit_flags("fit with asymmetry on; fit narrower windows (the") == (
        "fit with --asymmetry; fit narrower windows with --range LOW:HIGH (the"
    )


def _parsers(parser: argparse.ArgumentParser):
    """``parser`` and the parsers of all its subcommands, depth first."""
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for command in action.choices.values():
                yield from _parsers(command)


def test_every_help_shows_each_default_and_plain_percent_signs(capsys):
    for parser in _parsers(build_parser()):
        text = " ".join(parser.format_help().split())
        assert "%%" not in text and "%(" not in text, parser.prog
        for action in parser._actions:
            if action.option_strings and action.nargs != 0 and action.default is not None:
                g = "%(default)g" in (action.help or "")
                shown = f"{action.default:g}" if g else action.default
                assert f"(default: {shown})" in text, (parser.prog, action.dest)
    with pytest.raises(SystemExit, match="0"):
        main(["bench", "scan", "--help"])
    help_text = capsys.readouterr().out
    assert "points to 1%/2% NRMSE (first reached) on a recorded spectrum" in help_text
    assert "most points per method (default: 300)" in help_text


XPS_DATA = EELS_DATA.parent / "xps"
#: Cu 2p of CuO, 920.00-971.95 eV in 1040 points: 2p3/2 near 933 eV, 2p1/2 near 953 eV.
CUO = XPS_DATA / "Cu2p_CuO.txt"
needs_xps = pytest.mark.skipif(not CUO.is_file(), reason="needs shared/data/xps")


@needs_xps
@pytest.mark.parametrize(
    ("argv", "window"),
    [
        (["Cu2p_CuO.txt", "--range", "925:948"], [925.0, 948.0]),
        (["Cu2p_CuO.txt", "--range", ":948"], [920.0, 948.0]),
        # a kinetic-energy axis, converted: the range is binding energy all the same
        (["Cu_references.vms", "--block", "Cu2p CuO", "--range", "925:948"], [925.0, 948.0]),
    ],
)
def test_fit_peaks_range_fits_only_the_points_inside_it(
    tmp_path, monkeypatch, capsys, argv, window
):
    # there was no --range: the whole Cu 2p file was fitted, its 2p1/2 lines too
    monkeypatch.chdir(tmp_path)
    assert main(["fit", "peaks", str(XPS_DATA / argv[0]), *argv[1:], "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["range"] == pytest.approx(window, abs=1e-9)
    centers = [peak["center"] for peak in result["peaks"]]
    assert centers and all(window[0] <= c <= window[1] for c in centers)
    assert any(932 < c < 934 for c in centers)  # the 2p3/2 main line
    assert Path(result["figure"]).is_file()


@needs_xps
def test_fit_peaks_range_warns_of_a_peak_at_the_cut(tmp_path, monkeypatch, capsys):
    # the 2p3/2 line at 933 eV, cut at 934 eV: the cut's end is the window's edge
    monkeypatch.chdir(tmp_path)
    assert main(["fit", "peaks", str(CUO), "--range", "925:934", "--json"]) == 0
    warnings = json.loads(capsys.readouterr().out)["warnings"]
    assert any("sits at the window's edge (925.00-934.00 eV)" in w for w in warnings), warnings


@needs_xps
@pytest.mark.parametrize(
    ("window", "message"),
    [
        *(
            (bad, f"--range '{bad}' is not LOW:HIGH, two binding energies in eV around one ':'; "
             "pass e.g. --range 925:965, or leave one end out: --range 925: or --range :965")
            for bad in ("925-965", "a:965", ":", "1:2:3", "nan:965", "925:inf")
        ),
        ("965:925", "--range '965:925': LOW is not below HIGH; pass --range 925:965"),
        ("930:930", "--range '930:930': LOW is not below HIGH; pass a range of some width"),
        ("930:930.3", "CUO --range 930:930.3 (7 of its 1040 points, 920.00-971.95 eV): spectra "
         "need at least 10 points, got 7"),
        ("1000:1100", "CUO: --range 1000:1100 lies outside its binding energies, 920.00-971.95 "
         "eV; pass a range that overlaps them"),
        ("-5:900", "CUO: --range -5:900 lies outside its binding energies, 920.00-971.95 eV"),
        ("0.925:0.965", "CUO: --range 0.925:0.965 lies outside its binding energies, "
         "920.00-971.95 eV; pass a range that overlaps them (in keV? 925:965 is the range in "
         "eV)"),
        ("0.9:1.0", "CUO: --range 0.9:1.0 lies outside its binding energies, 920.00-971.95 "
         "eV; pass a range that overlaps them (in keV? 900:1000 is the range in eV)"),
    ],
)  # fmt: skip
def test_fit_peaks_refuses_a_bad_range_in_one_line(tmp_path, monkeypatch, capsys, window, message):
    monkeypatch.chdir(tmp_path)
    assert main(["fit", "peaks", str(CUO), f"--range={window}", "--json"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith(f"error: {message.replace('CUO', str(CUO))}"), err
    assert err.count("\n") == 1 and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "argv, usage",
    [
        (["serve", "--port", "5555"], "usage: adaptive serve [-h] [--bind BIND]"),
        (["fit", "peaks", "x.txt", "--blok", "C 1s"], "usage: adaptive fit peaks [-h]"),
    ],
)
def test_an_unknown_option_shows_the_usage_of_the_command_it_was_given_to(argv, usage, capsys):
    # "usage: adaptive [-h] {serve,simulate,...}" hid serve's --bind
    with pytest.raises(SystemExit, match="2"):
        main(argv)
    err = capsys.readouterr().err
    assert err.startswith(usage) and f"error: unrecognized arguments: {' '.join(argv[-2:])}" in err
