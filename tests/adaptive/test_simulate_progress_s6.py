import re

from adaptive.simulate import simulate_synthesis


def test_the_insights_and_figures_after_the_campaign_have_a_progress_bar_on_stderr(tmp_path, capfd):
    # the recipes' bar ended, then a minute of SHAP rounds and figures passed in silence
    summary = simulate_synthesis(tmp_path, batch=3, rounds=1, droplets=1, model="gp")
    captured = capfd.readouterr()
    shown = [line for line in re.split(r"[\r\n]", captured.err) if line.startswith("insights:")]
    # a design of 3 and a round of 3: the 6 recipes SHAP needs are there after round 1, so
    # one SHAP round of the GP and one of the network, then the figures: 3 steps
    counts = [re.search(r"\| (\d)/3 \[", line)[1] for line in shown]
    assert list(dict.fromkeys(counts)) == ["0", "1", "2", "3"], shown
    assert re.match(r"insights: 100%\|\S+\| 3/3 \[", shown[-1]), shown[-1]
    assert "insights:" not in captured.out
    assert summary["shap_importance_last_round"] and summary["shap_importance_net_last_round"]
    assert all((tmp_path / name).is_file() for name in ("shap.png", "shap_net.png"))
