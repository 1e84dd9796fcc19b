import pytest
import torch

from adaptive.errors import InvalidParameterError
from surrogates.checkpoints import (
    check_training_settings,
    latest_checkpoint,
    resume_training,
    save_checkpoint,
)


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
    with pytest.raises(InvalidParameterError, match="same settings"):
        resume_training(tmp_path, {"seed": 1}, torch.device("cpu"), *training_state("cpu"))


def test_reserved_seeds_are_rejected():
    settings = dict(n_train=64, epochs=1, batch_size=8, n_val=10, min_val=1, lr=1e-3)
    check_training_settings(seed=7, reserved_seeds={8: "the test data"}, **settings)
    with pytest.raises(InvalidParameterError, match="seed 8 is the seed of the test data"):
        check_training_settings(seed=8, reserved_seeds={8: "the test data"}, **settings)
