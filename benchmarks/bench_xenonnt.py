"""Cost of the XENONnT likelihood (issue #14).

1. Building the SR0-SR2 setup and likelihood from the release (6928 HDF5 templates read and
   verified; the response matrix folded once).
2. Per-point cost of the profiled chi2 for 1,000 flux_8b values (tly/tqy morphs and the
   background normalisations profiled jointly).
3. Per-point cost of an extra recoil spectrum (``prepare_with_recoil_signal`` +
   ``profile_observed``): 1,000 SI-WIMP cross sections at 6 GeV against the data and the
   Asimov data set at once (what ``scripts/xenonnt_dm_limit_check.py`` does per mass).

    CEVNS_DATA_DIR=../shared/data/coherent:../shared/data python benchmarks/bench_xenonnt.py

Wall clock, best of ``--repeat``; compare numbers taken in the same session.
"""

from __future__ import annotations

import argparse

import numpy as np

from bench_likelihoods import best_of  # sibling script (benchmarks/ is on sys.path when run)
from cevns.experiments import build_experiment
from cevns.inference import make_analysis
from cevns.physics.dark_matter import wimp_si_rate_per_t_yr_kev
from cevns.physics.nuclei import NATURAL_XENON_ABUNDANCE, isotope
from cevns.recipes import get_recipe


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--points", type=int, default=1000)
    args = ap.parse_args()
    recipe = get_recipe("xenonnt2026")
    t_build = best_of(lambda: build_experiment("xenonnt-sr0-sr2", recipe), 1)
    an = make_analysis(["xenonnt-sr0-sr2"], recipe, None, {}).releasing(["flux_8b"])
    lk = an.likelihoods[0]
    flux = np.linspace(0.0, 12.0, args.points)

    def flux_terms(cevns):
        return an.model.terms(cevns.grid, {"flux_8b": flux})

    t_flux = best_of(lambda: lk.profile(flux_terms), args.repeat)

    def sm_terms(cevns):
        return an.model.terms(cevns.grid, {})

    xenon = [(isotope(n), ab) for n, ab in NATURAL_XENON_ABUNDANCE.items()]
    rate = wimp_si_rate_per_t_yr_kev(lk.extra["recoil_kev"], 6.0, 1e-45, xenon)
    rates = np.outer(np.logspace(-3, 2, args.points), rate)
    observed = np.stack([lk.observed, sum(lk.nominal_components(sm_terms).values())[0]])

    def wimp():
        lk.profile_observed(lk.prepare_with_recoil_signal(sm_terms, rates), observed)

    t_wimp = best_of(wimp, args.repeat)
    print(f"build xenonnt-sr0-sr2 setup: {t_build:.2f} s")
    print(f"profiled chi2, {args.points} flux_8b points: {t_flux:.3f} s ({1e3 * t_flux / args.points:.3f} ms/point)")
    print(f"extra recoil signal, {args.points} cross sections x 2 data sets: {t_wimp:.3f} s "
          f"({1e3 * t_wimp / (2 * args.points):.3f} ms/row)")


if __name__ == "__main__":
    main()
