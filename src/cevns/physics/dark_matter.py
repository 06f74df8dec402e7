"""Spin-independent WIMP-nucleus recoil spectrum in the standard halo model.

Used to check a dark-matter detector's released response against the collaboration's own
dark-matter limits (XENONnT SR0-SR2: the release's ``limits/sr2`` table, arXiv:2604.06002;
``scripts/xenonnt_dm_limit_check.py``), the one published SR0-SR2 number the release carries.

dR/dE_R per target nucleus (J.D. Lewin and P.F. Smith, Astropart. Phys. 6 (1996) 87, eq. 3.1
with the SI cross section of their sec. 7):

    dR/dE_R = rho_chi / m_chi * m_N * sigma_p A^2 / (2 mu_p^2) * F^2(q) * eta(v_min),
    v_min = sqrt(m_N E_R / (2 mu_N^2)),

with equal couplings to protons and neutrons, F the Helm form factor with the Lewin-Smith
radius (their eq. 4.11: c = 1.23 A^(1/3) - 0.60 fm, a = 0.52 fm, s = 0.9 fm), and the mean
inverse speed eta(v_min) = int d^3v f(v)/v |_{v > v_min} of a Maxwell-Boltzmann distribution
truncated at v_esc in the galactic frame, boosted to the Earth, in the closed form of
C. McCabe, PRD 82 (2010) 023530, eqs. (A3)-(A5) (equivalently Savage, Freese, Gondolo, PRD 74
(2006) 043531). Halo parameters: the conventions of D. Baxter et al., EPJC 81 (2021) 907
("Recommended conventions for reporting results from direct dark matter searches"), sec. 2,
which XENONnT follows: rho_chi = 0.3 GeV/cm^3, v_0 = 238 km/s, v_esc = 544 km/s and the
annually averaged Earth speed |v_sun| = |(11.1, 12.24 + 238, 7.25)| km/s = 250.5 km/s (the
Earth's orbital motion averages out over a year to first order).

Units: MeV and fm inside; velocities in km/s at the surface (``*_km_s``), converted with
:data:`C_KM_S`. No I/O; vectorised over recoil energies.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import erf

from ..errors import ParameterError
from . import constants as c
from .form_factors import HELM_SKIN_FM, helm, momentum_transfer_mev
from .nuclei import Isotope

#: speed of light [km/s] (exact, SI).
C_KM_S = 299792.458
#: local dark-matter density [GeV/cm^3] (Baxter et al. 2021, sec. 2.1).
RHO_CHI_GEV_CM3 = 0.3
#: most probable speed v_0 of the galactic-frame Maxwellian [km/s] (Baxter et al. 2021, sec. 2.2).
V0_KM_S = 238.0
#: galactic escape speed [km/s] (Baxter et al. 2021, sec. 2.2).
V_ESC_KM_S = 544.0
#: annually averaged Earth speed in the galactic frame [km/s]: |v_sun| with v_sun =
#: (11.1, 12.24 + v_0, 7.25) km/s (Baxter et al. 2021, eqs. 8-9).
V_EARTH_KM_S = math.sqrt(11.1**2 + (12.24 + V0_KM_S) ** 2 + 7.25**2)
#: Lewin-Smith Helm parameters [fm] (Lewin and Smith 1996, eq. 4.11 and after).
LEWIN_SMITH_A_FM = 0.52
#: GeV per MeV.
_MEV_PER_GEV = 1000.0


def lewin_smith_helm_rms_radius_fm(mass_number: int) -> float:
    """rms radius [fm] of the Lewin-Smith Helm nucleus: R_n^2 = c^2 + 7/3 pi^2 a^2 - 5 s^2 with
    c = 1.23 A^(1/3) - 0.60 fm (Lewin and Smith 1996, eq. 4.11); the Helm box of radius R_n
    smeared by a Gaussian of width s has R_rms^2 = 3/5 R_n^2 + 3 s^2 (the inverse of the box
    radius used by :func:`cevns.physics.form_factors.helm`)."""
    c_fm = 1.23 * mass_number ** (1.0 / 3.0) - 0.60
    rn2 = c_fm**2 + 7.0 / 3.0 * math.pi**2 * LEWIN_SMITH_A_FM**2 - 5.0 * HELM_SKIN_FM**2
    return math.sqrt(0.6 * rn2 + 3.0 * HELM_SKIN_FM**2)


def mean_inverse_speed_per_km_s(
    v_min_km_s: ArrayLike,
    v0_km_s: float = V0_KM_S,
    v_esc_km_s: float = V_ESC_KM_S,
    v_earth_km_s: float = V_EARTH_KM_S,
) -> NDArray[np.float64]:
    """eta(v_min) = int_{v > v_min} d^3v f(v)/v [(km/s)^-1] of the truncated Maxwellian seen
    from the Earth (McCabe 2010, eqs. A3-A5); zero above v_esc + v_earth."""
    if not (v0_km_s > 0 and v_esc_km_s > 0 and v_earth_km_s > 0):
        raise ParameterError("the halo speeds v0, v_esc and v_earth must be positive (km/s)")
    if v_earth_km_s > v_esc_km_s:
        raise ParameterError("v_earth > v_esc is outside the closed form used here (McCabe 2010 assumes v_E < v_esc)")
    x = np.asarray(v_min_km_s, dtype=float) / v0_km_s
    y = v_earth_km_s / v0_km_s
    z = v_esc_km_s / v0_km_s
    n_esc = erf(z) - 2.0 / math.sqrt(math.pi) * z * math.exp(-(z**2))
    pref = 1.0 / (2.0 * n_esc * v0_km_s * y)
    low = pref * (erf(x + y) - erf(x - y) - 4.0 / math.sqrt(math.pi) * y * math.exp(-(z**2)))
    mid = pref * (erf(z) - erf(x - y) - 2.0 / math.sqrt(math.pi) * (y + z - x) * math.exp(-(z**2)))
    out = np.where(x < abs(y - z), low, np.where(x < y + z, mid, 0.0))
    return np.maximum(out, 0.0)


def wimp_si_rate_per_t_yr_kev(
    recoil_kev: ArrayLike,
    wimp_mass_gev: float,
    sigma_p_cm2: float,
    isotopes: list[tuple[Isotope, float]],
    rho_gev_cm3: float = RHO_CHI_GEV_CM3,
    v0_km_s: float = V0_KM_S,
    v_esc_km_s: float = V_ESC_KM_S,
    v_earth_km_s: float = V_EARTH_KM_S,
) -> NDArray[np.float64]:
    """Spin-independent WIMP recoil rate dR/dE_R [events / (t yr keVnr)] on a target of
    ``isotopes`` (``(isotope, abundance)`` by number, abundances summing to 1), for a WIMP of
    ``wimp_mass_gev`` and WIMP-nucleon cross section ``sigma_p_cm2`` (isospin-conserving), from
    the formula of the module docstring."""
    if wimp_mass_gev <= 0 or sigma_p_cm2 < 0:
        raise ParameterError("the WIMP mass must be positive (GeV) and the cross section non-negative (cm^2)")
    t_kev = np.asarray(recoil_kev, dtype=float)
    m_chi = wimp_mass_gev * _MEV_PER_GEV
    m_p = c.M_PROTON_MEV
    mu_p = m_chi * m_p / (m_chi + m_p)
    molar_mass_g = sum(iso.atomic_mass_u * ab for iso, ab in isotopes)
    nuclei_per_tonne = c.AVOGADRO * 1e6 / molar_mass_g
    n_chi_per_cm3 = rho_gev_cm3 * _MEV_PER_GEV / m_chi
    total = np.zeros_like(t_kev)
    for iso, abundance in isotopes:
        m_n = iso.mass_mev
        mu_n = m_chi * m_n / (m_chi + m_n)
        t_mev = t_kev * 1e-3
        v_min = np.sqrt(m_n * t_mev / (2.0 * mu_n**2)) * C_KM_S
        eta_s_per_cm = mean_inverse_speed_per_km_s(v_min, v0_km_s, v_esc_km_s, v_earth_km_s) / 1e5
        ff = helm(momentum_transfer_mev(t_mev, m_n), lewin_smith_helm_rms_radius_fm(iso.a))
        # d sigma / dE_R = m_N sigma_p A^2 / (2 mu_p^2 v^2) F^2 [cm^2 / MeV] (c = 1 in the masses);
        # the 1/v^2 -> eta/v with c^2 to turn (cm/s)^-1 x c^2 / MeV into per second per MeV
        dsig_de = m_n * sigma_p_cm2 * iso.a**2 / (2.0 * mu_p**2) * ff**2 * (C_KM_S * 1e5) ** 2
        rate_per_s_mev = n_chi_per_cm3 * dsig_de * eta_s_per_cm
        total += abundance * nuclei_per_tonne * rate_per_s_mev * c.SECONDS_PER_YEAR * 1e-3
    return total
