"""Typed result records of :mod:`cevns.api` (issue #10).

Each API call that computes something returns one of these frozen dataclasses:

========================  =========================
:func:`cevns.api.predict`  :class:`Prediction`
:func:`cevns.api.fit`      :class:`FitResult`
:func:`cevns.api.profile`  :class:`ProfileResult`
:func:`cevns.api.scan2d`   :class:`Scan2DResult`
:func:`cevns.api.limits`   :class:`LimitResult`
:func:`cevns.api.scan`     :class:`ScanFileResult`
========================  =========================

Fields are typed (NumPy arrays, read-only, where the data are arrays; units in the
names where they carry units). ``to_dict()`` gives the JSON-ready dict the API
returned before the records existed (same keys, nesting and values; NaN/inf as
before; a fresh dict on each call), and every record is also a read-only
:class:`collections.abc.Mapping` over that dict, so ``res["chi2_min"]``, ``"key" in
res``, ``res.get(...)``, ``dict(res)`` and ``res == some_dict`` keep working.
``json.dumps`` needs ``res.to_dict()``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

__all__ = [
    "ContourSet",
    "FitResult",
    "LimitResult",
    "Prediction",
    "ProfileResult",
    "Scan2DResult",
    "ScanFileResult",
    "StatisticsResult",
]


def _array(x) -> np.ndarray:
    """A read-only copy of ``x`` (dtype kept)."""
    a = np.array(x)
    a.flags.writeable = False
    return a


def _copy(obj):
    """A deep copy of a JSON-like structure; arrays become read-only copies."""
    if isinstance(obj, np.ndarray):
        return _array(obj)
    if isinstance(obj, Mapping):
        return {k: _copy(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_copy(v) for v in obj]
    if isinstance(obj, tuple):
        return tuple(_copy(v) for v in obj)
    return obj


def _plain(obj):
    """JSON-ready form: arrays to (nested) lists, mappings to dicts, tuples to lists; fresh containers."""
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Mapping):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    return obj


class _Record(Mapping):
    """Base: a read-only mapping over ``to_dict()`` (built once, on first access)."""

    def to_dict(self) -> dict[str, Any]:  # pragma: no cover - every record overrides it
        raise NotImplementedError

    @cached_property
    def _as_dict(self) -> dict[str, Any]:
        return self.to_dict()

    def __getitem__(self, key: str) -> Any:
        return self._as_dict[key]

    def __iter__(self):
        return iter(self._as_dict)

    def __len__(self) -> int:
        return len(self._as_dict)


_RECORD = {"frozen": True, "eq": False}  # equality is Mapping's: equal to_dict() (arrays make field tuples ambiguous)


@dataclass(**_RECORD)
class Prediction(_Record):
    """Standard-Model prediction of one experiment (:func:`cevns.api.predict`).

    Fields
    ------
    experiment, recipe: names of the data release and the recipe.
    cevns_total: expected CEvNS events in the analysis window after all efficiencies.
    cevns_by_flavor: the same per neutrino flavour (``nu_e``, ``nu_mu``, ``nu_mubar``, ...).
    backgrounds: expected events of each background, summed over the bins.
    observed_total: observed events in the analysis window.
    reference_cevns_total, reference_source: the published prediction and where it is from.
    energy_unit: label of the energy axis (e.g. ``PE``, ``keVee``).
    energy_edges: energy-bin edges in ``energy_unit``, shape (n_E + 1,).
    time_edges_us: time-bin edges [microseconds], shape (n_t + 1,).
    cevns_bins: expected CEvNS events per (energy, time) bin, shape (n_E, n_t).
    observed_bins: observed events per bin (same shape).
    background_bins: expected events per bin of each background.
    provenance: package version, recipe, data-file hashes, data directory.
    es_total, es_bins: expected neutrino-electron scattering events (total and per bin),
        where the recipe adds them; ``None`` otherwise.
    bins_3d: LAr 2020 only (and without electron scattering): the energy x F90 x time
        expectation, ``{"axes", "f90_edges", "cevns", "observed", "backgrounds"}``; ``None`` otherwise.

    ``to_dict()`` keys: ``experiment``, ``recipe``, ``cevns_total``, ``cevns_by_flavor``,
    ``backgrounds``, ``observed_total``, ``reference`` ({``cevns_total``, ``source``}),
    ``bins`` ({``energy_unit``, ``energy_edges``, ``time_edges_us``, ``cevns``,
    ``observed``, ``backgrounds``}), ``provenance``, and ``es_total`` + ``bins_es`` or
    ``bins_3d`` where present.
    """

    experiment: str
    recipe: str
    cevns_total: float
    cevns_by_flavor: dict[str, float]
    backgrounds: dict[str, float]
    observed_total: float
    reference_cevns_total: float
    reference_source: str
    energy_unit: str
    energy_edges: np.ndarray
    time_edges_us: np.ndarray
    cevns_bins: np.ndarray
    observed_bins: np.ndarray
    background_bins: dict[str, np.ndarray]
    provenance: dict[str, Any]
    es_total: float | None = None
    es_bins: np.ndarray | None = None
    bins_3d: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        for name in ("energy_edges", "time_edges_us", "cevns_bins", "observed_bins"):
            object.__setattr__(self, name, _array(getattr(self, name)))
        for name in ("cevns_by_flavor", "backgrounds", "background_bins", "provenance", "bins_3d"):
            object.__setattr__(self, name, _copy(getattr(self, name)))
        if self.es_bins is not None:
            object.__setattr__(self, "es_bins", _array(self.es_bins))

    def to_dict(self) -> dict[str, Any]:
        out = {
            "experiment": self.experiment,
            "recipe": self.recipe,
            "cevns_total": self.cevns_total,
            "cevns_by_flavor": dict(self.cevns_by_flavor),
            "backgrounds": dict(self.backgrounds),
            "observed_total": self.observed_total,
            "reference": {"cevns_total": self.reference_cevns_total, "source": self.reference_source},
            "bins": {
                "energy_unit": self.energy_unit,
                "energy_edges": self.energy_edges.tolist(),
                "time_edges_us": self.time_edges_us.tolist(),
                "cevns": self.cevns_bins.tolist(),
                "observed": self.observed_bins.tolist(),
                "backgrounds": _plain(self.background_bins),
            },
            "provenance": _plain(self.provenance),
        }
        if self.bins_3d is not None:
            out["bins_3d"] = _plain(self.bins_3d)
        if self.es_total is not None:
            out["es_total"] = self.es_total
            out["bins_es"] = None if self.es_bins is None else self.es_bins.tolist()
        return out


@dataclass(**_RECORD)
class FitResult(_Record):
    """Best fit with nuisances profiled (:func:`cevns.api.fit`).

    Fields
    ------
    experiments, recipe, model: what was fitted.
    free: the model parameters minimised (iminuit); ``fixed``: those held at given values.
    chi2_min: the minimum chi2 (all experiments summed); ``ndof``: bins minus free parameters.
    best_fit, errors_hesse: best-fit value and HESSE error of each free parameter.
    valid: whether the minimiser reports a valid minimum.
    nuisances: per experiment, the fitted nuisance parameters (and branch labels).
    components_fitted: per experiment, the fitted events of each component (``cevns``,
        backgrounds), summed over the bins.
    provenance: package version, recipe, data directory.
    significance_vs_background_only: with a free signal normalisation (``flux_8b``,
        ``cevns_norm``), sqrt(chi2(normalisation = 0) - chi2_min) in sigma (``None``, and no
        ``to_dict()`` key, otherwise).

    ``cevns_fitted`` (property and ``to_dict()`` key) is ``components_fitted[e]["cevns"]`` per experiment.
    """

    experiments: tuple[str, ...]
    recipe: str
    model: str
    free: tuple[str, ...]
    fixed: dict[str, float]
    chi2_min: float
    ndof: int
    best_fit: dict[str, float]
    errors_hesse: dict[str, float]
    valid: bool
    nuisances: dict[str, dict[str, Any]]
    components_fitted: dict[str, dict[str, float]]
    provenance: dict[str, Any]
    significance_vs_background_only: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "experiments", tuple(self.experiments))
        object.__setattr__(self, "free", tuple(self.free))
        for name in ("fixed", "best_fit", "errors_hesse", "nuisances", "components_fitted", "provenance"):
            object.__setattr__(self, name, _copy(getattr(self, name)))

    @property
    def cevns_fitted(self) -> dict[str, float]:
        """Fitted CEvNS events per experiment."""
        return {e: parts["cevns"] for e, parts in self.components_fitted.items()}

    def to_dict(self) -> dict[str, Any]:
        out = self._to_dict_common()
        if self.significance_vs_background_only is not None:
            out["significance_vs_background_only"] = self.significance_vs_background_only
        return out

    def _to_dict_common(self) -> dict[str, Any]:
        return {
            "experiments": list(self.experiments),
            "recipe": self.recipe,
            "model": self.model,
            "free": list(self.free),
            "fixed": dict(self.fixed),
            "chi2_min": self.chi2_min,
            "ndof": self.ndof,
            "best_fit": dict(self.best_fit),
            "errors_hesse": dict(self.errors_hesse),
            "valid": self.valid,
            "nuisances": _plain(self.nuisances),
            "cevns_fitted": self.cevns_fitted,
            "components_fitted": _plain(self.components_fitted),
            "provenance": _plain(self.provenance),
        }


@dataclass(**_RECORD)
class ProfileResult(_Record):
    """Delta-chi2 profile of one parameter (:func:`cevns.api.profile`).

    Fields
    ------
    experiments, recipe, model: the analysis.
    param: the profiled parameter; ``param_values``: its grid, shape (n,) (``to_dict()`` key
        ``values``; the name ``values`` is the Mapping method).
    delta_chi2: chi2 - chi2_min at each grid value (other free parameters minimised), shape (n,).
    chi2_min: the minimum chi2 (refined between grid points); ``best``: the parameter there.
    dof: degrees of freedom of the CL-to-Delta-chi2 conversion.
    intervals: per CL name, the allowed intervals ``[[lo, hi], ...]`` (several where disjoint).
    provenance: package version, recipe, data directory.
    touches_grid_edge: per CL name, one ``{"lower": bool, "upper": bool}`` per interval: that
        end is the end of the grid, so the true interval extends beyond it (``to_dict()``
        key present when set, as :func:`cevns.api.profile` does).
    """

    experiments: tuple[str, ...]
    recipe: str
    model: str
    param: str
    param_values: np.ndarray
    delta_chi2: np.ndarray
    chi2_min: float
    best: float
    dof: int
    intervals: dict[str, list[list[float]]]
    provenance: dict[str, Any]
    touches_grid_edge: dict[str, list[dict[str, bool]]] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "experiments", tuple(self.experiments))
        object.__setattr__(self, "touches_grid_edge", _copy(self.touches_grid_edge))
        object.__setattr__(self, "param_values", _array(self.param_values))
        object.__setattr__(self, "delta_chi2", _array(self.delta_chi2))
        object.__setattr__(self, "intervals", _copy(self.intervals))
        object.__setattr__(self, "provenance", _copy(self.provenance))

    def to_dict(self) -> dict[str, Any]:
        return {
            "experiments": list(self.experiments),
            "recipe": self.recipe,
            "model": self.model,
            "param": self.param,
            "values": self.param_values.tolist(),
            "delta_chi2": self.delta_chi2.tolist(),
            "chi2_min": self.chi2_min,
            "best": self.best,
            "dof": self.dof,
            "intervals": _plain(self.intervals),
            "provenance": _plain(self.provenance),
            **({} if self.touches_grid_edge is None else {"touches_grid_edge": _plain(self.touches_grid_edge)}),
        }


@dataclass(**_RECORD)
class ContourSet:
    """The Delta-chi2 = ``delta_chi2`` contour of a 2D scan: polylines, each an (n, 2) array of (x, y)."""

    delta_chi2: float
    lines: tuple[np.ndarray, ...]
    #: sides of the grid the region inside reaches (``x_lower``, ``x_upper``, ``y_lower``, ``y_upper``), if computed
    touches_grid_edge: dict[str, bool] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "lines", tuple(_array(line) for line in self.lines))
        object.__setattr__(self, "touches_grid_edge", _copy(self.touches_grid_edge))

    def to_dict(self) -> dict[str, Any]:
        out = {"delta_chi2": self.delta_chi2, "lines": [line.tolist() for line in self.lines]}
        if self.touches_grid_edge is not None:
            out["touches_grid_edge"] = dict(self.touches_grid_edge)
        return out


@dataclass(**_RECORD)
class Scan2DResult(_Record):
    """Delta-chi2 on a 2D grid of two parameters with contours (:func:`cevns.api.scan2d`).

    Fields
    ------
    experiments, recipe, model: the analysis.
    x_param, x_values: the x parameter and its grid, shape (nx,); ``y_param``, ``y_values`` likewise (ny,).
    delta_chi2: chi2 - chi2_min on the grid, shape (ny, nx) (row = y value).
    chi2_min: the minimum chi2 (minimiser started at the best grid point); ``best``:
        ``{x_param: x, y_param: y}`` there.
    dof: degrees of freedom of the CL conversion.
    contours: per CL name, a :class:`ContourSet` (threshold and polylines).
    provenance: package version, recipe, data directory.

    ``to_dict()`` nests the axes as ``x``/``y`` = ``{"param", "values"}`` and each contour as
    ``{"delta_chi2", "lines"}``.
    """

    experiments: tuple[str, ...]
    recipe: str
    model: str
    x_param: str
    x_values: np.ndarray
    y_param: str
    y_values: np.ndarray
    delta_chi2: np.ndarray
    chi2_min: float
    best: dict[str, float]
    dof: int
    contours: dict[str, ContourSet]
    provenance: dict[str, Any]

    def __post_init__(self) -> None:
        object.__setattr__(self, "experiments", tuple(self.experiments))
        for name in ("x_values", "y_values", "delta_chi2"):
            object.__setattr__(self, name, _array(getattr(self, name)))
        object.__setattr__(self, "best", dict(self.best))
        object.__setattr__(self, "contours", dict(self.contours))
        object.__setattr__(self, "provenance", _copy(self.provenance))

    def to_dict(self) -> dict[str, Any]:
        return {
            "experiments": list(self.experiments),
            "recipe": self.recipe,
            "model": self.model,
            "x": {"param": self.x_param, "values": self.x_values.tolist()},
            "y": {"param": self.y_param, "values": self.y_values.tolist()},
            "delta_chi2": self.delta_chi2.tolist(),
            "chi2_min": self.chi2_min,
            "best": dict(self.best),
            "dof": self.dof,
            "contours": {cl: c.to_dict() for cl, c in self.contours.items()},
            "provenance": _plain(self.provenance),
        }


@dataclass(**_RECORD)
class LimitResult(_Record):
    """Light-mediator exclusion boundary and coupling limits (:func:`cevns.api.limits`).

    Fields
    ------
    model, experiments, recipe: the analysis; ``cl``, ``dof``: the confidence level.
    delta_chi2_threshold: the Delta-chi2 of ``cl`` with ``dof`` degrees of freedom.
    chi2_min: global minimum of chi2 (grid refined); ``chi2_sm``: chi2 at g = 0.
    low_mass_mev, low_mass_g: the mass [MeV] of the low-mass limit and the smallest
        excluded coupling g there; ``low_mass_upper_boundary_g``: upper edge of the
        allowed region containing g -> 0 with thin excluded strips bridged (``None``: none
        found in g <= 10).
    high_mass_mev, high_mass_g_over_m_per_gev, high_mass_upper_boundary_g_over_m_per_gev:
        the same at high mass, as g/M [GeV^-1].
    thin_strip_decades: the widest excluded strip (decades of g) bridged for the upper boundaries.
    limits_resolved: whether both limits were bracketed in range.
    boundary: refined lower bound per mass, shape (n, 2), rows ``[mass_mev, g]``.
    allowed_intervals: per mass, ``{"mass_mev", "allowed": [[g_lo, g_hi], ...]}``.
    contours: the grid's Delta-chi2 = threshold polylines, each (n, 2) of ``[mass_mev, g]``.
    gm2_band: the (g-2)_mu 2-sigma band (``mass_mev``, ``g_low``, ``g_high``, ``source``)
        for models coupling to muons; ``None`` otherwise.
    provenance: package version, recipe, data directory.

    ``to_dict()`` nests the limits as ``low_mass`` = ``{"mass_mev", "g", "upper_boundary_g"}``
    and ``high_mass`` = ``{"mass_mev", "g_over_m_per_gev", "upper_boundary_g_over_m_per_gev"}``.
    """

    model: str
    experiments: tuple[str, ...]
    recipe: str
    cl: str
    dof: int
    delta_chi2_threshold: float
    chi2_min: float
    chi2_sm: float
    low_mass_mev: float
    low_mass_g: float
    low_mass_upper_boundary_g: float | None
    high_mass_mev: float
    high_mass_g_over_m_per_gev: float
    high_mass_upper_boundary_g_over_m_per_gev: float | None
    thin_strip_decades: float
    limits_resolved: bool
    boundary: np.ndarray
    allowed_intervals: list[dict[str, Any]]
    contours: tuple[np.ndarray, ...]
    gm2_band: dict[str, Any] | None
    provenance: dict[str, Any]

    def __post_init__(self) -> None:
        object.__setattr__(self, "experiments", tuple(self.experiments))
        boundary = np.array(self.boundary, dtype=float).reshape(-1, 2)
        boundary.flags.writeable = False
        object.__setattr__(self, "boundary", boundary)
        object.__setattr__(self, "contours", tuple(_array(line) for line in self.contours))
        for name in ("allowed_intervals", "gm2_band", "provenance"):
            object.__setattr__(self, name, _copy(getattr(self, name)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "experiments": list(self.experiments),
            "recipe": self.recipe,
            "cl": self.cl,
            "dof": self.dof,
            "delta_chi2_threshold": self.delta_chi2_threshold,
            "chi2_min": self.chi2_min,
            "chi2_sm": self.chi2_sm,
            "low_mass": {"mass_mev": self.low_mass_mev, "g": self.low_mass_g,
                         "upper_boundary_g": self.low_mass_upper_boundary_g},
            "high_mass": {"mass_mev": self.high_mass_mev, "g_over_m_per_gev": self.high_mass_g_over_m_per_gev,
                          "upper_boundary_g_over_m_per_gev": self.high_mass_upper_boundary_g_over_m_per_gev},
            "thin_strip_decades": self.thin_strip_decades,
            "limits_resolved": self.limits_resolved,
            "boundary": self.boundary.tolist(),
            "allowed_intervals": _plain(self.allowed_intervals),
            "contours": [line.tolist() for line in self.contours],
            "gm2_band": _plain(self.gm2_band),
            "provenance": _plain(self.provenance),
        }


@dataclass(**_RECORD)
class ScanFileResult(_Record):
    """A (mass, coupling) grid written to a file (:func:`cevns.api.scan`).

    Fields
    ------
    out, sidecar: paths of the grid file (.csv/.parquet) and of its JSON sidecar.
    model, experiments, recipe: the analysis.
    masses_mev_min, masses_mev_max, n_masses: the mass grid [MeV].
    couplings_min, couplings_max, n_couplings: the coupling grid.
    chi2_min: smallest chi2 on the grid; ``chi2_sm``: chi2 at g = 0.
    cl, dof, delta_chi2_threshold: the CL of the file's ``excluded`` column.
    columns: the file's column names.
    fixed: fixed model parameters; ``provenance``: package version, recipe, data directory.

    ``sidecar_dict()`` is the JSON written to ``sidecar``; ``to_dict()`` is
    ``{"out", "sidecar", **sidecar_dict()}``, with the grids nested as
    ``masses_mev``/``couplings`` = ``{"min", "max", "n"}``.
    """

    out: str
    sidecar: str
    model: str
    experiments: tuple[str, ...]
    recipe: str
    masses_mev_min: float
    masses_mev_max: float
    n_masses: int
    couplings_min: float
    couplings_max: float
    n_couplings: int
    chi2_min: float
    chi2_sm: float
    cl: str
    dof: int
    delta_chi2_threshold: float
    columns: tuple[str, ...]
    fixed: dict[str, float]
    provenance: dict[str, Any]

    def __post_init__(self) -> None:
        object.__setattr__(self, "experiments", tuple(self.experiments))
        object.__setattr__(self, "columns", tuple(self.columns))
        object.__setattr__(self, "fixed", dict(self.fixed))
        object.__setattr__(self, "provenance", _copy(self.provenance))

    def sidecar_dict(self) -> dict[str, Any]:
        """The JSON-ready metadata written next to the grid file."""
        return {
            "model": self.model, "experiments": list(self.experiments), "recipe": self.recipe,
            "masses_mev": {"min": self.masses_mev_min, "max": self.masses_mev_max, "n": self.n_masses},
            "couplings": {"min": self.couplings_min, "max": self.couplings_max, "n": self.n_couplings},
            "chi2_min": self.chi2_min, "chi2_sm": self.chi2_sm, "cl": self.cl, "dof": self.dof,
            "delta_chi2_threshold": self.delta_chi2_threshold,
            "columns": list(self.columns), "fixed": dict(self.fixed), "provenance": _plain(self.provenance),
        }

    def to_dict(self) -> dict[str, Any]:
        return {"out": self.out, "sidecar": self.sidecar, **self.sidecar_dict()}


def _finite(obj, path: str, notes: dict):
    """JSON-safe copy: NaN/inf become ``None``, with the reason recorded in ``notes[path]``."""
    if isinstance(obj, np.ndarray):
        obj = obj.tolist()
    if isinstance(obj, Mapping):
        return {k: _finite(v, f"{path}.{k}" if path else str(k), notes) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_finite(v, f"{path}[{i}]", notes) for i, v in enumerate(obj)]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not np.isfinite(obj):
        notes[path] = "not finite (nan)" if np.isnan(obj) else "not finite (infinite chi2: excluded point)"
        return None
    return obj


@dataclass(**_RECORD)
class StatisticsResult(_Record):
    """Result of the toy-based statistics of :mod:`cevns.inference` (issue #12): ``kind``
    ``toys`` (:func:`cevns.api.toys`), ``fc`` (:func:`cevns.api.fc`), ``coverage``
    (:func:`cevns.api.coverage`) or ``posterior`` (:func:`cevns.api.posterior`).

    Fields
    ------
    kind: which computation.
    experiments, recipe, model: the analysis (empty for the toy problems of the tests).
    body: the computation's results (keys documented by each API function; for ``fc``:
        ``param``, ``values``, ``intervals`` (FC, by CL name), ``wilks_intervals``,
        ``critical_values``, ``wilks_check``, ...).
    provenance: package version, recipe, data directory.

    ``to_dict()`` is always valid JSON: non-finite numbers are ``null`` and their paths
    are listed with the reason under ``null_reasons``.
    """

    kind: str
    experiments: tuple[str, ...]
    recipe: str
    model: str
    body: dict[str, Any]
    provenance: dict[str, Any]

    def __post_init__(self) -> None:
        object.__setattr__(self, "experiments", tuple(self.experiments))
        object.__setattr__(self, "body", _copy(self.body))
        object.__setattr__(self, "provenance", _copy(self.provenance))

    def to_dict(self) -> dict[str, Any]:
        notes: dict[str, str] = {}
        out = {"kind": self.kind, "experiments": list(self.experiments), "recipe": self.recipe, "model": self.model,
               **_finite(_plain(self.body), "", notes), "provenance": _plain(self.provenance)}
        if notes:
            out["null_reasons"] = notes
        return out
