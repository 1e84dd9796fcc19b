"""``normalise`` is refused where it changes nothing, never silently ignored: the default
target_loss gave the same loss with normalise false or true."""

import pytest

from adaptive.errors import InvalidParameterError
from adaptive.objectives import SpectrumObjective
from tests.adaptive.test_objectives import PEAK, X, gaussian


@pytest.mark.parametrize("measure", [None, "target_loss", "pearson"])
def test_normalise_false_is_refused_where_it_changes_nothing(measure):
    config = {"target_x": X.tolist(), "target_y": PEAK.tolist(), "normalise": False}
    if measure is not None:
        config["measure"] = measure
    shown = measure or "target_loss"
    with pytest.raises(
        InvalidParameterError,
        match=rf"normalise=False does not apply to measure='{shown}'.*drop it, or switch to a "
        r"measure it changes \(cosine, jensen_shannon, wasserstein, dtw\)",
    ):
        SpectrumObjective.from_dict(config)
    accepted = SpectrumObjective.from_dict({**config, "normalise": True})
    assert SpectrumObjective.from_dict(accepted.to_dict()).normalise is True


def test_normalise_false_is_kept_by_every_measure_it_changes():
    y = 2.0 * gaussian(X, 560.0) + 0.3
    for measure in ("cosine", "jensen_shannon", "wasserstein", "dtw"):
        plain = SpectrumObjective(X, PEAK, measure=measure, normalise=False)(X, y)
        assert plain != pytest.approx(SpectrumObjective(X, PEAK, measure=measure)(X, y))
    with pytest.raises(InvalidParameterError, match="normalise=False does not apply"):
        SpectrumObjective(X, PEAK, normalise=False)
