"""Muon g-2: the contribution of a light boson and the 2-sigma band of seed 002 appendix B.

delta a_mu = g_B^2/(8 pi^2) int_0^1 dx Q(x) / (x^2 + (1-x) M^2/m_mu^2)   (seed 002 eq. 58)
with Q(x) = 2 x^2 (1-x) for a vector and x^2 (2-x) for a scalar (eq. 59), and the
anomaly Delta a_mu = (25.1 +- 5.9) x 10^-10 (eq. 57). A model's band is the set of
couplings g (with g_B = |Q'_mu| g) for which delta a_mu lies within 2 sigma.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..errors import ParameterError
from .constants import M_MUON_MEV

DELTA_A_MU = 25.1e-10
SIGMA_A_MU = 5.9e-10


def delta_a_mu_per_g2(m_med_mev: ArrayLike, kind: str = "vector", n_nodes: int = 200) -> NDArray[np.float64]:
    """delta a_mu / g_B^2 for a boson of mass ``m_med_mev`` (Gauss-Legendre in x)."""
    if kind not in ("vector", "scalar"):
        raise ParameterError("kind must be 'vector' or 'scalar'")
    x, w = np.polynomial.legendre.leggauss(n_nodes)
    x, w = 0.5 * (x + 1.0), 0.5 * w
    q = 2 * x**2 * (1 - x) if kind == "vector" else x**2 * (2 - x)
    r2 = (np.asarray(m_med_mev, dtype=float)[..., None] / M_MUON_MEV) ** 2
    return np.sum(w * q / (x**2 + (1 - x) * r2), axis=-1) / (8 * np.pi**2)


def gm2_band(m_med_mev: ArrayLike, muon_charge: float, kind: str = "vector", n_sigma: float = 2.0) -> NDArray[np.float64]:
    """(g_low, g_high) of the n-sigma (g-2)_mu band at each mass, shape (n, 2)."""
    if muon_charge == 0:
        raise ParameterError("the mediator does not couple to muons: no (g-2)_mu band")
    per = delta_a_mu_per_g2(m_med_mev, kind) * muon_charge**2
    lo = max(DELTA_A_MU - n_sigma * SIGMA_A_MU, 0.0)
    hi = DELTA_A_MU + n_sigma * SIGMA_A_MU
    return np.stack([np.sqrt(lo / per), np.sqrt(hi / per)], axis=-1)
