"""Exclusion-scan timings (issue #4).

1. One model (universal), combined CsI 2021 + LAr 2020, atzori2022 recipe: 100 x 100 and
   200 x 200 (mass, coupling) grids with every nuisance profiled (4 Poisson + 9 Gaussian
   nuisances per point), then the refinement of the boundary and strips
   (``column_crossings``; its cost should grow no faster than the grid, issue #10).
2. End to end: the limit table of eleven models x three dataset choices
   (scripts/limit_tables.py: 60 x 80 grid, refinement and low/high-mass limits each).

    CEVNS_DATA_DIR=../shared/data/coherent python benchmarks/bench_scan.py [--skip-table]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from cevns.inference import make_analysis
from cevns.inference.scan import column_crossings, scan_grid
from cevns.stats import delta_chi2_threshold


def bench_grid(model: str = "universal", n: int = 100) -> dict:
    """Scan and refinement times [s] of an n x n grid (0.1 MeV - 10 GeV, g = 1e-7 - 1, log-spaced)."""
    an = make_analysis(["csi-2021", "lar-2020"], "atzori2022", model)
    masses, couplings = np.geomspace(0.1, 1e4, n), np.geomspace(1e-7, 1.0, n)
    scan_grid(an, masses[:5], couplings[:5])  # warm-up (imports, caches)
    t0 = time.perf_counter()
    res = scan_grid(an, masses, couplings)
    t_grid = time.perf_counter() - t0
    t0 = time.perf_counter()
    column_crossings(an, res, delta_chi2_threshold("2sigma", 1))
    t_refine = time.perf_counter() - t0
    return {"model": model, "grid": f"{n}x{n}", "scan_s": t_grid, "refine_s": t_refine}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skip-table", action="store_true")
    args = ap.parse_args()
    for n in (100, 200):
        r = bench_grid(n=n)
        print(f"{r['model']}, CsI 2021 + LAr 2020, {r['grid']} grid, all nuisances profiled: "
              f"scan {r['scan_s']:.2f} s, boundary/strip refinement {r['refine_s']:.2f} s")
    if not args.skip_table:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
        from limit_tables import DATASETS, MODELS, run

        res = run()
        print(f"limit table, {len(MODELS)} models x {len(DATASETS)} datasets end to end: {res['seconds']:.1f} s")


if __name__ == "__main__":
    main()
