"""Fixtures shared by the tests of figures."""

from pathlib import Path

import pytest

import adaptive.figures
import surrogates.eels_map


@pytest.fixture
def saved(monkeypatch):
    """The figures saved from now on by adaptive.figures and surrogates.eels_map, kept
    instead of written."""
    figures = []

    def keep(fig, path):
        figures.append(fig)
        return Path(path)

    monkeypatch.setattr(adaptive.figures, "save_figure", keep)
    monkeypatch.setattr(surrogates.eels_map, "save_figure", keep)
    return figures
