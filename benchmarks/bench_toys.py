"""Toy fits per second per core (issue #12).

A *toy fit* is one pseudo-experiment generated (Poisson counts, nuisances drawn) and
fitted: its chi2 profiled over every recipe nuisance at each point of a G-point grid of
one parameter (sin2_theta_w, SM), minimum refined by a parabola. Also reported: profiled
evaluations (toy x grid point rows) per second, the unit the solvers work in. One
process, BLAS limited to one thread (as every executor runs it), so the numbers are per core.

Cases: CsI 2021 under atzori2022 (normalisation nuisances, Poisson chi2) and deromeri2023
(plus the non-linear alpha_4, alpha_6, alpha_7 as template morphs, seed 004 eqs. 36-38),
LAr 2020 under atzori2022/deromeri2023 (Gaussian chi2, normalisation and shape
nuisances, closed-form profile) and banerjee2021 (3D Poisson, 960 bins).

    CEVNS_DATA_DIR=../shared/data/coherent python benchmarks/bench_toys.py [--toys 500] [--grid 11]

Timings are wall clock (best of ``--repeat``) on whatever the machine is doing.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from cevns.inference.toys import AnalysisToys, run_toys
from cevns.stats import limited_blas_threads

CASES = [
    ("csi-2021", "atzori2022"),
    ("csi-2021", "deromeri2023"),
    ("lar-2020", "atzori2022"),
    ("lar-2020", "banerjee2021"),
]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--toys", type=int, default=500)
    ap.add_argument("--grid", type=int, default=11)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    grid = np.linspace(0.17, 0.31, args.grid)
    print(f"{'experiment':10s} {'recipe':13s} {'toy fits/s':>10s} {'rows/s':>9s}  (grid {args.grid}, {args.toys} toys)")
    for exp, rec in CASES:
        prob = AnalysisToys((exp,), rec, "sm", ("sin2_theta_w",), grid)
        with limited_blas_threads(1):
            run_toys(prob, [args.grid // 2], 50, seed=99)  # build, prepare the grid (not timed)
            best = np.inf
            for r in range(args.repeat):
                t0 = time.perf_counter()
                run_toys(prob, [args.grid // 2], args.toys, seed=r, chunk_size=args.toys)
                best = min(best, time.perf_counter() - t0)
        print(f"{exp:10s} {rec:13s} {args.toys / best:10.0f} {args.toys * args.grid / best:9.0f}", flush=True)


if __name__ == "__main__":
    main()
