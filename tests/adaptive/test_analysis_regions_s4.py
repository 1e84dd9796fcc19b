"""A peak-fit region wholly outside the spectrum's window: its area is undefined, never
learned as 0 (a kinetic-energy axis, or regions typed in keV, scored every spectrum 0.0)."""

import numpy as np
import pytest

from adaptive.analysis import Analysis
from adaptive.client import Client
from adaptive.errors import InvalidParameterError, RemoteError
from adaptive.journal import Journal
from adaptive.records import Spectrum
from tests.adaptive.test_analysis import SPACE, two_peaks

REGIONS = {"main": [930, 936], "sat": [938, 948]}


def analysis(value: str | None, regions: dict = REGIONS) -> Analysis:
    return Analysis({"name": "peak_fit", "options": {"regions": regions}, "value": value})


def kinetic_energy_spectrum() -> Spectrum:
    """``two_peaks`` on a kinetic-energy axis (Al K-alpha), labelled only eV."""
    e, counts = two_peaks()
    return Spectrum(1486.61 - e, counts, "eV", "counts")


@pytest.mark.parametrize("value", ["area_sat", "area_fraction_sat"])
def test_a_region_outside_the_window_gives_no_value_and_says_what_to_do(value):
    with pytest.raises(InvalidParameterError) as err:
        analysis(value)(kinetic_energy_spectrum())
    message = str(err.value)
    assert f"no finite {value!r}" in message and "undefined for it" in message
    assert "region 'sat' [938, 948] eV lies outside the spectrum's window 536.66-561.61 eV" in (
        message
    )
    assert "binding energies in eV" in message and "kinetic energy" in message
    assert "keV" in message


def test_regions_typed_in_kev_are_refused_before_any_spectrum():
    kev = {"main": [0.930, 0.936], "sat": [0.938, 0.948]}
    match = r"regions entry 'main': \[0.93, 0.936\]: it reads as keV.*give them in eV"
    with pytest.raises(InvalidParameterError, match=match):
        analysis("area_fraction_sat", kev)


def test_only_a_region_wholly_outside_is_null_and_the_value_may_be_another():
    e, counts = two_peaks()  # 925-950 eV; the satellite at 943
    regions = {**REGIONS, "edge": [940, 960], "typo": [9300, 9360]}
    features, value = analysis("area_fraction_sat", regions)(Spectrum(e, counts, "eV"))
    assert features["area_typo"] is None and features["area_fraction_typo"] is None
    assert value == features["area_fraction_sat"] and 0.05 < value < 0.5
    assert features["area_main"] > 0 and features["area_edge"] > 0  # partly inside: kept
    (warning,) = [w for w in features["warnings"] if "region" in w]
    assert warning.startswith("region 'typo' [9300, 9360] eV lies outside")


def test_a_put_whose_region_lies_outside_is_kept_unlearned(server):
    config = {"name": "peak_fit", "options": {"regions": REGIONS}, "value": "area_fraction_sat"}
    spectrum = kinetic_energy_spectrum()
    with Client(server.endpoint, timeout_s=60, retries=0) as client:
        campaign_id = client.call(
            "campaign_create", space=SPACE, strategy={"name": "random"}, analysis=config
        )["campaign_id"]
        with pytest.raises(RemoteError, match="region 'sat' .* lies outside") as err:
            client.call(
                "observation_put",
                campaign_id=campaign_id,
                point={"x": 0.5},
                spectrum={"x": spectrum.x, "y": spectrum.y, "x_units": "eV"},
            )
        assert err.value.type == "AnalysisError"
        assert client.call("campaign_status", campaign_id=campaign_id)["n_observations"] == 0
    (event,) = Journal(server.journal_path).events(campaign_id, "analysis_failed")
    assert "area_fraction_sat" in event["payload"]["error"]
    np.testing.assert_array_equal(event["payload"]["spectrum"]["x"], spectrum.x)
