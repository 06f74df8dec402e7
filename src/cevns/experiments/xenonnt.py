"""XENONnT solar 8B CEvNS: PRL 133 (2024) 191002 (SR0+SR1) and arXiv:2604.06002 (SR0-SR2).

Release: doi:10.5281/zenodo.20576156 (folder ``xenonnt-8b``, registry
``releases/xenonnt-8b.toml``). Every file is verified against its SHA-256 before it is read.

* Observables: four per event (cS2, S2 shadow quantile, S1 BDT score, S2 BDT score),
  3 bins each (``binning/sr*.yaml``), so 81 bins per science run; the experiments
  concatenate the runs' bins (162 for SR0+SR1, 243 for SR0-SR2) in the collaboration's
  histogram order (C order over the four axes). Observed counts: the events of
  ``data/sr*.csv`` histogrammed with those edges.
* Signal response: the mono-energetic nuclear-recoil templates (``templates/sr*/mono``;
  46 energies 0.5-5.0 keVnr, on the 7 x 7 grid of light-yield ``tly`` and charge-yield
  ``tqy`` nuisance values -3..3 sigma), dimensionless detection efficiencies per bin. They
  are interpolated linearly in recoil energy onto a 0.025 keVnr grid (every released
  energy is a node, where the interpolation is the released template exactly) and times
  the run's livetime give the response (recoil node -> analysis bin) per (tly, tqy) node.
  Recoils below 0.5 keVnr (efficiency < 2e-4 there) and above 5 keVnr (beyond the 8B
  end point in xenon, 4.4 keVnr; only hep reaches above) are not counted.
* Target: natural xenon (:data:`cevns.physics.nuclei.NATURAL_XENON_ABUNDANCE`), nuclei per
  tonne; the solar source gives fluences per year, so counts are per t yr x livetime.
* Backgrounds per run [events]: accidental coincidences (``ac``), electronic recoils
  (``er``), both per t yr x livetime, and neutrons (``rg``) on the same 7 x 7 nuisance
  grid; ``setup.backgrounds`` holds them at the nominal node (0, 0).
* Livetimes [t yr] (the release README, from the collaboration's example notebook):
  SR0 1.174398, SR1 2.342593, SR2 3.249665.

``setup.extras`` (:class:`XenonNTExtras`) keeps what the likelihood reads: the recoil-node
prediction, the response on the nuisance grid, the neutron templates per node, the runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from .. import data as data_mod
from ..errors import DataError, RecipeError
from ..physics.nuclei import NATURAL_XENON_ABUNDANCE, isotope
from ..prediction import BinnedCEvNS
from ..recipes import Recipe
from ..sources.solar import B8_SPECTRA, SOLAR_FLUXES, SolarSource
from .common import Component, ExperimentSetup, build_isotope_kernel, sm_reference, targets_per_isotope
from .registry import register_experiment

RELEASE = "xenonnt-8b"
DOI = "doi:10.5281/zenodo.20576156"
#: livetimes [t yr] per science run (release README.md, the collaboration's notebook)
LIVETIMES_T_YR = {"sr0": 1.174398, "sr1": 2.342593, "sr2": 3.249665}
#: the light-yield / charge-yield nuisance nodes of every template grid [sigma]
NUISANCE_NODES = tuple(float(x) for x in range(-3, 4))
#: the released mono-energetic recoil energies [keVnr]
MONO_ENERGIES_KEV = tuple(round(0.5 + 0.1 * k, 3) for k in range(46))
#: recoil grid: 4 steps per released spacing, so every released energy is a node
RECOIL_STEP_KEV = 0.025
AXES = ("cs2", "s2_shadow_s2_time_shadow_quantile", "s1_bdt_score", "s2_bdt_score")
BINS_PER_AXIS = 3


@dataclass(frozen=True)
class XenonNTExtras:
    """What a XENONnT setup offers its likelihood beyond the nominal prediction.

    ``recoil``: a :class:`BinnedCEvNS` whose "bins" are the recoil nodes (the spectrum per
    node per t yr x flux); ``response``: (7, 7, n_T, n_bins) analysis-bin response of each
    recoil node on the light-yield x charge-yield nuisance grid; ``rg_nodes``: the neutron
    templates per run on that grid, (7, 7, n_bins) each; ``nuisance_nodes``: the grid's
    nodes [sigma]; ``runs``; ``recoil_kev``: the recoil nodes; ``bins_per_run``.
    """

    recoil: BinnedCEvNS
    response: NDArray[np.float64]
    rg_nodes: dict[str, NDArray[np.float64]]
    nuisance_nodes: tuple[float, ...]
    runs: tuple[str, ...]
    recoil_kev: NDArray[np.float64]
    bins_per_run: int


def _node(x: float) -> str:
    return f"{x:.1f}"


def mono_file(run: str, e_kev: float, tly: float, tqy: float) -> str:
    return f"templates/{run}/mono/template_XENONnT_{run}_mono_{e_kev:.3f}_cevns_tly_{_node(tly)}_tqy_{_node(tqy)}.h5"


def rg_file(run: str, tly: float, tqy: float) -> str:
    return f"templates/{run}/rg/template_XENONnT_{run}_rg_cevns_tly_{_node(tly)}_tqy_{_node(tqy)}.h5"


def flat_file(run: str, comp: str) -> str:
    return f"templates/{run}/{comp}/template_XENONnT_{run}_{comp}_cevns.h5"


def read_template(name: str, root: Path | None = None) -> tuple[NDArray[np.float64], list[NDArray[np.float64]]]:
    """(histogram (3, 3, 3, 3), bin edges per axis) of a verified release HDF5 template."""
    path = data_mod.release_file(RELEASE, name, root)
    try:
        import h5py
    except ImportError:
        raise DataError(f"reading {path} needs h5py (pip install h5py; a dependency of cevns)") from None
    try:
        with h5py.File(path, "r") as fh:
            hist = np.asarray(fh["templates/template"][()], dtype=float)
            edges = [np.asarray(fh[f"bins/{i}"][()], dtype=float) for i in range(len(AXES))]
    except (OSError, KeyError) as exc:
        raise DataError(f"malformed template {path}: {exc}; the {RELEASE} release is published at {DOI}") from None
    if hist.shape != (BINS_PER_AXIS,) * len(AXES):
        raise DataError(f"malformed template {path}: histogram of shape {hist.shape}, expected (3, 3, 3, 3)")
    return hist, edges


def read_binning(run: str, root: Path | None = None) -> list[NDArray[np.float64]]:
    """Bin edges per axis from ``binning/<run>.yaml`` (in the order of :data:`AXES`)."""
    import yaml

    path = data_mod.release_file(RELEASE, f"binning/{run}.yaml", root)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        edges = [np.asarray(raw[a], dtype=float) for a in AXES]
    except (yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
        raise DataError(f"malformed binning file {path}: {exc}; the {RELEASE} release is published at {DOI}") from None
    for a, e in zip(AXES, edges, strict=True):
        if e.shape != (BINS_PER_AXIS + 1,) or np.any(np.diff(e) <= 0):
            raise DataError(f"malformed binning file {path}: {a} needs 4 increasing edges, got {e.tolist()}")
    return edges


def read_events(run: str, root: Path | None = None) -> NDArray[np.float64]:
    """Events of ``data/<run>.csv``: (n, 4) in the order of :data:`AXES` (first column is an index)."""
    table = data_mod.load_table(RELEASE, f"data/{run}.csv", 5, root, header_lines=1)
    return table[:, 1:]


def histogram_events(events: NDArray[np.float64], edges: list[NDArray[np.float64]], where: str) -> NDArray[np.float64]:
    """Counts (81,) of ``events`` in the 4D bins; an event outside the edges is a data error."""
    inside = np.all([(events[:, a] >= e[0]) & (events[:, a] <= e[-1]) for a, e in enumerate(edges)], axis=0)
    if not inside.all():
        raise DataError(f"{where}: {int((~inside).sum())} event(s) outside the released bin edges")
    hist, _ = np.histogramdd(events, bins=edges)
    return hist.ravel()


def recoil_grid_kev() -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(nodes, trapezoid weights) [keVnr] from 0.5 to 5.0 keVnr in :data:`RECOIL_STEP_KEV` steps."""
    n = int(round((MONO_ENERGIES_KEV[-1] - MONO_ENERGIES_KEV[0]) / RECOIL_STEP_KEV)) + 1
    t = np.linspace(MONO_ENERGIES_KEV[0], MONO_ENERGIES_KEV[-1], n)
    w = np.full(n, RECOIL_STEP_KEV)
    w[[0, -1]] *= 0.5
    return t, w


def interpolate_templates(energies_kev, templates: NDArray[np.float64], t_kev: NDArray[np.float64]) -> NDArray[np.float64]:
    """Linear interpolation in recoil energy of mono-energetic templates ``(n_energies, ..., n_bins)``
    at ``t_kev``: ``(n_T, ..., n_bins)``; equal to the released template at a released energy,
    zero outside the released range."""
    e = np.asarray(energies_kev, dtype=float)
    t = np.asarray(t_kev, dtype=float)
    j = np.clip(np.searchsorted(e, t, side="right") - 1, 0, len(e) - 2)
    u = (t - e[j]) / (e[j + 1] - e[j])
    u = np.where(np.isclose(t, e[j + 1], rtol=0, atol=1e-9), 1.0, u)
    u = np.where(np.isclose(t, e[j], rtol=0, atol=1e-9), 0.0, u)
    shape = (-1,) + (1,) * (templates.ndim - 1)
    out = (1.0 - u).reshape(shape) * templates[j] + u.reshape(shape) * templates[j + 1]
    outside = (t < e[0] - 1e-9) | (t > e[-1] + 1e-9)
    return np.where(outside.reshape(shape), 0.0, out)


def _check_edges(edges, binning, where: str) -> None:
    for a, (x, y) in enumerate(zip(edges, binning, strict=True)):
        if not np.allclose(x, y, rtol=1e-6):
            raise DataError(f"{where}: bin edges of axis {AXES[a]} differ from binning yaml")


def solar_source(recipe: Recipe) -> SolarSource:
    """The recipe's solar source (flux model ``recipe.solar_flux``, 8B shape ``recipe.solar_b8_spectrum``)."""
    if recipe.solar_flux not in SOLAR_FLUXES:
        raise RecipeError(f"unknown solar_flux {recipe.solar_flux!r}; choose one of {', '.join(SOLAR_FLUXES)}")
    if recipe.solar_b8_spectrum not in B8_SPECTRA:
        raise RecipeError(f"unknown solar_b8_spectrum {recipe.solar_b8_spectrum!r}; choose one of {', '.join(B8_SPECTRA)}")
    return SolarSource(recipe.solar_flux, b8_spectrum=recipe.solar_b8_spectrum)


def build_runs(runs: tuple[str, ...], recipe: Recipe, root: Path | None = None) -> ExperimentSetup:
    """The setup of the science runs ``runs`` (bins concatenated run by run)."""
    source = solar_source(recipe)
    t_kev, w_kev = recoil_grid_kev()
    n_nodes = len(NUISANCE_NODES)
    n_run_bins = BINS_PER_AXIS ** len(AXES)
    n_bins = n_run_bins * len(runs)
    response = np.zeros((n_nodes, n_nodes, t_kev.size, n_bins))
    observed = np.zeros(n_bins)
    backgrounds: dict[str, Component] = {}
    rg_nodes: dict[str, NDArray[np.float64]] = {}
    files: list[str] = []
    for r, run in enumerate(runs):
        sl = slice(r * n_run_bins, (r + 1) * n_run_bins)
        live = LIVETIMES_T_YR[run]
        binning = read_binning(run, root)
        observed[sl] = histogram_events(read_events(run, root), binning, f"{RELEASE}/data/{run}.csv")
        mono = np.zeros((len(MONO_ENERGIES_KEV), n_nodes, n_nodes, n_run_bins))
        rg = np.zeros((n_nodes, n_nodes, n_bins))
        for i, tly in enumerate(NUISANCE_NODES):
            for j, tqy in enumerate(NUISANCE_NODES):
                for k, e in enumerate(MONO_ENERGIES_KEV):
                    hist, edges = read_template(mono_file(run, e, tly, tqy), root)
                    mono[k, i, j] = hist.ravel()
                    files.append(mono_file(run, e, tly, tqy))
                hist, edges = read_template(rg_file(run, tly, tqy), root)
                rg[i, j, sl] = live * hist.ravel()
                files.append(rg_file(run, tly, tqy))
        _check_edges(edges, binning, f"{RELEASE}/{rg_file(run, 0.0, 0.0)}")
        response[..., sl] = live * np.moveaxis(interpolate_templates(MONO_ENERGIES_KEV, mono, t_kev), 0, 2)
        rg_nodes[f"rg_{run}"] = rg
        mid = NUISANCE_NODES.index(0.0)
        for comp, desc in (("ac", "accidental coincidences"), ("er", "electronic recoils")):
            hist, edges = read_template(flat_file(run, comp), root)
            _check_edges(edges, binning, f"{RELEASE}/{flat_file(run, comp)}")
            counts = np.zeros(n_bins)
            counts[sl] = live * hist.ravel()
            backgrounds[f"{comp}_{run}"] = Component(f"{comp}_{run}", counts[:, None], f"{desc}, {run.upper()}")
            files.append(flat_file(run, comp))
        backgrounds[f"rg_{run}"] = Component(f"rg_{run}", rg[mid, mid][:, None], f"neutrons, {run.upper()} (tly = tqy = 0)")
        files += [f"binning/{run}.yaml", f"data/{run}.csv"]
    isos = [(isotope(n, recipe.radii), ab) for n, ab in NATURAL_XENON_ABUNDANCE.items()]
    per_tonne = targets_per_isotope(1000.0, isos)
    mid = NUISANCE_NODES.index(0.0)
    grid = (t_kev, w_kev)
    kernels = tuple(build_isotope_kernel(iso, n, source, lambda _t: response[mid, mid], recipe.form_factor, grid_kev=grid)
                    for (iso, _), n in zip(isos, per_tonne, strict=True))
    recoil = tuple(build_isotope_kernel(iso, n, source, lambda t: np.eye(t.size), recipe.form_factor, grid_kev=grid)
                   for (iso, _), n in zip(isos, per_tonne, strict=True))
    sm = sm_reference(recipe, source)
    ones = {f: np.ones(1) for f in source.flavours}
    meta = {"release": RELEASE, "runs": runs, "livetimes_t_yr": {r: LIVETIMES_T_YR[r] for r in runs}}
    cevns = BinnedCEvNS(np.arange(n_bins + 1.0), "bin", np.array([0.0, 1.0]), kernels, ones, source, sm, meta)
    recoil_cevns = BinnedCEvNS(np.arange(t_kev.size + 1.0), "recoil node (per t yr)", np.array([0.0, 1.0]), recoil,
                               ones, source, sm, {"recoil_kev": t_kev, "weights_kev": w_kev})
    extras = XenonNTExtras(recoil=recoil_cevns, response=response, rg_nodes=rg_nodes, nuisance_nodes=NUISANCE_NODES,
                           runs=tuple(runs), recoil_kev=t_kev, bins_per_run=n_run_bins)
    digests = {n: data_mod.file_sha256(data_mod.release_file(RELEASE, n, root))
               for n in (f"binning/{r}.yaml" for r in runs)}
    digests.update({f"data/{r}.csv": data_mod.file_sha256(data_mod.release_file(RELEASE, f"data/{r}.csv", root))
                    for r in runs})
    digests[f"templates ({len(files) - 2 * len(runs)} files)"] = "verified against releases/xenonnt-8b.toml"
    name = "xenonnt-" + "-".join(runs) if len(runs) == 2 else f"xenonnt-{runs[0]}-{runs[-1]}"
    return ExperimentSetup(name, cevns, backgrounds, observed[:, None], "analysis bin", extras, digests)


@register_experiment("xenonnt-sr0-sr1")
def build_sr0_sr1(recipe: Recipe, root: Path | None = None) -> ExperimentSetup:
    """SR0 + SR1, the data of PRL 133 (2024) 191002 (3.51 t yr)."""
    return build_runs(("sr0", "sr1"), recipe, root)


@register_experiment("xenonnt-sr0-sr2")
def build_sr0_sr2(recipe: Recipe, root: Path | None = None) -> ExperimentSetup:
    """SR0 + SR1 + SR2, the data of arXiv:2604.06002 (6.77 t yr)."""
    return build_runs(("sr0", "sr1", "sr2"), recipe, root)


