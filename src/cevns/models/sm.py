"""Standard-Model-level parameters: CEvNS normalisation, weak mixing angle, neutron radii.

Q_f(T) = g_V^p(f) Z F_p(T) + g_V^n N F_n(T; R_n)  (seed 002 eq. 11), with
* ``sin2_theta_w`` (default: the grid's reference value): g_V^p = 1/2 - 2 sin^2 (seed 004
  eq. 2) for a tree-level SM reference, the radiative values of seed 002 eq. (12) shifted
  by -2 (sin^2 - 0.23857) otherwise;
* ``rn_cs``, ``rn_i``, ``rn_ar``: neutron rms radii [fm] of Cs-133, I-127, Ar-40 (the
  proton radii stay fixed, seed 004 sec. 4.1); ``rn_csi`` sets Cs and I together
  (the single R_n(CsI) of seed 004 eq. 42).
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from ..prediction import TargetGrid
from .base import Model, Parameter, Terms, couplings_for, form_factors_for

RADIUS_PARAMS = {"rn_cs": ("Cs133",), "rn_i": ("I127",), "rn_ar": ("Ar40", "Ar38", "Ar36"), "rn_csi": ("Cs133", "I127")}


class StandardModel(Model):
    """The ``sm`` model (default of every command)."""

    def __init__(self) -> None:
        super().__init__(
            name="sm",
            description="Standard Model with free normalisation, weak mixing angle and neutron rms radii",
            source="seed 002 eqs. (10)-(14); seed 004 eqs. (1)-(3), sec. 4.1",
            parameters={
                "sin2_theta_w": Parameter("sin2_theta_w", 0.23857, "", "weak mixing angle at low q^2",
                                          "seed 004 eq. (2), PDG 2022", (0.0, 1.0)),
                "rn_cs": Parameter("rn_cs", float("nan"), "fm", "neutron rms radius of Cs-133", "seed 004 sec. 4.1",
                                   (2.5, 9.0)),
                "rn_i": Parameter("rn_i", float("nan"), "fm", "neutron rms radius of I-127", "seed 004 sec. 4.1", (2.5, 9.0)),
                "rn_ar": Parameter("rn_ar", float("nan"), "fm", "neutron rms radius of Ar-40", "seed 004 sec. 4.1",
                                   (1.8, 7.0)),
                "rn_csi": Parameter("rn_csi", float("nan"), "fm", "common neutron rms radius of Cs and I",
                                    "seed 004 eq. (42)", (2.5, 9.0)),
            },
        )

    def default(self, name: str, grid: TargetGrid) -> float:
        """sin^2 theta_W: the grid's SM reference; radii: nan, "not fitted" (the grid's own form factors)."""
        if name == "sin2_theta_w":
            return grid.sm.sin2_theta_w
        return super().default(name, grid)

    def terms_unnormalised(self, grid: TargetGrid, v) -> Terms:
        sin2_varied = not np.all(v["sin2_theta_w"] == grid.sm.sin2_theta_w)
        cpl = couplings_for(grid, v["sin2_theta_w"] if sin2_varied else None)
        out: Terms = {}
        for ik in grid.isotopes:
            name = ik.isotope.name
            rn = None
            for pname, isos in RADIUS_PARAMS.items():
                if name in isos and not np.all(np.isnan(v[pname])):
                    rn = v[pname]
            if rn is not None and np.any(np.isnan(rn)):
                raise ParameterError("neutron radius must be given for every point of the batch")
            if rn is None:
                fp, fn = ik.f_proton, ik.f_neutron
            else:
                fp, fn = form_factors_for(ik.isotope, ik.t_nr_mev, grid.sm.form_factor, rn)
            for f in grid.flavours:
                gp, gn = cpl[f]
                q = gp * ik.isotope.z * fp + gn * ik.isotope.n * fn
                q = np.broadcast_to(q, (v["cevns_norm"].size, ik.t_nr_mev.size))
                out[("vector", name, f)] = q * q
        return out
