"""Experiments and their likelihood structures register by name (issue #10).

The toy experiment below is defined in this test module, as a user would write a new data
release in one module: a builder registered with ``register_experiment`` and a likelihood
structure registered with ``register_likelihood``. (Its data reuse the CsI 2021 release, so
no new entry in ``cevns._registry`` is needed here; a real release adds its files' SHA-256
there: the second file.)
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from cevns.errors import UnknownNameError
from cevns.experiments import EXPERIMENTS, build_experiment, csi2021, experiment_names, register_experiment
from cevns.likelihood import LIKELIHOOD_HOOKS, LIKELIHOOD_RECIPES, Branch, ExperimentLikelihood, Nuisance, register_likelihood


def _build_toy(recipe, root=None):
    """CsI 2021 counted in one bin: total CEvNS against the total observed minus backgrounds."""
    setup = csi2021.build(recipe, root)
    return replace(setup, name="toy-csi-total")


def _toy_likelihood(recipe, setup, root):
    bkg = sum(c.counts.sum() for c in setup.backgrounds.values())

    def expand(counts):  # (P, 9, 11) -> (P, 1)
        return counts.sum(axis=(1, 2))[:, None]

    obs = np.array([setup.observed.sum()])
    return ExperimentLikelihood("toy-csi-total", recipe.name, "gaussian", obs,
                                [Branch({}, setup.cevns, {"bkg": np.array([bkg])})],
                                [Nuisance("norm", "cevns", 0.12)], expand, sigma2=obs, description="toy total count",
                                setup=setup)


@pytest.fixture
def toy():
    register_experiment("toy-csi-total", reference_prediction=(341.0, "toy"))(_build_toy)
    register_likelihood("atzori2022", "toy-csi-total")(_toy_likelihood)
    yield "toy-csi-total"
    EXPERIMENTS.remove("toy-csi-total")
    LIKELIHOOD_HOOKS.pop(("atzori2022", "toy-csi-total"), None)


def test_registered_experiment_is_known_everywhere(toy):
    assert toy in experiment_names()
    assert toy in LIKELIHOOD_RECIPES["atzori2022"]
    with pytest.raises(ValueError, match="already registered"):
        register_experiment(toy)(_build_toy)


def test_unknown_experiment_lists_the_registered_ones(toy):
    with pytest.raises(UnknownNameError) as exc:
        build_experiment("nope", None)
    assert toy in str(exc.value) and "csi-2021" in str(exc.value)


def test_registered_experiment_fits(toy, data_root):
    """The toy works through make_analysis like a packaged release: its chi2 at the SM is the
    closed-form profiled Gaussian chi2 of one bin with a 12 % normalisation nuisance."""
    from cevns.inference import make_analysis
    from cevns.recipes import get_recipe

    an = make_analysis([toy], "atzori2022", "sm", root=data_root)
    chi2, details = an.evaluate({"cevns_norm": np.array([1.0])})
    setup = build_experiment(toy, get_recipe("atzori2022"), data_root)
    s = float(details[toy]["signal"].sum())
    assert s == pytest.approx(setup.cevns.counts_by_process(an.model.terms(setup.cevns.grid, {}))["cevns"].sum())
    n = setup.observed.sum()
    b = sum(c.counts.sum() for c in setup.backgrounds.values())
    # min over eta of (n - b - s (1 + eta))^2 / n + (eta / 0.12)^2 = r^2 / (n + 0.12^2 s^2)
    want = (n - b - s) ** 2 / (n + 0.12**2 * s**2)
    assert chi2[0] == pytest.approx(want, rel=1e-9)


def test_packaged_likelihood_structures_are_registered():
    assert set(LIKELIHOOD_RECIPES) == {"atzori2022", "deromeri2023", "banerjee2021", "cadeddu2021", "xenonnt2024",
                                       "xenonnt2026", "banerjee2021-counts"}
    # the XENONnT likelihood is registered under every recipe (joint fits, docs/xenonnt.md)
    assert LIKELIHOOD_RECIPES["banerjee2021"] == {"csi-2017", "csi-2021", "lar-2020", "xenonnt-sr0-sr1", "xenonnt-sr0-sr2"}
