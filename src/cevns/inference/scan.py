"""Exclusion scans in (mediator mass, coupling) and limit summaries (issue #4).

* :func:`scan_grid` evaluates the profiled chi2 (all recipe nuisances profiled, batched)
  on a log-spaced (m_med_mev, g) grid in chunks, with a checkpoint file so that an
  interrupted scan resumes where it stopped; files are written atomically.
* Delta-chi2 is taken relative to the global minimum: for a grid (:class:`ScanResult`,
  ``cevns scan``) the lowest of the grid and the Standard Model point g = 0; for limits
  (:func:`column_crossings`, ``cevns limits``) also the refined per-column minima.
* :func:`column_crossings` refines, for every mass, each crossing of the threshold
  between two grid couplings by bisection, and finds allowed strips narrower than the
  grid spacing by a golden-section search around every local minimum of the column
  (e.g. the strip of the universal model where Q_SM+V = -Q_SM, seed 002 eq. 44).
* :func:`find_coupling_limits` (pure core, any batched chi2(m, g)) and its wrapper
  :func:`coupling_limits` find every crossing of the threshold in g at given masses
  (issue #9: humps narrower than the grid included) and report two limits: the first
  excluded coupling going up from zero and the upper boundary of the allowed region
  containing g -> 0 with thin excluded strips bridged; the low-mass and high-mass
  summaries of issue #4 use them. :func:`coupling_limit` returns the first only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ..errors import CheckpointError, ParameterError
from ..outputs import atomic_write_bytes  # noqa: F401  (re-exported: cevns.inference.scan.atomic_write_bytes)
from ..stats import true_runs
from .analysis import Analysis

#: masses of the limit summaries: far below and far above the momentum transfer (|q| ~ 20-100 MeV)
LOW_MASS_MEV = 1e-2
HIGH_MASS_MEV = 1e5


def validate_grid(masses: NDArray[np.float64], couplings: NDArray[np.float64]) -> None:
    """Clear errors for empty grids and non-positive masses or couplings."""
    if masses.size == 0 or couplings.size == 0:
        raise ParameterError("empty grid: give at least one mass and one coupling (e.g. --masses 1:1000:50)")
    if np.any(~np.isfinite(masses)) or np.any(masses <= 0):
        raise ParameterError("mediator masses must be positive (MeV), e.g. --masses 0.1:10000:100")
    if np.any(~np.isfinite(couplings)) or np.any(couplings <= 0):
        raise ParameterError("couplings must be positive (log-spaced grid), e.g. --couplings 1e-6:1e-1:100")


def log_grid(lo: float, hi: float, n: int) -> NDArray[np.float64]:
    """``n`` log-spaced values from ``lo`` to ``hi`` (both > 0)."""
    if not (lo > 0 and hi > 0):
        raise ParameterError(f"log-spaced grid needs positive ends, got {lo}:{hi}")
    if n < 1:
        raise ParameterError("a grid needs at least one point")
    return np.geomspace(lo, hi, n)


@dataclass
class ScanResult:
    """A (mass x coupling) scan: chi2 and best nuisances at every grid point."""

    masses_mev: NDArray[np.float64]
    couplings: NDArray[np.float64]
    chi2: NDArray[np.float64]  # (n_mass, n_coupling)
    chi2_sm: float
    nuisances: dict[str, NDArray[np.float64]] = field(default_factory=dict)  # name -> (n_mass, n_coupling)
    signal_total: NDArray[np.float64] | None = None  # predicted CEvNS (all experiments, before nuisances)
    signal_sm: float = float("nan")

    @property
    def chi2_min(self) -> float:
        return float(min(np.nanmin(self.chi2), self.chi2_sm))

    @property
    def delta_chi2(self) -> NDArray[np.float64]:
        return self.chi2 - self.chi2_min


def _config_hash(analysis: Analysis, *arrays, names: tuple[str, ...] = ()) -> str:
    """Short hash of the analysis configuration, the parameter ``names`` and the grid ``arrays``
    (keys a checkpoint to its scan; with no ``names`` the hash of ``scan_grid``'s (masses, couplings))."""
    h = hashlib.sha256()
    h.update(json.dumps({"model": analysis.model.name, "recipe": analysis.recipe.to_dict(),
                         "experiments": analysis.experiments, "fixed": analysis.fixed}, sort_keys=True,
                        default=str).encode())
    if names:
        h.update(json.dumps(list(names)).encode())
    for a in arrays:
        h.update(np.asarray(a, float).tobytes())
    return h.hexdigest()[:16]


def _nuisance_names(analysis: Analysis) -> list[str]:
    names = []
    for lk in analysis.likelihoods:
        names += [f"{lk.experiment}:{nu.name}" for nu in lk.nuisances]
        labels = lk.branches[0].label
        names += [f"{lk.experiment}:{k}" for k in labels]
    return names


def mediator_parameters(analysis: Analysis) -> tuple[str, str]:
    """Names of the (mass [MeV], coupling) parameters the model declares (``Model.mediator_params``);
    a model that declares none must have ``m_med_mev`` and ``g``, else the error lists its parameters."""
    declared = getattr(analysis.model, "mediator_params", None)
    names = tuple(declared) if declared else ("m_med_mev", "g")
    analysis.check_params(list(names))
    return names  # type: ignore[return-value]


def _mg(analysis: Analysis, m, g) -> dict:
    mass, coupling = mediator_parameters(analysis)
    return {mass: m, coupling: g}


def _evaluate_points(analysis: Analysis, m: NDArray, g: NDArray) -> tuple[NDArray, dict[str, NDArray]]:
    chi2, details = analysis.evaluate(_mg(analysis, m, g))
    nus = {"__signal__": sum(d["signal"].sum(axis=-1) for d in details.values())}
    for lk in analysis.likelihoods:
        best = details[lk.experiment]
        for k, nu in enumerate(lk.nuisances):
            nus[f"{lk.experiment}:{nu.name}"] = best["eta"][:, k]
        for key in lk.branches[0].label:
            if "continuous" in best:  # continuously profiled non-linear nuisances
                nus[f"{lk.experiment}:{key}"] = np.asarray(best["continuous"][key], dtype=float)
            else:
                nus[f"{lk.experiment}:{key}"] = np.array([lk.branches[b].label[key] for b in best["branch"]], dtype=float)
    return chi2, nus


def _sm_point(analysis: Analysis) -> tuple[float, float]:
    chi2, details = analysis.evaluate(_mg(analysis, np.array([1.0]), np.array([0.0])))
    return float(chi2[0]), float(sum(d["signal"].sum() for d in details.values()))


#: one batched evaluation of a chunk: {parameter: (P,)} -> (chi2 (P,), {extra name: (P,)})
ChunkFn = Callable[[dict[str, NDArray[np.float64]]], tuple[NDArray[np.float64], dict[str, NDArray[np.float64]]]]


def evaluate_in_chunks(
    evaluate: ChunkFn,
    points: dict[str, NDArray[np.float64]],
    extras: list[str],
    config: str,
    chunk_size: int = 2500,
    checkpoint: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    stop_after_chunks: int | None = None,
    executor: str = "local",
    workers: int | None = None,
    scheduler: str | None = None,
) -> tuple[NDArray[np.float64], dict[str, NDArray[np.float64]]]:
    """chi2 and the ``extras`` arrays of ``evaluate`` at a flat list of parameter points, chunk by chunk.

    ``executor`` (``local``, ``processes``, ``dask``; :mod:`.executors`) runs the chunks
    elsewhere; ``evaluate`` must then be picklable (:class:`AnalysisChunks`). Checkpoints
    are written by this process as chunks arrive, in any order.

    ``points`` maps each parameter to a (P,) array; ``evaluate`` gets consecutive slices
    of at most ``chunk_size`` points, so memory is bounded by the chunk, not by P. With
    ``checkpoint`` the finished chunks are saved (atomically, :func:`atomic_write_bytes`)
    after each chunk, keyed by ``config`` and the chunk size; a rerun with the same key
    resumes from them, another key starts afresh. ``progress(done, total)`` is called
    after every chunk (resumed chunks included). ``stop_after_chunks`` stops after that
    many evaluated chunks (tests simulate an interruption with it) by raising
    ``KeyboardInterrupt``. Returns (chi2 (P,), {name: (P,)} for every name in ``extras``).
    """
    if int(chunk_size) < 1:
        raise ParameterError(f"chunk_size must be a positive number of points, got {chunk_size}")
    chunk_size = int(chunk_size)
    flat = {k: np.asarray(v, dtype=float).ravel() for k, v in points.items()}
    n = next(iter(flat.values())).size if flat else 0
    if any(v.size != n for v in flat.values()):
        raise ParameterError("every parameter needs one value per point (equal-length arrays)")
    n_chunks = (n + chunk_size - 1) // chunk_size
    chi2 = np.full(n, np.nan)
    extra = {k: np.full(n, np.nan) for k in extras}
    done = np.zeros(n_chunks, dtype=bool)
    key = f"{config}-chunk{chunk_size}"  # chunk flags only mean something for the same chunking
    if checkpoint is not None and Path(checkpoint).is_file():
        loaded = _load_checkpoint(Path(checkpoint), key, n, n_chunks, extras)
        if loaded is not None:
            chi2, done, extra = loaded
    if executor != "local":
        from .executors import run_tasks

        todo = [c for c in range(n_chunks) if not done[c]]
        slices = [slice(c * chunk_size, min((c + 1) * chunk_size, n)) for c in todo]
        if progress:
            progress(int(done.sum()), n_chunks)

        def on_result(j: int, res) -> None:
            sl = slices[j]
            chi2[sl] = res[0]
            for k in extras:
                extra[k][sl] = res[1][k]
            done[todo[j]] = True
            if checkpoint is not None:
                _save_checkpoint(Path(checkpoint), key, chi2, done, extra)
            if progress:
                progress(int(done.sum()), n_chunks)

        run_tasks(_evaluate_chunk, [(evaluate, {k: v[sl] for k, v in flat.items()}) for sl in slices], on_result,
                  executor, workers, scheduler)
        return chi2, extra
    n_run = 0
    for c in range(n_chunks):
        if done[c]:
            if progress:
                progress(c + 1, n_chunks)
            continue
        sl = slice(c * chunk_size, min((c + 1) * chunk_size, n))
        ch, ex = evaluate({k: v[sl] for k, v in flat.items()})
        chi2[sl] = ch
        for k in extras:
            extra[k][sl] = ex[k]
        done[c] = True
        n_run += 1
        if checkpoint is not None:
            _save_checkpoint(Path(checkpoint), key, chi2, done, extra)
        if progress:
            progress(c + 1, n_chunks)
        if stop_after_chunks is not None and n_run >= stop_after_chunks and not done.all():
            raise KeyboardInterrupt(f"scan stopped after {n_run} chunk(s)")
    return chi2, extra


def _evaluate_chunk(task):
    evaluate, points = task
    return evaluate(points)


@dataclass
class AnalysisChunks:
    """Picklable chunk evaluator of a mass-coupling scan: worker processes rebuild the
    analysis from its configuration (``api`` arguments), once per process."""

    experiments: tuple[str, ...]
    recipe: str | None
    model: str | None
    fixed: dict
    electron_scattering: bool | None = None

    def __call__(self, p: dict[str, NDArray]) -> tuple[NDArray, dict[str, NDArray]]:
        from .toys import _analysis_cached

        an = _analysis_cached(json.dumps({"experiments": list(self.experiments), "recipe": self.recipe,
                                          "model": self.model, "fixed": self.fixed, "es": self.electron_scattering},
                                         sort_keys=True))
        mass_name, coupling_name = mediator_parameters(an)
        return _evaluate_points(an, p[mass_name], p[coupling_name])


def scan_grid(
    analysis: Analysis,
    masses_mev: NDArray[np.float64],
    couplings: NDArray[np.float64],
    chunk_size: int = 2500,
    checkpoint: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    stop_after_chunks: int | None = None,
    executor: str = "local",
    workers: int | None = None,
    scheduler: str | None = None,
    chunks: AnalysisChunks | None = None,
) -> ScanResult:
    """Profiled chi2 on the full grid, chunk by chunk (:func:`evaluate_in_chunks`).

    With ``checkpoint`` the finished chunks are saved (atomically) after each chunk and a
    rerun with the same configuration resumes from them. ``stop_after_chunks`` stops
    early (used by tests to simulate an interruption) and raises ``KeyboardInterrupt``.
    ``executor`` other than ``local`` needs ``chunks``, the picklable description of the
    same analysis (:class:`AnalysisChunks`).
    """
    if executor != "local" and chunks is None:
        raise ParameterError("scans on other executors need the analysis described by AnalysisChunks")
    masses = np.asarray(masses_mev, dtype=float)
    cpl = np.asarray(couplings, dtype=float)
    validate_grid(masses, cpl)
    mass_name, coupling_name = mediator_parameters(analysis)
    mm, gg = np.meshgrid(masses, cpl, indexing="ij")
    names = [*_nuisance_names(analysis), "__signal__"]

    def evaluate(p: dict[str, NDArray]) -> tuple[NDArray, dict[str, NDArray]]:
        return _evaluate_points(analysis, p[mass_name], p[coupling_name])

    chi2, nus = evaluate_in_chunks(evaluate if executor == "local" else chunks,
                                   {mass_name: mm.ravel(), coupling_name: gg.ravel()}, names,
                                   _config_hash(analysis, masses, cpl), chunk_size, checkpoint, progress,
                                   stop_after_chunks, executor, workers, scheduler)
    shape = mm.shape
    signal = nus.pop("__signal__").reshape(shape)
    chi2_sm_, signal_sm = _sm_point(analysis)
    return ScanResult(masses, cpl, chi2.reshape(shape), chi2_sm_, {k: v.reshape(shape) for k, v in nus.items()},
                      signal, signal_sm)


def _load_checkpoint(path: Path, key: str, n: int, n_chunks: int, extras: list[str]):
    """(chi2, done, extras) of a checkpoint written for ``key``, None for another scan's; a damaged
    or foreign file raises :class:`CheckpointError` (never silently restarts over it)."""
    import zipfile

    try:
        # the file is opened here so that it is closed even when np.load rejects it
        with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as ck:
            if str(ck["config"]) != key:
                return None
            chi2, done = ck["chi2"].copy(), ck["done"].copy()
            extra = {k: ck[f"nu::{k}"].copy() for k in extras}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, AttributeError) as exc:
        raise CheckpointError(f"checkpoint {path} is damaged or not a cevns checkpoint ({type(exc).__name__}); "
                              f"delete it (rm {path}) and run again to start afresh") from None
    if chi2.shape != (n,) or done.shape != (n_chunks,) or any(v.shape != (n,) for v in extra.values()):
        raise CheckpointError(f"checkpoint {path} is damaged (its arrays do not match the scan); "
                              f"delete it (rm {path}) and run again to start afresh")
    return chi2, done, extra


def _save_checkpoint(path: Path, key: str, chi2, done, nus) -> None:
    import io

    buf = io.BytesIO()
    np.savez(buf, config=np.array(key), chi2=chi2, done=done, **{f"nu::{k}": v for k, v in nus.items()})
    atomic_write_bytes(path, buf.getvalue())


#: ``chi2(m_med_mev, g)`` for arrays of P points, returning chi2 (P,): one batched evaluation
Chi2Fn = Callable[[NDArray[np.float64], NDArray[np.float64]], NDArray[np.float64]]

#: default width, in decades of g, below which an excluded gap between two allowed intervals
#: is bridged by :func:`find_coupling_limits` (log10 sqrt(2), see its docstring)
THIN_STRIP_DECADES = float(np.log10(np.sqrt(2.0)))


def _chi2_at(analysis: Analysis, m: NDArray, g: NDArray) -> NDArray:
    chi2, _ = analysis.evaluate(_mg(analysis, m, g))
    return chi2


def analysis_chi2(analysis: Analysis) -> Chi2Fn:
    """The profiled chi2 of ``analysis`` as a :data:`Chi2Fn` of (m_med_mev [MeV], g) arrays."""

    def chi2(m: NDArray[np.float64], g: NDArray[np.float64]) -> NDArray[np.float64]:
        return _chi2_at(analysis, m, g)

    return chi2


#: tolerance, in ln g (relative in g), to which :func:`column_crossings` bisects threshold crossings
#: and polishes the global minimum, whatever the spacing of the user's grid
CROSSING_XTOL = 1e-6
#: evaluation budget of one start of the polish of the global minimum (:func:`_polish_minimum`)
POLISH_MAXFEV = 300


def _bisect(fn: Chi2Fn, m, g_lo, g_hi, level, below_at_lo: NDArray, iterations: int = 24,
            xtol: float | None = None) -> NDArray:
    """Crossing of chi2 = level between g_lo and g_hi (log bisection), vectorised.

    ``iterations`` halvings, or, with ``xtol``, as many as bring the widest bracket below
    ``xtol`` in ln g (so the precision does not depend on how far apart g_lo and g_hi are)."""
    lo, hi = np.log(g_lo), np.log(g_hi)
    if xtol is not None:
        width = float(np.max(np.abs(hi - lo))) if np.size(lo) else 0.0
        iterations = max(1, int(np.ceil(np.log2(max(width, xtol) / xtol))) + 1)
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        below = fn(m, np.exp(mid)) <= level
        move_lo = below == below_at_lo
        lo = np.where(move_lo, mid, lo)
        hi = np.where(move_lo, hi, mid)
    return np.exp(0.5 * (lo + hi))


def _golden_extremum(fn: Chi2Fn, m, g_lo, g_hi, maximise=False, iterations: int = 24) -> tuple[NDArray, NDArray]:
    """Golden-section minimum (or, where ``maximise``, maximum) of chi2 in log g on [g_lo, g_hi], vectorised.

    ``maximise`` is a bool or a bool array (one per point). Returns (g, chi2 at g).
    """
    sign = np.where(np.asarray(maximise, dtype=bool), -1.0, 1.0)
    phi = (np.sqrt(5.0) - 1.0) / 2.0
    a, b = np.log(g_lo), np.log(g_hi)
    c, d = b - phi * (b - a), a + phi * (b - a)
    fc, fd = sign * fn(m, np.exp(c)), sign * fn(m, np.exp(d))
    for _ in range(iterations):
        left = fc < fd
        b = np.where(left, d, b)
        a = np.where(left, a, c)
        new_c = b - phi * (b - a)
        new_d = a + phi * (b - a)
        c_next = np.where(left, new_c, d)
        d_next = np.where(left, c, new_d)
        f_new = sign * fn(m, np.exp(np.where(left, new_c, new_d)))
        # left: the old c becomes d; right: the old d becomes c (both keep their values)
        fc, fd = np.where(left, f_new, fd), np.where(left, fc, f_new)
        c, d = c_next, d_next
    x = 0.5 * (a + b)
    return np.exp(x), fn(m, np.exp(x))


def _column_minima(x: NDArray[np.float64], f: NDArray[np.float64],
                   safety: float) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
    """Interior local minima of a sampled column (f_j <= both neighbours) and a lower bound on f
    between their two neighbours, from :func:`_curvature_bounds` (curvature ``safety`` x the largest
    |second divided difference| of the samples at the ends of each interval)."""
    if f.size < 3:
        return np.zeros(0, dtype=np.intp), np.zeros(0)
    mid = f[1:-1]
    j = np.nonzero((mid <= f[:-2]) & (mid <= f[2:]))[0] + 1
    _, lower = _curvature_bounds(x, f, safety)
    return j, np.minimum(lower[j - 1], lower[j])


def _polish_minimum(fn: Chi2Fn, starts: list[tuple[float, float]], m_bounds: tuple[float, float],
                    g_bounds: tuple[float, float]) -> tuple[float, float, float] | None:
    """Lowest chi2 in (ln m, ln g) by bounded Nelder-Mead (scipy) from each start (m, g);
    (m, g, chi2) of the lowest, or None without starts. Converged to 1e-7 in chi2 (and 1e-4
    in ln m, ln g), at most :data:`POLISH_MAXFEV` evaluations per start."""
    from scipy.optimize import minimize, minimize_scalar

    best = None
    lb = [(np.log(m_bounds[0]), np.log(m_bounds[1])), (np.log(g_bounds[0]), np.log(g_bounds[1]))]
    for m0, g0 in starts:
        u0 = np.array([np.clip(np.log(m0), *lb[0]), np.clip(np.log(g0), *lb[1])])
        if not lb[0][1] > lb[0][0]:  # one mass: minimise in ln g only, within a decade of the start
            m = np.array([np.exp(u0[0])])
            r1 = minimize_scalar(lambda x, m=m: float(fn(m, np.array([np.exp(x)]))[0]), method="bounded",
                                 bounds=(max(u0[1] - 2.3, lb[1][0]), min(u0[1] + 2.3, lb[1][1])),
                                 options={"xatol": CROSSING_XTOL})
            x, fun = np.array([u0[0], r1.x]), float(r1.fun)
        else:
            def f(u: NDArray) -> float:
                return float(fn(np.array([np.exp(u[0])]), np.array([np.exp(u[1])]))[0])

            simplex = np.array([u0, u0 + [0.05 if u0[0] + 0.05 <= lb[0][1] else -0.05, 0.0],
                                u0 + [0.0, 0.05 if u0[1] + 0.05 <= lb[1][1] else -0.05]])
            res = minimize(f, u0, method="Nelder-Mead", bounds=lb,
                           options={"initial_simplex": simplex, "xatol": 1e-4, "fatol": 1e-7, "maxfev": POLISH_MAXFEV})
            x, fun = res.x, float(res.fun)
        if np.isfinite(fun) and (best is None or fun < best[2]):
            best = (float(np.exp(x[0])), float(np.exp(x[1])), fun)
    return best


def column_crossings(analysis: Analysis, result: ScanResult, threshold: float,
                     curvature_safety: float = 2.0) -> dict:
    """Refined threshold crossings per mass column, including strips missed by the grid.

    Returns ``{"chi2_min": ..., "columns": [{"mass_mev", "allowed": [[g_lo, g_hi], ...]}]}``
    where each interval is an allowed range of g at that mass (ends refined by bisection;
    an interval touching the grid end stops there).

    Refined minima (golden-section search between the two grid neighbours, in ln g): the
    brackets where the predicted signal rises through the SM rate (the cancellation
    strip of the universal model, seed 002 eq. 44), always; and a local minimum of a
    column (f_j <= both neighbours) only where it can change the result, judged with a
    lower bound L_j on chi2 between its neighbours (:func:`_curvature_bounds`, curvature
    ``curvature_safety`` x the largest |second divided difference| at the ends, the
    assumption of :func:`find_coupling_limits`):

    1. L_j <= the lowest grid value (or the SM point): it may be the global minimum and
       lower chi2_min; these and the SM-rate brackets are refined first, which fixes
       chi2_min and the level = chi2_min + ``threshold``;
    2. f_j > level and L_j <= level: it may dip below the level (an allowed strip hidden
       between grid points).

    A minimum with f_j <= level lies inside an allowed run and cannot change the allowed
    intervals (only the bisection bracket of a crossing next to it, same crossing); one
    with L_j > level cannot reach the level under the curvature assumption. Skipping
    these keeps the refinement cost from growing with the noise-level minima of flat
    parts of the grid (plateaus above and below the level).
    """
    masses, cpl, chi2 = result.masses_mev, result.couplings, result.chi2
    nm, ng = chi2.shape
    x = np.log(cpl)
    fn = analysis_chi2(analysis)
    minima = [_column_minima(x, chi2[i], curvature_safety) for i in range(nm)]
    refined_min: dict[int, list[tuple[float, float]]] = {}

    def refine(cand: list[tuple[int, int, int]]) -> None:
        """Golden-section minima of (column, lower index, upper index) brackets, added to refined_min."""
        if not cand:
            return
        ci, lo, hi = (np.array(v) for v in zip(*cand, strict=True))
        g_min, f_min = _golden_extremum(fn, masses[ci], cpl[lo], cpl[hi])
        for k, i in enumerate(ci.tolist()):
            refined_min.setdefault(i, []).append((float(g_min[k]), float(f_min[k])))

    # 1) candidates for the global minimum: brackets where the predicted signal rises through
    #    the SM one (a sign flip of the weak charge restores the SM rate in a strip narrower
    #    than the grid, seed 002 eq. 44), and column minima whose lower bound reaches the lowest value
    grid_min = result.chi2_min
    first: list[tuple[int, int, int]] = []
    done: set[tuple[int, int]] = set()
    for i in range(nm):
        j, low = minima[i]
        for jj in j[low <= grid_min].tolist():
            first.append((i, jj - 1, jj + 1))
            done.add((i, jj))
        if result.signal_total is not None:
            d = result.signal_total[i] - result.signal_sm
            for jj in np.nonzero((d[:-1] * d[1:] < 0) & (d[1:] > d[:-1]))[0].tolist():  # rising through the SM rate
                first.append((i, jj, jj + 1))
    refine(first)
    chi2_min = min(grid_min, min((f for v in refined_min.values() for _, f in v), default=np.inf))
    # 1a) polish the global minimum in (ln m, ln g) from the lowest point found so far, so that
    #     chi2_min (and with it the level and every limit) does not depend on the grid spacing
    lowest = [(f, float(masses[i]), float(g)) for i, v in refined_min.items() for g, f in v]
    i0, j0 = np.unravel_index(int(np.nanargmin(chi2)), chi2.shape)
    lowest.append((float(chi2[i0, j0]), float(masses[i0]), float(cpl[j0])))
    _, m_start, g_start = min(lowest)
    polished = _polish_minimum(fn, [(m_start, g_start)], (float(masses.min()), float(masses.max())),
                               (float(min(cpl.min(), 1e-7)), float(max(cpl.max(), 10.0))))
    if polished is not None and polished[2] < chi2_min:
        chi2_min = polished[2]
    level = chi2_min + threshold
    # 1b) minima above the level that may dip below it
    second = []
    for i in range(nm):
        j, low = minima[i]
        sel = (chi2[i, j] > level) & (low <= level)
        second += [(i, jj - 1, jj + 1) for jj in j[sel].tolist() if (i, jj) not in done]
    refine(second)
    # a dip found in 1b) below chi2_min would break the curvature assumption; take it all the same
    chi2_min = min(chi2_min, min((f for v in refined_min.values() for _, f in v), default=np.inf))
    level = chi2_min + threshold
    # 2) sample points per column: grid plus refined minima, sorted in g
    jobs_m, jobs_lo, jobs_hi, jobs_below, jobs_key = [], [], [], [], []
    samples = []
    for i in range(nm):
        pts = [(float(cpl[j]), float(chi2[i, j])) for j in range(ng)] + refined_min.get(i, [])
        pts.sort()
        samples.append(pts)
        for k in range(len(pts) - 1):
            (g0, f0), (g1, f1) = pts[k], pts[k + 1]
            if (f0 <= level) != (f1 <= level):
                jobs_m.append(masses[i])
                jobs_lo.append(g0)
                jobs_hi.append(g1)
                jobs_below.append(f0 <= level)
                jobs_key.append((i, k))
    crossings = {}
    if jobs_m:
        gx = _bisect(analysis_chi2(analysis), np.array(jobs_m), np.array(jobs_lo), np.array(jobs_hi), level,
                     np.array(jobs_below), xtol=CROSSING_XTOL)
        crossings = {key: float(v) for key, v in zip(jobs_key, gx, strict=True)}
    columns = []
    for i in range(nm):
        pts = samples[i]
        allowed, start = [], None
        for k, (_g, f) in enumerate(pts):
            inside = f <= level
            if inside and start is None:
                start = pts[0][0] if k == 0 else crossings[(i, k - 1)]
            if not inside and start is not None:
                allowed.append([start, crossings[(i, k - 1)]])
                start = None
        if start is not None:
            allowed.append([start, pts[-1][0]])
        columns.append({"mass_mev": float(masses[i]), "allowed": allowed})
    return {"chi2_min": float(chi2_min), "level": float(level), "columns": columns}


# ----------------------------------------------------------------------------- limit finder (issue #9)


@dataclass(frozen=True)
class CouplingLimits:
    """Coupling limits per mediator mass from :func:`find_coupling_limits`.

    ``first_excluded``: smallest excluded coupling going up from the bottom of the g range
    (the range's lower end if that is excluded, NaN if nothing in the range is excluded).
    ``upper_boundary``: upper end of the allowed region containing g -> 0 once excluded
    gaps thinner than ``thin_strip_decades`` are bridged (NaN if it reaches the top of the
    range); equal to ``first_excluded`` when nothing is bridged. ``allowed``: per mass, the
    allowed intervals [g_lo, g_hi] found, increasing in g. ``resolved``: per mass, whether
    the curvature criterion of the finder was met everywhere it matters (see
    :func:`find_coupling_limits`). ``n_evaluations``: chi2 points evaluated in total.
    """

    masses_mev: NDArray[np.float64]
    first_excluded: NDArray[np.float64]
    upper_boundary: NDArray[np.float64]
    allowed: list[list[list[float]]]
    level: float
    thin_strip_decades: float
    resolved: NDArray[np.bool_]
    n_evaluations: int

    def to_dict(self) -> dict:
        """JSON-ready dict (NaN -> None)."""

        def num(v: float) -> float | None:
            return None if not np.isfinite(v) else float(v)

        return {"masses_mev": [float(m) for m in self.masses_mev],
                "first_excluded": [num(v) for v in self.first_excluded],
                "upper_boundary": [num(v) for v in self.upper_boundary],
                "allowed": [[[float(a), float(b)] for a, b in col] for col in self.allowed],
                "level": float(self.level), "thin_strip_decades": float(self.thin_strip_decades),
                "resolved": [bool(r) for r in self.resolved], "n_evaluations": int(self.n_evaluations)}


def _curvature_bounds(x: NDArray[np.float64], f: NDArray[np.float64],
                      safety: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Upper and lower bounds of f on each interval [x_k, x_k+1] of sorted samples.

    The curvature on interval k is taken as C_k = ``safety`` x max(|D2_k|, |D2_k+1|), with
    D2_j = 2 [(f_j+1 - f_j)/h_j - (f_j - f_j-1)/h_j-1] / (h_j-1 + h_j) the second divided
    difference at sample j (0 at the two end samples). If |f''| <= C_k on the interval,
    f lies between L(x) -+ C_k t (h_k - t) / 2, with L the linear interpolation and t = x - x_k;
    the bounds returned are the extrema of these two parabolas on the interval (exact for a
    quadratic f when ``safety`` = 1).
    """
    h = np.diff(x)
    s = np.diff(f) / h
    d2 = np.zeros(x.size)
    if x.size >= 3:
        d2[1:-1] = np.abs(2.0 * np.diff(s) / (h[:-1] + h[1:]))
    c = safety * np.maximum(d2[:-1], d2[1:])
    c_safe = np.where(c > 0, c, 1.0)
    fa, fb = f[:-1], f[1:]
    t_up = np.clip(0.5 * h + s / c_safe, 0.0, h)
    t_lo = np.clip(0.5 * h - s / c_safe, 0.0, h)
    upper = np.maximum(np.maximum(fa, fb), fa + s * t_up + 0.5 * c * t_up * (h - t_up))
    lower = np.minimum(np.minimum(fa, fb), fa + s * t_lo - 0.5 * c * t_lo * (h - t_lo))
    return upper, lower


def _relevant_end(x: NDArray[np.float64], f: NDArray[np.float64], level: float, thin: float) -> float:
    """End (in ln g) of the part of a sampled profile that can move first_excluded or upper_boundary.

    Walks the runs of excluded samples (chi2 > level) from the bottom: a run followed by an
    allowed sample whose sampled width (a lower bound on the true gap) is below ``thin``
    (ln units) may be a bridged strip, so the walk goes on; the first other run ends it at
    its first sample + ``thin``. +inf if every run may be bridged.
    """
    n = x.size
    for k, j in true_runs(f > level):
        if k == 0 or j == n - 1 or x[j] - x[k] >= thin:
            return float(x[k] + thin)
    return float("inf")


def _insert(x: NDArray, f: NDArray, x_new: NDArray, f_new: NDArray) -> tuple[NDArray, NDArray]:
    xx, idx = np.unique(np.concatenate([x, x_new]), return_index=True)
    return xx, np.concatenate([f, f_new])[idx]


def find_coupling_limits(
    chi2_fn: Chi2Fn, masses_mev: NDArray[np.float64], level: float,
    g_range: tuple[float, float] = (1e-7, 10.0), n_grid: int = 160,
    thin_strip_decades: float = THIN_STRIP_DECADES, curvature_safety: float = 2.0, chi2_tol: float = 1e-3,
    max_rounds: int = 8, iterations: int = 24,
) -> CouplingLimits:
    """Allowed intervals in g, the first excluded coupling and the upper boundary, per mass.

    ``chi2_fn(m, g)`` is the (profiled) chi2 for arrays of masses [MeV] and couplings;
    every step evaluates all masses in one batch. A coupling is excluded where
    chi2 > ``level`` (= chi2_min + Delta-chi2 threshold). Working in x = ln g:

    1. sample ``n_grid`` log-spaced couplings in ``g_range``;
    2. refine every local extremum of the samples lying on the "wrong" side of the level
       (a local maximum at or below it, which may poke above it between its neighbours,
       or a local minimum above it) by golden-section search between its two neighbours,
       and add the extremum as a sample;
    3. subdivide (add the midpoint of) every interval whose two ends lie on the same side
       of the level but where the curvature bound of :func:`_curvature_bounds` (curvature
       ``curvature_safety`` x the largest |second divided difference| at the interval's
       two ends) lets chi2 cross the level by more than ``chi2_tol`` inside it; repeat 2-3
       for at most ``max_rounds`` rounds (one batched evaluation per round, plus the
       golden-section searches of new extrema);
    4. bisect (in ln g, ``iterations`` halvings) every crossing between neighbouring
       samples on either side of the level; these bound the allowed intervals.

    ``first_excluded`` is the crossing before the first sample (grid or refined) above the
    level. ``upper_boundary`` walks the allowed intervals from the bottom and bridges an
    excluded gap between two of them when its width is below ``thin_strip_decades`` in
    log10 g; it is the upper end of the merged region that starts at the bottom. The
    default log10 sqrt(2) ~ 0.15 is the width of a cancellation strip (seed 002 sec.
    IV.3, eqs. 46-47): with a new weak charge Q' growing like g^2, g grows by a factor
    sqrt(2) between full cancellation (Q' = -Q_SM, no CEvNS) and the restored SM rate
    (Q' = -2 Q_SM), so the excluded strip of that excursion is thinner than that.

    Guarantee (and its assumption): on every interval between neighbouring final
    samples, assume |d^2 chi2 / d(ln g)^2| <= C = ``curvature_safety`` x the largest
    |second divided difference| of the samples at the interval's two ends. Then, for a
    mass with ``resolved`` True, no excursion of chi2 above level + ``chi2_tol`` between
    two allowed samples, and no dip below level - ``chi2_tol`` between two excluded
    samples, is missed below the relevant end (the first excluded run of samples that
    cannot be a bridged thin strip, plus ``thin_strip_decades``; nothing above it can
    change either result), so ``first_excluded`` and ``upper_boundary`` are exact up to
    the bisection tolerance (a factor exp(h / 2^iterations) in g, h the bracket in ln g).
    ``resolved`` is False where intervals were still flagged after ``max_rounds``. A
    feature narrower than the grid that leaves no trace at any sample (neither a local
    extremum nor curvature) violates the assumption and cannot be found by any finite
    sampling. Allowed intervals above the relevant end are those of steps 1, 2 and 4 only.
    The work is bounded: at most ``max_rounds`` + 1 golden-section passes (``iterations``
    + 3 evaluations per extremum) and ``max_rounds`` subdivisions, each at most doubling the
    samples below the relevant end; a smooth profile needs one or two rounds.
    """
    masses = np.atleast_1d(np.asarray(masses_mev, dtype=float))
    lo, hi = (float(v) for v in g_range)
    if not (0 < lo < hi and np.isfinite(hi)):
        raise ParameterError(f"g_range must satisfy 0 < lo < hi, got {g_range}")
    if n_grid < 3:
        raise ParameterError(f"n_grid must be >= 3, got {n_grid}")
    if thin_strip_decades < 0 or curvature_safety < 0 or chi2_tol < 0 or max_rounds < 0:
        raise ParameterError("thin_strip_decades, curvature_safety, chi2_tol and max_rounds must be >= 0")
    nm = masses.size
    thin = thin_strip_decades * np.log(10.0)
    n_eval = 0

    def ev(m: NDArray, x: NDArray) -> NDArray:
        nonlocal n_eval
        n_eval += m.size
        return np.asarray(chi2_fn(m, np.exp(x)), dtype=float)

    def ev_g(m: NDArray, g: NDArray) -> NDArray:
        nonlocal n_eval
        n_eval += m.size
        return np.asarray(chi2_fn(m, g), dtype=float)

    g0 = np.geomspace(lo, hi, n_grid)
    f0 = ev_g(np.repeat(masses, n_grid), np.tile(g0, nm)).reshape(nm, n_grid)
    xs = [np.log(g0) for _ in range(nm)]
    fs = [f0[i].copy() for i in range(nm)]
    refined: list[set[float]] = [set() for _ in range(nm)]
    resolved = np.zeros(nm, dtype=bool)
    for rnd in range(max_rounds + 1):
        ends = [_relevant_end(xs[i], fs[i], level, thin) for i in range(nm)]
        # 2) local extrema on the wrong side of the level, not refined yet
        cand_i, cand_lo, cand_hi, cand_max = [], [], [], []
        for i in range(nm):
            x, f = xs[i], fs[i]
            mid = f[1:-1]
            is_max = (mid > f[:-2]) & (mid >= f[2:]) & (mid <= level)
            is_min = (mid < f[:-2]) & (mid <= f[2:]) & (mid > level)
            for k in np.nonzero((is_max | is_min) & (x[1:-1] <= ends[i]))[0] + 1:
                if x[k] in refined[i]:
                    continue
                refined[i].add(float(x[k]))
                cand_i.append(i)
                cand_lo.append(x[k - 1])
                cand_hi.append(x[k + 1])
                cand_max.append(bool(is_max[k - 1]))
        if cand_i:
            ci = np.array(cand_i)
            gx, gf = _golden_extremum(ev_g, masses[ci], np.exp(cand_lo), np.exp(cand_hi), np.array(cand_max), iterations)
            for i in set(cand_i):
                sel = ci == i
                xs[i], fs[i] = _insert(xs[i], fs[i], np.log(gx[sel]), gf[sel])
                refined[i].update(float(v) for v in np.log(gx[sel]))
        # 3) intervals where the curvature bound lets chi2 cross the level inside
        new_i, new_x = [], []
        for i in range(nm):
            x, f = xs[i], fs[i]
            upper, lower = _curvature_bounds(x, f, curvature_safety)
            below = f <= level
            flag = ((below[:-1] & below[1:] & (upper > level + chi2_tol))
                    | (~below[:-1] & ~below[1:] & (lower < level - chi2_tol))) & (x[:-1] < ends[i])
            resolved[i] = not flag.any()
            k = np.nonzero(flag)[0]
            new_i += [i] * k.size
            new_x.append(0.5 * (x[k] + x[k + 1]))
        if resolved.all() or rnd == max_rounds:
            break
        ni, nx = np.array(new_i, dtype=int), np.concatenate(new_x)
        nf = ev(masses[ni], nx)
        for i in set(new_i):
            sel = ni == i
            xs[i], fs[i] = _insert(xs[i], fs[i], nx[sel], nf[sel])
    # 4) bisect every crossing between neighbouring samples
    jobs_i, jobs_k, jobs_lo, jobs_hi, jobs_below = [], [], [], [], []
    for i in range(nm):
        below = fs[i] <= level
        k = np.nonzero(below[:-1] != below[1:])[0]
        jobs_i += [i] * k.size
        jobs_k += k.tolist()
        jobs_lo.append(xs[i][k])
        jobs_hi.append(xs[i][k + 1])
        jobs_below.append(below[k])
    crossing: dict[tuple[int, int], float] = {}
    if jobs_i:
        gx = _bisect(ev_g, masses[np.array(jobs_i)], np.exp(np.concatenate(jobs_lo)), np.exp(np.concatenate(jobs_hi)),
                     level, np.concatenate(jobs_below), iterations)
        crossing = {(i, k): float(v) for i, k, v in zip(jobs_i, jobs_k, gx, strict=True)}
    first = np.full(nm, np.nan)
    upper = np.full(nm, np.nan)
    allowed: list[list[list[float]]] = []
    for i in range(nm):
        below = fs[i] <= level
        col: list[list[float]] = []
        start = None
        for k in range(below.size):
            if below[k] and start is None:
                start = lo if k == 0 else crossing[(i, k - 1)]
            if not below[k] and start is not None:
                col.append([start, crossing[(i, k - 1)]])
                start = None
        open_top = start is not None
        if open_top:
            col.append([start, hi])
        allowed.append(col)
        if not below[0]:
            first[i] = upper[i] = lo
            continue
        n_closed = len(col) - 1 if open_top else len(col)
        if n_closed >= 1:
            first[i] = col[0][1]
        j = 0
        while j + 1 < len(col) and np.log10(col[j + 1][0] / col[j][1]) < thin_strip_decades:
            j += 1
        if j < n_closed:
            upper[i] = col[j][1]
    return CouplingLimits(masses, first, upper, allowed, float(level), float(thin_strip_decades), resolved, n_eval)


def coupling_limits(
    analysis: Analysis, masses_mev: NDArray[np.float64], threshold: float, chi2_min: float,
    g_range: tuple[float, float] = (1e-7, 10.0), n_grid: int = 160, thin_strip_decades: float = THIN_STRIP_DECADES,
    **options,
) -> CouplingLimits:
    """:func:`find_coupling_limits` for the profiled chi2 of ``analysis`` at level chi2_min + threshold.

    ``options`` go to :func:`find_coupling_limits` (curvature_safety, chi2_tol, max_rounds, iterations).
    """
    return find_coupling_limits(analysis_chi2(analysis), masses_mev, chi2_min + threshold, g_range, n_grid,
                                thin_strip_decades, **options)


def coupling_limit(
    analysis: Analysis, masses_mev: NDArray[np.float64], threshold: float, chi2_min: float,
    g_range: tuple[float, float] = (1e-7, 10.0), n_grid: int = 160,
) -> NDArray[np.float64]:
    """Smallest excluded coupling going up from zero at each mass (NaN if none in range).

    The ``first_excluded`` of :func:`coupling_limits` (kept for existing callers); the
    range's lower end where that is already excluded.
    """
    return coupling_limits(analysis, masses_mev, threshold, chi2_min, g_range, n_grid).first_excluded
