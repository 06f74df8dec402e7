"""Seed 000 eq. (23): the LAr 3D Poisson likelihood with its normalisations marginalised bin by
bin (recipe option ``lar_likelihood = "marginalised"`` of ``banerjee2021``)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats

from cevns.errors import CevnsError, RecipeError
from cevns.likelihood import build_likelihood, lar_poisson_3d
from cevns.likelihood.lar2020 import MarginalisedLArLikelihood
from cevns.likelihood.marginal import envelope_moments, poisson_gaussian_marginal, saturated_log_poisson
from cevns.models import get_model
from cevns.recipes import get_recipe

MARG = get_recipe("banerjee2021").with_options(lar_likelihood="marginalised")


def _quad_lambda(n, mu, var):
    """int_0^inf Pois(n; l) N(l; mu, var) dl / Phi(mu/sd) by adaptive quadrature."""
    sd = np.sqrt(var)
    top = mu + 60 * sd + n + 60

    def f(lam):
        return stats.poisson.pmf(n, lam) * stats.norm.pdf(lam, mu, sd)

    val, _ = integrate.quad(f, 0.0, top, points=[p for p in (mu, n) if 0 < p < top], limit=500, epsabs=0, epsrel=1e-12)
    return val / stats.norm.cdf(mu / sd)


@pytest.mark.parametrize(("n", "mu", "var"), [
    (0, 3.3, 0.01),      # SS-dominated bin, no event
    (5, 3.3, 0.5),
    (1, 5.3, 24.0),      # delayed-BRN-like: broad envelope
    (45, 30.0, 5.0),     # largest count of the release
    (2, 0.8, 2.0),       # envelope reaching far below zero
    (0, 0.8, 2.0),
    (3, 200.0, 700.0),   # huge BSM rate, far in the tail
])
def test_bin_integral_matches_scipy_quad(n, mu, var):
    got = poisson_gaussian_marginal(np.array([n]), np.array([[mu]]), np.array([[var]]))
    assert np.exp(got.log_l[0, 0]) == pytest.approx(_quad_lambda(n, mu, var), rel=1e-9)


def test_reduction_to_lambda_matches_integral_over_the_alphas():
    """The four-dimensional integral of eq. (23) reduces exactly to one over lambda: checked
    against a direct 2D integral over two normalisations (CEvNS 13 %, prompt BRN 30 %) of a
    bin, with the Poisson mean restricted to lambda >= 0 and the envelope renormalised."""
    n, t_cev, t_brn, s_cev, s_brn = 4, 2.5, 1.2, 0.13, 0.3

    def f(a2, a1):
        lam = (1 + a1) * t_cev + (1 + a2) * t_brn
        return stats.poisson.pmf(n, lam) * stats.norm.pdf(a1, 0, s_cev) * stats.norm.pdf(a2, 0, s_brn) if lam >= 0 else 0.0

    num, _ = integrate.dblquad(f, -8 * s_cev, 8 * s_cev, -8 * s_brn, 8 * s_brn, epsabs=1e-14, epsrel=1e-11)
    mu, var = envelope_moments([np.array([t_cev]), np.array([t_brn])], [s_cev, s_brn])
    norm = stats.norm.cdf(mu[0] / np.sqrt(var[0]))
    got = poisson_gaussian_marginal(np.array([n]), mu[None], var[None])
    assert np.exp(got.log_l[0, 0]) == pytest.approx(num / norm, rel=1e-7)


@pytest.mark.parametrize(("mu", "var"), [(3.3, 0.01), (1.0, 4.0), (12.0, 30.0), (0.3, 1.0)])
def test_bin_likelihood_is_a_distribution_over_counts(mu, var):
    """Proper likelihood: sum_n L(n | mu, var) = 1, also where the envelope crosses zero."""
    n = np.arange(0, 400)
    got = poisson_gaussian_marginal(n, np.full((1, n.size), mu), np.full((1, n.size), var))
    assert np.exp(got.log_l).sum() == pytest.approx(1.0, abs=1e-8)


def test_posterior_mean_identity():
    """E[lambda | n] = (n + 1) L(n + 1) / L(n)."""
    n = np.arange(0, 20)
    mu, var = np.full((1, 21), 4.0), np.full((1, 21), 6.0)
    got = poisson_gaussian_marginal(np.arange(0, 21), mu, var)
    ratio = (n + 1) * np.exp(got.log_l[0, 1:] - got.log_l[0, :-1])
    assert got.mean_lambda[0, :-1] == pytest.approx(ratio, rel=1e-9)


@pytest.fixture(scope="module")
def lks(data_root):
    marg = build_likelihood("lar-2020", MARG, data_root)
    prof = build_likelihood("lar-2020", get_recipe("banerjee2021"), data_root)
    return marg, prof


def _terms(lk, norms):
    return get_model("sm").terms(lk.cevns.grid, {"cevns_norm": np.asarray(norms, dtype=float)})


def test_recipe_option_selects_the_structure(lks):
    marg, prof = lks
    assert isinstance(marg, MarginalisedLArLikelihood) and marg.form == "marginalised-poisson"
    assert type(prof) is not MarginalisedLArLikelihood and prof.form == "poisson"
    assert [nu.name for nu in marg.nuisances] == [nu.name for nu in prof.nuisances]
    assert [nu.sigma for nu in marg.nuisances] == pytest.approx([0.13, 25 / 3154, 0.3, 1.0])


def test_default_keeps_the_profiled_numbers(lks, data_root):
    """Default ``lar_likelihood = "profiled"`` is today's lar_poisson_3d, number for number."""
    _, prof = lks
    rec = get_recipe("banerjee2021")
    assert rec.lar_likelihood == "profiled"
    ref = lar_poisson_3d(rec, prof.setup)
    t = _terms(prof, [0.5, 1.0, 1.5])
    assert prof.profile(t)[0] == pytest.approx(ref.profile(t)[0], rel=1e-12)


def test_batched_equals_point_by_point(lks):
    marg, _ = lks
    norms = [0.0, 0.7, 1.0, 1.3, 3.0]
    batched = marg.profile(_terms(marg, norms))[0]
    single = [marg.profile(_terms(marg, [x]))[0][0] for x in norms]
    assert batched == pytest.approx(single, rel=1e-12)


def test_chi2_bounds_and_zero_width_limit(lks):
    """0 <= chi2_marg (saturated reference: L_bin <= max_lambda Pois(n; lambda)); with every
    envelope width -> 0 the marginal is the plain Poisson likelihood at the nominal
    expectation, i.e. the profiled chi2 with the nuisances pinned at zero."""
    from dataclasses import replace

    marg, prof = lks
    t = _terms(marg, [0.5, 1.0, 2.0])
    chi2_m = marg.profile(t)[0]
    assert np.all(chi2_m >= 0)
    pinned = MarginalisedLArLikelihood(**{k: getattr(marg, k) for k in marg.__dataclass_fields__})
    pinned.nuisances = [replace(nu, sigma=1e-9) for nu in marg.nuisances]
    mu = prof.signal(t) + sum(prof.branches[0].backgrounds.values())
    n = prof.observed
    direct = -2.0 * (stats.poisson.logpmf(n, mu) - saturated_log_poisson(n)).sum(axis=-1)
    assert pinned.profile(t)[0] == pytest.approx(direct, rel=1e-6)
    # and the profiled chi2 (nuisances fitted) is below that pinned chi2
    assert np.all(prof.profile(t)[0] <= direct + 1e-9)


def test_marginalising_widens_the_sm_likelihood_over_the_nominal(lks):
    """Per bin the envelope can only help a bin whose count is off its nominal mean: the
    marginalised chi2 at the SM lies below the chi2 with the nuisances pinned at zero
    (the data scatter more than Poisson about the SM in the prompt bins)."""
    marg, prof = lks
    t = _terms(marg, [1.0])
    mu = prof.signal(t) + sum(prof.branches[0].backgrounds.values())
    n = prof.observed
    pinned = -2.0 * (stats.poisson.logpmf(n, mu) - saturated_log_poisson(n)).sum(axis=-1)
    assert marg.profile(t)[0][0] < pinned[0]


def test_posterior_components_sum_to_posterior_mean(lks):
    marg, _ = lks
    t = _terms(marg, [1.0])
    chi2, best = marg.profile(t)
    total = sum(best["parts"].values())
    comps = {**marg.signal_parts(t), **marg.branches[0].backgrounds}
    mu = sum(np.broadcast_to(c, total.shape) for c in comps.values())
    _, var = envelope_moments([np.broadcast_to(comps[nu.target], total.shape) for nu in marg.nuisances],
                              [nu.sigma for nu in marg.nuisances])
    expect = poisson_gaussian_marginal(marg.observed, mu, var).mean_lambda
    assert total == pytest.approx(expect, rel=1e-9)
    assert best["eta"].shape == (1, 4)


def test_free_nuisance_cannot_be_marginalised(lks):
    from dataclasses import replace

    marg, _ = lks
    lk = MarginalisedLArLikelihood(**{k: getattr(marg, k) for k in marg.__dataclass_fields__})
    lk.nuisances = [replace(lk.nuisances[0], sigma=None), *lk.nuisances[1:]]
    with pytest.raises(RecipeError, match="cevns_norm"):
        lk.profile(_terms(lk, [1.0]))


@pytest.mark.parametrize("recipe", ["atzori2022", "deromeri2023", "cadeddu2021"])
def test_other_recipes_reject_the_marginalised_option(data_root, recipe):
    rec = get_recipe(recipe).with_options(lar_likelihood="marginalised")
    with pytest.raises(CevnsError, match="banerjee2021"):
        build_likelihood("lar-2020", rec, data_root)


def test_invalid_option_value_in_a_recipe_file(tmp_path):
    from cevns.recipes import load_recipe_file

    p = tmp_path / "r.toml"
    p.write_text('name = "x"\nbase = "banerjee2021"\nlar_likelihood = "integrated"\n')
    with pytest.raises(RecipeError) as exc:
        load_recipe_file(str(p))
    msg = str(exc.value)
    assert "lar_likelihood" in msg and "profiled" in msg and "marginalised" in msg and "line 3" in msg
