"""Typed result records of :mod:`cevns.results` (issue #10 item 4): ``to_dict()`` is the
JSON-ready dict the API returned before, records are frozen read-only mappings."""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping

import numpy as np
import pytest

import cevns.api as api
from cevns.results import (
    ContourSet,
    FitResult,
    LimitResult,
    Prediction,
    ProfileResult,
    Scan2DResult,
    ScanFileResult,
)
from cevns.sources import STOPPED_PION_FLAVOURS as FLAVOURS

PROV = {"cevns_version": "0", "recipe": "r", "data_files_sha256": {"a.txt": "00"}}


def _check_record(rec, expected: dict) -> None:
    """to_dict() equals ``expected``; Mapping access, immutability and JSON work."""
    d = rec.to_dict()
    assert type(d) is dict and d == expected
    assert json.dumps(d) == json.dumps(expected)  # same values, same key order
    assert d is not rec.to_dict()  # a fresh dict each call
    assert isinstance(rec, Mapping)
    assert list(rec) == list(expected) and len(rec) == len(expected)
    for k, v in expected.items():
        assert rec[k] == v and k in rec and rec.get(k) == v
    assert "no such key" not in rec and rec.get("no such key") is None
    with pytest.raises(KeyError):
        rec["no such key"]
    assert dict(rec) == expected and rec == expected
    field = dataclasses.fields(rec)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(rec, field, None)
    with pytest.raises(TypeError):
        rec["new"] = 1  # read-only mapping
    for f in dataclasses.fields(rec):
        v = getattr(rec, f.name)
        if isinstance(v, np.ndarray):
            assert not v.flags.writeable, f"{type(rec).__name__}.{f.name} must be read-only"


# ----------------------------------------------------------------------------- records built by hand (no data)


def test_prediction_record():
    cevns = np.array([[1.0, 2.0], [3.0, 4.5]])
    kw = dict(experiment="x", recipe="r", cevns_total=10.5, cevns_by_flavor={"nu_e": 1.0}, backgrounds={"brn": 2.0},
              observed_total=12.0, reference_cevns_total=11.0, reference_source="paper", energy_unit="PE",
              energy_edges=[0.0, 1.0, 2.0], time_edges_us=np.array([0.0, 6.0, 12.0]), cevns_bins=cevns,
              observed_bins=np.array([[1, 2], [3, 6]]), background_bins={"brn": np.ones((2, 2))}, provenance=PROV)
    expected = {
        "experiment": "x", "recipe": "r", "cevns_total": 10.5, "cevns_by_flavor": {"nu_e": 1.0},
        "backgrounds": {"brn": 2.0}, "observed_total": 12.0, "reference": {"cevns_total": 11.0, "source": "paper"},
        "bins": {"energy_unit": "PE", "energy_edges": [0.0, 1.0, 2.0], "time_edges_us": [0.0, 6.0, 12.0],
                 "cevns": [[1.0, 2.0], [3.0, 4.5]], "observed": [[1, 2], [3, 6]],
                 "backgrounds": {"brn": [[1.0, 1.0], [1.0, 1.0]]}},
        "provenance": PROV,
    }
    rec = Prediction(**kw)
    _check_record(rec, expected)
    cevns[0, 0] = 99.0  # the record holds a copy
    assert rec.cevns_bins[0, 0] == 1.0 and rec["bins"]["cevns"][0][0] == 1.0
    cevns[0, 0] = 1.0
    assert type(rec.to_dict()["bins"]["observed"][0][0]) is int  # dtype kept

    es = Prediction(**kw, es_total=0.5, es_bins=np.full((2, 2), 0.125))
    _check_record(es, {**expected, "es_total": 0.5, "bins_es": [[0.125, 0.125], [0.125, 0.125]]})
    b3 = {"axes": ["energy", "f90", "time"], "f90_edges": np.array([0.0, 1.0]), "cevns": np.zeros((1, 1, 1)),
          "observed": np.zeros((1, 1, 1)), "backgrounds": {"brn": np.ones((1, 1, 1))}}
    _check_record(Prediction(**kw, bins_3d=b3), {**expected, "bins_3d": {
        "axes": ["energy", "f90", "time"], "f90_edges": [0.0, 1.0], "cevns": [[[0.0]]], "observed": [[[0.0]]],
        "backgrounds": {"brn": [[[1.0]]]}}})


def test_fit_record():
    rec = FitResult(experiments=["a", "b"], recipe="r", model="sm", free=["cevns_norm"], fixed={"x": 1.0},
                    chi2_min=float("nan"), ndof=3, best_fit={"cevns_norm": 0.9}, errors_hesse={"cevns_norm": 0.1},
                    valid=False, nuisances={"a": {"eta": 0.1, "label": "b0"}, "b": {}},
                    components_fitted={"a": {"cevns": 5.0, "brn": 1.0}, "b": {"cevns": 7.0}}, provenance=PROV)
    expected = {"experiments": ["a", "b"], "recipe": "r", "model": "sm", "free": ["cevns_norm"], "fixed": {"x": 1.0},
                "chi2_min": float("nan"), "ndof": 3, "best_fit": {"cevns_norm": 0.9},
                "errors_hesse": {"cevns_norm": 0.1}, "valid": False,
                "nuisances": {"a": {"eta": 0.1, "label": "b0"}, "b": {}}, "cevns_fitted": {"a": 5.0, "b": 7.0},
                "components_fitted": {"a": {"cevns": 5.0, "brn": 1.0}, "b": {"cevns": 7.0}}, "provenance": PROV}
    d = rec.to_dict()
    assert math.isnan(d.pop("chi2_min")) and math.isnan(rec["chi2_min"])
    assert d == {k: v for k, v in expected.items() if k != "chi2_min"}
    assert json.dumps(rec.to_dict()).count("NaN") == 1  # NaN as json writes it, as before
    assert rec.experiments == ("a", "b") and rec.cevns_fitted == {"a": 5.0, "b": 7.0}
    with pytest.raises(dataclasses.FrozenInstanceError):
        rec.chi2_min = 1.0
    rec.to_dict()["best_fit"]["cevns_norm"] = 5.0  # mutating a to_dict() never reaches the record
    assert rec.best_fit == {"cevns_norm": 0.9} and rec["best_fit"] == {"cevns_norm": 0.9}
    finite = dataclasses.replace(rec, chi2_min=2.5)
    _check_record(finite, {**expected, "chi2_min": 2.5})


def test_profile_record():
    rec = ProfileResult(experiments=["a"], recipe="r", model="sm", param="p", param_values=np.array([0.0, 1.0, 2.0]),
                        delta_chi2=np.array([1.0, 0.0, np.inf]), chi2_min=3.0, best=1.0, dof=1,
                        intervals={"1sigma": [[0.0, 2.0]], "2sigma": []}, provenance=PROV)
    _check_record(rec, {"experiments": ["a"], "recipe": "r", "model": "sm", "param": "p", "values": [0.0, 1.0, 2.0],
                        "delta_chi2": [1.0, 0.0, math.inf], "chi2_min": 3.0, "best": 1.0, "dof": 1,
                        "intervals": {"1sigma": [[0.0, 2.0]], "2sigma": []}, "provenance": PROV})
    assert "Infinity" in json.dumps(rec.to_dict())


def test_scan2d_record():
    line = np.array([[0.0, 1.0], [0.5, 1.5]])
    rec = Scan2DResult(experiments=["a"], recipe="r", model="m", x_param="x", x_values=[0.0, 1.0], y_param="y",
                       y_values=[1.0, 2.0, 3.0], delta_chi2=np.arange(6.0).reshape(3, 2), chi2_min=1.5,
                       best={"x": 0.0, "y": 1.0}, dof=2,
                       contours={"90%": ContourSet(4.6, [line]), "1sigma": ContourSet(2.3, [])}, provenance=PROV)
    _check_record(rec, {"experiments": ["a"], "recipe": "r", "model": "m", "x": {"param": "x", "values": [0.0, 1.0]},
                        "y": {"param": "y", "values": [1.0, 2.0, 3.0]},
                        "delta_chi2": [[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]], "chi2_min": 1.5,
                        "best": {"x": 0.0, "y": 1.0}, "dof": 2,
                        "contours": {"90%": {"delta_chi2": 4.6, "lines": [[[0.0, 1.0], [0.5, 1.5]]]},
                                     "1sigma": {"delta_chi2": 2.3, "lines": []}}, "provenance": PROV})
    assert rec.contours["90%"].lines[0].shape == (2, 2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        rec.contours["90%"].delta_chi2 = 1.0


def test_limit_record():
    kw = dict(model="universal", experiments=["a"], recipe="r", cl="2sigma", dof=1, delta_chi2_threshold=4.0,
              chi2_min=1.0, chi2_sm=1.5, low_mass_mev=0.01, low_mass_g=2e-5, low_mass_upper_boundary_g=None,
              high_mass_mev=1e5, high_mass_g_over_m_per_gev=float("nan"), high_mass_upper_boundary_g_over_m_per_gev=3e-4,
              thin_strip_decades=0.15, limits_resolved=False, boundary=[[1.0, 1e-5], [10.0, 2e-5]],
              allowed_intervals=[{"mass_mev": 1.0, "allowed": [[1e-7, 1e-5]]}, {"mass_mev": 10.0, "allowed": []}],
              contours=[np.array([[1.0, 1e-5], [10.0, 2e-5]])], gm2_band=None, provenance=PROV)
    rec = LimitResult(**kw)
    d = rec.to_dict()
    assert math.isnan(d["high_mass"].pop("g_over_m_per_gev"))
    assert d == {"model": "universal", "experiments": ["a"], "recipe": "r", "cl": "2sigma", "dof": 1,
                 "delta_chi2_threshold": 4.0, "chi2_min": 1.0, "chi2_sm": 1.5,
                 "low_mass": {"mass_mev": 0.01, "g": 2e-5, "upper_boundary_g": None},
                 "high_mass": {"mass_mev": 1e5, "upper_boundary_g_over_m_per_gev": 3e-4},
                 "thin_strip_decades": 0.15, "limits_resolved": False, "boundary": [[1.0, 1e-5], [10.0, 2e-5]],
                 "allowed_intervals": kw["allowed_intervals"], "contours": [[[1.0, 1e-5], [10.0, 2e-5]]],
                 "gm2_band": None, "provenance": PROV}
    assert '"upper_boundary_g": null' in json.dumps(rec.to_dict())
    empty = LimitResult(**{**kw, "boundary": [], "high_mass_g_over_m_per_gev": 6e-4})
    assert empty.boundary.shape == (0, 2) and empty["boundary"] == []
    _check_record(empty, empty.to_dict())


def test_scan_file_record():
    rec = ScanFileResult(out="g.csv", sidecar="g.csv.json", model="m", experiments=["a"], recipe="r",
                         masses_mev_min=0.1, masses_mev_max=10.0, n_masses=3, couplings_min=1e-6, couplings_max=1.0,
                         n_couplings=4, chi2_min=1.0, chi2_sm=2.0, cl="2sigma", dof=1, delta_chi2_threshold=4.0,
                         columns=["mass_mev", "g"], fixed={}, provenance=PROV)
    meta = {"model": "m", "experiments": ["a"], "recipe": "r", "masses_mev": {"min": 0.1, "max": 10.0, "n": 3},
            "couplings": {"min": 1e-6, "max": 1.0, "n": 4}, "chi2_min": 1.0, "chi2_sm": 2.0, "cl": "2sigma", "dof": 1,
            "delta_chi2_threshold": 4.0, "columns": ["mass_mev", "g"], "fixed": {}, "provenance": PROV}
    assert rec.sidecar_dict() == meta
    _check_record(rec, {"out": "g.csv", "sidecar": "g.csv.json", **meta})


# ----------------------------------------------------------------------------- records from the API (data)


def test_api_predict_record(data_root):
    rec = api.predict("csi-2021")
    setup = api.load_setup("csi-2021", api.with_es(None, None))
    assert isinstance(rec, Prediction)
    d = rec.to_dict()
    assert set(d) >= {"experiment", "recipe", "cevns_total", "cevns_by_flavor", "backgrounds", "observed_total",
                      "reference", "bins", "provenance"}
    assert set(d["bins"]) == {"energy_unit", "energy_edges", "time_edges_us", "cevns", "observed", "backgrounds"}
    assert set(d["cevns_by_flavor"]) == set(FLAVOURS)
    assert d["observed_total"] == float(setup.observed.sum()) and d["bins"]["observed"] == setup.observed.tolist()
    assert d["bins"]["energy_edges"] == setup.cevns.energy_edges.tolist()
    assert d["cevns_total"] == pytest.approx(float(np.sum(d["bins"]["cevns"])), rel=1e-12)
    assert d["cevns_total"] == pytest.approx(sum(d["cevns_by_flavor"].values()), rel=1e-12)
    assert d["backgrounds"] == {k: float(c.counts.sum()) for k, c in setup.backgrounds.items()}
    assert rec == d and rec["reference"] == d["reference"]
    json.dumps(d)
    with pytest.raises(dataclasses.FrozenInstanceError):
        rec.cevns_total = 0.0


def test_api_profile_and_scan2d_records(data_root):
    grid = np.linspace(0.8, 1.2, 5)
    prof = api.profile(["csi-2021"], "cevns_norm", grid, cls=["1sigma"])
    assert isinstance(prof, ProfileResult)
    d = prof.to_dict()
    assert d["values"] == grid.tolist() and len(d["delta_chi2"]) == grid.size and min(d["delta_chi2"]) >= 0
    assert set(d["intervals"]) == {"1sigma"} and prof["best"] == d["best"]
    json.dumps(d)

    xs, ys = np.linspace(0.8, 1.2, 3), np.linspace(0.2, 0.3, 2)
    s2 = api.scan2d(["csi-2021"], "cevns_norm", xs, "sin2_theta_w", ys, cls=["1sigma"])
    assert isinstance(s2, Scan2DResult)
    d = s2.to_dict()
    assert d["x"] == {"param": "cevns_norm", "values": xs.tolist()} and d["y"]["values"] == ys.tolist()
    # delta_chi2 is relative to the minimiser's chi2_min, at or below the lowest grid point
    assert np.shape(d["delta_chi2"]) == (2, 3) and 0.0 <= min(map(min, d["delta_chi2"])) < 1.0
    assert set(d["contours"]["1sigma"]) == {"delta_chi2", "lines", "touches_grid_edge"}
    assert s2["best"] == {"cevns_norm": s2.best["cevns_norm"], "sin2_theta_w": s2.best["sin2_theta_w"]}
    json.dumps(d)


def test_api_limits_and_scan_records(data_root, tmp_path):
    masses, couplings = np.geomspace(1.0, 1e3, 3), np.geomspace(1e-6, 1e-2, 6)
    lim = api.limits("universal", ["csi-2021"], "atzori2022", masses=masses, couplings=couplings)
    assert isinstance(lim, LimitResult)
    d = lim.to_dict()
    assert d["low_mass"]["g"] == lim.low_mass_g and d["high_mass"]["mass_mev"] == lim.high_mass_mev
    assert d["boundary"] == lim.boundary.tolist() and len(d["allowed_intervals"]) == masses.size
    assert d["gm2_band"]["mass_mev"] == masses.tolist()
    json.dumps(d)

    out = tmp_path / "grid.csv"
    sc = api.scan("universal", ["csi-2021"], masses[:2], couplings[:3], out=str(out))
    assert isinstance(sc, ScanFileResult)
    assert json.loads((tmp_path / "grid.csv.json").read_text()) == sc.sidecar_dict()
    assert sc.to_dict() == {"out": str(out), "sidecar": str(tmp_path / "grid.csv.json"), **sc.sidecar_dict()}
    assert sc["masses_mev"]["n"] == 2 and sc["couplings"]["n"] == 3 and sc["columns"][:2] == ["mass_mev", "g"]
