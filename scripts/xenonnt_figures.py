"""Figures of docs/xenonnt.md (issue #14): data vs best fit projected on the four observables
(docs/img/xenonnt_projections.png) and the 8B flux profile (docs/img/xenonnt_flux_profile.png),
XENONnT SR0+SR1 with recipe ``xenonnt2024`` and ``flux_8b`` free.

    CEVNS_DATA_DIR=../shared/data/coherent:../shared/data python scripts/xenonnt_figures.py

The release's 4D histogram has 3 bins per observable (``binning/sr*.yaml``; the edges
differ between runs), so each panel shows the three bins of one observable, summed over
the other three and over the runs. Run time: about 1 minute.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from cevns import api  # noqa: E402
from cevns.experiments.xenonnt import AXES, BINS_PER_AXIS  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
EXPERIMENT, RECIPE = "xenonnt-sr0-sr1", "xenonnt2024"
LABELS = {"cs2": "cS2", "s2_shadow_s2_time_shadow_quantile": "S2 shadow quantile",
          "s1_bdt_score": "S1 BDT score", "s2_bdt_score": "S2 BDT score"}
GROUPS = {"8B CEvNS": ("cevns",), "accidental coincidences": ("ac_",), "electronic recoils": ("er_",),
          "neutrons": ("rg_",)}


def projections(out: Path) -> None:
    an = api._analysis([EXPERIMENT], RECIPE, None, None).releasing(["flux_8b"])
    res = an.fit(["flux_8b"])
    best = res["details"][EXPERIMENT]
    parts = {k: np.asarray(v[0]) for k, v in best["parts"].items()}
    observed = an.likelihoods[0].observed
    shape = (-1,) + (BINS_PER_AXIS,) * len(AXES)  # (runs, 3, 3, 3, 3), C order as the experiment builds it

    def project(counts: np.ndarray, axis: int) -> np.ndarray:
        h = counts.reshape(shape).sum(axis=0)
        return h.sum(axis=tuple(a for a in range(len(AXES)) if a != axis))

    fig, axes = plt.subplots(1, 4, figsize=(14, 3.6), sharey=True)
    x = np.arange(BINS_PER_AXIS)
    for a, (name, ax) in enumerate(zip(AXES, axes, strict=True)):
        bottom = np.zeros(BINS_PER_AXIS)
        for label, prefixes in GROUPS.items():
            comp = sum((v for k, v in parts.items() if k.startswith(prefixes)), np.zeros_like(observed))
            y = project(comp, a)
            ax.bar(x, y, bottom=bottom, width=0.8, label=label, alpha=0.8)
            bottom += y
        n = project(observed, a)
        ax.errorbar(x, n, yerr=np.sqrt(n), fmt="ko", label="data (SR0+SR1)")
        ax.set_xticks(x, ["bin 1", "bin 2", "bin 3"])
        ax.set_xlabel(LABELS[name])
    axes[0].set_ylabel("events")
    axes[0].legend(fontsize=7, loc="upper left")
    flux = res["best_fit"]["flux_8b"]
    fig.suptitle(f"XENONnT SR0+SR1: data vs best fit (8B flux {flux:.2f} x 10^6 cm^-2 s^-1), projections of the 4D bins")
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)


def flux_profile(out: Path) -> None:
    prof = api.profile([EXPERIMENT], "flux_8b", np.linspace(0.0, 16.0, 65), recipe=RECIPE, cls=("1sigma", "2sigma"))
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(prof.param_values, prof.delta_chi2, "C0-", label="cevns (Winter et al. 8B spectrum)")
    (lo, hi), = prof.intervals["1sigma"]
    ax.axvspan(lo, hi, color="C0", alpha=0.15, label=f"cevns: {prof.best:.2f} +{hi - prof.best:.2f} -{prof.best - lo:.2f}")
    ax.errorbar([4.7], [0.2], xerr=[[2.3], [3.6]], fmt="ks", capsize=3, label="PRL 133: 4.7 +3.6 -2.3")
    ax.axhline(1.0, color="grey", lw=0.8, ls=":")
    ax.axhline(4.0, color="grey", lw=0.8, ls=":")
    ax.axvline(5.46, color="C2", lw=0.8, ls="--", label="B16-GS98 5.46")
    ax.set_xlabel("8B flux [10^6 cm^-2 s^-1]")
    ax.set_ylabel("Delta chi2")
    ax.set_ylim(0, 9)
    ax.legend(fontsize=8)
    ax.set_title("XENONnT SR0+SR1: 8B flux profile")
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)


def main() -> None:
    img = ROOT / "docs" / "img"
    projections(img / "xenonnt_projections.png")
    flux_profile(img / "xenonnt_flux_profile.png")
    print("written: docs/img/xenonnt_projections.png, docs/img/xenonnt_flux_profile.png")


if __name__ == "__main__":
    main()
