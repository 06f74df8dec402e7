"""Shared pieces of the experiment modules: target counting and kernel assembly."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from ..detectors import recoil_grid_kev
from ..physics.constants import AVOGADRO, GRAMS_PER_KG
from ..physics.couplings import sm_couplings
from ..physics.cross_sections import (
    cevns_rate_prefactor_cm2_per_mev,
    kinematic_moment_kernels,
    t_max_mev,
    vector_kinematic_kernel,
)
from ..physics.nuclei import Isotope
from ..physics.weak_charge import nucleon_form_factors
from ..prediction import BinnedCEvNS, IsotopeKernel, SMReference
from ..recipes import Recipe
from ..sources import Source


def targets_per_isotope(detector_mass_kg: float, molecule: Sequence[tuple[Isotope, float]]) -> list[float]:
    """Number of nuclei of each isotope in ``detector_mass_kg`` of a compound.

    ``molecule`` lists (isotope, atoms per molecule); N = N_A m / M_molar (seed 004 sec. 3.1).
    """
    molar_mass_g = sum(iso.atomic_mass_u * k for iso, k in molecule)
    n_molecules = AVOGADRO * detector_mass_kg * GRAMS_PER_KG / molar_mass_g
    return [n_molecules * k for _, k in molecule]


def sm_reference(recipe: Recipe, source: Source) -> SMReference:
    """The SM reference of ``recipe`` for the flavours of ``source``: couplings by the recipe's
    scheme (seed 002 eq. 12 or seed 004 eq. 2), its sin^2(theta_W) and form factor."""
    return SMReference(
        sm_couplings(source.flavours, recipe.couplings, recipe.sin2_theta_w),
        recipe.couplings,
        recipe.sin2_theta_w,
        recipe.form_factor,
    )


def build_isotope_kernel(
    isotope: Isotope,
    n_targets: float,
    source: Source,
    energy_response: Callable[[NDArray[np.float64]], NDArray[np.float64]],
    form_factor_name: str,
    t_min_kev: float = 0.5,
    n_nodes: int = 200,
    grid_kev: tuple[NDArray[np.float64], NDArray[np.float64]] | None = None,
) -> IsotopeKernel:
    """Assemble the kernel of one isotope.

    ``energy_response(t_nr_kev)`` returns ``(n_T, n_E)`` probabilities (efficiency
    included) of a true recoil landing in each reconstructed energy bin. The true-recoil
    grid is log-spaced Gauss-Legendre from ``t_min_kev`` to the kinematic end point of
    the source's largest energy, or the explicit ``grid_kev = (nodes, weights)``. One
    kernel per flavour of ``source``, with its fluence eta_f and moments.
    """
    if grid_kev is None:
        t_hi_kev = float(t_max_mev(source.e_max_mev, isotope.mass_mev)) * 1e3
        t_kev, w_kev = recoil_grid_kev(t_min_kev, t_hi_kev, n_nodes)
    else:
        t_kev, w_kev = (np.asarray(a, dtype=float) for a in grid_kev)
    t_mev, w_mev = t_kev * 1e-3, w_kev * 1e-3
    response = energy_response(t_kev)
    kernel = {}
    for f in source.flavours:
        norm = n_targets * source.fluence_per_cm2(f) * cevns_rate_prefactor_cm2_per_mev(isotope.mass_mev)
        k_f = vector_kinematic_kernel(source, f, t_mev, isotope.mass_mev)
        kernel[("vector", f)] = (norm * k_f * w_mev)[:, None] * response
        for name, k in kinematic_moment_kernels(source, f, t_mev, isotope.mass_mev).items():
            kernel[(name, f)] = (norm * k * w_mev)[:, None] * response
    fp, fn = nucleon_form_factors(isotope, t_mev, form_factor_name)
    return IsotopeKernel(isotope, t_mev, fp, fn, kernel)


@dataclass(frozen=True)
class Atom:
    """An atom as a target of neutrino-electron scattering (Z_eff electrons at recoil T)."""

    name: str  # "es:Cs", "es:I"
    element: str  # "Cs", "I"
    z: int


def build_es_kernel(
    atom: Atom,
    n_atoms: float,
    source: Source,
    energy_response: Callable[[NDArray[np.float64]], NDArray[np.float64]],
    t_min_kev: float = 0.05,
    t_max_kev: float = 60.0,
    n_nodes: int = 240,
) -> IsotopeKernel:
    """ES kernels of one atom on a log grid of electron recoils (seed 004 eqs. 4, 34).

    Structures (unit: N_atoms eta Z_eff(T) G_F^2 m_e/(2 pi) per unit coefficient):
    ``es_m0`` = int phi, ``es_m1`` = T int phi/E, ``es_m2`` = T^2 int phi/E^2,
    ``es_me`` = m_e T int phi/E^2 (over E >= E_min^e(T)), and ``es_mm`` = int phi (1/T - 1/E)
    for magnetic-moment terms. ``energy_response(t_er_kev)`` maps electron recoils (no
    quenching) to reconstructed bins.
    """
    from ..physics.constants import M_ELECTRON_MEV
    from ..physics.electron_scattering import e_min_electron_mev, es_prefactor_cm2_per_mev, z_eff

    t_kev, w_kev = recoil_grid_kev(t_min_kev, t_max_kev, n_nodes)
    t_mev, w_mev = t_kev * 1e-3, w_kev * 1e-3
    response = energy_response(t_kev)
    kernel = {}
    for f in source.flavours:
        norm = n_atoms * source.fluence_per_cm2(f) * es_prefactor_cm2_per_mev() * z_eff(atom.element, t_kev)
        m0, m1, m2 = source.inverse_moments(f, e_min_electron_mev(t_mev))
        parts = {"es_m0": m0, "es_m1": t_mev * m1, "es_m2": t_mev**2 * m2, "es_me": M_ELECTRON_MEV * t_mev * m2,
                 "es_mm": m0 / t_mev - m1}
        for name, k in parts.items():
            kernel[(name, f)] = (norm * k * w_mev)[:, None] * response
    ones = np.ones_like(t_mev)
    return IsotopeKernel(atom, t_mev, ones, ones, kernel)


@dataclass(frozen=True)
class Component:
    """A binned prediction component (background or signal template), counts per bin."""

    name: str
    counts: NDArray[np.float64]
    description: str = ""


@dataclass(frozen=True)
class ExperimentSetup:
    """One experiment, ready to predict: CEvNS kernels, backgrounds, observed counts.

    ``observed`` and every background have the shape of ``cevns.counts(...)`` with no
    batch axis, i.e. ``(n_E, n_t)``. ``extras`` holds what a release offers beyond that
    (a frozen dataclass of its module, e.g. :class:`cevns.experiments.lar2020.LAr2020Extras`),
    read by that release's likelihood structures; ``data_files`` maps each file read to its
    SHA-256 (provenance).
    """

    name: str
    cevns: BinnedCEvNS
    backgrounds: dict[str, Component]
    observed: NDArray[np.float64]
    energy_label: str
    extras: object | None = None
    data_files: dict[str, str] = field(default_factory=dict)
