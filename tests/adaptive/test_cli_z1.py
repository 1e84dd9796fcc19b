"""Newcomer review: simulate xas's too-few-counts advice in flags, the synthesis refusal's
plural and --rounds help, bench --data defaults, a signal to serve while it starts, and the
far-from-suggestion warning."""

import os
import re
import signal
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import pytest

from adaptive.campaign import Campaign
from adaptive.cli import main
from adaptive.insights import fewest_explained
from adaptive.records import Observation
from adaptive.simulate import xas_source
from simulators import XMCD, KEdgeXAS
from simulators.agnp import FACTORS
from tests.adaptive.test_server_ops11 import unstamped

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("command", "simulator"),
    [
        ("--noise-counts 50", partial(KEdgeXAS, seed=0)),
        ("--source xmcd --channel xmcd --noise-counts 700", partial(XMCD, seed=0)),
    ],
    ids=["kedge", "xmcd"],
)
def test_simulate_xas_with_too_few_counts_advises_the_fewest_as_a_flag(
    tmp_path, capsys, command, simulator
):
    with pytest.raises(ValueError, match=r"raise i0 to at least (\S+), ") as refused:
        simulator(i0=1)
    fewest = re.search(r"raise i0 to at least (\S+), ", str(refused.value))[1]  # 93, 740
    out = tmp_path / "run"
    assert main(["simulate", "xas", *command.split(), "--out", str(out)]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    source = "xmcd" if "xmcd" in command else "kedge"
    counts = command.split()[-1]
    assert line.startswith(f"error: --noise-counts {counts} is too few for --source {source}: ")
    assert line.endswith(f"; pass --noise-counts {fewest} or more, or 0 for noise-free")
    for python_only in ("i0", "mu_offset", "edge_step", "None"):  # no knob of the CLI
        assert python_only not in line
    assert xas_source(source, float(fewest), 0).i0 == float(fewest)  # the fewest taken
    assert not out.exists()


def test_simulate_synthesis_refusal_says_one_batch_not_batches(tmp_path, capsys):
    command = ["simulate", "synthesis", "--batch", "2", "--rounds", "1"]
    assert main([*command, "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert "gives 4 recipes (a design of 2, then 1 batch of 2); the SHAP report needs" in err


def help_of(capsys, *command: str) -> str:
    """``adaptive COMMAND --help``, its whitespace runs made single spaces."""
    with pytest.raises(SystemExit):
        main([*command, "--help"])
    return " ".join(capsys.readouterr().out.split())


def test_simulate_synthesis_rounds_help_states_the_recipes_the_shap_report_needs(capsys):
    text = help_of(capsys, "simulate", "synthesis")
    fewest = fewest_explained(len(FACTORS))
    assert (
        f"--rounds ROUNDS batches after the design of max(--batch, 2) recipes; the SHAP report "
        f"needs at least {fewest} recipes in all, one more than the {len(FACTORS)} factors "
        "(default: 6)"
    ) in text


@pytest.mark.parametrize(("bench", "folder"), [("peakfit", "xps"), ("eels", "eels")])
def test_bench_data_help_states_what_leaving_it_out_does(capsys, bench, folder):
    text = help_of(capsys, "bench", bench)
    assert f"e.g. ../shared/data/{folder} (default: none: the simulated test set only)" in text


#: A --plugin that says it is importing, then takes a minute: serve still starting.
SLOW_PLUGIN = "import pathlib, time\npathlib.Path('{marker}').touch()\ntime.sleep(60)\n"


@pytest.mark.parametrize(
    ("signum", "word", "code"),
    [(signal.SIGTERM, "terminated", 0), (signal.SIGINT, "interrupted", 130)],
    ids=["SIGTERM", "SIGINT"],
)
def test_a_signal_while_serve_starts_quits_with_one_line_and_no_journal(
    tmp_path, signum, word, code
):
    marker, plugin, journal = tmp_path / "importing", tmp_path / "slow.py", tmp_path / "j.sqlite"
    plugin.write_text(SLOW_PLUGIN.format(marker=marker))
    env = {**os.environ, "PYTHONPATH": str(REPO), "OPENBLAS_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "adaptive.cli", "serve", "--bind", "tcp://127.0.0.1:0"]
    command += ["--journal", str(journal), "--plugin", str(plugin)]
    run = subprocess.Popen(
        command, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists() and run.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.exists(), run.stderr.read() if run.poll() is not None else "no start"
        run.send_signal(signum)
        out, err = run.communicate(timeout=30)
    finally:
        run.kill()
    assert (run.returncode, out) == (code, ""), err
    # stamped with the UTC time, as the stopping and closing lines of a started server are
    assert err.endswith("\n") and unstamped(err[:-1]) == (
        f"{word}: adaptive serve stopped while starting; no journal was opened"
    )
    assert sorted(tmp_path.iterdir()) == sorted([marker, plugin])  # no journal, no lock


SPACE = {"dimensions": [{"name": "energy", "low": 8900.0, "high": 9100.0, "units": "eV"}]}


def test_far_from_suggestion_warning_states_the_reach_as_a_rule_not_this_reading(journal):
    campaign = Campaign.create(journal, SPACE, {"name": "grid", "options": {"n_points": 5}})
    (suggestion,) = campaign.suggest(1)
    assert suggestion.point == {"energy": 8900.0}
    assert campaign.observe(Observation({"energy": 8950.0}, 1.0, suggestion_id=suggestion.id))
    assert campaign.last_warnings == [
        f"energy=8950 eV is 50 eV from the 8900 eV of suggestion {suggestion.id}, more than 5% "
        "of the range 8900..9100 (10 eV), while a readback usually lies within 5% of its "
        "suggestion: it is journaled as put; check that the driver puts the point it measured "
        "with the id of the suggestion it measured"
    ]


def test_a_put_a_thousand_times_off_its_suggestion_asks_about_units(journal):
    # a driver in um put 0.514 for 514 nm: told only to check the suggestion id (review V15)
    space = {"dimensions": [{"name": "x", "low": 0.0, "high": 1000.0, "units": "nm"}]}
    campaign = Campaign.create(journal, space, {"name": "random", "options": {"seed": 0}})
    (suggestion,) = campaign.suggest(1)
    x = suggestion.point["x"]
    assert x > 100  # far from x / 1000
    campaign.observe(Observation({"x": x / 1000}, 1.0, suggestion_id=suggestion.id))
    (warning,) = campaign.last_warnings
    assert warning.endswith(
        f"{x / 1000:g} x 1000 = {x:g} nm is near it: is the driver in other units (um for nm, "
        "keV for eV)? convert its points to the space's units nm"
    )
