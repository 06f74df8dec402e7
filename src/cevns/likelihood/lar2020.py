"""Likelihood structures for the LAr 2020 (CENNS-10) release: seed 002 eqs. (7)-(9) and seed 004
eq. (39) (Gaussian, 12 E x 10 t, shape nuisances), seed 000 eqs. (23)-(25) (3D Poisson,
normalisations profiled or marginalised bin by bin), seed 001 eqs. (4.2)-(4.7) (energy only)."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
from numpy.typing import NDArray

from ..errors import RecipeError
from ..experiments.common import ExperimentSetup
from ..recipes import Recipe
from .core import PROFILE_CHUNK_BYTES, Branch, ExperimentLikelihood, Nuisance, _flatten_2d, _rel_shape
from .marginal import GL_NODES, envelope_moments, poisson_gaussian_marginal, saturated_log_poisson
from .registry import register_likelihood


def _lar_shapes_2d(setup: ExperimentSetup) -> dict[str, NDArray[np.float64]]:
    """Relative shape changes (flattened E x t) of the released +-1 sigma variations."""
    var = {k: v.sum(axis=1) for k, v in setup.extras.shape_variations.items()}
    cev = setup.extras.released_cevns_3d.sum(axis=1)
    brn = setup.extras.backgrounds_3d["brn_prompt"].sum(axis=1)
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
    f90 = setup.extras.f90_given_energy  # (12, 8)

    def expand(counts):  # (P, 12, 10) -> (P, 12*8*10)
        return (counts[:, :, None, :] * f90[None, :, :, None]).reshape(counts.shape[0], -1)

    bkg = {k: v.ravel() for k, v in setup.extras.backgrounds_3d.items()}
    nus = [
        Nuisance("alpha_cevns", "cevns", None if free_cevns else 0.13),
        Nuisance("alpha_ss", "ss", 25.0 / 3154.0),
        Nuisance("alpha_brn_prompt", "brn_prompt", 0.3),
        Nuisance("alpha_brn_delayed", "brn_delayed", 1.0),
    ]
    return ExperimentLikelihood("lar-2020", recipe.name, "poisson", setup.extras.observed_3d.ravel(),
                                [Branch({}, setup.cevns, bkg)], nus, expand,
                                description="seed 000 eqs. (23)-(25)", setup=setup)


class MarginalisedLArLikelihood(ExperimentLikelihood):
    """Seed 000 eq. (23): in every bin the Poisson probability of the observed count is
    integrated over the normalisations alpha_i of eq. (24) under independent Gaussian
    envelopes N[alpha_i, 0, sigma_i], separately in each bin ("the uncertainties in each bin
    are marginalized over separately", seed 000 sec. V):

        L = prod_b int P[n_b, sum_i (1 + alpha_i) T_ib] prod_i N[alpha_i, 0, sigma_i] d alpha_i.

    The templates T_i are those of :attr:`nuisances` (target component times multiplier),
    sigma_i their prior widths (the recipe's ``[nuisances.lar-2020]``: CEvNS 0.13, SS
    25/3154, prompt BRN 0.3, delayed BRN 1.0, seed 000 eq. 25 and sec. V). lambda is then
    Gaussian with mean sum_i T_ib and variance sum_i sigma_i^2 T_ib^2, and each bin is one
    integral of Poisson x Gaussian on lambda >= 0 (:func:`~.marginal.poisson_gaussian_marginal`).

    chi2 = -2 sum_b [ln L_b - ln P(n_b, n_b)] (the saturated Poisson term makes it >= 0 and
    comparable with the profiled chi2; it does not depend on the model). Nothing is
    profiled: ``best["eta"]`` holds, per nuisance, the posterior-mean shift of its
    template's total, sum_b T_ib E[alpha_ib | n_b] / sum_b T_ib with E[alpha_i | lambda] =
    sigma_i^2 T_i (lambda - mu) / v, and ``best["parts"]`` the posterior-mean components.
    Evaluated in chunks of points (:data:`~.core.PROFILE_CHUNK_BYTES`).
    """

    def _envelopes(self) -> list[tuple[str, NDArray[np.float64] | None, float]]:
        out = []
        for nu in self.nuisances:
            if nu.sigma is None:
                raise RecipeError(
                    f"nuisance {nu.name} of the marginalised {self.experiment} likelihood has no prior (\"free\"): "
                    "a flat envelope cannot be integrated bin by bin; give it a sigma in [nuisances."
                    f"{self.experiment}], or fit the normalisation as a model parameter (--free cevns_norm), "
                    "or use lar_likelihood = \"profiled\"")
            out.append((nu.target, nu.multiplier, float(nu.sigma)))
        return out

    def profile(self, terms) -> tuple[NDArray[np.float64], dict]:
        envs = self._envelopes()
        sig = self.signal_parts(terms(self.cevns) if callable(terms) else terms)
        bkg = self.branches[0].backgrounds
        p_count = next(iter(sig.values())).shape[0]
        n = self.observed
        ref = saturated_log_poisson(n)
        chunk = max(1, int(PROFILE_CHUNK_BYTES // (8 * n.size * GL_NODES * 6)))
        chi2 = np.empty(p_count)
        eta = np.empty((p_count, len(envs)))
        parts = {k: np.empty((p_count, n.size)) for k in (*sig, *bkg)}
        for lo in range(0, p_count, chunk):
            rows = slice(lo, min(lo + chunk, p_count))
            comps = {**{k: v[rows] for k, v in sig.items()}, **bkg}
            tpls = [sum(comps.get(t, 0.0) for t in target.split("+")) * (1.0 if mult is None else mult)
                    for target, mult, _ in envs]
            tpls = [np.broadcast_to(t, comps["cevns"].shape) for t in tpls]
            mu = sum(np.broadcast_to(c, comps["cevns"].shape) for c in comps.values())
            _, var = envelope_moments(tpls, [s for _, _, s in envs])
            res = poisson_gaussian_marginal(n, mu, var)
            chi2[rows] = -2.0 * (res.log_l - ref).sum(axis=-1)
            with np.errstate(divide="ignore", invalid="ignore"):
                pull = np.where(var > 0, (res.mean_lambda - mu) / np.where(var > 0, var, 1.0), 0.0)
            for k, ((target, mult, s), t) in enumerate(zip(envs, tpls, strict=True)):
                shift = s**2 * t * t * pull  # T_i E[alpha_i | n] per bin
                total = t.sum(axis=-1)
                eta[rows, k] = np.where(total > 0, shift.sum(axis=-1) / np.where(total > 0, total, 1.0), 0.0)
                if mult is None:
                    for name in target.split("+"):
                        if name in comps:
                            comps[name] = comps[name] + s**2 * t * np.broadcast_to(comps[name], t.shape) * pull
            for k, v in comps.items():
                parts[k][rows] = np.broadcast_to(v, (rows.stop - rows.start, n.size))
        signal = sum(sig.values())
        return chi2, {"eta": eta, "branch": np.zeros(p_count, dtype=int), "signal": signal, "parts": parts}


def lar_marginalised_3d(recipe: Recipe, setup: ExperimentSetup) -> MarginalisedLArLikelihood:
    """Seed 000 eqs. (23)-(25) with the normalisations marginalised bin by bin
    (:class:`MarginalisedLArLikelihood`) over the bins, templates and nuisances of
    :func:`lar_poisson_3d`."""
    base = lar_poisson_3d(recipe, setup)
    lk = MarginalisedLArLikelihood(**{f.name: getattr(base, f.name) for f in fields(base)})
    lk.form = "marginalised-poisson"
    lk.description = "seed 000 eqs. (23)-(25), marginalised per bin"
    return lk


def _lar_banerjee2021(recipe: Recipe, setup: ExperimentSetup, root=None) -> ExperimentLikelihood:
    """The ``banerjee2021`` LAr structure: profiled (default) or marginalised (recipe option
    ``lar_likelihood``)."""
    if recipe.lar_likelihood == "marginalised":
        return lar_marginalised_3d(recipe, setup)
    _require_profiled(recipe)
    return lar_poisson_3d(recipe, setup)


def _require_profiled(recipe: Recipe) -> None:
    if recipe.lar_likelihood != "profiled":
        raise RecipeError(
            f"recipe {recipe.name!r}: lar_likelihood = {recipe.lar_likelihood!r}; the {recipe.likelihood_name} LAr "
            "likelihood has only the profiled form ('marginalised' exists for likelihood = \"banerjee2021\"); "
            "set lar_likelihood = \"profiled\" or likelihood = \"banerjee2021\"")


def lar_energy_cadeddu2021(recipe: Recipe, setup: ExperimentSetup, root=None) -> ExperimentLikelihood:
    """Seed 001 eqs. (4.2)-(4.7): Gaussian chi2 over the 12 energy bins (time and F90 summed) of
    the steady-state-subtracted data of ``energydata1d.txt``; sigma_i^2 = stat^2 +
    (0.017 (B_PBRN + B_LBRN))^2; CEvNS (13.4 %), prompt BRN (32 %), late BRN (100 %)
    normalisations profiled; backgrounds from the released BRN PDFs (the 1D spectrum is read
    by the experiment builder, ``setup.extras.energy_data_1d``)."""
    e1d = setup.extras.energy_data_1d
    bp = setup.extras.backgrounds_3d["brn_prompt"].sum(axis=(1, 2))
    bl = setup.extras.backgrounds_3d["brn_delayed"].sum(axis=(1, 2))
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
    lambda recipe, setup, root: _require_profiled(recipe) or lar_gaussian(recipe, setup, _LAR_SIGMAS,
                                                                          "seed 002 eqs. (7)-(9)"))
register_likelihood("deromeri2023", "lar-2020")(
    lambda recipe, setup, root: _require_profiled(recipe) or lar_gaussian(recipe, setup, _LAR_SIGMAS,
                                                                          "seed 004 eq. (39)"))
register_likelihood("banerjee2021", "lar-2020")(_lar_banerjee2021)
register_likelihood("cadeddu2021", "lar-2020")(
    lambda recipe, setup, root: _require_profiled(recipe) or lar_energy_cadeddu2021(recipe, setup, root))
