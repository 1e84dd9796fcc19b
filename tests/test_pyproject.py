"""The declared dependencies admit only versions the code runs on."""

import tomllib
from pathlib import Path

import scipy
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]


def test_scipy_floor_has_the_rng_keyword_of_qmc_samplers():
    """adaptive/designs.py passes ``rng=`` to qmc.LatinHypercube and qmc.Sobol (SciPy 1.15)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    (spec,) = [r.specifier for r in map(Requirement, project["dependencies"]) if r.name == "scipy"]
    assert not spec.contains(Version("1.14.1"))
    assert spec.contains(Version(scipy.__version__))
