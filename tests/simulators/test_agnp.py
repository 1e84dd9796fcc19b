import csv
import itertools

import numpy as np
import pytest

from simulators import AgNPSynthesis, PoolEmulator
from simulators.agnp import (
    BOUNDS,
    DEFAULT_PARAMS,
    FACTORS,
    MAX_DROPLETS,
    MIN_PRISM_WIDTH,
    WAVELENGTHS,
    calibrate,
    check_recipes,
)
from tests.shared_data import SHARED_DATA

DATA = SHARED_DATA / "synthesis"
needs_data = pytest.mark.skipif(
    not (DATA / "agnp_run1_spectra.csv").is_file(),
    reason=f"run-1 AgNP spectra not found under {DATA} (shared data absent)",
)

RECIPE = {
    "QAgNO3(%)": 15.0,
    "Qpva(%)": 25.0,
    "Qtsc(%)": 10.0,
    "Qseed(%)": 8.0,
    "Qtot(uL/min)": 500.0,
}


def prism_peak(sim, recipe):
    """Wavelength of the absorbance maximum above 480 nm (the in-plane band)."""
    s = sim.spectrum_true(recipe)
    red = WAVELENGTHS > 480
    return WAVELENGTHS[red][s[red].argmax()]


def linear_width(x):
    """(n,) in-plane band sigma of the linear width law before its floor, nm; x: (n, 5)."""
    p = DEFAULT_PARAMS
    center = (
        p["prism_center"]
        + p["prism_shift_ratio"] * np.log(x[:, 0] / x[:, 3])
        + p["prism_shift_tsc"] * np.log(x[:, 2] / 10)
    )
    return p["prism_width"] * (1 + p["prism_width_slope"] * (center - 500) / 100)


def test_shapes_and_positivity():
    sim = AgNPSynthesis(seed=0)
    assert WAVELENGTHS.shape == (421,) and WAVELENGTHS[0] == 380 and WAVELENGTHS[-1] == 800
    s = sim.spectrum_true(RECIPE)
    assert s.shape == (421,) and np.all(s > 0)
    np.testing.assert_array_equal(sim.spectrum_true([RECIPE[f] for f in FACTORS]), s)
    assert sim.measure(RECIPE).shape == (1, 421)
    assert sim.measure(RECIPE, n_droplets=7).shape == (7, 421)
    rng = np.random.default_rng(0)
    lo = np.array([BOUNDS[f][0] for f in FACTORS])
    hi = np.array([BOUNDS[f][1] for f in FACTORS])
    x = lo + rng.random((2000, 5)) * (hi - lo)
    x = x[x[:, :4].sum(axis=1) <= 100]
    y = sim.spectra_true(x)
    assert y.shape == (len(x), 421) and np.all(y > 0) and np.all(np.isfinite(y))
    np.testing.assert_allclose(y[3], sim.spectrum_true(x[3]))


def test_band_red_shifts_as_seed_falls_relative_to_silver():
    sim = AgNPSynthesis()
    peaks = [prism_peak(sim, {**RECIPE, "Qseed(%)": seed}) for seed in (16.0, 8.0, 4.0, 2.0)]
    assert all(b > a + 10 for a, b in zip(peaks, peaks[1:], strict=False)), peaks
    assert 480 < peaks[0] < peaks[-1] < 750


def test_band_blue_shifts_with_citrate_and_absorbance_falls_with_flow():
    sim = AgNPSynthesis()
    much, little = ({**RECIPE, "Qtsc(%)": tsc} for tsc in (25.0, 3.0))
    assert prism_peak(sim, much) < prism_peak(sim, little) - 20
    slow = sim.spectrum_true({**RECIPE, "Qtot(uL/min)": 200.0})
    fast = sim.spectrum_true({**RECIPE, "Qtot(uL/min)": 983.0})
    assert np.all(fast < slow)
    more_silver = sim.spectrum_true({**RECIPE, "QAgNO3(%)": 30.0})
    assert more_silver.max() > sim.spectrum_true(RECIPE).max()


def test_seeded_noise_is_reproducible_and_droplets_spread():
    a, b, c = (AgNPSynthesis(seed=s).measure(RECIPE, n_droplets=20) for s in (1, 1, 2))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    true = AgNPSynthesis().spectrum_true(RECIPE)
    scale = (a @ true) / (true @ true)
    assert 0.02 < scale.std() < 0.15  # intensity jitter about 6 %
    assert np.abs(np.median(a, axis=0) / true - 1).mean() < 0.05  # unbiased around the truth


def test_droplets_draw_the_same_noise_in_one_call_or_many():
    together = AgNPSynthesis(seed=1).measure(RECIPE, n_droplets=4)
    one_by_one = AgNPSynthesis(seed=1)
    np.testing.assert_array_equal(
        together, np.vstack([one_by_one.measure(RECIPE) for _ in range(4)])
    )


def test_in_plane_band_stays_broad_at_every_corner_of_the_bounds():
    corners = [c for c in itertools.product(*(BOUNDS[f] for f in FACTORS)) if sum(c[:4]) <= 100]
    y = AgNPSynthesis().spectra_true(np.array(corners))
    # A sigma under ~5 nm would show as a spike with a second difference >= 0.01.
    assert np.abs(np.diff(y, 2, axis=1)).max() < 0.005
    # Silver-poor, seed- and citrate-rich: the linear law gives 0.55 nm at a 426 nm band;
    # floored, the band is that of a slope-free law of width MIN_PRISM_WIDTH.
    blue = [4.53, 9.99, 30.5, 19.5, 200.0]
    assert linear_width(np.array([blue]))[0] < 1
    broad = AgNPSynthesis(params={"prism_width_slope": 0.0, "prism_width": MIN_PRISM_WIDTH})
    np.testing.assert_allclose(AgNPSynthesis().spectrum_true(blue), broad.spectrum_true(blue))


def test_noise_free_measure_equals_truth():
    sim = AgNPSynthesis(intensity_jitter=0, position_jitter=0, noise=0, seed=0)
    np.testing.assert_allclose(sim.measure(RECIPE, 3), np.tile(sim.spectrum_true(RECIPE), (3, 1)))


@pytest.mark.parametrize(
    ("recipe", "match"),
    [
        ({**RECIPE, "Qwater(%)": 1.0}, "unknown factor"),
        ({k: v for k, v in RECIPE.items() if k != "Qpva(%)"}, "missing factor"),
        ({**RECIPE, "Qtsc(%)": float("nan")}, "Qtsc.*finite"),
        # float() took text and a bool: True was a 1 % flow
        (
            {**RECIPE, "Qpva(%)": "25", "Qseed(%)": True},
            r"\{'Qpva\(%\)': '25', 'Qseed\(%\)': True\}",
        ),
        ({**RECIPE, "Qpva(%)": None}, "must be real numbers"),
        ({**RECIPE, "Qseed(%)": 25.0}, "Qseed.*outside"),
        ({**RECIPE, "Qtot(uL/min)": 100.0}, "Qtot.*outside"),
        ({**RECIPE, "QAgNO3(%)": 40.0, "Qpva(%)": 40.0, "Qtsc(%)": 20.0}, "sum to"),
        ([1.0, 2.0, 3.0], "shape"),
    ],
)
def test_bad_recipes_raise(recipe, match):
    sim = AgNPSynthesis(seed=0)
    with pytest.raises(ValueError, match=match):
        sim.spectrum_true(recipe)
    with pytest.raises(ValueError, match=match):
        sim.measure(recipe)


def test_bad_settings_raise():
    with pytest.raises(ValueError, match="n_droplets"):
        AgNPSynthesis(seed=0).measure(RECIPE, n_droplets=0)
    with pytest.raises(ValueError, match="spectra_true|shape"):
        AgNPSynthesis().spectra_true([[1.0, 2.0]])
    with pytest.raises(ValueError, match="unknown model parameter"):
        AgNPSynthesis(params={"width": 3.0})
    with pytest.raises(ValueError, match="noise"):
        AgNPSynthesis(noise=-1.0)


@pytest.mark.parametrize(
    ("settings", "match"),
    [
        ({"params": {"bg_amp": "1"}}, r"bg_amp='1' must be a finite number in \[0.0, 5.0\]"),
        ({"params": {"bg_amp": True}}, "bg_amp=True must be a finite number"),
        ({"noise": None}, "noise must be a finite number >= 0.*got None"),
        ({"noise": "0.1"}, "noise must be a finite number >= 0.*got '0.1'"),
        ({"position_jitter": [1.0]}, "position_jitter must be a finite number"),
        ({"noise": 10**400}, "noise must be a finite number >= 0"),
        ({"params": {"flow_scale": 10**400}}, "flow_scale=10* must be a finite number"),
    ],
)
def test_non_numeric_settings_raise(settings, match):
    with pytest.raises(ValueError, match=match):
        AgNPSynthesis(**settings)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda sim: sim.spectra_true([RECIPE]), r"^recipes must be an \(n, 5\) array of real"),
        (lambda sim: sim.spectra_true([[15, 25, 10, 8, 500 + 1j]]), r"^recipes must be an \(n"),
        (lambda sim: sim.spectra_true(np.array([[15, 25, 10, 8, 500 + 0j]])), "^recipes must"),
        (lambda sim: sim.spectrum_true(np.array([15, 25, 10, 8, 500 + 0j])), "^recipe must be"),
        (lambda sim: sim.measure([15, 25, 10, 8, {"a": 1}]), "^recipe must be a dict keyed by"),
    ],
)
def test_recipes_that_are_not_real_numbers_are_refused_by_name(call, match):
    with pytest.raises(ValueError, match=match):
        call(AgNPSynthesis(seed=0))


def test_calibrate_refuses_complex_spectra():
    x = np.array([[RECIPE[f] for f in FACTORS]])
    with pytest.raises(ValueError, match="^spectra must be an array of real numbers"):
        calibrate(x, np.zeros((1, WAVELENGTHS.size), dtype=complex))


def test_calibrate_without_recipes_raises():
    with pytest.raises(ValueError, match="at least one recipe"):
        calibrate(np.zeros((0, 5)), np.zeros((0, WAVELENGTHS.size)))


def read_run1():
    with open(DATA / "agnp_run1_spectra.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    values = np.array(rows[1:], dtype=float)
    cond = np.array([int(name.split("_")[0][1:]) for name in rows[0][1:]])
    with open(DATA / "agnp_run1_recipes.csv", newline="") as fh:
        recipes = {int(r["condition_id"]): r for r in csv.DictReader(fh)}
    cols = ["q_agno3_pct", "q_pva_pct", "q_tsc_pct", "q_seed_pct", "q_total_ul_min"]
    ids = sorted(recipes)
    x = np.array([[float(recipes[k][c]) for c in cols] for k in ids])
    median = np.array([np.median(values[:, 1:][:, cond == k], axis=1) for k in ids])
    return values[:, 0], x, median


@needs_data
def test_calibration_quality_on_run1():
    wl, x, median = read_run1()
    np.testing.assert_array_equal(wl, WAVELENGTHS)
    y = AgNPSynthesis().spectra_true(x)
    cos = (y * median).sum(1) / np.linalg.norm(y, axis=1) / np.linalg.norm(median, axis=1)
    rmse = np.sqrt(((y - median) ** 2).mean(axis=1))
    # measured: cosine median 0.998, min 0.994; RMSE median 0.030, max 0.039
    assert np.median(cos) > 0.995 and cos.min() > 0.99
    assert np.median(rmse) < 0.04 and rmse.max() < 0.05


@needs_data
def test_width_floor_leaves_every_measured_recipe_alone():
    pool = PoolEmulator.from_csv(DATA / "agnp_droplets.csv", FACTORS, "loss")
    _, run1, _ = read_run1()
    # 28.2 nm at least: the floor leaves the calibration figures unchanged.
    assert linear_width(np.vstack([pool.X, run1])).min() > MIN_PRISM_WIDTH + 8


@needs_data
def test_calibrate_runs_and_does_not_get_worse():
    _, x, median = read_run1()
    fitted = calibrate(x, median, max_nfev=3)
    assert set(fitted) == set(DEFAULT_PARAMS)

    def sse(params):
        return ((AgNPSynthesis(params=params).spectra_true(x) - median) ** 2).sum()

    assert sse(fitted) <= sse(DEFAULT_PARAMS) * 1.0001
    with pytest.raises(ValueError, match="shape"):
        calibrate(x, median[:, :10])


@needs_data
def test_calibrate_from_the_hand_made_start_gives_the_default_params():
    # the documented origin of DEFAULT_PARAMS: the run-1 medians from a rough start
    _, x, median = read_run1()
    rough = {
        **{"sphere_scale": 0.4, "prism_scale": 0.4, "flow_scale": 1000.0},
        **{"sphere_saturation": 5.0, "prism_saturation": 10.0},
        **{"sphere_center": 435.0, "prism_center": 520.0},
        **{"sphere_left": 28.0, "sphere_right": 12.0, "prism_width": 60.0},
        **{"prism_shift_ratio": 60.0, "prism_shift_tsc": -30.0, "prism_width_slope": 0.6},
        **{"bg_amp": 0.5, "bg_power": 3.0},
    }
    assert set(rough) == set(DEFAULT_PARAMS)
    assert calibrate(x, median, x0=rough) == pytest.approx(DEFAULT_PARAMS, rel=1e-3)


def test_fractions_filled_to_exactly_100_percent_are_accepted():
    """34.73 + (100 - 34.73 - 26.96 - 11.62) + 26.96 + 11.62 is 100.00000000000001 in
    floats; a campaign's Space allows 1e-9 relative slack, so must the simulator."""
    ag, tsc, seed = 34.73, 26.96, 11.62
    recipe = [ag, 100.0 - ag - tsc - seed, tsc, seed, 500.0]
    assert sum(recipe[:4]) > 100.0
    assert check_recipes([recipe]).shape == (1, 5)
    over = [ag, 100.0 - ag - tsc - seed + 1e-6, tsc, seed, 500.0]
    with pytest.raises(ValueError, match=r"sum to 100\.000001\d* % > 100 % \(by 1e-06\)"):
        check_recipes([over])


def test_too_many_droplets_are_refused_before_allocating():
    for n in (MAX_DROPLETS + 1, 10**9, 10**17):
        with pytest.raises(ValueError, match=f"n_droplets must be from 1 to {MAX_DROPLETS}"):
            AgNPSynthesis(seed=0).measure(RECIPE, n_droplets=n)
    assert AgNPSynthesis(seed=0).measure(RECIPE, n_droplets=MAX_DROPLETS).shape == (10_000, 421)
