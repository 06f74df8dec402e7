"""Priors and nested sampling (issue #12)."""

import numpy as np
import pytest

from cevns.errors import ParameterError
from cevns.inference.bayes import Prior, check_priors, sample


@pytest.mark.parametrize("text, match", [
    ("g=log-flat:0:1e-2", "LO > 0"),
    ("g=flat:1:0", "HI > LO"),
    ("g=gaussian:0:-1", "width > 0"),
    ("g=cauchy:0:1", "unknown kind"),
    ("g=flat:0", "NAME=KIND:A:B"),
    ("g=flat:0:inf", "finite"),
])
def test_prior_validation(text, match):
    with pytest.raises(ParameterError, match=match):
        Prior.parse(text)


def test_priors_must_name_model_parameters():
    with pytest.raises(ParameterError, match="unknown parameter"):
        check_priors([Prior.parse("gx=flat:0:1")], {"g": None})
    with pytest.raises(ParameterError, match="repeated"):
        check_priors([Prior.parse("g=flat:0:1"), Prior.parse("g=flat:0:2")], {"g": None})
    with pytest.raises(ParameterError, match="at least one"):
        check_priors([], {"g": None})
    with pytest.raises(ParameterError, match="nautilus needs"):
        sample(lambda v: v["x"] ** 2, [Prior.parse("x=flat:-5:5")], "nautilus")


def test_transforms():
    u = np.array([0.0, 0.5, 1.0])
    np.testing.assert_allclose(Prior("x", "log-flat", 1e-4, 1e-2).transform(u), [1e-4, 1e-3, 1e-2])
    assert Prior("x", "gaussian", 1.0, 2.0).transform(np.array([0.5]))[0] == pytest.approx(1.0)


@pytest.mark.slow
def test_gaussian_posterior_and_evidence():
    """chi2 = (x - 1)^2 / 0.25 under a flat prior on [-5, 5]: x = 1 +- 0.5, Z = sqrt(2 pi) 0.5 / 10."""
    res = sample(lambda v: (v["x"] - 1.0) ** 2 / 0.25, [Prior.parse("x=flat:-5:5")], "ultranest", seed=1,
                 live_points=200)
    lo, hi = res["intervals"]["1sigma"]["x"]
    assert lo == pytest.approx(0.5, abs=0.08) and hi == pytest.approx(1.5, abs=0.08)
    assert res["log_evidence"] == pytest.approx(np.log(np.sqrt(2 * np.pi) * 0.5 / 10), abs=0.3)
    assert res["n_calls"] > 0
