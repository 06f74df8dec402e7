"""Time 10,000 batched SM-like predictions per experiment (issue #2, DESIGN.md fast path).

Each parameter point p has its own weak charges Q_{iso,f}(T) = s_{p,f} * Q^SM_{iso,f}(T)
(a different random scale per point and flavour, so no work is shared between points),
and the full binned prediction (energy x time) is computed for all points in one call.

Run:  CEVNS_DATA_DIR=../shared/data/coherent python benchmarks/bench_predict.py [--points N] [--json]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from cevns.api import load_setup
from cevns.physics.couplings import sm_couplings
from cevns.recipes import get_recipe


def bench(experiment: str, n_points: int, repeats: int = 5, recipe: str = "atzori2022") -> dict:
    rec = get_recipe(recipe)
    t0 = time.perf_counter()
    setup = load_setup(experiment, recipe)
    t_build = time.perf_counter() - t0
    q_sm = setup.cevns.sm_weak_charges(sm_couplings(setup.cevns.flavours, rec.couplings, rec.sin2_theta_w))
    rng = np.random.default_rng(1)
    scales = {f: rng.uniform(0.5, 1.5, size=(n_points, 1)) for f in setup.cevns.flavours}
    charges = {(iso, f): scales[f] * q for (iso, f), q in q_sm.items()}
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        counts = setup.cevns.counts(charges)
        times.append(time.perf_counter() - t0)
    n_t = len(next(iter(q_sm.values())))
    return {
        "experiment": experiment,
        "points": n_points,
        "bins": list(counts.shape[1:]),
        "true_recoil_nodes": n_t,
        "isotopes": len(setup.cevns.isotopes),
        "setup_build_s": round(t_build, 4),
        "batched_prediction_s_best": round(min(times), 4),
        "batched_prediction_s_median": round(float(np.median(times)), 4),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=10_000)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    results = [bench(e, args.points) for e in ("csi-2017", "csi-2021", "lar-2020")]
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"{'experiment':10s} {'points':>7s} {'bins':>9s} {'nodes':>6s} {'build [s]':>10s} {'predict [s]':>12s}")
    for r in results:
        bins = "x".join(map(str, r["bins"]))
        print(f"{r['experiment']:10s} {r['points']:7d} {bins:>9s} {r['true_recoil_nodes']:6d} "
              f"{r['setup_build_s']:10.3f} {r['batched_prediction_s_best']:12.4f}")


if __name__ == "__main__":
    main()
