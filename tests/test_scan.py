"""Exclusion scans (issue #4): grids, the CLI, scan vs direct minimisation, resume, files and limit summaries.

Grid validation, atomic writes and the CLI's usage errors need no data; everything else uses
the COHERENT releases (``data_root`` fixture; set CEVNS_DATA_DIR). The profiled chi2 of the
scan is checked against an iminuit minimisation over all nuisances of the chi2 written out
explicitly from the likelihood pieces (as in tests/test_inference.py).
"""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import numpy as np
import pytest

import cevns.api as api
import cevns.inference.scan as scan_mod
from cevns.inference import Analysis, make_analysis
from cevns.inference.scan import atomic_write_bytes, column_crossings, coupling_limit, log_grid, scan_grid, validate_grid
from cevns.models import MODELS
from helpers import assert_clean_exit, direct_minimum, invoke

MASSES = np.geomspace(1.0, 1000.0, 4)
COUPLINGS = np.geomspace(1e-5, 1e-3, 4)
SMALL_LIMITS_GRID = {"masses": np.geomspace(0.1, 1e4, 8), "couplings": np.geomspace(1e-7, 1.0, 25)}
LIMITS_KEYS = {"model", "experiments", "recipe", "cl", "dof", "low_mass", "high_mass", "boundary", "provenance"}


# ----------------------------------------------------------------------------- helpers


def _direct_chi2(an: Analysis, m_med: float, g: float) -> tuple[float, dict[str, np.ndarray]]:
    """Sum over experiments of the minimum over branches of the iminuit minimum over all nuisances."""
    total, etas = 0.0, {}
    for lk in an.likelihoods:
        terms = an.model.terms(lk.cevns.grid, {"m_med_mev": np.array([m_med]), "g": np.array([g])})
        fits = [direct_minimum(lk, b, lk.signal(terms, b)[0]) for b in lk.branches]
        for f in fits:
            assert f.valid, f"iminuit failed for {lk.experiment} at M = {m_med}, g = {g}: {f.fmin}"
        best = min(fits, key=lambda f: f.fval)
        total += best.fval
        etas[lk.experiment] = np.array(best.values)
    return total, etas


# ----------------------------------------------------------------------------- grid validation (no data)


@pytest.mark.parametrize(
    ("masses", "couplings", "fragment"),
    [([], [1e-3], "empty grid"), ([1.0], [], "empty grid"), ([-1.0, 10.0], [1e-3], "masses must be positive"),
     ([0.0, 10.0], [1e-3], "masses must be positive"), ([np.nan], [1e-3], "masses must be positive"),
     ([1.0], [-1e-3, 1e-3], "couplings must be positive"), ([1.0], [0.0], "couplings must be positive"),
     ([1.0], [np.inf], "couplings must be positive")],
)
def test_validate_grid_errors(masses, couplings, fragment):
    with pytest.raises(ValueError, match=fragment) as exc:
        validate_grid(np.asarray(masses, dtype=float), np.asarray(couplings, dtype=float))
    assert "e.g. --" in str(exc.value), f"the message should show an example grid: {exc.value}"


def test_validate_grid_accepts_a_good_grid():
    validate_grid(MASSES, COUPLINGS)


def test_log_grid():
    np.testing.assert_allclose(log_grid(1.0, 100.0, 3), [1.0, 10.0, 100.0], rtol=1e-14)
    assert log_grid(5.0, 5.0, 1).tolist() == [5.0]
    for lo, hi in ((0.0, 1.0), (-1.0, 10.0), (1.0, -1.0)):
        with pytest.raises(ValueError, match="positive"):
            log_grid(lo, hi, 5)
    with pytest.raises(ValueError, match="at least one"):
        log_grid(1.0, 10.0, 0)


# ----------------------------------------------------------------------------- atomic writes (no data)


def test_atomic_write_bytes(tmp_path):
    target = tmp_path / "sub" / "out.bin"
    atomic_write_bytes(target, b"first")
    assert target.read_bytes() == b"first"
    atomic_write_bytes(target, b"second, longer content")
    assert target.read_bytes() == b"second, longer content"
    assert sorted(os.listdir(target.parent)) == ["out.bin"], "temporary files left behind"
    with pytest.raises(TypeError):
        atomic_write_bytes(target, "not bytes")  # type: ignore[arg-type]
    assert target.read_bytes() == b"second, longer content", "a failed write must keep the old content"
    assert sorted(os.listdir(target.parent)) == ["out.bin"], "temporary file left behind after a failed write"


# ----------------------------------------------------------------------------- CLI usage errors (no data)


@pytest.mark.parametrize(
    ("args", "fragments"),
    [(["limits", "-m", "nope", "-e", "csi-2021"], ["unknown model 'nope'", *[m for m in MODELS]]),
     (["scan", "-m", "b-l", "-e", "csi-2021", "--masses", "-1:100:5", "--couplings", "1e-5:1e-3:4", "--out", "x.csv"],
      ["-1:100:5", "positive"]),
     (["scan", "-m", "b-l", "-e", "csi-2021", "--masses", "1:100:5", "--couplings", "0:1:5", "--out", "x.csv"],
      ["0:1:5", "positive"]),
     (["scan", "-m", "b-l", "-e", "csi-2021", "--masses", "1:100:5", "--couplings", "1e-5:1e-3:4", "--out", "x.txt"],
      ["x.txt", ".csv", ".parquet"]),
     (["limits", "-m", "b-l", "-e", "csi-2021", "--masses", "1:100:0"], ["N >= 2"]),
     (["limits", "-m", "b-l", "-e", "csi-2021", "--couplings", "1e-3:1e-5:5"], ["HI > LO"])],
    ids=["unknown-model", "negative-mass", "zero-coupling", "bad-suffix", "no-points", "reversed"],
)
def test_cli_usage_errors(tmp_path, monkeypatch, args, fragments):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CEVNS_DATA_DIR", str(tmp_path / "no-data-here"))
    result = invoke(args)
    assert_clean_exit(result, 2)
    for frag in fragments:
        assert frag in result.stderr, f"{frag!r} missing from stderr:\n{result.stderr}"
    assert result.stdout == ""
    assert list(tmp_path.iterdir()) == [], f"files written on a usage error: {list(tmp_path.iterdir())}"


# ----------------------------------------------------------------------------- fixtures with data


@pytest.fixture(scope="module")
def bl_analysis(data_root) -> Analysis:
    return make_analysis(["csi-2021", "lar-2020"], "atzori2022", "b-l", root=data_root)


@pytest.fixture(scope="module")
def bl_scan(bl_analysis):
    return scan_grid(bl_analysis, MASSES, COUPLINGS, chunk_size=5)


@pytest.fixture(scope="module")
def csi_bl(data_root) -> Analysis:
    return make_analysis(["csi-2021"], "atzori2022", "b-l", root=data_root)


def test_scan_needs_a_mediator_model_and_a_grid(data_root):
    an = make_analysis(["csi-2021"], "atzori2022", "sm", root=data_root)
    with pytest.raises(ValueError, match="m_med_mev") as exc:
        scan_grid(an, MASSES, COUPLINGS)
    assert "valid:" in str(exc.value)
    with pytest.raises(ValueError, match="empty grid"):
        scan_grid(make_analysis(["csi-2021"], "atzori2022", "b-l", root=data_root), MASSES, np.array([]))


# ----------------------------------------------------------------------------- scan == direct minimisation


@pytest.mark.parametrize(("i", "j"), [(0, 0), (0, 3), (1, 2), (2, 2), (3, 1), (3, 3)])
def test_scan_equals_direct_minimisation(bl_analysis, bl_scan, i, j):
    res = bl_scan
    direct, etas = _direct_chi2(bl_analysis, MASSES[i], COUPLINGS[j])
    assert abs(res.chi2[i, j] - direct) <= 1e-4, (
        f"M = {MASSES[i]:.3g} MeV, g = {COUPLINGS[j]:.3g}: scan chi2 {res.chi2[i, j]:.6f} != direct minimum {direct:.6f}")
    for lk in bl_analysis.likelihoods:
        scanned = np.array([res.nuisances[f"{lk.experiment}:{nu.name}"][i, j] for nu in lk.nuisances])
        np.testing.assert_allclose(scanned, etas[lk.experiment], atol=2e-3,
                                   err_msg=f"{lk.experiment}: best nuisances of the scan differ from iminuit's")


def test_scan_result_structure(bl_analysis, bl_scan):
    res = bl_scan
    assert res.chi2.shape == (MASSES.size, COUPLINGS.size)
    np.testing.assert_array_equal(res.masses_mev, MASSES)
    np.testing.assert_array_equal(res.couplings, COUPLINGS)
    assert np.all(np.isfinite(res.chi2))
    sm_direct, _ = _direct_chi2(bl_analysis, 1.0, 0.0)
    assert res.chi2_sm == pytest.approx(sm_direct, abs=1e-4)
    assert res.chi2_min == pytest.approx(min(res.chi2.min(), res.chi2_sm))
    assert np.all(res.delta_chi2 >= 0)
    # B-L only adds to |Q| (seed 002 sec. IV.2): the signal grows with g at fixed mass and falls with M
    # at fixed g. The chi2 follows once the added rate is beyond what the data prefer (LAr prefers a
    # little more than the SM, so the first 1e-5 can lower it by ~0.01): where Delta-chi2 to the SM > 1
    assert np.all(res.signal_total > res.signal_sm), "B-L must raise the CEvNS signal everywhere"
    assert np.all(np.diff(res.signal_total, axis=1) > 0) and np.all(np.diff(res.signal_total, axis=0) < 0)
    excess = res.chi2 > res.chi2_sm + 1.0
    assert excess.sum() >= 6
    assert np.all(np.diff(res.chi2, axis=1)[excess[:, :-1]] > 0)
    assert np.all(np.diff(res.chi2, axis=0)[excess[1:, :]] < 0)
    assert abs(res.chi2_min - res.chi2_sm) < 0.1
    for key in ("csi-2021:eta_cevns", "lar-2020:beta_cevns"):
        assert key in res.nuisances and res.nuisances[key].shape == res.chi2.shape


# ----------------------------------------------------------------------------- checkpoint and resume


def _counting(monkeypatch, an: Analysis) -> list[int]:
    calls: list[int] = []
    original = an.evaluate

    def evaluate(values):
        calls.append(int(np.size(values["g"])))
        return original(values)

    monkeypatch.setattr(an, "evaluate", evaluate)
    return calls


def test_scan_resume(bl_analysis, bl_scan, tmp_path, monkeypatch):
    ck = tmp_path / "ck.npz"
    with pytest.raises(KeyboardInterrupt):
        scan_grid(bl_analysis, MASSES, COUPLINGS, chunk_size=5, checkpoint=ck, stop_after_chunks=2)
    assert ck.is_file(), "the checkpoint must survive the interruption"
    with np.load(ck) as saved:
        assert saved["done"].tolist() == [True, True, False, False]
        assert np.all(np.isfinite(saved["chi2"][:10])) and np.all(np.isnan(saved["chi2"][10:]))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ck.npz"], "temporary files left by the checkpoint writer"

    calls = _counting(monkeypatch, bl_analysis)
    progress: list[tuple[int, int]] = []
    res = scan_grid(bl_analysis, MASSES, COUPLINGS, chunk_size=5, checkpoint=ck, progress=lambda d, t: progress.append((d, t)))
    assert calls == [5, 1, 1], f"the resumed scan evaluated {calls} points: finished chunks must not be recomputed"
    assert progress == [(1, 4), (2, 4), (3, 4), (4, 4)]
    np.testing.assert_array_equal(res.chi2, bl_scan.chi2, err_msg="resumed scan != uninterrupted scan")
    for k, v in bl_scan.nuisances.items():
        np.testing.assert_array_equal(res.nuisances[k], v, err_msg=f"nuisance {k}: resumed != uninterrupted")
    np.testing.assert_array_equal(res.signal_total, bl_scan.signal_total)
    assert res.chi2_sm == bl_scan.chi2_sm


def test_checkpoint_of_another_grid_is_ignored(bl_analysis, bl_scan, tmp_path):
    ck = tmp_path / "ck.npz"
    with pytest.raises(KeyboardInterrupt):
        scan_grid(bl_analysis, MASSES, COUPLINGS * 2, chunk_size=5, checkpoint=ck, stop_after_chunks=3)
    res = scan_grid(bl_analysis, MASSES, COUPLINGS, chunk_size=5, checkpoint=ck)
    np.testing.assert_array_equal(res.chi2, bl_scan.chi2, err_msg="a checkpoint of another grid was reused")


def test_resume_with_another_chunk_size(bl_analysis, bl_scan, tmp_path):
    """A checkpoint written with one chunk size must not corrupt a resume with another (e.g. the default)."""
    ck = tmp_path / "ck.npz"
    with pytest.raises(KeyboardInterrupt):
        scan_grid(bl_analysis, MASSES, COUPLINGS, chunk_size=5, checkpoint=ck, stop_after_chunks=2)
    res = scan_grid(bl_analysis, MASSES, COUPLINGS, checkpoint=ck)  # default chunk_size=2500: one chunk
    n_nan = int(np.isnan(res.chi2).sum())
    assert n_nan == 0, (
        f"scan_grid resumed a chunk_size=5 checkpoint with chunk_size=2500 and returned {n_nan} NaN chi2 values: "
        "the checkpoint's per-chunk 'done' flags are reused although the chunks differ (chunk_size is not part of "
        "the checkpoint configuration hash)")
    np.testing.assert_allclose(res.chi2, bl_scan.chi2, rtol=1e-10)


def test_api_scan_interrupted_and_resumed_writes_the_same_csv(data_root, tmp_path, monkeypatch):
    real = scan_mod.scan_grid
    args = ("b-l", ["csi-2021", "lar-2020"], MASSES, COUPLINGS)

    def interrupted(*a, **k):
        return real(*a, **{**k, "chunk_size": 5, "stop_after_chunks": 2})

    def small_chunks(*a, **k):
        return real(*a, **{**k, "chunk_size": 5})

    resumed, fresh = tmp_path / "resumed" / "scan.csv", tmp_path / "fresh" / "scan.csv"
    ck = resumed.with_name("scan.csv.partial.npz")
    resumed.parent.mkdir()
    fresh.parent.mkdir()  # output folders must exist (issue #11: a missing folder is refused before the scan)
    monkeypatch.setattr(scan_mod, "scan_grid", interrupted)
    with pytest.raises(KeyboardInterrupt):
        api.scan(*args, out=str(resumed))
    assert ck.is_file(), f"api.scan must keep its default checkpoint {ck.name} after an interruption"
    assert not resumed.exists(), "no output file may be written by an interrupted scan"
    monkeypatch.setattr(scan_mod, "scan_grid", small_chunks)
    meta = api.scan(*args, out=str(resumed))
    api.scan(*args, out=str(fresh))
    assert resumed.read_bytes() == fresh.read_bytes(), "interrupted-and-resumed CSV differs from the uninterrupted one"
    assert not ck.exists(), "the checkpoint must be removed after success"
    assert sorted(p.name for p in resumed.parent.iterdir()) == ["scan.csv", "scan.csv.json"]

    sidecar = json.loads(Path(meta["sidecar"]).read_text())
    assert Path(meta["sidecar"]) == resumed.with_name("scan.csv.json")
    assert sidecar == json.loads(fresh.with_name("scan.csv.json").read_text())
    header = resumed.read_text().splitlines()[0].split(",")
    assert sidecar["columns"] == header
    assert header[:5] == ["mass_mev", "g", "chi2", "delta_chi2", "excluded"]
    assert "csi-2021:eta_cevns" in header and "lar-2020:beta_cevns" in header
    assert {"cevns_version", "recipe", "data_dir"} <= set(sidecar["provenance"])
    assert sidecar["model"] == "b-l" and sidecar["experiments"] == ["csi-2021", "lar-2020"]
    assert sidecar["masses_mev"] == {"min": pytest.approx(1.0), "max": pytest.approx(1000.0), "n": 4}
    data = np.loadtxt(resumed, delimiter=",", skiprows=1)
    assert data.shape == (16, len(header))
    np.testing.assert_allclose(data[:, 3], data[:, 2] - sidecar["chi2_min"], atol=1e-6)
    np.testing.assert_array_equal(data[:, 4], (data[:, 3] > sidecar["delta_chi2_threshold"]).astype(float))


def test_cli_scan_writes_csv_and_sidecar(data_root, tmp_path):
    out = tmp_path / "grid.csv"
    result = invoke(["scan", "-m", "b-l", "-e", "csi-2021", "--masses", "1:1000:3", "--couplings", "1e-5:1e-3:3",
                     "--out", str(out), "--json"])
    assert_clean_exit(result, 0)
    meta = json.loads(result.stdout)
    assert out.is_file() and Path(meta["sidecar"]).is_file()
    assert not out.with_name("grid.csv.partial.npz").exists()
    lines = out.read_text().splitlines()
    assert lines[0].split(",") == meta["columns"] and len(lines) == 1 + 9


@pytest.mark.skipif(importlib.util.find_spec("pyarrow") is not None, reason="pyarrow is installed")
def test_cli_scan_parquet_without_pyarrow(data_root, tmp_path):
    result = invoke(["scan", "-m", "b-l", "-e", "csi-2021", "--masses", "1:1000:2", "--couplings", "1e-5:1e-3:2",
                     "--out", str(tmp_path / "grid.parquet")])
    assert_clean_exit(result, 2)
    assert "pyarrow" in result.stderr and ".csv" in result.stderr
    assert not (tmp_path / "grid.parquet").exists()


# ----------------------------------------------------------------------------- limits


@pytest.fixture(scope="module")
def universal_limits(data_root):
    return api.limits("universal", ["csi-2021"], "atzori2022", "2sigma", 1, **SMALL_LIMITS_GRID)


def test_api_limits_json(universal_limits):
    res = universal_limits
    json.dumps(res.to_dict())
    assert LIMITS_KEYS <= set(res), f"missing keys {LIMITS_KEYS - set(res)}"
    assert res["model"] == "universal" and res["experiments"] == ["csi-2021"] and res["recipe"] == "atzori2022"
    assert res["cl"] == "2sigma" and res["dof"] == 1
    assert res["delta_chi2_threshold"] == pytest.approx(4.0)
    assert set(res["low_mass"]) == {"mass_mev", "g", "upper_boundary_g"}
    assert set(res["high_mass"]) == {"mass_mev", "g_over_m_per_gev", "upper_boundary_g_over_m_per_gev"}
    # the upper boundary (thin excluded strips bridged) never lies below the first excluded coupling
    assert res["low_mass"]["upper_boundary_g"] >= res["low_mass"]["g"]
    assert res["high_mass"]["upper_boundary_g_over_m_per_gev"] >= res["high_mass"]["g_over_m_per_gev"]
    assert res["thin_strip_decades"] == pytest.approx(np.log10(np.sqrt(2.0)))
    assert 0 < res["low_mass"]["g"] < 1e-3, f"low-mass bound {res['low_mass']['g']}"
    assert res["low_mass"]["mass_mev"] < 1.0 and res["high_mass"]["mass_mev"] >= 1e4
    assert res["high_mass"]["g_over_m_per_gev"] > 0
    assert {"cevns_version", "recipe"} <= set(res["provenance"])
    bnd = res["boundary"]
    assert len(bnd) == SMALL_LIMITS_GRID["masses"].size
    assert all(len(p) == 2 and p[1] > 0 for p in bnd)
    np.testing.assert_allclose([p[0] for p in bnd], SMALL_LIMITS_GRID["masses"])
    for p, col in zip(bnd, res["allowed_intervals"], strict=True):
        assert p[1] == col["allowed"][0][1]
    # the summaries continue the boundary: flat at low mass, g/M constant at high mass
    assert bnd[0][1] == pytest.approx(res["low_mass"]["g"], rel=0.02)
    assert bnd[-1][1] / (bnd[-1][0] / 1000.0) == pytest.approx(res["high_mass"]["g_over_m_per_gev"], rel=0.05)
    assert res["gm2_band"] is not None and len(res["gm2_band"]["g_low"]) == SMALL_LIMITS_GRID["masses"].size


def test_limits_without_muon_coupling_has_no_gm2_band(data_root):
    res = api.limits("le-ltau", ["csi-2021"], "atzori2022", "2sigma", 1, masses=np.array([10.0, 100.0]),
                     couplings=np.geomspace(1e-5, 1.0, 10))
    assert res["gm2_band"] is None


def test_b_minus_l_boundary_monotone(data_root):
    res = api.limits("b-l", ["csi-2021"], "atzori2022", "2sigma", 1, **SMALL_LIMITS_GRID)
    g = np.array([p[1] for p in res["boundary"]])
    assert g.size == SMALL_LIMITS_GRID["masses"].size
    assert np.all(g[1:] >= 0.99 * g[:-1]), f"B-L bound not non-decreasing with mass: {g}"
    for col in res["allowed_intervals"]:
        assert len(col["allowed"]) == 1, f"B-L has no strip (seed 002 sec. IV.2), got {col}"
    assert res["low_mass"]["g"] > 0 and res["high_mass"]["g_over_m_per_gev"] > 0


def test_coupling_limit_matches_column_crossings(csi_bl):
    masses = np.geomspace(1.0, 1000.0, 5)
    res = scan_grid(csi_bl, masses, np.geomspace(1e-6, 1e-1, 30))
    cross = column_crossings(csi_bl, res, 4.0)
    assert cross["level"] == pytest.approx(cross["chi2_min"] + 4.0)
    assert cross["chi2_min"] <= res.chi2_min + 1e-9
    lim = coupling_limit(csi_bl, masses, 4.0, cross["chi2_min"])
    for m, col, g_lim in zip(masses, cross["columns"], lim, strict=True):
        assert col["mass_mev"] == pytest.approx(m)
        g_cross = col["allowed"][0][1]
        assert g_lim == pytest.approx(g_cross, rel=0.02), f"M = {m:.3g}: coupling_limit {g_lim:.4g} != crossing {g_cross:.4g}"
        # the crossing really is where Delta-chi2 reaches the threshold
        chi2, _ = csi_bl.evaluate({"m_med_mev": np.array([m, m]), "g": np.array([g_cross * 0.99, g_cross * 1.01])})
        assert chi2[0] <= cross["level"] < chi2[1]


def test_plot_limits_png(data_root, tmp_path):
    png = tmp_path / "limits.png"
    result = invoke(["plot-limits", "-m", "universal", "-e", "csi-2021", "-e", "lar-2020", "--masses", "0.1:10000:6",
                     "--couplings", "1e-7:1:20", "--out", str(png)])
    assert_clean_exit(result, 0)
    assert png.is_file() and png.stat().st_size > 1000
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# ----------------------------------------------------------------------------- which minima column_crossings refines (issue #10)


class _ToyAnalysis:
    """Just enough of an Analysis for column_crossings: chi2(g) the same at every mass, evaluations counted."""

    model = type("M", (), {"mediator_params": ("m_med_mev", "g")})()

    def __init__(self, fn):
        self.fn, self.n_points = fn, 0

    def check_params(self, names):
        pass

    def evaluate(self, values):
        self.n_points += np.size(values["g"])
        return self.fn(np.log(np.asarray(values["g"], dtype=float))), {}


def _toy_chi2(x):
    """A bowl (minimum 0 at ln g = -10), a dip to 1 between grid points at ln g = -3.1 where the bowl
    is ~ 96 (a hidden allowed strip), and a plateau above ln g = 0 with tiny ripples (many minima)."""
    bowl = 2.0 * (x + 10.0) ** 2
    dip = bowl - (2.0 * (-3.1 + 10.0) ** 2 - 1.0) * np.exp(-(((x + 3.1) / 0.3) ** 2))
    plateau = 500.0 + 1e-6 * np.cos(np.pi * (x + 12.0) / 0.3)  # alternates on the grid of the test
    return np.where(x > 0.0, plateau, dip)


def test_column_crossings_refines_only_minima_that_matter():
    g = np.exp(np.linspace(-12.0, 6.0, 61))  # spacing 0.3 in ln g; -3.1 lies between samples
    fn = _toy_chi2
    chi2 = np.tile(fn(np.log(g)), (3, 1))
    res = scan_mod.ScanResult(np.array([1.0, 10.0, 100.0]), g, chi2, chi2_sm=1e9)
    an = _ToyAnalysis(fn)
    cross = column_crossings(an, res, 4.0)
    assert cross["chi2_min"] <= 1e-3
    for col in cross["columns"]:
        lo_hi = np.log(np.array(col["allowed"]))
        assert lo_hi.shape == (2, 2), f"bowl and hidden strip expected, got {col['allowed']}"
        assert abs(lo_hi[0].mean() + 10.0) < 0.05 and abs(lo_hi[1].mean() + 3.1) < 0.05
    n_plateau_minima = int(np.sum((chi2[0, 1:-1] <= chi2[0, :-2]) & (chi2[0, 1:-1] <= chi2[0, 2:]))) - 2
    assert n_plateau_minima >= 5
    # refined: the bowl minimum and the dip (27 evaluations each per column) plus the bisections;
    # the plateau minima (above the level, but unable to reach it) are skipped; the polish of the
    # global minimum (Nelder-Mead from the lowest point) costs at most POLISH_MAXFEV more
    budget = 3 * (2 * 27 + 4 * 25) + scan_mod.POLISH_MAXFEV
    assert an.n_points < budget, f"{an.n_points} points evaluated: plateau minima were refined"


@pytest.mark.slow
def test_cli_scan_with_processes_executor_writes_the_same_file(data_root, tmp_path):
    """`cevns scan --executor processes` runs the chunks in worker processes and writes a
    byte-identical table to the in-process scan (issue #12: results do not depend on the executor)."""
    from click.testing import CliRunner

    from cevns.cli import main

    args = ["scan", "-m", "universal", "-e", "lar-2020", "--masses", "1:1000:6", "--couplings", "1e-6:1e-2:8"]
    local = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "a.csv")])
    pool = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "b.csv"), "--executor", "processes", "--workers", "2"])
    assert local.exit_code == 0 and pool.exit_code == 0, local.output + pool.output
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
