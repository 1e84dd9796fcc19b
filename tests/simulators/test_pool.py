import numpy as np
import pytest

from simulators import PoolEmulator
from tests.shared_data import SHARED_DATA

DATA = SHARED_DATA / "synthesis"
DROPLETS = DATA / "agnp_droplets.csv"
FLOWS = ["QAgNO3(%)", "Qpva(%)", "Qtsc(%)", "Qseed(%)", "Qtot(uL/min)"]
needs_data = pytest.mark.skipif(
    not DROPLETS.is_file(), reason=f"{DROPLETS} not found (shared data absent)"
)


@pytest.fixture
def small(tmp_path):
    path = tmp_path / "pool.csv"
    path.write_text("a,b,y,note\n1,2,0.5,x\n3,4,0.1,x\n1,2,0.7,x\n5,6,0.9,x\n1,2,0.6,x\n")
    return path


def test_groups_replicates_in_table_order(small):
    pool = PoolEmulator.from_csv(small, inputs=["a", "b"], objective="y", seed=0)
    assert pool.n_candidates == 3
    np.testing.assert_array_equal(pool.X, [[1, 2], [3, 4], [5, 6]])
    np.testing.assert_array_equal(pool.count, [3, 1, 1])
    np.testing.assert_allclose(pool.mean, [0.6, 0.1, 0.9])
    np.testing.assert_allclose(pool.std, [0.1, 0.0, 0.0])
    np.testing.assert_array_equal(pool.replicates[0], [0.5, 0.7, 0.6])
    assert pool.measure(0) == pytest.approx(0.6)
    np.testing.assert_array_equal(pool.top_indices(0.5), [1, 0])
    np.testing.assert_array_equal(pool.top_indices(0.1, minimize=False), [2])


def test_sample_mode_is_seeded_and_draws_replicates(small):
    pools = [PoolEmulator.from_csv(small, ["a", "b"], "y", seed=s) for s in (3, 3, 4)]
    draws = [[pool.measure(0, "sample") for _ in range(20)] for pool in pools]
    assert draws[0] == draws[1] != draws[2]
    pool = PoolEmulator.from_csv(small, ["a", "b"], "y", seed=1)
    values = {pool.measure(0, mode="sample") for _ in range(60)}
    assert values == {0.5, 0.7, 0.6}


@pytest.mark.parametrize(
    ("text", "inputs", "objective", "match"),
    [
        ("", ["a"], "y", "empty"),
        ("a,y\n", ["a"], "y", "no data rows"),
        ("a,y\n1,2\n", ["a", "zz"], "y", r"unknown column.*'zz'.*available columns.*'a', 'y'"),
        ("a,y\n1,2\n", ["a"], "loss", "unknown column"),
        ("a,y\n1,oops\n", ["a"], "y", "non-numeric value 'oops'"),
        ("a,y\n1,\n", ["a"], "y", "non-numeric"),
        ("a,y\nnan,1\n", ["a"], "y", "non-finite"),
        ("a,y\n1,2\n", ["y"], "y", "must not also be an input"),
        ("a,y\n1,2\n", "a", "y", "list of column names"),
        ("a,y,a\n1,2,3\n", ["a"], "y", r"\['a'\] appear more than once"),
        ("a,y\n1,2\n3,4,5\n", ["a"], "y", "line 3 .* beyond the header's 2 columns"),
    ],
)
def test_bad_files_raise(tmp_path, text, inputs, objective, match):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(ValueError, match=match):
        PoolEmulator.from_csv(path, inputs, objective)


def test_repeated_unused_column_is_allowed(tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text("a,note,y,note\n1,x,2,z\n")
    assert PoolEmulator.from_csv(path, ["a"], "y").mean.tolist() == [2.0]


def test_bad_constructor_arguments_raise():
    with pytest.raises(ValueError, match=r"rows 0 and 2 of X are the same inputs \[1.0\]"):
        PoolEmulator(np.array([[1.0], [2.0], [1.0]]), [[1.0], [2.0], [3.0]], ["a"], "y")
    for seed in ("x", -1, 1.5, True):
        with pytest.raises(ValueError, match="seed must be a non-negative int or None"):
            PoolEmulator(np.array([[1.0]]), [[1.0]], ["a"], "y", seed=seed)


def test_constructor_refuses_a_string_of_inputs():
    with pytest.raises(ValueError, match="inputs must be a list of column names, got the string"):
        PoolEmulator(np.array([[1.0, 2.0]]), [[1.0]], "ab", "y")


def test_replicates_must_all_be_finite_and_the_message_says_so():
    padded = np.array([[0.1, np.nan], [0.2, 0.3]])  # ragged replicates padded with NaN
    with pytest.raises(ValueError, match=r"every 'y' value must be finite, got \[0.1, nan\]"):
        PoolEmulator(np.array([[1.0], [2.0]]), padded, ["a"], "y")
    with pytest.raises(ValueError, match="candidate 1 needs at least one 'y' value, got none"):
        PoolEmulator(np.array([[1.0], [2.0]]), [[0.1], []], ["a"], "y")
    pool = PoolEmulator(np.array([[1.0], [2.0]]), [[0.1], [0.2, 0.3]], ["a"], "y")
    np.testing.assert_array_equal(pool.count, [1, 2])


def test_bad_calls_raise(small):
    pool = PoolEmulator.from_csv(small, ["a", "b"], "y", seed=0)
    for index in (3, -1, 1.0, True):
        with pytest.raises(ValueError, match="index"):
            pool.measure(index)
    with pytest.raises(ValueError, match="mode"):
        pool.measure(0, mode="median")
    for fraction in (0.0, 1.5, float("nan"), "0.5", None):
        with pytest.raises(ValueError, match="fraction"):
            pool.top_indices(fraction)


@needs_data
def test_agnp_droplets_pool():
    pool = PoolEmulator.from_csv(DROPLETS, inputs=FLOWS, objective="loss", seed=0)
    assert pool.n_candidates == 164 and pool.X.shape == (164, 5)
    assert pool.count.sum() == 3295
    assert pool.count.min() == 4 and pool.count.max() == 48
    assert pool.mean.min() == pytest.approx(0.148, abs=0.001)
    top = pool.top_indices(0.05)
    assert len(top) == round(0.05 * 164) == 8
    assert pool.mean[top[0]] == pool.mean.min()
    assert np.all(np.diff(pool.mean[top]) >= 0) and pool.mean[top].max() <= np.sort(pool.mean)[7]
    assert np.all(pool.std[pool.count > 1] > 0)
    sample = pool.measure(int(top[0]), mode="sample")
    assert sample in pool.replicates[top[0]]
    # the first 15 candidates are the initial design of run 1, in order of flow
    assert pool.X[0, 4] == 227 and np.all(np.diff(pool.X[:15, 4]) > 0)


@pytest.mark.parametrize(
    ("X", "replicates", "match"),
    [
        (np.array([[1.0], [2.0]]) + 1j, [[1.0], [2.0]], "X must be .*real numbers"),
        ([[1.0], ["a"]], [[1.0], [2.0]], "X must be .*real numbers"),
        ([[1.0], [2.0]], [[1.0], [{"x": 1}]], r"replicates\[1\] must be real numbers"),
        ([[1.0], [2.0]], [[1.0], [2.0 + 1j]], r"replicates\[1\] must be real numbers"),
    ],
)
def test_complex_or_non_numeric_inputs_get_a_value_error_naming_them(X, replicates, match):
    with pytest.raises(ValueError, match=match):
        PoolEmulator(X, replicates, ["a"], "loss")


def test_reads_an_excel_windows_csv_with_a_latin1_header(tmp_path):
    path = tmp_path / "cp1252.csv"
    path.write_bytes(
        "Qseed(%),Qtot(µL/min),loss\n1,200,0.5\n1,200,0.6\n2,300,0.4\n".encode("cp1252")
    )
    pool = PoolEmulator.from_csv(path, ["Qseed(%)", "Qtot(µL/min)"], "loss")
    np.testing.assert_array_equal(pool.X, [[1.0, 200.0], [2.0, 300.0]])
    np.testing.assert_allclose(pool.mean, [0.55, 0.4])


def test_top_indices_refuses_a_minimize_that_is_not_a_bool(small):
    pool = PoolEmulator.from_csv(small, ["a", "b"], "y")
    for minimize in ("false", 0, None):
        with pytest.raises(ValueError, match="minimize must be True or False"):
            pool.top_indices(0.34, minimize=minimize)
    np.testing.assert_array_equal(pool.top_indices(0.34, minimize=np.bool_(False)), [2])


#: a pool of two recipes as a lab writes it: with comment lines, in any separator
COMMENTED = "# droplets of run 3\na,y,note\n1,2,dark red\n# a comment among the rows\n3,4,pale\n"


@pytest.mark.parametrize(
    "data",
    [
        "a,y\n1,2,\n3,4\n".encode("utf-8-sig"),  # Excel: a BOM, an empty trailing cell
        COMMENTED.replace(",", ";").encode(),
        COMMENTED.replace(",", "\t").encode(),
    ],
)
def test_reads_excel_semicolon_and_tab_tables_with_comment_lines(tmp_path, data):
    path = tmp_path / "pool.csv"
    path.write_bytes(data)
    pool = PoolEmulator.from_csv(path, ["a"], "y")
    np.testing.assert_array_equal(pool.X, [[1.0], [3.0]])
    np.testing.assert_array_equal(pool.mean, [2.0, 4.0])


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("x,loss\n1,0.5\n\n\n2,0.4\n3,abc\n", "'abc' in column 'loss', line 6 of"),
        ("# run 3\nx;loss\n1;2\n# skipped\n3;oops\n", "'oops' in column 'loss', line 5 of"),
    ],
)
def test_bad_values_are_reported_at_their_file_line_past_blank_and_comment_lines(
    tmp_path, text, problem
):
    path = tmp_path / "pool.csv"
    path.write_text(text)
    with pytest.raises(ValueError, match=f"non-numeric value {problem} .*pool.csv"):
        PoolEmulator.from_csv(path, ["x"], "loss")
