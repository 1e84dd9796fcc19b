"""Review Z22 (controls): a plugin's constructor, ``check_new()`` or ``stop_options()`` that
raises an error of no adaptive type is a ``StrategyError`` naming the strategy and the
error, at a create and at a resume after a restart; a wrong keyword, and a built-in
strategy's option of the wrong type, are still the request's ``InvalidParameterError``."""

import pytest

import adaptive.strategies as strategies
from adaptive import Campaign, Journal
from adaptive.client import Client
from adaptive.errors import InvalidParameterError, StrategyError
from adaptive.server import Server
from adaptive.strategies import STRATEGIES, RandomScan

SPACE = {"dimensions": [{"name": "x", "low": 0.0, "high": 100.0}]}
NAME = "picky_z22"


class Picky(RandomScan):
    """Random points; its constructor refuses a ``step`` <= 0 with a ``ValueError``, an
    unknown ``mode`` with a ``KeyError``, and ``mode="typed"`` with a ``TypeError`` of its
    own; ``check_new`` refuses a ``step`` over 50, and ``stop_options`` raises with
    ``mode="stops"``."""

    name = NAME

    def __init__(self, space, step=1.0, mode="a"):
        if step <= 0:
            raise ValueError(f"step must be > 0, got {step}")
        if mode not in ("a", "typed", "stops"):
            raise KeyError(mode)
        if mode == "typed":
            len(step)  # a TypeError inside the constructor: the plugin's
        super().__init__(space)
        self.step, self.mode = step, mode

    def check_new(self):
        if self.step > 50:
            raise ValueError("step too large for this space")

    def stop_options(self):
        if self.mode == "stops":
            raise RuntimeError("no stopping rules table")
        return {}


class RefusesOldSteps(Picky):
    """A later version of the plugin, whose constructor refuses the step 5 it took before."""

    def __init__(self, space, step=1.0, mode="a"):
        if step == 5:
            raise ValueError(f"step {step} is no longer supported")
        super().__init__(space, step, mode)


@pytest.fixture
def picky():
    strategies.register_strategy(Picky)
    yield
    del STRATEGIES[NAME]


def create(journal: Journal, goals=None, **options) -> Campaign:
    config = {"name": NAME, "options": options}
    return Campaign.create(journal, SPACE, config, goals, campaign_id="c")


@pytest.mark.parametrize(
    ("options", "goals", "raised"),
    [
        ({"step": -1}, None, r"raised ValueError: step must be > 0, got -1"),
        ({"mode": "z"}, None, r"raised KeyError: 'z'"),
        ({"mode": "typed"}, None, r"raised TypeError: object of type 'float' has no len"),
        ({"step": 60}, None, r"check_new\(\) raised ValueError: step too large"),
        (
            {"mode": "stops"},
            {"stop_on_convergence": False},
            r"stop_options\(\) raised RuntimeError: no stopping rules table",
        ),
    ],
    ids=["ValueError", "KeyError", "TypeError", "check_new", "stop_options"],
)
def test_a_plugins_own_error_at_create_is_a_strategy_error_naming_it(
    picky, tmp_path, options, goals, raised
):
    # they were the plugin's bare ValueError, KeyError or RuntimeError (a server bug's
    # type), or a TypeError inside it blamed on the request as InvalidParameterError
    journal = Journal(tmp_path / "j.sqlite")
    with pytest.raises(StrategyError, match=f"'{NAME}'.* {raised}") as caught:
        create(journal, goals, **options)
    assert not isinstance(caught.value, InvalidParameterError)
    assert journal.campaign_ids() == []  # nothing journaled


def test_a_wrong_keyword_and_a_builtin_strategys_type_error_stay_the_requests(picky, tmp_path):
    journal = Journal(tmp_path / "j.sqlite")
    with pytest.raises(InvalidParameterError, match="unknown option 'stpe'"):
        create(journal, stpe=2.0)
    config = {"name": "batch_bo", "options": {"batch_method": ["ucb"]}}
    space = {"dimensions": [{"name": n, "low": 0.0, "high": 1.0} for n in ("x", "y")]}
    with pytest.raises(InvalidParameterError, match="unhashable"):
        Campaign.create(journal, space, config)


def test_a_plugin_version_refusing_a_journaled_campaign_is_a_strategy_error_served_on(
    picky, tmp_path
):
    # after a restart with a plugin whose constructor refuses the campaign's options, each
    # request on it was answered ValueError, logged with a traceback as a server bug
    path = tmp_path / "j.sqlite"
    create(Journal(path), step=5)
    del STRATEGIES[NAME]
    strategies.register_strategy(RefusesOldSteps)
    with (
        Server(path, bind="tcp://127.0.0.1:0") as server,
        Client(server.endpoint, timeout_s=10, retries=0) as client,
    ):
        for method in ("campaign_status", "suggestions_get"):
            with pytest.raises(StrategyError, match=r"raised ValueError: step 5 is no longer"):
                client.call(method, campaign_id="c")
        assert client.call("server_ping")["campaigns"] == 1
        made = client.call(
            "campaign_create", space=SPACE, strategy={"name": NAME, "options": {"step": 2}}
        )
        assert client.call("suggestions_get", campaign_id=made["campaign_id"])["suggestions"]
