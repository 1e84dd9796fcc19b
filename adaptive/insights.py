"""Campaign insights: which factors matter, round by round (SHAP on the surrogates)."""

from __future__ import annotations

import numpy as np

from adaptive.errors import InvalidParameterError
from adaptive.strategies.batch_bo import BatchBO
from surrogates.recipe_gp import fit_recipe_gp, posterior_mean_std
from surrogates.shap_report import importance, shap_values


def shap_by_round(strategy: BatchBO, seed: int = 0) -> list[dict]:
    """SHAP importance of each factor on the GP's predicted objective, per round.

    For every round the GP is refitted on the recipes measured by then and its
    mean is explained over those recipes: ``[{"round", "n_recipes",
    "importance": {factor: mean |SHAP|}, "values": (n, d), "recipes": (n, d)}]``.
    """
    x, y, y_var = strategy.data(in_order=True)
    if len(x) < 3:
        raise InvalidParameterError(f"SHAP needs at least 3 measured recipes, have {len(x)}")
    sign = -1.0 if strategy.minimize else 1.0
    names = strategy.space.names
    out = []
    for r, end in enumerate(strategy.round_ends(len(x))):
        if end < 3:
            continue
        model = fit_recipe_gp(x[:end], sign * y[:end], None if y_var is None else y_var[:end])

        def predict(u: np.ndarray, model=model) -> np.ndarray:
            return sign * posterior_mean_std(model, u)[0]

        values = shap_values(predict, x[:end], x[:end], seed=seed)
        out.append(
            {
                "round": r,
                "n_recipes": end,
                "importance": importance(values, names),
                "values": values,
                "recipes": strategy.space.from_unit_array(x[:end]),
            }
        )
    return out


def campaign_insights(campaign) -> dict:
    """JSON-able report of a recipe campaign, round by round.

    Rounds follow the strategy's initial design and batch size. Per round:
    the best and median objective of its recipes, the best so far, which
    proposal sources (design, gp, net) gave which median objective, and the
    SHAP importance of every factor on the GP's predicted objective, with the
    SHAP values (n, d) and recipes (n, d) behind it (arrays travel as frames).
    """
    strategy = campaign.strategy
    if not isinstance(strategy, BatchBO):
        raise InvalidParameterError(
            f"insights are for recipe campaigns (batch_bo); this one runs {strategy.name}"
        )
    x, y, _ = strategy.data(in_order=True)
    source = _sources(campaign)
    keys = [tuple(p.values()) for p in strategy.space.from_unit(x)]
    shap_rounds = {r["round"]: r for r in shap_by_round(strategy)}
    rounds, start, best = [], 0, np.inf if strategy.minimize else -np.inf
    pick = min if strategy.minimize else max
    for r, end in enumerate(strategy.round_ends(len(x))):
        values = y[start:end]
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
            }
        )
        start = end
    return {"campaign_id": campaign.id, "minimize": strategy.minimize, "rounds": rounds}


def _shap_fields(shap_round: dict | None) -> dict:
    """The round's SHAP importance, values and recipes (None before 3 recipes exist)."""
    if shap_round is None:
        return {"shap_importance": None, "shap_values": None, "shap_recipes": None}
    return {
        "shap_importance": shap_round["importance"],
        "shap_values": shap_round["values"],
        "shap_recipes": shap_round["recipes"],
    }


def _sources(campaign) -> dict[tuple, str]:
    """Recipe key -> the source tag of the suggestion that proposed it ("design", "gp", "net")."""
    out = {}
    for event in campaign.journal.events(campaign.id, "suggestion"):
        payload = event["payload"]
        point = campaign.space.validate(payload["point"])
        out[tuple(point[n] for n in campaign.space.names)] = payload["strategy"].split(":")[-1]
    return out
