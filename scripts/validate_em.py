"""Electromagnetic-property fits of seed 004 sec. 4.5 (eqs. 46-49), combined CsI 2021 + LAr 2020.

    CEVNS_DATA_DIR=../shared/data/coherent python scripts/validate_em.py [--json]
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from cevns.inference import intervals, make_analysis
from cevns.recipes import get_recipe

# (model, parameter, electron scattering, CL, grid, published interval(s))
CASES = [
    ("magnetic-moment", "mu_nu_e", True, "90%", np.linspace(0, 1e-8, 201), [[0.0, 3.6e-9]]),
    ("magnetic-moment", "mu_nu_mu", True, "90%", np.linspace(0, 1e-8, 201), [[0.0, 2.4e-9]]),
    ("magnetic-moment", "mu_nu_e", False, "90%", np.linspace(0, 1e-8, 201), [[0.0, 3.8e-9]]),
    ("magnetic-moment", "mu_nu_mu", False, "90%", np.linspace(0, 1e-8, 201), [[0.0, 2.6e-9]]),
    ("charge-radius", "r2_nu_ee", False, "1sigma", np.linspace(-80e-32, 30e-32, 551),
     [[-61.2e-32, -48.2e-32], [-4.7e-32, 2.2e-32]]),
    ("charge-radius", "r2_nu_mumu", False, "1sigma", np.linspace(-80e-32, 30e-32, 551), [[-58.2e-32, -52.1e-32]]),
    ("millicharge", "q_nu_ee", False, "1sigma", np.linspace(-2e-7, 2e-7, 801), [[-6.9e-8, 5.6e-8]]),
    ("millicharge", "q_nu_mumu", False, "1sigma", np.linspace(-2e-7, 2e-7, 801), [[-3.3e-8, 2.5e-8]]),
    ("millicharge", "q_nu_ee", True, "1sigma", np.linspace(-1e-9, 1e-9, 801), [[-2.6e-10, 2.6e-10]]),
    ("millicharge", "q_nu_mumu", True, "1sigma", np.linspace(-1e-9, 1e-9, 801), [[-1.4e-10, 1.4e-10]]),
]


def ends_within(ours, published, rel=0.20) -> bool:
    """Same number of intervals; each end within ``rel`` of the published value
    (relative to the interval width for two-sided intervals, to the bound for upper limits)."""
    if len(ours) != len(published):
        return False
    for o, p in zip(ours, published, strict=True):
        width = p[1] - p[0]
        for k in (0, 1):
            if p[k] == 0.0 and o[k] == 0.0:
                continue
            scale = abs(p[k]) if p[0] == 0.0 else width
            if abs(o[k] - p[k]) > rel * scale:
                return False
    return True


def run() -> list[dict]:
    out = []
    cache = {}
    for model, par, es, cl, grid, pub in CASES:
        key = (model, es)
        if key not in cache:
            rec = get_recipe("deromeri2023").with_options(electron_scattering=es)
            cache[key] = make_analysis(["csi-2021", "lar-2020"], rec, model)
        p = cache[key].profile(par, grid)
        ours = intervals(p, [cl])[cl]
        out.append({"model": model, "param": par, "electron_scattering": es, "cl": cl, "ours": ours,
                    "published": pub, "within_20pct": ends_within(ours, pub)})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true")
    res = run()
    if ap.parse_args().json:
        print(json.dumps(res, indent=2))
        return
    for r in res:
        fmt = " U ".join(f"[{a:.3g}, {b:.3g}]" for a, b in r["ours"])
        pub = " U ".join(f"[{a:.3g}, {b:.3g}]" for a, b in r["published"])
        print(f"{r['param']:11s} ES={'on ' if r['electron_scattering'] else 'off'} {r['cl']:6s} ours {fmt:40s} "
              f"seed 004 {pub:40s} {'ok' if r['within_20pct'] else 'NOT within 20%'}")


if __name__ == "__main__":
    main()
