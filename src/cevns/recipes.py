"""Recipes: named sets of analysis choices that reproduce a published analysis.

This module holds the *prediction* side of a recipe (form factor, radii, nucleon
couplings, detector-model options and binning). The likelihood side (chi2 form,
nuisances) is added on top by the inference layer.

Presets (see docs/recipes.md):

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

import numpy as np

from .constants import SIN2_THETA_W_LOW_ENERGY
from .errors import RecipeError, UnknownNameError


@dataclass(frozen=True)
class Recipe:
    """Prediction-side analysis choices.

    Attributes
    ----------
    name, description, source: identification and the seed/equation it reproduces.
    form_factor: ``helm``, ``klein-nystrand``, ``symmetrized-fermi`` or
        ``klein-nystrand-a13`` (seed 004 eq. 3 with R_A = 1.23 A^(1/3) fm).
    radii: radius set of :mod:`cevns.nuclei` (``atzori2022`` or ``cadeddu2021``).
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
    es_vector_normalisation: light vector mediators on electrons (ES). ``consistent``
        (default) shifts g_V^e by g^2 Q'_l Q'_e / (sqrt2 G_F (2 m_e T + M^2)), the
        normalisation of seed 004 eqs. (12), (23) and seed 002 eq. (16); ``printed`` uses
        the 1/(2 sqrt2 G_F) of seed 004 eq. (13) as printed.
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

    @property
    def likelihood_name(self) -> str:
        """Name of the likelihood structure (preset) this recipe uses."""
        return self.likelihood or self.name

    def to_dict(self) -> dict:
        """Plain-data form for JSON output and provenance."""
        return asdict(self)

    def with_options(self, **changes) -> Recipe:
        """Copy with some choices replaced (unknown names raise TypeError)."""
        return replace(self, **changes)


RECIPES: dict[str, Recipe] = {
    r.name: r
    for r in (
        Recipe(
            "atzori2022",
            "Atzori Corona et al. 2022: Helm FFs, seed 002 radii, radiative couplings",
            "seed 002 sec. II-III, eqs. (10)-(14)",
        ),
        Recipe(
            "deromeri2023",
            "De Romeri et al. 2023: Klein-Nystrand R_A = 1.23 A^(1/3), tree-level couplings",
            "seed 004 sec. 2.1 and 3, eqs. (1)-(3), (28)-(33)",
            form_factor="klein-nystrand-a13",
            couplings="tree",
        ),
        Recipe(
            "cadeddu2021",
            "Cadeddu et al. 2021: Helm FFs, seed 001 radii, radiative couplings",
            "seed 001 sec. 2, eqs. (2.1)-(2.5)",
            radii="cadeddu2021",
        ),
        Recipe(
            "banerjee2021",
            "Banerjee, Dutta, Roy 2021: Helm FFs, tree-level couplings, CsI 2017 eq. (4) efficiency",
            "seed 000 sec. II, eqs. (2)-(5)",
            couplings="tree",
            lar_time_model="release",
        ),
    )
}

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
}


def _line_of(text: str, key: str) -> int | None:
    for i, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith(key) and stripped[len(key):].lstrip()[:1] in ("=", ":"):
            return i
    return None


def load_recipe_file(path: str) -> Recipe:
    """Load a user recipe from TOML or YAML.

    The file sets any :class:`Recipe` field plus ``base`` (a preset to start from,
    default ``atzori2022``) and must set ``name``. Example (TOML)::

        name = "my-csi"
        base = "deromeri2023"
        form_factor = "helm"
        time_normalisation = "physical"

    Unknown keys, wrong types and invalid choices raise :class:`RecipeFileError` naming
    the key and its line.
    """
    from pathlib import Path

    p = Path(path)
    if not p.is_file():
        raise RecipeFileError(f"recipe file {path} not found")
    text = p.read_text(encoding="utf-8")
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
    base_name = raw.pop("base", DEFAULT_RECIPE)
    if not isinstance(base_name, str) or base_name not in RECIPES:
        raise RecipeFileError(f"{path}, line {_line_of(text, 'base')}: unknown base recipe {base_name!r}; "
                              f"choose one of {', '.join(RECIPES)}")
    base = RECIPES[base_name]
    changes = {}
    for key, value in raw.items():
        line = _line_of(text, key)
        where = f"{path}, line {line}" if line else path
        if key not in _FIELD_TYPES:
            raise RecipeFileError(f"{where}: unknown key {key!r}; valid keys: base, {', '.join(_FIELD_TYPES)}")
        typ = _FIELD_TYPES[key]
        if typ is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, typ) or (typ is not bool and isinstance(value, bool)):
            raise RecipeFileError(f"{where}: {key} must be of type {typ.__name__}, got {value!r}")
        if key == "likelihood" and value not in RECIPES:
            raise RecipeFileError(f"{where}: likelihood = {value!r} is not one of {', '.join(RECIPES)}")
        if key == "name" and not value.strip():
            raise RecipeFileError(f"{where}: name must not be empty")
        if typ is float and not np.isfinite(value):
            raise RecipeFileError(f"{where}: {key} must be a finite number")
        if key in _CHOICES and value not in _CHOICES[key]:
            raise RecipeFileError(f"{where}: {key} = {value!r} is not one of {', '.join(_CHOICES[key])}")
        changes[key] = value
    if "name" not in changes:
        raise RecipeFileError(f"{path}: a recipe file must set name")
    if changes["name"] in RECIPES:
        raise RecipeFileError(f"{path}: name {changes['name']!r} is a preset; choose another name")
    changes.setdefault("likelihood", base.likelihood_name)
    changes.setdefault("description", f"user recipe from {p.name} (based on {base_name})")
    changes.setdefault("source", f"{p} (base: {base.source})")
    return replace(base, **changes)
