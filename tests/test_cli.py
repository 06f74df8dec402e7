"""The ``cevns`` command line (click group ``cevns.cli.main``).

Uses click's CliRunner (click >= 8.2: ``result.stdout`` and ``result.stderr`` are kept
apart, ``result.output`` is both as a terminal would show them). One test runs
``python -m cevns.cli`` in a subprocess to check what a real terminal sees.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import cevns
from cevns._registry import RELEASES
from helpers import assert_clean_exit, invoke

RECIPE_NAMES = ["atzori2022", "deromeri2023", "cadeddu2021", "banerjee2021"]
EXPERIMENTS = ["csi-2017", "csi-2021", "lar-2020"]
OBSERVED_TOTAL = {"csi-2021": 1578, "lar-2020": 3752, "csi-2017": 1207}
BACKGROUND_KEYS = {"csi-2021": {"ss", "brn", "nin"}, "lar-2020": {"ss", "brn_prompt", "brn_delayed"}, "csi-2017": {"ss", "brn"}}
FLAVOURS = {"nu_e", "nu_mu", "nu_mu_bar"}


@pytest.fixture
def use_data(monkeypatch):
    """Point $CEVNS_DATA_DIR at a folder for the rest of the test."""

    def _use(root: Path) -> Path:
        monkeypatch.setenv("CEVNS_DATA_DIR", str(root))
        return root

    return _use


# --------------------------------------------------------------------------- no data needed


def test_version():
    result = invoke(["--version"])
    assert_clean_exit(result, 0)
    assert cevns.__version__ in result.stdout


def test_recipes_json():
    result = invoke(["recipes", "--json"])
    assert_clean_exit(result, 0)
    recipes = json.loads(result.stdout)
    for name in RECIPE_NAMES:
        assert name in recipes, f"{name} missing from `cevns recipes --json`: {list(recipes)}"
        assert recipes[name]["name"] == name
        assert recipes[name]["description"]
        assert recipes[name]["source"]


def test_recipes_human():
    result = invoke(["recipes"])
    assert_clean_exit(result, 0)
    for name in RECIPE_NAMES:
        assert name in result.stdout


def test_unknown_recipe(use_data, tmp_path):
    use_data(tmp_path)  # the recipe is rejected before any data is read
    result = invoke(["predict", "-e", "csi-2021", "--recipe", "nope2099"])
    assert_clean_exit(result, 2)
    assert result.stdout == ""
    assert result.stderr.startswith("cevns: error: ")
    assert "nope2099" in result.stderr
    for name in RECIPE_NAMES:
        assert name in result.stderr, f"the error should list the available recipes: {result.stderr}"


def test_unknown_experiment(use_data, tmp_path):
    use_data(tmp_path)
    result = invoke(["predict", "--experiment", "csi-2099"])
    assert_clean_exit(result, 2)  # click usage error
    assert "csi-2099" in result.stderr
    for name in EXPERIMENTS:
        assert name in result.stderr


def test_predict_needs_an_experiment():
    result = invoke(["predict"])
    assert_clean_exit(result, 2)
    assert "--experiment" in result.stderr


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_predict_with_empty_data_dir(use_data, tmp_path, experiment):
    """Each test's tmp_path is a new data dir, so api's per-data-dir cache cannot answer."""
    root = use_data(tmp_path / "empty")
    root.mkdir()
    result = invoke(["predict", "-e", experiment])
    assert_clean_exit(result, 2)
    assert result.stdout == ""
    err = result.stderr
    assert err.startswith("cevns: error: missing data file ")
    assert str(root / experiment) in err
    assert "CEVNS_DATA_DIR" in err
    assert RELEASES[experiment]["published_at"] in err
    missing = err.split("missing data file ", 1)[1].split(";", 1)[0]  # one line: parts joined by "; "
    assert Path(missing).parent == root / experiment
    assert Path(missing).name in RELEASES[experiment]["files"]
    assert RELEASES[experiment]["files"][Path(missing).name] in err


def test_data_check_empty_data_dir(use_data, tmp_path):
    use_data(tmp_path)
    result = invoke(["data", "check", "--json"])
    assert_clean_exit(result, 1)
    report = json.loads(result.stdout)
    assert report["data_dir"] == str(tmp_path)
    assert report["env_var"] == "CEVNS_DATA_DIR"
    assert set(report["releases"]) == set(RELEASES)
    for release, info in report["releases"].items():
        assert info["status"] == "missing"
        assert info["files_ok"] == 0
        assert info["files_total"] == len(RELEASES[release]["files"])
        assert {p["status"] for p in info["problems"]} == {"missing"}
        assert info["published_at"] == RELEASES[release]["published_at"]


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["predict", "-e", "csi-2021", "-r", "nope2099"], "unknown recipe 'nope2099'"),
        (["predict", "-e", "lar-2020"], "missing data file"),
    ],
    ids=["unknown-recipe", "missing-data"],
)
def test_error_in_a_real_process(tmp_path, args, fragment):
    """``python -m cevns.cli``: a user error gives status 2 and one message, no traceback."""
    env = dict(os.environ, CEVNS_DATA_DIR=str(tmp_path))
    proc = subprocess.run(
        [sys.executable, "-m", "cevns.cli", *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout, proc.stderr
    assert proc.stdout == ""
    assert proc.stderr.startswith("cevns: error: ")
    assert fragment in proc.stderr


# --------------------------------------------------------------------------- real data


@pytest.fixture
def real_data(data_root, use_data):
    return use_data(data_root)


def predict_json(args: list[str]) -> dict:
    result = invoke(["predict", *args, "--json"])
    assert_clean_exit(result, 0)
    return json.loads(result.stdout)


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_predict_json(real_data, experiment):
    out = predict_json(["-e", experiment])
    for key in ("experiment", "recipe", "cevns_total", "cevns_by_flavor", "backgrounds", "observed_total", "bins", "provenance"):
        assert key in out, f"{key!r} missing from predict --json output: {list(out)}"
    assert out["experiment"] == experiment
    assert out["recipe"] == "atzori2022"  # the default

    total = out["cevns_total"]
    assert isinstance(total, float) and total > 0
    by_flavour = out["cevns_by_flavor"]
    assert set(by_flavour) == FLAVOURS
    assert all(isinstance(v, float) and v > 0 for v in by_flavour.values())
    assert sum(by_flavour.values()) == pytest.approx(total, rel=1e-9)

    backgrounds = out["backgrounds"]
    assert isinstance(backgrounds, dict)
    assert set(backgrounds) == BACKGROUND_KEYS[experiment]
    assert all(isinstance(v, float) and v >= 0 for v in backgrounds.values())

    assert out["observed_total"] == OBSERVED_TOTAL[experiment]

    # SM prediction near the collaboration's (checked loosely: recipes differ by a few %)
    ref = out["reference"]["cevns_total"]
    assert abs(total - ref) / ref < 0.10, f"{experiment}: predicted {total:.1f}, published {ref}"

    bins = out["bins"]
    n_e, n_t = len(bins["energy_edges"]) - 1, len(bins["time_edges_us"]) - 1
    assert n_e > 0 and n_t > 0
    assert np.all(np.diff(bins["energy_edges"]) > 0)
    assert np.all(np.diff(bins["time_edges_us"]) > 0)
    cevns_bins = np.asarray(bins["cevns"], dtype=float)
    assert cevns_bins.shape == (n_e, n_t)
    assert cevns_bins.sum() == pytest.approx(total, rel=1e-9)
    observed = np.asarray(bins["observed"], dtype=float)
    assert observed.shape == (n_e, n_t)
    assert observed.sum() == pytest.approx(out["observed_total"])
    assert set(bins["backgrounds"]) == set(backgrounds)
    for k, counts in bins["backgrounds"].items():
        assert np.asarray(counts, dtype=float).shape == (n_e, n_t)
        assert np.sum(counts) == pytest.approx(backgrounds[k], rel=1e-9, abs=1e-9)

    prov = out["provenance"]
    assert prov["cevns_version"] == cevns.__version__
    assert prov["recipe"] == "atzori2022"
    assert prov["data_dir"] == str(real_data)
    hashes = prov["data_files_sha256"]
    assert hashes, "provenance should list the data files used"
    for name, digest in hashes.items():
        assert name in RELEASES[experiment]["files"], f"{name} is not a file of {experiment}"
        assert digest == RELEASES[experiment]["files"][name], name


@pytest.mark.parametrize("recipe", RECIPE_NAMES)
def test_predict_json_with_recipe(real_data, recipe):
    out = predict_json(["-e", "csi-2021", "--recipe", recipe])
    assert out["recipe"] == recipe
    assert out["provenance"]["recipe"] == recipe
    assert sum(out["cevns_by_flavor"].values()) == pytest.approx(out["cevns_total"], rel=1e-9)
    assert out["observed_total"] == OBSERVED_TOTAL["csi-2021"]


def test_predict_human(real_data):
    result = invoke(["predict", "-e", "csi-2021"])
    assert_clean_exit(result, 0)
    assert "csi-2021 with recipe atzori2022" in result.stdout
    assert "observed" in result.stdout and "1578" in result.stdout
    for name in FLAVOURS:
        assert name in result.stdout


def test_data_check_real_data(real_data):
    result = invoke(["data", "check", "--json"])
    assert_clean_exit(result, 0)
    report = json.loads(result.stdout)
    assert report["data_dir"] == str(real_data)
    assert set(report["releases"]) == set(RELEASES)
    for release, info in report["releases"].items():
        assert info["status"] == "ok", f"{release}: {info}"
        assert info["files_ok"] == info["files_total"] == len(RELEASES[release]["files"])
        assert info["problems"] == []


def test_data_check_human_real_data(real_data):
    result = invoke(["data", "check"])
    assert_clean_exit(result, 0)
    assert str(real_data) in result.stdout
    for release in RELEASES:
        assert release in result.stdout


def test_data_check_altered_copy(release_copy, use_data):
    root = use_data(release_copy())
    path = root / "lar-2020" / "cevnspdf.txt"
    with open(path, "ab") as fh:
        fh.write(b"0")

    result = invoke(["data", "check", "--json"])
    assert_clean_exit(result, 1)
    report = json.loads(result.stdout)
    lar = report["releases"]["lar-2020"]
    assert lar["status"] == "incomplete"
    assert lar["files_ok"] == lar["files_total"] - 1
    assert lar["problems"] == [{"file": "cevnspdf.txt", "path": str(path), "status": "altered"}]
    assert report["releases"]["csi-2017"]["status"] == "ok"
    assert report["releases"]["csi-2021"]["status"] == "ok"

    human = invoke(["data", "check"])
    assert_clean_exit(human, 1)
    assert f"altered: {path}" in human.stdout
    assert RELEASES["lar-2020"]["published_at"] in human.stdout


def test_data_check_missing_release_in_copy(release_copy, use_data):
    root = use_data(release_copy("csi-2021"))
    (root / "csi-2021" / "brnPE.txt").unlink()
    report_result = invoke(["data", "check", "--json"])
    assert_clean_exit(report_result, 1)
    releases = json.loads(report_result.stdout)["releases"]
    assert releases["csi-2017"]["status"] == "missing"
    assert releases["lar-2020"]["status"] == "missing"
    assert releases["csi-2021"]["status"] == "incomplete"
    assert releases["csi-2021"]["problems"] == [
        {"file": "brnPE.txt", "path": str(root / "csi-2021" / "brnPE.txt"), "status": "missing"}
    ]


def test_predict_altered_copy(release_copy, use_data):
    """A fresh copy is a new data dir, so predict re-reads (and re-verifies) the files."""
    root = use_data(release_copy("csi-2021"))
    path = root / "csi-2021" / "dataBeamOnC.txt"
    with open(path, "ab") as fh:
        fh.write(b"\n")
    result = invoke(["predict", "-e", "csi-2021", "--json"])
    assert_clean_exit(result, 2)
    assert result.stdout == ""
    assert result.stderr.startswith("cevns: error: altered data file ")
    assert str(path) in result.stderr
    assert RELEASES["csi-2021"]["files"]["dataBeamOnC.txt"] in result.stderr
