"""Fluorescence replays count fluorescence, and counting noise needs ten transmitted counts."""

import numpy as np
import pytest

from simulators import KEdgeXAS, RecordedSpectrum
from tests.shared_data import SHARED_DATA

XAS = SHARED_DATA / "xas"
FE_PRE_EDGE, FE_POST_EDGE = 7050.0, 7300.0  # eV


@pytest.fixture
def xas_dir():
    if not XAS.is_dir():
        pytest.skip(f"measured XAS data not found at {XAS} (shared data absent)")
    return XAS


def fluorescence(path, i0=1e3, seed=0):
    return RecordedSpectrum.from_file(path, i0=i0, seed=seed, fluorescence="Sum_Fe_Ka")


def readings(sim, energy, n=4000):
    """(values of mu, their uncertainties, the other channels of the first), n readings."""
    channels = sim.measure_channels(np.full(n, energy))
    first = {name: float(v[0]) for name, v in channels.items()}
    spreads = [
        sim.uncertainties({name: float(v[k]) for name, v in channels.items()})["mu"]
        for k in range(n)
    ]
    first.pop("mu")
    return channels["mu"], np.array(spreads), first


def test_a_fluorescence_replay_counts_fluorescence_over_i0(xas_dir):
    # it drew transmission noise: pre-edge readings of -0.03 with {"i0": 1000, "i1": 628}
    # and an uncertainty of 0.040 at signal 0 as at 0.3
    sim = fluorescence(xas_dir / "fexanes_a.001")
    assert sim.channels == ("mu", "i0", "if")
    peak = sim.mu.max()
    pre, pre_spread, metadata = readings(sim, FE_PRE_EDGE)
    post, post_spread, _ = readings(sim, FE_POST_EDGE)
    assert set(metadata) == {"i0", "if"} and metadata["i0"] == 1e3
    assert metadata["if"] == round(metadata["if"])  # a count
    assert pre.min() >= 0 and post.min() >= 0
    counts = sim.measure_channels(np.full(50, FE_PRE_EDGE))
    np.testing.assert_allclose(counts["mu"], counts["if"] / 1e3 * peak)
    for values, energy in ((pre, FE_PRE_EDGE), (post, FE_POST_EDGE)):
        truth = sim.evaluate_true(energy)
        assert values.mean() == pytest.approx(truth, rel=0.05)  # unbiased
        expected_counts = 1e3 * truth / peak
        assert values.std() == pytest.approx(np.sqrt(expected_counts) / 1e3 * peak, rel=0.1)
    assert np.median(pre_spread) < 0.2 * np.median(post_spread)  # sqrt(If): less signal, less noise
    assert np.median(post_spread) == pytest.approx(post.std(), rel=0.1)


def test_the_fluorescence_counts_do_not_depend_on_the_units_of_i0(xas_dir, tmp_path):
    # with I0 recorded in hundreds of counts, Sum_Fe_Ka/i0 spans 37.9 and was refused at
    # i0 = 1e6 as transmission whose counts would be clipped
    lines = (xas_dir / "fexanes_a.001").read_text().splitlines()
    for k, line in enumerate(lines):
        if line.strip() and not line.startswith("#"):
            fields = line.split()
            fields[2] = repr(float(fields[2]) / 100)  # Column.3: I0
            lines[k] = " ".join(fields)
    path = tmp_path / "fexanes_i0_per_100.001"
    path.write_text("\n".join(lines) + "\n")
    energies = np.linspace(7040.0, 7340.0, 30)
    scaled = fluorescence(path, i0=1e6).measure_channels(energies)
    original = fluorescence(xas_dir / "fexanes_a.001", i0=1e6).measure_channels(energies)
    np.testing.assert_array_equal(scaled["if"], original["if"])
    np.testing.assert_allclose(scaled["mu"], 100 * original["mu"], rtol=1e-6)


def test_a_replay_rebuilt_with_its_flag_stays_fluorescent(xas_dir):
    """As ``adaptive.simulate.with_noise`` rebuilds a replay with the CLI's noise."""
    read = RecordedSpectrum.from_file(xas_dir / "fexanes_a.001", fluorescence="Sum_Fe_Ka")
    assert read.channels == ("mu", "i0", "if") and read.uncertainties({}) == {}
    sim = RecordedSpectrum(read.energy, read.mu, i0=1e3, seed=0, fluorescent=read.fluorescent)
    assert sim.fluorescent and sim.measure_channels(FE_PRE_EDGE)["mu"] >= 0
    noise_free = read.measure_channels(np.array([FE_PRE_EDGE, FE_POST_EDGE]))
    np.testing.assert_allclose(noise_free["if"], noise_free["mu"] / read.mu.max())


def fluorescence_xdi(tmp_path, ratio):
    """An XDI file of ``ratio`` (41,) = Sum_Fe_Ka / I0 over 8900-9100 eV."""
    energy = np.linspace(8900.0, 9100.0, 41)
    rows = "".join(f"{e} 1e5 {1e5 * r:.3f}\n" for e, r in zip(energy, ratio, strict=True))
    path = tmp_path / "fluorescence.xdi"
    path.write_text(
        "#XDI/1.1\n# Column.1: energy eV\n# Column.2: I0\n# Column.3: Sum_Fe_Ka\n" + rows
    )
    return path


def test_a_ratio_dipping_below_zero_is_counted_from_its_minimum(tmp_path):
    energy = np.linspace(8900.0, 9100.0, 41)
    ratio = np.arctan((energy - 9000.0) / 5.0) / np.pi  # -0.484 .. 0.484: background subtracted
    sim = fluorescence(fluorescence_xdi(tmp_path, ratio))
    assert sim.mu_offset == pytest.approx(0.484, abs=1e-3)
    lowest = sim.measure_channels(np.full(100, 8900.0))
    np.testing.assert_array_equal(lowest["if"], 0.0)  # nothing to count at the minimum
    np.testing.assert_allclose(lowest["mu"], sim.mu.min())
    top = sim.measure_channels(np.full(2000, 9100.0))
    assert top["if"].mean() == pytest.approx(1e3, rel=0.01)  # i0 counts at the highest mu
    assert top["mu"].mean() == pytest.approx(sim.mu.max(), rel=0.01)


def test_a_ratio_flat_at_zero_is_refused_as_counting_nothing(tmp_path):
    path = fluorescence_xdi(tmp_path, np.zeros(41))
    with pytest.raises(ValueError, match=r"^Sum_Fe_Ka/i0 is 0 at every energy, so it counts no"):
        fluorescence(path)


@pytest.mark.parametrize(
    "source", ["cu_metal_rt.xdi", "fexanes_a.001", "two_column/cu_metal_rt.csv"]
)
def test_transmission_replays_draw_the_same_counts_as_before(xas_dir, source):
    sim = RecordedSpectrum.from_file(xas_dir / source, i0=1e6, seed=0)
    assert sim.channels == ("mu", "i0", "i1") and not sim.fluorescent
    energies = np.linspace(sim.energy[0], sim.energy[-1], 4)
    before = {
        "cu_metal_rt.xdi": [586036.0, 55658.0, 87968.0, 123689.0],
        "fexanes_a.001": [516806.0, 513509.0, 556214.0, 606767.0],
        "two_column/cu_metal_rt.csv": [586036.0, 55658.0, 87968.0, 123689.0],
    }
    np.testing.assert_array_equal(sim.measure_channels(energies)["i1"], before[source])


def test_kedge_needs_ten_transmitted_counts_at_its_peak():
    # --noise-counts 10 passed with ~1.1 expected counts at the peak: readings of 0 and 1
    # count both read 1.3026, NRMSE 0.373; mu + mu_offset peaks at 2.2208 = ln(9.215)
    with pytest.raises(
        ValueError,
        match=r"exceeds ln\(i0 / 10\) = 0 \(i0 = 10\), so under 10 transmitted counts are "
        r"expected there and many noisy readings would clip at ln\(i0\) - mu_offset; .*raise i0 "
        r"to at least 93,",
    ):
        KEdgeXAS(i0=10.0)
    with pytest.raises(ValueError, match="raise i0 to at least 93,"):
        KEdgeXAS(i0=92.0)
    counts = KEdgeXAS(i0=93.0, seed=0).measure_channels(np.full(20000, 8982.16))["i1"]
    assert counts.mean() > 9.8 and np.mean(counts <= 1) < 0.002


def test_a_replay_needs_ten_transmitted_counts_through_its_span(xas_dir):
    # ln(i0/i1) of fexanes_a spans 0.175: with the 0.5 headroom i0 needs 10 exp(0.675) = 19.6
    path = xas_dir / "fexanes_a.001"
    with pytest.raises(
        ValueError,
        match=r"more than the ln\(i0 / 10\) - 0\.5 = 0\.142 that counting noise at i0 = 19 "
        r"can express: under 10 transmitted counts .* or raise i0 to at least 20$",
    ):
        RecordedSpectrum.from_file(path, i0=19.0, seed=0)
    RecordedSpectrum.from_file(path, i0=20.0, seed=0)
