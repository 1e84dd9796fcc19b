"""Helpers of the offline campaigns."""

import functools
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
from tqdm import tqdm

from adaptive.errors import InvalidParameterError
from adaptive.journal import Journal
from adaptive.records import Observation, Spectrum
from adaptive.simulate import (
    GOAL_RECIPE,
    best_recipe,
    median_by_source,
    read_target,
    simulate_synthesis,
    simulate_xas,
    synthesis_space,
)
from adaptive.space import Space
from simulators.agnp import MAX_DROPLETS


def test_the_best_recipe_matches_a_recipe_whose_decoding_changes_its_floats():
    space = Space.from_dict(synthesis_space())
    points = space.from_unit(np.random.default_rng(0).uniform(size=(200, 5)))
    drifting = next(p for p in points if space.from_unit(space.to_unit([p]))[0] != p)
    other = next(p for p in points if p != drifting)
    observations = [
        Observation(point=point, value=1.0, spectrum=Spectrum([1.0, 2.0], [level, level]))
        for point, level in ((drifting, 1.0), (other, 2.0), (drifting, 3.0))
    ]
    best = best_recipe(space, space.to_unit([other, drifting]), np.array([0.5, 0.2]), observations)
    assert best.point == drifting and best.loss == 0.2  # as measured, not as decoded
    np.testing.assert_array_equal(best.droplets, [[1.0, 1.0], [3.0, 3.0]])


def test_random_scan_follows_the_seed(tmp_path):
    energies = []
    for seed in (1, 2, 1):
        out = tmp_path / str(len(energies))
        summary = simulate_xas(out, strategy="random", max_points=4, noise_counts=None, seed=seed)
        assert summary["seed"] == seed and summary["noise_counts"] is None  # said, as bench's
        journal = Journal(summary["journal"])
        energies.append([o.point["energy"] for o in journal.observations(summary["campaign_id"])])
        journal.close()
    assert energies[0] == energies[2] != energies[1]


def test_naming_the_primary_channel_keeps_the_truth_and_nrmse(tmp_path):
    runs = [
        simulate_xas(
            tmp_path / str(channel),
            channel=channel,
            strategy="random",
            max_points=4,
            noise_counts=None,
            seed=1,
        )
        for channel in (None, "mu")
    ]
    assert runs[1]["nrmse"] == runs[0]["nrmse"]


def test_too_few_recipes_for_shap_raise_before_the_campaign(tmp_path):
    # the SHAP report of 3 recipes ranked the no-effect PVA second of the 5 factors
    with pytest.raises(
        InvalidParameterError,
        match=r"gives 5 recipes.*needs at least 6, one more than the 5 factors: raise --batch",
    ):
        simulate_synthesis(tmp_path / "out", batch=1, rounds=3)  # a design of 2, 3 rounds of 1
    assert not (tmp_path / "out").exists()


def test_batches_of_one_give_a_design_of_two_and_every_round_asked_for(tmp_path):
    summary = simulate_synthesis(tmp_path, batch=1, rounds=4, droplets=1, model="gp", seed=3)
    assert summary["recipes"] == 6  # a design of 2, then 4 rounds of 1
    assert len(summary["best_loss_by_round"]) == 5
    # it gave the best loss and never the recipe: the one a chemist runs next
    journal = Journal(summary["journal"])
    measured = journal.observations(summary["campaign_id"])
    journal.close()
    best = min(measured, key=lambda o: o.value)
    assert summary["best_recipe"] == best.point and best.value == summary["best_loss"]
    assert summary["goal_recipe"] == GOAL_RECIPE
    # the summary says which run it is (runs of each --method / --model looked alike)
    settings = {k: summary[k] for k in ("method", "model", "batch", "rounds", "seed", "target")}
    assert settings == {
        "method": "qlognei",
        "model": "gp",
        "batch": 1,
        "rounds": 4,
        "seed": 3,
        "target": "simulator's goal recipe",
    }


def test_median_loss_by_source_is_that_of_the_sources_recipes(tmp_path):
    summary = simulate_synthesis(tmp_path, batch=2, rounds=2, droplets=1, model="gp")
    journal = Journal(summary["journal"])
    losses = [o.value for o in journal.observations(summary["campaign_id"])]
    journal.close()
    assert summary["median_loss_by_source"] == {"gp": float(np.median(losses[2:]))}


def test_a_target_listed_from_high_to_low_wavelength_runs_to_its_figures(tmp_path):
    # the campaign ran, then the figures refused the target as not increasing: no summary
    wavelengths = np.linspace(700.0, 400.0, 61)
    rows = "\n".join(f"{w},{np.exp(-(((w - 520) / 40) ** 2))}" for w in wavelengths)
    target = tmp_path / "descending.csv"
    target.write_text(f"wavelength_nm,absorbance_target\n{rows}\n")
    summary = simulate_synthesis(
        tmp_path / "out", batch=1, rounds=4, droplets=1, model="gp", target=target
    )
    assert summary["recipes"] >= 1 and summary["figures"]
    assert all(Path(figure).is_file() for figure in summary["figures"])


def test_median_by_source_pools_the_recipes_of_all_rounds():
    rounds = [
        {"round": 1, "values_by_source": {"net": [0.3, 0.3, 0.3]}},
        {"round": 2, "values_by_source": {"net": [0.01, 0.02]}},
    ]
    # the median of the round medians would be 0.165
    assert median_by_source(rounds)["median_loss_by_source"] == {"net": 0.3}


def test_median_by_source_pools_only_the_rounds_every_source_proposed_in():
    # --model mix: the GP alone in round 1 (median 0.122) dragged its median to 0.0582
    # beside the network's 0.0199, though in the rounds they shared it was 0.0270
    rounds = [
        {"round": 1, "values_by_source": {"gp": [0.12, 0.13, 0.14]}},
        {"round": 2, "values_by_source": {"gp": [0.05, 0.03], "net": [0.02, 0.04]}},
        {"round": 3, "values_by_source": {"net": [0.01], "gp": [0.02]}},
    ]
    assert median_by_source(rounds) == {
        "median_loss_by_source": {"gp": 0.03, "net": 0.02},
        "median_loss_rounds_pooled": {"gp": [2, 3], "net": [2, 3]},
        "median_loss_note": None,
    }


def test_sources_that_never_share_a_round_are_pooled_apart_and_not_compared():
    # --model net: the GP proposes in round 1 only, the network from round 2
    rounds = [
        {"round": 1, "values_by_source": {"gp": [0.12, 0.14]}},
        {"round": 2, "values_by_source": {"net": [0.05]}},
        {"round": 3, "values_by_source": {"net": [0.01, 0.03]}},
    ]
    summary = median_by_source(rounds)
    assert summary["median_loss_by_source"] == {"gp": 0.13, "net": 0.03}
    assert summary["median_loss_rounds_pooled"] == {"gp": [1], "net": [2, 3]}
    assert summary["median_loss_note"].startswith("gp and net never proposed in the same round")


@pytest.mark.parametrize(
    "simulate, kwargs, message",
    [
        (simulate_xas, {"batch": 0}, "--batch 0: must be an integer from 1 to 1000"),
        (simulate_xas, {"max_points": 0}, "--max-points 0: must be an integer >= 2"),
        # one point: the server ran and the campaign was made before the model refused it
        (simulate_xas, {"max_points": 1}, "--max-points 1: must be an integer >= 2"),
        # the grid was shrunk to 3 and refused as more than --max-points, naming --n-initial
        (simulate_xas, {"max_points": 2}, "--max-points 2: --strategy energy_scan starts from"),
        (simulate_xas, {"batch": 5000}, "--batch 5000: must be an integer from 1 to 1000"),
        (simulate_xas, {"n_initial": 2}, "--n-initial 2: must be an integer from 3 to 1000"),
        (simulate_xas, {"batch": np.int64(-1)}, "--batch -1: must be an integer from 1 to"),
        (simulate_synthesis, {"droplets": 0}, "--droplets 0: must be an integer from 1 to"),
        (simulate_synthesis, {"droplets": -1}, "--droplets -1: must be an integer from 1 to"),
        (simulate_synthesis, {"droplets": 1.5}, "--droplets 1.5: must be an integer from 1 to"),
        # more would run for hours behind a progress bar at 0 (the simulator's own cap)
        (
            simulate_synthesis,
            {"droplets": MAX_DROPLETS + 1},
            f"--droplets {MAX_DROPLETS + 1}: must be an integer from 1 to {MAX_DROPLETS}$",
        ),
        (simulate_synthesis, {"batch": 0}, "--batch 0: must be an integer from 1 to 1000"),
        # -2 x (-3 + 1) = 4 recipes passed the SHAP count; the server refused q=-2
        (simulate_synthesis, {"batch": -2, "rounds": -3}, "--batch -2: must be an integer from 1"),
        (simulate_synthesis, {"rounds": -1}, "--rounds -1: must be an integer >= 0"),
        (simulate_synthesis, {"batch": 5000}, "--batch 5000: must be an integer from 1 to 1000"),
        (simulate_synthesis, {"seed": -1}, r"--seed -1: must be an integer from 0 to \d+$"),
        (simulate_synthesis, {"seed": 2**64}, "--seed 18446744073709551616: must be an integer"),
    ],
)
def test_bad_counts_are_refused_by_flag_before_a_campaign_is_created(
    tmp_path, simulate, kwargs, message
):
    out = tmp_path / "runs"
    out.mkdir()
    Journal(out / "journal.sqlite").close()  # the journal of earlier runs in --out
    with pytest.raises(InvalidParameterError, match=f"^{message}"):
        simulate(out, **kwargs)
    journal = Journal(out / "journal.sqlite")
    assert journal.campaign_ids() == []
    journal.close()


def test_numpy_integer_counts_are_accepted(tmp_path):
    summary = simulate_xas(
        tmp_path,
        strategy="random",
        max_points=np.int64(4),
        batch=np.int32(2),
        noise_counts=np.float64(1e6),
        seed=np.int64(3),
    )
    assert summary["n_measured"] == 4
    assert json.loads(json.dumps(summary))["noise_counts"] == 1e6 and summary["seed"] == 3


def test_read_target_accepts_an_excel_utf8_bom(tmp_path):
    path = tmp_path / "target.csv"
    path.write_bytes("wavelength_nm,absorbance_target\n400,0.5\n401,0.25\n".encode("utf-8-sig"))
    x, y = read_target(path)
    np.testing.assert_array_equal(x, [400.0, 401.0])
    np.testing.assert_array_equal(y, [0.5, 0.25])


def test_a_target_of_many_other_columns_is_refused_in_one_short_line(tmp_path, monkeypatch):
    # the measured-spectra CSV's 316 column names made a 3,269-character error
    monkeypatch.chdir(tmp_path)  # the message's length, not the temporary folder's
    Path("spectra.csv").write_text(
        ",".join(f"droplet_{i}" for i in range(316)) + "\n" + "1," * 315 + "1\n"
    )
    with pytest.raises(InvalidParameterError) as raised:
        read_target("spectra.csv")
    message = str(raised.value)
    assert "'droplet_5' and 310 more; write the target spectrum as columns wavelength_nm" in message
    assert len(message) < 300


@pytest.mark.parametrize("encoding", ["latin-1", "utf-16"])
def test_read_target_reads_latin1_and_utf16_files(tmp_path, encoding):
    path = tmp_path / "target.csv"
    text = "wavelength_nm,absorbance_target,size_\xb5m\n400,0.5,1\n401,0.25,1\n"
    path.write_bytes(text.encode(encoding))  # python's utf-16 writes a byte-order mark
    x, y = read_target(path)
    np.testing.assert_array_equal(x, [400.0, 401.0])
    np.testing.assert_array_equal(y, [0.5, 0.25])


@pytest.mark.parametrize(
    "text",
    [
        "wavelength_nm;qext_nanoprism;absorbance_target\n400;1.5;0.5\n401;1.6;0.25\n",
        "wavelength_nm\tabsorbance_target\n400\t0.5\n401\t0.25\n",
        "# target from run 3\nwavelength_nm,absorbance_target\n400,0.5\n# among\n401,0.25\n",
    ],
)
def test_read_target_reads_semicolon_and_tab_files_and_skips_comment_lines(tmp_path, text):
    path = tmp_path / "target.csv"
    path.write_text(text)
    x, y = read_target(path)
    np.testing.assert_array_equal(x, [400.0, 401.0])
    np.testing.assert_array_equal(y, [0.5, 0.25])


def test_read_target_names_the_file_line_after_comment_lines(tmp_path):
    path = tmp_path / "target.csv"
    path.write_text("# run 3\nwavelength_nm;absorbance_target\n# note\n400;x\n")
    with pytest.raises(InvalidParameterError, match=r"'x' in column 'absorbance_target', line 4 "):
        read_target(path)


def test_read_target_names_the_line_of_an_infinite_cell(tmp_path):
    path = tmp_path / "target.csv"
    path.write_text("wavelength_nm,absorbance_target\n400,0.5\n401,inf\n")
    with pytest.raises(InvalidParameterError, match=r"non-finite value 'inf' in column 'absorb"):
        read_target(path)


def test_read_target_names_the_file_line_and_column_of_a_blank_cell(tmp_path):
    path = tmp_path / "target.csv"
    path.write_text("wavelength_nm,absorbance_target\n400,0.5\n401,\n")
    with pytest.raises(
        InvalidParameterError, match=r"'' in column 'absorbance_target', line 3 of .*target.csv"
    ):
        read_target(path)


def test_a_target_beyond_the_simulator_range_is_refused_before_the_campaign(tmp_path):
    wavelengths = np.linspace(200.0, 1000.0, 30)
    rows = "\n".join(f"{w},{np.exp(-(((w - 600) / 60) ** 2))}" for w in wavelengths)
    target = tmp_path / "wide.csv"
    target.write_text(f"wavelength_nm,absorbance_target\n{rows}\n")
    with pytest.raises(InvalidParameterError, match="crop the target to 380-800 nm"):
        simulate_synthesis(tmp_path / "out", batch=3, rounds=1, target=target)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("low", "high", "match"),
    [
        (
            0.38,
            0.8,
            r"spans 0\.38-0\.8 nm, .*micrometres; multiply the wavelength_nm column by 1000",
        ),
        (0.4, 0.7, r"spans 0\.4-0\.7 nm, .*micrometres"),
        (1000.0, 1200.0, r"spans 1000-1200 nm, with no part in the 380-800 nm the simulator"),
        (100.0, 300.0, r"spans 100-300 nm, with no part in the 380-800 nm"),
    ],
)
def test_a_target_in_micrometres_or_outside_the_simulator_range_says_so(tmp_path, low, high, match):
    wavelengths = np.linspace(low, high, 30)
    centre, width = (low + high) / 2, (high - low) / 6
    rows = "\n".join(f"{w},{np.exp(-(((w - centre) / width) ** 2))}" for w in wavelengths)
    target = tmp_path / "off.csv"
    target.write_text(f"wavelength_nm,absorbance_target\n{rows}\n")
    with pytest.raises(InvalidParameterError, match=match) as raised:
        simulate_synthesis(tmp_path / "out", batch=3, rounds=1, target=target)
    assert "crop the target" not in str(raised.value)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "absorbance",
    [
        lambda w: 0.5 + 0 * w,  # constant everywhere
        lambda w: np.where(w < 380, 1.0, 0.2),  # its only feature lies outside 380-800 nm
    ],
)
def test_a_target_constant_where_the_simulator_measures_is_refused_before_the_campaign(
    tmp_path, absorbance
):
    wavelengths = np.linspace(350.0, 800.0, 46)
    rows = "\n".join(f"{w},{a}" for w, a in zip(wavelengths, absorbance(wavelengths), strict=True))
    target = tmp_path / "flat.csv"
    target.write_text(f"wavelength_nm,absorbance_target\n{rows}\n")
    with pytest.raises(InvalidParameterError, match=r"^--target \S*flat\.csv: .* is constant"):
        simulate_synthesis(tmp_path / "out", batch=3, rounds=1, target=target)
    assert not (tmp_path / "out").exists()


def test_str_out_and_zero_noise_counts_are_taken_as_the_cli_takes_them(tmp_path):
    """From the Python API: ``out`` a str, ``noise_counts=0`` noise-free as ``--noise-counts 0``."""
    runs = [
        simulate_xas(out, strategy="random", max_points=4, noise_counts=noise, seed=1)
        for out, noise in ((str(tmp_path / "str"), 0), (tmp_path / "path", None))
    ]
    assert runs[0]["journal"] == str(tmp_path / "str" / "journal.sqlite")
    assert (tmp_path / "str" / "scan.png").is_file()
    assert runs[0]["nrmse"] == runs[1]["nrmse"]


def test_synthesis_takes_a_str_out(tmp_path, capsys):
    summary = simulate_synthesis(str(tmp_path), batch=1, rounds=4, droplets=1, model="gp")
    assert "warning" not in capsys.readouterr().err  # the GP proposes from round 1
    assert summary["journal"] == str(tmp_path / "journal.sqlite")
    assert all(Path(f).is_file() for f in summary["figures"])


def edge_xdi(tmp_path) -> Path:
    """An XDI transmission scan of an edge at 9000 eV, with a fluorescence column."""
    energy = np.linspace(8900.0, 9100.0, 41)
    mu = 0.2 + np.arctan((energy - 9000.0) / 5.0) / np.pi
    rows = "".join(
        f"{e} 1e5 {1e5 * np.exp(-m):.3f} {1e3 * m:.3f}\n" for e, m in zip(energy, mu, strict=True)
    )
    path = tmp_path / "edge.xdi"
    path.write_text(
        "#XDI/1.1\n# Column.1: energy eV\n# Column.2: I0\n# Column.3: I1\n"
        f"# Column.4: Sum_Fe_Ka\n{rows}"
    )
    return path


def test_a_fluorescence_column_read_as_mu_is_pointed_to_fluorescence(tmp_path):
    # told to normalise mu, rescale it or pass --noise-counts 0: replayed raw ROI counts
    hint = r"--noise-counts 0 .*holds fluorescence counts .* --fluorescence Sum_Fe_Ka$"
    with pytest.raises(InvalidParameterError, match=hint):
        simulate_xas(tmp_path / "out", source=edge_xdi(tmp_path), column="Sum_Fe_Ka", max_points=12)


@pytest.mark.parametrize(
    ("kwargs", "mu", "channel", "note"),
    [
        ({}, "ln(i0/i1)", "mu", True),
        ({"channel": "i1"}, "ln(i0/i1)", "i1", True),
        ({"fluorescence": "sum_fe_ka"}, "Sum_Fe_Ka/i0", "mu", False),
    ],
)
def test_the_summary_says_what_was_replayed(tmp_path, capsys, kwargs, mu, channel, note):
    source = str(edge_xdi(tmp_path))
    summary = simulate_xas(
        tmp_path / "out", source=source, strategy="random", max_points=4, **kwargs
    )
    assert (summary["mu"], summary["channel"]) == (mu, channel)
    err = capsys.readouterr().err
    expected = f"note: replaying mu = ln(i0/i1); {source} also has fluorescence-like columns "
    assert (expected + "Sum_Fe_Ka: pass --fluorescence NAME" in err) is note


@pytest.mark.parametrize("gap", [False, True])
def test_a_replay_notes_where_its_recording_has_a_gap(tmp_path, capsys, gap):
    """A recording missing 9100-9300 eV was replayed as if measured there, unannounced."""
    energy = np.r_[8900:9100:5.0, (9300 if gap else 9100) : 9500 : 5.0]
    source = tmp_path / "gap.csv"
    source.write_text("energy,mu\n" + "".join(f"{e},{np.tanh((e - 9000) / 20)}\n" for e in energy))
    simulate_xas(tmp_path / "out", source=str(source), strategy="random", max_points=4)
    noted = (
        f"note: {source} has a gap from 9095 to 9300 eV (205 eV in steps over 5 times those "
        "around them): the replay interpolates across it"
    )
    assert (noted in capsys.readouterr().err) is gap


def test_a_simulated_source_is_summarised_as_simulated(tmp_path):
    summary = simulate_xas(tmp_path, source="xmcd", strategy="random", max_points=4)
    assert (summary["mu"], summary["channel"]) == ("simulated", "mu_avg")


def test_i0_as_the_fluorescence_column_is_refused_before_a_campaign(tmp_path):
    with pytest.raises(ValueError, match="i0 column itself.*: Sum_Fe_Ka$"):
        simulate_xas(tmp_path / "out", source=str(edge_xdi(tmp_path)), fluorescence="I0")
    assert not (tmp_path / "out").exists()


def test_a_flat_truth_is_refused_before_a_scan(tmp_path):
    # it was scanned to a summary whose "nrmse" was null ("Infinity" before, not JSON)
    flat = tmp_path / "flat.csv"
    flat.write_text("energy,mu\n" + "".join(f"{e},1.0\n" for e in range(8900, 9110, 10)))
    with pytest.raises(InvalidParameterError, match=r"mu = column mu is flat \(1 at its 0.5th"):
        simulate_xas(
            tmp_path / "out", source=str(flat), strategy="random", max_points=4, noise_counts=None
        )
    assert not (tmp_path / "out").exists()


def test_a_reconstruction_that_is_not_finite_gives_a_null_nrmse():
    from adaptive.metrics import nrmse

    truth = np.linspace(0.0, 1.0, 50)
    assert nrmse(np.full(50, np.nan), truth) == {
        "nrmse": None,
        "nrmse_note": "no NRMSE: the reconstruction is not finite",
    }
    assert nrmse(truth + 0.01, truth)["nrmse"] == pytest.approx(0.01 / 0.99)


def test_a_network_that_would_never_propose_is_warned_of(tmp_path, capsys):
    summary = simulate_synthesis(tmp_path, batch=3, rounds=1, droplets=1, model="net")
    assert set(summary["median_loss_by_source"]) == {"gp"}  # the network never proposed
    assert (
        "warning: --model net --rounds 1: the spectrum network proposes from round 2 "
        "after the design (it trains on the design and one GP round), so this run is GP only; "
        "pass --rounds 2 or more"
    ) in capsys.readouterr().err


@pytest.mark.parametrize(
    ("source", "channel"), [("xmcd", "xmcd"), ("xmcd", "mu_plus"), ("kedge", "i1")]
)
def test_a_scanned_channel_other_than_the_primary_has_its_truth_and_nrmse(
    tmp_path, monkeypatch, source, channel
):
    # only the primary channel had a truth: no truth curve and no nrmse, with no note
    drawn = {}
    monkeypatch.setattr(
        "adaptive.simulate.plot_scan", lambda path, *args, **kw: drawn.update(truth=args[5])
    )
    summary = simulate_xas(
        tmp_path, source=source, channel=channel, strategy="random", max_points=30, seed=1
    )
    assert drawn["truth"] is not None
    assert 0 < summary["nrmse"] < 0.2  # i1 in counts of I0, as measured, not per photon


def test_the_incident_counts_channel_has_a_flat_truth_and_a_note_saying_why(tmp_path):
    # the note said to "replay a spectrum with an edge", though kedge has one
    summary = simulate_xas(tmp_path, channel="i0", strategy="random", max_points=4)
    assert summary["nrmse"] is None
    assert summary["nrmse_note"] == (
        "no NRMSE: i0 is the incident count, flat by design: scan mu or another channel for "
        "an NRMSE"
    )


def test_n_initial_for_a_strategy_without_a_grid_is_refused_before_a_campaign(tmp_path):
    # --n-initial 20 --strategy random was silently ignored
    with pytest.raises(InvalidParameterError, match="--n-initial 20: only --strategy energy_scan"):
        simulate_xas(tmp_path / "out", strategy="random", n_initial=20)
    assert not (tmp_path / "out").exists()


def test_noise_sets_the_energy_scans_noise_model_and_is_refused_for_other_strategies(tmp_path):
    simulate_xas(tmp_path / "out", noise="learned", max_points=4, noise_counts=100)
    journal = Journal(tmp_path / "out" / "journal.sqlite")
    (campaign_id,) = journal.campaign_ids()
    options = journal.campaign(campaign_id)["config"]["strategy"]["options"]
    assert options["noise"] == "learned"
    journal.close()
    with pytest.raises(InvalidParameterError, match="--noise learned: only --strategy energy_scan"):
        simulate_xas(tmp_path / "other", strategy="random", noise="learned")
    with pytest.raises(InvalidParameterError, match="--noise 'fitted': pass one of reported, "):
        simulate_xas(tmp_path / "other", noise="fitted")
    assert not (tmp_path / "other").exists()


def test_the_progress_bar_of_a_converged_scan_ends_at_the_points_measured(tmp_path, monkeypatch):
    # it stayed at e.g. 17/40 when the scan converged before --max-points
    shown = io.StringIO()
    monkeypatch.setattr("adaptive.simulate.tqdm", functools.partial(tqdm, file=shown))
    line = tmp_path / "line.csv"
    line.write_text(
        "energy,mu\n" + "".join(f"{e},{np.tanh((e - 9000) / 10)}\n" for e in range(8900, 9110, 10))
    )
    # stops at 43 (at 36 before review X22: repeats at both ends had narrowed the band there)
    summary = simulate_xas(
        tmp_path / "out", source=str(line), n_initial=3, max_points=60, noise_counts=None
    )
    assert summary["stop_reason"].startswith("converged") and summary["n_measured"] < 60
    n = summary["n_measured"]
    last = shown.getvalue().rstrip().rpartition("\r")[2]
    assert re.match(rf"measuring: 100%\|\S+\| {n}/{n} \[", last), last


def test_an_initial_grid_larger_than_max_points_is_refused_before_a_campaign(tmp_path):
    # --n-initial 60 --max-points 20 measured 20 points below 9170 of 8779-9979 eV
    with pytest.raises(
        InvalidParameterError,
        match=r"^--n-initial 60 is more than --max-points 20: .*pass --n-initial 20 or less, "
        r"or --max-points 60 or more$",
    ):
        simulate_xas(tmp_path / "out", n_initial=60, max_points=20)
    assert not (tmp_path / "out").exists()


def test_a_scan_shorter_than_the_default_grid_is_a_grid_over_the_range(tmp_path):
    # --max-points 6 of the default 12-point grid measured only 8779-9216 of 8779-9979 eV
    summary = simulate_xas(tmp_path / "out", max_points=6, noise_counts=0)
    journal = Journal(summary["journal"])
    energies = sorted(o.point["energy"] for o in journal.observations(summary["campaign_id"]))
    journal.close()
    np.testing.assert_allclose(energies, np.linspace(8779.0, 9979.0, 6))


def steep_spectrum(tmp_path):
    """A two-column spectrum whose mu spans 2.85, as the Cu foil's: more than 3 counts per
    point can express (290 can)."""
    path = tmp_path / "steep.csv"
    path.write_text("energy,mu\n" + "".join(f"{8900 + i},{2.85 * (i > 20)}\n" for i in range(40)))
    return path


def test_too_few_counts_for_a_replayed_file_are_refused_by_flag(tmp_path):
    # ended in the simulator's "raise i0 to at least 29", naming neither the flag nor the file
    path = steep_spectrum(tmp_path)
    with pytest.raises(
        InvalidParameterError,
        match=rf"^--noise-counts 3 is too few for --source {re.escape(str(path))} \(recorded "
        r"mu spans 2\.85 .* raise i0 to at least 290\); pass --noise-counts 290 or more, or 0 for "
        "noise-free$",
    ):
        simulate_xas(tmp_path / "out", source=str(path), noise_counts=3)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("span", "fix"),
    [
        (38.6, r"at least 9\.6e\+17\); pass --noise-counts 9\.6e\+17 or more, or 0 for"),
        # 38.7 > ln(1e18 / 10) - 0.5: asked for a larger --noise-counts than the flag takes
        (38.7, r"matter\)\); rescale its mu, or pass --noise-counts 0 for noise-free$"),
    ],
)
def test_too_few_counts_ask_for_more_only_when_more_are_enough(tmp_path, span, fix):
    path = tmp_path / "wide.csv"
    path.write_text("energy,mu\n" + "".join(f"{8900 + i},{span * (i > 20)}\n" for i in range(40)))
    with pytest.raises(InvalidParameterError, match=fix) as err:
        simulate_xas(tmp_path / "out", source=str(path), noise_counts=1e6)
    assert ("no --noise-counts up to 1e+18 is enough" in str(err.value)) is (span > 38.65)
    assert not (tmp_path / "out").exists()


def test_the_servers_log_lines_stand_on_lines_of_their_own_above_the_bar(tmp_path, capfd):
    # the in-process server's "stopped" line was written onto the progress bar's line
    simulate_xas(tmp_path, strategy="random", max_points=6, noise_counts=None, seed=0)
    lines = re.split(r"[\r\n]", capfd.readouterr().err)
    (stopped,) = [line for line in lines if "stopped (reached max_observations=6)" in line]
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ observation_put ", stopped)


def test_the_scan_figure_shows_the_journaled_readings_and_the_models_two_sigma_band(
    tmp_path, saved
):
    # nothing checked the picture: readings drawn on the reconstruction, or a band of
    # 0.5 sigma labelled 2 sigma, passed every test
    from adaptive.campaign import Campaign

    summary = simulate_xas(tmp_path, max_points=16, noise_counts=1e4, seed=2)
    (figure,) = saved
    ax = figure.axes[0]
    lines = {line.get_label(): line for line in ax.get_lines()}
    journal = Journal(summary["journal"])
    observations = journal.observations(summary["campaign_id"])
    measured = lines["measured (16)"]
    np.testing.assert_array_equal(measured.get_xdata(), [o.point["energy"] for o in observations])
    np.testing.assert_array_equal(measured.get_ydata(), [o.value for o in observations])
    grid = lines["reconstruction"].get_xdata()
    mean, std = Campaign.resume(journal, summary["campaign_id"]).strategy.predict(grid)
    journal.close()
    np.testing.assert_allclose(lines["reconstruction"].get_ydata(), mean, rtol=1e-9)
    (band,) = [c for c in ax.collections if c.get_label() == "±2σ"]
    # fill_between's outline: one end, the lower edge along the grid, the other end, the
    # upper edge back
    outline, m = band.get_paths()[0].vertices, len(grid)
    lower, upper = outline[1 : m + 1], outline[m + 2 : 2 * m + 2][::-1]
    np.testing.assert_array_equal(lower[:, 0], grid)
    np.testing.assert_array_equal(upper[:, 0], grid)
    np.testing.assert_allclose(upper[:, 1] - mean, 2 * std, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(mean - lower[:, 1], 2 * std, rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize(("noise_counts", "note"), [(1e6, True), (0, False)])
def test_a_fluorescence_mu_counted_in_transmission_is_noted(tmp_path, capsys, noise_counts, note):
    # a column titled mufluor got transmission's noise, flat across the scan, unsaid (X17)
    energy = np.arange(8900.0, 9100.0, 5.0)
    source = tmp_path / "fluo.dat"
    rows = "".join(f"{e} {0.6 + 0.5 * np.tanh((e - 9000) / 10)}\n" for e in energy)
    source.write_text("# energy mufluor\n" + rows)
    summary = simulate_xas(
        tmp_path / "out",
        source=str(source),
        strategy="random",
        max_points=4,
        noise_counts=noise_counts,
    )
    assert summary["mu"] == "column mufluor"
    expected = (
        "note: replaying mu = column mufluor, a fluorescence mu by its title, counted in "
        "transmission (I0 1e+06); pass --fluorescence mufluor to count it in fluorescence"
    )
    assert (expected in capsys.readouterr().err) is note


def test_an_xdi_ifluor_column_read_over_i0_is_not_noted_as_transmission(tmp_path, capsys):
    # the ifluor/i0 an XDI file replays by itself is counted in fluorescence: the note said
    # it was counted in transmission and named '--fluorescence ifluor/i0' (final read)
    energy = np.arange(7000.0, 7200.0, 2.0)
    rows = "".join(f"{e} 1000 {1000 * (0.6 + 0.5 * np.tanh((e - 7110) / 5))}\n" for e in energy)
    source = tmp_path / "if.xdi"
    source.write_text(
        "# XDI/1.0\n# Column.1: energy eV\n# Column.2: i0\n# Column.3: ifluor\n#----\n"
        "# energy i0 ifluor\n" + rows
    )
    summary = simulate_xas(tmp_path / "out", source=str(source), strategy="random", max_points=4)
    assert summary["mu"] == "ifluor/i0"
    assert "counted in transmission" not in capsys.readouterr().err
