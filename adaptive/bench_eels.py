"""Benchmark of the EELS element-identification networks.

A fixed simulated test set (the training simulator's distribution, seed ``TEST_SEED`` =
12345 by default, never ``VALIDATION_SEED`` or a network's training seed) scores each
committed network and their ensemble at the calibrated thresholds, and times it
(``spectra_per_s``: the median of ``TIMED_PASSES`` passes over the test set after one
untimed warm-up batch, so that the first network timed does not pay for torch's start-up
and one pass slowed by another process does not count; on ``torch_threads`` threads);
the measured spectra in ``shared/data/eels`` are identified and compared with their
labels: the elements of the edges listed in each EELSDB ``metadata.json`` (``"O_K"`` ->
O), and Mn and O for the eXSpy core-loss example.
Retrained weights files (``adaptive train eels --out``) can take the committed ones' place.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Sequence
from pathlib import Path

import torch
from tqdm import tqdm

from adaptive.errors import InvalidParameterError
from simulators.eels_files import EELSSpectrum, read_eels, to_channels
from surrogates.eels_identifier import (
    INFERENCE_BATCH,
    EELSIdentifier,
    identify_spectrum,
    score_identification,
)
from surrogates.eels_net import COMMITTED_NETWORKS, WEIGHTS_DIR
from surrogates.eels_training import TEST_SEED, VALIDATION_SEED, simulate_eels, spectra_in_memory

#: Labels of the eXSpy example, whose file carries none.
EXSPY_LABELS = {"exspy_coreloss_Mn_O.msa": ("Mn", "O")}
#: Timed passes over the test set per network; ``spectra_per_s`` is from their median.
TIMED_PASSES = 3


def real_spectra(data_dir: str | Path) -> list[tuple[Path, set[str], EELSSpectrum]]:
    """The labelled measured core-loss spectra, each read and put on the channels once to
    check it: ``[(file, {element, ...}, spectrum)]``.

    Raises:
        InvalidParameterError: ``data_dir`` holds none of them (the message names
            ``--data``), an EELSDB ``metadata.json`` is not a JSON object with an
            ``"edges"`` list of edge names (``_labelled_elements``), or a spectrum file
            cannot be read or put on the channels.
    """
    data_dir = Path(data_dir)
    out = [(data_dir / name, set(labels)) for name, labels in EXSPY_LABELS.items()]
    for meta in sorted(data_dir.glob("eelsdb/*/metadata.json")):
        out.append((meta.parent / "data.msa", _labelled_elements(meta)))
    found = [(path, labels) for path, labels in out if path.is_file()]
    if not found:
        raise InvalidParameterError(
            f"--data {data_dir}: no labelled EELS spectra there; pass the folder that holds "
            "them (shared/data/eels)"
        )
    spectra = []
    for path, labels in found:
        try:
            spectrum = read_eels(path)
            to_channels(spectrum.energy, spectrum.counts, source=str(path))
        except (ValueError, OSError) as err:  # simulators raise builtins only
            raise InvalidParameterError(
                f"--data {data_dir}: a spectrum there cannot be benchmarked: {err}"
            ) from None
        spectra.append((path, labels, spectrum))
    return spectra


def _labelled_elements(meta: Path) -> set[str]:
    """The elements of the edges an EELSDB ``metadata.json`` lists, e.g. ``{"edges":
    ["O_K", "Mn_L2,3"]}`` -> ``{"O", "Mn"}``; an ``InvalidParameterError`` naming the
    file and that form when it is not JSON or holds no such list."""
    form = 'a JSON object with an "edges" list of edge names, e.g. {"edges": ["O_K", "Mn_L2,3"]}'
    try:
        data = json.loads(meta.read_text())
    except ValueError as err:  # also a file that is not UTF-8 text
        raise InvalidParameterError(f"{meta} is not JSON ({err}); it must be {form}") from None
    if not isinstance(data, dict):
        raise InvalidParameterError(f"{meta} holds no JSON object; it must be {form}")
    edges = data.get("edges")
    if not isinstance(edges, list) or not all(isinstance(edge, str) for edge in edges):
        found = f'its "edges" are {json.dumps(edges)}' if "edges" in data else 'it has no "edges"'
        raise InvalidParameterError(f"{meta} must be {form}; {found}")
    return {edge.split("_")[0] for edge in edges}


def _method_names(members: Sequence[str]) -> list[str]:
    """One unique name per network: its name or path as given, with ``-2``, ``-3``, ...
    after one already taken by an earlier network or, when there are several, by their
    ``ensemble`` (a file named ``ensemble``, or one path given twice)."""
    taken = {"ensemble"} if len(members) > 1 else set()
    names = []
    for member in members:
        name, k = member, 1
        while name in taken:
            k += 1
            name = f"{member}-{k}"
        taken.add(name)
        names.append(name)
    return names


def bench_eels(
    n: int = 5000,
    seed: int = TEST_SEED,
    data_dir: str | Path | None = None,
    weights: Sequence[str | Path] | None = None,
    progress: bool = True,
) -> dict:
    """``{"n", "seed", "torch_threads", "methods": {name: figures}, "real": [...]}`` for
    each network and, when there are several, their ensemble.

    The figures are the scores of ``score_identification`` and ``spectra_per_s``.
    ``f1_weighted`` weighs each element's F1 by its labelled positives, so a false element
    labelled in no test spectrum costs it nothing (on a few spectra it can read 1.0 at a
    precision of 0.8); ``micro_f1`` counts every false element.

    The networks are the committed ones (``COMMITTED_NETWORKS``, named so) or those of the
    ``weights`` files (``adaptive train eels --out``), named by their paths as given
    (``_method_names``: a name already taken gets ``-2``, ``-3``, ...).
    ``real`` (with ``data_dir``) has one entry per measured spectrum, identified by the
    ensemble (by the one network when there is one): ``labelled`` and ``predicted``
    elements, ``missed`` (labelled, not predicted), ``false_elements`` (predicted, not
    labelled), and ``ok``, true only when predicted equals labelled. ``seed``,
    ``data_dir`` and ``weights`` are checked before the test set is simulated
    (``real_spectra`` reads every file), so a wrong one loses no run. ``progress`` shows
    a progress bar of the timed passes on stderr.

    Raises:
        InvalidParameterError: ``seed`` is ``VALIDATION_SEED`` (the spectra the thresholds
            were calibrated on) or a network's training seed (in its ``settings``: the
            test set would repeat the windows and most element sets of its training
            spectra, and with no ``augment`` the spectra too), ``real_spectra`` refuses
            ``data_dir``, a weights file cannot be loaded
            (``EELSIdentifier.from_files``), or the ``n`` test spectra do not fit in
            memory.
    """
    if seed == VALIDATION_SEED:
        raise InvalidParameterError(
            f"--seed {seed} is VALIDATION_SEED, the spectra the networks' thresholds and "
            f"ensemble weights were calibrated on; pass another seed, e.g. the default test "
            f"seed {TEST_SEED}"
        )
    real_files = None if data_dir is None else real_spectra(data_dir)
    load = EELSIdentifier.load if weights is None else EELSIdentifier.from_files
    members = COMMITTED_NETWORKS if weights is None else [str(path) for path in weights]
    names = _method_names(members)
    identifiers = {name: load([member]) for name, member in zip(names, members, strict=True)}
    for member, identifier in zip(members, identifiers.values(), strict=True):
        if identifier.metadata[0]["settings"].get("seed") == seed:
            path = WEIGHTS_DIR / f"eels_{member}.pt" if weights is None else member
            raise InvalidParameterError(
                f"--seed {seed} is the training seed of {path}: the test set would repeat the "
                "elements and windows of its training spectra (and with --overlap 0 the spectra "
                f"too); pass another seed, e.g. the default test seed {TEST_SEED}"
            )
    if len(members) > 1:
        identifiers["ensemble"] = load(members)
    with spectra_in_memory(f"--n {n} test spectra", n):
        batch = simulate_eels(n, seed)
    methods = {}
    passes = len(identifiers) * TIMED_PASSES
    with tqdm(total=passes, desc="timed passes", unit="pass", disable=not progress) as bar:
        for name, identifier in identifiers.items():
            bar.set_postfix_str(name)
            identifier.identify(batch.spectra[:INFERENCE_BATCH], batch.window[:INFERENCE_BATCH])
            seconds = []
            for _ in range(TIMED_PASSES):
                started = time.perf_counter()
                _, present = identifier.identify(batch.spectra, batch.window)
                seconds.append(time.perf_counter() - started)
                bar.update()
            methods[name] = {  # f1_weighted, micro_f1, precision, recall, exact_match
                **score_identification(present, batch.labels),
                "spectra_per_s": round(n / statistics.median(seconds), 1),
            }
    report = {"n": n, "seed": seed, "torch_threads": torch.get_num_threads(), "methods": methods}
    if real_files is not None:
        real, combined = [], list(identifiers.values())[-1]  # the ensemble, or the one network
        for path, labels, spectrum in real_files:
            found = set(identify_spectrum(spectrum, combined)["present"])
            real.append(
                {
                    "file": str(path),
                    "labelled": sorted(labels),
                    "predicted": sorted(found),
                    "missed": sorted(labels - found),
                    "false_elements": sorted(found - labels),
                    "ok": found == labels,
                }
            )
        report["real"] = real
    return report
