"""Feldman-Cousins vs Wilks intervals and the Wilks coverage for docs/statistics.md (issue #12).

Runs (deromeri2023, CsI 2021 + LAr 2020, 2,000 toys per point, nuisances "drawn"):
FC belts of sin2_theta_w (sm) and eps_ee_u (nsi), and the coverage of the Wilks 68 %
interval of sin2_theta_w at the grid value nearest its best fit (0.235). Writes docs/data/fc_*.json, coverage JSON and
the plots under docs/img/. Run time: about 12 min on 2 cores (``--executor processes``,
2 workers; measured in the docs). Usage: python scripts/stats_fc_tables.py [--toys N]
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
    "sin2_theta_w": ("sm", np.linspace(0.16, 0.40, 17)),
    "eps_ee_u": ("nsi", np.linspace(-0.12, 0.52, 17)),
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
        (ROOT / "docs/data" / f"fc_{param}.json").write_text(json.dumps(d, indent=1))
        plot_belt(d, ROOT / "docs/img" / f"fc_{param}.png")
        best = np.argmin(d["delta_chi2"])
        plot_toy_histogram(d["toy_delta_chi2"][str(best)], 1, ROOT / "docs/img" / f"toys_{param}.png",
                           f"{param} = {grid[best]:.3g}: {args.toys} toys, deromeri2023")
        print(param, "FC", d["intervals"], "Wilks", d["wilks_intervals"], f"{timings[f'fc {param}']:.0f} s", flush=True)
    t0 = time.time()
    cov = api.coverage(exps, "sin2_theta_w", np.linspace(0.16, 0.40, 17), 0.2366, args.toys, "deromeri2023", "sm",
                       ["1sigma", "90%"], "wilks", seed=13, **run).to_dict()
    timings["coverage sin2_theta_w"] = time.time() - t0
    cov.pop("toy_delta_chi2")
    cov["timings_s"] = timings
    (ROOT / "docs/data/coverage_sin2_theta_w.json").write_text(json.dumps(cov, indent=1))
    print("coverage", cov["coverage"], timings, flush=True)


if __name__ == "__main__":
    main()
