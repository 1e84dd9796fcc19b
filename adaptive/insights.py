"""Campaign insights: which factors matter, round by round (SHAP on the surrogates)."""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from functools import cache, partial
from importlib import metadata
from pathlib import Path

import numpy as np

from adaptive.errors import InvalidParameterError, JournalError
from adaptive.journal import Journal
from adaptive.space import Space
from adaptive.strategies.batch_bo import BatchBO, fingerprint
from surrogates.recipe_gp import fit_recipe_gp, posterior_mean_std
from surrogates.shap_report import importance, shap_values

#: Surrogates whose predicted objective SHAP explains.
SURROGATES = ("gp", "net")
#: Most recipes explained (and used as SHAP background) per round; more are subsampled.
MAX_EXPLAINED = 48
#: Fewest recipes a surrogate is fitted on and explained; with more factors, one more
#: recipe than factors (see :func:`fewest_explained`).
MIN_EXPLAINED = 3
#: Seeds the subsample of explained recipes and, above ``MAX_EXACT_FACTORS``, SHAP's
#: permutations.
SEED = 0
#: The modules whose code computes a round's SHAP (fits, predicts, explains, names its
#: recipes), and the libraries whose versions its numbers depend on: a kept round is
#: served only while both are unchanged (see :func:`_code_digest`).
ROUND_MODULES = (
    "adaptive.insights",
    "adaptive.objectives",
    "adaptive.space",
    "adaptive.strategies.batch_bo",
    "surrogates.net_acquisition",
    "surrogates.one_hot",
    "surrogates.recipe_gp",
    "surrogates.seeds",
    "surrogates.shap_report",
    "surrogates.spectrum_net",
    "surrogates.threads",
)
ROUND_LIBRARIES = ("botorch", "gpytorch", "linear_operator", "numpy", "scipy", "shap", "torch")


def fewest_explained(n_factors: int) -> int:
    """Fewest recipes a round's surrogate is fitted on and explained in a space of
    ``n_factors``: ``MIN_EXPLAINED``, or one more than the factors (fewer recipes cannot
    tell the factors apart: a factor without effect would be ranked on noise)."""
    return max(MIN_EXPLAINED, n_factors + 1)


@dataclass(frozen=True)
class Recipes:
    """A recipe strategy's data at one moment, all that the insights read of it: copied
    (25 ms at 119 recipes) so that SHAP can run on another thread while the strategy learns
    on. Rows are those of ``BatchBO.data(in_order=True)``.

    Attributes:
        space, minimize, fit_net, net_losses: the strategy's settings and methods that
            read only settings.
        x: the recipes (n, d) in the unit cube; y: their objective (n,).
        round_ends: ``BatchBO.round_ends()``.
        variances: per round end e, the variance (e,) or None of the first e recipes'
            objective (``BatchBO.round_variances()``).
        spectrum_x: the recipes with spectra (k, d); spectra: theirs (k, w)
            (``BatchBO.spectrum_data()``).
    """

    space: Space
    minimize: bool
    fit_net: Callable
    net_losses: Callable
    x: np.ndarray
    y: np.ndarray
    round_ends: tuple[int, ...]
    variances: tuple[np.ndarray | None, ...]
    spectrum_x: np.ndarray
    spectra: np.ndarray

    @classmethod
    def of(cls, strategy: BatchBO) -> Recipes:
        """``strategy``'s data now."""
        x, y, _ = strategy.data(in_order=True)
        ends = tuple(strategy.round_ends())
        variances = tuple(strategy.round_variances())
        settings = (strategy.space, strategy.minimize, strategy.fit_net, strategy.net_losses)
        return cls(*settings, x, y, ends, variances, *strategy.spectrum_data())


def shap_by_round(
    strategy: BatchBO | Recipes,
    journal: Journal | None = None,
    campaign_id: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, dict[int, dict]]:
    """SHAP importance of each factor on each surrogate's predicted objective, per round.

    For every round each surrogate is refitted on the recipes measured by then and its
    prediction explained over those recipes (a seeded subsample of ``MAX_EXPLAINED`` when
    there are more): the GP's mean (``gp``) or the objective of the spectra the network
    ensemble predicts (``net``, those of the recipes measured by then that have spectra).
    Rounds with fewer than :func:`fewest_explained` recipes are left out.

    Args:
        strategy: the campaign's strategy, or its data at one moment.
        journal, campaign_id: keep each round in ``journal`` as the campaign
            ``campaign_id``'s (the strategy's), and take from it a round whose data (the
            recipes, objective and variance, or spectra, it was computed from) and code
            are unchanged, so a later call, of this process or another, computes only new
            or changed rounds (see :func:`_round_key`). A failed write (a full disk) only
            leaves the round to be computed again.
        progress: ``progress(done, total)`` is called before the first round and after
            each, with the rounds done and their total (of both surrogates).

    Returns:
        ``{surrogate: {round: {"round", "n_recipes", "n_explained", "importance":
        {factor: mean |SHAP|}, "values": (n, d), "recipes": [point]}}}``: ``n_recipes``
        the recipes fitted on (all measured by the end of the round), ``n_explained`` the n
        of them explained; ``values`` has a column per factor in the space's order and a
        row per explained recipe, ``recipes`` those n recipes as points ``{factor: value}``
        (a categorical factor's value is its choice's name).
    """
    recipes = strategy if isinstance(strategy, Recipes) else Recipes.of(strategy)
    planned = [(s, r, data) for s in SURROGATES for r, data in _explained_rounds(recipes, s)]
    shap: dict[str, dict[int, dict]] = {s: {} for s in SURROGATES}
    for done, (surrogate, r, data) in enumerate(planned):
        if progress is not None:
            progress(done, len(planned))
        shap[surrogate][r] = _round_shap(recipes, surrogate, r, data, journal, campaign_id)
    if progress is not None:
        progress(len(planned), len(planned))
    return shap


def _explained_rounds(recipes: Recipes, surrogate: str) -> list[tuple[int, tuple]]:
    """The rounds whose SHAP ``surrogate`` explains, each with the data it is fitted on:
    ``[(round, data)]``, ``data`` as :func:`_explain` takes it (the recipes measured by the
    end of the round, with spectra for ``net``); rounds with fewer than
    :func:`fewest_explained` are left out."""
    if surrogate == "gp":
        x, position = recipes.x, np.arange(len(recipes.x))
    else:
        x, spectra = recipes.spectrum_x, recipes.spectra  # rows in the order of recipes.x
        index = {tuple(row): i for i, row in enumerate(recipes.x)}
        position = np.array([index[tuple(row)] for row in x], dtype=int)
    fewest = fewest_explained(len(recipes.space.names))
    out = []
    for r, (round_end, variance) in enumerate(
        zip(recipes.round_ends, recipes.variances, strict=True)
    ):
        end = int(np.searchsorted(position, round_end))  # rows of x measured by then
        if end < fewest:
            continue
        if surrogate == "gp":  # the variance from the recipes measured by then only
            out.append((r, (x[:end], recipes.y[:end], variance)))
        else:
            out.append((r, (x[:end], spectra[:end])))
    return out


def _round_shap(
    recipes: Recipes,
    surrogate: str,
    r: int,
    data: tuple,
    journal: Journal | None,
    campaign_id: str,
) -> dict:
    """Round ``r``'s SHAP (a round of :func:`shap_by_round`) of ``data``: kept in
    ``journal`` when given, and taken from it while its key is unchanged."""
    key = _round_key(data)
    kept = None if journal is None else journal.shap_round(campaign_id, surrogate, r, key)
    if kept is not None:
        return {**kept, "values": np.array(kept["values"], dtype=float)}
    shap_round = {"round": r, **_explain(recipes, surrogate, data)}
    if journal is not None:
        stored = {**shap_round, "values": shap_round["values"].tolist()}
        with suppress(JournalError):  # not kept: the next call computes it again
            journal.save_shap_round(campaign_id, surrogate, r, key, stored)
    return shap_round


def _round_key(data: tuple) -> bytes:
    """The digest of what a round's SHAP is computed from, besides its campaign's settings
    (fixed when it is created) and surrogate: its ``data`` (see :func:`_explain`), the
    explained subsample's size and seed, and the code that computes it
    (:func:`_code_digest`)."""
    digest = hashlib.sha256(fingerprint(*data))
    digest.update(f"{MAX_EXPLAINED} {SEED} ".encode())
    digest.update(_code_digest())
    return digest.digest()


@cache
def _code_digest() -> bytes:
    """SHA-256 of the source files of ``ROUND_MODULES`` and the versions of
    ``ROUND_LIBRARIES``: the code this process computes rounds with. Read once, when this
    module is imported (just after those modules), so that a file edited while a server runs
    does not key the rounds its old code computes."""
    digest = hashlib.sha256()
    for name in ROUND_MODULES:
        source = Path(importlib.import_module(name).__file__).read_bytes()
        digest.update(hashlib.sha256(source).digest())  # fixed length: no file runs into the next
    for library in ROUND_LIBRARIES:
        digest.update(f"{library} {metadata.version(library)}\n".encode())
    return digest.digest()


_code_digest()


def _explain(recipes: Recipes, surrogate: str, data: tuple) -> dict:
    """SHAP of one round: the surrogate fitted on ``data`` and explained over its recipes.

    Args:
        data: the recipes (n, d) in the unit cube, then for ``gp`` the objective (n,)
            and its variance (n,) or None, for ``net`` the spectra (n, w).

    Returns:
        ``{"n_recipes", "n_explained", "importance", "values": (m, d), "recipes": m
        points}``, m = ``n_explained`` <= ``MAX_EXPLAINED``.
    """
    x = data[0]
    if surrogate == "gp":
        sign = -1.0 if recipes.minimize else 1.0
        gp = fit_recipe_gp(x, sign * data[1], data[2], recipes.space.choice_counts)

        def predict(u: np.ndarray) -> np.ndarray:
            return sign * posterior_mean_std(gp, u)[0]
    else:
        net = recipes.fit_net(x, data[1])

        def predict(u: np.ndarray) -> np.ndarray:
            return recipes.net_losses(net, u)[0]

    rows = np.arange(len(x))
    if len(x) > MAX_EXPLAINED:
        rows = np.sort(np.random.default_rng(SEED).choice(len(x), MAX_EXPLAINED, replace=False))
    values = shap_values(predict, x[rows], x[rows], seed=SEED)
    return {
        "n_recipes": len(x),
        "n_explained": len(rows),
        "importance": importance(values, recipes.space.names),
        "values": values,
        "recipes": recipes.space.from_unit(x[rows]),
    }


def campaign_insights(
    campaign, cache: bool = False, progress: Callable[[int, int], None] | None = None
) -> dict:
    """JSON-able report of a recipe campaign, round by round.

    Rounds are the strategy's (``BatchBO.round_ends``): the initial design, then each ``q``
    suggestions. Per round:
    the number of its recipes (``n_recipes``), the best and median objective of
    them, the best so far, the objective of the recipes of each proposal source
    (design, gp, net; driver for a recipe the driver put without it being suggested) and
    its median, and the SHAP importance of every factor on the
    GP's predicted objective, with the SHAP values (n, d) and the n recipes behind it
    (``n_explained``; points ``{factor: value}``, a categorical factor by its choice's
    name): every recipe measured by the end of the round, not only the round's own (a
    seeded subsample of ``MAX_EXPLAINED`` when there are more; see
    :func:`shap_by_round`); for campaigns with spectra the same on the spectrum
    network's predicted objective (keys ending ``_net``). The SHAP fields are None for rounds
    before :func:`fewest_explained` recipes (one more than the factors, at least
    ``MIN_EXPLAINED``; with spectra, for ``_net``) exist, the round's other figures are
    still given; a campaign without recipes has no rounds.

    Args:
        campaign: a campaign run by ``BatchBO``.
        cache: keep each round's SHAP in the campaign's journal, and take from it the
            rounds whose data are unchanged (see :func:`shap_by_round`).
        progress: ``progress(done, total)`` is called before the first round's SHAP and
            after each, with the SHAP rounds done and their total (of both surrogates),
            e.g. to show a progress bar.
    """
    return prepare_insights(campaign)(cache, progress)


def prepare_insights(campaign) -> Callable[..., dict]:
    """:func:`campaign_insights` in two steps: read the campaign now (its strategy's
    :class:`Recipes` and the source of each recipe), and return the rest, the SHAP,
    ``report(cache, progress=None) -> insights``, which reads nothing of the campaign but its
    kept SHAP rounds in the journal: it may run on another thread while the campaign goes on.
    """
    strategy = campaign.strategy
    if not isinstance(strategy, BatchBO):
        raise InvalidParameterError(
            f"insights are for recipe campaigns (batch_bo); this one runs {strategy.name}"
        )
    source = _sources(campaign)
    keys = [campaign.space.key(p) for p in strategy.recipes(in_order=True)]  # as measured
    sources = [source.get(key, "driver") for key in keys]  # put by the driver, not suggested
    return partial(_report, campaign.journal, campaign.id, Recipes.of(strategy), sources)


def _report(
    journal: Journal,
    campaign_id: str,
    recipes: Recipes,
    sources: list[str],
    cache: bool,
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """:func:`campaign_insights` of a campaign's ``recipes`` and each one's source."""
    y = recipes.y
    shap = shap_by_round(recipes, journal if cache else None, campaign_id, progress)
    rounds, start, best = [], 0, np.inf if recipes.minimize else -np.inf
    pick = min if recipes.minimize else max
    for r, end in enumerate(recipes.round_ends):
        values = y[start:end]
        if len(values) == 0:  # a campaign without recipes has one empty round
            continue
        best = pick(best, float(pick(values)))
        by_source: dict[str, list[float]] = {}
        for source, value in zip(sources[start:end], values, strict=True):
            by_source.setdefault(source, []).append(float(value))
        rounds.append(
            {
                "round": r,
                "n_recipes": end - start,
                "best": float(pick(values)),
                "median": float(np.median(values)),
                "best_so_far": best,
                "values_by_source": by_source,
                "median_by_source": {k: float(np.median(v)) for k, v in by_source.items()},
                **_shap_fields(shap["gp"].get(r)),
                **_shap_fields(shap["net"].get(r), suffix="_net"),
            }
        )
        start = end
    return {"campaign_id": campaign_id, "minimize": recipes.minimize, "rounds": rounds}


def _shap_fields(shap_round: dict | None, suffix: str = "") -> dict:
    """How many recipes the round's SHAP explains, and its importance, values and recipes
    (None before they are explained)."""
    names = {f"n_explained{suffix}": "n_explained"}
    names.update({f"shap_{key}{suffix}": key for key in ("importance", "values", "recipes")})
    return {name: None if shap_round is None else shap_round[key] for name, key in names.items()}


def _sources(campaign) -> dict[tuple, str]:
    """Recipe key -> the source tag ("design", "gp", "net") of the suggestion its first
    observation names; for a put naming none, of the last suggestion of that very point."""
    tags, by_point = {}, {}
    for event in campaign.journal.events(campaign.id, "suggestion"):
        payload = event["payload"]
        tag = payload["strategy"].split(":")[-1]
        tags[payload["id"]] = tag
        by_point[campaign.space.key(campaign.space.validate(payload["point"]))] = tag
    out = {}
    for observation in campaign.journal.observations(campaign.id, spectra=False):
        key = campaign.space.key(campaign.space.validate(observation.point))
        source = tags.get(observation.suggestion_id) or by_point.get(key)
        if key not in out and source is not None:
            out[key] = source
    return out
