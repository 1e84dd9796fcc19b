"""Keyword options (a config's, a request's parameters), checked against the signature
of what they configure."""

from __future__ import annotations

import difflib
import inspect
import json
from collections.abc import Callable, Collection
from typing import Any

from adaptive.errors import InvalidParameterError


def did_you_mean(word: Any, allowed: Collection[str]) -> str:
    """``" (did you mean 'X'?)"`` naming the allowed name closest to ``word``, any case and
    a zero read as the letter O (``p_fe`` and ``p_0`` for ``p_Fe`` and ``p_O``), or ``""``
    when none is close."""

    def folded(name: Any) -> str:
        return str(name).lower().replace("0", "o")

    names = {folded(name): name for name in allowed}
    close = difflib.get_close_matches(folded(word), names, n=1)
    return f" (did you mean {names[close[0]]!r}?)" if close else ""


def check_keys(mapping: dict, allowed: Collection[str], what: str) -> None:
    """Refuse keys of ``mapping`` outside ``allowed``, naming the closest allowed key.

    Args:
        mapping: a config or record read from JSON.
        allowed: its allowed keys, in the order the message lists them.
        what: how errors name the mapping, e.g. ``"dimension"``.

    Raises:
        InvalidParameterError: e.g. "unknown dimension fields ['unit'] (did you mean
            'units'?); its fields are name, kind, low, high, choices, units, step".
    """
    unknown = sorted(set(mapping) - set(allowed), key=str)  # keys of mixed types sort too
    if not unknown:
        return
    raise InvalidParameterError(
        f"unknown {what} fields {unknown}{did_you_mean(unknown[0], allowed)}; its fields are "
        f"{', '.join(allowed)}"
    )


def check_options(
    target: Callable,
    options: Any,
    what: str,
    given: Collection[str] = (),
    noun: str = "option",
) -> dict[str, Any]:
    """``options`` (a mapping, or None for none) as keyword arguments for ``target``.

    Args:
        target: the callable (a class) the options configure.
        options: the config's options.
        what: how errors name the target, e.g. ``"strategy 'energy_scan'"``.
        given: parameters the caller passes itself (e.g. ``space``): not options.
        noun: what the messages call one option (``"parameter"`` for a request's).

    Raises:
        InvalidParameterError: options that are not a mapping, an unknown option (with the
            valid name it is a synonym of, in ``target.option_synonyms``, else the closest
            valid name) or a missing required one; the message lists the options with their
            defaults.
    """
    if options is None:
        options = {}
    if not isinstance(options, dict):
        raise InvalidParameterError(
            f"{what}: {noun}s must be a mapping of {noun} names to values (or null for "
            f"none), got {options!r}"
        )
    signature = inspect.signature(target).parameters.values()
    # **options takes any keyword; *args none
    any_name = any(p.kind is p.VAR_KEYWORD for p in signature)
    parameters = {
        p.name: p
        for p in signature
        if p.name not in given and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
    }
    synonyms = getattr(target, "option_synonyms", {})
    problems = []
    for name in options:
        if name in given:
            problems.append(f"{name!r} is given separately, not among the {noun}s")
        elif name not in parameters and not any_name:
            hint = (
                f" (did you mean {synonyms[name]!r}?)"
                if name in synonyms
                else did_you_mean(name, parameters)
            )
            problems.append(f"unknown {noun} {name!r}{hint}")
    problems += [
        f"{noun} {name!r} is required"
        for name, p in parameters.items()
        if p.default is p.empty and name not in options
    ]
    if problems:
        valid = ", ".join(
            [
                f"{name} (required)"
                if p.default is p.empty
                else f"{name}={json.dumps(p.default, default=repr)}"
                for name, p in parameters.items()
            ]
            + (["any other (**keywords)"] if any_name else [])
        )
        takes = f"its {noun}s are {valid}" if valid else f"it takes no {noun}s"
        raise InvalidParameterError(f"{what}: {'; '.join(problems)}; {takes}")
    return dict(options)
