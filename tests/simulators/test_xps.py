import numpy as np
import pytest
from scipy.integrate import quad

from simulators import PHOTON_ENERGY_AL_KA, XPSSimulator
from simulators.base import MAX_COUNTS
from simulators.lineshapes import xps_peak
from simulators.xps import MAX_SNR, TOUGAARD_C


def peak(e, center, fwhm, eta, asymmetry):
    with np.errstate(over="ignore", divide="ignore"):  # far asymmetric tails underflow to 0
        return xps_peak(e, center, fwhm, eta, asymmetry)


def components(batch, i):
    """Truth arrays of spectrum i cut to its n_peaks components."""
    k = batch.n_peaks[i]
    return (batch.center[i, :k], batch.fwhm[i, :k], batch.eta[i, :k], batch.asymmetry[i, :k])


def test_same_seed_gives_same_batch_and_other_seeds_differ():
    sim = XPSSimulator(asymmetric_fraction=0.5)
    a, b, c = sim.sample(64, 7), sim.sample(64, 7), sim.sample(64, 8)
    for name in ("energy", "counts", "center", "fwhm", "height", "area", "snr", "kinetic"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert not np.allclose(a.counts[:, :5], c.counts[:, :5])


def test_shapes_padding_and_axes():
    batch = XPSSimulator(n_points=120, peaks=(1, 6)).sample(300, 0)
    assert batch.energy.shape == batch.counts.shape == batch.signal.shape == (300, 120)
    assert batch.background.shape == (300, 120)
    assert batch.center.shape == batch.height.shape == batch.area.shape == (300, 6)
    assert batch.n_peaks.min() >= 1 and batch.n_peaks.max() <= 6
    assert set(np.unique(batch.n_peaks)) == set(range(1, 7))
    used = np.arange(6) < batch.n_peaks[:, None]
    for name in ("center", "fwhm", "eta", "asymmetry", "height", "area"):
        values = getattr(batch, name)
        assert np.all(np.isfinite(values[used])) and np.all(np.isnan(values[~used])), name
    for i in range(300):
        assert np.all(np.diff(batch.center[i, : batch.n_peaks[i]]) > 0)
    step = np.diff(batch.energy, axis=1)
    assert np.all(step > 0)
    np.testing.assert_allclose(step, np.broadcast_to(step[:, :1], step.shape), rtol=1e-8)
    assert np.all((step[:, 0] >= 0.05) & (step[:, 0] <= 0.2))


def test_signal_is_the_sum_of_the_reported_components():
    batch = XPSSimulator(asymmetric_fraction=0.5, doublet_fraction=0.5).sample(100, 1)
    binding = batch.binding_energy()
    for i in range(100):
        center, fwhm, eta, asymmetry = components(batch, i)
        height = batch.height[i, : batch.n_peaks[i]]
        shapes = peak(binding[i, :, None], center, fwhm, eta, asymmetry)
        np.testing.assert_allclose(batch.signal[i], shapes @ height, rtol=1e-9, atol=1e-9)


def test_neighbours_keep_min_separation_and_peaks_stay_inside_window():
    for settings in (
        {"min_separation": 1.5, "doublet_fraction": 0.5},
        # Five wide peaks in narrow windows cannot all fit: widths are shrunk, never a hang.
        {"peaks": (5, 5), "fwhm": (2.5, 3.0), "step": (0.05, 0.06), "doublet_fraction": 0.0},
        {"peaks": (4, 4), "fwhm": (2.5, 3.0), "step": (0.05, 0.06), "doublet_fraction": 1.0},
    ):
        sim = XPSSimulator(**settings)
        batch = sim.sample(400, 2)
        binding = batch.binding_energy()
        low, high = binding.min(axis=1), binding.max(axis=1)
        for i in range(400):
            center, fwhm, _, _ = components(batch, i)
            gap = np.diff(center)
            need = sim.min_separation * (fwhm[:-1] + fwhm[1:]) / 2
            assert np.all(gap >= need - 1e-9), (settings, i)
            assert np.all(center - 2 * fwhm >= low[i] - 1e-9), (settings, i)
            assert np.all(center + 2 * fwhm <= high[i] + 1e-9), (settings, i)
            assert np.all(fwhm > 0)


def test_without_crowding_widths_stay_in_their_range():
    batch = XPSSimulator(fwhm=(0.7, 1.3)).sample(500, 3)
    fwhm = batch.fwhm[np.isfinite(batch.fwhm)]
    assert fwhm.min() >= 0.7 and fwhm.max() <= 1.3


def test_doublets_share_shape_and_have_spin_orbit_area_ratios():
    batch = XPSSimulator(peaks=(2, 6), doublet_fraction=1.0, asymmetric_fraction=0.5).sample(300, 4)
    assert np.all(batch.n_peaks % 2 == 0)
    ratios = []
    for i in range(300):
        center, fwhm, eta, asymmetry = components(batch, i)
        area = batch.area[i, : batch.n_peaks[i]]
        u = batch.n_peaks[i] // 2
        main, partner = slice(0, u), slice(u, 2 * u)
        np.testing.assert_array_equal(fwhm[main], fwhm[partner])
        np.testing.assert_array_equal(eta[main], eta[partner])
        np.testing.assert_array_equal(asymmetry[main], asymmetry[partner])
        splitting = center[partner] - center[main]
        np.testing.assert_allclose(splitting, splitting[0], rtol=1e-9)
        ratio = area[partner] / area[main]
        np.testing.assert_allclose(ratio, ratio[0], rtol=1e-9)
        ratios.append(ratio[0])
    # p 1:2, d 2:3, f 3:4 and the lower-binding-energy component is the larger.
    kinds = np.array([1 / 2, 2 / 3, 3 / 4])
    nearest = np.abs(np.array(ratios)[:, None] - kinds).min(axis=1)
    assert nearest.max() < 1e-9
    assert set(np.abs(np.array(ratios)[:, None] - kinds).argmin(axis=1)) == {0, 1, 2}


def test_no_doublet_possible_keeps_singlets():
    batch = XPSSimulator(peaks=(3, 3), doublet_fraction=1.0).sample(50, 5)
    assert np.all(batch.n_peaks == 3)


def test_largest_peak_has_factor_one_and_others_follow_relative_height():
    batch = XPSSimulator(doublet_fraction=0.0, relative_height=(0.4, 0.9)).sample(300, 6)
    relative = batch.height / np.nanmax(batch.height, axis=1, keepdims=True)
    relative = relative[np.isfinite(relative)]
    assert np.sum(relative == 1.0) == 300
    others = relative[relative < 1.0]
    assert others.min() >= 0.4 and others.max() <= 0.9


def test_kinetic_axis_is_the_reversed_binding_axis():
    binding_batch = XPSSimulator(kinetic_fraction=0.0).sample(40, 9)
    kinetic_batch = XPSSimulator(kinetic_fraction=1.0).sample(40, 9)
    assert not binding_batch.kinetic.any() and kinetic_batch.kinetic.all()
    np.testing.assert_array_equal(kinetic_batch.center, binding_batch.center)
    np.testing.assert_allclose(
        kinetic_batch.energy, PHOTON_ENERGY_AL_KA - binding_batch.energy[:, ::-1], rtol=1e-12
    )
    np.testing.assert_array_equal(kinetic_batch.counts, binding_batch.counts[:, ::-1])
    np.testing.assert_allclose(
        kinetic_batch.binding_energy(), binding_batch.energy[:, ::-1], atol=1e-9
    )


def test_single_peak_sits_at_its_binding_energy_on_a_kinetic_axis():
    batch = XPSSimulator(peaks=(1, 1), kinetic_fraction=1.0).sample(50, 10)
    binding = batch.binding_energy()
    assert np.all(np.diff(binding, axis=1) < 0)
    top = binding[np.arange(50), batch.signal.argmax(axis=1)]
    step = np.abs(binding[:, 1] - binding[:, 0])
    assert np.all(np.abs(top - batch.center[:, 0]) <= step / 2 + 1e-9)


@pytest.mark.parametrize("noise", ["gaussian", "poisson"])
def test_snr_is_realised_at_the_largest_peak(noise):
    sim = XPSSimulator(noise=(noise,), snr=(5.0, 50.0), kinetic_fraction=0.0)
    batch = sim.sample(3000, 11)
    rows = np.arange(3000)
    largest = np.nanargmax(batch.height, axis=1)
    top = np.abs(batch.energy - batch.center[rows, largest][:, None]).argmin(axis=1)
    mean = batch.signal + batch.background
    scaled = (batch.counts - mean)[rows, top] * batch.snr / batch.height[rows, largest]
    assert abs(np.std(scaled) - 1.0) < 0.05
    assert np.all(batch.snr >= 5.0) and np.all(batch.snr <= 50.0)
    if noise == "poisson":
        assert np.all(batch.counts == np.round(batch.counts)) and batch.counts.min() >= 0


def test_area_is_the_integral_of_each_component():
    batch = XPSSimulator(asymmetric_fraction=0.7, asymmetry=(0.0, 1.0)).sample(30, 12)
    checked = 0
    for i in range(30):
        for p in range(batch.n_peaks[i]):
            w, eta, a, h = (
                batch.fwhm[i, p],
                batch.eta[i, p],
                batch.asymmetry[i, p],
                batch.height[i, p],
            )
            shape = (0.0, w, eta, a)
            integral = h * sum(
                quad(lambda x, s=shape: peak(x, *s), lo, hi, epsabs=0, epsrel=1e-11)[0]
                for lo, hi in ((-np.inf, 0.0), (0.0, np.inf))
            )
            np.testing.assert_allclose(batch.area[i, p], integral, rtol=1e-6)
            checked += a > 0
    assert checked > 20


def rise(batch):
    """Background change across the window in units of the largest height, (n,)."""
    largest = np.nanmax(batch.height, axis=1)
    return (batch.background[:, -1] - batch.background[:, 0]) / largest


@pytest.mark.parametrize("kind", ["shirley", "linear", "tougaard"])
def test_backgrounds_are_positive_with_offset_and_bounded_rise(kind):
    batch = XPSSimulator(backgrounds=(kind,), kinetic_fraction=0.0).sample(300, 13)
    largest = np.nanmax(batch.height, axis=1)
    offset = batch.background.min(axis=1) / largest
    assert offset.min() >= 0.1 - 1e-9 and offset.max() <= 1.0 + 1e-9
    change = np.abs(rise(batch))
    assert change.min() >= 0.05 - 1e-9 and change.max() <= 0.6 + 1e-9


def test_shirley_background_rises_with_the_cumulative_signal():
    batch = XPSSimulator(backgrounds=("shirley",), kinetic_fraction=0.0).sample(200, 14)
    assert np.all(np.diff(batch.background, axis=1) >= -1e-9)
    cumulative = np.cumsum(batch.signal, axis=1)
    shape = (batch.background - batch.background[:, :1]) / (
        batch.background[:, -1:] - batch.background[:, :1]
    )
    expected = (cumulative - cumulative[:, :1]) / (cumulative[:, -1:] - cumulative[:, :1])
    np.testing.assert_allclose(shape, expected, atol=1e-3)


def test_linear_background_is_a_straight_line_of_either_sign():
    batch = XPSSimulator(backgrounds=("linear",)).sample(200, 15)
    np.testing.assert_allclose(
        np.diff(batch.background, 2, axis=1), 0.0, atol=1e-9 * batch.background.max()
    )
    assert (rise(batch) > 0).any() and (rise(batch) < 0).any()


def test_tougaard_background_is_the_loss_convolution_on_the_high_binding_side():
    batch = XPSSimulator(backgrounds=("tougaard",), kinetic_fraction=0.0).sample(20, 16)
    for i in range(20):
        step = batch.energy[i, 1] - batch.energy[i, 0]
        loss = step * np.arange(batch.energy.shape[1])
        kernel = loss / (TOUGAARD_C + loss**2) ** 2
        direct = np.convolve(batch.signal[i], kernel)[: loss.size]
        background = batch.background[i] - batch.background[i, 0]
        np.testing.assert_allclose(background / background[-1], direct / direct[-1], atol=1e-9)


@pytest.mark.parametrize(
    ("settings", "match"),
    [
        ({"n_points": 1}, "n_points"),
        ({"peaks": (0, 3)}, "peaks"),
        ({"peaks": (2, 9)}, "peaks"),
        ({"peaks": (3, 2)}, "peaks"),
        ({"peaks": (1.5, 3)}, "peaks"),
        ({"fwhm": (0.0, 1.0)}, "fwhm"),
        ({"fwhm": 1.0}, "fwhm"),
        ({"min_separation": -0.1}, "min_separation"),
        ({"snr": (-1.0, 10.0)}, "snr"),
        ({"relative_height": (0.5, 1.5)}, "relative_height"),
        ({"step": (0.1, 0.05)}, "step"),
        ({"eta": (0.0, 1.2)}, "eta"),
        ({"asymmetric_fraction": 1.5}, "asymmetric_fraction"),
        ({"asymmetry": (-0.1, 0.2)}, "asymmetry"),
        ({"doublet_fraction": -0.1}, "doublet_fraction"),
        ({"backgrounds": "shirley"}, "backgrounds"),
        ({"backgrounds": ("shirley", "polynomial")}, "backgrounds"),
        ({"backgrounds": ()}, "backgrounds"),
        ({"noise": ("poisson", "poisson")}, "noise"),
        ({"kinetic_fraction": 2.0}, "kinetic_fraction"),
        ({"photon_energy": 600.0}, "photon_energy"),
        ({"n_points": 10_000, "step": (0.1, 0.2)}, "n_points"),
        # infinite, oversized or non-numeric settings, once a builtin crash in sample()
        ({"fwhm": (0.5, np.inf)}, "fwhm must be a .* pair of finite numbers"),
        ({"snr": (20.0, np.inf)}, "snr must be a .* pair of finite numbers"),
        ({"snr": (1e10, 1e10)}, r"snr must satisfy 0 < low <= high <= 1000000.0"),
        ({"fwhm": ("0.5", "3")}, "fwhm must be a .* pair of finite numbers"),
        ({"min_separation": "1"}, "min_separation must be finite and >= 0, got '1'"),
        ({"photon_energy": "1486.6"}, "photon_energy must be a number above 1200.0 eV"),
        ({"asymmetric_fraction": "1"}, "asymmetric_fraction must lie in"),
    ],
)
def test_bad_settings_raise_value_error_naming_them(settings, match):
    with pytest.raises(ValueError, match=match):
        XPSSimulator(**settings).sample(4, 0)


def test_the_largest_snr_samples_and_counts_beyond_poisson_name_snr():
    batch = XPSSimulator(snr=(MAX_SNR, MAX_SNR), noise=("poisson",)).sample(50, 0)
    assert np.isfinite(batch.counts).all() and batch.counts.max() < MAX_COUNTS
    # peaks far narrower than the step blow the Tougaard background up past MAX_COUNTS
    degenerate = XPSSimulator(
        n_points=1000,
        peaks=(8, 8),
        fwhm=(1e-4, 1e-3),
        step=(1.0, 1.1),
        snr=(MAX_SNR, MAX_SNR),
        backgrounds=("tougaard",),
        noise=("poisson",),
    )
    with pytest.raises(ValueError, match=r"snr \(1000000.0, 1000000.0\) makes expected counts"):
        degenerate.sample(200, 3)


@pytest.mark.parametrize("n", [0, -3, 2.0, True])
def test_bad_batch_size_raises(n):
    with pytest.raises(ValueError, match="n must be"):
        XPSSimulator().sample(n, 0)


def test_numpy_integers_count_as_ints_for_every_setting():
    # XPSSimulator took np.int64 for sample's n but refused it for n_points
    batch = XPSSimulator(n_points=np.int64(64)).sample(np.int64(2), np.int64(0))
    assert batch.counts.shape == (2, 64)
    with pytest.raises(ValueError, match="n_points must be an int >= 2, got True"):
        XPSSimulator(n_points=True)
