"""One named-column CSV reader for targets and pools; simulate_xas's strategies; one greedy
batch check; the NRMSE in adaptive.metrics."""

import numpy as np
import pytest

from adaptive.errors import InvalidParameterError
from adaptive.simulate import read_target, simulate_synthesis, simulate_xas
from adaptive.space import Space
from adaptive.strategies.batch_bo import BatchBO
from simulators import PoolEmulator
from simulators.text_files import read_named_columns

HEADER = "wavelength_nm,absorbance_target"


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (  # the first copy was read, the second silently dropped
            f"{HEADER},absorbance_target\n400,1,9\n500,2,9\n",
            r"\['absorbance_target'\] appear more than once in the header of .*target.csv; "
            "rename the copies",
        ),
        (  # the 7 was dropped: a misplaced cell or a lost column
            f"{HEADER}\n400,1,7\n500,2\n",
            r"line 2 of .*target.csv has values beyond the header's 2 columns; remove the extra",
        ),
        (f"# run 3\n{HEADER}\n", r"target.csv has a header but no data rows"),
    ],
)
def test_a_target_is_read_as_strictly_as_a_pool(tmp_path, text, match):
    path = tmp_path / "target.csv"
    path.write_text(text)
    with pytest.raises(InvalidParameterError, match=match):
        read_target(path)
    with pytest.raises(ValueError, match=match):
        PoolEmulator.from_csv(path, ["wavelength_nm"], "absorbance_target")


def test_a_target_and_a_pool_name_a_bad_cell_alike(tmp_path):
    path = tmp_path / "target.csv"
    path.write_text(f"{HEADER},note\n400,0.5,x\n401,oops,y\n")
    with pytest.raises(ValueError) as pool:
        PoolEmulator.from_csv(path, ["wavelength_nm"], "absorbance_target")
    with pytest.raises(InvalidParameterError) as target:
        read_target(path)
    assert str(target.value) == str(pool.value)
    assert str(pool.value) == (
        f"non-numeric value 'oops' in column 'absorbance_target', line 3 of {path}; write a "
        "number there"
    )
    path.write_text(f"{HEADER},note,note\n400,0.5,x,y\n401,0.25,x,y\n")  # unread copies pass
    np.testing.assert_array_equal(read_target(path)[1], [0.5, 0.25])


@pytest.mark.parametrize("strategy", ["grid", "conventional", "bogus"])
def test_simulate_xas_refuses_a_strategy_it_does_not_run_before_any_campaign(tmp_path, strategy):
    out = tmp_path / "out"
    with pytest.raises(InvalidParameterError) as raised:
        simulate_xas(out, strategy=strategy, max_points=4, noise_counts=None)
    assert str(raised.value) == (
        f"--strategy {strategy!r}: simulate xas runs energy_scan or random; pass one of them"
    )
    assert not out.exists()


def test_the_commands_and_the_strategy_refuse_a_greedy_batch_in_one_wording(tmp_path):
    space = Space.from_dict({"dimensions": [{"name": "a", "low": 0.0, "high": 1.0}]})
    with pytest.raises(InvalidParameterError) as strategy:
        BatchBO(space, q=65).check_new()
    with pytest.raises(InvalidParameterError) as command:
        simulate_synthesis(tmp_path, batch=65)
    tail = (
        " asks qlognei for 65 recipes in one batch; it picks at most 64 (each conditions the "
        "model on every earlier pick, so its time grows steeply with the batch): "
    )
    assert str(strategy.value).startswith(f"the option q=65{tail}use batch_method thompson")
    assert str(command.value).startswith(f"--batch 65{tail}pass --batch 64 or less, or --method")


def test_the_nrmse_lives_in_adaptive_metrics():
    from adaptive.metrics import nrmse, nrmse_span

    truth = np.linspace(0.0, 2.0, 201)
    assert nrmse_span(truth) == pytest.approx(1.98)
    assert nrmse(truth + 0.198, truth) == {"nrmse": pytest.approx(0.1)}


def test_a_misspelt_column_is_named_with_its_nearest_title_past_the_six_shown(tmp_path):
    # a pool of 10 columns listed 6 and "4 more", so its "pH" was hidden from one asking "ph"
    path = tmp_path / "pool10.csv"
    path.write_text("id,date,operator,T_C,time_min,conc_mM,a,b,pH,yield\n" + "1," * 9 + "1\n")
    with pytest.raises(ValueError, match=r"and 4 more \(nearest: 'pH'\); pass them"):
        read_named_columns(path, ["ph"], "a pool", "pass them")


def test_a_decimal_comma_cell_is_named_as_one(tmp_path):
    # a semicolon CSV of European Excel read '0,1' as "non-numeric"
    path = tmp_path / "target.csv"
    path.write_text("wavelength_nm;absorbance_target\n400;0,1\n")
    with pytest.raises(ValueError, match=r"^decimal comma in '0,1' in column 'absorbance_targ"):
        read_named_columns(path, ["wavelength_nm", "absorbance_target"], "a target", "fix")
