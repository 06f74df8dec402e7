"""Figures and numbers of docs/projections.md (issue #13).

    python scripts/projection_figures.py      # writes docs/img/projection_*.png, prints the tables
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from cevns.inference.analysis import Analysis  # noqa: E402
from cevns.likelihood import build_likelihood  # noqa: E402
from cevns.models import get_model  # noqa: E402
from cevns.projections import detector_presets  # noqa: E402
from cevns.projections.plotting import plot_projection  # noqa: E402
from cevns.projections.sensitivity import project  # noqa: E402
from cevns.recipes import get_recipe  # noqa: E402

IMG = Path(__file__).resolve().parents[1] / "docs" / "img"
MASSES = np.geomspace(1.0, 3000.0, 16)


def counts_table() -> None:
    print("| detector | facility | POT | SM CEvNS | backgrounds |")
    print("|---|---|---|---|---|")
    for name in detector_presets():
        r = project(name, recipe="atzori2022")
        bk = ", ".join(f"{k} {v:.0f}" for k, v in r["backgrounds"].items()) or "none"
        print(f"| {name} | {r['facility']['name']} | {r['pot']:.3g} | {r['cevns_total']:.1f} | {bk} |")


def fig7_ccm() -> None:
    r = project("ccm", "lmu-ltau", "banerjee2021", masses_mev=MASSES, discovery=False)
    plot_projection(r, str(IMG / "projection_ccm_lmu_ltau.png"))
    print("CCM lmu-ltau expected 2sigma:", [(round(m, 1), f"{g:.3g}") for m, g in zip(MASSES, r["expected_limit_g"], strict=True)])


def cryo_csi() -> None:
    r1 = project("coh-cryo-csi-1", "lmu-ltau", "atzori2022", masses_mev=MASSES, discovery=False)
    r2 = project("coh-cryo-csi-2", "lmu-ltau", "atzori2022", masses_mev=MASSES, discovery=False)
    plot_projection(r2, str(IMG / "projection_cryo_csi.png"),
                    {"coh-cryo-csi-1 expected (2sigma)": (MASSES, r1["expected_limit_g"])})
    for r in (r1, r2):
        print(r["detector"], "lmu-ltau expected 2sigma:",
              [(round(m, 1), f"{g:.3g}") for m, g in zip(MASSES, r["expected_limit_g"], strict=True)])


def fig5_total_counts() -> None:
    rec = get_recipe("banerjee2021").with_options(likelihood="banerjee2021-counts", nuisance_priors=())
    an = Analysis(get_model("lmu-ltau"), rec, [build_likelihood(e, rec) for e in ("csi-2021", "lar-2020")])
    g = np.geomspace(1e-5, 3e-2, 400)
    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    for m in (20.0, 100.0, 200.0):
        chi2, _ = an.evaluate({"m_med_mev": np.full_like(g, m), "g": g})
        sm = an.chi2_scalar({"m_med_mev": m, "g": 0.0})
        i = int(np.argmin(chi2))
        local = g < 3e-3
        j = int(np.argmin(np.where(local, chi2, np.inf)))
        print(f"Fig. 5, M = {m:g} MeV: chi2_SM - chi2_min = {sm - chi2[i]:.3f}, global min at g = {g[i]:.3g}, "
              f"minimum below 3e-3 at g = {g[j]:.3g}")
        ax.plot(g, chi2 - chi2.min(), label=f"$M_{{Z'}}$ = {m:g} MeV")
    ax.set_xscale("log")
    ax.set_ylim(0, 10)
    ax.set_xlabel("$g_x$")
    ax.set_ylabel(r"$\Delta\chi^2$ (seed 000 eqs. 6-9)")
    ax.set_title("CsI(2020) + CENNS10 total counts, $L_\\mu - L_\\tau$, r = 1")
    ax.legend()
    fig.tight_layout()
    fig.savefig(IMG / "banerjee2021_fig5_total_counts.png", dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    counts_table()
    fig7_ccm()
    cryo_csi()
    fig5_total_counts()
