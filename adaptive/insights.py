"""Campaign insights: which factors matter, round by round (SHAP on the surrogates)."""

from __future__ import annotations

import numpy as np

from adaptive.errors import InvalidParameterError
from adaptive.strategies.batch_bo import BatchBO
from surrogates.recipe_gp import fit_recipe_gp, posterior_mean_std
from surrogates.shap_report import importance, shap_values

#: Surrogates whose predicted objective SHAP explains.
SURROGATES = ("gp", "net")
#: Most recipes explained (and used as SHAP background) per round; more are subsampled.
MAX_EXPLAINED = 48
#: Fewest recipes a surrogate is fitted on and explained.
MIN_EXPLAINED = 3


def shap_by_round(strategy: BatchBO, surrogate: str = "gp", seed: int = 0) -> list[dict]:
    """SHAP importance of each factor on a surrogate's predicted objective, per round.

    For every round the surrogate is refitted on the recipes measured by then and
    its prediction explained over those recipes (a seeded subsample of
    ``MAX_EXPLAINED`` when there are more): the GP's mean (``gp``) or the
    objective of the spectra the network ensemble predicts (``net``, those of the
    recipes measured by then that have spectra; rounds with fewer than
    ``MIN_EXPLAINED`` are left out). Returns ``[{"round", "n_recipes",
    "importance": {factor: mean |SHAP|}, "values": (n, d), "recipes": (n, d)}]``.
    """
    if surrogate not in SURROGATES:
        raise InvalidParameterError(f"surrogate={surrogate!r}; choose one of {SURROGATES}")
    x_all, y, y_var = strategy.data(in_order=True)
    if surrogate == "gp":
        x, position = x_all, np.arange(len(x_all))
    else:
        x, spectra = strategy.spectrum_data()  # rows in the order of x_all, like the rounds
        index = {tuple(row): i for i, row in enumerate(x_all)}
        position = np.array([index[tuple(row)] for row in x], dtype=int)
    if len(x) < MIN_EXPLAINED:
        raise InvalidParameterError(
            f"SHAP needs at least {MIN_EXPLAINED} measured recipes, have {len(x)}"
        )
    sign = -1.0 if strategy.minimize else 1.0
    out = []
    for r, round_end in enumerate(strategy.round_ends(len(x_all))):
        end = int(np.searchsorted(position, round_end))  # rows of x measured by then
        if end < MIN_EXPLAINED:
            continue
        if surrogate == "gp":
            gp = fit_recipe_gp(x[:end], sign * y[:end], None if y_var is None else y_var[:end])

            def predict(u: np.ndarray, gp=gp) -> np.ndarray:
                return sign * posterior_mean_std(gp, u)[0]
        else:
            net = strategy.fit_net(x[:end], spectra[:end])

            def predict(u: np.ndarray, net=net) -> np.ndarray:
                return strategy.net_losses(net, u)[0]

        rows = np.arange(end)
        if end > MAX_EXPLAINED:
            rows = np.sort(np.random.default_rng(seed).choice(end, MAX_EXPLAINED, replace=False))
        values = shap_values(predict, x[rows], x[rows], seed=seed)
        out.append(
            {
                "round": r,
                "n_recipes": end,
                "importance": importance(values, strategy.space.names),
                "values": values,
                "recipes": strategy.space.from_unit_array(x[rows]),
            }
        )
    return out


def campaign_insights(campaign) -> dict:
    """JSON-able report of a recipe campaign, round by round.

    Rounds follow the strategy's initial design and batch size. Per round:
    the best and median objective of its recipes, the best so far, which
    proposal sources (design, gp, net) gave which median objective, and the
    SHAP importance of every factor on the GP's predicted objective, with the
    SHAP values (n, d) and recipes (n, d) behind it (arrays travel as frames);
    for campaigns with spectra the same on the spectrum network's predicted
    objective (keys ending ``_net``). The SHAP fields are None for rounds
    before ``MIN_EXPLAINED`` recipes (with spectra, for ``_net``) exist; a campaign
    without recipes has no rounds.
    """
    strategy = campaign.strategy
    if not isinstance(strategy, BatchBO):
        raise InvalidParameterError(
            f"insights are for recipe campaigns (batch_bo); this one runs {strategy.name}"
        )
    x, y, _ = strategy.data(in_order=True)
    source = _sources(campaign)
    keys = [tuple(p.values()) for p in strategy.recipes(in_order=True)]  # rows of x, as measured
    enough = len(x) >= MIN_EXPLAINED
    shap_rounds = {r["round"]: r for r in shap_by_round(strategy)} if enough else {}
    with_spectra = (
        strategy.objective is not None and len(strategy.spectrum_data()[0]) >= MIN_EXPLAINED
    )
    net_rounds = {r["round"]: r for r in shap_by_round(strategy, "net")} if with_spectra else {}
    rounds, start, best = [], 0, np.inf if strategy.minimize else -np.inf
    pick = min if strategy.minimize else max
    for r, end in enumerate(strategy.round_ends(len(x))):
        values = y[start:end]
        if len(values) == 0:  # a campaign without recipes has one empty round
            continue
        best = pick(best, float(pick(values)))
        by_source: dict[str, list[float]] = {}
        for key, value in zip(keys[start:end], values, strict=True):
            by_source.setdefault(source.get(key, "unknown"), []).append(float(value))
        rounds.append(
            {
                "round": r,
                "n_recipes": end - start,
                "best": float(pick(values)),
                "median": float(np.median(values)),
                "best_so_far": best,
                "median_by_source": {k: float(np.median(v)) for k, v in by_source.items()},
                **_shap_fields(shap_rounds.get(r)),
                **_shap_fields(net_rounds.get(r), suffix="_net"),
            }
        )
        start = end
    return {"campaign_id": campaign.id, "minimize": strategy.minimize, "rounds": rounds}


def _shap_fields(shap_round: dict | None, suffix: str = "") -> dict:
    """The round's SHAP importance, values and recipes (None before they are explained)."""
    keys = ("importance", "values", "recipes")
    return {f"shap_{key}{suffix}": None if shap_round is None else shap_round[key] for key in keys}


def _sources(campaign) -> dict[tuple, str]:
    """Recipe key -> the source tag of the suggestion that proposed it ("design", "gp", "net")."""
    out = {}
    for event in campaign.journal.events(campaign.id, "suggestion"):
        payload = event["payload"]
        point = campaign.space.validate(payload["point"])
        out[tuple(point[n] for n in campaign.space.names)] = payload["strategy"].split(":")[-1]
    return out
