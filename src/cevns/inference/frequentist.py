"""Neyman and Feldman-Cousins constructions from toys, coverage and the Wilks check (issue #12).

For every point theta_m of a grid (1 or 2 parameters), toys generated at theta_m
(:mod:`.toys`) give the distribution of the likelihood-ratio statistic

    t(theta_m) = chi2(theta_m) - min_theta chi2(theta)    (minimum inside the grid's range),

and its critical value c_CL(theta_m), the smallest c with P(t <= c) >= CL (Feldman &
Cousins, PRD 57 (1998) 3873, sec. IV: ordering by the likelihood ratio, the minimum
restricted to the physical region). The confidence set of the observed data is
{theta_m : t_obs(theta_m) <= c_CL(theta_m)}, interpolated linearly between grid points
in 1D. Wilks' theorem replaces c_CL by the chi2_k quantile; the *Wilks check* printed
next to every interval is, per grid point, the fraction of toys with t below that
quantile, i.e. the coverage of the Wilks interval at that point (with its binomial error).

``ordering="central"`` (1D) is the Neyman construction with central intervals of the
best-fit estimator instead: accept theta_m when the observed best fit lies between the
(1-CL)/2 and (1+CL)/2 quantiles of the toys' best fits.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from ..errors import ParameterError
from ..stats import cl_probability, delta_chi2_threshold, intervals_below
from .toys import ToyProblem, ToySet, observed_fit, run_toys

ORDERINGS = ("lr", "central")


def critical_value(t: NDArray[np.float64], cl: float, weights: NDArray[np.float64] | None = None) -> float:
    """Smallest c with (weighted) P(t <= c) >= cl: the Feldman-Cousins acceptance threshold.

    Toys have unit weights; ``weights`` (e.g. Poisson probabilities of enumerated outcomes)
    give the exact construction."""
    t = np.asarray(t, dtype=float)
    w = np.ones_like(t) if weights is None else np.asarray(weights, dtype=float)
    order = np.argsort(t, kind="stable")
    cum = np.cumsum(w[order]) / w.sum()
    k = int(np.searchsorted(cum, cl - 1e-12))
    return float(t[order][min(k, t.size - 1)])


def binomial_error(p: float, n: int) -> float:
    return math.sqrt(max(p * (1.0 - p), 0.0) / n) if n > 0 else float("nan")


def _intervals_1d(x, stat, crit) -> list[list[float]]:
    return intervals_below(x, np.asarray(stat) - np.asarray(crit), 0.0)


def belt(problem: ToyProblem, n_toys: int, cls: Sequence[str | float] = ("1sigma",), seed: int = 0,
         ordering: str = "lr", chunk_size: int = 500, executor: str = "local", workers: int | None = None,
         scheduler: str | None = None, checkpoint=None, progress=None, toys: dict[int, ToySet] | None = None) -> dict:
    """Feldman-Cousins (``ordering="lr"``) or central Neyman belt on the problem's grid and the
    confidence sets of the observed data, with the Wilks intervals and check beside them.

    Returns a JSON-ready dict (no NaN): ``param`` (names joined by ","), ``values`` (the grid),
    ``intervals`` (1D: {CL: [[lo, hi], ...]}; 2D: {CL: accepted mask}), ``wilks_intervals``,
    ``critical_values`` {CL: per point}, ``wilks_threshold`` {CL}, ``wilks_check``
    {CL: {"coverage": per point, "error": per point}}, observed ``best`` and ``delta_chi2``."""
    if ordering not in ORDERINGS:
        raise ParameterError(f"unknown ordering {ordering!r}; choose {', '.join(ORDERINGS)}")
    dim = problem.grid.shape[1]
    if ordering == "central" and dim != 1:
        raise ParameterError("the central ordering is one-dimensional; use the likelihood-ratio ordering (lr) in 2D")
    g = problem.grid.shape[0]
    if toys is None:
        toys = run_toys(problem, range(g), n_toys, seed, 0, chunk_size, executor, workers, scheduler, checkpoint,
                        progress)
    chi2_obs, cmin_obs, best_obs = observed_fit(problem)
    t_obs = np.maximum(chi2_obs - cmin_obs, 0.0)
    crit, thr, check, out_iv, wilks_iv = {}, {}, {}, {}, {}
    for cl in cls:
        name = str(cl)
        p = cl_probability(cl)
        thr[name] = delta_chi2_threshold(cl, dim)
        if ordering == "lr":
            crit[name] = [critical_value(toys[m].delta_chi2, p) for m in range(g)]
        cov = [float(np.mean(toys[m].delta_chi2 <= thr[name])) for m in range(g)]
        check[name] = {"coverage": cov, "error": [binomial_error(c, toys[m].toy.size) for m, c in enumerate(cov)],
                       "expected": p}
        if dim == 1:
            x = problem.grid[:, 0]
            wilks_iv[name] = intervals_below(x, t_obs, thr[name])
            if ordering == "lr":
                out_iv[name] = _intervals_1d(x, t_obs, crit[name])
            else:
                lo = np.array([np.quantile(toys[m].best[:, 0], (1.0 - p) / 2.0) for m in range(g)])
                hi = np.array([np.quantile(toys[m].best[:, 0], (1.0 + p) / 2.0) for m in range(g)])
                crit[name] = {"best_low": lo.tolist(), "best_high": hi.tolist()}
                # distance of the observed best fit outside [lo, hi]: <= 0 inside the acceptance region
                out_iv[name] = _intervals_1d(x, np.maximum(lo - best_obs[0], best_obs[0] - hi), np.zeros(g))
        else:
            out_iv[name] = (t_obs <= np.asarray(crit[name])).tolist()
            wilks_iv[name] = (t_obs <= thr[name]).tolist()
    return {
        "param": ",".join(problem.names),
        "params": list(problem.names),
        "values": problem.grid[:, 0].tolist() if dim == 1 else problem.grid.tolist(),
        "ordering": ordering,
        "n_toys": int(n_toys),
        "seed": int(seed),
        "intervals": out_iv,
        "wilks_intervals": wilks_iv,
        "critical_values": crit,
        "wilks_threshold": thr,
        "wilks_check": check,
        "best": best_obs.tolist(),
        "chi2_min": float(cmin_obs),
        "delta_chi2": t_obs.tolist(),
        "toy_delta_chi2": {str(m): toys[m].delta_chi2.tolist() for m in range(g)} if dim == 1 else {},
    }


def coverage(problem: ToyProblem, point: int, n_toys: int, cls: Sequence[str | float] = ("1sigma",), seed: int = 0,
             method: str = "wilks", belt_toys: int = 1000, **run) -> dict:
    """Coverage of an interval method at the true grid point ``point`` from ``n_toys`` toys.

    ``wilks``: a toy's interval contains the truth iff t(truth) <= chi2_k quantile.
    ``fc``: iff t(truth) <= c_CL(truth), the critical value taken from ``belt_toys``
    independent toys (seed + 1). Returns the fraction covered with its binomial error."""
    if method not in ("wilks", "fc"):
        raise ParameterError(f"unknown interval method {method!r}; choose wilks or fc")
    dim = problem.grid.shape[1]
    toys = run_toys(problem, [point], n_toys, seed, **run)[point]
    ref = run_toys(problem, [point], belt_toys, seed + 1, **run)[point] if method == "fc" else None
    out = {}
    for cl in cls:
        p = cl_probability(cl)
        c = critical_value(ref.delta_chi2, p) if ref is not None else delta_chi2_threshold(cl, dim)
        frac = float(np.mean(toys.delta_chi2 <= c))
        out[str(cl)] = {"coverage": frac, "error": binomial_error(frac, toys.toy.size), "expected": p, "threshold": c}
    return {"param": ",".join(problem.names), "true_value": problem.grid[point].tolist(), "method": method,
            "n_toys": int(n_toys), "seed": int(seed), "coverage": out,
            "toy_delta_chi2": toys.delta_chi2.tolist()}
