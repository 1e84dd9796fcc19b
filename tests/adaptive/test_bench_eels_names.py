"""Method names of ``bench eels``: one per network and the ensemble, none overwriting another."""

import shutil

import pytest

from adaptive.bench_eels import bench_eels
from surrogates.eels_net import ARCHS, WEIGHTS_DIR

pytestmark = pytest.mark.skipif(
    not all((WEIGHTS_DIR / f"eels_{arch}.pt").is_file() for arch in ARCHS),
    reason=f"no committed EELS weights in {WEIGHTS_DIR}",
)


def test_the_committed_networks_keep_their_names():
    assert list(bench_eels(20)["methods"]) == ["unet", "resnet", "ensemble"]


@pytest.mark.parametrize(
    ("weights", "names"),
    [
        (
            ["run1/unet.pt", "run2/unet.pt", "ensemble.pt"],
            ["run1/unet.pt", "run2/unet.pt", "ensemble.pt"],
        ),
        (
            ["ensemble", "run1/unet.pt", "run1/unet.pt"],
            ["ensemble-2", "run1/unet.pt", "run1/unet.pt-2"],
        ),
    ],
    ids=["same file name in two folders", "a file named ensemble, one path twice"],
)
def test_every_weights_file_gets_a_method_of_its_own(tmp_path, monkeypatch, weights, names):
    # a file named ensemble was overwritten by the ensemble, a path given twice by itself
    monkeypatch.chdir(tmp_path)
    for path in weights:
        (tmp_path / path).parent.mkdir(exist_ok=True)
        shutil.copy(WEIGHTS_DIR / "eels_unet.pt", tmp_path / path)
    methods = bench_eels(20, weights=weights)["methods"]
    assert list(methods) == [*names, "ensemble"]
    unet = bench_eels(20, weights=["run1/unet.pt"])["methods"]["run1/unet.pt"]
    for name in names:  # each the U-Net it names, not the ensemble
        assert methods[name]["f1_weighted"] == unet["f1_weighted"]
