import numpy as np
import pytest

from simulators import EELSSimulator, edge_table
from simulators.eels import (
    ELEMENTS,
    N_CHANNELS,
    OVERLAP_EV,
    _log_power,
    _peaks,
    _plural_scattering,
    _steps,
    _tables,
)

ENERGY = np.arange(N_CHANNELS, dtype=float)


@pytest.fixture(scope="module")
def batch():
    return EELSSimulator().sample(2000, seed=3)


def test_edge_table_covers_be_to_bi_in_z_order():
    edges = edge_table()
    assert ELEMENTS[0] == "Be" and ELEMENTS[-1] == "Bi" and len(set(ELEMENTS)) == 80
    assert sorted({e.element for e in edges}, key=ELEMENTS.index) == list(ELEMENTS)
    for edge in edges:
        assert edge.z == ELEMENTS.index(edge.element) + 4
        assert 10 <= edge.onset_ev <= N_CHANNELS - 1
    for symbol in ELEMENTS:  # every element can be labelled with the default window limits
        assert any(e.major and 60 <= e.onset_ev <= 3061 for e in edges if e.element == symbol)


@pytest.mark.parametrize(
    ("element", "name", "onset"),
    [("O", "K", 532), ("C", "K", 284), ("Mn", "L3", 640), ("Ni", "L3", 855),
     ("La", "M5", 832), ("Fe", "L3", 708), ("Ti", "L3", 456), ("Si", "K", 1839)],
)  # fmt: skip
def test_edge_table_matches_known_onsets(element, name, onset):
    (edge,) = [e for e in edge_table() if e.element == element and e.name == name]
    assert abs(edge.onset_ev - onset) <= 3
    assert edge.major


def test_white_lines_and_shapes_come_from_the_atlas_descriptors():
    table = {(e.element, e.name): e for e in edge_table()}
    assert table["Mn", "L3"].threshold == "Sharp peak"
    assert table["La", "M5"].threshold == "Sharp peak"
    assert table["O", "K"].shape == "Abrupt onset"
    assert table["Au", "M5"].shape == "Delayed maximum"
    assert not table["Ti", "L1"].major


def test_spin_orbit_white_lines_share_a_strength_with_the_measured_ratios():
    # La M5/M4 about 0.7-1.0 (4f0), Ni L3/L2 2-4; before, heights were drawn per edge
    index = {(e.element, e.name): i for i, e in enumerate(edge_table())}
    pairs = [("La", "M5"), ("La", "M4"), ("Ni", "L3"), ("Ni", "L2")]
    ids = np.array([index[pair] for pair in pairs] * 1000)
    rows = np.repeat(np.arange(2000), 2)  # one pair per spectrum, one shell per pair
    t = _tables()
    rng = np.random.default_rng(0)
    peaks = _peaks(2000, rows, rows, t.onset[ids], t.strength[ids], ids, (3.0, 12.0), rng)
    la = peaks[::2, 828:846].sum(1) / peaks[::2, 845:863].sum(1)
    ni = peaks[1::2, 851:869].sum(1) / peaks[1::2, 868:886].sum(1)
    assert 0.6 < np.percentile(la, 5) and np.percentile(la, 95) < 1.2
    assert 1.5 < np.percentile(ni, 5) and 2.0 < np.median(ni) < 4.0


def test_sample_is_reproducible_from_the_seed():
    simulator = EELSSimulator()
    a, b = simulator.sample(50, seed=1), simulator.sample(50, seed=1)
    np.testing.assert_array_equal(a.spectra, b.spectra)
    np.testing.assert_array_equal(a.labels, b.labels)
    np.testing.assert_array_equal(a.window, b.window)
    assert a.elements == b.elements
    assert not np.array_equal(a.spectra, simulator.sample(50, seed=2).spectra)


def test_spectra_are_zero_outside_the_window_and_normalised(batch):
    n = len(batch.elements)
    assert batch.spectra.shape == (n, N_CHANNELS) and batch.spectra.dtype == np.float32
    assert batch.labels.shape == (n, 80) and batch.labels.dtype == bool
    assert np.isfinite(batch.spectra).all()
    first, last = batch.window.T
    inside = (ENERGY >= first[:, None]) & (ENERGY <= last[:, None])
    assert (batch.spectra[~inside] == 0).all()
    np.testing.assert_allclose(np.where(inside, batch.spectra, -np.inf).max(axis=1), 1.0)
    width = last - first + 1
    assert width.min() >= 200 and width.max() <= 1500 and first.min() >= 50
    assert last.max() <= N_CHANNELS - 1


def test_labels_are_present_elements_with_a_major_edge_inside_the_window(batch):
    majors = {}
    for edge in edge_table():
        if edge.major:
            majors.setdefault(edge.element, []).append(edge.onset_ev)
    for labels, (first, last), elements in zip(
        batch.labels, batch.window, batch.elements, strict=True
    ):
        expected = {
            symbol
            for symbol in elements
            if any(first + 10 <= onset <= last - 10 for onset in majors[symbol])
        }
        assert {ELEMENTS[i] for i in np.flatnonzero(labels)} == expected
        assert elements[0] in expected  # the query element is always labelled
        assert 1 <= len(elements) <= 4 and len(set(elements)) == len(elements)


def test_the_narrowest_windows_still_label_the_query():
    batch = EELSSimulator(window_width=(22, 22), edge_margin=10.0).sample(2000, seed=0)
    query = [ELEMENTS.index(elements[0]) for elements in batch.elements]
    assert batch.labels[np.arange(len(query)), query].all()
    with pytest.raises(ValueError, match=r"2 \* edge_margin \+ 2.*widen"):
        EELSSimulator(window_width=(21, 21), edge_margin=10.0).sample(5, seed=0)


def test_every_element_is_the_query_about_equally_often():
    n = 8000
    batch = EELSSimulator().sample(n, seed=5)
    query = np.bincount([ELEMENTS.index(e[0]) for e in batch.elements], minlength=80)
    assert 0.5 * n / 80 < query.min() and query.max() < 2 * n / 80
    assert batch.labels.sum(axis=0).min() > 0.5 * n / 80


def test_overlap_fraction_one_pairs_the_query_with_an_overlapping_partner():
    majors = {}
    for edge in edge_table():
        if edge.major:
            majors.setdefault(edge.element, []).append(edge.onset_ev)

    def overlapping(query, others, first, last):
        inside = {s: [e for e in majors[s] if first + 10 <= e <= last - 10] for s in ELEMENTS}
        return any(
            abs(a - b) <= OVERLAP_EV
            for s in others
            if s != query
            for a in inside[query]
            for b in inside[s]
        )

    default = EELSSimulator().sample(300, seed=6)
    batch = EELSSimulator(overlap_fraction=1.0).sample(300, seed=6)
    np.testing.assert_array_equal(default.window, batch.window)
    paired = 0
    for (first, last), elements, labels in zip(
        batch.window, batch.elements, batch.labels, strict=True
    ):
        assert 1 <= len(elements) <= 4 and len(set(elements)) == len(elements)
        if overlapping(elements[0], elements[1:], first, last):
            paired += 1
            assert labels.sum() >= 2
        else:  # only when no element has such an edge in this window
            assert not overlapping(elements[0], ELEMENTS, first, last)
    assert paired > 0.95 * len(batch.elements)
    by_chance = [
        overlapping(e[0], e[1:], *w) for e, w in zip(default.elements, default.window, strict=True)
    ]
    assert np.mean(by_chance) < 0.2


def test_overlap_fraction_zero_leaves_the_default_spectra():
    a = EELSSimulator().sample(50, seed=8)
    b = EELSSimulator(overlap_fraction=0.0).sample(50, seed=8)
    np.testing.assert_array_equal(a.spectra, b.spectra)
    assert a.elements == b.elements


def test_oxygen_k_edge_stands_out_above_the_background():
    batch = EELSSimulator(background_removed=0.0).sample(1500, seed=7)
    covers = (batch.window[:, 0] <= 470) & (batch.window[:, 1] >= 600)
    oxygen = batch.labels[covers, ELEMENTS.index("O")]
    pre, post = (ENERGY >= 470) & (ENERGY < 525), (ENERGY >= 540) & (ENERGY < 580)
    excess = []
    for y in batch.spectra[covers]:
        fit = np.polyfit(np.log(ENERGY[pre]), np.log(y[pre]), 1)
        excess.append(np.mean(y[post] / np.exp(np.polyval(fit, np.log(ENERGY[post]))) - 1))
    excess = np.array(excess)
    assert oxygen.sum() > 50 and (~oxygen).sum() > 50
    assert np.median(excess[oxygen]) > 0.08
    assert abs(np.median(excess[~oxygen])) < 0.02


def test_removed_background_leaves_the_pre_edge_near_zero():
    kept = EELSSimulator(background_removed=0.0).sample(200, seed=4)
    removed = EELSSimulator(background_removed=1.0).sample(200, seed=4)
    start = np.arange(200), removed.window[:, 0]
    np.testing.assert_array_equal(kept.window, removed.window)
    assert np.median(kept.spectra[start]) > 0.9
    assert np.median(np.abs(removed.spectra[start])) < 0.3


def test_fewer_counts_give_noisier_spectra():
    def roughness(counts):
        batch = EELSSimulator(counts=(counts, counts)).sample(100, seed=9)
        last = batch.window[:, 1]
        tail = np.stack([s[end - 60 : end + 1] for s, end in zip(batch.spectra, last, strict=True)])
        return np.median(np.std(np.diff(tail, 2, axis=1), axis=1) / tail.mean(axis=1))

    assert roughness(1e2) > 5 * roughness(1e5)


@pytest.mark.parametrize(
    ("settings", "name"),
    [
        ({"window_width": (10, 1500)}, "window_width"),
        ({"window_width": (200, 3100)}, "window_width"),
        ({"thickness": (1.0, 0.5)}, "thickness"),
        ({"counts": (0.0, 10.0)}, "counts"),
        ({"contamination": 1.5}, "contamination"),
        ({"overlap_fraction": 1.5}, "overlap_fraction"),
        ({"overlap_fraction": -0.1}, "overlap_fraction"),
        ({"energy_min": 2000, "window_width": (200, 1000)}, "energy_min"),
        # windows started below a non-integer energy_min; strings raised numpy TypeErrors
        ({"energy_min": 50.5}, "energy_min must be whole channels"),
        ({"window_width": (200.5, 300)}, "window_width must be whole channels"),
        ({"energy_min": "50"}, "energy_min must be a number"),
        ({"contamination": None}, "contamination must be a number"),
        ({"edge_margin": "10"}, "edge_margin must be a number"),
        ({"window_width": ("200", "300")}, "window_width must be a .* pair of finite numbers"),
        ({"thickness": (0.1, None)}, "thickness must be a .* pair of finite numbers"),
    ],
)
def test_bad_settings_are_rejected_when_sampling(settings, name):
    simulator = EELSSimulator(**settings)  # constructor only stores
    with pytest.raises(ValueError, match=name):
        simulator.sample(5, seed=0)


def test_bad_sample_size_is_rejected():
    with pytest.raises(ValueError, match="n must be"):
        EELSSimulator().sample(0, seed=0)


@pytest.mark.parametrize("seed", ["a", 1.5, -1, True])
def test_bad_seed_is_a_value_error_naming_it(seed):
    with pytest.raises(ValueError, match="seed must be a non-negative int"):
        EELSSimulator().sample(5, seed=seed)


def test_numpy_integer_seed_samples_like_an_int():
    a, b = EELSSimulator().sample(5, seed=np.int64(2)), EELSSimulator().sample(5, seed=2)
    np.testing.assert_array_equal(a.spectra, b.spectra)


def test_whole_number_settings_may_be_floats():
    a = EELSSimulator().sample(20, seed=0)
    b = EELSSimulator(energy_min=50.0, window_width=(200.0, 1500.0)).sample(20, seed=0)
    np.testing.assert_array_equal(a.spectra, b.spectra)
    np.testing.assert_array_equal(a.window, b.window)


@pytest.mark.parametrize(("element", "name"), [("C", "K"), ("O", "K"), ("Si", "K")])
def test_rendered_edges_start_at_the_tabulated_onset(element, name):
    # one element, no shifts, no plural scattering, fine resolution, background removed:
    # the abrupt K edge rises at the table's onset; below it only fine-structure tails
    (onset,) = [e.onset_ev for e in edge_table() if e.element == element and e.name == name]
    simulator = EELSSimulator(
        energy_shift=(0.0, 0.0), chemical_shift=0.0, thickness=(1e-3, 1e-3),
        resolution=(0.05, 0.05), counts=(1e9, 1e9), background_removed=1.0,
    )  # fmt: skip
    n = 20
    comp = np.full((n, 4), -1)
    comp[:, 0] = ELEMENTS.index(element)
    frac = np.zeros((n, 4))
    frac[:, 0] = 1.0
    first, last = np.full(n, int(onset) - 80), np.full(n, int(onset) + 150)
    spectra = simulator._render(comp, frac, first, last, np.random.default_rng(0))
    start = int(onset)
    for y in spectra:
        level = np.median(y[start + 5 : start + 60])
        assert level > 0.1
        assert abs(np.argmax(y > 0.5 * level) - onset) <= 1.5
        assert np.abs(y[start - 70 : start - 15]).max() < 0.01 * level


@pytest.mark.parametrize("plasmon_energy", [15.0, 25.0])
def test_plural_scattering_puts_plasmon_losses_above_the_edge(plasmon_energy):
    core = np.zeros((1, N_CHANNELS))
    core[0, 1000] = 1.0
    thickness = 0.5
    out = _plural_scattering(
        core,
        thickness=np.array([thickness]),
        plasmon_energy=np.array([plasmon_energy]),
        plasmon_width=np.array([3.0]),
        resolution=np.array([0.5]),
    )[0]
    np.testing.assert_allclose(out.sum(), 1.0, rtol=1e-4)  # scattering conserves counts
    # Poisson weights: exp(-t) unscattered, the rest lost at E > 1000 eV, none gained
    np.testing.assert_allclose(out[995:1006].sum(), np.exp(-thickness), atol=0.01)
    np.testing.assert_allclose(out[1006:].sum(), 1 - np.exp(-thickness), atol=0.01)
    assert abs(out[:995].sum()) < 0.01
    peak = 1006 + np.argmax(out[1006 : 1000 + int(1.5 * plasmon_energy)])
    assert abs(peak - (1000 + plasmon_energy)) <= 1


def test_background_local_exponent_drifts_by_twice_dr():
    # documented: -d ln B / d ln E goes from r at the first channel to r + 2 dr at the last
    first, last, r, dr = 400.0, 1400.0, 3.0, 0.5
    energy = np.arange(first, last + 1)
    log_b = _log_power(np.log(energy / first), r, dr, np.log(last / first))
    local = -np.gradient(log_b, np.log(energy))
    np.testing.assert_allclose(local[[1, -2]], [r, r + 2 * dr], atol=0.01)


def test_delayed_edge_overshoot_reaches_about_half_the_step():
    # documented: a maximum about 2.5 widths above onset, up to 52 % above the step
    k = 2000
    steps = _steps(k, np.arange(k), np.full(k, 1000.0), np.ones(k), np.ones(k, int),
                   np.random.default_rng(0))  # fmt: skip
    rise = np.cumsum(steps, axis=1)
    np.testing.assert_allclose(rise[:, -1], 1.0, rtol=1e-6)
    assert 1.45 < rise.max() <= 1.53


def test_contamination_is_not_the_share_of_spectra_with_carbon():
    # documented: carbon also comes as an anion partner, and none is added to four elements
    carbon = ELEMENTS.index("C")
    share = {
        p: (EELSSimulator(contamination=p)._compositions(20000, np.random.default_rng(1))[0]
            == carbon).any(axis=1).mean()
        for p in (0.0, 0.1, 1.0)
    }  # fmt: skip
    assert 0.05 < share[0.0] < 0.09 and 0.13 < share[0.1] < 0.17 and 0.88 < share[1.0] < 0.94


@pytest.mark.parametrize(
    ("settings", "match"),
    [
        # labels use the tabulated onsets: a shift past edge_margin labelled undrawn edges
        (
            {"energy_shift": (-20.0, -20.0), "chemical_shift": 0.0},
            "raise edge_margin to at least 20",
        ),
        ({"energy_shift": (-5.0, 9.0)}, "narrow the shifts or raise edge_margin to at least 11"),
        # an onset at or below 0 eV made NaN jumps and a bare numpy "lam value too large"
        ({"energy_shift": (-30.0, 5.0), "edge_margin": 40.0}, "onsets must stay positive"),
    ],
)
def test_shifts_that_move_edges_too_far_are_refused(settings, match):
    with pytest.raises(ValueError, match=match):
        EELSSimulator(**settings).sample(5, seed=1)


def test_labelled_elements_have_a_drawn_major_edge_in_the_window():
    # the largest shifts edge_margin allows: every label still has a drawn edge inside
    shift, chemical = -8.0, 2.0
    b = EELSSimulator(window_width=(30, 60), energy_shift=(shift, shift), chemical_shift=chemical)
    batch = b.sample(2000, seed=0)
    t = _tables()
    for (first, last), row in zip(batch.window, batch.labels, strict=True):
        for j in np.flatnonzero(row):
            ids = t.by_element[j][t.by_element[j] >= 0]
            drawn = t.onset[ids][t.major[ids]] + shift
            assert ((drawn - chemical >= first) & (drawn + chemical <= last)).any()
