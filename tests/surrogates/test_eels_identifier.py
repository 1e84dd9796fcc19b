"""``surrogates.eels_identifier``: thresholds, scores, ensembles, the identifier, and the
committed networks on simulated and measured spectra."""

import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from adaptive.errors import InvalidParameterError
from simulators.eels import ELEMENTS, has_major_edge_inside
from simulators.eels_files import EELSSpectrum, read_eels, to_channels
from surrogates import eels_identifier
from surrogates.eels_checks import MAY_BE_ABSENT
from surrogates.eels_identifier import (
    MIN_SUPPORT,
    EELSIdentifier,
    calibrate_thresholds,
    ensemble_weights,
    identify_spectrum,
    score_identification,
)
from surrogates.eels_net import ARCHS, WEIGHTS_DIR, EELSResNet, EELSUNet
from surrogates.eels_training import simulate_eels
from tests.shared_data import SHARED_DATA
from tests.surrogates.test_eels_training import tiny, weights

EELS = SHARED_DATA / "eels"
COMMITTED = all((WEIGHTS_DIR / f"eels_{arch}.pt").is_file() for arch in ARCHS)
#: Floors for 500 fresh simulated spectra (seed 777); the committed networks reached weighted
#: F1 0.897-0.905 and exact match 0.774-0.802 there (U-Net, ResNet, ensemble).
F1_FLOOR = 0.85
EXACT_FLOOR = 0.70
needs_weights = pytest.mark.skipif(
    not COMMITTED, reason=f"no committed EELS weights in {WEIGHTS_DIR}"
)


@pytest.fixture
def eels_dir():
    if not EELS.is_dir():
        pytest.skip(f"measured EELS data not found at {EELS} (shared data absent)")
    return EELS


# ------------------------------------------------------------------ thresholds, scores


def test_calibrated_thresholds_make_precision_equal_recall():
    rng = np.random.default_rng(0)
    n = 4000
    labels = rng.random((n, len(ELEMENTS))) < np.linspace(0.002, 0.3, len(ELEMENTS))
    # skewed scores: at 0.5 every element would have far more false positives than misses
    scores = 1 / (1 + np.exp(-(rng.normal(size=labels.shape) + 2.5 * labels + 1.0)))
    thresholds = calibrate_thresholds(scores, labels)
    present = scores > thresholds
    support = labels.sum(axis=0)
    own = support >= MIN_SUPPORT
    tp = (present & labels).sum(axis=0)
    precision = tp / np.maximum(present.sum(axis=0), 1)
    recall = tp / support
    np.testing.assert_allclose(precision[own], recall[own], atol=1.5 / support[own].min())
    rare = ~own
    assert rare.any() and np.unique(thresholds[rare]).size == 1  # the shared fallback
    # and the default 0.5 would not have balanced them
    naive = scores > 0.5
    assert (naive.sum(axis=0)[own] > 1.2 * support[own]).all()


def test_calibrate_thresholds_rejects_bad_input():
    with pytest.raises(InvalidParameterError, match="shape"):
        calibrate_thresholds(np.zeros((5, 3)), np.zeros((5, 3), bool))
    with pytest.raises(InvalidParameterError, match="no positive"):
        calibrate_thresholds(np.zeros((5, 80)), np.zeros((5, 80), bool))


def test_ensemble_weights_favour_the_member_that_names_an_element():
    rng = np.random.default_rng(0)
    n = 2000
    labels = rng.random((n, len(ELEMENTS))) < np.linspace(0.001, 0.3, len(ELEMENTS))
    sharp = np.where(labels, 0.6, 0.4) + rng.normal(0, 0.05, labels.shape)  # separates well
    blurred = np.where(labels, 0.6, 0.4) + rng.normal(0, 0.3, labels.shape)  # barely
    weights = ensemble_weights(np.stack([sharp, blurred]), labels)
    assert weights.shape == (len(ELEMENTS), 2)
    np.testing.assert_allclose(weights.sum(axis=1), 1)
    own = labels.sum(axis=0) >= MIN_SUPPORT
    assert (weights[own, 0] >= 0.8).all()
    np.testing.assert_array_equal(weights[~own], 0.5)  # too few positives: equal say
    swapped = ensemble_weights(np.stack([blurred, sharp]), labels)
    np.testing.assert_array_equal(swapped[own], weights[own][:, ::-1])


def test_an_element_in_every_spectrum_weighs_its_members_equally():
    """Every weight scores an average precision of 1 there; argmax gave the last member all."""
    rng = np.random.default_rng(0)
    labels = np.zeros((50, len(ELEMENTS)), bool)
    labels[:, 0] = True
    labels[:25, 1] = True
    weights = ensemble_weights(rng.uniform(size=(2, 50, len(ELEMENTS))), labels)
    np.testing.assert_array_equal(weights[0], [0.5, 0.5])


def test_ensemble_weights_reject_bad_input():
    labels = np.zeros((5, 80), bool)
    with pytest.raises(InvalidParameterError, match="shape"):
        ensemble_weights(np.zeros((5, 80)), labels)


def test_support_and_weight_grid_come_from_the_module_constants(monkeypatch):
    rng = np.random.default_rng(1)
    labels = rng.random((600, len(ELEMENTS))) < 0.2
    # two members as good as each other with independent noise: their mean is better
    each = np.where(labels, 0.6, 0.4) + rng.normal(0, 0.2, (2, *labels.shape))
    assert np.isclose(ensemble_weights(each, labels), 0.5, atol=0.25).mean() > 0.8
    monkeypatch.setattr(eels_identifier, "WEIGHT_STEPS", 1)  # a grid of one member or the other
    assert np.isin(ensemble_weights(each, labels), [0.0, 1.0]).all()
    monkeypatch.setattr(eels_identifier, "MIN_SUPPORT", len(labels) + 1)  # no element has enough
    np.testing.assert_array_equal(ensemble_weights(each, labels), 0.5)
    assert np.unique(calibrate_thresholds(each[0], labels)).size == 1


def test_score_identification_counts_errors():
    labels = np.zeros((4, len(ELEMENTS)), bool)
    labels[:, 0] = True
    assert score_identification(labels, labels)["exact_match"] == 1.0
    extra = labels.copy()
    extra[0, 5] = True
    scores = score_identification(extra, labels)
    assert scores["exact_match"] == 0.75 and scores["recall"] == 1.0
    assert scores["precision"] == 4 / 5 and scores["f1_weighted"] == 1.0  # Be's F1 unchanged


# ------------------------------------------------------------------------- identifier


def test_identifier_thresholds_accept_a_scalar_or_one_per_element():
    identifier = EELSIdentifier([EELSResNet()])
    identifier.thresholds = 0.3
    np.testing.assert_array_equal(identifier.thresholds, np.full(80, 0.3))
    per_element = np.linspace(0.1, 0.9, 80)
    identifier.thresholds = per_element
    np.testing.assert_array_equal(identifier.thresholds, per_element)
    for bad in (0.0, 1.0, np.nan, np.full(79, 0.5), "high"):
        with pytest.raises(InvalidParameterError, match="thresholds"):
            identifier.thresholds = bad
    np.testing.assert_array_equal(identifier.thresholds, per_element)  # unchanged


def test_identifier_rejects_weights_of_the_wrong_shape_or_sum():
    negative = np.tile([1.5, -0.5], (80, 1))
    for bad in (np.full((80, 1), 0.5), np.full((79, 2), 0.5), np.ones((80, 2)), negative):
        with pytest.raises(InvalidParameterError, match="weights"):
            EELSIdentifier([EELSResNet(), EELSUNet()], weights=bad)


def test_identify_applies_the_thresholds(batch):
    torch.manual_seed(1)
    identifier = EELSIdentifier([EELSUNet()])
    p, present = identifier.identify(batch.spectra[:10], batch.window[:10], batch_size=3)
    assert p.shape == present.shape == (10, 80) and ((p >= 0) & (p <= 1)).all()
    identifier.thresholds = np.median(p, axis=0).clip(1e-6, 1 - 1e-6)
    _, present = identifier.identify(batch.spectra[:10], batch.window[:10])
    elements = np.broadcast_to(np.arange(80), (10, 80))
    inside = has_major_edge_inside(elements, batch.window[:10, 0], batch.window[:10, 1])
    assert inside.any(axis=1).all() and not inside.all()
    np.testing.assert_array_equal(present, (p > identifier.thresholds) & inside)
    with pytest.raises(InvalidParameterError, match="batch_size"):
        identifier.identify(batch.spectra[:10], batch.window[:10], batch_size=0)


def spectrum(low: float, high: float, step: float = 0.5) -> EELSSpectrum:
    """A decaying measured spectrum from ``low`` to ``high`` eV."""
    energy = np.arange(low, high + step / 2, step)
    return EELSSpectrum(energy, 1e4 / (1 + np.abs(energy)), {}, "test.msa")


def domain(result: dict) -> list[str]:
    """``identify_spectrum``'s warnings but those on elements named only for edges beside
    another's (review V22), which fall on the many elements untrained networks name."""
    return [w for w in result["warnings"] if MAY_BE_ABSENT not in w]


def test_identify_reports_each_elements_threshold():
    torch.manual_seed(1)
    identifier = EELSIdentifier([EELSUNet()], thresholds=np.linspace(0.05, 0.95, 80))
    result = identify_spectrum(spectrum(400.0, 900.0), identifier)
    assert list(result["thresholds"]) == list(result["probabilities"])  # same elements, order
    for element, threshold in result["thresholds"].items():
        assert threshold == pytest.approx(identifier.thresholds[ELEMENTS.index(element)])
        present = result["probabilities"][element] > threshold
        present &= element in result["has_edge_in_window"]
        assert present == (element in result["present"])
    assert domain(result) == []  # 400-900 eV lies inside the trained windows
    json.dumps(result, allow_nan=False)


@pytest.mark.parametrize(
    ("low", "high", "warnings"),
    [
        (2800.0, 3500.0, [r"^858 points above 3071\.5 eV were dropped"]),
        (
            -40.0,
            369.4,
            [
                r"^The spectrum starts at -40 eV \(its 79 points below -0\.5 eV, "
                r"before the 0 eV channel, were left out\), below 50 eV .*zero-loss"
            ],
        ),
        (10.0, 369.4, [r"^The spectrum starts at 10 eV, below 50 eV .*zero-loss"]),
        (500.0, 520.0, [r"^The window is 21 eV wide, narrower than the 30 eV .*accuracy is lower"]),
        (
            0.4,
            3.6,
            [
                r"^The spectrum starts at 0\.4 eV, below",
                r"is 3 eV wide.* in keV, multiply them by 1000",
            ],
        ),
    ],
)
def test_identify_warns_outside_the_trained_domain_but_still_identifies(low, high, warnings):
    result = identify_spectrum(spectrum(low, high), EELSIdentifier([EELSUNet()]))
    assert len(domain(result)) == len(warnings)
    for sentence, pattern in zip(domain(result), warnings, strict=True):
        assert re.search(pattern, sentence), sentence
        assert sentence.endswith(".")
    assert len(result["probabilities"]) == 80


def on_axis(energy: np.ndarray) -> EELSSpectrum:
    """The decaying spectrum of ``spectrum`` on the energies ``energy`` (m,), eV."""
    return EELSSpectrum(energy, 1e4 / (1 + np.abs(energy)), {}, "test.msa")


def without(energy: np.ndarray, *gaps: tuple[float, float]) -> np.ndarray:
    """``energy`` without its points strictly inside any of the (low, high) eV ``gaps``."""
    return energy[~np.any([(energy > low) & (energy < high) for low, high in gaps], axis=0)]


AXIS = np.round(np.arange(400.0, 1200.0, 0.2), 1)


@pytest.mark.parametrize(
    ("energy", "pattern"),
    [
        # a 250 eV gap was joined into a step that read as Fe L2,3, with no warning
        (
            without(AXIS, (450.0, 700.0)),
            r"^The energy axis has no points from 450 to 700 eV \(steps over 5 times the "
            r"median 0\.2 eV and over 2 eV\): .* edges in or at a gap are "
            r"unreliable; measure or send the missing range\.$",
        ),
        (
            without(AXIS, (450, 460), (500, 510), (600, 610), (700, 710)),
            r"from 450 to 460 eV, 500 to 510 eV, 600 to 610 eV and 1 more \(",
        ),
        (without(AXIS, (450.0, 452.0)), None),  # 2 eV: 10 steps, but not above 2 eV
        (without(np.arange(400.0, 1000.0, 0.5), (450.0, 453.0)), "from 450 to 453 eV"),
        (np.r_[np.arange(2900.0, 3080.0), 3200.0], r"^9 points above"),  # gap beyond them
        # binned to 8 eV, the eXSpy Mn + O spectrum gave I at 0.75 and Mn missed, no warning
        (np.arange(400.0, 1200.0, 8.0), r"^The energy step is 8 eV, coarser than .*FWHM 0\.5-2 eV"),
        (np.arange(400.0, 1200.0, 2.5), r"^The energy step is 2\.5 eV"),
        (np.arange(400.0, 1200.0, 2.0), None),  # the broadest trained resolution
    ],
)
def test_identify_warns_of_gaps_and_coarse_steps_in_the_energy_axis(energy, pattern):
    identifier = EELSIdentifier([EELSResNet()])
    measured = on_axis(energy)
    result = identify_spectrum(measured, identifier)
    # the untrained network may name nothing where the noise-free decay departs from a power
    # law beyond its (zero) noise: the miscalibrated-axis sentence then joins, as it should
    found = [w for w in domain(result) if not w.startswith("The counts show an edge, but")]
    if pattern is None:
        assert found == []
    else:
        (sentence,) = found
        assert re.search(pattern, sentence) and sentence.endswith("."), sentence
    x, window = to_channels(measured.energy, measured.counts)
    p, _ = identifier.identify(x[None], window[None])  # the probabilities are the same
    assert list(result["probabilities"].values()) == sorted(p[0].tolist(), reverse=True)


@pytest.mark.parametrize(
    ("measured", "match"),
    [
        (
            EELSSpectrum(np.arange(400.0, 800.0), np.zeros(400), {}, "blank.msa"),
            r"^blank\.msa: .*no positive counts.*not a blank or background-only one",
        ),
        (spectrum(4400.0, 4800.0), r"^test\.msa: energies 4400\.0\.\.4800\.0 eV lie outside"),
        (spectrum(0.4, 0.8, 0.0005), r"^test\.msa: .*cover 0 channel.*multiply the energies"),
    ],
)
def test_identify_spectrum_refuses_what_cannot_go_onto_the_channels(measured, match):
    with pytest.raises(InvalidParameterError, match=match):
        identify_spectrum(measured, EELSIdentifier([EELSResNet()]))


def test_probabilities_take_a_numpy_integer_batch_size(batch):
    identifier = EELSIdentifier([EELSResNet()])
    spectra, window = batch.spectra[:10], batch.window[:10]
    np.testing.assert_array_equal(
        identifier.probabilities(spectra, window, batch_size=np.int64(4)),
        identifier.probabilities(spectra, window, batch_size=4),
    )
    for bad in (True, np.int64(0), 4.0):
        with pytest.raises(InvalidParameterError, match="batch_size=.* must be an integer >= 1"):
            identifier.probabilities(spectra, window, batch_size=bad)


def test_load_names_the_missing_file(tmp_path):
    with pytest.raises(InvalidParameterError, match="train_eels_net"):
        EELSIdentifier.load(("unet",), directory=tmp_path)


@pytest.mark.parametrize("content", [b"junk", None])
def test_load_of_damaged_or_foreign_weights_names_the_file(tmp_path, content):
    path = tmp_path / "eels_unet.pt"
    if content is None:
        torch.save({"arch": "unet"}, path)  # a torch file without the network
    else:
        path.write_bytes(content)
    with pytest.raises(InvalidParameterError, match="eels_unet.pt.*train_eels_net"):
        EELSIdentifier.load(("unet",), directory=tmp_path)


@pytest.mark.skipif(not COMMITTED, reason=f"no committed EELS weights in {WEIGHTS_DIR}")
def test_load_of_weights_whose_tensors_fit_another_layout_names_the_file(tmp_path):
    saved = torch.load(WEIGHTS_DIR / "eels_unet.pt", weights_only=False)
    saved["state_dict"] = dict(list(saved["state_dict"].items())[:-1])  # a tensor short
    torch.save(saved, tmp_path / "eels_unet.pt")
    with pytest.raises(InvalidParameterError, match="eels_unet.pt holds a network of another"):
        EELSIdentifier.load(("unet",), directory=tmp_path)


@needs_weights
def test_from_files_loads_retrained_weights_and_a_copy_of_the_committed(tmp_path, batch):
    # only the committed weights, by name, could be loaded
    copy = tmp_path / "copy.pt"
    copy.write_bytes((WEIGHTS_DIR / "eels_unet.pt").read_bytes())
    tiny("resnet", tmp_path, "mine", epochs=1)
    mine = tmp_path / "mine" / "eels_resnet.pt"
    spectra, window = batch.spectra[:8], batch.window[:8]
    np.testing.assert_array_equal(
        EELSIdentifier.from_files([copy]).probabilities(spectra, window),
        EELSIdentifier.load(("unet",)).probabilities(spectra, window),
    )
    retrained = EELSIdentifier.from_files([str(mine)])
    np.testing.assert_array_equal(retrained.thresholds, weights(mine)["thresholds"].numpy())
    assert retrained.metadata[0]["settings"]["n_train"] == 256
    both = EELSIdentifier.from_files([copy, mine])
    assert [m["arch"] for m in both.metadata] == ["unet", "resnet"]


def _with(path: Path, **changes) -> None:
    """The committed U-Net weights with ``changes``, saved to ``path``."""
    saved = torch.load(WEIGHTS_DIR / "eels_unet.pt", weights_only=True)
    torch.save({**saved, **changes}, path)


@needs_weights
@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda path: None, "no EELS weights at {path}; pass a weights file"),
        (lambda path: path.write_bytes(b"junk"), "{path} cannot be read \\(.*\\): it is truncated"),
        (
            lambda path: torch.save({"config": {}, "state_dict": {}, "metadata": {}}, path),
            "{path} does not hold a dict with the keys \\['arch'",
        ),
        (lambda path: _with(path, arch="vit"), "{path} holds arch 'vit', not an EELS network"),
        (lambda path: _with(path, arch=["unet"]), "{path} holds arch \\['unet'\\], not an"),
        (
            lambda path: _with(path, config={"channels": (8, 8, 8, 8), "depth": 3}),
            "{path} holds a unet config .* that EELSUNet does not take",
        ),
        (lambda path: _with(path, arch="resnet"), "{path} holds a resnet config .*EELSResNet"),
        (
            lambda path: _with(path, config={"channels": (8, 8, 8, 8), "dropout": 0.1}),
            "{path} holds a network of another layout than this EELSUNet",
        ),
    ],
    ids=["missing", "junk", "peak network", "unknown arch", "arch a list", "unknown config",
         "another arch's config", "another layout"],
)  # fmt: skip
def test_from_files_refuses_a_file_that_is_no_eels_network_in_one_line(tmp_path, make, match):
    # an unknown arch, a list or another config raised a bare KeyError or TypeError
    path = tmp_path / "mine.pt"
    make(path)
    with pytest.raises(InvalidParameterError, match=match.format(path=re.escape(str(path)))) as e:
        EELSIdentifier.from_files([path])
    assert "\n" not in str(e.value) and str(e.value).endswith(
        "adaptive train eels --out (train_eels_net) wrote"
    )


# ---------------------------------------------------------------- committed weights


@pytest.fixture(scope="module")
def committed():
    return EELSIdentifier.load()


@needs_weights
@pytest.mark.parametrize("names", [("unet",), ("resnet",), ("unet", "resnet")])
def test_committed_networks_identify_fresh_simulated_spectra(names):
    identifier = EELSIdentifier.load(names)
    test = simulate_eels(500, seed=777)
    _, present = identifier.identify(test.spectra, test.window)
    scores = score_identification(present, test.labels)
    assert scores["f1_weighted"] > F1_FLOOR and scores["exact_match"] > EXACT_FLOOR, scores


@needs_weights
def test_committed_ensemble_finds_mn_and_o_in_the_exspy_spectrum(eels_dir, committed):
    result = identify_spectrum(read_eels(eels_dir / "exspy_coreloss_Mn_O.msa"), committed)
    assert result["window"] == (360, 769)
    assert {"Mn", "O"} <= set(result["present"])
    assert len(result["probabilities"]) == 80


@needs_weights
def test_committed_ensemble_warns_of_a_gap_cut_into_the_exspy_spectrum(eels_dir, committed):
    # the counts each side of the gap were joined into an Fe L2,3-like step: Fe at 0.988
    # and O lost, with no warning
    measured = read_eels(eels_dir / "exspy_coreloss_Mn_O.msa")
    assert identify_spectrum(measured, committed)["warnings"] == []
    keep = (measured.energy < 450.0) | (measured.energy > 700.0)
    cut = EELSSpectrum(measured.energy[keep], measured.counts[keep], {}, "gap.msa")
    (sentence,) = identify_spectrum(cut, committed)["warnings"]
    assert "no points from 449.8 to 700.2 eV" in sentence


@needs_weights
@pytest.mark.parametrize(
    "slug",
    [
        "la0-7sr0-3mno3srtio3-001-heterostructure",
        "la2nio4-structure-of-k2nif4",
        "o-k-edge-la2nio4-structure-of-k2nif4-tetragonale-i4-mmm",
    ],
)
def test_committed_ensemble_finds_the_labelled_edges_of_eelsdb_spectra(eels_dir, committed, slug):
    info = json.loads((eels_dir / "eelsdb" / slug / "metadata.json").read_text())
    labelled = {edge.split("_")[0] for edge in info["edges"]}
    spectrum = read_eels(eels_dir / "eelsdb" / slug / "data.msa")
    found = set(identify_spectrum(spectrum, committed)["present"])
    assert labelled <= found and len(found - labelled) <= 1, (labelled, found)


def test_a_spectrum_with_missing_channels_is_identified_on_its_finite_ones(tmp_path):
    # a single spectrum with one NaN channel was refused ("counts is nan at line 213"),
    # though a spectrum image's pixels are identified on their finite channels
    path = EELS / "exspy_coreloss_Mn_O.msa"
    if not path.is_file():
        pytest.skip(f"measured EELS spectrum not found at {path} (shared data absent)")
    clean = read_eels(path)
    counts = clean.counts.astype(float)
    counts[[0, 199, 200]] = [np.nan, np.nan, np.inf]  # one at the start, two inside
    holed = EELSSpectrum(clean.energy, counts, clean.metadata, "holed")
    result, reference = identify_spectrum(holed), identify_spectrum(clean)
    assert result["present"] == reference["present"] == ["O", "Mn"]
    listed = ", ".join(f"{e:g}" for e in clean.energy[[0, 199, 200]])
    n = clean.energy.size
    assert f"3 of the {n} channels, at {listed} eV, are NaN or infinite (dead detector" in " ".join(
        result["warnings"]
    )
    assert not any("no points from" in w for w in result["warnings"])  # two channels: no gap


def test_identify_spectrum_of_a_tuple_says_what_to_pass():
    # it raised AttributeError: 'tuple' object has no attribute 'energy'
    energy = np.linspace(400.0, 900.0, 501)
    with pytest.raises(InvalidParameterError, match=r"takes an EELSSpectrum, got tuple; read"):
        identify_spectrum((energy, np.ones(501)))
    # one made in Python is checked as a file's: all NaN raised IndexError
    counts = np.full(501, np.nan)
    with pytest.raises(InvalidParameterError, match=r"^nans: fewer than 2 counts are finite"):
        identify_spectrum(EELSSpectrum(energy, counts, {}, "nans"))


def test_a_long_run_of_missing_channels_is_warned_of_as_the_same_gap_in_the_axis():
    # 300 NaN channels (480-540 eV) were bridged by a line read as an edge (Sn named at
    # p = 1) under the dead-channel sentence only; the same rows left out got the gap warning
    path = EELS / "exspy_coreloss_Mn_O.msa"
    if not path.is_file():
        pytest.skip(f"measured EELS spectrum not found at {path} (shared data absent)")
    clean = read_eels(path)
    hole = (clean.energy >= 480.0) & (clean.energy < 540.0)
    counts = np.where(hole, np.nan, clean.counts.astype(float))
    holed = identify_spectrum(EELSSpectrum(clean.energy, counts, clean.metadata, "holed"))
    cut = EELSSpectrum(clean.energy[~hole], clean.counts[~hole], clean.metadata, "cut")
    gap = [w for w in identify_spectrum(cut)["warnings"] if "no points from" in w]
    assert len(gap) == 1 and gap[0] in holed["warnings"]
