"""Fits, profiles and 2D scans on top of the recipe likelihoods.

An :class:`Analysis` is a model, a recipe and one or more experiments; its chi2 is the
sum of the experiments' chi2 with their nuisances profiled independently (the seeds'
combinations have no shared nuisances). Model parameters are either fixed (defaults or
user values), scanned on a grid (evaluated in one batch), or free: free parameters are
minimised with iminuit (Migrad) on top of the batched nuisance profiling.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from ..errors import UnknownNameError
from ..experiments import experiment_names
from ..likelihood import CombinedLikelihood, ExperimentLikelihood, build_likelihood, lar_poisson_3d
from ..models import get_model
from ..models.base import Model
from ..progress import ProgressFn, report
from ..recipes import Recipe, get_recipe
from ..stats import delta_chi2_threshold, intervals_below
from ..validation import check_roles, check_values, no_duplicates

#: points of a profile grid evaluated in one batch (memory is bounded by this, not by the grid)
PROFILE_CHUNK = 2000


class GridEdgeWarning(UserWarning):
    """An interval or contour reaches the end of the user's grid: the true one extends beyond it."""


@dataclass
class Analysis:
    """Model x recipe x experiments, with the summed profiled chi2."""

    model: Model
    recipe: Recipe
    likelihoods: list[ExperimentLikelihood]
    fixed: dict[str, float] = field(default_factory=dict)

    @property
    def experiments(self) -> list[str]:
        return [lk.experiment for lk in self.likelihoods]

    def check_params(self, names: Sequence[str]) -> None:
        """Raise a clear error for parameters the model does not have."""
        bad = [n for n in names if n not in self.model.parameters]
        if bad:
            raise UnknownNameError(
                f"unknown parameter(s) {', '.join(bad)} for model {self.model.name!r}; "
                f"valid: {', '.join(self.model.parameters)}"
            )

    def evaluate(self, values: Mapping[str, NDArray[np.float64] | float]) -> tuple[NDArray[np.float64], dict]:
        """Summed chi2 ``(P,)`` for a batch of parameter values, and per-experiment details."""
        merged = {**self.fixed, **values}

        def terms(cevns):
            return self.model.terms(cevns.grid, merged)

        return CombinedLikelihood(tuple(self.likelihoods)).profile(terms)

    def chi2_scalar(self, values: Mapping[str, float]) -> float:
        chi2, _ = self.evaluate({k: np.array([v]) for k, v in values.items()})
        return float(chi2[0])

    def releasing(self, params: Sequence[str]) -> Analysis:
        """This analysis with the nuisances that duplicate ``params`` removed: a likelihood lists
        them in ``extra["parameter_nuisances"]`` (XENONnT: ``flux_8b`` -> ``eta_flux_8b``, the flux
        prior, which a measured flux must not carry). Unchanged (self) when none applies."""
        from copy import copy
        from dataclasses import replace

        out = []
        for lk in self.likelihoods:
            linked = lk.extra.get("parameter_nuisances", {})
            drop = {linked[p] for p in params if p in linked} & {nu.name for nu in lk.nuisances}
            if drop:
                lk = copy(lk)
                lk.nuisances = [nu for nu in lk.nuisances if nu.name not in drop]
            out.append(lk)
        if all(a is b for a, b in zip(out, self.likelihoods, strict=True)):
            return self
        return replace(self, likelihoods=out)

    def fit(self, free: Sequence[str], start: Mapping[str, float] | None = None) -> dict:
        """Minimise over the free model parameters (nuisances always profiled)."""
        self.check_params(free)
        check_roles(free=list(free), fixed=self.fixed)
        if self.releasing(free) is not self:
            return self.releasing(free).fit(free, start)
        start = dict(start or {})
        self.check_params(list(start))
        check_values(self.model, start, "start value ")
        x0 = [start.get(p, self._default(p)) for p in free]
        if free:
            from iminuit import Minuit

            def fcn(*x):
                return self.chi2_scalar(dict(zip(free, x, strict=True)))

            m = Minuit(fcn, *x0, name=list(free))
            m.errordef = Minuit.LEAST_SQUARES
            for p in free:
                b = self.model.parameters[p].bounds
                if b is not None:
                    m.limits[p] = b
            m.migrad()
            best = {p: float(m.values[p]) for p in free}
            errors = {p: float(m.errors[p]) for p in free}
            valid = bool(m.valid)
        else:
            best, errors, valid = {}, {}, True
        chi2, details = self.evaluate({k: np.array([v]) for k, v in best.items()})
        # continuous non-linear nuisances: report nuisances and components of the rebuilt branch
        merged = {**self.fixed, **{k: np.array([v]) for k, v in best.items()}}
        for lk in self.likelihoods:
            def terms(cevns, merged=merged):
                return self.model.terms(cevns.grid, merged)

            details[lk.experiment] = lk.profile_at_continuous(terms, details[lk.experiment])
        return {
            "chi2_min": float(chi2[0]),
            "best_fit": best,
            "errors_hesse": errors,
            "valid": valid,
            "details": details,
        }

    def _default(self, name: str) -> float:
        v = self.fixed.get(name, np.nan)
        for lk in self.likelihoods:  # the first experiment that gives it one (flux_8b: a solar source)
            if np.isnan(v):
                v = self.model.default(name, lk.cevns.grid)
        if np.isnan(v):
            iso = {"rn_cs": "Cs133", "rn_i": "I127", "rn_ar": "Ar40", "rn_csi": "Cs133"}.get(name)
            from ..physics.nuclei import isotope

            v = isotope(iso, self.recipe.radii).neutron_rms_radius_fm if iso else 0.0
        return float(v)

    def profile(self, param: str, grid: NDArray[np.float64], free: Sequence[str] = (),
                progress: ProgressFn | None = None, chunk_size: int | None = None) -> dict:
        """Delta-chi2 profile of ``param`` on ``grid``; other ``free`` parameters minimised.

        The grid is evaluated in chunks of ``chunk_size`` points (default: about 20 chunks;
        the result equals one batch) and ``progress(done, total)`` is called after each
        chunk (with ``free`` parameters, after each point). The best fit and ``chi2_min``
        come from a bounded minimisation of ``param`` (:meth:`minimise_param`) started
        from the best grid point, never from the grid alone, so ``best`` lies inside its
        intervals (:func:`intervals` adds it to the sampled profile).
        """
        self.check_params([param, *free])
        check_roles([param], list(free), self.fixed, "--param")
        if self.releasing([param, *free]) is not self:
            return self.releasing([param, *free]).profile(param, grid, free, progress, chunk_size)
        grid = np.atleast_1d(np.asarray(grid, dtype=float))
        check_values(self.model, {param: grid})
        n = grid.size
        if not free:
            # about 20 chunks for the progress bar, never more than PROFILE_CHUNK points at once (memory)
            size = max(1, -(-n // 20)) if chunk_size is None else max(1, int(chunk_size))
            size = min(size, PROFILE_CHUNK)
            n_chunks = max(1, -(-n // size))
            parts = []
            steps = n_chunks + 1  # the chunks, then the minimiser
            for c in range(n_chunks):
                parts.append(self.evaluate({param: grid[c * size:(c + 1) * size]})[0])
                report(progress, c + 1, steps)
            chi2 = np.concatenate(parts) if parts else np.zeros(0)
        else:
            chi2 = np.empty_like(grid)
            start = [self._default(p) for p in free]
            steps = n + 1  # the points, then the minimiser
            for i, g in enumerate(grid):
                fval, start = self._minimise_free(free, {param: g}, start)
                chi2[i] = fval
                report(progress, i + 1, steps)
        i_min = int(np.argmin(chi2))
        best, chi2_min = self.minimise_param(param, grid, chi2, free)
        report(progress, steps, steps)
        chi2_min = min(chi2_min, float(chi2[i_min]))
        return {"param": param, "values": grid, "chi2": chi2, "chi2_min": chi2_min,
                "delta_chi2": chi2 - chi2_min, "best": best}

    def _minimise_free(self, free: Sequence[str], fixed: Mapping[str, float], start) -> tuple[float, list[float]]:
        """min over the ``free`` parameters (Migrad) at ``fixed`` values; (chi2, best free values)."""
        from iminuit import Minuit

        def fcn(*x):
            return self.chi2_scalar({**fixed, **dict(zip(free, x, strict=True))})

        m = Minuit(fcn, *start, name=list(free))
        m.errordef = Minuit.LEAST_SQUARES
        for p in free:
            if self.model.parameters[p].bounds is not None:
                m.limits[p] = self.model.parameters[p].bounds
        m.migrad()
        return float(m.fval), [float(m.values[p]) for p in free]

    def minimise_param(self, param: str, grid: NDArray[np.float64], chi2: NDArray[np.float64],
                       free: Sequence[str] = (), xtol: float | None = None) -> tuple[float, float]:
        """(best, chi2 there) of ``param`` by bounded scalar minimisation (scipy, Brent's method)
        between the two grid neighbours of the lowest grid point (to the grid's end where it
        is at an end; clipped to the parameter's bounds). ``xtol`` defaults to 1e-6 of
        the bracket. A minimum found above the lowest grid value is never taken."""
        from scipy.optimize import minimize_scalar

        grid = np.asarray(grid, dtype=float)
        i = int(np.argmin(chi2))
        if grid.size < 2:
            return float(grid[i]), float(chi2[i])
        order = np.argsort(grid)
        k = int(np.nonzero(order == i)[0][0])
        lo, hi = float(grid[order[max(k - 1, 0)]]), float(grid[order[min(k + 1, grid.size - 1)]])
        bounds = self.model.parameters[param].bounds
        if bounds is not None:
            lo, hi = max(lo, bounds[0]), min(hi, bounds[1])
        if not hi > lo:
            return float(grid[i]), float(chi2[i])
        start = [self._default(p) for p in free]

        def f(x: float) -> float:
            if free:
                return self._minimise_free(free, {param: x}, start)[0]
            return self.chi2_scalar({param: x})

        tol = (hi - lo) * 1e-6 if xtol is None else xtol
        res = minimize_scalar(f, bounds=(lo, hi), method="bounded", options={"xatol": tol})
        if np.isfinite(res.fun) and res.fun < chi2[i]:
            return float(res.x), float(res.fun)
        return float(grid[i]), float(chi2[i])


def make_analysis(
    experiments: Sequence[str],
    recipe: str | None = None,
    model: str | None = None,
    fixed: Mapping[str, float] | None = None,
    root=None,
    free_cevns_lar3d: bool = False,
) -> Analysis:
    """Build an analysis; errors name the valid experiments, recipes and models."""
    rec = get_recipe(recipe)
    mod = get_model(model, rec.model_options())
    if not experiments:
        raise UnknownNameError(f"no experiment given; choose from {', '.join(experiment_names())}")
    for e in experiments:
        if e not in experiment_names():
            raise UnknownNameError(f"unknown experiment {e!r}; choose from {', '.join(experiment_names())}")
    no_duplicates(list(experiments), "experiment", "--experiments")  # twice would count its chi2 twice
    bad = [n for n in (fixed or {}) if n not in mod.parameters]
    if bad:
        raise UnknownNameError(f"unknown parameter(s) {', '.join(bad)} for model {mod.name!r}; "
                               f"valid: {', '.join(mod.parameters)}")
    check_values(mod, dict(fixed or {}), "--fix ")
    lks = []
    for e in experiments:
        if free_cevns_lar3d and e == "lar-2020":
            from ..experiments import build_experiment

            lks.append(lar_poisson_3d(rec, build_experiment(e, rec, root), free_cevns=True))
        else:
            lks.append(build_likelihood(e, rec, root))
    an = Analysis(mod, rec, lks, dict(fixed or {}))
    an.check_params(list(an.fixed))
    return an


def _with_best(profile: dict) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The sampled profile with the minimiser's best point (Delta-chi2 = 0) added, sorted."""
    x = np.asarray(profile["values"], dtype=float)
    d = np.asarray(profile["delta_chi2"], dtype=float)
    best = profile.get("best")
    if best is not None and np.isfinite(best) and x.size and x.min() <= best <= x.max() and not np.any(x == best):
        x, d = np.append(x, best), np.append(d, 0.0)
        order = np.argsort(x, kind="stable")
        x, d = x[order], d[order]
    return x, d


def intervals(profile: dict, cls: Sequence[str | float], dof: int = 1) -> dict[str, list[list[float]]]:
    """Intervals per CL name from a profile (several disjoint ones where the profile has them).

    The profile's ``best`` (the minimiser's, Delta-chi2 = 0) is a sample too, so the best
    fit always lies inside an interval of every CL.
    """
    x, d = _with_best(profile)
    out = {}
    for cl in cls:
        thr = delta_chi2_threshold(cl, dof)
        out[str(cl)] = intervals_below(x, d, thr)
    return out


def touches_grid_edge(profile: dict, found: Mapping[str, list[list[float]]]) -> dict[str, list[dict[str, bool]]]:
    """Per CL and interval of ``found`` (from :func:`intervals`), whether its lower/upper end is
    the end of the grid (the profile is still below the threshold there: the true interval
    goes further). ``{cl: [{"lower": bool, "upper": bool}, ...]}``."""
    x = np.asarray(profile["values"], dtype=float)
    lo, hi = (float(x.min()), float(x.max())) if x.size else (np.nan, np.nan)
    return {cl: [{"lower": bool(a <= lo), "upper": bool(b >= hi)} for a, b in ivs] for cl, ivs in found.items()}


def edge_warnings(what: str, edges: Mapping[str, list[dict[str, bool]]]) -> list[str]:
    """One message per CL whose interval(s) reach the grid edge (for a warning on stderr)."""
    out = []
    for cl, flags in edges.items():
        ends = sorted({end for f in flags for end, hit in f.items() if hit})
        if ends:
            out.append(f"the {cl} interval of {what} reaches the {' and '.join(ends)} end of the grid: "
                       "the true interval extends beyond it; widen the grid")
    return out
