"""Helpers shared by the test modules: CLI invocation and the explicit chi2 of a likelihood.

The explicit chi2 is written out from the likelihood's pieces independently of
``cevns.stats`` so that the profiled chi2 can be checked against a direct iminuit
minimisation over the nuisances.
"""

from __future__ import annotations

import numpy as np
from click.testing import CliRunner, Result
from iminuit import Minuit

from cevns.cli import main
from cevns.likelihood import Branch, ExperimentLikelihood


def invoke(args: list[str]) -> Result:
    """Run the ``cevns`` CLI in-process."""
    return CliRunner().invoke(main, args)


def assert_clean_exit(result: Result, code: int) -> None:
    """Exit status ``code`` through SystemExit, never an uncaught exception (a traceback)."""
    assert result.exit_code == code, f"exit {result.exit_code}, expected {code}\n{result.output}\n{result.exception!r}"
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"uncaught {result.exception!r} would print a traceback\n{result.output}"
    )
    assert "Traceback" not in result.output and "Traceback" not in result.stderr


def explicit_chi2(eta, lk: ExperimentLikelihood, branch: Branch, s) -> float:
    """chi2 of one branch at nuisances ``eta``, written out from the likelihood's pieces.

    mu = CEvNS + sum_b B_b + sum_k eta_k T_k with T_k = component[target_k] * multiplier_k;
    Baker-Cousins Poisson or Gaussian (lk.sigma2) chi2 plus (eta_k/sigma_k)^2 for finite
    sigma_k, plus the branch penalty.
    """
    comps = {"cevns": s, **branch.backgrounds}
    mu = sum(comps.values())
    for e, nu in zip(eta, lk.nuisances, strict=True):
        mult = 1.0 if nu.multiplier is None else nu.multiplier
        mu = mu + e * comps[nu.target] * mult
    n = lk.observed
    if lk.form == "gaussian":
        val = float(np.sum((n - mu) ** 2 / lk.sigma2))
    else:
        if np.any(mu < 0) or np.any((mu <= 0) & (n > 0)):
            return 1e30
        pos = n > 0
        val = 2.0 * float(np.sum(mu - n)) + 2.0 * float(np.sum(n[pos] * np.log(n[pos] / mu[pos])))
    for e, nu in zip(eta, lk.nuisances, strict=True):
        if nu.sigma is not None and np.isfinite(nu.sigma):
            val += (e / nu.sigma) ** 2
    return val + branch.penalty


def explicit_gradient(eta, lk: ExperimentLikelihood, branch: Branch, s):
    """Gradient of :func:`explicit_chi2` in ``eta``."""
    comps = {"cevns": s, **branch.backgrounds}
    temps = np.array([comps[nu.target] * (1.0 if nu.multiplier is None else nu.multiplier) for nu in lk.nuisances])
    mu = sum(comps.values()) + eta @ temps
    n = lk.observed
    if lk.form == "gaussian":
        g = -2.0 * temps @ ((n - mu) / lk.sigma2)
    else:
        g = 2.0 * temps @ (1.0 - np.where(mu > 0, n / np.where(mu > 0, mu, 1.0), 0.0))
    for k, nu in enumerate(lk.nuisances):
        if nu.sigma is not None and np.isfinite(nu.sigma):
            g[k] += 2.0 * eta[k] / nu.sigma**2
    return g


def direct_minimum(lk: ExperimentLikelihood, branch: Branch, s) -> Minuit:
    """iminuit minimisation of :func:`explicit_chi2` over all nuisances of one branch."""
    m = Minuit(lambda e: explicit_chi2(np.asarray(e), lk, branch, s), np.zeros(len(lk.nuisances)),
               grad=lambda e: explicit_gradient(np.asarray(e), lk, branch, s))
    m.errordef = Minuit.LEAST_SQUARES
    m.strategy = 2
    m.tol = 1e-6
    if lk.form == "poisson":  # the recipes bound normalisations at -1 (component >= 0)
        m.limits = [(-1.0, None) if nu.multiplier is None else (None, None) for nu in lk.nuisances]
    m.migrad()
    m.migrad()
    return m
