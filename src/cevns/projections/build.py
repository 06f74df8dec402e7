"""A detector file -> an :class:`~cevns.experiments.common.ExperimentSetup` with Asimov data, its
likelihood, and its registration in the experiment and likelihood registries.

The detector builder owns the file read (:func:`cevns.projections.spec.load_detector`);
the prediction is the same :class:`~cevns.prediction.BinnedCEvNS` fast path as for the
releases (kernels from :func:`~cevns.experiments.common.build_isotope_kernel`, the source
from :mod:`cevns.sources.facilities`), so every model works on it. ``observed`` is the
Asimov data set: the SM expectation plus the backgrounds (Cowan, Cranmer, Gross, Vitells,
EPJC 71 (2011) 1554, sec. 3.2: the data set whose estimators give the true values).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from ..detectors import (
    fold_density_into_bins,
    gamma_smearing_pdf,
    gauss_legendre,
    linear_quenching_kev_ee,
    logistic_efficiency,
    polynomial_scintillation_kev_ee,
    tabulated_efficiency,
)
from ..errors import ParameterError
from ..experiments.common import Component, ExperimentSetup, build_isotope_kernel, sm_reference, targets_per_isotope
from ..likelihood.core import Branch, ExperimentLikelihood, Nuisance, _flatten_2d
from ..physics.nuclei import isotope
from ..prediction import BinnedCEvNS
from ..recipes import Recipe
from ..sources.facilities import Facility, get_facility
from ..sources.stopped_pion import StoppedPionSource
from ..sources.timing import ProtonPulse, time_efficiency, time_efficiency_integrals_us
from .spec import DetectorSpec, ResponseSpec, load_detector

#: prior width standing for "no uncertainty" (the batched profiler needs at least one nuisance)
FIXED_SIGMA = 1e-6


@dataclass(frozen=True)
class DetectorExtras:
    """What a projected setup carries beyond prediction and backgrounds: the validated file,
    the facility, the exposure (POT, and years where given) and the Asimov construction."""

    spec: DetectorSpec
    facility: Facility
    pot: float
    years: float | None
    asimov: str = "SM expectation + backgrounds (Cowan et al. 2011 sec. 3.2)"


# ------------------------------------------------------------------------------ response


def visible_energy(t_nr_kev: NDArray[np.float64], r: ResponseSpec) -> NDArray[np.float64]:
    """Mean reconstructed energy of a true recoil, in the file's unit: quenching (keVnr -> keVee),
    times the light yield for ``PE``. ``quenching = none`` keeps keVnr (seed 000 sec. III, 1 PE/keVnr)."""
    t = np.asarray(t_nr_kev, dtype=float)
    model, p = r.quenching
    if model == "none":
        e = t
    elif model == "constant":
        e = p["factor"] * t
    elif model == "linear":
        e = linear_quenching_kev_ee(t, p["a"], p["b_per_kev"])
    else:  # polynomial-mev: CsI 2021 scintillation response, seed 004 sec. 3.1
        e = polynomial_scintillation_kev_ee(t, p["coefficients"])
    e = np.clip(e, 1e-9, None)
    return e * r.light_yield_pe_per_kev if r.energy_unit == "PE" else e


def energy_efficiency(r: ResponseSpec) -> Callable[[NDArray[np.float64]], NDArray[np.float64]]:
    """Efficiency as a function of the reconstructed energy, zero below the threshold."""
    model, p = r.efficiency
    if model == "flat":
        def base(x):
            return np.full_like(np.asarray(x, dtype=float), float(p.get("value", 1.0)))
    elif model == "table":
        base = tabulated_efficiency(p["x"], p["efficiency"])
    else:
        def base(x):
            return np.clip(logistic_efficiency(x, p["a"], p["b"], p["c"], p.get("d", 0.0)), 0.0, None)

    def eff(x: NDArray[np.float64]) -> NDArray[np.float64]:
        x = np.asarray(x, dtype=float)
        return np.where(x >= r.threshold, base(x), 0.0)

    return eff


def energy_response(r: ResponseSpec, edges: NDArray[np.float64]) -> Callable[[NDArray[np.float64]], NDArray[np.float64]]:
    """``response(t_nr_kev) -> (n_T, n_E)``: probability (efficiency included) that a true recoil
    lands in each reconstructed bin, with the file's resolution model."""
    eff = energy_efficiency(r)
    model, p = r.resolution

    def response(t_nr_kev: NDArray[np.float64]) -> NDArray[np.float64]:
        mean = visible_energy(t_nr_kev, r)
        if model == "none":
            idx = np.searchsorted(edges, mean, side="right") - 1
            inside = (idx >= 0) & (idx < len(edges) - 1)
            out = np.zeros((mean.size, len(edges) - 1))
            out[np.nonzero(inside)[0], idx[inside]] = eff(mean[inside])
            return out
        if model == "gamma-pe":  # seed 004 eq. (31), in PE with the file's light yield
            e_ee = mean / r.light_yield_pe_per_kev
            return fold_density_into_bins(
                lambda x: gamma_smearing_pdf(x[None, :], e_ee[:, None], r.light_yield_pe_per_kev), edges, eff)
        sigma = p["a"] * np.sqrt(mean) if model == "gaussian-sqrt" else p["fraction"] * mean

        def density(x):
            s = sigma[:, None]
            return np.exp(-0.5 * ((x[None, :] - mean[:, None]) / s) ** 2) / (np.sqrt(2 * np.pi) * s)

        return fold_density_into_bins(density, edges, eff, points_per_bin=32)

    return response


def recoil_grid_for(spec: DetectorSpec, t_max_kev: float, n_nodes: int) -> tuple[NDArray[np.float64], NDArray[np.float64]] | None:
    """Without smearing the response is a step in T: Gauss-Legendre nodes aligned with the bin
    edges mapped back to true recoil (monotone interpolation), so each bin is integrated
    exactly; with smearing, ``None`` (the log grid of :func:`build_isotope_kernel`)."""
    r = spec.response
    if r.resolution[0] != "none":
        return None
    t_fine = np.geomspace(1e-3, max(t_max_kev, 1e-2), 4000)
    e_fine = visible_energy(t_fine, r)
    if np.any(np.diff(e_fine) <= 0):
        raise ParameterError(f"detector {spec.name!r}: quenching is not monotonic; add a resolution model")
    t_edges = np.interp(np.asarray(spec.energy_edges), e_fine, t_fine, left=np.nan, right=np.nan)
    t_edges = t_edges[np.isfinite(t_edges)]
    t_edges = np.unique(np.clip(np.concatenate([t_edges, [t_max_kev]]), None, t_max_kev))
    per_bin = max(4, n_nodes // max(len(t_edges) - 1, 1))
    x, w = gauss_legendre(per_bin)
    lo, hi = t_edges[:-1, None], t_edges[1:, None]
    nodes = (0.5 * (hi - lo) * x[None, :] + 0.5 * (hi + lo)).ravel()
    weights = (0.5 * (hi - lo) * w[None, :]).ravel()
    return nodes, weights


# ------------------------------------------------------------------------------ timing and backgrounds


def time_efficiency_of(r: ResponseSpec):
    """The time efficiency (seed 004 eq. 33 form) or ``None``."""
    model, p = r.time_efficiency
    if model == "none":
        return None
    t0, k = p.get("t_start_us", 0.52), p.get("decay_per_us", 0.0494)
    return lambda t: time_efficiency(t, t0, k)


def time_fractions(spec: DetectorSpec, source: StoppedPionSource) -> dict[str, NDArray[np.float64]]:
    """Per-flavour fraction in each time bin (time efficiency applied), normalised to the window
    (``window``, as both releases are) or not (``physical``)."""
    edges = np.asarray(spec.time_edges_us)
    window = np.array([edges[0], edges[-1]])
    teff = time_efficiency_of(spec.response)
    out = {}
    for f in source.flavours:
        frac = (source.timing.binned_fractions(f, edges) if teff is None
                else source.timing.efficiency_weighted_fractions(f, edges, teff))
        if spec.time_normalisation == "window":
            frac = frac / source.timing.binned_fractions(f, window)[0]
        out[f] = frac
    return out


def background_template(b, spec: DetectorSpec, fractions: dict[str, NDArray[np.float64]], scale: float) -> NDArray[np.float64]:
    """(n_E, n_t) counts of background ``b`` over the exposure (``events`` x ``scale``)."""
    if b.counts is not None:
        c = np.asarray(b.counts, dtype=float)
        return c / max(c.sum(), 1e-300) * b.events * scale
    e_edges, t_edges = np.asarray(spec.energy_edges), np.asarray(spec.time_edges_us)
    we = np.diff(e_edges) if b.energy == "flat" else np.asarray(b.energy, dtype=float)
    if b.time == "flat":
        teff = spec.response.time_efficiency
        if teff[0] == "none":
            wt = np.diff(t_edges)
        else:
            wt = time_efficiency_integrals_us(t_edges, teff[1].get("t_start_us", 0.52), teff[1].get("decay_per_us", 0.0494))
    elif b.time == "prompt":
        wt = fractions["nu_mu"]
    elif b.time == "delayed":
        wt = fractions["nu_e"]
    else:
        wt = np.asarray(b.time, dtype=float)
    return np.outer(we / we.sum(), wt / wt.sum()) * b.events * scale


# ------------------------------------------------------------------------------ the setup


def exposure_pot(spec: DetectorSpec, facility: Facility, years: float | None = None,
                 pot: float | None = None) -> tuple[float, float | None]:
    """(N_POT, years) of the exposure: an explicit override, else the file's ``pot`` or ``years``."""
    if years is not None and pot is not None:
        raise ParameterError("give an exposure in years or in POT, not both")
    if pot is not None:
        if pot <= 0:
            raise ParameterError(f"POT must be positive, got {pot}")
        return float(pot), None
    if years is not None:
        return facility.pot(years), float(years)
    if spec.pot is not None:
        return spec.pot, None
    return facility.pot(spec.years), spec.years


def build_detector_setup(spec: DetectorSpec | str, recipe: Recipe, years: float | None = None, pot: float | None = None,
                         n_nodes: int = 200) -> ExperimentSetup:
    """The setup of a detector file (or preset name) under ``recipe``, Asimov data as ``observed``.

    Backgrounds scale with the exposure (``events`` are for the file's exposure).
    """
    spec = load_detector(spec) if isinstance(spec, str) else spec
    facility = get_facility(spec.facility)
    n_pot, n_years = exposure_pot(spec, facility, years, pot)
    file_pot, _ = exposure_pot(spec, facility)
    source = facility.source(spec.baseline_m, n_pot)
    if spec.nu_per_flavor_per_pot is not None:
        source = replace(source, nu_per_flavor_per_pot=spec.nu_per_flavor_per_pot)
    if spec.pulse_mean_us is not None or spec.pulse_sigma_us is not None:
        old = source.pulse if isinstance(source.pulse, ProtonPulse) else ProtonPulse()
        source = replace(source, pulse=ProtonPulse(old.mean_us if spec.pulse_mean_us is None else spec.pulse_mean_us,
                                                   old.sigma_us if spec.pulse_sigma_us is None else spec.pulse_sigma_us))
    isos = [(isotope(name, recipe.radii), k) for name, k in spec.composition]
    counts = targets_per_isotope(spec.mass_kg, isos)
    edges = np.asarray(spec.energy_edges, dtype=float)
    response = energy_response(spec.response, edges)
    kernels = []
    for (iso, _), n in zip(isos, counts, strict=True):
        from ..physics.cross_sections import t_max_mev

        t_max_kev = float(t_max_mev(source.e_max_mev, iso.mass_mev)) * 1e3
        grid = recoil_grid_for(spec, t_max_kev, n_nodes)
        kernels.append(build_isotope_kernel(iso, n, source, response, recipe.form_factor,
                                            t_min_kev=spec.response.recoil_min_kev_nr, n_nodes=n_nodes, grid_kev=grid))
    fractions = time_fractions(spec, source)
    meta = {"detector": spec.name, "facility": facility.name, "baseline_m": spec.baseline_m, "pot": n_pot}
    cevns = BinnedCEvNS(edges, spec.response.energy_unit, np.asarray(spec.time_edges_us, dtype=float), tuple(kernels),
                        fractions, source, sm_reference(recipe, source), meta)
    scale = n_pot / file_pot
    backgrounds = {b.name: Component(b.name, background_template(b, spec, fractions, scale), b.description)
                   for b in spec.backgrounds}
    sm = cevns.counts(cevns.sm_weak_charges(cevns.sm.couplings))
    observed = sm + sum((c.counts for c in backgrounds.values()), np.zeros_like(sm))
    extras = DetectorExtras(spec, facility, n_pot, n_years)
    return ExperimentSetup(spec.name, cevns, backgrounds, observed, spec.response.energy_unit, extras,
                           {spec.path: spec.sha256})


def asimov_likelihood(recipe: Recipe, setup: ExperimentSetup, observed: NDArray[np.float64] | None = None) -> ExperimentLikelihood:
    """Poisson chi2 (Baker-Cousins) of a projected detector over its energy x time bins, with the
    signal normalisation (``signal.sigma``) and each background's normalisation (``sigma``) as
    Gaussian-constrained linear nuisances; sigma = 0 fixes them (seed 000 sec. III for CCM: no
    background, no systematic). ``observed`` defaults to the setup's Asimov data. An ordinary
    :class:`ExperimentLikelihood`, so fits, scans, limits and toys run on it unchanged."""
    spec: DetectorSpec = setup.extras.spec
    # the profiler needs one nuisance at least: sigma = 0 is a 1e-6 prior (fixed to < 1e-6 relative)
    nus = [Nuisance("signal_norm", "cevns", spec.signal_sigma if spec.signal_sigma > 0 else FIXED_SIGMA,
                    description="CEvNS normalisation (detector file)")]
    for b in spec.backgrounds:
        if b.sigma > 0:
            nus.append(Nuisance(f"{b.name}_norm", b.name, b.sigma, description=f"{b.name} normalisation"))
    obs = setup.observed if observed is None else np.asarray(observed, dtype=float)
    bkg = {k: c.counts.ravel() for k, c in setup.backgrounds.items()}
    return ExperimentLikelihood(setup.name, recipe.name, "poisson", obs.ravel(), [Branch({}, setup.cevns, bkg)], nus,
                                _flatten_2d, description=f"projection: {spec.description or spec.name} (Asimov)",
                                setup=setup)


def register_detector(spec: DetectorSpec | str, years: float | None = None, pot: float | None = None) -> str:
    """Register a detector file as an experiment (same registry as the releases) with its Asimov
    likelihood under every recipe; returns the experiment name (the file's ``name``)."""
    from ..experiments.registry import register_experiment
    from ..likelihood.registry import ANY_LIKELIHOOD, register_likelihood

    spec = load_detector(spec) if isinstance(spec, str) else spec
    ref = (float("nan") if spec.reference_events is None else spec.reference_events,
           spec.reference_source or "no published prediction (projected detector)")

    def build(recipe: Recipe, root=None) -> ExperimentSetup:
        return build_detector_setup(spec, recipe, years, pot)

    register_experiment(spec.name, reference_prediction=ref, replace=True)(build)
    register_likelihood(ANY_LIKELIHOOD, spec.name, replace=True)(lambda recipe, setup, root: asimov_likelihood(recipe, setup))
    return spec.name


def with_observed(lk: ExperimentLikelihood, observed: NDArray[np.float64]) -> ExperimentLikelihood:
    """A copy of ``lk`` with other (e.g. Asimov or toy) data, same bins."""
    obs = np.asarray(observed, dtype=float).ravel()
    if obs.shape != lk.observed.shape:
        raise ParameterError(f"{lk.experiment}: data of shape {obs.shape}, the likelihood has {lk.observed.shape} bins")
    return replace(lk, observed=obs)
