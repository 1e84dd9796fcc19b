"""The package layout: our ``adaptive`` is imported, and imports point inward."""

import ast
from pathlib import Path

import pytest

import adaptive

ROOT = Path(__file__).resolve().parents[1]


def test_adaptive_is_this_repository():
    path = Path(adaptive.__file__).resolve()
    assert path.is_relative_to(ROOT), path
    assert "site-packages" not in path.relative_to(ROOT).parts
    assert path == ROOT / "adaptive" / "__init__.py"
    assert isinstance(adaptive.__version__, str) and adaptive.__version__


def imported_modules(package: str) -> dict[str, set[str]]:
    """``{file: absolute module names it imports}`` for every .py file of ``package``."""
    out = {}
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"no sources under {ROOT / package}"
    for path in files:
        tree = ast.parse(path.read_text(), filename=str(path))
        names = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:  # relative: stays inside the package
                    names.add(package)
                    continue
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
        out[str(path.relative_to(ROOT))] = names
    return out


def offenders(package: str, forbidden) -> list[str]:
    return [
        f"{file} imports {name}"
        for file, names in imported_modules(package).items()
        for name in sorted(names)
        if forbidden(name)
    ]


def top(name: str) -> str:
    return name.split(".")[0]


def test_simulators_import_nothing_of_ours():
    assert offenders("simulators", lambda n: top(n) in {"adaptive", "drivers", "surrogates"}) == []


def test_surrogates_never_import_server_campaign_client_or_drivers():
    banned = ("adaptive.server", "adaptive.campaign", "adaptive.client")

    def forbidden(name):
        return top(name) == "drivers" or any(
            name == b or name.startswith(b + ".") for b in banned
        )

    assert offenders("surrogates", forbidden) == []


def test_drivers_reach_adaptive_only_through_the_client():
    def forbidden(name):
        if top(name) != "adaptive":
            return False
        return not (name == "adaptive.client" or name.startswith("adaptive.client."))

    assert offenders("drivers", forbidden) == []


@pytest.mark.parametrize(
    "package, name, bad",
    [("drivers", "adaptive.server", True), ("drivers", "adaptive.client.Client", False)],
)
def test_checker_sees_a_violation(package, name, bad):
    """The rule functions flag what they should (guards against a vacuous check)."""

    def forbidden(n):
        return top(n) == "adaptive" and not n.startswith("adaptive.client")

    assert forbidden(name) is bad
