"""The 1-D scan baselines: step lattices, stopping, and their settings."""

import tracemalloc

import numpy as np
import pytest

from adaptive.campaign import Campaign
from adaptive.errors import InvalidParameterError, OutOfSpaceError
from adaptive.journal import Journal
from adaptive.records import Observation
from adaptive.space import Dimension, LinearConstraint, Space
from adaptive.strategies import ConventionalScan, UniformGrid, conventional_scan, make_strategy
from adaptive.strategies.scan import SAME
from adaptive.strategies.uniform_grid import MAX_POINTS
from simulators import lineshapes

LOW, HIGH, EDGE = 8900.0, 9100.0, 8980.0


def stepped_space(step):
    return Space((Dimension("energy", low=LOW, high=HIGH, units="eV", step=step),))


CONFIGS = {
    "energy_scan": {"name": "energy_scan"},
    "grid": {"name": "grid", "options": {"n_points": 60}},
    "conventional": {"name": "conventional", "options": {"edge_energy": EDGE, "scale": 4.0}},
    "random": {"name": "random", "options": {"seed": 7}},
}


def curve(energy):
    return float(np.arctan((energy - EDGE) / 4.0))


@pytest.mark.parametrize("step", [0.3, 2.0])
@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_scans_suggest_distinct_points_on_the_step_lattice(name, step):
    space = stepped_space(step)
    strategy = make_strategy(CONFIGS[name], space)
    measured = []
    for t in range(20):
        (suggestion,) = strategy.suggest(1)
        assert space.validate(suggestion.point) == suggestion.point
        strategy.observe([Observation(suggestion.point, curve(suggestion.point["energy"]), time=t)])
        measured.append(suggestion.point["energy"])
    pending = [s.point for s in strategy.suggest(5)]
    batch = strategy.suggest(15, pending=pending)
    energies = [s.point["energy"] for s in batch]
    for s in batch:
        assert space.validate(s.point) == s.point
    assert len(set(energies)) == 15
    excluded = {p["energy"] for p in pending}
    if name != "energy_scan":  # the GP's noise model may ask to measure an energy again
        excluded |= set(measured)
    assert not set(energies) & excluded


def test_random_scan_on_a_coarse_lattice_fills_it_then_returns_what_is_left():
    space = Space((Dimension("energy", low=0.0, high=10.0, step=2.5),))  # 5 lattice points
    strategy = make_strategy({"name": "random", "options": {"seed": 0}}, space)
    energies = [s.point["energy"] for s in strategy.suggest(5)]
    assert sorted(energies) == [0.0, 2.5, 5.0, 7.5, 10.0]
    pending = [{"energy": e} for e in energies[:2]]
    rest = [s.point["energy"] for s in strategy.suggest(4, pending=pending)]
    assert sorted(rest) == sorted(energies[2:])  # the three left, not an error
    assert strategy.suggest(4, pending=[{"energy": e} for e in energies]) == []


@pytest.mark.parametrize("name", ["grid", "random"])
def test_batches_on_a_lattice_that_does_not_divide_them_end_with_the_rest(name):
    """A driver asking for 5 at a time on 12 lattice points gets 5, 5, 2, then none."""
    space = Space((Dimension("energy", low=0.0, high=11.0, step=1.0),))
    config = {"name": name, "options": {"n_points": 12} if name == "grid" else {"seed": 0}}
    strategy = make_strategy(config, space)
    sizes, t = [], 0
    while batch := strategy.suggest(5):
        sizes.append(len(batch))
        for s in batch:
            strategy.observe([Observation(s.point, 1.0, time=float(t))])
            t += 1
    assert sizes == [5, 5, 2]
    assert strategy.stop_reason() is not None


def test_grid_positions_snap_to_the_step_and_merge():
    space = Space((Dimension("energy", low=0.0, high=1.0, step=0.25),))
    grid = UniformGrid(space, n_points=7)
    np.testing.assert_array_equal(grid.positions(), [0.0, 0.25, 0.5, 0.75, 1.0])


def test_grid_stops_only_when_every_grid_position_is_measured():
    space = Space((Dimension("energy", low=0.0, high=10.0),))
    grid = UniformGrid(space, n_points=3)
    replicates = [({"energy": 0.0}, 1.0), ({"energy": 0.0}, 1.1), ({"energy": 5.0}, 2.0)]
    grid.observe([Observation(p, v, time=t) for t, (p, v) in enumerate(replicates)])
    assert grid.stop_reason() is None  # three observations, but 10 eV is still unmeasured
    assert [s.point for s in grid.suggest(1)] == [{"energy": 10.0}]
    grid.observe([Observation({"energy": 10.0}, 3.0, time=9)])
    assert grid.stop_reason() == "all 3 grid points measured"


def test_conventional_scan_stops_only_when_every_position_is_measured():
    space = Space((Dimension("energy", low=LOW, high=HIGH),))
    scan = ConventionalScan(space, edge_energy=EDGE, scale=20.0)
    positions = scan.positions()
    off_grid = [Observation({"energy": LOW + 0.123}, 0.0, time=t) for t in range(len(positions))]
    scan.observe(off_grid)
    scan.observe(
        [Observation({"energy": float(e)}, 1.0, time=100 + t) for t, e in enumerate(positions[:-1])]
    )
    assert scan.stop_reason() is None
    scan.observe([Observation({"energy": float(positions[-1])}, 1.0, time=999)])
    assert scan.stop_reason() == f"all {len(positions)} scan points measured"


@pytest.mark.parametrize(
    "options",
    [
        {"step_pre": 0},
        {"step_xanes": -0.5},
        {"step_k": 0.0},
        {"step_k": float("nan")},
        {"step_pre": "10"},
        {"scale": float("inf")},
        {"xanes_from": 30.0, "xanes_to": -20.0},
        {"xanes_to": None},
    ],
)
def test_conventional_scan_rejects_bad_steps_and_regions(options):
    space = Space((Dimension("energy", low=LOW, high=HIGH),))
    with pytest.raises(InvalidParameterError, match=next(iter(options))):
        ConventionalScan(space, edge_energy=EDGE, **options)


@pytest.mark.parametrize("xanes_to", [-5.0, -0.5])
def test_conventional_scan_refuses_a_xanes_region_ending_below_the_edge(xanes_to):
    """The k steps start at E0: a XANES region ending below it would leave a gap."""
    space = Space((Dimension("energy", low=LOW, high=HIGH),))
    with pytest.raises(InvalidParameterError, match=rf"xanes_to={xanes_to} must be >= 0"):
        ConventionalScan(space, edge_energy=EDGE, xanes_from=-30.0, xanes_to=xanes_to)


def test_conventional_scan_steps_evenly_in_the_line_shapes_k():
    """The k conversion is ``simulators.lineshapes``' one, not a copy of its constant."""
    assert conventional_scan.K_FACTOR is lineshapes.K_FACTOR
    scan = ConventionalScan(
        Space((Dimension("energy", low=8900.0, high=9500.0, units="eV"),)), EDGE
    )
    positions = scan.positions()
    k = lineshapes.energy_to_k(positions[positions >= EDGE + 30.0], EDGE)
    np.testing.assert_allclose(np.diff(k)[:-1], 0.05, rtol=1e-9)  # the last step ends at high


def test_conventional_scan_with_xanes_up_to_the_edge_leaves_no_gap_below_it():
    space = Space((Dimension("energy", low=LOW, high=HIGH),))
    positions = ConventionalScan(
        space, edge_energy=EDGE, xanes_from=-30.0, xanes_to=0.0
    ).positions()
    near = positions[(positions > EDGE - 30.0) & (positions < EDGE + 1.0)]
    assert np.diff(near).max() <= 0.5 + 1e-9  # XANES steps right up to the k steps at E0


@pytest.mark.parametrize("options", ["", [], 0, False, "none", 1])
def test_strategy_options_that_are_not_a_mapping_are_refused(options):
    space = Space((Dimension("energy", low=LOW, high=HIGH),))
    with pytest.raises(InvalidParameterError, match="options must be a mapping .*or null for none"):
        make_strategy({"name": "grid", "options": options}, space)


@pytest.mark.parametrize("config", [{"name": "grid", "options": None}, {"name": "grid"}])
def test_strategy_options_null_or_absent_mean_the_defaults(config):
    space = Space((Dimension("energy", low=LOW, high=HIGH),))
    assert make_strategy(config, space).n_points == 100


@pytest.mark.parametrize("seed", [-1, 1.5, True, "0"])
def test_random_scan_rejects_a_bad_seed(seed):
    space = Space((Dimension("energy", low=LOW, high=HIGH),))
    with pytest.raises(InvalidParameterError, match="seed"):
        make_strategy({"name": "random", "options": {"seed": seed}}, space)


@pytest.mark.parametrize("n_points", [1, 10**12, 2.0, True])
def test_grid_sizes_beyond_its_range_are_refused(n_points):
    space = Space((Dimension("energy", low=0.0, high=10.0),))
    with pytest.raises(InvalidParameterError, match="n_points"):
        UniformGrid(space, n_points=n_points)


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_scans_refuse_a_constrained_space_and_say_to_narrow_the_bounds(name):
    space = Space(
        (Dimension("energy", low=LOW, high=HIGH),),
        (LinearConstraint({"energy": 1.0}, upper=9000.0),),
    )
    with pytest.raises(InvalidParameterError, match="narrow low/high"):
        make_strategy(CONFIGS[name], space)


def test_taken_positions_match_a_brute_force_comparison_at_the_tolerance():
    grid = UniformGrid(Space((Dimension("energy", low=0.0, high=1.0),)), n_points=11)
    tol = SAME * (grid.high - grid.low)
    taken = [0.5, 0.2, 0.9, 0.2]
    positions = np.array(
        [0.0, 0.2, 0.2 + 0.9 * tol, 0.2 - 1.1 * tol, 0.5 + 2 * tol, 0.9 - tol / 2, 1.0, np.nan]
    )
    brute = (np.abs(positions[:, None] - np.array(taken)[None, :]) <= tol).any(axis=1)
    np.testing.assert_array_equal(grid._is_taken(positions, taken), brute)
    assert not grid._is_taken(positions, []).any()


def test_a_value_measures_the_position_it_is_nearer_than_half_way_to_a_neighbour():
    grid = UniformGrid(Space((Dimension("energy", low=0.0, high=10.0),)), n_points=2)
    positions = np.array([0.0, 1.0, 3.0, 3.0 + 1e-12, 7.0, 10.0])
    # 0.49 takes 0 (not 1); 2.0 and 5.0, midway, take neither neighbour; 3.2 takes 3 and
    # its near-twin 3 + 1e-12 (positions within SAME are one); 8.6 takes 10 (not 7)
    taken = [0.49, 2.0, 3.2, 5.0, 8.6]
    expected = [True, False, True, True, False, True]
    np.testing.assert_array_equal(grid._is_measured(positions, taken), expected)
    assert grid._is_measured(positions, [1.0 + 0.5 * SAME * 10.0])[1]  # within SAME
    assert not grid._is_measured(positions, []).any()


def test_measured_positions_match_a_brute_force_half_gap_comparison():
    grid = UniformGrid(Space((Dimension("energy", low=0.0, high=1.0),)), n_points=2)
    rng = np.random.default_rng(3)
    positions = np.unique(rng.uniform(0.0, 1.0, 40))
    taken = rng.uniform(0.0, 1.0, 25)
    gaps = np.diff(positions)
    below, above = np.append(gaps[:1], gaps), np.append(gaps, gaps[-1:])
    offset = taken[None, :] - positions[:, None]
    half = np.where(offset >= 0, above[:, None], below[:, None]) / 2
    brute = ((np.abs(offset) < half) | (np.abs(offset) <= SAME)).any(axis=1)
    assert 0 < brute.sum() < brute.size
    np.testing.assert_array_equal(grid._is_measured(positions, taken), brute)


@pytest.mark.parametrize("offset", [0.001, 0.02, -0.02, 0.1])
@pytest.mark.parametrize("name", ["grid", "conventional", "energy_scan"])
def test_a_driver_that_reports_the_readback_energy_completes_the_scan(name, offset):
    """The monochromator lands near, not on, the setpoint: the position counts as measured,
    the scan moves on to the next one, and the grid and conventional scans stop."""
    config = {
        "grid": {"name": "grid", "options": {"n_points": 5}},
        "conventional": {"name": "conventional", "options": {"edge_energy": EDGE, "scale": 4.0}},
        "energy_scan": {"name": "energy_scan", "options": {"n_initial": 6}},
    }[name]
    strategy = make_strategy(config, Space((Dimension("energy", low=LOW, high=HIGH),)))
    expected = (
        np.linspace(LOW, HIGH, 6) if name == "energy_scan" else strategy.positions()
    ).tolist()
    suggested = []
    for t in range(len(expected)):
        (suggestion,) = strategy.suggest(1)
        suggested.append(suggestion.point["energy"])
        readback = float(np.clip(suggested[-1] + offset, LOW, HIGH))
        if readback == suggested[-1]:  # at an end of the scan the monochromator lands inside
            readback -= offset
        assert readback != suggested[-1]
        strategy.observe([Observation({"energy": readback}, curve(readback), time=float(t))])
    assert suggested == expected
    if name != "energy_scan":
        assert strategy.stop_reason().startswith(f"all {len(expected)} ")


@pytest.mark.parametrize("offset", [0.03, -0.001])
@pytest.mark.parametrize("name", ["grid", "conventional"])
def test_a_campaign_takes_a_readback_just_past_the_end_of_the_scan(tmp_path, name, offset):
    """Every readback is the setpoint plus ``offset``, so one reading lands outside 8800-9100
    eV: it is journaled on the bound, measures that position, and the scan stops, resumed
    or not."""
    config = {
        "grid": {"name": "grid", "options": {"n_points": 7}},
        "conventional": {"name": "conventional", "options": {"edge_energy": EDGE, "scale": 8.0}},
    }[name]
    space = {"dimensions": [{"name": "energy", "low": 8800.0, "high": 9100.0, "units": "eV"}]}
    journal = Journal(tmp_path / "j.sqlite")
    campaign = Campaign.create(journal, space, config, campaign_id="c")
    expected = campaign.strategy.positions().tolist()
    suggested = []
    while suggestions := campaign.suggest(1):
        suggested.append(suggestions[0].point["energy"])
        readback = {"energy": suggested[-1] + offset}
        campaign.observe(
            Observation(readback, curve(suggested[-1]), suggestion_id=suggestions[0].id)
        )
    assert suggested == expected
    assert campaign.stop_reason.startswith(f"all {len(expected)} ")
    stored = journal.observations("c")
    assert [o.point["energy"] for o in stored] == [
        float(np.clip(e + offset, 8800.0, 9100.0)) for e in expected
    ]
    outside = [o.metadata["driver_point"]["energy"] for o in stored if o.metadata]
    assert outside == [(8800.0 if offset < 0 else 9100.0) + offset]
    resumed = Campaign.resume(journal, "c")
    np.testing.assert_array_equal(resumed.strategy.data()[0], campaign.strategy.data()[0])
    assert resumed.strategy.stop_reason() == campaign.stop_reason
    journal.close()


def test_an_exact_put_still_marks_only_its_own_grid_position_measured():
    grid = UniformGrid(Space((Dimension("energy", low=0.0, high=10.0),)), n_points=11)
    grid.observe([Observation({"energy": 3.0}, 1.0, time=0.0)])
    first = [s.point["energy"] for s in grid.suggest(11)]
    assert first == [e for e in np.linspace(0.0, 10.0, 11).tolist() if e != 3.0]


def test_a_large_grid_suggests_without_a_positions_by_observations_matrix():
    grid = UniformGrid(Space((Dimension("energy", low=0.0, high=1000.0),)), n_points=100_000)
    grid.observe([Observation({"energy": 0.01 * i}, value=1.0, time=float(i)) for i in range(300)])
    tracemalloc.start()
    try:
        grid.suggest(1)
        grid.stop_reason()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50e6, peak  # an m x k distance matrix took 480 MB


@pytest.mark.parametrize("scale", [1e-9, 1e-3])
def test_conventional_scans_of_more_than_max_points_are_refused_when_made(scale):
    space = Space((Dimension("energy", low=8800.0, high=9800.0),))
    with pytest.raises(
        InvalidParameterError, match=rf"scale={scale:g} .* more than the {MAX_POINTS}"
    ):
        ConventionalScan(space, edge_energy=8979.0, scale=scale)
    assert len(ConventionalScan(space, edge_energy=8979.0, scale=0.01).positions()) <= MAX_POINTS


@pytest.mark.parametrize("units", ["keV", "nm", "mm"])
@pytest.mark.parametrize("name", ["conventional", "energy_scan"])
def test_energy_scans_refuse_an_energy_dimension_not_in_ev(name, units):
    space = Space((Dimension("energy", low=8.9, high=9.1, units=units),))
    config = {"name": name, "options": {"edge_energy": 8.98} if name == "conventional" else {}}
    with pytest.raises(InvalidParameterError, match=rf"in '{units}'.* give the energy .* in eV"):
        make_strategy(config, space)


@pytest.mark.parametrize("units", ["", "eV", "ev", "EV"])
@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_scans_take_an_energy_dimension_in_ev_or_without_units(name, units):
    make_strategy(CONFIGS[name], Space((Dimension("energy", low=LOW, high=HIGH, units=units),)))


@pytest.mark.parametrize(
    "config",
    [CONFIGS["grid"], CONFIGS["random"], {"name": "energy_scan", "options": {"edge_prior": False}}],
)
def test_scans_free_of_ev_settings_take_any_units(config):
    make_strategy(config, Space((Dimension("position", low=0.0, high=5.0, units="mm"),)))


@pytest.mark.parametrize("edge_energy", ["8980", None, float("nan")])
def test_conventional_scan_refuses_an_edge_energy_that_is_not_a_number(edge_energy):
    space = Space((Dimension("energy", low=LOW, high=HIGH),))
    with pytest.raises(
        InvalidParameterError,
        match=rf"edge_energy={edge_energy!r} must be a number in eV inside \[{LOW}, {HIGH}\]",
    ):
        ConventionalScan(space, edge_energy=edge_energy)


def test_random_scan_stops_once_every_lattice_point_is_measured():
    space = Space((Dimension("energy", low=0.0, high=10.0, step=2.5),))  # 5 lattice points
    strategy = make_strategy({"name": "random", "options": {"seed": 0}}, space)
    for t in range(5):
        assert strategy.stop_reason() is None
        (suggestion,) = strategy.suggest(1)
        strategy.observe([Observation(suggestion.point, 1.0, time=float(t))])
    assert strategy.stop_reason() == "all 5 lattice points measured"
    unstepped = make_strategy(CONFIGS["random"], Space((Dimension("energy", low=0.0, high=1.0),)))
    assert unstepped.stop_reason() is None


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_scans_refuse_to_predict_outside_their_range(name):
    space = Space((Dimension("energy", low=LOW, high=HIGH, units="eV"),))
    strategy = make_strategy(CONFIGS[name], space)
    for t, energy in enumerate(np.linspace(LOW, HIGH, 12)):
        strategy.observe([Observation({"energy": float(energy)}, curve(energy), time=float(t))])
    mean, _ = strategy.predict(np.array([LOW, EDGE, HIGH]))  # the ends are inside
    assert mean.shape == (3,)
    # measured there: the scans interpolate, the GP (noise learned from 12 points) smooths
    atol = 0.1 if name == "energy_scan" else 1e-9
    np.testing.assert_allclose(mean[[0, 2]], [curve(LOW), curve(HIGH)], atol=atol)
    for points, bad in [
        ([9000.0, 9500.0, 8000.0], "point 1 \\(energy=9500.0\\)"),
        ([8899.0], "point 0 \\(energy=8899.0\\)"),
    ]:
        with pytest.raises(
            OutOfSpaceError, match=rf"{bad} lies outside the scan \[{LOW}, {HIGH}\]"
        ):
            strategy.predict(np.array(points))


@pytest.mark.parametrize("name", ["energy_scan", "grid", "conventional", "random"])
def test_replicates_alike_in_point_value_and_time_are_each_learned(tmp_path, name):
    """Three readings of 5.0 at 9000 eV stamped with one time (a scan's start time) were
    learned as one while the campaign counted three."""
    options = {"conventional": {"edge_energy": 8980.0}}.get(name, {})
    space = {"dimensions": [{"name": "energy", "low": 8900, "high": 9100, "units": "eV"}]}
    campaign = Campaign.create(
        Journal(tmp_path / "j.sqlite"), space, {"name": name, "options": options}
    )
    readings = [(8900.0, 0.0), (9000.0, 5.0), (9000.0, 5.0), (9000.0, 5.0), (9100.0, 10.0)]
    for energy, value in readings:
        campaign.observe(Observation(point={"energy": energy}, value=value, time=1.7e9))
    energies, values = campaign.strategy.data()
    assert campaign.n_observations == 5
    np.testing.assert_array_equal(energies, [8900.0, 9000.0, 9000.0, 9000.0, 9100.0])
    np.testing.assert_array_equal(values, [0.0, 5.0, 5.0, 5.0, 10.0])
    campaign.journal.close()
