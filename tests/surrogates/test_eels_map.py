import dask.array as da
import numpy as np
import pytest
import torch

from adaptive.errors import InvalidParameterError
from adaptive.figures import save_figure
from simulators.eels import ELEMENTS, EELSSimulator
from simulators.eels_files import EELSSpectrum, NavigationAxis, to_channels
from surrogates import eels_map
from surrogates.eels_checks import MAY_BE_ABSENT
from surrogates.eels_identifier import EELSIdentifier, identify_spectrum
from surrogates.eels_map import CubeResult, check_elements, identify_cube, plot_probability_maps
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
    assert (result.no_signal, result.unidentified) == (1, 0)


def one_pixel(identifier, energy, counts) -> np.ndarray:
    """(80,) the probabilities of one spectrum counts (E,) on energy (E,)."""
    spectra, window = to_channels(energy, counts, normalise=False)
    return identifier.probabilities(spectra[None], window[None])[0]


def test_nan_padding_and_gaps_are_missing_channels_not_lost_pixels(small_cube, untrained):
    # a pixel with one NaN count was dropped whole: an energy alignment (HyperSpy's
    # align1D(crop=False)) pads shifted spectra with NaN, and 43 of 48 pixels were lost
    cube, energy = small_cube
    padded = cube.copy()
    padded[0, 0, :3] = np.nan  # shifted up in energy
    padded[1, 2, -2:] = np.inf  # shifted down
    padded[2, 3, 10] = np.nan  # a bad channel inside
    result = identify_cube(padded, energy, untrained, chunk_pixels=7)
    assert np.isfinite(result.probabilities).all() and result.unidentified == 0
    start, end = slice(3, None), slice(None, -2)
    expected = one_pixel(untrained, energy[start], cube[0, 0, start])
    np.testing.assert_allclose(result.probabilities[0, 0], expected, atol=1e-5)
    expected = one_pixel(untrained, energy[end], cube[1, 2, end])
    np.testing.assert_allclose(result.probabilities[1, 2], expected, atol=1e-5)
    filled = cube[2, 3].astype(float)
    filled[10] = (filled[9] + filled[11]) / 2  # interpolated from its neighbours
    expected = one_pixel(untrained, energy, filled)
    np.testing.assert_allclose(result.probabilities[2, 3], expected, atol=1e-5)
    whole = identify_cube(cube, energy, untrained).probabilities
    others = np.ones((6, 5), dtype=bool)
    others[0, 0] = others[1, 2] = others[2, 3] = False
    np.testing.assert_allclose(result.probabilities[others], whole[others], atol=1e-5)


@pytest.mark.parametrize("chunk_pixels", [4096, 7])
def test_channels_dead_in_every_pixel_are_left_out_with_a_warning(
    small_cube, untrained, chunk_pixels
):
    # the cube was refused after it was computed, and the fix told a command-line user to
    # crop cube and energy in Python
    cube, energy = small_cube
    dead = cube.copy()
    dead[..., 0] = np.nan
    dead[..., 7] = np.nan
    dead[..., 9] = np.inf
    result = identify_cube(dead, energy, untrained, chunk_pixels=chunk_pixels)
    repaired = cube[..., 1:].astype(float)  # channel 0 dropped; 7 and 9 interpolated
    repaired[..., 6] = (repaired[..., 5] + repaired[..., 7]) / 2
    repaired[..., 8] = (repaired[..., 7] + repaired[..., 9]) / 2
    expected = identify_cube(repaired, energy[1:], untrained).probabilities
    np.testing.assert_allclose(result.probabilities, expected, atol=1e-5)
    listed = f"{energy[0]:g}, {energy[7]:g}, {energy[9]:g}"
    assert result.warnings == [
        f"3 of the {energy.size} channels, at {listed} eV, are NaN or infinite in every "
        "pixel (dead detector channels?) and were left out: interpolated across between "
        "finite ones, dropped at the ends."
    ]


def test_a_run_of_channels_dead_in_every_pixel_is_warned_of_as_a_gap(small_cube, untrained):
    # it was bridged in every pixel under the dead-channel sentence only, which can name an
    # element at p = 1 in every pixel
    cube, energy = small_cube
    dead = cube.copy()
    dead[..., 20:60] = np.nan
    warnings = identify_cube(dead, energy, untrained).warnings
    assert any(f"no points from {energy[19]:g} to {energy[60]:g} eV" in w for w in warnings)
    assert any(f"40 of the {energy.size} channels, at" in w for w in warnings)


def test_pixels_without_finite_channels_are_counted_and_left_out_of_the_fractions(
    small_cube, untrained
):
    # such pixels were NaN, silently, and the fractions still counted them
    cube, energy = small_cube
    cube = cube.copy()
    cube[0, 0] = np.nan
    cube[0, 1, 1:] = np.inf  # one finite channel
    result = identify_cube(cube, energy, untrained)
    assert (result.unidentified, result.no_signal) == (2, 0)
    assert np.isnan(result.probabilities[0, :2]).all()
    assert np.isfinite(result.probabilities.reshape(30, 80)[2:]).all()
    above = result.probabilities.reshape(30, 80)[2:] > untrained.thresholds
    np.testing.assert_allclose(result.fractions, above.mean(axis=0))
    assert result.warnings == [
        "2 of the 30 pixels have fewer than 2 finite channels (NaN or infinite counts) and "
        "were not identified (grey in the maps); the fractions are of the 28 identified pixels."
    ]


@pytest.mark.parametrize("vacuum", ["read noise", "dark counts"])
def test_vacuum_pixels_have_no_signal_and_are_not_identified(small_cube, untrained, vacuum):
    # they were identified: dark-subtracted read noise came out as Ge in 35 % of the pixels
    cube, energy = small_cube
    rng = np.random.default_rng(5)
    cube = cube.astype(float)
    shape = cube[:2].shape
    cube[:2] = rng.normal(0, 5, shape) if vacuum == "read noise" else rng.poisson(3, shape)
    result = identify_cube(cube, energy, untrained)
    assert (result.no_signal, result.unidentified) == (10, 0)
    assert np.isnan(result.probabilities[:2]).all()
    assert np.isfinite(result.probabilities[2:]).all()
    assert result.warnings[-1].startswith("10 of the 30 pixels have no signal, their counts flat")


@pytest.mark.parametrize("peak", [10.0, 200.0, 1e6])
def test_sample_pixels_keep_their_signal_at_any_dose(small_cube, untrained, peak):
    batch = EELSSimulator(background_removed=0.0).sample(300, seed=1)
    rng = np.random.default_rng(0)
    lost = 0
    for spectrum, (first, last) in zip(batch.spectra, batch.window, strict=True):
        part = spectrum[first : last + 1]
        counts = rng.poisson(part / part.max() * peak)[None].astype(float)
        lost += not eels_map._has_signal(counts, np.arange(part.size, dtype=float))[0]
    assert lost <= (15 if peak == 10 else 0)  # 11 of 300 at 10 counts: nearly flat ones
    cube, energy = small_cube
    narrow = identify_cube(cube[..., 100:125], energy[100:125], untrained)  # 25 eV: bright
    assert narrow.no_signal == 0


@pytest.mark.parametrize("channels", [30, 800])
def test_vacuum_has_no_signal_in_any_window(channels):
    rng = np.random.default_rng(1)
    energy = np.arange(400.0, 400 + channels)
    for counts in (rng.poisson(3, (5000, channels)), rng.normal(0, 5, (5000, channels))):
        # measured: 1e-4 of the pixels of 30 channels, none of 100 or more
        assert eels_map._has_signal(counts, energy).sum() <= (2 if channels == 30 else 0)


def test_vacuum_at_2_ev_per_channel_has_no_signal(small_cube, untrained):
    # the noise was estimated on interpolated 1 eV channels: half such vacuum had signal
    cube, energy = small_cube
    coarse = cube[..., : energy.size // 2 * 2].reshape(6, 5, -1, 2).sum(axis=-1)
    rng = np.random.default_rng(2)
    coarse[:4] = rng.normal(0, 5, coarse[:4].shape)
    result = identify_cube(coarse, energy[: coarse.shape[-1] * 2 : 2] + 0.5, untrained)
    assert (result.no_signal, result.unidentified) == (20, 0)


def test_a_faint_high_energy_window_has_signal(untrained):
    # a power law over 1500-2000 eV with a Si K edge, 8 counts per channel: 7 % had none
    energy = np.arange(1500, 2001.0)
    background = (energy / energy[0]) ** -3.0
    edge = 0.3 * background[energy >= 1839][0] * (energy >= 1839) * (energy / 1839) ** -2
    rng = np.random.default_rng(0)
    counts = rng.poisson((background + edge) * 8, size=(10, 30, energy.size)).astype(float)
    assert identify_cube(counts, energy, untrained).no_signal == 0


def test_a_cube_with_no_pixel_to_identify_is_refused_not_mapped_to_nan(small_cube, untrained):
    cube, energy = small_cube
    match = "0 of its 30 pixels have fewer than 2 finite channels.*, 30 no signal"
    with pytest.raises(InvalidParameterError, match=match):
        identify_cube(np.zeros_like(cube), energy, untrained)
    cube = cube.copy()
    cube[..., 1:] = np.nan  # one finite channel per pixel
    with pytest.raises(InvalidParameterError, match="30 of its 30 pixels have fewer than 2"):
        identify_cube(cube, energy, untrained)


def test_cube_warns_outside_the_trained_domain_as_a_spectrum_does(small_cube, untrained):
    cube, energy = small_cube
    assert identify_cube(cube, energy, untrained).warnings == []
    narrow = identify_cube(cube[..., :20], energy[:20], untrained)
    pixel = EELSSpectrum(energy[:20], cube[0, 0, :20].astype(float), {}, "pixel")
    expected = identify_spectrum(pixel, untrained)["warnings"]
    expected = [w for w in expected if MAY_BE_ABSENT not in w]  # a spectrum's only (V22)
    assert narrow.warnings == expected and "narrower than" in expected[0]


def typical_pixel(cube: np.ndarray) -> tuple[int, int]:
    """The (row, column) of median total counts (the upper one of an even count)."""
    totals = cube.sum(axis=2)
    flat = np.argsort(totals, axis=None)[totals.size // 2]
    return tuple(int(i) for i in np.unravel_index(flat, totals.shape))


def test_an_over_subtracted_cube_is_warned_of_as_its_typical_pixel_is(small_cube, untrained):
    """A dark over-subtracted from every pixel mapped false elements with no warning, where
    one pixel identified alone was warned of."""
    cube, energy = small_cube
    cube = cube[:, :3]  # the forward spectra
    dark = cube - 0.6 * cube.max(axis=2, keepdims=True)
    warnings = identify_cube(dark, energy, untrained).warnings
    row, col = typical_pixel(dark)
    pixel = EELSSpectrum(energy, dark[row, col].astype(float), {}, "pixel")
    alone = identify_spectrum(pixel, untrained)["warnings"]
    assert any("far below zero" in w for w in alone)
    prefix = f"In a typical pixel (row {row}, column {col}, of the median total counts): "
    assert warnings == [prefix + w for w in alone]
    assert identify_cube(cube, energy, untrained).warnings == []


def test_a_cube_of_few_counts_per_pixel_is_told_to_sum_neighbours(small_cube, untrained):
    cube, energy = small_cube
    spectrum = cube[0, 0] / cube[0, 0].max()
    faint = noisy_cube(spectrum[None], np.zeros((4, 4), dtype=int), seed=1, peak=30.0)
    (warning,) = [w for w in identify_cube(faint, energy, untrained).warnings if "Few" in w]
    assert warning.startswith("In a typical pixel (row ")
    assert "Few counts: " in warning and "the spectra of neighbouring pixels" in warning


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


@pytest.fixture(scope="module")
def committed():
    """The committed ensemble and its ``two_region_cube`` of 8 x 8 pixels."""
    if not COMMITTED:
        pytest.skip(f"no committed EELS weights in {WEIGHTS_DIR}")
    identifier = EELSIdentifier.load()
    return identifier, two_region_cube(identifier, (8, 8))


def test_committed_ensemble_recovers_two_regions(committed, tmp_path):
    """An 8 x 8 cube: left half one composition, right half another, same window."""
    identifier, (cube, energy, labels, regions) = committed
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
    above = result.probabilities > identifier.thresholds
    fractions = above.reshape(30, 80).mean(axis=0)
    np.testing.assert_allclose(result.fractions, fractions)
    order = np.argsort(-fractions, kind="stable")
    listed = order[fractions[order] >= 0.01]
    coherent = eels_map._coherent(above[..., listed], np.ones((6, 5), dtype=bool))
    counts, window = above.sum(axis=(0, 1))[listed], np.array([energy[0], energy[-1]], int)
    present = coherent | eels_map._beyond_false_positives(counts, 30, listed, coherent, window)
    expected = {ELEMENTS[j]: fractions[j] for j in listed[present]}
    assert 10 < len(expected) < 80  # coherence matters here
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


@pytest.mark.parametrize("shape", [(16, 16), (1, 48)], ids=["image", "line scan"])
def test_isolated_false_positives_are_not_present(committed, shape):
    # a clean cube at 1e4 counts listed elements of scattered single pixels (a 64 x 64
    # one Tb 6 %, Pr 4 %, Mg 3 %; this 16 x 16 one Sb)
    identifier, (cube, energy, labels, regions) = committed
    spectra = np.stack([cube[regions == region].mean(axis=0) for region in (0, 1)])
    height, width = shape
    halves = (np.arange(width) >= width // 2)[None].repeat(height, axis=0).astype(int)
    counts = noisy_cube(spectra / spectra.max(), halves, seed=0, peak=1e4)
    result = identify_cube(counts, energy, identifier)
    true = [ELEMENTS[j] for j in np.flatnonzero(labels.any(axis=0))]
    assert set(result.present_elements) == set(true)
    for symbol in true:
        assert result.present_elements[symbol] == result.fractions[ELEMENTS.index(symbol)]
    listed = {ELEMENTS[j] for j in np.flatnonzero(result.fractions >= 0.01)}
    assert set(result.scattered) == listed - set(true)
    if shape == (16, 16):  # elements in 1 % of the pixels, each mostly alone
        assert result.scattered


class BrightIsFe:
    """Fe where a pixel's first window channel is bright (twice the background)."""

    thresholds = np.full(len(ELEMENTS), 0.5)

    def probabilities(self, spectra, windows):
        p = np.zeros((len(spectra), len(ELEMENTS)), np.float32)
        p[:, ELEMENTS.index("Fe")] = spectra[np.arange(len(spectra)), windows[:, 0]] > 1.5e4
        return p


def fe_where(mask: np.ndarray) -> CubeResult:
    """``identify_cube`` with ``BrightIsFe`` on a cube bright where ``mask`` (H, W)."""
    energy = np.arange(400, 1000.0)
    background = 1e4 * (energy / 400) ** -3
    counts = np.where(mask[..., None], 2 * background, background)
    return identify_cube(np.random.default_rng(0).poisson(counts), energy, BrightIsFe())


def test_a_small_image_is_too_small_to_judge_coherence():
    mask = np.array([[True, False]])  # a 1 x 2 image: Fe vetoed as isolated
    assert fe_where(mask).present_elements == {"Fe": 0.5}


def test_stray_pixels_do_not_veto_a_compact_cluster():
    # in a 10 x 10 image, 9 random pixels touch side or corner in a cluster of 4 in 13 %
    # of placements (3 % side to side): there the particle is not told from chance
    mask = np.zeros((20, 20), dtype=bool)
    mask[9:11, 9:11] = True  # a 2 x 2 particle (4 of 9 Fe pixels beside another)
    mask[0, 0] = mask[0, 19] = mask[19, 0] = mask[19, 19] = mask[5, 14] = True
    result = fe_where(mask)
    assert result.present_elements == {"Fe": 9 / 400} and result.scattered == {}


def test_scattered_elements_are_listed_with_their_fractions():
    mask = np.zeros((20, 20), dtype=bool)
    mask[::4, ::4] = True  # 25 single pixels
    result = fe_where(mask)
    assert result.present_elements == {} and result.scattered == {"Fe": 0.0625}


def test_a_precipitate_under_one_percent_of_the_pixels_is_present(tmp_path, monkeypatch):
    """A 3 x 3 particle in a 64 x 64 image (0.22 %) was left out of present and scattered,
    and its map titled 0 %."""
    mask = np.zeros((64, 64), dtype=bool)
    mask[30:33, 40:43] = True
    mask[5, 5] = mask[50, 10] = True  # stray pixels
    result = fe_where(mask)
    assert result.present_elements == {"Fe": 11 / 4096} and result.scattered == {}
    titles = []

    def save(fig, path):
        titles.extend(ax.get_title() for ax in fig.axes if ax.get_title())
        return save_figure(fig, path)

    monkeypatch.setattr(eels_map, "save_figure", save)
    plot_probability_maps(result, None, tmp_path / "fe.png")
    assert titles == ["Fe: 0.27 % of identified pixels"]
    assert eels_map._percent(1 / 1024**2) == "0.000095 %"  # not "9.5e-05 %"


def test_a_few_pixels_under_one_percent_need_a_cluster_to_be_present():
    mask = np.zeros((64, 64), dtype=bool)
    mask[30, 40:43] = True  # 3 in a row: each beside another, but no cluster of 4
    mask[10, 10:12] = True
    result = fe_where(mask)
    assert result.present_elements == {} and result.scattered == {}


@pytest.mark.parametrize("seed", range(3))
def test_random_pixels_of_a_large_image_are_scattered_not_present(seed):
    """Fe above threshold in a random 10 % of a 64 x 64 image has clusters of 4 and more by
    chance: it was present in 98 % of such draws."""
    mask = np.random.default_rng(seed).random((64, 64)) < 0.1
    assert eels_map._largest_cluster(mask[..., None])[0] >= 4
    result = fe_where(mask)
    assert result.present_elements == {} and set(result.scattered) == {"Fe"}


def test_a_phase_and_a_majority_are_present_however_chance_looks():
    mask = np.zeros((64, 64), dtype=bool)
    mask[20:40, 10:30] = True  # a 20 x 20 phase, 10 % of the image
    assert eels_map._coherent(mask[..., None], np.ones((64, 64), dtype=bool))[0]
    everywhere = np.random.default_rng(0).random((64, 64)) < 0.9
    assert eels_map._coherent(everywhere[..., None], np.ones((64, 64), dtype=bool))[0]


def test_noise_names_an_element_present_in_few_images_however_many_are_listed():
    """Six columns of random pixels per image: tested at 5 % each, 12 of 40 images named
    one present (a low-dose map's false Cs); at 5 % / 6, 2."""
    named = 0
    for seed in range(40):
        above = np.random.default_rng(seed).random((24, 24, 6)) < 0.1
        named += eels_map._coherent(above, np.ones((24, 24), dtype=bool)).any()
    assert named <= 4
    above[6:12, 6:12, 0] = True  # a 6 x 6 phase among the five random columns
    assert eels_map._coherent(above, np.ones((24, 24), dtype=bool))[0]


def test_chance_placements_come_in_blocks_and_stop_once_chance_wins():
    """The placements were drawn all at once: 79 copies of the map per listed element."""
    seen = []

    def cluster_seen(placed):
        seen.append(placed.shape)
        return eels_map._largest_cluster(placed)

    mask = np.zeros((64, 64), dtype=bool)
    mask[20:40, 10:30] = True  # a phase: chance never gives a cluster of 400
    pixels = np.arange(64 * 64)
    assert eels_map._beats_chance({cluster_seen: 400}, 400, pixels, (64, 64), tests=1)
    assert sum(shape[-1] for shape in seen) == 79  # 4 / 0.05 - 1: p <= 0.05
    assert max(shape[-1] for shape in seen) == eels_map.SHUFFLE_BLOCK
    assert all(shape[:2] == (64, 64) for shape in seen)
    seen.clear()  # a cluster of 1: every placement reaches it, so the first block decides
    assert not eels_map._beats_chance({cluster_seen: 1}, 400, pixels, (64, 64), tests=1)
    assert [shape[-1] for shape in seen] == [eels_map.SHUFFLE_BLOCK]


def test_largest_cluster_counts_pixels_touching_side_or_corner():
    above = np.zeros((4, 5, 3), dtype=bool)
    above[::2, ::2, 0] = True  # none touches another
    above[1, 1:3, 1] = above[2, 2, 1] = above[3, 3, 1] = True  # an L of 3, a corner one
    above[:, 2, 2] = True  # a column
    np.testing.assert_array_equal(eels_map._largest_cluster(above), [1, 4, 4])


def test_coherent_share_counts_pixels_beside_another_above_threshold():
    above = np.zeros((4, 5, 3), dtype=bool)
    above[::2, ::2, 0] = True  # none touches another
    above[1, 1:3, 1] = above[3, 4, 1] = True  # a pair and one alone
    above[:, 2, 2] = True  # a column
    np.testing.assert_allclose(eels_map._coherent_share(above), [0, 2 / 3, 1])
    line = np.array([1, 1, 0, 1, 0, 1, 1, 1], dtype=bool)[None, :, None]
    np.testing.assert_allclose(eels_map._coherent_share(line), [5 / 6])
    np.testing.assert_allclose(eels_map._coherent_share(np.zeros((2, 2, 1), bool)), [0])


def test_blocks_hold_at_most_1024_pixels_by_default(small_cube, untrained, monkeypatch):
    # a cube of up to 4096 pixels was one block: the progress bar sat at 94 % until the end
    cube, energy = small_cube
    cube = np.tile(cube, (8, 5, 1))  # 48 x 25 pixels
    sizes = []
    block_probabilities = eels_map._block_probabilities

    def spy(block, *args):
        sizes.append(block.shape[0] * block.shape[1])
        return block_probabilities(block, *args)

    monkeypatch.setattr(eels_map, "_block_probabilities", spy)
    identify_cube(cube, energy, untrained)
    assert sorted(filter(None, sizes)) == [200, 1000]  # whole rows: 40 of 25 pixels, then 8


def figures_saved(monkeypatch) -> list:
    """The figures ``plot_probability_maps`` saves from now on, appended as saved."""
    figures = []

    def save(fig, path):
        figures.append(fig)
        return save_figure(fig, path)

    monkeypatch.setattr(eels_map, "save_figure", save)
    return figures


@pytest.mark.parametrize("shape", [(1, 30), (30, 1)], ids=["row", "column"])
def test_a_line_scan_is_drawn_as_profiles_with_dashed_thresholds(
    small_cube, untrained, tmp_path, monkeypatch, shape
):
    # a 1 x n scan was drawn as an image one pixel high: an invisible hairline
    cube, energy = small_cube
    result = identify_cube(cube.reshape(*shape, -1), energy, untrained)
    figures = figures_saved(monkeypatch)
    plot_probability_maps(result, ["Fe", "O"], tmp_path / "line.png")
    ax = figures[0].axes[0]
    assert not ax.images and ax.get_xlabel() == "position"
    probability, threshold = ax.lines
    np.testing.assert_allclose(probability.get_xdata(), np.arange(30))
    j = ELEMENTS.index("Fe")
    np.testing.assert_allclose(probability.get_ydata(), result.probabilities.reshape(30, 80)[:, j])
    assert threshold.get_linestyle() == "--"
    assert threshold.get_ydata()[0] == pytest.approx(untrained.thresholds[j])
    along = NavigationAxis(0.5, 10.0, "nm")
    navigation = (NavigationAxis(), along) if shape[0] == 1 else (along, NavigationAxis())
    plot_probability_maps(result, ["Fe", "O"], tmp_path / "nm.png", navigation)
    calibrated = figures[1].axes[0]
    assert calibrated.get_xlabel() == "position (nm)"
    np.testing.assert_allclose(calibrated.lines[0].get_xdata(), 10 + 0.5 * np.arange(30))


def test_maps_mark_the_threshold_grey_pixels_not_identified_and_calibrated_axes(
    small_cube, untrained, tmp_path, monkeypatch
):
    # maps showed no threshold, NaN pixels in the colour of nothing, and pixel indices
    cube, energy = small_cube
    cube = cube.copy()
    cube[0, 0] = 0.0
    result = identify_cube(cube, energy, untrained)
    figures = figures_saved(monkeypatch)
    navigation = (NavigationAxis(2.0, 100.0, "nm"), NavigationAxis(0.5, 0.0, "nm"))
    plot_probability_maps(result, "Fe", tmp_path / "fe.png", navigation)
    fig = figures[0]
    ax, bar = fig.axes
    image = ax.images[0]
    np.testing.assert_allclose(image.get_extent(), [-0.25, 2.25, 111.0, 99.0])
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("x (nm)", "y (nm)")
    assert image.cmap.get_bad() == pytest.approx((0.7, 0.7, 0.7, 1.0))
    assert image.to_rgba(np.ma.masked_invalid([np.nan]))[0] == pytest.approx((0.7, 0.7, 0.7, 1.0))
    threshold = untrained.thresholds[ELEMENTS.index("Fe")]
    assert [line.get_ydata()[0] for line in bar.lines] == pytest.approx([threshold])
    assert fig.get_suptitle().startswith("grey: 1 of 30 pixels not identified")


@pytest.mark.parametrize(("shape", "aspect"), [((2, 15), "auto"), ((6, 5), 1.0)])
def test_thin_strips_fill_their_panel(small_cube, untrained, tmp_path, monkeypatch, shape, aspect):
    # a 3 x 200 strip was drawn as a thin line across an empty panel
    cube, energy = small_cube
    result = identify_cube(cube.reshape(*shape, -1), energy, untrained)
    figures = figures_saved(monkeypatch)
    plot_probability_maps(result, "Fe", tmp_path / "strip.png")
    assert figures[0].axes[0].get_aspect() == aspect


def test_axes_in_different_units_are_drawn_to_scale_in_one(
    small_cube, untrained, tmp_path, monkeypatch
):
    # rows in um and columns in nm were drawn 1,000 times too thin; rows uncalibrated
    # beside columns in um, as a hairline
    cube, energy = small_cube
    result = identify_cube(cube, energy, untrained)  # 6 rows, 5 columns
    figures = figures_saved(monkeypatch)
    rows, columns = NavigationAxis(1.0, 2.0, "µm"), NavigationAxis(250.0, 0.0, "nm")
    plot_probability_maps(result, "Fe", tmp_path / "mixed.png", (rows, columns))
    ax = figures[0].axes[0]
    np.testing.assert_allclose(ax.images[0].get_extent(), [-125, 1125, 7500, 1500])
    assert ax.get_ylabel() == "y (nm)" and ax.get_aspect() == 1.0
    plot_probability_maps(result, "Fe", tmp_path / "half.png", (NavigationAxis(), columns))
    ax = figures[1].axes[0]
    assert ax.get_aspect() == "auto" and ax.get_ylabel() == "y"


def test_elements_are_read_in_any_case_and_an_unknown_one_names_no_python():
    # "fe" was unknown, and the error sent a command-line user to simulators.eels.ELEMENTS
    assert check_elements(["fe", "O", "BI"]) == ["Fe", "O", "Bi"]
    assert check_elements("cu") == ["Cu"]
    with pytest.raises(InvalidParameterError) as err:
        check_elements(["Fe", "Xx"])
    assert str(err.value) == (
        "unknown element 'Xx'; name elements the networks identify by their symbols, Be to "
        "Bi (Z = 4 to 83), e.g. Fe or O"
    )


def test_an_element_named_twice_in_two_cases_is_refused():
    # review V19: --elements Fe,fe drew two Fe panels (the repeat check was case-sensitive)
    with pytest.raises(InvalidParameterError, match=r"names Fe more than once \(symbols are read"):
        check_elements(["Fe", "fe", "O"])


def test_over_subtracted_vacuum_pixels_have_no_signal_not_an_error(untrained):
    # a vacuum row with its dark over-subtracted: a few raw points above 0 on a falling
    # tail, no 1 eV channel above 0; it aborted the whole map (review V18)
    energy = np.arange(400.0, 700.0, 0.2)
    rng = np.random.default_rng(1)
    sample = 1e4 * (energy / 400) ** -3 * (1 + 0.3 * (energy > 532))
    cube = rng.poisson(np.broadcast_to(sample, (4, 4, energy.size))).astype(float)
    tail = 12.0 * (energy / 400) ** -2.5
    cube[-1] = rng.poisson(np.broadcast_to(tail, (4, energy.size))) - 15.0
    channels, window = to_channels(energy, cube[-1], normalise=False)
    assert cube[-1].max() > 0 and channels[:, window[0] : window[1] + 1].max() <= 0
    result = identify_cube(cube, energy, untrained)
    assert (result.no_signal, result.unidentified) == (4, 0)
    assert np.isnan(result.probabilities[-1]).all()
    assert np.isfinite(result.probabilities[:-1]).all()
