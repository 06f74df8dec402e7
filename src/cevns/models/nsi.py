"""Heavy-mediator vector NSI with u and d quarks, flavour preserving and changing.

Weak charge for a neutrino of flavour a (seed 004 eq. 6; seed 001 eq. 3.2):

    Q_aa = (g_V^p + 2 eps_aa^u + eps_aa^d) Z F_p + (g_V^n + eps_aa^u + 2 eps_aa^d) N F_n,
    Q_ab = (2 eps_ab^u + eps_ab^d) Z F_p + (eps_ab^u + 2 eps_ab^d) N F_n   (b != a),

and the rate goes with Q_aa^2 + sum_{b != a} Q_ab^2 (flavour-changing terms add
incoherently). Antineutrinos have the same |Q|^2. Parameters ``eps_<ab>_<q>`` with
ab in ee, mumu, tautau, emu, etau, mutau and q in u, d (eps_ab = eps_ba, real).

``eps_tautau_*`` (issue #14) act only on a nu_tau flux (solar neutrinos at Earth, the
:class:`~cevns.sources.solar.SolarSource` flavour nu_tau); a stopped-pion source has none, so
COHERENT predictions do not depend on them. Every flavour a of the source gets its
Q_aa^2 + sum_{b != a} Q_ab^2: for the solar flux this treats nu_e, nu_mu, nu_tau at Earth as
an incoherent mixture with the MSW probabilities (P_ee, P_emu, P_etau), i.e. it keeps the
diagonal of the flavour density matrix. With flavour-changing NSI the off-diagonal elements
(the flux arrives as mass eigenstates) add interference terms 2 Re rho_ab (Q^2)_ba, which are
neglected; flavour-preserving NSI is exact.
"""

from __future__ import annotations

from ..physics.couplings import LEPTON_FLAVOUR
from .base import Model, Parameter, Terms, couplings_for

PAIRS = ("ee", "mumu", "emu", "etau", "mutau", "tautau")
_PAIR_OF = {("e", "e"): "ee", ("mu", "mu"): "mumu", ("tau", "tau"): "tautau", ("e", "mu"): "emu", ("mu", "e"): "emu",
            ("e", "tau"): "etau", ("tau", "e"): "etau", ("mu", "tau"): "mutau", ("tau", "mu"): "mutau"}


class VectorNSI(Model):
    """The ``nsi`` model."""

    def __init__(self) -> None:
        params = {}
        for pair in PAIRS:
            for qk in ("u", "d"):
                name = f"eps_{pair}_{qk}"
                kind = "flavour-preserving" if pair in ("ee", "mumu", "tautau") else "flavour-changing"
                params[name] = Parameter(name, 0.0, "", f"{kind} vector NSI eps_{pair}^{qk}V", "seed 004 eq. (6)", (-2.0, 2.0))
        super().__init__("nsi", "heavy-mediator vector NSI with u and d quarks", "seed 004 eqs. (5)-(6); seed 001 eq. (3.2)",
                         params)

    def terms_unnormalised(self, grid, v) -> Terms:
        cpl = couplings_for(grid)
        out: Terms = {}
        for ik in grid.isotopes:
            z, n = ik.isotope.z, ik.isotope.n
            fp, fn = ik.f_proton[None, :], ik.f_neutron[None, :]
            for f in grid.flavours:
                a = LEPTON_FLAVOUR[f]
                gp, gn = cpl[f]
                own = _PAIR_OF[(a, a)]
                eu, ed = v[f"eps_{own}_u"][:, None], v[f"eps_{own}_d"][:, None]
                q2 = ((gp + 2 * eu + ed) * z * fp + (gn + eu + 2 * ed) * n * fn) ** 2
                for b in ("e", "mu", "tau"):
                    if b == a:
                        continue
                    pair = _PAIR_OF[(a, b)]
                    eu, ed = v[f"eps_{pair}_u"][:, None], v[f"eps_{pair}_d"][:, None]
                    q2 = q2 + ((2 * eu + ed) * z * fp + (eu + 2 * ed) * n * fn) ** 2
                out[("vector", ik.isotope.name, f)] = q2
        return out
