import math
from fractions import Fraction

import numpy as np
import pytest

from adaptive.errors import InvalidParameterError
from adaptive.records import Observation, Spectrum, Suggestion


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, True, False, "1.0"])
def test_observation_rejects_bad_values(value):
    with pytest.raises(InvalidParameterError):
        Observation(point={"energy": 9000.0}, value=value)


@pytest.mark.parametrize("uncertainty", [-1e-3, math.nan, math.inf, True])
def test_observation_rejects_bad_uncertainty(uncertainty):
    with pytest.raises(InvalidParameterError):
        Observation(point={"energy": 9000.0}, value=1.0, uncertainty=uncertainty)


def test_observation_needs_value_or_spectrum():
    with pytest.raises(InvalidParameterError, match="value or a spectrum"):
        Observation(point={"energy": 9000.0})
    spectrum = Spectrum(np.arange(3.0), np.ones(3))
    obs = Observation(point={"energy": 9000.0}, spectrum=spectrum)
    assert obs.value is None and obs.spectrum is spectrum


def test_an_empty_observation_is_refused_naming_the_way_to_put_a_failed_one():
    with pytest.raises(InvalidParameterError, match="failed measurement .* send failed="):
        Observation(point={"energy": 9000.0})
    failed = Observation(point={"energy": 9000.0}, failed="channel clogged")
    assert failed.failed == "channel clogged" and failed.value is None


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ({"failed": ""}, "non-empty text"),
        ({"failed": " "}, "non-empty text"),
        ({"failed": True}, "non-empty text"),
        ({"failed": "clogged", "value": 1.0}, "has no value"),
        ({"failed": "clogged", "uncertainty": 0.1}, "has no value"),
    ],
)
def test_a_failed_observation_needs_a_reason_and_no_value(extra, words):
    with pytest.raises(InvalidParameterError, match=words):
        Observation(point={"energy": 9000.0}, **extra)


def test_observation_casts_numbers_to_float():
    obs = Observation(point={"energy": 9000.0}, value=2, uncertainty=0)
    assert obs.value == 2.0 and type(obs.value) is float
    assert obs.uncertainty == 0.0 and type(obs.uncertainty) is float


def test_spectrum_rejects_unequal_lengths_and_non_finite():
    with pytest.raises(InvalidParameterError, match="length"):
        Spectrum(np.arange(3.0), np.arange(4.0))
    with pytest.raises(InvalidParameterError, match="NaN or inf in x at 1 of its 2 channels"):
        Spectrum(np.array([0.0, np.inf]), np.ones(2))
    with pytest.raises(InvalidParameterError, match="1-D"):
        Spectrum(np.ones((2, 2)), np.ones((2, 2)))


def test_missing_channels_in_y_are_kept_and_refused_on_request():
    """NaN or inf counts are a dead channel: the elements analysis reads them."""
    spectrum = Spectrum(np.arange(4.0), np.array([1.0, np.nan, 2.0, np.inf]))
    assert spectrum == Spectrum(np.arange(4.0), np.array([1.0, np.nan, 2.0, np.inf]))
    assert spectrum != Spectrum(np.arange(4.0), np.array([1.0, 2.0, np.nan, np.inf]))
    with pytest.raises(
        InvalidParameterError,
        match=r"NaN or inf in y at 2 of its 4 channels \(the first index 1\); fill each with "
        "its neighbours' mean",
    ):
        spectrum.refuse_missing()
    Spectrum(np.arange(2.0), np.ones(2)).refuse_missing()  # finite: nothing to refuse


def test_spectrum_converts_lists_to_float_arrays():
    spectrum = Spectrum([1, 2, 3], [4, 5, 6], "eV", "mu")
    assert isinstance(spectrum.x, np.ndarray) and spectrum.x.dtype == float
    np.testing.assert_array_equal(spectrum.y, [4.0, 5.0, 6.0])


def test_suggestion_to_dict():
    s = Suggestion(point={"energy": 8990.5}, strategy="grid", acquisition=0.25, reason="why")
    assert s.to_dict() == {
        "id": s.id,
        "point": {"energy": 8990.5},
        "strategy": "grid",
        "acquisition": 0.25,
        "reason": "why",
    }
    other = Suggestion(point={"energy": 8990.5}, strategy="grid")
    assert other.id != s.id and other.to_dict()["acquisition"] is None


def test_spectra_compare_by_value_and_own_their_arrays():
    x = np.array([1.0, 2.0])
    spectrum = Spectrum(x, [3.0, 4.0], "eV")
    x[0] = 99.0
    assert spectrum.x[0] == 1.0
    assert spectrum == Spectrum([1.0, 2.0], [3.0, 4.0], "eV")
    assert spectrum != Spectrum([1.0, 2.0], [3.0, 4.0], "keV")
    assert spectrum != Spectrum([1.0, 2.0], [3.0, 5.0], "eV")
    obs = Observation(point={"e": 1.0}, spectrum=spectrum, time=1.0)
    assert obs == Observation(point={"e": 1.0}, spectrum=Spectrum([1, 2], [3, 4], "eV"), time=1.0)


@pytest.mark.parametrize(
    "x, message", [(np.array([], dtype=float), "empty"), (np.array([1 + 1j]), "real")]
)
def test_spectrum_rejects_empty_and_complex_arrays(x, message):
    with pytest.raises(InvalidParameterError, match=message):
        Spectrum(x, np.ones(x.size))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"point": [1.0]}, "mapping"),
        ({"strategy": None}, "strategy must be text"),
        ({"acquisition": math.nan}, "finite number"),
        ({"acquisition": "high"}, "finite number"),
    ],
)
def test_suggestion_rejects_bad_fields(kwargs, message):
    fields = {"point": {"e": 1.0}, "strategy": "grid", **kwargs}
    with pytest.raises(InvalidParameterError, match=message):
        Suggestion(**fields)


def test_suggestion_acquisition_becomes_a_float():
    import json

    s = Suggestion(point={"e": 1.0}, strategy="grid", acquisition=np.float32(0.5))
    assert type(s.acquisition) is float
    json.dumps(s.to_dict())


def test_observation_metadata_must_be_finite():
    with pytest.raises(InvalidParameterError, match="finite numbers"):
        Observation(point={"e": 1.0}, value=1.0, metadata={"fwhm": math.inf})


@pytest.mark.parametrize("units", [np.zeros(1), {"a": [1]}, None, 5])
def test_spectrum_units_must_be_text(units):
    with pytest.raises(InvalidParameterError, match="x_units"):
        Spectrum(np.ones(2), np.ones(2), x_units=units)
    with pytest.raises(InvalidParameterError, match="y_units"):
        Spectrum(np.ones(2), np.ones(2), y_units=units)


@pytest.mark.parametrize(
    "metadata, message",
    [
        ({1: "int key", "1": "str key"}, r"metadata has the key 1, .* use the string '1'"),
        ({"fit": {2.5: 1.0}}, r"metadata\['fit'\] has the key 2.5"),
        ({"peaks": [{"e": 1.0}, {None: 1}]}, r"metadata\['peaks'\]\[1\] has the key None"),
        ({True: 1}, "has the key True"),
    ],
)
def test_observation_refuses_metadata_keys_that_are_not_text(metadata, message):
    with pytest.raises(InvalidParameterError, match=message):
        Observation(point={"e": 1.0}, value=1.0, metadata=metadata)


def test_observation_takes_nested_text_keys():
    metadata = {"fit": {"peaks": [{"e": 1.0}], "ok": True}, "n": None}
    assert Observation(point={"e": 1.0}, value=1.0, metadata=metadata).metadata == metadata


def test_spectrum_refuses_bool_arrays():
    with pytest.raises(InvalidParameterError, match="spectrum y holds bools"):
        Spectrum(np.arange(3.0), np.array([True, False, True]))
    with pytest.raises(InvalidParameterError, match="spectrum x holds bools"):
        Spectrum([True, False], [1.0, 2.0])


@pytest.mark.parametrize(
    "y, message",
    [
        (["4e3", "5", "6"], r"spectrum y must be a numeric array, but it holds text \(dtype <U3\)"),
        (np.array([b"1", b"2", b"3"]), "spectrum y must be a numeric array, but it holds bytes"),
        (np.array(["2020-01-01", "2020-01-02", "2020-01-03"], dtype="M8[D]"), "holds dates"),
        (
            np.array([1, 2, 3], dtype="m8[s]"),
            "spectrum y must be a numeric array, but it holds time spans",
        ),
        ([1.0, None, 2.0], "spectrum y must be a numeric array, but it holds the non-number None"),
        ([1.0, 2.0, Fraction(1, 2)], r"holds the non-number Fraction\(1, 2\)"),
        ([1.0, 2.0, 10**400], "too large for floating point"),
    ],
)
def test_spectrum_refuses_text_dates_and_other_non_numbers(y, message):
    with pytest.raises(InvalidParameterError, match=message):
        Spectrum([1.0, 2.0, 3.0], y)


def test_spectrum_takes_any_real_numeric_dtype_and_big_python_ints():
    x = np.array([1, 2, 3], dtype=np.uint8)
    for y in ([2**70, 1.5, 2], np.array([1.0, 2.0, 3.0], dtype=np.float32), (4, 5, 6)):
        spectrum = Spectrum(x, y)
        assert spectrum.x.dtype == spectrum.y.dtype == float
        np.testing.assert_array_equal(spectrum.y, np.asarray(y, dtype=float))


def test_a_spectrum_reads_in_ascending_order_keeping_repeats_in_order():
    spectrum = Spectrum([3.0, 1.0, 2.0, 1.0], [30.0, 10.0, 20.0, 11.0])
    x, y = spectrum.ascending()
    np.testing.assert_array_equal(x, [1.0, 1.0, 2.0, 3.0])
    np.testing.assert_array_equal(y, [10.0, 11.0, 20.0, 30.0])


@pytest.mark.parametrize(
    ("value", "says"),
    [
        (math.nan, "must be a finite number; for a failed measurement send failed="),
        (np.array(1.0), "must be one number, not ndarray; send float"),
        ([1.0, 2.0], "must be one number, not list"),
    ],
)
def test_a_bad_value_says_what_to_send_instead(value, says):
    with pytest.raises(InvalidParameterError, match=f"value=.* {says}"):
        Observation(point={"energy": 9000.0}, value=value)
