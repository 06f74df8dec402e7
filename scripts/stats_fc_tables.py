"""Feldman-Cousins vs Wilks intervals and the Wilks coverage for docs/statistics.md (issue #12).

Runs (deromeri2023, CsI 2021 + LAr 2020, 2,000 toys per point, nuisances "drawn"):
FC belts of sin2_theta_w (sm, 25 points) and eps_ee_u (nsi, 33 points), and the coverage
of the Wilks 68 % and 90 % intervals at the grid values nearest the best fits (and of
eps_ee_u at 0; of sin2_theta_w also with the nuisances "fixed"). Writes docs/results/fc_*.json,
docs/results/coverage.json and the plots under docs/img/. Run time: about 14 min on 2 cores
(``--executor processes``, 2 workers; the timings are written to coverage.json). Usage: python scripts/stats_fc_tables.py [--toys N]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

import cevns.api as api
from cevns.results.plotting_stats import plot_belt, plot_toy_histogram

ROOT = Path(__file__).resolve().parents[1]
RUNS = {
    "sin2_theta_w": ("sm", np.linspace(0.16, 0.40, 25)),
    "eps_ee_u": ("nsi", np.linspace(-0.12, 0.52, 33)),
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--toys", type=int, default=2000)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    exps = ["csi-2021", "lar-2020"]
    run = {"executor": "processes", "workers": args.workers, "nuisances": "drawn", "chunk_size": 250}
    timings = {}
    for param, (model, grid) in RUNS.items():
        t0 = time.time()
        res = api.fc(exps, [param], [grid], args.toys, "deromeri2023", model, ["1sigma", "90%"], seed=12, **run)
        timings[f"fc {param}"] = time.time() - t0
        d = res.to_dict()
        plot_belt(d, ROOT / "docs/img" / f"fc_{param}.png")
        best = np.argmin(d["delta_chi2"])
        plot_toy_histogram(d["toy_delta_chi2"][str(best)], 1, ROOT / "docs/img" / f"toys_{param}.png",
                           f"{param} = {grid[best]:.3g}: {args.toys} toys, deromeri2023")
        d.pop("toy_delta_chi2")  # 50,000 numbers: in the plots, not in the committed JSON
        (ROOT / "docs/results" / f"fc_{param}.json").write_text(json.dumps(d, indent=1))
        print(param, "FC", d["intervals"], "Wilks", d["wilks_intervals"], f"{timings[f'fc {param}']:.0f} s", flush=True)
    coverage = {}
    for label, param, mode, at in [("sin2_theta_w", "sin2_theta_w", "drawn", 0.2366),
                                   ("sin2_theta_w fixed nuisances", "sin2_theta_w", "fixed", 0.2366),
                                   ("eps_ee_u at 0", "eps_ee_u", "drawn", 0.0),
                                   ("eps_ee_u at 0.38", "eps_ee_u", "drawn", 0.38)]:
        model, grid = RUNS[param]
        t0 = time.time()
        cov = api.coverage(exps, param, grid, at, args.toys, "deromeri2023", model, ["1sigma", "90%"], "wilks",
                           seed=13, **{**run, "nuisances": mode}).to_dict()
        timings[f"coverage {label}"] = time.time() - t0
        cov.pop("toy_delta_chi2")
        coverage[label] = cov
        print("coverage", label, cov["true_value"], cov["coverage"], flush=True)
    (ROOT / "docs/results/coverage.json").write_text(json.dumps({"coverage": coverage, "timings_s": timings}, indent=1))
    print(timings)

if __name__ == "__main__":
    main()
