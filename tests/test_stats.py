"""Test statistics, nuisance profiling and CL -> Delta-chi2 -> interval conversion (:mod:`cevns.stats`).

No data needed. The profiling routines are checked against general-purpose minimisers
(scipy, iminuit) run on the objective written out explicitly here.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from iminuit import Minuit
from scipy.optimize import minimize

from cevns.stats import (
    cl_probability,
    delta_chi2_threshold,
    gaussian_chi2,
    intervals_below,
    poisson_chi2,
    profile_gaussian,
    profile_poisson,
)

# ----------------------------------------------------------------------------- poisson_chi2 / gaussian_chi2


def _bc_reference(mu, n) -> float:
    """2 sum (mu - n + n ln(n/mu)), the n ln(n/mu) term being 0 for n = 0 (written out term by term)."""
    total = 0.0
    for m, k in zip(mu, n, strict=True):
        total += m - k + (k * math.log(k / m) if k > 0 else 0.0)
    return 2.0 * total


def test_poisson_chi2_formula_with_empty_bins():
    mu = np.array([3.2, 0.5, 10.0, 1e-3, 7.0])
    n = np.array([4.0, 0.0, 7.0, 0.0, 12.0])
    assert poisson_chi2(mu, n) == pytest.approx(_bc_reference(mu, n), rel=1e-13)
    # n = 0 bins contribute exactly 2 mu
    assert poisson_chi2(np.array([2.5]), np.array([0.0])) == pytest.approx(5.0, rel=1e-15)


def test_poisson_chi2_sums_over_last_axis_only():
    rng = np.random.default_rng(1)
    mu = rng.uniform(0.1, 20.0, size=(4, 3, 9))
    n = rng.poisson(5.0, size=9).astype(float)
    out = poisson_chi2(mu, n)
    assert out.shape == (4, 3)
    for idx in np.ndindex(4, 3):
        assert out[idx] == pytest.approx(_bc_reference(mu[idx], n), rel=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.integers(0, 500).map(float), st.floats(0.0, 1e4)), min_size=1, max_size=30))
def test_poisson_chi2_is_zero_when_mu_equals_n(n_list):
    n = np.array(n_list)
    assert abs(float(poisson_chi2(n.copy(), n))) <= 1e-9 * (1.0 + n.sum())


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.floats(1e-6, 1e4), st.integers(0, 1000)), min_size=1, max_size=30))
def test_poisson_chi2_nonnegative(pairs):
    mu = np.array([p[0] for p in pairs])
    n = np.array([float(p[1]) for p in pairs])
    val = float(poisson_chi2(mu, n))
    assert val >= -1e-9 * (1.0 + n.sum() + mu.sum()), f"poisson_chi2 = {val} < 0 for mu={mu}, n={n}"
    assert val == pytest.approx(_bc_reference(mu, n), rel=1e-9, abs=1e-9)


def test_gaussian_chi2_formula():
    n = np.array([10.0, 4.0, 0.0])
    mu = np.array([[8.0, 5.0, 1.0], [10.0, 4.0, 0.0]])
    s2 = np.array([4.0, 2.0, 1.0])
    np.testing.assert_allclose(gaussian_chi2(mu, n, s2), [4 / 4 + 1 / 2 + 1 / 1, 0.0], rtol=1e-15)


# ----------------------------------------------------------------------------- profile_gaussian


@pytest.mark.parametrize("seed", range(6))
def test_profile_gaussian_matches_numerical_minimum(seed):
    rng = np.random.default_rng(seed)
    p_count, k_count, b_count = 5, 3, 20
    mu0 = rng.uniform(1.0, 30.0, size=(p_count, b_count))
    templates = rng.uniform(0.1, 5.0, size=(p_count, k_count, b_count))
    n = rng.normal(mu0[0], 3.0)
    sigma2 = rng.uniform(1.0, 10.0, size=b_count)
    sigmas = rng.permutation(np.array([rng.uniform(0.05, 0.5), np.inf, rng.uniform(0.5, 3.0)]))
    fin = np.isfinite(sigmas)

    chi2, eta = profile_gaussian(mu0, templates, n, sigma2, sigmas)
    assert chi2.shape == (p_count,) and eta.shape == (p_count, k_count)

    for p in range(p_count):
        def objective(e, p=p):
            r = n - mu0[p] - e @ templates[p]
            return float(np.sum(r**2 / sigma2) + np.sum((e[fin] / sigmas[fin]) ** 2))

        def gradient(e, p=p):
            r = n - mu0[p] - e @ templates[p]
            g = -2.0 * templates[p] @ (r / sigma2)
            g[fin] += 2.0 * e[fin] / sigmas[fin] ** 2
            return g

        res = minimize(objective, np.zeros(k_count), jac=gradient, method="BFGS", options={"gtol": 1e-10, "maxiter": 1000})
        assert chi2[p] == pytest.approx(res.fun, rel=1e-6), f"point {p}: profile_gaussian {chi2[p]} vs scipy {res.fun}"
        np.testing.assert_allclose(eta[p], res.x, atol=1e-4, err_msg=f"point {p}: eta differs from scipy's minimiser")
        # the returned chi2 is the objective at the returned eta
        assert chi2[p] == pytest.approx(objective(eta[p]), rel=1e-12)


def test_profile_gaussian_all_free_is_least_squares():
    rng = np.random.default_rng(7)
    mu0 = rng.uniform(5.0, 10.0, size=(2, 12))
    templates = rng.uniform(0.5, 2.0, size=(2, 2, 12))
    n = rng.normal(10.0, 1.0, size=12)
    sigma2 = np.full(12, 2.0)
    chi2, eta = profile_gaussian(mu0, templates, n, sigma2, np.array([np.inf, np.inf]))
    for p in range(2):
        x, *_ = np.linalg.lstsq(templates[p].T, n - mu0[p], rcond=None)
        np.testing.assert_allclose(eta[p], x, rtol=1e-9, atol=1e-12)
        assert chi2[p] == pytest.approx(np.sum((n - mu0[p] - x @ templates[p]) ** 2) / 2.0, rel=1e-9)


# ----------------------------------------------------------------------------- profile_poisson


def _poisson_objective(e, mu0, templates, n, sigmas):
    """Baker-Cousins chi2 of mu0 + e.T plus Gaussian penalties for the finite sigmas (explicit)."""
    mu = mu0 + e @ templates
    if np.any(mu < 0) or np.any((mu <= 0) & (n > 0)):
        return 1e30
    pos = n > 0
    val = 2.0 * np.sum(mu - n) + 2.0 * np.sum(n[pos] * np.log(n[pos] / mu[pos]))
    fin = np.isfinite(sigmas)
    return float(val + np.sum((e[fin] / sigmas[fin]) ** 2))


def _poisson_gradient(e, mu0, templates, n, sigmas):
    mu = mu0 + e @ templates
    g = 2.0 * templates @ (1.0 - n / mu)
    fin = np.isfinite(sigmas)
    g[fin] += 2.0 * e[fin] / sigmas[fin] ** 2
    return g


def _iminuit_poisson_min(mu0, templates, n, sigmas, lower):
    k_count = templates.shape[0]

    def fcn(e):
        return _poisson_objective(np.asarray(e), mu0, templates, n, sigmas)

    def grad(e):
        return _poisson_gradient(np.asarray(e), mu0, templates, n, sigmas)

    m = Minuit(fcn, np.zeros(k_count), grad=grad)
    m.errordef = Minuit.LEAST_SQUARES
    m.strategy = 2
    m.tol = 1e-6
    m.limits = [(float(lo), None) if np.isfinite(lo) else (None, None) for lo in lower]
    m.migrad()
    m.migrad()
    return m


@pytest.mark.parametrize("seed", range(8))
def test_profile_poisson_matches_iminuit(seed):
    """Normalisation-like templates (fractions of mu0), points near the data, bound at -1 inactive."""
    rng = np.random.default_rng(seed)
    p_count, k_count, b_count = 5, 3, 20
    base = rng.uniform(1.0, 30.0, size=b_count)
    mu0 = base * rng.uniform(0.8, 1.25, size=(p_count, 1)) * rng.uniform(0.95, 1.05, size=(p_count, b_count))
    templates = rng.uniform(0.05, 0.5, size=(p_count, k_count, b_count)) * mu0[:, None, :]
    n = rng.poisson(base).astype(float)
    n[rng.integers(b_count)] = 0.0  # an empty bin
    sigmas = rng.permutation(np.array([0.1, np.inf, 0.3]))
    lower = np.full(k_count, -1.0)

    chi2, eta = profile_poisson(mu0, templates, n, sigmas, eta_lower=lower)
    assert chi2.shape == (p_count,) and eta.shape == (p_count, k_count)
    assert np.all(eta >= lower - 1e-12), f"eta_lower violated: {eta.min()}"
    for p in range(p_count):
        m = _iminuit_poisson_min(mu0[p], templates[p], n, sigmas, lower)
        assert m.valid
        assert abs(chi2[p] - m.fval) <= max(1e-6, 1e-5 * m.fval), (
            f"point {p}: profile_poisson {chi2[p]!r} vs iminuit {m.fval!r} (eta {eta[p]} vs {np.array(m.values)})"
        )
        np.testing.assert_allclose(eta[p], np.array(m.values), atol=1e-3)
        assert chi2[p] == pytest.approx(_poisson_objective(eta[p], mu0[p], templates[p], n, sigmas), rel=1e-12)


def test_profile_poisson_without_bounds_and_shape_template():
    """A shape-like template (signed multiplier, no lower bound) and a free normalisation."""
    rng = np.random.default_rng(11)
    b_count = 15
    sig = rng.uniform(5.0, 20.0, size=b_count)
    bkg = rng.uniform(2.0, 8.0, size=b_count)
    mu0 = (sig + bkg)[None]
    shape = np.linspace(-0.2, 0.2, b_count) * sig
    templates = np.stack([sig, bkg, shape])[None]
    n = rng.poisson(1.1 * sig + bkg).astype(float)
    sigmas = np.array([np.inf, 0.2, 1.0])
    chi2, eta = profile_poisson(mu0, templates, n, sigmas)
    m = _iminuit_poisson_min(mu0[0], templates[0], n, sigmas, np.full(3, -np.inf))
    assert abs(chi2[0] - m.fval) <= max(1e-6, 1e-5 * m.fval), f"profile_poisson {chi2[0]} vs iminuit {m.fval}"
    np.testing.assert_allclose(eta[0], np.array(m.values), atol=1e-3)


def test_profile_poisson_respects_eta_lower():
    """Data with far fewer events than mu0 push a free normalisation below -1: it must stop at the bound."""
    mu0 = np.array([[10.0, 12.0, 8.0, 5.0]])
    templates = mu0[:, None, :].copy()  # one normalisation of the whole expectation
    n = np.zeros(4)
    chi2, eta = profile_poisson(mu0, templates, n, np.array([np.inf]), eta_lower=np.array([-1.0]))
    assert eta[0, 0] >= -1.0 - 1e-12
    assert eta[0, 0] == pytest.approx(-1.0, abs=1e-9)
    assert chi2[0] == pytest.approx(0.0, abs=1e-6)


def test_profile_poisson_optimum_with_active_lower_bound():
    """With a normalisation at its bound (-1), the other nuisances must still be profiled to their optimum.

    A signal template concentrated in the first bins and data without signal drive eta_0
    to its bound -1. The constrained minimum (iminuit with the same limits) is then
    lower than what profile_poisson returns: its projected Newton step clips eta_0 but
    keeps the other components of the *unconstrained* Newton step, so it stalls away from
    the optimum of the remaining nuisances.
    """
    rng = np.random.default_rng(4)
    p_count, k_count, b_count = 4, 3, 20
    comps = rng.uniform(0.5, 20.0, size=(p_count, k_count, b_count))
    comps[:, 0, 10:] *= 0.01  # "signal" mostly in bins 0-9
    mu0 = comps.sum(axis=1)
    truth = comps[:, 1:].sum(axis=1) + comps[:, 0] * rng.uniform(0.0, 0.3, size=(p_count, 1))
    n = rng.poisson(truth[0]).astype(float)
    sigmas = np.array([np.inf, 0.3, 0.1])
    lower = np.full(k_count, -1.0)

    chi2, eta = profile_poisson(mu0, comps, n, sigmas, eta_lower=lower)
    assert np.all(eta >= lower - 1e-12), f"eta_lower violated: {eta}"
    problems = []
    for p in range(p_count):
        m = _iminuit_poisson_min(mu0[p], comps[p], n, sigmas, lower)
        assert m.fval <= chi2[p] + 1e-6, f"iminuit did worse than profile_poisson at point {p}"
        if chi2[p] - m.fval > max(1e-6, 1e-5 * m.fval):
            problems.append(f"point {p}: profile_poisson chi2 {chi2[p]:.6f} at eta {np.round(eta[p], 5)}, "
                            f"true constrained minimum {m.fval:.6f} at eta {np.round(np.array(m.values), 5)}")
    assert not problems, "profile_poisson does not reach the minimum when eta_lower is active:\n" + "\n".join(problems)


# ----------------------------------------------------------------------------- cl_probability / delta_chi2_threshold


@pytest.mark.parametrize(
    ("cl", "expected"),
    [
        ("1sigma", 0.6826894921370859),
        ("2sigma", 0.9544997361036416),
        ("3sigma", 0.9973002039367398),
        (" 1 sigma ", 0.6826894921370859),
        ("2SIGMA", 0.9544997361036416),
        ("90%", 0.9),
        ("95%", 0.95),
        ("99.5%", 0.995),
        ("0.95", 0.95),
        (0.9, 0.9),
        (0.6827, 0.6827),
    ],
)
def test_cl_probability(cl, expected):
    assert cl_probability(cl) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("bad", ["abc", "150%", "0", "1", "100%", "0%", "-0.5", "", "90 percent", 1.0, 0.0, 1.5])
def test_cl_probability_rejects_bad_values(bad):
    with pytest.raises(ValueError) as exc:
        cl_probability(bad)
    msg = str(exc.value)
    assert repr(bad) in msg, f"message should quote the bad value: {msg}"
    assert any(word in msg for word in ("between 0 and 1", "1sigma")), f"message should say what is valid: {msg}"


def test_cl_probability_unreadable_message_lists_forms():
    with pytest.raises(ValueError, match=r"1sigma.*90%.*0\.95"):
        cl_probability("abc")


@pytest.mark.parametrize(
    ("cl", "dof", "expected", "tol"),
    [
        ("1sigma", 1, 1.0, 1e-9),
        ("2sigma", 1, 4.0, 1e-9),
        ("3sigma", 1, 9.0, 1e-8),
        ("90%", 1, 2.705543454095404, 1e-9),
        ("95%", 1, 3.841458820694124, 1e-9),
        ("90%", 2, 4.605170185988092, 1e-9),
        ("1sigma", 2, 2.295748928898636, 1e-8),
        ("2sigma", 2, 6.180074306244168, 1e-8),
        (0.9, 2, 4.605170185988092, 1e-9),
    ],
)
def test_delta_chi2_threshold(cl, dof, expected, tol):
    assert delta_chi2_threshold(cl, dof) == pytest.approx(expected, rel=tol)


def test_delta_chi2_threshold_default_is_one_dof():
    assert delta_chi2_threshold("2sigma") == pytest.approx(4.0, rel=1e-9)


@pytest.mark.parametrize("dof", [0, -1])
def test_delta_chi2_threshold_rejects_bad_dof(dof):
    with pytest.raises(ValueError, match="degrees of freedom"):
        delta_chi2_threshold("1sigma", dof)


def test_delta_chi2_threshold_propagates_bad_cl():
    with pytest.raises(ValueError):
        delta_chi2_threshold("150%", 1)


# ----------------------------------------------------------------------------- intervals_below


def _double_well(x):
    return np.minimum(x**2, 4.0 * (x - 1.0) ** 2) * 25.0


def test_intervals_below_double_well_gives_two_intervals():
    # 25 x^2 <= 1 -> |x| <= 0.2; 100 (x-1)^2 <= 1 -> |x - 1| <= 0.1
    x = np.linspace(-1.0, 2.0, 250)  # step 0.012, no grid point on the crossings
    h = x[1] - x[0]
    out = intervals_below(x, _double_well(x), 1.0)
    assert len(out) == 2, out
    (lo1, hi1), (lo2, hi2) = out
    analytic = [(-0.2, 0.2), (0.9, 1.1)]
    # linear interpolation of a convex profile between grid points: the chord lies above the curve,
    # so the interpolated ends lie inside the true interval, by at most ~h^2 d''/(8 d')
    for (lo, hi), (alo, ahi), curv in zip(out, analytic, (50.0, 200.0), strict=True):
        slope = curv * (ahi - alo) / 2.0
        err = h**2 * curv / (8.0 * slope) * 1.5
        assert alo - 1e-12 <= lo <= alo + err, (lo, alo, err)
        assert ahi - err <= hi <= ahi + 1e-12, (hi, ahi, err)
    assert hi1 < lo2


def test_intervals_below_parabola_linear_interpolation():
    x = np.linspace(0.0, 1.0, 101)
    d = (x - 0.3) ** 2 / 0.05**2
    thr = delta_chi2_threshold("90%", 1)
    half = 0.05 * math.sqrt(thr)
    out = intervals_below(x, d, thr)
    assert len(out) == 1
    lo, hi = out[0]
    assert lo == pytest.approx(0.3 - half, abs=3e-4)
    assert hi == pytest.approx(0.3 + half, abs=3e-4)
    # exact linear interpolation between the bracketing grid points
    i = int(np.argmax(d <= thr))
    expected_lo = x[i - 1] + (thr - d[i - 1]) * (x[i] - x[i - 1]) / (d[i] - d[i - 1])
    assert lo == pytest.approx(expected_lo, rel=1e-12)


def test_intervals_below_crossing_on_grid_point():
    x = np.linspace(-2.0, 2.0, 5)  # -2, -1, 0, 1, 2
    out = intervals_below(x, x**2, 1.0)
    assert out == [[pytest.approx(-1.0), pytest.approx(1.0)]]


def test_intervals_below_touching_grid_ends():
    x = np.linspace(0.25, 1.0, 76)
    d = (x - 0.3) ** 2 / 0.05**2
    out = intervals_below(x, d, 1.0)
    assert len(out) == 1
    assert out[0][0] == 0.25, "an interval touching the start of the grid must end at the grid start"
    assert out[0][1] == pytest.approx(0.35, abs=1e-3)

    x2 = np.linspace(0.0, 0.32, 33)
    d2 = (x2 - 0.3) ** 2 / 0.05**2
    out2 = intervals_below(x2, d2, 1.0)
    assert len(out2) == 1
    assert out2[0][0] == pytest.approx(0.25, abs=1e-3)
    assert out2[0][1] == pytest.approx(0.32, abs=1e-15), "an interval touching the end of the grid must end at the grid end"

    # everything below threshold: the whole grid
    assert intervals_below(x, np.zeros_like(x), 1.0) == [[0.25, 1.0]]


def test_intervals_below_nothing_below_threshold():
    x = np.linspace(0.0, 1.0, 11)
    assert intervals_below(x, np.full(11, 5.0), 1.0) == []
    assert intervals_below(x, (x - 0.5) ** 2 + 2.0, 1.0) == []


def test_intervals_below_returns_plain_floats():
    x = np.linspace(-1.0, 1.0, 21)
    out = intervals_below(x, x**2 * 4.0, 1.0)
    assert all(type(v) is float for iv in out for v in iv)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.booleans(), max_size=40))
def test_true_runs_partition_the_true_values(values):
    from cevns.stats import true_runs

    runs = true_runs(np.array(values, dtype=bool))
    covered = [k for i, j in runs for k in range(i, j + 1)]
    assert covered == [k for k, v in enumerate(values) if v]
    for (_, j), (i2, _) in zip(runs, runs[1:], strict=False):
        assert i2 > j + 1  # runs are maximal: a False between two runs
