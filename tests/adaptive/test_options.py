"""Strategy and analysis options checked against the signature of what they configure."""

import re

import pytest

from adaptive import strategies
from adaptive.analysis import Analysis
from adaptive.campaign import Campaign
from adaptive.errors import InvalidParameterError
from adaptive.journal import Journal
from adaptive.objectives import SpectrumObjective
from adaptive.options import check_keys, check_options
from adaptive.space import Dimension, Space

SPACE = Space((Dimension("energy", low=8900.0, high=9100.0, units="eV"),))


def step(space, size: float, width: float = 1.0, names=("a", "b")):
    """A stand-in for a strategy: ``space`` is given by the caller, ``size`` is required."""


def test_known_options_pass_through_as_a_new_dict():
    options = {"size": 2.0, "names": ["c"]}
    checked = check_options(step, options, "step", given=("space",))
    assert checked == options and checked is not options


@pytest.mark.parametrize("options", ["", [], 0, "none"])
def test_options_that_are_not_a_mapping_are_refused(options):
    with pytest.raises(InvalidParameterError, match="step: options must be a mapping"):
        check_options(step, options, "step", given=("space",))


def test_an_unknown_option_is_named_with_the_closest_name_and_every_option_listed():
    with pytest.raises(InvalidParameterError) as caught:
        check_options(step, {"size": 1.0, "widht": 2.0}, "step", given=("space",))
    assert str(caught.value) == (
        "step: unknown option 'widht' (did you mean 'width'?); its options are "
        'size (required), width=1.0, names=["a", "b"]'
    )


@pytest.mark.parametrize("options", [None, {}, {"width": 2.0}])
def test_a_missing_required_option_is_named(options):
    with pytest.raises(InvalidParameterError, match="option 'size' is required"):
        check_options(step, options, "step", given=("space",))


def test_a_parameter_the_caller_gives_is_no_option():
    with pytest.raises(InvalidParameterError, match="'space' is given separately, not among"):
        check_options(step, {"size": 1.0, "space": None}, "step", given=("space",))


def keywords_step(space, size: float, *args, **options):
    """A stand-in for a plugin strategy that takes its options as keywords."""


def test_a_target_taking_any_keyword_takes_any_option_but_still_needs_its_required_ones():
    # **options was taken for a required option named 'options' (review U1)
    checked = check_options(keywords_step, {"size": 1.0, "step": 0.1}, "s", given=("space",))
    assert checked == {"size": 1.0, "step": 0.1}
    with pytest.raises(InvalidParameterError) as caught:
        check_options(keywords_step, {"step": 0.1}, "s", given=("space",))
    assert str(caught.value) == (
        "s: option 'size' is required; its options are size (required), any other (**keywords)"
    )


def test_a_misspelt_strategy_option_names_the_right_one_and_lists_the_options():
    config = {"name": "energy_scan", "options": {"n_intial": 12}}
    with pytest.raises(InvalidParameterError) as caught:
        strategies.make_strategy(config, SPACE)
    message = str(caught.value)
    assert message.startswith("strategy 'energy_scan': unknown option 'n_intial'")
    assert "did you mean 'n_initial'?" in message
    assert "n_initial=12, tolerance=0.005" in message
    assert "unexpected keyword" not in message and "space" not in message


@pytest.mark.parametrize("name", ["batch_size", "batch"])
def test_another_word_for_the_batch_size_is_pointed_to_q(name):
    """difflib would offer 'batch_method'; the strategy's synonyms name the option meant."""
    config = {"name": "batch_bo", "options": {name: 10}}
    with pytest.raises(
        InvalidParameterError, match=rf"unknown option '{name}' \(did you mean 'q'\?\)"
    ):
        strategies.make_strategy(config, SPACE)


@pytest.mark.parametrize("options", [None, {"scale": 2.0}])
def test_a_missing_required_strategy_option_is_named(options):
    config = {"name": "conventional", "options": options}
    with pytest.raises(InvalidParameterError, match="option 'edge_energy' is required"):
        strategies.make_strategy(config, SPACE)


@pytest.mark.parametrize("name", ["batch_bo", "grid"])
@pytest.mark.parametrize("campaign_objective", [False, True])
def test_an_objective_option_is_refused_pointing_to_the_campaigns(name, campaign_objective):
    objective = SpectrumObjective([1.0, 2.0, 3.0], [0.0, 1.0, 0.0])
    config = {"name": name, "options": {"objective": objective.to_dict()}}
    given = objective if campaign_objective else None
    with pytest.raises(InvalidParameterError, match="objective is not a strategy option") as caught:
        strategies.make_strategy(config, SPACE, given)
    assert 'the "objective" parameter of campaign_create' in str(caught.value)


def test_batch_bo_option_listings_leave_the_objective_out():
    config = {"name": "batch_bo", "options": {"sed": 1}}
    with pytest.raises(InvalidParameterError, match="did you mean 'seed'") as caught:
        strategies.make_strategy(config, SPACE)
    assert "objective" not in str(caught.value) and "seed=0" in str(caught.value)


def test_a_type_error_inside_a_strategy_constructor_is_still_an_invalid_parameter(
    monkeypatch,
):
    class Broken:
        name = "broken"
        __module__ = "adaptive.strategies.broken"  # a built-in's: a plugin's is StrategyError

        def __init__(self, space, size: int = 1):
            raise TypeError("size went wrong")

    monkeypatch.setitem(strategies.STRATEGIES, "broken", Broken)
    with pytest.raises(InvalidParameterError, match="strategy 'broken': size went wrong"):
        strategies.make_strategy({"name": "broken"}, SPACE)


def test_a_misspelt_analysis_option_names_the_right_one_and_lists_the_options():
    with pytest.raises(InvalidParameterError) as caught:
        Analysis({"name": "peak_fit", "options": {"max_peak": 3}})
    assert str(caught.value) == (
        "analysis 'peak_fit': unknown option 'max_peak' (did you mean 'max_peaks'?); its "
        "options are max_peaks=5, asymmetry=false, basin_hopping=false, poisson_weights=true, "
        "doublets=true, regions=null, weights=null"
    )


@pytest.mark.parametrize("options", ["", [], 0])
def test_analysis_options_that_are_not_a_mapping_are_refused(options):
    with pytest.raises(InvalidParameterError, match=re.escape("analysis 'elements': options")):
        Analysis({"name": "elements", "options": options})


def test_a_campaign_with_a_misspelt_option_is_refused_and_nothing_journaled(tmp_path):
    journal = Journal(tmp_path / "j.sqlite")
    with pytest.raises(InvalidParameterError, match="did you mean 'n_points'"):
        Campaign.create(journal, SPACE.to_dict(), {"name": "grid", "options": {"npoints": 9}})
    assert journal.campaign_ids() == []


def test_an_unknown_parameter_of_a_method_without_parameters_says_it_takes_none():
    def campaign_list():
        """A stand-in for a server method that takes no parameters."""

    with pytest.raises(InvalidParameterError) as caught:
        check_options(campaign_list, {"x": 1}, "campaign_list", noun="parameter")
    assert str(caught.value) == ("campaign_list: unknown parameter 'x'; it takes no parameters")


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: Space.from_dict(
                {"dimensions": [{"name": "e", "low": 0, "high": 1, "unit": "eV"}]}
            ),
            "unknown dimension fields ['unit'] (did you mean 'units'?); its fields are name, "
            "kind, low, high, choices, units, step",
        ),
        (
            lambda: strategies.make_strategy(
                {"name": "random", "option": {}},
                Space.from_dict({"dimensions": [{"name": "e", "low": 0, "high": 1}]}),
            ),
            "unknown strategy config fields ['option'] (did you mean 'options'?); its fields "
            "are name, options",
        ),
        (
            lambda: Analysis({"name": "peak_fit", "opts": {}}),
            "unknown analysis config fields ['opts'] (did you mean 'options'?); its fields "
            "are name, options, value",
        ),
    ],
)
def test_unknown_config_fields_name_the_closest_and_the_allowed_ones(build, message):
    with pytest.raises(InvalidParameterError) as caught:
        build()
    assert str(caught.value) == message


def test_keys_of_mixed_types_are_listed_in_text_order():
    with pytest.raises(InvalidParameterError, match=re.escape("fields [1, 'z']")):
        check_keys({1: 0, "z": 0, "a": 0}, ("a",), "thing")
