"""What a model is: named parameters and a map from parameter values to kernel terms.

A model turns a batch of parameter values (each an array of shape ``(P,)``) into the
coefficients of the precomputed kinematic kernels of an experiment (see
:class:`cevns.prediction.BinnedCEvNS.energy_counts_from_terms`): for a vector-type model
these are the squared weak charges Q_{iso,f}(T)^2 on the experiment's recoil grid.
Every model has ``cevns_norm``, a free overall factor on the CEvNS signal, and ``flux_8b``,
the solar 8B flux [10^6 cm^-2 s^-1], which scales the prediction of a source that declares it
in ``flux_parameters`` (the solar source; no effect on a stopped-pion source). Its default is
the source's nominal flux (the recipe's solar model).

A model sees a :class:`cevns.prediction.TargetGrid` (recoil nodes, F_p and F_n per
isotope, the source and its flavours, the SM reference couplings) and the parameter
values, never a recipe. Conventions a model needs beyond that are its *options*
(:attr:`Model.option_choices`), fixed when the model is made; the layer that holds the
recipe passes them (``get_model(name, recipe.model_options())``).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from ..errors import RecipeError, UnknownNameError
from ..physics.form_factors import form_factor as named_form_factor
from ..physics.form_factors import klein_nystrand
from ..physics.nuclei import Isotope
from ..physics.weak_charge import KN_A13, nucleon_form_factors
from ..prediction import IsotopeGrid, TargetGrid

Terms = dict[tuple[str, str, str], NDArray[np.float64]]

#: Proton rms radii used when neutron radii are fitted with the seed 004 recipe
#: (seed 004 sec. 4.1: R_p(Cs) = 4.824, R_p(I) = 4.766, R_p(Ar) = 3.448 fm).
SEED004_PROTON_RADII_FM = {"Cs133": 4.824, "I127": 4.766, "Ar40": 3.448, "Ar38": 3.448, "Ar36": 3.448}


@dataclass(frozen=True)
class Parameter:
    """A model parameter with its default (SM) value, unit, meaning and source.

    ``label`` is its symbol for plots (matplotlib mathtext, e.g. ``r"$\\sin^2\\theta_W$"``);
    empty, :data:`PARAMETER_LABELS` or the name is used (:meth:`axis_label`).
    """

    name: str
    default: float
    unit: str
    description: str
    source: str
    bounds: tuple[float, float] | None = None
    label: str = ""

    def axis_label(self) -> str:
        """Symbol and unit for a plot axis, e.g. ``$\\mu_{\\nu_e}$ [$\\mu_B$]``."""
        symbol = self.label or PARAMETER_LABELS.get(self.name, self.name)
        unit = UNIT_LABELS.get(self.unit, self.unit)
        return f"{symbol} [{unit}]" if unit else symbol


#: plot symbols of the packaged models' parameters, by name (a declaration's ``label`` wins)
PARAMETER_LABELS = {
    "cevns_norm": r"CEvNS normalisation $N/N_\mathrm{SM}$",
    "sin2_theta_w": r"$\sin^2\theta_W$",
    "rn_cs": r"$R_n(^{133}\mathrm{Cs})$", "rn_i": r"$R_n(^{127}\mathrm{I})$", "rn_ar": r"$R_n(^{40}\mathrm{Ar})$",
    "rn_csi": r"$R_n(\mathrm{CsI})$",
    "flux_8b": r"$\Phi(^8\mathrm{B})$",
    "mu_nu_e": r"$\mu_{\nu_e}$", "mu_nu_mu": r"$\mu_{\nu_\mu}$",
    "r2_nu_ee": r"$\langle r^2_{\nu_{ee}}\rangle$", "r2_nu_mumu": r"$\langle r^2_{\nu_{\mu\mu}}\rangle$",
    "q_nu_ee": r"$q_{\nu_{ee}}$", "q_nu_mumu": r"$q_{\nu_{\mu\mu}}$",
    "m_med_mev": r"$M_{Z'}$", "g": r"$g_{Z'}$",
    "dm2_41_ev2": r"$\Delta m^2_{41}$", "sin2_2theta_14": r"$\sin^2 2\theta_{14}$",
    "sin2_2theta_24": r"$\sin^2 2\theta_{24}$", "m4_mev": r"$m_4$",
    "q_u": r"$Q'_u$", "q_d": r"$Q'_d$", "q_e": r"$Q'_e$", "q_mu": r"$Q'_\mu$", "q_tau": r"$Q'_\tau$",
    "c_s": r"$C_S^q$", "c_v": r"$C_V^q$", "c_t": r"$C_T^q$", "r": r"$m_{\tilde\tau}/m_{\tilde\mu}$",
}
for _f, _t in (("ee", "ee"), ("mumu", "\\mu\\mu"), ("emu", "e\\mu"), ("etau", "e\\tau"), ("mutau", "\\mu\\tau"),
               ("tautau", "\\tau\\tau")):
    for _q in ("u", "d"):
        PARAMETER_LABELS[f"eps_{_f}_{_q}"] = rf"$\varepsilon_{{{_t}}}^{{{_q}V}}$"

#: plot spelling of the units of :class:`Parameter`
UNIT_LABELS = {"mu_B": r"$\mu_B$", "cm^2": r"cm$^2$", "eV^2": r"eV$^2$", "e": r"$e$",
               "1e6 cm^-2 s^-1": r"$10^6$ cm$^{-2}$ s$^{-1}$"}


CEVNS_NORM = Parameter("cevns_norm", 1.0, "", "free overall factor on the CEvNS signal", "any fit", (0.0, 10.0))
#: the solar 8B flux; default (NaN here) the nominal flux of the grid's source
FLUX_8B = Parameter("flux_8b", float("nan"), "1e6 cm^-2 s^-1",
                    "solar 8B neutrino flux (scales solar sources only; default: the recipe's solar model)",
                    "sources/solar.py SOLAR_FLUXES", (0.0, 100.0))
#: parameters every model has, before its own
COMMON_PARAMETERS = {"cevns_norm": CEVNS_NORM, "flux_8b": FLUX_8B}


@dataclass
class Model:
    """Base class: subclasses fill ``parameters`` and implement :meth:`terms_unnormalised`.

    Interface (all a caller needs): :meth:`terms` ``(grid, values) -> {(structure, isotope,
    flavour): (P, n_T)}``, :meth:`default` ``(name, grid)``, :meth:`with_options`.
    """

    name: str = "base"
    description: str = ""
    source: str = ""
    parameters: dict[str, Parameter] = field(default_factory=dict)
    #: (mass [MeV], coupling) parameter names of a mediator model, read by scans and limits
    mediator_params: ClassVar[tuple[str, str] | None] = None
    #: the mediator's charge of the muon, for the (g-2)_mu band (None: it does not couple to muons)
    muon_charge: ClassVar[float | None] = None
    #: ``vector`` or ``scalar``: which (g-2)_mu loop the band uses
    mediator_kind: ClassVar[str] = "vector"
    #: options this model reads (instance attributes of these names) and their allowed values;
    #: set at construction or with :meth:`with_options` (recipe keys of the same names)
    option_choices: ClassVar[Mapping[str, tuple[str, ...]]] = {}

    def __post_init__(self) -> None:
        self.parameters = {**COMMON_PARAMETERS, **self.parameters}

    def check_option(self, name: str, value: str) -> str:
        """``value`` if it is an allowed value of option ``name``; a clear error otherwise."""
        if name not in self.option_choices:
            raise UnknownNameError(f"model {self.name!r} has no option {name!r}; options: "
                                   f"{', '.join(self.option_choices) or 'none'}")
        if value not in self.option_choices[name]:
            raise RecipeError(f"unknown {name} {value!r}; choose one of {', '.join(self.option_choices[name])}")
        return value

    def with_options(self, **options: str) -> Model:
        """A copy of this model with the given options (names from :attr:`option_choices`)."""
        out = copy.copy(self)
        for k, v in options.items():
            setattr(out, k, self.check_option(k, v))
        return out

    def complete(self, values: Mapping[str, NDArray[np.float64] | float], grid: TargetGrid) -> dict[str, NDArray[np.float64]]:
        """Fill defaults and broadcast every value to a common ``(P,)`` batch shape."""
        unknown = sorted(set(values) - set(self.parameters))
        if unknown:
            raise UnknownNameError(
                f"unknown parameter(s) {', '.join(unknown)} for model {self.name!r}; "
                f"valid: {', '.join(self.parameters)}"
            )
        defaults = {k: self.default(k, grid) for k in self.parameters}
        arrays = {k: np.atleast_1d(np.asarray(values.get(k, defaults[k]), dtype=float)) for k in self.parameters}
        size = max(a.size for a in arrays.values())
        return {k: np.broadcast_to(a, (size,)).astype(float) for k, a in arrays.items()}

    def default(self, name: str, grid: TargetGrid) -> float:
        """Default value of a parameter on ``grid`` (may depend on its SM reference or source)."""
        if name in COMMON_PARAMETERS and name != "cevns_norm":
            return float(source_flux_parameters(grid.source).get(name, np.nan))
        return self.parameters[name].default

    def terms(self, grid: TargetGrid, values: Mapping[str, NDArray[np.float64] | float]) -> Terms:
        """Kernel coefficients ``{(structure, isotope, flavour): (P, n_T)}`` for the batch, one
        entry per isotope (and ES atom) of ``grid`` and flavour of its source."""
        v = self.complete(values, grid)
        terms = self.terms_unnormalised(grid, v)
        flux = source_flux_scale(grid.source, v)
        norm = v["cevns_norm"][:, None] * flux
        out = {k: norm * t for k, t in terms.items()}
        if grid.es_atoms:
            out.update({k: flux * t for k, t in self.es_terms(grid, v).items()})
        return out

    def es_terms(self, grid: TargetGrid, v: dict[str, NDArray[np.float64]]) -> Terms:
        """Neutrino-electron scattering terms (SM by default; seed 004 eq. 4). Models that
        change ES override :meth:`es_couplings_batch` or this method."""
        out: Terms = {}
        p = v["cevns_norm"].size
        for atom in grid.es_atoms:
            for f in grid.flavours:
                gv, ga = self.es_couplings_batch(f, grid, v, atom.t_nr_mev)
                out.update(sm_like_es_terms(atom.isotope.name, f, gv, ga, p, atom.t_nr_mev.size))
        return out

    def es_couplings_batch(self, flavour: str, grid: TargetGrid, v, t_er_mev) -> tuple[NDArray, NDArray]:
        """(g_V, g_A) for ES, each broadcastable to ``(P, n_T)``; SM values (at the grid's
        sin^2 theta_W) by default."""
        from ..physics.electron_scattering import es_couplings

        gv, ga = es_couplings(flavour, grid.sm.sin2_theta_w)
        return np.asarray(gv), np.asarray(ga)

    def terms_unnormalised(self, grid: TargetGrid, v: dict[str, NDArray[np.float64]]) -> Terms:
        """CEvNS kernel coefficients before ``cevns_norm``; ``v`` holds every parameter as ``(P,)``."""
        raise NotImplementedError

    def describe(self) -> dict:
        """Plain-data description for ``cevns models``."""
        return {
            "name": self.name,
            "description": self.description,
            "source": self.source,
            "parameters": {
                p.name: {"default": p.default, "unit": p.unit, "description": p.description, "source": p.source}
                for p in self.parameters.values()
            },
        }


def source_flux_parameters(source) -> dict[str, float]:
    """The source's flux parameters and nominal values (empty for a source without them)."""
    return dict(getattr(source, "flux_parameters", {}) or {})


def source_flux_scale(source, v: Mapping[str, NDArray[np.float64]]) -> NDArray[np.float64]:
    """(P, 1) factor value / nominal of the flux parameters the source declares (ones if none)."""
    size = next(iter(v.values())).size
    scale = np.ones((size, 1))
    for name, nominal in source_flux_parameters(source).items():
        scale = scale * (np.asarray(v[name], dtype=float)[:, None] / nominal)
    return scale


def sm_charge(ik: IsotopeGrid, gp, gn) -> NDArray[np.float64]:
    """Q(T) = g_V^p Z F_p + g_V^n N F_n on an isotope kernel's recoil grid, shape ``(1 or P, n_T)``."""
    return gp * ik.isotope.z * ik.f_proton[None, :] + gn * ik.isotope.n * ik.f_neutron[None, :]


def sm_like_es_terms(atom_name: str, flavour: str, gv, ga, p: int, n_t: int) -> Terms:
    """ES kernel coefficients of seed 004 eq. (4) for couplings gv, ga (broadcast to (P, n_T)):
    (gV+gA)^2 m0 + (gV-gA)^2 (m0 - 2 m1 + m2) - (gV^2 - gA^2) me."""
    gv = np.broadcast_to(np.asarray(gv, dtype=float), (p, n_t))
    ga = np.broadcast_to(np.asarray(ga, dtype=float), (p, n_t))
    plus, minus = (gv + ga) ** 2, (gv - ga) ** 2
    return {
        ("es_m0", atom_name, flavour): plus + minus,
        ("es_m1", atom_name, flavour): -2.0 * minus,
        ("es_m2", atom_name, flavour): minus,
        ("es_me", atom_name, flavour): -(gv**2 - ga**2),
    }


def couplings_for(grid: TargetGrid, sin2: NDArray[np.float64] | None = None) -> dict[str, tuple[NDArray, NDArray]]:
    """(g_V^p, g_V^n) per flavour of the grid's source as ``(P, 1)`` arrays.

    Without ``sin2``: the grid's SM reference couplings. With ``sin2`` given: tree-level
    references use 1/2 - 2 sin^2 (seed 004 eq. 2); radiative ones shift the seed 002
    eq. (12) values by -2 (sin^2 - sin^2_ref), keeping the flavour-dependent radiative
    corrections.
    """
    base = grid.sm.couplings
    out = {}
    for f in grid.flavours:
        gp = np.asarray(base[f].proton, dtype=float)
        if sin2 is not None:
            s2 = np.asarray(sin2, dtype=float)[:, None]
            gp = 0.5 - 2.0 * s2 if grid.sm.coupling_scheme == "tree" else gp - 2.0 * (s2 - grid.sm.sin2_theta_w)
        out[f] = (np.broadcast_to(gp, np.shape(gp)), np.asarray(base[f].neutron, dtype=float))
    return out


def form_factors_for(
    isotope: Isotope,
    t_nr_mev: NDArray[np.float64],
    form_factor: str,
    neutron_rms_radius_fm: NDArray[np.float64] | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(F_p, F_n) on the grid; with a batch of neutron radii, F_n has shape ``(P, n_T)``.

    Fixed radii: the parametrisation ``form_factor`` (the grid's, ``grid.sm.form_factor``)
    with the isotope's radii. Fitted neutron radius: that parametrisation evaluated at that
    rms radius; for the seed 004 choice (Klein-Nystrand with R_A = 1.23 A^(1/3)) separate
    proton and neutron Klein-Nystrand form factors from rms radii with the proton radii of
    seed 004 sec. 4.1.
    """
    if neutron_rms_radius_fm is None:
        return nucleon_form_factors(isotope, t_nr_mev, form_factor)
    q = np.sqrt(2.0 * isotope.mass_mev * t_nr_mev)
    rn = np.asarray(neutron_rms_radius_fm, dtype=float)[:, None]
    if form_factor == KN_A13:
        fp = klein_nystrand(q, SEED004_PROTON_RADII_FM[isotope.name])
        fn = klein_nystrand(q[None, :], rn)
    else:
        fp = named_form_factor(form_factor, q, isotope.proton_rms_radius_fm)
        fn = named_form_factor(form_factor, q[None, :], rn)
    return fp, fn
