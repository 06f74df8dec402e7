"""COHERENT CsI[Na] first observation (Science 357 (2017) 1123; release arXiv:1804.09459).

Detector model (seed 000 sec. II.B; seed 001 sec. 2):

* 14.6 kg CsI at 19.3 m; r = 0.08, N_POT = 1.76e23;
* light: n_PE = 1.17 T/keVnr (seed 000 eq. 3), no smearing (as in seeds 000/001);
* acceptance f(x) = a / (1 + exp(-k (x - x0))) Theta(x - 5), a = 0.6655, k = 0.4942,
  x0 = 10.8507 (seed 000 eq. 4), x the PE count;
* arrival times: Gaussian proton pulse (mean 0.692 us, width 0.142 us) convolved with
  the pi/mu decay chain. The pulse parameters are those that reproduce the release's
  ``arrivalTimePDF_*Neutrinos.txt`` (docs/validation.md: every bin holding > 1 % of
  the flux agrees to better than 1.5 %).

Binning: the release's 2-PE bins from 0 to 50 PE and 0.5-us bins from 0 to 12 us
(25 x 24). The COHERENT 2017 region of interest is PE 6-30 (energy bins 4-15 of seed
001 eq. 4.1, counting from 1); :data:`ROI_PE` names it.

Backgrounds: steady state from the anti-coincidence beam-on histogram (same window);
prompt neutrons from ``promptPDF.txt`` (per GWhr, times 7.47594 GWhr) with the time
profile ``arrivalTimePDF_promptNeutrons.txt``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from .. import data as data_mod
from ..errors import RecipeError
from ..physics.nuclei import isotope
from ..prediction import BinnedCEvNS
from ..recipes import Recipe
from ..sources import SOURCES
from .common import Component, ExperimentSetup, build_isotope_kernel, sm_reference, targets_per_isotope
from .registry import register_experiment

RELEASE = "csi-2017"
DETECTOR_MASS_KG = 14.6
PE_PER_KEV_NR = 1.17
EXPOSURE_GWHR = 7.47594
PE_EDGES = np.arange(0.0, 50.1, 2.0)
TIME_EDGES_US = np.arange(0.0, 12.01, 0.5)
ROI_PE = (6.0, 30.0)
EFFICIENCY_BANERJEE2021 = {"a": 0.6655, "k": 0.4942, "x0": 10.8507, "threshold_pe": 5.0}


def acceptance(pe: NDArray[np.float64], a: float = 0.6655, k: float = 0.4942, x0: float = 10.8507,
               threshold_pe: float = 5.0) -> NDArray[np.float64]:
    """Seed 000 eq. (4): a / (1 + exp(-k (x - x0))) Theta(x - 5)."""
    x = np.asarray(pe, dtype=float)
    return np.where(x >= threshold_pe, a / (1.0 + np.exp(-k * (x - x0))), 0.0)


def _binwise_grid(nodes_per_bin: int = 8, pe_per_kev: float = PE_PER_KEV_NR) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Gauss-Legendre nodes in T [keVnr] aligned with the PE bins (PE = 1.17 T is exact)."""
    x, w = np.polynomial.legendre.leggauss(nodes_per_bin)
    t_edges = PE_EDGES / pe_per_kev
    lo, hi = t_edges[:-1, None], t_edges[1:, None]
    t = (0.5 * (hi - lo) * x[None, :] + 0.5 * (hi + lo)).ravel()
    wt = (0.5 * (hi - lo) * w[None, :]).ravel()
    return t, wt


def _grid_table(name: str, root: Path | None) -> NDArray[np.float64]:
    """Release histogram (PE centre, t centre, counts) as a (25, 24) array."""
    a = data_mod.load_table(RELEASE, name, 3, root)
    pe_idx = np.searchsorted(PE_EDGES, a[:, 0]) - 1
    t_idx = np.searchsorted(TIME_EDGES_US, a[:, 1]) - 1
    out = np.zeros((len(PE_EDGES) - 1, len(TIME_EDGES_US) - 1))
    np.add.at(out, (pe_idx, t_idx), a[:, 2])
    return out


@register_experiment("csi-2017", reference_prediction=(173.0, "COHERENT Science 357 (2017) 1123, quoted in seed 000 sec. II.B"))
def build(recipe: Recipe, root: Path | None = None, nodes_per_bin: int = 8, light_yield_scale: float = 1.0) -> ExperimentSetup:
    """Build the CsI 2017 setup (25 PE x 24 time bins) for ``recipe``.

    ``light_yield_scale`` multiplies the 1.17 PE/keVnr (the quenching-factor nuisance eta
    of seed 001 eq. 4.1).
    """
    if recipe.csi2017_response != "banerjee2021":
        raise RecipeError(f"unknown CsI 2017 response {recipe.csi2017_response!r}; available: banerjee2021")
    pe_per_kev = PE_PER_KEV_NR * light_yield_scale
    t_grid, w_grid = _binwise_grid(nodes_per_bin, pe_per_kev)
    bin_of_node = np.repeat(np.arange(len(PE_EDGES) - 1), nodes_per_bin)

    def response(t_nr_kev: NDArray[np.float64]) -> NDArray[np.float64]:
        pe = pe_per_kev * t_nr_kev
        r = np.zeros((len(t_nr_kev), len(PE_EDGES) - 1))
        r[np.arange(len(t_nr_kev)), bin_of_node] = acceptance(pe)
        return r

    source = SOURCES[RELEASE]
    cs, i = isotope("Cs133", recipe.radii), isotope("I127", recipe.radii)
    n_cs, n_i = targets_per_isotope(DETECTOR_MASS_KG, [(cs, 1), (i, 1)])
    kernels = tuple(
        build_isotope_kernel(iso, n, source, response, recipe.form_factor, grid_kev=(t_grid, w_grid))
        for iso, n in ((cs, n_cs), (i, n_i))
    )
    fractions = {}
    for f in source.flavours:
        frac = source.timing.binned_fractions(f, TIME_EDGES_US)
        fractions[f] = frac / frac.sum() if recipe.time_normalisation == "window" else frac
    meta = {"release": RELEASE, "roi_pe": ROI_PE, "baseline_m": source.baseline_m}
    cevns = BinnedCEvNS(PE_EDGES, "PE", TIME_EDGES_US, kernels, fractions, source, sm_reference(recipe, source), meta)

    observed = _grid_table("data_coincidence_beamOn.txt", root)
    ss = _grid_table("data_anticoincidence_beamOn.txt", root)
    prompt_pe = data_mod.load_table(RELEASE, "promptPDF.txt", 2, root)
    prompt_t = data_mod.load_table(RELEASE, "arrivalTimePDF_promptNeutrons.txt", 2, root)
    pe_hist, _ = np.histogram(prompt_pe[:, 0], bins=PE_EDGES, weights=prompt_pe[:, 1] * EXPOSURE_GWHR)
    t_hist, _ = np.histogram(prompt_t[:, 0], bins=TIME_EDGES_US, weights=prompt_t[:, 1])
    brn = np.outer(pe_hist, t_hist / t_hist.sum())
    backgrounds = {
        "ss": Component("ss", ss, "steady state: anti-coincidence beam-on histogram"),
        "brn": Component("brn", brn, "prompt neutrons: promptPDF x 7.47594 GWhr x arrivalTimePDF_promptNeutrons"),
    }
    files = {n: data_mod.file_sha256(data_mod.release_file(RELEASE, n, root))
             for n in ("data_coincidence_beamOn.txt", "data_anticoincidence_beamOn.txt", "promptPDF.txt",
                       "arrivalTimePDF_promptNeutrons.txt")}
    return ExperimentSetup(RELEASE, cevns, backgrounds, observed, "PE", None, files)
