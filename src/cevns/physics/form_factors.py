"""Nuclear form factors F(q) of a nucleon distribution, parametrised by its rms radius.

All functions take the momentum transfer ``q_mev`` [MeV] (array) and a point-nucleon
rms radius [fm], and return F(q) with F(0) = 1. They are vectorised over ``q_mev``
and broadcast over the radius, so a batch of radii (shape ``(P, 1)``) against a grid
of q (shape ``(n,)``) gives ``(P, n)``.

* Helm (R.H. Helm, Phys. Rev. 104 (1956) 1466), with surface thickness s = 0.9 fm and
  box radius R0^2 = 5/3 (R_rms^2 - 3 s^2) (used by seeds 001 and 002).
* Klein-Nystrand (S. Klein, J. Nystrand, PRC 60 (1999) 014903), seed 004 eq. (3):
  F = 3 j1(q R_A)/(q R_A) / (1 + q^2 a_k^2), a_k = 0.7 fm; R_A given directly
  (seed 004: R_A = 1.23 A^(1/3) fm) or from the rms radius, R_rms^2 = 3/5 R_A^2 + 6 a_k^2.
* Symmetrized Fermi (J. Piekarewicz et al., PRC 94 (2016) 034316), analytic form with
  diffuseness a = 0.52 fm and half-density radius c from R_rms^2 = 3/5 c^2 + 7/5 pi^2 a^2.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..errors import ParameterError, UnknownNameError
from .constants import HBARC_MEV_FM

HELM_SKIN_FM = 0.9
KLEIN_NYSTRAND_RANGE_FM = 0.7
FERMI_DIFFUSENESS_FM = 0.52


def momentum_transfer_mev(t_nr_mev: ArrayLike, nucleus_mass_mev: float) -> NDArray[np.float64]:
    """|q| = sqrt(2 M T) [MeV] for a nuclear recoil of kinetic energy T (seed 004 after eq. 3)."""
    return np.sqrt(2.0 * nucleus_mass_mev * np.asarray(t_nr_mev, dtype=float))


def _j1_over_x(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """3 j1(x)/x, with its series 1 - x^2/10 + x^4/280 below x = 1e-2 (no 0/0)."""
    x = np.asarray(x, dtype=float)
    small = np.abs(x) < 1e-2
    xs = np.where(small, 1.0, x)
    full = 3.0 * (np.sin(xs) - xs * np.cos(xs)) / xs**3
    series = 1.0 - x**2 / 10.0 + x**4 / 280.0
    return np.where(small, series, full)


def helm(q_mev: ArrayLike, rms_radius_fm: ArrayLike, skin_fm: float = HELM_SKIN_FM) -> NDArray[np.float64]:
    """Helm form factor F(q) = 3 j1(q R0)/(q R0) exp(-q^2 s^2 / 2)."""
    q_fm = np.asarray(q_mev, dtype=float) / HBARC_MEV_FM
    r2 = np.asarray(rms_radius_fm, dtype=float) ** 2
    r0_sq = 5.0 / 3.0 * (r2 - 3.0 * skin_fm**2)
    if np.any(r0_sq <= 0):
        raise ParameterError(f"Helm form factor needs rms radius > sqrt(3)*s = {np.sqrt(3) * skin_fm:.3f} fm")
    r0 = np.sqrt(r0_sq)
    return _j1_over_x(q_fm * r0) * np.exp(-0.5 * (q_fm * skin_fm) ** 2)


def klein_nystrand_radius_from_rms(rms_radius_fm: ArrayLike, a_k_fm: float = KLEIN_NYSTRAND_RANGE_FM) -> NDArray[np.float64]:
    """Hard-sphere radius R_A of the Klein-Nystrand form with the given rms radius."""
    r2 = np.asarray(rms_radius_fm, dtype=float) ** 2
    val = 5.0 / 3.0 * (r2 - 6.0 * a_k_fm**2)
    if np.any(val <= 0):
        raise ParameterError(f"Klein-Nystrand needs rms radius > sqrt(6)*a_k = {np.sqrt(6) * a_k_fm:.3f} fm")
    return np.sqrt(val)


def klein_nystrand(
    q_mev: ArrayLike,
    rms_radius_fm: ArrayLike | None = None,
    *,
    r_a_fm: ArrayLike | None = None,
    a_k_fm: float = KLEIN_NYSTRAND_RANGE_FM,
) -> NDArray[np.float64]:
    """Klein-Nystrand form factor (seed 004 eq. 3).

    Give either ``rms_radius_fm`` (converted to R_A) or ``r_a_fm`` directly
    (seed 004 uses R_A = 1.23 A^(1/3) fm).
    """
    if (rms_radius_fm is None) == (r_a_fm is None):
        raise ParameterError("give exactly one of rms_radius_fm or r_a_fm")
    r_a = klein_nystrand_radius_from_rms(rms_radius_fm, a_k_fm) if r_a_fm is None else np.asarray(r_a_fm, float)
    q_fm = np.asarray(q_mev, dtype=float) / HBARC_MEV_FM
    return _j1_over_x(q_fm * r_a) / (1.0 + (q_fm * a_k_fm) ** 2)


def symmetrized_fermi(
    q_mev: ArrayLike, rms_radius_fm: ArrayLike, diffuseness_fm: float = FERMI_DIFFUSENESS_FM
) -> NDArray[np.float64]:
    """Symmetrized-Fermi form factor (analytic Fourier transform), F(0) = 1."""
    a = diffuseness_fm
    r2 = np.asarray(rms_radius_fm, dtype=float) ** 2
    c2 = 5.0 / 3.0 * (r2 - 7.0 / 5.0 * np.pi**2 * a**2)
    if np.any(c2 <= 0):
        raise ParameterError("symmetrized Fermi needs rms radius > sqrt(7/5)*pi*a")
    c = np.sqrt(c2)
    q_in = np.asarray(q_mev, dtype=float) / HBARC_MEV_FM
    small = q_in * c < 1e-2  # closed form cancels there: use F = 1 - q^2 R^2/6
    q = np.where(small, 1.0, q_in)
    qc = q * c
    pqa = np.pi * q * a
    pre = 3.0 / (qc * (qc**2 + pqa**2)) * (pqa / np.sinh(pqa))
    body = pqa / np.tanh(pqa) * np.sin(qc) - qc * np.cos(qc)
    return np.where(small, 1.0 - q_in**2 * r2 / 6.0, pre * body)


FORM_FACTORS = {"helm": helm, "klein-nystrand": klein_nystrand, "symmetrized-fermi": symmetrized_fermi}


def form_factor(name: str, q_mev: ArrayLike, rms_radius_fm: ArrayLike) -> NDArray[np.float64]:
    """Dispatch by name: ``helm``, ``klein-nystrand`` or ``symmetrized-fermi``."""
    try:
        fn = FORM_FACTORS[name]
    except KeyError:
        raise UnknownNameError(f"unknown form factor {name!r}; choose one of {', '.join(FORM_FACTORS)}") from None
    return fn(q_mev, rms_radius_fm)
