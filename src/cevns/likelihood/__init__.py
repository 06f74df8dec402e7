"""Likelihoods of the published analyses ("recipes"), with nuisances profiled in batch.

Modules: :mod:`.core` (nuisances, branches, profiling), :mod:`.morph` (non-linear
nuisances as smooth template morphs, profiled jointly), :mod:`.registry` (structures by
(likelihood, experiment), :func:`build_likelihood`), and one module of structures per
release (:mod:`.csi2017`, :mod:`.csi2021`, :mod:`.lar2020`), which register themselves.

How the expectation, the linear nuisances and the non-linear branches are profiled: see
:mod:`.core`.

Recipes (seed equations in each builder's docstring):

* ``atzori2022``: CsI 2021 eq. (6) Poisson chi2; LAr eqs. (7)-(9) Gaussian chi2.
* ``deromeri2023``: CsI 2021 eqs. (36), (38) with alpha_0..alpha_3, alpha_6, alpha_7; LAr eq. (39).
* ``banerjee2021``: LAr 3D (E x F90 x t) Poisson likelihood of eqs. (23)-(24), profiled,
  with the priors of eq. (25) ("refit" of seed 000 Table I), or with recipe option
  ``lar_likelihood = "marginalised"`` marginalised bin by bin as eq. (23) is written
  (:mod:`.marginal`).
* ``cadeddu2021``: CsI 2017 eq. (4.1) and LAr eqs. (4.2)-(4.7) of seed 001, energy only.
"""

from __future__ import annotations

from . import csi2017, csi2021, lar2020, total_counts, xenonnt  # noqa: F401  (importing registers the structures)
from .core import (
    PROFILE_CHUNK_BYTES,
    Branch,
    BranchGrid,
    CombinedLikelihood,
    ExperimentLikelihood,
    Nuisance,
    refine_grid_minimum,
)
from .csi2017 import (
    CADEDDU_ENERGY_BINS,
    CADEDDU_QF_SCALES,
    MarginalisedPoissonLikelihood,
    csi2017_banerjee2021,
    csi2017_cadeddu2021,
)
from .csi2021 import (
    DEROMERI_EFFICIENCY_SHIFTS_PE,
    DEROMERI_RADIUS_SCALINGS,
    DEROMERI_RADIUS_SIGMA,
    DEROMERI_TIMING_SHIFTS_US,
    csi2021_atzori2022,
    csi2021_deromeri2023,
    csi2021_total_count_banerjee2021,
    deromeri2023_csi2021_branches,
)
from .lar2020 import MarginalisedLArLikelihood, lar_energy_cadeddu2021, lar_gaussian, lar_marginalised_3d, lar_poisson_3d
from .morph import MorphAxis, SeparableMorph, profile_morphed
from .registry import (
    LIKELIHOOD_HOOKS,
    LIKELIHOOD_RECIPES,
    _build_structure,
    apply_nuisance_priors,
    build_likelihood,
    register_likelihood,
)

__all__ = [
    "CADEDDU_ENERGY_BINS", "CADEDDU_QF_SCALES", "DEROMERI_EFFICIENCY_SHIFTS_PE", "DEROMERI_RADIUS_SCALINGS",
    "DEROMERI_RADIUS_SIGMA", "DEROMERI_TIMING_SHIFTS_US", "LIKELIHOOD_HOOKS", "LIKELIHOOD_RECIPES", "PROFILE_CHUNK_BYTES",
    "Branch", "BranchGrid", "CombinedLikelihood", "ExperimentLikelihood", "MarginalisedLArLikelihood",
    "MarginalisedPoissonLikelihood", "MorphAxis", "Nuisance",
    "SeparableMorph", "_build_structure",
    "apply_nuisance_priors", "build_likelihood", "csi2017_banerjee2021", "csi2017_cadeddu2021", "csi2021_atzori2022",
    "csi2021_deromeri2023", "csi2021_total_count_banerjee2021", "deromeri2023_csi2021_branches", "lar_energy_cadeddu2021",
    "lar_gaussian", "lar_marginalised_3d", "lar_poisson_3d", "profile_morphed", "refine_grid_minimum", "register_likelihood",
]
