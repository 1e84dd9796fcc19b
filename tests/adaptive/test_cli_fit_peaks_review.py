"""``adaptive fit peaks`` and ``bench peakfit`` as a command-line user meets them: a range
too narrow, a gap in the energy axis, a file that is not VAMAS, a block named by its sample,
the window printed, one default per option."""

import json
import os
from pathlib import Path

import numpy as np
import pytest

from adaptive import bench_peakfit
from adaptive.cli import main
from tests.adaptive.test_cli import XPS_DATA, _OnePeak, c1s  # noqa: F401

needs_xps = pytest.mark.skipif(not XPS_DATA.is_dir(), reason="needs shared/data/xps")


def _refused(argv, capsys) -> str:
    """The one error line of ``adaptive fit peaks ARGV --json``, nothing printed nor written."""
    before = sorted(os.listdir())
    assert main(["fit", "peaks", *map(str, argv), "--json"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and sorted(os.listdir()) == before, (out, err)
    return err


def test_a_range_narrower_than_a_fit_needs_says_widen_it(c1s, capsys):  # noqa: F811
    # "binding_energy[0] spans 0.9 eV, under the 1 eV of a core line ...: is it in keV?"
    err = _refused([c1s, "--range", "285:285.9"], capsys)  # 10 points, 0.1 eV apart
    assert err == (
        f"error: {c1s}: --range 285:285.9 keeps 0.9 eV of the spectrum; a fit needs at least "
        "1 eV: widen it\n"
    )


def test_a_gap_in_the_energy_axis_is_named_where_it_is(c1s, capsys):  # noqa: F811
    # "binding_energy must have a uniform step ...; interpolate onto np.linspace(...)"
    rows = c1s.read_text().splitlines(keepends=True)
    gap = Path("gap.txt")
    gap.write_text("".join(rows[:50] + rows[51:]))  # the row of 284.90 eV deleted
    assert _refused([gap], capsys) == (
        "error: gap.txt: binding_energy must have a uniform step: it has a gap of 0.2 eV between "
        "284.8 and 285 eV (its steps are otherwise 0.1 eV): a row may be missing; fill in what "
        "is missing, or cut the gap(s) away with --range\n"
    )
    assert main(["fit", "peaks", str(gap), "--range", "285:", "--json"]) == 0  # cut away
    assert json.loads(capsys.readouterr().out)["range"] == [285.0, 295.0]
    e = np.concatenate([np.arange(280.0, 285.0, 0.1), np.arange(285.0, 295.0, 0.2)])
    Path("uneven.txt").write_text("".join(f"{x:.2f}\t{1000 + x}\n" for x in e))
    assert _refused(["uneven.txt"], capsys) == (
        "error: uneven.txt: binding_energy must have a uniform step: it has 49 gaps over its "
        "usual 0.1 eV step, the first 0.2 eV between 285 and 285.2 eV: rows may be missing, or "
        "the step changes along the axis; fill in what is missing, or cut the gap(s) away with "
        "--range\n"
    )


def test_a_file_named_vms_that_is_not_vamas_gets_command_line_advice(c1s, capsys):  # noqa: F811
    Path("fake.vms").write_text("not a vamas file at all\n")
    Path("text.vms").write_text(c1s.read_text())
    fake, text = _refused(["fake.vms"], capsys), _refused(["text.vms"], capsys)
    assert "read_xps" not in fake + text
    assert fake.endswith("pass a VAMAS file or a two-column text file (binding energy, counts) "
                         "named .txt\n")  # fmt: skip
    assert text.endswith("looks like two-column text (binding energy, counts): rename it to "
                         ".txt to have it read as text\n")  # fmt: skip


@needs_xps
def test_block_by_its_sample_identifier_and_a_window_printed_without_float_noise(
    tmp_path, monkeypatch, capsys
):
    # --block MnO: "matches 2 regions" (Mn 2p MnO and Mn 2p MnO2); "range": [629.9999999999999,
    # 669.8999999999999] of the kinetic axis converted
    monkeypatch.setattr("surrogates.peak_fitter.PeakFitter", _OnePeak)
    monkeypatch.chdir(tmp_path)
    assert main(["fit", "peaks", str(XPS_DATA / "Mn_references.vms"), "--block", "MnO"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["block"] == "Mn 2p MnO" and result["range"] == [630.0, 669.9]
    err = _refused([XPS_DATA / "Cu_references.vms", "--block", "Cu metal"], capsys)
    assert err.endswith(
        "matches 4 regions; pass the full name or position N of one of them: [1] 'Cu2p Cu "
        "metal', [2] 'Cu LMM Cu metal', [3] 'O1s Cu metal', [4] 'Survey Cu metal'\n"
    )


def test_bench_peakfit_workers_shows_one_default_and_takes_the_usable_cores(capsys, monkeypatch):
    # "(default: this machine's usable cores) (default: 2)"
    with pytest.raises(SystemExit, match="0"):
        main(["bench", "peakfit", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "refines in (default: this machine's usable cores) --json" in help_text
    seen = []
    monkeypatch.setattr(
        bench_peakfit, "bench_peakfit", lambda *args: seen.append(args[-1]) or {"methods": {}}
    )
    assert main(["bench", "peakfit", "--n", "1", "--json"]) == 0
    assert main(["bench", "peakfit", "--n", "1", "--workers", "3", "--json"]) == 0
    assert seen == [len(os.sched_getaffinity(0)), 3]


def test_an_axis_jittering_too_far_is_told_the_limit_in_command_line_words(tmp_path, capsys):
    # it was told to "interpolate onto np.linspace(e[0], e[-1], m)", and not how far off it was
    e = 280.0 + 0.05 * np.arange(200)
    e[100] += 0.02  # 0.4 of a step off the uniform axis
    path = tmp_path / "jitter.txt"
    path.write_text("".join(f"{x:.3f}\t{1000 + x}\n" for x in e))
    err = _refused([path], capsys)
    assert "points up to 0.4 of the mean step off a uniform axis (at most 0.35 is read" in err
    assert err.endswith("of the same range and number of points, and save that file\n")
    assert "np.linspace" not in err
