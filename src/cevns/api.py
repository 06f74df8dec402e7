"""Python API: every CLI command is one of these functions.

``data_check``, ``recipes`` and ``models`` return plain dicts; ``predict``, ``fit``,
``profile``, ``scan2d``, ``limits`` and ``scan`` return the typed records of
:mod:`cevns.results` (read-only mappings; ``.to_dict()`` is the JSON-ready dict).

Example
-------
>>> import cevns.api as api
>>> result = api.predict("csi-2021")              # doctest: +SKIP
>>> round(result["cevns_total"])                  # doctest: +SKIP
340
"""

from __future__ import annotations

import math
import os
import platform
import warnings
from functools import lru_cache
from pathlib import Path

import numpy as np

from . import __version__
from . import data as data_mod
from .errors import OutputError, ParameterError, UnknownNameError
from .experiments import REFERENCE_PREDICTIONS, build_experiment, experiment_names
from .experiments.common import ExperimentSetup
from .experiments.lar2020 import LAr2020Extras
from .recipes import RECIPES, Recipe, get_recipe
from .results import ContourSet, FitResult, LimitResult, Prediction, ProfileResult, Scan2DResult, ScanFileResult
from .validation import TABLE_EXTENSIONS, check_grid, check_grid_memory, check_output_path, check_roles, check_values, no_duplicates

#: bytes of memory per grid point, roughly (result arrays, JSON/CSV text), for :func:`check_grid_memory`
BYTES_PER_POINT = {"profile": 160, "scan2d": 200, "limits": 600, "scan": 1200}


def provenance(recipe_name: str, setup: ExperimentSetup | None = None) -> dict:
    """Package version, recipe, data-file hashes and data directory of a result."""
    out = {
        "cevns_version": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "recipe": recipe_name,
        "data_dir": str(data_mod.data_dir()),
    }
    if setup is not None:
        out["data_files_sha256"] = dict(setup.data_files)
    return out


@lru_cache(maxsize=32)
def _setup_cached(experiment: str, recipe: Recipe, data_dir: str) -> ExperimentSetup:
    return build_experiment(experiment, recipe, Path(data_dir))


def load_setup(experiment: str, recipe: str | Recipe | None = None) -> ExperimentSetup:
    """Build (once per process, cached) the setup of ``experiment`` under ``recipe``."""
    rec = get_recipe(recipe)
    if experiment not in experiment_names():
        raise UnknownNameError(f"unknown experiment {experiment!r}; choose one of {', '.join(experiment_names())}")
    return _setup_cached(experiment, rec, os.pathsep.join(str(d) for d in data_mod.data_dirs()))


def with_es(recipe, electron_scattering: bool | None) -> Recipe:
    """The recipe, with neutrino-electron scattering switched on/off when not ``None``."""
    rec = get_recipe(recipe)
    return rec if electron_scattering is None else rec.with_options(electron_scattering=bool(electron_scattering))


def predict(experiment: str, recipe: str | None = None, electron_scattering: bool | None = None) -> Prediction:
    """Standard-Model prediction for one experiment.

    Returns a :class:`cevns.results.Prediction`; its ``to_dict()`` (JSON-ready) has
    ``experiment``, ``recipe``, ``cevns_total`` (expected CEvNS events in the analysis
    window after all efficiencies), ``cevns_by_flavor``, ``backgrounds`` (totals),
    ``observed_total``, ``bins`` (edges and per-bin arrays) and ``provenance``.
    """
    rec = with_es(recipe, electron_scattering)
    setup = load_setup(experiment, rec)
    q = setup.cevns.sm_weak_charges(setup.cevns.sm.couplings)
    by_flavour = setup.cevns.counts_by_flavour(q)
    total = sum(by_flavour[f] for f in setup.cevns.flavours)
    extra = {}
    if isinstance(setup.extras, LAr2020Extras):  # LAr: the full 12 E x 8 F90 x 10 t option
        f90 = setup.extras.f90_given_energy
        extra["bins_3d"] = {
            "axes": ["energy", "f90", "time"],
            "f90_edges": setup.extras.f90_edges,
            "cevns": total[:, None, :] * f90[:, :, None],
            "observed": setup.extras.observed_3d,
            "backgrounds": dict(setup.extras.backgrounds_3d),
        }
    if setup.cevns.es_atoms:
        from .models import get_model

        es = setup.cevns.counts_by_process(get_model("sm", rec.model_options()).terms(setup.cevns.grid, {}))["es"][0]
        extra = {"es_total": float(es.sum()), "es_bins": es}  # replaces bins_3d (as before)
    ref_value, ref_source = REFERENCE_PREDICTIONS.get(experiment, (float("nan"), "none published in the release"))
    return Prediction(
        experiment=experiment,
        recipe=rec.name,
        cevns_total=float(total.sum()),
        cevns_by_flavor={f: float(by_flavour[f].sum()) for f in setup.cevns.flavours},
        backgrounds={k: float(c.counts.sum()) for k, c in setup.backgrounds.items()},
        observed_total=float(setup.observed.sum()),
        reference_cevns_total=ref_value,
        reference_source=ref_source,
        energy_unit=setup.energy_label,
        energy_edges=setup.cevns.energy_edges,
        time_edges_us=setup.cevns.time_edges_us,
        cevns_bins=total,
        observed_bins=setup.observed,
        background_bins={k: c.counts for k, c in setup.backgrounds.items()},
        provenance=provenance(rec.name, setup),
        **extra,
    )


def data_check() -> dict:
    """Which releases are present and verified in the data directory (see :func:`cevns.data.check_all`)."""
    return data_mod.check_all()


def recipes() -> dict:
    """All recipe presets with their choices and sources."""
    return {name: r.to_dict() for name, r in RECIPES.items()}


# ------------------------------------------------------------------ inference (issue #3)


def models() -> dict:
    """Every model with its parameters, units and sources."""
    from .models import MODELS

    return {name: cls().describe() for name, cls in MODELS.items()}


def _parse_values(values: dict | None) -> dict[str, float]:
    return {k: float(v) for k, v in (values or {}).items()}


def _analysis(experiments, recipe, model, fixed, electron_scattering=None):
    from .inference import make_analysis

    exps = [experiments] if isinstance(experiments, str) else list(experiments)
    return make_analysis(exps, with_es(recipe, electron_scattering), model, _parse_values(fixed))


def _fitted_summary(an, details) -> tuple[dict, dict]:
    nuisances, fitted = {}, {}
    for lk in an.likelihoods:
        best = details[lk.experiment]
        eta = best["eta"][0]
        nus = {nu.name: float(eta[k]) for k, nu in enumerate(lk.nuisances)}
        if "label" in best:  # continuous non-linear nuisances (rebuilt branch)
            nus.update(best["label"])
        else:
            nus.update({k: float(v) for k, v in lk.branches[int(best["branch"][0])].label.items()})
        nuisances[lk.experiment] = nus
        fitted[lk.experiment] = {k: float(v[0].sum()) for k, v in best["parts"].items()}
    return nuisances, fitted


def fit(experiments, recipe: str | None = None, model: str | None = None, free=None, fixed: dict | None = None,
        electron_scattering: bool | None = None) -> FitResult:
    """Best fit with nuisances profiled; ``free`` model parameters minimised (iminuit) (:class:`cevns.results.FitResult`)."""
    free = list(free or [])
    check_roles(free=free, fixed=_parse_values(fixed))
    an = _analysis(experiments, recipe, model, fixed, electron_scattering)
    an = an.releasing(free)  # a free flux_8b replaces the flux prior (Analysis.releasing)
    res = an.fit(free)
    extra = {}
    norms = [p for p in free if p in SIGNAL_NORMALISATIONS]
    if norms:  # the free signal normalisation at 0, the other free parameters re-minimised: background only
        from dataclasses import replace as _replace

        rel = an.releasing([norms[0]])
        null = _replace(rel, fixed={**rel.fixed, norms[0]: 0.0}).fit([p for p in free if p != norms[0]])
        extra["significance_vs_background_only"] = float(np.sqrt(max(0.0, null["chi2_min"] - res["chi2_min"])))
    nuisances, fitted = _fitted_summary(an, res["details"])
    n_bins = sum(int(lk.observed.size) for lk in an.likelihoods)
    return FitResult(
        experiments=an.experiments,
        recipe=an.recipe.name,
        model=an.model.name,
        free=free,
        fixed=_parse_values(fixed),
        chi2_min=res["chi2_min"],
        ndof=n_bins - len(free),
        best_fit=res["best_fit"],
        errors_hesse=res["errors_hesse"],
        valid=res["valid"],
        nuisances=nuisances,
        components_fitted=fitted,
        provenance=provenance(an.recipe.name),
        **extra,
    )


#: free parameters that scale the whole signal: with one of them free, ``fit`` also reports the
#: significance of the signal against the background-only hypothesis (that parameter at 0)
SIGNAL_NORMALISATIONS = ("flux_8b", "cevns_norm")


def profile(experiments, param: str, values, recipe: str | None = None, model: str | None = None,
            cls=("1sigma",), free=None, fixed: dict | None = None, dof: int = 1,
            electron_scattering: bool | None = None, progress=None) -> ProfileResult:
    """Delta-chi2 profile of one parameter over ``values``, with intervals for each CL (:class:`cevns.results.ProfileResult`).

    The best fit comes from a bounded minimisation started at the best grid point, and
    lies inside its intervals. ``touches_grid_edge`` flags, per CL and interval, an end
    that is the end of the grid (the true interval goes further); each such CL also
    raises a :class:`cevns.inference.GridEdgeWarning`. ``progress(done, total)`` is
    called as the grid is evaluated (in chunks; the result equals one batch).
    """
    from .inference import GridEdgeWarning, edge_warnings, intervals, touches_grid_edge
    from .stats import delta_chi2_threshold

    values = check_grid(values, f"grid of {param}", min_points=2)
    check_grid_memory(values.size, BYTES_PER_POINT["profile"], f"grid of {param}")
    no_duplicates([str(c) for c in cls], "CL", "--cl")
    for cl in cls:  # a bad CL fails before any work
        delta_chi2_threshold(cl, dof)
    check_roles([param], list(free or []), _parse_values(fixed), "--param")
    an = _analysis(experiments, recipe, model, fixed, electron_scattering)
    prof = an.profile(param, values, list(free or []), progress=progress)
    found = intervals(prof, list(cls), dof)
    edges = touches_grid_edge(prof, found)
    for msg in edge_warnings(param, edges):
        warnings.warn(msg, GridEdgeWarning, stacklevel=2)
    return ProfileResult(
        experiments=an.experiments,
        recipe=an.recipe.name,
        model=an.model.name,
        param=param,
        param_values=prof["values"],
        delta_chi2=prof["delta_chi2"],
        chi2_min=prof["chi2_min"],
        best=prof["best"],
        dof=dof,
        intervals=found,
        provenance=provenance(an.recipe.name),
        touches_grid_edge=edges,
    )


def _log_spaced(v: np.ndarray) -> bool:
    return v.size > 2 and bool(np.all(v > 0)) and np.allclose(np.diff(np.log(v)), np.log(v[1] / v[0]))


def _polish_2d(an, x_param: str, xs, y_param: str, ys, chi2) -> tuple[dict[str, float], float]:
    """Best point of a 2D scan by a bounded Nelder-Mead minimisation (scipy) started at the lowest
    grid point, within the grid box (log coordinates for a log-spaced axis); (best, chi2 there).
    The grid point is kept where the minimiser finds nothing lower."""
    from scipy.optimize import minimize

    i, j = np.unravel_index(int(np.argmin(chi2)), chi2.shape)
    grid_best = {x_param: float(xs[j]), y_param: float(ys[i])}
    if xs.size < 2 or ys.size < 2:
        return grid_best, float(chi2[i, j])
    logs = [_log_spaced(xs), _log_spaced(ys)]
    to_u = [np.log if lg else (lambda v: v) for lg in logs]
    from_u = [np.exp if lg else (lambda v: v) for lg in logs]
    box = [(float(to_u[0](xs.min())), float(to_u[0](xs.max()))), (float(to_u[1](ys.min())), float(to_u[1](ys.max())))]
    steps = [float(abs(to_u[0](xs[1]) - to_u[0](xs[0]))), float(abs(to_u[1](ys[1]) - to_u[1](ys[0])))]
    u0 = np.array([to_u[0](xs[j]), to_u[1](ys[i])], dtype=float)
    simplex = np.array([u0, u0 + [steps[0] if u0[0] + steps[0] <= box[0][1] else -steps[0], 0.0],
                        u0 + [0.0, steps[1] if u0[1] + steps[1] <= box[1][1] else -steps[1]]])

    def f(u):
        return an.chi2_scalar({x_param: float(from_u[0](u[0])), y_param: float(from_u[1](u[1]))})

    res = minimize(f, u0, method="Nelder-Mead", bounds=box,
                   options={"initial_simplex": simplex, "xatol": 1e-6 * max(steps), "fatol": 1e-7, "maxfev": 400})
    if np.isfinite(res.fun) and res.fun < chi2[i, j]:
        return {x_param: float(from_u[0](res.x[0])), y_param: float(from_u[1](res.x[1]))}, float(res.fun)
    return grid_best, float(chi2[i, j])


def scan2d(experiments, x_param: str, x_values, y_param: str, y_values, recipe: str | None = None,
           model: str | None = None, cls=("90%",), fixed: dict | None = None, dof: int = 2,
           electron_scattering: bool | None = None, chunk_size: int = 2000, checkpoint: str | None = None,
           progress=None) -> Scan2DResult:
    """Delta-chi2 on a 2D grid and contour polylines at each CL (:class:`cevns.results.Scan2DResult`).

    The grid is evaluated ``chunk_size`` points at a time (memory bounded by the chunk,
    :func:`cevns.inference.scan.evaluate_in_chunks`); with ``checkpoint`` (a file path) finished
    chunks are saved and an interrupted run with the same configuration resumes from
    them (the file is kept; delete it to start afresh). ``progress(done, total)`` is
    called after each chunk. Results equal those of one batch. ``best`` and ``chi2_min``
    come from a bounded minimisation started at the best grid point (:func:`_polish_2d`),
    ``delta_chi2`` is relative to it; each contour's ``touches_grid_edge`` flags the grid
    sides its region reaches (with a :class:`cevns.inference.GridEdgeWarning`).
    """
    import contextlib

    import contourpy

    from .errors import ConflictError
    from .inference import GridEdgeWarning
    from .inference.scan import _config_hash, evaluate_in_chunks
    from .outputs import output_lock
    from .stats import delta_chi2_threshold

    if x_param == y_param:
        raise ConflictError(f"x and y must be different parameters, both are {x_param!r}")
    xs = check_grid(x_values, f"x grid of {x_param}", min_points=2)
    ys = check_grid(y_values, f"y grid of {y_param}", min_points=2)
    check_grid_memory(xs.size * ys.size, BYTES_PER_POINT["scan2d"], "the 2D grid")
    no_duplicates([str(c) for c in cls], "CL", "--cl")
    thresholds = {str(cl): delta_chi2_threshold(cl, dof) for cl in cls}  # a bad CL fails before any work
    check_roles([x_param, y_param], (), _parse_values(fixed))
    if checkpoint is not None:
        check_output_path(checkpoint, None, "checkpoint")
    an = _analysis(experiments, recipe, model, fixed, electron_scattering)
    an.check_params([x_param, y_param])
    check_values(an.model, {x_param: xs, y_param: ys})
    gx, gy = np.meshgrid(xs, ys, indexing="xy")
    config = _config_hash(an, xs, ys, names=(x_param, y_param))
    with contextlib.ExitStack() as stack:
        if checkpoint is not None:
            stack.enter_context(output_lock(checkpoint))
        chi2, _ = evaluate_in_chunks(lambda p: (an.evaluate(p)[0], {}), {x_param: gx.ravel(), y_param: gy.ravel()},
                                     [], config, chunk_size, None if checkpoint is None else Path(checkpoint), progress)
    chi2 = chi2.reshape(gy.shape)
    best, chi2_min = _polish_2d(an, x_param, xs, y_param, ys, chi2)
    dchi2 = chi2 - chi2_min
    gen = contourpy.contour_generator(xs, ys, dchi2)
    contours = {}
    for cl in cls:
        thr = thresholds[str(cl)]
        inside = dchi2 <= thr
        edges = {"x_lower": bool(inside[:, 0].any()), "x_upper": bool(inside[:, -1].any()),
                 "y_lower": bool(inside[0, :].any()), "y_upper": bool(inside[-1, :].any())}
        contours[str(cl)] = ContourSet(delta_chi2=thr, lines=tuple(gen.lines(thr)), touches_grid_edge=edges)
        hit = [k for k, v in edges.items() if v]
        if hit:
            warnings.warn(f"the {cl} region of ({x_param}, {y_param}) reaches the grid edge ({', '.join(hit)}): "
                          "the true contour extends beyond it; widen the grid", GridEdgeWarning, stacklevel=2)
    return Scan2DResult(
        experiments=an.experiments,
        recipe=an.recipe.name,
        model=an.model.name,
        x_param=x_param,
        x_values=xs,
        y_param=y_param,
        y_values=ys,
        delta_chi2=dchi2,
        chi2_min=chi2_min,
        best=best,
        dof=dof,
        contours=contours,
        provenance=provenance(an.recipe.name),
    )


# ------------------------------------------------------------------ light mediators (issue #4)


def _muon_band(model, masses) -> dict | None:
    """The (g-2)_mu 2-sigma band of a mediator model that couples to muons (``Model.muon_charge``)."""
    from .physics.gm2 import gm2_band

    charge = getattr(model, "muon_charge", None)
    if not charge:
        return None
    band = gm2_band(np.asarray(masses, dtype=float), charge, getattr(model, "mediator_kind", "vector"))
    return {"mass_mev": list(map(float, masses)), "g_low": band[:, 0].tolist(), "g_high": band[:, 1].tolist(),
            "source": "seed 002 appendix B, Delta a_mu = (25.1 +- 5.9)e-10, 2 sigma"}


def _finite_or_none(v: float) -> float | None:
    return float(v) if np.isfinite(v) else None


def limits(model: str, experiments, recipe: str | None = "atzori2022", cl="2sigma", dof: int = 1,
           masses=None, couplings=None, fixed: dict | None = None, progress=None,
           electron_scattering: bool | None = None, thin_strip_decades: float | None = None) -> LimitResult:
    """Exclusion boundary and low/high-mass coupling limits of a light-mediator model (:class:`cevns.results.LimitResult`).

    A (mass, coupling) grid (default 60 x 80, log-spaced, 0.1 MeV - 10 GeV, 1e-7 - 1) is
    scanned with every nuisance profiled; Delta-chi2 is relative to the global minimum in
    the scanned mass range (polished by a minimiser, so it does not depend on the grid
    spacing); per-mass allowed intervals are refined by bisection to 1e-6 in ln g
    (strips included). The two limits come from a finder with its own coupling sampling
    (:func:`cevns.inference.scan.find_coupling_limits`): they agree between user grids
    to better than 1e-3 relative (tests/test_limit_finder.py). ``progress(done, total)``
    is called per chunk of the grid and after each refinement step. ``low_mass``
    is the bound on g at 0.01 MeV and ``high_mass`` the bound on g/M at 100 GeV, each
    (keys ``g``, ``g_over_m_per_gev``) the smallest excluded coupling going up from zero
    and (keys ``upper_boundary_g``, ``upper_boundary_g_over_m_per_gev``) the upper edge of
    the allowed region containing g -> 0 with excluded strips thinner than
    ``thin_strip_decades`` bridged (:func:`cevns.inference.scan.find_coupling_limits`; null where
    none is found in g <= 10). ``boundary`` is the refined lower bound per mass,
    ``allowed_intervals`` every allowed range of g per mass (strips and islands included),
    ``contours`` the grid's Delta-chi2 = threshold polylines.
    """
    from .inference.scan import HIGH_MASS_MEV, LOW_MASS_MEV, column_crossings, coupling_limits, scan_grid
    from .progress import report, stage
    from .stats import delta_chi2_threshold

    masses = np.geomspace(0.1, 1e4, 60) if masses is None else check_grid(masses, "masses", log=True, min_points=2)
    couplings = (np.geomspace(1e-7, 1.0, 80) if couplings is None
                 else check_grid(couplings, "couplings", log=True, min_points=2))
    check_grid_memory(masses.size * couplings.size, BYTES_PER_POINT["limits"], "the (mass, coupling) grid")
    thr = delta_chi2_threshold(cl, dof)
    an = _analysis(experiments, recipe, model, fixed, electron_scattering)
    _check_mediator_grid(an, masses, couplings)
    n_chunks = -(-masses.size * couplings.size // 2500)  # scan_grid's default chunk; + 2 refinement steps
    res = scan_grid(an, masses, couplings, progress=stage(progress, 0, n_chunks + 2))
    cross = column_crossings(an, res, thr)
    report(progress, n_chunks + 1, n_chunks + 2)
    chi2_min = cross["chi2_min"]
    thin = {} if thin_strip_decades is None else {"thin_strip_decades": float(thin_strip_decades)}
    lim = coupling_limits(an, np.array([LOW_MASS_MEV, HIGH_MASS_MEV]), thr, chi2_min, **thin)
    report(progress, n_chunks + 2, n_chunks + 2)
    g_first, g_upper = lim.first_excluded, lim.upper_boundary
    per_gev = HIGH_MASS_MEV / 1000.0
    import contourpy

    gen = contourpy.contour_generator(np.log10(res.couplings), np.log10(res.masses_mev), res.chi2 - chi2_min)
    contours = [10.0 ** line[:, ::-1] for line in gen.lines(thr)]  # [[mass_mev, g], ...] per line
    boundary = []
    for col in cross["columns"]:
        first = col["allowed"][0] if col["allowed"] else None
        if first is not None and first[0] <= couplings[0] * 1.0000001:
            boundary.append([col["mass_mev"], first[1]])
    return LimitResult(
        model=an.model.name,
        experiments=an.experiments,
        recipe=an.recipe.name,
        cl=str(cl),
        dof=dof,
        delta_chi2_threshold=thr,
        chi2_min=chi2_min,
        chi2_sm=res.chi2_sm,
        low_mass_mev=LOW_MASS_MEV,
        low_mass_g=float(g_first[0]),
        low_mass_upper_boundary_g=_finite_or_none(g_upper[0]),
        high_mass_mev=HIGH_MASS_MEV,
        high_mass_g_over_m_per_gev=float(g_first[1] / per_gev),
        high_mass_upper_boundary_g_over_m_per_gev=_finite_or_none(g_upper[1] / per_gev),
        thin_strip_decades=lim.thin_strip_decades,
        limits_resolved=bool(lim.resolved.all()),
        boundary=boundary,
        allowed_intervals=cross["columns"],
        contours=contours,
        gm2_band=_muon_band(an.model, masses),
        provenance=provenance(an.recipe.name),
    )


def _check_mediator_grid(an, masses, couplings) -> None:
    """The model's mediator parameters: not fixed as well, grids inside their declared bounds."""
    from .inference.scan import mediator_parameters

    m_name, g_name = mediator_parameters(an)
    check_roles([m_name, g_name], (), an.fixed)
    check_values(an.model, {m_name: masses, g_name: couplings})


def _require_pyarrow() -> None:
    """Parquet output needs the optional ``parquet`` extra; say so before any work is done."""
    import importlib.util

    if importlib.util.find_spec("pyarrow") is None:
        raise ParameterError("writing Parquet needs pyarrow: pip install 'cevns[parquet]' "
                             "(or pip install pyarrow); or use an output file ending in .csv")


def scan(model: str, experiments, masses, couplings, out: str, recipe: str | None = "atzori2022",
         fixed: dict | None = None, checkpoint: str | None = None, progress=None, cl="2sigma", dof: int = 1,
         electron_scattering: bool | None = None, executor: str = "local", workers: int | None = None,
         scheduler: str | None = None) -> ScanFileResult:
    """Full (mass, coupling) grid to ``out`` (.csv or .parquet) with a JSON provenance sidecar.

    Returns a :class:`cevns.results.ScanFileResult` (paths and the sidecar's metadata).

    Columns: mass_mev, g, chi2, delta_chi2, excluded, then every profiled nuisance
    (``<experiment>:<name>``). A checkpoint (default ``out + '.partial.npz'``) lets an
    interrupted scan resume; files are written atomically. ``executor`` (``local``,
    ``processes``, ``dask``), ``workers`` and ``scheduler`` run the chunks elsewhere
    (docs/statistics.md).
    """
    from .outputs import output_lock
    from .stats import delta_chi2_threshold

    out_path = check_output_path(out, TABLE_EXTENSIONS, "output file")
    if out_path.suffix.lower() == ".parquet":
        _require_pyarrow()  # before the scan, not after it
    sidecar = out_path.with_name(out_path.name + ".json")
    if sidecar.is_dir():
        raise OutputError(f"output file {out}: its JSON sidecar {sidecar} is a folder; remove it or choose another name")
    ck = Path(checkpoint) if checkpoint else out_path.with_name(out_path.name + ".partial.npz")
    if checkpoint:
        check_output_path(ck, None, "checkpoint")
    masses = check_grid(masses, "masses", log=True)
    couplings = check_grid(couplings, "couplings", log=True)
    check_grid_memory(masses.size * couplings.size, BYTES_PER_POINT["scan"], "the (mass, coupling) grid")
    thr = delta_chi2_threshold(cl, dof)
    an = _analysis(experiments, recipe, model, fixed, electron_scattering)
    _check_mediator_grid(an, masses, couplings)
    with output_lock(out_path):
        return _scan_to_file(an, masses, couplings, out_path, sidecar, ck, progress, cl, dof, thr, fixed,
                             executor=executor, workers=workers, scheduler=scheduler,
                             electron_scattering=electron_scattering, experiments=experiments, recipe=recipe,
                             model=model)


def _scan_to_file(an, masses, couplings, out_path: Path, sidecar: Path, ck: Path, progress, cl, dof, thr,
                  fixed, executor: str = "local", workers: int | None = None, scheduler: str | None = None,
                  electron_scattering: bool | None = None, experiments=(), recipe=None, model=None) -> ScanFileResult:
    import io

    from .inference.scan import AnalysisChunks, scan_grid
    from .outputs import atomic_write_bytes, to_json

    chunks = None
    if executor != "local":  # other processes rebuild the analysis from its names (picklable)
        exps = (experiments,) if isinstance(experiments, str) else tuple(experiments)
        chunks = AnalysisChunks(exps, recipe, model, _parse_values(fixed), electron_scattering)
    res = scan_grid(an, masses, couplings, checkpoint=ck, progress=progress, executor=executor, workers=workers,
                    scheduler=scheduler, chunks=chunks)
    mm, gg = np.meshgrid(res.masses_mev, res.couplings, indexing="ij")
    cols = {"mass_mev": mm.ravel(), "g": gg.ravel(), "chi2": res.chi2.ravel(), "delta_chi2": res.delta_chi2.ravel(),
            "excluded": (res.delta_chi2.ravel() > thr).astype(int)}
    cols.update({k: v.ravel() for k, v in res.nuisances.items()})
    if out_path.suffix.lower() == ".csv":
        buf = io.StringIO()
        buf.write(",".join(cols) + "\n")
        np.savetxt(buf, np.column_stack(list(cols.values())), delimiter=",", fmt="%.10g")
        atomic_write_bytes(out_path, buf.getvalue().encode())
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq
        sink = pa.BufferOutputStream()
        pq.write_table(pa.table(cols), sink)
        atomic_write_bytes(out_path, sink.getvalue().to_pybytes())
    result = ScanFileResult(
        out=str(out_path), sidecar=str(sidecar),
        model=an.model.name, experiments=an.experiments, recipe=an.recipe.name,
        masses_mev_min=float(res.masses_mev.min()), masses_mev_max=float(res.masses_mev.max()),
        n_masses=int(res.masses_mev.size),
        couplings_min=float(res.couplings.min()), couplings_max=float(res.couplings.max()),
        n_couplings=int(res.couplings.size),
        chi2_min=res.chi2_min, chi2_sm=res.chi2_sm, cl=str(cl), dof=dof, delta_chi2_threshold=thr,
        columns=list(cols), fixed=_parse_values(fixed), provenance=provenance(an.recipe.name),
    )
    atomic_write_bytes(sidecar, to_json(result.sidecar_dict()).encode())
    if ck.exists():
        ck.unlink()
    return result


# ------------------------------------------------------------------ projections (issue #13)


def project(detector: str, model: str | None = None, recipe: str | None = "atzori2022", years: float | None = None,
            pot: float | None = None, cl: str = "2sigma", masses=None, combine_with=(), fixed: dict | None = None,
            bands: bool = True, discovery: bool = True, g_range: tuple[float, float] = (1e-7, 10.0)):
    """Projected reach of a detector without data (a preset name such as ``ccm`` or a detector file):
    SM event counts and, with a mediator ``model``, the expected (Asimov) limit with +-1/2 sigma bands,
    the discovery reach and the combination with ``combine_with`` releases
    (:class:`cevns.projections.sensitivity.ProjectionResult`; docs/projections.md)."""
    from .projections.sensitivity import project as _project

    return _project(detector, model, recipe, years, pot, cl, masses, g_range, bands, discovery, tuple(combine_with),
                    fixed)


# -- statistics at scale (issue #12): toys, Feldman-Cousins, coverage, posteriors --------


def _toy_problem(experiments, params, grids, recipe, model, fixed, nuisances="drawn", asimov=False,
                 electron_scattering=None):
    from .inference.toys import AnalysisToys

    exps = [experiments] if isinstance(experiments, str) else list(experiments)
    params = [params] if isinstance(params, str) else list(params)
    axes = [np.asarray(g, dtype=float) for g in grids]
    if len(axes) != len(params):
        raise ParameterError("give one grid per parameter")
    mesh = np.stack([m.ravel() for m in np.meshgrid(*axes, indexing="ij")], axis=1)
    return AnalysisToys(tuple(exps), recipe, model, tuple(params), mesh, _parse_values(fixed), nuisances, asimov,
                        electron_scattering)


def _stats_record(kind: str, problem, body: dict):
    from .results import StatisticsResult

    an = problem.analysis
    return StatisticsResult(kind, an.experiments, an.recipe.name, an.model.name, body, provenance(an.recipe.name))


def _nearest(problem, value) -> int:
    d = np.sum((problem.grid - np.atleast_1d(np.asarray(value, dtype=float))[None, :]) ** 2, axis=1)
    return int(np.argmin(d))


def toys(experiments, param, values, at, n_toys: int = 1000, recipe: str | None = None, model: str | None = None,
         fixed: dict | None = None, seed: int = 0, first_toy: int = 0, nuisances: str = "drawn", asimov: bool = False,
         chunk_size: int = 500, executor: str = "local", workers: int | None = None, scheduler: str | None = None,
         checkpoint=None, progress=None, out: str | None = None, electron_scattering: bool | None = None):
    """Toys generated at ``param = at`` (the nearest grid value), each fitted on the grid ``values``.

    Returns a :class:`~cevns.results.StatisticsResult` (kind ``toys``) with, per toy, the
    Delta-chi2 at the generating point (``delta_chi2``), the best fit (``best``) and the
    Wilks check (fraction below the chi2_1 quantiles). ``out`` saves the toys (``.npz``)
    for :func:`merge_toy_files`."""
    from .inference.frequentist import binomial_error
    from .inference.toys import run_toys
    from .stats import cl_probability, delta_chi2_threshold

    prob = _toy_problem(experiments, [param], [values], recipe, model, fixed, nuisances, asimov, electron_scattering)
    point = _nearest(prob, at)
    ts = run_toys(prob, [point], 1 if asimov else n_toys, seed, first_toy, chunk_size, executor, workers, scheduler,
                  checkpoint, progress)[point]
    if out:
        ts.save(out)
    check = {}
    for cl in ("1sigma", "90%", "2sigma"):
        frac = float(np.mean(ts.delta_chi2 <= delta_chi2_threshold(cl, 1)))
        check[cl] = {"coverage": frac, "error": binomial_error(frac, ts.toy.size), "expected": cl_probability(cl)}
    body = {"param": param, "values": np.asarray(values, dtype=float).tolist(), "point": float(prob.grid[point, 0]),
            "n_toys": int(ts.toy.size), "seed": int(seed), "first_toy": int(first_toy), "nuisances": nuisances,
            "asimov": bool(asimov), "toy": ts.toy.tolist(), "delta_chi2": ts.delta_chi2.tolist(),
            "best": ts.best[:, 0].tolist(), "wilks_check": check}
    return _stats_record("toys", prob, body)


def merge_toy_files(paths, out: str) -> dict:
    """Merge toy files (``.npz`` from :func:`toys` with ``out``) of the same job into ``out``."""
    from .inference.toys import ToySet, merge_toys

    merged = merge_toys([ToySet.load(p) for p in paths])
    merged.save(out)
    return {"out": str(out), "n_toys": int(merged.toy.size), "point": merged.point, "seed": merged.seed}


def fc(experiments, params, grids, n_toys: int = 1000, recipe: str | None = None, model: str | None = None,
       cls=("1sigma",), fixed: dict | None = None, seed: int = 0, nuisances: str = "drawn", ordering: str = "lr",
       chunk_size: int = 500, executor: str = "local", workers: int | None = None, scheduler: str | None = None,
       checkpoint=None, progress=None, electron_scattering: bool | None = None):
    """Feldman-Cousins (or central Neyman) confidence intervals of 1 or 2 parameters from
    ``n_toys`` toys per grid point, with the Wilks intervals and the Wilks check beside them
    (:func:`cevns.inference.frequentist.belt`; kind ``fc``)."""
    from .inference.frequentist import belt

    prob = _toy_problem(experiments, params, grids, recipe, model, fixed, nuisances, False, electron_scattering)
    body = belt(prob, n_toys, list(cls), seed, ordering, chunk_size, executor, workers, scheduler, checkpoint, progress)
    return _stats_record("fc", prob, body)


def coverage(experiments, param, values, at, n_toys: int = 1000, recipe: str | None = None, model: str | None = None,
             cls=("1sigma",), method: str = "wilks", fixed: dict | None = None, seed: int = 0,
             nuisances: str = "drawn", belt_toys: int = 1000, chunk_size: int = 500, executor: str = "local",
             workers: int | None = None, scheduler: str | None = None, checkpoint=None, progress=None,
             electron_scattering: bool | None = None):
    """Coverage of the Wilks (or FC) interval of ``param`` at the true value ``at`` (nearest
    grid value) from ``n_toys`` toys, with its binomial error (kind ``coverage``)."""
    from .inference.frequentist import coverage as _coverage

    prob = _toy_problem(experiments, [param], [values], recipe, model, fixed, nuisances, False, electron_scattering)
    body = _coverage(prob, _nearest(prob, at), n_toys, list(cls), seed, method, belt_toys, chunk_size=chunk_size,
                     executor=executor, workers=workers, scheduler=scheduler, checkpoint=checkpoint, progress=progress)
    return _stats_record("coverage", prob, body)


def posterior(experiments, priors, recipe: str | None = None, model: str | None = None, fixed: dict | None = None,
              sampler: str = "ultranest", seed: int = 0, live_points: int = 400, cls=("1sigma",),
              electron_scattering: bool | None = None, sm_point: dict | None = None):
    """Posterior of the parameters with ``priors`` (``Prior`` objects or ``NAME=KIND:A:B`` texts)
    by nested sampling (:func:`cevns.inference.bayes.sample`; kind ``posterior``). With
    ``sm_point`` ({param: value}) also the deviation of the best sampled point from it,
    sqrt(chi2(sm_point) - chi2_min) in sigma (likelihood-ratio test, 1 dof per parameter)."""
    from .inference.bayes import Prior, check_priors, sample
    from .results import StatisticsResult

    an = _analysis(experiments, recipe, model, fixed, electron_scattering)
    pri = [p if isinstance(p, Prior) else Prior.parse(p) for p in priors]
    check_priors(pri, an.model.parameters)

    def chi2_batch(values):
        return an.evaluate(values)[0]

    body = sample(chi2_batch, pri, sampler, seed, live_points, list(cls))
    if sm_point:
        chi2_sm = an.chi2_scalar({**body["max_likelihood"]["point"], **sm_point})
        body["chi2_sm"] = chi2_sm
        body["deviation_from_sm_sigma"] = math.sqrt(max(chi2_sm - body["max_likelihood"]["chi2"], 0.0))
    return StatisticsResult("posterior", an.experiments, an.recipe.name, an.model.name, body,
                            provenance(an.recipe.name))
