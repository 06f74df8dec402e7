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
from ..likelihood import ExperimentLikelihood, build_likelihood, lar_poisson_3d
from ..models import get_model
from ..models.base import Model
from ..recipes import Recipe, get_recipe
from ..stats import delta_chi2_threshold, intervals_below
from ..validation import check_roles, check_values, no_duplicates

#: points of a profile grid evaluated in one batch (memory is bounded by this, not by the grid)
PROFILE_CHUNK = 2000


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
        total = None
        details = {}
        for lk in self.likelihoods:
            def terms(cevns, merged=merged):
                return self.model.terms(cevns.grid, merged)

            chi2, best = lk.profile(terms)
            details[lk.experiment] = best
            total = chi2 if total is None else total + chi2
        return total, details

    def chi2_scalar(self, values: Mapping[str, float]) -> float:
        chi2, _ = self.evaluate({k: np.array([v]) for k, v in values.items()})
        return float(chi2[0])

    def fit(self, free: Sequence[str], start: Mapping[str, float] | None = None) -> dict:
        """Minimise over the free model parameters (nuisances always profiled)."""
        self.check_params(free)
        check_roles(free=list(free), fixed=self.fixed)
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
        v = self.fixed.get(name, self.model.default(name, self.likelihoods[0].cevns.grid))
        if np.isnan(v):
            iso = {"rn_cs": "Cs133", "rn_i": "I127", "rn_ar": "Ar40", "rn_csi": "Cs133"}.get(name)
            from ..physics.nuclei import isotope

            v = isotope(iso, self.recipe.radii).neutron_rms_radius_fm if iso else 0.0
        return float(v)

    def profile(self, param: str, grid: NDArray[np.float64], free: Sequence[str] = ()) -> dict:
        """Delta-chi2 profile of ``param`` on ``grid``; other ``free`` parameters minimised."""
        self.check_params([param, *free])
        check_roles([param], list(free), self.fixed, "--param")
        grid = np.atleast_1d(np.asarray(grid, dtype=float))
        check_values(self.model, {param: grid})
        if not free:
            chi2 = np.concatenate([self.evaluate({param: grid[i:i + PROFILE_CHUNK]})[0]
                                   for i in range(0, grid.size, PROFILE_CHUNK)])
        else:
            from iminuit import Minuit

            chi2 = np.empty_like(grid)
            start = [self._default(p) for p in free]
            for i, g in enumerate(grid):
                def fcn(*x, g=g):
                    return self.chi2_scalar({param: g, **dict(zip(free, x, strict=True))})

                m = Minuit(fcn, *start, name=list(free))
                m.errordef = Minuit.LEAST_SQUARES
                for p in free:
                    if self.model.parameters[p].bounds is not None:
                        m.limits[p] = self.model.parameters[p].bounds
                m.migrad()
                chi2[i] = m.fval
                start = [float(m.values[p]) for p in free]
        i_min = int(np.argmin(chi2))
        chi2_min = float(chi2[i_min])
        # refine the minimum between grid points with a parabola through the 3 lowest
        best = float(grid[i_min])
        if 0 < i_min < len(grid) - 1:
            x = grid[i_min - 1 : i_min + 2]
            y = chi2[i_min - 1 : i_min + 2]
            a, b, c = np.polyfit(x, y, 2)
            if a > 0:
                xv = -b / (2 * a)
                if x[0] <= xv <= x[2]:
                    best = float(xv)
                    chi2_min = min(chi2_min, float(c - b * b / (4 * a)))
        return {"param": param, "values": grid, "chi2": chi2, "chi2_min": chi2_min,
                "delta_chi2": chi2 - chi2_min, "best": best}


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


def intervals(profile: dict, cls: Sequence[str | float], dof: int = 1) -> dict[str, list[list[float]]]:
    """Intervals per CL name from a profile (several disjoint ones where the profile has them)."""
    out = {}
    for cl in cls:
        thr = delta_chi2_threshold(cl, dof)
        out[str(cl)] = intervals_below(profile["values"], profile["delta_chi2"], thr)
    return out
