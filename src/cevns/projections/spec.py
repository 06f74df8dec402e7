"""Hypothetical detectors as data: the detector file (TOML) and its validation.

A detector file describes a detector that has no data release: the facility and
baseline, the exposure, the target, the response (quenching, light yield, resolution,
efficiency, threshold), the binning, the backgrounds and the normalisation
uncertainties. Presets ship in ``cevns/detectors_data/NAME.toml``; a user file has the
same form (docs/projections.md "Write your own detector"). Errors name the file, the line
and the valid keys, like recipe files (:mod:`cevns.recipes`).

Units: energies in the file's ``response.energy_unit`` (``keVnr``, ``keVee`` or ``PE``)
where they are reconstructed quantities; true recoils in keVnr; times in microseconds;
masses in kg; baselines in m.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from ..errors import RecipeError, UnknownNameError


class DetectorFileError(RecipeError):
    """A detector file that cannot be read or fails validation (the message names file, line, valid keys)."""


ENERGY_UNITS = ("keVnr", "keVee", "PE")
#: model -> (required keys, optional keys) of each response sub-table
QUENCHING_MODELS = {"none": ((), ()), "constant": (("factor",), ()), "linear": (("a", "b_per_kev"), ()),
                    "polynomial-mev": (("coefficients",), ())}
RESOLUTION_MODELS = {"none": ((), ()), "gaussian-sqrt": (("a",), ()), "gaussian-fraction": (("fraction",), ()),
                     "gamma-pe": ((), ())}
EFFICIENCY_MODELS = {"flat": ((), ("value",)), "table": (("x", "efficiency"), ()),
                     "logistic": (("a", "b", "c"), ("d",))}
TIME_EFFICIENCY_MODELS = {"none": ((), ()), "exponential-tail": ((), ("t_start_us", "decay_per_us"))}
TOP_KEYS = {"name": True, "description": False, "citation": False, "reference_events": False,
            "reference_source": False, "assumptions": False,
            "source": True, "target": True, "response": True, "binning": True, "signal": False, "backgrounds": False}
SOURCE_KEYS = {"facility": True, "baseline_m": True, "pot": False, "years": False, "nu_per_flavor_per_pot": False,
               "pulse_mean_us": False, "pulse_sigma_us": False}
TARGET_KEYS = {"mass_kg": True, "composition": True}
RESPONSE_KEYS = {"energy_unit": True, "threshold": False, "light_yield_pe_per_kev": False, "recoil_min_kev_nr": False,
                 "quenching": False, "resolution": False, "efficiency": False, "time_efficiency": False}
BINNING_KEYS = {"energy_edges": True, "time_edges_us": False, "time_normalisation": False}
SIGNAL_KEYS = {"sigma": False}
BACKGROUND_KEYS = {"events": True, "energy": False, "time": False, "counts": False, "sigma": False, "description": False}


@dataclass(frozen=True)
class ResponseSpec:
    """Detector response: reconstructed unit, threshold, quenching, light yield, resolution,
    efficiency (energy and time), each a (model, parameters) pair validated against the tables above."""

    energy_unit: str
    threshold: float = 0.0
    light_yield_pe_per_kev: float = 1.0
    recoil_min_kev_nr: float = 0.5
    quenching: tuple[str, dict] = ("none", {})
    resolution: tuple[str, dict] = ("none", {})
    efficiency: tuple[str, dict] = ("flat", {})
    time_efficiency: tuple[str, dict] = ("none", {})


@dataclass(frozen=True)
class BackgroundSpec:
    """A background: ``events`` over the file's exposure (scaled with the exposure), its shape
    in energy and time (``"flat"``, ``"prompt"``/``"delayed"`` for time, or per-bin weights) or a
    full (n_E, n_t) ``counts`` table, and its normalisation uncertainty ``sigma`` (0: fixed)."""

    name: str
    events: float
    energy: str | tuple[float, ...] = "flat"
    time: str | tuple[float, ...] = "flat"
    counts: tuple[tuple[float, ...], ...] | None = None
    sigma: float = 0.0
    description: str = ""


@dataclass(frozen=True)
class DetectorSpec:
    """A validated detector file (see the module docstring and docs/projections.md)."""

    name: str
    description: str
    citation: str
    facility: str
    baseline_m: float
    mass_kg: float
    composition: tuple[tuple[str, float], ...]
    response: ResponseSpec
    energy_edges: tuple[float, ...]
    time_edges_us: tuple[float, ...]
    pot: float | None = None
    years: float | None = None
    time_normalisation: str = "window"
    #: overrides of the facility's r and Gaussian pulse (None: the facility's)
    nu_per_flavor_per_pot: float | None = None
    pulse_mean_us: float | None = None
    pulse_sigma_us: float | None = None
    signal_sigma: float = 0.0
    backgrounds: tuple[BackgroundSpec, ...] = ()
    reference_events: float | None = None
    reference_source: str = ""
    assumptions: tuple[str, ...] = ()
    path: str = ""
    sha256: str = ""
    raw: dict = field(default_factory=dict, repr=False, compare=False)


def _line_of(text: str, key: str) -> int | None:
    for i, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if s.startswith(f"{key} ") or s.startswith(f"{key}=") or s.startswith(f"[{key}") or f".{key}]" in s:
            return i
    return None


def _where(path: str, text: str, key: str) -> str:
    line = _line_of(text, key)
    return f"{path}:{line}" if line else path


def _check_keys(table: dict, allowed: dict[str, bool], what: str, path: str, text: str) -> None:
    unknown = sorted(set(table) - set(allowed))
    if unknown:
        raise DetectorFileError(f"{_where(path, text, unknown[0])}: unknown key {unknown[0]!r} in {what}; "
                                f"valid keys: {', '.join(allowed)}")
    missing = [k for k, req in allowed.items() if req and k not in table]
    if missing:
        raise DetectorFileError(f"{_where(path, text, what.split('.')[-1])}: {what} needs {', '.join(missing)}; "
                                f"valid keys: {', '.join(allowed)}")


def _number(v, key: str, path: str, text: str, positive: bool = False, nonneg: bool = False) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise DetectorFileError(f"{_where(path, text, key)}: {key} must be a number, got {v!r}")
    if positive and not v > 0:
        raise DetectorFileError(f"{_where(path, text, key)}: {key} must be > 0, got {v!r}")
    if nonneg and v < 0:
        raise DetectorFileError(f"{_where(path, text, key)}: {key} must be >= 0, got {v!r}")
    return float(v)


def _model(table, key: str, models: dict, path: str, text: str) -> tuple[str, dict]:
    if table is None:
        return next(iter(models)), {}
    if isinstance(table, str):
        table = {"model": table}
    if not isinstance(table, dict) or "model" not in table:
        raise DetectorFileError(f"{_where(path, text, key)}: response.{key} needs model = one of {', '.join(models)}")
    name = table["model"]
    if name not in models:
        raise DetectorFileError(f"{_where(path, text, key)}: unknown response.{key} model {name!r}; "
                                f"choose one of {', '.join(models)}")
    required, optional = models[name]
    params = {k: v for k, v in table.items() if k != "model"}
    allowed = {**{k: True for k in required}, **{k: False for k in optional}}
    _check_keys(params, allowed, f"response.{key} (model {name})", path, text)
    return name, params


def _edges(v, key: str, path: str, text: str) -> tuple[float, ...]:
    if not isinstance(v, list) or len(v) < 2:
        raise DetectorFileError(f"{_where(path, text, key)}: {key} must be a list of at least two increasing numbers")
    e = tuple(_number(x, key, path, text) for x in v)
    if any(b <= a for a, b in zip(e[:-1], e[1:], strict=True)):
        raise DetectorFileError(f"{_where(path, text, key)}: {key} must increase strictly, got {list(e)}")
    return e


def _background(name: str, t: dict, n_e: int, n_t: int, path: str, text: str) -> BackgroundSpec:
    if not isinstance(t, dict):
        raise DetectorFileError(f"{_where(path, text, name)}: backgrounds.{name} must be a table")
    _check_keys(t, BACKGROUND_KEYS, f"backgrounds.{name}", path, text)
    events = _number(t["events"], "events", path, text, nonneg=True)
    sigma = _number(t.get("sigma", 0.0), "sigma", path, text, nonneg=True)

    def shape(key, n, words):
        v = t.get(key, "flat")
        if isinstance(v, str):
            if v not in words:
                raise DetectorFileError(f"{_where(path, text, key)}: backgrounds.{name}.{key} = {v!r}; "
                                        f"choose one of {', '.join(words)} or a list of {n} per-bin weights")
            return v
        if not isinstance(v, list) or len(v) != n:
            raise DetectorFileError(f"{_where(path, text, key)}: backgrounds.{name}.{key} needs {n} per-bin weights")
        w = tuple(_number(x, key, path, text, nonneg=True) for x in v)
        if sum(w) <= 0:
            raise DetectorFileError(f"{_where(path, text, key)}: backgrounds.{name}.{key} weights sum to zero")
        return w

    counts = None
    if "counts" in t:
        c = t["counts"]
        if not (isinstance(c, list) and len(c) == n_e and all(isinstance(r, list) and len(r) == n_t for r in c)):
            raise DetectorFileError(f"{_where(path, text, 'counts')}: backgrounds.{name}.counts must be "
                                    f"{n_e} rows (energy bins) of {n_t} numbers (time bins)")
        counts = tuple(tuple(_number(x, "counts", path, text, nonneg=True) for x in r) for r in c)
    return BackgroundSpec(name, events, shape("energy", n_e, ("flat",)), shape("time", n_t, ("flat", "prompt", "delayed")),
                          counts, sigma, str(t.get("description", "")))


def detector_from_mapping(raw: dict, text: str = "", path: str = "<detector>") -> DetectorSpec:
    """Validate a parsed detector file; errors name ``path``, the line and the valid keys."""
    from ..physics.nuclei import isotope
    from ..sources.facilities import FACILITIES

    _check_keys(raw, TOP_KEYS, "the detector file", path, text)
    src, tgt, rsp, binning = raw["source"], raw["target"], raw["response"], raw["binning"]
    for key, tab in (("source", src), ("target", tgt), ("response", rsp), ("binning", binning)):
        if not isinstance(tab, dict):
            raise DetectorFileError(f"{_where(path, text, key)}: [{key}] must be a table")
    _check_keys(src, SOURCE_KEYS, "source", path, text)
    _check_keys(tgt, TARGET_KEYS, "target", path, text)
    _check_keys(rsp, RESPONSE_KEYS, "response", path, text)
    _check_keys(binning, BINNING_KEYS, "binning", path, text)
    if src["facility"] not in FACILITIES:
        raise DetectorFileError(f"{_where(path, text, 'facility')}: unknown facility {src['facility']!r}; "
                                f"choose one of {', '.join(FACILITIES)}")
    if ("pot" in src) == ("years" in src):
        raise DetectorFileError(f"{_where(path, text, 'source')}: give exactly one of source.pot or source.years")
    pot = _number(src["pot"], "pot", path, text, positive=True) if "pot" in src else None
    years = _number(src["years"], "years", path, text, positive=True) if "years" in src else None
    comp = tgt["composition"]
    if not isinstance(comp, dict) or not comp:
        raise DetectorFileError(f"{_where(path, text, 'composition')}: target.composition must be a table "
                                "isotope = atoms per molecule, e.g. {{ Cs133 = 1, I127 = 1 }}")
    for iso_name in comp:
        try:
            isotope(iso_name)
        except (KeyError, UnknownNameError, ValueError) as exc:
            raise DetectorFileError(f"{_where(path, text, 'composition')}: unknown isotope {iso_name!r} ({exc})") from None
    composition = tuple((k, _number(v, "composition", path, text, positive=True)) for k, v in comp.items())
    unit = rsp["energy_unit"]
    if unit not in ENERGY_UNITS:
        raise DetectorFileError(f"{_where(path, text, 'energy_unit')}: energy_unit {unit!r}; "
                                f"choose one of {', '.join(ENERGY_UNITS)}")
    response = ResponseSpec(
        unit,
        _number(rsp.get("threshold", 0.0), "threshold", path, text, nonneg=True),
        _number(rsp.get("light_yield_pe_per_kev", 1.0), "light_yield_pe_per_kev", path, text, positive=True),
        _number(rsp.get("recoil_min_kev_nr", 0.5), "recoil_min_kev_nr", path, text, positive=True),
        _model(rsp.get("quenching"), "quenching", QUENCHING_MODELS, path, text),
        _model(rsp.get("resolution"), "resolution", RESOLUTION_MODELS, path, text),
        _model(rsp.get("efficiency"), "efficiency", EFFICIENCY_MODELS, path, text),
        _model(rsp.get("time_efficiency"), "time_efficiency", TIME_EFFICIENCY_MODELS, path, text),
    )
    if response.resolution[0] == "gamma-pe" and unit != "PE":
        raise DetectorFileError(f"{_where(path, text, 'resolution')}: gamma-pe smearing needs energy_unit = \"PE\"")
    e_edges = _edges(binning["energy_edges"], "energy_edges", path, text)
    t_edges = _edges(binning.get("time_edges_us", [0.0, 10.0]), "time_edges_us", path, text)
    tnorm = binning.get("time_normalisation", "window")
    if tnorm not in ("window", "physical"):
        raise DetectorFileError(f"{_where(path, text, 'time_normalisation')}: time_normalisation {tnorm!r}; "
                                "choose window or physical")
    sig = raw.get("signal", {})
    _check_keys(sig, SIGNAL_KEYS, "signal", path, text)
    bkgs = raw.get("backgrounds", {})
    if not isinstance(bkgs, dict):
        raise DetectorFileError(f"{_where(path, text, 'backgrounds')}: [backgrounds.NAME] tables expected")
    backgrounds = tuple(_background(k, v, len(e_edges) - 1, len(t_edges) - 1, path, text) for k, v in bkgs.items())
    ref = raw.get("reference_events")
    opt = {k: (_number(src[k], k, path, text, positive=k != "pulse_mean_us") if k in src else None)
           for k in ("nu_per_flavor_per_pot", "pulse_mean_us", "pulse_sigma_us")}
    return DetectorSpec(
        name=str(raw["name"]), description=str(raw.get("description", "")), citation=str(raw.get("citation", "")),
        facility=src["facility"], baseline_m=_number(src["baseline_m"], "baseline_m", path, text, positive=True),
        mass_kg=_number(tgt["mass_kg"], "mass_kg", path, text, positive=True), composition=composition,
        response=response, energy_edges=e_edges, time_edges_us=t_edges, pot=pot, years=years,
        time_normalisation=tnorm, **opt, signal_sigma=_number(sig.get("sigma", 0.0), "sigma", path, text, nonneg=True),
        backgrounds=backgrounds, reference_events=None if ref is None else _number(ref, "reference_events", path, text),
        reference_source=str(raw.get("reference_source", "")), assumptions=tuple(raw.get("assumptions", ())),
        path=path, raw=raw,
    )


def _preset_dir():
    return resources.files("cevns") / "detectors_data"


def detector_presets() -> list[str]:
    """Names of the shipped detector files."""
    return sorted(p.name[:-5] for p in _preset_dir().iterdir() if p.name.endswith(".toml"))


def load_detector(name_or_path: str | Path) -> DetectorSpec:
    """A shipped preset by name (``ccm``, ``coh-cryo-csi-1``, ...) or a detector file by path."""
    import hashlib

    s = str(name_or_path)
    if s in detector_presets():
        res = _preset_dir() / f"{s}.toml"
        text, path = res.read_text(encoding="utf-8"), f"cevns/detectors_data/{s}.toml"
    else:
        p = Path(s)
        if not p.is_file():
            raise UnknownNameError(f"no detector preset or file {s!r}; presets: {', '.join(detector_presets())}")
        text, path = p.read_text(encoding="utf-8"), str(p)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DetectorFileError(f"{path}: not valid TOML ({exc})") from None
    spec = detector_from_mapping(raw, text, path)
    from dataclasses import replace

    return replace(spec, sha256=hashlib.sha256(text.encode()).hexdigest())
