"""CEvNS kinematics, differential cross section and flux-averaged kinematic kernels.

Cross section (seed 002 eq. 10, seed 004 eq. 1), per target nucleus of mass M:

    dsigma/dT = G_F^2 M / pi * (1 - M T / (2 E^2)) * Q_f(T)^2

with the weak charge Q_f(T) = g_V^p(f) Z F_p(q) + g_V^n N F_n(q) (seed 002 eq. 11).
It holds for neutrinos and antineutrinos alike. Units: MeV in, MeV^-3 out (multiply by
(hbar c)^2 for cm^2/MeV, see :func:`dsigma_dt_cm2_per_mev`).

The fast path of DESIGN.md needs, per flavour, the flux-averaged kinematic factor

    k_f(T) = int_{E_min(T)} dE phi_f(E) (1 - M T / (2 E^2)),

assembled here from the inverse moments m_n(T) = int_{E_min(T)} phi_f(E) E^-n dE,
n = 0, 1, 2, that the source gives (:meth:`cevns.sources.base.Source.inverse_moments`;
closed form for the pi-DAR spectra). Nothing here depends on which source it is.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..sources.base import Source
from .constants import G_FERMI_MEV2, HBARC2_MEV2_CM2


def t_max_mev(e_nu_mev: ArrayLike, mass_mev: float) -> NDArray[np.float64]:
    """Maximum recoil energy T_max = 2 E^2 / (M + 2 E) [MeV]."""
    e = np.asarray(e_nu_mev, dtype=float)
    return 2.0 * e**2 / (mass_mev + 2.0 * e)


def e_min_mev(t_mev: ArrayLike, mass_mev: float) -> NDArray[np.float64]:
    """Minimum neutrino energy for a recoil T: (T + sqrt(T^2 + 2 M T)) / 2 [MeV] (inverse of T_max)."""
    t = np.asarray(t_mev, dtype=float)
    return 0.5 * (t + np.sqrt(t**2 + 2.0 * mass_mev * t))


def dsigma_dt(
    e_nu_mev: ArrayLike, t_mev: ArrayLike, mass_mev: float, weak_charge: ArrayLike
) -> NDArray[np.float64]:
    """CEvNS dsigma/dT [MeV^-3] (seed 002 eq. 10); zero beyond the kinematic end point."""
    e = np.asarray(e_nu_mev, dtype=float)
    t = np.asarray(t_mev, dtype=float)
    kin = 1.0 - mass_mev * t / (2.0 * e**2)
    allowed = (t >= 0) & (t <= t_max_mev(e, mass_mev))
    return np.where(allowed, G_FERMI_MEV2**2 * mass_mev / np.pi * kin * np.asarray(weak_charge) ** 2, 0.0)


def dsigma_dt_cm2_per_mev(
    e_nu_mev: ArrayLike, t_mev: ArrayLike, mass_mev: float, weak_charge: ArrayLike
) -> NDArray[np.float64]:
    """Same as :func:`dsigma_dt` in cm^2/MeV."""
    return dsigma_dt(e_nu_mev, t_mev, mass_mev, weak_charge) * HBARC2_MEV2_CM2


def vector_kinematic_kernel(source: Source, flavour: str, t_mev: ArrayLike, mass_mev: float) -> NDArray[np.float64]:
    """k_f(T) = int dE phi_f(E) (1 - M T/(2 E^2)) over E >= E_min(T) (dimensionless), phi_f the
    unit-normalised spectrum of ``flavour`` of ``source``.

    The flux-averaged kinematic factor of every vector-type cross section: the event
    rate per nucleus is eta_f * G_F^2 M / pi * Q_f(T)^2 * k_f(T) (seed 002 eq. 10).
    """
    t = np.asarray(t_mev, dtype=float)
    m0, _, m2 = source.inverse_moments(flavour, e_min_mev(t, mass_mev))
    return np.clip(m0 - 0.5 * mass_mev * t * m2, 0.0, None)


def kinematic_moment_kernels(source: Source, flavour: str, t_mev: ArrayLike, mass_mev: float) -> dict[str, NDArray[np.float64]]:
    """The three flux-averaged kinematic structures every CEvNS cross section is built from,
    for ``flavour`` of ``source``.

    ``m0`` = int phi dE, ``m1`` = T int phi/E dE, ``m2`` = (M T/2) int phi/E^2 dE, all over
    E >= E_min(T). The vector kernel is m0 - m2; scalar terms go with m2 (M T/2E^2),
    recoil terms T/E with m1 (seed 004 eqs. 8, 14-15).
    """
    t = np.asarray(t_mev, dtype=float)
    m0, m1, m2 = source.inverse_moments(flavour, e_min_mev(t, mass_mev))
    return {"m0": m0, "m1": t * m1, "m2": 0.5 * mass_mev * t * m2}


def cevns_rate_prefactor_cm2_per_mev(mass_mev: float) -> float:
    """G_F^2 M / pi in cm^2/MeV: multiply by Q^2 k_f(T) for the flux-averaged dsigma/dT."""
    return G_FERMI_MEV2**2 * mass_mev / np.pi * HBARC2_MEV2_CM2
