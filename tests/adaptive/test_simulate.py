"""Helpers of the offline campaigns."""

import numpy as np

from adaptive.journal import Journal
from adaptive.records import Observation, Spectrum
from adaptive.simulate import best_droplets, simulate_xas, synthesis_space
from adaptive.space import Space


def test_best_droplets_match_a_recipe_whose_decoding_changes_its_floats():
    space = Space.from_dict(synthesis_space())
    points = space.from_unit(np.random.default_rng(0).uniform(size=(200, 5)))
    drifting = next(p for p in points if space.from_unit(space.to_unit([p]))[0] != p)
    other = next(p for p in points if p != drifting)
    observations = [
        Observation(point=point, value=1.0, spectrum=Spectrum([1.0, 2.0], [level, level]))
        for point, level in ((drifting, 1.0), (other, 2.0), (drifting, 3.0))
    ]
    droplets = best_droplets(space, space.to_unit([drifting])[0], observations)
    np.testing.assert_array_equal(droplets, [[1.0, 1.0], [3.0, 3.0]])


def test_random_scan_follows_the_seed(tmp_path):
    energies = []
    for seed in (1, 2, 1):
        out = tmp_path / str(len(energies))
        summary = simulate_xas(out, strategy="random", max_points=4, noise_counts=None, seed=seed)
        journal = Journal(summary["journal"])
        energies.append([o.point["energy"] for o in journal.observations(summary["campaign_id"])])
        journal.close()
    assert energies[0] == energies[2] != energies[1]
