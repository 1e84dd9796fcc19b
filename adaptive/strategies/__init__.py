"""Strategies by name, and the one way to build one from a config."""

from __future__ import annotations

import inspect
from typing import Any

from adaptive.errors import InvalidParameterError
from adaptive.objectives import SpectrumObjective
from adaptive.options import check_keys, check_options
from adaptive.space import Space
from adaptive.strategies.batch_bo import BatchBO
from adaptive.strategies.conventional_scan import ConventionalScan
from adaptive.strategies.energy_scan import EnergyScan
from adaptive.strategies.random_scan import RandomScan
from adaptive.strategies.uniform_grid import UniformGrid

STRATEGIES = {
    cls.name: cls for cls in (EnergyScan, UniformGrid, ConventionalScan, RandomScan, BatchBO)
}


def make_strategy(config: Any, space: Space, objective: SpectrumObjective | None = None):
    """Build from ``{"name": ..., "options": {...}}``; unknown names or options raise.

    ``options`` absent or None means none; anything else not a mapping raises (see
    ``check_options``). A strategy that takes an ``objective`` gets the campaign's
    spectrum objective; an ``objective`` option is refused, pointing to the campaign's.
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
            f"unknown strategy {config['name']!r}; choose one of {sorted(STRATEGIES)}"
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
    try:
        return cls(space, **options)
    except TypeError as err:
        raise InvalidParameterError(f"{what}: {err}") from None


__all__ = [
    "STRATEGIES",
    "BatchBO",
    "ConventionalScan",
    "EnergyScan",
    "RandomScan",
    "UniformGrid",
    "make_strategy",
]
