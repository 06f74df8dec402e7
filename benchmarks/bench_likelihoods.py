"""Per-point cost of the recipe likelihoods (issue #10).

1. Building: ``build_likelihood("csi-2021", deromeri2023)`` (243 branches of the non-linear
   CsI 2021 nuisances of seed 004 eqs. 36-38) against ``atzori2022`` (one branch).
2. Evaluating: per-point cost of ``atzori2022`` and ``deromeri2023`` for the NSI model
   (``deromeri2023`` with its template morphs, and node by node: ``nonlinear_nuisances = "grid"``),
   batched over 1,000 and 3,721 (= 61 x 61) random points, for the CsI 2021 likelihood
   alone and for the combined CsI 2021 + LAr 2020 analysis.
3. The 61 x 61 NSI ``scan2d`` of docs/likelihoods.md (eps_ee_u x eps_mumu_u in [-0.2, 0.6]).

    CEVNS_DATA_DIR=../shared/data/coherent python benchmarks/bench_likelihoods.py [--quick]

Timings are wall clock (best of ``--repeat``) on whatever the machine is doing; compare
numbers taken in the same session.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from cevns.inference import make_analysis
from cevns.likelihood import build_likelihood
from cevns.recipes import get_recipe

RECIPES = ("atzori2022", "deromeri2023")
#: deromeri2023 with its non-linear nuisances profiled node by node (the method before the
#: template morphs of issue #10), for before/after comparisons
GRID = "deromeri2023-grid"


def recipe_of(name: str):
    """The recipe behind a benchmark label (``deromeri2023-grid``: nonlinear_nuisances = "grid")."""
    if name == GRID:
        return get_recipe("deromeri2023").with_options(nonlinear_nuisances="grid")
    return get_recipe(name)


def nsi_points(n: int, seed: int = 1) -> dict[str, np.ndarray]:
    """``n`` random flavour-preserving NSI points (eps_ee_u, eps_mumu_u in [-0.2, 0.6])."""
    rng = np.random.default_rng(seed)
    return {"eps_ee_u": rng.uniform(-0.2, 0.6, n), "eps_mumu_u": rng.uniform(-0.2, 0.6, n)}


def best_of(fn, repeat: int) -> float:
    """Smallest wall time [s] of ``repeat`` calls of ``fn``."""
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return min(out)


def bench_build(repeat: int) -> dict[str, float]:
    """Seconds to build the CsI 2021 likelihood of each recipe."""
    return {r: best_of(lambda r=r: build_likelihood("csi-2021", recipe_of(r)), repeat) for r in RECIPES}


def bench_evaluate(sizes: tuple[int, ...], repeat: int) -> dict[tuple[str, str, int], float]:
    """Microseconds per model point: {(recipe, "csi-2021" | "csi-2021+lar-2020", P): us}."""
    out = {}
    for r in (*RECIPES, GRID):
        for exps in (["csi-2021"], ["csi-2021", "lar-2020"]):
            an = make_analysis(exps, recipe_of(r), "nsi")
            an.evaluate(nsi_points(4))  # warm-up
            for n in sizes:
                pts = nsi_points(n)
                out[(r, "+".join(exps), n)] = 1e6 * best_of(lambda an=an, pts=pts: an.evaluate(pts), repeat) / n
    return out


def bench_scan2d(recipe: str = "deromeri2023") -> float:
    """Seconds of the 61 x 61 NSI scan2d of docs/likelihoods.md (analysis built outside the timing)."""
    from cevns import api

    grid = np.linspace(-0.2, 0.6, 61)
    rec = recipe_of(recipe)
    api.scan2d(["csi-2021", "lar-2020"], "eps_ee_u", grid[:3], "eps_mumu_u", grid[:3], rec, "nsi")  # warm-up
    t0 = time.perf_counter()
    api.scan2d(["csi-2021", "lar-2020"], "eps_ee_u", grid, "eps_mumu_u", grid, rec, "nsi")
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="1,000 points only, no scan2d")
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    for r, s in bench_build(args.repeat).items():
        print(f"build_likelihood csi-2021 {r}: {s:.2f} s")
    sizes = (1000,) if args.quick else (1000, 3721)
    res = bench_evaluate(sizes, args.repeat)
    for exps in ("csi-2021", "csi-2021+lar-2020"):
        for n in sizes:
            a, d, g = (res[(r, exps, n)] for r in ("atzori2022", "deromeri2023", GRID))
            print(f"{exps}, {n} NSI points: atzori2022 {a:.0f} us/point, deromeri2023 {d:.0f} us/point "
                  f"(ratio {d / a:.1f}; node by node {g:.0f} us/point, ratio {g / a:.1f})")
    if not args.quick:
        for r in (*RECIPES, GRID):
            print(f"scan2d 61 x 61 NSI (csi-2021 + lar-2020) {r}: {bench_scan2d(r):.1f} s")


if __name__ == "__main__":
    main()
