import numpy as np
import pytest

from simulators import XMCD


def test_dichroism_has_opposite_signs_at_l3_and_l2():
    sim = XMCD(i0=None)
    ch = sim.measure_channels(np.array([sim.l3_energy, sim.l2_energy]))
    assert ch["xmcd"][0] < 0 < ch["xmcd"][1]
    flipped = XMCD(i0=None, xmcd_l3=0.2, xmcd_l2=-0.1).measure_channels(707.0)
    assert flipped["xmcd"] > 0


@pytest.mark.parametrize("i0", [None, 1e5])
def test_channels_are_consistent(i0):
    sim = XMCD(i0=i0, seed=0)
    ch = sim.measure_channels(np.linspace(690.0, 740.0, 101))
    assert set(ch) == set(XMCD.channels)
    np.testing.assert_allclose(ch["mu_plus"] - ch["mu_minus"], ch["xmcd"], atol=1e-12)
    np.testing.assert_allclose((ch["mu_plus"] + ch["mu_minus"]) / 2, ch["mu_avg"], atol=1e-12)


def test_primary_is_helicity_average():
    sim = XMCD(i0=None)
    e = np.linspace(690.0, 740.0, 51)
    assert XMCD.primary == "mu_avg"
    np.testing.assert_allclose(sim.measure(e), sim.measure_channels(e)["mu_avg"])
    np.testing.assert_allclose(sim.evaluate_true(e), sim.measure(e))


def test_default_range_follows_the_edges():
    assert XMCD(i0=None).energy_range == (690.0, 740.0)  # Fe
    nickel = XMCD(i0=None, l3_energy=852.7, l2_energy=870.0)
    assert nickel.energy_range == pytest.approx((835.7, 890.0))
    low, high = nickel.energy_range
    mu = nickel.evaluate_true(np.array([low, high]))
    assert mu[1] - mu[0] == pytest.approx(1.0, abs=0.05)  # both edge steps inside


def test_edge_steps_have_two_to_one_branching():
    sim = XMCD(i0=None, white_line_l3=0.0, white_line_l2=0.0, energy_range=(600.0, 820.0))
    below, between, above = sim.evaluate_true(np.array([600.0, 713.5, 820.0]))
    assert (between - below) / (above - below) == pytest.approx(2 / 3, abs=0.03)
    assert above - below == pytest.approx(1.0, abs=0.01)


def test_noise_is_seeded_and_independent_per_helicity():
    e = np.full(2000, 730.0)
    a, b, c = (XMCD(seed=s).measure_channels(e) for s in (4, 4, 5))
    np.testing.assert_array_equal(a["xmcd"], b["xmcd"])
    assert not np.array_equal(a["xmcd"], c["xmcd"])
    assert abs(np.corrcoef(a["mu_plus"], a["mu_minus"])[0, 1]) < 0.1
    assert np.std(a["xmcd"]) > 0


def test_noise_does_not_depend_on_how_the_scan_is_split():
    e = np.linspace(700.0, 725.0, 6)
    whole = XMCD(seed=1).measure_channels(e)
    split = XMCD(seed=1)
    parts = [split.measure_channels(e[:1]), split.measure_channels(e[1])]
    parts.append(split.measure_channels(e[2:]))
    for name in XMCD.channels:
        by_parts = np.hstack([part[name] for part in parts])
        np.testing.assert_array_equal(whole[name], by_parts, err_msg=name)


def test_dichroism_is_bounded_so_both_helicities_stay_absorbing():
    e = np.linspace(690.0, 740.0, 501)
    for xmcd_l3, xmcd_l2 in ((-2.0, 2.0), (2.0, -2.0)):
        ch = XMCD(i0=None, xmcd_l3=xmcd_l3, xmcd_l2=xmcd_l2).measure_channels(e)
        assert ch["mu_plus"].min() >= 0 and ch["mu_minus"].min() >= 0
    for kwargs in ({"xmcd_l3": -2.5}, {"xmcd_l2": 2.01}):
        (name,) = kwargs
        with pytest.raises(ValueError, match=rf"^{name} must lie in \[-2, 2\], got"):
            XMCD(**kwargs)


def test_rejects_bad_energy_and_settings():
    with pytest.raises(ValueError, match="outside energy_range"):
        XMCD().measure(750.0)
    with pytest.raises(ValueError, match="l3_energy"):
        XMCD(l3_energy=725.0)
    with pytest.raises(ValueError, match="eta"):
        XMCD(eta=2.0)


def pv(e, center, fwhm, eta):
    """Unit-height pseudo-Voigt, written out from its documented definition."""
    x2 = ((e - center) / fwhm) ** 2
    return eta / (1 + 4 * x2) + (1 - eta) * np.exp(-4 * np.log(2) * x2)


def arctan(e, center, width):
    return 0.5 + np.arctan((e - center) / width) / np.pi


SETTINGS = [
    {},  # Fe defaults: L3 707, L2 720, step 1, width 1, 3.0/1.5, fwhm 2/2.5, eta 0.5, -0.3/0.3
    {
        "l3_energy": 852.7,
        "l2_energy": 870.0,
        "edge_step": 0.7,
        "edge_width": 0.6,
        "white_line_l3": 2.2,
        "white_line_l2": 0.9,
        "fwhm_l3": 1.2,
        "fwhm_l2": 3.1,
        "eta": 0.2,
        "xmcd_l3": -0.25,
        "xmcd_l2": 0.4,
    },
]


@pytest.mark.parametrize("changed", SETTINGS)
def test_channels_match_the_documented_formula_by_hand(changed):
    p = {
        "l3_energy": 707.0,
        "l2_energy": 720.0,
        "edge_step": 1.0,
        "edge_width": 1.0,
        "white_line_l3": 3.0,
        "white_line_l2": 1.5,
        "fwhm_l3": 2.0,
        "fwhm_l2": 2.5,
        "eta": 0.5,
        "xmcd_l3": -0.3,
        "xmcd_l2": 0.3,
    } | changed
    sim = XMCD(i0=None, **changed)
    e = np.linspace(*sim.energy_range, 801)
    l3 = p["white_line_l3"] * pv(e, p["l3_energy"], p["fwhm_l3"], p["eta"])
    l2 = p["white_line_l2"] * pv(e, p["l2_energy"], p["fwhm_l2"], p["eta"])
    w = p["edge_width"]
    steps = 2 / 3 * arctan(e, p["l3_energy"], w) + 1 / 3 * arctan(e, p["l2_energy"], w)
    mu_avg = p["edge_step"] * steps + l3 + l2
    xmcd = p["xmcd_l3"] * l3 + p["xmcd_l2"] * l2
    ch = sim.measure_channels(e)
    np.testing.assert_allclose(ch["mu_avg"], mu_avg, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ch["xmcd"], xmcd, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ch["mu_plus"], mu_avg + xmcd / 2, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ch["mu_minus"], mu_avg - xmcd / 2, rtol=1e-12, atol=1e-12)


def test_dichroism_peaks_have_the_documented_magnitudes():
    sim = XMCD(i0=None)
    e = np.arange(690.0, 740.0, 0.01)
    xmcd = sim.measure_channels(e)["xmcd"]
    l3, l2 = e < 713.5, e > 713.5
    # xmcd_l3 * white_line_l3 = -0.9 at L3 and xmcd_l2 * white_line_l2 = 0.45 at L2; the
    # other edge's tail adds < 0.01.
    assert xmcd[l3].min() == pytest.approx(-0.9, abs=0.01)
    assert abs(e[l3][xmcd[l3].argmin()] - 707.0) < 0.05
    assert xmcd[l2].max() == pytest.approx(0.45, abs=0.01)
    assert abs(e[l2][xmcd[l2].argmax()] - 720.0) < 0.05
    # The L3 white line stands 3.0 above the half-risen L3 step (edge_step 2/3 * 1/2).
    assert sim.evaluate_true(707.0) == pytest.approx(3.0 + 1 / 3, abs=0.02)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"edge_step": np.nan}, "edge_step"),
        ({"edge_step": -1.0}, "edge_step"),  # negative absorption for both helicities
        ({"white_line_l3": -3.0}, "white_line_l3"),
        ({"white_line_l2": -0.1}, "white_line_l2"),
        ({"white_line_l3": np.inf}, "white_line_l3"),
        ({"white_line_l2": np.nan}, "white_line_l2"),
        ({"xmcd_l3": np.nan}, "xmcd_l3"),
        ({"xmcd_l2": np.inf}, "xmcd_l2"),
        ({"fwhm_l3": 0.0}, "fwhm_l3"),
        ({"fwhm_l2": np.nan}, "fwhm_l2"),
        ({"edge_width": 0.0}, "edge_width"),
        ({"eta": np.nan}, "eta"),
        ({"eta": "0.5"}, "eta"),
        ({"l3_energy": "707"}, "l3_energy"),
        ({"mu_offset": np.nan}, "mu_offset"),
        ({"i0": 1e20}, "i0"),
    ],
)
def test_bad_settings_are_refused_by_name(kwargs, name):
    with pytest.raises(ValueError, match=f"^{name} .*got"):
        XMCD(**kwargs)


def test_mu_beyond_ln_i0_is_refused_with_the_values_and_the_fix():
    """Once undone: at i0=30 the L3 white line measured ln(30) - mu_offset = 2.9 flat."""
    expected = (
        r"^the noise-free mu of one helicity reaches 23\.3 at 707\.005 eV: with mu_offset = "
        r"0\.5, 23\.8 exceeds ln\(i0 / 10\) = 11\.5 \(i0 = 1e\+06\), so under 10 transmitted "
        r"counts are expected there and many noisy readings would clip at ln\(i0\) - mu_offset; "
        r"lower edge_step, white_line_l3, white_line_l2, \|xmcd_l3\|, \|xmcd_l2\| or mu_offset, "
        r"or raise i0 to at least 2\.3e\+11, or pass i0=None for noise-free measurements$"
    )
    with pytest.raises(ValueError, match=expected):
        XMCD(white_line_l3=20.0)
    with pytest.raises(ValueError, match=r"ln\(i0 / 10\) = 1\.1 .*raise i0 to at least 740,"):
        XMCD(i0=30)
    XMCD(white_line_l3=20.0, i0=None)  # noise-free is always allowed


def test_the_borderline_i0_is_accepted_and_just_below_it_refused():
    # Defaults: mu_minus + mu_offset peaks at 4.3012 = ln(737.9 / 10) at L3.
    sim = XMCD(i0=738, seed=0)
    assert np.unique(sim.measure_channels(np.full(200, 707.0))["mu_minus"]).size > 1
    with pytest.raises(ValueError, match=r"reaches 3\.8 at 707\.\d+ eV.*ln\(i0 / 10\) = 4\.3"):
        XMCD(i0=737)


def test_default_seeded_draws_are_unchanged():
    ch = XMCD(seed=0).measure_channels(np.array([700.0, 707.0, 720.0]))
    for name, counts in (("mu_plus", [569073, 33577, 47407]), ("mu_minus", [562245, 13640, 74387])):
        np.testing.assert_allclose(1e6 * np.exp(-(ch[name] + 0.5)), counts, rtol=1e-9)


@pytest.mark.parametrize(("settings", "ratio"), [({}, 0.118), ({"xmcd_l2": 0.41}, 0.038)])
def test_the_sum_rule_ratio_is_the_documented_one(settings, ratio):
    # the docstring called the defaults Fe metal; their m_orb / m_spin is 3x bcc Fe's
    e = np.linspace(690.0, 760.0, 20001)
    xmcd = XMCD(i0=None, energy_range=(690.0, 760.0), **settings).measure_channels(e)["xmcd"]
    l3 = e < 713.5  # between the L3 (707 eV) and L2 (720 eV) lines
    p, q = np.trapezoid(xmcd[l3], e[l3]), np.trapezoid(xmcd, e)
    assert 2 * q / (9 * p - 6 * q) == pytest.approx(ratio, abs=0.005)
