"""NGI model (seed 004 eqs. 8-11) and its ``ngi_normalisation`` option (issue #9)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cevns.experiments.common import sm_reference
from cevns.models import get_model
from cevns.physics.nuclei import isotope
from cevns.physics.weak_charge import nucleon_form_factors
from cevns.prediction import IsotopeGrid, TargetGrid
from cevns.recipes import get_recipe
from cevns.sources import SOURCES

PRINTED = get_recipe("deromeri2023")
PUBLISHED = PRINTED.with_options(ngi_normalisation="published")


def _cevns(recipe) -> TargetGrid:
    t = np.geomspace(1e-4, 0.03, 12)
    iks = []
    for name in ("Cs133", "I127"):
        iso = isotope(name, recipe.radii)
        fp, fn = nucleon_form_factors(iso, t, recipe.form_factor)
        iks.append(IsotopeGrid(iso, t, fp, fn))
    source = SOURCES["csi-2021"]
    return TargetGrid(tuple(iks), source, sm_reference(recipe, source))


@settings(max_examples=30, deadline=None)
@given(st.floats(-0.5, 0.5), st.floats(-0.05, 0.05), st.floats(-0.5, 0.5))
def test_published_normalisation_doubles_vector_and_tensor_only(c_v, c_s, c_t):
    """published(c_v, c_s, c_t) == printed(2 c_v, c_s, 2 c_t), term by term."""
    cev = _cevns(PRINTED)
    a = get_model("ngi", PUBLISHED.model_options()).terms(cev, {"c_v": c_v, "c_s": c_s, "c_t": c_t})
    b = get_model("ngi", PRINTED.model_options()).terms(cev, {"c_v": 2 * c_v, "c_s": c_s, "c_t": 2 * c_t})
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_allclose(a[k], b[k], rtol=1e-12, atol=1e-12)


def test_published_second_vector_minimum_cancels_the_sm_charge():
    """The vector term (C_V/2 + Q_SM)^2 F^2 returns to its SM value where C_V = -4 Q_SM, i.e.
    c_v = 4|Q_SM|/(3A) ~ 0.38 for Cs with eq. (9) as printed, and at half that, 2|Q_SM|/(3A)
    ~ 0.19 (seed 004 eq. 45's second minimum), with ``published``."""
    cev = _cevns(PRINTED)
    ik = cev.isotopes[0]
    sm = get_model("ngi", PRINTED.model_options()).terms(cev, {"c_v": 0.0})[("m0", "Cs133", "nu_e")][0, 0]
    c_grid = np.linspace(0.0, 0.5, 5001)
    for rec, factor in ((PRINTED, 1.0), (PUBLISHED, 0.5)):
        m0 = get_model("ngi", rec.model_options()).terms(cev, {"c_v": c_grid})[("m0", "Cs133", "nu_e")][:, 0]
        restored = c_grid[1:][np.argmin(np.abs(m0[1:] - sm) + (c_grid[1:] < 0.05))]
        a = ik.isotope.z + ik.isotope.n
        q_over_f = np.sqrt(sm)  # |Q_SM| F at the first node, F = f_neutron there
        want = factor * 4 * q_over_f / (3 * a * ik.f_neutron[0])
        assert restored == pytest.approx(want, abs=2e-4)


def test_unknown_ngi_normalisation_is_a_clear_error():
    with pytest.raises(ValueError, match="printed, published"):
        get_model("ngi", PRINTED.with_options(ngi_normalisation="twice").model_options()).terms(_cevns(PRINTED), {"c_v": 0.1})
