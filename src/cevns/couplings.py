"""Standard-Model neutrino-nucleon vector couplings g_V^p, g_V^n per neutrino flavour.

Two conventions:

* tree level from sin^2(theta_W): g_V^p = 1/2 - 2 sin^2(theta_W), g_V^n = -1/2
  (seed 004 eq. 2), flavour independent; default sin^2 = 0.23857 (low-energy MSbar).
* radiatively corrected, flavour dependent (seed 002 eq. 12 = seed 001 eqs. 2.2-2.4,
  from Erler & Su 2013 as evaluated by Cadeddu et al. 2020):
  g_V^p(nu_e) = 0.0401, g_V^p(nu_mu) = 0.0318, g_V^n = -0.5094.

Antineutrinos have the same vector couplings for CEvNS (the cross section of seed 002
eq. 10 is the same for nu and nu-bar); the anti-nu_mu of the SNS flux takes the nu_mu
values.
"""

from __future__ import annotations

from dataclasses import dataclass

from .constants import SIN2_THETA_W_LOW_ENERGY
from .errors import UnknownNameError

#: The three flavours of a stopped-pion source, in this order everywhere in cevns.
FLAVOURS = ("nu_e", "nu_mu", "nu_mu_bar")

#: Which lepton flavour each SNS neutrino species carries.
LEPTON_FLAVOUR = {"nu_e": "e", "nu_mu": "mu", "nu_mu_bar": "mu"}

#: +1 for neutrinos, -1 for antineutrinos (BSM vector terms flip sign relative to the SM
#: one for antineutrinos, seed 001 sec. 3 last paragraph).
HELICITY_SIGN = {"nu_e": 1, "nu_mu": 1, "nu_mu_bar": -1}


@dataclass(frozen=True)
class NucleonCouplings:
    """g_V^p and g_V^n for one neutrino flavour."""

    proton: float
    neutron: float


def tree_level(sin2_theta_w: float = SIN2_THETA_W_LOW_ENERGY) -> dict[str, NucleonCouplings]:
    """Tree-level couplings for every SNS flavour (seed 004 eq. 2)."""
    cpl = NucleonCouplings(0.5 - 2.0 * sin2_theta_w, -0.5)
    return {f: cpl for f in FLAVOURS}


#: Radiatively corrected couplings, seed 002 eq. (12).
RADIATIVE_PROTON = {"e": 0.0401, "mu": 0.0318}
RADIATIVE_NEUTRON = -0.5094


def radiative() -> dict[str, NucleonCouplings]:
    """Radiatively corrected flavour-dependent couplings (seed 002 eq. 12)."""
    return {
        f: NucleonCouplings(RADIATIVE_PROTON[LEPTON_FLAVOUR[f]], RADIATIVE_NEUTRON) for f in FLAVOURS
    }


def sm_couplings(scheme: str = "radiative", sin2_theta_w: float = SIN2_THETA_W_LOW_ENERGY) -> dict[str, NucleonCouplings]:
    """Couplings by scheme name: ``radiative`` (seed 002 eq. 12) or ``tree`` (seed 004 eq. 2)."""
    if scheme == "radiative":
        return radiative()
    if scheme == "tree":
        return tree_level(sin2_theta_w)
    raise UnknownNameError(f"unknown coupling scheme {scheme!r}; choose 'radiative' or 'tree'")
