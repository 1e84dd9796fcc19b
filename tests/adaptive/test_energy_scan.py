"""The GP energy scan on synthetic XAS-like curves."""

import itertools

import numpy as np
import pytest

from adaptive.campaign import Campaign
from adaptive.client import Client
from adaptive.errors import InvalidParameterError, OutOfSpaceError, RemoteError
from adaptive.journal import Journal
from adaptive.records import Observation, Spectrum
from adaptive.space import Dimension, Space
from adaptive.strategies import EnergyScan, energy_scan, make_strategy
from simulators import KEdgeXAS
from surrogates.warped_gp import WarpedGP


def energy_space(low, high):
    return Space((Dimension("energy", low=low, high=high, units="eV"),))


def run(strategy, f, n, t0=0.0):
    for i in range(n):
        (suggestion,) = strategy.suggest(1)
        energy = suggestion.point["energy"]
        strategy.observe([Observation({"energy": energy}, value=float(f(energy)), time=t0 + i)])


@pytest.fixture(scope="module")
def xas_run():
    sim = KEdgeXAS(i0=None)
    low, high = sim.energy_range
    strategy = make_strategy({"name": "energy_scan"}, energy_space(low, high))
    run(strategy, sim.evaluate_true, 60)
    return sim, strategy


def nrmse(estimate, truth):
    return float(np.sqrt(np.mean((estimate - truth) ** 2)) / np.ptp(truth))


def test_gp_reconstruction_beats_uniform_grid(xas_run):
    sim, strategy = xas_run
    low, high = sim.energy_range
    x, _ = strategy.data()
    assert x.size == 60
    query = np.linspace(low, high, 2000)
    truth = sim.evaluate_true(query)
    mean, std = strategy.predict(query)
    assert mean.shape == std.shape == (2000,)
    gp_error = nrmse(mean, truth)
    grid = np.linspace(low, high, 60)
    grid_error = nrmse(np.interp(query, grid, sim.evaluate_true(grid)), truth)
    assert gp_error < 0.02, gp_error
    assert gp_error < 0.75 * grid_error, (gp_error, grid_error)


def test_points_concentrate_near_the_edge(xas_run):
    sim, strategy = xas_run
    low, high = sim.energy_range
    x, _ = strategy.data()
    near = int(np.sum(np.abs(x - sim.edge_energy) <= 50.0))
    grid = np.linspace(low, high, x.size)
    near_grid = int(np.sum(np.abs(grid - sim.edge_energy) <= 50.0))
    assert near > near_grid + 3, (near, near_grid)


def test_a_falling_channel_is_scanned_like_the_rising_one():
    """-mu falls across the edge; the scan is otherwise blind to the sign, so once its
    k-space prior finds the edge all the same it measures the very energies it does on mu.
    (The initial grid goes in as one batch: the direction is judged from then on.)"""
    sim = KEdgeXAS(i0=None)
    low, high = sim.energy_range
    measured = []
    for sign in (1.0, -1.0):
        strategy = EnergyScan(energy_space(low, high))
        grid = [s.point for s in strategy.suggest(strategy.n_initial)]
        strategy.observe(
            [Observation(p, sign * sim.evaluate_true(p["energy"]), time=-1.0) for p in grid]
        )
        run(strategy, lambda e, sign=sign: sign * sim.evaluate_true(e), 28)
        measured.append(strategy.data()[0])
    np.testing.assert_allclose(measured[1], measured[0], rtol=0, atol=1e-6)


@pytest.mark.parametrize("channel", ["mu", "i1"])
def test_edge_prior_sits_on_the_edge_of_a_rising_or_falling_channel(channel):
    """i1 without noise is the transmitted fraction I1/I0, which drops at the edge."""
    sim = KEdgeXAS(i0=None)
    low, high = sim.energy_range
    strategy = make_strategy({"name": "energy_scan"}, energy_space(low, high))
    run(strategy, lambda e: sim.measure_channels(e)[channel], 30)
    model = strategy.model
    density = model.base_density(model.grid, model.predict(model.grid)[0])
    energy = low + model.grid * (high - low)
    edge = energy[density == density.max()].max()  # the top runs from E0 - edge_width to E0
    assert abs(edge - sim.edge_energy) < 2.0, edge - sim.edge_energy


def test_suggestions_carry_reasons_and_acquisition(xas_run):
    _, strategy = xas_run
    (s,) = strategy.suggest(1)
    assert s.acquisition is not None and s.acquisition > 0
    assert "posterior std" in s.reason
    assert s.strategy == "energy_scan"


def test_batch_has_distinct_energies(xas_run):
    _, strategy = xas_run
    batch = [s.point["energy"] for s in strategy.suggest(5)]
    assert len(batch) == 5
    assert len(set(np.round(batch, 9))) == 5
    measured = set(np.round(strategy.data()[0], 9))
    assert not measured & set(np.round(batch, 9))


def test_first_suggestions_are_the_initial_grid():
    space = energy_space(0.0, 10.0)
    strategy = EnergyScan(space, n_initial=5)
    energies = [s.point["energy"] for s in strategy.suggest(5)]
    np.testing.assert_allclose(energies, np.linspace(0.0, 10.0, 5))
    assert strategy.stop_reason() is None


def test_stop_rule_fires_on_smooth_function():
    space = energy_space(0.0, 100.0)
    strategy = make_strategy(
        {"name": "energy_scan", "options": {"tolerance": 0.01, "patience": 3, "n_initial": 8}},
        space,
    )

    def gentle(e):
        return np.tanh((e - 50.0) / 30.0)

    reason = None
    for i in range(40):
        reason = strategy.stop_reason()
        if reason:
            break
        run(strategy, gentle, 1, t0=float(i))
    assert reason is not None, "the stop rule never fired on a gentle tanh"
    assert "converged" in reason
    assert strategy.data()[0].size < 40


def test_readings_all_alike_never_count_as_converged():
    # a dead detector (every reading 0.5) stopped after 12 points as "converged: posterior
    # std 0.00% ... of the reconstruction's range", whose range is 0
    strategy = make_strategy(
        {"name": "energy_scan", "options": {"patience": 2}}, energy_space(0, 100)
    )
    for i in range(30):
        assert strategy.stop_reason() is None, i
        run(strategy, lambda e: 0.5, 1, t0=float(i))


def test_readings_of_noise_alone_are_spread_over_the_range_not_piled_on_an_end():
    # XMCD at I0 300: readings scattering 0.15 with no signal the GP could find collapse its
    # output scale; its std, flat to 1e-7, put 44 of 60 readings on the two ends
    strategy = make_strategy({"name": "energy_scan"}, energy_space(690.0, 740.0))
    noise = np.random.default_rng(0)
    for i in range(60):
        (suggestion,) = strategy.suggest(1)
        reading = Observation(
            suggestion.point, value=float(noise.normal(0.0, 0.15)), uncertainty=0.15, time=i
        )
        strategy.observe([reading])
    (last,) = strategy.suggest(1)
    assert last.reason.startswith("farthest from the energies taken, the warped-GP posterior std")
    energies = strategy.data()[0]
    on_ends = int(np.isin(energies, [690.0, 740.0]).sum())
    assert on_ends <= 4, on_ends  # the initial grid's two, and a repeat each at most
    assert np.diff(np.unique(energies)).max() < 3.0  # no part of the 50 eV left unmeasured


def test_spectrum_only_observation_rejected():
    strategy = make_strategy({"name": "energy_scan"}, energy_space(0.0, 1.0))
    spectrum = Spectrum(np.linspace(0, 1, 4), np.ones(4))
    with pytest.raises(InvalidParameterError, match="scalar value"):
        strategy.observe([Observation({"energy": 0.5}, spectrum=spectrum)])


@pytest.mark.parametrize(
    "options",
    [
        {"n_initial": 2},
        {"n_initial": 4.0},
        {"n_initial": 10**9},
        {"tolerance": 0.0},
        {"tolerance": 1.5},
        {"tolerance": "0.1"},
        {"patience": 0},
        {"patience": -3},
        {"patience": 2.5},
        {"patience": "5"},
        {"patience": True},
        {"edge_prior": "no"},
        {"edge_prior": 1},
        {"edge_width": 0.0},
        {"edge_width": -5.0},
        {"edge_width": float("inf")},
        {"floor": 2.0},
        {"floor": -1.0},
        {"floor": 0.0},
        {"floor": float("nan")},
        {"exponent": -1.0},
        {"exponent": "a"},
        {"exponent": float("inf")},
        {"smoothing": -2.0},
        {"smoothing": float("nan")},
        {"exponent": 400},
        {"exponent": 10.5},
        {"smoothing": 1e300},
        {"smoothing": 1e7},
        {"smoothing": 1025},
    ],
)
def test_bad_options_rejected_naming_the_option(options):
    (key,) = options
    with pytest.raises(InvalidParameterError, match=rf"{key}=.* must be"):
        make_strategy({"name": "energy_scan", "options": options}, energy_space(0.0, 1.0))


def test_a_tolerance_given_as_a_percent_is_told_it_is_a_fraction(tmp_path, monkeypatch):
    """0.5 (meant as 0.5 %) stopped the K-edge scan at its starting grid; a new campaign
    refuses it, while one journaled before the cap (0.2 was valid) still resumes."""
    space = {"dimensions": [{"name": "energy", "low": 8900.0, "high": 9100.0, "units": "eV"}]}
    strategy = {"name": "energy_scan", "options": {"tolerance": 0.5}}
    journal = Journal(tmp_path / "j.sqlite")
    with pytest.raises(InvalidParameterError, match=r"not a percent \(0\.5 % is 0\.005\)"):
        Campaign.create(journal, space, strategy)
    accepted = Campaign.create(journal, space, {**strategy, "options": {"tolerance": 0.1}})
    assert accepted.strategy.tolerance == 0.1
    monkeypatch.setattr(energy_scan, "MAX_TOLERANCE", 1.0)  # the cap before: (0, 1)
    old = Campaign.create(journal, space, {**strategy, "options": {"tolerance": 0.2}})
    monkeypatch.undo()
    assert Campaign.resume(journal, old.id).strategy.tolerance == 0.2
    journal.close()


@pytest.mark.parametrize(
    "options",
    [
        {"floor": 0.01},
        {"floor": 1.0},
        {"exponent": 0.0},
        {"exponent": 10},
        {"smoothing": 0.0},
        {"smoothing": 1024},
        {"patience": 1},
    ],
)
def test_options_at_the_ends_of_their_ranges_are_taken(options):
    make_strategy({"name": "energy_scan", "options": options}, energy_space(0.0, 1.0))


def _feed(strategy, energies, t0):
    for t, energy in enumerate(energies, start=t0):
        strategy.observe([Observation({"energy": energy}, value=_xas(energy), time=float(t))])


def _xas(energy):
    return float(np.tanh((energy - 40.0) / 2.0) + 0.2 * np.exp(-(((energy - 45.0) / 3.0) ** 2)))


def test_predict_changes_neither_the_next_picks_nor_the_stop_state():
    """Polling predictions between the puts of a batch refits only a copy of the model."""
    polled, quiet = (EnergyScan(energy_space(0.0, 100.0), n_initial=6) for _ in range(2))
    t = 0
    for _ in range(6):
        batch = [s.point["energy"] for s in polled.suggest(2)]
        assert batch == [s.point["energy"] for s in quiet.suggest(2)]
        for energy in batch:
            for strategy in (polled, quiet):
                _feed(strategy, [energy], t)
            t += 1
            if t >= 2:  # as model_predict does between puts
                polled.predict(np.array([50.0]))
    assert polled.state() == quiet.state()
    mean, _ = polled.predict(np.linspace(0.0, 100.0, 5))
    assert polled.state() == quiet.state()
    assert [s.point for s in polled.suggest(3)] == [s.point for s in quiet.suggest(3)]
    assert polled.stop_reason() == quiet.stop_reason()
    np.testing.assert_allclose(mean, quiet.predict(np.linspace(0.0, 100.0, 5))[0])


def test_predictions_and_the_next_suggestion_fit_new_observations_once(monkeypatch):
    # each model_predict refitted a throwaway copy (1.4 s at 600 readings), and the next
    # suggestion fitted the same observations again
    scan = EnergyScan(energy_space(0.0, 100.0), n_initial=6)
    _feed(scan, [s.point["energy"] for s in scan.suggest(6)], 0)
    scan.suggest(1)
    _feed(scan, [50.0], 6)
    fits, fit = [], WarpedGP.fit

    def counted(gp, x, *args):
        fits.append(len(x))
        return fit(gp, x, *args)

    monkeypatch.setattr(WarpedGP, "fit", counted)
    first = scan.predict(np.array([20.0, 60.0]))
    second = scan.predict(np.array([20.0, 60.0]))
    scan.suggest(1)
    assert fits == [7]
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(scan.predict(np.array([20.0, 60.0])), first)


def _journaled_scan(tmp_path, options=None, goals=None, offset=0.0):
    """A journal, an energy_scan campaign "c" on 0-100 eV in it, and ``put(suggestion)``,
    which measures ``_xas`` at the suggested energy and reports it plus ``offset`` (a
    readback)."""
    from adaptive.campaign import Campaign
    from adaptive.journal import Journal

    journal = Journal(tmp_path / "j.sqlite")
    space = {"dimensions": [{"name": "energy", "low": 0.0, "high": 100.0}]}
    config = {"name": "energy_scan", "options": options or {}}
    campaign = Campaign.create(journal, space, config, goals=goals, campaign_id="c")
    times = itertools.count(1.0)

    def put(suggestion):
        point = {"energy": suggestion.point["energy"] + offset}
        value = _xas(suggestion.point["energy"])
        observation = Observation(point, value=value, suggestion_id=suggestion.id, time=next(times))
        campaign.observe(observation)

    return journal, campaign, put


def test_a_resumed_campaign_picks_as_one_that_ran_on_after_a_prediction(tmp_path):
    from adaptive.campaign import Campaign

    journal, campaign, put = _journaled_scan(tmp_path)
    for _ in range(8):
        for suggestion in campaign.suggest(2):
            put(suggestion)
    first, second = campaign.suggest(2)
    put(first)
    campaign.strategy.predict(np.array([50.0]))
    put(second)
    resumed = Campaign.resume(journal, "c")
    assert [s.point for s in resumed.suggest(2)] == [s.point for s in campaign.suggest(2)]


def test_a_resumed_campaign_picks_as_one_that_ran_on_after_an_empty_suggest(tmp_path):
    """The goal check refits the model while pending suggestions fill max_observations, so
    suggest returns none: that fit is journaled all the same, and a campaign resumed after
    the pending batch is released picks what the one that ran on picks."""
    from adaptive.campaign import Campaign

    journal, campaign, put = _journaled_scan(tmp_path, {"n_initial": 4}, {"max_observations": 14})
    while campaign.n_observations < 8:
        for suggestion in campaign.suggest(2):
            put(suggestion)
    first, second = campaign.suggest(2)  # driver A
    other = campaign.suggest(2) + campaign.suggest(2)  # driver B: the pending fill the goal
    put(first)
    assert campaign.suggest(1) == []  # the goal check fitted the new observation
    put(second)
    campaign.release([s.id for s in other])  # driver B's instrument failed
    resumed = Campaign.resume(journal, "c")
    assert [s.point for s in resumed.suggest(2)] == [s.point for s in campaign.suggest(2)]


@pytest.mark.parametrize("offset", [0.05, -0.05])
def test_a_readback_just_past_an_end_of_the_scan_measures_that_end(tmp_path, offset):
    """Readbacks 0.05 eV off the setpoints (within the 0.1 eV tolerance on 0-100 eV): the
    one past an end is journaled on it, the initial grid goes on in order, and a resumed
    campaign picks as one that ran on."""
    from adaptive.campaign import Campaign

    journal, campaign, put = _journaled_scan(tmp_path, {"n_initial": 4}, offset=offset)
    suggested = []
    for _ in range(8):
        (suggestion,) = campaign.suggest(1)
        suggested.append(suggestion.point["energy"])
        put(suggestion)
    assert suggested[:4] == np.linspace(0.0, 100.0, 4).tolist()
    stored = journal.observations("c")
    assert [o.point["energy"] for o in stored] == np.clip(
        np.add(suggested, offset), 0, 100
    ).tolist()
    end = 0.0 if offset < 0 else 100.0
    assert [o.metadata for o in stored if o.point["energy"] == end] == [
        {"driver_point": {"energy": end + offset}}
    ]
    resumed = Campaign.resume(journal, "c")
    assert [s.point for s in resumed.suggest(2)] == [s.point for s in campaign.suggest(2)]


def test_large_batches_repeat_no_energy():
    strategy = EnergyScan(energy_space(0.0, 1.0), n_initial=5)
    initial = [s.point for s in strategy.suggest(5)]
    strategy.observe(
        [Observation(p, float(np.sin(3 * p["energy"])), time=t) for t, p in enumerate(initial)]
    )
    pending = [{"energy": e} for e in np.linspace(0.1, 0.9, 9)]
    batch = [s.point["energy"] for s in strategy.suggest(60, pending=pending)]
    assert len(set(batch)) == 60
    pending_energies = [p["energy"] for p in pending]
    assert not any(np.isclose(b, p, rtol=0, atol=1e-9) for b in batch for p in pending_energies)


def test_coarse_steps_condition_and_report_on_the_snapped_energy():
    """With a step coarser than the GP grid the suggested (snapped) energy, not the grid
    point picked, is the one pending for later picks and the one whose std is reported."""
    space = Space((Dimension("energy", low=0.0, high=100.0, step=10.0),))
    strategy = EnergyScan(space, n_initial=3, edge_prior=False)
    strategy.observe(
        [
            Observation({"energy": e}, float(np.tanh((e - 50) / 5)), time=t)
            for t, e in enumerate([0.0, 50.0, 100.0])
        ]
    )
    batch = strategy.suggest(4)
    units = np.array([s.point["energy"] for s in batch]) / 100.0
    assert np.all(units * 10 == np.round(units * 10))  # on the lattice
    for k, s in enumerate(batch):
        expected = strategy.model.std_given_pending(units[:k], units[k : k + 1])[0]
        assert s.acquisition == pytest.approx(expected, rel=1e-12)


def test_a_lattice_of_fewer_energies_than_asked_for_gives_those_left():
    space = Space((Dimension("energy", low=0.0, high=10.0, step=2.5),))  # 5 lattice points
    assert [s.point["energy"] for s in EnergyScan(space).suggest(8)] == [0.0, 2.5, 5.0, 7.5, 10.0]
    pending = [{"energy": e} for e in (0.0, 5.0, 10.0)]
    assert [s.point["energy"] for s in EnergyScan(space).suggest(3, pending=pending)] == [2.5, 7.5]
    pending += [{"energy": 2.5}, {"energy": 7.5}]
    assert EnergyScan(space).suggest(1, pending=pending) == []


def test_a_second_driver_gets_the_energies_not_pending_then_none():
    """12 lattice energies, 4 measured and 8 pending for driver A: driver B may get the 4
    measured ones again (the GP may re-measure), not the pending ones, then nothing."""
    space = Space((Dimension("energy", low=0.0, high=11.0, step=1.0),))
    strategy = EnergyScan(space, n_initial=4, edge_prior=False)
    first = strategy.suggest(4)
    _feed(strategy, [s.point["energy"] for s in first], 0)
    pending = [s.point for s in strategy.suggest(8)]
    batch = strategy.suggest(5, pending=pending)
    energies = sorted(s.point["energy"] for s in batch)
    assert energies == sorted(s.point["energy"] for s in first)
    assert strategy.suggest(5, pending=pending + [s.point for s in batch]) == []


def test_predictions_outside_the_scan_are_refused_not_clamped():
    strategy = EnergyScan(energy_space(0.0, 100.0), n_initial=5)
    _feed(strategy, np.linspace(0.0, 100.0, 6), 0)
    assert np.isfinite(strategy.predict(np.array([0.0, 100.0]))[1]).all()
    with pytest.raises(
        OutOfSpaceError, match=r"point 1 \(energy=150.0\) lies outside .*\[0.0, 100.0\]"
    ):
        strategy.predict(np.array([50.0, 150.0]))
    # a NaN was said to lie outside the scan, by more than the readback tolerance
    with pytest.raises(InvalidParameterError, match=r"^points\[1\] = nan is not finite"):
        strategy.predict(np.array([50.0, np.nan]))


@pytest.mark.parametrize("n", [0, 1])
def test_a_prediction_before_two_observations_says_how_many_and_what_to_do(n):
    strategy = EnergyScan(energy_space(0.0, 100.0), n_initial=5)
    _feed(strategy, np.linspace(0.0, 100.0, n), 0)
    with pytest.raises(InvalidParameterError, match=f"two observations .*, has {n}; measure"):
        strategy.predict(np.array([50.0]))


def test_model_predict_outside_the_scan_gets_a_typed_error_reply(server):
    space = {"dimensions": [{"name": "energy", "low": 0.0, "high": 100.0, "units": "eV"}]}
    with Client(server.endpoint, timeout_s=30, retries=1) as client:
        campaign = client.call("campaign_create", space=space, strategy={"name": "energy_scan"})[
            "campaign_id"
        ]
        for t, energy in enumerate(np.linspace(0.0, 100.0, 6)):
            client.call(
                "observation_put",
                campaign_id=campaign,
                point={"energy": float(energy)},
                value=_xas(energy),
                time=float(t),
            )
        with pytest.raises(RemoteError, match=r"energy=-5.0\) lies outside") as caught:
            client.call("model_predict", campaign_id=campaign, points=[50.0, -5.0])
        assert caught.value.type == "OutOfSpaceError"
        assert client.call("model_predict", campaign_id=campaign, points=[50.0])["mean"].shape == (
            1,
        )


@pytest.mark.parametrize(
    ("options", "goal", "fix"),
    [
        ({"n_initial": 60}, 20, "pass the option n_initial=20 or less, or max_observations=60"),
        ({}, 6, "pass the option n_initial=6 or less, or max_observations=12"),  # the default
        ({}, 2, "pass max_observations=12"),
    ],
)
def test_a_starting_grid_larger_than_max_observations_is_refused_at_creation(
    tmp_path, options, goal, fix
):
    """n_initial=60 with max_observations=20 measured 20 points in the lowest third of the
    range (the grid goes low to high); nothing is journaled."""
    from adaptive.campaign import Campaign
    from adaptive.journal import Journal

    journal = Journal(tmp_path / "j.sqlite")
    space = {"dimensions": [{"name": "energy", "low": 0.0, "high": 100.0}]}
    config = {"name": "energy_scan", "options": options}
    with pytest.raises(InvalidParameterError, match="the campaign would stop inside it") as err:
        Campaign.create(journal, space, config, goals={"max_observations": goal})
    assert fix in str(err.value)
    assert journal.campaign_ids() == []
    Campaign.create(journal, space, config, goals={"max_observations": 60})
    journal.close()
