"""Shared fixtures: where the COHERENT data releases are, and writable copies of them.

The releases are never part of the repository. Tests that need them take the
``data_root`` fixture (directly or through ``release_copy``), which skips the test
unless ``$CEVNS_DATA_DIR`` points at a folder holding the releases; tests that need no
data run everywhere.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from cevns._registry import RELEASES

ENV_VAR = "CEVNS_DATA_DIR"


def pytest_configure(config) -> None:
    """Without ``$CEVNS_DATA_DIR``, use the reference copies beside the checkout when they
    exist (``../shared/data/coherent``, then ``../shared/data`` for ``xenonnt-8b/``), as CI does."""
    if os.environ.get(ENV_VAR):
        return
    shared = Path(__file__).resolve().parents[2] / "shared" / "data"
    folders = [shared / "coherent", shared]
    if (shared / "coherent").is_dir():
        os.environ[ENV_VAR] = os.pathsep.join(str(f) for f in folders if f.is_dir())


@pytest.fixture(scope="session")
def data_root() -> Path:
    """Root folder of the reference releases, or skip the test.

    ``$CEVNS_DATA_DIR``, else the per-user data directory where ``cevns data fetch`` put them.
    """
    from cevns.data import data_dir

    root = data_dir()
    if (root / "csi-2021" / "SHA256SUMS").is_file():
        return root
    pytest.skip("COHERENT releases not found: run `cevns data fetch` or set CEVNS_DATA_DIR")


def _make_writable(root: Path) -> None:
    """The reference copies are read-only; copies in tmp_path must be alterable and removable."""
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            p.chmod(p.stat().st_mode | stat.S_IWUSR | stat.S_IRUSR | (stat.S_IXUSR if p.is_dir() else 0))
    root.chmod(root.stat().st_mode | stat.S_IWUSR | stat.S_IRUSR | stat.S_IXUSR)


@pytest.fixture
def release_copy(tmp_path: Path, data_root: Path) -> Callable[..., Path]:
    """Factory: ``release_copy("csi-2021")`` (or ``release_copy()`` for all releases).

    Copies the release folder(s) from ``data_root`` into a fresh folder under ``tmp_path``
    and returns that folder (the new data root), so a test may delete, alter or malform
    files without touching the reference copy. Each call gives a new root, so the
    per-data-directory caches of :mod:`cevns.api` never see a stale entry.
    """
    counter = {"n": 0}

    def _copy(release: str | None = None) -> Path:
        names = list(RELEASES) if release is None else [release]
        unknown = [n for n in names if n not in RELEASES]
        if unknown:
            raise ValueError(f"release_copy: unknown release(s) {unknown}; known: {list(RELEASES)}")
        counter["n"] += 1
        root = tmp_path / f"data{counter['n']}"
        root.mkdir()
        for name in names:
            shutil.copytree(data_root / name, root / name)
        _make_writable(root)
        return root

    return _copy
