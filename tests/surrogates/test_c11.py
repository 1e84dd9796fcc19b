"""The analysis an EELS analysis points XPS spectra to exists; training defaults are the
committed networks' settings, written under runs/ (never over the committed weights), and
``adaptive train`` takes them from the training functions; an unknown EELS network name is
answered with the names that exist."""

import inspect
import re
from functools import partial
from pathlib import Path

import numpy as np
import pytest
import torch

from adaptive.analysis import ANALYSES, Analysis
from adaptive.cli import build_parser, main
from adaptive.errors import InvalidParameterError
from adaptive.records import Spectrum
from surrogates import eels_training, peak_net
from surrogates.eels_identifier import EELSIdentifier
from surrogates.eels_net import COMMITTED_NETWORKS, WEIGHTS_DIR


def test_an_xps_spectrum_sent_to_elements_is_pointed_to_an_analysis_that_exists():
    # it named a 'peaks' analysis, which campaign_create refuses
    analysis = Analysis({"name": "elements", "options": {"networks": "unet"}})
    x = np.linspace(280, 400, 200)
    spectrum = Spectrum(x, 1000 + 50 * np.exp(-((x - 285) ** 2)), "binding energy (eV)")
    with pytest.raises(InvalidParameterError) as caught:
        analysis(spectrum)
    suggested = re.search(r"fit XPS peaks with the '(\w+)' analysis", str(caught.value))[1]
    assert suggested in ANALYSES
    assert Analysis({"name": suggested}).step.feature_names() >= {"n_peaks", "area_0"}


def _defaults(function) -> dict:
    return {name: p.default for name, p in inspect.signature(function).parameters.items()}


def test_train_peak_net_defaults_are_the_committed_networks_settings():
    # they were n_train 51,200 and epochs 10, another network than the committed one
    settings = torch.load(peak_net.DEFAULT_WEIGHTS, weights_only=False)["metadata"]["settings"]
    defaults = _defaults(peak_net.train_peak_net)
    assert {name: defaults[name] for name in settings} == settings


@pytest.mark.parametrize("arch", COMMITTED_NETWORKS)
def test_train_eels_net_defaults_are_the_committed_networks_settings(arch):
    # augment was None, while the committed networks had overlapping edges for a quarter
    settings = torch.load(WEIGHTS_DIR / f"eels_{arch}.pt", weights_only=False)["settings"]
    defaults = {**_defaults(eels_training.train_eels_net), "arch": arch}
    given = {name: value for name, value in settings.items() if name in defaults}
    assert set(settings) - set(given) == {"simulator"}  # fixed, not a setting
    assert {name: defaults[name] for name in given} == given


def _refusing_the_committed_folder(module, monkeypatch, written: list[Path]):
    """Make ``module.save_file`` refuse to write into the committed weights folder (the
    test fails rather than replacing them), and note the paths it writes."""
    save_file = module.save_file

    def guarded(data, path):
        assert Path(path).resolve().parent != WEIGHTS_DIR, f"would replace {path}"
        written.append(Path(path))
        save_file(data, path)

    monkeypatch.setattr(module, "save_file", guarded)


@pytest.mark.parametrize(
    ("module", "train", "settings", "out", "checkpoint"),
    [
        (
            peak_net,
            peak_net.train_peak_net,
            {"n_train": 8, "epochs": 1, "batch_size": 4, "n_val": 4},
            "runs/peak_net.pt",
            "runs/peak_net_checkpoints/epoch_001.pt",
        ),
        (
            eels_training,
            partial(eels_training.train_eels_net, "resnet"),
            {"n_train": 8, "epochs": 1, "batch_size": 4, "n_val": 100},
            "runs/eels_resnet.pt",
            "runs/eels_checkpoints/resnet/epoch_001.pt",
        ),
    ],
)
def test_training_with_the_default_paths_writes_under_runs(
    tmp_path, monkeypatch, module, train, settings, out, checkpoint
):
    # both wrote over the committed weights in surrogates/weights/
    monkeypatch.chdir(tmp_path)
    written = []
    _refusing_the_committed_folder(module, monkeypatch, written)
    train(progress=False, **settings)
    assert written == [Path(out)]
    assert (tmp_path / out).is_file() and (tmp_path / checkpoint).is_file()


def _option(argv: list[str], flag: str):
    """The argparse action of ``flag`` in the subcommand ``argv``."""
    command = build_parser().parse_known_args(argv)[0].command_parser
    return next(action for action in command._actions if flag in action.option_strings)


@pytest.mark.parametrize(
    ("argv", "flag", "default"),
    [
        (["train", "peakfit"], "--n-train", lambda: _defaults(peak_net.train_peak_net)["n_train"]),
        (["train", "peakfit"], "--epochs", lambda: _defaults(peak_net.train_peak_net)["epochs"]),
        (["train", "peakfit"], "--seed", lambda: _defaults(peak_net.train_peak_net)["seed"]),
        (["train", "peakfit"], "--lr", lambda: _defaults(peak_net.train_peak_net)["lr"]),
        (["train", "peakfit"], "--out", lambda: peak_net.TRAINED_WEIGHTS),
        (["train", "peakfit"], "--checkpoints", lambda: peak_net.TRAINING_CHECKPOINTS),
        (
            ["train", "eels"],
            "--n-train",
            lambda: _defaults(eels_training.train_eels_net)["n_train"],
        ),
        (["train", "eels"], "--epochs", lambda: _defaults(eels_training.train_eels_net)["epochs"]),
        (["train", "eels"], "--seed", lambda: _defaults(eels_training.train_eels_net)["seed"]),
        (["train", "eels"], "--lr", lambda: _defaults(eels_training.train_eels_net)["lr"]),
        (
            ["train", "eels"],
            "--overlap",
            lambda: eels_training.TRAINING_AUGMENT["overlap_fraction"],
        ),
        (["train", "eels"], "--out", lambda: eels_training.TRAINED_WEIGHTS.format(arch="ARCH")),
        (["train", "eels"], "--checkpoints", lambda: eels_training.TRAINING_CHECKPOINTS),
    ],
)
def test_train_flags_default_to_the_training_functions_and_their_help_says_so(argv, flag, default):
    option = _option(argv, flag)
    assert option.default is None  # left to the function
    assert option.help.endswith(f"(default: {default()})")


def _recorded(monkeypatch, module, name: str) -> list[tuple]:
    """Replace the training function ``module.name`` by one noting its arguments."""
    calls = []
    monkeypatch.setattr(module, name, lambda *args, **kwargs: calls.append((args, kwargs)) or {})
    return calls


def test_train_peakfit_without_flags_trains_the_committed_settings(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    calls = _recorded(monkeypatch, peak_net, "train_peak_net")
    assert main(["train", "peakfit"]) == 0
    assert calls[0] == (  # the settings left to train_peak_net's defaults
        (),
        {
            "checkpoint_dir": peak_net.TRAINING_CHECKPOINTS,
            "out_path": peak_net.TRAINED_WEIGHTS,
            "device": "cpu",
        },
    )
    assert main(["train", "peakfit", "--n-train", "512", "--lr", "0.01"]) == 0
    assert calls[1][1]["n_train"] == 512 and calls[1][1]["lr"] == 0.01


@pytest.mark.parametrize(
    ("flags", "augment"),
    [([], {"overlap_fraction": 0.25}), (["--overlap", "0"], None)]  # 0.25: the committed
    + [(["--overlap", "0.5"], {"overlap_fraction": 0.5})],
)
def test_train_eels_passes_the_overlap_only_when_given(tmp_path, monkeypatch, flags, augment):
    monkeypatch.chdir(tmp_path)
    defaults = _defaults(eels_training.train_eels_net)
    calls = _recorded(monkeypatch, eels_training, "train_eels_net")
    assert main(["train", "eels", "--arch", "resnet", *flags]) == 0
    args, kwargs = calls[0]
    assert args == ("resnet",)
    assert {**defaults, **kwargs}["augment"] == augment
    assert kwargs["out_path"] == "runs/eels_resnet.pt"
    assert kwargs["checkpoint_dir"] == Path("runs/eels_checkpoints/resnet")


def test_an_unknown_network_name_is_answered_with_the_committed_names():
    # it suggested train_eels_net(arch='foo', out_path='.../surrogates/weights/eels_foo.pt'),
    # a call refused for its unknown arch, writing into the package folder
    with pytest.raises(InvalidParameterError) as caught:
        Analysis({"name": "elements", "options": {"networks": ["foo"]}})
    message = str(caught.value)
    assert f"holds the networks {sorted(COMMITTED_NETWORKS)}: name one of them" in message
    assert "the elements analysis option weights" in message
    assert "train" not in message


def test_a_missing_network_of_a_known_arch_suggests_training_one(tmp_path):
    with pytest.raises(InvalidParameterError) as caught:
        EELSIdentifier.load(("unet",), directory=tmp_path)
    message = str(caught.value)
    assert f"{tmp_path} holds no networks: pass instead the weights file" in message
    assert message.endswith("adaptive train eels --arch unet (train_eels_net(arch='unet'))")
    assert str(WEIGHTS_DIR) not in message
