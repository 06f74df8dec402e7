"""Regenerate the reproduction tables of docs/xenonnt.md (issue #14).

For each 8B spectrum shape (``solar_b8_spectrum``) the SR0+SR1 prediction of recipe
``xenonnt2024`` (SM 8B+hep CEvNS events per flavour, backgrounds) and the fit with
``flux_8b`` free (best fit, Delta-chi2 = 1 interval from a profile, significance of the
background-only rejection); then the same for SR0-SR2 (``xenonnt2026``, default shape).
Prints markdown. Needs the ``xenonnt-8b`` release in ``$CEVNS_DATA_DIR``.

    CEVNS_DATA_DIR=../shared/data/coherent:../shared/data python scripts/xenonnt_reproduction.py

Run time: about 2 minutes on one core.
"""

from __future__ import annotations

import numpy as np

from cevns import api
from cevns.recipes import get_recipe
from cevns.sources.solar import B8_SPECTRA, SOLAR_GRID_MEV, b8_shape

#: PRL 133 (2024) 191002: 8B flux [10^6 cm^-2 s^-1] (+, -), background-only rejection [sigma]
PRL133_FLUX, PRL133_SIGMA = (4.7, 3.6, 2.3), 2.73


def interval(experiment: str, recipe, best: float) -> tuple[float, float]:
    """1 sigma (Delta-chi2 = 1) interval of ``flux_8b`` from :func:`cevns.api.profile`."""
    prof = api.profile([experiment], "flux_8b", np.linspace(0.0, best + 10.0, 41), recipe=recipe)
    (lo, hi), = prof.intervals["1sigma"]
    return lo, hi


def row(experiment: str, recipe) -> dict:
    pred = api.predict(experiment, recipe)
    fit = api.fit([experiment], recipe=recipe, free=["flux_8b"])
    best = fit.best_fit["flux_8b"]
    lo, hi = interval(experiment, recipe, best)
    nominal = get_recipe(recipe).solar_flux
    phi0 = {"b16-gs98": 5.46, "b16-agss09met": 4.50, "sno": 5.25}[nominal]
    return {"sm": pred.cevns_total, "by_flavour": pred.cevns_by_flavor, "bkg": sum(pred.backgrounds.values()),
            "observed": pred.observed_total, "per_flux": pred.cevns_total / phi0, "best": best, "lo": lo, "hi": hi,
            "signal": fit.components_fitted[experiment]["cevns"], "sigma": fit.significance_vs_background_only}


def main() -> None:
    e = SOLAR_GRID_MEV
    print("| 8B spectrum | mean E [MeV] | > 10 MeV | SM 8B+hep SR0+SR1 | events per 10^6 cm^-2 s^-1 | fitted flux "
          "(Delta chi2 = 1) | vs 4.7 | fitted events | significance |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name in B8_SPECTRA:
        shape = b8_shape(e, name)
        norm = np.trapezoid(shape, e)
        mean = np.trapezoid(shape * e, e) / norm
        tail = np.trapezoid(np.where(e > 10.0, shape, 0.0), e) / norm
        rec = get_recipe("xenonnt2024").with_options(solar_b8_spectrum=name)
        r = row("xenonnt-sr0-sr1", rec)
        print(f"| `{name}` | {mean:.3f} | {100 * tail:.1f} % | {r['sm']:.2f} | {r['per_flux']:.3f} | "
              f"{r['best']:.2f} +{r['hi'] - r['best']:.2f} -{r['best'] - r['lo']:.2f} | "
              f"{100 * (r['best'] / PRL133_FLUX[0] - 1):+.0f} % | {r['signal']:.2f} | {r['sigma']:.2f} |")
        if name == B8_SPECTRA[0]:
            default = r
    print()
    print(f"SR0+SR1 ({B8_SPECTRA[0]}): by flavour " + ", ".join(f"{k} {v:.2f}" for k, v in default["by_flavour"].items())
          + f"; background {default['bkg']:.2f}; observed {default['observed']:.0f}")
    r = row("xenonnt-sr0-sr2", "xenonnt2026")
    print(f"SR0-SR2: SM {r['sm']:.2f} (" + ", ".join(f"{k} {v:.2f}" for k, v in r["by_flavour"].items())
          + f"), background {r['bkg']:.2f}, observed {r['observed']:.0f}; flux {r['best']:.2f} "
          f"+{r['hi'] - r['best']:.2f} -{r['best'] - r['lo']:.2f}, {r['signal']:.2f} signal events, "
          f"{r['sigma']:.2f} sigma")


if __name__ == "__main__":
    main()
