"""An ensemble of small neural networks that predicts a whole spectrum from a recipe.

The "two-step" approach of Mekki-Berrada et al., npj Comput. Mater. 7, 55 (2021): a
network learns recipe -> absorbance spectrum from a campaign's own data (tens to a
few hundred recipes); the spread of an ensemble gives the uncertainty; a batch is then
proposed by minimising the loss of the predicted spectra.

How a fit works:

1. Standardise every wavelength (mean 0, std 1 over the training spectra).
2. Compress the standardised spectra with PCA (numpy SVD) to
   ``k = min(n_components, n - 1, w)`` scores. With tens of samples, a network with
   hundreds of outputs has far more output weights than data points; the spectra are
   smooth and a handful of components capture nearly all of their variance (a spectrum
   of two plasmon bands moving and growing needs about ten), so the network only has to
   learn ``k`` numbers per recipe. ``n - 1`` is the most components ``n`` centred
   samples span, ``w`` the most that spectra of ``w`` points have.
3. Train ``n_members`` MLPs ``d' -> hidden -> hidden -> k`` (SiLU), each with its own
   seeded initialisation on its own bootstrap resample of the recipes, full-batch Adam
   with L2 weight decay, MSE on the PCA scores. Because the basis is orthonormal, that
   MSE is the reconstruction error in standardised-spectrum units (up to the constant
   the dropped components leave), so components count by the variance they explain.
   The members are stacked into batched weight tensors and trained in one loop; Adam
   and the loss act on each member's weights separately, so this is the same as
   training them one after another, only faster. The ``d'`` inputs are the recipe's
   columns centred to [-1, 1], a categorical factor of more than two choices one-hot
   (``choices``, ``surrogates.one_hot``): as one column, ``index / (k - 1)``, the order
   of its list would make some choices neighbours.

Everything is deterministic given ``seed``: randomness comes from per-member
``torch.Generator`` and ``numpy`` generators, never from the global RNGs, and torch
runs on one thread during the fit (for networks this small extra threads only contend),
restoring the caller's thread count afterwards.
"""

from __future__ import annotations

import numpy as np
import torch

from adaptive.arrays import check_int, finite_matrix, is_finite_real
from adaptive.errors import InvalidParameterError
from surrogates.one_hot import one_hot, one_hot_columns
from surrogates.seeds import derived_seed
from surrogates.threads import one_torch_thread

DTYPE = torch.float32


def _as_matrix(name: str, value, row: str, columns: int | None = None) -> np.ndarray:
    """A finite float (rows, columns) copy of ``value`` or an ``InvalidParameterError``.

    ``row`` names what one row holds ("recipe", "spectrum") in the messages.
    """
    a = finite_matrix(name, value, row)
    if columns is not None and a.shape[1] != columns:
        raise InvalidParameterError(
            f"{name} must have {columns} columns like the training data, got shape {a.shape}"
        )
    return a


def _check_unit(name: str, x: np.ndarray) -> None:
    """Raise unless every entry of ``x`` lies in [0, 1]."""
    out = (x < 0.0) | (x > 1.0)
    if out.any():
        i, j = np.argwhere(out)[0]
        raise InvalidParameterError(
            f"{name}[{i}, {j}] = {x[i, j]} is outside [0, 1]; scale recipes to the unit "
            "cube by their bounds first (e.g. ``Space.to_unit``)"
        )


def _check_float(name: str, value, low: float, strict: bool) -> float:
    """``value`` as a float, or an error unless it is a finite real number ``> low``
    (``>= low`` when not ``strict``); a string such as ``"0.1"`` or a bool is not one."""
    if not is_finite_real(value) or not (value > low if strict else value >= low):
        sign = ">" if strict else ">="
        raise InvalidParameterError(f"{name} must be a finite number {sign} {low}, got {value!r}")
    return float(value)


class SpectrumNet:
    """Bootstrap ensemble of MLPs mapping a recipe in ``[0, 1]^d`` to a spectrum.

    Example:
        >>> net = SpectrumNet(seed=0).fit(x, spectra)      # x: n x d, spectra: n x w
        >>> mean, std = net.predict(x_new)                 # each m x w
        >>> net.score(x_batch, spectra_batch)              # R² of the batch

    Args:
        n_members: networks in the ensemble (>= 1; with 1 the std is zero).
        hidden: width of both hidden layers.
        n_components: most PCA components kept (capped at ``n - 1`` and ``w`` by the
            data).
        epochs: full-batch Adam steps.
        lr: Adam learning rate.
        weight_decay: L2 weight decay of Adam (>= 0).
        seed: seed of the initialisations and bootstrap resamples.
        choices: ``{column: number of choices}`` of the categorical columns of ``x``
            (``Space.choice_counts``); those of more than two choices enter one-hot.

    Attributes (after ``fit``):
        n_components_: the number of PCA components used,
            ``min(n_components, n - 1, w)`` for ``n`` spectra of ``w`` points.
        explained_variance_ratio_: (n_components_,) fraction of the standardised
            spectra's variance each kept component explains.
        n_features_in_: ``d``; n_outputs_: ``w``.
    """

    def __init__(
        self,
        n_members: int = 5,
        hidden: int = 64,
        n_components: int = 12,
        epochs: int = 400,
        lr: float = 3e-3,
        weight_decay: float = 1e-4,
        seed: int = 0,
        choices: dict[int, int] | None = None,
    ) -> None:
        self.n_members = n_members
        self.hidden = hidden
        self.n_components = n_components
        self.epochs = epochs
        self.lr = lr
        self.weight_decay = weight_decay
        self.seed = seed
        self.choices = choices

    # ------------------------------------------------------------------ fit

    def _check_settings(self) -> None:
        check_int("n_members", self.n_members, 1)
        check_int("hidden", self.hidden, 1)
        check_int("n_components", self.n_components, 1)
        check_int("epochs", self.epochs, 1)
        check_int("seed", self.seed, 0)
        _check_float("lr", self.lr, 0.0, strict=True)
        _check_float("weight_decay", self.weight_decay, 0.0, strict=False)

    def fit(self, x: np.ndarray, spectra: np.ndarray) -> SpectrumNet:
        """Learn recipe -> spectrum.

        Args:
            x: (n, d) recipes scaled to ``[0, 1]``, n >= 3.
            spectra: (n, w) measured spectra on a common axis.

        Returns:
            self.

        Raises:
            InvalidParameterError: a bad setting (``choices`` too: it must map columns
                of ``x`` to numbers of choices), wrong shapes, non-finite values, ``x``
                outside ``[0, 1]`` or fewer than 3 recipes.
        """
        self._check_settings()
        x = _as_matrix("x", x, "recipe")
        _check_unit("x", x)
        y = _as_matrix("spectra", spectra, "spectrum")
        n, d = x.shape
        if y.shape[0] != n:
            raise InvalidParameterError(
                f"x has {n} rows but spectra has {y.shape[0]}; give one spectrum per recipe"
            )
        if n < 3:
            raise InvalidParameterError(
                f"fit needs at least 3 recipes with spectra, got {n}; measure more first"
            )
        if d < 1 or y.shape[1] < 1:
            raise InvalidParameterError(
                f"x and spectra need at least one column, got shapes {x.shape} and {y.shape}"
            )
        self._one_hot = one_hot_columns(self.choices, d)

        # 1. standardise per wavelength (a constant wavelength: scale 1, exactly zero)
        self._y_mean = y.mean(axis=0)
        scale = y.std(axis=0)
        varying = scale > 1e-12 * max(1.0, np.abs(y).max())
        self._y_scale = np.where(varying, scale, 1.0)
        z = np.where(varying, (y - self._y_mean) / self._y_scale, 0.0)

        # 2. PCA by SVD of the centred, standardised spectra
        _, s, vt = np.linalg.svd(z, full_matrices=False)
        k = min(self.n_components, n - 1, vt.shape[0])
        total = float((s**2).sum())
        # (k, w), orthonormal rows; identical spectra leave only the mean to predict
        self._basis = vt[:k] if total > 0 else np.zeros_like(vt[:k])
        scores = z @ self._basis.T  # (n, k)
        self.explained_variance_ratio_ = (s[:k] ** 2) / total if total > 0 else np.zeros(k)
        # one common scale keeps the targets O(1) without reweighting components
        self._score_scale = float(np.sqrt((scores**2).sum(axis=1).mean())) or 1.0
        targets = scores / self._score_scale

        self.n_features_in_ = d
        self.n_outputs_ = y.shape[1]
        self.n_components_ = k
        with one_torch_thread():
            self._weights = self._train(x, targets)
        return self

    def _init_members(self, d: int, k: int) -> list[torch.Tensor]:
        """Batched weights (members first) for recipes of ``d`` columns, each member from
        its own generator.

        Uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)) like ``torch.nn.Linear``; the one-hot
        inputs of a factor's choices start from the same weights (its first one's), so no
        choice starts apart from the others and the fit does not depend on their order.
        """
        widths = [self._one_hot.get(j, 1) for j in range(d)]
        starts = np.cumsum([0, *widths[:-1]])
        first = torch.as_tensor(np.repeat(starts, widths))  # (d',) its column's first input
        sizes = [(len(first), self.hidden), (self.hidden, self.hidden), (self.hidden, k)]
        per_member = []
        for m in range(self.n_members):
            g = torch.Generator().manual_seed(derived_seed(self.seed, m, 1))
            tensors = []
            for fan_in, fan_out in sizes:
                bound = 1.0 / np.sqrt(fan_in)
                w = (torch.rand(fan_in, fan_out, generator=g, dtype=DTYPE) * 2 - 1) * bound
                b = (torch.rand(1, fan_out, generator=g, dtype=DTYPE) * 2 - 1) * bound
                tensors += [w, b]
            tensors[0] = tensors[0][first]
            per_member.append(tensors)
        return [torch.stack(ts).requires_grad_() for ts in zip(*per_member, strict=True)]

    def _train(self, x: np.ndarray, targets: np.ndarray) -> list[torch.Tensor]:
        n = len(x)
        k = targets.shape[1]
        rows = np.stack(
            [
                np.random.default_rng([self.seed, m, 2]).integers(0, n, n)
                for m in range(self.n_members)
            ]
        )  # (members, n) bootstrap resamples
        xb = self._encode(x[rows])  # (members, n, d')
        tb = torch.as_tensor(targets[rows], dtype=DTYPE)  # (members, n, k)
        weights = self._init_members(x.shape[1], k)
        opt = torch.optim.Adam(weights, lr=float(self.lr), weight_decay=float(self.weight_decay))
        for _ in range(self.epochs):
            opt.zero_grad()
            # mean over rows and outputs per member, summed over members: each member's
            # gradient is that of its own MSE
            loss = ((self._forward(weights, xb) - tb) ** 2).mean(dim=(1, 2)).sum()
            loss.backward()
            opt.step()
        return [w.detach() for w in weights]

    def _encode(self, x: np.ndarray) -> torch.Tensor:
        """Recipes (..., d) in [0, 1] -> first-layer inputs (..., d') in [-1, 1], centred,
        the fitted ``choices`` of more than two one-hot."""
        u = one_hot(torch.as_tensor(x, dtype=torch.float64), self._one_hot)
        return (2.0 * u - 1.0).to(DTYPE)

    @staticmethod
    def _forward(weights: list[torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        """(members, m, d) -> (members, m, k) scaled PCA scores."""
        w1, b1, w2, b2, w3, b3 = weights
        h = torch.nn.functional.silu(torch.baddbmm(b1, x, w1))
        h = torch.nn.functional.silu(torch.baddbmm(b2, h, w2))
        return torch.baddbmm(b3, h, w3)

    # -------------------------------------------------------------- predict

    def predict_members(self, x: np.ndarray) -> np.ndarray:
        """Every member's predicted spectra.

        Args:
            x: (m, d) recipes scaled to ``[0, 1]``.

        Returns:
            (members, m, w) spectra in the units of the training spectra, one per member
            fitted (``n_members`` at the time of ``fit``; changing it later takes a new
            ``fit``).
        """
        if not hasattr(self, "_weights"):
            raise InvalidParameterError("predict before fit: call fit(x, spectra) first")
        x = _as_matrix("x", x, "recipe", columns=self.n_features_in_)
        _check_unit("x", x)
        xt = self._encode(x)
        xt = xt.expand(self._weights[0].shape[0], *xt.shape)
        with one_torch_thread(), torch.no_grad():
            out = self._forward(self._weights, xt).double().numpy()
        scores = out * self._score_scale  # (members, m, k)
        return (scores @ self._basis) * self._y_scale + self._y_mean

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Ensemble mean and spread.

        Args:
            x: (m, d) recipes scaled to ``[0, 1]``.

        Returns:
            mean: (m, w) mean of the members' spectra.
            std: (m, w) standard deviation across members (>= 0; zero for one member).
        """
        members = self.predict_members(x)
        return members.mean(axis=0), members.std(axis=0)

    def score(self, x: np.ndarray, spectra: np.ndarray) -> float:
        """Accuracy of the ensemble mean on measured spectra (e.g. the newest batch).

        Args:
            x: (m, d) recipes scaled to ``[0, 1]``.
            spectra: (m, w) their measured spectra.

        Returns:
            R², the coefficient of determination over all m * w entries,
            ``1 - SS_res / SS_tot`` with ``SS_tot`` about the grand mean (so a batch of one
            spectrum has a score; ``-inf`` if the measured entries are all equal and the
            prediction misses).
        """
        y = _as_matrix("spectra", spectra, "spectrum")
        mean, _ = self.predict(x)
        if y.shape != mean.shape:
            raise InvalidParameterError(
                f"spectra must have shape {mean.shape} (one row per recipe, "
                f"{self.n_outputs_} points like the training spectra), got {y.shape}"
            )
        ss_res = float(((y - mean) ** 2).sum())
        ss_tot = float(((y - y.mean()) ** 2).sum())
        return 1.0 - ss_res / ss_tot if ss_tot > 0 else (1.0 if ss_res == 0 else -np.inf)
