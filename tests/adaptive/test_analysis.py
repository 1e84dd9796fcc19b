"""Analysis steps inside a campaign: features journaled, a feature as the value."""

import contextlib
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from adaptive.analysis import Analysis
from adaptive.campaign import Campaign
from adaptive.client import Client
from adaptive.errors import AnalysisError, InvalidParameterError, RemoteError
from adaptive.journal import Journal
from adaptive.records import Observation, Spectrum
from adaptive.server import Server
from simulators.eels import ELEMENTS
from simulators.lineshapes import xps_peak
from surrogates.checkpoints import save_file
from surrogates.eels_net import WEIGHTS_DIR
from surrogates.eels_training import train_eels_net
from surrogates.peak_net import DEFAULT_WEIGHTS, PeakNet
from tests.adaptive.test_figures import run_python

SPACE = {"dimensions": [{"name": "x", "kind": "continuous", "low": 0.0, "high": 1.0}]}


def test_bad_analysis_configs_are_rejected():
    with pytest.raises(InvalidParameterError, match="one of"):
        Analysis({"name": "tarot"})
    with pytest.raises(InvalidParameterError, match="unknown analysis config fields"):
        Analysis({"name": "peak_fit", "colour": "red"})


@pytest.mark.parametrize("name", [["peak_fit"], {"peak_fit": 1}, None])
def test_an_analysis_name_that_is_not_a_string_is_rejected(name):
    with pytest.raises(InvalidParameterError, match="one of"):
        Analysis({"name": name})


@pytest.mark.parametrize("value", [["area_1"], 1, {"area_1": 1}])
def test_an_analysis_value_that_is_not_a_feature_name_is_rejected(value):
    with pytest.raises(InvalidParameterError, match="feature name"):
        Analysis({"name": "peak_fit", "value": value})


@pytest.mark.parametrize("max_peaks", [0, 9, True, 2.0])
def test_a_peak_fit_with_max_peaks_outside_1_to_5_is_rejected_when_built(tmp_path, max_peaks):
    journal = Journal(tmp_path / "j.sqlite")
    analysis = {"name": "peak_fit", "options": {"max_peaks": max_peaks}}
    with pytest.raises(InvalidParameterError, match="max_peaks=.* must be an integer from 1 to 5"):
        Campaign.create(journal, SPACE, {"name": "random"}, analysis=analysis)
    assert journal.campaign_ids() == []


@pytest.mark.skipif(not DEFAULT_WEIGHTS.is_file(), reason="no trained weights")
def test_peak_fit_features_are_journaled_and_one_becomes_the_value(tmp_path):
    journal = Journal(tmp_path / "j.sqlite")
    campaign = Campaign.create(
        journal,
        SPACE,
        {"name": "random"},
        analysis={"name": "peak_fit", "value": "area_ratio_1"},
    )
    e = np.arange(700.0, 725.0, 0.05)
    counts = 100 + 2000 * xps_peak(e, 707.0, 1.0, 0.3) + 1000 * xps_peak(e, 720.0, 1.0, 0.3)
    spectrum = Spectrum(e[::-1], counts[::-1], "eV", "counts")  # a descending axis is fine
    assert campaign.observe(Observation(point={"x": 0.5}, spectrum=spectrum))
    stored = journal.observations(campaign.id)[0]
    assert stored.metadata["features"]["n_peaks"] == 2
    assert stored.metadata["features"]["warnings"] == []
    assert stored.value == pytest.approx(0.5, abs=0.05)
    assert stored.metadata["value_from"] == "area_ratio_1"


def test_a_peak_fit_journals_the_fit_warning_of_lines_beyond_max_peaks(tmp_path):
    journal = Journal(tmp_path / "j.sqlite")
    analysis = {"name": "peak_fit", "options": {"max_peaks": 1}, "value": "n_peaks"}
    campaign = Campaign.create(journal, SPACE, {"name": "random"}, analysis=analysis)
    e = np.arange(700.0, 725.0, 0.05)
    counts = 100 + 2000 * xps_peak(e, 707.0, 1.0, 0.3) + 1000 * xps_peak(e, 720.0, 1.0, 0.3)
    assert campaign.observe(Observation(point={"x": 0.5}, spectrum=Spectrum(e, counts)))
    (warning,) = journal.observations(campaign.id)[0].metadata["features"]["warnings"]
    assert "residual holds another near 720" in warning and "raise max_peaks" in warning


@pytest.mark.skipif(not DEFAULT_WEIGHTS.is_file(), reason="no trained weights")
def test_a_failed_analysis_keeps_the_spectrum_in_the_journal_once_and_learns_nothing(tmp_path):
    journal = Journal(tmp_path / "j.sqlite")
    campaign = Campaign.create(
        journal, SPACE, {"name": "random"}, analysis={"name": "peak_fit", "value": "area_ratio_1"}
    )
    (suggestion,) = campaign.suggest(1)
    e = np.arange(700.0, 725.0, 0.05)
    counts = 100 + 2000 * xps_peak(e, 707.0, 1.0, 0.3)  # one peak: no area_ratio_1
    observation = Observation(
        point={"x": 0.25},
        spectrum=Spectrum(e, counts, "eV", "counts"),
        suggestion_id=suggestion.id,
    )
    for _ in range(2):  # a retried put journals the measurement once
        with pytest.raises(AnalysisError, match="no finite 'area_ratio_1'.*'analysis_failed'"):
            campaign.observe(observation, client_id="drv", sequence=7)
    assert journal.observations(campaign.id) == [] and campaign.n_observations == 0
    (event,) = journal.events(campaign.id, "analysis_failed")
    kept = event["payload"]
    assert kept["point"] == {"x": 0.25} and kept["suggestion_id"] == suggestion.id
    assert (kept["client_id"], kept["sequence"]) == ("drv", 7) and "area_ratio_1" in kept["error"]
    np.testing.assert_array_equal(kept["spectrum"]["x"], e)
    np.testing.assert_array_equal(kept["spectrum"]["y"], counts)
    assert kept["spectrum"]["y_units"] == "counts"
    resumed = Campaign.resume(journal, campaign.id)
    assert resumed.n_observations == 0


def test_element_analysis_refuses_a_spectrum_it_cannot_place_with_a_typed_error():
    analysis = Analysis({"name": "elements"})
    with pytest.raises(InvalidParameterError, match="cannot identify elements"):
        analysis(Spectrum(np.array([500.0]), np.array([1.0])))


def test_a_peak_fit_refuses_an_axis_out_of_order_naming_the_points_as_sent():
    """It sorted x: a shuffled spectrum was fitted, and two sweeps sent one after the
    other were told of a repeat at points 0 and 1, not 0 and 501 (review W15)."""
    energy = np.linspace(920.0, 970.0, 501)
    counts = 100.0 + 1000.0 * xps_peak(energy, 933.0, 1.2, 0.3)
    analysis = Analysis({"name": "peak_fit"})
    with pytest.raises(InvalidParameterError, match=r"point 501 \(920 eV\) follows 970 eV"):
        analysis(Spectrum(np.r_[energy, energy], np.r_[counts, counts], x_units="eV"))
    shuffled = np.random.default_rng(0).permutation(energy.size)
    with pytest.raises(
        InvalidParameterError, match=r"descends from its first point to its last, but point 3 \("
    ):
        analysis(Spectrum(energy[shuffled], counts[shuffled], x_units="eV"))
    repeated = energy.copy()
    repeated[300] = repeated[299]
    with pytest.raises(InvalidParameterError, match=r"repeats 949\.9 eV at points 299 and 300"):
        analysis(Spectrum(repeated, counts, x_units="eV"))


def test_element_analysis_errors_on_sent_arrays_name_no_empty_source():
    # sent arrays have no file name: the error read "in this spectrum: : energy must ..."
    with pytest.raises(InvalidParameterError) as caught:
        Analysis({"name": "elements"})(Spectrum(np.full(500, 600.0), np.ones(500), x_units="eV"))
    assert "in this spectrum: energy must increase strictly" in str(caught.value)
    assert "(a dispersion of 0)" in str(caught.value)
    assert ": :" not in str(caught.value)


@pytest.mark.parametrize(
    "analysis",
    [
        {"name": "elements", "value": "p_Zz"},
        {"name": "elements", "value": "n_peaks"},
        {"name": "elements", "value": "present"},  # a list of elements, not a number
        {"name": "peak_fit", "value": "center_5"},  # max_peaks=5 numbers peaks 0..4
        {"name": "peak_fit", "options": {"max_peaks": 2}, "value": "area_2"},
        {"name": "peak_fit", "value": "p_Fe"},
    ],
)
def test_a_value_the_analysis_never_gives_is_rejected_before_journaling(tmp_path, analysis):
    journal = Journal(tmp_path / "j.sqlite")
    with pytest.raises(InvalidParameterError, match="gives no feature"):
        Campaign.create(journal, SPACE, {"name": "random"}, analysis=analysis)
    assert journal.campaign_ids() == []


@pytest.mark.parametrize(("value", "meant"), [("p_0", "p_O"), ("p_fe", "p_Fe")])
def test_a_misspelt_value_names_the_closest_feature(tmp_path, value, meant):
    # every misspelt option and goal got a "did you mean"; a misspelt value, a list of 81
    journal = Journal(tmp_path / "j.sqlite")
    analysis = {"name": "elements", "value": value}
    with pytest.raises(InvalidParameterError, match=rf"'{value}' \(did you mean '{meant}'\?\);"):
        Campaign.create(journal, SPACE, {"name": "random"}, analysis=analysis)


@pytest.mark.parametrize("value", ["p_H", "p_u", "p_Po"])
def test_a_value_of_an_element_the_networks_do_not_identify_names_their_range(tmp_path, value):
    # p_H was asked whether it meant p_Rh, p_U whether p_Ru (review V15)
    journal = Journal(tmp_path / "j.sqlite")
    analysis = {"name": "elements", "value": value}
    with pytest.raises(InvalidParameterError, match=r"identify Be to Bi, Z = 4 to 83, so not") as e:
        Campaign.create(journal, SPACE, {"name": "random"}, analysis=analysis)
    assert "did you mean" not in str(e.value)


@pytest.mark.parametrize(
    "analysis",
    [
        {"name": "elements", "value": "p_Fe"},
        {"name": "elements", "value": "n_elements"},
        {"name": "peak_fit", "value": "area_ratio_4"},
        {"name": "peak_fit", "options": {"max_peaks": 2}, "value": "center_1"},
        {"name": "peak_fit", "value": "doublet_ratio"},
        {"name": "peak_fit", "value": "splitting"},
    ],
)
def test_every_feature_an_analysis_gives_is_a_valid_value(analysis):
    assert Analysis(analysis).value == analysis["value"]


@pytest.mark.parametrize("option", ["basin_hopping", "poisson_weights", "doublets"])
@pytest.mark.parametrize("flag", ["no", 0, 1, None])
def test_peak_fit_flags_must_be_real_bools(option, flag):
    with pytest.raises(InvalidParameterError, match=f"{option}=.* must be true or false"):
        Analysis({"name": "peak_fit", "options": {option: flag}})


@pytest.mark.skipif(not DEFAULT_WEIGHTS.is_file(), reason="no trained weights")
def test_a_peak_fit_can_fit_data_that_are_not_counts_unweighted():
    e = np.arange(280.0, 295.0, 0.05)
    clean = 100 + 5000 * xps_peak(e, 285.0, 1.2, 0.3) + 2500 * xps_peak(e, 288.5, 1.4, 0.3)
    # a normalised export: noise growing with the level, so the fitter weights it as counts
    # (noise of one level it fits unweighted anyway)
    normalised = np.random.default_rng(1).poisson(clean) / 7.3
    spectrum = Spectrum(e, normalised, "eV", "counts")
    weighted = Analysis({"name": "peak_fit"})(spectrum)[0]
    unweighted = Analysis({"name": "peak_fit", "options": {"poisson_weights": False}})(spectrum)[0]
    assert weighted["n_peaks"] == unweighted["n_peaks"] == 2
    assert unweighted["area_0"] != pytest.approx(weighted["area_0"], rel=1e-6)  # another fit
    assert unweighted["center_0"] == pytest.approx(285.0, abs=0.05)


@pytest.mark.skipif(not DEFAULT_WEIGHTS.is_file(), reason="no trained weights")
def test_a_doublet_fit_gives_only_features_the_analysis_names():
    # two 2p doublets: a doublet fit with a hidden 4th line gave center_3 for max_peaks=3
    e = np.arange(700.0, 740.0, 0.1)
    lines = [(708.0, 4000.0), (721.0, 2000.0), (713.0, 3000.0), (726.0, 1500.0)]
    peaks = sum(h * xps_peak(e, c, 1.5, 0.3) for c, h in lines)
    counts = np.random.default_rng(0).poisson(1000.0 + peaks).astype(float)
    analysis = Analysis({"name": "peak_fit", "options": {"max_peaks": 3}, "value": "n_peaks"})
    features, value = analysis(Spectrum(e, counts, "eV", "counts"))
    assert value == 3 and set(features) - {"warnings"} <= analysis.step.feature_names()


@pytest.mark.parametrize(
    ("networks", "members"), [("unet", 1), (["unet"], 1), (("unet", "resnet"), 2), (None, 2)]
)
def test_element_analysis_takes_one_network_name_or_a_list(networks, members):
    # a single name was split into letters ("u", "n", ...) and refused as weights eels_u.pt
    analysis = Analysis({"name": "elements", "options": {"networks": networks}})
    assert len(analysis.step.identifier.networks) == members


@pytest.mark.parametrize("networks", [3, {"unet": 1}, []])
def test_element_analysis_refuses_networks_that_are_not_a_list(networks):
    with pytest.raises(InvalidParameterError, match=r'networks is a list such as \["unet"'):
        Analysis({"name": "elements", "options": {"networks": networks}})


def test_element_analysis_journals_the_out_of_domain_warnings(tmp_path):
    journal = Journal(tmp_path / "j.sqlite")
    campaign = Campaign.create(
        journal, SPACE, {"name": "random"}, analysis={"name": "elements", "value": "p_O"}
    )
    e = np.arange(520.0, 540.0, 0.1)  # a 20 eV window: narrower than any trained one
    y = 1e4 * (e / 520) ** -3 * (1 + 0.5 * (e > 532))
    assert campaign.observe(Observation(point={"x": 0.5}, spectrum=Spectrum(e, y)))
    features = journal.observations(campaign.id)[0].metadata["features"]
    (warning,) = features["warnings"]
    assert "20 eV wide, narrower than the 30 eV" in warning
    assert features["n_elements"] >= 1


def test_element_analysis_journals_the_elements_present(tmp_path):
    # the journal held p_<element> and n_elements but never said which elements were found
    journal = Journal(tmp_path / "j.sqlite")
    analysis = {"name": "elements", "options": {"networks": "unet"}, "value": "n_elements"}
    campaign = Campaign.create(journal, SPACE, {"name": "random"}, analysis=analysis)
    e, y = edge_spectrum()
    assert campaign.observe(Observation(point={"x": 0.5}, spectrum=Spectrum(e, y)))
    stored = journal.observations(campaign.id)[0]
    features = stored.metadata["features"]
    thresholds = dict(zip(ELEMENTS, campaign.analysis.step.identifier.thresholds, strict=True))
    shown = features["has_edge_in_window"]
    above = [el for el in shown if features[f"p_{el}"] > thresholds[el]]
    assert "O" in features["present"] and sorted(features["present"]) == sorted(above)
    assert [features[f"p_{el}"] for el in features["present"]] == sorted(
        (features[f"p_{el}"] for el in above), reverse=True
    )
    assert stored.value == features["n_elements"] == len(above)


def edge_spectrum() -> tuple[np.ndarray, np.ndarray]:
    """(x, y) (n,) each: an O K edge at 532 eV on a power-law background, eV."""
    e = np.arange(480.0, 620.0, 0.5)
    return e, 1e4 * (e / 480) ** -3 * (1 + 0.5 * (e > 532))


@pytest.mark.parametrize("units", ["keV", "KeV", "Energy loss (keV)"])
def test_element_analysis_reads_x_in_the_units_the_spectrum_names(units):
    # keV was refused with "multiply the energies by 1000 (or mark the unit ...)"
    analysis = Analysis({"name": "elements", "options": {"networks": "unet"}})
    e, y = edge_spectrum()
    in_ev = analysis(Spectrum(e, y, "eV"))[0]
    in_kev = analysis(Spectrum(e / 1000, y, units))[0]
    for listed in ("warnings", "present", "has_edge_in_window", "window_ev"):
        assert in_kev.pop(listed) == in_ev.pop(listed)
    assert in_kev == pytest.approx(in_ev, abs=1e-4)


@pytest.mark.parametrize("units", ["nm", "channel", "MeV"])
def test_element_analysis_refuses_x_units_that_are_not_an_energy(units):
    # they were read as eV
    analysis = Analysis({"name": "elements", "options": {"networks": "unet"}})
    with pytest.raises(
        InvalidParameterError, match=rf"x_units='{units}': x is energy loss in eV, keV or meV"
    ):
        analysis(Spectrum(*edge_spectrum(), units))


def marked_weights(path: Path) -> Path:
    """An untrained peak network saved to ``path``, its metadata ``{"marked": True}``."""
    net = PeakNet()
    save_file(
        {"config": net.config, "state_dict": net.state_dict(), "metadata": {"marked": True}}, path
    )
    return path


def two_peaks() -> tuple[np.ndarray, np.ndarray]:
    """(binding energy, counts) (n,) each: Cu 2p3/2 at 932.7 and a satellite at 943 eV."""
    e = np.arange(925.0, 950.0, 0.05)
    peaks = 6000 * xps_peak(e, 932.7, 1.2, 0.3) + 1500 * xps_peak(e, 943.0, 2.5, 0.3)
    return e, np.random.default_rng(3).poisson(500 + peaks).astype(float)


@pytest.mark.skipif(not DEFAULT_WEIGHTS.is_file(), reason="no trained weights")
@pytest.mark.parametrize("units", ["keV", "Binding Energy (keV)"])
def test_a_peak_fit_reads_x_in_the_units_the_spectrum_names(units):
    # keV was fitted as eV: two peaks at 0.935 and 0.966 "eV", another area ratio
    analysis = Analysis({"name": "peak_fit", "value": "area_ratio_1"})
    e, counts = two_peaks()
    in_ev, ratio = analysis(Spectrum(e, counts, "eV"))
    in_kev, ratio_kev = analysis(Spectrum(e / 1000, counts, units))
    assert in_ev.pop("warnings") == in_kev.pop("warnings") == []
    assert in_kev == pytest.approx(in_ev, rel=1e-5) and ratio_kev == pytest.approx(ratio, rel=1e-5)
    assert in_kev["center_0"] == pytest.approx(932.7, abs=0.05)


@pytest.mark.skipif(not DEFAULT_WEIGHTS.is_file(), reason="no trained weights")
@pytest.mark.parametrize(
    "units", ["binding energy", "Binding Energy / eV", "B.E.", "eV (BE)", "BE (eV)", "BE"]
)
def test_a_peak_fit_reads_xps_binding_energy_labels_as_ev(units):
    # all but 'BE (eV)' were refused, so an XPS driver sending them failed every spectrum
    analysis = Analysis({"name": "peak_fit", "value": "area_ratio_1"})
    e, counts = two_peaks()
    assert analysis(Spectrum(e, counts, units)) == analysis(Spectrum(e, counts, "eV"))


@pytest.mark.parametrize("units", ["KE", "K.E.", "kinetic energy", "Kinetic Energy (eV)"])
def test_a_peak_fit_refuses_kinetic_energy_and_says_why(units):
    analysis = Analysis({"name": "peak_fit"})
    with pytest.raises(InvalidParameterError, match="kinetic energy is not binding energy"):
        analysis(Spectrum(*two_peaks(), units))


@pytest.mark.parametrize("units", ["nm", "counts", "eV KE"])
def test_a_peak_fit_refuses_x_units_that_are_not_an_energy(units):
    # they were fitted as eV
    analysis = Analysis({"name": "peak_fit"})
    with pytest.raises(
        InvalidParameterError,
        match=rf"cannot fit peaks in a spectrum with x_units='{units}': x is binding energy in "
        "eV, keV or meV",
    ):
        analysis(Spectrum(*two_peaks(), units))


@pytest.mark.skipif(not DEFAULT_WEIGHTS.is_file(), reason="no trained weights")
def test_peak_fit_regions_give_stable_named_features_and_the_value(tmp_path):
    # features were only numbered by position: one more small peak renumbered them
    journal = Journal(tmp_path / "j.sqlite")
    regions = {"main": [930, 936], "sat": [938.0, 948.0]}
    analysis = {"name": "peak_fit", "options": {"regions": regions}, "value": "area_fraction_sat"}
    campaign = Campaign.create(journal, SPACE, {"name": "random"}, analysis=analysis)
    assert campaign.observe(Observation(point={"x": 0.5}, spectrum=Spectrum(*two_peaks())))
    stored = journal.observations(campaign.id)[0]
    features = stored.metadata["features"]
    total = sum(features[f"area_{i}"] for i in range(int(features["n_peaks"])))
    assert features["area_main"] + features["area_sat"] == pytest.approx(total)
    assert (
        stored.value == features["area_fraction_sat"] == pytest.approx(features["area_sat"] / total)
    )
    assert 0.3 < stored.value < 0.5  # the satellite: 1500 x 2.5 eV of 6000 x 1.2 eV
    resumed = Campaign.resume(journal, campaign.id)
    assert resumed.n_observations == 1


@pytest.mark.parametrize(
    ("regions", "match"),
    [
        ({"main": [936, 930]}, "regions entry 'main': \\[936, 930\\]: its low end"),
        ({"main": [930, None]}, "regions entry 'main'.*not a \\[low, high\\] pair of finite"),
        ({"2p3": [930, 936]}, "regions entry '2p3'.*not a plain identifier"),
        ("main", "regions is a mapping of names to \\[low, high\\] binding-energy windows"),
    ],
)
def test_bad_peak_fit_regions_are_refused_before_journaling(tmp_path, regions, match):
    journal = Journal(tmp_path / "j.sqlite")
    analysis = {"name": "peak_fit", "options": {"regions": regions}}
    with pytest.raises(InvalidParameterError, match=match):
        Campaign.create(journal, SPACE, {"name": "random"}, analysis=analysis)
    assert journal.campaign_ids() == []


def test_a_peak_fit_value_may_name_a_region_feature_but_no_other_region():
    options = {"regions": {"main": [930, 936]}}
    assert Analysis({"name": "peak_fit", "options": options, "value": "area_main"}).value
    with pytest.raises(InvalidParameterError, match="gives no feature 'area_sat'"):
        Analysis({"name": "peak_fit", "options": options, "value": "area_sat"})


@pytest.mark.parametrize(
    ("options", "value", "advice"),
    [
        ({}, "area_sat", 'add "regions": {"sat": [LOW, HIGH]} to the options'),
        ({}, "area_fraction_sat", 'add "regions": {"sat": [LOW, HIGH]} to the options'),
        (
            {"regions": {"main": [930, 936]}},
            "area_sat",
            """add "sat": [LOW, HIGH] to the "regions" option, which names only ['main']""",
        ),
    ],
)
def test_a_peak_fit_value_of_an_undefined_region_says_how_to_define_it(options, value, advice):
    with pytest.raises(InvalidParameterError, match=f"gives no feature '{value}'") as info:
        Analysis({"name": "peak_fit", "options": options, "value": value})
    assert f"no region 'sat' is defined: for the area of the peaks in a window, {advice} " in str(
        info.value
    )
    assert str(info.value).endswith("(LOW, HIGH: binding energies, eV)")
    for per_peak in ("area_5", "area_ratio_5"):  # beyond max_peaks=5: no region meant
        with pytest.raises(InvalidParameterError, match="or is null$"):
            Analysis({"name": "peak_fit", "options": options, "value": per_peak})


def refused_create(server, analysis: dict, match: str) -> None:
    """Check that the server refuses a campaign of ``analysis`` with an InvalidParameterError
    matching ``match``, and creates none."""
    with Client(server.endpoint, timeout_s=30, retries=0) as client:
        with pytest.raises(RemoteError, match=match) as err:
            client.call(
                "campaign_create", space=SPACE, strategy={"name": "random"}, analysis=analysis
            )
        assert err.value.type == "InvalidParameterError"
        assert client.call("campaign_list") == []


def test_the_server_tells_a_region_value_without_regions_to_add_them(server):
    analysis = {"name": "peak_fit", "options": {}, "value": "area_sat"}
    refused_create(server, analysis, 'add "regions": {"sat": \\[LOW, HIGH\\]}')


def test_a_peak_fit_uses_the_weights_file_it_names(tmp_path):
    # the committed weights were always loaded
    path = marked_weights(tmp_path / "retrained.pt")
    analysis = Analysis({"name": "peak_fit", "options": {"weights": str(path)}})
    assert analysis.step.fitter.predictor.metadata == {"marked": True}
    assert Analysis({"name": "peak_fit"}).step.fitter.predictor.metadata != {"marked": True}


@pytest.mark.parametrize(
    ("weights", "match"),
    [
        ("missing.pt", r"no peak-network weights at \S*missing\.pt; train them"),
        (3, "weights is the path of a peak-network weights file, or null .* got 3"),
    ],
)
def test_a_peak_fit_with_weights_it_cannot_load_is_refused_before_journaling(
    tmp_path, weights, match
):
    journal = Journal(tmp_path / "j.sqlite")
    weights = str(tmp_path / weights) if isinstance(weights, str) else weights
    analysis = {"name": "peak_fit", "options": {"weights": weights}}
    with pytest.raises(InvalidParameterError, match=match):
        Campaign.create(journal, SPACE, {"name": "random"}, analysis=analysis)
    assert journal.campaign_ids() == []


def retrained_eels(path: Path) -> Path:
    """An EELS ResNet trained for one step on 128 simulated spectra (seconds), saved to
    ``path`` as ``adaptive train eels --out`` saves one."""
    train_eels_net(
        "resnet",
        n_train=128,
        epochs=1,
        batch_size=128,
        checkpoint_dir=path.parent / "checkpoints",
        out_path=path,
        progress=False,
        n_val=100,
    )
    return path


@pytest.fixture(scope="module")
def retrained(tmp_path_factory) -> Path:
    return retrained_eels(tmp_path_factory.mktemp("eels") / "my_resnet.pt")


def test_an_element_analysis_uses_the_weights_files_it_names(tmp_path, retrained):
    # the committed networks were always loaded
    journal = Journal(tmp_path / "j.sqlite")
    analysis = {"name": "elements", "options": {"weights": str(retrained)}, "value": "p_O"}
    campaign = Campaign.create(journal, SPACE, {"name": "random"}, analysis=analysis)
    for step in (campaign.analysis.step, Campaign.resume(journal, campaign.id).analysis.step):
        (settings,) = [member["settings"] for member in step.identifier.metadata]
        assert settings["n_train"] == 128 and settings["arch"] == "resnet"
    both = Analysis({"name": "elements", "options": {"weights": [str(retrained)] * 2}})
    assert len(both.step.identifier.networks) == 2


@pytest.mark.parametrize(
    ("weights", "match"),
    [
        ("missing.pt", r"no EELS weights at \S*missing\.pt; pass a weights file that adaptive "),
        ("junk.pt", r"junk\.pt cannot be read .*adaptive train eels --out"),
        (3, "weights is the path of an EELS weights file .* got 3"),
        ([], "weights is the path of an EELS weights file .* got \\[\\]"),
    ],
)
def test_an_element_analysis_with_weights_it_cannot_load_is_refused_before_journaling(
    tmp_path, weights, match
):
    journal = Journal(tmp_path / "j.sqlite")
    (tmp_path / "junk.pt").write_bytes(b"not a weights file")
    weights = str(tmp_path / weights) if isinstance(weights, str) else weights
    analysis = {"name": "elements", "options": {"weights": weights}}
    with pytest.raises(InvalidParameterError, match=match):
        Campaign.create(journal, SPACE, {"name": "random"}, analysis=analysis)
    assert journal.campaign_ids() == []


def test_an_element_analysis_takes_networks_or_weights_not_both(retrained):
    options = {"networks": "unet", "weights": str(retrained)}
    with pytest.raises(InvalidParameterError, match="give networks .* or weights .*, not both"):
        Analysis({"name": "elements", "options": options})


#: Networks and weights together: ``networks`` naming the committed ensemble was ignored.
BOTH = {"networks": ["unet", "resnet"], "weights": str(WEIGHTS_DIR / "eels_unet.pt")}


def test_networks_beside_weights_are_refused_even_when_they_name_the_committed_ones(tmp_path):
    journal = Journal(tmp_path / "j.sqlite")
    analysis = {"name": "elements", "options": BOTH}
    with pytest.raises(
        InvalidParameterError, match=r"give networks \['unet', 'resnet'\] .* or weights .*eels_unet"
    ):
        Campaign.create(journal, SPACE, {"name": "random"}, analysis=analysis)
    assert journal.campaign_ids() == []


def test_the_server_answers_networks_beside_weights_with_a_typed_error(server):
    analysis = {"name": "elements", "options": BOTH}
    refused_create(server, analysis, "not both: a weights file carries its arch")


def test_the_server_answers_an_unloadable_elements_weights_file_with_a_typed_error(
    server, tmp_path
):
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a weights file")
    analysis = {"name": "elements", "options": {"weights": str(junk)}}
    with Client(server.endpoint, timeout_s=10, retries=1) as client:
        with pytest.raises(RemoteError, match=f"{junk} cannot be read") as err:
            client.call(
                "campaign_create", space=SPACE, strategy={"name": "random"}, analysis=analysis
            )
        assert err.value.type == "InvalidParameterError"
        assert client.call("campaign_list") == []


def test_the_elements_default_is_the_identifiers_committed_ensemble():
    from adaptive.analysis import COMMITTED_NETWORKS
    from surrogates.eels_net import COMMITTED_NETWORKS as IDENTIFIERS

    assert COMMITTED_NETWORKS == IDENTIFIERS


def test_importing_analysis_does_not_load_torch():
    # hence the twin of COMMITTED_NETWORKS above, and the networks imported on first use
    assert run_python("import sys, adaptive.analysis; print('torch' in sys.modules)") == "False"


def sha12(path: Path) -> str:
    """The first 12 hex digits of the file's SHA-256."""
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def test_an_element_campaign_whose_weights_file_was_retrained_in_place_refuses_spectra(tmp_path):
    # the resumed campaign silently analysed with the new network: p_O 0.50 became 0.95
    mine = tmp_path / "mine.pt"
    shutil.copy(WEIGHTS_DIR / "eels_resnet.pt", mine)
    journal = Journal(tmp_path / "j.sqlite")
    analysis = {"name": "elements", "options": {"weights": str(mine)}, "value": "p_O"}
    campaign = Campaign.create(journal, SPACE, {"name": "random"}, analysis=analysis)
    spectrum = Spectrum(*edge_spectrum())
    assert campaign.observe(Observation({"x": 0.5}, spectrum=spectrum))
    before = journal.observations(campaign.id)
    recorded = sha12(mine)
    shutil.copy(WEIGHTS_DIR / "eels_unet.pt", mine)  # train eels --out mine.pt again
    resumed = Campaign.resume(journal, campaign.id)
    assert resumed.n_observations == 1 and resumed.summary()["status"] == "running"
    with pytest.raises(
        InvalidParameterError,
        match=rf"weights file \S*mine\.pt \(SHA-256 {recorded} then, {sha12(mine)} now\) changed "
        r"since the campaign was created.*restore what it names and restart the server, or "
        "start a new campaign",
    ):
        resumed.observe(Observation({"x": 0.25}, spectrum=spectrum))
    assert journal.observations(campaign.id) == before and resumed.n_observations == 1
    assert journal.events(campaign.id, "analysis_failed") == []  # the server's, not the sample
    shutil.copy(WEIGHTS_DIR / "eels_resnet.pt", mine)  # restored: the campaign runs again
    restored = Campaign.resume(journal, campaign.id)
    assert restored.analysis.unavailable is None
    assert restored.observe(Observation({"x": 0.75}, spectrum=spectrum))


def observed_peak_fit_campaign(tmp_path: Path) -> tuple[Path, Journal, Campaign, Spectrum]:
    """A random campaign counting peaks with ``marked_weights`` at ``tmp_path / "w.pt"``,
    one ``two_peaks`` spectrum observed: (weights, journal, campaign, that spectrum)."""
    weights = marked_weights(tmp_path / "w.pt")
    journal = Journal(tmp_path / "j.sqlite")
    analysis = {"name": "peak_fit", "options": {"weights": str(weights)}, "value": "n_peaks"}
    campaign = Campaign.create(journal, SPACE, {"name": "random"}, analysis=analysis)
    spectrum = Spectrum(*two_peaks(), "eV", "counts")
    assert campaign.observe(Observation({"x": 0.5}, spectrum=spectrum))
    return weights, journal, campaign, spectrum


def test_a_peak_fit_campaign_whose_weights_file_was_resaved_refuses_spectra(tmp_path):
    weights, journal, campaign, spectrum = observed_peak_fit_campaign(tmp_path)
    assert Campaign.resume(journal, campaign.id).analysis.unavailable is None  # unchanged
    marked_weights(weights)  # another network, saved over the file
    changed = r"w\.pt \(SHA-256 \w{12} then, \w{12} now\) changed"
    with pytest.raises(InvalidParameterError, match=changed):
        Campaign.resume(journal, campaign.id).observe(Observation({"x": 0.25}, spectrum=spectrum))
    assert len(journal.observations(campaign.id)) == 1
    assert journal.events(campaign.id, "analysis_failed") == []


def test_a_campaign_journaled_without_weights_hashes_resumes_as_before(tmp_path):
    weights = marked_weights(tmp_path / "w.pt")
    journal = Journal(tmp_path / "j.sqlite")
    analysis = {"name": "peak_fit", "options": {"weights": str(weights)}, "value": "n_peaks"}
    journal.create_campaign(
        "old", {"space": SPACE, "strategy": {"name": "random"}, "analysis": analysis}
    )
    marked_weights(weights)
    resumed = Campaign.resume(journal, "old")
    assert resumed.observe(Observation({"x": 0.5}, spectrum=Spectrum(*two_peaks(), "eV")))


def test_weights_hashes_are_recorded_by_the_server_not_given(tmp_path):
    weights = marked_weights(tmp_path / "w.pt")
    journal = Journal(tmp_path / "j.sqlite")
    analysis = {"name": "peak_fit", "options": {"weights": str(weights)}}
    campaign = Campaign.create(journal, SPACE, {"name": "random"}, analysis=analysis)
    stored = journal.campaign(campaign.id)["config"]["analysis"]["weights_sha256"]
    assert {path: digest[:12] for path, digest in stored.items()} == {str(weights): sha12(weights)}
    with pytest.raises(InvalidParameterError, match="weights_sha256 is recorded by the server"):
        Campaign.create(
            journal, SPACE, {"name": "random"}, analysis={**analysis, "weights_sha256": stored}
        )
    assert journal.campaign_ids() == [campaign.id]
    committed = Campaign.create(journal, SPACE, {"name": "random"}, analysis={"name": "peak_fit"})
    assert "weights_sha256" not in journal.campaign(committed.id)["config"]["analysis"]


@contextlib.contextmanager
def serving(journal: Path):
    """A client of a server started on ``journal``; the server stops on leaving."""
    server = Server(journal, bind="tcp://127.0.0.1:0")
    try:
        with Client(server.start(), timeout_s=30, retries=0) as client:
            yield client
    finally:
        server.stop()


def test_the_server_answers_a_put_after_its_weights_file_changed_with_a_typed_error(tmp_path):
    weights = marked_weights(tmp_path / "w.pt")
    analysis = {"name": "peak_fit", "options": {"weights": str(weights)}, "value": "n_peaks"}
    spectrum = dict(zip("xy", (v.tolist() for v in two_peaks()), strict=True))
    put = {"campaign_id": "c", "point": {"x": 0.5}, "spectrum": spectrum}
    with serving(tmp_path / "j.sqlite") as client:
        client.call(
            "campaign_create",
            campaign_id="c",
            space=SPACE,
            strategy={"name": "random"},
            analysis=analysis,
        )
        assert client.call("observation_put", **put)["value"] is not None
    marked_weights(weights)  # retrained in place while the server was down
    with serving(tmp_path / "j.sqlite") as client:
        with pytest.raises(RemoteError, match="changed since the campaign was created") as err:
            client.call("observation_put", **put)
        assert err.value.type == "InvalidParameterError"
        status = client.call("campaign_status", campaign_id="c")
        assert status["status"] == "running" and status["n_observations"] == 1


def test_an_element_the_window_cannot_show_is_undefined_not_absent(tmp_path):
    # p_Ni on an O K-edge window was a confident 0.0003, learned as "no Ni here"
    journal = Journal(tmp_path / "j.sqlite")
    analysis = {"name": "elements", "options": {"networks": "unet"}, "value": "p_Ni"}
    campaign = Campaign.create(journal, SPACE, {"name": "random"}, analysis=analysis)
    e, y = edge_spectrum()
    with pytest.raises(
        AnalysisError, match=r"Ni has no major edge inside its window, 480-619 eV"
    ) as err:
        campaign.observe(Observation(point={"x": 0.5}, spectrum=Spectrum(e, y)))
    # the 85 feature names buried the reason, and no edge of Ni was named
    assert "measure a window holding Ni's M2/M3 68, L3 855 or L2 872 eV edge" in str(err.value)
    assert re.search(r"features: \d+\)", str(err.value)) and "p_Zr" not in str(err.value)
    failed = journal.events(campaign.id, "analysis_failed")
    assert len(failed) == 1 and journal.observations(campaign.id) == []
    features, value = Analysis({**analysis, "value": "p_O"})(Spectrum(e, y))
    assert value == features["p_O"] > 0.5 and features["p_Ni"] is None
    assert features["window_ev"] == [480, 619] and "O" in features["has_edge_in_window"]
