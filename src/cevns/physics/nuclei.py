"""Target isotopes: Z, N, nuclear mass and proton/neutron rms radii.

Nuclear masses are atomic masses (AME2020, M. Wang et al., Chin. Phys. C 45 (2021)
030003) minus Z electron masses; electron binding (< 0.1 MeV) is neglected.

Radii (point-nucleon rms radii, fm):

* ``radii="atzori2022"`` (default): seed 002 eqs. (13)-(14) -- proton radii from
  muonic-atom spectroscopy, neutron radii from the shell-model neutron skins of
  Hoferichter et al. 2020.
* ``radii="cadeddu2021"``: seed 001 eq. (2.5) proton radii, neutron radii of the
  RMF NL-Z2 model quoted in seed 001 sec. 2 (Cs 5.01, I 4.94, Ar 3.55 fm).

Xenon (the XENONnT target, issue #14; the same in both radius sets): the proton radius is
the nuclear charge radius of Angeli & Marinova, At. Data Nucl. Data Tables 99 (2013) 69,
Table IV (the convention of the seed radii above, which quote charge radii as R_p), and
the neutron radius adds the neutron skin of the antiprotonic-atom systematics of
Trzcinska et al., PRL 87 (2001) 082501, eq. (2): R_n - R_p = (-0.04 + 1.01 (N - Z)/A) fm
(0.14 fm for Xe-132; its +-0.03 fm + 0.15 (N-Z)/A spread moves the 8B rate by < 0.1 %).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..errors import UnknownNameError
from . import constants as c


@dataclass(frozen=True)
class Isotope:
    """One nuclear species.

    Attributes
    ----------
    name: short label, e.g. ``"Cs133"``.
    z, n: proton and neutron numbers.
    atomic_mass_u: atomic mass in unified mass units (AME2020).
    proton_rms_radius_fm, neutron_rms_radius_fm: point-nucleon rms radii [fm].
    """

    name: str
    z: int
    n: int
    atomic_mass_u: float
    proton_rms_radius_fm: float
    neutron_rms_radius_fm: float

    @property
    def a(self) -> int:
        """Mass number A = Z + N."""
        return self.z + self.n

    @property
    def mass_mev(self) -> float:
        """Nuclear mass [MeV]: atomic mass minus Z electron masses."""
        return self.atomic_mass_u * c.AMU_MEV - self.z * c.M_ELECTRON_MEV

    def with_radii(
        self,
        proton_rms_radius_fm: float | None = None,
        neutron_rms_radius_fm: float | None = None,
    ) -> Isotope:
        """Copy with replaced radii (fm); ``None`` keeps the current value."""
        return replace(
            self,
            proton_rms_radius_fm=(
                self.proton_rms_radius_fm if proton_rms_radius_fm is None else proton_rms_radius_fm
            ),
            neutron_rms_radius_fm=(
                self.neutron_rms_radius_fm if neutron_rms_radius_fm is None else neutron_rms_radius_fm
            ),
        )


# Atomic masses, AME2020 [u].
_ATOMIC_MASS_U = {
    "Cs133": 132.905451961,
    "I127": 126.904471,
    "Ar40": 39.9623831237,
    "Ar38": 37.96273210,
    "Ar36": 35.967545105,
    "Xe124": 123.9058920,
    "Xe126": 125.9042983,
    "Xe128": 127.9035310,
    "Xe129": 128.9047808611,
    "Xe130": 129.903509349,
    "Xe131": 130.90508406,
    "Xe132": 131.9041550856,
    "Xe134": 133.90539466,
    "Xe136": 135.907214484,
    "Na23": 22.9897692820,
    "Ge70": 69.92424875,
    "Ge72": 71.922075826,
    "Ge73": 72.923458956,
    "Ge74": 73.921177761,
    "Ge76": 75.921402726,
}

_ZN = {"Cs133": (55, 78), "I127": (53, 74), "Ar40": (18, 22), "Ar38": (18, 20), "Ar36": (18, 18),
       **{f"Xe{a}": (54, a - 54) for a in (124, 126, 128, 129, 130, 131, 132, 134, 136)},
       "Na23": (11, 12), "Ge70": (32, 38), "Ge72": (32, 40), "Ge73": (32, 41), "Ge74": (32, 42), "Ge76": (32, 44)}

#: Xenon charge radii [fm], Angeli & Marinova 2013 Table IV (taken as R_p, see module docstring).
XENON_CHARGE_RADII_FM = {"Xe124": 4.7689, "Xe126": 4.7725, "Xe128": 4.7774, "Xe129": 4.7775, "Xe130": 4.7818,
                         "Xe131": 4.7808, "Xe132": 4.7859, "Xe134": 4.7899, "Xe136": 4.7964}


def neutron_skin_trzcinska_fm(z: int, n: int) -> float:
    """R_n - R_p = -0.04 + 1.01 (N - Z)/A fm (Trzcinska et al., PRL 87 (2001) 082501, eq. 2)."""
    return -0.04 + 1.01 * (n - z) / (n + z)


_XENON_RADII_FM = {name: (r, r + neutron_skin_trzcinska_fm(54, int(name[2:]) - 54))
                   for name, r in XENON_CHARGE_RADII_FM.items()}

#: targets of the projected detectors (issue #13; NaI, Ge), not in any seed: R_p is the charge
#: radius (Angeli & Marinova, At. Data Nucl. Data Tables 99 (2013) 69) and R_n = R_p + 0.1 fm,
#: an ASSUMED skin (docs/projections.md); the same in both radius conventions
_PROJECTION_RADII_FM = {"Na23": (2.9936, 3.0936), "Ge70": (4.0414, 4.1414), "Ge72": (4.0576, 4.1576),
                        "Ge73": (4.0632, 4.1632), "Ge74": (4.0742, 4.1742), "Ge76": (4.0811, 4.1811)}

#: (R_p, R_n) [fm] per radius convention. Ar36/Ar38 are not given in the seeds; we take
#: the Ar40 proton radius (isotope shifts are < 0.02 fm, Angeli & Marinova 2013) and
#: keep the Ar40 skin of 0.1 fm -- a documented approximation for a 0.4 % admixture.
RADII_FM: dict[str, dict[str, tuple[float, float]]] = {
    "atzori2022": {  # seed 002 eqs. (13)-(14)
        "Cs133": (4.821, 5.09),
        "I127": (4.766, 5.03),
        "Ar40": (3.448, 3.55),
        "Ar38": (3.448, 3.55),
        "Ar36": (3.448, 3.55),
        **_XENON_RADII_FM,
        **_PROJECTION_RADII_FM,
    },
    "cadeddu2021": {  # seed 001 eq. (2.5) and sec. 2 text
        "Cs133": (4.804, 5.01),
        "I127": (4.749, 4.94),
        "Ar40": (3.448, 3.55),
        "Ar38": (3.448, 3.55),
        "Ar36": (3.448, 3.55),
        **_XENON_RADII_FM,
        **_PROJECTION_RADII_FM,
    },
}

#: Natural argon isotopic abundances (IUPAC 2013 / CIAAW: 99.6035 %, 0.0629 %, 0.3336 %).
NATURAL_ARGON_ABUNDANCE = {"Ar40": 0.996035, "Ar38": 0.000629, "Ar36": 0.003336}
#: Natural germanium isotopic abundances (CIAAW / IUPAC 2009 representative values).
NATURAL_GERMANIUM_ABUNDANCE = {"Ge70": 0.2057, "Ge72": 0.2745, "Ge73": 0.0775, "Ge74": 0.3650, "Ge76": 0.0773}

#: Natural xenon isotopic abundances (amount fractions), IUPAC/CIAAW representative isotopic
#: composition (Meija et al., Pure Appl. Chem. 88 (2016) 293, Table 1); they sum to 1.
NATURAL_XENON_ABUNDANCE = {"Xe124": 0.000952, "Xe126": 0.000890, "Xe128": 0.019102, "Xe129": 0.264006,
                           "Xe130": 0.040710, "Xe131": 0.212324, "Xe132": 0.269086, "Xe134": 0.104357,
                           "Xe136": 0.088573}


def isotope(name: str, radii: str = "atzori2022") -> Isotope:
    """Return the isotope ``name`` (``Cs133``, ``I127``, ``Ar40``, ``Ar38``, ``Ar36``, ``Xe124`` ... ``Xe136``).

    ``radii`` picks the radius convention (see module docstring).
    """
    if name not in _ZN:
        raise UnknownNameError(f"unknown isotope {name!r}; known: {', '.join(sorted(_ZN))}")
    if radii not in RADII_FM:
        raise UnknownNameError(f"unknown radius set {radii!r}; known: {', '.join(sorted(RADII_FM))}")
    z, n = _ZN[name]
    rp, rn = RADII_FM[radii][name]
    return Isotope(name, z, n, _ATOMIC_MASS_U[name], rp, rn)
