"""Write the CsI 2021 and LAr 2020 releases as detector files (issue #13 closure test).

The detector description (mass, baseline, POT, response coefficients, efficiency table,
binning) is copied from the release presets and files once, here; the backgrounds are the
release's templates (atzori2022 recipe) written as per-bin tables. The files are then
read without any release file: ``cevns project --detector closure-csi-2021``.

    python scripts/make_closure_detectors.py   # rewrites src/cevns/detectors_data/closure-*.toml
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cevns import data as data_mod
from cevns.experiments import build_experiment, csi2021, lar2020
from cevns.recipes import get_recipe
from cevns.sources import SOURCES

OUT = Path(__file__).resolve().parents[1] / "src" / "cevns" / "detectors_data"



def source_table(src) -> str:
    """The ``[source]`` table of a release's stopped-pion source (SNS, its exposure and pulse)."""
    return (f'[source]\nfacility = "sns"\nbaseline_m = {src.baseline_m}\npot = {src.pot:.6g}\n'
            f"nu_per_flavor_per_pot = {src.nu_per_flavor_per_pot}\npulse_mean_us = {src.pulse.mean_us}\n"
            f"pulse_sigma_us = {src.pulse.sigma_us}\n")

def fmt(a) -> str:
    return "[" + ", ".join(f"{float(x):.6g}" for x in np.ravel(a)) + "]"


def table(c) -> str:
    return "[" + ", ".join(fmt(r) for r in np.asarray(c)) + "]"


def backgrounds(setup, sigmas: dict[str, float]) -> str:
    out = []
    for k, comp in setup.backgrounds.items():
        out.append(f"\n[backgrounds.{k}]\nevents = {comp.counts.sum():.6g}\nsigma = {sigmas[k]}\n"
                   f"description = \"{comp.description} (release template, copied)\"\ncounts = {table(comp.counts)}\n")
    return "".join(out)


def csi() -> str:
    rec = get_recipe("atzori2022")
    setup = build_experiment("csi-2021", rec)
    eff = data_mod.load_coefficient_sets("csi-2021", "effCoefficients.txt")[0]
    scint = data_mod.load_coefficient_sets("csi-2021", "scintRespCoefficients.txt")[0]
    src = SOURCES["csi-2021"]
    return f'''# CsI 2021 (COHERENT, PRL 129 (2022) 081801) as a detector file: closure test of issue #13.
# Written by scripts/make_closure_detectors.py from the release presets and files.
name = "closure-csi-2021"
description = "CsI[Na] 2021 release described as a detector file (closure test)"
citation = "seed 004 sec. 3.1 (response), eqs. (30), (31), (33); release templates for the backgrounds"

{source_table(src)}
[target]
mass_kg = {csi2021.DETECTOR_MASS_KG}
composition = {{ Cs133 = 1, I127 = 1 }}

[response]
energy_unit = "PE"
light_yield_pe_per_kev = {csi2021.LIGHT_YIELD_PE_PER_KEV_EE}
quenching = {{ model = "polynomial-mev", coefficients = {fmt(scint)} }}
resolution = {{ model = "gamma-pe" }}
efficiency = {{ model = "logistic", a = {eff[0]}, b = {eff[1]}, c = {eff[2]}, d = {eff[3]} }}
time_efficiency = {{ model = "exponential-tail", t_start_us = 0.52, decay_per_us = 0.0494 }}
recoil_min_kev_nr = 0.5

[binning]
energy_edges = {fmt(csi2021.PE_EDGES)}
time_edges_us = {fmt(csi2021.TIME_EDGES_US)}

[signal]
sigma = 0.12   # seed 002 eq. (6)
''' + backgrounds(setup, {"ss": 0.021, "brn": 0.25, "nin": 0.35})


def lar() -> str:
    rec = get_recipe("atzori2022")
    setup = build_experiment("lar-2020", rec)
    eff = data_mod.load_table("lar-2020", "CENNS10AnlAEfficiency.txt", 3)
    src = SOURCES["lar-2020"]
    return f'''# LAr 2020 (COHERENT CENNS-10 Analysis A) as a detector file: closure test of issue #13.
# Written by scripts/make_closure_detectors.py from the release presets and files.
name = "closure-lar-2020"
description = "CENNS-10 LAr 2020 release described as a detector file (closure test)"
citation = "LArParametersAnlA.yaml, seed 004 sec. 3.2 (response); release templates for the backgrounds (F90 summed)"

{source_table(src)}
[target]
mass_kg = {lar2020.FIDUCIAL_MASS_KG}
composition = {{ Ar40 = 1 }}

[response]
energy_unit = "keVee"
quenching = {{ model = "linear", a = {lar2020.QF_A}, b_per_kev = {lar2020.QF_B_PER_KEV} }}
resolution = {{ model = "gaussian-sqrt", a = {lar2020.RESOLUTION_KEV_EE_SQRT} }}
efficiency = {{ model = "table", x = {fmt(eff[:, 0])}, efficiency = {fmt(eff[:, 2])} }}
recoil_min_kev_nr = 2.0

[binning]
energy_edges = {fmt(lar2020.ENERGY_EDGES_KEV_EE)}
time_edges_us = {fmt(lar2020.TIME_EDGES_US)}

[signal]
sigma = 0.13   # seed 002 eqs. (7)-(9)
''' + backgrounds(setup, {"ss": 0.0079, "brn_prompt": 0.32, "brn_delayed": 1.0})


if __name__ == "__main__":
    (OUT / "closure-csi-2021.toml").write_text(csi())
    (OUT / "closure-lar-2020.toml").write_text(lar())
    print("wrote", OUT / "closure-csi-2021.toml", OUT / "closure-lar-2020.toml")
