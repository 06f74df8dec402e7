"""Continuous profiling of non-linear nuisances laid out on a grid of branches, and the
continuous time shift of released histograms (CsI 2021, seed 004 alpha_6)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cevns.experiments.csi2021 import TIME_EDGES_US, released_time_contents
from cevns.likelihood import Branch, BranchGrid, refine_grid_minimum


def _grid(axes):
    labels = np.array(np.meshgrid(*axes.values(), indexing="ij")).reshape(len(axes), -1).T
    branches = [Branch(dict(zip(axes, map(float, lab), strict=True)), None, {}) for lab in labels]
    return branches, BranchGrid.from_branches(branches, axes), labels


AXES = {"a": tuple(np.linspace(-1, 1, 9)), "b": tuple(np.linspace(-0.25, 0.25, 9)), "c": (-0.1, 0.0, 0.1)}


@settings(max_examples=40, deadline=None)
@given(
    st.floats(-0.95, 0.95), st.floats(-0.24, 0.24), st.floats(-0.09, 0.09),
    st.floats(0.5, 5.0), st.floats(20.0, 200.0), st.floats(50.0, 800.0), st.floats(-0.4, 0.4),
)
def test_refinement_is_exact_for_a_quadratic_chi2(xa, xb, xc, ha, hb, hc, rho):
    """A chi2 quadratic in the nuisances (correlated, minimum between nodes) is minimised
    exactly: value and location."""
    branches, grid, labels = _grid(AXES)
    h = np.diag([ha, hb, hc])
    h[0, 1] = h[1, 0] = rho * np.sqrt(ha * hb)
    x0 = np.array([xa, xb, xc])
    d = labels - x0
    chi2 = 100.0 + 0.5 * np.einsum("ni,ij,nj->n", d, h, d)
    val, at = refine_grid_minimum(chi2[:, None], grid)
    assert val[0] == pytest.approx(100.0, abs=1e-6)
    for k, name in enumerate(AXES):
        assert at[name][0] == pytest.approx(x0[k], abs=1e-5)


def test_refinement_respects_the_grid_box_and_never_exceeds_the_grid_minimum():
    """Minimum outside the range: the refined point stays on the boundary, and its value is
    the constrained minimum of the quadratic (below the best node's value)."""
    branches, grid, labels = _grid(AXES)
    x0 = np.array([1.6, 0.0, 0.0])  # beyond a = +1
    chi2 = 50.0 + np.sum(((labels - x0) / np.array([1.0, 0.1, 0.05])) ** 2, axis=1)
    val, at = refine_grid_minimum(chi2[:, None], grid)
    assert at["a"][0] == pytest.approx(1.0)
    assert val[0] == pytest.approx(50.0 + 0.6**2, abs=1e-9)
    assert val[0] <= chi2.min()


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_refinement_never_exceeds_the_grid_minimum_and_stays_in_range(seed):
    """Arbitrary (non-quadratic, noisy) chi2 on the grid: the refined value is at most the
    best node's, and the refined nuisances lie inside the grid's range."""
    branches, grid, labels = _grid(AXES)
    rng = np.random.default_rng(seed)
    chi2 = 100.0 + rng.exponential(5.0, size=(len(labels), 4)) + 30 * (labels[:, :1] - rng.uniform(-1, 1)) ** 2
    val, at = refine_grid_minimum(chi2, grid)
    assert np.all(val <= chi2.min(axis=0) + 1e-12)
    for name, nodes in AXES.items():
        assert np.all((at[name] >= min(nodes) - 1e-12) & (at[name] <= max(nodes) + 1e-12))


def test_refinement_keeps_the_grid_value_where_the_quadratic_misses_the_stencil():
    """Far from any minimum (steep, non-quadratic chi2 such as an enormous BSM rate) the
    quadratic extrapolation is not trusted: the grid value is kept, not undercut."""
    branches, grid, labels = _grid(AXES)
    chi2 = 1e4 * np.exp(3.0 * labels[:, 0] + 12.0 * labels[:, 1] + 20.0 * labels[:, 2])
    val, _ = refine_grid_minimum(chi2[:, None], grid)
    assert val[0] == chi2.min()


def test_branch_grid_rejects_incomplete_grids():
    branches, grid, labels = _grid({"a": (0.0, 1.0), "b": (0.0, 1.0)})
    with pytest.raises(ValueError, match="one node each"):
        BranchGrid.from_branches(branches[:-1], {"a": (0.0, 1.0), "b": (0.0, 1.0)})


def _release():
    centres = np.round(np.arange(-0.245, 6.25, 0.01), 3)
    contents = np.exp(-0.5 * ((centres - 0.66) / 0.156) ** 2)
    return centres, contents


@pytest.mark.parametrize("apply_eff", [False, True])
def test_shifted_release_is_continuous_in_the_shift(apply_eff):
    """Moving the released 10-ns histogram by 1 ns changes each analysis bin by at most the
    content of 1 ns of density at its edges (no 10-ns jumps)."""
    centres, contents = _release()
    base = released_time_contents(centres, contents, TIME_EDGES_US, apply_eff, 0.040)
    moved = released_time_contents(centres, contents, TIME_EDGES_US, apply_eff, 0.041)
    peak_density_per_ns = contents.max() / 10.0
    assert np.max(np.abs(moved - base)) <= 2 * peak_density_per_ns * 1.0001


def test_shifted_release_conserves_content_and_splits_straddling_bins():
    centres, contents = _release()
    out = released_time_contents(centres, contents, np.array([-1.0, 0.125, 7.0]), False)
    assert out.sum() == pytest.approx(contents.sum())
    # the 10-ns bin centred on 0.125 us is split half-half between the two analysis bins
    below = contents[centres < 0.125].sum() + 0.5 * contents[centres == 0.125].sum()
    assert out[0] == pytest.approx(below)
    shifted = released_time_contents(centres, contents, np.array([-1.0, 0.125 + 0.2, 7.0]), False, 0.2)
    np.testing.assert_allclose(shifted, out, rtol=1e-12, atol=1e-12)
