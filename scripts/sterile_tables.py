"""Sterile-neutrino exclusions of seed 004 sec. 4.6 with the deromeri2023 recipe, CsI 2021 + LAr 2020.

* 3+1 oscillations: 90 % CL (2 dof) upper bound on sin^2(2 theta_24) and on sin^2(2 theta_14)
  versus Delta m^2_41 (the other angle zero);
* transition magnetic moment to nu_4: 90 % CL (2 dof) bound on mu_nu_mu and mu_nu_e versus m4,
  with and without nu-e scattering in CsI.

    CEVNS_DATA_DIR=../shared/data/coherent python scripts/sterile_tables.py [--plots DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from cevns import api
from cevns.inference import make_analysis
from cevns.recipes import get_recipe
from cevns.stats import delta_chi2_threshold

THR = delta_chi2_threshold("90%", 2)


def _bound_per_row(an, row_param, rows, col_param, cols):
    """Smallest excluded value of ``col_param`` (ascending) for each ``row_param`` value."""
    rr, cc = np.meshgrid(rows, cols, indexing="ij")
    chi2, _ = an.evaluate({row_param: rr.ravel(), col_param: cc.ravel()})
    chi2 = chi2.reshape(rr.shape)
    d = chi2 - chi2.min()
    out = []
    for i in range(len(rows)):
        idx = np.nonzero(d[i] > THR)[0]
        if idx.size == 0:
            out.append(np.nan)
            continue
        j = idx[0]
        if j == 0:
            out.append(cols[0])
            continue
        # log-linear interpolation of the crossing
        x0, x1, y0, y1 = np.log(cols[j - 1]), np.log(cols[j]), d[i, j - 1], d[i, j]
        out.append(float(np.exp(x0 + (THR - y0) * (x1 - x0) / (y1 - y0))))
    return np.array(out)


def oscillation_table():
    an = make_analysis(["csi-2021", "lar-2020"], "deromeri2023", "sterile-osc")
    dm2 = np.geomspace(0.1, 1000, 13)
    s22 = np.geomspace(1e-3, 1.0, 120)
    return dm2, {p: _bound_per_row(an, "dm2_41_ev2", dm2, p, s22) for p in ("sin2_2theta_24", "sin2_2theta_14")}


def tmm_table():
    m4 = np.array([0.01, 0.1, 0.5, 1, 2, 3, 5, 10, 20, 30, 40, 50, 60])
    mu = np.geomspace(1e-10, 1e-5, 150)
    out = {}
    for es in (False, True):
        rec = get_recipe("deromeri2023").with_options(electron_scattering=es)
        an = make_analysis(["csi-2021", "lar-2020"], rec, "tmm-sterile")
        for p in ("mu_nu_mu", "mu_nu_e"):
            out[(p, es)] = _bound_per_row(an, "m4_mev", m4, p, mu)
    return m4, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--plots", default=None, help="folder for the two exclusion plots")
    args = ap.parse_args()
    dm2, osc = oscillation_table()
    print("| Delta m^2_41 [eV^2] | sin^2 2theta_24 < | sin^2 2theta_14 < |\n|---|---|---|")
    for i, d in enumerate(dm2):
        a, b = osc["sin2_2theta_24"][i], osc["sin2_2theta_14"][i]
        print(f"| {d:.3g} | {a:.3g} | {b:.3g} |".replace("nan", "none"))
    m4, tmm = tmm_table()
    print("\n| m4 [MeV] | mu_nu_mu < (CEvNS) | mu_nu_mu < (CEvNS+ES) | mu_nu_e < (CEvNS) | mu_nu_e < (CEvNS+ES) |")
    print("|---|---|---|---|---|")
    for i, m in enumerate(m4):
        vals = [tmm[("mu_nu_mu", False)][i], tmm[("mu_nu_mu", True)][i], tmm[("mu_nu_e", False)][i], tmm[("mu_nu_e", True)][i]]
        print(f"| {m:g} | " + " | ".join(f"{v:.3g}" if np.isfinite(v) else "none (< 1e-5 allowed)" for v in vals) + " |")
    if args.plots:
        folder = Path(args.plots)
        folder.mkdir(parents=True, exist_ok=True)
        from cevns.results.plotting import plot_contours

        r = api.scan2d(["csi-2021", "lar-2020"], "sin2_2theta_24", np.geomspace(1e-3, 1, 40), "dm2_41_ev2",
                       np.geomspace(0.01, 1000, 50), "deromeri2023", "sterile-osc", ["90%"])
        plot_contours(r, str(folder / "sterile_osc_theta24.png"))
        r = api.scan2d(["csi-2021", "lar-2020"], "m4_mev", np.geomspace(0.01, 60, 50), "mu_nu_mu",
                       np.geomspace(1e-10, 1e-6, 50), "deromeri2023", "tmm-sterile", ["90%"], electron_scattering=True)
        plot_contours(r, str(folder / "tmm_sterile_mu.png"))


if __name__ == "__main__":
    main()
