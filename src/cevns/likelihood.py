"""Likelihoods of the published analyses ("recipes"), with nuisances profiled in batch.

An :class:`ExperimentLikelihood` holds the observed counts, the background templates,
the chi2 form and a list of :class:`Nuisance` that enter the expectation linearly:

    mu = S(theta) + sum_b B_b + sum_k eta_k T_k(theta),
    T_k = m_k * S(theta)      (signal normalisation or relative shape, m_k = 1 or Delta_k)
    T_k = m_k * B_b           (background normalisation or shape),

so that every nuisance is profiled exactly (Gaussian chi2) or by a batched Newton solve
(Poisson chi2) for all parameter points at once (:mod:`cevns.stats`). Non-linear
nuisances (CsI 2021 beam-timing shift alpha_6 and efficiency shift alpha_7 of seed 004)
are handled by *branches*: the experiment is rebuilt on a small grid of their values and
the chi2 is the minimum over the grid.

Recipes (seed equations in each builder's docstring):

* ``atzori2022``: CsI 2021 eq. (6) Poisson chi2; LAr eqs. (7)-(9) Gaussian chi2.
* ``deromeri2023``: CsI 2021 eqs. (36), (38) with alpha_0..alpha_3, alpha_6, alpha_7; LAr eq. (39).
* ``banerjee2021``: LAr 3D (E x F90 x t) Poisson likelihood of eqs. (23)-(24), profiled,
  with the priors of eq. (25) ("refit" of seed 000 Table I).
* ``cadeddu2021``: CsI 2017 eq. (4.1) and LAr eqs. (4.2)-(4.7) of seed 001, energy only.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from .errors import UnknownNameError
from .experiments import build_experiment
from .experiments import csi2021 as csi2021_mod
from .experiments.common import ExperimentSetup
from .prediction import BinnedCEvNS
from .recipes import Recipe
from .stats import profile_gaussian, profile_poisson


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

    @property
    def cevns(self) -> BinnedCEvNS:
        """The nominal branch's CEvNS kernels (what models evaluate their terms on)."""
        return self.branches[0].cevns

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

        With a :attr:`branch_grid` the non-linear nuisances are profiled continuously: the
        chi2 of each point over the grid is refined to the minimum of a quadratic fitted on
        the 3 x 3 x ... neighbourhood of its best grid node (:func:`refine_grid_minimum`);
        the reported nuisances and fitted components are those of the best grid node.
        """
        best_chi2, best = None, None
        cache: dict[str, dict] = {}
        per_branch = []
        for branch in self.branches:
            if callable(terms):
                if branch.terms_key not in cache:
                    cache[branch.terms_key] = terms(branch.cevns)
                branch_terms = cache[branch.terms_key]
            else:
                branch_terms = terms
            sig = self.signal_parts(branch_terms, branch)
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
                best["branch"] = np.where(better, self.branches.index(branch), best["branch"])
                best["signal"] = np.where(better[:, None], s, best["signal"])
                for k in parts:
                    best["parts"][k] = np.where(better[:, None], parts[k], best["parts"][k])
        if self.branch_grid is not None:
            best["chi2_grid"] = best_chi2
            best_chi2, best["continuous"] = refine_grid_minimum(np.stack(per_branch), self.branch_grid)
        return best_chi2, best

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

    def _profile_branch(self, sig, branch: Branch):
        if not isinstance(sig, dict):
            sig = {"cevns": sig}
        s = sig["cevns"]
        p = s.shape[0]
        comps = {**sig, **{k: np.broadcast_to(v, s.shape) for k, v in branch.backgrounds.items()}}
        mu0 = sum(comps.values())

        def target(name):  # "cevns+es" sums components; a missing one counts as zero
            return sum(comps.get(t, 0.0) for t in name.split("+"))

        templates = np.stack(
            [target(nu.target) * (1.0 if nu.multiplier is None else nu.multiplier) for nu in self.nuisances], axis=1
        )
        sig = np.array([np.inf if nu.sigma is None else nu.sigma for nu in self.nuisances])
        if self.form == "gaussian":
            chi2, eta = profile_gaussian(mu0, templates, self.observed, self.sigma2, sig)
        else:
            lower = np.array([-1.0 if nu.multiplier is None else -np.inf for nu in self.nuisances])
            chi2, eta = profile_poisson(mu0, templates, self.observed, sig, eta_lower=lower)
        # fitted component counts: each component times (1 + its normalisation nuisances)
        parts = {}
        for name, comp in comps.items():
            factor = np.ones(p)
            for k, nu in enumerate(self.nuisances):
                if name in nu.target.split("+") and nu.multiplier is None:
                    factor = factor + eta[:, k]
            parts[name] = comp * factor[:, None]
        return chi2, eta, parts


def _flatten_2d(counts: NDArray[np.float64]) -> NDArray[np.float64]:
    return counts.reshape(counts.shape[0], -1)


def _rel_shape(variant: NDArray[np.float64], central: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.where(central > 0, (variant - central) / np.where(central > 0, central, 1.0), 0.0)


# ----------------------------------------------------------------------------- CsI 2021


def csi2021_atzori2022(recipe: Recipe, setup: ExperimentSetup) -> ExperimentLikelihood:
    """Seed 002 eq. (6): Poisson chi2 over 9 PE x 11 time bins; CEvNS, BRN, NIN, SS
    normalisations with sigma = 0.12, 0.25, 0.35, 0.021."""
    bkg = {k: c.counts.ravel() for k, c in setup.backgrounds.items()}
    nus = [
        Nuisance("eta_cevns", "cevns", 0.12, description="signal rate (flux 10%, QF 3.8%, eff 4.1%, FF 3.4%)"),
        Nuisance("eta_brn", "brn", 0.25),
        Nuisance("eta_nin", "nin", 0.35),
        Nuisance("eta_ss", "ss", 0.021),
    ]
    return ExperimentLikelihood("csi-2021", recipe.name, "poisson", setup.observed.ravel(),
                                [Branch({}, setup.cevns, bkg)], nus, _flatten_2d,
                                description="seed 002 eq. (6)", setup=setup)


def _shift_time_template(pe_name: str, t_name: str, root, shift_us: float, apply_eff: bool) -> NDArray[np.float64]:
    """BRN/NIN template with the released t_rec PDF moved by ``shift_us`` (alpha_6)."""
    from . import data as data_mod

    pe = data_mod.load_table("csi-2021", pe_name, 2, root)
    tr = data_mod.load_table("csi-2021", t_name, 2, root)
    pe_hist, _ = np.histogram(pe[:, 0], bins=csi2021_mod.PE_EDGES, weights=pe[:, 1])
    frac = pe[pe[:, 0] < csi2021_mod.PE_EDGES[-1], 1].sum() / pe[:, 1].sum()
    t_hist = csi2021_mod.released_time_contents(tr[:, 0], tr[:, 1], csi2021_mod.TIME_EDGES_US, apply_eff, shift_us)
    return np.outer(pe_hist / pe_hist.sum(), t_hist) * frac


#: grid of the non-linear CsI 2021 nuisances of seed 004 (no prior; bounded ranges). The
#: chi2 is refined to its continuous minimum between nodes; 9 nodes per axis keep the local
#: quadratic faithful (at 5 nodes the asymmetric alpha_6 profile is underestimated by ~0.3)
DEROMERI_TIMING_SHIFTS_US = tuple(float(x) for x in np.round(np.linspace(-0.25, 0.25, 9), 6))
DEROMERI_EFFICIENCY_SHIFTS_PE = tuple(float(x) for x in np.round(np.linspace(-1.0, 1.0, 9), 6))
#: grid of alpha_4, the R_A = 1.23 A^(1/3) (1 + alpha_4) scaling of seed 004 eq. (38), sigma 5 %:
#: the chi2 is close to quadratic in it (Gaussian penalty, near-linear rate change), so three
#: nodes at 0 and +-2 sigma suffice for the refinement
DEROMERI_RADIUS_SCALINGS = (-0.10, 0.0, 0.10)
DEROMERI_RADIUS_SIGMA = 0.05


def _with_radius_scaling(cevns: BinnedCEvNS, scale: float) -> BinnedCEvNS:
    """The same kernels with Klein-Nystrand form factors of R_A = 1.23 A^(1/3) (1 + alpha_4)."""
    from dataclasses import replace

    from .form_factors import klein_nystrand, momentum_transfer_mev
    from .weak_charge import KN_A13_COEFF_FM

    isos = []
    for ik in cevns.isotopes:
        r_a = KN_A13_COEFF_FM * ik.isotope.a ** (1.0 / 3.0) * (1.0 + scale)
        f = klein_nystrand(momentum_transfer_mev(ik.t_nr_mev, ik.isotope.mass_mev), r_a_fm=r_a)
        isos.append(replace(ik, f_proton=f, f_neutron=f))
    return replace(cevns, isotopes=tuple(isos))


def _deromeri2023_backgrounds(recipe: Recipe, setup: ExperimentSetup, root, a6: float) -> dict:
    """Flattened SS, BRN and NIN templates with the beam-timing shift ``a6`` [us] (alpha_6)."""
    return {
        "ss": setup.backgrounds["ss"].counts.ravel(),
        "brn": _shift_time_template("brnPE.txt", "brnTrec.txt", root, a6, recipe.background_time_efficiency).ravel(),
        "nin": _shift_time_template("ninPE.txt", "ninTrec.txt", root, a6, recipe.background_time_efficiency).ravel(),
    }


def deromeri2023_csi2021_branches(recipe: Recipe, setup: ExperimentSetup, root, scalings, a6: float, a7: float,
                                  rebuild: bool = True, backgrounds: dict | None = None) -> list[Branch]:
    """The CsI 2021 branches of seed 004 at beam-timing shift ``a6`` [us] and efficiency
    shift ``a7`` [PE], one per radius scaling alpha_4 in ``scalings`` (any values, on or off
    the likelihood's grid: used to check the continuous profiling). ``backgrounds``, if
    given, are the templates already built for this ``a6``."""
    bkg = _deromeri2023_backgrounds(recipe, setup, root, a6) if backgrounds is None else backgrounds
    st = csi2021_mod.build(recipe, root, efficiency_shift_pe=a7, timing_shift_us=a6) if rebuild else setup
    out = []
    for a4 in scalings:
        cev = st.cevns if a4 == 0.0 else _with_radius_scaling(st.cevns, a4)
        out.append(Branch({"alpha_4": a4, "alpha_6_us": a6, "alpha_7_pe": a7}, cev, bkg,
                          penalty=(a4 / DEROMERI_RADIUS_SIGMA) ** 2, terms_key=f"alpha_4={a4}"))
    return out


def csi2021_deromeri2023(recipe: Recipe, setup: ExperimentSetup, root=None) -> ExperimentLikelihood:
    """Seed 004 eqs. (36)-(38): Poisson chi2; alpha_0 (CEvNS, 11.45 %), alpha_1 (BRN, 25 %),
    alpha_2 (NIN, 35 %), alpha_3 (SS, 2.1 %) profiled linearly; the beam-timing shift
    alpha_6 in [-250, 250] ns (moves CEvNS, BRN and NIN) and the efficiency shift
    alpha_7 in [-1, 1] PE (x = PE + alpha_7 in eq. 30, CEvNS only) have no prior; alpha_4
    (R_A -> R_A (1 + alpha_4), sigma 5 %) has its Gaussian penalty. The three are laid out
    on a 3 x 9 x 9 grid of branches and profiled continuously by quadratic refinement
    around each point's best node (:func:`refine_grid_minimum`). Models that fit neutron radii build their
    own form factors, which switches alpha_4 off as seed 004 sec. 4.1 does."""
    from .weak_charge import KN_A13

    # alpha_4 acts on the Klein-Nystrand R_A of the recipe; other form factors keep alpha_4 = 0
    scalings = DEROMERI_RADIUS_SCALINGS if recipe.form_factor == KN_A13 else (0.0,)
    branches = []
    for a6 in DEROMERI_TIMING_SHIFTS_US:
        bkg = _deromeri2023_backgrounds(recipe, setup, root, a6)  # depends on alpha_6 only
        for a7 in DEROMERI_EFFICIENCY_SHIFTS_PE:
            nominal = a6 == 0.0 and a7 == 0.0
            branches.extend(deromeri2023_csi2021_branches(recipe, setup, root, scalings, a6, a7,
                                                          rebuild=not nominal, backgrounds=bkg))
    # nominal branch first: models evaluate fixed terms on branches[0].cevns (same recoil grid everywhere)
    branches.sort(key=lambda b: any(v != 0.0 for v in b.label.values()))
    if recipe.electron_scattering:  # eq. (37): alpha_0 on CEvNS and ES, alpha_5 (QF) on CEvNS only
        signal_nus = [Nuisance("alpha_0", "cevns+es", 0.11, description="efficiency and flux"),
                      Nuisance("alpha_5", "cevns", 0.038, description="quenching factor")]
    else:  # eq. (38)
        signal_nus = [Nuisance("alpha_0", "cevns", 0.1145, description="efficiency, flux and QF")]
    nus = [
        *signal_nus,
        Nuisance("alpha_1", "brn", 0.25),
        Nuisance("alpha_2", "nin", 0.35),
        Nuisance("alpha_3", "ss", 0.021),
    ]
    grid = BranchGrid.from_branches(branches, {"alpha_4": scalings, "alpha_6_us": DEROMERI_TIMING_SHIFTS_US,
                                               "alpha_7_pe": DEROMERI_EFFICIENCY_SHIFTS_PE})
    def build_branch(label: dict) -> Branch:
        return deromeri2023_csi2021_branches(recipe, setup, root, (label["alpha_4"],), label["alpha_6_us"],
                                             label["alpha_7_pe"])[0]

    return ExperimentLikelihood("csi-2021", recipe.name, "poisson", setup.observed.ravel(), branches, nus, _flatten_2d,
                                description="seed 004 eqs. (36), (38)", setup=setup, branch_grid=grid,
                                extra={"branch_builder": build_branch})


# ----------------------------------------------------------------------------- LAr 2020


def _lar_shapes_2d(setup: ExperimentSetup) -> dict[str, NDArray[np.float64]]:
    """Relative shape changes (flattened E x t) of the released +-1 sigma variations."""
    var = {k: v.sum(axis=1) for k, v in setup.notes["shape_variations"].items()}
    cev = setup.notes["released_cevns_3d"].sum(axis=1)
    brn = setup.notes["backgrounds_3d"]["brn_prompt"].sum(axis=1)
    return {
        # symmetrised +-1 sigma pairs: (N+ - N-)/(2 N_CV)
        "cevns_f90": 0.5 * (_rel_shape(var["cevns_f90_plus"], cev) - _rel_shape(var["cevns_f90_minus"], cev)).ravel(),
        "cevns_timing_mean": _rel_shape(var["cevns_timing_mean"], cev).ravel(),
        "brn_energy": 0.5 * (_rel_shape(var["brn_energy_plus"], brn) - _rel_shape(var["brn_energy_minus"], brn)).ravel(),
        "brn_timing_mean": 0.5 * (_rel_shape(var["brn_timing_mean_plus"], brn)
                                  - _rel_shape(var["brn_timing_mean_minus"], brn)).ravel(),
        "brn_timing_width": _rel_shape(var["brn_timing_width"], brn).ravel(),
    }


def lar_gaussian(recipe: Recipe, setup: ExperimentSetup, sigmas: dict[str, float], source: str) -> ExperimentLikelihood:
    """Seed 002 eqs. (7)-(9) = seed 004 eq. (39): Gaussian chi2 over 12 E x 10 t bins,
    sigma_ij^2 = N_exp + N_SS/5, normalisation nuisances and unit-Gaussian shape nuisances
    for the released CEvNS (F90, timing mean) and prompt-BRN (energy, timing mean, timing
    width) variations. A +-1 sigma pair is one nuisance with the symmetrised shift
    (N+ - N-)/2 (eq. 39 as printed gives the pair one coefficient, under which the two
    nearly opposite shifts would cancel)."""
    obs = setup.observed.ravel()
    ss = setup.backgrounds["ss"].counts.ravel()
    bkg = {k: c.counts.ravel() for k, c in setup.backgrounds.items()}
    shapes = _lar_shapes_2d(setup)
    nus = [
        Nuisance("beta_cevns", "cevns", sigmas["cevns"]),
        Nuisance("beta_ss", "ss", sigmas["ss"]),
        Nuisance("beta_brn_prompt", "brn_prompt", sigmas["brn_prompt"]),
        Nuisance("beta_brn_delayed", "brn_delayed", sigmas["brn_delayed"]),
        Nuisance("shape_cevns_f90", "cevns", 1.0, shapes["cevns_f90"]),
        Nuisance("shape_cevns_timing_mean", "cevns", 1.0, shapes["cevns_timing_mean"]),
        Nuisance("shape_brn_energy", "brn_prompt", 1.0, shapes["brn_energy"]),
        Nuisance("shape_brn_timing_mean", "brn_prompt", 1.0, shapes["brn_timing_mean"]),
        Nuisance("shape_brn_timing_width", "brn_prompt", 1.0, shapes["brn_timing_width"]),
    ]
    sigma2 = np.maximum(obs + ss / 5.0, 1.0)  # empty bins: unit variance floor
    return ExperimentLikelihood("lar-2020", recipe.name, "gaussian", obs, [Branch({}, setup.cevns, bkg)], nus,
                                _flatten_2d, sigma2=sigma2, description=source, setup=setup)


def lar_poisson_3d(recipe: Recipe, setup: ExperimentSetup, free_cevns: bool = False) -> ExperimentLikelihood:
    """Seed 000 eqs. (23)-(25): Poisson likelihood over the 12 x 8 x 10 (E x F90 x t) bins with
    normalisations of CEvNS (13 %, or free), SS (25/3154), prompt BRN (0.3) and delayed
    BRN (1.0), profiled. Our E x t prediction is spread over F90 with the released CEvNS
    F90 distribution of each energy bin."""
    f90 = setup.notes["f90_given_energy"]  # (12, 8)

    def expand(counts):  # (P, 12, 10) -> (P, 12*8*10)
        return (counts[:, :, None, :] * f90[None, :, :, None]).reshape(counts.shape[0], -1)

    bkg = {k: v.ravel() for k, v in setup.notes["backgrounds_3d"].items()}
    nus = [
        Nuisance("alpha_cevns", "cevns", None if free_cevns else 0.13),
        Nuisance("alpha_ss", "ss", 25.0 / 3154.0),
        Nuisance("alpha_brn_prompt", "brn_prompt", 0.3),
        Nuisance("alpha_brn_delayed", "brn_delayed", 1.0),
    ]
    return ExperimentLikelihood("lar-2020", recipe.name, "poisson", setup.notes["observed_3d"].ravel(),
                                [Branch({}, setup.cevns, bkg)], nus, expand,
                                description="seed 000 eqs. (23)-(25)", setup=setup)


# ----------------------------------------------------------------------------- cadeddu2021

#: grid of the CsI 2017 quenching-factor normalisation eta (seed 001 eq. 4.1, sigma 5.1 %)
CADEDDU_QF_SCALES = tuple(np.round(np.linspace(0.85, 1.15, 13), 4))
CADEDDU_ENERGY_BINS = slice(3, 15)  # bins i = 4..15 (1-based) = 6-30 PE


def csi2017_cadeddu2021(recipe: Recipe, setup: ExperimentSetup, root=None) -> ExperimentLikelihood:
    """Seed 001 eq. (4.1): Gaussian chi2 over the 2-PE energy bins 4-15 (6-30 PE), time summed;
    N_exp = beam-on coincidence minus anti-coincidence, sigma_i^2 = C + AC (statistical),
    B_i = prompt neutrons; alpha_c (signal, 0.112) and beta_c (background, 0.25) profiled;
    the quenching normalisation eta (0.051) scales the light yield and is profiled on a
    grid (0.85-1.15). Light yield and acceptance are those of the CsI 2017 preset (1.17
    PE/keVnr, seed 000 eq. 4), not the Chicago-3 quenching of seed 001 (docs/likelihoods.md)."""
    from .experiments import csi2017 as csi2017_mod

    sel = CADEDDU_ENERGY_BINS
    c = setup.observed.sum(axis=1)[sel]
    ac = setup.backgrounds["ss"].counts.sum(axis=1)[sel]
    brn = setup.backgrounds["brn"].counts.sum(axis=1)[sel]

    def expand(counts):  # (P, 25, 24) -> (P, 12)
        return counts.sum(axis=2)[:, sel]

    branches = []
    for eta in CADEDDU_QF_SCALES:
        st = setup if eta == 1.0 else csi2017_mod.build(recipe, root, light_yield_scale=float(eta))
        branches.append(Branch({"eta_qf": float(eta)}, st.cevns, {"brn": brn}, penalty=((eta - 1.0) / 0.051) ** 2))
    branches.sort(key=lambda b: b.label["eta_qf"] != 1.0)
    nus = [Nuisance("alpha_c", "cevns", 0.112), Nuisance("beta_c", "brn", 0.25)]
    return ExperimentLikelihood("csi-2017", recipe.name, "gaussian", c - ac, branches, nus, expand,
                                sigma2=np.maximum(c + ac, 1.0), description="seed 001 eq. (4.1)", setup=setup)


def lar_energy_cadeddu2021(recipe: Recipe, setup: ExperimentSetup, root=None) -> ExperimentLikelihood:
    """Seed 001 eqs. (4.2)-(4.7): Gaussian chi2 over the 12 energy bins (time and F90 summed) of
    the steady-state-subtracted data of ``energydata1d.txt``; sigma_i^2 = stat^2 +
    (0.017 (B_PBRN + B_LBRN))^2; CEvNS (13.4 %), prompt BRN (32 %), late BRN (100 %)
    normalisations profiled; backgrounds from the released BRN PDFs."""
    from . import data as data_mod

    e1d = data_mod.load_table("lar-2020", "energydata1d.txt", 8, root, header_lines=1)
    bp = setup.notes["backgrounds_3d"]["brn_prompt"].sum(axis=(1, 2))
    bl = setup.notes["backgrounds_3d"]["brn_delayed"].sum(axis=(1, 2))
    sigma2 = e1d[:, 2] ** 2 + (0.017 * (bp + bl)) ** 2

    def expand(counts):  # (P, 12, 10) -> (P, 12)
        return counts.sum(axis=2)

    nus = [Nuisance("eta_cevns", "cevns", 0.134), Nuisance("eta_pbrn", "brn_prompt", 0.32),
           Nuisance("eta_lbrn", "brn_delayed", 1.0)]
    return ExperimentLikelihood("lar-2020", recipe.name, "gaussian", e1d[:, 1],
                                [Branch({}, setup.cevns, {"brn_prompt": bp, "brn_delayed": bl})], nus, expand,
                                sigma2=sigma2, description="seed 001 eqs. (4.2)-(4.7)", setup=setup)


# ----------------------------------------------------------------------------- banerjee2021


class MarginalisedPoissonLikelihood(ExperimentLikelihood):
    """Seed 000 eqs. (21)-(22): per bin, the Poisson probability of the beam-on count
    marginalised over a Gaussian signal uncertainty alpha (sigma 0.28, Gauss-Hermite) and
    over the background mean N_BG constrained by the anti-coincidence count (flat prior,
    integrated in closed form):

        int_0^inf db Pois(n; s + b) Pois(m; b)
            = sum_{j<=n} e^-s s^(n-j)/(n-j)! * (j+m)! / (j! m! 2^(j+m+1)).

    chi2 = -2 sum_bins ln L_bin. No profiled nuisances; ``profile`` returns empty ones.
    """

    def profile(self, terms):
        from scipy.special import gammaln

        s_all = self.signal(terms(self.cevns) if callable(terms) else terms)  # (P, B)
        n = self.observed
        m = self.extra["background_counts"]
        sigma = self.extra["sigma_alpha"]
        x, w = np.polynomial.hermite_e.hermegauss(24)
        w = w / w.sum()
        alpha = np.clip(sigma * x, -0.999, None)
        j_max = int(n.max())
        j = np.arange(j_max + 1)
        valid = j[None, :] <= n[:, None]  # (B, J)
        nj = np.where(valid, n[:, None] - j[None, :], 0)
        log_bg = gammaln(j[None, :] + m[:, None] + 1) - gammaln(j[None, :] + 1) - gammaln(m[:, None] + 1) \
            - (j[None, :] + m[:, None] + 1) * np.log(2.0)
        log_bg = log_bg - gammaln(nj + 1)
        chi2 = np.zeros(s_all.shape[0])
        for p_idx in range(s_all.shape[0]):
            sp = np.maximum(s_all[p_idx][None, :] * (1.0 + alpha[:, None]), 1e-300)  # (A, B)
            terms_ = -sp[:, :, None] + nj[None, :, :] * np.log(sp)[:, :, None] + log_bg[None, :, :]
            terms_ = np.where(valid[None], terms_, -np.inf)
            lmax = terms_.max(axis=2, keepdims=True)
            log_l = lmax[..., 0] + np.log(np.exp(terms_ - lmax).sum(axis=2))  # (A, B)
            amax = log_l.max(axis=0)
            log_bin = amax + np.log(np.sum(w[:, None] * np.exp(log_l - amax[None]), axis=0))
            chi2[p_idx] = -2.0 * log_bin.sum()
        best = {"eta": np.zeros((len(chi2), 0)), "branch": np.zeros(len(chi2), dtype=int), "signal": s_all,
                "parts": {"cevns": s_all}}
        return chi2, best


def csi2017_banerjee2021(recipe: Recipe, setup: ExperimentSetup) -> ExperimentLikelihood:
    """Seed 000 eq. (21): CsI 2017 energy x time (2-PE x 0.5-us release bins), beam-on
    coincidence counts against CEvNS + background, the background mean constrained by the
    anti-coincidence counts and marginalised with them, sigma_alpha = 0.28."""
    lk = MarginalisedPoissonLikelihood(
        "csi-2017", recipe.name, "marginalised-poisson", setup.observed.ravel(),
        [Branch({}, setup.cevns, {})], [], _flatten_2d, description="seed 000 eqs. (21)-(22)", setup=setup,
    )
    lk.extra = {"background_counts": setup.backgrounds["ss"].counts.ravel(), "sigma_alpha": 0.28}
    return lk


def csi2021_total_count_banerjee2021(recipe: Recipe, setup: ExperimentSetup) -> ExperimentLikelihood:
    """Seed 000 eqs. (6)-(7): total-count chi2 for the CsI 2021 ("2020") data, N_obs = 306,
    sigma_obs^2 = 20^2 + 38^2 + 4^2 + 2^2, normalisation nuisance sigma 0.13."""
    def expand(counts):
        return counts.sum(axis=(1, 2))[:, None]

    return ExperimentLikelihood(
        "csi-2021", recipe.name, "gaussian", np.array([306.0]), [Branch({}, setup.cevns, {})],
        [Nuisance("alpha", "cevns", 0.13)], expand, sigma2=np.array([20.0**2 + 38.0**2 + 4.0**2 + 2.0**2]),
        description="seed 000 eqs. (6)-(7)", setup=setup,
    )


# ----------------------------------------------------------------------------- registry

LIKELIHOOD_RECIPES = {
    "atzori2022": {"csi-2021", "lar-2020"},
    "deromeri2023": {"csi-2021", "lar-2020"},
    "banerjee2021": {"csi-2017", "csi-2021", "lar-2020"},
    "cadeddu2021": {"csi-2017", "lar-2020"},
}


def build_likelihood(experiment: str, recipe: Recipe, root=None, setup: ExperimentSetup | None = None) -> ExperimentLikelihood:
    """The likelihood of ``experiment`` as ``recipe`` defines it: the structure named by
    ``recipe.likelihood_name`` (code hooks below) with the nuisance priors of the recipe's
    ``[nuisances.EXPERIMENT]`` table (:meth:`Recipe.priors_for`)."""
    lk = _build_structure(experiment, recipe, root, setup)
    return apply_nuisance_priors(lk, recipe.priors_for(experiment), recipe.name)


def apply_nuisance_priors(lk: ExperimentLikelihood, priors: dict[str, float | None], recipe_name: str = "") -> ExperimentLikelihood:
    """Set each linear nuisance's Gaussian sigma (None: free) from ``priors`` (name -> sigma).

    A name the likelihood does not have is a recipe error naming the valid ones; nuisances
    not in ``priors`` keep the structure's value.
    """
    from dataclasses import replace as dc_replace

    from .errors import RecipeError

    names = [nu.name for nu in lk.nuisances]
    unknown = sorted(set(priors) - set(names))
    if unknown:
        raise RecipeError(f"recipe {recipe_name!r}: no nuisance {', '.join(unknown)} in the {lk.experiment} likelihood "
                          f"({lk.description}); valid: {', '.join(names) or 'none'}")
    lk.nuisances = [dc_replace(nu, sigma=priors[nu.name]) if nu.name in priors else nu for nu in lk.nuisances]
    return lk


def _build_structure(experiment: str, recipe: Recipe, root=None, setup: ExperimentSetup | None = None) -> ExperimentLikelihood:
    kind = recipe.likelihood_name
    supported = LIKELIHOOD_RECIPES.get(kind, set())
    if experiment not in supported:
        avail = "; ".join(f"{r}: {', '.join(sorted(e))}" for r, e in LIKELIHOOD_RECIPES.items())
        raise UnknownNameError(f"recipe {recipe.name!r} defines no likelihood for {experiment!r}; available: {avail}")
    setup = setup or build_experiment(experiment, recipe, root)
    if kind == "cadeddu2021":
        if experiment == "csi-2017":
            return csi2017_cadeddu2021(recipe, setup, root)
        return lar_energy_cadeddu2021(recipe, setup, root)
    if kind == "banerjee2021" and experiment == "csi-2017":
        return csi2017_banerjee2021(recipe, setup)
    if kind == "banerjee2021" and experiment == "csi-2021":
        return csi2021_total_count_banerjee2021(recipe, setup)
    if experiment == "csi-2021":
        if kind == "deromeri2023":
            return csi2021_deromeri2023(recipe, setup, root)
        return csi2021_atzori2022(recipe, setup)
    if kind == "banerjee2021":
        return lar_poisson_3d(recipe, setup)
    if kind == "deromeri2023":
        return lar_gaussian(recipe, setup, {"cevns": 0.13, "ss": 0.0079, "brn_prompt": 0.32, "brn_delayed": 1.0},
                            "seed 004 eq. (39)")
    return lar_gaussian(recipe, setup, {"cevns": 0.13, "ss": 0.0079, "brn_prompt": 0.32, "brn_delayed": 1.0},
                        "seed 002 eqs. (7)-(9)")
