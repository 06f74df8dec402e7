"""Pseudo-experiments from the recipe likelihoods (issue #12)."""

import numpy as np
import pytest

from cevns.errors import ParameterError
from cevns.inference.toys import AnalysisToys, GaussianMeanToys, ToySet, merge_toys, observed_fit, run_toys

GRID = np.linspace(0.17, 0.31, 8)


@pytest.fixture(scope="module")
def csi_toys():
    return AnalysisToys(("csi-2021",), "atzori2022", "sm", ("sin2_theta_w",), GRID)


def test_profile_observed_equals_profile(csi_toys):
    """The batched (observed x point) solve gives the chi2 of the ordinary profile for the data."""
    an = csi_toys.analysis
    chi2_obs, _, _ = observed_fit(csi_toys)
    ref, _ = an.evaluate({"sin2_theta_w": GRID})
    np.testing.assert_allclose(chi2_obs, ref, rtol=1e-9, atol=1e-8)


def test_profile_observed_morph_and_gaussian_equal_profile():
    """deromeri2023: CsI 2021 with morphed non-linear nuisances and the Gaussian LAr chi2."""
    prob = AnalysisToys(("csi-2021", "lar-2020"), "deromeri2023", "sm", ("sin2_theta_w",), GRID[::3])
    chi2_obs, _, _ = observed_fit(prob)
    ref, _ = prob.analysis.evaluate({"sin2_theta_w": GRID[::3]})
    np.testing.assert_allclose(chi2_obs, ref, rtol=1e-7, atol=1e-6)


def test_asimov_toy_fits_its_own_point(csi_toys):
    prob = AnalysisToys(("csi-2021",), "atzori2022", "sm", ("sin2_theta_w",), GRID, nuisances="nominal", asimov=True)
    ts = run_toys(prob, [4], 1)[4]
    assert ts.delta_chi2[0] == pytest.approx(0.0, abs=0.01)  # the parabola between grid points
    assert ts.best[0, 0] == pytest.approx(GRID[4], abs=0.01)


def test_toys_do_not_depend_on_chunking(csi_toys):
    a = run_toys(csi_toys, [3], 120, seed=7, chunk_size=120)[3]
    b = run_toys(csi_toys, [3], 120, seed=7, chunk_size=17)[3]
    assert a.delta_chi2.tobytes() == b.delta_chi2.tobytes() and a.best.tobytes() == b.best.tobytes()
    c = run_toys(csi_toys, [3], 120, seed=8)[3]
    assert c.delta_chi2.tobytes() != a.delta_chi2.tobytes()


def test_merge_two_halves_equals_full_run(csi_toys, tmp_path):
    full = run_toys(csi_toys, [2], 100, seed=3)[2]
    h1 = run_toys(csi_toys, [2], 50, seed=3)[2]
    h2 = run_toys(csi_toys, [2], 50, seed=3, first_toy=50)[2]
    h2.save(tmp_path / "b.npz")
    h1.save(tmp_path / "a.npz")
    merged = merge_toys([ToySet.load(tmp_path / "b.npz"), ToySet.load(tmp_path / "a.npz")])
    for name in ("toy", "chi2_point", "chi2_min", "best"):
        assert getattr(merged, name).tobytes() == getattr(full, name).tobytes()
    with pytest.raises(ParameterError, match="overlap"):
        merge_toys([h1, h1])
    other = run_toys(csi_toys, [2], 10, seed=4)[2]
    with pytest.raises(ParameterError, match="differ"):
        merge_toys([h1, other])


def test_checkpoint_resume_is_identical(csi_toys, tmp_path):
    ref = run_toys(csi_toys, [1, 5], 60, seed=2, chunk_size=20)
    with pytest.raises(KeyboardInterrupt):
        run_toys(csi_toys, [1, 5], 60, seed=2, chunk_size=20, checkpoint=tmp_path, stop_after_chunks=2)
    assert len(list(tmp_path.glob("*.npz"))) == 2
    resumed = run_toys(csi_toys, [1, 5], 60, seed=2, chunk_size=20, checkpoint=tmp_path)
    for p in (1, 5):
        assert resumed[p].delta_chi2.tobytes() == ref[p].delta_chi2.tobytes()


def test_toy_statistic_is_near_chi2_1_for_csi2021(csi_toys):
    """Near the best fit the CsI 2021 toys follow Wilks roughly (mean Delta-chi2 ~ 1) when the
    nuisances are drawn; with them fixed the constraint's spread is missing and it is far below 1."""
    ts = run_toys(csi_toys, [3], 300, seed=11)[3]
    assert 0.75 < ts.delta_chi2.mean() < 1.3
    fixed = AnalysisToys(("csi-2021",), "atzori2022", "sm", ("sin2_theta_w",), GRID, nuisances="fixed")
    assert run_toys(fixed, [3], 300, seed=11)[3].delta_chi2.mean() < 0.6


def test_keys_and_nominal_nuisances():
    g = GaussianMeanToys(np.linspace(-3, 3, 7))
    assert g.key() != GaussianMeanToys(np.linspace(-3, 3, 7), sigma=2.0).key()
    prob = AnalysisToys(("lar-2020",), "atzori2022", "sm", ("sin2_theta_w",), GRID, nuisances="nominal")
    ts = run_toys(prob, [3], 50, seed=1)[3]
    assert np.all(np.isfinite(ts.delta_chi2))


def test_errors():
    with pytest.raises(ParameterError, match="nuisance mode"):
        AnalysisToys(("csi-2021",), "atzori2022", "sm", ("sin2_theta_w",), GRID, nuisances="wrong")
    prob = GaussianMeanToys(np.linspace(-3, 3, 7))
    with pytest.raises(ParameterError, match="toys"):
        run_toys(prob, [0], 0)
    with pytest.raises(ParameterError, match="outside"):
        run_toys(prob, [9], 10)
    marg = AnalysisToys(("csi-2017",), "banerjee2021", "sm", ("sin2_theta_w",), GRID)
    with pytest.raises(ParameterError, match="pseudo-experiments"):
        run_toys(marg, [0], 2)


def test_constraint_centres_equal_shifted_nuisances():
    """A constraint centred at c is the problem with eta -> c + eta' (linear nuisances)."""
    from cevns.stats import poisson_newton, profile_gaussian

    rng = np.random.default_rng(0)
    mu0 = rng.uniform(5, 20, (6, 12))
    tpl = rng.uniform(0.5, 3, (6, 2, 12))
    n = rng.poisson(mu0).astype(float)
    sig = np.array([0.1, 0.3])
    c = rng.normal(0, 0.1, (6, 2))
    shifted = mu0 + np.einsum("pk,pkb->pb", c, tpl)
    a = poisson_newton(mu0, tpl, n, sig, centre=c)
    b = poisson_newton(shifted, tpl, n, sig)
    np.testing.assert_allclose(a.chi2, b.chi2, rtol=1e-8)
    np.testing.assert_allclose(a.eta, b.eta + c, atol=1e-6)
    ga, ea = profile_gaussian(mu0, tpl, n, n + 1.0, sig, centre=c)
    gb, eb = profile_gaussian(shifted, tpl, n, n + 1.0, sig)
    np.testing.assert_allclose(ga, gb, rtol=1e-10)
    np.testing.assert_allclose(ea, eb + c, atol=1e-10)
