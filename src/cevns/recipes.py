"""Recipes: named sets of analysis choices that reproduce a published analysis.

A recipe is data: the presets are TOML files shipped in the package
(``cevns/presets/NAME.toml``; ``cevns recipes show NAME`` prints one, ``cevns recipes export
NAME > my.toml`` writes an editable copy) and a user file has the same form. It holds the
*prediction* choices (form factor, radii, nucleon couplings, detector-model options) and,
per experiment, the Gaussian priors of the likelihood's nuisances (table
``[nuisances.EXPERIMENT]``, ``"free"`` for no prior; ``[nuisances.EXPERIMENT.electron-scattering]``
overrides them when electron scattering is on). The chi2 form, binning, templates and the
non-linear nuisance grids are the named likelihood structure (``likelihood``), code hooks
in :mod:`cevns.likelihood`.

Presets:

* ``atzori2022`` (seed 002 sec. II-III): Helm form factors with the radii of eqs.
  (13)-(14), radiatively corrected couplings of eq. (12). This is also the default.
* ``deromeri2023`` (seed 004 sec. 2-3): Klein-Nystrand with R_A = 1.23 A^(1/3) fm
  (eq. 3), tree-level couplings with sin^2(theta_W) = 0.23857 (eq. 2).
* ``cadeddu2021`` (seed 001 sec. 2): Helm form factors with the radii of eq. (2.5) and
  the RMF NL-Z2 neutron radii, radiative couplings (eqs. 2.2-2.4).
* ``banerjee2021`` (seed 000 sec. II): Helm form factors (seed 002 radii), tree-level
  couplings; CsI 2017 with 1.17 PE/keVnr and the eq. (4) efficiency.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from .errors import RecipeError, UnknownNameError
from .physics.constants import SIN2_THETA_W_LOW_ENERGY


@dataclass(frozen=True)
class Recipe:
    """Prediction-side analysis choices.

    Attributes
    ----------
    name, description, source: identification and the seed/equation it reproduces.
    form_factor: ``helm``, ``klein-nystrand``, ``symmetrized-fermi`` or
        ``klein-nystrand-a13`` (seed 004 eq. 3 with R_A = 1.23 A^(1/3) fm).
    radii: radius set of :mod:`cevns.physics.nuclei` (``atzori2022`` or ``cadeddu2021``).
    couplings: ``radiative`` (seed 002 eq. 12) or ``tree``.
    sin2_theta_w: used when ``couplings == "tree"``.
    natural_argon: include Ar-36/Ar-38 at natural abundance (else pure Ar-40).
    csi2017_response: ``banerjee2021`` (1.17 PE/keVnr, seed 000 eq. 4 efficiency).
    background_time_efficiency: apply the CsI 2021 time efficiency (seed 004 eq. 33) to
        the BRN/NIN templates as well as to CEvNS.
    time_normalisation: ``window`` normalises each flavour's arrival-time distribution
        to 1 inside the analysis time window (CsI 2021: 0-6 us, before the time
        efficiency; LAr: -0.1-4.9 us), as seed 004 sec. 3.1 states ("we normalize them
        to 6 us") and as the collaboration's released CEvNS PDFs are normalised;
        ``physical`` keeps the true fraction inside the window (8 % of delayed
        neutrinos arrive after 6 us, 13 % after 4.9 us). docs/validation.md shows what
        each gives against COHERENT's 341 (CsI) and 128 (LAr).
    lar_time_model: ``decay-chain`` distributes each flavour in time with the pulse x
        decay-chain model (prompt nu_mu only at low recoil energy, as physics has it);
        ``release`` uses the time projection of the released CEvNS PDF for every flavour
        and energy bin, the factorised form of COHERENT's own PDF (used by seed 000).
    likelihood: which published chi2 structure to use (a preset name); empty means the
        recipe's own name (user recipes inherit their base's).
    electron_scattering: add neutrino-electron scattering in CsI 2021 (seed 004 eqs.
        34-35, 37); never for LAr (seed 004 sec. 3.2).
    csi2021_steady_state: ``smooth`` (default) builds the CsI 2021 steady-state
        expectation from the anti-coincidence events as per-PE-row totals times a flat
        rate through the time efficiency of seed 004 eq. (33); ``histogram`` uses the raw
        AC histogram bin by bin (its Poisson noise then acts as a fixed shape).
        docs/validation.md "CsI 2021 steady-state background" shows the per-row chi2.
    ngi_normalisation: ``printed`` (default) takes C_V and C_T of the NGI model as seed
        004 eqs. (9), (11) print them; ``published`` doubles both per unit coupling, the
        normalisation under which seed 004 eq. (45) reports its C_V and C_T intervals.
        A model option (:meth:`model_options`).
    es_vector_normalisation: light vector mediators on electrons (ES). ``consistent``
        (default) shifts g_V^e by g^2 Q'_l Q'_e / (sqrt2 G_F (2 m_e T + M^2)), the
        normalisation of seed 004 eqs. (12), (23) and seed 002 eq. (16); ``printed`` uses
        the 1/(2 sqrt2 G_F) of seed 004 eq. (13) as printed. A model option.
    nonlinear_nuisances: how the non-linear nuisances of a likelihood (the CsI 2021
        alpha_4, alpha_6, alpha_7 of seed 004) are profiled. ``morph`` (default) interpolates
        their templates smoothly between the grid nodes and minimises the chi2 over all
        nuisances jointly (:mod:`cevns.likelihood.morph`); ``grid`` profiles every node
        and interpolates the chi2 between nodes (the method before issue #10, kept as a
        cross-check). docs/likelihoods.md compares them.
    solar_flux: the total solar fluxes of the XENONnT prediction (:data:`cevns.sources.solar.SOLAR_FLUXES`):
        ``b16-gs98`` (default), ``b16-agss09met`` (Vinyoles et al. 2017) or ``sno`` (the SNO 2013
        8B measurement); its relative uncertainty is the default prior of ``eta_flux_8b``.
    lar_likelihood: how the ``banerjee2021`` LAr 3D Poisson likelihood (seed 000 eqs. 23-25)
        treats its four normalisations: ``profiled`` (default) fits them as global
        nuisances with the Gaussian priors of the recipe (the seed's Table I refit);
        ``marginalised`` integrates them out bin by bin under Gaussian envelopes of the same
        widths, as seed 000 eq. (23) is written (:mod:`cevns.likelihood.marginal`). Only the
        ``banerjee2021`` likelihood has the marginalised form.
    solar_b8_spectrum: the 8B neutrino spectrum shape (:data:`cevns.sources.solar.B8_SPECTRA`):
        ``winter2006`` (default; Winter et al., PRC 73 (2006) 025503, Table IV), ``bahcall1996``
        (Bahcall et al., PRC 54 (1996) 411) or its ``bahcall1996-soft`` / ``bahcall1996-hard``
        +-3 sigma spectra, or ``analytic`` (docs/xenonnt.md compares them).
    """

    name: str
    description: str
    source: str
    form_factor: str = "helm"
    radii: str = "atzori2022"
    couplings: str = "radiative"
    sin2_theta_w: float = SIN2_THETA_W_LOW_ENERGY
    natural_argon: bool = False
    csi2017_response: str = "banerjee2021"
    background_time_efficiency: bool = True
    time_normalisation: str = "window"
    lar_time_model: str = "decay-chain"
    likelihood: str = ""
    electron_scattering: bool = False
    csi2021_steady_state: str = "smooth"
    ngi_normalisation: str = "printed"
    es_vector_normalisation: str = "consistent"
    nonlinear_nuisances: str = "morph"
    solar_flux: str = "b16-gs98"
    lar_likelihood: str = "profiled"
    solar_b8_spectrum: str = "winter2006"
    #: ((experiment, nuisance, sigma or None for free), ...); experiment "E/electron-scattering"
    #: entries apply on top of "E" when electron scattering is on
    nuisance_priors: tuple[tuple[str, str, float | None], ...] = ()

    @property
    def likelihood_name(self) -> str:
        """Name of the likelihood structure (preset) this recipe uses."""
        return self.likelihood or self.name

    def model_options(self) -> dict[str, str]:
        """The choices that are model options (:data:`MODEL_OPTIONS`), for
        :func:`cevns.models.get_model`; each model takes the ones it declares."""
        return {k: getattr(self, k) for k in MODEL_OPTIONS}

    def to_dict(self) -> dict:
        """Plain-data form for JSON output and provenance."""
        return asdict(self)

    def priors_for(self, experiment: str) -> dict[str, float | None]:
        """Nuisance name -> Gaussian sigma (None: free) of ``experiment`` under this recipe."""
        out = {n: sig for e, n, sig in self.nuisance_priors if e == experiment}
        if self.electron_scattering:
            out.update({n: sig for e, n, sig in self.nuisance_priors if e == f"{experiment}/{ES_SUBTABLE}"})
        return out

    def with_options(self, **changes) -> Recipe:
        """Copy with some choices replaced (unknown names raise TypeError)."""
        return replace(self, **changes)


#: recipe choices that are passed to models as construction options (never the recipe itself)
MODEL_OPTIONS = ("ngi_normalisation", "es_vector_normalisation")
#: sub-table of ``[nuisances.EXPERIMENT]`` that applies when electron scattering is on
ES_SUBTABLE = "electron-scattering"
#: preset names, in the order ``cevns recipes`` lists them
PRESET_NAMES = ("atzori2022", "deromeri2023", "cadeddu2021", "banerjee2021", "xenonnt2024", "xenonnt2026")


DEFAULT_RECIPE = "atzori2022"


def get_recipe(name: str | Recipe | None) -> Recipe:
    """Recipe by preset name, or loaded from a ``.toml``/``.yaml`` file path (``None``: ``atzori2022``)."""
    if isinstance(name, Recipe):
        return name
    key = DEFAULT_RECIPE if name is None else str(name)
    if key in RECIPES:
        return RECIPES[key]
    if key.endswith((".toml", ".yaml", ".yml")):
        return load_recipe_file(key)
    if Path(key).suffix and Path(key).exists():
        raise RecipeError(f"recipe file {key}: unknown extension {Path(key).suffix!r}; supported: .toml, .yaml, .yml")
    raise UnknownNameError(
        f"unknown recipe {key!r}; available recipes: {', '.join(RECIPES)} (or a .toml/.yaml recipe file)"
    )


class RecipeFileError(RecipeError):
    """A user recipe file has an unknown key or a value of the wrong type."""


_FIELD_TYPES = {
    "name": str, "description": str, "source": str, "form_factor": str, "radii": str, "couplings": str,
    "sin2_theta_w": float, "natural_argon": bool, "csi2017_response": str, "background_time_efficiency": bool,
    "time_normalisation": str, "lar_time_model": str, "likelihood": str, "electron_scattering": bool,
    "csi2021_steady_state": str, "ngi_normalisation": str, "es_vector_normalisation": str,
    "nonlinear_nuisances": str, "solar_flux": str, "lar_likelihood": str, "solar_b8_spectrum": str,
}
_CHOICES = {
    "form_factor": ("helm", "klein-nystrand", "symmetrized-fermi", "klein-nystrand-a13"),
    "radii": ("atzori2022", "cadeddu2021"),
    "couplings": ("radiative", "tree"),
    "csi2017_response": ("banerjee2021",),
    "time_normalisation": ("window", "physical"),
    "lar_time_model": ("decay-chain", "release"),
    "csi2021_steady_state": ("smooth", "histogram"),
    "ngi_normalisation": ("printed", "published"),
    "es_vector_normalisation": ("consistent", "printed"),
    "nonlinear_nuisances": ("morph", "grid"),
    "solar_flux": ("b16-gs98", "b16-agss09met", "sno"),
    "lar_likelihood": ("profiled", "marginalised"),
    "solar_b8_spectrum": ("winter2006", "bahcall1996", "bahcall1996-soft", "bahcall1996-hard", "analytic"),
}


def _line_of(text: str, key: str, after: int = 0) -> int | None:
    """Line (1-based) of ``key = ...`` / ``key: ...`` at or after line ``after``."""
    for i, line in enumerate(text.splitlines(), start=1):
        if i < after:
            continue
        stripped = line.strip().strip('"')
        if stripped.startswith(key) and stripped[len(key):].lstrip().lstrip('"').lstrip()[:1] in ("=", ":"):
            return i
    return None


def _table_line(text: str, *keys: str) -> int | None:
    """Line of the TOML table header ``[a.b]`` (quoted parts allowed) for ``keys``."""
    want = ".".join(keys)
    for i, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            if stripped.strip("[]").replace('"', "").replace(" ", "") == want:
                return i
    return None


def _where(path: str, line: int | None) -> str:
    return f"{path}, line {line}" if line else path


def _parse_priors(table, text: str, path: str, base_priors: tuple) -> tuple:
    """Validated ``[nuisances.EXPERIMENT]`` tables merged onto ``base_priors``."""
    if not isinstance(table, dict):
        raise RecipeFileError(f"{_where(path, _line_of(text, 'nuisances'))}: nuisances must be a table of "
                              "[nuisances.EXPERIMENT] tables")
    merged = {(e, n): sig for e, n, sig in base_priors}
    known_exp = sorted({e.split("/")[0] for e, _ in merged})
    for exp, entries in table.items():
        head = _table_line(text, "nuisances", exp)
        if known_exp and exp not in known_exp:
            raise RecipeFileError(f"{_where(path, head)}: no nuisances for experiment {exp!r} in this recipe's "
                                  f"likelihood; valid: {', '.join(known_exp)}")
        if not isinstance(entries, dict):
            raise RecipeFileError(f"{_where(path, head)}: [nuisances.{exp}] must be a table of NAME = sigma")
        for sub, items in ((exp, {k: v for k, v in entries.items() if k != ES_SUBTABLE}),
                           (f"{exp}/{ES_SUBTABLE}", entries.get(ES_SUBTABLE, {}))):
            valid = sorted(n for e, n in merged if e == sub)
            sub_head = head if sub == exp else _table_line(text, "nuisances", exp, ES_SUBTABLE) or head
            if not isinstance(items, dict):
                raise RecipeFileError(f"{_where(path, sub_head)}: {ES_SUBTABLE} must be a table of NAME = sigma")
            for name, value in items.items():
                line = _line_of(text, name, after=sub_head or 0)
                if known_exp and name not in valid:
                    raise RecipeFileError(f"{_where(path, line)}: unknown nuisance {name!r} for {sub}; "
                                          f"valid: {', '.join(valid)}")
                if value == "free":
                    sigma = None
                elif isinstance(value, int | float) and not isinstance(value, bool) and np.isfinite(value) and value > 0:
                    sigma = float(value)
                else:
                    raise RecipeFileError(f"{_where(path, line)}: nuisance {name} must be a positive sigma "
                                          f"(relative) or \"free\", got {value!r}")
                merged[(sub, name)] = sigma
    return tuple((e, n, sig) for (e, n), sig in merged.items())


def _recipe_from_mapping(raw: dict, text: str, path: str, base: Recipe, require_name: bool = True) -> Recipe:
    """Validate a parsed recipe mapping against :class:`Recipe` and apply it on ``base``."""
    changes: dict = {}
    priors_table = raw.pop("nuisances", None)
    for key, value in raw.items():
        where = _where(path, _line_of(text, key))
        if key not in _FIELD_TYPES:
            raise RecipeFileError(f"{where}: unknown key {key!r}; valid keys: base, nuisances, {', '.join(_FIELD_TYPES)}")
        typ = _FIELD_TYPES[key]
        if typ is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, typ) or (typ is not bool and isinstance(value, bool)):
            raise RecipeFileError(f"{where}: {key} must be of type {typ.__name__}, got {value!r}")
        if key == "likelihood" and value not in PRESET_NAMES:
            raise RecipeFileError(f"{where}: likelihood = {value!r} is not one of {', '.join(PRESET_NAMES)}")
        if key == "name" and not value.strip():
            raise RecipeFileError(f"{where}: name must not be empty")
        if typ is float and not np.isfinite(value):
            raise RecipeFileError(f"{where}: {key} must be a finite number")
        if key in _CHOICES and value not in _CHOICES[key]:
            raise RecipeFileError(f"{where}: {key} = {value!r} is not one of {', '.join(_CHOICES[key])}")
        changes[key] = value
    if require_name and "name" not in changes:
        raise RecipeFileError(f"{path}: a recipe file must set name")
    base_priors = base.nuisance_priors
    if "likelihood" in changes and changes["likelihood"] != base.likelihood_name and changes["likelihood"] in RECIPES:
        # another likelihood structure: start from its preset's priors
        base_priors = RECIPES[changes["likelihood"]].nuisance_priors
    changes["nuisance_priors"] = (base_priors if priors_table is None
                                  else _parse_priors(priors_table, text, path, base_priors))
    return replace(base, **changes)


def _read_mapping(p: Path) -> tuple[dict, str]:
    path = str(p)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise RecipeFileError(f"recipe file {path} cannot be read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise RecipeFileError(f"recipe file {path} cannot be read: it is not UTF-8 text (a TOML or YAML file is "
                              f"expected)") from None
    try:
        if p.suffix == ".toml":
            import tomllib

            raw = tomllib.loads(text)
        else:
            import yaml

            raw = yaml.safe_load(text) or {}
    except ImportError:
        raise RecipeFileError(f"{path}: reading YAML recipes needs PyYAML (pip install pyyaml)") from None
    except Exception as exc:  # parser errors carry their own line numbers
        raise RecipeFileError(f"{path}: cannot parse: {exc}") from None
    if not isinstance(raw, dict):
        raise RecipeFileError(f"{path}: expected a table of key = value pairs")
    return raw, text


#: recipe keys that only one release reads: a change there is ignored by a likelihood without that release
EXPERIMENT_KEYS = {
    "csi2017_response": ("csi-2017",),
    "csi2021_steady_state": ("csi-2021",),
    "background_time_efficiency": ("csi-2021",),
    "electron_scattering": ("csi-2021",),
    "nonlinear_nuisances": ("csi-2021",),
    "lar_time_model": ("lar-2020",),
    "natural_argon": ("lar-2020",),
}


def _check_ignored_keys(raw: dict, text: str, path: str, rec: Recipe, base: Recipe, base_name: str) -> None:
    """A key changed from the base that the recipe's likelihood never reads is an error, not a silent no-op."""
    from .likelihood.registry import LIKELIHOOD_RECIPES

    likelihood = raw.get("likelihood") or base.likelihood_name
    try:
        experiments = LIKELIHOOD_RECIPES[likelihood]
    except KeyError:
        return
    for key, needs in EXPERIMENT_KEYS.items():
        if key in raw and raw[key] != getattr(base, key) and not experiments & set(needs):
            raise RecipeFileError(
                f"{_where(path, _line_of(text, key))}: {key} = {raw[key]!r} is ignored: likelihood "
                f"{likelihood!r} (base {base_name}) has no {', '.join(needs)} analysis; remove the key "
                f"or choose a base whose likelihood has {', '.join(needs)}")


def load_recipe_file(path: str) -> Recipe:
    """Load a user recipe from TOML or YAML.

    The file sets any :class:`Recipe` field, ``base`` (a preset to start from, default
    ``atzori2022``) and nuisance priors, and must set ``name``. Example (TOML)::

        name = "my-csi"
        base = "deromeri2023"
        form_factor = "helm"
        time_normalisation = "physical"

        [nuisances.csi-2021]
        alpha_3 = 0.05        # SS normalisation prior, relative

    Unknown keys, wrong types, invalid choices and unknown nuisances raise
    :class:`RecipeFileError` naming the file, the line and the valid choices.
    ``cevns recipes export NAME`` writes a complete file to start from.
    """
    p = Path(path)
    if p.is_dir():
        raise RecipeFileError(f"recipe file {path} is a folder; give the path of a .toml or .yaml file")
    if not p.is_file():
        raise RecipeFileError(f"recipe file {path} not found")
    raw, text = _read_mapping(p)
    base_name = raw.pop("base", DEFAULT_RECIPE)
    if not isinstance(base_name, str) or base_name not in RECIPES:
        raise RecipeFileError(f"{_where(path, _line_of(text, 'base'))}: unknown base recipe {base_name!r}; "
                              f"choose one of {', '.join(RECIPES)}")
    base = RECIPES[base_name]
    rec = _recipe_from_mapping(raw, text, path, base)
    _check_ignored_keys(raw, text, path, rec, base, base_name)
    if rec.name in RECIPES:
        raise RecipeFileError(f"{path}: name {rec.name!r} is a preset; choose another name")
    changes = {}
    if "likelihood" not in raw:
        changes["likelihood"] = base.likelihood_name
    if "description" not in raw:
        changes["description"] = f"user recipe from {p.name} (based on {base_name})"
    if "source" not in raw:
        changes["source"] = f"{p} (base: {base.source})"
    return replace(rec, **changes)


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)
    if v is None:
        return '"free"'
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


def recipe_to_toml(recipe: Recipe, name: str | None = None, base: str | None = None) -> str:
    """The recipe as a TOML file that :func:`load_recipe_file` reads back to the same recipe
    (with ``name`` and ``base`` replaced when given; floats written exactly)."""
    lines = [f"# cevns recipe {recipe.name!r}: {recipe.description}",
             "# Edit and use with --recipe FILE.toml; `cevns recipes show NAME` prints the presets.", ""]
    if base is not None:
        lines.append(f"base = {_toml_value(base)}")
    d = recipe.to_dict()
    d["likelihood"] = recipe.likelihood_name
    if name is not None:
        d["name"] = name
    for key in _FIELD_TYPES:
        lines.append(f"{key} = {_toml_value(d[key])}")
    experiments: dict[str, dict[str, list]] = {}
    for exp, nu, sig in recipe.nuisance_priors:
        top, _, sub = exp.partition("/")
        experiments.setdefault(top, {}).setdefault(sub, []).append((nu, sig))
    for exp, subs in experiments.items():
        lines += ["", f"# nuisance priors of {exp}: Gaussian sigma (relative), or \"free\"", f"[nuisances.{exp}]"]
        lines += [f"{nu} = {_toml_value(sig)}" for nu, sig in subs.get("", [])]
        if ES_SUBTABLE in subs:
            lines += ["", "# with electron scattering on (replaces the entries above of the same name)",
                      f"[nuisances.{exp}.{ES_SUBTABLE}]"]
            lines += [f"{nu} = {_toml_value(sig)}" for nu, sig in subs[ES_SUBTABLE]]
    return "\n".join(lines) + "\n"


def _load_presets() -> dict[str, Recipe]:
    """The shipped presets, ``cevns/presets/NAME.toml``, validated like user files."""
    import tomllib
    from importlib.resources import files

    out = {}
    folder = files("cevns").joinpath("presets")
    for preset in PRESET_NAMES:
        res = folder.joinpath(f"{preset}.toml")
        text = res.read_text(encoding="utf-8")
        raw = tomllib.loads(text)
        rec = _recipe_from_mapping(raw, text, f"cevns/presets/{preset}.toml", Recipe(preset, "", ""))
        if rec.name != preset:
            raise RecipeFileError(f"cevns/presets/{preset}.toml: name {rec.name!r} differs from the file name")
        out[preset] = rec
    return out


RECIPES: dict[str, Recipe] = {}
RECIPES.update(_load_presets())
