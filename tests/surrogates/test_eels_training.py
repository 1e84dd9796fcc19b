"""``surrogates.eels_training``: training, checkpoints, init and augment, and the ensemble
built from trained members."""

import numpy as np
import pytest
import torch

from adaptive.errors import InvalidParameterError
from surrogates.eels_identifier import EELSIdentifier, calibrate_thresholds, ensemble_weights
from surrogates.eels_net import EELSResNet
from surrogates.eels_training import TEST_SEED, VALIDATION_SEED, simulate_eels, train_eels_net

# --------------------------------------------------------------------------- training


def tiny(arch, tmp_path, name, epochs=2, seed=0, progress=False, **settings):
    return train_eels_net(
        arch, n_train=256, epochs=epochs, seed=seed, batch_size=64,
        checkpoint_dir=tmp_path / f"ck_{name}_{arch}", out_path=tmp_path / name / f"eels_{arch}.pt",
        progress=progress, n_val=200, **settings,
    )  # fmt: skip


def weights(path):
    return torch.load(path, weights_only=True)


def test_training_writes_checkpoints_and_weights_deterministically(tmp_path):
    metrics = tiny("resnet", tmp_path, "a")
    assert sorted(p.name for p in (tmp_path / "ck_a_resnet").iterdir()) == [
        "epoch_001.pt",
        "epoch_002.pt",
    ]
    saved = weights(tmp_path / "a" / "eels_resnet.pt")
    assert saved["arch"] == "resnet" and saved["thresholds"].shape == (80,)
    assert saved["validation"]["probabilities"].shape == (200, 80)
    # named as bench eels names it (it was weighted_f1)
    assert set(metrics) >= {"f1_weighted", "exact_match", "train_seconds"}
    assert "weighted_f1" not in metrics
    assert saved["metrics"]["f1_weighted"] == metrics["f1_weighted"]

    tiny("resnet", tmp_path, "b")  # same seed, fresh directories
    again = weights(tmp_path / "b" / "eels_resnet.pt")
    for key, value in saved["state_dict"].items():
        torch.testing.assert_close(again["state_dict"][key], value, rtol=0, atol=0)
    tiny("resnet", tmp_path, "c", seed=1)
    other = weights(tmp_path / "c" / "eels_resnet.pt")
    assert not torch.equal(
        other["state_dict"]["head.2.weight"], saved["state_dict"]["head.2.weight"]
    )


def test_training_resumes_from_the_latest_checkpoint(tmp_path):
    tiny("unet", tmp_path, "full")
    # continue the one-epoch run's checkpoint under the two-epoch settings
    first = torch.load(tmp_path / "ck_full_unet" / "epoch_001.pt", weights_only=True)
    (tmp_path / "ck_resumed_unet").mkdir()
    torch.save(first, tmp_path / "ck_resumed_unet" / "epoch_001.pt")
    tiny("unet", tmp_path, "resumed")
    full = weights(tmp_path / "full" / "eels_unet.pt")["state_dict"]
    resumed = weights(tmp_path / "resumed" / "eels_unet.pt")["state_dict"]
    for key, value in full.items():
        torch.testing.assert_close(resumed[key], value, rtol=0, atol=0)
    with pytest.raises(InvalidParameterError, match="settings"):
        tiny("unet", tmp_path, "full", epochs=3, seed=4)


def test_an_interrupt_in_training_closes_the_progress_bar(tmp_path, monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("surrogates.eels_training.save_checkpoint", interrupted)  # after epoch 1
    err = None
    try:
        tiny("unet", tmp_path, "a", progress=True)
    except KeyboardInterrupt:  # read while the traceback holds the training, as main() prints
        err = capsys.readouterr().err
    assert err is not None and "4/8" in err and err.endswith("\n"), err  # the bar is closed


def test_training_rejects_bad_settings(tmp_path):
    with pytest.raises(InvalidParameterError, match="arch"):
        train_eels_net("vit", checkpoint_dir=tmp_path)
    with pytest.raises(InvalidParameterError, match="n_train"):
        train_eels_net("unet", n_train=10, batch_size=64, checkpoint_dir=tmp_path)


@pytest.mark.parametrize("seed", [VALIDATION_SEED, TEST_SEED])
def test_training_rejects_the_seeds_of_held_out_spectra(tmp_path, seed):
    with pytest.raises(InvalidParameterError, match=f"seed={seed} is the seed of the .*another"):
        train_eels_net("unet", seed=seed, checkpoint_dir=tmp_path)
    assert not any(tmp_path.iterdir())  # refused before anything was written


def test_a_diverged_training_writes_no_weights_and_says_to_lower_lr(tmp_path):
    # lr=1e9 wrote NaN thresholds, a file every consumer refused as not train eels's
    with pytest.raises(
        InvalidParameterError,
        match=r"training diverged at lr=1e\+09 .*no weights file was written; lower it, "
        r"e\.g\. lr=1e\+08, .*after deleting .*ck_nan_resnet",
    ):
        tiny("resnet", tmp_path, "nan", epochs=1, lr=1e9)
    assert not (tmp_path / "nan").exists()


def test_training_spectra_that_do_not_fit_in_memory_are_refused_in_one_line(tmp_path):
    # an _ArrayMemoryError traceback; 10**12 spectra pass any address space
    with pytest.raises(
        InvalidParameterError, match=r"n_train=10+ training spectra need [\d,.]+ GiB .*fewer"
    ):
        train_eels_net("resnet", n_train=10**12, checkpoint_dir=tmp_path / "ck", progress=False)
    assert not (tmp_path / "ck").exists()  # it was left empty


def test_training_fine_tunes_from_init_weights(tmp_path):
    tiny("unet", tmp_path, "start", epochs=1, seed=1)
    start = tmp_path / "start" / "eels_unet.pt"
    tiny("unet", tmp_path, "tuned", epochs=1, init=start, lr=1e-12)
    tuned = weights(tmp_path / "tuned" / "eels_unet.pt")
    assert tuned["settings"]["init"] == str(start)
    key = "head.2.weight"
    torch.testing.assert_close(tuned["state_dict"][key], weights(start)["state_dict"][key])
    with pytest.raises(InvalidParameterError, match="resnet"):
        tiny("resnet", tmp_path, "wrong", init=start)
    with pytest.raises(InvalidParameterError, match="init"):
        tiny("unet", tmp_path, "missing", init=tmp_path / "none.pt")


#: A state dict of another network: the message names the network and its config.
LAYOUT = "another layout than this EELSUNet .*; the unet network has config \\{'channels'"


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"not a weights file", "cannot be read \\(UnpicklingError\\)"),
        (torch.ones(3), "does not hold a dict with the keys \\['arch', 'state_dict'\\]"),
        ({"arch": "unet"}, "does not hold a dict"),
        ({"arch": "unet", "state_dict": EELSResNet().state_dict()}, LAYOUT),
        ({"arch": "unet", "state_dict": 5}, LAYOUT),
    ],
)
def test_training_refuses_a_bad_init_file_before_writing_anything(tmp_path, content, match):
    init = tmp_path / "init.pt"
    if isinstance(content, bytes):
        init.write_bytes(content)
    else:
        torch.save(content, init)
    with pytest.raises(InvalidParameterError, match=f"init.pt.*{match}.*train_eels_net wrote"):
        tiny("unet", tmp_path, "bad", init=init)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["init.pt"]


@pytest.mark.parametrize("device", ["meta", "cuda"])
def test_training_refuses_a_device_before_creating_the_checkpoint_folder(
    tmp_path, monkeypatch, device
):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # 'cuda' is refused anywhere
    with pytest.raises(InvalidParameterError, match="device"):
        tiny("unet", tmp_path, "dev", device=device)
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("augment", "match"),
    [
        ({"overlap": 0.5}, "augment names 'overlap', not an EELSSimulator setting"),
        ({"overlap_fraction": 2.0}, r"augment .*overlap_fraction must be a number in \[0, 1\]"),
        ({"energy_shift": (-40.0, 5.0)}, "augment .*raise edge_margin"),
        (0.25, "augment is a dict of EELSSimulator settings"),
    ],
)
def test_training_refuses_a_bad_augment_before_creating_the_checkpoint_folder(
    tmp_path, augment, match
):
    # these raised a bare TypeError or ValueError after the checkpoint folder was made
    with pytest.raises(InvalidParameterError, match=match):
        tiny("resnet", tmp_path, "aug", augment=augment)
    assert not any(tmp_path.iterdir())


def test_training_stores_a_good_augment_with_its_settings(tmp_path):
    tiny("resnet", tmp_path, "aug", epochs=1, augment={"overlap_fraction": 0.5})
    saved = torch.load(tmp_path / "aug" / "eels_resnet.pt", weights_only=False)
    assert saved["settings"]["augment"] == {"overlap_fraction": 0.5}


def test_an_ensemble_weighs_members_and_calibrates_on_their_validation(tmp_path):
    tiny("unet", tmp_path, "ens", epochs=1)
    tiny("resnet", tmp_path, "ens", epochs=1)
    ensemble = EELSIdentifier.load(("unet", "resnet"), directory=tmp_path / "ens")
    members = [EELSIdentifier.load((a,), directory=tmp_path / "ens") for a in ("unet", "resnet")]
    validation = simulate_eels(200, seed=VALIDATION_SEED)
    each = np.stack([m.probabilities(validation.spectra, validation.window) for m in members])
    weights = ensemble.weights  # (80, 2)
    # weights fitted on the stored (float16) validation probabilities of the same spectra
    stored = each.astype(np.float16)
    np.testing.assert_allclose(weights, ensemble_weights(stored, validation.labels), atol=1e-6)
    assert (weights != 0.5).any(axis=1).sum() == (validation.labels.sum(axis=0) >= 20).sum()
    mixed = np.einsum("mnj,jm->nj", each, weights)
    p, _ = ensemble.identify(validation.spectra, validation.window)
    np.testing.assert_allclose(p, mixed, atol=1e-6)
    expected = calibrate_thresholds(mixed, validation.labels)
    np.testing.assert_allclose(ensemble.thresholds, expected, atol=2e-3)
    assert [m["arch"] for m in ensemble.metadata] == ["unet", "resnet"]
