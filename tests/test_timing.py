"""Arrival-time model of cevns.timing: CDFs, moments, limits, efficiencies. Times in us."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

from cevns.sources.timing import (
    TAU_MUON_US,
    TAU_PION_US,
    ProtonPulse,
    arrival_cdf,
    arrival_pdf,
    binned_fractions,
    delayed_cdf,
    efficiency_weighted_fractions,
    prompt_cdf,
    time_efficiency,
)

FAST = settings(max_examples=30, deadline=None)
PULSES = [ProtonPulse(), ProtonPulse(0.692, 0.142), ProtonPulse(0.3, 0.05)]
CDFS = {"prompt": prompt_cdf, "delayed": delayed_cdf}


def test_lifetimes_in_microseconds():
    assert TAU_PION_US == pytest.approx(0.026033, rel=1e-12)
    assert TAU_MUON_US == pytest.approx(2.1969811, rel=1e-12)


@pytest.mark.parametrize("pulse", PULSES)
@pytest.mark.parametrize("chain", ["prompt", "delayed"])
def test_cdf_limits_and_monotone(pulse, chain):
    cdf = CDFS[chain]
    assert float(cdf(-10.0, pulse)) == pytest.approx(0.0, abs=1e-15)
    assert float(cdf(100.0, pulse)) == pytest.approx(1.0, abs=1e-15)
    t = np.linspace(-10.0, 100.0, 20001)
    f = cdf(t, pulse)
    assert np.all(np.isfinite(f))
    assert np.all(f >= -1e-15) and np.all(f <= 1 + 1e-15)
    assert np.all(np.diff(f) >= -1e-15), f"{chain} CDF decreases somewhere"


def _mean_from_cdf(cdf, pulse, lo=-10.0, hi=100.0):
    """E[t] = lo + int_lo^hi (1 - F(t)) dt for a distribution supported in [lo, hi]."""
    val, _ = integrate.quad(lambda t: 1.0 - float(cdf(t, pulse)), lo, hi, points=[pulse.mean_us], limit=500, epsabs=1e-10)
    return lo + val


def _var_from_cdf(cdf, pulse, mean, lo=-10.0, hi=100.0):
    """Var = 2 int (t - lo)(1 - F) dt - (mean - lo)^2."""
    val, _ = integrate.quad(
        lambda t: 2 * (t - lo) * (1.0 - float(cdf(t, pulse))), lo, hi, points=[pulse.mean_us], limit=500, epsabs=1e-10
    )
    return val - (mean - lo) ** 2


@pytest.mark.parametrize("pulse", PULSES)
def test_mean_and_variance_of_arrival_times(pulse):
    """Means add: prompt = mu + tau_pi, delayed = mu + tau_pi + tau_mu; variances add likewise."""
    m_p = _mean_from_cdf(prompt_cdf, pulse)
    m_d = _mean_from_cdf(delayed_cdf, pulse)
    assert m_p == pytest.approx(pulse.mean_us + 0.026033, abs=1e-3)
    assert m_d == pytest.approx(pulse.mean_us + 0.026033 + 2.1969811, abs=1e-3)
    v_p = _var_from_cdf(prompt_cdf, pulse, m_p)
    v_d = _var_from_cdf(delayed_cdf, pulse, m_d)
    assert v_p == pytest.approx(pulse.sigma_us**2 + TAU_PION_US**2, abs=1e-4)
    assert v_d == pytest.approx(pulse.sigma_us**2 + TAU_PION_US**2 + TAU_MUON_US**2, abs=1e-3)


@pytest.mark.parametrize("flavour", ["nu_e", "nu_mu", "nu_mu_bar"])
@pytest.mark.parametrize("pulse", PULSES)
def test_binned_fractions_partition_sums_to_one(flavour, pulse):
    edges = np.concatenate([[-10.0], np.arange(-1.0, 12.0, 0.25), [20.0, 50.0, 100.0]])
    fr = binned_fractions(flavour, edges, pulse)
    assert fr.shape == (len(edges) - 1,)
    assert np.all(fr >= -1e-15)
    assert fr.sum() == pytest.approx(1.0, abs=1e-12)


def test_flavour_chains():
    pulse = ProtonPulse()
    t = np.linspace(-1.0, 10.0, 111)
    np.testing.assert_array_equal(arrival_cdf("nu_mu", t, pulse), prompt_cdf(t, pulse))
    np.testing.assert_array_equal(arrival_cdf("nu_e", t, pulse), delayed_cdf(t, pulse))
    np.testing.assert_array_equal(arrival_cdf("nu_mu_bar", t, pulse), delayed_cdf(t, pulse))
    # the delayed chain lags the prompt one everywhere (first-order stochastic dominance)
    assert np.all(delayed_cdf(t, pulse) <= prompt_cdf(t, pulse) + 1e-15)
    # nearly all prompt neutrinos arrive within 1 us of the pulse start, most delayed ones later
    assert float(prompt_cdf(1.5, pulse)) > 0.999
    assert float(delayed_cdf(1.5, pulse)) < 0.45


@FAST
@given(shift=st.floats(-2.0, 2.0), t=st.floats(-5.0, 30.0))
def test_shifted_pulse_translates_cdf(shift, t):
    pulse = ProtonPulse(0.44, 0.15)
    moved = pulse.shifted(shift)
    assert moved.sigma_us == pulse.sigma_us
    assert moved.mean_us == pytest.approx(0.44 + shift, rel=1e-15)
    for cdf in (prompt_cdf, delayed_cdf):
        assert float(cdf(t, moved)) == pytest.approx(float(cdf(t - shift, pulse)), abs=1e-12)


@pytest.mark.parametrize("mu", [0.0, 0.44])
def test_narrow_pulse_limit_is_exponential(mu):
    pulse = ProtonPulse(mu, 1e-4)
    t = mu + np.linspace(0.002, 0.3, 60)  # >= 20 sigma past the pulse
    np.testing.assert_allclose(prompt_cdf(t, pulse), 1.0 - np.exp(-(t - mu) / TAU_PION_US), atol=1e-5)
    # pion then muon decay: hypoexponential CDF
    tp, tm = TAU_PION_US, TAU_MUON_US
    s = np.linspace(0.002, 15.0, 80)
    hypo = 1.0 - (tm * np.exp(-s / tm) - tp * np.exp(-s / tp)) / (tm - tp)
    np.testing.assert_allclose(delayed_cdf(mu + s, pulse), hypo, atol=1e-5)
    # and nothing arrives before the (narrow) pulse
    assert float(prompt_cdf(mu - 0.001, pulse)) < 1e-15
    assert float(delayed_cdf(mu - 0.001, pulse)) < 1e-15


def test_arrival_pdf_is_cdf_derivative_and_normalised():
    pulse = ProtonPulse()
    for flavour in ("nu_mu", "nu_e"):
        norm, _ = integrate.quad(lambda t, f=flavour: float(arrival_pdf(f, t, pulse)), -5.0, 60.0, points=[0.44], limit=400)
        assert norm == pytest.approx(1.0, abs=1e-6)
        part, _ = integrate.quad(lambda t, f=flavour: float(arrival_pdf(f, t, pulse)), 0.2, 1.3, limit=200)
        assert part == pytest.approx(float(np.diff(arrival_cdf(flavour, [0.2, 1.3], pulse))[0]), abs=1e-7)
    assert np.all(arrival_pdf("nu_mu", np.linspace(-5, 30, 301), pulse) >= -1e-9)


def test_time_efficiency_closed_form():
    t = np.array([-1.0, 0.0, 0.3, 0.519999])
    np.testing.assert_array_equal(time_efficiency(t), 1.0)
    t = np.array([0.52, 0.6, 1.0, 5.0, 12.0])
    np.testing.assert_allclose(time_efficiency(t), np.exp(-0.0494 * (t - 0.52)), rtol=1e-14)
    # continuous at the knee, monotone non-increasing
    assert float(time_efficiency(0.52 - 1e-12)) == pytest.approx(float(time_efficiency(0.52)), abs=1e-12)
    grid = np.linspace(-1, 12, 1001)
    assert np.all(np.diff(time_efficiency(grid)) <= 0)
    assert float(time_efficiency(2.0, t_start_us=1.0, decay_per_us=0.1)) == pytest.approx(math.exp(-0.1), rel=1e-14)


@pytest.mark.parametrize("flavour", ["nu_e", "nu_mu", "nu_mu_bar"])
def test_efficiency_weighted_fractions(flavour):
    pulse = ProtonPulse()
    edges = np.array([-1.0, -0.5, 0.0, 0.25, 0.52, 1.0, 2.0, 4.0, 6.0, 12.0])
    bf = binned_fractions(flavour, edges, pulse)
    ew = efficiency_weighted_fractions(flavour, edges, pulse)
    assert ew.shape == bf.shape
    assert np.all(ew <= bf + 1e-7), f"efficiency-weighted exceeds plain fractions: {ew - bf}"
    below = edges[1:] <= 0.52
    np.testing.assert_allclose(ew[below], bf[below], atol=1e-7)
    # bins past the knee with real content are suppressed by at least exp(-k (t_lo - 0.52))
    above = (edges[:-1] >= 0.52) & (bf > 1e-6)
    assert np.all(ew[above] < bf[above])
    assert np.all(ew[above] >= bf[above] * np.exp(-0.0494 * (edges[1:][above] - 0.52)) - 1e-7)
    assert np.all(ew[above] <= bf[above] * np.exp(-0.0494 * (edges[:-1][above] - 0.52)) + 1e-7)
    # independent quadrature of pdf * efficiency in a late bin
    ref, _ = integrate.quad(lambda t: float(arrival_pdf(flavour, t, pulse) * time_efficiency(t)), 2.0, 4.0, epsrel=1e-10)
    assert ew[6] == pytest.approx(ref, rel=1e-6, abs=1e-10)


def test_efficiency_weighted_fractions_with_unit_efficiency_equals_binned():
    pulse = ProtonPulse(0.692, 0.142)
    edges = np.linspace(-1.0, 12.0, 27)
    for flavour in ("nu_mu", "nu_e"):
        ew = efficiency_weighted_fractions(flavour, edges, pulse, efficiency=lambda t: np.ones_like(t))
        np.testing.assert_allclose(ew, binned_fractions(flavour, edges, pulse), atol=1e-7)


@pytest.mark.parametrize("t", [-5.0, 0.0, 20.0])
@pytest.mark.parametrize("sigma", [0.15, 0.5, 2.0])
def test_cdf_numerically_stable_far_from_pulse(t, sigma):
    """sigma >> tau_pi makes exp(+sigma^2/2tau^2) overflow unless done in log space."""
    pulse = ProtonPulse(0.44, sigma)
    for cdf in (prompt_cdf, delayed_cdf):
        v = float(cdf(t, pulse))
        assert math.isfinite(v), f"{cdf.__name__}({t}) = {v} for sigma = {sigma}"
        assert -1e-15 <= v <= 1.0 + 1e-15
    for flavour in ("nu_mu", "nu_e"):
        assert math.isfinite(float(arrival_pdf(flavour, t, pulse)))
    if t == 20.0 and sigma <= 0.5:
        assert float(prompt_cdf(t, pulse)) == pytest.approx(1.0, abs=1e-12)
    if t == -5.0 and sigma <= 0.5:
        assert float(prompt_cdf(t, pulse)) < 1e-20


def test_prompt_cdf_matches_gaussian_exponential_convolution_numerically():
    """Brute-force convolution of the Gaussian pulse with exp(tau_pi) at a few times."""
    pulse = ProtonPulse(0.44, 0.15)
    mu, s = pulse.mean_us, pulse.sigma_us
    for t in (0.1, 0.44, 0.6, 1.0):
        # F(t) = int Phi((t - x - mu)/s) exp(-x/tau)/tau dx, x >= 0
        val, _ = integrate.quad(
            lambda x, t=t: 0.5 * math.erfc(-(t - x - mu) / (s * math.sqrt(2))) * math.exp(-x / TAU_PION_US) / TAU_PION_US,
            0.0,
            60 * TAU_PION_US,
            epsrel=1e-12,
        )
        assert float(prompt_cdf(t, pulse)) == pytest.approx(val, abs=1e-10)


def test_time_efficiency_integrals_closed_form():
    """Flat part and exponential part of eq. (33) integrated exactly; a bin straddling t'."""
    from cevns.sources.timing import time_efficiency_integrals_us

    k, t0 = 0.0494, 0.52
    got = time_efficiency_integrals_us([0.0, 0.5, 1.0, 6.0])
    want = [0.5, 0.02 + (1 - math.exp(-k * 0.48)) / k, (math.exp(-k * 0.48) - math.exp(-k * (6 - t0))) / k]
    np.testing.assert_allclose(got, want, rtol=1e-12)
