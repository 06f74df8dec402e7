"""Solar neutrinos (8B and hep) at Earth: spectra, fluxes, flavour composition (issue #14).

Spectra (unit-normalised, MeV):

* **8B** (:data:`B8_SPECTRA`, ``SolarSource.b8_spectrum``):

  - ``winter2006`` (default): Table IV of W. T. Winter et al., Phys. Rev. C 73 (2006) 025503
    (arXiv:nucl-ex/0406019), the spectrum from the measured 8Be alpha spectrum with
    recoil-order corrections, 0.1 MeV steps to 15.5 MeV (package data ``b8_winter2006.csv``;
    mean 6.770 MeV, 13.4 % above 10 MeV);
  - ``bahcall1996``: the best-fit spectrum of J. N. Bahcall et al., Phys. Rev. C 54 (1996) 411
    (arXiv:nucl-th/9601044), 0.02 MeV steps (``b8_bahcall1996.csv``; mean 6.735 MeV as the
    paper states, 12.9 % above 10 MeV); ``bahcall1996-soft`` / ``bahcall1996-hard``: its two
    +-3 effective sigma spectra (means 6.629 / 6.842 MeV), a bracket of the shape uncertainty;
  - ``analytic``: the approximation used before the tables were found (allowed beta+ spectrum
    E^2 p_e W_e F(Z=4, W_e), W_e = E_0 - E + m_e, E_0 = Q_EC - 2 m_e - E_x = 16.958 MeV - E_x,
    Q_EC = 17.9798 MeV (AME2020), F the non-relativistic Fermi function, folded over the 8Be 2+
    line as a resonance of width 1.513 MeV (Tilley et al., Nucl. Phys. A 745 (2004) 155) with
    the alpha-alpha Coulomb-barrier energy dependence, its effective resonance energy 4.01 MeV
    calibrated to the mean 6.735 MeV). It has 11.7 % above 10 MeV, too little tail: the
    XENONnT SR0+SR1 8B CEvNS expectation is 18 % below the Winter et al. table's (docs/xenonnt.md).

  The tables are read once, at first use, by :func:`b8_table` (no file I/O in the shape
  functions themselves).
* **hep**: 3He + p -> 4He + e+ + nu_e, the allowed spectrum with E_0 = 18.773 MeV (Bahcall,
  "Neutrino Astrophysics" 1989, sec. 6.3) and F(Z=2).

Total fluxes at Earth [cm^-2 s^-1] (:data:`SOLAR_FLUXES`): the standard solar models
B16-GS98 and B16-AGSS09met (Vinyoles et al., ApJ 835 (2017) 202, Table 6) and the SNO
measurement of the 8B flux (Aharmim et al., PRC 88 (2013) 025501: 5.25 +- 0.16 (stat)
+0.11 -0.13 (syst) x 10^6, hep from B16-GS98).

Flavours at Earth: P_ee, P_emu, P_etau of :func:`cevns.physics.msw.b8_production_average`
(adiabatic MSW averaged over the 8B production region, also used for hep, which is
produced further out; day-night effects neglected). The source has no timing: fluences
are per year of exposure (the experiment's livetime multiplies them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib import resources

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..errors import DataError, UnknownNameError
from ..physics.constants import ALPHA_EM, M_ELECTRON_MEV, SECONDS_PER_YEAR
from ..physics.msw import PDG2022_MIXING, MixingParameters, b8_production_average

#: Flavours of the solar flux at Earth, in the order predictions list them.
SOLAR_FLAVOURS = ("nu_e", "nu_mu", "nu_tau")

#: 8B: Q_EC - 2 m_e [MeV] (AME2020 Q_EC = 17.9798 MeV)
B8_E0_MEV = 17.9798 - 2.0 * M_ELECTRON_MEV
#: 8Be 2+ final state: width (Tilley 2004) and the effective resonance energy calibrated to
#: the mean 8B neutrino energy 6.735 MeV (module docstring; tabulated E_x = 3.03 MeV)
BE8_WIDTH_MEV, BE8_EX_EFFECTIVE_MEV = 1.513, 4.0138
#: 8Be ground state above the alpha-alpha threshold [MeV] and the alpha-alpha reduced mass [MeV]
BE8_GS_ABOVE_AA_MEV, ALPHA_ALPHA_REDUCED_MASS_MEV = 0.0918, 3727.379 / 2.0
#: hep neutrino end point [MeV] (Bahcall 1989 sec. 6.3)
HEP_E0_MEV = 18.773

#: (8B flux, its relative 1 sigma, hep flux, its relative 1 sigma) [cm^-2 s^-1]
SOLAR_FLUXES = {
    "b16-gs98": (5.46e6, 0.12, 7.98e3, 0.30),      # Vinyoles et al. 2017 Table 6
    "b16-agss09met": (4.50e6, 0.12, 8.25e3, 0.30),  # Vinyoles et al. 2017 Table 6
    "sno": (5.25e6, 0.038, 7.98e3, 0.30),          # SNO 2013 (stat and syst in quadrature); hep B16-GS98
}


def _positron_fermi(z: int, w: NDArray[np.float64]) -> NDArray[np.float64]:
    """Non-relativistic Fermi function of a positron of total energy W [MeV] in the field of charge Z."""
    p = np.sqrt(np.clip(w**2 - M_ELECTRON_MEV**2, 1e-30, None))
    x = -2.0 * np.pi * z * ALPHA_EM * w / p
    return x / np.expm1(x)


def allowed_beta_plus_shape(e_nu_mev: ArrayLike, e0_mev: ArrayLike, z_daughter: int) -> NDArray[np.float64]:
    """Unnormalised allowed beta+ neutrino spectrum E^2 p W F(Z, W), W = E_0 - E + m_e (zero above E_0)."""
    e = np.asarray(e_nu_mev, dtype=float)
    t = np.asarray(e0_mev, dtype=float) - e  # positron kinetic energy
    w = np.clip(t, 0.0, None) + M_ELECTRON_MEV
    p = np.sqrt(np.clip(w**2 - M_ELECTRON_MEV**2, 0.0, None))
    return np.where((t > 0) & (e >= 0), e**2 * p * w * _positron_fermi(z_daughter, w), 0.0)


def b8_shape_analytic(e_nu_mev: ArrayLike, n_ex: int = 1400) -> NDArray[np.float64]:
    """Unnormalised analytic 8B spectrum: :func:`allowed_beta_plus_shape` folded over the 8Be* line
    shape (resonance with the Coulomb-barrier energy-dependent width, module docstring)."""
    ex = np.linspace(0.0, 14.0, n_ex + 1)
    ex = 0.5 * (ex[1:] + ex[:-1])
    e_aa, e_r = ex + BE8_GS_ABOVE_AA_MEV, BE8_EX_EFFECTIVE_MEV + BE8_GS_ABOVE_AA_MEV
    two_pi_eta = 2.0 * np.pi * 4.0 * ALPHA_EM * np.sqrt(ALPHA_ALPHA_REDUCED_MASS_MEV / 2.0)  # x 1/sqrt(E)
    width = BE8_WIDTH_MEV * np.exp(-two_pi_eta * (1.0 / np.sqrt(e_aa) - 1.0 / np.sqrt(e_r)))
    line = width / ((e_aa - e_r) ** 2 + width**2 / 4.0)
    e = np.asarray(e_nu_mev, dtype=float)
    return allowed_beta_plus_shape(e[..., None], B8_E0_MEV - ex, 4) @ (line / line.sum())


#: published 8B spectra (name -> (package file, column)); "analytic" is :func:`b8_shape_analytic`
B8_TABLES = {
    "winter2006": ("b8_winter2006.csv", "lambda"),
    "bahcall1996": ("b8_bahcall1996.csv", "best"),
    "bahcall1996-soft": ("b8_bahcall1996.csv", "soft_3sigma"),
    "bahcall1996-hard": ("b8_bahcall1996.csv", "hard_3sigma"),
}
#: every 8B spectrum name; the first is the default
B8_SPECTRA = (*B8_TABLES, "analytic")


@cache
def b8_table(name: str) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(E [MeV], spectrum) of the published table ``name`` (:data:`B8_TABLES`), with a zero at
    E = 0 prepended; read from the package data once."""
    if name not in B8_TABLES:
        raise UnknownNameError(f"unknown 8B spectrum table {name!r}; choose one of {', '.join(B8_TABLES)}")
    fname, column = B8_TABLES[name]
    text = resources.files("cevns").joinpath("sources", fname).read_text(encoding="utf-8")
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    header = lines[0].split(",")
    try:
        rows = np.array([[float(x) for x in ln.split(",")] for ln in lines[1:]])
        e, y = rows[:, 0], rows[:, header.index(column)]
    except (ValueError, IndexError) as exc:
        raise DataError(f"malformed package file cevns/sources/{fname}: {exc}; reinstall cevns") from None
    if np.any(np.diff(e) <= 0) or np.any(y < 0):
        raise DataError(f"malformed package file cevns/sources/{fname}: energies must increase and values be >= 0")
    return np.concatenate([[0.0], e]), np.concatenate([[0.0], y])


def b8_shape(e_nu_mev: ArrayLike, spectrum: str = B8_SPECTRA[0]) -> NDArray[np.float64]:
    """Unnormalised 8B spectrum ``spectrum`` (:data:`B8_SPECTRA`) at ``e_nu_mev``: a published table
    interpolated linearly (zero beyond its last node), or the analytic approximation."""
    if spectrum == "analytic":
        return b8_shape_analytic(e_nu_mev)
    e, y = b8_table(spectrum)
    return np.interp(np.asarray(e_nu_mev, dtype=float), e, y, left=0.0, right=0.0)


def hep_shape(e_nu_mev: ArrayLike) -> NDArray[np.float64]:
    """Unnormalised hep spectrum (allowed beta+, E_0 = 18.773 MeV, Z = 2)."""
    return allowed_beta_plus_shape(e_nu_mev, HEP_E0_MEV, 2)


@dataclass(frozen=True)
class TabulatedSpectrum:
    """A unit-normalised spectrum on a fine energy grid (linear between nodes), with
    cumulative inverse moments m_n(E_min) = int_{E_min} phi E^-n dE by trapezoidal sums."""

    e_mev: NDArray[np.float64]
    density: NDArray[np.float64]

    @cached_property
    def _norm(self) -> float:
        return float(np.trapezoid(self.density, self.e_mev))

    @cached_property
    def _tails(self) -> NDArray[np.float64]:
        """(3, n): int_{E_j}^{E_max} phi E^-n for n = 0, 1, 2 (phi ~ E^2 at 0, so finite)."""
        e = self.e_mev
        phi = self.density / self._norm
        safe = np.where(e > 0, e, 1.0)
        out = []
        for n in range(3):
            f = np.where(e > 0, phi / safe**n, 0.0 if n < 2 else phi[1] / e[1] ** 2 if e[0] == 0 else 0.0)
            seg = 0.5 * (f[1:] + f[:-1]) * np.diff(e)
            out.append(np.concatenate([np.cumsum(seg[::-1])[::-1], [0.0]]))
        return np.stack(out)

    @property
    def e_max_mev(self) -> float:
        nz = np.flatnonzero(self.density > 0)
        return float(self.e_mev[nz[-1] + 1]) if nz.size and nz[-1] + 1 < self.e_mev.size else float(self.e_mev[-1])

    def __call__(self, e_mev: ArrayLike) -> NDArray[np.float64]:
        return np.interp(np.asarray(e_mev, dtype=float), self.e_mev, self.density / self._norm, left=0.0, right=0.0)

    def inverse_moments(self, e_min_mev: ArrayLike) -> NDArray[np.float64]:
        emin = np.asarray(e_min_mev, dtype=float)
        return np.stack([np.interp(emin, self.e_mev, t, left=t[0], right=0.0) for t in self._tails])

    def quadrature(self, e_min_mev: ArrayLike, n_nodes: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        x, w = np.polynomial.legendre.leggauss(n_nodes)
        lo = np.minimum(np.asarray(e_min_mev, dtype=float), self.e_max_mev)
        half = 0.5 * (self.e_max_mev - lo)[..., None]
        e = half * (x + 1.0) + lo[..., None]
        return e, self(e) * (half * w)


#: fine energy grid of the tabulated solar spectra [MeV] (2 keV steps to 19 MeV)
SOLAR_GRID_MEV = np.linspace(0.0, 19.0, 9501)


def unit_spectrum(shape: NDArray[np.float64], e_mev: NDArray[np.float64] = SOLAR_GRID_MEV) -> TabulatedSpectrum:
    """A :class:`TabulatedSpectrum` of the values ``shape`` on ``e_mev``."""
    return TabulatedSpectrum(e_mev, np.asarray(shape, dtype=float))


@dataclass(frozen=True)
class SolarSource:
    """8B (+ hep) solar neutrinos seen by a detector on Earth (a :class:`cevns.sources.base.Source`).

    Attributes
    ----------
    flux_model: a key of :data:`SOLAR_FLUXES` (``b16-gs98``, ``b16-agss09met``, ``sno``).
    include_hep: add the hep flux (about 1 % of the CEvNS events above 1 keVnr in xenon).
    mixing: oscillation parameters of the flavour composition.
    b8_spectrum: the 8B spectrum shape, one of :data:`B8_SPECTRA` (default ``winter2006``).

    Fluences are per year of exposure [cm^-2 yr^-1]. :attr:`flux_parameters` declares
    ``flux_8b`` [10^6 cm^-2 s^-1], the model parameter that scales the solar signal
    (8B and hep together) relative to :attr:`flux_8b_nominal`.
    """

    flux_model: str = "b16-gs98"
    include_hep: bool = True
    mixing: MixingParameters = field(default_factory=lambda: PDG2022_MIXING)
    b8_spectrum: str = B8_SPECTRA[0]

    def __post_init__(self) -> None:
        if self.flux_model not in SOLAR_FLUXES:
            raise UnknownNameError(f"unknown solar flux model {self.flux_model!r}; choose one of {', '.join(SOLAR_FLUXES)}")
        if self.b8_spectrum not in B8_SPECTRA:
            raise UnknownNameError(f"unknown 8B spectrum {self.b8_spectrum!r}; choose one of {', '.join(B8_SPECTRA)}")

    @property
    def flavours(self) -> tuple[str, ...]:
        return SOLAR_FLAVOURS

    @property
    def baseline_m(self) -> float:
        """1 au [m] (IAU 2012)."""
        return 1.495978707e11

    @property
    def timing(self) -> None:
        return None

    @property
    def flux_8b_nominal(self) -> float:
        """The 8B flux of :attr:`flux_model` [cm^-2 s^-1]."""
        return SOLAR_FLUXES[self.flux_model][0]

    @property
    def flux_8b_relative_sigma(self) -> float:
        return SOLAR_FLUXES[self.flux_model][1]

    @property
    def flux_parameters(self) -> dict[str, float]:
        """Model parameters that scale this source's flux, with the nominal value (their unit)."""
        return {"flux_8b": self.flux_8b_nominal / 1e6}

    @cached_property
    def _by_flavour(self) -> dict[str, tuple[float, TabulatedSpectrum]]:
        e = SOLAR_GRID_MEV
        phi8, _, phihep, _ = SOLAR_FLUXES[self.flux_model]
        b8, hep = b8_shape(e, self.b8_spectrum), hep_shape(e)
        total = phi8 * b8 / np.trapezoid(b8, e)
        if self.include_hep:
            total = total + phihep * hep / np.trapezoid(hep, e)
        probs = b8_production_average(e, self.mixing)
        out = {}
        for a, f in enumerate(SOLAR_FLAVOURS):
            dens = total * probs[..., a]
            out[f] = (float(np.trapezoid(dens, e)) * SECONDS_PER_YEAR, unit_spectrum(dens, e))
        return out

    @property
    def e_max_mev(self) -> float:
        return HEP_E0_MEV if self.include_hep else B8_E0_MEV

    def _entry(self, flavour: str):
        try:
            return self._by_flavour[flavour]
        except KeyError:
            raise UnknownNameError(f"the solar source has no flavour {flavour!r}; use {', '.join(SOLAR_FLAVOURS)}") from None

    def fluence_per_cm2(self, flavour: str) -> float:
        """Neutrinos of ``flavour`` per cm^2 per year at Earth."""
        return self._entry(flavour)[0]

    def spectrum(self, flavour: str) -> TabulatedSpectrum:
        return self._entry(flavour)[1]

    def inverse_moments(self, flavour: str, e_min_mev: ArrayLike) -> NDArray[np.float64]:
        return self.spectrum(flavour).inverse_moments(e_min_mev)
