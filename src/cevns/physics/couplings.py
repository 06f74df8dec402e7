"""Standard-Model neutrino-nucleon vector couplings g_V^p, g_V^n per neutrino flavour.

Two conventions:

* tree level from sin^2(theta_W): g_V^p = 1/2 - 2 sin^2(theta_W), g_V^n = -1/2
  (seed 004 eq. 2), flavour independent; default sin^2 = 0.23857 (low-energy MSbar).
* radiatively corrected, flavour dependent (seed 002 eq. 12 = seed 001 eqs. 2.2-2.4,
  from Erler & Su 2013 as evaluated by Cadeddu et al. 2020):
  g_V^p(nu_e) = 0.0401, g_V^p(nu_mu) = 0.0318, g_V^n = -0.5094. The flavour dependence is
  the neutrino charge radius, -(alpha/3pi) ln(m_l^2) up to a constant (Erler & Su 2013):
  (alpha/3pi) ln(m_mu^2/m_e^2) = 0.0083 is the e-mu difference above, and the same term
  gives g_V^p(nu_tau) = 0.0318 - (alpha/3pi) ln(m_tau^2/m_mu^2) = 0.0274 (the converted solar
  flux holds nu_tau, issue #14).

Antineutrinos have the same vector couplings for CEvNS (the cross section of seed 002
eq. 10 is the same for nu and nu-bar); the anti-nu_mu of the SNS flux takes the nu_mu
values. The flavours are those of the source (``source.flavours``), passed in: nothing
here assumes a stopped-pion source.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import UnknownNameError
from .constants import SIN2_THETA_W_LOW_ENERGY

#: Which lepton flavour each neutrino species carries (flavour names of every source).
LEPTON_FLAVOUR = {"nu_e": "e", "nu_mu": "mu", "nu_tau": "tau", "nu_e_bar": "e", "nu_mu_bar": "mu", "nu_tau_bar": "tau"}

#: +1 for neutrinos, -1 for antineutrinos (BSM vector terms flip sign relative to the SM
#: one for antineutrinos, seed 001 sec. 3 last paragraph).
HELICITY_SIGN = {"nu_e": 1, "nu_mu": 1, "nu_tau": 1, "nu_e_bar": -1, "nu_mu_bar": -1, "nu_tau_bar": -1}


@dataclass(frozen=True)
class NucleonCouplings:
    """g_V^p and g_V^n for one neutrino flavour."""

    proton: float
    neutron: float


def _check_flavours(flavours: Sequence[str]) -> None:
    unknown = [f for f in flavours if f not in LEPTON_FLAVOUR]
    if unknown:
        raise UnknownNameError(f"unknown flavour(s) {', '.join(unknown)}; known: {', '.join(LEPTON_FLAVOUR)}")


def tree_level(flavours: Sequence[str], sin2_theta_w: float = SIN2_THETA_W_LOW_ENERGY) -> dict[str, NucleonCouplings]:
    """Tree-level couplings for each of ``flavours`` (seed 004 eq. 2)."""
    _check_flavours(flavours)
    cpl = NucleonCouplings(0.5 - 2.0 * sin2_theta_w, -0.5)
    return {f: cpl for f in flavours}


#: Radiatively corrected couplings, seed 002 eq. (12).
RADIATIVE_PROTON = {"e": 0.0401, "mu": 0.0318, "tau": 0.0274}
RADIATIVE_NEUTRON = -0.5094


def radiative(flavours: Sequence[str]) -> dict[str, NucleonCouplings]:
    """Radiatively corrected flavour-dependent couplings for each of ``flavours`` (seed 002 eq. 12
    for e and mu; tau from the charge-radius term, module docstring)."""
    _check_flavours(flavours)
    missing = [f for f in flavours if LEPTON_FLAVOUR[f] not in RADIATIVE_PROTON]
    if missing:
        raise UnknownNameError(f"no radiative couplings for {', '.join(missing)} (seed 002 eq. 12 gives e and mu)")
    return {
        f: NucleonCouplings(RADIATIVE_PROTON[LEPTON_FLAVOUR[f]], RADIATIVE_NEUTRON) for f in flavours
    }


def sm_couplings(
    flavours: Sequence[str], scheme: str = "radiative", sin2_theta_w: float = SIN2_THETA_W_LOW_ENERGY
) -> dict[str, NucleonCouplings]:
    """Couplings of ``flavours`` (a source's) by scheme name: ``radiative`` (seed 002 eq. 12) or
    ``tree`` (seed 004 eq. 2)."""
    if scheme == "radiative":
        return radiative(flavours)
    if scheme == "tree":
        return tree_level(flavours, sin2_theta_w)
    raise UnknownNameError(f"unknown coupling scheme {scheme!r}; choose 'radiative' or 'tree'")
