"""Locating, verifying and parsing the public data releases.

The releases are the collaborations', not ours to redistribute: cevns never ships them.
``cevns data fetch`` (:mod:`cevns.data_fetch`) downloads them from their official
locations; cevns reads them from a data directory holding one folder per release
(``csi-2017/``, ``csi-2021/``, ``lar-2020/``):

1. ``$CEVNS_DATA_DIR`` if set: one folder, or several separated by ``os.pathsep`` (``:`` on
   Linux/macOS, like ``PATH``), searched in order for each release folder (the XENONnT
   ``xenonnt-8b/`` may sit in another folder than the COHERENT ones);
2. otherwise the per-user data directory (``platformdirs.user_data_dir("cevns")``:
   ``$XDG_DATA_HOME/cevns``, default ``~/.local/share/cevns``, on Linux), which is
   where ``cevns data fetch`` puts them when the variable is unset.

Every file is checked against the SHA-256 registry in :mod:`cevns._registry` (the
``cevns/releases/*.toml`` files) before it is parsed; a missing, altered, unreadable or
malformed file raises :class:`DataError` whose message names the file, what was
expected and where the release is published. A file that differs from the published one
only by its line endings (CRLF instead of LF) is accepted and reported as such.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ._registry import RELEASES, release_info
from .errors import DataError  # defined in cevns.errors; ``from cevns.data import DataError`` keeps working

ENV_VAR = "CEVNS_DATA_DIR"


def data_dirs() -> list[Path]:
    """The data folders, in search order: ``$CEVNS_DATA_DIR`` split at ``os.pathsep``, or the
    per-user data directory (~/.local/share/cevns on Linux)."""
    env = os.environ.get(ENV_VAR)
    parts = [p for p in (env or "").split(os.pathsep) if p]
    if parts:
        return [Path(p).expanduser() for p in parts]
    import platformdirs

    return [Path(platformdirs.user_data_dir("cevns", appauthor=False))]


def data_dir() -> Path:
    """The first data folder (where ``cevns data fetch`` writes): see :func:`data_dirs`."""
    return data_dirs()[0]


def release_folder(release: str, root: Path | str | None = None) -> Path:
    """The folder of ``release``: under ``root`` (one folder, or several joined by ``os.pathsep``;
    default :func:`data_dirs`), the first that holds ``release/``, else under the first folder."""
    roots = data_dirs() if root is None else [Path(p).expanduser() for p in str(root).split(os.pathsep) if p]
    for r in roots:
        if (r / release).is_dir():
            return r / release
    return roots[0] / release


def release_names() -> list[str]:
    """Names of the releases cevns knows: ``csi-2017``, ``csi-2021``, ``lar-2020``."""
    return list(RELEASES)


def _check_release(release: str) -> dict:
    try:
        return release_info(release)
    except KeyError:
        raise DataError(f"unknown data release {release!r}; known releases: {', '.join(RELEASES)}") from None


def _where(release: str) -> str:
    info = _check_release(release)
    return f"The {release} release ({info['title']}) is published at {info['published_at']}."


@lru_cache(maxsize=256)
def _sha256(path: Path, mtime_ns: int, size: int) -> tuple[str, str]:  # cache keyed on file identity
    """(SHA-256 of the bytes, SHA-256 after normalising CRLF line endings to LF)."""
    with open(path, "rb") as fh:
        raw = fh.read()
    exact = hashlib.sha256(raw).hexdigest()
    lf = raw.replace(b"\r\n", b"\n")
    return exact, (exact if lf == raw else hashlib.sha256(lf).hexdigest())


def _hashes(path: Path) -> tuple[str, str]:
    st = path.stat()
    try:
        return _sha256(path, st.st_mtime_ns, st.st_size)
    except OSError as exc:  # permission denied, I/O error: say so, one line
        raise DataError(unreadable_message(path, exc)) from None


def unreadable_message(path: Path, exc: OSError) -> str:
    """One-line message for a data file that exists but cannot be read."""
    return (f"unreadable data file {path} ({exc.strerror or exc}): make it readable (chmod u+r) "
            f"or fetch it again (cevns data fetch)")


def file_sha256(path: Path) -> str:
    """SHA-256 of a file (cached per path, modification time and size)."""
    return _hashes(path)[0]


def line_endings_only(path: Path, expected: str) -> bool:
    """True if ``path`` differs from the file of SHA-256 ``expected`` only by CRLF line endings."""
    exact, lf = _hashes(path)
    return exact != expected and lf == expected


def release_file(release: str, name: str, root: Path | None = None) -> Path:
    """Path of a verified release file; raises :class:`DataError` if missing, unreadable or altered.

    A file equal to the published one after normalising CRLF line endings to LF is accepted
    (the parsers read either).
    """
    info = _check_release(release)
    if name not in info["files"]:
        raise DataError(f"{name!r} is not a file of the {release} release")
    base = release_folder(release, root)
    path = base / name
    expected = info["files"][name]
    if path.is_dir():
        raise DataError(f"data file {path} cannot be read: it is a folder; replace it with the published file "
                        f"(cevns data fetch {release})")
    if not path.is_file():
        raise DataError(
            f"missing data file {path}\n"
            f"  expected SHA-256 {expected}\n"
            f"  {_where(release)}\n"
            f"  Run `cevns data fetch {release}`, put the release files in {base}/ "
            f"or point ${ENV_VAR} at the folder holding '{release}/' (several folders: separate them with "
            f"{os.pathsep!r})."
        )
    got, got_lf = _hashes(path)
    if expected not in (got, got_lf):
        raise DataError(
            f"altered data file {path}\n"
            f"  expected SHA-256 {expected}\n"
            f"  found    SHA-256 {got}\n"
            f"  {_where(release)} Replace the file with the published one (cevns data fetch {release})."
        )
    return path


@dataclass(frozen=True)
class FileStatus:
    """Verification result of one release file."""

    release: str
    name: str
    path: str
    status: str  # "ok", "crlf" (differs only by CRLF line endings: accepted), "missing" or "altered"


def check_release(release: str, root: Path | None = None) -> list[FileStatus]:
    """Verify every file of ``release``; never raises for missing/altered files.

    An unreadable file raises :class:`DataError` (one line): nothing can be said about it.
    """
    info = _check_release(release)
    out = []
    for name, expected in info["files"].items():
        path = release_folder(release, root) / name
        if not path.is_file():
            status = "missing"
        else:
            exact, lf = _hashes(path)
            status = "ok" if exact == expected else "crlf" if lf == expected else "altered"
        out.append(FileStatus(release, name, str(path), status))
    return out


def optional_releases_present(root: Path | str | None = None) -> list[str]:
    """Releases cevns can fetch but the COHERENT experiments do not read (``xenonnt-8b``) that
    have a folder in one of the data folders (``root``: as for :func:`release_folder`)."""
    from ._registry import fetchable_releases

    return [n for n in fetchable_releases() if n not in RELEASES and release_folder(n, root).is_dir()]


def check_all(root: Path | str | None = None) -> dict:
    """The report of ``cevns data check``: every release the experiments read, verified, and
    each optional release (``xenonnt-8b``) present in a data folder.

    Each release is looked for in every data folder (:func:`data_dirs`, or ``root``), the
    first folder holding it wins. ``files_ok`` counts files accepted (``ok`` and ``crlf``);
    ``problems`` lists missing and altered files; ``line_endings`` lists files accepted
    although their line endings are CRLF (content equal to the published file after
    normalising them); ``folder`` is where the release was looked for.
    """
    releases = {}
    for rel in [*release_names(), *optional_releases_present(root)]:
        statuses = check_release(rel, root)
        bad = [s for s in statuses if s.status not in ("ok", "crlf")]
        releases[rel] = {
            "status": "ok" if not bad else ("missing" if all(s.status == "missing" for s in statuses) else "incomplete"),
            "files_ok": sum(s.status in ("ok", "crlf") for s in statuses),
            "files_total": len(statuses),
            "problems": [{"file": s.name, "path": s.path, "status": s.status} for s in bad],
            "line_endings": [{"file": s.name, "path": s.path, "status": "crlf"} for s in statuses if s.status == "crlf"],
            "published_at": release_info(rel)["published_at"],
            "folder": str(release_folder(rel, root)),
        }
    folders = data_dirs() if root is None else [Path(p).expanduser() for p in str(root).split(os.pathsep) if p]
    return {"data_dir": str(folders[0]), "data_dirs": [str(f) for f in folders], "env_var": ENV_VAR,
            "releases": releases}


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
