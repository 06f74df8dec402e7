"""Issue #10: the batched, pruned profiling of many-branch likelihoods (``nonlinear_nuisances
= "grid"``) equals the branch-by-branch loop, and the CsI 2021 release files are read once
per likelihood."""

from __future__ import annotations

import numpy as np
import pytest

import cevns.likelihood.core as likelihood_mod
from cevns import data as data_mod
from cevns.likelihood import build_likelihood
from cevns.models import get_model
from cevns.recipes import get_recipe
from cevns.stats import poisson_newton, profile_poisson


@pytest.fixture(scope="module")
def deromeri_csi(data_root):
    return build_likelihood("csi-2021", get_recipe("deromeri2023").with_options(nonlinear_nuisances="grid"), data_root)


def _nsi_points() -> dict[str, np.ndarray]:
    """A handful of NSI points: near the SM, at the edges of the usual scan, and one with a
    rate so large that every branch overflows into an enormous chi2."""
    return {"eps_ee_u": np.array([0.0, 0.35, -0.2, 0.6, 0.1, 40.0]),
            "eps_mumu_u": np.array([0.0, 0.05, 0.5, -0.15, 0.3, 0.0])}


def _assert_same_profile(lk, terms, reference=None):
    chi2, best = lk.profile(terms)
    ref_chi2, ref = reference or lk.profile_by_branch(terms)
    np.testing.assert_array_equal(best["branch"], ref["branch"], err_msg="best branch differs from the branch loop")
    np.testing.assert_allclose(chi2, ref_chi2, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(best["chi2_grid"], ref["chi2_grid"], rtol=1e-9, atol=1e-9)
    for k, v in ref["continuous"].items():
        np.testing.assert_allclose(best["continuous"][k], v, rtol=1e-7, atol=1e-9, err_msg=k)
    np.testing.assert_allclose(best["eta"], ref["eta"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(best["signal"], ref["signal"], rtol=1e-12)
    assert set(best["parts"]) == set(ref["parts"])
    for k, v in ref["parts"].items():
        np.testing.assert_allclose(best["parts"][k], v, rtol=1e-5, atol=1e-6, err_msg=k)
    return ref_chi2, ref


def test_batched_profile_equals_branch_loop(deromeri_csi, monkeypatch):
    """deromeri2023 CsI 2021 (243 branches): the batched solve, with rows stopped early by their
    lower bounds and the refinement stencil resumed, gives the loop's chi2, best branch,
    continuous nuisances and fitted components; also when the points are split in chunks."""
    lk = deromeri_csi
    model = get_model("nsi", get_recipe("deromeri2023").model_options())
    pts = _nsi_points()

    def terms(cevns):
        return model.terms(cevns.grid, pts)

    reference = _assert_same_profile(lk, terms)
    monkeypatch.setattr(likelihood_mod, "PROFILE_CHUNK_BYTES", 1.0)  # one point per chunk
    _assert_same_profile(lk, terms, reference)


def test_batched_profile_catches_a_wrong_stencil(deromeri_csi, monkeypatch):
    """The comparison above can fail: if the rows the refinement reads were left at their
    lower bounds (no resume), the refined chi2 moves away from the branch loop's."""
    lk = deromeri_csi
    model = get_model("nsi", get_recipe("deromeri2023").model_options())
    pts = _nsi_points()

    def terms(cevns):
        return model.terms(cevns.grid, pts)

    reference = lk.profile_by_branch(terms)
    monkeypatch.setattr(likelihood_mod, "_grid_stencil", lambda grid, node: node[:, None])
    with pytest.raises(AssertionError):
        _assert_same_profile(lk, terms, reference)


def test_poisson_newton_pause_resume_and_bound():
    """A paused row resumed from where it stopped ends where the uninterrupted solve does, and
    its reported lower bound is below its true minimum."""
    rng = np.random.default_rng(3)
    n_pts, n_alt, n_bins = 5, 6, 30
    n = rng.poisson(20.0, n_bins).astype(float)
    sig = rng.uniform(2.0, 10.0, (n_pts * n_alt, n_bins)) * rng.uniform(0.3, 3.0, (n_pts * n_alt, 1))
    bkg = rng.uniform(5.0, 15.0, (n_pts * n_alt, n_bins))
    mu0 = sig + bkg
    tpl = np.stack([sig, bkg], axis=1)
    sigmas, lower = np.array([0.1, 0.2]), np.array([-1.0, -1.0])
    full_chi2, full_eta = profile_poisson(mu0, tpl, n, sigmas, eta_lower=lower)
    groups = np.tile(np.arange(n_pts), n_alt)
    sol = poisson_newton(mu0, tpl, n, sigmas, lower, groups=groups)
    assert sol.paused.any() and not sol.paused.all()
    done = ~sol.paused
    # same iterates; the batched products of a different set of rows may round differently
    np.testing.assert_allclose(sol.chi2[done], full_chi2[done], rtol=1e-12)
    assert np.all(sol.lower_bound[sol.paused] <= full_chi2[sol.paused])
    # a paused row is never its group's minimum
    group_min = np.full(n_pts, np.inf)
    np.minimum.at(group_min, groups, full_chi2)
    assert np.all(full_chi2[sol.paused] > group_min[groups[sol.paused]])
    rows = np.flatnonzero(sol.paused)
    more = poisson_newton(mu0[rows], tpl[rows], n, sigmas, lower, eta0=sol.eta[rows])
    np.testing.assert_allclose(more.chi2, full_chi2[rows], rtol=1e-12)
    np.testing.assert_allclose(more.eta, full_eta[rows], rtol=1e-8, atol=1e-10)


def test_deromeri2023_likelihood_reads_each_release_file_once(data_root, monkeypatch):
    """Building the 243-branch CsI 2021 likelihood parses each release file once (it used to
    rebuild, and re-read, the experiment for each of the 80 shifted branches)."""
    calls = []
    load_table = data_mod.load_table

    def counting(release, name, *args, **kwargs):
        calls.append((release, name))
        return load_table(release, name, *args, **kwargs)

    monkeypatch.setattr(data_mod, "load_table", counting)
    lk = build_likelihood("csi-2021", get_recipe("deromeri2023"), data_root)
    assert len(lk.branches) == 243
    assert calls, "the release is read through cevns.data.load_table"
    assert len(calls) == len(set(calls)), f"files parsed more than once: {sorted(calls)}"
