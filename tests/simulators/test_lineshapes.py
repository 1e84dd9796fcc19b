import numpy as np
import pytest

from simulators.lineshapes import (
    K_FACTOR,
    arctan_step,
    energy_to_k,
    exafs_chi,
    gaussian,
    lorentzian,
    pseudo_voigt,
)


def test_arctan_step_is_half_at_centre_and_steepest_there():
    e = np.linspace(-50, 50, 10001)
    step = arctan_step(e, 3.0, 1.5)
    assert arctan_step(3.0, 3.0, 1.5) == pytest.approx(0.5)
    assert step[0] < 0.02 and step[-1] > 0.98
    slope = np.gradient(step, e)
    assert e[slope.argmax()] == pytest.approx(3.0, abs=0.02)
    assert slope.max() == pytest.approx(1 / (np.pi * 1.5), rel=1e-3)


@pytest.mark.parametrize("shape", [gaussian, lorentzian])
def test_peaks_have_unit_height_and_given_fwhm(shape):
    assert shape(10.0, 10.0, 4.0) == pytest.approx(1.0)
    np.testing.assert_allclose(shape(np.array([8.0, 12.0]), 10.0, 4.0), 0.5)


def test_lorentzian_tails_exceed_gaussian_tails():
    assert lorentzian(20.0, 0.0, 2.0) > 100 * gaussian(20.0, 0.0, 2.0)


def test_pseudo_voigt_mixes_the_two_shapes():
    e = np.linspace(-10, 10, 41)
    expected = 0.3 * lorentzian(e, 1.0, 2.0) + 0.7 * gaussian(e, 1.0, 2.0)
    np.testing.assert_allclose(pseudo_voigt(e, 1.0, 2.0, 0.3), expected)
    np.testing.assert_allclose(pseudo_voigt(e, 1.0, 2.0, 1.0), lorentzian(e, 1.0, 2.0))


def test_shapes_keep_the_input_shape():
    e = np.zeros((3, 4))
    for values in (arctan_step(e, 0, 1), gaussian(e, 0, 1), energy_to_k(e, -1.0)):
        assert values.shape == (3, 4)


@pytest.mark.parametrize(
    "call",
    [
        lambda: arctan_step(0.0, 0.0, 0.0),
        lambda: gaussian(0.0, 0.0, -1.0),
        lambda: lorentzian(0.0, 0.0, np.nan),
        lambda: pseudo_voigt(0.0, 0.0, 1.0, 1.5),
        lambda: exafs_chi(np.array([1.0]), [(1.0, 0.0, 0.01, 0.0)]),
        lambda: exafs_chi(np.array([1.0]), [(1.0, 2.0, -0.01, 0.0)]),
    ],
)
def test_bad_shape_parameters_raise(call):
    with pytest.raises(ValueError, match="got"):
        call()


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: arctan_step(0.0, 0.0, "1"), "width"),
        (lambda: arctan_step(0.0, np.nan, 1.0), "e0"),
        (lambda: gaussian(0.0, 0.0, None), "fwhm"),
        (lambda: gaussian(0.0, np.nan, 1.0), "center"),
        (lambda: lorentzian(0.0, "0", 1.0), "center"),
        (lambda: pseudo_voigt(0.0, 0.0, 1.0, "0.5"), "eta"),
        (lambda: pseudo_voigt(0.0, np.inf, 1.0, 0.5), "center"),
        (lambda: energy_to_k(9000.0, np.nan), "e0"),
        (lambda: exafs_chi(np.array([3.0]), [(1.0, 2.0, "0.01", 0.0)]), r"shells\[0\] sigma2"),
        (lambda: exafs_chi(np.array([3.0]), [(np.nan, 2.0, 0.01, 0.0)]), r"shells\[0\] amplitude"),
        (lambda: exafs_chi(np.array([3.0]), [(1.0, "2", 0.01, 0.0)]), r"shells\[0\] R"),
        (
            lambda: exafs_chi(np.array([3.0]), [(1.0, 2.0, 0.0, 0.0), (1, 2, 0, None)]),
            r"shells\[1\] phase",
        ),
    ],
)
def test_non_numeric_and_nan_settings_are_refused_by_name(call, name):
    with pytest.raises(ValueError, match=f"^{name} must be finite.*, got"):
        call()


def test_energy_to_k_matches_definition_and_is_zero_below_edge():
    k = energy_to_k(np.array([8900.0, 8979.0, 9079.0]), 8979.0)
    np.testing.assert_allclose(k, [0.0, 0.0, np.sqrt(K_FACTOR * 100.0)])
    assert k[2] == pytest.approx(5.123, abs=1e-3)


def test_exafs_single_shell_has_the_expected_frequency_and_damping():
    k = np.linspace(0.0, 15.0, 3001)
    chi = exafs_chi(k, [(2.0, 2.5, 0.0, 0.0)])
    assert chi[0] == 0.0  # no division by zero at k = 0
    np.testing.assert_allclose(chi[1:], 2.0 * np.sin(5.0 * k[1:]) / (k[1:] * 6.25))
    damped = exafs_chi(k, [(2.0, 2.5, 0.01, 0.0)])
    np.testing.assert_allclose(damped[1:], chi[1:] * np.exp(-0.02 * k[1:] ** 2))


def test_exafs_shells_add_up():
    k = np.linspace(1.0, 12.0, 50)
    a, b = (1.0, 2.5, 0.005, 0.3), (0.5, 3.6, 0.01, -1.0)
    np.testing.assert_allclose(exafs_chi(k, [a, b]), exafs_chi(k, [a]) + exafs_chi(k, [b]))


def test_exafs_phase_adds_to_the_sine_argument():
    k = np.array([1.0, 3.7, 8.2, 12.5])
    a, r, s2, phase = 1.3, 2.2, 0.004, 0.9
    by_hand = a * np.exp(-2 * k**2 * s2) * np.sin(2 * k * r + phase) / (k * r**2)
    np.testing.assert_allclose(exafs_chi(k, [(a, r, s2, phase)]), by_hand, rtol=1e-12)
    np.testing.assert_allclose(  # the sign of the phase matters
        exafs_chi(k, [(a, r, s2, -phase)]),
        a * np.exp(-2 * k**2 * s2) * np.sin(2 * k * r - phase) / (k * r**2),
        rtol=1e-12,
    )
