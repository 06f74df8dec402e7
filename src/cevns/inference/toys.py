"""Pseudo-experiments (toys) from any recipe likelihood, fitted in batches (issue #12).

A *toy problem* is what the frequentist constructions need of a likelihood: a grid of
parameter points (``grid``, shape (G, d), for ``names``), pseudo-data generated at a
grid point, and the profiled chi2 of a batch of (pseudo-)data at every grid point. The
best fit of a toy is the grid minimum refined by a parabola through its neighbours (one
parameter), so every toy costs one batched profile over (toy x grid point) rows on the
fast path of :mod:`cevns.likelihood` (:meth:`~cevns.likelihood.ExperimentLikelihood.profile_observed`).

* :class:`AnalysisToys`: any model x recipe x experiments. Pseudo-data are Poisson counts
  per bin around the expectation at the grid point with the nuisances

  - ``"drawn"`` (default): the true nuisances at their values fitted to the observed data
    at that point (the conditional estimates), and for every toy the centres of their
    Gaussian constraints (the auxiliary measurements, "global observables") drawn from
    the constraints around those values; the toy is fitted with its own centres. This is
    the profile construction of the LHC experiments (ATLAS/CMS, "toys with global
    observables"), Feldman-Cousins with nuisances,
  - ``"fixed"``: the same, the centres fixed at the conditional estimates (no fluctuation
    of the auxiliary measurements: the toys miss the systematic part of the spread),
  - ``"nominal"``: true nuisances and centres at 0,

  and ``asimov=True`` gives the expectation itself (one "toy", no fluctuation).
* :class:`GaussianMeanToys`, :class:`PoissonToys`: one-bin problems with known answers
  (tests, and the Feldman & Cousins 1998 tables).

:func:`run_toys` generates and fits toys at any grid points in chunks on an executor
(:mod:`.executors`), with one random stream per toy (``SeedSequence(seed)`` spawned by
point and toy index) and the fits done in fixed blocks of :data:`BLOCK` toys aligned to
the toy index, so results are bit for bit the same whatever the executor, the chunk size
and the split into runs (:func:`merge_toys`). With ``checkpoint`` (a folder) every
finished chunk is written atomically and a rerun resumes from them.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ..errors import ParameterError
from .executors import run_tasks, toy_rng

#: toys fitted together in one batch; blocks are aligned to the toy index (reproducibility)
BLOCK = 50
NUISANCE_MODES = ("drawn", "fixed", "nominal")


def best_on_grid(chi2: NDArray[np.float64], grid: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Minimum chi2 ``(N,)`` and best point ``(N, d)`` of each row of ``chi2`` ``(N, G)``.

    With one parameter on an increasing grid the minimum is refined by the parabola through
    the best node and its neighbours, with two on a regular product grid by the quadratic
    fitted on the 3 x 3 stencil around the best node (never above the node's value)."""
    chi2 = np.atleast_2d(chi2)
    i = np.argmin(chi2, axis=1)
    rows = np.arange(chi2.shape[0])
    cmin = chi2[rows, i].copy()
    best = grid[i].astype(float).copy()
    if grid.shape[1] == 1 and grid.shape[0] >= 3:
        x = grid[:, 0]
        j = np.clip(i, 1, len(x) - 2)
        x0, x1, x2 = x[j - 1], x[j], x[j + 1]
        y0, y1, y2 = chi2[rows, j - 1], chi2[rows, j], chi2[rows, j + 1]
        with np.errstate(divide="ignore", invalid="ignore"):
            d01, d12 = (y1 - y0) / (x1 - x0), (y2 - y1) / (x2 - x1)
            a = (d12 - d01) / (x2 - x0)
            b = d01 - a * (x0 + x1)
            xv = -b / (2.0 * a)
            yv = y1 + a * (xv - x1) ** 2 + (b + 2.0 * a * x1) * (xv - x1)
        ok = (a > 0) & (xv >= x0) & (xv <= x2) & np.isfinite(yv) & (yv < cmin) & (i == j)
        cmin = np.where(ok, yv, cmin)
        best[:, 0] = np.where(ok, xv, best[:, 0])
    elif grid.shape[1] == 2:
        refined = _refine_2d(chi2, grid)
        if refined is not None:
            c2, at = refined
            take = np.isfinite(c2) & (c2 < cmin)
            cmin = np.where(take, c2, cmin)
            best = np.where(take[:, None], np.stack([at[0], at[1]], axis=1), best)
    return cmin, best


def _refine_2d(chi2: NDArray[np.float64], grid: NDArray[np.float64]):
    """Quadratic refinement on the 3 x 3 stencil of a regular 2D product grid
    (:func:`cevns.likelihood.core.refine_grid_minimum`); ``None`` for other grids."""
    from ..likelihood.core import BranchGrid, refine_grid_minimum

    axes = [np.unique(grid[:, k]) for k in range(2)]
    if axes[0].size * axes[1].size != grid.shape[0] or min(a.size for a in axes) < 3:
        return None
    if any(not np.allclose(np.diff(a), a[1] - a[0]) for a in axes):
        return None
    index = tuple((int(np.searchsorted(axes[0], p[0])), int(np.searchsorted(axes[1], p[1]))) for p in grid)
    bg = BranchGrid({"x": tuple(axes[0]), "y": tuple(axes[1])}, index)
    c2, at = refine_grid_minimum(chi2.T, bg)
    return c2, (at["x"], at["y"])


class ToyProblem:
    """Base of the toy problems: ``names``, ``grid`` (G, d), :meth:`generate`, :meth:`chi2`,
    :meth:`observed`, :meth:`config` (what keys checkpoints and toy files)."""

    names: tuple[str, ...]
    grid: NDArray[np.float64]

    def generate(self, point: int, rngs: Sequence[np.random.Generator]) -> list[NDArray[np.float64]]:
        raise NotImplementedError

    def chi2(self, data: list[NDArray[np.float64]]) -> NDArray[np.float64]:
        raise NotImplementedError

    def observed(self) -> list[NDArray[np.float64]]:
        raise NotImplementedError

    def config(self) -> dict:
        raise NotImplementedError

    def key(self) -> str:
        h = hashlib.sha256(json.dumps(self.config(), sort_keys=True, default=str).encode())
        h.update(np.asarray(self.grid, dtype=float).tobytes())
        return h.hexdigest()[:16]


@dataclass
class GaussianMeanToys(ToyProblem):
    """x ~ N(mu, sigma), chi2 = ((x - mu)/sigma)^2, mu on ``values`` (its range is the physical region)."""

    values: NDArray[np.float64]
    sigma: float = 1.0
    x_observed: float = 0.0
    names: tuple[str, ...] = ("mu",)

    def __post_init__(self):
        self.grid = np.asarray(self.values, dtype=float).reshape(-1, 1)

    def generate(self, point, rngs):
        mu = self.grid[point, 0]
        return [np.array([[rng.normal(mu, self.sigma)] for rng in rngs])]

    def chi2(self, data):
        return ((data[0] - self.grid[None, :, 0]) / self.sigma) ** 2

    def observed(self):
        return [np.array([[self.x_observed]])]

    def config(self):
        return {"problem": "gaussian-mean", "sigma": self.sigma, "x_observed": self.x_observed}


@dataclass
class PoissonToys(ToyProblem):
    """n ~ Poisson(s + b) in one bin, Baker-Cousins chi2, signal s >= 0 on ``values``."""

    values: NDArray[np.float64]
    background: float = 0.0
    n_observed: int = 0
    names: tuple[str, ...] = ("s",)

    def __post_init__(self):
        self.grid = np.asarray(self.values, dtype=float).reshape(-1, 1)

    def generate(self, point, rngs):
        mu = self.grid[point, 0] + self.background
        return [np.array([[rng.poisson(mu)] for rng in rngs], dtype=float)]

    def chi2(self, data):
        from ..stats import poisson_chi2

        mu = self.grid[None, :, 0:1] + self.background  # (1, G, 1)
        return poisson_chi2(mu, data[0][:, None, :])

    def observed(self):
        return [np.array([[float(self.n_observed)]])]

    def config(self):
        return {"problem": "poisson", "background": self.background, "n_observed": self.n_observed}


@dataclass
class AnalysisToys(ToyProblem):
    """Toys of a model x recipe x experiments on a grid of ``names`` (1 or 2 parameters).

    Picklable: worker processes rebuild the analysis from the configuration (once per process)."""

    experiments: tuple[str, ...]
    recipe: str | None
    model: str | None
    names: tuple[str, ...]
    grid: NDArray[np.float64]
    fixed: dict = field(default_factory=dict)
    nuisances: str = "drawn"
    asimov: bool = False
    electron_scattering: bool | None = None

    def __post_init__(self):
        self.grid = np.atleast_2d(np.asarray(self.grid, dtype=float))
        if self.grid.shape[1] != len(self.names):
            self.grid = self.grid.reshape(-1, len(self.names))
        if self.nuisances not in NUISANCE_MODES:
            raise ParameterError(f"unknown nuisance mode {self.nuisances!r} for toys; choose {', '.join(NUISANCE_MODES)}")
        if not 1 <= len(self.names) <= 2:
            raise ParameterError("toys and belts take 1 or 2 parameters")
        self._state = None

    def __getstate__(self):
        d = dict(self.__dict__)
        d["_state"] = None
        return d

    @property
    def analysis(self):
        if self._state is None:
            self._state = {"analysis": _analysis_cached(self._config_json()), "mu": {}, "prepared": None}
            self._state["analysis"].check_params(list(self.names))
        return self._state["analysis"]

    def _config_json(self) -> str:
        return json.dumps({"experiments": list(self.experiments), "recipe": self.recipe, "model": self.model,
                           "fixed": self.fixed, "es": self.electron_scattering}, sort_keys=True)

    def config(self):
        an = self.analysis
        return {"problem": "analysis", "experiments": list(self.experiments), "recipe": an.recipe.to_dict(),
                "model": an.model.name, "fixed": self.fixed, "names": list(self.names), "nuisances": self.nuisances,
                "asimov": self.asimov}

    def _values(self, rows) -> dict:
        return {n: self.grid[rows, k] for k, n in enumerate(self.names)}

    def _terms(self, values):
        an = self.analysis
        merged = {**an.fixed, **values}

        def terms(cevns, merged=merged):
            return an.model.terms(cevns.grid, merged)

        return terms

    def expectation(self, point: int) -> list[dict]:
        """Per experiment: the expectation ``mu`` (B,) at grid point ``point``, the true
        nuisances ``hat`` (D,) (conditional estimates, or 0) and their constraint ``widths``."""
        an = self.analysis
        self._prepared()  # a likelihood without a profiled form for toys says so here
        cache = self._state["mu"]
        if point not in cache:
            terms = self._terms({k: v[None] for k, v in self._values(point).items()})
            out = []
            for lk in an.likelihoods:
                widths = lk.constraint_widths()
                if self.nuisances == "nominal":
                    mu = sum(lk.nominal_components(terms).values())[0]
                    hat = np.zeros(widths.size)
                else:
                    _, best = lk.profile(terms)
                    mu = sum(best["parts"].values())[0]
                    hat = np.asarray(best["eta"][0], dtype=float)
                    if widths.size > hat.size:  # morph: the non-linear nuisances at their estimates
                        hat = np.concatenate([hat, [float(best["continuous"][ax.name][0]) for ax in lk.morph.axes]])
                out.append({"mu": np.maximum(np.asarray(mu, dtype=float), 0.0), "hat": hat, "widths": widths})
            cache[point] = out
        return cache[point]

    def generate(self, point, rngs):
        """Per experiment ``(counts (N, B), constraint centres (N, D))``."""
        exps = self.expectation(point)
        data = [(np.empty((len(rngs), e["mu"].size)), np.tile(e["hat"], (len(rngs), 1))) for e in exps]
        for i, rng in enumerate(rngs):
            for j, e in enumerate(exps):
                data[j][0][i] = e["mu"] if self.asimov else rng.poisson(e["mu"])
                if self.nuisances == "drawn" and not self.asimov:
                    finite = np.isfinite(e["widths"])
                    data[j][1][i, finite] = rng.normal(e["hat"][finite], e["widths"][finite])

        return data

    def _prepared(self):
        an = self.analysis
        if self._state["prepared"] is None:
            terms = self._terms(self._values(slice(None)))
            self._state["prepared"] = [lk.prepare_points(terms) for lk in an.likelihoods]
        return self._state["prepared"]

    def chi2(self, data):
        prep = self._prepared()
        return sum(lk.profile_observed(p, obs, cen)
                   for lk, p, (obs, cen) in zip(self.analysis.likelihoods, prep, data, strict=True))

    def observed(self):
        return [(lk.observed[None, :], None) for lk in self.analysis.likelihoods]


_ANALYSES: dict[str, object] = {}


def _analysis_cached(config_json: str):
    """The analysis of a configuration, built once per process."""
    if config_json not in _ANALYSES:
        from .. import api

        c = json.loads(config_json)
        _ANALYSES[config_json] = api._analysis(c["experiments"], c["recipe"], c["model"], c["fixed"], c["es"])
    return _ANALYSES[config_json]


@dataclass
class ToySet:
    """Fitted toys at one grid point: toy indices, chi2 at the point, minimum chi2 and best fit."""

    key: str
    seed: int
    point: int
    toy: NDArray[np.int64]
    chi2_point: NDArray[np.float64]
    chi2_min: NDArray[np.float64]
    best: NDArray[np.float64]

    @property
    def delta_chi2(self) -> NDArray[np.float64]:
        """Delta-chi2 of each toy at its generating point (the likelihood-ratio statistic)."""
        return np.maximum(self.chi2_point - self.chi2_min, 0.0)

    def save(self, path: str | Path) -> None:
        """Write the toys (``.npz``) atomically."""
        from .scan import atomic_write_bytes

        buf = io.BytesIO()
        np.savez(buf, key=self.key, seed=self.seed, point=self.point, toy=self.toy, chi2_point=self.chi2_point,
                 chi2_min=self.chi2_min, best=self.best)
        atomic_write_bytes(Path(path), buf.getvalue())

    @classmethod
    def load(cls, path: str | Path) -> ToySet:
        with np.load(path, allow_pickle=False) as z:
            return cls(str(z["key"]), int(z["seed"]), int(z["point"]), z["toy"].copy(), z["chi2_point"].copy(),
                       z["chi2_min"].copy(), z["best"].copy())


def merge_toys(sets: Sequence[ToySet]) -> ToySet:
    """Combine toy sets of the same problem, seed and point (e.g. two runs over different toy
    index ranges) into one, ordered by toy index; overlapping toys are an error."""
    if not sets:
        raise ParameterError("nothing to merge")
    first = sets[0]
    for s in sets[1:]:
        if (s.key, s.seed, s.point) != (first.key, first.seed, first.point):
            raise ParameterError("toy files differ in configuration, seed or point; only toys of the same job merge")
    toy = np.concatenate([s.toy for s in sets])
    if np.unique(toy).size != toy.size:
        raise ParameterError("the toy files overlap (same toy indices); run the halves with --first-toy offsets")
    order = np.argsort(toy, kind="stable")

    def cat(name):
        return np.concatenate([getattr(s, name) for s in sets])[order]

    return ToySet(first.key, first.seed, first.point, toy[order], cat("chi2_point"), cat("chi2_min"), cat("best"))


def _fit_block(problem: ToyProblem, point: int, seed: int, lo: int, hi: int):
    rngs = [toy_rng(seed, point, i) for i in range(lo, hi)]
    data = problem.generate(point, rngs)
    chi2 = problem.chi2(data)
    cmin, best = best_on_grid(chi2, problem.grid)
    return chi2[:, point], np.minimum(cmin, chi2[:, point]), best


def fit_toy_chunk(task) -> dict:
    """Generate and fit toys ``[lo, hi)`` at one grid point (one task), block by block."""
    problem, point, seed, lo, hi = task
    parts = []
    b = lo
    while b < hi:
        e = min(hi, (b // BLOCK + 1) * BLOCK)
        parts.append(_fit_block(problem, point, seed, b, e))
        b = e
    return {"point": point, "lo": lo, "hi": hi, "chi2_point": np.concatenate([p[0] for p in parts]),
            "chi2_min": np.concatenate([p[1] for p in parts]), "best": np.concatenate([p[2] for p in parts])}


def run_toys(
    problem: ToyProblem,
    points: Sequence[int],
    n_toys: int,
    seed: int = 0,
    first_toy: int = 0,
    chunk_size: int = 500,
    executor: str = "local",
    workers: int | None = None,
    scheduler: str | None = None,
    checkpoint: str | Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    stop_after_chunks: int | None = None,
) -> dict[int, ToySet]:
    """Toys ``first_toy .. first_toy + n_toys - 1`` at each grid point in ``points``, fitted.

    Returns ``{point: ToySet}``. ``chunk_size`` toys make one task; ``checkpoint`` (a folder)
    keeps finished chunks (``<key>-s<seed>-p<point>-<lo>-<hi>.npz``) and a rerun resumes from
    them. ``stop_after_chunks`` raises ``KeyboardInterrupt`` after that many new chunks (tests)."""
    if int(n_toys) < 1:
        raise ParameterError(f"--toys must be at least 1, got {n_toys}")
    if int(chunk_size) < 1:
        raise ParameterError(f"chunk size must be at least 1 toy, got {chunk_size}")
    if int(first_toy) < 0:
        raise ParameterError("the first toy index must be >= 0")
    g = problem.grid.shape[0]
    for p in points:
        if not 0 <= int(p) < g:
            raise ParameterError(f"grid point {p} outside the grid of {g} points")
    key = problem.key()
    tasks, names = [], []
    for p in points:
        for lo in range(first_toy, first_toy + n_toys, chunk_size):
            hi = min(lo + chunk_size, first_toy + n_toys)
            tasks.append((problem, int(p), int(seed), lo, hi))
            names.append(f"{key}-s{seed}-p{p}-{lo}-{hi}.npz")
    results: dict[int, dict] = {}
    ck = Path(checkpoint) if checkpoint else None
    todo = []
    for i, name in enumerate(names):
        if ck is not None and (ck / name).is_file():
            with np.load(ck / name, allow_pickle=False) as z:
                results[i] = {k: z[k].copy() for k in ("chi2_point", "chi2_min", "best")}
        else:
            todo.append(i)
    done = [len(results)]
    if progress:
        progress(done[0], len(tasks))

    def on_result(j: int, res: dict) -> None:
        i = todo[j]
        results[i] = res
        if ck is not None:
            from .scan import atomic_write_bytes

            buf = io.BytesIO()
            np.savez(buf, chi2_point=res["chi2_point"], chi2_min=res["chi2_min"], best=res["best"])
            atomic_write_bytes(ck / names[i], buf.getvalue())
        done[0] += 1
        if progress:
            progress(done[0], len(tasks))
        if stop_after_chunks is not None and done[0] - (len(tasks) - len(todo)) >= stop_after_chunks:
            raise KeyboardInterrupt("stopped after the requested number of chunks")

    run_tasks(fit_toy_chunk, [tasks[i] for i in todo], on_result, executor, workers, scheduler)
    out = {}
    for p in points:
        idx = [i for i, t in enumerate(tasks) if t[1] == int(p)]
        toy = np.concatenate([np.arange(tasks[i][3], tasks[i][4]) for i in idx])
        out[int(p)] = ToySet(key, int(seed), int(p), toy,
                             np.concatenate([results[i]["chi2_point"] for i in idx]),
                             np.concatenate([results[i]["chi2_min"] for i in idx]),
                             np.concatenate([results[i]["best"] for i in idx]))
    return out


def observed_fit(problem: ToyProblem) -> tuple[NDArray[np.float64], float, NDArray[np.float64]]:
    """chi2 of the observed data on the grid ``(G,)``, its minimum and best point ``(d,)``."""
    chi2 = problem.chi2(problem.observed())[0]
    cmin, best = best_on_grid(chi2[None], problem.grid)
    return chi2, float(min(cmin[0], chi2.min())), best[0]
