"""XENONnT solar 8B likelihood: the extended binned Poisson likelihood of PRL 133 (2024) 191002.

chi2 = 2 sum_bins [mu - n + n ln(n/mu)] (Baker-Cousins, the -2 ln of the extended binned
Poisson likelihood up to a constant) over the 81 4D bins of each science run, with

    mu = (1 + eta_flux_8b) S(tly, tqy) + sum_runs [(1 + eta_ac) AC + (1 + eta_er) ER + (1 + eta_rg) RG(tly, tqy)],

* tly, tqy: light- and charge-yield nuisances in units of their sigma, unit Gaussian
  constraints, shared by the runs (one NR yield model); non-linear, interpolated between the
  7 x 7 released template nodes with cubic splines and profiled jointly with the linear
  nuisances (:mod:`.morph`); the signal is the model's recoil spectrum folded through the
  response at each node (:class:`~.morph.FoldedPart`), the neutrons are the released
  ``rg`` templates at each node;
* eta_flux_8b: the solar-model flux uncertainty (recipe prior; default the relative
  uncertainty of the recipe's ``solar_flux``); dropped when ``flux_8b`` is a free or scanned
  parameter (``extra["parameter_nuisances"]``, read by :class:`cevns.inference.analysis.Analysis`);
* eta_ac_<run>, eta_er_<run>, eta_rg_<run>: background normalisations. The release states
  no constraints (README.release.md); the defaults (AC 5 %, ER 50 %, neutrons 50 %) reproduce
  the total background uncertainty of PRL 133, 26.4 (+1.4 -1.3) events (docs/xenonnt.md).

Registered for both XENONnT experiments under the XENONnT recipes and under every COHERENT
recipe name, so that ``cevns fit -e csi-2021,lar-2020,xenonnt-sr0-sr2 -r deromeri2023``
combines the recipe's COHERENT likelihoods with this one (independent nuisances). A COHERENT
recipe carries no ``[nuisances.xenonnt-*]`` table, so the defaults above apply (with its
``solar_flux``, default B16-GS98). Only ``nonlinear_nuisances = "morph"`` is supported.
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError, RecipeError
from ..experiments.common import ExperimentSetup
from ..recipes import PRESET_NAMES, Recipe
from .core import Branch, BranchGrid, ExperimentLikelihood, Nuisance
from .morph import FoldedPart, MorphAxis, MorphedComponent, MorphPart, SeparableMorph
from .registry import register_likelihood

#: name of the extra nuclear-recoil component of :meth:`XenonLikelihood.prepare_with_recoil_signal`
RECOIL_SIGNAL = "recoil_signal"
#: default background-normalisation priors (relative), see the module docstring
BACKGROUND_PRIORS = {"ac": 0.05, "er": 0.5, "rg": 0.5}
EXPERIMENTS = ("xenonnt-sr0-sr1", "xenonnt-sr0-sr2")


class XenonLikelihood(ExperimentLikelihood):
    """:class:`ExperimentLikelihood` whose signal morph folds the model's recoil spectrum
    through the (tly, tqy) response grid instead of keeping a kernel set per node."""

    def _folded(self, counts_per_node: np.ndarray) -> MorphedComponent:
        """A recoil spectrum ``(P, n_T)`` [events per t yr in each recoil node] folded through
        the response on the (tly, tqy) grid."""
        time_part = MorphPart((), np.ones((1, 1, 1)))
        return MorphedComponent("product", (FoldedPart((0, 1), counts_per_node[:, None, :], self.extra["response"]),
                                            time_part))

    def morph_components(self, terms) -> dict[str, MorphedComponent]:
        recoil = self.extra["recoil"]
        t = terms(recoil) if callable(terms) else terms
        by_f = recoil.energy_counts_from_terms(t)
        spectrum = np.atleast_2d(sum(np.atleast_2d(by_f[f]) for f in recoil.flavours))  # (P, n_T)
        comps = {"cevns": self._folded(spectrum)}
        for name, counts in self.branches[0].backgrounds.items():
            if name in self.extra["rg_nodes"]:
                nodes = self.extra["rg_nodes"][name]
                comps[name] = MorphedComponent("single", (MorphPart((0, 1), nodes[None]),))
            else:
                comps[name] = MorphedComponent("single", (MorphPart((), counts[None]),))
        return comps

    def prepare_with_recoil_signal(self, terms, rate_per_t_yr_kev) -> dict:
        """:meth:`prepare_points` with one more component, :data:`RECOIL_SIGNAL`: any nuclear-recoil
        spectrum (dark matter, a BSM process the models do not cover) folded through the same
        released response as the 8B CEvNS, light- and charge-yield morphs included.

        ``rate_per_t_yr_kev`` ``(P, n_T)`` or ``(n_T,)``: dR/dE_R [events / (t yr keVnr)] at the
        recoil nodes ``extra["recoil_kev"]`` (0.5-5.0 keVnr; the release has no response above
        5.0 keVnr, so a spectrum reaching beyond is cut there). No nuisance scales it (its
        normalisation is the parameter of interest). Profile with :meth:`profile_observed`."""
        t_kev, w_kev = self.extra["recoil_kev"], self.extra["recoil_weights_kev"]
        rate = np.atleast_2d(np.asarray(rate_per_t_yr_kev, dtype=float))
        if rate.ndim != 2 or rate.shape[1] != t_kev.size:
            raise ParameterError(f"{self.experiment}: the recoil spectrum must be given at the {t_kev.size} recoil nodes "
                                 f"{t_kev[0]:g}-{t_kev[-1]:g} keVnr (likelihood.extra['recoil_kev']), shape (P, "
                                 f"{t_kev.size}); got shape {np.shape(rate_per_t_yr_kev)}")
        if not np.all(np.isfinite(rate)) or np.any(rate < 0):
            raise ParameterError(f"{self.experiment}: the recoil spectrum must be finite and non-negative")
        prepared = self.prepare_points(terms)
        comps = {**prepared["comps"], RECOIL_SIGNAL: self._folded(rate * w_kev)}
        return {"kind": "morph", "comps": comps, "points": max(prepared["points"], rate.shape[0])}


def xenonnt_likelihood(recipe: Recipe, setup: ExperimentSetup, root=None) -> XenonLikelihood:
    """The likelihood of the module docstring for ``setup`` (an XENONnT experiment)."""
    if recipe.nonlinear_nuisances != "morph":
        raise RecipeError(f"recipe {recipe.name!r}: the XENONnT likelihood profiles tly, tqy as template morphs only; "
                          "set nonlinear_nuisances = \"morph\"")
    nodes = setup.extras.nuisance_nodes
    flat = {k: c.counts.ravel() for k, c in setup.backgrounds.items()}
    branches = []
    for i, tly in enumerate(nodes):
        for j, tqy in enumerate(nodes):
            bkg = {k: (setup.extras.rg_nodes[k][i, j] if k in setup.extras.rg_nodes else v) for k, v in flat.items()}
            penalty = tly**2 + tqy**2
            branches.append(Branch({"tly": tly, "tqy": tqy}, setup.cevns, bkg, penalty))
    axes = {"tly": tuple(nodes), "tqy": tuple(nodes)}
    source = setup.cevns.source
    nuisances = [Nuisance("eta_flux_8b", "cevns", source.flux_8b_relative_sigma,
                          description=f"8B flux ({source.flux_model})")]
    for run in setup.extras.runs:
        for comp, sigma in BACKGROUND_PRIORS.items():
            nuisances.append(Nuisance(f"eta_{comp}_{run}", f"{comp}_{run}", sigma, description=f"{comp} normalisation"))
    morph = SeparableMorph((MorphAxis("tly", axes["tly"], 1.0), MorphAxis("tqy", axes["tqy"], 1.0)), ("tly", "tqy"), (),
                           {k: ("tly", "tqy") for k in setup.extras.rg_nodes})
    return XenonLikelihood(
        experiment=setup.name, recipe=recipe.name, form="poisson", observed=setup.observed.ravel(),
        branches=branches, nuisances=nuisances, expand=lambda c: c.reshape(c.shape[0], -1),
        description="XENONnT 8B extended binned Poisson likelihood (PRL 133), tly/tqy morphs",
        setup=setup, branch_grid=BranchGrid.from_branches(branches, axes), morph=morph, nonlinear="morph",
        extra={"recoil": setup.extras.recoil, "response": setup.extras.response,
               "recoil_kev": setup.extras.recoil_kev, "recoil_weights_kev": setup.extras.recoil.metadata["weights_kev"],
               "rg_nodes": setup.extras.rg_nodes, "parameter_nuisances": {"flux_8b": "eta_flux_8b"}},
    )


for _recipe in PRESET_NAMES:
    for _exp in EXPERIMENTS:
        register_likelihood(_recipe, _exp)(xenonnt_likelihood)
