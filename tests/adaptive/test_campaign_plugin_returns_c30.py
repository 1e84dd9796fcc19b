"""Review C30: what a plugin's ``stop_options()`` and ``warning()`` return is checked: a
list of names (not ``{name: value}``) or a mapping as a warning is a ``StrategyError``
naming the method, not an untyped "server bug" nor a reply field of the wrong type.
Review Z23: a plugin raising asyncio's ``CancelledError`` (a BaseException) gets that reply
too (it got none: the client timed out, blaming a long model fit)."""

import asyncio

import pytest

import adaptive.strategies as strategies
from adaptive import Campaign, Journal
from adaptive.client import Client, RemoteError
from adaptive.errors import StrategyError
from adaptive.server import Server
from adaptive.strategies import STRATEGIES, RandomScan

SPACE = {"dimensions": [{"name": "energy", "low": 8900.0, "high": 9100.0}]}


class ListStops(RandomScan):
    name = "list_stops_c30"

    def stop_options(self):
        return ["tolerance"]


class DictWarns(RandomScan):
    name = "dict_warns_c30"

    def warning(self):
        return {"level": "high"}


class Cancelled(RandomScan):
    name = "cancelled_z23"

    def suggest(self, n, pending=(), failed=()):
        raise asyncio.CancelledError


PLUGINS = (ListStops, DictWarns, Cancelled)


@pytest.fixture
def plugins():
    for plugin in PLUGINS:
        strategies.register_strategy(plugin)
    yield
    for plugin in PLUGINS:
        del STRATEGIES[plugin.name]


def test_stop_options_that_are_not_a_mapping_are_the_strategys_error(plugins, tmp_path):
    journal = Journal(tmp_path / "j.sqlite")
    with pytest.raises(StrategyError) as caught:
        Campaign.create(
            journal, SPACE, {"name": ListStops.name}, goals={"stop_on_convergence": False}
        )
    assert "stop_options() returned ['tolerance']; fix it to return a mapping" in str(caught.value)
    assert journal.campaign_strategies() == {}


def test_a_warning_that_is_not_text_is_a_warning_naming_the_method(plugins, tmp_path):
    with Server(tmp_path / "s.sqlite", bind="tcp://127.0.0.1:0") as server:
        with Client(server.endpoint, timeout_s=10) as client:
            made = client.call("campaign_create", space=SPACE, strategy={"name": DictWarns.name})
            (s,) = client.call("suggestions_get", campaign_id=made["campaign_id"])["suggestions"]
            reply = client.call(
                "observation_put",
                campaign_id=made["campaign_id"],
                point=s["point"],
                value=1.0,
                suggestion_id=s["id"],
            )
            with pytest.raises(RemoteError, match="list_stops_c30") as caught:
                client.call(
                    "campaign_create",
                    space=SPACE,
                    strategy={"name": ListStops.name},
                    goals={"stop_on_convergence": False},
                )
    assert caught.value.type == "StrategyError"
    assert all(isinstance(w, str) for w in reply["warnings"])
    assert any("warning() returned {'level': 'high'}" in w for w in reply["warnings"])


def test_a_plugin_raising_cancelled_error_gets_a_strategy_error_reply(plugins, tmp_path):
    with Server(tmp_path / "s.sqlite", bind="tcp://127.0.0.1:0") as server:
        with Client(server.endpoint, timeout_s=10, retries=0) as client:
            made = client.call("campaign_create", space=SPACE, strategy={"name": Cancelled.name})
            with pytest.raises(RemoteError, match=r"suggest\(\) raised CancelledError") as caught:
                client.call("suggestions_get", campaign_id=made["campaign_id"])
            assert caught.value.type == "StrategyError"
            assert client.call("server_ping")["campaigns"] == 1
