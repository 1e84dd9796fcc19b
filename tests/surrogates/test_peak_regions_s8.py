"""Peak-fit regions typed in keV are refused when given, not on every spectrum after."""

import pytest

from adaptive.campaign import Campaign
from adaptive.errors import InvalidParameterError
from adaptive.journal import Journal
from surrogates.peak_result import check_regions

KEV_HINT = "if the regions are in keV, give them in eV"


@pytest.mark.parametrize(
    ("window", "in_ev"),
    [([0.938, 0.946], "[938, 946]"), ((1.4, 1.45), "[1400, 1450]")],
)
def test_a_window_that_reads_as_kev_is_refused_with_the_ev_hint(window, in_ev):
    regions = {"vb": [0, 3], "fermi": [-0.5, 0.5], "ef": [-0.03, 0.03], "main": [930, 936]}
    regions["sat"] = window
    with pytest.raises(InvalidParameterError) as err:
        check_regions(regions)
    message = str(err.value)
    assert message.startswith(f"regions entry 'sat': {window!r}: it reads as keV")
    assert KEV_HINT in message and in_ev in message
    del regions["sat"]  # the valence band and the Fermi edge are eV (no keV is negative)
    assert check_regions(regions) == {
        "vb": (0.0, 3.0),
        "fermi": (-0.5, 0.5),
        "ef": (-0.03, 0.03),
        "main": (930.0, 936.0),
    }


def test_a_campaign_with_kev_regions_is_refused_at_creation(tmp_path):
    journal = Journal(tmp_path / "journal.sqlite")
    analysis = {
        "name": "peak_fit",
        "options": {"regions": {"sat": [0.938, 0.946]}},
        "value": "area_fraction_sat",
    }
    space = {"dimensions": [{"name": "T", "low": 100, "high": 600}]}
    try:
        with pytest.raises(InvalidParameterError, match=f"'sat'.*reads as keV.*{KEV_HINT}"):
            Campaign.create(journal, space, {"name": "batch_bo"}, analysis=analysis)
        assert journal.campaign_ids() == []
    finally:
        journal.close()
