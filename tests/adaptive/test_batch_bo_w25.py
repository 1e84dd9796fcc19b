"""Review W25: a failed reading handed to BatchBO.observe is refused with a message that
says it is not learned and where its recipe goes, not one asking for a value."""

import pytest

from adaptive.errors import InvalidParameterError
from adaptive.records import Observation
from adaptive.space import Dimension, Space
from adaptive.strategies.batch_bo import BatchBO

PLANE = Space((Dimension("a", low=0.0, high=10.0), Dimension("b", low=0.0, high=10.0)))


def test_a_failed_reading_is_refused_pointing_to_suggest_failed():
    strategy = BatchBO(PLANE, q=3, seed=0)
    suggestion = strategy.suggest(3)[0]
    clogged = Observation(suggestion.point, failed="clogged", suggestion_id=suggestion.id)
    with pytest.raises(InvalidParameterError, match=r"suggest\(failed=\[point\]\)") as err:
        strategy.observe([clogged])
    assert "no failed reading" in str(err.value) and "value=" not in str(err.value)
    assert strategy.data()[0].size == 0  # nothing learned
    later = strategy.suggest(3, failed=[suggestion.point])  # the route the message names
    assert all(s.point != suggestion.point for s in later)
