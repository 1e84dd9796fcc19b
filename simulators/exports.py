"""Names a package exports and imports on first use (PEP 562), so that importing one of its
modules, or the package itself, does not load the others."""

import importlib
from collections.abc import Callable


def lazy_exports(package: str, exports: dict[str, str]) -> tuple[Callable, Callable]:
    """The ``__getattr__`` and ``__dir__`` of ``package`` whose ``exports`` map each name to
    the module that defines it; assign them in its ``__init__``."""

    def __getattr__(name: str):
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(exports[name]), name)

    def __dir__() -> list[str]:
        module = importlib.import_module(package)
        return sorted([*vars(module), *exports])

    return __getattr__, __dir__
