"""Seed 000 eqs. (6)-(9): the total-count chi2 of CsI(2020) + CENNS10 (Fig. 5), likelihood ``banerjee2021-counts``.

Each detector contributes Min_a [(N_obs - (1 + a) N_th)^2 / sigma_obs^2 + (a/sigma_a)^2], N_th the
model's total CEvNS count in the analysis window; the total chi2 is the sum, minimised over
both nuisances (seed 000 after eq. 9). Use it with the banerjee2021 prediction choices:
``get_recipe("banerjee2021").with_options(likelihood="banerjee2021-counts", nuisance_priors=())``
or a recipe file
``base = "banerjee2021"`` + ``likelihood = "banerjee2021-counts"``.
"""

from __future__ import annotations

import numpy as np

from ..experiments.common import ExperimentSetup
from ..recipes import Recipe
from .core import Branch, ExperimentLikelihood, Nuisance
from .csi2021 import csi2021_total_count_banerjee2021
from .registry import register_likelihood

#: seed 000 eqs. (8)-(9): CENNS10 N_obs = 159, dN_obs = 43, dN_SS = 34, dN_pBRN = 23, dN_dBRN = 11, sigma_beta = 0.1328
CENNS10_N_OBS = 159.0
CENNS10_SIGMA_OBS2 = 43.0**2 + 34.0**2 + 23.0**2 + 11.0**2
CENNS10_SIGMA_BETA = 0.1328


def lar2020_total_count_banerjee2021(recipe: Recipe, setup: ExperimentSetup) -> ExperimentLikelihood:
    """Seed 000 eqs. (8)-(9): Gaussian total-count chi2 of CENNS10 with normalisation nuisance beta."""
    def expand(counts):
        return counts.sum(axis=(1, 2))[:, None]

    return ExperimentLikelihood(
        "lar-2020", recipe.name, "gaussian", np.array([CENNS10_N_OBS]), [Branch({}, setup.cevns, {})],
        [Nuisance("beta", "cevns", CENNS10_SIGMA_BETA)], expand, sigma2=np.array([CENNS10_SIGMA_OBS2]),
        description="seed 000 eqs. (8)-(9)", setup=setup,
    )


register_likelihood("banerjee2021-counts", "csi-2021")(lambda recipe, setup, root: csi2021_total_count_banerjee2021(recipe, setup))
register_likelihood("banerjee2021-counts", "lar-2020")(lambda recipe, setup, root: lar2020_total_count_banerjee2021(recipe, setup))
