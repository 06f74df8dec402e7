"""Heavy-mediator neutrino generalised interactions (NGI): scalar, vector, tensor.

Cross section (seed 004 eq. 8), with one form factor F for the nucleus:

    dsigma/dT = G_F^2 M/(4 pi) F^2 { C_S^2 M T/(2E^2) + (C_V + 2 Q_SM)^2 (1 - M T/2E^2 - T/E)
                + 8 C_T^2 (1 - M T/4E^2 - T/E) -/+ 2 C_S C_T T/E }

(upper sign neutrinos, lower antineutrinos), with universal quark couplings
C_X^u = C_X^d = c_x (the parameters ``c_s``, ``c_v``, ``c_t``; seed 004 sec. 4.3) and

    C_V = c_v [(2+1) Z + (1+2) N]                                  (eq. 9)
    C_S = c_s [Z sum_q (m_p/m_q) f_q^p + N sum_q (m_n/m_q) f_q^n]  (eq. 10)
    C_T = c_t [Z (delta_u^p + delta_d^p) + N (delta_u^n + delta_d^n)] (eq. 11)

with f_u^p = 0.0208, f_u^n = 0.0189, f_d^p = 0.0411, f_d^n = 0.0451, delta^p = 0.54,
delta^n = -0.23 (seed 004 after eq. 11) and the PDG 2022 MSbar quark masses
m_u = 2.16 MeV, m_d = 4.67 MeV. Model option ``ngi_normalisation`` (the recipe key of
that name, passed at construction): ``printed`` (default)
uses eqs. (9), (11) as printed; ``published`` doubles C_V and C_T per unit coupling, the
normalisation in which seed 004 eq. (45) quotes its intervals: its second C_V minimum sits
where the vector term restores the SM rate, c_v = 2|Q_SM|/(3A) ~ 0.19 for CsI, against
4|Q_SM|/(3A) ~ 0.38 with eq. (9) as printed (docs/validation.md, NGI finding).
In kernel form (prefactor G_F^2 M/pi of the fast path):
(C_V F/2 + Q)^2 (m0 - m2 - m1) + (C_S F)^2/4 m2 + 2 (C_T F)^2 (m0 - m2/2 - m1)
-/+ (C_S C_T F^2/2) m1.
"""

from __future__ import annotations

from ..physics.constants import M_NEUTRON_MEV, M_PROTON_MEV
from ..physics.couplings import HELICITY_SIGN
from .base import Model, Parameter, Terms, couplings_for, sm_charge

M_UP_MEV, M_DOWN_MEV = 2.16, 4.67  # PDG 2022
F_SCALAR = {"p": {"u": 0.0208, "d": 0.0411}, "n": {"u": 0.0189, "d": 0.0451}}
DELTA_TENSOR = {"p": 0.54 + 0.54, "n": -0.23 - 0.23}
#: factor on C_V and C_T per unit c_v, c_t for each ``ngi_normalisation``
NGI_NORMALISATION = {"printed": 1.0, "published": 2.0}


def scalar_charge_per_coupling(z: int, n: int) -> float:
    """C_S / c_s of seed 004 eq. (10) with universal quark couplings."""
    sp = M_PROTON_MEV / M_UP_MEV * F_SCALAR["p"]["u"] + M_PROTON_MEV / M_DOWN_MEV * F_SCALAR["p"]["d"]
    sn = M_NEUTRON_MEV / M_UP_MEV * F_SCALAR["n"]["u"] + M_NEUTRON_MEV / M_DOWN_MEV * F_SCALAR["n"]["d"]
    return z * sp + n * sn


class GeneralizedInteractions(Model):
    """The ``ngi`` model; ``ngi_normalisation`` (``printed`` or ``published``, module docstring)
    fixes C_V and C_T per unit c_v, c_t."""

    option_choices = {"ngi_normalisation": tuple(NGI_NORMALISATION)}

    def __init__(self, ngi_normalisation: str = "printed") -> None:
        super().__init__(
            "ngi",
            "heavy-mediator scalar/vector/tensor neutrino generalised interactions, universal quark couplings",
            "seed 004 eqs. (7)-(11)",
            {
                "c_s": Parameter("c_s", 0.0, "", "scalar coupling C_S^q = g_nuS g_qS", "seed 004 eq. (10)", (-1.0, 1.0)),
                "c_v": Parameter("c_v", 0.0, "", "vector coupling C_V^q = g_nuV g_qV", "seed 004 eq. (9)", (-1.0, 1.0)),
                "c_t": Parameter("c_t", 0.0, "", "tensor coupling C_T^q = g_nuT g_qT", "seed 004 eq. (11)", (-1.0, 1.0)),
            },
        )
        self.ngi_normalisation = self.check_option("ngi_normalisation", ngi_normalisation)

    def terms_unnormalised(self, grid, v) -> Terms:
        cpl = couplings_for(grid)
        k_vt = NGI_NORMALISATION[self.ngi_normalisation]
        out: Terms = {}
        for ik in grid.isotopes:
            z, n, name = ik.isotope.z, ik.isotope.n, ik.isotope.name
            ff = ik.f_neutron[None, :]
            cv = k_vt * v["c_v"][:, None] * 3.0 * (z + n) * ff
            cs = v["c_s"][:, None] * scalar_charge_per_coupling(z, n) * ff
            ct = k_vt * v["c_t"][:, None] * (z * DELTA_TENSOR["p"] + n * DELTA_TENSOR["n"]) * ff
            for f in grid.flavours:
                q = sm_charge(ik, *cpl[f])
                vec = (0.5 * cv + q) ** 2
                ten = 2.0 * ct**2
                out[("m0", name, f)] = vec + ten
                out[("m2", name, f)] = -vec + 0.25 * cs**2 - 0.5 * ten
                out[("m1", name, f)] = -vec - ten - HELICITY_SIGN[f] * 0.5 * cs * ct
        return out
