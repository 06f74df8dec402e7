"""COHERENT CsI[Na] full dataset (PRL 129 (2022) 081801), binned as in seed 004 sec. 3.1.

Detector model (seed 004 sec. 3.1 and appendix A, release ancillary files):

* 14.6 kg CsI at 19.3 m; r = 0.0848, N_POT = 3.198e23 (seed 004 after eq. 29);
* scintillation response E_ee(T_nr) from ``scintRespCoefficients.txt`` (nominal set);
* light yield 13.35 PE/keVee and Gamma smearing of the PE count (seed 004 eq. 31);
* energy efficiency eff(PE) from ``effCoefficients.txt`` (eq. 30; nominal or +-1 sigma),
  clipped at zero (the logistic form goes negative below ~5.5 PE);
* arrival times: SNS pulse (Gaussian, a = 440 ns, b = 150 ns) convolved with the pi/mu
  decay chain (:mod:`cevns.sources.timing`), times the time efficiency of eq. (33);
* Cs and I summed incoherently.

Analysis window and binning: PE < 60 and t_rec < 6 us, 9 PE bins x 11 time bins with
edges :data:`PE_EDGES` and :data:`TIME_EDGES_US` (the public binning of the 2021
analysis; docs/validation.md "CsI 2021 binning" records the check against the event lists).

Backgrounds:

* steady state (SS), recipe option ``csi2021_steady_state``:

  - ``smooth`` (default): the anti-coincidence beam-on events (``dataBeamOnAC.txt``,
    same window length) counted per PE row, each row spread over the time bins as a
    flat rate seen through the time efficiency of eq. (33)
    (:func:`smooth_steady_state`). The SS background is steady by definition; the AC
    rate per us follows eq. (33) (docs/validation.md "CsI 2021 steady-state
    background"), and 1295 events over 99 bins carry Poisson noise as large as the
    data's own, which a bin-by-bin template would treat as a known shape;
  - ``histogram``: the AC events histogrammed in the analysis bins (kept for comparison);
* BRN and NIN: product of the released PE and t_rec PDFs (``brnPE``/``brnTrec``,
  ``ninPE``/``ninTrec``). The released t_rec PDFs integrate to the expected count over
  the full PE range (27.63 BRN, 7.56 NIN); the PE PDFs integrate to 1 below 60 PE
  and to 1.498 (BRN) / 1.334 (NIN) over all PE, so the expected counts in PE < 60
  before the time efficiency are 18.45 (BRN) and 5.67 (NIN), matching the 18.4 and
  5.6 used by public re-analyses. The time efficiency (eq. 33) is then applied
  (recipe option ``background_time_efficiency``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from .. import data as data_mod
from ..detectors import fold_density_into_bins, gamma_smearing_pdf, logistic_efficiency, polynomial_scintillation_kev_ee
from ..errors import RecipeError, UnknownNameError
from ..physics.nuclei import isotope
from ..prediction import BinnedCEvNS
from ..recipes import Recipe
from ..sources import SOURCES, ArrivalTimeModel
from ..sources.timing import time_efficiency, time_efficiency_integrals_us
from .common import Atom, Component, ExperimentSetup, build_es_kernel, build_isotope_kernel, sm_reference, targets_per_isotope
from .registry import register_experiment

RELEASE = "csi-2021"
DETECTOR_MASS_KG = 14.6
LIGHT_YIELD_PE_PER_KEV_EE = 13.35
PE_EDGES = np.array([0, 8, 12, 16, 20, 24, 32, 40, 50, 60], dtype=float)
TIME_EDGES_US = np.array([0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1, 2, 4, 6], dtype=float)
EFFICIENCY_SETS = {"nominal": 0, "plus1sigma": 1, "minus1sigma": 2}
STEADY_STATE_MODELS = ("smooth", "histogram")


#: every release file the CsI 2021 setup reads (verified against the SHA-256 registry)
RELEASE_FILES = ("dataBeamOnC.txt", "dataBeamOnAC.txt", "effCoefficients.txt", "scintRespCoefficients.txt",
                 "brnPE.txt", "brnTrec.txt", "ninPE.txt", "ninTrec.txt")


@dataclass(frozen=True)
class CsI2021Release:
    """The parsed CsI 2021 release files, read (and SHA-256 verified) once by :func:`read_release`.

    ``tables`` maps each file of :data:`RELEASE_FILES` to its numeric table (event lists
    (PE, t_rec [us]); PDFs (bin centre, content); coefficient sets, 4 per row);
    ``files`` maps each file to its SHA-256.
    """

    tables: dict[str, NDArray[np.float64]]
    files: dict[str, str]


def read_release(root: Path | None = None) -> CsI2021Release:
    """Read and verify the CsI 2021 release files from ``root`` (or the data directory)."""
    ncols = {"effCoefficients.txt": 4, "scintRespCoefficients.txt": 4}
    tables = {}
    for name in RELEASE_FILES:
        if name in ncols:
            tables[name] = data_mod.load_coefficient_sets(RELEASE, name, root)
        else:
            tables[name] = data_mod.load_table(RELEASE, name, ncols.get(name, 2), root)
        tables[name].flags.writeable = False  # shared by every variant built from this release
    files = {n: data_mod.file_sha256(data_mod.release_file(RELEASE, n, root)) for n in RELEASE_FILES}
    return CsI2021Release(tables, files)


def histogram_events(events: NDArray[np.float64], pe_edges=PE_EDGES, time_edges_us=TIME_EDGES_US) -> NDArray[np.float64]:
    """2D histogram (PE x t_rec) of an event list; events outside the window are dropped."""
    h, _, _ = np.histogram2d(events[:, 0], events[:, 1], bins=[pe_edges, time_edges_us])
    return h


def smooth_steady_state(ac_counts: NDArray[np.float64], time_edges_us=TIME_EDGES_US) -> NDArray[np.float64]:
    """Steady-state template (n_PE, n_t): each PE row's AC total spread over the time bins
    in proportion to the time-efficiency integral of eq. (33) (a flat rate).

    Row totals, hence the total and the meaning of the 2.1 % SS normalisation nuisance
    (seed 004 eq. 38, seed 002 eq. 6), are those of ``ac_counts``; only the bin-to-bin
    Poisson noise of the AC sample is removed.
    """
    weights = time_efficiency_integrals_us(time_edges_us)
    return np.outer(ac_counts.sum(axis=1), weights / weights.sum())


def steady_state_template(ac_counts: NDArray[np.float64], model: str, time_edges_us=TIME_EDGES_US) -> NDArray[np.float64]:
    """SS expectation from the AC histogram: ``smooth`` or ``histogram`` (the raw counts)."""
    if model == "smooth":
        return smooth_steady_state(ac_counts, time_edges_us)
    if model == "histogram":
        return np.asarray(ac_counts, dtype=float)
    raise RecipeError(f"unknown csi2021_steady_state {model!r}; choose one of {', '.join(STEADY_STATE_MODELS)}")


def released_time_contents(centres_us: NDArray[np.float64], contents: NDArray[np.float64], edges_us,
                           apply_eff: bool, shift_us: float = 0.0, sub_bins: int = 20) -> NDArray[np.float64]:
    """Contents of ``edges_us`` of a released time histogram moved by ``shift_us``.

    The release is read as a piecewise-constant density on its own bins (width from the
    centres); each bin is split into ``sub_bins`` pieces weighted by the time efficiency at
    their shifted centre, and the cumulative content is interpolated linearly at the
    analysis edges. A release bin straddling an analysis edge (the 10-ns bins centred on
    0.125, 0.375, ... us) is split between the two; the result is continuous in
    ``shift_us`` (the beam-timing nuisance alpha_6 of seed 004), so the chi2 is smooth in it.
    """
    width = float(np.median(np.diff(centres_us)))
    frac = (np.arange(sub_bins) + 0.5) / sub_bins - 0.5
    t_sub = (centres_us[:, None] + frac[None, :] * width + shift_us).ravel()
    w_sub = np.repeat(contents / sub_bins, sub_bins)
    if apply_eff:
        w_sub = w_sub * time_efficiency(t_sub)
    sub_edges = np.concatenate([t_sub - 0.5 * width / sub_bins, [t_sub[-1] + 0.5 * width / sub_bins]])
    cdf = np.concatenate([[0.0], np.cumsum(w_sub)])
    return np.diff(np.interp(edges_us, sub_edges, cdf))


def neutron_template(pe: NDArray[np.float64], tr: NDArray[np.float64], apply_time_eff: bool, pe_edges=PE_EDGES,
                     time_edges_us=TIME_EDGES_US, shift_us: float = 0.0) -> NDArray[np.float64]:
    """BRN or NIN template (n_PE, n_t): released PE PDF ``pe`` x released t_rec PDF ``tr``
    (both (bin centre, content) tables), the latter moved by ``shift_us`` (alpha_6 of seed 004)."""
    # 1-PE bins centred on x.5 (rebinned by centre); 10-ns time bins read as a density
    pe_hist, _ = np.histogram(pe[:, 0], bins=pe_edges, weights=pe[:, 1])
    pe_fraction_in_window = pe[pe[:, 0] < pe_edges[-1], 1].sum() / pe[:, 1].sum()
    t_hist = released_time_contents(tr[:, 0], tr[:, 1], time_edges_us, apply_time_eff, shift_us)
    pe_shape = pe_hist / pe_hist.sum()
    return np.outer(pe_shape, t_hist) * pe_fraction_in_window


def time_fractions(
    timing: ArrivalTimeModel, flavours: tuple[str, ...], normalisation: str = "window", edges_us=TIME_EDGES_US
) -> dict[str, NDArray[np.float64]]:
    """Fraction of CEvNS of each of ``flavours`` in each time bin under the source's arrival-time
    model ``timing``, time efficiency (seed 004 eq. 33) applied.

    ``normalisation="window"`` divides by the arrival probability inside the window
    (seed 004 sec. 3.1); ``"physical"`` does not.
    """
    if normalisation not in ("window", "physical"):
        raise RecipeError(f"unknown time normalisation {normalisation!r}; choose 'window' or 'physical'")
    out = {}
    window = np.array([edges_us[0], edges_us[-1]])
    for f in flavours:
        frac = timing.efficiency_weighted_fractions(f, edges_us, time_efficiency)
        if normalisation == "window":
            frac = frac / timing.binned_fractions(f, window)[0]
        out[f] = frac
    return out


@dataclass(frozen=True)
class CsI2021Extras:
    """What the CsI 2021 setup offers beyond prediction, backgrounds and observed counts:
    the efficiency set used, the anti-coincidence histogram (n_PE, n_t) behind the SS
    template, and the builder that makes the shifted variants of seed 004 (alpha_6, alpha_7)
    from the release files already read."""

    efficiency: str
    anticoincidence_counts: NDArray[np.float64]
    builder: CsI2021Builder


@dataclass
class CsI2021Builder:
    """Builds CsI 2021 setups for one recipe from release files read once.

    The non-linear nuisances of seed 004 change one piece each: the efficiency shift
    (alpha_7, eq. 30) the energy kernels, the beam-timing shift (alpha_6) the time
    fractions. Both are cached per value, so the 81 (alpha_6, alpha_7) variants of the
    ``deromeri2023`` likelihood cost 9 kernel builds and 9 timing integrals, and no
    release file is read again.
    """

    recipe: Recipe
    root: Path | None = None
    efficiency: str = "nominal"
    n_nodes: int = 240
    release: CsI2021Release | None = None
    _kernels: dict = field(default_factory=dict, repr=False)
    _fractions: dict = field(default_factory=dict, repr=False)
    _base: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.efficiency not in EFFICIENCY_SETS:
            raise UnknownNameError(f"unknown efficiency set {self.efficiency!r}; choose {', '.join(EFFICIENCY_SETS)}")
        if self.release is None:
            self.release = read_release(self.root)

    def kernels(self, efficiency_shift_pe: float = 0.0) -> tuple[tuple, tuple]:
        """(CEvNS isotope kernels, ES atom kernels) with the efficiency at PE + shift [PE]."""
        key = float(efficiency_shift_pe)
        if key not in self._kernels:
            self._kernels[key] = self._build_kernels(key)
        return self._kernels[key]

    def _build_kernels(self, efficiency_shift_pe: float) -> tuple[tuple, tuple]:
        recipe, tables = self.recipe, self.release.tables
        eff_coeffs = tables["effCoefficients.txt"][EFFICIENCY_SETS[self.efficiency]]
        scint = tables["scintRespCoefficients.txt"][0]

        def eff(pe: NDArray[np.float64]) -> NDArray[np.float64]:
            return np.clip(logistic_efficiency(pe + efficiency_shift_pe, *eff_coeffs), 0.0, None)

        def response(t_nr_kev: NDArray[np.float64]) -> NDArray[np.float64]:
            e_ee = np.clip(polynomial_scintillation_kev_ee(t_nr_kev, scint), 1e-6, None)
            return fold_density_into_bins(
                lambda x: gamma_smearing_pdf(x[None, :], e_ee[:, None], LIGHT_YIELD_PE_PER_KEV_EE), PE_EDGES, eff
            )

        source = SOURCES[RELEASE]
        cs, i = isotope("Cs133", recipe.radii), isotope("I127", recipe.radii)
        n_cs, n_i = targets_per_isotope(DETECTOR_MASS_KG, [(cs, 1), (i, 1)])
        kernels = tuple(
            build_isotope_kernel(iso, n, source, response, recipe.form_factor, t_min_kev=0.5, n_nodes=self.n_nodes)
            for iso, n in ((cs, n_cs), (i, n_i))
        )
        es_atoms: tuple = ()
        if recipe.electron_scattering:
            # electron recoils: no quenching, PE = LY x E_er, same smearing and efficiency
            def es_response(t_er_kev: NDArray[np.float64]) -> NDArray[np.float64]:
                e_ee = np.clip(t_er_kev, 1e-6, None)
                return fold_density_into_bins(
                    lambda x: gamma_smearing_pdf(x[None, :], e_ee[:, None], LIGHT_YIELD_PE_PER_KEV_EE), PE_EDGES, eff
                )

            es_atoms = tuple(
                build_es_kernel(Atom(f"es:{el}", el, z), n_at, source, es_response)
                for el, z, n_at in (("Cs", 55, n_cs), ("I", 53, n_i))
            )
        return kernels, es_atoms

    def fractions(self, timing_shift_us: float = 0.0) -> dict[str, NDArray[np.float64]]:
        """Per-flavour time-bin fractions with the proton pulse moved by ``timing_shift_us`` [us]."""
        key = float(timing_shift_us)
        if key not in self._fractions:
            source = SOURCES[RELEASE]
            self._fractions[key] = time_fractions(source.timing.shifted(key), source.flavours, self.recipe.time_normalisation)
        return self._fractions[key]

    def neutron_template(self, kind: str, shift_us: float = 0.0) -> NDArray[np.float64]:
        """``kind`` = ``"brn"`` or ``"nin"`` template (n_PE, n_t) with its t_rec PDF moved by
        ``shift_us`` [us] (alpha_6); the time efficiency per ``recipe.background_time_efficiency``."""
        t = self.release.tables
        return neutron_template(t[f"{kind}PE.txt"], t[f"{kind}Trec.txt"], self.recipe.background_time_efficiency,
                                PE_EDGES, TIME_EDGES_US, shift_us)

    def _data_and_backgrounds(self) -> tuple[NDArray[np.float64], NDArray[np.float64], dict[str, Component]]:
        if not self._base:
            recipe, tables = self.recipe, self.release.tables
            observed = histogram_events(tables["dataBeamOnC.txt"])
            ac = histogram_events(tables["dataBeamOnAC.txt"])
            ss = steady_state_template(ac, recipe.csi2021_steady_state)
            self._base.update(observed=observed, ac=ac, backgrounds={
                "ss": Component("ss", ss, f"steady state ({recipe.csi2021_steady_state}): anti-coincidence beam-on "
                                          "events (dataBeamOnAC.txt)"),
                "brn": Component("brn", self.neutron_template("brn"), "beam-related neutrons: brnPE x brnTrec"),
                "nin": Component("nin", self.neutron_template("nin"), "neutrino-induced neutrons: ninPE x ninTrec"),
            })
        return self._base["observed"], self._base["ac"], self._base["backgrounds"]

    def setup(self, efficiency_shift_pe: float = 0.0, timing_shift_us: float = 0.0) -> ExperimentSetup:
        """The CsI 2021 setup at efficiency shift ``efficiency_shift_pe`` [PE] (alpha_7) and
        proton-pulse shift ``timing_shift_us`` [us] (alpha_6; CEvNS timing only, as in :func:`build`)."""
        kernels, es_atoms = self.kernels(efficiency_shift_pe)
        source = SOURCES[RELEASE]
        meta = {"release": RELEASE, "baseline_m": source.baseline_m}
        cevns = BinnedCEvNS(PE_EDGES, "PE", TIME_EDGES_US, kernels, self.fractions(timing_shift_us), source,
                            sm_reference(self.recipe, source), meta, es_atoms)
        observed, ac, backgrounds = self._data_and_backgrounds()
        extras = CsI2021Extras(self.efficiency, ac, self)
        return ExperimentSetup(RELEASE, cevns, dict(backgrounds), observed, "PE", extras, dict(self.release.files))


@register_experiment("csi-2021", reference_prediction=(341.0, "COHERENT PRL 129 (2022) 081801"))
def build(
    recipe: Recipe,
    root: Path | None = None,
    efficiency: str = "nominal",
    n_nodes: int = 240,
    efficiency_shift_pe: float = 0.0,
    timing_shift_us: float = 0.0,
    release: CsI2021Release | None = None,
) -> ExperimentSetup:
    """Build the CsI 2021 setup for ``recipe`` (data read from ``root`` or the data dir).

    ``efficiency_shift_pe`` evaluates the efficiency at PE + shift (seed 004 eq. 30,
    alpha_7); ``timing_shift_us`` moves the proton pulse (alpha_6, sec. 3.1). ``release``
    (from :func:`read_release`) skips reading the files again. The setup's
    ``extras.builder`` (:class:`CsI2021Builder`) makes further variants without reading.
    """
    builder = CsI2021Builder(recipe, root, efficiency, n_nodes, release)
    return builder.setup(efficiency_shift_pe, timing_shift_us)
