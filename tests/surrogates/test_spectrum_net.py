import numpy as np
import pytest
import torch

from adaptive.errors import InvalidParameterError
from simulators.agnp import BOUNDS, FACTORS, MAX_FRACTION_SUM, AgNPSynthesis
from surrogates import spectrum_net
from surrogates.spectrum_net import SpectrumNet
from tests.spaces import agnp_space

LOW = np.array([BOUNDS[f][0] for f in FACTORS])
HIGH = np.array([BOUNDS[f][1] for f in FACTORS])


def feasible_recipes(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(n, 5) random recipes inside BOUNDS whose four fractions sum <= 100, and the
    same scaled to [0, 1] by BOUNDS."""
    rng = np.random.default_rng(seed)
    rows = []
    while len(rows) < n:
        r = LOW + rng.random(5) * (HIGH - LOW)
        if r[:4].sum() <= MAX_FRACTION_SUM:
            rows.append(r)
    recipes = np.array(rows)
    return recipes, (recipes - LOW) / (HIGH - LOW)


@pytest.fixture(scope="module")
def data():
    recipes, x = feasible_recipes(320, seed=1)
    return x, AgNPSynthesis(seed=0).spectra_true(recipes)


@pytest.fixture(scope="module")
def fitted(data):
    x, y = data
    return SpectrumNet(seed=0).fit(x[:120], y[:120])


def test_shapes(fitted, data):
    x, _ = data
    mean, std = fitted.predict(x[120:137])
    assert mean.shape == std.shape == (17, 421)
    assert np.all(std >= 0) and np.isfinite(mean).all()
    members = fitted.predict_members(x[120:137])
    assert members.shape == (5, 17, 421)
    np.testing.assert_allclose(members.mean(axis=0), mean)
    assert fitted.n_components_ == 12
    assert fitted.explained_variance_ratio_.shape == (12,)


def test_held_out_accuracy_beats_training_mean(fitted, data):
    x, y = data
    score = fitted.score(x[120:], y[120:])  # measured: r2 0.987 (200 held-out recipes)
    assert score > 0.95
    baseline = (
        1 - ((y[120:] - y[:120].mean(axis=0)) ** 2).sum() / ((y[120:] - y[120:].mean()) ** 2).sum()
    )  # measured: 0.29
    assert score > baseline + 0.3


def test_few_samples_cap_components(data):
    x, y = data
    net = SpectrumNet(epochs=50).fit(x[:5], y[:5])
    assert net.n_components_ == 4
    assert net.predict(x[:3])[0].shape == (3, 421)


def test_ensemble_std_grows_outside_the_training_region(data):
    x, y = data
    inside = x[:, 0] < 0.5
    net = SpectrumNet(seed=0).fit(x[inside][:120], y[inside][:120])
    _, std = net.predict(x)
    # measured: about 5x larger far outside
    assert std[x[:, 0] > 0.8].mean() > 2 * std[inside].mean()


def test_deterministic_given_seed(data):
    x, y = data
    a = SpectrumNet(seed=3, epochs=100).fit(x[:40], y[:40]).predict_members(x[40:50])
    b = SpectrumNet(seed=3, epochs=100).fit(x[:40], y[:40]).predict_members(x[40:50])
    c = SpectrumNet(seed=4, epochs=100).fit(x[:40], y[:40]).predict_members(x[40:50])
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - c).max() > 1e-4


def test_global_rng_and_threads_untouched(data):
    x, y = data
    torch.manual_seed(123)
    state = torch.get_rng_state()
    np_state = np.random.get_state()[1].copy()
    threads = torch.get_num_threads()
    net = SpectrumNet(epochs=20).fit(x[:30], y[:30])
    net.predict(x[30:40])
    assert torch.equal(torch.get_rng_state(), state)
    np.testing.assert_array_equal(np.random.get_state()[1], np_state)
    assert torch.get_num_threads() == threads


def test_single_member_has_zero_std(data):
    x, y = data
    _, std = SpectrumNet(n_members=1, epochs=20).fit(x[:20], y[:20]).predict(x[:4])
    np.testing.assert_array_equal(std, 0.0)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda x, y: (x[:2], y[:2]), "at least 3"),
        (lambda x, y: (x[:10], y[:9]), "rows"),
        (lambda x, y: (x[0], y[:1]), "2-D"),
        (lambda x, y: (np.where(np.eye(10, 5) > 0, np.nan, x[:10]), y[:10]), "not finite"),
        (lambda x, y: (x[:10], np.where(np.eye(10, 421) > 0, np.inf, y[:10])), "not finite"),
        (lambda x, y: (x[:10] + 1.0, y[:10]), r"outside \[0, 1\]"),
        (lambda x, y: ("abc", y[:10]), "numeric"),
    ],
)
def test_bad_fit_input_raises(data, make, match):
    x, y = data
    with pytest.raises(InvalidParameterError, match=match):
        SpectrumNet(epochs=5).fit(*make(x, y))


@pytest.mark.parametrize(
    "setting",
    [
        {"n_members": 0},
        {"hidden": 2.5},
        {"n_components": True},
        {"epochs": -1},
        {"lr": 0.0},
        {"lr": float("nan")},
        {"weight_decay": -1e-3},
        {"seed": -1},
        {"seed": True},
    ],
)
def test_bad_settings_raise_at_fit(data, setting):
    x, y = data
    net = SpectrumNet(**setting)  # stores only
    with pytest.raises(InvalidParameterError, match=next(iter(setting))):
        net.fit(x[:10], y[:10])


def test_any_non_negative_integer_seed_works(data):
    """The seed only enters numpy SeedSequences (torch gets a derived 32-bit seed), which take
    integers of any size, so a seed above 2**64 or a numpy integer is fine."""
    x, y = data

    def members(seed):
        return (
            SpectrumNet(n_members=2, epochs=5, seed=seed).fit(x[:10], y[:10]).predict_members(x[:2])
        )

    np.testing.assert_array_equal(members(2**70), members(2**70))
    np.testing.assert_array_equal(members(np.uint64(7)), members(7))


def test_bad_predict_and_score_input_raises(fitted, data):
    x, y = data
    with pytest.raises(InvalidParameterError, match="before fit"):
        SpectrumNet().predict(x[:3])
    with pytest.raises(InvalidParameterError, match="5 columns"):
        fitted.predict(x[:3, :4])
    with pytest.raises(InvalidParameterError, match="outside"):
        fitted.predict(x[:3] - 2.0)
    with pytest.raises(InvalidParameterError, match="shape"):
        fitted.score(x[:3], y[:3, :400])


def test_identical_spectra_predict_their_mean_with_zero_spread():
    x = np.random.default_rng(0).random((12, 3))
    spectra = np.tile(np.linspace(1.0, 2.0, 30), (12, 1))
    mean, std = SpectrumNet(n_members=3, epochs=50, seed=0).fit(x, spectra).predict(x[:4])
    np.testing.assert_allclose(mean, spectra[:4], rtol=1e-12, atol=0)
    assert np.all(std == 0)


@pytest.mark.parametrize("setting", [{"lr": "0.1"}, {"weight_decay": "0"}, {"lr": True}])
def test_settings_that_are_not_numbers_raise_at_fit(data, setting):
    x, y = data
    with pytest.raises(InvalidParameterError, match=f"{next(iter(setting))} must be a finite"):
        SpectrumNet(epochs=2, **setting).fit(x[:10], y[:10])


def test_numpy_float_settings_train_like_floats(data):
    x, y = data
    a = SpectrumNet(n_members=2, epochs=20, lr=3e-3, weight_decay=1e-4).fit(x[:20], y[:20])
    b = SpectrumNet(
        n_members=2, epochs=20, lr=np.float64(3e-3), weight_decay=np.float32(0) + 1e-4
    ).fit(x[:20], y[:20])
    np.testing.assert_array_equal(a.predict_members(x[:3]), b.predict_members(x[:3]))


def test_changing_n_members_after_fit_keeps_the_fitted_ensemble(data):
    x, y = data
    net = SpectrumNet(n_members=3, epochs=10).fit(x[:20], y[:20])
    before = net.predict_members(x[:4])
    net.n_members = 5  # a setting for the next fit
    np.testing.assert_array_equal(net.predict_members(x[:4]), before)
    assert before.shape == (3, 4, 421)
    assert net.predict(x[:4])[0].shape == (4, 421)


def test_components_are_capped_by_the_spectrum_width_too():
    rng = np.random.default_rng(0)
    net = SpectrumNet(n_members=2, epochs=5).fit(rng.random((10, 3)), rng.random((10, 2)))
    assert net.n_components_ == 2  # min(12, n - 1 = 9, w = 2)
    assert net.explained_variance_ratio_.shape == (2,)


def test_errors_about_spectra_name_a_spectrum(fitted, data):
    x, y = data
    with pytest.raises(InvalidParameterError, match="one spectrum per row"):
        SpectrumNet(epochs=5).fit(x[:10], y[0])
    bad = y[:2].copy()
    bad[0, 1] = np.nan
    with pytest.raises(InvalidParameterError, match="repair that spectrum"):
        fitted.score(x[:2], bad)
    with pytest.raises(InvalidParameterError, match="one recipe per row"):
        fitted.predict(x[0])


def test_explained_variance_ratio_matches_the_standardised_spectra(fitted, data):
    """The eigenvalues of the Gram matrix of the standardised spectra, largest first,
    over their sum: PCA computed another way than the fit's SVD."""
    _, y = data
    y = y[:120]
    z = (y - y.mean(axis=0)) / y.std(axis=0)
    eig = np.sort(np.linalg.eigvalsh(z @ z.T))[::-1]
    expected = eig[:12] / eig.sum()
    np.testing.assert_allclose(fitted.explained_variance_ratio_, expected, rtol=1e-6)
    assert fitted.explained_variance_ratio_[0] > 0.5  # smooth spectra: few components


def test_explained_variance_ratio_of_two_patterns_is_all_in_two_components():
    rng = np.random.default_rng(0)
    axis = np.linspace(0, 1, 50)
    a, b = rng.normal(size=(2, 30, 1))
    spectra = 3 * a * np.sin(6 * axis) + b * np.cos(6 * axis) + 5.0  # rank 2 after centring
    net = SpectrumNet(n_members=2, epochs=5).fit(rng.random((30, 2)), spectra)
    ratio = net.explained_variance_ratio_
    assert ratio[:2].sum() == pytest.approx(1.0, abs=1e-9)
    np.testing.assert_allclose(ratio[2:], 0.0, atol=1e-9)
    assert ratio[0] > ratio[1] > 0


def test_each_member_trains_on_its_own_bootstrap_resample(data, monkeypatch):
    """Rows drawn with replacement from the training recipes: about 63 % distinct, a
    different resample for every member."""
    x, y = data
    n = 60
    seen = []
    forward = SpectrumNet._forward

    def spy(weights, inputs):
        seen.append(inputs.detach().clone())
        return forward(weights, inputs)

    monkeypatch.setattr(SpectrumNet, "_forward", staticmethod(spy))
    SpectrumNet(n_members=4, epochs=1, seed=0).fit(x[:n], y[:n])
    (inputs,) = seen  # one epoch: one forward pass over (members, n, d)
    encoded = torch.as_tensor(2 * x[:n] - 1, dtype=torch.float32)
    assert inputs.shape == (4, n, 5)
    drawn = []
    for member in inputs:
        # every row is one of the training recipes
        match = (member[:, None, :] == encoded[None]).all(dim=2)  # (n, n)
        assert match.any(dim=1).all()
        rows = match.int().argmax(dim=1)
        assert 0.45 * n < len(set(rows.tolist())) < 0.8 * n  # with replacement
        drawn.append(sorted(rows.tolist()))
    assert len({tuple(r) for r in drawn}) == 4


# ---- categorical factors: one-hot inputs, no order among the choices

N_CHOICES = 5
AXIS = np.linspace(0.0, 1.0, 60)
BAND = np.array([0.2, 0.7, 0.4, 0.9, 0.55])  # where each choice's band sits: in no order


def solvent_spectra(choice: np.ndarray, t: np.ndarray) -> np.ndarray:
    """(n, 60) spectra of recipes (choice, t): a band at the choice's place, t its height."""
    return (1 + t)[:, None] * np.exp(-(((AXIS - BAND[choice][:, None]) / 0.08) ** 2))


def solvent_recipes(choice: np.ndarray, t: np.ndarray, order: list[int]) -> np.ndarray:
    """(n, 2) recipes (t, choice) in the unit cube, the choice as ``Space.to_unit`` puts it
    when the space lists the choices in ``order``."""
    index = np.array([order.index(c) for c in choice])
    return np.column_stack([t, index / (N_CHOICES - 1)])


def first_layer_inputs(monkeypatch, net: SpectrumNet, x: np.ndarray) -> torch.Tensor:
    """The inputs (members, m, d') ``net.predict`` feeds its first layer for recipes x."""
    seen = []
    forward = SpectrumNet._forward

    def spy(weights, inputs):
        seen.append(inputs.detach().clone())
        return forward(weights, inputs)

    with monkeypatch.context() as patch:
        patch.setattr(SpectrumNet, "_forward", staticmethod(spy))
        net.predict(x)
    return seen[0]


def test_agnp_inputs_are_the_recipes_centred(data, monkeypatch):
    """The AgNP space has no categorical factor: its inputs are 2 x - 1 as before."""
    x, y = data
    choices = agnp_space().choice_counts
    assert choices == {}
    net = SpectrumNet(n_members=2, epochs=20, seed=0, choices=choices).fit(x[:40], y[:40])
    inputs = first_layer_inputs(monkeypatch, net, x[40:50])
    expected = torch.as_tensor(2.0 * x[40:50] - 1.0, dtype=torch.float32)
    assert inputs.shape == (2, 10, 5)
    assert torch.equal(inputs[0], expected) and torch.equal(inputs[1], expected)
    same = SpectrumNet(n_members=2, epochs=20, seed=0).fit(x[:40], y[:40])
    np.testing.assert_array_equal(net.predict_members(x[40:50]), same.predict_members(x[40:50]))


def test_a_factor_of_more_than_two_choices_enters_one_hot(monkeypatch):
    """Columns (t, 4 choices, 2 choices): the 4 choices become 4 inputs, the 2 stay one."""
    rng = np.random.default_rng(0)
    x = np.column_stack([rng.random(12), rng.integers(4, size=12) / 3, rng.integers(2, size=12)])
    spectra = rng.random((12, 8))
    net = SpectrumNet(n_members=1, epochs=5, choices={1: 4, 2: 2}).fit(x, spectra)
    (inputs,) = first_layer_inputs(monkeypatch, net, x)
    hot = np.eye(4)[np.round(x[:, 1] * 3).astype(int)]
    expected = 2.0 * np.column_stack([x[:, 0], hot, x[:, 2]]) - 1.0
    np.testing.assert_array_equal(inputs.numpy(), expected.astype(np.float32))


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_predictions_do_not_depend_on_the_order_of_the_choices(monkeypatch, dtype):
    """The same recipes under another listing of the choices: the same predictions, in
    exact arithmetic (float64: to 1e-9) and to float32 rounding (measured: 1e-3, and
    0.4 when the choice entered as its index)."""
    monkeypatch.setattr(spectrum_net, "DTYPE", dtype)
    rng = np.random.default_rng(0)
    choice, t = rng.integers(N_CHOICES, size=40), rng.random(40)
    query_choice, query_t = np.repeat(np.arange(N_CHOICES), 3), np.tile([0.2, 0.5, 0.8], 5)

    def predicted(order: list[int]) -> np.ndarray:
        net = SpectrumNet(seed=0, choices={1: N_CHOICES})
        net.fit(solvent_recipes(choice, t, order), solvent_spectra(choice, t))
        return net.predict(solvent_recipes(query_choice, query_t, order))[0]

    listed, shuffled = predicted([0, 1, 2, 3, 4]), predicted([3, 0, 4, 1, 2])
    atol = 1e-9 if dtype == torch.float64 else 1e-2
    np.testing.assert_allclose(shuffled, listed, atol=atol)
    truth = solvent_spectra(query_choice, query_t)
    assert np.abs(listed - truth).max() < 0.25  # measured 0.13


def test_unmeasured_choices_are_predicted_alike_whatever_their_index(monkeypatch):
    """Measured at choices 0 and 4 of 5: by index, choice 1 would be predicted like 0 and
    choice 3 like 4; one-hot, no unmeasured choice is nearer either."""
    rng = np.random.default_rng(1)
    choice, t = np.repeat([0, 4], 10), rng.random(20)
    order = [0, 1, 2, 3, 4]
    net = SpectrumNet(n_members=3, epochs=200, seed=0, choices={1: N_CHOICES})
    net.fit(solvent_recipes(choice, t, order), solvent_spectra(choice, t))
    unmeasured = net.predict(solvent_recipes(np.array([1, 2, 3]), np.full(3, 0.5), order))[0]
    np.testing.assert_allclose(unmeasured[0], unmeasured[2], atol=1e-5)
    np.testing.assert_allclose(unmeasured[0], unmeasured[1], atol=1e-5)


@pytest.mark.parametrize(
    "choices", [{2: 3}, {-1: 3}, {1: 0}, {1.0: 3}, {1: 2.5}, [3, 3], "ab"], ids=repr
)
def test_choices_that_do_not_name_columns_of_x_are_refused(choices):
    x = np.random.default_rng(0).random((6, 2))
    with pytest.raises(InvalidParameterError, match="choices must map categorical columns"):
        SpectrumNet(n_members=1, epochs=1, choices=choices).fit(x, x)
