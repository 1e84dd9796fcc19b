"""The package layout: our ``adaptive`` is imported, and imports point inward."""

import ast
from pathlib import Path

import adaptive
import surrogates

ROOT = Path(__file__).resolve().parents[1]


def test_adaptive_is_this_repository():
    path = Path(adaptive.__file__).resolve()
    assert path.is_relative_to(ROOT), path
    assert "site-packages" not in path.relative_to(ROOT).parts
    assert path == ROOT / "adaptive" / "__init__.py"
    assert isinstance(adaptive.__version__, str) and adaptive.__version__


#: The modules behind the names our packages export lazily (``from adaptive import
#: Campaign`` loads ``adaptive.campaign``).
LAZY_EXPORTS = {"adaptive": adaptive._EXPORTS, "surrogates": surrogates._EXPORTS}


def modules_in(source: str, package: str) -> set[str]:
    """Absolute module names ``source`` imports (``from a import b`` gives ``a`` and ``a.b``,
    and the module behind ``b`` when ``a`` exports it lazily)."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: stays inside the package
                names.add(package)
                continue
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
            exports = LAZY_EXPORTS.get(node.module, {})
            names.update(exports[alias.name] for alias in node.names if alias.name in exports)
    return names


def imported_modules(package: str) -> dict[str, set[str]]:
    """``{file: absolute module names it imports}`` for every .py file of ``package``."""
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"no sources under {ROOT / package}"
    return {str(p.relative_to(ROOT)): modules_in(p.read_text(), package) for p in files}


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
        return top(name) == "drivers" or any(name == b or name.startswith(b + ".") for b in banned)

    assert offenders("surrogates", forbidden) == []


def test_drivers_reach_adaptive_only_through_the_client():
    assert offenders("drivers", drivers_rule) == []


def drivers_rule(name):
    return top(name) == "adaptive" and not (
        name == "adaptive.client" or name.startswith("adaptive.client.")
    )


def test_import_extraction_catches_violations():
    """Guard against a vacuous check: a nested or aliased import is still seen."""
    source = (
        "import numpy as np\n"
        "from adaptive.client import Client\n"
        "def f():\n"
        "    from adaptive import campaign\n"
        "    import adaptive.server as srv\n"
    )
    names = modules_in(source, "drivers")
    bad = sorted(n for n in names if drivers_rule(n))
    assert bad == ["adaptive", "adaptive.campaign", "adaptive.server"]
    assert not drivers_rule("adaptive.client.Client")


def test_a_lazily_exported_class_is_seen_as_its_module():
    # 'from adaptive import Campaign' in surrogates passed the layout check
    names = modules_in("from adaptive import Campaign, Space\n", "surrogates")
    assert {"adaptive.campaign", "adaptive.space"} <= names
