"""``adaptive serve --plugin``: a strategy of one's own, registered by a module it imports."""

import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from adaptive.campaign import Campaign
from adaptive.cli import main
from adaptive.client import Client
from adaptive.errors import JournalError, StrategyMissingError
from adaptive.journal import Journal
from tests.adaptive.test_journal_ops11 import damage
from tests.system.test_serve_signals11 import SPACE, endpoint_of, serve

#: A plugin file: RandomScan under a name of its own.
PLUGIN = """from adaptive.strategies import RandomScan, register_strategy


@register_strategy
class PluginScan(RandomScan):
    name = "plugin_scan"
"""
MINE = {"name": "plugin_scan", "options": {"seed": 3}}
GRID = {"name": "grid", "options": {"n_points": 5}}


@contextmanager
def serving(journal: Path, *options: str) -> Iterator[subprocess.Popen]:
    """``adaptive serve`` (its ``main``) on any free port, with ``options`` after its own;
    killed at the block's end if still running."""
    script = (
        f"import sys\nfrom adaptive.cli import main\nsys.exit(main([*sys.argv[1:], *{options!r}]))"
    )
    run = serve(journal, "-c", script)
    try:
        yield run
    finally:
        run.kill()


def stop(run: subprocess.Popen) -> str:
    """SIGTERM ``run`` and check that it exited 0; return its stderr."""
    run.send_signal(signal.SIGTERM)
    _, err = run.communicate(timeout=30)
    assert run.returncode == 0, err
    return err


def test_a_plugin_file_serves_campaigns_of_its_strategy_and_resumes_them(tmp_path):
    plugin = tmp_path / "my_strategy.py"
    plugin.write_text(PLUGIN)
    journal = tmp_path / "journal.sqlite"
    with serving(journal, "--plugin", str(plugin)) as run:
        with Client(endpoint_of(run), timeout_s=30) as client:
            client.call("campaign_create", space=SPACE, strategy=MINE, campaign_id="mine")
            client.call("campaign_create", space=SPACE, strategy=GRID, campaign_id="grid")
            (first,) = client.call("suggestions_get", campaign_id="mine", n=1)["suggestions"]
        stop(run)
    assert first["strategy"] == "plugin_scan"

    with serving(journal) as run:  # no plugin: the other campaign is still served
        with Client(endpoint_of(run), timeout_s=30) as client:
            with pytest.raises(StrategyMissingError) as refused:  # run_driver waits it out
                client.call("campaign_status", campaign_id="mine")
            grid = client.call("suggestions_get", campaign_id="grid", n=1)["suggestions"]
        err = stop(run)
    assert err.splitlines()[0] == (
        "warning: 1 campaign uses a strategy that is not registered (plugin_scan: mine); pass "
        "--plugin MODULE_OR_FILE that registers it"
    )
    assert "runs strategy 'plugin_scan', which this server does not have" in str(refused.value)
    assert "start it with --plugin MODULE_OR_FILE" in str(refused.value)
    assert grid[0]["strategy"] == "grid"

    with serving(journal, "--plugin", str(plugin)) as run:
        with Client(endpoint_of(run), timeout_s=30) as client:
            assert client.call("campaign_status", campaign_id="mine")["pending"] == [first["id"]]
            (second,) = client.call("suggestions_get", campaign_id="mine", n=1)["suggestions"]
        assert "warning" not in stop(run)
    assert second["strategy"] == "plugin_scan" and second["id"] != first["id"]


@pytest.mark.parametrize(
    ("plugin", "problem"),
    [
        ("missing.py", "'{plugin}' does not exist; check the path, or pass a .py file, or a"),
        ("no_such_module", "{plugin} does not import: ModuleNotFoundError: No module named"),
        ("broken.py", "{plugin} does not import: RuntimeError: no licence; pass a .py file"),
    ],
)
def test_a_bad_plugin_exits_2_with_one_line_before_the_journal_is_made(
    tmp_path, capsys, plugin, problem
):
    (tmp_path / "broken.py").write_text('raise RuntimeError("no licence")\n')
    if plugin.endswith(".py"):
        plugin = str(tmp_path / plugin)
    journal = tmp_path / "journal.sqlite"
    argv = ["serve", "--bind", "tcp://127.0.0.1:0", "--journal", str(journal), "--plugin", plugin]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: --plugin {problem.format(plugin=plugin)}"), err
    assert len(err.strip().splitlines()) == 1, err
    assert not journal.exists()


def test_serve_names_at_start_the_campaigns_of_strategies_not_registered_and_serves_on(tmp_path):
    journal = Journal(tmp_path / "journal.sqlite")
    Campaign.create(journal, SPACE, GRID, campaign_id="grid")
    config = journal.campaign("grid")["config"]
    for campaign_id, name in (("a", "plugin_scan"), ("b", "other_scan"), ("c", "plugin_scan")):
        journal.create_campaign(campaign_id, {**config, "strategy": {**MINE, "name": name}})
    journal.create_campaign("broken", config)
    journal.close()
    damage(journal.path, "UPDATE campaigns SET config = substr(config, 2) WHERE id = 'broken'")
    with serving(journal.path) as run:
        with Client(endpoint_of(run), timeout_s=30) as client:
            with pytest.raises(JournalError, match="the config of campaign 'broken' is not valid"):
                client.call("campaign_status", campaign_id="broken")
            assert client.call("suggestions_get", campaign_id="grid", n=1)["suggestions"]
        err = stop(run)
    assert err.splitlines()[0] == (
        "warning: 3 campaigns use strategies that are not registered (plugin_scan: a, c; "
        "other_scan: b); pass --plugin MODULE_OR_FILE that registers them"
    )
