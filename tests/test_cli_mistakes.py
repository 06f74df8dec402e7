"""Issue #11: ordinary user mistakes end in one line, exit 2, before any work (docs/errors.md).

Each case is (argv, fragment of the one-line message). ``{tmp}`` is a scratch folder
prepared by the ``workspace`` fixture (a sub-folder ``adir``, a damaged checkpoint, bad
recipe files, ...). Every case must exit with status 2, print exactly one line on
stderr starting with ``cevns: error:`` that contains the fragment, print nothing on
stdout, and leave no file behind in ``{tmp}``. The cheap CsI 2017 release with the
banerjee2021 recipe keeps the whole table to a few seconds.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from cevns.cli import main

E = ["-e", "csi-2017", "-r", "banerjee2021"]
FIT = ["fit", *E]
S2X, S2Y = "eps_ee_u:-0.1:0.1:3", "eps_mumu_u:-0.1:0.1:3"
M, G = "1:100:2", "1e-5:1e-2:3"


def prof(rng="0.5:1.5:3", *extra, p="cevns_norm", model=None):
    return ["profile", *E, *(["-m", model] if model else []), "-p", p, "--range", rng, *extra]


def s2(x=S2X, y=S2Y, *extra):
    return ["scan2d", *E, "-m", "nsi", "--x", x, "--y", y, *extra]


def lim(masses=M, couplings=G, *extra):
    return ["limits", "-m", "universal", *E, "--masses", masses, "--couplings", couplings, *extra]


def scan(masses=M, couplings=G, out="{tmp}/s.csv", *extra):
    return ["scan", "-m", "universal", *E, "--masses", masses, "--couplings", couplings, "--out", out, *extra]


def plim(out="{tmp}/p.png", *extra):
    return ["plot-limits", "-m", "universal", *E, "--masses", M, "--couplings", G, "--out", out, *extra]


HUGE = "1e-3:1:200000"

# (argv, message fragment); the category comments match the sections of docs/errors.md
MISTAKES: list[tuple[list[str], str]] = [
    # --- parameter values: finiteness and declared bounds -------------------------------
    ([*FIT, "--fix", "cevns_norm=nan"], "not a finite number"),
    ([*FIT, "--fix", "cevns_norm=inf"], "not a finite number"),
    ([*FIT, "--fix", "cevns_norm=-inf"], "not a finite number"),
    ([*FIT, "--fix", "cevns_norm=-1"], "outside its bounds"),
    ([*FIT, "--fix", "cevns_norm=11"], "outside its bounds"),
    ([*FIT, "--fix", "sin2_theta_w=1.5"], "outside its bounds"),
    ([*FIT, "--fix", "rn_cs=1"], "outside its bounds"),
    ([*FIT, "-m", "vector", "--fix", "q_u=1000"], "outside its bounds"),
    ([*FIT, "--fix", "sin2_theta_w=abc"], "is not a number"),
    ([*FIT, "--fix", "sin2_theta_w"], "use NAME=VALUE"),
    ([*FIT, "--fix", "=1"], "use NAME=VALUE"),
    ([*FIT, "--fix", "nope=1"], "unknown parameter"),
    ([*FIT, "--fix", "cevns_norm=1,cevns_norm=2"], "given twice"),
    (prof("nan:1:3"), "not a finite number"),
    (prof("0:inf:3"), "not a finite number"),
    (prof("-1:1:5"), "outside its bounds"),
    (prof("0.2:1.2:5", p="sin2_theta_w"), "outside its bounds"),
    (prof("0.5:1.5:3", "--fix", "sin2_theta_w=nan"), "not a finite number"),
    (prof("0:1:3", model="sterile-osc", p="dm2_41_ev2"), "outside its bounds"),
    (prof("0:1e-3:3", model="magnetic-moment", p="mu_nu_e"), "outside its bounds"),
    (s2("eps_ee_u:-3:0:3"), "outside its bounds"),
    (s2(S2X, "eps_mumu_u:0:nan:3"), "not a finite number"),
    (s2(S2X, S2Y, "--fix", "eps_mutau_u=5"), "outside its bounds"),
    (lim("1e-5:1:3"), "outside its bounds"),
    (lim(M, "1e-3:100:3"), "outside its bounds"),
    (lim("nan:10:3"), "not a finite number"),
    (lim(M, "inf:1:3"), "not a finite number"),
    (lim(M, G, "--fix", "cevns_norm=nan"), "not a finite number"),
    (scan("1:1e7:3"), "outside its bounds"),
    (scan(M, "1e-3:20:3"), "outside its bounds"),
    (scan(M, G, "{tmp}/s.csv", "--fix", "cevns_norm=-2"), "outside its bounds"),
    # --- degenerate, malformed and oversized grids --------------------------------------
    (prof("1:0:5"), "HI > LO"),
    (prof("1:1:5"), "HI > LO"),
    (prof("0:1:1"), "N >= 2"),
    (prof("0:1:0"), "N >= 2"),
    (prof("0:1:-3"), "N >= 2"),
    (prof("0:1"), "LO:HI:N"),
    (prof("0:1:2.5"), "whole number"),
    (prof("a:b:c"), "LO:HI:N"),
    (prof(""), "LO:HI:N"),
    (prof("0:1:3:4"), "LO:HI:N"),
    (prof("0.5:1.5:100000000"), "GiB"),
    (s2("eps_ee_u:0:1:1"), "N >= 2"),
    (s2("eps_ee_u:0:1"), "LO:HI:N"),
    (s2("eps_ee_u"), "PARAM:LO:HI:N"),
    (s2(":0:1:3"), "PARAM:LO:HI:N"),
    (s2("eps_ee_u:0:1:3:log"), "must be positive"),
    (s2("eps_ee_u:-0.1:0.5:3:log"), "must be positive"),
    (s2("eps_ee_u:0.1:1:1:log"), "N >= 2"),
    (s2("eps_ee_u:0.5:0.1:3:log"), "HI > LO"),
    (s2("eps_ee_u:0.1:1:3:lin"), "PARAM:LO:HI:N"),
    (s2("eps_ee_u:-1:1:30000", "eps_mumu_u:-1:1:30000"), "GiB"),
    (lim("1:1:5"), "HI > LO"),
    (lim("10:1:5"), "HI > LO"),
    (lim("1:100:1"), "N >= 2"),
    (lim(M, "1e-5:1e-2:1"), "N >= 2"),
    (lim("0:100:5"), "must be positive"),
    (lim(M, "-1:1:5"), "must be positive"),
    (lim("1:100"), "LO:HI:N"),
    (lim("1:100:0"), "N >= 2"),
    (lim(HUGE, HUGE), "GiB"),
    (scan("1:100:1"), "N >= 2"),
    (scan(M, "1e-3:1e-3:4"), "HI > LO"),
    (scan(M, "0:1:3"), "must be positive"),
    (scan(HUGE, HUGE), "GiB"),
    (plim("{tmp}/p.png", "--masses", "1:100:1"), "N >= 2"),
    # --- duplicates and contradictions --------------------------------------------------
    (["fit", "-e", "csi-2017,csi-2017", "-r", "banerjee2021"], "given twice"),
    (["fit", "-e", "csi-2017", "-e", "csi-2017", "-r", "banerjee2021"], "given twice"),
    (["profile", "-e", "csi-2017, csi-2017", "-r", "banerjee2021", "-p", "cevns_norm", "--range", "0.5:1.5:3"],
     "given twice"),
    (["limits", "-m", "universal", "-e", "csi-2017,csi-2017", "-r", "banerjee2021", "--masses", M, "--couplings", G],
     "given twice"),
    (["scan2d", "-e", "csi-2017,csi-2017", "-r", "banerjee2021", "-m", "nsi", "--x", S2X, "--y", S2Y], "given twice"),
    ([*FIT, "--free", "cevns_norm,cevns_norm"], "given twice"),
    ([*FIT, "--free", "cevns_norm", "--free", "cevns_norm"], "given twice"),
    ([*FIT, "--free", "cevns_norm", "--fix", "cevns_norm=1"], "both free and fixed"),
    (prof("0.5:1.5:3", "--free", "cevns_norm"), "also in --free"),
    (prof("0.5:1.5:3", "--fix", "cevns_norm=1"), "is scanned and also fixed"),
    (prof("0.5:1.5:3", "--free", "sin2_theta_w", "--fix", "sin2_theta_w=0.2"), "both free and fixed"),
    (s2("eps_ee_u:-0.1:0.1:3", "eps_ee_u:-0.2:0.2:3"), "x and y must be different"),
    (s2(S2X, S2Y, "--fix", "eps_ee_u=0.1"), "is scanned and also fixed"),
    (lim(M, G, "--fix", "g=0.1"), "is scanned and also fixed"),
    (scan(M, G, "{tmp}/s.csv", "--fix", "m_med_mev=5"), "is scanned and also fixed"),
    (plim("{tmp}/p.png", "-e", "csi-2017"), "given twice"),
    ([*FIT, "--free", "nope"], "unknown parameter"),
    (prof("0:1:3", p="nope"), "unknown parameter"),
    (s2("nope:0:1:3"), "unknown parameter"),
    (["limits", "-m", "sm", *E, "--masses", M, "--couplings", G], "unknown parameter"),
    (["scan", "-m", "nsi", *E, "--masses", M, "--couplings", G, "--out", "{tmp}/s.csv"], "unknown parameter"),
    # --- output paths, extensions and plot formats (checked before any work) ------------
    ([*FIT, "--plot", "{tmp}/missing/out.png"], "does not exist"),
    ([*FIT, "--plot", "{tmp}/out.xyz"], "supported"),
    ([*FIT, "--plot", "{tmp}/out"], "supported"),
    ([*FIT, "--plot", "/proc/out.png"], "not writable"),
    ([*FIT, "--plot", "{tmp}/adir"], "is a folder"),
    ([*FIT, "--plot", "{tmp}/adir.png"], "is a folder"),
    ([*FIT, "--plot", ""], "empty"),
    (prof("0.5:1.5:3", "--plot", "{tmp}/missing/p.png"), "does not exist"),
    (prof("0.5:1.5:3", "--plot", "{tmp}/p.docx"), "supported"),
    (prof("0.5:1.5:3", "--plot", "/proc/p.png"), "not writable"),
    (prof("0.5:1.5:3", "--plot", "{tmp}/adir"), "is a folder"),
    (s2(S2X, S2Y, "--plot", "{tmp}/missing/c.png"), "does not exist"),
    (s2(S2X, S2Y, "--plot", "{tmp}/c.gif"), "supported"),
    (s2(S2X, S2Y, "--plot", "{tmp}/adir"), "is a folder"),
    (s2(S2X, S2Y, "--plot", "/proc/c.pdf"), "not writable"),
    (scan(M, G, "{tmp}/missing/s.csv"), "does not exist"),
    (scan(M, G, "{tmp}/s.txt"), "supported"),
    (scan(M, G, "{tmp}/s"), "supported"),
    (scan(M, G, "{tmp}/adir"), "is a folder"),
    (scan(M, G, "{tmp}/adir.csv"), "is a folder"),
    (scan(M, G, "/proc/s.csv"), "not writable"),
    (scan(M, G, ""), "empty"),
    (plim("{tmp}/missing/p.png"), "does not exist"),
    (plim("{tmp}/p.xyz"), "supported"),
    (plim("/proc/p.png"), "not writable"),
    (plim("{tmp}/adir"), "is a folder"),
    (s2(S2X, S2Y, "--checkpoint", "{tmp}/missing/ck.npz"), "does not exist"),
    (s2(S2X, S2Y, "--checkpoint", "{tmp}/adir"), "is a folder"),
    (s2(S2X, S2Y, "--checkpoint", "/proc/ck.npz"), "not writable"),
    (s2(S2X, S2Y, "--checkpoint", "{tmp}/truncated.npz"), "damaged"),
    (s2(S2X, S2Y, "--checkpoint", "{tmp}/garbage.npz"), "damaged"),
    # found by the fuzz test: a bad CL used to fail only after the scan had written its checkpoint
    (s2(S2X, S2Y, "--cl", "zero", "--checkpoint", "{tmp}/ck.npz"), "confidence level"),
    (scan(M, G, "{tmp}/resume.csv"), "damaged"),
    # --- unreadable and invalid input files ---------------------------------------------
    ([*FIT[:3], "-r", "{tmp}/missing.toml"], "not found"),
    ([*FIT[:3], "-r", "{tmp}/adir.toml"], "is a folder"),
    ([*FIT[:3], "-r", "{tmp}/bad.toml"], "cannot parse"),
    ([*FIT[:3], "-r", "{tmp}/binary.toml"], "not UTF-8"),
    ([*FIT[:3], "-r", "{tmp}/recipe.txt"], "supported"),
    ([*FIT[:3], "-r", "{tmp}/empty.toml"], "must set name"),
    ([*FIT[:3], "-r", "{tmp}/ignored.toml"], "ignored"),
    (["recipes", "show", "{tmp}/missing.toml"], "not found"),
    (["recipes", "show", "{tmp}/binary.toml"], "not UTF-8"),
    (["recipes", "export", "{tmp}/bad.toml"], "cannot parse"),
    (["predict", "-e", "csi-2017", "-r", "{tmp}/adir.toml"], "is a folder"),
    (["--data-dir-missing", "fit", *E], "missing data file"),  # CEVNS_DATA_DIR -> a missing folder
    (["--data-dir-broken", "fit", *E], "cannot be read"),  # a data file replaced by a folder
    # --- names, options and usage (one line too) ----------------------------------------
    (["predict", "-e", "nope"], "nope"),
    (["predict"], "Missing option"),
    (["predict", "-e", "csi-2017,csi-2021"], "one experiment"),
    (["fit"], "Missing option"),
    (["fit", "-e", "", "-r", "banerjee2021"], "no experiment given"),
    (["fit", "-e", " , ", "-r", "banerjee2021"], "no experiment given"),
    (["fit", "-e", "nope", "-r", "banerjee2021"], "unknown experiment"),
    (["fit", "-e", "csi-2017", "-r", "nope"], "unknown recipe"),
    (["fit", "-e", "csi-2017", "-r", "atzori2022"], "defines no likelihood"),
    ([*FIT, "-m", "nope"], "unknown model"),
    (prof("0.5:1.5:3", "--cl", "zero"), "zero"),
    (prof("0.5:1.5:3", "--cl", "150%"), "150%"),
    (prof("0.5:1.5:3", "--dof", "3"), "--dof"),
    (prof("0.5:1.5:3", "--cl", "1sigma,1sigma"), "given twice"),
    ([*FIT, "--bogus"], "No such option"),
    (["nope-command"], "No such command"),
    (lim(M, G, "--cl", "-1"), "-1"),
    ([*FIT, "--electron-scattering", "maybe"], "maybe"),
    (["plot-limits", "-m", "universal", "--out", "{tmp}/p.png"], "Missing option"),
    (["data", "fetch", "nope-release"], "nope-release"),
    (["recipes", "show", "nope"], "unknown recipe"),
]


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    for d in ("adir", "adir.png", "adir.csv", "adir.toml"):
        (ws / d).mkdir()
    buf_path = ws / "valid.npz"
    np.savez(buf_path, config=np.array("x"), chi2=np.zeros(3), done=np.zeros(1, bool))
    data = buf_path.read_bytes()
    buf_path.unlink()
    (ws / "truncated.npz").write_bytes(data[: len(data) // 2])
    (ws / "resume.csv.partial.npz").write_bytes(data[: len(data) // 2])
    (ws / "garbage.npz").write_text("not a checkpoint\n")
    (ws / "bad.toml").write_text("name = \n")
    (ws / "binary.toml").write_bytes(b"\xff\xfe\x00name")
    (ws / "recipe.txt").write_text('name = "mine"\n')
    (ws / "empty.toml").write_text("")
    (ws / "ignored.toml").write_text('name = "mine"\nbase = "cadeddu2021"\ncsi2021_steady_state = "histogram"\n')
    return ws


def _data_env(argv: list[str], tmp_path: Path, data_root: Path) -> tuple[list[str], dict[str, str]]:
    if argv[0] == "--data-dir-missing":
        return argv[1:], {"CEVNS_DATA_DIR": str(tmp_path / "no-such-data")}
    if argv[0] == "--data-dir-broken":
        root = tmp_path / "broken-data"
        shutil.copytree(data_root / "csi-2017", root / "csi-2017")
        victim = root / "csi-2017" / "promptPDF.txt"
        victim.unlink()
        victim.mkdir()
        return argv[1:], {"CEVNS_DATA_DIR": str(root)}
    return argv, {}


def snapshot(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def run_case(argv_t: list[str], ws: Path, data_root: Path):
    argv = [a.replace("{tmp}", str(ws)) for a in argv_t]
    argv, env = _data_env(argv, ws.parent, data_root)
    return CliRunner().invoke(main, argv, env=env)


@pytest.mark.parametrize(("argv", "fragment"), MISTAKES, ids=[" ".join(a)[:90] for a, _ in MISTAKES])
def test_mistake_is_one_line_exit_2(argv, fragment, workspace, data_root):
    before = snapshot(workspace)
    res = run_case(argv, workspace, data_root)
    assert res.exception is None or isinstance(res.exception, SystemExit), f"traceback: {res.exception!r}"
    assert res.exit_code == 2, f"exit {res.exit_code}\n{res.output}"
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("cevns: error: "), res.stderr
    assert fragment.lower() in lines[0].lower(), lines[0]
    assert "Traceback" not in res.output
    assert res.stdout == "", res.stdout
    assert snapshot(workspace) == before, "files left behind"


def test_table_size():
    assert len(MISTAKES) >= 130


def test_debug_shows_the_traceback(workspace, data_root):
    res = CliRunner().invoke(main, ["--debug", *FIT, "--fix", "cevns_norm=nan"])
    assert res.exit_code != 0 and res.exception is not None and not isinstance(res.exception, SystemExit)


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_recipe(workspace, data_root):
    f = workspace / "secret.toml"
    f.write_text('name = "mine"\n')
    f.chmod(0)
    res = run_case([*FIT[:3], "-r", str(f)], workspace, data_root)
    assert res.exit_code == 2 and "cannot be read" in res.stderr
