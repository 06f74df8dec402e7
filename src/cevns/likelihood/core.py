"""Core of the likelihoods: linear nuisances, branches of non-linear ones, batched profiling.

An :class:`ExperimentLikelihood` holds the observed counts, the background templates,
the chi2 form and a list of :class:`Nuisance` that enter the expectation linearly:

    mu = S(theta) + sum_b B_b + sum_k eta_k T_k(theta),
    T_k = m_k * S(theta)      (signal normalisation or relative shape, m_k = 1 or Delta_k)
    T_k = m_k * B_b           (background normalisation or shape),

so that every nuisance is profiled exactly (Gaussian chi2) or by a batched Newton solve
(Poisson chi2) for all parameter points at once (:mod:`cevns.stats`). Non-linear
nuisances (CsI 2021 radius scaling alpha_4, beam-timing shift alpha_6 and efficiency
shift alpha_7 of seed 004) are built exactly on a grid of *branches*; by default their
templates are interpolated smoothly between the nodes and every nuisance is profiled
jointly (:mod:`.morph`, ``nonlinear == "morph"``); ``nonlinear == "grid"`` profiles each
branch and refines the chi2 between nodes (:func:`refine_grid_minimum`), the reference.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from ..errors import ParameterError
from ..experiments.common import ExperimentSetup
from ..prediction import BinnedCEvNS
from ..stats import limited_blas_threads, poisson_newton, profile_gaussian, profile_poisson
from .morph import MorphedComponent, MorphPart, SeparableMorph, profile_morphed


@dataclass(frozen=True)
class Nuisance:
    """A nuisance entering the expectation linearly.

    ``target`` is ``"cevns"`` or a background name; ``multiplier`` (flattened bins) is 1
    for a normalisation or the relative shape change Delta for a shape systematic;
    ``sigma`` is the Gaussian prior width (``None``: free, no penalty).
    """

    name: str
    target: str
    sigma: float | None
    multiplier: NDArray[np.float64] | None = None
    description: str = ""


@dataclass
class Branch:
    """One value of the non-linear nuisances: its CEvNS kernels and background templates."""

    label: dict
    cevns: BinnedCEvNS
    backgrounds: dict[str, NDArray[np.float64]]
    penalty: float = 0.0
    #: branches with the same key share the model's kernel terms; a branch that changes the
    #: nuclear form factors (alpha_4) needs its own evaluation of the model
    terms_key: str = "nominal"


@dataclass(frozen=True)
class BranchGrid:
    """Regular grid of non-linear nuisances behind a likelihood's branches.

    ``axes`` maps each nuisance (a key of ``Branch.label``) to its increasing, evenly spaced
    node values; ``index[b]`` is the multi-index of branch ``b`` on that grid. Every node
    must hold exactly one branch.
    """

    axes: dict[str, tuple[float, ...]]
    index: tuple[tuple[int, ...], ...]

    @classmethod
    def from_branches(cls, branches: list[Branch], axes: dict[str, tuple[float, ...]]) -> BranchGrid:
        idx = tuple(tuple(int(np.argmin(np.abs(np.asarray(v) - b.label[k]))) for k, v in axes.items())
                    for b in branches)
        if len(set(idx)) != int(np.prod([len(v) for v in axes.values()])) or len(idx) != len(set(idx)):
            raise ValueError("branches do not fill the nuisance grid one node each")
        return cls(dict(axes), idx)

    @property
    def shape(self) -> tuple[int, ...]:
        """Nodes per axis."""
        return tuple(len(v) for v in self.axes.values())

    def branch_at(self) -> NDArray[np.int64]:
        """Array of the grid's shape holding the branch index at each node."""
        lookup = np.empty(self.shape, dtype=int)
        lookup[tuple(np.array(self.index).T)] = np.arange(len(self.index))
        return lookup


def _quadratic_design(dim: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Offsets of the 3^dim stencil and the design matrix of a full quadratic in ``dim`` variables."""
    offsets = np.array(np.meshgrid(*[[-1.0, 0.0, 1.0]] * dim, indexing="ij")).reshape(dim, -1).T
    cols = [np.ones(len(offsets))] + [offsets[:, i] for i in range(dim)]
    cols += [offsets[:, i] * offsets[:, j] for i in range(dim) for j in range(i, dim)]
    return offsets, np.stack(cols, axis=1)


def refine_grid_minimum(chi2_by_branch: NDArray[np.float64], grid: BranchGrid,
                        max_residual: float = 0.25) -> tuple[NDArray[np.float64], dict]:
    """Continuous minimum over the nuisance grid of each point's chi2.

    ``chi2_by_branch`` is ``(n_branches, P)``. For each point, a full quadratic is fitted
    (least squares) to the chi2 on the 3^d stencil around the best node (moved inwards at
    the edges of the grid) and minimised exactly within one node of the best node and
    inside the grid's range (every face of that box solved in its free axes). Points whose stencil the quadratic misses by more than
    ``max_residual`` (chi2 units; far from any minimum, e.g. enormous BSM rates) keep the
    grid value. The refined value never exceeds the best node's chi2, so the result
    is the grid minimum improved by interpolation; with a chi2 that is quadratic in the
    nuisances it is exact. Returns (chi2 (P,), {nuisance: value at the minimum (P,)}).
    """
    names = list(grid.axes)
    shape = tuple(len(grid.axes[k]) for k in names)
    dim = len(names)
    cube = np.full((*shape, chi2_by_branch.shape[1]), np.nan)
    for b, ix in enumerate(grid.index):
        cube[ix] = chi2_by_branch[b]
    flat = cube.reshape(-1, cube.shape[-1])
    node = np.array(np.unravel_index(np.argmin(flat, axis=0), shape)).T  # (P, dim)
    grid_min = flat.min(axis=0)
    n_ax = np.array(shape)
    active = n_ax >= 3  # axes with fewer than 3 nodes are not refined
    centre = np.where(active, np.clip(node, 1, np.maximum(n_ax - 2, 1)), node)
    offsets, design = _quadratic_design(dim)
    pinv = np.linalg.pinv(design)
    stencil = centre[:, None, :] + np.where(active, offsets, 0.0)[None].astype(int)  # (P, 3^d, dim)
    pts = np.arange(cube.shape[-1])
    values = cube[(*stencil.transpose(2, 0, 1), pts[:, None])]  # (P, 3^d)
    coef = values @ pinv.T  # (P, n_coef)
    # the quadratic must describe the stencil: far from the minimum (huge or overflowing
    # chi2) it does not, and the grid value is kept
    residual = np.max(np.abs(values - coef @ design.T), axis=1)
    g = coef[:, 1 : dim + 1]
    h = np.zeros((len(pts), dim, dim))
    k = dim + 1
    for i in range(dim):
        for j in range(i, dim):
            if i == j:
                h[:, i, i] = 2.0 * coef[:, k]
            else:
                h[:, i, j] = h[:, j, i] = coef[:, k]
            k += 1
    # box in stencil units, measured from each point's stencil centre: one node either side of
    # the best node (where the minimum of a unimodal chi2 lies), inside the grid's range
    lo = np.where(active, np.maximum(-centre, node - centre - 1), 0.0)
    hi = np.where(active, np.minimum((n_ax - 1) - centre, node - centre + 1), 0.0)
    x = (node - centre).astype(float)

    def quad(x):
        return coef[:, 0] + np.einsum("pi,pi->p", g, x) + 0.5 * np.einsum("pi,pij,pj->p", x, h, x)

    # exact box-constrained minimum of the quadratic: every face of the box (each axis at its
    # lower bound, free, or at its upper bound) is solved in its free axes; feasible
    # candidates with a positive-definite free block (or no free axis) compete
    best_val = quad(x)
    for pattern in itertools.product((-1, 0, 1), repeat=dim):
        pat = np.array(pattern)
        if np.any((pat != 0) & ~active):
            continue
        free_ax = np.flatnonzero((pat == 0) & active)
        xc = np.where(pat < 0, lo, np.where(pat > 0, hi, 0.0))
        xc = np.where(active, xc, 0.0)
        if free_ax.size:
            h_ff = h[:, free_ax][:, :, free_ax]
            rhs = -(g[:, free_ax] + np.einsum("pij,pj->pi", h[:, free_ax, :], xc))
            pd = np.all(np.linalg.eigvalsh(h_ff) > 0, axis=1)
            sol = np.linalg.solve(np.where(pd[:, None, None], h_ff, np.eye(free_ax.size)), rhs[..., None])[..., 0]
            xc[:, free_ax] = sol
            feasible = pd & np.all((sol >= lo[:, free_ax] - 1e-12) & (sol <= hi[:, free_ax] + 1e-12), axis=1)
        else:
            feasible = np.ones(len(pts), dtype=bool)
        val = quad(xc)
        take = feasible & (val < best_val)
        x = np.where(take[:, None], xc, x)
        best_val = np.where(take, val, best_val)
    refined = quad(x)
    ok = np.isfinite(refined) & (refined < grid_min) & (residual <= max_residual)
    chi2 = np.where(ok, refined, grid_min)
    at = {}
    for a, name in enumerate(names):
        vals = np.asarray(grid.axes[name], dtype=float)
        step_size = vals[1] - vals[0] if len(vals) > 1 else 0.0
        pos = np.where(ok, centre[:, a] + x[:, a], node[:, a])
        at[name] = vals[0] + pos * step_size
    return chi2, at


@dataclass
class ExperimentLikelihood:
    """The likelihood of one experiment under one recipe."""

    experiment: str
    recipe: str
    form: str  # "poisson" or "gaussian"
    observed: NDArray[np.float64]
    branches: list[Branch]
    nuisances: list[Nuisance]
    expand: Callable[[NDArray[np.float64]], NDArray[np.float64]]
    sigma2: NDArray[np.float64] | None = None
    description: str = ""
    setup: ExperimentSetup | None = None
    extra: dict = field(default_factory=dict)
    #: branches laid out on a regular grid of the non-linear nuisances (continuous profiling)
    branch_grid: BranchGrid | None = None
    #: how the branches vary with the non-linear nuisances; with ``nonlinear == "morph"``
    #: they are profiled as smooth template morphs (:mod:`.morph`), with ``"grid"`` node by node
    morph: SeparableMorph | None = None
    nonlinear: str = "morph"

    @property
    def cevns(self) -> BinnedCEvNS:
        """The nominal branch's CEvNS kernels (what models evaluate their terms on)."""
        return self.branches[0].cevns

    def __add__(self, other: ExperimentLikelihood | CombinedLikelihood) -> CombinedLikelihood:
        """The joint likelihood of independent experiments: ``lk_csi + lk_lar``."""
        return CombinedLikelihood((self,)) + other

    def signal(self, terms, branch: Branch | None = None) -> NDArray[np.float64]:
        """Flattened signal expectation ``(P, B)`` (CEvNS plus ES if present) in a branch."""
        return sum(self.signal_parts(terms, branch).values())

    def signal_parts(self, terms, branch: Branch | None = None) -> dict[str, NDArray[np.float64]]:
        """Flattened ``{"cevns": (P, B)[, "es": (P, B)]}`` of kernel terms in a branch."""
        b = branch or self.branches[0]
        out = {}
        for proc, counts in b.cevns.counts_by_process(terms).items():
            counts = counts if counts.ndim == 3 else counts[None]
            out[proc] = self.expand(counts)
        return out

    def profile(self, terms) -> tuple[NDArray[np.float64], dict]:
        """chi2 with all nuisances profiled, ``(P,)``, and the best nuisances per point.

        ``terms`` is a dict of kernel terms, or a callable ``terms(cevns)`` evaluated once
        per distinct ``Branch.terms_key`` (needed when branches change form factors).

        With a :attr:`morph` (and ``nonlinear == "morph"``) the non-linear nuisances are
        smooth template morphs profiled jointly with the linear ones
        (:meth:`_profile_morphed`); ``best["continuous"]`` holds their values, and the
        nuisances and fitted components are those at that minimum.

        Otherwise, with a :attr:`branch_grid`, each branch is profiled and the chi2 of each
        point over the grid is refined to the minimum of a quadratic fitted on the 3 x 3 x
        ... neighbourhood of its best grid node (:func:`refine_grid_minimum`); the reported
        nuisances and fitted components are those of the best grid node.

        Several branches are profiled together: the rows (branch, point) of a chunk of
        points are stacked along the batch axis of one vectorised solve
        (:meth:`_profile_branches_batched`); every row is solved exactly as it would be
        alone, so the result equals the branch-by-branch loop (:meth:`profile_by_branch`).
        """
        if len(self.branches) == 1:
            return self.profile_by_branch(terms)
        with limited_blas_threads():
            if self.morph is not None and self.nonlinear == "morph":
                return self._profile_morphed(terms)
            return self._profile_branches_batched(terms)

    def morph_components(self, terms) -> dict[str, MorphedComponent]:
        """The signal processes and backgrounds as :class:`~.morph.MorphedComponent` of the
        non-linear nuisances, node values taken from the branches (the model's terms
        evaluated once per ``terms_key``, the energy counts once per energy node)."""
        morph, grid = self.morph, self.branch_grid
        names = list(grid.axes)
        if [ax.name for ax in morph.axes] != names:
            raise ValueError("the morph axes must be the branch grid's axes, in order")
        shape = grid.shape
        at_node = grid.branch_at()
        e_ax, t_ax = morph.axis_index(morph.energy_axes), morph.axis_index(morph.time_axes)

        def branch_at(axes_idx: tuple[int, ...], node: tuple[int, ...]) -> Branch:
            ix = [0] * len(names)  # other axes at their first node: the part does not depend on them
            for a, i in zip(axes_idx, node, strict=True):
                ix[a] = i
            return self.branches[int(at_node[tuple(ix)])]

        def nodes(axes_idx):
            return list(itertools.product(*[range(shape[a]) for a in axes_idx]))

        flavours = list(self.branches[0].cevns.time_fractions)
        e_branches = [branch_at(e_ax, node) for node in nodes(e_ax)]
        by_node = _stacked_energy_counts(e_branches, self._branch_terms(terms), flavours)
        energy: dict[str, list] = {}
        for by_proc in by_node:
            for proc, by_f in by_proc.items():
                energy.setdefault(proc, []).append(by_f)
        p_count = max(np.shape(v[f])[0] if np.ndim(v[f]) == 2 else 1 for vs in energy.values() for v in vs
                      for f in flavours)
        n_e = self.branches[0].cevns.shape[0]
        e_shape = tuple(shape[a] for a in e_ax)
        time_vals = np.stack([np.stack([branch_at(t_ax, node).cevns.time_fractions[f] for f in flavours])
                              for node in nodes(t_ax)])
        time_part = MorphPart(t_ax, time_vals.reshape(1, *(shape[a] for a in t_ax), len(flavours), -1))
        comps = {}
        for proc, vs in energy.items():
            arr = np.stack([np.stack([np.broadcast_to(v[f], (p_count, n_e)) for f in flavours], axis=1) for v in vs],
                           axis=1)  # (P, nodes, F, n_E)
            comps[proc] = MorphedComponent("product", (MorphPart(e_ax, arr.reshape(p_count, *e_shape, len(flavours),
                                                                                   n_e)), time_part))
        for bkg in self.branches[0].backgrounds:
            b_ax = morph.axis_index(morph.background_axes.get(bkg, ()))
            vals = np.stack([branch_at(b_ax, node).backgrounds[bkg] for node in nodes(b_ax)])
            comps[bkg] = MorphedComponent("single", (MorphPart(b_ax, vals.reshape(1, *(shape[a] for a in b_ax), -1)),))
        return comps

    def _profile_morphed(self, terms) -> tuple[NDArray[np.float64], dict]:
        """:meth:`profile` with the non-linear nuisances as smooth template morphs, profiled
        jointly with the linear ones (:func:`~.morph.profile_morphed`), in chunks of
        :data:`MORPH_CHUNK_POINTS` points."""
        comps = self.morph_components(terms)
        procs = [c for c in comps if c not in self.branches[0].backgrounds]
        p_count = max(c.parts[0].n_rows for c in comps.values())
        targets = [[t for t in nu.target.split("+")] for nu in self.nuisances]
        multipliers = [nu.multiplier for nu in self.nuisances]
        sigmas = np.array([np.inf if nu.sigma is None else nu.sigma for nu in self.nuisances])
        chi2 = np.empty(p_count)
        best: dict = {"eta": np.empty((p_count, len(self.nuisances))), "signal": np.empty((p_count, self.observed.size)),
                      "parts": {}, "continuous": {ax.name: np.empty(p_count) for ax in self.morph.axes}}
        for lo in range(0, p_count, MORPH_CHUNK_POINTS):
            rows = np.arange(lo, min(lo + MORPH_CHUNK_POINTS, p_count))
            sub = {k: c.rows(rows) for k, c in comps.items()}
            sol = profile_morphed(sub, self.observed, self.morph.axes, targets, multipliers, sigmas, rows.size)
            chi2[rows] = sol.chi2
            best["eta"][rows] = sol.eta
            best["signal"][rows] = sum(sol.components[c] for c in procs)
            for k, v in self._fitted_parts(sol.components, sol.eta).items():
                best["parts"].setdefault(k, np.empty((p_count, self.observed.size)))[rows] = v
            for a, ax in enumerate(self.morph.axes):
                best["continuous"][ax.name][rows] = sol.theta[:, a]
        best["branch"] = self._nearest_branch(best["continuous"])
        return chi2, best

    def _nearest_branch(self, values: dict[str, NDArray[np.float64]]) -> NDArray[np.int64]:
        """Per point, the branch at the grid node nearest to the non-linear nuisances ``values``."""
        grid = self.branch_grid
        idx = tuple(np.argmin(np.abs(np.asarray(v)[:, None] - np.asarray(values[k])[None, :]), axis=0)
                    for k, v in grid.axes.items())
        return grid.branch_at()[idx]

    def _branch_terms(self, terms) -> Callable[[Branch], dict]:
        """Kernel terms of each branch, the model evaluated once per ``terms_key``."""
        cache: dict[str, dict] = {}

        def of(branch: Branch) -> dict:
            if not callable(terms):
                return terms
            if branch.terms_key not in cache:
                cache[branch.terms_key] = terms(branch.cevns)
            return cache[branch.terms_key]

        return of

    def profile_by_branch(self, terms) -> tuple[NDArray[np.float64], dict]:
        """:meth:`profile` computed one branch at a time (the reference for the batched solve)."""
        best_chi2, best = None, None
        branch_terms = self._branch_terms(terms)
        per_branch = []
        for ib, branch in enumerate(self.branches):
            sig = self.signal_parts(branch_terms(branch), branch)
            s = sum(sig.values())
            chi2, eta, parts = self._profile_branch(sig, branch)
            chi2 = chi2 + branch.penalty
            per_branch.append(chi2)
            if best_chi2 is None:
                best_chi2 = chi2
                best = {"eta": eta, "branch": np.zeros(len(chi2), dtype=int), "signal": s, "parts": parts}
            else:
                better = chi2 < best_chi2
                best_chi2 = np.where(better, chi2, best_chi2)
                best["eta"] = np.where(better[:, None], eta, best["eta"])
                best["branch"] = np.where(better, ib, best["branch"])
                best["signal"] = np.where(better[:, None], s, best["signal"])
                for k in parts:
                    best["parts"][k] = np.where(better[:, None], parts[k], best["parts"][k])
        if self.branch_grid is not None:
            best["chi2_grid"] = best_chi2
            best_chi2, best["continuous"] = refine_grid_minimum(np.stack(per_branch), self.branch_grid)
        return best_chi2, best

    def _branch_signal_parts(self, terms, energy_only: bool = False):
        """``parts(b, rows)``: :meth:`signal_parts` of branch ``b`` for the points ``rows``
        (with ``energy_only``: ``parts(branch)``, its ``{process: {flavour: energy counts}}``
        before the time fractions).

        Branches that share the model's terms (``terms_key``) and their energy kernels (the
        same kernel arrays, e.g. every beam-timing shift alpha_6 of one efficiency shift
        alpha_7) share the kernel products, which are computed once for all points; only
        the time fractions and the binning are applied per branch. The arithmetic is that
        of :meth:`BinnedCEvNS.counts_by_process`, in the same order.
        """
        branch_terms = self._branch_terms(terms)
        energy: dict[tuple, dict[str, NDArray[np.float64]]] = {}

        def by_process(branch: Branch) -> dict[str, dict]:  # as BinnedCEvNS.counts_by_process splits them
            t = branch_terms(branch)
            es_names = {a.isotope.name for a in branch.cevns.es_atoms}
            groups = {"cevns": {k: v for k, v in t.items() if k[1] not in es_names}}
            if es_names:
                groups["es"] = {k: v for k, v in t.items() if k[1] in es_names}
            return groups

        def energy_parts(branch: Branch) -> dict[str, dict[str, NDArray[np.float64]]]:
            cev = branch.cevns
            kernels_id = tuple(id(ik.kernel) for ik in (*cev.isotopes, *cev.es_atoms))
            out = {}
            for proc, t in by_process(branch).items():
                key = (branch.terms_key if callable(terms) else "", kernels_id, proc)
                if key not in energy:
                    energy[key] = cev.energy_counts_from_terms(t)
                out[proc] = energy[key]
            return out

        if energy_only:
            return energy_parts

        def parts(b: int, rows: slice) -> dict[str, NDArray[np.float64]]:
            branch = self.branches[b]
            cev = branch.cevns
            out = {}
            for proc, by_e in energy_parts(branch).items():
                counts = sum(_batch_rows(by_e[f], rows)[..., :, None] * cev.time_fractions[f] for f in cev.flavours)
                counts = counts if counts.ndim == 3 else counts[None]
                out[proc] = self.expand(counts)
            return out

        return parts

    def profile_at_continuous(self, terms, best: dict, point: int = 0) -> dict:
        """Nuisances and fitted components of one point, re-profiled on a branch rebuilt at
        the continuous minimum of the non-linear nuisances (``best["continuous"]``).

        Only for likelihoods with a ``branch_builder``; otherwise ``best`` is returned.
        The returned ``chi2_rebuilt`` is the chi2 of that actual configuration (it agrees
        with the interpolated minimum to the refinement's accuracy, 0.01-0.1, docs/likelihoods.md).
        """
        builder = self.extra.get("branch_builder")
        if builder is None or "continuous" not in best:
            return best
        label = {k: float(v[point]) for k, v in best["continuous"].items()}
        branch = builder(label)
        t = terms(branch.cevns) if callable(terms) else terms
        t = {k: v[point : point + 1] for k, v in t.items()}
        sig = self.signal_parts(t, branch)
        chi2, eta, parts = self._profile_branch(sig, branch)
        return {**best, "eta": eta, "signal": sum(sig.values()), "parts": parts, "label": label,
                "chi2_rebuilt": chi2 + branch.penalty}

    def _profile_branches_batched(self, terms) -> tuple[NDArray[np.float64], dict]:
        """:meth:`profile` with the rows (branch, point) of each chunk of points stacked
        along the batch axis of one solve of :mod:`cevns.stats`.

        Both solvers treat every row on its own (the Newton iterations, step halving and
        convergence test of :func:`~cevns.stats.poisson_newton` are per row), so each
        row's chi2 and nuisances are those of the branch-by-branch loop; the best branch
        is chosen with the loop's rule (first strictly smaller chi2). With a Poisson chi2
        and a branch grid, rows that provably cannot matter stop early (:meth:`_solve_pruned`).
        Chunks hold at most :data:`PROFILE_CHUNK_BYTES` of stacked arrays.
        """
        n_br = len(self.branches)
        bkg_keys = list(self.branches[0].backgrounds)
        n_bins = self.observed.size
        if any(list(b.backgrounds) != bkg_keys or any(np.shape(v) != (n_bins,) for v in b.backgrounds.values())
               for b in self.branches):
            return self.profile_by_branch(terms)  # no common stacking; never the case for the recipes
        bkg_nb = {k: np.stack([b.backgrounds[k] for b in self.branches]) for k in bkg_keys}  # (n_br, B)
        parts_of = self._branch_signal_parts(terms)
        first = parts_of(0, slice(None))
        procs = list(first)
        p_count = first["cevns"].shape[0]
        per_row = 8 * n_bins * (len(self.nuisances) + len(procs) + len(bkg_keys) + PROFILE_TEMPORARIES)
        chunk = max(1, int(PROFILE_CHUNK_BYTES // (per_row * n_br)))
        penalty = np.array([b.penalty for b in self.branches])
        chi2_all = np.empty((n_br, p_count))
        best: dict = {"eta": np.empty((p_count, len(self.nuisances))), "branch": np.zeros(p_count, dtype=int),
                      "signal": np.empty((p_count, n_bins)), "parts": {}}
        for lo in range(0, p_count, chunk):
            rows = slice(lo, min(lo + chunk, p_count))
            pc = rows.stop - rows.start
            sigs = [first if b == 0 and pc == p_count else parts_of(b, rows) for b in range(n_br)]
            if any(list(sg) != procs or sg["cevns"].shape != (pc, n_bins) for sg in sigs):
                return self.profile_by_branch(terms)  # branches disagree on processes or batch size
            sig = {k: np.concatenate([sg[k] for sg in sigs]) for k in procs}  # row = b * pc + point
            del sigs
            row_branch = np.repeat(np.arange(n_br), pc)

            def components(r, sig=sig, row_branch=row_branch):  # signal and background rows r
                return {k: v[r] for k, v in sig.items()}, {k: v[row_branch[r]] for k, v in bkg_nb.items()}

            if self.form == "poisson" and self.branch_grid is not None:
                chi2, eta = self._solve_pruned(sig, bkg_nb, components, penalty, pc)
            else:
                chi2, eta, _ = self._solve_components(*components(slice(None)))
            chi2 = chi2.reshape(n_br, pc) + penalty[:, None]
            chi2_all[:, rows] = chi2
            win = _first_min_branch(chi2)  # the branch loop's choice
            take = win * pc + np.arange(pc)
            sig_t, bkg_t = components(take)
            best["branch"][rows] = win
            best["eta"][rows] = eta[take]
            best["signal"][rows] = sum(sig_t.values())
            for k, v in self._fitted_parts({**sig_t, **bkg_t}, eta[take]).items():
                best["parts"].setdefault(k, np.empty((p_count, n_bins)))[rows] = v
        best_chi2 = chi2_all[best["branch"], np.arange(p_count)]
        if self.branch_grid is not None:
            best["chi2_grid"] = best_chi2
            best_chi2, best["continuous"] = refine_grid_minimum(chi2_all, self.branch_grid)
        return best_chi2, best

    def _screen(self, sig: dict, bkg_nb: dict, pc: int, eta: NDArray[np.float64] | None = None):
        """Each row's chi2 at nuisances ``eta`` (``(N, K)``, default 0) and the lower bound on
        its profiled chi2 that follows from value and gradient there (strong convexity, as in
        :func:`~cevns.stats.poisson_newton`), without building the ``(N, K, B)`` templates:
        background templates are the same for all points of a branch, so their gradients are
        one matrix product per branch.

        Returns (chi2, lower bound), or ``None`` when a nuisance has no prior (no bound) or
        a nuisance's template mixes signal and background.
        """
        pen = np.array([0.0 if nu.sigma is None else 1.0 / nu.sigma**2 for nu in self.nuisances])
        if not np.all(pen > 0):
            return None
        n_br = len(self.branches)
        n = self.observed
        tpls = []  # (template, per-branch?) of each nuisance
        for nu in self.nuisances:
            targets = nu.target.split("+")
            mult = 1.0 if nu.multiplier is None else nu.multiplier
            if all(t in sig or t not in bkg_nb for t in targets):  # signal template (row by row)
                tpls.append((sum(sig.get(t, 0.0) for t in targets) * mult, False))
            elif all(t in bkg_nb or t not in sig for t in targets):  # background template (per branch)
                tpls.append((np.broadcast_to(sum(bkg_nb.get(t, 0.0) for t in targets) * mult, (n_br, n.size)), True))
            else:
                return None
        mu = sum(sig.values()) + sum(bkg_nb.values()).repeat(pc, axis=0)
        penalty = 0.0
        if eta is not None:
            for k, (tpl, per_branch) in enumerate(tpls):
                mu = mu + eta[:, k, None] * (tpl.repeat(pc, axis=0) if per_branch else tpl)
            penalty = np.sum(eta**2 * pen, axis=-1)
        pos = n > 0
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            log_mu = np.log(np.where(pos, np.maximum(mu, 1e-300), 1.0))
            f = 2.0 * (mu.sum(axis=-1) - n.sum() + float(np.sum(n[pos] * np.log(n[pos]))) - log_mu @ n) + penalty
            f = np.where(np.any((mu < 0) | ((mu <= 0) & pos), axis=-1), np.inf, f)
            w = 1.0 - np.where(mu > 0, n / np.where(mu > 0, mu, 1.0), 0.0)  # d chi2 / d mu / 2
            lb = f.copy()
            for k, (tpl, per_branch) in enumerate(tpls):
                if per_branch:
                    g = 2.0 * np.matmul(w.reshape(n_br, pc, -1), tpl[:, :, None]).reshape(-1)
                else:
                    g = 2.0 * np.einsum("pb,pb->p", np.broadcast_to(tpl, w.shape), w)
                if eta is not None:
                    g = g + 2.0 * pen[k] * eta[:, k]
                lb = lb - g**2 / (4.0 * pen[k])
        return f, np.where(np.isfinite(lb), lb, -np.inf)

    def _solve_pruned(self, sig: dict, bkg_nb: dict, components, penalty: NDArray[np.float64], pc: int):
        """Poisson solve of stacked rows (row = branch * pc + point) in which a row stops as
        soon as a lower bound on its chi2 shows that it cannot be its point's best branch:
        first at eta = 0 (:meth:`_screen`), then during the Newton iterations of the rows
        left (:func:`~cevns.stats.poisson_newton`). The rows the grid refinement reads (the
        3 x 3 x ... stencil around the best node) are then run to convergence from where
        they stopped.

        Returns (chi2, eta): a stopped row reports its lower bound as chi2 (never the
        minimum, never read by the refinement). Every row run to convergence went through
        the iterates of the unpruned solve, so it ends where that solve ends.
        """
        n_br = len(self.branches)
        n_rows = n_br * pc
        groups = np.tile(np.arange(pc), n_br)
        offsets = np.repeat(penalty, pc)
        chi2 = np.empty(n_rows)
        eta = np.zeros((n_rows, len(self.nuisances)))
        paused = np.zeros(n_rows, dtype=bool)
        screen = self._screen(sig, bkg_nb, pc)
        if screen is None:
            go = np.arange(n_rows)
        else:
            f0, lb = screen
            # a tight best value first: each point's most promising row (lowest bound) solved
            # to convergence; its chi2 bounds the point's minimum from above, and the bounds of
            # all rows are taken again at its nuisances (usually near every row's optimum)
            cand = np.argmin((lb + offsets).reshape(n_br, pc), axis=0) * pc + np.arange(pc)
            _, mu0, templates, sigmas, lower = self._linear_problem(*components(cand))
            sol = poisson_newton(mu0, templates, self.observed, sigmas, lower)
            f1, lb1 = self._screen(sig, bkg_nb, pc, np.tile(sol.eta, (n_br, 1)))
            lb = np.fmax(lb, lb1)
            best = np.full(pc, np.inf)
            np.minimum.at(best, groups, np.fmin(f0, f1) + offsets)
            best = np.fmin(best, sol.chi2 + offsets[cand])
            # the margin keeps rounding from stopping a row that ties its point's best
            stop = lb + offsets > best[groups] + 1e-6 * (1.0 + np.abs(best[groups]))
            chi2[stop], paused[stop] = lb[stop], True
            go = np.flatnonzero(~stop)
        _, mu0, templates, sigmas, lower = self._linear_problem(*components(go))
        sol = poisson_newton(mu0, templates, self.observed, sigmas, lower, groups=groups[go], offsets=offsets[go])
        chi2[go], eta[go], paused[go] = sol.lower_bound, sol.eta, sol.paused
        if paused.any():
            by_branch = chi2.reshape(n_br, pc) + penalty[:, None]
            need = np.zeros((n_br, pc), dtype=bool)
            for node_branch in (_first_min_branch(by_branch), _grid_argmin_branch(by_branch, self.branch_grid)):
                stencil = _grid_stencil(self.branch_grid, node_branch)  # (pc, 3^d) branch indices
                need[stencil, np.arange(pc)[:, None]] = True
            resume = np.flatnonzero(need.ravel() & paused)
            if resume.size:
                _, mu0, templates, sigmas, lower = self._linear_problem(*components(resume))
                more = poisson_newton(mu0, templates, self.observed, sigmas, lower, eta0=eta[resume])
                chi2[resume], eta[resume] = more.chi2, more.eta
        return chi2, eta

    def _profile_branch(self, sig, branch: Branch):
        """chi2 ``(P,)`` (without the branch penalty), nuisances ``(P, K)`` and fitted
        components of one branch."""
        if not isinstance(sig, dict):
            sig = {"cevns": sig}
        chi2, eta, comps = self._solve_components(sig, branch.backgrounds)
        return chi2, eta, self._fitted_parts(comps, eta)

    def _linear_problem(self, sig: dict, backgrounds: dict):
        """Components, mu0 ``(N, B)``, templates ``(N, K, B)``, prior widths and lower bounds
        of the linear nuisances for signal parts ``sig`` and ``backgrounds``."""
        s = sig["cevns"]
        comps = {**sig, **{k: np.broadcast_to(v, s.shape) for k, v in backgrounds.items()}}
        mu0 = sum(comps.values())

        def target(name):  # "cevns+es" sums components; a missing one counts as zero
            return sum(comps.get(t, 0.0) for t in name.split("+"))

        templates = np.stack(
            [target(nu.target) * (1.0 if nu.multiplier is None else nu.multiplier) for nu in self.nuisances], axis=1
        )
        sigmas = np.array([np.inf if nu.sigma is None else nu.sigma for nu in self.nuisances])
        lower = np.array([-1.0 if nu.multiplier is None else -np.inf for nu in self.nuisances])
        return comps, mu0, templates, sigmas, lower

    def _solve_components(self, sig: dict, backgrounds: dict):
        """Profile the linear nuisances for expected components ``sig`` (``(N, B)`` each) and
        ``backgrounds`` (``(B,)`` or ``(N, B)``); returns (chi2, eta, components ``(N, B)``)."""
        comps, mu0, templates, sigmas, lower = self._linear_problem(sig, backgrounds)
        if self.form == "gaussian":
            chi2, eta = profile_gaussian(mu0, templates, self.observed, self.sigma2, sigmas)
        else:
            chi2, eta = profile_poisson(mu0, templates, self.observed, sigmas, eta_lower=lower)
        return chi2, eta, comps

    # -- pseudo-experiments (cevns.inference.toys): many observed vectors against fixed points --

    def prepare_points(self, terms) -> dict:
        """What :meth:`profile_observed` needs of ``P`` fixed model points, computed once:
        the signal and background components (linear nuisances only) or their template
        morphs (non-linear nuisances, ``nonlinear == "morph"``)."""
        if type(self).profile is not ExperimentLikelihood.profile:
            raise ParameterError(f"{self.experiment} under recipe {self.recipe}: its likelihood ({self.form}) has no "
                                 "profiled form for pseudo-experiments; choose a recipe with a Poisson or Gaussian chi2")
        if len(self.branches) == 1:
            b = self.branches[0]
            terms = terms(b.cevns) if callable(terms) else terms
            sig = self.signal_parts(terms, b)
            return {"kind": "linear", "sig": sig, "backgrounds": b.backgrounds, "points": sig["cevns"].shape[0]}
        if self.morph is not None and self.nonlinear == "morph":
            comps = self.morph_components(terms)
            p_count = max(c.parts[0].n_rows for c in comps.values())
            return {"kind": "morph", "comps": comps, "points": p_count}
        raise ParameterError(f"{self.experiment} under recipe {self.recipe}: pseudo-experiments need the non-linear "
                             "nuisances as morphs; set nonlinear_nuisances = \"morph\" in the recipe")

    def constraint_widths(self) -> NDArray[np.float64]:
        """Prior widths of the nuisances in the order the solvers take them: the linear ones,
        then (morph) the non-linear axes; ``inf`` where a nuisance has no constraint."""
        w = [np.inf if nu.sigma is None else nu.sigma for nu in self.nuisances]
        if self.morph is not None and self.nonlinear == "morph" and len(self.branches) > 1:
            w += [np.inf if ax.sigma is None else ax.sigma for ax in self.morph.axes]
        return np.array(w, dtype=float)

    def profile_observed(self, prepared: dict, observed: NDArray[np.float64], centres: NDArray[np.float64] | None = None,
                         max_rows: int = 4096) -> NDArray[np.float64]:
        """Profiled chi2 ``(N, P)`` of each of ``N`` observed vectors ``(N, B)`` at each of the
        ``P`` prepared points (:meth:`prepare_points`): the rows (vector, point) are solved in
        batches of at most ``max_rows`` by the same solvers as :meth:`profile`, each row on its own.
        ``centres`` ``(N, D)`` (D as :meth:`constraint_widths`) are the centres of the nuisances'
        Gaussian constraints for each observed vector (its auxiliary measurements), default 0."""
        obs = np.atleast_2d(np.asarray(observed, dtype=float))
        n_obs, p_count = obs.shape[0], prepared["points"]
        out = np.empty((n_obs, p_count))
        per = max(1, max_rows // max(p_count, 1))
        sigma2_of = self.extra.get("sigma2_of")
        with limited_blas_threads():
            for lo in range(0, n_obs, per):
                sub = obs[lo : lo + per]
                rows = np.tile(np.arange(p_count), sub.shape[0])
                n_rows = np.repeat(sub, p_count, axis=0)
                cen = None if centres is None else np.repeat(np.asarray(centres, dtype=float)[lo : lo + per], p_count, axis=0)
                if prepared["kind"] == "linear":
                    sig = {k: _batch_rows(v, rows) if np.ndim(v) == 2 and np.shape(v)[0] == p_count
                           else np.broadcast_to(v, (rows.size, obs.shape[1])) for k, v in prepared["sig"].items()}
                    _, mu0, templates, sigmas, lower = self._linear_problem(sig, prepared["backgrounds"])
                    if self.form == "gaussian":
                        s2 = sigma2_of(n_rows) if sigma2_of is not None else self.sigma2
                        chi2, _ = profile_gaussian(mu0, templates, n_rows, s2, sigmas, centre=cen)
                    else:
                        chi2 = poisson_newton(mu0, templates, n_rows, sigmas, lower, centre=cen).chi2
                else:
                    comps = {k: c.rows(rows) for k, c in prepared["comps"].items()}
                    targets = [list(nu.target.split("+")) for nu in self.nuisances]
                    sigmas = np.array([np.inf if nu.sigma is None else nu.sigma for nu in self.nuisances])
                    chi2 = profile_morphed(comps, n_rows, self.morph.axes, targets,
                                           [nu.multiplier for nu in self.nuisances], sigmas, rows.size,
                                           centre=cen).chi2
                out[lo : lo + sub.shape[0]] = chi2.reshape(sub.shape[0], p_count)
        return out

    def nominal_components(self, terms) -> dict[str, NDArray[np.float64]]:
        """Components ``(P, B)`` (signal processes and backgrounds) with every nuisance at its
        nominal value (the branch whose non-linear nuisances are all 0, else the first)."""
        b = next((br for br in self.branches if all(v == 0 for v in br.label.values())), self.branches[0])
        t = terms(b.cevns) if callable(terms) else terms
        sig = self.signal_parts(t, b)
        p = sig["cevns"].shape[0]
        return {**sig, **{k: np.broadcast_to(v, (p, v.shape[-1])) for k, v in b.backgrounds.items()}}

    def _fitted_parts(self, comps: dict, eta: NDArray[np.float64]) -> dict[str, NDArray[np.float64]]:
        """Fitted component counts: each component times (1 + its normalisation nuisances)."""
        p = eta.shape[0]
        parts = {}
        for name, comp in comps.items():
            factor = np.ones(p)
            for k, nu in enumerate(self.nuisances):
                if name in nu.target.split("+") and nu.multiplier is None:
                    factor = factor + eta[:, k]
            parts[name] = comp * factor[:, None]
        return parts


@dataclass(frozen=True)
class CombinedLikelihood:
    """Independent experiments analysed together (``lk_a + lk_b + ...``): the chi2 is the sum
    of the parts' chi2, each with its own nuisances profiled (the seeds' combinations share
    no nuisance). An experiment may appear only once."""

    parts: tuple[ExperimentLikelihood, ...]

    def __post_init__(self) -> None:
        names = [lk.experiment for lk in self.parts]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            from ..errors import ParameterError

            raise ParameterError(f"experiment(s) {', '.join(dup)} given twice: their chi2 would be counted twice; "
                                 "list each experiment once")

    def __add__(self, other: ExperimentLikelihood | CombinedLikelihood) -> CombinedLikelihood:
        more = other.parts if isinstance(other, CombinedLikelihood) else (other,)
        return CombinedLikelihood((*self.parts, *more))

    @property
    def experiments(self) -> list[str]:
        return [lk.experiment for lk in self.parts]

    def profile(self, terms) -> tuple[NDArray[np.float64], dict[str, dict]]:
        """Summed chi2 ``(P,)`` with every part's nuisances profiled, and each part's details
        (:meth:`ExperimentLikelihood.profile`) by experiment."""
        total, details = None, {}
        for lk in self.parts:
            chi2, details[lk.experiment] = lk.profile(terms)
            total = chi2 if total is None else total + chi2
        return total, details


#: points per morphed solve: ~80 kB of component derivatives per point (3 nuisance axes, 99 bins)
MORPH_CHUNK_POINTS = 512
#: memory bound [bytes] of the arrays stacked for one batched solve over branches x points; 100 MB
#: chunks ran 20 % faster than 300 MB ones (cache) and 10 % faster than 30 MB ones (per-chunk overhead)
PROFILE_CHUNK_BYTES = 100e6
#: (N, B) temporaries of a solve besides its inputs, for the chunk size (measured order of magnitude)
PROFILE_TEMPORARIES = 12


def _first_min_branch(chi2_by_branch: NDArray[np.float64]) -> NDArray[np.int64]:
    """Per point, the branch the branch loop keeps: the first with a strictly smaller chi2."""
    win, win_chi2 = np.zeros(chi2_by_branch.shape[1], dtype=int), chi2_by_branch[0]
    for b in range(1, chi2_by_branch.shape[0]):
        better = chi2_by_branch[b] < win_chi2
        win_chi2 = np.where(better, chi2_by_branch[b], win_chi2)
        win = np.where(better, b, win)
    return win


def _grid_argmin_branch(chi2_by_branch: NDArray[np.float64], grid: BranchGrid) -> NDArray[np.int64]:
    """Per point, the branch at the grid node :func:`refine_grid_minimum` starts from."""
    flat_to_branch = grid.branch_at().ravel()
    return flat_to_branch[np.argmin(chi2_by_branch[flat_to_branch], axis=0)]


def _grid_stencil(grid: BranchGrid, node_branch: NDArray[np.int64]) -> NDArray[np.int64]:
    """Branches of the 3^d stencil :func:`refine_grid_minimum` fits around each point's node
    (``node_branch`` (P,)), centre moved inwards at the grid's edges; ``(P, 3^d)``."""
    shape = grid.shape
    lookup = grid.branch_at()
    n_ax = np.array(shape)
    active = n_ax >= 3
    node = np.array(grid.index)[node_branch]
    centre = np.where(active, np.clip(node, 1, np.maximum(n_ax - 2, 1)), node)
    offsets, _ = _quadratic_design(len(shape))
    stencil = centre[:, None, :] + np.where(active, offsets, 0.0)[None].astype(int)
    return lookup[tuple(stencil.transpose(2, 0, 1))]


def _stacked_energy_counts(branches: list[Branch], branch_terms, flavours: list[str]) -> list[dict]:
    """``{process: {flavour: energy counts}}`` of each branch (as
    :meth:`BinnedCEvNS.energy_counts_from_terms` per process), the kernels of branches that
    share the model's terms stacked side by side so that each term multiplies them all in
    one product."""
    out: list[dict] = [{} for _ in branches]
    groups: dict[str, list[int]] = {}
    for i, b in enumerate(branches):
        groups.setdefault(b.terms_key, []).append(i)
    for members in groups.values():
        terms = branch_terms(branches[members[0]])
        cev0 = branches[members[0]].cevns
        es_names = {a.isotope.name for a in cev0.es_atoms}
        n_e = cev0.shape[0]
        sums: dict[tuple[str, str], NDArray[np.float64]] = {}
        for (structure, iso_name, f), coeff in terms.items():
            kernels = []
            for i in members:
                cev = branches[i].cevns
                ik = next(k for k in (*cev.isotopes, *cev.es_atoms) if k.isotope.name == iso_name)
                kernels.append(ik.kernel[(structure, f)])
            prod = np.asarray(coeff) @ np.concatenate(kernels, axis=1)  # (..., n_members * n_E)
            key = ("es" if iso_name in es_names else "cevns", f)
            sums[key] = prod if key not in sums else sums[key] + prod
        procs = ["cevns", "es"] if es_names else ["cevns"]
        for j, i in enumerate(members):
            out[i] = {proc: {f: (sums[(proc, f)][..., j * n_e : (j + 1) * n_e] if (proc, f) in sums
                                 else np.zeros(n_e)) for f in flavours} for proc in procs}
    return out


def _batch_rows(a: NDArray[np.float64], rows: slice) -> NDArray[np.float64]:
    """Rows ``rows`` of a batched ``(P, n)`` array; an unbatched ``(n,)`` one as it is."""
    a = np.asarray(a)
    return a[rows] if a.ndim == 2 else a


def _flatten_2d(counts: NDArray[np.float64]) -> NDArray[np.float64]:
    return counts.reshape(counts.shape[0], -1)


def _rel_shape(variant: NDArray[np.float64], central: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.where(central > 0, (variant - central) / np.where(central > 0, central, 1.0), 0.0)
