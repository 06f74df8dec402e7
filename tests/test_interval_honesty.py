"""Interval honesty (issue #11 item 5): the best fit comes from a minimiser and lies inside
its interval; intervals and contours reaching the grid edge are flagged and warned about."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

import cevns.api as api
from cevns.inference import GridEdgeWarning, intervals, touches_grid_edge


@pytest.mark.parametrize("exps, recipe, model, param, grid", [
    (["csi-2021", "lar-2020"], "deromeri2023", "sm", "sin2_theta_w", np.linspace(0.15, 0.35, 9)),
    (["csi-2021"], "atzori2022", "sm", "cevns_norm", np.linspace(0.5, 1.5, 6)),
    (["lar-2020"], "atzori2022", "sm", "sin2_theta_w", np.linspace(0.1, 0.4, 7)),
    (["csi-2021", "lar-2020"], "deromeri2023", "nsi", "eps_ee_u", np.linspace(-0.1, 0.5, 13)),
])
def test_best_fit_is_the_minimisers_and_inside_its_interval(data_root, exps, recipe, model, param, grid):
    """Coarse grids on purpose: the minimum lies between grid points."""
    res = api.profile(exps, param, grid, recipe, model, cls=["1sigma", "2sigma"])
    an = api._analysis(exps, recipe, model, None)
    # a minimum: chi2 there is at or below every grid point and below its close neighbours
    assert min(res["delta_chi2"]) >= 0
    assert an.chi2_scalar({param: res["best"]}) == pytest.approx(res["chi2_min"], abs=1e-9)
    h = 1e-4 * (grid[-1] - grid[0])
    for x in (res["best"] - h, res["best"] + h):
        assert an.chi2_scalar({param: x}) >= res["chi2_min"] - 1e-7
    for cl in ("1sigma", "2sigma"):
        assert any(lo <= res["best"] <= hi for lo, hi in res["intervals"][cl]), (cl, res["best"], res["intervals"])


def test_best_between_grid_points_inside_an_interval_narrower_than_the_grid():
    """A dip narrower than the grid spacing: the grid alone finds no interval; with the
    minimiser's best as a sample the interval contains it."""
    prof = {"values": np.array([0.0, 1.0, 2.0]), "delta_chi2": np.array([4.0, 2.0, 4.0]), "best": 1.3}
    found = intervals(prof, ["1sigma"])
    (lo, hi), = found["1sigma"]
    assert lo < 1.3 < hi


def test_edge_flags():
    prof = {"values": np.linspace(0.0, 1.0, 11), "delta_chi2": np.linspace(0.0, 1.0, 11) ** 2 * 4, "best": 0.0}
    found = intervals(prof, ["1sigma", "90%"])
    edges = touches_grid_edge(prof, found)
    assert edges["1sigma"] == [{"lower": True, "upper": False}]


def test_profile_touching_the_edge_warns_and_flags(data_root):
    with pytest.warns(GridEdgeWarning, match="lower end of the grid"):
        res = api.profile(["csi-2021"], "cevns_norm", np.linspace(0.9, 1.5, 7), cls=["1sigma"])
    d = res.to_dict()
    assert d["touches_grid_edge"] == {"1sigma": [{"lower": True, "upper": False}]}
    for key in ("values", "delta_chi2", "chi2_min", "best", "intervals", "dof", "param"):  # every old key kept
        assert key in d
    json.dumps(d)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a grid wide enough: no warning
        wide = api.profile(["csi-2021"], "cevns_norm", np.linspace(0.2, 2.0, 19), cls=["1sigma"])
    assert wide["touches_grid_edge"] == {"1sigma": [{"lower": False, "upper": False}]}


def test_scan2d_contour_touching_the_edge_is_flagged(data_root):
    xs, ys = np.linspace(0.8, 1.2, 5), np.linspace(0.2, 0.3, 3)
    with pytest.warns(GridEdgeWarning, match="grid edge"):
        res = api.scan2d(["csi-2021"], "cevns_norm", xs, "sin2_theta_w", ys, cls=["1sigma"])
    flags = res.to_dict()["contours"]["1sigma"]["touches_grid_edge"]
    assert set(flags) == {"x_lower", "x_upper", "y_lower", "y_upper"} and any(flags.values())
    # the best point is the minimiser's: at or below every grid value, inside the grid box
    assert np.min(res.delta_chi2) >= 0
    assert xs[0] <= res["best"]["cevns_norm"] <= xs[-1] and ys[0] <= res["best"]["sin2_theta_w"] <= ys[-1]


def test_cli_prints_one_warning_line(data_root):
    from click.testing import CliRunner

    from cevns import cli

    res = CliRunner().invoke(cli.main, ["profile", "-e", "csi-2021", "-p", "cevns_norm", "--range", "0.9:1.5:7", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["touches_grid_edge"]["1sigma"][0]["lower"] is True
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("cevns: warning: the 1sigma interval of cevns_norm reaches the lower end")
