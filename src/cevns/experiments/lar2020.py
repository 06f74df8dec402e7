"""COHERENT CENNS-10 liquid argon, Analysis A (PRL 126 (2021) 012002; release arXiv:2006.12659).

Detector model (LArParametersAnlA.yaml; seed 004 sec. 3.2; seed 002 sec. II):

* 24.4 kg fiducial argon at 27.5 m; r = 0.09, N_POT = 13.8e22;
* quenching E_ee = (0.246 + 7.8e-4 T/keVnr) T;
* Gaussian resolution sigma/E_ee = 0.58/sqrt(E_ee/keVee) on the electron-equivalent energy;
* acceptance from ``CENNS10AnlAEfficiency.txt`` as a function of reconstructed keVee
  (linear interpolation, flat beyond 39.75 keVee);
* arrival times from the SNS POT trace (Gaussian a = 440 ns, b = 150 ns) convolved with
  the pi/mu decay chain; no time efficiency (seed 004 sec. 3.2).

Binning (the release's): 12 E_ee bins of 10 keVee from 0 to 120 keVee, 10 t_trig bins
of 0.5 us from -0.1 to 4.9 us, and 8 F90 bins of 0.05 from 0.5 to 0.9. The default
prediction is energy x time with F90 summed (seed 002 eqs. 7-9, seed 004 eq. 39); the
3D option distributes each energy bin over F90 with the CEvNS F90 distribution of the
released ``cevnspdf.txt``.

Backgrounds and observed counts are the release's 3D PDFs: steady state ``bkgpdf``
(3152), prompt BRN ``brnpdf`` (497), delayed BRN ``delbrnpdf`` (33), observed
``datanobkgsub`` (3752 events). The +-1 sigma shape variations are kept in
``setup.extras.shape_variations`` (:class:`LAr2020Extras`) for the likelihood.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from .. import data as data_mod
from ..detectors import gaussian_bin_probabilities, linear_quenching_kev_ee, tabulated_efficiency
from ..errors import RecipeError
from ..physics.nuclei import NATURAL_ARGON_ABUNDANCE, isotope
from ..prediction import BinnedCEvNS
from ..recipes import Recipe
from ..sources import SOURCES, ArrivalTimeModel
from .common import Component, ExperimentSetup, build_isotope_kernel, sm_reference, targets_per_isotope
from .registry import register_experiment

RELEASE = "lar-2020"
FIDUCIAL_MASS_KG = 24.4
ENERGY_EDGES_KEV_EE = np.arange(0.0, 120.1, 10.0)
TIME_EDGES_US = np.arange(-0.1, 4.91, 0.5)
F90_EDGES = np.arange(0.5, 0.901, 0.05)
RESOLUTION_KEV_EE_SQRT = 0.58
QF_A, QF_B_PER_KEV = 0.246, 7.8e-4

#: release files of 3D PDFs (E x F90 x t) and what they hold
PDF_FILES = {
    "cevns": "cevnspdf.txt",
    "ss": "bkgpdf.txt",
    "brn_prompt": "brnpdf.txt",
    "brn_delayed": "delbrnpdf.txt",
    "observed": "datanobkgsub.txt",
}
#: +-1 sigma shape variations (seed 002 eq. 9, seed 004 eq. 39)
SHAPE_FILES = {
    "cevns_f90_plus": "cevnspdf+1sigF90.txt",
    "cevns_f90_minus": "cevnspdf-1sigF90.txt",
    "cevns_timing_mean": "cevnspdfCEvNSTimingMeanSyst.txt",
    "brn_energy_plus": "brnpdf+1sigEnergy.txt",
    "brn_energy_minus": "brnpdf-1sigEnergy.txt",
    "brn_timing_mean_plus": "brnpdf+1sigBRNTimingMean.txt",
    "brn_timing_mean_minus": "brnpdf-1sigBRNTimingMean.txt",
    "brn_timing_width": "brnpdfBRNTimingWidthSyst.txt",
}
SHAPE = (12, 8, 10)


@dataclass(frozen=True)
class LAr2020Extras:
    """What the LAr 2020 setup offers beyond the (energy x time) prediction: the released 3D
    PDFs (energy x F90 x time) of the observed events, the CEvNS expectation and the
    backgrounds (``ss``, ``brn_prompt``, ``brn_delayed``), the released +-1 sigma shape
    variations, the F90 distribution per energy bin (rows sum to 1) with its edges, and the
    steady-state-subtracted 1D energy spectrum (``energydata1d.txt``: E centre, counts,
    stat. error, ...; the observable of seed 001's LAr likelihood)."""

    energy_data_1d: NDArray[np.float64]
    released_cevns_3d: NDArray[np.float64]
    observed_3d: NDArray[np.float64]
    backgrounds_3d: dict[str, NDArray[np.float64]]
    shape_variations: dict[str, NDArray[np.float64]]
    f90_given_energy: NDArray[np.float64]
    f90_edges: NDArray[np.float64]


def load_pdf3d(name: str, root: Path | None = None) -> NDArray[np.float64]:
    """A release 3D PDF as an array (12 energy, 8 F90, 10 time), checking the grid."""
    a = data_mod.load_table(RELEASE, name, 4, root)
    if a.shape[0] != np.prod(SHAPE):
        raise data_mod.DataError(f"{name}: expected {np.prod(SHAPE)} rows (12 E x 8 F90 x 10 t), found {a.shape[0]}")
    order = np.lexsort((a[:, 2], a[:, 1], a[:, 0]))
    return a[order, 3].reshape(SHAPE)


def energy_response_factory(efficiency):
    """Response (n_T, 12): quench, Gaussian smear in keVee, apply acceptance per reco bin."""
    fine_edges = np.arange(0.0, 120.01, 0.5)
    fine_centres = 0.5 * (fine_edges[1:] + fine_edges[:-1])
    eff_fine = efficiency(fine_centres)
    to_coarse = (fine_centres[:, None] >= ENERGY_EDGES_KEV_EE[None, :-1]) & (fine_centres[:, None] < ENERGY_EDGES_KEV_EE[None, 1:])

    def response(t_nr_kev: NDArray[np.float64]) -> NDArray[np.float64]:
        e_ee = linear_quenching_kev_ee(t_nr_kev, QF_A, QF_B_PER_KEV)
        sigma = RESOLUTION_KEV_EE_SQRT * np.sqrt(e_ee)
        p_fine = gaussian_bin_probabilities(e_ee, sigma, fine_edges) * eff_fine[None, :]
        return p_fine @ to_coarse.astype(float)

    return response


def time_fractions(
    timing: ArrivalTimeModel, flavours: tuple[str, ...], normalisation: str = "window", edges_us=TIME_EDGES_US
) -> dict[str, NDArray[np.float64]]:
    """Fraction of CEvNS of each of ``flavours`` in each t_trig bin under the source's arrival-time
    model ``timing`` (no time efficiency for LAr).

    ``window`` normalises to 1 inside the -0.1-4.9 us window, as the released CEvNS PDF
    is; ``physical`` keeps the true in-window fraction.
    """
    if normalisation not in ("window", "physical"):
        raise RecipeError(f"unknown time normalisation {normalisation!r}; choose 'window' or 'physical'")
    out = {}
    for f in flavours:
        frac = timing.binned_fractions(f, edges_us)
        out[f] = frac / frac.sum() if normalisation == "window" else frac
    return out


@register_experiment("lar-2020", reference_prediction=(
    128.0, "LArParametersAnlA.yaml cevnsPredictionNormalization (sum of cevnspdf.txt)"))
def build(recipe: Recipe, root: Path | None = None, n_nodes: int = 200) -> ExperimentSetup:
    """Build the LAr 2020 setup for ``recipe`` (2D energy x time, F90 summed)."""
    eff_table = data_mod.load_table(RELEASE, "CENNS10AnlAEfficiency.txt", 3, root)
    response = energy_response_factory(tabulated_efficiency(eff_table[:, 0], eff_table[:, 2]))
    source = SOURCES[RELEASE]
    if recipe.natural_argon:
        isos = [(isotope(n, recipe.radii), ab) for n, ab in NATURAL_ARGON_ABUNDANCE.items()]
    else:
        isos = [(isotope("Ar40", recipe.radii), 1.0)]
    counts = targets_per_isotope(FIDUCIAL_MASS_KG, isos)
    kernels = tuple(
        build_isotope_kernel(iso, n, source, response, recipe.form_factor, t_min_kev=2.0, n_nodes=n_nodes)
        for (iso, _), n in zip(isos, counts, strict=True)
    )
    pdfs = {k: load_pdf3d(v, root) for k, v in PDF_FILES.items()}
    if recipe.lar_time_model == "release":
        released_t = pdfs["cevns"].sum(axis=(0, 1))
        fractions = {f: released_t / released_t.sum() for f in source.flavours}
    elif recipe.lar_time_model == "decay-chain":
        fractions = time_fractions(source.timing, source.flavours, recipe.time_normalisation)
    else:
        raise RecipeError(f"unknown lar_time_model {recipe.lar_time_model!r}; choose 'decay-chain' or 'release'")
    meta = {"release": RELEASE, "baseline_m": source.baseline_m}
    cevns = BinnedCEvNS(ENERGY_EDGES_KEV_EE, "keVee", TIME_EDGES_US, kernels, fractions, source,
                        sm_reference(recipe, source), meta)

    shapes = {k: load_pdf3d(v, root) for k, v in SHAPE_FILES.items()}
    f90_given_e = pdfs["cevns"].sum(axis=2)
    norm = f90_given_e.sum(axis=1, keepdims=True)
    # energy bins the released CEvNS PDF leaves empty take the last populated F90 shape
    last = int(np.nonzero(norm[:, 0] > 0)[0][-1])
    f90_given_e = np.where(norm > 0, f90_given_e / np.where(norm > 0, norm, 1.0), f90_given_e[last] / norm[last])
    backgrounds = {
        "ss": Component("ss", pdfs["ss"].sum(axis=1), "steady state (bkgpdf.txt)"),
        "brn_prompt": Component("brn_prompt", pdfs["brn_prompt"].sum(axis=1), "prompt BRN (brnpdf.txt)"),
        "brn_delayed": Component("brn_delayed", pdfs["brn_delayed"].sum(axis=1), "delayed BRN (delbrnpdf.txt)"),
    }
    # the steady-state-subtracted 1D energy spectrum (columns: E centre, counts, stat. error, ...),
    # the observable of the seed 001 LAr likelihood
    energy_data_1d = data_mod.load_table(RELEASE, "energydata1d.txt", 8, root, header_lines=1)
    files = {n: data_mod.file_sha256(data_mod.release_file(RELEASE, n, root))
             for n in ["CENNS10AnlAEfficiency.txt", "energydata1d.txt", *PDF_FILES.values(), *SHAPE_FILES.values()]}
    extras = LAr2020Extras(
        energy_data_1d=energy_data_1d,
        released_cevns_3d=pdfs["cevns"],
        observed_3d=pdfs["observed"],
        backgrounds_3d={k: pdfs[k] for k in ("ss", "brn_prompt", "brn_delayed")},
        shape_variations=shapes,
        f90_given_energy=f90_given_e,
        f90_edges=F90_EDGES,
    )
    return ExperimentSetup(RELEASE, cevns, backgrounds, pdfs["observed"].sum(axis=1), "keVee", extras, files)
