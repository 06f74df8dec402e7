"""Flavour composition of solar neutrinos at Earth: adiabatic MSW conversion (issue #14).

A nu_e produced at electron density n_e leaves the Sun, adiabatically, as an incoherent
mixture of mass eigenstates with probabilities (Mikheyev-Smirnov-Wolfenstein; e.g.
PDG 2022 review "Neutrino masses, mixing and oscillations", sec. 14.5)

    P_1 = c13^2 cos^2 theta_12^m,   P_2 = c13^2 sin^2 theta_12^m,   P_3 = s13^2,
    cos 2 theta_12^m = (cos 2 theta_12 - beta) / sqrt((cos 2 theta_12 - beta)^2 + sin^2 2 theta_12),
    beta = 2 sqrt2 G_F c13^2 n_e E / Delta m^2_21,

so that the probability to detect flavour alpha is P_ea = sum_i P_i |U_ai|^2, and
P_ee = c13^4 (1/2 + 1/2 cos 2 theta_12^m cos 2 theta_12) + s13^4. Limits: beta -> 0 gives the
vacuum average c13^4 (1 - sin^2 2 theta_12 / 2) + s13^4; beta -> infinity gives
c13^4 sin^2 theta_12 + s13^4. Neglected: the matter effect on theta_13 (beta Delta m^2_21 /
Delta m^2_31 < 0.06 for 8B), the day-night (Earth matter) effect (A_DN = -3 % measured by
Super-Kamiokande, PRD 94 (2016) 052010, i.e. < 1 % on P_ee), and non-adiabatic jumps
(negligible for the LMA solution).

The average over the 8B production region uses the electron density of the Sun
n_e(r) = 245 N_A cm^-3 exp(-10.54 r/R_sun) (Bahcall, "Neutrino Astrophysics", CUP 1989,
sec. 6.1, the exponential fit to the standard solar model) and a Gaussian production
profile in r centred at 0.045 R_sun with width 0.015 R_sun, an approximation of the 8B
production distribution of the standard solar models (peak near 0.045 R_sun; Bahcall,
Serenelli & Basu, ApJ 621 (2005) L85). The exponential overestimates n_e in the core
(~145 vs ~90 N_A cm^-3 at 0.05 R_sun); this lowers P_ee at 10 MeV by about 0.01, below
the effect of the theta_12 uncertainty. Pure functions, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .constants import AVOGADRO, G_FERMI_MEV2, HBARC_MEV_FM


@dataclass(frozen=True)
class MixingParameters:
    """Three-flavour mixing (normal ordering) for the solar flavour composition.

    Defaults: PDG 2022 (R.L. Workman et al., PTEP 2022, 083C01) "Neutrino mixing" summary
    table: sin^2 theta_12 = 0.307 +- 0.013, Delta m^2_21 = (7.53 +- 0.18) 10^-5 eV^2,
    sin^2 theta_13 = (2.20 +- 0.07) 10^-2, sin^2 theta_23 = 0.546 +- 0.021 (normal
    ordering), delta_CP = 1.36 pi.
    """

    sin2_theta12: float = 0.307
    sin2_theta13: float = 0.0220
    sin2_theta23: float = 0.546
    delta_cp: float = 1.36 * np.pi
    dm2_21_ev2: float = 7.53e-5

    def pmns_abs2(self) -> NDArray[np.float64]:
        """|U_ai|^2, rows (e, mu, tau), columns (1, 2, 3) (standard PDG parametrisation)."""
        s12, s13, s23 = (np.sqrt(x) for x in (self.sin2_theta12, self.sin2_theta13, self.sin2_theta23))
        c12, c13, c23 = (np.sqrt(1.0 - x) for x in (self.sin2_theta12, self.sin2_theta13, self.sin2_theta23))
        ed = np.exp(1j * self.delta_cp)
        u = np.array([
            [c12 * c13, s12 * c13, s13 / ed],
            [-s12 * c23 - c12 * s23 * s13 * ed, c12 * c23 - s12 * s23 * s13 * ed, s23 * c13],
            [s12 * s23 - c12 * c23 * s13 * ed, -c12 * s23 - s12 * c23 * s13 * ed, c23 * c13],
        ])
        return np.abs(u) ** 2


#: PDG 2022 values (see :class:`MixingParameters`).
PDG2022_MIXING = MixingParameters()

#: sqrt2 G_F N_A cm^-3 [eV]: the matter potential per mole of electrons per cm^3 (7.63e-14 eV).
V_PER_MOLE_CM3_EV = float(np.sqrt(2.0) * G_FERMI_MEV2 * AVOGADRO * (HBARC_MEV_FM * 1e-13) ** 3 * 1e6)

#: Bahcall 1989 exponential electron density n_e = N0 exp(-k r/R_sun): N0 [N_A cm^-3] and k
SUN_NE0_MOLE_CM3, SUN_NE_SLOPE = 245.0, 10.54
#: 8B production profile (Gaussian in r/R_sun): centre and width (module docstring)
B8_PRODUCTION_R, B8_PRODUCTION_WIDTH = 0.045, 0.015


def beta_msw(e_nu_mev: ArrayLike, n_e_mole_cm3: ArrayLike, mix: MixingParameters = PDG2022_MIXING) -> NDArray[np.float64]:
    """beta = 2 sqrt2 G_F c13^2 n_e E / Delta m^2_21 (dimensionless); n_e in N_A cm^-3."""
    c13sq = 1.0 - mix.sin2_theta13
    e_ev = np.asarray(e_nu_mev, dtype=float) * 1e6
    return 2.0 * V_PER_MOLE_CM3_EV * np.asarray(n_e_mole_cm3, dtype=float) * c13sq * e_ev / mix.dm2_21_ev2


def mass_state_probabilities(beta: ArrayLike, mix: MixingParameters = PDG2022_MIXING) -> NDArray[np.float64]:
    """(P_1, P_2, P_3) of a nu_e produced at ``beta`` (stacked on a new last axis)."""
    b = np.asarray(beta, dtype=float)
    cos2 = 1.0 - 2.0 * mix.sin2_theta12
    sin2 = 2.0 * np.sqrt(mix.sin2_theta12 * (1.0 - mix.sin2_theta12))
    cos2m = (cos2 - b) / np.sqrt((cos2 - b) ** 2 + sin2**2)
    c13sq = 1.0 - mix.sin2_theta13
    return np.stack([c13sq * 0.5 * (1.0 + cos2m), c13sq * 0.5 * (1.0 - cos2m),
                     np.full_like(b, mix.sin2_theta13)], axis=-1)


def flavour_probabilities(beta: ArrayLike, mix: MixingParameters = PDG2022_MIXING) -> NDArray[np.float64]:
    """(P_ee, P_emu, P_etau) at ``beta`` (new last axis); they sum to 1."""
    return mass_state_probabilities(beta, mix) @ mix.pmns_abs2().T


def b8_production_average(e_nu_mev: ArrayLike, mix: MixingParameters = PDG2022_MIXING,
                          n_nodes: int = 41) -> NDArray[np.float64]:
    """(P_ee, P_emu, P_etau) at each energy averaged over the 8B production region, shape ``E.shape + (3,)``."""
    x, w = np.polynomial.hermite_e.hermegauss(n_nodes)  # weight exp(-x^2/2)
    r = np.clip(B8_PRODUCTION_R + B8_PRODUCTION_WIDTH * x, 0.0, None)
    w = w / w.sum()
    n_e = SUN_NE0_MOLE_CM3 * np.exp(-SUN_NE_SLOPE * r)
    e = np.asarray(e_nu_mev, dtype=float)
    probs = flavour_probabilities(beta_msw(e[..., None], n_e, mix), mix)  # (..., nodes, 3)
    return np.einsum("...ka,k->...a", probs, w)


def p_ee_vacuum_average(mix: MixingParameters = PDG2022_MIXING) -> float:
    """Low-energy limit c13^4 (1 - sin^2 2 theta_12 / 2) + s13^4."""
    s13, c13 = mix.sin2_theta13, 1.0 - mix.sin2_theta13
    sin2_2t12 = 4.0 * mix.sin2_theta12 * (1.0 - mix.sin2_theta12)
    return c13**2 * (1.0 - 0.5 * sin2_2t12) + s13**2


def p_ee_adiabatic_limit(mix: MixingParameters = PDG2022_MIXING) -> float:
    """High-density limit c13^4 sin^2 theta_12 + s13^4."""
    return (1.0 - mix.sin2_theta13) ** 2 * mix.sin2_theta12 + mix.sin2_theta13**2
