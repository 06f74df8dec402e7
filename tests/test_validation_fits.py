"""Validation of the Standard-Model-level fits (issue #3) against seeds 000 and 004.

What is asserted here is what cevns reaches with the default conventions; the items it
does not reach (R_n ends, nu_mu diagonal NSI, vector/tensor NGI) are documented with their
numbers in docs/validation.md ("Fits"), not loosened here.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from cevns import api
from cevns.inference import intervals, make_analysis

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from validate_fits import GRIDS, PUBLISHED_INTERVALS, interval_check, lar_refit  # noqa: E402


def test_lar_refit_reproduces_seed000_table1_second_column(data_root):
    """banerjee2021: 3D Poisson refit, free CEvNS; seed 000 Table I (using L_Ar): 159, 3131, 555, 11."""
    fitted = lar_refit("banerjee2021")
    for comp, ref in (("cevns", 159.0), ("ss", 3131.0), ("brn_prompt", 555.0), ("brn_delayed", 11.0)):
        assert fitted[comp] == pytest.approx(ref, rel=0.05), comp


@pytest.mark.parametrize(("comp", "ref"), [("cevns", 159.0), ("ss", 3131.0), ("brn_prompt", 553.0)])
def test_lar_refit_reproduces_coherent_best_fit(data_root, comp, ref):
    """COHERENT's Analysis A best fit (LArParametersAnlA.yaml). The delayed BRN (fitted 10.8
    against 10 +- 11) is 8 % off and documented, not asserted."""
    assert lar_refit("banerjee2021")[comp] == pytest.approx(ref, rel=0.05)


def test_csi2021_fitted_cevns_within_7_percent_of_306(data_root):
    res = api.fit(["csi-2021"], "atzori2022", "sm", ["cevns_norm"])
    assert res["cevns_fitted"]["csi-2021"] == pytest.approx(306.0, rel=0.07)


@pytest.fixture(scope="module")
def combined_sm(data_root):
    return make_analysis(["csi-2021", "lar-2020"], "deromeri2023", "sm")


def test_weak_mixing_angle_seed004_eq41(combined_sm):
    """sin^2(theta_W) = 0.237 +- 0.029 (seed 004 eq. 41): best within 0.01, half-width within 20 %."""
    p = combined_sm.profile("sin2_theta_w", np.linspace(0.15, 0.35, 201))
    (lo, hi), = intervals(p, ["1sigma"])["1sigma"]
    assert p["best"] == pytest.approx(0.237, abs=0.01)
    assert 0.5 * (hi - lo) == pytest.approx(0.029, rel=0.20)


def test_neutron_radius_csi_overlaps_seed004_eq42(combined_sm):
    """R_n(CsI) in [5.22, 6.03] fm (seed 004 eq. 42). We reach [5.05, 5.87]: overlapping, but
    each end 0.16-0.17 fm low (tolerance 0.15 fm) -- documented in docs/validation.md."""
    p = combined_sm.profile("rn_csi", np.linspace(4.0, 7.0, 301))
    (lo, hi), = intervals(p, ["1sigma"])["1sigma"]
    assert lo < 6.03 and hi > 5.22
    assert 5.0 < lo < 5.2 and 5.8 < hi < 6.0  # pins the documented finding


@pytest.fixture(scope="module")
def combined_nsi(data_root):
    return make_analysis(["csi-2021", "lar-2020"], "deromeri2023", "nsi")


@pytest.mark.parametrize("param", ["eps_emu_d", "eps_emu_u", "eps_etau_d", "eps_etau_u", "eps_mutau_d", "eps_mutau_u"])
def test_flavour_changing_nsi_seed004_eq44(combined_nsi, param):
    p = combined_nsi.profile(param, GRIDS["nsi"])
    ours = intervals(p, ["1sigma"])["1sigma"]
    assert interval_check(ours, PUBLISHED_INTERVALS[("nsi", param)])


def test_scalar_ngi_seed004_eq45(data_root):
    an = make_analysis(["csi-2021", "lar-2020"], "deromeri2023", "ngi")
    p = an.profile("c_s", GRIDS["ngi"])
    assert interval_check(intervals(p, ["1sigma"])["1sigma"], PUBLISHED_INTERVALS[("ngi", "c_s")])


@pytest.mark.parametrize("param", ["eps_ee_d", "eps_ee_u"])
def test_electron_flavour_nsi_seed004_eq43(combined_nsi, param):
    """Seed 004 eq. (43), nu_e sector: both disjoint 1-sigma intervals, every end within 20 %
    of the published interval's width (reached once alpha_4, alpha_6, alpha_7 are profiled
    continuously; on the bare 5 x 5 x 5 grid the ends were up to 0.02 off)."""
    ours = intervals(combined_nsi.profile(param, GRIDS["nsi"]), ["1sigma"])["1sigma"]
    assert interval_check(ours, PUBLISHED_INTERVALS[("nsi", param)]), ours


@pytest.mark.parametrize("param", ["eps_ee_d", "eps_ee_u", "eps_mumu_d", "eps_mumu_u"])
def test_flavour_preserving_nsi_has_two_disjoint_intervals(combined_nsi, param):
    """Seed 004 eq. (43): two disjoint 1-sigma intervals, one around 0 and one around 0.3-0.4.
    For nu_mu the ends differ from the published ones by up to 0.02 (documented), so only
    the structure and the overlaps are asserted for all four."""
    ours = intervals(combined_nsi.profile(param, GRIDS["nsi"]), ["1sigma"])["1sigma"]
    pub = PUBLISHED_INTERVALS[("nsi", param)]
    assert len(ours) == 2
    for o, q in zip(ours, pub, strict=True):
        assert o[0] < q[1] + 0.02 and o[1] > q[0] - 0.02
