import time

import numpy as np
import pytest

import drivers
import simulators.agnp as agnp
from adaptive.client import InstrumentStateError
from adaptive.errors import InvalidParameterError, OutOfSpaceError
from drivers import SimulatedInstrument, SynthesisInstrument, replay_instrument
from simulators import KEdgeXAS, read_two_column
from tests.shared_data import SHARED_DATA

DATA = SHARED_DATA
CU_CSV = DATA / "xas" / "two_column" / "cu_metal_rt.csv"


def test_noise_free_read_returns_primary_channel():
    sim = KEdgeXAS(i0=None)
    instrument = SimulatedInstrument(sim)
    assert isinstance(instrument, drivers.Instrument)
    assert isinstance(instrument, drivers.Movable) and isinstance(instrument, drivers.Readable)
    instrument.move({"energy": 8990.0})
    reading = instrument.read()
    assert isinstance(reading, drivers.Reading)
    assert reading.value == pytest.approx(float(sim.evaluate_true(8990.0)), rel=1e-12)
    assert set(reading.metadata) == {"i0", "i1"}
    assert "mu" not in reading.metadata
    assert reading.uncertainty is None
    assert reading.spectrum is None


def test_noisy_read_has_uncertainty():
    sim = KEdgeXAS(i0=1e6, seed=1)
    instrument = SimulatedInstrument(sim, dimension="E")
    instrument.move({"E": 9000.0})
    reading = instrument.read()
    assert reading.metadata["i0"] == 1e6
    assert reading.uncertainty is not None
    assert reading.uncertainty == pytest.approx(reading.metadata["i1"] ** -0.5)
    truth = float(sim.evaluate_true(9000.0))
    assert reading.value != truth
    assert abs(reading.value - truth) < 10 * reading.uncertainty


@pytest.mark.parametrize("channel", ["i1", "i0"])
def test_uncertainty_belongs_to_the_reported_channel(channel):
    instrument = SimulatedInstrument(KEdgeXAS(i0=1e6, seed=1), channel=channel)
    instrument.move({"energy": 9000.0})
    reading = instrument.read()
    if channel == "i1":
        assert reading.uncertainty == pytest.approx(reading.value**0.5)
    else:
        assert reading.uncertainty is None


@pytest.mark.parametrize("channel", ["mu", "i1"])
def test_a_zero_count_reading_still_reports_its_uncertainty(channel):
    # a reading of 0 transmitted counts had none, which turned a scan to learned noise
    simulator = KEdgeXAS(i0=None, seed=0)
    simulator.i0 = 10.0  # ~1 count at the edge: refused since (MIN_TRANSMITTED), drawn here
    instrument = SimulatedInstrument(simulator, channel=channel)
    instrument.move({"energy": 9050.0})
    readings = [instrument.read() for _ in range(60)]
    zeros = [r for r in readings if r.metadata.get("i1", r.value) == 0]
    assert zeros, "no reading of 0 counts to check"
    assert all(r.uncertainty == 1.0 for r in zeros)  # sd of 0 counts read as 1 count


def test_other_channel_as_value():
    instrument = SimulatedInstrument(KEdgeXAS(i0=None), channel="i1")
    instrument.move({"energy": 9000.0})
    reading = instrument.read()
    assert 0 < reading.value < 1
    assert set(reading.metadata) == {"mu", "i0"}
    with pytest.raises(InvalidParameterError, match="channel='fluo'.*pass one of them"):
        SimulatedInstrument(KEdgeXAS(i0=None), channel="fluo")


@pytest.mark.parametrize(
    "instrument",
    [SimulatedInstrument(KEdgeXAS(i0=None)), SynthesisInstrument(agnp.AgNPSynthesis(seed=0))],
    ids=["simulated", "synthesis"],
)
def test_read_before_move_raises_a_typed_error_saying_to_move_first(instrument):
    with pytest.raises(InstrumentStateError, match=r"read before move: .*move\(point\) first"):
        instrument.read()
    assert issubclass(InstrumentStateError, RuntimeError)  # as the builtin raised before


@pytest.mark.parametrize(
    ("point", "error", "match"),
    [
        ({"energy": 8000.0}, OutOfSpaceError, "energy=8000.0 is outside .*create the campaign"),
        ({"energy": 20000.0}, OutOfSpaceError, "energy=20000.0 is outside"),
        ({"x": 9000.0}, InvalidParameterError, "no 'energy' coordinate.*dimension="),
        ({"energy": "high"}, InvalidParameterError, "energy='high' is not a number"),
    ],
)
def test_bad_move_raises_a_typed_error_that_says_the_fix(point, error, match):
    instrument = SimulatedInstrument(KEdgeXAS(i0=None))
    with pytest.raises(error, match=match):
        instrument.move(point)
    assert instrument.energy is None


def test_a_reading_is_timed_when_taken():
    before = time.time()
    reading = drivers.Reading(value=1.0)
    assert before <= reading.time <= time.time()
    assert drivers.Reading(value=1.0, time=1.5e9).time == 1.5e9


def agnp_recipe() -> dict:
    """A recipe inside ``BOUNDS`` whose four fractions sum to less than 100 %."""
    recipe = {f: (low + high) / 2 for f, (low, high) in agnp.BOUNDS.items()}
    recipe.update({f: agnp.BOUNDS[f][0] for f in agnp.FACTORS[:4]})
    return recipe


def test_synthesis_readings_own_their_wavelengths():
    instrument = SynthesisInstrument(agnp.AgNPSynthesis(seed=0))
    instrument.move(agnp_recipe())
    first = instrument.read()
    assert first.value is None and first.spectrum["x_units"] == "nm"
    assert not np.shares_memory(first.spectrum["x"], agnp.WAVELENGTHS)
    first.spectrum["x"] /= 1000.0  # the caller converts its copy to micrometres
    second = instrument.read()
    np.testing.assert_array_equal(second.spectrum["x"], np.arange(380.0, 801.0, 1.0))
    assert second.spectrum["x"].shape == second.spectrum["y"].shape


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        ({"Qpva(%)": None}, InvalidParameterError, r"lacks \['Qpva\(%\)'\].*BOUNDS"),
        ({"Qpva(%)": "lots"}, InvalidParameterError, "non-number"),
        ({"Qtot(uL/min)": 5000.0}, OutOfSpaceError, "outside its bounds"),
        ({"QAgNO3(%)": 42.0, "Qpva(%)": 40.0, "Qtsc(%)": 30.0}, OutOfSpaceError, "sum to"),
    ],
)
def test_synthesis_bad_recipe_raises_a_typed_error_that_says_the_fix(change, error, match):
    recipe = {**agnp_recipe(), **change}
    recipe = {f: v for f, v in recipe.items() if v is not None}
    instrument = SynthesisInstrument(agnp.AgNPSynthesis(seed=0))
    with pytest.raises(error, match=match):
        instrument.move(recipe)
    assert instrument.recipe is None


def test_replay_returns_recorded_mu():
    if not CU_CSV.is_file():
        pytest.skip(f"recorded Cu spectrum not found at {CU_CSV} (shared data absent)")
    energy, mu = read_two_column(CU_CSV)
    instrument = replay_instrument(CU_CSV)
    assert isinstance(instrument, drivers.Instrument)
    for k in (0, len(energy) // 2, len(energy) - 1):
        instrument.move({"energy": float(energy[k])})
        reading = instrument.read()
        # PCHIP evaluated at a knot: the recorded value up to floating-point rounding
        assert reading.value == pytest.approx(float(mu[k]), rel=1e-12, abs=1e-15)
        assert reading.uncertainty is None
    with pytest.raises(ValueError):
        instrument.move({"energy": float(energy[0]) - 10.0})


def test_replay_reads_a_named_column_as_mu_as_the_cli_does():
    # replay_instrument lacked the column the CLI's --column and RecordedSpectrum take
    path = CU_CSV.parents[1] / "cu_metal_rt.xdi"
    if not path.is_file():
        pytest.skip(f"recorded Cu XDI scan not found at {path} (shared data absent)")
    instrument = replay_instrument(path, column="itrans")
    energy, itrans = np.loadtxt(path, usecols=(0, 2), unpack=True)
    k = len(energy) // 2
    instrument.move({"energy": float(energy[k])})
    assert instrument.read().value == pytest.approx(float(itrans[k]), rel=1e-9)
