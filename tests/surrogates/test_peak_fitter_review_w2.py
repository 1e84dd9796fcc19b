"""An XPS user's review of the fitter's warnings: a survey line past the whole window's
dip is named, the slots-left advice fits the network in use, a kinetic-energy axis read
as binding energy is flagged, and keV/meV errors name the file-level fix."""

import shutil

import numpy as np
import pytest

import surrogates.peak_fitter as peak_fitter
from adaptive.errors import InvalidParameterError
from simulators.lineshapes import xps_peak
from simulators.xps_files import read_vamas, read_xps
from surrogates.peak_fitter import PeakFitter
from surrogates.peak_net import DEFAULT_WEIGHTS, PeakNetPredictor
from tests.shared_data import SHARED_DATA
from tests.surrogates.test_peak_fitter_weak_net import blind, poisson

DATA = SHARED_DATA / "xps"
pytestmark = pytest.mark.skipif(not DEFAULT_WEIGHTS.is_file(), reason="no trained weights")
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason="shared data absent")

E = np.arange(280.0, 300.0, 0.05)
KINETIC = "is this a kinetic-energy axis? title the column 'Kinetic Energy (eV)'"
SHAPE_ADVICE = "it may be the shape misfit of the line beside it"


def window(name, low, high):
    region = read_xps(DATA / name)
    inside = (region.binding_energy >= low) & (region.binding_energy <= high)
    return region.binding_energy[inside], region.counts[inside]


@needs_data
def test_a_survey_line_past_the_whole_windows_dip_is_named():
    # the whole window's residual peak lies on a dip (593 eV, -2,553 counts); a piece of
    # the window finds Cu 3p, which the fitter would add (chi2r 120 -> 42)
    survey = read_xps(DATA / "Cu_references.vms", 4)
    result = PeakFitter().fit(survey.binding_energy, survey.counts)
    assert len(result.peaks) == 5
    (warning,) = [w for w in result.warnings if "the residual holds" in w]  # besides the survey's
    assert warning.startswith("all max_peaks=5 peaks are fitted and the residual holds another")
    assert "near 76.20 eV, 1.62e+04 counts high" in warning


@needs_data
@pytest.mark.parametrize(
    ("name", "low", "high", "poisson_weights"),
    [("Cu2p_Cu_metal.txt", 925, 965, True), ("Co2p_Co_metal.txt", 775, 805, False)],
)
def test_slots_left_with_the_committed_network_advise_on_the_shape(
    name, low, high, poisson_weights
):
    result = PeakFitter(poisson_weights=poisson_weights).fit(*window(name, low, high))
    (warning,) = [w for w in result.warnings if "leaves room" in w]
    assert SHAPE_ADVICE in warning and "fit with asymmetry on" in warning
    assert "fit a narrower window around it" in warning
    assert "weights" not in warning and "network may be weak" not in warning


def test_the_advice_names_asymmetry_only_where_it_is_off():
    assert "asymmetry" in PeakFitter()._room_advice()
    fitted = PeakFitter(asymmetry=True)._room_advice()
    assert fitted.startswith(SHAPE_ADVICE) and "asymmetry" not in fitted


def test_a_retrained_network_is_told_apart_from_the_committed_one(tmp_path):
    assert PeakNetPredictor.load().committed
    assert PeakNetPredictor.load(str(DEFAULT_WEIGHTS)).committed
    retrained = tmp_path / "peak_net.pt"
    shutil.copy(DEFAULT_WEIGHTS, retrained)
    assert not PeakNetPredictor.load(retrained).committed
    assert not blind().committed
    advice = PeakFitter(predictor=blind())._room_advice()
    assert (
        advice.startswith("the peak network may be weak")
        and "leave out the weights option" in advice
    )


def spectrum_with_step() -> np.ndarray:
    """(m,) counts of one line on a background rising toward high binding energy."""
    step = 400.0 / (1.0 + np.exp(-(E - 287.0) / 0.5))
    return poisson(300.0 + step + 2000.0 * xps_peak(E, 287.0, 1.2, 0.3))


def test_counts_falling_toward_high_binding_energy_are_flagged():
    counts = spectrum_with_step()
    assert not [w for w in PeakFitter().fit(E, counts).warnings if KINETIC in w]
    reversed_axis = PeakFitter().fit(E, counts[::-1])
    (warning,) = [w for w in reversed_axis.warnings if KINETIC in w]
    assert warning.startswith("the background falls toward high binding energy (")
    assert "binding energy = photon energy - kinetic energy" in warning


def test_a_line_cut_by_the_low_end_is_no_falling_background():
    counts = poisson(300.0 + 3000.0 * xps_peak(E, 279.8, 1.2, 0.3))
    assert peak_fitter._falling(PeakFitter().fit(E, counts)) is None


@pytest.mark.parametrize("level", [0.0, 1000.0])
def test_flat_counts_are_not_flagged_as_kinetic(level):
    # a background-subtracted export scatters around 0: its ends' ratio is noise
    counts = level + np.random.default_rng(1).normal(0.0, 5.0, E.size)
    assert peak_fitter._falling(PeakFitter(poisson_weights=False).fit(E, counts)) is None


@needs_data
def test_no_measured_spectrum_falls_and_every_reversed_core_level_does():
    spectra = [read_xps(path) for path in sorted(DATA.glob("*2p_*.txt"))]
    for path in sorted(DATA.glob("*.vms")):
        spectra += read_vamas(path)
    assert len(spectra) == 36
    fitter = PeakFitter()
    for way, falling in ((1, 0), (-1, 35)):
        fits = [fitter.fit(s.binding_energy, s.counts[::way]) for s in spectra]
        assert sum(peak_fitter._falling(fit) is not None for fit in fits) == falling


@needs_data
def test_a_kinetic_energy_export_fitted_as_binding_energy_is_flagged():
    region = read_xps(DATA / "Co2p_Co_metal.txt")
    kinetic = 1486.61 - region.binding_energy[::-1]  # the export's first column
    result = PeakFitter().fit(kinetic, region.counts[::-1])
    assert any(KINETIC in warning for warning in result.warnings)


@pytest.mark.parametrize(
    ("scale", "fix"),
    [(1e-3, "title the column 'Binding Energy (keV)'"), (1e3, "'Binding Energy (meV)'")],
)
def test_an_energy_scale_error_names_the_file_level_fix(scale, fix):
    with pytest.raises(InvalidParameterError, match=r"x_units='[km]eV'; in a text file") as err:
        PeakFitter().fit(E * scale, spectrum_with_step())
    assert fix in str(err.value)
