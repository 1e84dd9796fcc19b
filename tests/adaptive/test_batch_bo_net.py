"""The two-step model in BatchBO: a spectrum network proposes, mixes with the GP, stops."""

import numpy as np
import pytest

from adaptive.errors import InvalidParameterError
from adaptive.objectives import SpectrumObjective
from adaptive.records import Observation, Spectrum
from adaptive.simulate import GOAL_RECIPE, synthesis_space
from adaptive.space import Dimension, Space
from adaptive.strategies import BatchBO, make_strategy
from simulators import AgNPSynthesis
from simulators.agnp import FACTORS, WAVELENGTHS

SPACE = Space.from_dict(synthesis_space())
SIMULATOR = AgNPSynthesis(seed=3)
OBJECTIVE = SpectrumObjective(
    WAVELENGTHS, SIMULATOR.spectrum_true(np.array([GOAL_RECIPE[f] for f in FACTORS]))
)


def spectrum_of(point) -> np.ndarray:
    return SIMULATOR.spectrum_true(np.array([point[f] for f in FACTORS]))


def observe(strategy, suggestions, t0=0.0):
    observations = []
    for i, s in enumerate(suggestions):
        y = spectrum_of(s.point)
        observations.append(
            Observation(
                point=s.point,
                value=OBJECTIVE(WAVELENGTHS, y),
                spectrum=Spectrum(WAVELENGTHS, y),
                time=t0 + i,
            )
        )
    strategy.observe(observations)


def strategy(**options) -> BatchBO:
    defaults = {"q": 6, "n_initial": 12, "n_candidates": 512, "net_after": 12, "seed": 0}
    return BatchBO(SPACE, objective=OBJECTIVE, **{**defaults, **options})


def test_network_models_need_the_objective():
    with pytest.raises(InvalidParameterError, match="objective"):
        BatchBO(SPACE, model="net")
    with pytest.raises(InvalidParameterError, match="model"):
        BatchBO(SPACE, model="forest", objective=OBJECTIVE)


def test_objective_with_maximisation_is_refused():
    """An objective's values are losses: maximising them would set the GP against the
    network, which always minimises the loss."""
    with pytest.raises(InvalidParameterError, match="minimize=False"):
        BatchBO(SPACE, model="mix", objective=OBJECTIVE, minimize=False)
    with pytest.raises(InvalidParameterError, match="minimize=False"):
        make_strategy({"name": "batch_bo", "options": {"minimize": False}}, SPACE, OBJECTIVE)


def test_campaign_objective_reaches_the_strategy_through_make_strategy():
    built = make_strategy({"name": "batch_bo", "options": {"model": "mix"}}, SPACE, OBJECTIVE)
    assert built.objective is OBJECTIVE and built.model_kind == "mix"


def test_mix_splits_each_batch_between_gp_and_network():
    mixed = strategy(model="mix")
    design = mixed.suggest(12)
    observe(mixed, design)
    batch = mixed.suggest(6)
    sources = [s.strategy for s in batch]
    assert sources.count("batch_bo:gp") == 3 and sources.count("batch_bo:net") == 3
    keys = {tuple(s.point.values()) for s in batch}
    assert len(keys) == 6 and not keys & {tuple(s.point.values()) for s in design}
    for s in batch:
        assert SPACE.validate(s.point) == s.point
    net_reasons = [s.reason for s in batch if s.strategy == "batch_bo:net"]
    assert all("predicted loss" in r for r in net_reasons)


def test_gp_proposes_until_net_after_then_the_network():
    switched = strategy(model="net", net_after=18)
    observe(switched, switched.suggest(12))
    first = switched.suggest(6)
    assert {s.strategy for s in first} == {"batch_bo:gp"}
    observe(switched, first, t0=100)
    second = switched.suggest(6)
    assert {s.strategy for s in second} == {"batch_bo:net"}


def test_network_batches_beat_the_design():
    net = strategy(model="net")
    design = net.suggest(12)
    observe(net, design)
    batch = net.suggest(6)
    design_loss = [OBJECTIVE(WAVELENGTHS, spectrum_of(s.point)) for s in design]
    batch_loss = [OBJECTIVE(WAVELENGTHS, spectrum_of(s.point)) for s in batch]
    assert np.median(batch_loss) < np.median(design_loss)
    chosen = SPACE.to_unit([s.point for s in batch])
    gaps = np.linalg.norm(chosen[:, None] - chosen[None], axis=-1)[np.triu_indices(6, 1)]
    assert gaps.min() >= 0.1  # the picks are kept apart


def test_network_accuracy_on_the_newest_batch_stops_the_campaign():
    lenient = strategy(net_accuracy=0.01)
    strict = strategy(net_accuracy=1.0)
    for s in (lenient, strict):
        observe(s, s.suggest(12))
        assert s.stop_reason() is None  # one round: nothing to test the network on yet
        observe(s, s.suggest(6), t0=100)
    accuracy = strict.newest_batch_accuracy()
    assert np.isfinite(accuracy) and accuracy == lenient.newest_batch_accuracy()
    assert "R^2" in lenient.stop_reason()
    assert strict.stop_reason() is None


def test_the_network_widens_the_search_box_too():
    net = strategy(model="net", net_members=2, search_box={"QAgNO3(%)": [10.0, 20.0]})
    design = net.suggest(12)
    observe(net, design)
    best = {**design[0].point, "QAgNO3(%)": 20.0}  # the best recipe sits on the box's edge
    y = spectrum_of(best)
    net.observe([Observation(best, -1.0, spectrum=Spectrum(WAVELENGTHS, y), time=50)])
    batch = net.suggest(6)
    assert {s.strategy for s in batch} == {"batch_bo:net"}
    assert net.search_box["QAgNO3(%)"][1] > 20.0
    assert "widened QAgNO3(%) high" in batch[0].reason


def test_network_accuracy_follows_replicates_measured_after_a_check():
    """A live campaign and the same one rebuilt from its observations agree."""

    def droplets(suggestions, scale, t0):
        spectra = [scale * spectrum_of(s.point) for s in suggestions]
        return [
            Observation(
                s.point, OBJECTIVE(WAVELENGTHS, y), spectrum=Spectrum(WAVELENGTHS, y), time=t0 + i
            )
            for i, (s, y) in enumerate(zip(suggestions, spectra, strict=True))
        ]

    live = strategy(net_accuracy=0.7, net_members=2)
    observations = droplets(live.suggest(12), 1.0, 0)
    live.observe(observations)
    batch = live.suggest(6)
    observations += droplets(batch, 0.3, 100)  # a bad first droplet of each recipe
    live.observe(observations)
    first = live.newest_batch_accuracy()
    for t0 in (200, 300):  # then two good ones
        observations += droplets(batch, 1.0, t0)
        live.observe(observations)
    rebuilt = strategy(net_accuracy=0.7, net_members=2)
    rebuilt.observe(observations)
    assert live.newest_batch_accuracy() == rebuilt.newest_batch_accuracy() != first


def test_the_network_takes_no_order_among_categorical_choices():
    solvents = ["water", "ethanol", "toluene", "dmf", "thf"]
    space = Space(
        (
            Dimension("t", low=0.0, high=1.0),
            Dimension("solvent", kind="categorical", choices=solvents),
        )
    )
    x_axis = np.linspace(0.0, 1.0, 8)
    objective = SpectrumObjective(x_axis, np.sin(3.0 * x_axis))
    net_strategy = BatchBO(
        space, q=2, n_initial=2, model="net", objective=objective, net_after=3, seed=0
    )
    t = np.random.default_rng(1).random(12)
    points = [
        {"t": float(ti), "solvent": solvent}
        for ti, solvent in zip(t, ["water", "thf"] * 6, strict=True)
    ]
    spectra = [(1.0 if p["solvent"] == "water" else -1.0) + p["t"] * x_axis for p in points]
    x = space.to_unit(points)
    net = net_strategy.fit_net(x, np.array(spectra))
    unit = space.to_unit([{"t": 0.5, "solvent": s} for s in ("ethanol", "dmf")])
    mean = net_strategy.net_losses(net, unit)[0]
    assert abs(mean[0] - mean[1]) < 1e-4  # by index, ethanol would lean to water
