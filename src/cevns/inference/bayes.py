"""Posteriors of any recipe likelihood by nested sampling (issue #12).

Priors are declared per parameter (:class:`Prior`: ``flat``, ``log-flat``, ``gaussian``),
the likelihood is L = exp(-chi2/2) of the analysis (nuisances as the recipe treats
them: profiled, or marginalised where the likelihood is, e.g. seed 000 eqs. (21)-(22)
for CsI 2017 under ``banerjee2021``), evaluated in batches of points on the fast path.

Sampler: ``ultranest`` (default; vectorised likelihood calls, works in one dimension),
``nautilus`` (vectorised, 2 or more parameters) or ``dynesty`` (docs/statistics.md),
all maintained pure-Python samplers (no compiled MultiNest). Returns
weighted posterior samples, equal-tailed credible intervals, the log-evidence and the
number of likelihood calls.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

from ..errors import ParameterError
from ..stats import cl_probability

PRIOR_KINDS = ("flat", "log-flat", "gaussian")
SAMPLERS = ("nautilus", "ultranest", "dynesty")


@dataclass(frozen=True)
class Prior:
    """Prior of one parameter: ``flat`` on [a, b], ``log-flat`` on [a, b] (a > 0), or
    ``gaussian`` with mean a and width b."""

    name: str
    kind: str
    a: float
    b: float

    def __post_init__(self):
        if self.kind not in PRIOR_KINDS:
            raise ParameterError(f"prior of {self.name}: unknown kind {self.kind!r}; choose {', '.join(PRIOR_KINDS)}")
        if not (math.isfinite(self.a) and math.isfinite(self.b)):
            raise ParameterError(f"prior of {self.name}: bounds must be finite numbers")
        if self.kind in ("flat", "log-flat") and not self.b > self.a:
            raise ParameterError(f"prior of {self.name}: need HI > LO, e.g. {self.name}=flat:0:1")
        if self.kind == "log-flat" and self.a <= 0:
            raise ParameterError(f"prior of {self.name}: a log-flat prior needs LO > 0, e.g. {self.name}=log-flat:1e-5:1e-2")
        if self.kind == "gaussian" and not self.b > 0:
            raise ParameterError(f"prior of {self.name}: a Gaussian prior needs a width > 0, e.g. {self.name}=gaussian:0.24:0.01")

    @classmethod
    def parse(cls, text: str) -> Prior:
        """``NAME=KIND:A:B`` (``g=log-flat:1e-5:1e-2``, ``sin2_theta_w=flat:0.1:0.4``)."""
        try:
            name, spec = text.split("=", 1)
            kind, a, b = spec.split(":")
            lo, hi = float(a), float(b)
        except ValueError:
            raise ParameterError(f"cannot read prior {text!r}; use NAME=KIND:A:B with KIND flat, log-flat or gaussian") from None
        return cls(name.strip(), kind.strip(), lo, hi)

    def transform(self, u: np.ndarray) -> np.ndarray:
        """Unit cube -> parameter."""
        if self.kind == "flat":
            return self.a + (self.b - self.a) * u
        if self.kind == "log-flat":
            return np.exp(np.log(self.a) + (np.log(self.b) - np.log(self.a)) * u)
        return norm.ppf(np.clip(u, 1e-300, 1 - 1e-16), self.a, self.b)


def check_priors(priors: Sequence[Prior], model_parameters: Mapping) -> None:
    if not priors:
        raise ParameterError("give at least one prior, e.g. --prior g=log-flat:1e-5:1e-2")
    names = [p.name for p in priors]
    if len(set(names)) != len(names):
        raise ParameterError(f"one prior per parameter; repeated: {', '.join(sorted({n for n in names if names.count(n) > 1}))}")
    bad = [n for n in names if n not in model_parameters]
    if bad:
        raise ParameterError(f"prior for unknown parameter(s) {', '.join(bad)}; valid: {', '.join(model_parameters)}")


def sample(chi2_batch, priors: Sequence[Prior], sampler: str = "ultranest", seed: int = 0, live_points: int = 400,
           cls: Sequence[str] = ("1sigma",), executor: str = "local", workers: int | None = None) -> dict:
    """Nested sampling of L = exp(-chi2/2) with ``chi2_batch({name: (P,)}) -> (P,)``.

    Returns a JSON-ready dict: ``params``, ``samples`` (equal-weight resampled, at most
    4000), ``intervals`` (equal-tailed credible intervals per CL and parameter), ``median``,
    ``log_evidence`` (+- error where the sampler gives it), ``n_calls``, ``time_s``,
    ``max_likelihood`` (the best sampled point and its chi2)."""
    if sampler not in SAMPLERS:
        raise ParameterError(f"unknown sampler {sampler!r}; choose {', '.join(SAMPLERS)}")
    names = [p.name for p in priors]
    if sampler == "nautilus" and len(priors) < 2:
        raise ParameterError("nautilus needs at least 2 parameters; use --sampler ultranest (or dynesty) for one")
    calls = [0]

    def transform(u):
        u = np.atleast_2d(u)
        return np.stack([p.transform(u[:, k]) for k, p in enumerate(priors)], axis=1)

    def loglike(x):
        x = np.atleast_2d(x)
        calls[0] += x.shape[0]
        chi2 = np.asarray(chi2_batch({n: x[:, k] for k, n in enumerate(names)}), dtype=float)
        return np.where(np.isfinite(chi2), -0.5 * chi2, -1e300)

    t0 = time.time()
    rng = np.random.default_rng(seed)
    if sampler == "nautilus":
        from nautilus import Sampler

        s = Sampler(transform, loglike, n_dim=len(priors), n_live=live_points, vectorized=True, seed=seed,
                    pass_dict=False)
        s.run(verbose=False)
        pts, log_w, log_l = s.posterior()
        w = np.exp(log_w - log_w.max())
        log_z, log_z_err = float(s.log_z), None
    elif sampler == "ultranest":
        import logging

        import ultranest

        s = ultranest.ReactiveNestedSampler(names, lambda x: loglike(x), lambda u: transform(u), vectorized=True)
        np.random.seed(seed)
        # ultranest reports progress on stdout through its logger: keep stdout for results (--json)
        logger = logging.getLogger("ultranest")
        handlers, level, propagate = list(logger.handlers), logger.level, logger.propagate
        for h in handlers:
            logger.removeHandler(h)
        logger.setLevel(logging.WARNING)
        logger.propagate = False
        try:
            r = s.run(min_num_live_points=live_points, show_status=False, viz_callback=False)
        finally:
            for h in handlers:
                logger.addHandler(h)
            logger.setLevel(level)
            logger.propagate = propagate
        pts, w = r["weighted_samples"]["points"], r["weighted_samples"]["weights"]
        log_l = r["weighted_samples"]["logl"]
        log_z, log_z_err = float(r["logz"]), float(r["logzerr"])
    else:
        import dynesty

        s = dynesty.NestedSampler(lambda x: float(loglike(x)[0]), lambda u: transform(u)[0], len(priors),
                                  nlive=live_points, rstate=rng)
        s.run_nested(print_progress=False)
        r = s.results
        pts, log_l = r.samples, r.logl
        w = np.exp(r.logwt - r.logwt.max())
        log_z, log_z_err = float(r.logz[-1]), float(r.logzerr[-1])
    elapsed = time.time() - t0
    w = np.asarray(w, dtype=float) / np.sum(w)
    pts = np.atleast_2d(np.asarray(pts, dtype=float))
    intervals, median = {}, {}
    for k, n in enumerate(names):
        order = np.argsort(pts[:, k])
        cdf = np.cumsum(w[order])
        median[n] = float(np.interp(0.5, cdf, pts[order, k]))
        for cl in cls:
            p = cl_probability(cl)
            lo = float(np.interp((1 - p) / 2, cdf, pts[order, k]))
            hi = float(np.interp((1 + p) / 2, cdf, pts[order, k]))
            intervals.setdefault(str(cl), {})[n] = [lo, hi]
    n_eq = min(4000, pts.shape[0])
    eq = pts[rng.choice(pts.shape[0], size=n_eq, p=w)]
    i_best = int(np.argmax(log_l))
    return {"params": names, "priors": [{"name": p.name, "kind": p.kind, "a": p.a, "b": p.b} for p in priors],
            "sampler": sampler, "seed": int(seed), "live_points": int(live_points), "samples": eq.tolist(),
            "intervals": intervals, "median": median, "log_evidence": log_z, "log_evidence_error": log_z_err,
            "n_calls": int(calls[0]), "time_s": float(elapsed),
            "max_likelihood": {"point": dict(zip(names, pts[i_best].tolist(), strict=True)),
                               "chi2": float(-2.0 * log_l[i_best])}}
