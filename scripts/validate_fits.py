"""Reproduce the Standard-Model-level fits of the seeds and compare with the published numbers.

Prints the table kept in docs/validation.md ("Fits"). Run:
    CEVNS_DATA_DIR=../shared/data/coherent python scripts/validate_fits.py [--json]
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from cevns import api
from cevns.experiments import build_experiment
from cevns.inference import intervals, make_analysis
from cevns.likelihood import lar_poisson_3d
from cevns.models import get_model
from cevns.recipes import get_recipe

#: seed 004 eqs. (43)-(45), 1 sigma, combined CsI + LAr
PUBLISHED_INTERVALS = {
    ("nsi", "eps_ee_d"): [[-0.027, 0.048], [0.30, 0.39]],
    ("nsi", "eps_ee_u"): [[-0.024, 0.045], [0.34, 0.43]],
    ("nsi", "eps_mumu_d"): [[-0.012, 0.016], [0.33, 0.37]],
    ("nsi", "eps_mumu_u"): [[-0.002, 0.001], [0.37, 0.41]],
    ("nsi", "eps_emu_d"): [[-0.071, 0.071]],
    ("nsi", "eps_emu_u"): [[-0.081, 0.081]],
    ("nsi", "eps_etau_d"): [[-0.12, 0.12]],
    ("nsi", "eps_etau_u"): [[-0.13, 0.13]],
    ("nsi", "eps_mutau_d"): [[-0.087, 0.087]],
    ("nsi", "eps_mutau_u"): [[-0.098, 0.098]],
    ("ngi", "c_v"): [[-0.003, 0.003], [0.18, 0.19]],
    ("ngi", "c_s"): [[-0.009, 0.009]],
    ("ngi", "c_t"): [[-0.19, 0.19]],
}
GRIDS = {"nsi": np.linspace(-0.3, 0.6, 901), "ngi": np.linspace(-0.45, 0.45, 1801)}


def interval_check(ours: list[list[float]], published: list[list[float]], rel: float = 0.20) -> bool:
    """Same number of intervals and every end within ``rel`` x (published interval width)."""
    if len(ours) != len(published):
        return False
    return all(abs(o[k] - p[k]) <= rel * (p[1] - p[0]) for o, p in zip(ours, published, strict=True) for k in (0, 1))


def lar_refit(recipe: str = "banerjee2021") -> dict:
    rec = get_recipe(recipe)
    lk = lar_poisson_3d(rec, build_experiment("lar-2020", rec), free_cevns=True)
    chi2, best = lk.profile(get_model("sm").terms(lk.cevns, rec, {}))
    return {k: float(v.sum()) for k, v in best["parts"].items()}


def run() -> dict:
    out: dict = {}
    out["lar_refit_banerjee2021"] = lar_refit("banerjee2021")
    out["lar_refit_atzori2022"] = lar_refit("atzori2022")
    out["csi_fit_atzori2022"] = api.fit(["csi-2021"], "atzori2022", "sm", ["cevns_norm"])["cevns_fitted"]["csi-2021"]
    an = make_analysis(["csi-2021", "lar-2020"], "deromeri2023", "sm")
    p = an.profile("sin2_theta_w", np.linspace(0.15, 0.35, 201))
    out["sin2_theta_w"] = {"best": p["best"], "1sigma": intervals(p, ["1sigma"])["1sigma"]}
    p = an.profile("rn_csi", np.linspace(4.0, 7.0, 301))
    out["rn_csi"] = {"best": p["best"], "1sigma": intervals(p, ["1sigma"])["1sigma"]}
    for model in ("nsi", "ngi"):
        an = make_analysis(["csi-2021", "lar-2020"], "deromeri2023", model)
        for (m, par), pub in PUBLISHED_INTERVALS.items():
            if m != model:
                continue
            p = an.profile(par, GRIDS[model])
            ours = intervals(p, ["1sigma"])["1sigma"]
            out[par] = {"best": p["best"], "1sigma": ours, "published": pub, "within_20pct": interval_check(ours, pub)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description="SM-level fit validation against seeds 000 and 004")
    ap.add_argument("--json", action="store_true")
    res = run()
    if ap.parse_args().json:
        print(json.dumps(res, indent=2))
        return
    for k, v in res.items():
        print(k, v)


if __name__ == "__main__":
    main()
