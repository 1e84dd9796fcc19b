"""Strategies by name, the one way to build one from a config, and ``register_strategy``
to serve a class of one's own."""

from __future__ import annotations

import inspect
import reprlib
from typing import Any

from adaptive.errors import AdaptiveError, InvalidParameterError, StrategyError
from adaptive.objectives import SpectrumObjective
from adaptive.options import check_keys, check_options
from adaptive.space import Space
from adaptive.strategies.batch_bo import BatchBO
from adaptive.strategies.conventional_scan import ConventionalScan
from adaptive.strategies.energy_scan import EnergyScan
from adaptive.strategies.random_scan import RandomScan
from adaptive.strategies.uniform_grid import UniformGrid
from adaptive.strategy import METHODS

STRATEGIES = {
    cls.name: cls for cls in (EnergyScan, UniformGrid, ConventionalScan, RandomScan, BatchBO)
}


def make_strategy(config: Any, space: Space, objective: SpectrumObjective | None = None):
    """Build from ``{"name": ..., "options": {...}}``; unknown names or options raise.

    ``options`` absent or None means none; anything else not a mapping raises (see
    ``check_options``). A strategy that takes an ``objective`` gets the campaign's
    spectrum objective; an ``objective`` option is refused, pointing to the campaign's.

    Raises:
        InvalidParameterError: a malformed config, an unknown name or option, or options
            the constructor refuses (with that type, or a built-in one's ``TypeError``).
        StrategyError: a plugin's constructor raised an error of no ``AdaptiveError`` type
            (a ``ValueError``, ``KeyError``, ``TypeError``), naming it; caused by it.
    """
    if not isinstance(config, dict) or not isinstance(config.get("name"), str):
        raise InvalidParameterError(
            f'a strategy config is {{"name": one of {sorted(STRATEGIES)}, "options": {{...}}}}, '
            f"got {config!r}"
        )
    check_keys(config, ("name", "options"), "strategy config")
    cls = STRATEGIES.get(config["name"])
    if cls is None:
        raise InvalidParameterError(
            f"unknown strategy {config['name']!r}; choose one of {sorted(STRATEGIES)}, or "
            "register a class of your own by that name with register_strategy (for adaptive "
            "serve: start it with --plugin MODULE_OR_FILE naming the module that does)"
        )
    what = f"strategy {cls.name!r}"
    if isinstance(config.get("options"), dict) and "objective" in config["options"]:
        raise InvalidParameterError(
            f"{what}: objective is not a strategy option; give it to the campaign instead, "
            'as the "objective" parameter of campaign_create (beside "strategy"): a '
            "SpectrumObjective(...).to_dict()"
        )
    options = check_options(cls, config.get("options"), what, given=("space", "objective"))
    if objective is not None and "objective" in inspect.signature(cls).parameters:
        options = {**options, "objective": objective}
    try:  # check_options refused the keywords it does not take: the request's errors
        return cls(space, **options)
    except AdaptiveError:
        raise
    except (Exception, SystemExit) as err:  # not Ctrl-C's KeyboardInterrupt
        if is_plugin(cls):
            raise _plugin_error(what, config, err) from err
        if isinstance(err, TypeError):  # a built-in one's option of the wrong type (a list)
            raise InvalidParameterError(f"{what}: {err}") from None
        raise


def is_plugin(cls: type) -> bool:
    """Whether the strategy class ``cls`` was registered from outside adaptive (a plugin's)."""
    return cls.__module__.partition(".")[0] != "adaptive"


def _plugin_error(what: str, config: dict, err: BaseException) -> StrategyError:
    """The error for a plugin's constructor that raised ``err`` (of no ``AdaptiveError``
    type) on ``config``'s options: the strategy's, not the request's."""
    return StrategyError(
        f"{what} raised {type(err).__name__}: {err} when built from the options "
        f"{reprlib.repr(config.get('options'))}; fix the strategy (to refuse options, it "
        "raises adaptive.errors.InvalidParameterError, which the request gets)"
    )


def register_strategy(cls: type) -> type:
    """Add ``cls``, a class of the ``adaptive.strategy.Strategy`` protocol, to
    ``STRATEGIES`` under its ``name``, so campaigns (``Campaign.create``, a ``Server`` in
    this process) build it from ``{"name": cls.name, "options": {...}}``: its constructor
    takes the ``Space``, then the options as keywords (plain JSON). Register it before a
    journal holding its campaigns is resumed or served. Registering it again does nothing.

    Raises:
        InvalidParameterError: ``cls`` is not a class, its ``name`` is not text or already
            names another strategy, or it lacks one of the protocol's methods.
    """
    if not isinstance(cls, type):
        raise InvalidParameterError(f"register_strategy takes a class, got {cls!r}")
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or not name.strip():
        raise InvalidParameterError(
            f"{cls.__name__} needs a class attribute name, the text a strategy config names "
            f"it by; got {name!r}"
        )
    if STRATEGIES.get(name, cls) is not cls:
        raise InvalidParameterError(
            f"{name!r} already names the strategy {STRATEGIES[name].__name__}; give "
            f"{cls.__name__} another name"
        )
    missing = [method for method in METHODS if not callable(getattr(cls, method, None))]
    if missing:
        raise InvalidParameterError(
            f"{cls.__name__} lacks the Strategy methods {missing} (adaptive.strategy.Strategy)"
        )
    STRATEGIES[name] = cls
    return cls


__all__ = [
    "STRATEGIES",
    "BatchBO",
    "ConventionalScan",
    "EnergyScan",
    "RandomScan",
    "UniformGrid",
    "make_strategy",
    "register_strategy",
]
