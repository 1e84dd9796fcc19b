"""Analysis steps a campaign runs on each incoming spectrum, turning it into features.

A campaign config may hold ``"analysis": {"name": ..., "options": {...}, "value": FEATURE}``:
every observed spectrum is analysed, its features are journaled in the observation's
metadata (``metadata["features"]``), and with ``value`` set that feature becomes the
observation's objective value. A new campaign journals its weights files' SHA-256 too
(``pin_weights``), and refuses spectra after a restart once one has changed.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from adaptive.errors import InvalidParameterError
from adaptive.options import check_keys, check_options, did_you_mean
from adaptive.records import Spectrum

#: Features an undefined value's error lists by name, at most; more (the elements
#: analysis gives 85) are counted: their names buried the reason.
MAX_LISTED = 20


def _energy_in_ev(
    spectrum: Spectrum, task: str, axis: str, ascending: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """``(x in eV, y)``, each (n,), ordered by increasing x (as sent, unless
    ``ascending``), of a spectrum whose x is an
    energy in its ``x_units`` (``simulators.text_files.ev_per``): a label with eV, keV or
    meV in it (``Binding Energy / eV``, ``eV (BE)``), or one naming only the energy (``BE``,
    ``binding energy``, '') for eV.

    Args:
        spectrum: the spectrum.
        task: what the analysis does, for the message ("fit peaks").
        axis: what x is, for the message ("binding energy").

    Raises:
        InvalidParameterError: ``x_units`` naming kinetic energy
            (``simulators.xps_files.KINETIC``: neither a binding energy nor an energy loss,
            whatever its unit), or another unit (``simulators.text_files.ev_per``).
    """
    from simulators.text_files import ENERGY_UNITS, ev_per
    from simulators.xps_files import KINETIC

    units = spectrum.x_units
    refused = (
        f"cannot {task} in a spectrum with x_units={units!r}: x is {axis} in {ENERGY_UNITS}, "
        "or '' for eV"
    )
    if KINETIC.search(units):
        raise InvalidParameterError(
            f"{refused}, and kinetic energy is not {axis}; convert x to {axis} and send "
            "x_units='eV'"
        )
    try:
        scale = ev_per(units)
    except ValueError:  # simulators raise builtins only (they import nothing of ours)
        raise InvalidParameterError(f"{refused}; convert x to eV and send x_units='eV'") from None
    x, y = spectrum.ascending() if ascending else (spectrum.x, spectrum.y)
    return x * scale, y


class PeakAnalysis:
    """XPS peak fit (network + least squares): ``n_peaks``, ``center_i``, ``area_i``,
    ``area_ratio_i`` with peaks in order of binding energy, and with ``regions``
    ``area_<name>`` and ``area_fraction_<name>`` (``PeakFitResult.features``; NaN for a
    region wholly outside the spectrum's window), and ``warnings``, the fit's sentences on
    lines it left out and on regions outside the window (a list, empty when there are
    none; not a value). x is binding energy in the spectrum's ``x_units``
    (``_energy_in_ev``), either order; x of channel numbers, 0, 1, ... or 1, 2, ... in
    steps of 1 whatever its ``x_units`` (``simulators.text_files.refuse_channel_axis``),
    is refused, and a campaign journals nothing of such a put (see ``energy_axis``).

    The index features follow the fit's peak order: one more small peak found renumbers
    the rest, so ``area_1`` may be another line in each spectrum. Region features name a
    binding-energy window and are stable; prefer them as the value.

    Args:
        max_peaks: most peaks per spectrum (1..5).
        asymmetry: refine each peak's asymmetry too (a metal's asymmetric line; ``adaptive
            fit peaks --asymmetry``).
        basin_hopping: refine with basin hopping too.
        poisson_weights: weight points as Poisson counts; false for spectra that are not
            counts (background-subtracted or smoothed), whose noise has one level.
        doublets: try spin-orbit doublet fits too; false for s levels (C 1s, O 1s).
        regions: named binding-energy windows, eV, e.g. ``{"main": [930, 936], "sat":
            [938, 946]}`` (``surrogates.peak_result.check_regions``: one that reads as keV,
            such as ``[0.938, 0.946]``, is refused here, before any spectrum).
        weights: path of a peak-network weights file (``adaptive train peakfit --out``) on
            the server; None for the committed weights.
    """

    name = "peak_fit"

    def __init__(
        self,
        max_peaks: int = 5,
        asymmetry: bool = False,
        basin_hopping: bool = False,
        poisson_weights: bool = True,
        doublets: bool = True,
        regions: dict | None = None,
        weights: str | None = None,
    ):
        from surrogates.peak_fitter import PeakFitter
        from surrogates.peak_net import PeakNetPredictor
        from surrogates.peak_result import check_regions

        self.regions = None if regions is None else check_regions(regions)
        if weights is not None and not isinstance(weights, str):
            raise InvalidParameterError(
                "weights is the path of a peak-network weights file, or null for the "
                f"committed one, got {weights!r}"
            )
        predictor = PeakNetPredictor.load(weights)
        self.fitter = PeakFitter(
            predictor=predictor,
            max_peaks=max_peaks,
            asymmetry=asymmetry,
            basin_hopping=basin_hopping,
            poisson_weights=poisson_weights,
            doublets=doublets,
        )

    def feature_names(self) -> set[str]:
        """Every feature a fit may give: the per-peak ones for up to ``max_peaks`` peaks,
        ``splitting`` and ``doublet_ratio`` for a doublet fit, two per region."""
        per_peak = (
            f"{feature}_{i}"
            for feature in ("center", "area", "area_ratio")
            for i in range(self.fitter.max_peaks)
        )
        per_region = (
            f"{feature}_{name}"
            for feature in ("area", "area_fraction")
            for name in self.regions or ()
        )
        return {"n_peaks", "splitting", "doublet_ratio", *per_peak, *per_region}

    @staticmethod
    def why_undefined(name: str, features: dict[str, Any]) -> str:
        """Why ``features`` (this step's, of one spectrum) leave feature ``name`` undefined."""
        return f"the fit found n_peaks={features['n_peaks']:g}"

    def energy_axis(self, spectrum: Spectrum) -> tuple[np.ndarray, np.ndarray]:
        """``(x in eV, y)``, each (n,), as sent, of a spectrum whose x is binding energy.

        Raises:
            InvalidParameterError: its ``x_units`` are no binding energy in eV or keV
                (``_energy_in_ev``), or its x are channel numbers: the driver's axis, not
                the sample, so a campaign refuses it before scoring.
        """
        from simulators.text_files import refuse_channel_axis
        from simulators.xps_files import CALIBRATE_BINDING

        # as sent: the fit refuses an x out of order, naming the point by its index there
        sent, counts = _energy_in_ev(spectrum, "fit peaks", "binding energy", ascending=False)
        fix = "send x as binding energy in eV (x_units='eV')"
        try:
            refuse_channel_axis(np.sort(sent), "", fix, CALIBRATE_BINDING)
        except ValueError as err:  # the simulators raise builtins only
            raise InvalidParameterError(f"cannot fit peaks in this spectrum: {err}") from None
        return sent, counts

    def __call__(self, spectrum: Spectrum) -> dict[str, float | list[str]]:
        """Features of a spectrum whose x is binding energy (``energy_axis``), and the fit's
        ``warnings`` (a list, empty when there are none; not a value)."""
        sent, counts = self.energy_axis(spectrum)
        energy = np.sort(sent)
        result = self.fitter.fit(sent, counts)
        features = result.features(self.regions)
        warnings = list(result.warnings)
        for name, (low, high) in (self.regions or {}).items():
            if low <= energy[-1] and high >= energy[0]:  # at least partly inside: its area
                continue
            # not 0, which a campaign would learn as a measured area
            features[f"area_{name}"] = features[f"area_fraction_{name}"] = math.nan
            warnings.append(
                f"region {name!r} [{low:g}, {high:g}] eV lies outside the spectrum's window "
                f"{energy[0]:g}-{energy[-1]:g} eV, so area_{name} and area_fraction_{name} are "
                "undefined: regions are binding energies in eV whatever x_units is; if x is "
                "kinetic energy, convert it to binding energy; if the regions are in keV, give "
                "them in eV"
            )
        return {**features, "warnings": warnings}


#: The committed networks an ``elements`` analysis uses by default: those of
#: ``surrogates.eels_net.COMMITTED_NETWORKS``, not imported here (it would load torch
#: with this module).
COMMITTED_NETWORKS = ("unet", "resnet")


def _strings(option: str, value, expected: str) -> tuple[str, ...]:
    """The option's strings: one, or a non-empty list of them.

    Raises:
        InvalidParameterError: anything else; the message says the option is ``expected``.
    """
    value = [value] if isinstance(value, str) else value
    if (
        not isinstance(value, list | tuple)
        or not value
        or not all(isinstance(v, str) for v in value)
    ):
        raise InvalidParameterError(f"{option} is {expected}, got {value!r}")
    return tuple(value)


class ElementAnalysis:
    """EELS element identification (``surrogates.eels_identifier.identify_spectrum``):
    ``p_<element>`` probabilities and ``n_elements`` above the calibrated thresholds (x
    is energy loss, in the spectrum's ``x_units``: eV, keV, or none for eV); ``present``,
    the symbols of those elements, highest probability first; ``has_edge_in_window``,
    the elements with a major edge inside the window ``window_ev`` (first, last eV): the
    ``p_<element>`` of any other is undefined (null), as the networks cannot see it; and
    ``warnings``, the sentences of ``surrogates.eels_checks.domain_warnings`` on where
    the spectrum leaves the trained range (lists, empty when there are none; not
    values). A spectrum whose x is
    channel numbers, 0, 1, ... or 1, 2, ... in steps of 1 whatever its ``x_units``
    (``simulators.text_files.refuse_channel_axis``), or whose ``x_units`` name binding or
    kinetic energy (``simulators.eels_files.XPS_ENERGY``: an XPS spectrum), is refused, as
    are those it cannot place; a campaign journals nothing of the first two (see
    ``energy_axis``) and keeps the last as ``analysis_failed``.

    Args:
        networks: names of the committed networks in the ensemble, e.g.
            ``["unet", "resnet"]``, or one name such as ``"unet"``; None for
            ``COMMITTED_NETWORKS``.
        weights: path of an EELS weights file (``adaptive train eels --out``) on the
            server, or a list of them for an ensemble, in place of ``networks`` (a weights
            file carries its architecture); None for the committed networks.

    Raises:
        InvalidParameterError: both ``networks`` and ``weights``, either of another form,
            or networks that cannot be loaded (``EELSIdentifier.load``, ``from_files``).
    """

    name = "elements"
    takes_missing_channels = True  # NaN or inf counts, as ``adaptive identify`` takes them

    def __init__(
        self,
        networks: str | Sequence[str] | None = None,
        weights: str | Sequence[str] | None = None,
    ):
        from surrogates.eels_identifier import EELSIdentifier

        if networks is not None and weights is not None:
            raise InvalidParameterError(
                f"give networks {networks!r} (committed) or weights {weights!r} (files), not "
                "both: a weights file carries its architecture; leave out networks to use the "
                "weights files, or weights to use the committed networks"
            )
        if weights is None:
            if networks is not None:
                networks = _strings(
                    "networks",
                    networks,
                    'a list such as ["unet", "resnet"] or one name such as "unet"',
                )
            self.identifier = EELSIdentifier.load(networks or COMMITTED_NETWORKS)
        else:
            weights = _strings(
                "weights",
                weights,
                "the path of an EELS weights file (adaptive train eels --out) on the server, a "
                "list of them for an ensemble, or null for the committed networks",
            )
            self.identifier = EELSIdentifier.from_files(weights)

    def feature_names(self) -> set[str]:
        """``n_elements`` and ``p_<element>`` for every element the networks know."""
        from simulators.eels import ELEMENTS

        return {"n_elements", *(f"p_{el}" for el in ELEMENTS)}

    @staticmethod
    def why_undefined(name: str, features: dict[str, Any]) -> str:
        """Why ``features`` (this step's, of one spectrum) leave ``p_<element>`` ``name``
        undefined: the element has no edge in the window; its major edges are named."""
        from simulators.eels import edge_table

        first, last = features["window_ev"]
        shown = ", ".join(features["has_edge_in_window"]) or "none"
        symbol = name.removeprefix("p_")
        names: dict[float, list[str]] = {}  # onset -> edges (M2 and M3 of Ni at 68 eV)
        for edge in edge_table():
            if edge.element == symbol and edge.major:
                names.setdefault(edge.onset_ev, []).append(edge.name)
        edges = [f"{'/'.join(n)} {onset:g}" for onset, n in names.items()]
        held = f"{', '.join(edges[:-1])} or {edges[-1]}" if len(edges) > 1 else "".join(edges)
        return (
            f"{symbol} has no major edge inside its window, {first}-{last} eV (elements with "
            f"one: {shown}); measure a window holding {symbol}'s "
            + (f"{held} eV edge" if edges else "edges")
        )

    def energy_axis(self, spectrum: Spectrum) -> tuple[np.ndarray, np.ndarray]:
        """``(x in eV, y)``, each (n,), x ascending, of a spectrum whose x is energy loss.

        Raises:
            InvalidParameterError: its ``x_units`` name an XPS axis or no energy in eV or
                keV (``_energy_in_ev``), or its x are channel numbers: the driver's axis,
                not the sample, so a campaign refuses it before scoring.
        """
        from simulators.eels_files import XPS_ENERGY
        from simulators.text_files import refuse_channel_axis

        if XPS_ENERGY.search(spectrum.x_units):
            raise InvalidParameterError(
                f"cannot identify elements in a spectrum with x_units={spectrum.x_units!r}: "
                "x is an XPS axis (binding or kinetic energy), not energy loss; send an EELS "
                "spectrum, x the energy loss in eV (x_units='eV'), or fit XPS peaks with the "
                f"{PeakAnalysis.name!r} analysis"
            )
        energy, counts = _energy_in_ev(spectrum, "identify elements", "energy loss")
        try:
            refuse_channel_axis(energy, "", "send x in eV (x_units='eV')")
        except ValueError as err:  # the simulators raise builtins only
            raise InvalidParameterError(
                f"cannot identify elements in this spectrum: {err}"
            ) from None
        return energy, counts

    def __call__(self, spectrum: Spectrum) -> dict[str, float | list[str]]:
        from simulators.eels import ELEMENTS
        from simulators.eels_files import EELSSpectrum
        from surrogates.eels_identifier import identify_spectrum

        energy, counts = self.energy_axis(spectrum)
        kev_fix = "send x_units='keV' with the spectrum (or x in eV)"
        try:
            result = identify_spectrum(
                EELSSpectrum(energy, counts, {}, ""), self.identifier, kev_fix
            )
        except ValueError as err:  # InvalidParameterError, or the simulators' builtin one
            raise InvalidParameterError(
                f"cannot identify elements in this spectrum: {err}"
            ) from None
        shown = result["has_edge_in_window"]
        return {
            "n_elements": float(len(result["present"])),
            **{
                f"p_{el}": result["probabilities"][el] if el in shown else math.nan
                for el in ELEMENTS
            },
            "present": result["present"],
            "has_edge_in_window": shown,
            "window_ev": list(result["window"]),
            "warnings": result["warnings"],
        }


ANALYSES = {cls.name: cls for cls in (PeakAnalysis, ElementAnalysis)}


def _sha256(path: str) -> str:
    """The hex SHA-256 of a file's bytes."""
    with open(path, "rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def pin_weights(config: Any) -> Any:
    """``config`` as a new campaign journals it: the paths of its ``weights`` option made
    absolute (from the working folder), so a server restarted from another folder finds
    the files, and ``weights_sha256``, each readable file's SHA-256 by path, so a file
    retrained in place since is refused on resume (``Analysis``) rather than mixing two
    networks in one campaign; any other config unchanged (``Analysis`` checks it).

    Raises:
        InvalidParameterError: a config giving ``weights_sha256`` itself.
    """
    if isinstance(config, dict) and "weights_sha256" in config:
        raise InvalidParameterError(
            "weights_sha256 is recorded by the server when it creates a campaign (the SHA-256 "
            "of each weights file); leave it out of the analysis config"
        )
    options = config.get("options") if isinstance(config, dict) else None
    weights = options.get("weights") if isinstance(options, dict) else None
    if isinstance(weights, str):
        weights = os.path.abspath(weights)
        paths = [weights]
    elif isinstance(weights, list) and weights and all(isinstance(w, str) for w in weights):
        weights = paths = [os.path.abspath(w) for w in weights]
    else:
        return config
    hashes = {}
    for path in paths:
        try:
            hashes[path] = _sha256(path)
        except OSError:  # Analysis says why it cannot load the file
            pass
    return {**config, "options": {**options, "weights": weights}, "weights_sha256": hashes}


def _check_weights_unchanged(config: dict) -> None:
    """Refuse a weights file whose SHA-256 is not the one ``pin_weights`` recorded; a
    config with none recorded (journaled before they were) passes.

    Raises:
        InvalidParameterError: naming each changed file and both hashes' first 12 digits.
    """
    changed = [
        f"{path} (SHA-256 {recorded[:12]} then, {current[:12]} now)"
        for path, recorded in (config.get("weights_sha256") or {}).items()
        if (current := _sha256(path)) != recorded
    ]
    if changed:
        raise InvalidParameterError(
            f"the weights file {'; '.join(changed)} changed since the campaign was created, "
            "so its spectra would be analysed by another network"
        )


def _unidentified(step: Any, value: str) -> str:
    """For an elements ``step`` asked for ``p_<symbol>`` of an element the networks do not
    identify (``OTHER_ELEMENTS``, any case): which they do, rather than a near symbol
    (p_H was asked whether it meant p_Rh); else ''."""
    from simulators.eels import ELEMENTS, OTHER_ELEMENTS

    symbol = value.removeprefix("p_").lower()
    if not isinstance(step, ElementAnalysis) or symbol not in {e.lower() for e in OTHER_ELEMENTS}:
        return ""
    return (
        f" (the networks identify {ELEMENTS[0]} to {ELEMENTS[-1]}, Z = 4 to 83, so not "
        f"{value.removeprefix('p_')})"
    )


def _region_advice(step: Any, value: str) -> str:
    """For a peak fit ``step`` asked for ``value``, a feature it does not give, that is
    ``area_<name>`` or ``area_fraction_<name>``: how to define region ``name``; else ''."""
    from surrogates.peak_result import check_regions

    region = re.fullmatch(r"area_(?:fraction_)?(.+)", value)
    if not isinstance(step, PeakAnalysis) or region is None:
        return ""
    name = region[1]
    try:  # a name a region may have (not area_2's 2, nor area_ratio_2's ratio_2)
        check_regions({name: [0.0, 1.0]})
    except InvalidParameterError:
        return ""
    window = f'"{name}": [LOW, HIGH]'
    add = (
        f'add {window} to the "regions" option, which names only {sorted(step.regions)}'
        if step.regions
        else f'add "regions": {{{window}}} to the options'
    )
    return (
        f"; no region {name!r} is defined: for the area of the peaks in a window, {add} "
        "(LOW, HIGH: binding energies, eV)"
    )


class Analysis:
    """An analysis step built from its config; call it on a spectrum for features and value.

    Args:
        config: ``{"name": one of ANALYSES, "options": {...}, "value": feature or None}``,
            and in a journaled campaign's, ``weights_sha256`` (``pin_weights``).
        resumed: the config is a journaled campaign's: one whose networks no longer load
            (a weights file moved) is built all the same, and refuses each spectrum saying
            why, so the campaign can still be read and stopped; so is one whose weights
            file changed since the campaign was created (``weights_sha256``): a retrained
            network would mix two networks' features in one campaign.
    """

    def __init__(self, config: Any, resumed: bool = False):
        if (
            not isinstance(config, dict)
            or not isinstance(config.get("name"), str)
            or config["name"] not in ANALYSES
        ):
            raise InvalidParameterError(
                f'an analysis is {{"name": one of {sorted(ANALYSES)}, "options": {{...}}, '
                f'"value": feature name or null}}, got {config!r}'
            )
        given = {key: v for key, v in config.items() if key != "weights_sha256"}  # the server's
        check_keys(given, ("name", "options", "value"), "analysis config")
        self.config = config
        self.value = config.get("value")
        if self.value is not None and not isinstance(self.value, str):
            raise InvalidParameterError(
                f"the analysis value is a feature name (a string) or null, got {self.value!r}"
            )
        cls, what = ANALYSES[config["name"]], f"analysis {config['name']!r}"
        options = check_options(cls, config.get("options"), what)
        #: whether the step reads a spectrum whose y holds NaN or inf (missing channels)
        self.takes_missing_channels = getattr(cls, "takes_missing_channels", False)
        self.unavailable: str | None = None  # why the step cannot run, on resume
        try:
            self.step = cls(**options)
            _check_weights_unchanged(config)
        except TypeError as err:
            raise InvalidParameterError(f"{what}: {err}") from None
        except InvalidParameterError as err:
            if not resumed:
                raise
            self.unavailable = (
                f"the {what} cannot run on this server: {err}; restore what it names and "
                "restart the server, or start a new campaign"
            )
            return
        names = self.step.feature_names()
        if self.value is not None and self.value not in names:
            guess = _unidentified(self.step, self.value) or did_you_mean(self.value, names)
            raise InvalidParameterError(
                f"the {config['name']} analysis gives no feature {self.value!r}{guess}; "
                f"value names one of {sorted(names)}, or is null"
                f"{_region_advice(self.step, self.value)}"
            )

    def check_axis(self, spectrum: Spectrum) -> None:
        """Refuse a spectrum the step cannot read for a reason of the server's or the
        driver's, not the sample's: the step is ``unavailable``, or the x axis is in other
        units or channel numbers (see the step's ``energy_axis``).

        Raises:
            InvalidParameterError: saying what to restore or send instead.
        """
        if self.unavailable is not None:
            raise InvalidParameterError(self.unavailable)
        self.step.energy_axis(spectrum)

    def __call__(self, spectrum: Spectrum) -> tuple[dict[str, Any], float | None]:
        """The spectrum's features and, when ``value`` names one, the objective value. A
        feature the spectrum leaves undefined (NaN: a region's area fraction in a fit with
        no peaks) is None, which the journal and a reply carry as null."""
        if self.unavailable is not None:
            raise InvalidParameterError(self.unavailable)
        features = {
            name: None if isinstance(v, float) and not np.isfinite(v) else v
            for name, v in self.step(spectrum).items()
        }
        if self.value is None:
            return features, None
        value = features.get(self.value)
        if value is None or not np.isfinite(value):
            why = "undefined for it" if self.value in features else "not among its features"
            why += f": {self.step.why_undefined(self.value, features)}"
            warned = "; ".join(features.get("warnings") or [])
            fix = f"it warned: {warned}; fix that, or pick" if warned else "pick"
            listed = sorted(features) if len(features) <= MAX_LISTED else f"{len(features)}"
            raise InvalidParameterError(
                f"the {self.config['name']} analysis gave no finite {self.value!r} for this "
                f"spectrum ({why}; features: {listed}); {fix} a feature every spectrum has"
            )
        return features, float(value)
