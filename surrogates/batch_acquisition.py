"""Batch selection over a finite candidate set: five ways to pick q points.

Every method takes a fitted botorch model of an objective to MAXIMISE, the
candidates ``(m, d)`` in the unit cube, the training inputs ``(n, d)`` and the
pending points ``(p, d)``, and returns ``q`` distinct candidate indices with the
acquisition value each had when picked.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch
from botorch.acquisition import LogExpectedImprovement, UpperConfidenceBound
from botorch.acquisition.logei import qLogNoisyExpectedImprovement
from botorch.sampling import SobolQMCNormalSampler
from botorch.sampling.get_sampler import get_sampler
from botorch.utils.sampling import draw_sobol_normal_samples
from linear_operator.utils.warnings import NumericalWarning
from torch.distributions import Normal

from adaptive.arrays import check_int, finite_matrix
from adaptive.errors import InvalidParameterError
from surrogates.one_hot import recipe_distance
from surrogates.recipe_gp import OneHotChoices
from surrogates.threads import PROCESS_STATE_LOCK, seeded_torch

DTYPE = torch.float64
#: Most candidates scored at once.
CHUNK = 512
#: Most kernel entries in one chunk of botorch's own qLogNEI joint posteriors (see
#: ``_qlognei_chunk``), which score the candidates ``_qlognei_values`` cannot: larger
#: chunks page-fault on fresh memory for every temporary. At 285 recipes a batch
#: of 15 on one thread took 28 s in chunks of 512 (half of it system time), 18-20 s in
#: chunks of 32-256, with the same picks and values to the bit.
QLOGNEI_CHUNK_ENTRIES = 2**21
#: Fewest candidates in one such chunk: a chunk of 8 changed scores in the last bits (a
#: candidate's offset in SIMD registers), powers of two from 16 to 512 none (AVX-512).
QLOGNEI_MIN_CHUNK = 64
#: Candidates per joint posterior with qLogNEI's shared rows (``_qlognei_values``).
JOINT_CHUNK = 256
#: Least Cholesky pivot of a candidate, as a share of its variance, that
#: ``_qlognei_values`` trusts: a pivot near 0 (a candidate on a shared row) may come out
#: negative in botorch's own factor, which then adds jitter.
PIVOT_TOLERANCE = 1e-5
#: Least Cholesky pivot of a shared row (baseline or pending), as a share of its variance,
#: that ``_qlognei_values`` trusts. Below it the pivot is the posterior's rounding (a
#: pending recipe on a measured one in a sparse space: 1e-16 at the same recipe, 1e-14 at
#: 1e-8 from it), where botorch's values part from the shared rows' by up to 3e-2 in log,
#: or botorch jitters. In a dense space rounding lifts even such a copy's pivot to ~1e-9,
#: which is trusted; there both computations are rounding-limited alike.
SHARED_PIVOT_FLOOR = 1e-12
#: Most candidates one Thompson draw covers jointly: an (m, m) covariance and its
#: Cholesky factor, so memory grows as m^2 (about 0.2 GB at 2048, 3.5 GB at 8000).
#: Larger sets are shortlisted by UCB first; no batch holds more than this.
MAX_JOINT = 2048
#: UCB's beta for the Thompson shortlist and for ``batch_ucb``.
UCB_BETA = 2.0
#: Most training points in qLogNEI's baseline. botorch keeps every point that is best
#: in some posterior draw, all of them when the GP sees no signal, and a pick's cost
#: grows with the baseline: a batch of 15 after 150 pure-noise recipes took 99-140 s
#: with all of them, 11 s with 32. ``bench batch`` keeps 21-26, so its picks stand.
MAX_BASELINE = 32
#: Posterior draws that rank the baseline (as botorch's pruning draws).
BASELINE_DRAWS = 2048
#: A posterior that varies by less than this over the candidates is flat: the GP prefers
#: none (``posterior_is_flat``, in units of the data's spread; ``EnergyScan._most_uncertain``
#: reads it as a fraction of the largest std over its energies).
FLAT_STD = 1e-3


def _evaluate(acquisition, candidates: torch.Tensor, chunk: int = CHUNK) -> torch.Tensor:
    """Acquisition values (m,) of single candidates, ``chunk`` at a time to bound memory."""
    with torch.no_grad():
        return torch.cat(
            [acquisition(part[:, None, :]) for part in candidates.split(chunk)]
        ).reshape(-1)


def _qlognei_chunk(rows: int, n: int) -> int:
    """Candidates per chunk when each joins ``rows`` points (baseline, pending and itself)
    in a posterior over ``n`` training points: its kernel is (rows, n + rows). ``CHUNK``
    halved until a chunk holds at most ``QLOGNEI_CHUNK_ENTRIES``, down to
    ``QLOGNEI_MIN_CHUNK``."""
    chunk = CHUNK
    while chunk > QLOGNEI_MIN_CHUNK and chunk * rows * (n + rows) > QLOGNEI_CHUNK_ENTRIES:
        chunk //= 2
    return chunk


def _best_f(model, train_x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return model.posterior(train_x).mean.max()


def _prune_baseline(model, train_x: torch.Tensor) -> torch.Tensor:
    """The rows of ``train_x`` (n, d) best in some of ``BASELINE_DRAWS`` posterior
    draws, the ``MAX_BASELINE`` most often best where more are, in row order.

    Up to the cap this is botorch's ``prune_inferior_points`` (the same draws); its
    ``max_frac`` cap keeps the wrong rows (botorch 0.18 indexes ``X`` with positions in
    its own list of kept rows).
    """
    with torch.no_grad():
        posterior = model.posterior(train_x)
        draws = get_sampler(posterior, torch.Size([BASELINE_DRAWS]))(posterior)
    best, counts = torch.unique(draws.squeeze(-1).argmax(-1), return_counts=True)
    keep = best[torch.argsort(counts, descending=True, stable=True)[:MAX_BASELINE]]
    return train_x[keep.sort().values]


def sequential_qlognei(model, candidates, train_x, pending, q, seed=0):
    """Sequential greedy qLogNEI: each pick conditions on the pending and earlier picks."""
    chosen: list[int] = []
    values: list[float] = []
    free = torch.ones(len(candidates), dtype=torch.bool)
    for _ in range(q):
        x_pending = torch.cat([pending, candidates[chosen]])
        acquisition = qLogNoisyExpectedImprovement(
            model,
            X_baseline=_prune_baseline(model, train_x),
            X_pending=x_pending if len(x_pending) else None,
            sampler=SobolQMCNormalSampler(torch.Size([64]), seed=seed),
            prune_baseline=False,
            cache_root=False,
        )
        scores = torch.full((len(candidates),), -torch.inf, dtype=DTYPE)
        scores[free] = _qlognei_values(acquisition, candidates[free], len(train_x))
        best = int(torch.argmax(scores))
        chosen.append(best)
        values.append(float(scores[best]))
        free[best] = False
    return chosen, values


def _qlognei_values(acquisition, candidates: torch.Tensor, n: int) -> torch.Tensor:
    """``acquisition(candidates[:, None, :])`` (m,): botorch's incremental qLogNEI, on a
    model fitted to ``n`` points, with the posterior of the rows it shares computed once.

    botorch draws each candidate c jointly with the shared rows S (``X_baseline``: the
    baseline, then the pending points) through the Cholesky factor of the covariance of
    [S, c], whose S block is S's own factor L and whose last row is ``L^-1 cov(S, c)``
    and the square root of the pivot ``var(c) - |L^-1 cov(S, c)|^2``. So L and S's draws
    are shared, and a candidate adds its covariances with S, its mean and variance. The
    base samples are the seeded sampler's: one Sobol' draw over the r + 1 rows, the
    same for every candidate (the sampler collapses the t-batch). botorch's own code
    reduces the draws. A candidate's pivot below ``PIVOT_TOLERANCE`` of its variance may
    have made botorch add jitter, so botorch scores such a candidate itself (every
    candidate when a pivot of L is below ``SHARED_PIVOT_FLOOR``).

    Values are botorch's to about 1e-8 where S is well conditioned. Where it is nearly
    singular (dense recipes: pivots 5e-8 of their variance at 150 recipes in 2-D, least
    eigenvalue 1e-8 of the largest), the posterior's own rounding, which differs between
    S alone and S with a candidate by 1e-9 of its entries, decides the draws' least
    directions in either computation: values of the leading candidates differ from
    botorch's by up to 5e-3 in log, and the picks of the batches measured were botorch's.
    Where they differ (a pending recipe 1e-5 from a measured one), an exact computation
    (40 digits) sided with the shared rows: botorch's value was 0.49 off in log.
    """
    shared = acquisition.X_baseline
    fallback = _qlognei_chunk(len(shared) + 1, n)
    with torch.no_grad():
        posterior = acquisition.model.posterior(shared)
        covariance = posterior.distribution.covariance_matrix
        factor, info = torch.linalg.cholesky_ex(covariance)
        pivots = factor.diagonal() ** 2
        if info or (pivots <= SHARED_PIVOT_FLOOR * covariance.diagonal()).any():
            return _evaluate(acquisition, candidates, fallback)
        sampler = acquisition.sampler
        base = draw_sobol_normal_samples(
            len(shared) + 1, sampler.sample_shape.numel(), dtype=DTYPE, seed=sampler.seed
        )  # (s, r + 1)
        draws = posterior.mean[:, 0] + base[:, :-1] @ factor.T  # (s, r)
        acquisition.baseline_samples = draws[:, None, :, None]  # read by compute_best_f
        acquisition.baseline_obj = acquisition.objective(acquisition.baseline_samples, shared)
        parts = [
            _values_given_shared(acquisition, factor, base, part)
            for part in candidates.split(JOINT_CHUNK)
        ]
    values = torch.cat([v for v, _ in parts])
    unclear = ~torch.cat([c for _, c in parts])
    if unclear.any():
        values[unclear] = _evaluate(acquisition, candidates[unclear], fallback)
    return values


def _values_given_shared(acquisition, factor, base, candidates):
    """qLogNEI values (k,) of ``candidates`` (k, d) from the shared rows' Cholesky factor
    (r, r) and the base samples (s, r + 1), and whether each pivot clears
    ``PIVOT_TOLERANCE`` of its variance (k,)."""
    shared = acquisition.X_baseline
    r = len(shared)
    posterior = acquisition.model.posterior(torch.cat([shared, candidates]))
    covariance = posterior.distribution.covariance_matrix  # (r + k, r + k)
    row = torch.linalg.solve_triangular(factor, covariance[:r, r:], upper=False)  # (r, k)
    variance = covariance.diagonal()[r:]
    pivot = variance - row.square().sum(0)
    draws = posterior.mean[r:, 0] + base[:, :-1] @ row + base[:, -1:] * pivot.clamp_min(0).sqrt()
    obj = acquisition.objective(draws[..., None, None], candidates[:, None])  # (s, k, 1)
    improvement = acquisition._sample_forward(obj)  # log smoothed improvement (s, k, 1)
    values = acquisition._sample_reduction(acquisition._q_reduction(improvement))
    return values, pivot > PIVOT_TOLERANCE * variance


def batch_ucb(model, candidates, train_x, pending, q, seed=0, beta=UCB_BETA):
    """GP-BUCB (Desautels, Krause & Burdick 2014): UCB = mean + sqrt(beta) * std, and
    after each pick the model 'observes' its own mean there, which shrinks the std
    around pending points without moving the mean.

    Measured on the AgNP pool (q = 1): finds the top 5% about twice as fast as
    LogEI, which exploits too early when the aim is many good recipes.
    """
    return _believer_batch(
        model, candidates, pending, q, lambda m: UpperConfidenceBound(m, beta=beta)
    )


def kriging_believer(model, candidates, train_x, pending, q, seed=0):
    """LogEI; after each pick, believe the posterior mean there and condition on it."""
    return _believer_batch(
        model,
        candidates,
        pending,
        q,
        lambda m: LogExpectedImprovement(m, best_f=_best_f(m, train_x)),
    )


def _believer_batch(model, candidates, pending, q, acquisition_of):
    """Greedy picks of ``acquisition_of(model)``; each pick is believed at its mean."""
    believed = _condition_on_mean(model, pending) if len(pending) else model
    chosen: list[int] = []
    values: list[float] = []
    for _ in range(q):
        scores = _evaluate(acquisition_of(believed), candidates)
        scores[chosen] = -torch.inf
        best = int(torch.argmax(scores))
        chosen.append(best)
        values.append(float(scores[best]))
        believed = _condition_on_mean(believed, candidates[best : best + 1])
    return chosen, values


def posterior_is_flat(model, candidates) -> bool:
    """Whether the GP sees no signal over the candidates (m, d): its posterior mean and its
    std each vary by under ``FLAT_STD`` of the data's spread over them (a ``fit_recipe_gp``
    model sees the objective over its spread), so every acquisition's scores tie.

    A GP that reads every value as noise (its output scale collapsed) has such a posterior:
    on a map whose design missed its particle the ties piled 41 of 60 points (UCB) within
    0.1 um of one spot, and where every value was 0 (the std 1.4e-3 everywhere, varying by
    2e-6) 11 of 36 on one corner; Thompson draws and local penalisation put picks 0.01-0.02
    apart. ``select_batch`` fills the space instead. A flat std alone is no sign: noise-free
    data leave it at its floor everywhere, with a mean that knows where to go.
    """
    candidates = torch.as_tensor(candidates, dtype=DTYPE)
    with PROCESS_STATE_LOCK, torch.no_grad(), warnings.catch_warnings():  # global filters
        warnings.simplefilter("ignore", NumericalWarning)  # variances rounded up to 0: flat
        posterior = model.posterior(candidates[:, None, :])
        mean = posterior.mean.reshape(-1)
        std = posterior.variance.clamp_min(0).sqrt().reshape(-1)
    return bool(mean.max() - mean.min() < FLAT_STD and std.max() - std.min() < FLAT_STD)


def _fill_space(candidates, taken, q, one_hot) -> tuple[list[int], list[float]]:
    """``q`` candidates (m, d), each the farthest (``recipe_distance``, the ``one_hot``
    columns categorical) from the ``taken`` points (k, d) and the earlier picks, with that
    distance as its value."""
    gaps = torch.full((len(candidates),), torch.inf, dtype=DTYPE)
    for point in taken:
        torch.minimum(gaps, recipe_distance(candidates, point, one_hot), out=gaps)
    chosen: list[int] = []
    values: list[float] = []
    for _ in range(q):
        best = int(torch.argmax(gaps))
        chosen.append(best)
        values.append(float(gaps[best]))
        torch.minimum(gaps, recipe_distance(candidates, candidates[best], one_hot), out=gaps)
        gaps[best] = -torch.inf
    return chosen, values


def local_penalization(model, candidates, train_x, pending, q, seed=0):
    """LogEI times local penalisers around pending and earlier picks (Gonzalez et al. 2016).

    A point ``c`` with posterior mean mu_c and std s_c cannot hide the optimum
    closer than (M - mu_c) / L, where M is the best mean and L a Lipschitz
    constant of the mean (the largest gradient norm over the candidates). Distances are
    ``recipe_distance``'s; a categorical column the kernel takes one-hot (``OneHotChoices``) is
    left out of L: the order of its choices means nothing.
    """
    best_f = _best_f(model, train_x)
    log_ei = _evaluate(LogExpectedImprovement(model, best_f=best_f), candidates)
    one_hot = _one_hot_columns(model)
    lipschitz = max(_lipschitz(model, candidates, one_hot), 1e-7)
    log_penalty = torch.zeros_like(log_ei)
    normal = Normal(torch.tensor(0.0, dtype=DTYPE), torch.tensor(1.0, dtype=DTYPE))

    def penalise(centre: torch.Tensor) -> None:
        with torch.no_grad():
            posterior = model.posterior(centre[None])
            mu, sd = (
                posterior.mean.reshape(()),
                posterior.variance.clamp_min(1e-12).sqrt().reshape(()),
            )
        z = (lipschitz * recipe_distance(candidates, centre, one_hot) - best_f + mu) / sd
        log_penalty.add_(torch.log(normal.cdf(z).clamp_min(1e-300)))

    for centre in pending:
        penalise(centre)
    chosen: list[int] = []
    values: list[float] = []
    for _ in range(q):
        scores = log_ei + log_penalty
        scores[chosen] = -torch.inf
        best = int(torch.argmax(scores))
        chosen.append(best)
        values.append(float(scores[best]))
        penalise(candidates[best])
    return chosen, values


def _one_hot_columns(model) -> list[int]:
    """The input columns the model's kernel takes one-hot (``OneHotChoices``), if any."""
    kernel = getattr(model.covar_module, "base_kernel", None)
    return sorted(kernel.choices) if isinstance(kernel, OneHotChoices) else []


def _lipschitz(model, candidates: torch.Tensor, skip: list[int]) -> float:
    """Largest gradient norm of the posterior mean over the candidates (m, d), the
    columns ``skip`` left out, taken one candidate per t-batch in chunks: a joint
    posterior would hold an (m, m) covariance."""
    norms = []
    for chunk in candidates.split(CHUNK):
        x = chunk[:, None, :].clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(model.posterior(x).mean.sum(), x)
        grad[..., skip] = 0.0
        norms.append(grad.norm(dim=-1).max())
    return float(max(norms))


def thompson(model, candidates, train_x, pending, q, seed=0):
    """Thompson sampling: q joint posterior draws over the candidates, each's argmax.

    Over more than ``MAX_JOINT`` candidates (m, d) the draws cover only the
    ``MAX_JOINT`` with the highest UCB (a draw's argmax seldom lies outside them), so
    memory stays bounded and the shortlist is deterministic.
    """
    believed = _condition_on_mean(model, pending) if len(pending) else model
    shortlist = torch.arange(len(candidates))
    if len(candidates) > MAX_JOINT:
        ucb = _evaluate(UpperConfidenceBound(believed, beta=UCB_BETA), candidates)
        shortlist = torch.sort(torch.topk(ucb, MAX_JOINT).indices).values
    with torch.no_grad():  # seeded by select_batch
        posterior = believed.posterior(candidates[shortlist])
        draws = posterior.rsample(torch.Size([q])).reshape(q, -1)
    chosen: list[int] = []
    values: list[float] = []
    for draw in draws:
        draw = draw.clone()
        draw[chosen] = -torch.inf
        best = int(torch.argmax(draw))
        chosen.append(best)
        values.append(float(draw[best]))
    return shortlist[chosen].tolist(), values


def _condition_on_mean(model, x: torch.Tensor):
    """A model that has also observed its own posterior mean at ``x`` (k, d).

    With fixed (heteroscedastic) noise the fantasy observations get noise 1e-6, almost
    noise-free; with learned noise they get the model's learned noise level, so the std
    at ``x`` shrinks only as much as one real measurement there would shrink it.
    """
    with torch.no_grad():
        y = model.posterior(x).mean
    kwargs = {"noise": torch.full_like(y, 1e-6)} if _has_fixed_noise(model) else {}
    return model.condition_on_observations(x, y, **kwargs)


def _has_fixed_noise(model) -> bool:
    return type(model.likelihood).__name__ == "FixedNoiseGaussianLikelihood"


BATCH_METHODS = {
    "qlognei": sequential_qlognei,
    "kriging_believer": kriging_believer,
    "local_penalization": local_penalization,
    "thompson": thompson,
    "ucb": batch_ucb,
}


def select_batch(
    method: str,
    model,
    candidates: np.ndarray,
    train_x: np.ndarray,
    pending: np.ndarray,
    q: int,
    seed: int = 0,
) -> tuple[list[int], list[float]]:
    """Pick ``q`` distinct rows of ``candidates`` (m, d) with ``method``; all m (in the
    method's order) when fewer than ``q`` remain, none when m is 0.

    Args:
        method: a key of ``BATCH_METHODS``.
        model: a fitted botorch model of the objective on d inputs.
        candidates: (m, d) finite points in the unit cube.
        train_x: (n, d) inputs the model was fitted on.
        pending: (p, d) points suggested but not yet measured (p may be 0).
        q: batch size, an integer from 1 to ``MAX_JOINT``.
        seed: seeds the Monte-Carlo samplers and posterior draws.

    Returns:
        The chosen indices and each one's acquisition value, in the model's units (a
        ``fit_recipe_gp`` model sees the objective divided by ``model.y_scale``). Where
        the posterior mean and std are both flat over the candidates
        (``posterior_is_flat``), every method fills the space instead (``_fill_space``):
        each value is then the pick's ``recipe_distance`` to the nearest training,
        pending or earlier picked point.

    Raises:
        InvalidParameterError: an unknown method, a bad ``q``, or an array that is not
            finite, not 2-D, or has other than the model's d columns.
    """
    if method not in BATCH_METHODS:
        raise InvalidParameterError(
            f"unknown batch method {method!r}; choose one of {sorted(BATCH_METHODS)}"
        )
    check_int("q", q, 1, MAX_JOINT, "a joint Thompson draw covers at most that many")
    d = model.train_inputs[0].shape[-1]
    arrays = {}
    for name, value, row in (
        ("candidates", candidates, "candidate"),
        ("train_x", train_x, "training point"),
        ("pending", pending, "pending point"),
    ):
        a = finite_matrix(name, value, row)
        if a.shape[1] != d:
            raise InvalidParameterError(
                f"{name} has shape {a.shape} but the model takes {d} inputs; give "
                f"(k, {d}) points in its unit cube (np.empty((0, {d})) for none)"
            )
        arrays[name] = torch.as_tensor(a, dtype=DTYPE)
    q = min(q, len(arrays["candidates"]))  # a finite set: the last batch holds what is left
    if q == 0:
        return [], []
    # baseline pruning and posterior draws use the global RNG
    with seeded_torch(seed), warnings.catch_warnings():
        # joint posteriors over near-duplicate candidates need diagonal jitter; that is fine
        warnings.simplefilter("ignore", NumericalWarning)
        if posterior_is_flat(model, arrays["candidates"]):  # the method's picks would be ties
            taken = torch.cat([arrays["train_x"], arrays["pending"]])
            return _fill_space(arrays["candidates"], taken, q, _one_hot_columns(model))
        return BATCH_METHODS[method](
            model, arrays["candidates"], arrays["train_x"], arrays["pending"], q, seed
        )
