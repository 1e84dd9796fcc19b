"""``train_eels_net`` shows the simulation of its training spectra (about 28 s at the
default 130,000) as a progress bar before training starts; it printed nothing."""

import re

from surrogates import eels_training
from tests.surrogates.test_eels_training import tiny


def test_simulating_the_training_spectra_shows_a_bar_before_training(tmp_path, monkeypatch, capsys):
    shown = []  # stderr up to the first training step

    def first_step(*args, **kwargs):
        if not shown:
            shown.append(capsys.readouterr().err)
        step(*args, **kwargs)

    step = eels_training.training_step
    monkeypatch.setattr(eels_training, "training_step", first_step)
    tiny("resnet", tmp_path, "a", epochs=1, progress=True)
    assert "simulating 256 training spectra" in shown[0] and "256/256" in shown[0], shown
    err = capsys.readouterr().err
    assert "4/4" in err.partition("thresholds and scores")[0]  # then the training bar
    # then a bar of the validation: a minute of silence under load after training's 100%
    assert re.search(r"thresholds and scores: 100%\|[^|]*\| 4/4 ", err), err
    tiny("resnet", tmp_path, "b", epochs=1)  # progress=False: no bar
    assert capsys.readouterr().err == ""
