"""Likelihood structures for the CsI 2021 release: seed 002 eq. (6) (``atzori2022``), seed 004
eqs. (36)-(38) with the alpha_4/alpha_6/alpha_7 branch grid (``deromeri2023``), seed 000
eqs. (6)-(7) total count (``banerjee2021``)."""

from __future__ import annotations

import numpy as np

from ..experiments import csi2021 as csi2021_mod
from ..experiments.common import ExperimentSetup
from ..prediction import BinnedCEvNS
from ..recipes import Recipe
from .core import Branch, BranchGrid, ExperimentLikelihood, Nuisance, _flatten_2d
from .morph import MorphAxis, SeparableMorph
from .registry import register_likelihood


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


def _csi2021_builder(recipe: Recipe, setup: ExperimentSetup, root) -> csi2021_mod.CsI2021Builder:
    """The builder behind a CsI 2021 setup (its release files already read), for ``recipe``.

    A setup that does not carry one (built elsewhere) gets a builder that reads the
    release once; a different recipe reuses the parsed files of the setup's builder.
    """
    extras = setup.extras
    builder = extras.builder if isinstance(extras, csi2021_mod.CsI2021Extras) else None
    if builder is None:
        return csi2021_mod.CsI2021Builder(recipe, root)
    if builder.recipe != recipe:
        return csi2021_mod.CsI2021Builder(recipe, root, builder.efficiency, builder.n_nodes, builder.release)
    return builder


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

    from ..physics.form_factors import klein_nystrand, momentum_transfer_mev
    from ..physics.weak_charge import KN_A13_COEFF_FM

    isos = []
    for ik in cevns.isotopes:
        r_a = KN_A13_COEFF_FM * ik.isotope.a ** (1.0 / 3.0) * (1.0 + scale)
        f = klein_nystrand(momentum_transfer_mev(ik.t_nr_mev, ik.isotope.mass_mev), r_a_fm=r_a)
        isos.append(replace(ik, f_proton=f, f_neutron=f))
    return replace(cevns, isotopes=tuple(isos))


def _deromeri2023_backgrounds(recipe: Recipe, setup: ExperimentSetup, root, a6: float,
                              builder: csi2021_mod.CsI2021Builder | None = None) -> dict:
    """Flattened SS, BRN and NIN templates with the beam-timing shift ``a6`` [us] (alpha_6)."""
    builder = builder or _csi2021_builder(recipe, setup, root)
    return {
        "ss": setup.backgrounds["ss"].counts.ravel(),
        "brn": builder.neutron_template("brn", a6).ravel(),
        "nin": builder.neutron_template("nin", a6).ravel(),
    }


def deromeri2023_csi2021_branches(recipe: Recipe, setup: ExperimentSetup, root, scalings, a6: float, a7: float,
                                  rebuild: bool = True, backgrounds: dict | None = None,
                                  builder: csi2021_mod.CsI2021Builder | None = None) -> list[Branch]:
    """The CsI 2021 branches of seed 004 at beam-timing shift ``a6`` [us] and efficiency
    shift ``a7`` [PE], one per radius scaling alpha_4 in ``scalings`` (any values, on or off
    the likelihood's grid: used to check the continuous profiling). ``backgrounds``, if
    given, are the templates already built for this ``a6``; ``builder`` (default: the
    setup's) makes the shifted experiment from release files read once, sharing the
    energy kernels of one ``a7`` and the time fractions of one ``a6`` between branches."""
    builder = builder or _csi2021_builder(recipe, setup, root)
    bkg = _deromeri2023_backgrounds(recipe, setup, root, a6, builder) if backgrounds is None else backgrounds
    st = builder.setup(efficiency_shift_pe=a7, timing_shift_us=a6) if rebuild else setup
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
    (R_A -> R_A (1 + alpha_4), sigma 5 %) has its Gaussian penalty. The three are built
    exactly on a 3 x 9 x 9 grid of branches; with ``recipe.nonlinear_nuisances = "morph"``
    (default) their templates are interpolated between the nodes (the CEvNS energy counts
    in alpha_4 and alpha_7, its time fractions and the BRN/NIN templates in alpha_6;
    :class:`~.morph.SeparableMorph`) and all nuisances are profiled jointly; with
    ``"grid"`` each branch is profiled and the chi2 refined between nodes
    (:func:`refine_grid_minimum`). Models that fit neutron radii build their own form
    factors, which switches alpha_4 off as seed 004 sec. 4.1 does."""
    from ..physics.weak_charge import KN_A13

    # alpha_4 acts on the Klein-Nystrand R_A of the recipe; other form factors keep alpha_4 = 0
    scalings = DEROMERI_RADIUS_SCALINGS if recipe.form_factor == KN_A13 else (0.0,)
    builder = _csi2021_builder(recipe, setup, root)  # the release files are read once, here or before
    branches = []
    for a6 in DEROMERI_TIMING_SHIFTS_US:
        bkg = _deromeri2023_backgrounds(recipe, setup, root, a6, builder)  # depends on alpha_6 only
        for a7 in DEROMERI_EFFICIENCY_SHIFTS_PE:
            nominal = a6 == 0.0 and a7 == 0.0
            branches.extend(deromeri2023_csi2021_branches(recipe, setup, root, scalings, a6, a7,
                                                          rebuild=not nominal, backgrounds=bkg, builder=builder))
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
                                             label["alpha_7_pe"], builder=builder)[0]

    morph = SeparableMorph(
        axes=(MorphAxis("alpha_4", scalings, DEROMERI_RADIUS_SIGMA), MorphAxis("alpha_6_us", DEROMERI_TIMING_SHIFTS_US),
              MorphAxis("alpha_7_pe", DEROMERI_EFFICIENCY_SHIFTS_PE)),
        energy_axes=("alpha_4", "alpha_7_pe"), time_axes=("alpha_6_us",),
        background_axes={"brn": ("alpha_6_us",), "nin": ("alpha_6_us",)})
    return ExperimentLikelihood("csi-2021", recipe.name, "poisson", setup.observed.ravel(), branches, nus, _flatten_2d,
                                description="seed 004 eqs. (36), (38)", setup=setup, branch_grid=grid,
                                extra={"branch_builder": build_branch}, morph=morph,
                                nonlinear=recipe.nonlinear_nuisances)


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


register_likelihood("atzori2022", "csi-2021")(lambda recipe, setup, root: csi2021_atzori2022(recipe, setup))
register_likelihood("deromeri2023", "csi-2021")(csi2021_deromeri2023)
register_likelihood("banerjee2021", "csi-2021")(lambda recipe, setup, root: csi2021_total_count_banerjee2021(recipe, setup))
