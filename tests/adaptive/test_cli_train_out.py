"""``train`` writes its weights under ``runs/`` unless ``--out`` names another file: a trial
run must not replace the committed networks that ``fit peaks`` and ``identify`` load."""

import hashlib
import json

import pytest

from adaptive.cli import main
from surrogates.eels_net import WEIGHTS_DIR


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(
    ("command", "written", "committed"),
    [
        (["peakfit", "--n-train", "256"], "runs/peak_net.pt", "peak_net.pt"),
        (["eels", "--n-train", "300"], "runs/eels_unet.pt", "eels_unet.pt"),
    ],
)
def test_train_without_out_leaves_the_committed_weights(
    tmp_path, monkeypatch, capsys, command, written, committed
):
    monkeypatch.chdir(tmp_path)
    before = digest(WEIGHTS_DIR / committed)
    assert main(["train", *command, "--epochs", "1", "--checkpoints", "ck"]) == 0
    assert digest(WEIGHTS_DIR / committed) == before
    assert (tmp_path / written).is_file()
    assert json.loads(capsys.readouterr().out)["weights"] == written
