"""Neutrino-electron elastic scattering (ES) on atomic electrons (seed 004 eq. 4, Table I).

dsigma/dT = Z_eff(T) G_F^2 m_e/(2 pi) [ (gV + gA)^2 + (gV - gA)^2 (1 - T/E)^2 - (gV^2 - gA^2) m_e T/E^2 ]

with gV = 2 sin^2 + 1/2, gA = 1/2 for nu_e (charged + neutral current), gV = 2 sin^2 - 1/2,
gA = -1/2 for nu_mu, and gA -> -gA for antineutrinos. Z_eff(T) counts the electrons that
can be ionised by a recoil energy T (step function of Table I, from the atomic binding
energies). Energies in MeV; Table I thresholds in keV.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..errors import UnknownNameError
from .constants import G_FERMI_MEV2, HBARC2_MEV2_CM2, M_ELECTRON_MEV, SIN2_THETA_W_LOW_ENERGY
from .couplings import HELICITY_SIGN, LEPTON_FLAVOUR

#: Table I of seed 004: (threshold T above which Z_eff applies [keV], Z_eff), descending
Z_EFF_TABLE = {
    "Cs": [(35.99, 55), (5.71, 53), (5.36, 51), (5.01, 49), (1.21, 45), (1.07, 43), (1.0, 41), (0.74, 37),
           (0.73, 33), (0.23, 27), (0.17, 25), (0.16, 23), (0.0, 19)],
    "I": [(33.17, 53), (5.19, 51), (4.86, 49), (4.56, 47), (1.07, 43), (0.93, 41), (0.88, 39), (0.63, 35),
          (0.62, 31), (0.19, 25), (0.124, 23), (0.123, 21), (0.0, 17)],
}
#: nuclear charge of each atom (Z_eff at high recoil energy)
ATOM_Z = {"Cs": 55, "I": 53}


def z_eff(atom: str, t_er_kev: ArrayLike) -> NDArray[np.float64]:
    """Effective number of electrons of ``atom`` (``Cs``, ``I``) at recoil energy T [keV] (Table I)."""
    try:
        table = Z_EFF_TABLE[atom]
    except KeyError:
        raise UnknownNameError(f"no Z_eff table for {atom!r}; available: {', '.join(Z_EFF_TABLE)}") from None
    t = np.asarray(t_er_kev, dtype=float)
    out = np.full(t.shape, float(table[-1][1]))
    for threshold, z in reversed(table[:-1]):  # ascending thresholds: higher ones overwrite
        out = np.where(t > threshold, float(z), out)
    return out


def es_couplings(flavour: str, sin2_theta_w: float = SIN2_THETA_W_LOW_ENERGY) -> tuple[float, float]:
    """(g_V, g_A) of nu-e scattering for ``flavour`` (any of :data:`cevns.physics.couplings.LEPTON_FLAVOUR`;
    seed 004 after eq. 4: charged current for the electron flavour, g_A sign flipped for antineutrinos)."""
    lep = LEPTON_FLAVOUR[flavour]
    if lep == "e":
        gv, ga = 2 * sin2_theta_w + 0.5, 0.5
    else:
        gv, ga = 2 * sin2_theta_w - 0.5, -0.5
    return gv, ga * HELICITY_SIGN[flavour]


def t_max_electron_mev(e_nu_mev: ArrayLike) -> NDArray[np.float64]:
    """Maximum electron recoil 2E^2/(2E + m_e) [MeV]."""
    e = np.asarray(e_nu_mev, dtype=float)
    return 2 * e**2 / (2 * e + M_ELECTRON_MEV)


def e_min_electron_mev(t_mev: ArrayLike) -> NDArray[np.float64]:
    """Minimum neutrino energy for an electron recoil T: (T + sqrt(T^2 + 2 m_e T))/2 [MeV]."""
    t = np.asarray(t_mev, dtype=float)
    return 0.5 * (t + np.sqrt(t**2 + 2 * M_ELECTRON_MEV * t))


def es_dsigma_dt_cm2_per_mev(
    e_nu_mev: ArrayLike, t_mev: ArrayLike, gv: ArrayLike, ga: ArrayLike, z_effective: ArrayLike = 1.0
) -> NDArray[np.float64]:
    """SM-like ES cross section per atom (Z_eff electrons) [cm^2/MeV]; zero beyond T_max."""
    e = np.asarray(e_nu_mev, dtype=float)
    t = np.asarray(t_mev, dtype=float)
    gv, ga = np.asarray(gv, dtype=float), np.asarray(ga, dtype=float)
    val = (gv + ga) ** 2 + (gv - ga) ** 2 * (1 - t / e) ** 2 - (gv**2 - ga**2) * M_ELECTRON_MEV * t / e**2
    ok = (t >= 0) & (t <= t_max_electron_mev(e))
    return np.where(ok, np.asarray(z_effective) * G_FERMI_MEV2**2 * M_ELECTRON_MEV / (2 * np.pi) * val * HBARC2_MEV2_CM2, 0.0)


def es_prefactor_cm2_per_mev() -> float:
    """G_F^2 m_e / (2 pi) in cm^2/MeV: the unit of the ES kernels."""
    return G_FERMI_MEV2**2 * M_ELECTRON_MEV / (2 * np.pi) * HBARC2_MEV2_CM2
