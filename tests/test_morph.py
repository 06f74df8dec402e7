"""Non-linear nuisances as smooth template morphs (cevns.likelihood.morph, issue #10):
the interpolant's algebra, the joint Newton solve on a closed-form problem, and the
deromeri2023 CsI 2021 likelihood against its branches."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cevns.inference import make_analysis
from cevns.likelihood import build_likelihood, deromeri2023_csi2021_branches
from cevns.likelihood.morph import MorphAxis, MorphedComponent, MorphPart, profile_morphed
from cevns.models import get_model
from cevns.recipes import get_recipe

NINE = tuple(np.linspace(-0.25, 0.25, 9))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-3.0, 3.0), min_size=4, max_size=4), st.floats(-0.25, 0.25))
def test_spline_basis_reproduces_cubics(coeffs, x):
    """Not-a-knot cubic splines reproduce every cubic exactly, with its derivatives; the
    basis is a partition of unity (weights sum to 1, their derivatives to 0)."""
    ax = MorphAxis("a", NINE)
    poly = np.polynomial.Polynomial(coeffs)
    nodes = poly(np.asarray(NINE))
    xs = np.array([x])
    for order in (0, 1, 2):
        w = ax.basis(xs, order)
        assert w @ nodes == pytest.approx(poly.deriv(order)(x) if order else poly(x), abs=1e-9)
        assert w.sum() == pytest.approx(1.0 if order == 0 else 0.0, abs=1e-9)


def test_three_nodes_give_the_parabola():
    ax = MorphAxis("alpha_4", (-0.1, 0.0, 0.1), 0.05)
    x = np.array([-0.07, 0.02, 0.1])
    y = np.array([1.0, 2.0, 5.0])
    np.testing.assert_allclose(ax.basis(x) @ y, np.polyval(np.polyfit([-0.1, 0.0, 0.1], y, 2), x), rtol=1e-12)


def _toy(truth_eta: float, truth_theta: float):
    """Signal s (1 + eta) over a background whose shape moves with theta, quadratically:
    b(theta) = b0 + theta b1 + theta^2 b2 (reproduced exactly by the spline)."""
    bins = np.arange(12.0)
    s = 50.0 * np.exp(-0.5 * ((bins - 4.0) / 1.5) ** 2)
    b0, b1, b2 = 20.0 + bins, 30.0 * np.sin(bins / 2.0), 40.0 * np.cos(bins / 3.0)
    nodes = np.asarray(NINE)
    bkg_nodes = b0 + nodes[:, None] * b1 + nodes[:, None] ** 2 * b2
    comps = {"sig": MorphedComponent("single", (MorphPart((), s[None]),)),
             "bkg": MorphedComponent("single", (MorphPart((0,), bkg_nodes[None]),))}
    observed = s * (1.0 + truth_eta) + b0 + truth_theta * b1 + truth_theta**2 * b2
    return comps, observed


@pytest.mark.parametrize("eta,theta", [(0.0, 0.0), (0.3, 0.17), (-0.4, -0.21)])
def test_joint_newton_recovers_the_truth(eta, theta):
    """Observed = the expectation at (eta, theta): the joint minimum is chi2 = 0 there."""
    comps, observed = _toy(eta, theta)
    sol = profile_morphed(comps, observed, [MorphAxis("theta", NINE)], [["sig"]], [None], np.array([np.inf]), 1)
    assert sol.chi2[0] == pytest.approx(0.0, abs=1e-8)
    assert sol.eta[0, 0] == pytest.approx(eta, abs=1e-5)
    assert sol.theta[0, 0] == pytest.approx(theta, abs=1e-5)


def test_joint_newton_respects_the_range():
    """A truth beyond the grid's range ends on its edge, with a positive chi2."""
    comps, observed = _toy(0.1, 0.4)
    sol = profile_morphed(comps, observed, [MorphAxis("theta", NINE)], [["sig"]], [None], np.array([np.inf]), 1)
    assert sol.theta[0, 0] == pytest.approx(0.25)
    assert sol.chi2[0] > 0.1


@pytest.fixture(scope="module")
def deromeri(data_root):
    return build_likelihood("csi-2021", get_recipe("deromeri2023"), data_root)


def _nsi_terms(values):
    model = get_model("nsi", get_recipe("deromeri2023").model_options())

    def terms(cevns):
        return model.terms(cevns.grid, values)

    return terms


POINTS = {"eps_ee_u": np.array([0.0, 0.35, -0.2, 0.6, 0.1]), "eps_mumu_u": np.array([0.0, 0.05, 0.5, -0.15, 0.3])}


def test_morph_is_exact_at_every_node(deromeri):
    """At each grid node the morphed components are the branch's signal and backgrounds."""
    lk = deromeri
    terms = _nsi_terms(POINTS)
    comps = lk.morph_components(terms)
    names = list(lk.branch_grid.axes)
    for b in range(0, len(lk.branches), 7):
        branch = lk.branches[b]
        theta = np.array([branch.label[k] for k in names])
        bases = [{o: ax.basis(np.full(5, theta[a]), o) for o in (0,)} for a, ax in enumerate(lk.morph.axes)]
        sig = lk.signal_parts(terms(branch.cevns), branch)
        for proc, expected in sig.items():
            got, _, _ = comps[proc].evaluate(bases, 5, derivatives=False)
            np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12, err_msg=f"{branch.label} {proc}")
        for bkg, expected in branch.backgrounds.items():
            got, _, _ = comps[bkg].evaluate(bases, 5, derivatives=False)
            np.testing.assert_allclose(got, np.broadcast_to(expected, got.shape), rtol=1e-10, atol=1e-12)


def test_morph_minimum_is_below_every_node_and_is_faithful(deromeri, data_root):
    """The joint minimum lies below the best grid node (the nodes are part of the morph),
    and the likelihood rebuilt at the minimum's nuisances, off the grid, gives the same
    chi2 to the interpolation's accuracy (measured <= 0.025 over 200 NSI points)."""
    lk = deromeri
    terms = _nsi_terms(POINTS)
    chi2, best = lk.profile(terms)
    _, by_node = replace(lk, nonlinear="grid").profile_by_branch(terms)
    assert np.all(chi2 <= by_node["chi2_grid"] + 1e-6)
    rebuilt = [lk.profile_at_continuous(_nsi_terms({k: v[p : p + 1] for k, v in POINTS.items()}),
                                        {**best, "continuous": {k: v[p : p + 1] for k, v in best["continuous"].items()}})
               ["chi2_rebuilt"][0] for p in range(len(chi2))]
    np.testing.assert_allclose(chi2, rebuilt, atol=0.03)
    # the off-grid rebuild is a real check: one node away it differs by far more
    (branch,) = deromeri2023_csi2021_branches(get_recipe("deromeri2023"), lk.setup, data_root, (0.05,), 0.2, 0.9)
    sig = lk.signal_parts(terms(branch.cevns), branch)
    off, _, _ = lk._profile_branch(sig, branch)
    assert np.all(np.abs(off + branch.penalty - chi2) > 0.03)


def _max_kink(chi2):
    d2 = np.abs(np.diff(chi2, 2))
    return float(d2.max() / np.median(d2))


def test_profiles_are_smooth(data_root):
    """A fine NSI profile has no jumps: its largest second difference is within 3x the
    median one (1.4 measured); node-by-node profiling with chi2 interpolation switches
    stencils and shows kinks (130x measured, issue #11), which this check catches."""
    x = np.linspace(0.0, 0.1, 201)
    kinks = {}
    for mode in ("morph", "grid"):
        an = make_analysis(["csi-2021"], "deromeri2023", "nsi", root=data_root)
        an.likelihoods[0] = replace(an.likelihoods[0], nonlinear=mode)
        chi2, _ = an.evaluate({"eps_ee_u": x})
        kinks[mode] = _max_kink(chi2)
    assert kinks["morph"] < 3.0
    assert kinks["grid"] > 3.0


def test_background_only_fit_with_empty_bins(data_root):
    """CsI 2021 with the raw AC histogram has bins that are empty at some alpha_6 nodes:
    the spline dips below zero there (~1e-8) and a negative expectation must not stall the
    solve (it did: 249.5 instead of 240.3). The background-only minimum lies below the best node."""
    rec = get_recipe("deromeri2023").with_options(csi2021_steady_state="histogram")
    lk = build_likelihood("csi-2021", rec, data_root)
    model = get_model("sm")

    def zero(cevns):
        return {k: 0.0 * v for k, v in model.terms(cevns.grid, {}).items()}

    chi2, _ = lk.profile(zero)
    _, by_node = replace(lk, nonlinear="grid").profile_by_branch(zero)
    assert chi2[0] <= by_node["chi2_grid"][0] + 1e-6
    assert chi2[0] == pytest.approx(240.3, abs=0.1)


@pytest.mark.parametrize("model, param, grid, es", [
    ("magnetic-moment", "mu_nu_e", np.linspace(1.5e-9, 2.6e-9, 201), True),  # around the 2.05e-9 mu_B jumps of issue #11
    ("millicharge", "q_nu_ee", np.linspace(-3e-8, 3e-8, 201), None),
])
def test_em_profiles_are_smooth(data_root, model, param, grid, es):
    """The magnetic-moment (ES on) and millicharge profiles of deromeri2023 have no jumps
    either (1.2 and 1.1 measured, same criterion as the NSI one)."""
    rec = get_recipe("deromeri2023")
    if es is not None:
        rec = rec.with_options(electron_scattering=es)
    an = make_analysis(["csi-2021"], rec, model, root=data_root)
    chi2, _ = an.evaluate({param: grid})
    assert _max_kink(chi2) < 3.0
