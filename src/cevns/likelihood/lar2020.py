"""Likelihood structures for the LAr 2020 (CENNS-10) release: seed 002 eqs. (7)-(9) and seed 004
eq. (39) (Gaussian, 12 E x 10 t, shape nuisances), seed 000 eqs. (23)-(25) (3D Poisson),
seed 001 eqs. (4.2)-(4.7) (energy only)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ..experiments.common import ExperimentSetup
from ..recipes import Recipe
from .core import Branch, ExperimentLikelihood, Nuisance, _flatten_2d, _rel_shape
from .registry import register_likelihood


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
                                _flatten_2d, sigma2=sigma2, description=source, setup=setup,
                                # the variance follows the observed counts: pseudo-data get their own
                                extra={"sigma2_of": lambda n, ss=ss: np.maximum(n + ss / 5.0, 1.0)})


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


def lar_energy_cadeddu2021(recipe: Recipe, setup: ExperimentSetup, root=None) -> ExperimentLikelihood:
    """Seed 001 eqs. (4.2)-(4.7): Gaussian chi2 over the 12 energy bins (time and F90 summed) of
    the steady-state-subtracted data of ``energydata1d.txt``; sigma_i^2 = stat^2 +
    (0.017 (B_PBRN + B_LBRN))^2; CEvNS (13.4 %), prompt BRN (32 %), late BRN (100 %)
    normalisations profiled; backgrounds from the released BRN PDFs (the 1D spectrum is read
    by the experiment builder, ``setup.notes["energy_data_1d"]``)."""
    e1d = setup.notes["energy_data_1d"]
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


_LAR_SIGMAS = {"cevns": 0.13, "ss": 0.0079, "brn_prompt": 0.32, "brn_delayed": 1.0}
register_likelihood("atzori2022", "lar-2020")(
    lambda recipe, setup, root: lar_gaussian(recipe, setup, _LAR_SIGMAS, "seed 002 eqs. (7)-(9)"))
register_likelihood("deromeri2023", "lar-2020")(
    lambda recipe, setup, root: lar_gaussian(recipe, setup, _LAR_SIGMAS, "seed 004 eq. (39)"))
register_likelihood("banerjee2021", "lar-2020")(lambda recipe, setup, root: lar_poisson_3d(recipe, setup))
register_likelihood("cadeddu2021", "lar-2020")(lar_energy_cadeddu2021)


class PerBinMarginalisedPoisson(ExperimentLikelihood):
    """Seed 000 eqs. (23)-(24) as printed: in each bin the Poisson probability is marginalised
    over its own normalisation uncertainties, lambda = sum_c (1 + alpha_c) N_c with
    alpha_c ~ N(0, sigma_c) independent per bin ("the uncertainties in each bin are
    marginalized over separately", seed 000 sec. V). lambda is then Gaussian with mean
    sum_c N_c and variance sum_c sigma_c^2 N_c^2; the integral is done by Gauss-Hermite
    quadrature (24 nodes, lambda truncated at 0). chi2 = -2 sum_bins ln L_bin (constants of
    the data dropped: Delta-chi2 and posteriors only). Not registered: the ``banerjee2021``
    recipe profiles the normalisations (one nuisance per component, shared by all bins);
    :func:`cevns.inference.bayes` uses this one to follow seed 000's Bayesian analysis."""

    def profile(self, terms):
        from scipy.special import gammaln

        b = self.branches[0]
        s_all = self.signal(terms(b.cevns) if callable(terms) else terms)  # (P, B)
        n = self.observed
        x, w = np.polynomial.hermite_e.hermegauss(24)
        w = w / w.sum()
        sig = {nu.target: nu.sigma for nu in self.nuisances}
        bkg = sum(b.backgrounds.values())
        var_b = sum((sig[k] * v) ** 2 for k, v in b.backgrounds.items())
        chi2 = np.empty(s_all.shape[0])
        lgn = gammaln(n + 1.0)
        for p_idx in range(s_all.shape[0]):
            mean = s_all[p_idx] + bkg
            sd = np.sqrt((sig["cevns"] * s_all[p_idx]) ** 2 + var_b)
            lam = np.maximum(mean[None, :] + sd[None, :] * x[:, None], 1e-12)  # (nodes, B)
            logp = n[None, :] * np.log(lam) - lam - lgn[None, :]
            amax = logp.max(axis=0)
            chi2[p_idx] = -2.0 * np.sum(amax + np.log(np.sum(w[:, None] * np.exp(logp - amax[None]), axis=0)))
        best = {"eta": np.zeros((len(chi2), len(self.nuisances))), "branch": np.zeros(len(chi2), dtype=int),
                "signal": s_all, "parts": {"cevns": s_all}}
        return chi2, best


def lar_poisson_3d_marginalised(recipe: Recipe, setup: ExperimentSetup) -> ExperimentLikelihood:
    """:func:`lar_poisson_3d` with the normalisations marginalised bin by bin (:class:`PerBinMarginalisedPoisson`)."""
    lk = lar_poisson_3d(recipe, setup)
    return PerBinMarginalisedPoisson(lk.experiment, lk.recipe, "marginalised-poisson", lk.observed, lk.branches,
                                     lk.nuisances, lk.expand, description="seed 000 eqs. (23)-(24), per bin",
                                     setup=lk.setup)
