"""Neutrino electromagnetic properties (seed 004 sec. 2.5), for CEvNS and nu-e scattering.

* ``magnetic-moment`` (``mu_nu_e``, ``mu_nu_mu`` in Bohr magnetons; anti-nu_mu takes
  mu_nu_mu): incoherent terms (pi alpha^2/m_e^2)(1/T - 1/E) mu^2 times Z^2 F_p^2 (CEvNS,
  eq. 18) or Z_eff(T) (ES, eq. 19).
* ``charge-radius`` (``r2_nu_ee``, ``r2_nu_mumu`` in cm^2): g_V^p -> g_V^p - Q_CR (CEvNS) and
  g_V -> g_V + Q_CR (ES), Q_CR = sqrt2 pi alpha <r^2> / (3 G_F) (eq. 22). Defaults 0: the
  SM values (-0.83, -0.48) x 10^-32 cm^2 of eq. (21) are given by
  :func:`sm_charge_radius_cm2` as the reference point to compare with.
* ``millicharge`` (``q_nu_ee``, ``q_nu_mumu`` in units of e): g_V^p -> g_V^p - Q_EC and
  g_V -> g_V + Q_EC with Q_EC = 2 sqrt2 pi alpha q_nu / (G_F q^2), q^2 = -2 M T (CEvNS) or
  -2 m_e T (ES) (eq. 23).
"""

from __future__ import annotations

import math

import numpy as np

from ..physics.constants import ALPHA_EM, G_FERMI_MEV2, HBARC_MEV_FM, M_ELECTRON_MEV, M_MUON_MEV
from ..physics.couplings import LEPTON_FLAVOUR
from .base import Model, Parameter, Terms, couplings_for, sm_charge, sm_like_es_terms

M_W_MEV = 80377.0  # PDG 2022
CM2_TO_MEV_MINUS2 = 1.0 / (HBARC_MEV_FM * 1e-13) ** 2


def sm_charge_radius_cm2(lepton: str) -> float:
    """SM charge radius <r^2> = -G_F/(2 sqrt2 pi^2) [3 - 2 ln(m_l^2/M_W^2)] (seed 004 eq. 21) [cm^2]."""
    m = {"e": M_ELECTRON_MEV, "mu": M_MUON_MEV}[lepton]
    r2 = -G_FERMI_MEV2 / (2 * math.sqrt(2) * math.pi**2) * (3 - 2 * math.log(m**2 / M_W_MEV**2))
    return r2 / CM2_TO_MEV_MINUS2


#: (pi alpha^2/m_e^2) in units of the ES kernels' G_F^2 m_e/(2 pi) (seed 004 eq. 19)
MAGNETIC_UNIT_ES = 2 * math.pi**2 * ALPHA_EM**2 / (G_FERMI_MEV2**2 * M_ELECTRON_MEV**3)


def magnetic_unit_nuclear(ik) -> np.ndarray:
    """(pi alpha^2/m_e^2) Z^2 F_p^2 in units of the nuclear kernels' G_F^2 M/pi (seed 004 eq. 18), (1, n_T)."""
    m_n, z = ik.isotope.mass_mev, ik.isotope.z
    return (math.pi * ALPHA_EM**2 / M_ELECTRON_MEV**2) * z**2 * ik.f_proton[None, :] ** 2 / (G_FERMI_MEV2**2 * m_n / math.pi)


def _flavour_param(prefix: str, f: str) -> str:
    return f"{prefix}_{'ee' if LEPTON_FLAVOUR[f] == 'e' else 'mumu'}"


class MagneticMoment(Model):
    """``magnetic-moment``."""

    def __init__(self) -> None:
        super().__init__("magnetic-moment", "effective neutrino magnetic moments (incoherent with the SM)",
                         "seed 004 eqs. (18)-(19)", {
                             "mu_nu_e": Parameter("mu_nu_e", 0.0, "mu_B", "effective nu_e magnetic moment",
                                                  "seed 004 eq. (18)", (0.0, 1e-6)),
                             "mu_nu_mu": Parameter("mu_nu_mu", 0.0, "mu_B", "effective nu_mu magnetic moment",
                                                   "seed 004 eq. (18)", (0.0, 1e-6)),
                         })

    @staticmethod
    def _mu(v, f):
        return v["mu_nu_e"] if LEPTON_FLAVOUR[f] == "e" else v["mu_nu_mu"]

    def terms_unnormalised(self, grid, v) -> Terms:
        cpl = couplings_for(grid)
        out: Terms = {}
        for ik in grid.isotopes:
            name = ik.isotope.name
            x = magnetic_unit_nuclear(ik)  # times (1/T - 1/E) = (m0 - m1)/T
            for f in grid.flavours:
                q = sm_charge(ik, *cpl[f])
                mu2 = self._mu(v, f)[:, None] ** 2
                out[("vector", name, f)] = np.broadcast_to(q * q, (mu2.shape[0], ik.t_nr_mev.size))
                out[("m0", name, f)] = mu2 * x / ik.t_nr_mev[None, :]
                out[("m1", name, f)] = -mu2 * x / ik.t_nr_mev[None, :]
        return out

    def es_terms(self, grid, v) -> Terms:
        out = super().es_terms(grid, v)
        for atom in grid.es_atoms:
            for f in grid.flavours:
                mu2 = self._mu(v, f)[:, None] ** 2
                out[("es_mm", atom.isotope.name, f)] = np.broadcast_to(MAGNETIC_UNIT_ES * mu2, (mu2.shape[0], atom.t_nr_mev.size))
        return out


class _ProtonShiftModel(Model):
    """Models that shift g_V^p (CEvNS) and g_V (ES) by a flavour-dependent amount."""

    prefix = ""

    def shift(self, v, f, q2_mev2):  # returns Q_X(q^2), shape (P, n_T)
        raise NotImplementedError

    def terms_unnormalised(self, grid, v) -> Terms:
        cpl = couplings_for(grid)
        out: Terms = {}
        for ik in grid.isotopes:
            z, n, name = ik.isotope.z, ik.isotope.n, ik.isotope.name
            fp, fn = ik.f_proton[None, :], ik.f_neutron[None, :]
            q2 = -2.0 * ik.isotope.mass_mev * ik.t_nr_mev[None, :]
            for f in grid.flavours:
                gp, gn = cpl[f]
                q = (gp - self.shift(v, f, q2)) * z * fp + gn * n * fn
                out[("vector", name, f)] = q * q
        return out

    def es_couplings_batch(self, flavour, grid, v, t_er_mev):
        gv, ga = super().es_couplings_batch(flavour, grid, v, t_er_mev)
        q2 = -2.0 * M_ELECTRON_MEV * np.asarray(t_er_mev)[None, :]
        return gv + self.shift(v, flavour, q2), ga


class ChargeRadius(_ProtonShiftModel):
    """``charge-radius``."""

    def __init__(self) -> None:
        super().__init__("charge-radius", "flavour-diagonal neutrino charge radii", "seed 004 eqs. (21)-(22)", {
            "r2_nu_ee": Parameter("r2_nu_ee", 0.0, "cm^2", "<r^2> of nu_e (SM: -0.83e-32)", "seed 004 eq. (22)",
                                  (-1e-29, 1e-29)),
            "r2_nu_mumu": Parameter("r2_nu_mumu", 0.0, "cm^2", "<r^2> of nu_mu (SM: -0.48e-32)", "seed 004 eq. (22)",
                                    (-1e-29, 1e-29)),
        })

    def shift(self, v, f, q2_mev2):
        r2 = v[_flavour_param("r2_nu", f)][:, None] * CM2_TO_MEV_MINUS2
        shape = np.broadcast_shapes(r2.shape, q2_mev2.shape)
        return np.broadcast_to(math.sqrt(2) * math.pi * ALPHA_EM / (3 * G_FERMI_MEV2) * r2, shape)


class Millicharge(_ProtonShiftModel):
    """``millicharge``."""

    def __init__(self) -> None:
        super().__init__("millicharge", "flavour-diagonal neutrino electric charges", "seed 004 eq. (23)", {
            "q_nu_ee": Parameter("q_nu_ee", 0.0, "e", "nu_e electric charge", "seed 004 eq. (23)", (-1e-5, 1e-5)),
            "q_nu_mumu": Parameter("q_nu_mumu", 0.0, "e", "nu_mu electric charge", "seed 004 eq. (23)", (-1e-5, 1e-5)),
        })

    def shift(self, v, f, q2_mev2):
        qn = v[_flavour_param("q_nu", f)][:, None]
        return 2 * math.sqrt(2) * math.pi * ALPHA_EM / G_FERMI_MEV2 * qn / q2_mev2


__all__ = ["ChargeRadius", "MagneticMoment", "Millicharge", "sm_charge_radius_cm2", "sm_like_es_terms"]
