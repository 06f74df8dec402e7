"""Issue #11: validation functions, strict JSON, atomic outputs, locks, Ctrl-C and late failures."""

from __future__ import annotations

import json
import math
import os
import stat

import numpy as np
import pytest
from click.testing import CliRunner

from cevns import api, validation
from cevns.cli import main
from cevns.errors import CheckpointError, ConflictError, GridError, OutputError, OutputLockedError, ParameterError
from cevns.models import get_model
from cevns.outputs import atomic_path, atomic_write_bytes, json_safe, lock_path, output_lock, to_json

E = ["-e", "csi-2017", "-r", "banerjee2021"]


# ----------------------------------------------------------------------------- pure functions


@pytest.mark.parametrize(("text", "log", "cls", "fragment"), [
    ("1:0:5", False, GridError, "HI > LO"),
    ("1:1:5", False, GridError, "HI > LO"),
    ("0:1:1", False, GridError, "N >= 2"),
    ("0.1:1:1", True, GridError, "N >= 2"),
    ("0:1:3", True, GridError, "positive"),
    ("nan:1:3", False, ParameterError, "finite"),
    ("0:1:2.5", False, GridError, "whole number"),
    ("0:1", False, GridError, "LO:HI:N"),
    ("x:1:3", False, GridError, "not a number"),
])
def test_parse_grid_refuses(text, log, cls, fragment):
    with pytest.raises(cls, match=fragment):
        validation.parse_grid(text, "--range", log)


def test_parse_grid_values():
    np.testing.assert_allclose(validation.parse_grid("0:1:3", "g"), [0, 0.5, 1])
    np.testing.assert_allclose(validation.parse_grid("1:100:3", "g", log=True), [1, 10, 100])
    assert validation.parse_grid("1:2:1e2", "g").size == 100


def test_check_values_bounds_and_finiteness():
    model = get_model("sm")
    validation.check_values(model, {"cevns_norm": [0.0, 10.0], "nope": 1e9})  # ends included; unknown left alone
    with pytest.raises(ParameterError, match="outside its bounds"):
        validation.check_values(model, {"cevns_norm": np.array([1.0, 10.5])})
    for bad in (math.nan, math.inf, -math.inf):
        with pytest.raises(ParameterError, match="not a finite number"):
            validation.check_values(model, {"sin2_theta_w": bad})


def test_assignments_and_roles():
    assert validation.parse_assignments(["a=1,b=2", "c=3"]) == {"a": 1.0, "b": 2.0, "c": 3.0}
    with pytest.raises(ConflictError, match="given twice"):
        validation.parse_assignments(["a=1", "a=2"])
    with pytest.raises(ConflictError, match="also in --free"):
        validation.check_roles(["x"], ["x"])
    with pytest.raises(ConflictError, match="scanned and also fixed"):
        validation.check_roles(["x"], (), {"x": 1})
    with pytest.raises(ConflictError, match="both free and fixed"):
        validation.check_roles((), ["y"], {"y": 1})
    assert validation.split_items(("a, b", "c")) == ["a", "b", "c"]


def test_grid_memory(monkeypatch):
    monkeypatch.setenv(validation.MEMORY_ENV_VAR, "1")
    validation.check_grid_memory(1000, 1000, "grid")
    with pytest.raises(GridError, match="GiB"):
        validation.check_grid_memory(10**7, 1000, "grid")


def test_output_path_checks(tmp_path):
    (tmp_path / "d").mkdir()
    assert validation.check_output_path(tmp_path / "a.png", validation.PLOT_EXTENSIONS, "--plot") == tmp_path / "a.png"
    for path, fragment in [(tmp_path / "d", "is a folder"), (tmp_path / "a.bmp", "supported: .png"),
                           (tmp_path / "no" / "a.png", "does not exist"), ("", "empty")]:
        with pytest.raises(OutputError, match=fragment):
            validation.check_output_path(path, validation.PLOT_EXTENSIONS, "--plot")
    assert list(tmp_path.iterdir()) == [tmp_path / "d"]  # the write probe leaves nothing


# ----------------------------------------------------------------------------- JSON, atomic files, locks


def strict_loads(text: str):
    """json.loads that refuses the NaN/Infinity tokens Python's json would otherwise accept."""
    def refuse(token):
        raise ValueError(f"not JSON: {token}")

    return json.loads(text, parse_constant=refuse)


def test_json_is_always_valid():
    obj = {"a": math.nan, "b": [1.0, math.inf], "c": np.array([-np.inf, 2.0]), "d": np.float64("nan"), "n": 3}
    text = to_json(obj)
    back = strict_loads(text)
    assert back["a"] is None and back["a_reason"].startswith("not a number")
    assert back["b"] == [1.0, None] and back["c"] == [None, 2.0] and back["d"] is None and back["n"] == 3
    assert json_safe({"x": math.inf, "x_reason": "given"})["x_reason"] == "given"


def test_cli_json_with_nan_is_valid(monkeypatch):
    """The CLI's JSON writer: a record holding NaN prints null, never NaN."""
    monkeypatch.setattr(api, "models", lambda: {"m": {"value": math.nan, "inner": {"v": [math.inf]}}})
    res = CliRunner().invoke(main, ["models", "--json"])
    assert res.exit_code == 0, res.output
    assert strict_loads(res.stdout) == {"m": {"value": None, "value_reason": "not a number (NaN)", "inner": {"v": [None]}}}


def test_atomic_files_have_normal_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        atomic_write_bytes(tmp_path / "a.csv", b"x")
        with atomic_path(tmp_path / "b.png") as tmp:
            assert tmp.suffix == ".png" and tmp.parent == tmp_path
            tmp.write_bytes(b"y")
    finally:
        os.umask(old)
    for name in ("a.csv", "b.png"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "b.png"]


def test_atomic_path_leaves_nothing_on_failure(tmp_path):
    with pytest.raises(RuntimeError), atomic_path(tmp_path / "c.png") as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_lock_refuses_a_second_writer(tmp_path):
    out = tmp_path / "s.csv"
    with output_lock(out) as lock:
        assert lock == lock_path(out) and lock.is_file()
        with pytest.raises(OutputLockedError, match="delete .*s.csv.lock"):
            with output_lock(out):
                pass
    assert not lock_path(out).exists()


def test_stale_lock_is_taken_over(tmp_path):
    import socket

    out = tmp_path / "s.csv"
    lock_path(out).write_text(f"999999999 {socket.gethostname()}\n")  # no such process
    with output_lock(out):
        pass
    assert not lock_path(out).exists()


# ----------------------------------------------------------------------------- the API validates too


def test_api_validates(data_root):
    with pytest.raises(ParameterError, match="outside its bounds"):
        api.profile(["csi-2017"], "cevns_norm", [-1.0, 1.0], recipe="banerjee2021")
    with pytest.raises(ConflictError, match="given twice"):
        api.fit(["csi-2017", "csi-2017"], recipe="banerjee2021")
    with pytest.raises(ParameterError, match="not a finite number"):
        api.fit(["csi-2017"], recipe="banerjee2021", fixed={"cevns_norm": math.nan})
    with pytest.raises(GridError, match="at least 2"):
        api.scan2d(["csi-2017"], "eps_ee_u", [0.1], "eps_mumu_u", [0.0, 0.1], recipe="banerjee2021", model="nsi")


def test_damaged_checkpoint(data_root, tmp_path):
    ck = tmp_path / "ck.npz"
    ck.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(CheckpointError, match="delete it"):
        api.scan2d(["csi-2017"], "eps_ee_u", [0.0, 0.1], "eps_mumu_u", [0.0, 0.1], recipe="banerjee2021", model="nsi",
                   checkpoint=str(ck))


# ----------------------------------------------------------------------------- never lose work


def _scan_args(out):
    return ["scan", "-m", "universal", *E, "--masses", "1:100:3", "--couplings", "1e-5:1e-2:4", "--out", str(out)]


def test_ctrl_c_says_how_to_resume(data_root, tmp_path, monkeypatch):
    from cevns.inference import scan as scan_mod

    real = scan_mod.scan_grid
    monkeypatch.setattr(scan_mod, "scan_grid", lambda *a, **k: real(*a, **{**k, "chunk_size": 4, "stop_after_chunks": 1}))
    out = tmp_path / "s.csv"
    res = CliRunner().invoke(main, _scan_args(out))
    assert res.exit_code == 130, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "to resume, run the same command again: cevns scan" in lines[0], res.stderr
    assert f"--out {out}" in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.csv.partial.npz"]  # no lock, no partial output
    monkeypatch.setattr(scan_mod, "scan_grid", real)
    res = CliRunner().invoke(main, _scan_args(out))
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.csv", "s.csv.json"]


def test_ctrl_c_scan2d(data_root, tmp_path, monkeypatch):
    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(api, "scan2d", interrupted)
    args = ["scan2d", *E, "-m", "nsi", "--x", "eps_ee_u:0:0.1:3", "--y", "eps_mumu_u:0:0.1:3"]
    res = CliRunner().invoke(main, [*args, "--checkpoint", str(tmp_path / "ck.npz")])
    assert res.exit_code == 130 and "to resume, run the same command again: cevns scan2d" in res.stderr
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 130 and "add --checkpoint FILE" in res.stderr


def test_second_job_on_the_same_output_is_refused(data_root, tmp_path):
    out = tmp_path / "s.csv"
    with output_lock(out):
        res = CliRunner().invoke(main, _scan_args(out))
    assert res.exit_code == 2 and "s.csv.lock" in res.stderr and "delete" in res.stderr, res.stderr
    assert not out.exists()


def test_plot_failure_keeps_the_results(data_root, tmp_path, monkeypatch):
    from cevns.results import plotting

    def broken(*a, **k):
        raise RuntimeError("renderer exploded")

    monkeypatch.setattr(plotting, "plot_profile", broken)
    res = CliRunner().invoke(main, ["profile", *E, "-p", "cevns_norm", "--range", "0.5:1.5:5", "--json",
                                    "--plot", str(tmp_path / "p.png")])
    assert res.exit_code == 2
    assert json.loads(res.stdout)["param"] == "cevns_norm"  # the result was printed before the plot failed
    assert "results were printed above" in res.stderr and "renderer exploded" in res.stderr
    assert list(tmp_path.iterdir()) == []  # no half-written image


def test_experiment_option_spellings_agree(data_root):
    outs = []
    for args in (["-e", "csi-2017"], ["--experiment", "csi-2017"], ["--experiments", "csi-2017"]):
        res = CliRunner().invoke(main, ["fit", *args, "-r", "banerjee2021", "--json"])
        assert res.exit_code == 0, res.output
        outs.append(json.loads(res.stdout)["chi2_min"])
    assert outs[0] == outs[1] == outs[2]
    res = CliRunner().invoke(main, ["predict", "--experiments", "csi-2017", "--json"])
    assert res.exit_code == 0 and json.loads(res.stdout)["experiment"] == "csi-2017"


@pytest.mark.parametrize("argv", [["models", "--json"], ["recipes", "--json"], ["recipes", "show", "atzori2022", "--json"],
                                  ["recipes", "export", "atzori2022", "--json"]])
def test_json_everywhere(argv):
    res = CliRunner().invoke(main, argv)
    assert res.exit_code == 0, res.output
    json.loads(res.stdout)
