"""Locating, verifying and parsing the COHERENT public data releases.

The releases are the COHERENT Collaboration's, not ours to redistribute: cevns never
ships them. It reads them from a data directory holding one folder per release
(``csi-2017/``, ``csi-2021/``, ``lar-2020/``):

1. ``$CEVNS_DATA_DIR`` if set;
2. otherwise ``$XDG_DATA_HOME/cevns`` (default ``~/.local/share/cevns``).

Every file is checked against the SHA-256 registry in :mod:`cevns._registry` before it
is parsed; a missing, altered or malformed file raises :class:`DataError` whose message
names the file, what was expected and where the release is published.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ._registry import RELEASES
from .errors import DataError  # defined in cevns.errors; ``from cevns.data import DataError`` keeps working

ENV_VAR = "CEVNS_DATA_DIR"




def data_dir() -> Path:
    """The data directory: ``$CEVNS_DATA_DIR`` or ``$XDG_DATA_HOME/cevns`` (~/.local/share/cevns)."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg) / "cevns"


def release_names() -> list[str]:
    """Names of the releases cevns knows: ``csi-2017``, ``csi-2021``, ``lar-2020``."""
    return list(RELEASES)


def _check_release(release: str) -> dict:
    if release not in RELEASES:
        raise DataError(f"unknown data release {release!r}; known releases: {', '.join(RELEASES)}")
    return RELEASES[release]


def _where(release: str) -> str:
    info = RELEASES[release]
    return f"The {release} release ({info['title']}) is published at {info['published_at']}."


@lru_cache(maxsize=256)
def _sha256(path: Path, mtime_ns: int, size: int) -> str:  # cache keyed on file identity
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def file_sha256(path: Path) -> str:
    """SHA-256 of a file (cached per path, modification time and size)."""
    st = path.stat()
    return _sha256(path, st.st_mtime_ns, st.st_size)


def release_file(release: str, name: str, root: Path | None = None) -> Path:
    """Path of a verified release file; raises :class:`DataError` if missing or altered."""
    info = _check_release(release)
    if name not in info["files"]:
        raise DataError(f"{name!r} is not a file of the {release} release")
    base = (root or data_dir()) / release
    path = base / name
    expected = info["files"][name]
    if not path.is_file():
        raise DataError(
            f"missing data file {path}\n"
            f"  expected SHA-256 {expected}\n"
            f"  {_where(release)}\n"
            f"  Put the release files in {base}/ or point ${ENV_VAR} at the folder holding '{release}/'."
        )
    got = file_sha256(path)
    if got != expected:
        raise DataError(
            f"altered data file {path}\n"
            f"  expected SHA-256 {expected}\n"
            f"  found    SHA-256 {got}\n"
            f"  {_where(release)} Replace the file with the published one."
        )
    return path


@dataclass(frozen=True)
class FileStatus:
    """Verification result of one release file."""

    release: str
    name: str
    path: str
    status: str  # "ok", "missing" or "altered"


def check_release(release: str, root: Path | None = None) -> list[FileStatus]:
    """Verify every file of ``release``; never raises for missing/altered files."""
    info = _check_release(release)
    out = []
    for name in info["files"]:
        path = (root or data_dir()) / release / name
        try:
            release_file(release, name, root)
            status = "ok"
        except DataError:
            status = "missing" if not path.is_file() else "altered"
        out.append(FileStatus(release, name, str(path), status))
    return out


def load_table(
    release: str, name: str, ncols: int, root: Path | None = None, delimiter: str | None = None, header_lines: int = 0
) -> NDArray[np.float64]:
    """Parse a verified numeric table of exactly ``ncols`` columns (``#`` comments skipped).

    ``header_lines`` leading lines (column titles without ``#``) are skipped. A
    malformed line raises :class:`DataError` naming file and line number.
    """
    path = release_file(release, name, root)
    with open(path, encoding="utf-8", errors="replace") as fh:
        text = fh.read()
    fast = _parse_table_fast(text, ncols, delimiter, header_lines)
    if fast is not None:
        return fast
    # anything the vectorised parser refuses is re-read line by line, which names the bad line
    return _parse_table_lines(text, path, ncols, delimiter, header_lines)


def _parse_table_fast(text: str, ncols: int, delimiter: str | None, header_lines: int) -> NDArray[np.float64] | None:
    """``np.loadtxt`` parse of a well-formed table (the releases have up to ~10^5 rows, which the
    line-by-line parser reads in tens of ms per file); ``None`` for anything it would not read
    exactly as :func:`_parse_table_lines` does (wrong column count, bad token, no rows)."""
    import io
    import warnings

    if delimiter is None:
        text = text.replace(",", " ")  # comma or whitespace separated, as the line parser reads it
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # "input contained no data" must fall through, not warn
            table = np.loadtxt(io.StringIO(text), dtype=float, comments="#", delimiter=delimiter,
                               skiprows=header_lines, ndmin=2)
    except (ValueError, UserWarning):
        return None
    if table.shape[0] == 0 or table.shape[1] != ncols:
        return None
    return table


def _parse_table_lines(text: str, path: Path, ncols: int, delimiter: str | None, header_lines: int) -> NDArray[np.float64]:
    """Line-by-line parse with errors naming the file and the 1-based line number."""
    import io

    rows: list[list[float]] = []
    for lineno, raw in enumerate(io.StringIO(text), start=1):  # lines as iterating the file gives them
        if lineno <= header_lines:
            continue
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.replace(",", " ").split() if delimiter is None else [p for p in line.split(delimiter)]
        try:
            vals = [float(p) for p in parts]
        except ValueError:
            raise DataError(f"malformed line {lineno} in {path}: {raw.strip()!r} (expected {ncols} numbers)") from None
        if len(vals) != ncols:
            raise DataError(
                f"malformed line {lineno} in {path}: {raw.strip()!r} has {len(vals)} columns, expected {ncols}"
            )
        rows.append(vals)
    if not rows:
        raise DataError(f"no data rows in {path}")
    return np.asarray(rows, dtype=float)


def load_coefficient_sets(release: str, name: str, root: Path | None = None) -> NDArray[np.float64]:
    """Rows of 4 coefficients (CsI 2021 ``effCoefficients.txt``, ``scintRespCoefficients.txt``)."""
    return load_table(release, name, 4, root)
