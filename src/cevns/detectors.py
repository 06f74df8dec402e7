"""Detector-response building blocks: quenching, smearing, efficiencies, binning.

Each function maps true recoil energies to probabilities of landing in reconstructed
bins; they are pure NumPy functions, vectorised over the true-energy grid.
Energies in keV at this surface where the releases use keV (keVnr, keVee), PE where
they use photoelectrons; names say which.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import gammaln, ndtr


@lru_cache(maxsize=32)
def gauss_legendre(n: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Gauss-Legendre nodes and weights on [-1, 1] (``np.polynomial.legendre.leggauss``), cached.

    ``leggauss(240)`` solves a 240 x 240 eigenproblem (~10 ms, far more when BLAS threads are
    contended) and the experiment builders ask for the same few orders hundreds of times;
    the cached arrays are read-only so that no caller can alter them for the others.
    """
    x, w = np.polynomial.legendre.leggauss(n)
    x.flags.writeable = False
    w.flags.writeable = False
    return x, w


def polynomial_scintillation_kev_ee(t_nr_kev: ArrayLike, coefficients: ArrayLike) -> NDArray[np.float64]:
    """CsI 2021 scintillation response E_ee(T) = a x + b x^2 + c x^3 + d x^4, x in MeVnr.

    From ``scintRespCoefficients.txt`` (seed 004 sec. 3.1 quotes the nominal set
    0.0554628, 4.30681, -111.707, 840.384). Returns keVee.
    """
    x = np.asarray(t_nr_kev, dtype=float) * 1e-3
    a, b, c, d = coefficients
    return 1e3 * (a * x + b * x**2 + c * x**3 + d * x**4)


def linear_quenching_kev_ee(t_nr_kev: ArrayLike, a: float = 0.246, b_per_kev: float = 7.8e-4) -> NDArray[np.float64]:
    """LAr quenching E_ee = (a + b T) T, T in keVnr (LArParametersAnlA.yaml ``larQF``; seed 004 sec. 3.2)."""
    t = np.asarray(t_nr_kev, dtype=float)
    return (a + b_per_kev * t) * t


def logistic_efficiency(x: ArrayLike, a: float, b: float, c: float, d: float = 0.0) -> NDArray[np.float64]:
    """eff(x) = a / (1 + exp(-b (x - c))) + d (CsI 2021 ``effCoefficients.txt``, seed 004 eq. 30)."""
    x = np.asarray(x, dtype=float)
    return a / (1.0 + np.exp(-b * (x - c))) + d


def gamma_smearing_pdf(pe: ArrayLike, e_ee_kev: ArrayLike, light_yield_pe_per_kev: float = 13.35) -> NDArray[np.float64]:
    """CsI 2021 Gamma smearing (seed 004 eq. 31) of reconstructed PE given true E_ee [keVee].

    P(x) = (A(1+B))^(1+B) / Gamma(1+B) x^B exp(-A(1+B) x), A = 1/(LY E_ee), B = 9.56 E_ee
    (seed 004 writes A = 0.0749/E_ee = 1/(13.35 E_ee)). The mean is LY * E_ee.
    Broadcasts ``pe`` against ``e_ee_kev``.
    """
    x = np.asarray(pe, dtype=float)
    e = np.asarray(e_ee_kev, dtype=float)
    a = 1.0 / (light_yield_pe_per_kev * e)
    b = 9.56 * e
    k = 1.0 + b
    rate = a * k
    with np.errstate(divide="ignore"):
        logp = k * np.log(rate) - gammaln(k) + b * np.log(np.where(x > 0, x, 1.0)) - rate * x
    return np.where(x > 0, np.exp(logp), 0.0)


def gaussian_bin_probabilities(
    mean: ArrayLike, sigma: ArrayLike, edges: ArrayLike
) -> NDArray[np.float64]:
    """P(reco in bin | true) for a Gaussian resolution, shape ``(len(mean), n_bins)``."""
    m = np.asarray(mean, dtype=float)[:, None]
    s = np.asarray(sigma, dtype=float)[:, None]
    cdf = ndtr((np.asarray(edges, dtype=float)[None, :] - m) / s)
    return np.diff(cdf, axis=1)


def fold_density_into_bins(
    density: Callable[[NDArray[np.float64]], NDArray[np.float64]],
    edges: ArrayLike,
    efficiency: Callable[[NDArray[np.float64]], NDArray[np.float64]] | None = None,
    points_per_bin: int = 24,
) -> NDArray[np.float64]:
    """Integrate ``density(x) * efficiency(x)`` over each bin by Gauss-Legendre.

    ``density`` maps reconstructed points (shape ``(n_points,)``) to an array of shape
    ``(n_true, n_points)``; the result is ``(n_true, n_bins)``.
    """
    e = np.asarray(edges, dtype=float)
    xg, wg = gauss_legendre(points_per_bin)
    half = 0.5 * (e[1:] - e[:-1])
    mid = 0.5 * (e[1:] + e[:-1])
    x = (mid[:, None] + half[:, None] * xg[None, :]).ravel()
    w = (half[:, None] * wg[None, :]).ravel()
    vals = density(x) * w[None, :]
    if efficiency is not None:
        vals = vals * efficiency(x)[None, :]
    return vals.reshape(vals.shape[0], len(mid), points_per_bin).sum(axis=2)


def tabulated_efficiency(x_table: ArrayLike, eff_table: ArrayLike) -> Callable[[NDArray[np.float64]], NDArray[np.float64]]:
    """Linear interpolation of a released efficiency table, flat beyond its ends (clipped to [0, 1])."""
    xt = np.asarray(x_table, dtype=float)
    et = np.clip(np.asarray(eff_table, dtype=float), 0.0, 1.0)

    def eff(x: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.interp(x, xt, et, left=0.0, right=et[-1])

    return eff


def recoil_grid_kev(t_min_kev: float, t_max_kev: float, n: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Gauss-Legendre nodes and weights in log T between two recoil energies [keV].

    The log mapping puts points where the steep low-energy spectrum needs them;
    returned weights integrate in linear T (they include dT = T d ln T).
    """
    x, w = gauss_legendre(n)
    lo, hi = np.log(t_min_kev), np.log(t_max_kev)
    u = 0.5 * (hi - lo) * (x + 1.0) + lo
    t = np.exp(u)
    return t, 0.5 * (hi - lo) * w * t
