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
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from .couplings import FLAVOURS, NucleonCouplings
from .nuclei import Isotope
from .weak_charge import sm_weak_charge


@dataclass(frozen=True)
class IsotopeKernel:
    """Precomputed response of one target isotope.

    Attributes
    ----------
    isotope: the nucleus.
    t_nr_mev: true-recoil quadrature nodes [MeV], shape ``(n_T,)``.
    f_proton, f_neutron: nominal proton/neutron form factors at the nodes.
    kernel: keyed by ``(structure, flavour)``, ``(n_T, n_E)`` counts per unit
        coefficient landing in each reconstructed energy bin (time not yet applied).
        Structures: ``vector`` (1 - M T/2E^2, per unit Q^2), and the moments ``m0``
        (1), ``m1`` (T/E) and ``m2`` (M T/2E^2) from which scalar, tensor and
        recoil-suppressed terms are assembled (:func:`cevns.cross_sections.kinematic_moment_kernels`).
    """

    isotope: Isotope
    t_nr_mev: NDArray[np.float64]
    f_proton: NDArray[np.float64]
    f_neutron: NDArray[np.float64]
    kernel: Mapping[str, NDArray[np.float64]]


@dataclass(frozen=True)
class BinnedCEvNS:
    """Everything needed to turn weak charges into binned CEvNS counts.

    ``time_fractions[f]`` has shape ``(n_t,)``; an experiment without timing uses one bin.
    """

    energy_edges: NDArray[np.float64]
    energy_unit: str
    time_edges_us: NDArray[np.float64]
    isotopes: tuple[IsotopeKernel, ...]
    time_fractions: Mapping[str, NDArray[np.float64]]
    metadata: dict = field(default_factory=dict)
    es_atoms: tuple[IsotopeKernel, ...] = ()

    @property
    def shape(self) -> tuple[int, int]:
        """(n_energy_bins, n_time_bins)."""
        return len(self.energy_edges) - 1, len(self.time_edges_us) - 1

    def sm_weak_charges(self, couplings: Mapping[str, NucleonCouplings]) -> dict[tuple[str, str], NDArray[np.float64]]:
        """Q_{iso,f}(T_k) for SM couplings and the nominal form factors."""
        return {
            (ik.isotope.name, f): sm_weak_charge(ik.isotope, couplings[f], ik.f_proton, ik.f_neutron)
            for ik in self.isotopes
            for f in FLAVOURS
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
        for f in FLAVOURS:
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
        return sum(by_e[f][..., :, None] * self.time_fractions[f] for f in FLAVOURS)

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
        return {f: by_e[f][..., :, None] * self.time_fractions[f] for f in FLAVOURS}

    def counts(self, weak_charges: Mapping[tuple[str, str], NDArray[np.float64]]) -> NDArray[np.float64]:
        """Total CEvNS counts per (energy, time) bin, shape ``(..., n_E, n_t)``."""
        parts = self.counts_by_flavour(weak_charges)
        return sum(parts[f] for f in FLAVOURS)
