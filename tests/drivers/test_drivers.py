from pathlib import Path

import pytest

import drivers
from drivers import SimulatedInstrument, replay_instrument
from simulators import KEdgeXAS, read_two_column

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
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


def test_other_channel_as_value():
    instrument = SimulatedInstrument(KEdgeXAS(i0=None), channel="i1")
    instrument.move({"energy": 9000.0})
    reading = instrument.read()
    assert 0 < reading.value < 1
    assert set(reading.metadata) == {"mu", "i0"}
    with pytest.raises(ValueError, match="channel"):
        SimulatedInstrument(KEdgeXAS(i0=None), channel="fluo")


def test_read_before_move_raises():
    with pytest.raises(RuntimeError, match="move"):
        SimulatedInstrument(KEdgeXAS(i0=None)).read()


@pytest.mark.parametrize("point", [{"energy": 8000.0}, {"energy": 20000.0}, {"x": 9000.0}])
def test_bad_move_raises_value_error(point):
    instrument = SimulatedInstrument(KEdgeXAS(i0=None))
    with pytest.raises(ValueError):
        instrument.move(point)
    assert instrument.energy is None


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
