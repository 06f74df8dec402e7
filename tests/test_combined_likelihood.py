"""Likelihoods of independent experiments combine with ``+`` (issue #10)."""

from __future__ import annotations

import numpy as np
import pytest

from cevns.errors import ParameterError
from cevns.likelihood import CombinedLikelihood, build_likelihood
from cevns.models import get_model
from cevns.recipes import get_recipe


@pytest.fixture(scope="module")
def parts(data_root):
    rec = get_recipe("banerjee2021")  # the recipe with a likelihood for all three releases
    return {e: build_likelihood(e, rec, data_root) for e in ("csi-2017", "csi-2021", "lar-2020")}


def test_sum_of_likelihoods_is_the_sum_of_chi2(parts):
    model = get_model("nsi")
    values = {"eps_ee_u": np.array([0.0, 0.1, 0.4])}

    def terms(cevns):
        return model.terms(cevns.grid, values)

    combined = parts["csi-2021"] + parts["lar-2020"] + parts["csi-2017"]
    assert isinstance(combined, CombinedLikelihood)
    assert combined.experiments == ["csi-2021", "lar-2020", "csi-2017"]
    chi2, details = combined.profile(terms)
    expected = sum(parts[e].profile(terms)[0] for e in combined.experiments)
    np.testing.assert_allclose(chi2, expected, rtol=1e-12)
    assert set(details) == set(combined.experiments)
    # grouping does not matter
    other = parts["csi-2021"] + (parts["lar-2020"] + parts["csi-2017"])
    np.testing.assert_allclose(other.profile(terms)[0], chi2, rtol=1e-12)


def test_an_experiment_counts_once(parts):
    with pytest.raises(ParameterError, match="csi-2021 given twice"):
        parts["csi-2021"] + parts["lar-2020"] + parts["csi-2021"]
