"""What a neutrino source is to the rest of cevns: the :class:`Source` protocol.

Everything below the source layer (kernel assembly in :mod:`cevns.experiments.common`,
:class:`cevns.prediction.BinnedCEvNS`, the models) reads a source only through this
protocol, so a source with other flavours (a reactor: anti-nu_e; the Sun: nu_e) needs no
change there.

A source seen from a detector gives, per flavour f of :attr:`Source.flavours`,

* the fluence eta_f [cm^-2] (neutrinos of flavour f per cm^2 at the detector over the
  exposure; seed 002 after eq. 3 for the stopped-pion eta = r N_POT / (4 pi L^2));
* the unit-normalised spectrum phi_f(E) [1/MeV] (:class:`Spectrum`), so that the flux is
  eta_f phi_f(E);
* the flux-weighted inverse moments m_n(E_min) = int_{E_min} phi_f(E) E^-n dE, n = 0, 1, 2
  [MeV^-n]: every CEvNS and nu-e cross section of seed 004 eqs. (1), (4), (8), (14)-(19)
  is a polynomial in 1/E at fixed recoil T, so these are all the kernels integrate
  (:func:`cevns.physics.cross_sections.kinematic_moment_kernels`);
* the largest neutrino energy ``e_max_mev`` (end of the recoil grid, T_max(E_max));
* optionally an arrival-time model (:class:`ArrivalTimeModel`; ``None`` for a source
  without beam timing, e.g. the Sun);
* optionally ``flux_parameters`` (an attribute, not required by the protocol check): the
  model parameters that scale its flux and their nominal values
  (``{"flux_8b": 5.46}`` for the solar source, in 10^6 cm^-2 s^-1; empty for a source whose
  normalisation is fixed, the stopped-pion one). The fluences above are at the nominal
  values; :meth:`cevns.models.base.Model.terms` scales a prediction by value / nominal.
  Added for the solar source (issue #14), whose flux is a quantity to measure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import ArrayLike, NDArray


@runtime_checkable
class Spectrum(Protocol):
    """A unit-normalised neutrino spectrum phi(E), E in MeV."""

    @property
    def e_max_mev(self) -> float:
        """Largest energy with phi > 0 [MeV]."""
        ...

    def __call__(self, e_mev: ArrayLike) -> NDArray[np.float64]:
        """Density phi(E) [1/MeV] (zero for a discrete line, whose weight the integrals below carry)."""
        ...

    def inverse_moments(self, e_min_mev: ArrayLike) -> NDArray[np.float64]:
        """m_n = int_{e_min}^{E_max} phi(E) E^-n dE for n = 0, 1, 2: shape ``(3,) + e_min.shape`` [MeV^-n]."""
        ...

    def quadrature(self, e_min_mev: ArrayLike, n_nodes: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """(E_j, w_j), each of shape ``e_min.shape + (k,)``, with int_{e_min} phi(E) g(E) dE ~ sum_j w_j g(E_j)
        for smooth g (the flux average of a function the closed-form moments do not cover)."""
        ...


@runtime_checkable
class ArrivalTimeModel(Protocol):
    """Arrival-time distribution of each flavour of a pulsed source; times in microseconds."""

    def binned_fractions(self, flavour: str, edges_us: ArrayLike) -> NDArray[np.float64]:
        """Fraction of ``flavour`` arrivals in each bin of ``edges_us``."""
        ...

    def efficiency_weighted_fractions(
        self, flavour: str, edges_us: ArrayLike, efficiency: Callable[[NDArray[np.float64]], NDArray[np.float64]]
    ) -> NDArray[np.float64]:
        """Integral over each bin of pdf(t) efficiency(t)."""
        ...

    def shifted(self, shift_us: float) -> ArrivalTimeModel:
        """The same model moved later by ``shift_us`` (a beam-timing nuisance)."""
        ...


@runtime_checkable
class Source(Protocol):
    """A neutrino source seen from one detector (see the module docstring for the physics)."""

    @property
    def flavours(self) -> tuple[str, ...]:
        """Flavours the source emits, in the order predictions list them (e.g. ``("nu_e_bar",)``)."""
        ...

    @property
    def e_max_mev(self) -> float:
        """Largest neutrino energy of any flavour [MeV]."""
        ...

    @property
    def baseline_m(self) -> float:
        """Source-detector distance [m] (read by oscillation models)."""
        ...

    @property
    def timing(self) -> ArrivalTimeModel | None:
        """Arrival-time model, or ``None`` for a source without timing."""
        ...

    def fluence_per_cm2(self, flavour: str) -> float:
        """eta_f: neutrinos of ``flavour`` per cm^2 at the detector over the exposure."""
        ...

    def spectrum(self, flavour: str) -> Spectrum:
        """Unit-normalised spectrum of ``flavour``."""
        ...

    def inverse_moments(self, flavour: str, e_min_mev: ArrayLike) -> NDArray[np.float64]:
        """m_n(E_min) = int_{E_min} phi_f(E) E^-n dE, n = 0, 1, 2, shape ``(3,) + e_min.shape`` [MeV^-n]."""
        ...


@dataclass(frozen=True)
class LineSpectrum:
    """A monochromatic line phi(E) = delta(E - E_0), e.g. the prompt nu_mu of pi+ -> mu+ nu_mu at
    rest (seed 002 eq. 1). Moments are E_0^-n Theta(E_0 >= E_min)."""

    energy_mev: float

    @property
    def e_max_mev(self) -> float:
        """The line energy [MeV]."""
        return self.energy_mev

    def __call__(self, e_mev: ArrayLike) -> NDArray[np.float64]:
        """Zero: a delta function has no density; the line enters through the moments and the quadrature."""
        return np.zeros_like(np.asarray(e_mev, dtype=float))

    def inverse_moments(self, e_min_mev: ArrayLike) -> NDArray[np.float64]:
        """E_0^-n Theta(E_0 >= e_min) for n = 0, 1, 2, shape ``(3,) + e_min.shape``."""
        emin = np.asarray(e_min_mev, dtype=float)
        inside = (emin <= self.energy_mev).astype(float)
        return np.stack([inside * self.energy_mev ** (-n) for n in range(3)])

    def quadrature(self, e_min_mev: ArrayLike, n_nodes: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """One node at E_0 with weight Theta(E_0 >= e_min) (exact for any g); ``n_nodes`` is not used."""
        emin = np.asarray(e_min_mev, dtype=float)
        nodes = np.full(emin.shape + (1,), self.energy_mev)
        return nodes, (emin <= self.energy_mev).astype(float)[..., None]
