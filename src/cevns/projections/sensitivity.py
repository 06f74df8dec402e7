"""Sensitivity of projected detectors: expected exclusion curves with Asimov bands, discovery
reach, and the combination of a projection with today's data.

Method (Cowan, Cranmer, Gross, Vitells, EPJC 71 (2011) 1554, "CCGV"):

* The Asimov data set of a detector is its SM expectation plus backgrounds
  (:func:`cevns.projections.build.build_detector_setup`; CCGV sec. 3.2). Its profiled
  chi2 against a mediator point (M, g) is the Asimov Delta-chi2_A(M, g) (the SM point is
  the minimum, chi2 = 0 for the Poisson chi2).
* Median expected limit: the smallest g with Delta-chi2_A = t_CL, the Delta-chi2 threshold
  of the CL (Wilks, one parameter; ``cl`` as in ``cevns limits``).
* +-N sigma bands: CCGV eq. (89), mu_up+N = sigma (Phi^-1(1 - alpha) + N), with sigma
  read off the Asimov Delta-chi2 (CCGV eq. 32, q_A = mu^2/sigma^2): in terms of
  Z_A(g) = sqrt(Delta-chi2_A(g)), the N-sigma band limit is where Z_A = sqrt(t_CL) + N.
  Where sqrt(t_CL) + N <= 0 (the -2 sigma band at 2 sigma CL) the band reaches g = 0
  (reported as 0; CCGV sec. 3.8 notes the same).
* Discovery reach: the smallest g at which Asimov data of (M, g) exclude the SM at
  Z sigma. To leading order in the CCGV approximation the Delta-chi2 of the SM on the
  Asimov data of (M, g) equals Delta-chi2_A(M, g) above (both are the same quadratic form
  of the expected-count difference), so the reach is where Delta-chi2_A = Z^2
  (:func:`discovery_reach`; ``exact=True`` rebuilds the Asimov data per point instead).
* Combination with today's data: the chi2 of the projection (Asimov) plus the chi2 of the
  releases (observed data) under a recipe; the level is the combined minimum (taken over
  the SM point and a coarse (M, g) grid) plus t_CL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..inference.analysis import Analysis
from ..inference.scan import analysis_chi2, find_coupling_limits, mediator_parameters
from ..likelihood import ExperimentLikelihood
from ..models import get_model
from ..recipes import Recipe, get_recipe
from ..results.records import _RECORD, _array, _plain, _Record
from ..stats import delta_chi2_threshold
from .build import asimov_likelihood, build_detector_setup, with_observed
from .spec import DetectorSpec, load_detector

CCGV = "Cowan, Cranmer, Gross, Vitells, EPJC 71 (2011) 1554, eqs. (32), (89)"
BANDS = (-2, -1, 1, 2)


def projection_analysis(model: str, likelihoods: Sequence[ExperimentLikelihood], recipe: Recipe,
                        fixed: dict | None = None) -> Analysis:
    """An :class:`Analysis` of ``model`` over ready likelihoods (projected and/or released)."""
    an = Analysis(get_model(model, recipe.model_options()), recipe, list(likelihoods), dict(fixed or {}))
    mediator_parameters(an)
    return an


def sm_chi2(an: Analysis) -> float:
    """chi2 at the SM point (coupling 0)."""
    m, g = mediator_parameters(an)
    chi2, _ = an.evaluate({m: np.array([1.0]), g: np.array([0.0])})
    return float(chi2[0])


def band_levels(threshold: float, bands: Sequence[int] = BANDS) -> dict[str, float]:
    """Delta-chi2 level of the median (``"0"``) and of each N-sigma band: (sqrt(t_CL) + N)^2,
    floored at 0 (CCGV eq. 89 with sigma from the Asimov Delta-chi2, module docstring)."""
    z = np.sqrt(threshold)
    out = {"0": float(threshold)}
    for n in bands:
        level = max(z + n, 0.0) ** 2
        out[f"{n:+d}"] = float(level) if level > 1e-6 else 0.0  # sqrt(t) + N ~ 0: the band reaches g = 0
    return out


def expected_limits(an: Analysis, masses_mev: NDArray[np.float64], threshold: float, reference_chi2: float,
                    g_range: tuple[float, float] = (1e-7, 10.0), n_grid: int = 100,
                    bands: Sequence[int] = BANDS) -> dict[str, NDArray[np.float64]]:
    """Smallest excluded coupling per mass for the median and each band level (0 where the
    level is 0: that band reaches g = 0)."""
    fn = analysis_chi2(an)
    out = {}
    for key, lev in band_levels(threshold, bands).items():
        if lev <= 0:
            out[key] = np.zeros(len(masses_mev))
            continue
        lim = find_coupling_limits(fn, masses_mev, reference_chi2 + lev, g_range, n_grid)
        out[key] = lim.first_excluded
    return out


def discovery_reach(an: Analysis, masses_mev: NDArray[np.float64], reference_chi2: float, z_sigma: float = 3.0,
                    g_range: tuple[float, float] = (1e-7, 10.0), n_grid: int = 100) -> NDArray[np.float64]:
    """Smallest coupling whose Asimov data would exclude the SM at ``z_sigma`` (CCGV leading
    order: Delta-chi2_A = Z^2; see the module docstring)."""
    lim = find_coupling_limits(analysis_chi2(an), masses_mev, reference_chi2 + z_sigma**2, g_range, n_grid)
    return lim.first_excluded


def discovery_significance_exact(an: Analysis, mass_mev: float, g: float) -> float:
    """Z = sqrt(chi2_SM - chi2_min) on Asimov data made at (M, g), the SM refitted with its
    nuisances profiled (for checking :func:`discovery_reach`; one point)."""
    m_name, g_name = mediator_parameters(an)
    lks = []
    for lk in an.likelihoods:
        terms = an.model.terms(lk.cevns.grid, {**an.fixed, m_name: np.array([mass_mev]), g_name: np.array([g])})
        sig = lk.signal(terms)[0]
        bkg = sum(lk.branches[0].backgrounds.values(), np.zeros_like(sig))
        lks.append(with_observed(lk, sig + bkg))
    alt = Analysis(an.model, an.recipe, lks, an.fixed)
    chi2_sm = sm_chi2(alt)
    chi2_at, _ = alt.evaluate({m_name: np.array([mass_mev]), g_name: np.array([g])})
    return float(np.sqrt(max(chi2_sm - float(chi2_at[0]), 0.0)))


def combined_reference_chi2(an: Analysis, masses_mev: NDArray[np.float64], g_range: tuple[float, float]) -> float:
    """Minimum of the combined chi2 over the SM point and a coarse (M, g) grid (12 couplings per mass)."""
    m_name, g_name = mediator_parameters(an)
    gs = np.geomspace(g_range[0], g_range[1], 12)
    mm, gg = np.repeat(masses_mev, gs.size), np.tile(gs, len(masses_mev))
    chi2, _ = an.evaluate({m_name: mm, g_name: gg})
    return float(min(np.nanmin(chi2), sm_chi2(an)))


@dataclass(**_RECORD)
class ProjectionResult(_Record):
    """Projected reach of a detector without data (:func:`cevns.api.project`).

    Fields
    ------
    detector, description, citation, assumptions: the detector file (name, what it is, sources).
    facility, baseline_m, pot, exposure_years: the source and exposure.
    recipe: the recipe of the prediction; model: the mediator model (or None: SM only).
    cevns_total: SM expected CEvNS events after all efficiencies; cevns_by_flavor: per flavour.
    backgrounds: expected events of each background.
    energy_unit, energy_edges, time_edges_us, cevns_bins: the binned SM expectation.
    cl, delta_chi2_threshold: the CL of the limits and its Delta-chi2.
    masses_mev: mediator masses of the curves.
    expected_limit_g: median expected limit (Asimov); bands_g: {"-2", "-1", "+1", "+2"} band limits.
    discovery_g: {"3sigma", "5sigma"} discovery reach (CCGV leading order).
    combined_with, combined_limit_g: releases combined with the projection and the combined limit.
    gm2_band: (g-2)_mu 2-sigma band of the model where it couples to muons.
    method: how the curves were computed (with CCGV's equations); provenance: versions, file hash.
    """

    detector: str
    description: str
    citation: str
    assumptions: list
    facility: dict
    baseline_m: float
    pot: float
    exposure_years: float | None
    recipe: str
    model: str | None
    cevns_total: float
    cevns_by_flavor: dict
    backgrounds: dict
    energy_unit: str
    energy_edges: np.ndarray
    time_edges_us: np.ndarray
    cevns_bins: np.ndarray
    cl: str | None = None
    delta_chi2_threshold: float | None = None
    masses_mev: np.ndarray | None = None
    expected_limit_g: np.ndarray | None = None
    bands_g: dict | None = None
    discovery_g: dict | None = None
    combined_with: list | None = None
    combined_limit_g: np.ndarray | None = None
    gm2_band: dict | None = None
    method: str = ""
    provenance: dict | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        out["bins"] = {"energy_unit": self.energy_unit, "energy_edges": self.energy_edges,
                       "time_edges_us": self.time_edges_us, "cevns": self.cevns_bins}
        for k in ("energy_unit", "energy_edges", "time_edges_us", "cevns_bins"):
            out.pop(k)
        return _plain(out)


def _nan_to_none(a) -> list | None:
    if a is None:
        return None
    return [None if not np.isfinite(v) else float(v) for v in np.asarray(a, dtype=float)]


def project(detector: str | DetectorSpec, model: str | None = None, recipe: str | Recipe | None = "atzori2022",
            years: float | None = None, pot: float | None = None, cl: str = "2sigma", masses_mev=None,
            g_range: tuple[float, float] = (1e-7, 10.0), bands: bool = True, discovery: bool = True,
            combine_with: Sequence[str] = (), fixed: dict | None = None, n_grid: int = 100) -> ProjectionResult:
    """SM event counts of a detector file and, with a mediator ``model``, its expected limits."""
    from ..api import _muon_band, provenance
    from ..likelihood import build_likelihood

    rec = get_recipe(recipe)
    spec = load_detector(detector) if isinstance(detector, str) else detector
    setup = build_detector_setup(spec, rec, years, pot)
    c = setup.cevns
    by_f = c.counts_by_flavour(c.sm_weak_charges(c.sm.couplings))
    total = sum(by_f[f] for f in c.flavours)
    ex = setup.extras
    base = dict(detector=spec.name, description=spec.description, citation=spec.citation,
                assumptions=list(spec.assumptions), facility=ex.facility.to_dict(), baseline_m=spec.baseline_m,
                pot=ex.pot, exposure_years=ex.years, recipe=rec.name, model=model, cevns_total=float(total.sum()),
                cevns_by_flavor={f: float(by_f[f].sum()) for f in c.flavours},
                backgrounds={k: float(v.counts.sum()) for k, v in setup.backgrounds.items()},
                energy_unit=spec.response.energy_unit, energy_edges=_array(c.energy_edges),
                time_edges_us=_array(c.time_edges_us), cevns_bins=_array(total),
                provenance={**provenance(rec.name, setup), "detector_file": spec.path, "detector_sha256": spec.sha256})
    if model is None:
        return ProjectionResult(**base, method="SM prediction only")
    masses = np.geomspace(1.0, 1e4, 25) if masses_mev is None else np.asarray(masses_mev, dtype=float)
    thr = delta_chi2_threshold(cl, 1)
    lk = asimov_likelihood(rec, setup)
    an = projection_analysis(model, [lk], rec, fixed)
    ref = sm_chi2(an)
    lims = expected_limits(an, masses, thr, ref, g_range, n_grid, BANDS if bands else ())
    disc = None
    if discovery:
        disc = {f"{z}sigma": _nan_to_none(discovery_reach(an, masses, ref, z, g_range, n_grid)) for z in (3, 5)}
    comb, comb_lim = None, None
    if combine_with:
        released = [build_likelihood(e, rec) for e in combine_with]
        an_c = projection_analysis(model, [lk, *released], rec, fixed)
        ref_c = combined_reference_chi2(an_c, masses[:: max(1, len(masses) // 8)], (max(g_range[0], 1e-6), 1e-1))
        comb = list(combine_with)
        comb_lim = _array(find_coupling_limits(analysis_chi2(an_c), masses, ref_c + thr, g_range, n_grid).first_excluded)
    return ProjectionResult(
        **base, cl=str(cl), delta_chi2_threshold=thr, masses_mev=_array(masses),
        expected_limit_g=_array(lims["0"]), bands_g={k: _array(v) for k, v in lims.items() if k != "0"},
        discovery_g=disc, combined_with=comb, combined_limit_g=comb_lim, gm2_band=_muon_band(an.model, masses),
        method=f"Asimov data (SM + backgrounds), Poisson chi2 with the file's normalisation nuisances profiled; "
               f"median limit at Delta-chi2_A = {thr:.3f}; bands at (sqrt(t) + N)^2 and discovery at Z^2 ({CCGV})",
    )
