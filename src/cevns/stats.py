"""Test statistics, nuisance profiling and Delta-chi2 -> interval conversion.

* Poisson chi2 (Baker & Cousins, NIM 221 (1984) 437; seed 002 eq. 6, seed 004 eq. 36):
  2 sum [mu - n + n ln(n/mu)].
* Gaussian chi2 (seed 002 eq. 7, seed 004 eq. 39): sum (n - mu)^2 / sigma^2.
* Nuisances that enter the expectation linearly, mu = mu0 + sum_k eta_k T_k (normalisations
  and linear shape shifts), are profiled for a whole batch of parameter points at once:
  in closed form for the Gaussian chi2 (a linear least-squares problem with Gaussian
  penalties) and by a vectorised damped Newton solve for the Poisson chi2 (convex in eta).
* CL names: ``1sigma``, ``2sigma``, ``3sigma`` (Gaussian two-sided probabilities),
  ``90%``, ``95%``, or a number in (0, 1).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray
from scipy.special import erf
from scipy.stats import chi2 as chi2_dist

from .errors import ParameterError


@lru_cache(maxsize=1)
def _blas_controller():
    """threadpoolctl's view of the loaded BLAS libraries (inspecting them costs ~ms: done once)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


@contextmanager
def limited_blas_threads(n_threads: int = 1) -> Iterator[None]:
    """Run the block with at most ``n_threads`` BLAS threads.

    The profiling solves are many small matrix products and batched 4 x 4 solves; BLAS
    threads spinning on them cost more than they give (a contended ``deromeri2023`` fit
    ran 5x slower with the default thread count, issue #10). Results do not depend on the
    thread count beyond rounding of the large products.
    """
    with _blas_controller().limit(limits=n_threads, user_api="blas"):
        yield


def poisson_chi2(mu: NDArray[np.float64], n: NDArray[np.float64]) -> NDArray[np.float64]:
    """Baker-Cousins Poisson chi2, summed over the last axis; ``n ln(n/mu)`` is 0 for n = 0."""
    mu = np.asarray(mu, dtype=float)
    n = np.asarray(n, dtype=float)
    mu_safe = np.maximum(mu, 1e-300)
    log_term = np.where(n > 0, n * np.log(np.where(n > 0, n, 1.0) / mu_safe), 0.0)
    return 2.0 * np.sum(mu - n + log_term, axis=-1)


def gaussian_chi2(mu: NDArray[np.float64], n: NDArray[np.float64], sigma2: NDArray[np.float64]) -> NDArray[np.float64]:
    """sum (n - mu)^2 / sigma^2 over the last axis."""
    return np.sum((np.asarray(n) - np.asarray(mu)) ** 2 / np.asarray(sigma2), axis=-1)


def _penalty_matrix(sigmas: NDArray[np.float64]) -> NDArray[np.float64]:
    """Diagonal of the Gaussian penalty sum (eta_k/sigma_k)^2; free nuisances (inf/None) get 0."""
    s = np.asarray(sigmas, dtype=float)
    return np.where(np.isfinite(s) & (s > 0), 1.0 / np.where(np.isfinite(s) & (s > 0), s, 1.0) ** 2, 0.0)


def profile_gaussian(
    mu0: NDArray[np.float64],
    templates: NDArray[np.float64],
    n: NDArray[np.float64],
    sigma2: NDArray[np.float64],
    sigmas: NDArray[np.float64],
    centre: NDArray[np.float64] | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Minimise sum (n - mu0 - eta.T)^2/sigma^2 + sum ((eta - c)/sigma_k)^2 over eta, exactly.

    ``centre`` c (K,) or (P, K): the centres of the Gaussian constraints (default 0; the
    auxiliary measurements of pseudo-experiments, :mod:`cevns.inference.toys`).

    Shapes: mu0 (P, B), templates (P, K, B), n and sigma2 (B,) or (P, B) (one per row), sigmas (K,).
    Returns (chi2 (P,), eta (P, K)).
    """
    w = 1.0 / np.asarray(sigma2, dtype=float)
    resid = np.asarray(n, dtype=float) - mu0
    tw = templates * (w[:, None, :] if w.ndim == 2 else w)  # sigma2 (N, B): one per row (toys)
    pen = _penalty_matrix(sigmas)
    a = np.einsum("pkb,plb->pkl", tw, templates) + np.diag(pen)[None]
    b = np.einsum("pkb,pb->pk", tw, resid)
    if centre is not None:
        b = b + pen * centre
    eta = np.linalg.solve(a, b[..., None])[..., 0]
    mu = mu0 + np.einsum("pk,pkb->pb", eta, templates)
    dev = eta if centre is None else eta - centre
    chi2 = gaussian_chi2(mu, n, sigma2) + np.sum(dev**2 * pen, axis=-1)
    return chi2, eta


def profile_poisson(
    mu0: NDArray[np.float64],
    templates: NDArray[np.float64],
    n: NDArray[np.float64],
    sigmas: NDArray[np.float64],
    eta_lower: NDArray[np.float64] | None = None,
    max_iter: int = 50,
    tol: float = 1e-9,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Minimise the Poisson chi2 of mu0 + eta.T plus Gaussian penalties over eta.

    Damped (projected) Newton iterations for all P points at once; steps are halved until
    every bin keeps mu > 0 and the objective does not increase, and only the points not
    yet converged are iterated. ``eta_lower`` (K,) bounds each nuisance from below (e.g.
    -1 for a normalisation). Returns (chi2 (P,), eta (P, K)).
    """
    sol = poisson_newton(mu0, templates, n, sigmas, eta_lower, max_iter=max_iter, tol=tol)
    return sol.chi2, sol.eta


@dataclass
class NewtonState:
    """Result (or paused state) of :func:`poisson_newton` for N rows.

    ``chi2`` is the objective at ``eta``; ``lower_bound`` a rigorous lower bound on the
    row's minimum (equal to ``chi2`` for rows run to convergence); ``paused`` marks rows
    stopped early because their bound shows they cannot be their group's minimum.
    """

    chi2: NDArray[np.float64]
    eta: NDArray[np.float64]
    lower_bound: NDArray[np.float64]
    paused: NDArray[np.bool_]


def poisson_newton(
    mu0: NDArray[np.float64],
    templates: NDArray[np.float64],
    n: NDArray[np.float64],
    sigmas: NDArray[np.float64],
    eta_lower: NDArray[np.float64] | None = None,
    eta0: NDArray[np.float64] | None = None,
    groups: NDArray[np.int64] | None = None,
    offsets: NDArray[np.float64] | None = None,
    max_iter: int = 50,
    tol: float = 1e-9,
    centre: NDArray[np.float64] | None = None,
) -> NewtonState:
    """The Newton solve of :func:`profile_poisson`, from ``eta0`` (default 0), with pruning.

    Every row (mu0 (N, B), templates (N, K, B)) is iterated on its own: the sequence of
    iterates of a row does not depend on the other rows, nor on whether it is paused and
    resumed (call again with ``eta0`` = the paused ``eta``), beyond the rounding of the
    batched products.

    ``groups`` (N,) gathers rows that are alternatives for one quantity (the branches of
    one parameter point, whose chi2 plus ``offsets`` (N,) is minimised over the group).
    A row is then paused as soon as a lower bound on its minimum exceeds the best value
    reached in its group: with all nuisances penalised, the objective is strongly convex,
    f(y) >= f(x) + g.(y - x) + sum_k pen_k (y_k - x_k)^2 (the Poisson part is convex), so
    f_min >= f(x) - sum_k g_k^2 / (4 pen_k) at any iterate x (also under the lower bounds).

    ``centre`` (N, K): per-row centres of the Gaussian constraints (pseudo-experiments'
    auxiliary measurements), default 0; ``n`` may be (N, B), one observed vector per row.
    """
    n = np.asarray(n, dtype=float)
    p_count, k_count, _ = templates.shape
    pen = _penalty_matrix(sigmas)
    lower = np.full(k_count, -np.inf) if eta_lower is None else np.asarray(eta_lower, dtype=float)
    per_row = n.ndim == 2  # one observed vector per row (pseudo-experiments, cevns.inference.toys)
    if per_row and n.shape[0] != p_count:
        raise ValueError(f"observed has {n.shape[0]} rows for {p_count} rows of templates")
    pos_all = n > 0
    n_log_n_all, n_sum_all = observed_constants(n)
    eye = np.eye(k_count)[None]
    all_penalised = bool(np.all(pen > 0))
    pruning = groups is not None and all_penalised
    off = np.zeros(p_count) if offsets is None else np.asarray(offsets, dtype=float)

    def rows_of(r):  # observed, its positive bins and constants of rows r (all rows: r None)
        if not per_row or r is None:
            return n, pos_all, n_log_n_all, n_sum_all
        return n[r], pos_all[r], n_log_n_all[r], n_sum_all[r]

    cen = None if centre is None else np.broadcast_to(np.asarray(centre, dtype=float), (p_count, k_count))

    def dev(e, r=None):  # distance of the nuisances from their constraints' centres
        if cen is None:
            return e
        return e - (cen if r is None else cen[r])

    def objective(m0, tpl, e, r=None):
        nr, pos, n_log_n, n_sum = rows_of(r)
        mu = m0 + np.matmul(e[:, None, :], tpl)[:, 0, :]
        bad = np.any((mu < 0) | ((mu <= 0) & pos), axis=-1)
        log_mu = np.log(np.where(pos, np.maximum(mu, 1e-300), 1.0))
        val = 2.0 * (mu.sum(axis=-1) - n_sum + n_log_n - dot_observed(log_mu, nr)) + np.sum(dev(e, r)**2 * pen, axis=-1)
        return np.where(bad, np.inf, val), mu

    eta = np.zeros((p_count, k_count)) if eta0 is None else np.array(eta0, dtype=float)
    f, mu = objective(mu0, templates, eta)
    bound = np.full(p_count, -np.inf)
    paused = np.zeros(p_count, dtype=bool)
    active = np.arange(p_count)
    # working copies of the active rows, compacted only when the active set shrinks
    tpl_a, m0_a = templates, mu0
    for _ in range(max_iter):
        if active.size == 0:
            break
        m, e, fa = mu[active], eta[active], f[active]
        n_a = n[active] if per_row else n
        safe = m > 0
        ratio = np.where(safe, n_a / np.where(safe, m, 1.0), 0.0)
        grad = 2.0 * np.matmul(tpl_a, (1.0 - ratio)[:, :, None])[:, :, 0] + 2.0 * pen * dev(e, active)
        if pruning:
            with np.errstate(invalid="ignore"):
                lb = fa - np.sum(grad**2 / (4.0 * pen), axis=-1)
            bound[active] = np.where(np.isfinite(lb), lb, -np.inf)
            best = np.full(int(groups.max()) + 1, np.inf)
            np.minimum.at(best, groups, f + off)
            # a safety margin keeps rounding from pausing a row that ties its group's best
            hopeless = bound[active] + off[active] > best[groups[active]] + 1e-6 * (1.0 + np.abs(best[groups[active]]))
            if hopeless.any():
                paused[active[hopeless]] = True
                keep = ~hopeless
                active, tpl_a, m0_a = active[keep], tpl_a[keep], m0_a[keep]
                m, e, fa, grad, ratio, safe = m[keep], e[keep], fa[keep], grad[keep], ratio[keep], safe[keep]
                if active.size == 0:
                    break
        curv = np.where(safe, ratio / np.where(safe, m, 1.0), 0.0)
        hess = 2.0 * np.matmul(tpl_a * curv[:, None, :], tpl_a.transpose(0, 2, 1)) + np.diag(2.0 * pen)[None] + 1e-12 * eye
        # projected Newton: nuisances on their lower bound with the gradient pushing
        # further down are held fixed and the step is solved in the others
        at_bound = (e <= lower[None, :] + 1e-12) & (grad > 0)
        both = at_bound[:, :, None] | at_bound[:, None, :]
        hess = np.where(both, eye, hess)
        grad = np.where(at_bound, 0.0, grad)
        # points whose expectation overflowed (e.g. enormous BSM rates) take no step: their
        # chi2 stays at its (huge or infinite) value, i.e. they are excluded
        finite = np.isfinite(hess).all(axis=(1, 2)) & np.isfinite(grad).all(axis=1)
        hess = np.where(finite[:, None, None], hess, eye)
        grad = np.where(finite[:, None], grad, 0.0)
        try:
            step = -np.linalg.solve(hess, grad[..., None])[..., 0]
        except np.linalg.LinAlgError:
            step = -np.einsum("pkl,pl->pk", np.linalg.pinv(hess), grad)
        new_e, new_f, new_mu = e.copy(), fa.copy(), m.copy()
        pending = np.arange(active.size)
        t = 1.0
        for _ in range(40):
            cand = np.maximum(e[pending] + t * step[pending], lower)
            if pending.size == active.size:
                fc, muc = objective(m0_a, tpl_a, cand, active)
            else:
                fc, muc = objective(m0_a[pending], tpl_a[pending], cand, active[pending])
            ok = fc <= fa[pending] + 1e-12
            acc = pending[ok]
            new_e[acc], new_f[acc], new_mu[acc] = cand[ok], fc[ok], muc[ok]
            pending = pending[~ok]
            if pending.size == 0:
                break
            t *= 0.5
        improvement = np.where(np.isfinite(fa), fa - new_f, 0.0)
        eta[active], f[active], mu[active] = new_e, new_f, new_mu
        keep = improvement >= tol
        if not keep.all():
            active, tpl_a, m0_a = active[keep], tpl_a[keep], m0_a[keep]
    bound = np.where(paused, bound, f)
    return NewtonState(f, eta, bound, paused)


def observed_constants(n: NDArray[np.float64]):
    """sum n ln n and sum n of an observed vector (floats), or of each row of ``(N, B)`` observed ones (arrays)."""
    n = np.asarray(n, dtype=float)
    if n.ndim == 1:
        pos = n > 0
        return float(np.sum(n[pos] * np.log(n[pos]))), float(n.sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        nln = np.where(n > 0, n * np.log(np.where(n > 0, n, 1.0)), 0.0)
    return nln.sum(axis=-1), n.sum(axis=-1)


def dot_observed(a: NDArray[np.float64], n: NDArray[np.float64]) -> NDArray[np.float64]:
    """``a @ n`` for one observed vector ``n`` (B,), the row-wise product for ``(N, B)`` ones."""
    return a @ n if n.ndim == 1 else np.einsum("rb,rb->r", a, n)


_SIGMA_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*sigma\s*$", re.IGNORECASE)
_PERCENT_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")


def cl_probability(cl: str | float) -> float:
    """Probability content of a CL name: ``1sigma`` -> 0.6827, ``2sigma`` -> 0.9545, ``90%`` -> 0.9, ``0.95``."""
    if isinstance(cl, int | float):
        p = float(cl)
    else:
        m = _SIGMA_RE.match(cl)
        if m:
            n_sigma = float(m.group(1))
            if n_sigma <= 0:
                raise ParameterError(f"confidence level {cl!r} must be a positive number of sigma")
            return float(erf(n_sigma / math.sqrt(2.0)))
        m = _PERCENT_RE.match(cl)
        try:
            p = float(m.group(1)) / 100.0 if m else float(cl)
        except ValueError:
            raise ParameterError(f"cannot read confidence level {cl!r}; use e.g. 1sigma, 2sigma, 90%, 0.95") from None
    if not 0.0 < p < 1.0:
        raise ParameterError(f"confidence level {cl!r} must lie strictly between 0 and 1 (or 0% and 100%)")
    return p


def delta_chi2_threshold(cl: str | float, dof: int = 1) -> float:
    """Delta-chi2 for a CL and number of degrees of freedom (Wilks): chi2.ppf(p, dof)."""
    if dof < 1:
        raise ParameterError("degrees of freedom must be >= 1")
    return float(chi2_dist.ppf(cl_probability(cl), dof))


def intervals_below(x: NDArray[np.float64], delta_chi2: NDArray[np.float64], threshold: float) -> list[list[float]]:
    """Disjoint intervals of x where a sampled Delta-chi2 profile lies below ``threshold``.

    Crossings are located by linear interpolation between grid points; an interval that
    touches the end of the grid ends there (the true interval may extend further).
    """
    x = np.asarray(x, dtype=float)
    d = np.asarray(delta_chi2, dtype=float)
    n = len(x)
    out: list[list[float]] = []
    for i, j in true_runs(d <= threshold):
        lo = x[i] if i == 0 else x[i - 1] + (threshold - d[i - 1]) * (x[i] - x[i - 1]) / (d[i] - d[i - 1])
        hi = x[j] if j == n - 1 else x[j] + (threshold - d[j]) * (x[j + 1] - x[j]) / (d[j + 1] - d[j])
        out.append([float(lo), float(hi)])
    return out


def true_runs(mask: NDArray[np.bool_]) -> list[tuple[int, int]]:
    """(first, last) indices, inclusive, of every run of consecutive True values, in order."""
    m = np.asarray(mask, dtype=bool).astype(np.int8)
    edges = np.diff(np.concatenate([[0], m, [0]]))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1) - 1
    return list(zip(starts.tolist(), ends.tolist(), strict=True))
