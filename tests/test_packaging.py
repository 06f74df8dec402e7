"""Packaging as the ecosystem expects (issue #11 item 9): declared imports, py.typed, one version, fast start-up."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import cevns

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]


def _declared() -> set[str]:
    reqs = PROJECT["dependencies"] + [r for extra in PROJECT["optional-dependencies"].values() for r in extra]
    return {re.split(r"[\[<>=!~ ;]", r, maxsplit=1)[0].lower() for r in reqs}


def test_every_imported_library_is_declared():
    stdlib = set(sys.stdlib_module_names) | {"cevns"}
    aliases = {"yaml": "pyyaml", "dask_jobqueue": "dask-jobqueue", "nautilus": "nautilus-sampler"}
    imported = set()
    for path in (ROOT / "src" / "cevns").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    third_party = {aliases.get(n, n).lower() for n in imported - stdlib}
    assert third_party <= _declared(), f"undeclared: {sorted(third_party - _declared())}"


def test_pyarrow_is_the_parquet_extra():
    assert PROJECT["optional-dependencies"]["parquet"][0].startswith("pyarrow")
    assert not any(r.startswith("pyarrow") for r in PROJECT["dependencies"])


def test_version_in_one_place():
    assert "version" in PROJECT["dynamic"] and "version" not in PROJECT
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "cevns.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+\S*", cevns.__version__)


def test_py_typed_and_registry_shipped():
    assert (ROOT / "src" / "cevns" / "py.typed").is_file()
    package_data = PYPROJECT["tool"]["setuptools"]["package-data"]["cevns"]
    assert {"py.typed", "releases/*.toml", "presets/*.toml"} <= set(package_data)
    assert (ROOT / "CITATION.cff").is_file()


def test_cli_import_is_light():
    """`cevns --help` must not pay for scipy, matplotlib or the experiments (start-up < 0.2 s)."""
    code = ("import sys, cevns.cli; heavy = [m for m in ('scipy', 'matplotlib', 'cevns.api', 'cevns.experiments', "
            "'pooch', 'requests') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[]"
