"""Sterile neutrinos (seed 004 sec. 2.6): 3+1 oscillations and transition magnetic moments.

``sterile-osc`` (``dm2_41_ev2``, ``sin2_2theta_14``, ``sin2_2theta_24``): the flux of each
flavour is multiplied by its survival probability (eqs. 24-25)

    P_aa(E) = 1 - sin^2(2 theta_a4) < sin^2(1.267 dm2[eV^2] L[m] / E[MeV]) >,

i.e. the *rate* scales with P (seed 004 writes Q -> Q P, which would square it; the rate of
a disappearing flux is linear in P). < > is the average over the baseline spread: a
uniform distribution of +-0.5 m around L (the SNS mercury target and the detectors are
~1 m across), done in closed form, so fast oscillations average to 1 - sin^2(2 theta)/2.
The energy integral uses Gauss-Legendre nodes on [E_min(T), m_mu/2] per recoil node.

``tmm-sterile`` (``m4_mev``, ``mu_nu_e``, ``mu_nu_mu`` in Bohr magnetons): up-scattering
nu + N -> nu_4 + N through a transition magnetic moment (eq. 26) with the kinematic limit
of eq. (27) (footnote 7: the neutrino-energy threshold rises with m4), for CEvNS and, when
switched on, for ES (m_N -> m_e, Z^2 F^2 -> Z_eff).
"""

from __future__ import annotations

import numpy as np

from ..physics.constants import M_ELECTRON_MEV
from ..physics.couplings import LEPTON_FLAVOUR
from ..physics.cross_sections import e_min_mev, kinematic_moment_kernels, vector_kinematic_kernel
from ..physics.electron_scattering import e_min_electron_mev
from ..sources.base import Source
from .base import Model, Parameter, Terms, couplings_for, sm_charge
from .electromagnetic import MAGNETIC_UNIT_ES, magnetic_unit_nuclear

BASELINE_HALF_SPREAD_M = 0.5
OSC_PHASE_PER_EV2_M_PER_MEV = 1.26693  # Delta m^2 L / (4 E) in natural units, with eV^2, m, MeV


def averaged_sin2(dm2_ev2, e_mev, baseline_m: float, half_spread_m: float = BASELINE_HALF_SPREAD_M):
    """< sin^2(1.267 dm2 L/E) > over L uniform in [L - d, L + d] (closed form; broadcasts)."""
    a = OSC_PHASE_PER_EV2_M_PER_MEV * np.asarray(dm2_ev2, dtype=float) / np.asarray(e_mev, dtype=float)
    if half_spread_m <= 0:
        return np.sin(a * baseline_m) ** 2
    hi, lo = baseline_m + half_spread_m, baseline_m - half_spread_m
    small = np.abs(a) * half_spread_m < 1e-6
    a_safe = np.where(small, 1.0, a)
    avg = 0.5 - (np.sin(2 * a_safe * hi) - np.sin(2 * a_safe * lo)) / (8 * a_safe * half_spread_m)
    return np.where(small, np.sin(a * baseline_m) ** 2, avg)


def survival_probability(dm2_ev2, sin2_2theta, e_mev, baseline_m: float, half_spread_m: float = BASELINE_HALF_SPREAD_M):
    """P_aa(E) of seed 004 eqs. (24)-(25), averaged over the baseline spread."""
    return 1.0 - np.asarray(sin2_2theta) * averaged_sin2(dm2_ev2, e_mev, baseline_m, half_spread_m)


def _oscillated_ratio(source: Source, flavour: str, t_mev, mass_mev: float, dm2, s22, baseline_m: float,
                      n_e: int = 96):
    """k_f^osc(T) / k_f(T) for a batch (P,) of (dm2, sin^2 2theta): the factor on the vector term.

    k_f^osc = int phi_f (1 - M T/2E^2) P_aa(E) dE with the source's spectrum quadrature
    (``n_e`` nodes); k_f the closed-form vector kernel. Zero-kernel nodes (beyond the end
    point) get 1.
    """
    t = np.asarray(t_mev, dtype=float)
    dm2 = np.asarray(dm2, dtype=float)[:, None]
    s22 = np.asarray(s22, dtype=float)[:, None]
    e, we = source.spectrum(flavour).quadrature(e_min_mev(t, mass_mev), n_e)  # (n_T, n_e) each
    base = we * (1.0 - mass_mev * t[:, None] / (2 * e**2))  # (n_T, n_e)
    k = vector_kinematic_kernel(source, flavour, t, mass_mev)
    out = np.ones((dm2.shape[0], t.size))
    for dm2_value in np.unique(dm2):  # the E integral once per distinct mass splitting
        rows = dm2[:, 0] == dm2_value
        osc = np.sum(base * averaged_sin2(dm2_value, e, baseline_m), axis=1)  # (n_T,)
        frac = np.where(k > 0, osc / np.where(k > 0, k, 1.0), 0.0)
        out[rows] = 1.0 - s22[rows] * frac[None, :]
    return out


class SterileOscillation(Model):
    """``sterile-osc``."""

    def __init__(self) -> None:
        super().__init__("sterile-osc", "3+1 active-to-sterile oscillations of the SNS flux", "seed 004 eqs. (24)-(25)", {
            "dm2_41_ev2": Parameter("dm2_41_ev2", 1.0, "eV^2", "Delta m^2_41", "seed 004 eq. (24)", (1e-3, 1e4)),
            "sin2_2theta_14": Parameter("sin2_2theta_14", 0.0, "", "sin^2(2 theta_14) (nu_e disappearance)",
                                        "seed 004 eq. (24)", (0.0, 1.0)),
            "sin2_2theta_24": Parameter("sin2_2theta_24", 0.0, "", "sin^2(2 theta_24) (nu_mu disappearance)",
                                        "seed 004 eq. (25)", (0.0, 1.0)),
        })

    def terms_unnormalised(self, grid, v) -> Terms:
        cpl = couplings_for(grid)
        baseline = float(grid.baseline_m)
        out: Terms = {}
        for ik in grid.isotopes:
            for f in grid.flavours:
                s22 = v["sin2_2theta_14"] if LEPTON_FLAVOUR[f] == "e" else v["sin2_2theta_24"]
                ratio = _oscillated_ratio(grid.source, f, ik.t_nr_mev, ik.isotope.mass_mev, v["dm2_41_ev2"], s22,
                                          baseline)
                q = sm_charge(ik, *cpl[f])
                out[("vector", ik.isotope.name, f)] = q * q * ratio
        return out


def tmm_emin_mev(t_mev, target_mass_mev: float, m4_mev):
    """Neutrino-energy threshold for up-scattering to mass m4 (seed 004 eq. 27 solved for E):
    E_min = sqrt(M T/2) (1 + m4^2/(2 M T)); reduces to sqrt(M T/2) for m4 = 0."""
    t = np.asarray(t_mev, dtype=float)
    return np.sqrt(target_mass_mev * t / 2.0) * (1.0 + np.asarray(m4_mev) ** 2 / (2.0 * target_mass_mev * t))


def tmm_flux_averaged(source: Source, flavour: str, t_mev, target_mass_mev: float, m4_mev):
    """int dE phi_f(E) [1/T - 1/E - m4^2/(2 E T M)(1 - T/(2E) + M/(2E)) + m4^4 (T - M)/(8 E^2 T^2 M^2)]
    over E >= E_min(T, m4) (eq. 26 bracket), phi_f the spectrum of ``flavour`` of ``source``,
    for a batch of m4 (P, 1) -> (P, n_T) [MeV^-1]."""
    t = np.asarray(t_mev, dtype=float)[None, :]
    m4 = np.asarray(m4_mev, dtype=float)[:, None]
    mm = target_mass_mev
    emin = tmm_emin_mev(t, mm, m4)
    m0, m1, m2 = source.inverse_moments(flavour, emin)  # int phi E^-n
    a = 1.0 / t
    b = -1.0 - m4**2 / (2 * t * mm)  # coefficient of 1/E
    c = m4**2 / (2 * t * mm) * (t / 2.0 - mm / 2.0) + m4**4 * (t - mm) / (8 * t**2 * mm**2)  # of 1/E^2
    return np.clip(a * m0 + b * m1 + c * m2, 0.0, None)


class TransitionMagneticMomentSterile(Model):
    """``tmm-sterile``."""

    def __init__(self) -> None:
        super().__init__("tmm-sterile", "transition magnetic moment up-scattering to a sterile neutrino of mass m4",
                         "seed 004 eqs. (26)-(27)", {
                             "m4_mev": Parameter("m4_mev", 1.0, "MeV", "sterile neutrino mass", "seed 004 eq. (26)",
                                                 (0.0, 60.0)),
                             "mu_nu_e": Parameter("mu_nu_e", 0.0, "mu_B", "nu_e -> nu_4 transition moment",
                                                  "seed 004 eq. (26)", (0.0, 1e-5)),
                             "mu_nu_mu": Parameter("mu_nu_mu", 0.0, "mu_B", "nu_mu -> nu_4 transition moment",
                                                   "seed 004 eq. (26)", (0.0, 1e-5)),
                         })

    @staticmethod
    def _mu(v, f):
        return v["mu_nu_e"] if LEPTON_FLAVOUR[f] == "e" else v["mu_nu_mu"]

    def terms_unnormalised(self, grid, v) -> Terms:
        cpl = couplings_for(grid)
        out: Terms = {}
        for ik in grid.isotopes:
            name, mm = ik.isotope.name, ik.isotope.mass_mev
            unit = magnetic_unit_nuclear(ik)
            for f in grid.flavours:
                q = sm_charge(ik, *cpl[f])
                out[("vector", name, f)] = np.broadcast_to(q * q, (v["m4_mev"].size, ik.t_nr_mev.size))
                x = tmm_flux_averaged(grid.source, f, ik.t_nr_mev, mm, v["m4_mev"])
                m0_sm = kinematic_moment_kernels(grid.source, f, ik.t_nr_mev, mm)["m0"][None, :]
                # express int phi [...] through the m0 kernel (same T nodes and response)
                out[("m0", name, f)] = self._mu(v, f)[:, None] ** 2 * unit * np.where(m0_sm > 0, x / np.where(
                    m0_sm > 0, m0_sm, 1.0), 0.0)
        return out

    def es_terms(self, grid, v) -> Terms:
        out = super().es_terms(grid, v)
        unit = MAGNETIC_UNIT_ES
        for atom in grid.es_atoms:
            t = atom.t_nr_mev
            for f in grid.flavours:
                x = tmm_flux_averaged(grid.source, f, t, M_ELECTRON_MEV, v["m4_mev"])
                m0_sm = grid.source.inverse_moments(f, e_min_electron_mev(t))[0][None, :]
                out[("es_m0", atom.isotope.name, f)] = out[("es_m0", atom.isotope.name, f)] + \
                    self._mu(v, f)[:, None] ** 2 * unit * np.where(m0_sm > 0, x / np.where(m0_sm > 0, m0_sm, 1.0), 0.0)
        return out
