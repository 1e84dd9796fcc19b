"""The XAS scan benchmark on a small recorded spectrum."""

import json

import numpy as np
import pytest

import adaptive.bench as bench
from adaptive.bench import Truth, _fixed_scans, _median_or_none, bench_scan
from adaptive.errors import InvalidParameterError
from adaptive.metrics import nrmse, nrmse_span
from adaptive.strategies import UniformGrid
from simulators import KEdgeXAS

ENERGY = np.linspace(8900.0, 9300.0, 401)
MU = KEdgeXAS(i0=None, energy_range=(8900.0, 9300.0)).evaluate_true(ENERGY)


def write_spectrum(path, energy, mu):
    path.write_text(
        "energy_eV,mu\n" + "".join(f"{e},{m}\n" for e, m in zip(energy, mu, strict=True))
    )
    return path


@pytest.fixture
def kedge_csv(tmp_path):
    """The simulated K edge, 8900-9300 eV at 1 eV, as a two-column file."""
    return write_spectrum(tmp_path / "kedge.csv", ENERGY, MU)


def grid_nrmse(truth: Truth, n: int) -> float:
    """NRMSE of the n-point uniform grid's linear reconstruction, straight from the definition."""
    energies = np.linspace(truth.low, truth.high, n)
    values = truth.recording.evaluate_true(energies)
    return truth.nrmse(np.interp(truth.energies, energies, values))


@pytest.fixture
def canned_sequential(monkeypatch):
    """Replace the (slow) suggest-measure-observe runs of gp and random by one canned result."""
    calls = []

    def run(truth, strategy, measure, max_points, min_points=0):
        calls.append(type(strategy).__name__)
        return {
            "points_to_1pct": 7,
            "points_to_2pct": 5,
            "suggest_ms_median": 1.0,
            "points_run": 7,
            "nrmse_final": 0.005,
        }

    monkeypatch.setattr(bench, "_run_sequential", run)
    return calls


def test_bench_scan_reports_every_method(kedge_csv):
    result = bench_scan(kedge_csv, max_points=40, random_seeds=1, progress=False)
    assert set(result["methods"]) == {"gp", "grid", "conventional", "random"}
    for figures in result["methods"].values():
        low, high = figures["points_to_2pct"], figures["points_to_1pct"]
        assert low is None or 2 <= low <= 40
        assert high is None or (low is not None and low <= high <= 40)
    assert result["methods"]["gp"]["points_to_2pct"] is not None  # 28 measured
    assert result["methods"]["gp"]["suggest_ms_median"] > 0


def test_grid_and_conventional_figures_follow_their_definition(kedge_csv, canned_sequential):
    """grid: the first n whose uniform grid reaches X (checked against every smaller n);
    conventional: denser at the edge, so it reaches 2% with fewer points than the grid."""
    result = bench_scan(kedge_csv, max_points=100, random_seeds=3, progress=False)
    assert canned_sequential == ["EnergyScan"] + ["RandomScan"] * 3
    truth = Truth(kedge_csv)
    grid = result["methods"]["grid"]
    for key, threshold in bench.THRESHOLDS.items():
        n = grid[key]
        assert n is not None, key  # 89 and 64 points
        assert grid_nrmse(truth, n) <= threshold
        assert all(grid_nrmse(truth, m) > threshold for m in range(2, n)), key
    conventional = result["methods"]["conventional"]
    assert conventional["points_to_2pct"] is not None  # 33 points
    assert conventional["points_to_2pct"] < grid["points_to_2pct"]
    assert conventional["points_to_1pct"] is not None  # 46 points
    assert conventional["points_to_2pct"] <= conventional["points_to_1pct"] <= 100
    best = min(grid["points_to_1pct"], conventional["points_to_1pct"])
    assert result["gp_ratio_1pct"] == pytest.approx(7 / best)
    assert result["methods"]["random"]["points_to_1pct"] == 7.0


def test_fixed_scans_take_the_smallest_scan_reaching_each_threshold(kedge_csv):
    truth = Truth(kedge_csv)
    sizes = (401, 3, 201, 74)  # not in order: the smallest, not the first, counts
    errors = {n: grid_nrmse(truth, n) for n in sizes}
    assert errors[3] > 0.02 and errors[201] < 0.01  # 0.185 and 0.0036: the test can tell
    result = _fixed_scans(truth, [UniformGrid(truth.space, n) for n in sizes])
    for key, threshold in bench.THRESHOLDS.items():
        assert result[key] == min(n for n in sizes if errors[n] <= threshold), key
    assert result["points_to_1pct"] == 201  # 74 points reach 2% (0.014) but not 1%
    assert result["points_to_2pct"] == 74
    assert result["suggest_ms_median"] >= 0


def test_fixed_scans_that_never_reach_a_threshold_give_none(kedge_csv):
    truth = Truth(kedge_csv)
    result = _fixed_scans(truth, [UniformGrid(truth.space, n) for n in (2, 3)])
    assert result["points_to_1pct"] is None and result["points_to_2pct"] is None


@pytest.mark.parametrize(
    ("values", "median"),
    [
        ([3, None, 5], 5.0),  # the run that never got there counts as infinitely many
        ([4, 2], 3.0),
        ([7], 7.0),
        ([3, None, 5, None, 9], 9.0),
        ([0.25, 0.5, 2.0], 0.5),  # suggest_ms_median, never None
        ([3, None], None),  # half never reached it
        ([None, None, 5], None),
        ([None], None),
    ],
)
def test_median_over_runs_counts_a_miss_as_infinitely_many_points(values, median):
    assert _median_or_none(values) == median


@pytest.mark.parametrize("max_points", [2, 1, 0, 2.5])
def test_bench_scan_needs_three_points(tmp_path, max_points):
    # review C25: at 2, gp measured 2 points of its 3-point starting grid and was scored
    with pytest.raises(ValueError, match="max_points.*>= 3.*grid of at least 3 points"):
        bench_scan(tmp_path / "unread.csv", max_points=max_points)


@pytest.mark.parametrize("random_seeds", [2.0, 0, -1, True, "3", None])
def test_random_seeds_must_be_a_positive_integer_before_anything_runs(
    kedge_csv, canned_sequential, random_seeds
):
    with pytest.raises(InvalidParameterError, match="random_seeds"):
        bench_scan(kedge_csv, max_points=10, random_seeds=random_seeds, progress=False)
    assert canned_sequential == []


def test_numpy_integers_are_integers(kedge_csv):
    result = bench_scan(kedge_csv, max_points=np.int64(3), random_seeds=np.int64(1), progress=False)
    assert result["methods"]["gp"]["points_run"] == 3
    json.dumps(result, allow_nan=False)


def test_a_file_that_starts_at_its_steepest_point_is_benchmarked(tmp_path, canned_sequential):
    """The conventional scan needs E0 strictly inside the range: the edge is an interior point."""
    start = int(np.argmax(np.gradient(MU, ENERGY)))
    path = write_spectrum(tmp_path / "from_edge.csv", ENERGY[start:], MU[start:])
    truth = Truth(path)
    assert truth.low < truth.edge_energy < truth.high
    assert truth.edge_energy < truth.low + 1.0  # still the steep start: the next point
    result = bench_scan(path, max_points=40, random_seeds=1, progress=False)
    assert result["edge_energy"] == truth.edge_energy
    assert result["methods"]["conventional"]["suggest_ms_median"] is not None


def test_scans_are_checked_before_the_sequential_runs(kedge_csv, canned_sequential, monkeypatch):
    def refuse(*args, **kwargs):
        raise InvalidParameterError("edge_energy outside the scan")

    monkeypatch.setattr(bench, "ConventionalScan", refuse)
    with pytest.raises(InvalidParameterError, match="edge_energy"):
        bench_scan(kedge_csv, max_points=10, random_seeds=1, progress=False)
    assert canned_sequential == []  # failed fast, before minutes of gp


def test_a_flat_spectrum_is_refused_not_scored_nan(tmp_path):
    path = write_spectrum(tmp_path / "flat.csv", ENERGY, np.ones_like(ENERGY))
    with pytest.raises(InvalidParameterError, match="flat"):
        Truth(path)
    with pytest.raises(InvalidParameterError, match="flat"):
        bench_scan(path, max_points=10, random_seeds=1, progress=False)


def test_bench_scan_json_has_no_nan_when_no_scan_is_that_short(tmp_path):
    path = tmp_path / "kedge.csv"
    path.write_text("".join(f"{e},{m}\n" for e, m in zip(ENERGY, MU, strict=True)))
    result = bench_scan(path, max_points=3, random_seeds=1, progress=False)
    assert result["methods"]["conventional"]["suggest_ms_median"] is None
    json.dumps(result, allow_nan=False)


def test_grid_and_conventional_measure_through_the_noisy_instrument(kedge_csv, canned_sequential):
    """With noise the fixed scans see the same noisy measurements as gp and random."""
    quiet = bench_scan(kedge_csv, max_points=100, random_seeds=1, progress=False)
    noisy = bench_scan(kedge_csv, noise_counts=100, max_points=100, random_seeds=1, progress=False)
    for method in ("grid", "conventional"):
        assert quiet["methods"][method]["points_to_2pct"] is not None  # 64 and 33 points
        # 100 counts per point put ~10% noise on mu: no scan reaches 2%
        assert noisy["methods"][method]["points_to_2pct"] is None, method
    assert noisy["noise_counts"] == 100


def test_fixed_scans_score_what_measure_returns(kedge_csv):
    truth = Truth(kedge_csv)
    grids = [UniformGrid(truth.space, n) for n in (201, 401)]
    assert _fixed_scans(truth, grids)["points_to_1pct"] == 201
    offset = 0.015 * nrmse_span(truth.values)  # a 1.5% NRMSE on any scan
    shifted = _fixed_scans(truth, grids, lambda e: truth.recording.evaluate_true(e) + offset)
    assert shifted["points_to_1pct"] is None and shifted["points_to_2pct"] == 201


def test_a_fluorescence_column_is_benchmarked_as_mu(tmp_path, canned_sequential):
    """mu = fluorescence / i0 of an XDI file whose transmission columns say otherwise."""
    rows = "".join(
        f"{e} 2000 {1500 + k % 7} {2000 * m}\n"
        for k, (e, m) in enumerate(zip(ENERGY, MU, strict=True))
    )
    path = tmp_path / "fluo.xdi"
    path.write_text(
        "# XDI/1.0\n# Column.1: energy eV\n# Column.2: i0\n# Column.3: itrans\n"
        "# Column.4: Sum_Fe_Ka\n#----\n" + rows
    )
    truth = Truth(path, fluorescence="Sum_Fe_Ka")
    np.testing.assert_allclose(truth.recording.mu, MU, atol=1e-12)
    result = bench_scan(
        path, max_points=100, random_seeds=1, progress=False, fluorescence="Sum_Fe_Ka"
    )
    reference = bench_scan(
        write_spectrum(tmp_path / "kedge.csv", ENERGY, MU),
        max_points=100,
        random_seeds=1,
        progress=False,
    )
    assert result["fluorescence"] == "Sum_Fe_Ka"
    for method in ("grid", "conventional"):
        for key in bench.THRESHOLDS:
            assert result["methods"][method][key] == reference["methods"][method][key], method
    with pytest.raises(ValueError, match="Sum_Mn_Ka"):
        bench_scan(path, max_points=10, random_seeds=1, progress=False, fluorescence="Sum_Mn_Ka")


def test_mu_beyond_what_a_campaign_takes_is_refused_before_any_method(tmp_path, canned_sequential):
    # mu near 1e160 ended in torch's LinAlgError traceback (the GP's squares overflow)
    path = write_spectrum(tmp_path / "huge.csv", ENERGY, 1e160 * MU)
    with pytest.raises(
        InvalidParameterError,
        match=r"huge.csv: mu reaches .*e\+160 at .* eV, "
        r"beyond the \+-1e\+150 a campaign takes .*rescale mu",
    ):
        bench_scan(path, max_points=10, random_seeds=1, progress=False)
    assert canned_sequential == []


def test_too_few_counts_are_refused_by_flag_naming_the_file(tmp_path, canned_sequential):
    # ended in the simulator's "raise i0 to at least 29", naming neither the flag nor the file
    path = write_spectrum(tmp_path / "steep.csv", ENERGY, 2.85 * (ENERGY > 9000))
    with pytest.raises(
        InvalidParameterError,
        match=r"^--noise-counts 3 is too few for --spectrum .*steep.csv \(.* raise i0 to at "
        r"least 290\); pass --noise-counts 290 or more, or 0 for noise-free$",
    ):
        bench_scan(path, noise_counts=3, max_points=10, random_seeds=1, progress=False)
    assert canned_sequential == []


def test_mu_spanning_more_than_any_counts_express_asks_to_rescale(tmp_path, canned_sequential):
    # ended "pass a larger --noise-counts" though 1e18, the most the flag takes, is too few
    path = write_spectrum(tmp_path / "wide.csv", ENERGY, 50.0 * (ENERGY > 9000))
    with pytest.raises(
        InvalidParameterError,
        match=r"^--noise-counts 1e\+18: no --noise-counts up to 1e\+18 is enough for --spectrum "
        r".*wide.csv \(recorded mu spans 50 .*\); rescale its mu, or pass --noise-counts 0 for "
        "noise-free$",
    ):
        bench_scan(path, noise_counts=1e18, max_points=10, random_seeds=1, progress=False)
    assert canned_sequential == []


@pytest.mark.parametrize(("values", "median"), [([27, 27, 30], 27), ([4, 2], 3), ([3, 4], 3.5)])
def test_a_whole_median_of_point_counts_is_an_int(values, median):
    # random's points_to_* were 27.0 in the JSON where the other methods give 27
    result = _median_or_none(values)
    assert result == median and type(result) is type(median)


def test_truth_scores_the_nrmse_of_the_simulate_summaries(kedge_csv):
    """One NRMSE: the benchmark's is the simulate summary's, bit for bit."""
    truth = Truth(kedge_csv)
    noisy = truth.values + 0.01 * np.random.default_rng(0).standard_normal(truth.values.size)
    assert truth.nrmse(noisy) == nrmse(noisy, truth.values)["nrmse"]
    assert np.isnan(truth.nrmse(np.full_like(noisy, np.nan)))


@pytest.mark.parametrize(("max_points", "grid"), [(5, 5), (300, 12)])
def test_a_short_gp_run_starts_on_a_grid_of_its_length(kedge_csv, monkeypatch, max_points, grid):
    # --max-points 5 measured the first 5 of the 12 grid energies: the low third of the
    # range, NRMSE 0.33 against 0.14 (review X18)
    strategies = []

    def run(truth, strategy, measure, max_points, min_points=0):
        strategies.append(strategy)
        return {"points_to_1pct": None, "points_to_2pct": None, "suggest_ms_median": 1.0}

    monkeypatch.setattr(bench, "_run_sequential", run)
    bench_scan(kedge_csv, max_points=max_points, random_seeds=1, progress=False)
    assert strategies[0].n_initial == grid
