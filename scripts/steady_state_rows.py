"""CsI 2021 steady-state background: per-PE-row chi2 of the SM best fit, raw AC histogram vs
smooth template (issue #9), and a plot of the per-bin pulls.

    CEVNS_DATA_DIR=../shared/data/coherent python scripts/steady_state_rows.py [--plot docs/img/csi2021_ss_pulls.png]

For each recipe and SS model: the profiled SM chi2 (nuisances at their best values,
non-linear ones of deromeri2023 rebuilt at their continuous minimum), the background-only
chi2 (CEvNS set to zero, nuisances profiled), and the Baker-Cousins contributions summed
per PE row (rows 0-8, 8-12, ..., 50-60 PE).
"""

from __future__ import annotations

import argparse

import numpy as np

from cevns.experiments.csi2021 import PE_EDGES, TIME_EDGES_US
from cevns.likelihood import build_likelihood
from cevns.models import get_model
from cevns.recipes import get_recipe

SS_MODELS = ("histogram", "smooth")


def sm_fit(recipe_name: str, steady_state: str) -> dict:
    """SM best fit of the CsI 2021 likelihood: chi2, background-only chi2, per-bin BC terms and pulls."""
    rec = get_recipe(recipe_name).with_options(csi2021_steady_state=steady_state)
    lk = build_likelihood("csi-2021", rec)
    sm = get_model("sm")

    def terms(cevns):
        return sm.terms(cevns.grid, {})

    def zero(cevns):
        return {k: 0.0 * v for k, v in sm.terms(cevns.grid, {}).items()}

    chi2, best = lk.profile(terms)
    best = lk.profile_at_continuous(terms, best)
    chi2_bkg, _ = lk.profile(zero)
    mu = sum(v[0] for v in best["parts"].values())
    n = lk.observed
    bc = 2 * (mu - n + np.where(n > 0, n * np.log(np.where(n > 0, n, 1) / mu), 0.0))
    pulls = np.sign(n - mu) * np.sqrt(np.maximum(bc, 0.0))
    shape = (len(PE_EDGES) - 1, len(TIME_EDGES_US) - 1)
    return {"chi2": float(chi2[0]), "chi2_background_only": float(chi2_bkg[0]), "bins": int(n.size),
            "row_chi2": bc.reshape(shape).sum(axis=1), "pulls": pulls.reshape(shape)}


def plot(results: dict, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True, constrained_layout=True)
    for ax, ss in zip(axes, SS_MODELS, strict=True):
        r = results[("deromeri2023", ss)]
        im = ax.pcolormesh(TIME_EDGES_US, PE_EDGES, r["pulls"], cmap="RdBu_r", vmin=-3.5, vmax=3.5)
        ax.set_xscale("function", functions=(np.sqrt, np.square))
        ax.set_xticks([0, 0.25, 0.5, 1, 2, 4, 6])
        ax.set_xlabel(r"reconstructed time $t_\mathrm{rec}$ [$\mu$s]")
        ax.set_title(f"SS = {ss}: SM $\\chi^2$ = {r['chi2']:.1f} / {r['bins']} bins")
        for i, row in enumerate(r["row_chi2"]):
            ax.text(6.05, 0.5 * (PE_EDGES[i] + PE_EDGES[i + 1]), f"{row:.1f}", va="center", fontsize=8)
    axes[0].set_ylabel("PE")
    fig.colorbar(im, ax=axes, label="signed Baker-Cousins pull")
    fig.suptitle("COHERENT CsI 2021, recipe deromeri2023, SM best fit (row sums of $\\chi^2$ at right)")
    fig.savefig(path, dpi=120)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--plot", default=None)
    a = ap.parse_args()
    results = {(r, ss): sm_fit(r, ss) for r in ("deromeri2023", "atzori2022") for ss in SS_MODELS}
    print("| recipe | SS model | SM chi2 | background-only chi2 | bins | chi2 per PE row (0-8, 8-12, 12-16, 16-20, "
          "20-24, 24-32, 32-40, 40-50, 50-60) | max row / mean row |")
    print("|---|---|---|---|---|---|---|")
    for (rec, ss), r in results.items():
        rows = ", ".join(f"{x:.1f}" for x in r["row_chi2"])
        print(f"| {rec} | {ss} | {r['chi2']:.1f} | {r['chi2_background_only']:.1f} | {r['bins']} | {rows} | "
              f"{r['row_chi2'].max() / r['row_chi2'].mean():.2f} |")
    if a.plot:
        plot(results, a.plot)


if __name__ == "__main__":
    main()
