"""Every reader of an energy unit reads it alike (``text_files.ev_per``): the EELS and
XPS/XAS file readers, the campaign's analyses and the objective's unit check accept the
same spellings with the same scale and refuse the same others."""

import re

import numpy as np
import pytest

from adaptive import analysis
from adaptive.errors import InvalidParameterError
from adaptive.objectives import SpectrumObjective
from adaptive.records import Spectrum
from simulators import read_eels, text_files

#: (label, eV per unit, or None where every caller refuses it).
SPELLINGS = [
    ("eV", 1.0),
    ("EV", 1.0),
    ("keV", 1000.0),
    ("KEV", 1000.0),
    ("meV", 0.001),
    ("Energy (eV)", 1.0),
    ("energy (ev)", 1.0),
    ("energy loss [eV]", 1.0),
    ("Energy Loss (keV)", 1000.0),
    ("Energy (meV)", 0.001),
    ("electron volts", 1.0),
    ("Electronvolt", 1.0),
    ("Binding Energy / eV", 1.0),
    ("E/keV", 1000.0),
    ("energy_eV", 1.0),  # the unit after an underscore, as pandas and beamlines title columns
    ("E_eV", 1.0),
    ("Energy_keV", 1000.0),
    ("E_meV", 0.001),
    ("E_MeV", None),
    ("MeV", None),  # mega-electronvolts, not meV
    ("Energy (MeV)", None),
    ("nm", None),
    ("channel", None),
    ("keV (eV)", None),
    ("1/eV", None),  # per energy (a density of states), not an energy
    ("/keV", None),
    ("states per eV", None),
    ("eV^-1", None),
    ("eV-1", None),
    ("(meV)**-1", None),
]
TABLE = pytest.mark.parametrize(("label", "scale"), SPELLINGS)
X = np.array([500.0, 501.0, 502.0])


@TABLE
def test_ev_per(label, scale):
    if scale is None:
        named = rf"f: energy units '{re.escape(label)}' are not eV, keV or meV .*'electron volts'"
        with pytest.raises(ValueError, match=named):
            text_files.ev_per(label, source="f")
    else:
        assert text_files.ev_per(label) == scale


@TABLE
def test_eels_reader(tmp_path, label, scale):
    path = tmp_path / "s.txt"
    path.write_text(f"# xunits: {label}\n500\t1\n501\t2\n502\t3\n")
    if scale is None:
        with pytest.raises(ValueError, match=rf"s.txt: energy units '{re.escape(label)}'"):
            read_eels(path)
    else:
        np.testing.assert_allclose(read_eels(path).energy, X * scale)


@TABLE
def test_analysis(label, scale):
    spectrum = Spectrum(X, [1.0, 2.0, 3.0], label)
    if scale is None:
        named = rf"x_units='{re.escape(label)}': x is binding energy in eV, keV or meV"
        with pytest.raises(InvalidParameterError, match=named):
            analysis._energy_in_ev(spectrum, "fit peaks", "binding energy")
    else:
        x, _ = analysis._energy_in_ev(spectrum, "fit peaks", "binding energy")
        np.testing.assert_allclose(x, X * scale)


@TABLE
@pytest.mark.parametrize(("target", "target_scale"), [("eV", 1.0), ("keV", 1000.0), ("meV", 0.001)])
def test_objective_compares_the_scale_not_the_spelling(label, scale, target, target_scale):
    for mine, theirs in ((target, label), (label, target)):
        objective = SpectrumObjective(X, [0.0, 1.0, 0.0], x_units=mine)
        if scale == target_scale:
            objective.check_units(theirs, "")
        else:
            named = rf"x_units '{re.escape(theirs)}' differs"
            with pytest.raises(InvalidParameterError, match=named):
                objective.check_units(theirs, "")


def test_objective_refuses_kinetic_against_binding_energy_in_the_same_unit():
    objective = SpectrumObjective(X, [0.0, 1.0, 0.0], x_units="Binding Energy (eV)")
    objective.check_units("eV", "")
    with pytest.raises(InvalidParameterError, match="'Kinetic Energy [(]eV[)]' differs"):
        objective.check_units("Kinetic Energy (eV)", "")


@pytest.mark.parametrize(
    "label",
    [
        "1/eV",
        "1 / (keV)",
        "DOS (1/eV)",
        "energy [1/eV]",
        "states per eV",
        "states_per_eV",
        "eV^-1",
        "eV⁻¹",
    ],
)
def test_a_unit_per_energy_is_refused_as_one(label):
    with pytest.raises(ValueError, match="but a unit per energy"):
        text_files.ev_per(label)


@pytest.mark.parametrize(
    ("label", "scale"),
    [
        ("kinetic energy / eV", 1.0),
        ("BE/keV", 1000.0),
        ("hv / eV", 1.0),  # quantity / unit (ISO 80000), whatever the quantity's symbol
        ("eV (-5 to 50)", 1.0),  # a signed number after a space is no power
        ("Energy (eV) -20..30", 1.0),
        ("eV/ch", 1.0),
        ("keV per channel", 1000.0),
    ],
)
def test_a_slash_after_an_energy_or_per_after_the_unit_is_no_denominator(label, scale):
    assert text_files.ev_per(label) == scale


@pytest.mark.parametrize(
    ("title", "unit"),
    [("energy_eV", "eV"), ("E_eV", "eV"), ("Energy_keV", "keV"), ("E_meV", "meV")],
)
def test_a_column_title_as_x_units_reads_as_the_file_column_it_titles(tmp_path, title, unit):
    path = tmp_path / "s.txt"
    path.write_text(f"{title}\tcounts\n500\t1\n501\t2\n502\t3\n")
    np.testing.assert_allclose(read_eels(path).energy, X * text_files.ev_per(unit))
    SpectrumObjective(X, [0.0, 1.0, 0.0], x_units=title).check_units(f"Energy ({unit})", "")


@pytest.mark.parametrize("label", ["KE_eV", "ke_eV", "KE (eV)"])
def test_a_kinetic_title_joined_by_an_underscore_is_kinetic(label):
    objective = SpectrumObjective(X, [0.0, 1.0, 0.0], x_units="eV")
    with pytest.raises(InvalidParameterError, match="differs"):
        objective.check_units(label, "")
