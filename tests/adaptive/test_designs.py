import numpy as np
import pytest

from adaptive import designs
from adaptive.designs import DESIGNS, latin_hypercube, random_design, sobol
from adaptive.errors import InvalidParameterError
from adaptive.space import Dimension, LinearConstraint, Space
from tests.spaces import FRACTIONS, agnp_space


def box_space(d=3):
    return Space(tuple(Dimension(f"x{i}", low=-2.0 * i, high=1.0 + i) for i in range(d)))


def test_registry():
    assert DESIGNS == {"lhs": latin_hypercube, "sobol": sobol, "random": random_design}


@pytest.mark.parametrize("name", sorted(DESIGNS))
@pytest.mark.parametrize("upper", [100.0, 60.0])
def test_agnp_designs_give_n_distinct_feasible_points(name, upper):
    space = agnp_space(upper)
    points = DESIGNS[name](space, 24, seed=3)
    assert len(points) == 24
    assert len({tuple(p.values()) for p in points}) == 24
    for p in points:
        assert space.validate(p) == p
        assert sum(p[k] for k in FRACTIONS) <= upper + 1e-9
        assert p["Qtot(uL/min)"] == round(p["Qtot(uL/min)"])


def test_tight_constraint_rejects_most_of_the_box():
    # the sum <= 60 case really exercises rejection: most of the box is infeasible
    space = agnp_space(60.0)
    u = np.random.default_rng(0).random((2000, 5))
    assert space.feasible(u).mean() < 0.5


@pytest.mark.parametrize("name", sorted(DESIGNS))
def test_seeded_designs_reproduce(name):
    space = agnp_space(60.0)
    design = DESIGNS[name]
    assert design(space, 10, seed=7) == design(space, 10, seed=7)
    assert design(space, 10, seed=7) != design(space, 10, seed=8)


@pytest.mark.parametrize("n", [1, 7, 16])
def test_lhs_is_stratified_without_constraints(n):
    space = box_space(3)
    points = latin_hypercube(space, n, seed=11)
    u = space.to_unit(points)
    bins = np.floor(u * n).astype(int)
    for j in range(3):
        assert sorted(bins[:, j].tolist()) == list(range(n))


def test_lhs_with_constraints_spreads_points():
    space = agnp_space(60.0)
    points = latin_hypercube(space, 12, seed=0)
    u = space.to_unit(points)
    dist = np.sqrt(((u[:, None, :] - u[None, :, :]) ** 2).sum(-1))
    np.fill_diagonal(dist, np.inf)
    plain = space.to_unit(random_design(space, 12, seed=0))
    dist_plain = np.sqrt(((plain[:, None, :] - plain[None, :, :]) ** 2).sum(-1))
    np.fill_diagonal(dist_plain, np.inf)
    assert dist.min() > dist_plain.min()


@pytest.mark.parametrize("name", sorted(DESIGNS))
def test_integer_and_categorical_dims_give_distinct_points(name):
    space = Space(
        (
            Dimension("n", kind="integer", low=0, high=4),
            Dimension("c", kind="categorical", choices=("a", "b")),
        )
    )
    points = DESIGNS[name](space, 10, seed=0)  # all 5 x 2 combinations
    assert len({(p["n"], p["c"]) for p in points}) == 10
    with pytest.raises(InvalidParameterError, match="too few distinct"):
        DESIGNS[name](space, 11, seed=0)


@pytest.mark.parametrize("name", sorted(DESIGNS))
def test_impossible_constraints_raise(name):
    space = agnp_space(15.51)  # the four fractions reach 15.5 only at a corner
    with pytest.raises(InvalidParameterError, match="too little feasible volume"):
        DESIGNS[name](space, 5, seed=0)


@pytest.mark.parametrize("n", [0, -1, 2.5, True, "3"])
def test_bad_n_rejected(n):
    with pytest.raises(InvalidParameterError, match="positive integer"):
        latin_hypercube(box_space(), n)


def test_too_many_points_named_up_front():
    with pytest.raises(InvalidParameterError, match="exceeds the .* points a design draws"):
        random_design(box_space(), 10**6)


@pytest.mark.parametrize("seed", [-1, 1.5, "abc", True])
@pytest.mark.parametrize("name", sorted(DESIGNS))
def test_bad_seed_rejected(name, seed):
    with pytest.raises(InvalidParameterError, match="seed"):
        DESIGNS[name](box_space(), 3, seed=seed)


@pytest.mark.parametrize("name", sorted(DESIGNS))
def test_designs_keep_the_top_of_a_stepped_range_inside_it(name):
    space = Space((Dimension("x", low=0.0, high=0.7, step=0.1),))
    values = sorted(p["x"] for p in DESIGNS[name](space, 8, seed=0))
    assert values == pytest.approx([0.1 * k for k in range(8)])
    assert values[-1] <= 0.7


def _spy_maximin(monkeypatch):
    """Record the pool size each greedy maximin call gets."""
    sizes = []
    real = designs._maximin

    def spy(u, n, categorical):
        sizes.append(len(u))
        return real(u, n, categorical)

    monkeypatch.setattr(designs, "_maximin", spy)
    return sizes


def test_constrained_lhs_caps_its_maximin_pool(monkeypatch):
    # greedy maximin costs n x pool x d: the pool stops at MAX_POOL, not 10 x n
    sizes = _spy_maximin(monkeypatch)
    monkeypatch.setattr(designs, "MAX_POOL", 300, raising=False)
    space = agnp_space(60.0)
    points = latin_hypercube(space, 100, seed=0)
    assert sizes == [300]
    assert len({tuple(p.values()) for p in points}) == 100
    assert all(space.validate(p) == p for p in points)


def test_designs_whose_pool_target_is_under_the_cap_are_unchanged(monkeypatch):
    assert designs.MAX_POOL >= designs.MAX_POINTS  # a capped pool still holds n points
    sizes = _spy_maximin(monkeypatch)
    space = agnp_space(60.0)
    monkeypatch.setattr(designs, "MAX_POOL", 10**9)
    uncapped = latin_hypercube(space, 24, seed=5)
    monkeypatch.setattr(designs, "MAX_POOL", designs.POOL_FACTOR * 24)
    assert latin_hypercube(space, 24, seed=5) == uncapped
    assert sizes[0] == sizes[1] > designs.POOL_FACTOR * 24  # the whole pool, overshoot too


@pytest.mark.parametrize("design", sorted(DESIGNS))
def test_an_equality_over_stepped_dimensions_is_taken_and_designs_meet_it(design):
    dims = tuple(Dimension(k, low=0.0, high=100.0, step=1.0) for k in "ABC")
    space = Space(dims, (LinearConstraint({"A": 1, "B": 1, "C": 1}, lower=100, upper=100),))
    points = DESIGNS[design](space, 8, seed=0)
    assert len(points) == 8 and all(sum(p.values()) == 100.0 for p in points)


def test_too_few_points_on_an_equality_lattice_says_to_drop_a_dimension():
    # four pump flows at 0.01 % steps summing to 100 %: the message only said to loosen it
    dims = [{"name": n, "low": 0, "high": 100, "step": 0.01} for n in "abcd"]
    total = {"coefficients": dict.fromkeys("abcd", 1), "lower": 100, "upper": 100}
    space = Space.from_dict({"dimensions": dims, "constraints": [total]})
    with pytest.raises(InvalidParameterError) as err:
        random_design(space, 15, seed=0)
    assert "the constraints ['100 <= a+b+c+d <= 100'] leave too little feasible volume" in str(
        err.value
    )
    assert str(err.value).endswith(
        "; an equality such as a+b+c+d = 100 holds on few lattice points: drop one of its "
        "dimensions from the space (the driver sets it from the others) and bound the rest "
        "instead"
    )
