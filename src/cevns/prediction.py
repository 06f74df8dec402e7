"""The fast prediction path (DESIGN.md "How to make it fast").

For a fixed experiment the expected CEvNS counts in reconstructed energy bin e and time
bin j are

    N[e, j] = sum_isotopes sum_f  tau_f[j] * sum_k Q_{iso,f}(T_k)^2 * K_{iso,f}[k, e]

where T_k is a fixed quadrature grid of true recoil energies, K is the precomputed
kernel (targets x flux normalisation x G_F^2 M/pi x flux-averaged kinematic factor
k_f(T_k) x quadrature weight x detector response into bin e, efficiency included), and
tau_f[j] is the (time-efficiency-weighted) fraction of flavour f arriving in time bin
j. A model is only a weak charge Q_{iso,f}(T) per isotope and flavour, so a batch of P
parameter points costs a (P x n_T) @ (n_T x n_E) product per isotope and flavour.

The flavours f are the source's (:attr:`cevns.sources.base.Source.flavours`), never a
module constant. Models see a :class:`TargetGrid` (recoil nodes, form factors, the source,
the SM reference couplings), not the detector kernels and not the recipe.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from .physics.couplings import NucleonCouplings
from .physics.nuclei import Isotope
from .physics.weak_charge import sm_weak_charge
from .sources.base import Source


@dataclass(frozen=True)
class IsotopeGrid:
    """Recoil nodes and nominal form factors of one target: what a model reads of it.

    Attributes
    ----------
    isotope: the nucleus (or, for neutrino-electron scattering, the atom; its ``name``
        starts with ``es:``).
    t_nr_mev: true-recoil quadrature nodes [MeV], shape ``(n_T,)``.
    f_proton, f_neutron: nominal proton/neutron form factors at the nodes (ones for atoms).
    """

    isotope: Isotope
    t_nr_mev: NDArray[np.float64]
    f_proton: NDArray[np.float64]
    f_neutron: NDArray[np.float64]


@dataclass(frozen=True)
class IsotopeKernel(IsotopeGrid):
    """Precomputed response of one target isotope: its :class:`IsotopeGrid` plus the kernels.

    Attributes
    ----------
    kernel: keyed by ``(structure, flavour)``, ``(n_T, n_E)`` counts per unit
        coefficient landing in each reconstructed energy bin (time not yet applied).
        Structures: ``vector`` (1 - M T/2E^2, per unit Q^2), and the moments ``m0``
        (1), ``m1`` (T/E) and ``m2`` (M T/2E^2) from which scalar, tensor and
        recoil-suppressed terms are assembled (:func:`cevns.physics.cross_sections.kinematic_moment_kernels`).
    """

    kernel: Mapping[tuple[str, str], NDArray[np.float64]]


@dataclass(frozen=True)
class SMReference:
    """The Standard-Model point a prediction is built at (from the recipe, by the experiment builder).

    Attributes
    ----------
    couplings: g_V^p, g_V^n per flavour of the source (seed 002 eq. 12 or seed 004 eq. 2).
    coupling_scheme: ``radiative`` or ``tree``: how a varied sin^2(theta_W) moves g_V^p
        (:func:`cevns.models.base.couplings_for`).
    sin2_theta_w: the reference weak mixing angle (also of the nu-e couplings, seed 004 eq. 4).
    form_factor: the form-factor parametrisation of the nominal F_p, F_n (:mod:`cevns.physics.form_factors`),
        used again when a model fits a neutron radius.
    """

    couplings: Mapping[str, NucleonCouplings]
    coupling_scheme: str
    sin2_theta_w: float
    form_factor: str


@dataclass(frozen=True)
class TargetGrid:
    """What a model sees of an experiment: targets on their recoil grids, the source, the SM point.

    Attributes
    ----------
    isotopes: recoil nodes and nominal F_p, F_n per target nucleus.
    source: the neutrino source (flavours, spectra, moments, baseline).
    sm: the SM reference couplings per flavour and their conventions.
    es_atoms: electron-scattering pseudo-targets (electron-recoil nodes), empty when off.
    """

    isotopes: tuple[IsotopeGrid, ...]
    source: Source
    sm: SMReference
    es_atoms: tuple[IsotopeGrid, ...] = ()

    def __post_init__(self) -> None:
        missing = [f for f in self.flavours if f not in self.sm.couplings]
        if missing:
            raise ValueError(f"SM couplings missing for flavour(s) {', '.join(missing)} of the source")

    @property
    def flavours(self) -> tuple[str, ...]:
        """The source's flavours, in order."""
        return self.source.flavours

    @property
    def baseline_m(self) -> float:
        """Source-detector distance [m]."""
        return self.source.baseline_m


@dataclass(frozen=True)
class BinnedCEvNS:
    """Everything needed to turn weak charges into binned CEvNS counts.

    ``time_fractions[f]`` has shape ``(n_t,)`` for each flavour f of ``source``; an
    experiment without timing uses one bin. ``sm`` is the SM reference the models start
    from; :attr:`grid` is what they see.
    """

    energy_edges: NDArray[np.float64]
    energy_unit: str
    time_edges_us: NDArray[np.float64]
    isotopes: tuple[IsotopeKernel, ...]
    time_fractions: Mapping[str, NDArray[np.float64]]
    source: Source
    sm: SMReference
    metadata: dict = field(default_factory=dict)
    es_atoms: tuple[IsotopeKernel, ...] = ()

    def __post_init__(self) -> None:
        missing = [f for f in self.flavours if f not in self.time_fractions]
        if missing:
            raise ValueError(f"time fractions missing for flavour(s) {', '.join(missing)} of the source")

    @property
    def flavours(self) -> tuple[str, ...]:
        """The source's flavours, in order."""
        return self.source.flavours

    @property
    def grid(self) -> TargetGrid:
        """The :class:`TargetGrid` of these kernels (the current isotopes, so a form-factor
        variant made with ``dataclasses.replace(cevns, isotopes=...)`` is seen by the models)."""
        return TargetGrid(self.isotopes, self.source, self.sm, self.es_atoms)

    @property
    def shape(self) -> tuple[int, int]:
        """(n_energy_bins, n_time_bins)."""
        return len(self.energy_edges) - 1, len(self.time_edges_us) - 1

    def sm_weak_charges(self, couplings: Mapping[str, NucleonCouplings]) -> dict[tuple[str, str], NDArray[np.float64]]:
        """Q_{iso,f}(T_k) for SM couplings and the nominal form factors."""
        return {
            (ik.isotope.name, f): sm_weak_charge(ik.isotope, couplings[f], ik.f_proton, ik.f_neutron)
            for ik in self.isotopes
            for f in self.flavours
        }

    def energy_counts_by_flavour(
        self, weak_charges: Mapping[tuple[str, str], NDArray[np.float64]]
    ) -> dict[str, NDArray[np.float64]]:
        """Counts per energy bin per flavour, before timing: ``{f: (..., n_E)}``.

        ``weak_charges[(isotope_name, flavour)]`` has shape ``(n_T,)`` or ``(P, n_T)``.
        """
        q2 = {k: np.asarray(v) ** 2 for k, v in weak_charges.items()}
        return self.energy_counts_from_terms({("vector",) + k: v for k, v in q2.items()})

    def energy_counts_from_terms(
        self, terms: Mapping[tuple[str, str, str], NDArray[np.float64]]
    ) -> dict[str, NDArray[np.float64]]:
        """General form: ``terms[(structure, isotope_name, flavour)]`` are coefficient arrays
        (``(n_T,)`` or ``(P, n_T)``) multiplying the kernel of that structure; missing
        terms count as zero. Returns ``{f: (..., n_E)}``.

        For a vector model pass Q^2 as ``("vector", iso, f)`` (or use
        :meth:`energy_counts_by_flavour`); incoherent sums (flavour-changing NSI) just add
        their Q^2 to the same coefficient.
        """
        out: dict[str, NDArray[np.float64]] = {}
        for f in self.flavours:
            total = None
            for ik in (*self.isotopes, *self.es_atoms):
                for (structure, iso_name, flav), coeff in terms.items():
                    if iso_name != ik.isotope.name or flav != f:
                        continue
                    term = np.asarray(coeff) @ ik.kernel[(structure, f)]
                    total = term if total is None else total + term
            if total is None:
                total = np.zeros(self.shape[0])
            out[f] = total
        return out

    def counts_from_terms(self, terms: Mapping[tuple[str, str, str], NDArray[np.float64]]) -> NDArray[np.float64]:
        """Total counts per (energy, time) bin from general kernel terms, ``(..., n_E, n_t)``."""
        by_e = self.energy_counts_from_terms(terms)
        return sum(by_e[f][..., :, None] * self.time_fractions[f] for f in self.flavours)

    def counts_by_process(self, terms: Mapping[tuple[str, str, str], NDArray[np.float64]]) -> dict[str, NDArray[np.float64]]:
        """``{"cevns": ..., "es": ...}`` counts per (energy, time) bin; ES terms are those of
        the electron-scattering pseudo-targets (names starting with ``es:``)."""
        es_names = {a.isotope.name for a in self.es_atoms}
        nuc = {k: v for k, v in terms.items() if k[1] not in es_names}
        out = {"cevns": self.counts_from_terms(nuc)}
        if es_names:
            out["es"] = self.counts_from_terms({k: v for k, v in terms.items() if k[1] in es_names})
        return out

    def counts_by_flavour(
        self, weak_charges: Mapping[tuple[str, str], NDArray[np.float64]]
    ) -> dict[str, NDArray[np.float64]]:
        """Counts per (energy, time) bin per flavour: ``{f: (..., n_E, n_t)}``."""
        by_e = self.energy_counts_by_flavour(weak_charges)
        return {f: by_e[f][..., :, None] * self.time_fractions[f] for f in self.flavours}

    def counts(self, weak_charges: Mapping[tuple[str, str], NDArray[np.float64]]) -> NDArray[np.float64]:
        """Total CEvNS counts per (energy, time) bin, shape ``(..., n_E, n_t)``."""
        parts = self.counts_by_flavour(weak_charges)
        return sum(parts[f] for f in self.flavours)
