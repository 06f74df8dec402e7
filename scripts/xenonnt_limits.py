"""Light-mediator limits and an NSI interval from XENONnT SR0+SR1, COHERENT (CsI 2021 + LAr
2020) and both combined (issue #14), as the markdown tables of docs/xenonnt.md, and the
exclusion plot docs/img/limits_xenonnt_coherent.png (``cevns plot-limits``).

    CEVNS_DATA_DIR=../shared/data/coherent:../shared/data python scripts/xenonnt_limits.py

Recipe ``atzori2022`` for every dataset (its XENONnT part uses the XENONnT likelihood
defaults, which are the ``xenonnt2024`` recipe's; the script checks that XENONnT alone gives
the same limit under both). 2 sigma (1 dof). Run time: about 10 minutes on a shared 2-core machine
(the plot alone, the `cevns plot-limits` command below, 30 s).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from cevns import api
from cevns.cli import main as main_cli

ROOT = Path(__file__).resolve().parents[1]
MODELS = ("universal", "b-l")
DATASETS = {"XENONnT SR0+SR1": ["xenonnt-sr0-sr1"], "COHERENT (CsI+Ar)": ["csi-2021", "lar-2020"],
            "combined": ["csi-2021", "lar-2020", "xenonnt-sr0-sr1"]}
NSI_GRID = np.linspace(-1.0, 1.0, 201)


def _intervals(prof) -> str:
    parts = [f"[{lo:+.3f}, {hi:+.3f}]" for lo, hi in prof.intervals["2sigma"]]
    return " and ".join(parts)


def main() -> None:
    t0 = time.perf_counter()
    print("| model | dataset | g (M = 0.01 MeV) | g/M [GeV^-1] (M = 100 GeV) |")
    print("|---|---|---|---|")
    for m in MODELS:
        for label, exps in DATASETS.items():
            r = api.limits(m, exps, "atzori2022", "2sigma", 1)
            print(f"| `{m}` | {label} | {r.low_mass_g:.2e} | {r.high_mass_g_over_m_per_gev:.2e} |")
            if exps == ["xenonnt-sr0-sr1"]:
                own = api.limits(m, exps, "xenonnt2024", "2sigma", 1, masses=np.array([0.1, 1e4]),
                                 couplings=np.geomspace(1e-7, 1.0, 20))
                assert abs(own.low_mass_g / r.low_mass_g - 1) < 1e-3, (own.low_mass_g, r.low_mass_g)
    print()
    print("| NSI parameter | dataset | best fit | 2 sigma allowed (1 dof) |")
    print("|---|---|---|---|")
    for label, exps in DATASETS.items():
        prof = api.profile(exps, "eps_ee_u", NSI_GRID, recipe="atzori2022", model="nsi", cls=("2sigma",))
        print(f"| `eps_ee_u` | {label} | {prof.best:+.3f} | {_intervals(prof)} |")
    out = ROOT / "docs" / "img" / "limits_xenonnt_coherent.png"
    args = ["plot-limits", "-m", "universal", "-r", "atzori2022", "-e", "xenonnt-sr0-sr1",
            "-e", "csi-2021,lar-2020", "-e", "csi-2021,lar-2020,xenonnt-sr0-sr1", "--masses", "0.1:10000:40",
            "--out", str(out)]
    main_cli(args, standalone_mode=False)
    print(f"\n{out.relative_to(ROOT)} written; {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
