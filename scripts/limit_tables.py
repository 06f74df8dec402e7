"""Limit tables of the eleven models of seed 002 (ten vector models and the scalar) for Ar,
CsI and combined, with the atzori2022 recipe, at 2 sigma (95.45 % CL, 1 dof).

    CEVNS_DATA_DIR=../shared/data/coherent python scripts/limit_tables.py [--json FILE] [--markdown FILE]

For each model and dataset: the bound on g at M = 0.01 MeV (mass far below |q|) and on
g/M [GeV^-1] at M = 100 GeV (far above), each the smallest excluded coupling going up from
zero (cevns.api.limits). Table 2 of seed 002 holds the published counterparts. A second
table gives the upper boundary of the allowed region containing g -> 0 with thin excluded
cancellation strips bridged (docs/limits.md, "Two limit definitions"); "-" where it reaches
the top of the scanned couplings.
"""

from __future__ import annotations

import argparse
import json
import time

from cevns import api

MODELS = ["universal", "b-l", "b-3le", "b-3lmu", "b-2le-lmu", "b-le-2lmu", "by+lmu+ltau",
          "le-lmu", "le-ltau", "lmu-ltau", "scalar"]
DATASETS = {"Ar": ["lar-2020"], "CsI": ["csi-2021"], "CsI+Ar": ["csi-2021", "lar-2020"]}


def run(models=MODELS, recipe: str = "atzori2022", cl: str = "2sigma", time_normalisation: str | None = None) -> dict:
    """Limits of ``models`` for the three dataset choices; ``time_normalisation`` overrides
    the recipe's (``window`` or ``physical``, docs/limits.md "Time normalisation")."""
    from cevns.recipes import get_recipe

    rec = get_recipe(recipe)
    if time_normalisation is not None:
        rec = rec.with_options(time_normalisation=time_normalisation)
    out = {"recipe": recipe, "time_normalisation": rec.time_normalisation, "cl": cl, "dof": 1, "models": {}}
    t0 = time.perf_counter()
    for m in models:
        out["models"][m] = {}
        for label, exps in DATASETS.items():
            r = api.limits(m, exps, rec, cl, 1)
            out["models"][m][label] = {
                "g_low_mass": r["low_mass"]["g"],
                "g_over_m_high_mass_per_gev": r["high_mass"]["g_over_m_per_gev"],
                "upper_boundary_g_low_mass": r["low_mass"]["upper_boundary_g"],
                "upper_boundary_g_over_m_high_mass_per_gev": r["high_mass"]["upper_boundary_g_over_m_per_gev"],
            }
    out["seconds"] = time.perf_counter() - t0
    return out


def _fmt(v: float | None) -> str:
    return "-" if v is None else f"{v:.2e}"


def _table(res: dict, low_key: str, high_key: str) -> list[str]:
    lines = [
        "| model | g (M << q): Ar | CsI | CsI+Ar | g/M [GeV^-1] (M >> q): Ar | CsI | CsI+Ar |",
        "|---|---|---|---|---|---|---|",
    ]
    for m, d in res["models"].items():
        lo = " | ".join(_fmt(d[k][low_key]) for k in DATASETS)
        hi = " | ".join(_fmt(d[k][high_key]) for k in DATASETS)
        lines.append(f"| {m} | {lo} | {hi} |")
    return lines


def markdown(res: dict) -> str:
    """The first-excluded table, then the upper-boundary table (thin strips bridged)."""
    lines = _table(res, "g_low_mass", "g_over_m_high_mass_per_gev")
    lines += ["", "Upper boundary of the allowed region containing g -> 0 (thin excluded strips bridged):", ""]
    lines += _table(res, "upper_boundary_g_low_mass", "upper_boundary_g_over_m_high_mass_per_gev")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", default=None)
    ap.add_argument("--markdown", default=None)
    ap.add_argument("--time-normalisation", choices=["window", "physical"], default=None,
                    help="override the recipe's arrival-time normalisation")
    a = ap.parse_args()
    res = run(time_normalisation=a.time_normalisation)
    md = markdown(res)
    print(md)
    print(f"\n{len(MODELS)} models x {len(DATASETS)} datasets in {res['seconds']:.1f} s")
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(res, fh, indent=2)
    if a.markdown:
        with open(a.markdown, "w") as fh:
            fh.write(md + "\n")


if __name__ == "__main__":
    main()
