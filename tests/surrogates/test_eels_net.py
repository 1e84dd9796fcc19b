"""``surrogates.eels_net``: preprocessing, the two networks and the loss."""

import numpy as np
import pytest
import torch

from adaptive.errors import InvalidParameterError
from simulators.eels import ELEMENTS, N_CHANNELS
from surrogates.eels_net import (
    ARCHS,
    N_INPUTS,
    EELSResNet,
    EELSUNet,
    checked_eels_inputs,
    eels_inputs,
    eels_loss,
)

# ------------------------------------------------------------------------ preprocessing


def prepare_eels(spectra: np.ndarray, window: np.ndarray) -> torch.Tensor:
    """Network input of spectra from outside, as the identifier makes it."""
    x, w = checked_eels_inputs(spectra, window)
    return eels_inputs(torch.from_numpy(x), torch.from_numpy(w))


def test_prepare_eels_masks_the_window_and_centres_the_log(batch):
    x = prepare_eels(batch.spectra, batch.window).numpy()
    assert x.shape == (64, N_INPUTS, N_CHANNELS) and x.dtype == np.float32
    channels = np.arange(N_CHANNELS)
    inside = (channels >= batch.window[:, :1]) & (channels <= batch.window[:, 1:])
    np.testing.assert_array_equal(x[:, 2], inside.astype(np.float32))
    assert not x[:, :2][np.broadcast_to(~inside[:, None], x[:, :2].shape)].any()
    log_mean = (x[:, 0] * inside).sum(axis=1) / inside.sum(axis=1)
    np.testing.assert_allclose(log_mean, 0.0, atol=1e-3)
    np.testing.assert_allclose(x[:, 1].max(axis=1), 1.0)  # max-normalised linear channel


def test_prepare_eels_does_not_depend_on_the_intensity_scale(batch):
    a = prepare_eels(batch.spectra, batch.window)
    b = prepare_eels(batch.spectra * 3e4, batch.window)
    torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(
    "change, match",
    [
        (lambda x, w: (x[:, :100], w), "shape"),
        (lambda x, w: (x, w[:, ::-1].copy()), "first < last"),
        (lambda x, w: (x, w.astype(float)), "integer"),
        (lambda x, w: (np.where(np.arange(N_CHANNELS) == 5, np.nan, x), w), "not finite"),
        (lambda x, w: (-np.abs(x), w), "no positive"),
    ],
)
def test_prepare_eels_rejects_bad_input(batch, change, match):
    x, w = change(batch.spectra[:3].copy(), batch.window[:3].copy())
    with pytest.raises(InvalidParameterError, match=match):
        prepare_eels(x, w)


# --------------------------------------------------------------------------- networks


@pytest.mark.parametrize("arch", sorted(ARCHS))
def test_networks_map_prepared_spectra_to_80_logits(batch, arch):
    torch.manual_seed(0)
    net = ARCHS[arch]().eval()
    with torch.inference_mode():
        logits = net(prepare_eels(batch.spectra[:5], batch.window[:5]))
    assert logits.shape == (5, len(ELEMENTS)) and torch.isfinite(logits).all()


def test_networks_reject_a_wrong_channel_list():
    with pytest.raises(InvalidParameterError, match="channels"):
        EELSUNet(channels=(16, 24))
    with pytest.raises(InvalidParameterError, match="channels"):
        EELSResNet(channels=(16, 0, 32))


def test_loss_rewards_right_and_punishes_wrong_confident_answers():
    labels = torch.zeros(8, len(ELEMENTS))
    labels[torch.arange(8), torch.arange(8) * 3] = 1.0
    right = eels_loss(20 * (2 * labels - 1), labels)
    wrong = eels_loss(-20 * (2 * labels - 1), labels)
    unsure = eels_loss(torch.zeros_like(labels), labels)
    assert right < 0.01 < unsure < wrong
    assert wrong > 1.0  # the soft-F1 term alone is 1 when nothing is right
