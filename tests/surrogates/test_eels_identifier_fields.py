"""Weights files whose stored fields are broken: refused in one typed line naming the file."""

import re

import pytest
import torch

from adaptive.errors import InvalidParameterError
from surrogates.eels_identifier import EELSIdentifier
from surrogates.eels_net import ARCHS, WEIGHTS_DIR

pytestmark = pytest.mark.skipif(
    not all((WEIGHTS_DIR / f"eels_{arch}.pt").is_file() for arch in ARCHS),
    reason=f"no committed EELS weights in {WEIGHTS_DIR}",
)
FIX = "adaptive train eels --out (train_eels_net) wrote"


@pytest.fixture(scope="module")
def unet() -> dict:
    return torch.load(WEIGHTS_DIR / "eels_unet.pt", weights_only=True)


def broken(unet: dict, field: str, value):
    """The committed U-Net's fields with ``field`` set to ``value`` (in ``validation`` for
    ``validation.<key>``)."""
    if field.startswith("validation."):
        return {**unet, "validation": {**unet["validation"], field.split(".")[1]: value}}
    return {**unet, field: value}


thresholds = torch.full((80,), 0.5, dtype=torch.float64)
probabilities = torch.full((10_000, 80), 0.5, dtype=torch.float16)


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("thresholds", [0.5] * 80, "a list, not a tensor of 80 probabilities"),
        ("thresholds", thresholds[:79], r"a tensor \(79,\) of float64, not a"),
        ("thresholds", thresholds[:1], r"a tensor \(1,\) of float64, not a"),
        ("thresholds", thresholds * 2, r"a tensor \(80,\) of float64, not a"),
        ("thresholds", thresholds.long(), r"a tensor \(80,\) of int64, not a"),
        ("validation", None, "None, not a dict of 'probabilities'"),
        ("validation", {}, "{}, not a dict"),
        ("validation.probabilities", probabilities[:, :79], r"\(10000, 79\) of float16, 'labels'"),
        ("validation.probabilities", probabilities[:99], r"a tensor \(99, 80\) of float16"),
        ("validation.probabilities", probabilities * float("nan"), "'probabilities': a tensor"),
        ("validation.labels", None, "'labels': None}, not a dict"),
        (
            "validation.labels",
            torch.zeros((10_000, 10), dtype=torch.uint8),
            r"\(10000, 10\) of uint8\}",
        ),
        (
            "validation.labels",
            torch.ones((10_000, 80), dtype=torch.uint8),
            r"\(10000, 80\) of uint8\}",
        ),
        ("metrics", None, "None, not a dict"),
        ("settings", ["unet"], "a list, not a dict"),
        ("arch", "vit", "'vit', not an EELS network"),
        ("arch", {"unet": 1}, "\\{'unet': 1\\}, not an EELS network"),
    ],
)
@pytest.mark.parametrize("alone", [True, False], ids=["alone", "in an ensemble"])
def test_a_stored_field_of_another_form_is_refused_in_one_line_naming_the_file(
    tmp_path, unet, field, value, match, alone
):
    # a list of thresholds raised AttributeError, a validation of None TypeError; a (1,)
    # tensor of thresholds was broadcast to every element, and a file's validation was
    # read only in an ensemble whose members share their validation labels
    path = tmp_path / "mine.pt"
    torch.save(broken(unet, field, value), path)
    paths = [path] if alone else [WEIGHTS_DIR / "eels_resnet.pt", path]
    with pytest.raises(
        InvalidParameterError,
        match=f"^{re.escape(str(path))} holds {field.split('.')[0]} .*{match}",
    ) as e:
        EELSIdentifier.from_files(paths)
    assert "\n" not in str(e.value) and str(e.value).endswith(FIX)


def test_a_copy_of_the_committed_weights_still_loads(tmp_path, unet):
    path = tmp_path / "copy.pt"
    torch.save(broken(unet, "metrics", {}), path)
    ensemble = EELSIdentifier.from_files([path, WEIGHTS_DIR / "eels_resnet.pt"])
    assert [member["arch"] for member in ensemble.metadata] == ["unet", "resnet"]
