"""A kept SHAP round is keyed by the code that computes it (module sources, library
versions), not by adaptive-lab's version, which stays put while that code changes."""

import importlib
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest

import adaptive.insights
from adaptive.insights import campaign_insights
from tests.adaptive import test_insights
from tests.adaptive.test_insights_persisted import observed_campaign

explained = test_insights.explained  # the fixture counting SHAP computations

#: A round's data: recipes (5, 2), objective (5,), no variance.
DATA = (np.linspace(0.0, 1.0, 10).reshape(5, 2), np.arange(5.0), None)


@pytest.fixture
def fresh_digest():
    """The code digest read afresh in the test, and again after it (it is cached)."""
    adaptive.insights._code_digest.cache_clear()
    yield
    adaptive.insights._code_digest.cache_clear()


@pytest.mark.parametrize(
    "module",
    [
        "adaptive.insights",
        "surrogates.recipe_gp",
        "surrogates.shap_report",
        "surrogates.spectrum_net",
    ],
)
def test_the_round_key_changes_with_the_source_of_a_module_computing_rounds(
    tmp_path, monkeypatch, fresh_digest, module
):
    key = adaptive.insights._round_key(DATA)
    assert adaptive.insights._round_key(DATA) == key
    loaded = importlib.import_module(module)
    source = tmp_path / "source.py"
    source.write_bytes(Path(loaded.__file__).read_bytes())
    monkeypatch.setattr(loaded, "__file__", str(source))
    adaptive.insights._code_digest.cache_clear()
    assert adaptive.insights._round_key(DATA) == key  # the same source elsewhere: same key
    source.write_text(source.read_text() + "\n# edited\n")
    assert adaptive.insights._round_key(DATA) == key  # read once per process
    adaptive.insights._code_digest.cache_clear()
    assert adaptive.insights._round_key(DATA) != key  # by the next process


@pytest.mark.parametrize("library", ["torch", "shap", "botorch"])
def test_the_round_key_changes_with_a_library_version(monkeypatch, fresh_digest, library):
    key = adaptive.insights._round_key(DATA)
    installed = metadata.version
    monkeypatch.setattr(
        metadata, "version", lambda name: "0.0" if name == library else installed(name)
    )
    adaptive.insights._code_digest.cache_clear()
    assert adaptive.insights._round_key(DATA) != key


def test_a_round_kept_by_other_code_is_computed_again(tmp_path, explained, monkeypatch):
    campaign = observed_campaign(tmp_path)
    first = campaign_insights(campaign, cache=True)
    assert explained == [3, 6]
    monkeypatch.setattr(adaptive.insights, "_code_digest", lambda: b"edited code")
    again = campaign_insights(campaign, cache=True)
    assert explained == [3, 6, 3, 6]  # not served the rounds of the code before
    np.testing.assert_equal(again, first)  # the same code in fact: the same numbers
    campaign_insights(campaign, cache=True)
    assert explained == [3, 6, 3, 6]  # kept under the new code's key
