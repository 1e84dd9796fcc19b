import dask.array as da
import numpy as np
import pytest
import torch

from adaptive.errors import InvalidParameterError
from adaptive.figures import save_figure
from simulators.eels import ELEMENTS, EELSSimulator
from simulators.eels_files import EELSSpectrum, to_channels
from surrogates import eels_map
from surrogates.eels_identifier import EELSIdentifier, identify_spectrum
from surrogates.eels_map import CubeResult, identify_cube, plot_probability_maps
from surrogates.eels_net import ARCHS, WEIGHTS_DIR, EELSResNet
from surrogates.threads import one_torch_thread

COMMITTED = all((WEIGHTS_DIR / f"eels_{arch}.pt").is_file() for arch in ARCHS)


@pytest.fixture(scope="module")
def untrained():
    torch.manual_seed(0)
    return EELSIdentifier([EELSResNet()], thresholds=0.5)


def noisy_cube(spectra: np.ndarray, regions: np.ndarray, seed: int, peak: float) -> np.ndarray:
    """(H, W, E) counts: pixel (i, j) is spectra[regions[i, j]] with Poisson noise, max ~peak."""
    rng = np.random.default_rng(seed)
    return rng.poisson(np.clip(spectra[regions], 0, None) * peak).astype(np.float32)


@pytest.fixture(scope="module")
def small_cube():
    """A 6 x 5 cube of two spectra on one 600 eV window: a simulated one and it reversed."""
    batch = EELSSimulator(window_width=(600, 600)).sample(1, seed=3)
    first, last = batch.window[0]
    spectrum = batch.spectra[0, first : last + 1]
    spectra = np.stack([spectrum, spectrum[::-1]])
    regions = np.zeros((6, 5), dtype=int)
    regions[:, 3:] = 1
    return noisy_cube(spectra, regions, seed=0, peak=1e5), np.arange(first, last + 1.0)


def test_identify_cube_returns_per_pixel_probabilities(small_cube, untrained):
    cube, energy = small_cube
    result = identify_cube(cube, energy, untrained)
    assert isinstance(result, CubeResult)
    assert result.probabilities.shape == (6, 5, 80) and result.probabilities.dtype == np.float32
    flat = cube.reshape(30, -1)
    spectra, window = to_channels(energy, flat)
    expected, _ = untrained.identify(spectra, np.broadcast_to(window, (30, 2)))
    np.testing.assert_allclose(result.probabilities.reshape(30, 80), expected, atol=1e-5)
    fractions = (result.probabilities > 0.5).mean(axis=(0, 1))
    listed = {ELEMENTS[j]: f for j, f in enumerate(fractions) if f >= 0.01}
    assert result.present_elements.keys() == listed.keys()
    assert list(result.present_elements.values()) == sorted(listed.values(), reverse=True)


def test_dask_chunks_give_the_same_result_as_one_chunk(small_cube, untrained):
    cube, energy = small_cube
    whole = identify_cube(cube, energy, untrained, chunk_pixels=4096)
    for chunk_pixels in (1, 3, 7):  # parts of rows, and whole rows
        parts = identify_cube(cube, energy, untrained, chunk_pixels=chunk_pixels)
        np.testing.assert_allclose(parts.probabilities, whole.probabilities, atol=1e-5)
    lazy = da.from_array(cube, chunks=(4, 2, 100))  # energy split too: rechunked
    np.testing.assert_allclose(
        identify_cube(lazy, energy, untrained).probabilities, whole.probabilities, atol=1e-5
    )


def test_pixels_without_signal_get_nan(small_cube, untrained):
    cube, energy = small_cube
    cube = cube.copy()
    cube[0, 0] = 0.0
    result = identify_cube(cube, energy, untrained)
    assert np.isnan(result.probabilities[0, 0]).all()
    assert np.isfinite(result.probabilities[1:]).all()


def test_non_finite_pixels_get_nan_and_the_rest_is_mapped(small_cube, untrained):
    cube, energy = small_cube
    whole = identify_cube(cube, energy, untrained)
    cube = cube.copy()
    cube[0, 0, 5] = np.nan
    cube[2, 3, 0] = np.inf
    result = identify_cube(cube, energy, untrained, chunk_pixels=7)
    bad = np.zeros((6, 5), dtype=bool)
    bad[0, 0] = bad[2, 3] = True
    assert np.isnan(result.probabilities[bad]).all()
    np.testing.assert_allclose(result.probabilities[~bad], whole.probabilities[~bad], atol=1e-5)


@pytest.mark.parametrize("chunk_pixels", [4096, 7])
def test_a_channel_dead_in_every_pixel_is_named_by_its_energy(small_cube, untrained, chunk_pixels):
    cube, energy = small_cube
    cube = cube.copy()
    cube[..., 7] = np.nan
    cube[..., 9] = np.inf
    match = rf"channel 7 at {energy[7]:g} eV \(and 1 more channels\) is NaN or infinite in every "
    with pytest.raises(InvalidParameterError, match=match + "pixel.*crop it"):
        identify_cube(cube, energy, untrained, chunk_pixels=chunk_pixels)


def test_a_cube_with_no_pixel_to_identify_is_refused_not_mapped_to_nan(small_cube, untrained):
    cube, energy = small_cube
    with pytest.raises(InvalidParameterError, match="0 of its 30 pixels hold a NaN.* no positive"):
        identify_cube(np.zeros_like(cube), energy, untrained)
    cube = cube.copy()
    cube.reshape(30, -1)[np.arange(30), np.arange(30)] = np.nan  # each pixel, its own channel
    with pytest.raises(InvalidParameterError, match="30 of its 30 pixels hold a NaN"):
        identify_cube(cube, energy, untrained)


def test_cube_warns_outside_the_trained_domain_as_a_spectrum_does(small_cube, untrained):
    cube, energy = small_cube
    assert identify_cube(cube, energy, untrained).warnings == []
    narrow = identify_cube(cube[..., :20], energy[:20], untrained)
    pixel = EELSSpectrum(energy[:20], cube[0, 0, :20].astype(float), {}, "pixel")
    expected = identify_spectrum(pixel, untrained)["warnings"]
    assert narrow.warnings == expected and "narrower than" in expected[0]


def test_blocks_go_through_the_channels_and_networks_in_sub_batches(
    small_cube, untrained, monkeypatch
):
    cube, energy = small_cube
    cube = np.tile(cube, (2, 5, 1))  # 300 pixels, one block
    rows = []

    def spy(energy, counts, **kwargs):
        rows.append(len(counts))
        return to_channels(energy, counts, **kwargs)

    monkeypatch.setattr(eels_map, "to_channels", spy)
    result = identify_cube(cube, energy, untrained, chunk_pixels=4096).probabilities
    assert rows[1:] == [256, 44]  # INFERENCE_BATCH at a time, after the check of the energy axis
    spectra, window = to_channels(energy, cube.reshape(300, -1), normalise=False)
    direct = untrained.probabilities(spectra, np.broadcast_to(window, (300, 2)))
    np.testing.assert_allclose(result.reshape(300, 80), direct, atol=1e-6)


@pytest.mark.parametrize(
    ("energy", "message"),
    [
        (lambda e: e[::-1], "increase strictly"),
        (lambda e: e / 1000, "cover 0 channel"),
        (lambda e: np.where(e == e[3], np.nan, e), "NaN"),
        (lambda e: e[None], "1-D"),
    ],
)
def test_bad_energy_axis_is_an_invalid_parameter(small_cube, untrained, energy, message):
    cube, good = small_cube
    with pytest.raises(InvalidParameterError, match=f"cannot map this cube: .*{message}"):
        identify_cube(cube, energy(good), untrained)


def test_energy_axis_first_is_rejected_with_the_transpose(small_cube, untrained):
    cube, energy = small_cube
    with pytest.raises(InvalidParameterError, match=r"np\.moveaxis\(cube, 0, -1\)"):
        identify_cube(np.moveaxis(cube, -1, 0), energy, untrained)
    with pytest.raises(InvalidParameterError, match="last axis"):
        identify_cube(cube[..., :-1], energy, untrained)
    with pytest.raises(InvalidParameterError, match="3-D"):
        identify_cube(cube[0], energy, untrained)
    with pytest.raises(InvalidParameterError, match="chunk_pixels"):
        identify_cube(cube, energy, untrained, chunk_pixels=0)


def test_chunk_pixels_may_be_a_numpy_integer_but_not_a_bool(small_cube, untrained):
    cube, energy = small_cube
    result = identify_cube(cube, energy, untrained, chunk_pixels=np.int64(4))
    expected = identify_cube(cube, energy, untrained, chunk_pixels=4)
    np.testing.assert_array_equal(result.probabilities, expected.probabilities)
    for bad in (True, np.int64(0), 2.0):
        with pytest.raises(InvalidParameterError, match="chunk_pixels=.* must be an integer >= 1"):
            identify_cube(cube, energy, untrained, chunk_pixels=bad)


def test_plot_probability_maps_writes_a_png(small_cube, untrained, tmp_path):
    cube, energy = small_cube
    result = identify_cube(cube, energy, untrained)
    path = plot_probability_maps(result, ["O", "Mn", "Fe"], tmp_path / "maps.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(InvalidParameterError, match="Xx"):
        plot_probability_maps(result, ["Xx"], tmp_path / "bad.png")


def two_region_cube(identifier: EELSIdentifier, shape: tuple[int, int]) -> tuple[np.ndarray, ...]:
    """A cube of two simulated compositions on one 800 eV window, both identified right
    with a margin by ``identifier``, so that it tests the mapping, not the networks.

    Returns:
        cube (H, W, E) counts, Poisson noise at ~1e6 at the peak; energy (E,) eV;
        labels (2, 80) of the compositions; regions (H, W): 0 in the left half of the
        columns, 1 in the right.
    """
    simulator = EELSSimulator(window_width=(800, 800), background_removed=0.0)
    batch = simulator.sample(3000, seed=11)
    with one_torch_thread():  # several times faster than two threads on busy cores
        p, present = identifier.identify(batch.spectra, batch.window)
    clear = np.where(batch.labels, p > 0.8, p < identifier.thresholds / 2).all(axis=1)
    by_window: dict[int, list[int]] = {}
    for i in np.flatnonzero((present == batch.labels).all(axis=1) & clear):
        by_window.setdefault(int(batch.window[i, 0]), []).append(i)
    pairs = (
        (rows[0], b)
        for rows in by_window.values()
        for b in rows[1:]
        if (batch.labels[b] != batch.labels[rows[0]]).any()
    )
    pair = next(pairs, None)
    assert pair is not None, "no two clearly identified spectra share a window"
    first, last = batch.window[pair[0]]
    regions = np.zeros(shape, dtype=int)
    regions[:, shape[1] // 2 :] = 1
    spectra = batch.spectra[list(pair), first : last + 1]
    cube = noisy_cube(spectra, regions, seed=1, peak=1e6)
    return cube, np.arange(first, last + 1.0), batch.labels[list(pair)], regions


@pytest.mark.skipif(not COMMITTED, reason=f"no committed EELS weights in {WEIGHTS_DIR}")
def test_committed_ensemble_recovers_two_regions(tmp_path):
    """An 8 x 8 cube: left half one composition, right half another, same window."""
    identifier = EELSIdentifier.load()
    cube, energy, labels, regions = two_region_cube(identifier, (8, 8))
    result = identify_cube(cube, energy, identifier, chunk_pixels=16)
    found = result.probabilities > identifier.thresholds  # (8, 8, 80)
    for region in (0, 1):
        inside = found[regions == region].mean(axis=0)  # (80,) fraction of its pixels
        outside = found[regions != region].mean(axis=0)
        own = labels[region] & ~labels[1 - region]  # elements only this region holds
        assert (inside[own] >= 0.8).all() and (outside[own] <= 0.2).all(), (inside, outside)
        assert (inside[labels[region]] >= 0.8).all()
    for j in np.flatnonzero(labels.any(axis=0)):
        assert ELEMENTS[j] in result.present_elements
    plot_probability_maps(result, None, tmp_path / "regions.png")


@pytest.mark.parametrize("shape", [(0, 0), (2, 0), (0, 3)])
def test_a_cube_without_pixels_is_refused(small_cube, untrained, shape):
    _, energy = small_cube
    with pytest.raises(InvalidParameterError, match="holds no pixels"):
        identify_cube(np.zeros((*shape, energy.size)), energy, untrained)


def test_present_elements_use_each_elements_own_threshold(small_cube, untrained):
    cube, energy = small_cube
    probabilities = identify_cube(cube, energy, untrained).probabilities.reshape(30, 80)
    # per element a different quantile of its pixels' probabilities: fractions above
    # threshold from about 95 % down to 5 %, in an order unrelated to the element's
    levels = np.random.default_rng(0).permutation(np.linspace(0.05, 0.95, 80))
    thresholds = np.array([np.quantile(probabilities[:, j], levels[j]) for j in range(80)])
    identifier = EELSIdentifier(untrained.networks, thresholds=thresholds)
    result = identify_cube(cube, energy, identifier)
    np.testing.assert_array_equal(result.thresholds, identifier.thresholds)
    fractions = (result.probabilities.reshape(30, 80) > identifier.thresholds).mean(axis=0)
    expected = {ELEMENTS[j]: fractions[j] for j in np.argsort(-fractions, kind="stable")}
    expected = {e: f for e, f in expected.items() if f >= 0.01}
    assert result.present_elements == pytest.approx(expected)
    assert list(result.present_elements) == list(expected)
    at_half = (result.probabilities.reshape(30, 80) > 0.5).mean(axis=0)
    assert not np.array_equal(fractions, at_half)  # the thresholds matter here


def test_networks_run_on_one_torch_thread_and_the_count_is_restored(
    small_cube, untrained, monkeypatch
):
    cube, energy = small_cube
    network = untrained.networks[0]
    seen = []
    forward = network.forward

    def spy(*args, **kwargs):
        seen.append(torch.get_num_threads())
        return forward(*args, **kwargs)

    monkeypatch.setattr(network, "forward", spy)
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        before = identify_cube(cube, energy, untrained, chunk_pixels=7).probabilities
        assert seen and set(seen) == {1}
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(threads)
    # the same numbers as calling the networks directly
    spectra, window = to_channels(energy, cube.reshape(30, -1), normalise=False)
    direct = untrained.probabilities(spectra, np.broadcast_to(window, (30, 2)))
    np.testing.assert_allclose(before.reshape(30, 80), direct, atol=1e-6)


def test_plot_probability_maps_takes_one_symbol_as_a_string(
    small_cube, untrained, tmp_path, monkeypatch
):
    cube, energy = small_cube
    result = identify_cube(cube, energy, untrained)
    titles = []

    def save(fig, path):
        titles.extend(ax.get_title() for ax in fig.axes if ax.get_title())
        return save_figure(fig, path)

    monkeypatch.setattr(eels_map, "save_figure", save)
    path = plot_probability_maps(result, "Fe", tmp_path / "fe.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(titles) == 1 and titles[0].startswith("Fe: ")
    with pytest.raises(InvalidParameterError, match="'Xx'"):
        plot_probability_maps(result, "Xx", tmp_path / "bad.png")
