"""A whole synthesis campaign through the server: spectra in, batches out, SHAP reported."""

import numpy as np

from adaptive.journal import Journal
from adaptive.simulate import simulate_synthesis


def test_simulated_synthesis_campaign_reports_rounds_and_shap(tmp_path):
    summary = simulate_synthesis(tmp_path, batch=6, rounds=2, droplets=2, model="mix", seed=0)
    assert summary["recipes"] == 18
    assert "max_observations" in summary["stop_reason"]
    best = summary["best_loss_by_round"]
    assert all(b2 <= b1 for b1, b2 in zip(best, best[1:], strict=False))  # best so far
    assert best[-1] < summary["median_loss_by_round"][0]
    factors = {"QAgNO3(%)", "Qpva(%)", "Qtsc(%)", "Qseed(%)", "Qtot(uL/min)"}
    for key in ("shap_importance_last_round", "shap_importance_net_last_round"):
        assert set(summary[key]) == factors and max(summary[key].values()) > 0
    assert set(summary["median_loss_by_source"]) == {"gp", "net"}  # mix: half of each batch
    assert len(summary["figures"]) == 5
    for figure in summary["figures"]:
        assert (tmp_path / figure.split("/")[-1]).stat().st_size > 10_000
    observations = Journal(tmp_path / "journal.sqlite").observations(summary["campaign_id"])
    assert len(observations) == 36  # two droplets per recipe, each journaled with its spectrum
    assert all(
        o.spectrum is not None and o.metadata["value_from"] == "target_loss" for o in observations
    )
    assert np.isfinite([o.value for o in observations]).all()
