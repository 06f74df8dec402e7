"""Light mediators: vector Z' of U(1)' models, L_a - L_b with loop kinetic mixing, scalar, tensor.

Parameters of every model here: ``m_med_mev`` (mediator mass, MeV) and ``g`` (coupling).
|q|^2 = 2 M T throughout (seed 002 after eq. 16).

* Vector Z' with charges (Q'_u, Q'_d, Q'_e, Q'_mu, Q'_tau) (seed 002 eq. 16, Table 1):
      Q_f = Q_f^SM + g^2 Q'_l / (sqrt2 G_F (|q|^2 + M^2)) [(2Q'_u + Q'_d) Z F_p + (Q'_u + 2Q'_d) N F_n]
  with no extra 1/2 (seed 002 appendix A). Antineutrinos: the Z' and the Z couple to the
  same vector current, whose sign flips for antineutrinos in both terms together (seed 001
  end of sec. 3), so |Q|^2 is the same for nu and nu-bar.
* L_a - L_b (seed 002 eqs. 28-29): only the proton coupling changes, by
      sqrt2 alpha g^2 (delta_la eps_ba(|q|) + delta_lb eps_ab(|q|)) / (pi G_F (|q|^2 + M^2)),
  eps_ba(|q|) = int_0^1 x(1-x) ln[(m_b^2 + x(1-x)|q|^2) / (m_a^2 + x(1-x)|q|^2)] dx
  (Gauss-Legendre, 48 nodes, on the recoil grid).
* SUSY L_mu - L_tau (seed 000 eq. 18): the slepton loop adds (2 e g/(4 pi)^2) int (1-2x)^2
  ln(m_stau^2/m_smu^2) to the kinetic mixing; in the normalisation of eq. (29) this is
  eps_taumu(|q|) -> eps_taumu(|q|) + ln(r)/6 with r = m_stau/m_smu (sleptons much heavier than
  |q|). Parameter ``r`` (default 1: no SUSY contribution).
* Scalar (seed 002 eqs. 32-42): adds incoherently
      M^2 T / (4 pi E^2) g^4 (sigma_piN/m_ud)_ref^2 [Z F_p + N F_n]^2 / (|q|^2 + M^2)^2,
  (sigma_piN/m_ud)_ref = 17.3, g = g~_phi; equal to seed 004 eq. (14) with universal couplings.
* Tensor (seed 004 eq. 15, universal couplings g_nuT = g_qT = g): adds incoherently
      M (4E^2 - M T) C_T^2 F^2 / (2 pi E^2 (|q|^2 + M^2)^2),  C_T = g^2 [Z (delta_u^p + delta_d^p) + N (...n)].
* Electron scattering (when the recipe switches it on): vector models shift g_V by
  g^2 Q'_l Q'_e / (sqrt2 G_F (2 m_e T + M^2)), the normalisation of the SM neutral current
  sqrt2 G_F [nu gamma P_L nu][e gamma (g_V - g_A gamma5) e] that seed 004 eqs. (12), (23)
  and seed 002 eq. (16) imply (model option ``es_vector_normalisation = "consistent"``, the
  recipe key of that name); seed 004 eq. (13) prints 1/(2 sqrt2 G_F), half of it (option
  ``"printed"``). The scalar
  and tensor add eqs. (16)-(17) with g_nu = g_e = g.
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError, RecipeError
from ..physics.constants import ALPHA_EM, G_FERMI_MEV2, M_ELECTRON_MEV, M_MUON_MEV, M_TAU_MEV
from ..physics.couplings import LEPTON_FLAVOUR
from .base import Model, Parameter, Terms, couplings_for, sm_charge
from .ngi import DELTA_TENSOR

SQRT2 = np.sqrt(2.0)
LEPTON_MASS_MEV = {"e": M_ELECTRON_MEV, "mu": M_MUON_MEV, "tau": M_TAU_MEV}
LEPTONS = ("e", "mu", "tau")


def es_vector_denominator(normalisation: str) -> float:
    """c of the ES vector shift g^2 Q'_l Q'_e / (c G_F (2 m_e T + M^2)): sqrt2 or 2 sqrt2 (eq. 13 printed)."""
    if normalisation == "consistent":
        return float(SQRT2)
    if normalisation == "printed":
        return float(2.0 * SQRT2)
    raise RecipeError(f"unknown es_vector_normalisation {normalisation!r}; choose 'consistent' or 'printed'")

#: values of the ``es_vector_normalisation`` option of the vector mediators
ES_VECTOR_NORMALISATIONS = ("consistent", "printed")

#: U(1)' charges (Q'_u, Q'_d, Q'_e, Q'_mu, Q'_tau), seed 002 Table 1
VECTOR_CHARGES = {
    "universal": (1.0, 1.0, 1.0, 1.0, 1.0),
    "b-l": (1 / 3, 1 / 3, -1.0, -1.0, -1.0),
    "b-3le": (1 / 3, 1 / 3, -3.0, 0.0, 0.0),
    "b-3lmu": (1 / 3, 1 / 3, 0.0, -3.0, 0.0),
    "b-2le-lmu": (1 / 3, 1 / 3, -2.0, -1.0, 0.0),
    "b-le-2lmu": (1 / 3, 1 / 3, -1.0, -2.0, 0.0),
    "by+lmu+ltau": (1 / 3, 1 / 3, 0.0, 1.0, 1.0),
}
#: L_a - L_b models: (a, b) (seed 002 sec. III.1)
LEPTONIC = {"le-lmu": ("e", "mu"), "le-ltau": ("e", "tau"), "lmu-ltau": ("mu", "tau")}

#: (sigma_piN / m_ud)_ref of seed 002 eq. (40)
SIGMA_PIN_OVER_MUD_REF = 17.3

M_PARAM = Parameter("m_med_mev", 10.0, "MeV", "mediator mass", "seed 002 eq. (16)", (1e-3, 1e6), r"$M_{Z'}$")


def _g_param(source: str, label: str = r"$g_{Z'}$") -> Parameter:
    return Parameter("g", 0.0, "", "mediator coupling g", source, (0.0, 10.0), label)


def _m_param(label: str) -> Parameter:
    """The mediator mass, with its plot symbol (``M_PARAM`` is the Z' one)."""
    return Parameter(M_PARAM.name, M_PARAM.default, M_PARAM.unit, M_PARAM.description, M_PARAM.source, M_PARAM.bounds,
                     label)


def _q2_mev2(ik) -> np.ndarray:
    return 2.0 * ik.isotope.mass_mev * ik.t_nr_mev


def kinetic_mixing_loop(q_mev: np.ndarray, heavy: str, light: str, n_nodes: int = 48) -> np.ndarray:
    """eps_{heavy,light}(|q|) of seed 002 eq. (29): int x(1-x) ln[(m_h^2 + x(1-x)q^2)/(m_l^2 + x(1-x)q^2)] dx."""
    x, w = np.polynomial.legendre.leggauss(n_nodes)
    x, w = 0.5 * (x + 1.0), 0.5 * w
    xx = x * (1.0 - x)
    q2 = np.asarray(q_mev, dtype=float)[..., None] ** 2
    num = LEPTON_MASS_MEV[heavy] ** 2 + xx * q2
    den = LEPTON_MASS_MEV[light] ** 2 + xx * q2
    return np.sum(w * xx * np.log(num / den), axis=-1)


class VectorMediator(Model):
    """A Z' of a U(1)' with the given charges (seed 002 eq. 16). Option
    ``es_vector_normalisation`` (``consistent`` or ``printed``, module docstring) fixes the
    normalisation of its shift of the electron g_V."""

    mediator_params = ("m_med_mev", "g")
    option_choices = {"es_vector_normalisation": ES_VECTOR_NORMALISATIONS}

    def __init__(self, name: str, charges: tuple[float, float, float, float, float], description: str = "",
                 es_vector_normalisation: str = "consistent") -> None:
        self.charges = charges
        self.muon_charge = float(charges[3]) or None
        super().__init__(name, description or f"light vector Z' with U(1)' charges (u, d, e, mu, tau) = {charges}",
                         "seed 002 eq. (16), Table 1", {"m_med_mev": M_PARAM, "g": _g_param("seed 002 eq. (16)")})
        self.es_vector_normalisation = self.check_option("es_vector_normalisation", es_vector_normalisation)

    def terms_unnormalised(self, grid, v) -> Terms:
        qu, qd, qe, qmu, qtau = self.charges
        lepton_charge = {"e": qe, "mu": qmu, "tau": qtau}
        cpl = couplings_for(grid)
        g2 = v["g"][:, None] ** 2
        m2 = v["m_med_mev"][:, None] ** 2
        out: Terms = {}
        for ik in grid.isotopes:
            z, n = ik.isotope.z, ik.isotope.n
            fp, fn = ik.f_proton[None, :], ik.f_neutron[None, :]
            prop = g2 / (SQRT2 * G_FERMI_MEV2 * (_q2_mev2(ik)[None, :] + m2))
            nuclear = (2 * qu + qd) * z * fp + (qu + 2 * qd) * n * fn
            for f in grid.flavours:
                gp, gn = cpl[f]
                q = gp * z * fp + gn * n * fn + lepton_charge[LEPTON_FLAVOUR[f]] * prop * nuclear
                out[("vector", ik.isotope.name, f)] = q * q
        return out


    def es_couplings_batch(self, flavour, grid, v, t_er_mev):
        """g_V -> g_V + g^2 Q'_l Q'_e / (c G_F (2 m_e T + M^2)), c = sqrt2 (``consistent``, seed 004
        eqs. 12, 23 and seed 002 eq. 16) or 2 sqrt2 (``printed`` seed 004 eq. 13)."""
        from ..physics.constants import M_ELECTRON_MEV

        gv, ga = super().es_couplings_batch(flavour, grid, v, t_er_mev)
        qe = self.charges[2]
        ql = dict(zip(LEPTONS, self.charges[2:], strict=True))[LEPTON_FLAVOUR[flavour]]
        if qe == 0 or ql == 0:
            return gv, ga
        g2, m2 = v["g"][:, None] ** 2, v["m_med_mev"][:, None] ** 2
        q2 = 2.0 * M_ELECTRON_MEV * np.asarray(t_er_mev)[None, :]
        c = es_vector_denominator(self.es_vector_normalisation)
        return gv + g2 * ql * qe / (c * G_FERMI_MEV2 * (q2 + m2)), ga


class LeptonicMediator(Model):
    """L_a - L_b Z' coupling to quarks through the one-loop kinetic mixing (seed 002 eqs. 28-29)."""

    mediator_params = ("m_med_mev", "g")

    def __init__(self, name: str, a: str, b: str, susy: bool = False) -> None:
        self.a, self.b, self.susy = a, b, susy
        # the Z' couples to L_a - L_b: charge +1 for a, -1 for b
        self.muon_charge = {a: 1.0, b: -1.0}.get("mu")
        params = {"m_med_mev": M_PARAM, "g": _g_param("seed 002 eq. (28)")}
        source = "seed 002 eqs. (28)-(29)"
        if susy:
            params["r"] = Parameter("r", 1.0, "", "slepton mass ratio m_stau/m_smu", "seed 000 eq. (18)", (1e-3, 1e3))
            source += "; seed 000 eq. (18)"
        super().__init__(name, f"L_{a} - L_{b} Z' with q-dependent loop kinetic mixing" + (" and SUSY sleptons" if susy else ""),
                         source, params)

    def terms_unnormalised(self, grid, v) -> Terms:
        cpl = couplings_for(grid)
        g2 = v["g"][:, None] ** 2
        m2 = v["m_med_mev"][:, None] ** 2
        out: Terms = {}
        for ik in grid.isotopes:
            z, n = ik.isotope.z, ik.isotope.n
            fp, fn = ik.f_proton[None, :], ik.f_neutron[None, :]
            q2 = _q2_mev2(ik)
            pref = SQRT2 * ALPHA_EM * g2 / (np.pi * G_FERMI_MEV2 * (q2[None, :] + m2))
            eps = {self.a: kinetic_mixing_loop(np.sqrt(q2), self.b, self.a),  # nu_a: eps_ba
                   self.b: kinetic_mixing_loop(np.sqrt(q2), self.a, self.b)}  # nu_b: eps_ab
            for f in grid.flavours:
                gp, gn = cpl[f]
                lep = LEPTON_FLAVOUR[f]
                dgp = 0.0
                if lep in eps:
                    e = eps[lep][None, :]
                    if self.susy:
                        # smuon/stau loop; sign follows the lepton loop of the same flavour
                        sign = 1.0 if lep == self.a else -1.0
                        e = e + sign * np.log(v["r"][:, None]) / 6.0
                    dgp = pref * e
                q = (gp + dgp) * z * fp + gn * n * fn
                out[("vector", ik.isotope.name, f)] = np.broadcast_to(q * q, (v["g"].size, ik.t_nr_mev.size))
        return out


def _es_propagator_sq(v, t_er_mev):
    from ..physics.constants import M_ELECTRON_MEV

    g4 = v["g"][:, None] ** 4
    return g4 / (2.0 * M_ELECTRON_MEV * np.asarray(t_er_mev)[None, :] + v["m_med_mev"][:, None] ** 2) ** 2


class ScalarMediator(Model):
    """Light scalar coupling universally to u, d quarks and nu_e, nu_mu (seed 002 eqs. 32-42)."""

    mediator_params = ("m_med_mev", "g")
    muon_charge = 1.0  # universal coupling (seed 002 appendix B)
    mediator_kind = "scalar"

    def __init__(self) -> None:
        super().__init__("scalar", "light scalar mediator, g~_phi with (sigma_piN/m_ud)_ref = 17.3",
                         "seed 002 eqs. (32)-(42); seed 004 eq. (14)",
                         {"m_med_mev": _m_param(r"$M_\phi$"), "g": _g_param("seed 002 eq. (42), g = g~_phi", r"$\tilde g_\phi$")})

    def terms_unnormalised(self, grid, v) -> Terms:
        cpl = couplings_for(grid)
        g2 = v["g"][:, None] ** 2
        m2 = v["m_med_mev"][:, None] ** 2
        out: Terms = {}
        for ik in grid.isotopes:
            z, n = ik.isotope.z, ik.isotope.n
            fp, fn = ik.f_proton[None, :], ik.f_neutron[None, :]
            c = g2 * SIGMA_PIN_OVER_MUD_REF * (z * fp + n * fn) / (_q2_mev2(ik)[None, :] + m2)
            for f in grid.flavours:
                q = sm_charge(ik, *cpl[f])
                out[("vector", ik.isotope.name, f)] = np.broadcast_to(q * q, c.shape)
                # M^2 T/(4 pi E^2) C^2 = (G_F^2 M/pi) (M T/2E^2) C^2/(2 G_F^2)
                out[("m2", ik.isotope.name, f)] = c * c / (2.0 * G_FERMI_MEV2**2)
        return out

    def es_terms(self, grid, v) -> Terms:
        """Seed 004 eq. (16), universal g_nuS = g_eS = g: in units of Z_eff G_F^2 m_e/(2 pi),
        g^4 m_e^2 T/(4 pi E^2 (2 m_e T + M^2)^2) -> coefficient g^4/(2 G_F^2 (..)^2) on es_me."""
        out = super().es_terms(grid, v)
        for atom in grid.es_atoms:
            x = _es_propagator_sq(v, atom.t_nr_mev) / (2.0 * G_FERMI_MEV2**2)
            for f in grid.flavours:
                key = ("es_me", atom.isotope.name, f)
                out[key] = out[key] + x
        return out


class TensorMediator(Model):
    """Light tensor mediator with universal couplings (seed 004 eq. 15)."""

    mediator_params = ("m_med_mev", "g")

    def __init__(self) -> None:
        super().__init__("tensor", "light tensor mediator, universal couplings g_nuT = g_qT = g",
                         "seed 004 eqs. (11), (15)",
                         {"m_med_mev": _m_param(r"$M_T$"), "g": _g_param("seed 004 eq. (15)", r"$g_T$")})

    def terms_unnormalised(self, grid, v) -> Terms:
        cpl = couplings_for(grid)
        g2 = v["g"][:, None] ** 2
        m2 = v["m_med_mev"][:, None] ** 2
        out: Terms = {}
        for ik in grid.isotopes:
            z, n = ik.isotope.z, ik.isotope.n
            fp, fn = ik.f_proton[None, :], ik.f_neutron[None, :]
            ct = g2 * (z * DELTA_TENSOR["p"] * fp + n * DELTA_TENSOR["n"] * fn)
            x = ct**2 / (G_FERMI_MEV2**2 * (_q2_mev2(ik)[None, :] + m2) ** 2)
            for f in grid.flavours:
                q = sm_charge(ik, *cpl[f])
                out[("vector", ik.isotope.name, f)] = np.broadcast_to(q * q, x.shape)
                # M (4E^2 - M T)/(2 pi E^2) = (M/pi) (2 - M T/2E^2) -> 2 m0 - m2
                out[("m0", ik.isotope.name, f)] = 2.0 * x
                out[("m2", ik.isotope.name, f)] = -x
        return out

    def es_terms(self, grid, v) -> Terms:
        """Seed 004 eq. (17), universal couplings: m_e g^4/(2 pi (2 m_e T + M^2)^2) [4 - 4T/E + T^2/E^2 - m_e T/E^2]
        -> X = g^4/(G_F^2 (..)^2) times (4 es_m0 - 4 es_m1 + es_m2 - es_me)."""
        out = super().es_terms(grid, v)
        for atom in grid.es_atoms:
            x = _es_propagator_sq(v, atom.t_nr_mev) / G_FERMI_MEV2**2
            for f in grid.flavours:
                for name, c in (("es_m0", 4.0), ("es_m1", -4.0), ("es_m2", 1.0), ("es_me", -1.0)):
                    key = (name, atom.isotope.name, f)
                    out[key] = out[key] + c * x
        return out




class CustomVectorMediator(VectorMediator):
    """``vector``: a Z' with user charges given as fixed parameters q_u, q_d, q_e, q_mu, q_tau."""

    def __init__(self, es_vector_normalisation: str = "consistent") -> None:
        super().__init__("vector", (1.0, 1.0, 1.0, 1.0, 1.0),
                         "light vector Z' with user-given U(1)' charges (fix q_u, q_d, q_e, q_mu, q_tau)",
                         es_vector_normalisation)
        self.muon_charge = None  # set by the user's q_mu; no (g-2)_mu band
        for k in ("q_u", "q_d", "q_e", "q_mu", "q_tau"):
            self.parameters[k] = Parameter(k, 1.0, "", f"U(1)' charge {k[2:]}", "user", (-100.0, 100.0))

    def terms_unnormalised(self, grid, v) -> Terms:
        charges = tuple(float(np.unique(v[k])[0]) if np.unique(v[k]).size == 1 else None
                        for k in ("q_u", "q_d", "q_e", "q_mu", "q_tau"))
        if any(c is None for c in charges):
            raise ParameterError("the charges q_u ... q_tau of model 'vector' must be fixed (--fix), not scanned")
        self.charges = charges
        return super().terms_unnormalised(grid, v)


def light_mediator_models() -> dict[str, type | object]:
    """Constructors of every light-mediator model by name."""
    out: dict = {name: (lambda n=name: VectorMediator(n, VECTOR_CHARGES[n])) for name in VECTOR_CHARGES}
    for name, (a, b) in LEPTONIC.items():
        out[name] = lambda n=name, a=a, b=b: LeptonicMediator(n, a, b)
    out["lmu-ltau-susy"] = lambda: LeptonicMediator("lmu-ltau-susy", "mu", "tau", susy=True)
    out["scalar"] = ScalarMediator
    out["tensor"] = TensorMediator
    out["vector"] = CustomVectorMediator
    return out


#: muon charge of each U(1)' model, for the (g-2)_mu band: read from the models' own
#: ``muon_charge`` declarations (0 where the Z' does not couple to muons), kept for scripts
MUON_CHARGE = {name: float(factory().muon_charge or 0.0) for name, factory in light_mediator_models().items()
               if name not in ("scalar", "tensor", "vector")}
