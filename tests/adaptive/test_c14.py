"""One gap rule for the identifier's warning and its figure; bench eels' metadata errors;
bench eels' and bench batch's progress bars, which --json turns off."""

import json
import re
import types

import numpy as np
import pytest

import adaptive.bench_batch as bench_batch
import adaptive.bench_eels as bench_eels
from adaptive.cli import main
from adaptive.errors import InvalidParameterError
from adaptive.figures import plot_identification
from surrogates.eels_checks import domain_warnings

# ------------------------------------------------------------------------ gaps


@pytest.mark.parametrize(
    ("step", "gap", "is_gap"),
    [
        (0.25, 1.75, False),  # 7 median steps, under MAX_STEP_EV: the figure alone broke
        (0.25, 3.0, True),
        (3.0, 102.0, True),
    ],
)
def test_the_figure_breaks_its_line_exactly_where_the_identifier_warns_of_a_gap(
    tmp_path, saved, step, gap, is_gap
):
    below = np.arange(400.0, 520.0 + step / 2, step)
    energy = np.concatenate([below, np.arange(below[-1] + gap, 700.0, step)])
    counts = 1e6 * (energy / 400.0) ** -3
    warned = any(
        w.startswith("The energy axis has no points from")
        for w in domain_warnings(energy, np.array([400, 699]))
    )
    plot_identification(tmp_path / "id.png", energy, counts, {"O": 0.9}, ["O"])
    x = saved[-1].axes[0].lines[0].get_xdata()
    breaks = np.flatnonzero(np.isnan(x))
    assert warned == is_gap
    assert [(x[i - 1], x[i + 1]) for i in breaks] == ([(below[-1], below[-1] + gap)] * is_gap)


# ------------------------------------------------------- bench eels metadata


def eelsdb_entry(data_dir, metadata: str) -> str:
    """An EELSDB entry with ``metadata`` as its metadata.json; that file's path."""
    entry = data_dir / "eelsdb" / "x"
    entry.mkdir(parents=True)
    (entry / "data.msa").write_text("#FORMAT : EMSA/MAS\n#SPECTRUM :\n500, 1\n501, 1\n")
    (entry / "metadata.json").write_text(metadata)
    return str(entry / "metadata.json")


FORM = 'must be a JSON object with an "edges" list of edge names, e.g. {"edges": ["O_K", '


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        ("not json", ["is not JSON (Expecting value: line 1 column 1 (char 0)); it " + FORM]),
        ('{"edges": [8]}', [FORM, '; its "edges" are [8]']),
        ('["O_K"]', ["holds no JSON object; it " + FORM]),
        ('{"title": "O K"}', [FORM, '; it has no "edges"']),
    ],
)
def test_a_bad_metadata_file_is_refused_by_name_with_the_form_it_needs(
    tmp_path, capsys, metadata, message
):
    # "error: Expecting value: line 1 column 1 (char 0)" named no file; [8] gave a traceback
    meta = eelsdb_entry(tmp_path, metadata)
    match = ".*".join(re.escape(text) for text in [f"{meta} ", *message])
    with pytest.raises(InvalidParameterError, match=match):
        bench_eels.real_spectra(tmp_path)
    assert main(["bench", "eels", "--n", "2", "--data", str(tmp_path), "--json"]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"error: {meta} ")


# ------------------------------------------------------------ progress bars


class FakeIdentifier:
    """Finds nothing at once."""

    metadata = [{"settings": {"seed": 0}}]

    def __init__(self, networks):
        self.networks = networks

    def identify(self, spectra, window):
        return None, np.zeros((len(spectra), 80), bool)


class FakeBatchBO:
    """Proposes nothing at once."""

    def __init__(self, *args, **kwargs):
        pass

    def observe(self, observations):
        pass

    def suggest(self, q):
        return []


@pytest.fixture
def fake_benches(monkeypatch):
    """bench eels on 8 blank spectra and bench batch, both with instant fakes."""
    batch = types.SimpleNamespace(spectra=np.zeros((8, 4)), window=np.zeros((8, 2)), labels=None)
    monkeypatch.setattr(bench_eels, "simulate_eels", lambda *_: batch)
    monkeypatch.setattr(bench_eels.EELSIdentifier, "load", FakeIdentifier)
    scores = {"f1_weighted": 1.0, "precision": 1.0, "recall": 1.0, "exact_match": 1.0}
    monkeypatch.setattr(bench_eels, "score_identification", lambda *_: scores)
    monkeypatch.setattr(bench_batch, "BatchBO", FakeBatchBO)


@pytest.mark.parametrize(
    ("command", "bar"),
    [
        (["bench", "eels", "--n", "8"], "timed passes: 100%"),
        (
            ["bench", "batch", "--observations", "4", "--batch", "2", "--repeats", "2"],
            "batch proposals: 100%",
        ),
    ],
)
def test_the_long_benches_show_a_progress_bar_on_stderr_that_json_turns_off(
    fake_benches, capsys, command, bar
):
    # JSON_HELP promised "no progress bar" of two commands that never showed one
    assert main(command) == 0
    captured = capsys.readouterr()
    assert bar in captured.err
    assert json.loads(captured.out)["methods"]
    assert main([*command, "--json"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert json.loads(captured.out)["methods"]
