import os
import signal

import numpy as np
import pytest
import torch

from adaptive.errors import InvalidParameterError
from surrogates.checkpoints import (
    check_finite_training,
    check_training_settings,
    fits_in_memory,
    latest_checkpoint,
    resume_training,
    save_checkpoint,
    save_file,
    training_device,
)
from surrogates.eels_training import train_eels_net
from surrogates.peak_net import train_peak_net


def training_state(device: str):
    net = torch.nn.Linear(2, 2, device=device)
    optimizer = torch.optim.AdamW(net.parameters())
    return net, optimizer, torch.optim.lr_scheduler.StepLR(optimizer, 1)


def test_latest_checkpoint_is_the_highest_epoch_not_the_last_name(tmp_path):
    assert latest_checkpoint(tmp_path) is None
    for name in ("epoch_999.pt", "epoch_1000.pt", "epoch_02.pt", "epoch_x.pt"):
        (tmp_path / name).touch()
    assert latest_checkpoint(tmp_path).name == "epoch_1000.pt"


@pytest.mark.filterwarnings("ignore:for weight|for bias:UserWarning")  # no-op copy onto meta
def test_resume_restores_the_cpu_random_state_whatever_the_device(tmp_path):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        save_checkpoint(tmp_path, 1, {}, *training_state("cpu"), rng=torch.get_rng_state())
        expected = torch.rand(3)
        # 'meta' stands in for 'cuda': the saved CPU random state must not move there
        state = resume_training(tmp_path, {}, torch.device("meta"), *training_state("meta"))
        assert state["rng"].device.type == "cpu"
        torch.testing.assert_close(torch.rand(3), expected, rtol=0, atol=0)


def test_resume_rejects_other_settings(tmp_path):
    save_checkpoint(tmp_path, 1, {"seed": 0}, *training_state("cpu"))
    with pytest.raises(
        InvalidParameterError, match=r"pass an empty checkpoint_dir \(--checkpoints\) or the same"
    ):
        resume_training(tmp_path, {"seed": 1}, torch.device("cpu"), *training_state("cpu"))


def test_resume_names_a_checkpoint_of_another_network_layout(tmp_path):
    save_checkpoint(tmp_path, 1, {"seed": 0}, *training_state("cpu"))
    net = torch.nn.Linear(3, 2)  # the same settings, another network (an upgrade, say)
    optimizer = torch.optim.AdamW(net.parameters())
    schedule = torch.optim.lr_scheduler.StepLR(optimizer, 1)
    with pytest.raises(
        InvalidParameterError,
        match="epoch_001.pt holds a network of another layout .*--checkpoints",
    ):
        resume_training(tmp_path, {"seed": 0}, torch.device("cpu"), net, optimizer, schedule)


def test_reserved_seeds_are_rejected():
    settings = dict(n_train=64, epochs=1, batch_size=8, n_val=10, min_val=1, lr=1e-3)
    check_training_settings(seed=7, reserved_seeds={8: "the test data"}, **settings)
    with pytest.raises(InvalidParameterError, match="seed=8 is the seed of the test data"):
        check_training_settings(seed=8, reserved_seeds={8: "the test data"}, **settings)


def test_a_seed_beyond_64_bits_is_refused():
    settings = dict(n_train=64, epochs=1, batch_size=8, n_val=10, min_val=1, lr=1e-3)
    check_training_settings(seed=2**63 - 1, **settings)
    with pytest.raises(InvalidParameterError, match=r"seed=9223372036854775808 must be .* to "):
        check_training_settings(seed=2**63, **settings)


def zip_of_a_checkpoint(tmp_path) -> bytes:
    save_checkpoint(tmp_path, 1, {}, *training_state("cpu"))
    return (tmp_path / "epoch_001.pt").read_bytes()


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (lambda good: good[: len(good) // 2], "RuntimeError"),  # a zip cut short
        (lambda good: b"not a checkpoint", "UnpicklingError"),
        (lambda good: b"", "EOFError"),
        (lambda good: b"junk", "error"),  # struct.error: the unpickler raises many types
    ],
)
def test_resume_names_a_corrupt_checkpoint_and_how_to_start_afresh(tmp_path, content, kind):
    good = zip_of_a_checkpoint(tmp_path)
    (tmp_path / "epoch_002.pt").write_bytes(content(good))
    with pytest.raises(
        InvalidParameterError, match=f"epoch_002.pt cannot be read \\({kind}\\): it is truncated"
    ):
        resume_training(tmp_path, {}, torch.device("cpu"), *training_state("cpu"))
    with pytest.raises(InvalidParameterError, match="delete it .*start the run afresh"):
        resume_training(tmp_path, {}, torch.device("cpu"), *training_state("cpu"))


def test_resume_rejects_a_torch_file_that_is_no_checkpoint(tmp_path):
    torch.save(torch.ones(3), tmp_path / "epoch_001.pt")
    with pytest.raises(InvalidParameterError, match="epoch_001.pt does not hold .*settings"):
        resume_training(tmp_path, {}, torch.device("cpu"), *training_state("cpu"))


def test_a_save_killed_midway_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "w.pt"
    save_file({"v": torch.ones(2)}, path)

    def killed(obj, file):
        file.write(b"PK\x03\x04 half a zip")
        raise KeyboardInterrupt

    monkeypatch.setattr(torch, "save", killed)
    with pytest.raises(KeyboardInterrupt):
        save_file({"v": torch.zeros(2)}, path)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(tmp_path, 1, {}, *training_state("cpu"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.pt"]
    torch.testing.assert_close(torch.load(path, weights_only=True)["v"], torch.ones(2))


class _PressesCtrlC:
    """Pickled (by ``torch.save``, mid-file), sends this process SIGINT; loads as 7."""

    def __reduce__(self):
        os.kill(os.getpid(), signal.SIGINT)
        return int, (7,)


def test_ctrl_c_while_saving_raises_once_the_file_is_in_place(tmp_path):
    path = tmp_path / "w.pt"
    state = {"before": torch.ones(50_000), "press": _PressesCtrlC(), "after": torch.zeros(50_000)}
    handler = signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal
    try:
        with pytest.raises(KeyboardInterrupt):
            save_file(state, path)
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, handler)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.pt"]
    saved = torch.load(path, weights_only=False)
    assert saved["press"] == 7
    torch.testing.assert_close(saved["after"], torch.zeros(50_000))


class _SendsSigterm:
    """Pickled (by ``torch.save``, mid-file), sends this process SIGTERM; loads as 8."""

    def __reduce__(self):
        os.kill(os.getpid(), signal.SIGTERM)
        return int, (8,)


def test_a_sigterm_handled_in_python_while_saving_reaches_its_handler_once_the_file_is_in_place(
    tmp_path,
):
    # adaptive train takes SIGTERM as Ctrl-C; raised inside torch.save it would lose the epoch
    path = tmp_path / "w.pt"

    def stop(signum, frame):
        raise KeyboardInterrupt

    handler = signal.signal(signal.SIGTERM, stop)
    try:
        with pytest.raises(KeyboardInterrupt):
            save_file({"send": _SendsSigterm(), "after": torch.zeros(50_000)}, path)
        assert signal.getsignal(signal.SIGTERM) is stop
    finally:
        signal.signal(signal.SIGTERM, handler)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.pt"]
    assert torch.load(path, weights_only=False)["send"] == 8


@pytest.mark.parametrize("device", ["meta", "mps", "xpu", "CPU", "cpu:1", "cuda:x", "", "gpu"])
def test_training_device_accepts_only_cpu_and_cuda(device):
    with pytest.raises(InvalidParameterError, match=f"'cpu', 'cuda' or 'cuda:N', got '{device}'"):
        training_device(device)


def test_training_device_accepts_only_the_gpus_torch_sees(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(InvalidParameterError, match="sees no CUDA device; train with device='cpu'"):
        training_device("cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert training_device("cpu") == torch.device("cpu")
    assert training_device("cuda") == torch.device("cuda")
    assert training_device("cuda:1") == torch.device("cuda", 1)
    with pytest.raises(InvalidParameterError, match="got 'cuda:2'; the devices here are cpu, cuda"):
        training_device("cuda:2")


@pytest.mark.parametrize(
    ("train", "settings"),
    [
        (train_peak_net, {"n_train": 8, "epochs": 1, "batch_size": 4, "n_val": 4}),
        (train_eels_net, {"n_train": 8, "epochs": 1, "batch_size": 4, "n_val": 100}),
    ],
)
def test_a_run_killed_while_saving_its_weights_keeps_the_old_file(
    tmp_path, monkeypatch, train, settings
):
    settings = {**settings, "progress": False}
    train(checkpoint_dir=tmp_path / "ck", out_path=tmp_path / "first.pt", **settings)
    torch.save({"old": torch.ones(1)}, tmp_path / "w.pt")
    save = torch.save

    def interrupted(obj, file):  # killed after writing, before the file is in place
        save(obj, file)
        raise KeyboardInterrupt

    monkeypatch.setattr(torch, "save", interrupted)
    with pytest.raises(KeyboardInterrupt):  # resumes after the last epoch, so only saves
        train(checkpoint_dir=tmp_path / "ck", out_path=tmp_path / "w.pt", **settings)
    assert torch.load(tmp_path / "w.pt", weights_only=True).keys() == {"old"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ck", "first.pt", "w.pt"]


def test_a_nan_batch_norm_statistic_counts_as_diverged(tmp_path):
    # only the parameters were checked; a NaN running variance makes every output NaN
    net = torch.nn.BatchNorm1d(2)
    net.running_var[0] = float("nan")
    with pytest.raises(InvalidParameterError, match="training diverged at lr=0.1 "):
        check_finite_training(0.1, tmp_path, net, [1.0])
    check_finite_training(0.1, tmp_path, torch.nn.BatchNorm1d(2), [1.0])


def test_an_allocation_beyond_memory_is_refused_with_what_it_needs():
    with pytest.raises(
        InvalidParameterError,
        match=r"^n_train=288230376151711744 spectra need 268,435,456\.0 GiB \(1 bytes each\), "
        "more memory than this machine can allocate; pass fewer$",
    ):
        with fits_in_memory("n_train=288230376151711744 spectra", 2**58, 1):
            np.empty(2**58, np.uint8)  # beyond a 57-bit address space: a real MemoryError


def test_the_checkpoint_folder_is_made_with_the_first_checkpoint(tmp_path):
    # it was made before the training data, so a run refused there left it empty
    save_checkpoint(tmp_path / "a" / "b", 1, {}, *training_state("cpu"))
    assert [p.name for p in (tmp_path / "a" / "b").iterdir()] == ["epoch_001.pt"]
