"""CsI 2021 steady-state background model (issue #9): the smooth template and its effect.

The SS expectation is built from the anti-coincidence (AC) events. ``smooth`` keeps each PE
row's AC total and spreads it over the time bins as a flat rate through the time
efficiency of seed 004 eq. (33); ``histogram`` uses the raw AC counts bin by bin.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from cevns.experiments import csi2021
from cevns.sources.timing import time_efficiency_integrals_us

EDGES = csi2021.TIME_EDGES_US


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, (9, 11), elements=st.floats(0, 50)))
def test_smooth_keeps_every_row_total(ac):
    """Row totals (hence the total and the meaning of the 2.1 % SS nuisance) are unchanged."""
    sm = csi2021.smooth_steady_state(ac)
    assert sm.shape == ac.shape
    np.testing.assert_allclose(sm.sum(axis=1), ac.sum(axis=1), rtol=1e-12, atol=1e-12)


def test_smooth_time_shape_is_a_flat_rate_through_eq33():
    """Per unit time the template is flat before t' = 0.52 us and falls as exp(-k t) after."""
    ac = np.zeros((9, 11))
    ac[3, 5] = 100.0  # all AC events of a row in one bin: the template spreads them
    row = csi2021.smooth_steady_state(ac)[3]
    rate = row / np.diff(EDGES)
    np.testing.assert_allclose(rate[:4], rate[0], rtol=1e-12)  # bins below 0.5 us: eps_T = 1
    # 2-4 us and 4-6 us: ratio of closed-form integrals of exp(-0.0494 (t - 0.52))
    k = 0.0494
    assert rate[10] / rate[9] == pytest.approx(np.exp(-2 * k), rel=1e-12)
    assert row.sum() == pytest.approx(100.0)


def test_time_efficiency_integrals_against_quadrature():
    from scipy import integrate

    from cevns.sources.timing import time_efficiency

    edges = np.array([0.0, 0.3, 0.52, 0.6, 1.0, 2.5, 6.0])
    want = [integrate.quad(lambda t: float(time_efficiency(t)), a, b, points=[0.52])[0]
            for a, b in zip(edges[:-1], edges[1:], strict=True)]
    np.testing.assert_allclose(time_efficiency_integrals_us(edges), want, rtol=1e-10)


def test_smooth_is_the_expectation_of_a_flat_rate_sample():
    """Events drawn from a flat rate thinned by eq. (33): the smooth template is their mean
    histogram (so it is an unbiased expectation), while one sample's histogram is noisy."""
    rng = np.random.default_rng(7)
    n_rows, n_mean = 9, 150
    totals = np.zeros((9, 11))
    n_samples = 200
    for _ in range(n_samples):
        t = rng.uniform(0, 6, size=n_rows * n_mean * 2)
        keep = rng.uniform(size=t.size) < np.where(t < 0.52, 1.0, np.exp(-0.0494 * (t - 0.52)))
        t = t[keep][: n_rows * n_mean]
        pe_row = rng.integers(0, n_rows, size=t.size)
        h, _, _ = np.histogram2d(pe_row + 0.5, t, bins=[np.arange(10), EDGES])
        totals += h
    expected = csi2021.smooth_steady_state(totals)
    chi2 = float(np.sum((totals - expected) ** 2 / expected))
    assert chi2 < 99 + 5 * np.sqrt(2 * 99)  # 99 bins (less 9 row totals): Poisson scatter only
    # a template without the time efficiency does not describe the sample
    flat = np.outer(totals.sum(axis=1), np.diff(EDGES) / 6.0)
    assert float(np.sum((totals - flat) ** 2 / flat)) > 10 * chi2


def test_steady_state_template_choices():
    ac = np.ones((9, 11))
    np.testing.assert_array_equal(csi2021.steady_state_template(ac, "histogram"), ac)
    with pytest.raises(ValueError, match="smooth, histogram"):
        csi2021.steady_state_template(ac, "flat")


# ----------------------------------------------------------------------------- with the release


@pytest.fixture(scope="module")
def csi_setups(data_root):
    from cevns.recipes import get_recipe

    rec = get_recipe("deromeri2023")
    return {ss: csi2021.build(rec.with_options(csi2021_steady_state=ss), data_root) for ss in ("smooth", "histogram")}


def test_release_ss_row_totals_and_total(csi_setups):
    smooth, hist = (csi_setups[k].backgrounds["ss"].counts for k in ("smooth", "histogram"))
    assert hist.sum() == 1295  # the release's AC count in the window
    np.testing.assert_allclose(smooth.sum(axis=1), hist.sum(axis=1))
    np.testing.assert_array_equal(csi_setups["smooth"].extras.anticoincidence_counts, hist)


def test_release_ac_rate_follows_the_time_efficiency(csi_setups):
    """The AC rate per us, all PE rows summed, is flat within Poisson noise once divided by
    eq. (33): the chi2 of the AC time projection against the smooth template is ~ n_bins."""
    hist = csi_setups["histogram"].backgrounds["ss"].counts.sum(axis=0)
    smooth = csi_setups["smooth"].backgrounds["ss"].counts.sum(axis=0)
    chi2 = float(np.sum((hist - smooth) ** 2 / smooth))
    assert chi2 < 25.0  # 11 bins, 10 dof: p ~ 0.005 at 25


def _row_chi2(recipe_name: str, steady_state: str):
    from cevns.likelihood import build_likelihood
    from cevns.models import get_model
    from cevns.recipes import get_recipe

    rec = get_recipe(recipe_name).with_options(csi2021_steady_state=steady_state)
    lk = build_likelihood("csi-2021", rec)
    sm = get_model("sm")

    def terms(cevns):
        return sm.terms(cevns.grid, {})

    chi2, best = lk.profile(terms)
    best = lk.profile_at_continuous(terms, best)
    mu = sum(v[0] for v in best["parts"].values())
    n = lk.observed
    bc = 2 * (mu - n + np.where(n > 0, n * np.log(np.where(n > 0, n, 1) / mu), 0.0))
    return float(chi2[0]), bc.reshape(9, 11).sum(axis=1)


@pytest.mark.parametrize("recipe", ["deromeri2023", "atzori2022"])
def test_smooth_ss_makes_the_pe_rows_uniform(data_root, recipe):
    """Issue #9: with the raw AC histogram the 40-50 PE row (SS-dominated) contributes ~28
    to the SM chi2, 2.5x the mean row; with the smooth SS no row exceeds twice the mean
    and the SM chi2 falls by ~19."""
    chi2_h, rows_h = _row_chi2(recipe, "histogram")
    chi2_s, rows_s = _row_chi2(recipe, "smooth")
    assert rows_h.max() > 2.0 * rows_h.mean()
    assert rows_s.max() < 2.0 * rows_s.mean()
    assert chi2_h - chi2_s > 15.0
