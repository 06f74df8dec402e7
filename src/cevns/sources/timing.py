"""Arrival-time distributions of stopped-pion neutrinos (the stopped-pion source's
:class:`~cevns.sources.base.ArrivalTimeModel`, :class:`DecayChainTiming`).

Model (DESIGN.md "Timing of the SNS signal"): the proton pulse on target is a Gaussian
of mean ``pulse_mean_us`` and width ``pulse_sigma_us`` (the LAr release's POT-trace
parameters are a = 440 ns, b = 150 ns, LArParametersAnlA.yaml ``snsPOTTraceTiming``).

* prompt nu_mu (pi+ -> mu+ nu_mu): pulse (x) exponential(tau_pi = 26.033 ns);
* delayed nu_e, anti-nu_mu (mu+ -> e+ nu_e anti-nu_mu): pulse (x) exp(tau_pi) (x)
  exp(tau_mu = 2196.98 ns).

Gaussian (x) exponential is the exponentially modified Gaussian with a closed-form
CDF; Gaussian (x) exp (x) exp is the mixture
[tau_mu EMG(tau_mu) - tau_pi EMG(tau_pi)] / (tau_mu - tau_pi) of two of them (the
hypoexponential density). Bin contents are CDF differences, so the model is exact at
any binning. Times are in microseconds at this module's surface.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import log_ndtr, ndtr

from ..detectors import gauss_legendre
from ..physics.constants import TAU_MUON_NS, TAU_PION_NS

TAU_PION_US = TAU_PION_NS * 1e-3
TAU_MUON_US = TAU_MUON_NS * 1e-3


def _emg_cdf(t: NDArray[np.float64], mu: float, sigma: float, tau: float) -> NDArray[np.float64]:
    """CDF of Gaussian(mu, sigma) convolved with an exponential of mean ``tau``.

    F(t) = Phi(z) - exp(-(t-mu)/tau + sigma^2/(2 tau^2)) Phi(z - sigma/tau), z = (t-mu)/sigma,
    the second term evaluated in log space (it is a product of a huge and a tiny number
    when sigma >> tau).
    """
    z = (t - mu) / sigma
    log_second = -(t - mu) / tau + 0.5 * (sigma / tau) ** 2 + log_ndtr(z - sigma / tau)
    return ndtr(z) - np.exp(log_second)


@dataclass(frozen=True)
class ProtonPulse:
    """Gaussian proton-on-target time profile [us], optionally shifted by ``shift_us``."""

    mean_us: float = 0.44
    sigma_us: float = 0.15

    def shifted(self, shift_us: float) -> ProtonPulse:
        """Same pulse moved by ``shift_us`` (the beam-timing nuisance of seed 004 sec. 3.1)."""
        return ProtonPulse(self.mean_us + shift_us, self.sigma_us)


def prompt_cdf(t_us: ArrayLike, pulse: ProtonPulse) -> NDArray[np.float64]:
    """CDF of the prompt nu_mu arrival time."""
    t = np.asarray(t_us, dtype=float)
    return _emg_cdf(t, pulse.mean_us, pulse.sigma_us, TAU_PION_US)


def delayed_cdf(t_us: ArrayLike, pulse: ProtonPulse) -> NDArray[np.float64]:
    """CDF of the delayed nu_e / anti-nu_mu arrival time (pion then muon decay)."""
    t = np.asarray(t_us, dtype=float)
    f_mu = _emg_cdf(t, pulse.mean_us, pulse.sigma_us, TAU_MUON_US)
    f_pi = _emg_cdf(t, pulse.mean_us, pulse.sigma_us, TAU_PION_US)
    return (TAU_MUON_US * f_mu - TAU_PION_US * f_pi) / (TAU_MUON_US - TAU_PION_US)


#: which decay chain each SNS flavour comes from
FLAVOUR_CHAIN = {"nu_mu": "prompt", "nu_e": "delayed", "nu_mu_bar": "delayed"}


def arrival_cdf(flavour: str, t_us: ArrayLike, pulse: ProtonPulse) -> NDArray[np.float64]:
    """CDF of the arrival time of ``flavour`` (``nu_e``, ``nu_mu``, ``nu_mu_bar``)."""
    chain = FLAVOUR_CHAIN[flavour]
    return prompt_cdf(t_us, pulse) if chain == "prompt" else delayed_cdf(t_us, pulse)


def binned_fractions(flavour: str, edges_us: ArrayLike, pulse: ProtonPulse) -> NDArray[np.float64]:
    """Fraction of ``flavour`` arrivals in each time bin given by ``edges_us``."""
    return np.diff(arrival_cdf(flavour, edges_us, pulse))


def arrival_pdf(flavour: str, t_us: ArrayLike, pulse: ProtonPulse) -> NDArray[np.float64]:
    """Arrival-time density [1/us], by central difference of the exact CDF (h = 0.1 ns)."""
    t = np.asarray(t_us, dtype=float)
    h = 1e-4
    return (arrival_cdf(flavour, t + h, pulse) - arrival_cdf(flavour, t - h, pulse)) / (2 * h)


def time_efficiency(t_us: ArrayLike, t_start_us: float = 0.52, decay_per_us: float = 0.0494) -> NDArray[np.float64]:
    """CsI 2021 time efficiency, seed 004 eq. (33): 1 below t', exp(-k (t - t')) above."""
    t = np.asarray(t_us, dtype=float)
    return np.where(t < t_start_us, 1.0, np.exp(-decay_per_us * (t - t_start_us)))


def time_efficiency_integrals_us(
    edges_us: ArrayLike, t_start_us: float = 0.52, decay_per_us: float = 0.0494
) -> NDArray[np.float64]:
    """Integral of the time efficiency of seed 004 eq. (33) over each bin [us], in closed form.

    int eps_T dt = (min(hi, t') - lo) below t' plus (e^{-k (a - t')} - e^{-k (b - t')}) / k
    over [a, b] = [max(lo, t'), hi] above it. This is what a flat (steady-state) rate puts
    in each bin once the time efficiency is applied.
    """
    edges = np.asarray(edges_us, dtype=float)
    lo, hi = edges[:-1], edges[1:]
    flat = np.clip(np.minimum(hi, t_start_us) - lo, 0.0, None)
    a, b = np.maximum(lo, t_start_us), np.maximum(hi, t_start_us)
    decaying = (np.exp(-decay_per_us * (a - t_start_us)) - np.exp(-decay_per_us * (b - t_start_us))) / decay_per_us
    return flat + decaying


def efficiency_weighted_fractions(
    flavour: str,
    edges_us: ArrayLike,
    pulse: ProtonPulse,
    efficiency=time_efficiency,
    points_per_bin: int = 64,
) -> NDArray[np.float64]:
    """Integral over each time bin of pdf(t) * efficiency(t) (Gauss-Legendre per bin)."""
    edges = np.asarray(edges_us, dtype=float)
    x, w = gauss_legendre(points_per_bin)
    lo, hi = edges[:-1, None], edges[1:, None]
    t = 0.5 * (hi - lo) * x[None, :] + 0.5 * (hi + lo)
    pdf = arrival_pdf(flavour, t, pulse)
    return np.sum(pdf * efficiency(t) * w[None, :], axis=1) * 0.5 * (edges[1:] - edges[:-1])


@dataclass(frozen=True)
class DecayChainTiming:
    """Arrival-time model of a stopped-pion source: ``pulse`` (x) the pi/mu decay chain of each
    flavour (module docstring); implements :class:`cevns.sources.base.ArrivalTimeModel`."""

    pulse: ProtonPulse

    def cdf(self, flavour: str, t_us: ArrayLike) -> NDArray[np.float64]:
        """CDF of the arrival time of ``flavour``."""
        return arrival_cdf(flavour, t_us, self.pulse)

    def binned_fractions(self, flavour: str, edges_us: ArrayLike) -> NDArray[np.float64]:
        """Fraction of ``flavour`` arrivals in each bin of ``edges_us`` (CDF differences, exact)."""
        return binned_fractions(flavour, edges_us, self.pulse)

    def efficiency_weighted_fractions(self, flavour: str, edges_us: ArrayLike, efficiency=time_efficiency) -> NDArray[np.float64]:
        """Integral over each bin of pdf(t) efficiency(t) (default: CsI 2021, seed 004 eq. 33)."""
        return efficiency_weighted_fractions(flavour, edges_us, self.pulse, efficiency)

    def shifted(self, shift_us: float) -> DecayChainTiming:
        """The pulse moved by ``shift_us`` (beam-timing nuisance of seed 004 sec. 3.1)."""
        return DecayChainTiming(self.pulse.shifted(shift_us))


# --------------------------------------------------------------- long (box) proton pulses (ESS)


def _chain_cdf_integral(x_us: NDArray[np.float64], chain: str) -> NDArray[np.float64]:
    """H(x) = int_0^x G(s) ds for the decay-chain CDF G of a pion/muon born at s = 0 (zero for x < 0).

    prompt: G = 1 - e^{-s/tau_pi}, H = x - tau_pi (1 - e^{-x/tau_pi});
    delayed (hypoexponential): G = 1 - (tau_mu e^{-s/tau_mu} - tau_pi e^{-s/tau_pi})/(tau_mu - tau_pi),
    H = x - [tau_mu^2 (1 - e^{-x/tau_mu}) - tau_pi^2 (1 - e^{-x/tau_pi})]/(tau_mu - tau_pi).
    """
    x = np.clip(np.asarray(x_us, dtype=float), 0.0, None)
    tp, tm = TAU_PION_US, TAU_MUON_US
    if chain == "prompt":
        return x - tp * -np.expm1(-x / tp)
    return x - (tm**2 * -np.expm1(-x / tm) - tp**2 * -np.expm1(-x / tp)) / (tm - tp)


@dataclass(frozen=True)
class BoxPulse:
    """A rectangular (flat-top) proton pulse from ``start_us`` lasting ``width_us`` [us].

    For a pulse much longer than the muon lifetime (the ESS: 2.86 ms) the prompt and
    delayed neutrinos are no longer separated in time; the arrival time is the pulse
    convolved with the pi/mu decay chain, :class:`BoxPulseTiming`.
    """

    start_us: float = 0.0
    width_us: float = 2860.0

    def shifted(self, shift_us: float) -> BoxPulse:
        """Same pulse moved by ``shift_us``."""
        return BoxPulse(self.start_us + shift_us, self.width_us)


@dataclass(frozen=True)
class BoxPulseTiming:
    """Arrival times under a :class:`BoxPulse`: F(t) = [H(t - t0) - H(t - t0 - W)] / W with H the
    integral of the decay-chain CDF (:func:`_chain_cdf_integral`); exact at any binning.
    Implements :class:`cevns.sources.base.ArrivalTimeModel`."""

    pulse: BoxPulse

    def cdf(self, flavour: str, t_us: ArrayLike) -> NDArray[np.float64]:
        """CDF of the arrival time of ``flavour``."""
        chain = FLAVOUR_CHAIN[flavour]
        t = np.asarray(t_us, dtype=float) - self.pulse.start_us
        w = self.pulse.width_us
        return (_chain_cdf_integral(t, chain) - _chain_cdf_integral(t - w, chain)) / w

    def binned_fractions(self, flavour: str, edges_us: ArrayLike) -> NDArray[np.float64]:
        """Fraction of ``flavour`` arrivals in each bin of ``edges_us``."""
        return np.diff(self.cdf(flavour, edges_us))

    def efficiency_weighted_fractions(self, flavour: str, edges_us: ArrayLike, efficiency=time_efficiency,
                                      points_per_bin: int = 64) -> NDArray[np.float64]:
        """Integral over each bin of pdf(t) efficiency(t) (Gauss-Legendre on the CDF's central difference)."""
        edges = np.asarray(edges_us, dtype=float)
        x, w = gauss_legendre(points_per_bin)
        lo, hi = edges[:-1, None], edges[1:, None]
        t = 0.5 * (hi - lo) * x[None, :] + 0.5 * (hi + lo)
        h = 1e-4
        pdf = (self.cdf(flavour, t + h) - self.cdf(flavour, t - h)) / (2 * h)
        return np.sum(pdf * efficiency(t) * w[None, :], axis=1) * 0.5 * (edges[1:] - edges[:-1])

    def shifted(self, shift_us: float) -> BoxPulseTiming:
        """The pulse moved by ``shift_us``."""
        return BoxPulseTiming(self.pulse.shifted(shift_us))
