"""Likelihood structures for the CsI 2017 release: seed 001 eq. (4.1) with the QF grid
(``cadeddu2021``), seed 000 eqs. (21)-(22) marginalised Poisson (``banerjee2021``)."""

from __future__ import annotations

import numpy as np

from ..experiments.common import ExperimentSetup
from ..recipes import Recipe
from .core import Branch, ExperimentLikelihood, Nuisance, _flatten_2d
from .registry import register_likelihood

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
    from ..experiments import csi2017 as csi2017_mod

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


register_likelihood("banerjee2021", "csi-2017")(lambda recipe, setup, root: csi2017_banerjee2021(recipe, setup))
register_likelihood("cadeddu2021", "csi-2017")(csi2017_cadeddu2021)
