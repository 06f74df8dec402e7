"""cevns toys, fc, coverage, posterior (issue #12): the names scripts rely on."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from cevns.cli import main

COMMON = ["-e", "csi-2021", "-r", "atzori2022", "-m", "sm"]


def _run(args):
    res = CliRunner().invoke(main, args)
    return res.exit_code, res.output


def test_fc_json_keys_and_plot(tmp_path):
    code, out = _run(["fc", *COMMON, "--param", "sin2_theta_w", "--range", "0.17:0.31:5", "--toys", "40", "--seed", "2",
                      "--json", "--plot", str(tmp_path / "belt.png")])
    assert code == 0, out
    d = json.loads(out)
    assert d["param"] == "sin2_theta_w" and len(d["values"]) == 5
    assert set(d["intervals"]) == {"1sigma", "90%"} and set(d["wilks_intervals"]) == {"1sigma", "90%"}
    assert d["wilks_threshold"]["1sigma"] == pytest.approx(1.0)
    assert (tmp_path / "belt.png").stat().st_size > 0


def test_fc_2d():
    code, out = _run(["fc", *COMMON, "--x", "sin2_theta_w:0.2:0.3:3", "--y", "cevns_norm:0.8:1.2:3", "--toys", "20",
                      "--cl", "1sigma", "--json"])
    assert code == 0, out
    d = json.loads(out)
    assert d["params"] == ["sin2_theta_w", "cevns_norm"] and len(d["intervals"]["1sigma"]) == 9
    assert d["wilks_threshold"]["1sigma"] == pytest.approx(2.2957, abs=1e-3)  # chi2_2 at 68.27 %


def test_toys_and_coverage(tmp_path):
    code, out = _run(["toys", *COMMON, "--param", "sin2_theta_w", "--range", "0.17:0.31:8", "--at", "0.23", "--toys", "60",
                      "--json", "--out", str(tmp_path / "a.npz"), "--plot", str(tmp_path / "h.png")])
    assert code == 0, out
    d = json.loads(out)
    assert d["n_toys"] == 60 and len(d["delta_chi2"]) == 60 and np.all(np.isfinite(d["delta_chi2"]))
    code, out = _run(["toys", *COMMON, "--param", "sin2_theta_w", "--range", "0.17:0.31:8", "--at", "0.23", "--toys", "60",
                      "--first-toy", "60", "--json", "--out", str(tmp_path / "b.npz")])
    assert code == 0, out
    code, out = _run(["toys-merge", str(tmp_path / "a.npz"), str(tmp_path / "b.npz"), "--out", str(tmp_path / "m.npz"),
                      "--json"])
    assert code == 0 and json.loads(out)["n_toys"] == 120
    code, out = _run(["coverage", *COMMON, "--param", "sin2_theta_w", "--range", "0.17:0.31:8", "--at", "0.23",
                      "--toys", "60", "--json"])
    assert code == 0, out
    c = json.loads(out)["coverage"]["1sigma"]
    assert 0 <= c["coverage"] <= 1 and c["error"] > 0


@pytest.mark.parametrize("args, match", [
    (["posterior", *COMMON, "--prior", "sin2_theta_w=log-flat:0:1"], "LO > 0"),
    (["posterior", *COMMON, "--prior", "gx=flat:0:1"], "unknown parameter"),
    (["fc", *COMMON, "--param", "sin2_theta_w", "--range", "0.2:0.3:3", "--executor", "processes", "--scheduler", "x"],
     "--scheduler"),
    (["toys", "-e", "csi-2017", "-r", "banerjee2021", "--param", "sin2_theta_w", "--range", "0.2:0.3:3", "--at", "0.2",
      "--toys", "2"], "pseudo-experiments"),
])
def test_user_errors_exit_2(args, match):
    code, out = _run(args)
    assert code == 2 and match in out


@pytest.mark.slow
def test_posterior_json():
    code, out = _run(["posterior", *COMMON, "--prior", "sin2_theta_w=flat:0.15:0.35", "--live-points", "50", "--json"])
    assert code == 0, out
    d = json.loads(out)
    lo, hi = d["intervals"]["1sigma"]["sin2_theta_w"]
    assert 0.18 < lo < hi < 0.3 and d["n_calls"] > 0 and d["log_evidence"] is not None
