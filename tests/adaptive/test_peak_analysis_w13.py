"""A peak-fit campaign's messages name its own options (``asymmetry``, as the fitter and
the CLI name them, not a Python parameter or a CLI flag), and a spectrum's NaN is refused
with advice that a peak fit then takes."""

import numpy as np
import pytest

from adaptive.analysis import Analysis
from adaptive.client import Client, RemoteError
from adaptive.errors import InvalidParameterError
from adaptive.records import Spectrum
from simulators.lineshapes import xps_peak

FITTER_WORDS = ("fit_asymmetry", "--", "=True", "=False", "in Python")


def test_a_bad_asymmetry_option_is_named_as_the_campaign_names_it():
    # "fit_asymmetry='yes' must be true or false": the fitter's parameter name leaked
    with pytest.raises(InvalidParameterError) as error:
        Analysis({"name": "peak_fit", "options": {"asymmetry": "yes"}})
    assert str(error.value).startswith("asymmetry='yes' must be true or false")
    for option in ("max_peaks", "basin_hopping", "poisson_weights", "doublets"):
        with pytest.raises(InvalidParameterError, match=f"^{option}='yes' must be"):
            Analysis({"name": "peak_fit", "options": {option: "yes"}})


def test_the_fit_warnings_of_a_campaign_name_its_options_not_the_fitters():
    e = np.arange(925.0, 945.0, 0.05)
    line = 100 + 20000 * xps_peak(e, 932.7, 1.0, 0.3, 0.6)  # a metal's asymmetric line
    counts = np.random.default_rng(3).poisson(line).astype(float)
    symmetric, _ = Analysis({"name": "peak_fit"})(Spectrum(e, counts, "eV"))
    assert any(w.endswith("fit with asymmetry on") for w in symmetric["warnings"])
    subtracted, _ = Analysis({"name": "peak_fit", "options": {"max_peaks": 1}})(
        Spectrum(e, counts - 300, "eV")
    )
    assert any(w.endswith("fit with poisson_weights off") for w in subtracted["warnings"])
    for warning in symmetric["warnings"] + subtracted["warnings"]:
        assert not any(words in warning for words in FITTER_WORDS), warning


def test_a_nan_channel_is_refused_with_advice_a_peak_fit_campaign_takes(server):
    # "drop or repair those channels": a dropped channel was then refused for its gap
    e = np.arange(925.0, 945.0, 0.1)
    counts = 100 + 2000 * xps_peak(e, 932.7, 1.0, 0.3)
    y = counts.copy()
    y[50] = np.nan
    space = {"dimensions": [{"name": "T", "low": 0, "high": 1}]}
    analysis = {"name": "peak_fit", "options": {"max_peaks": 1}, "value": "area_0"}
    with Client(server.endpoint, timeout_s=60, retries=1) as client:
        client.call(
            "campaign_create",
            space=space,
            strategy={"name": "random"},
            campaign_id="c",
            analysis=analysis,
        )

        def put(x, y):
            spectrum = {"x": x, "y": y, "x_units": "eV"}
            return client.call(
                "observation_put", campaign_id="c", point={"T": 0.5}, spectrum=spectrum
            )

        with pytest.raises(RemoteError) as error:
            put(e, y)
        assert (
            f"spectrum holds NaN or inf in y at 1 of its {e.size} channels (the first index 50); "
            "fill each with its neighbours' mean" in str(error.value)
        )
        assert "peak fit refuses the gap that dropping a channel leaves" in str(error.value)
        keep = np.arange(e.size) != 50
        with pytest.raises(RemoteError, match="must have a uniform step"):
            put(e[keep], y[keep])
        y[50] = (y[49] + y[51]) / 2
        assert put(e, y)["value"] > 0
