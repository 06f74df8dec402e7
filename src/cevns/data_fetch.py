"""``cevns data fetch``: download the public data releases from their official locations.

Each release's registry file (``cevns/releases/<release>.toml``, see :mod:`cevns._registry`)
gives the official ``url`` and its ``format``:

* ``zip`` / ``tar.gz`` / ``tar``: one archive (Zenodo serves every file of a record as
  one zip), downloaded with :func:`pooch.retrieve` and unpacked with its
  :class:`pooch.Unzip` / :class:`pooch.Untar` processors; archives found inside it are
  unpacked too;
* ``files``: one download per file, ``url + name`` (arXiv ancillary files).

Zenodo builds its archive on request, so its bytes cannot be pinned: the archive's own
SHA-256 is checked only where the registry gives one (``archive_sha256``). What is always
checked is every file cevns installs, against the registry's per-file SHA-256 (a file
whose only difference is CRLF line endings is accepted and installed with LF endings).
A file is matched by its path, else by its content (a member with the expected SHA-256,
whatever its name). Nothing unverified is ever installed: verified files are staged
beside the release folder and moved in with atomic renames (with a ``SHA256SUMS`` file
listing them); downloads go through pooch's
temporary files, renamed once complete; a release already present and verified is not
downloaded again, and of a per-file release only the missing or altered files are.

``$CEVNS_DATA_URL`` (or ``cevns data fetch --url``) replaces the official locations by a
mirror serving ``<url>/<filename>`` for archive releases (``csi-2017.zip``, ...) and
``<url>/<release>/<name>`` for per-file releases (a copy of a data directory served over
HTTP is such a mirror for them).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tarfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import data as data_mod
from ._registry import fetchable_releases, release_info
from .errors import DataError

URL_ENV_VAR = "CEVNS_DATA_URL"
TIMEOUT_S = 60
_ARCHIVE_SUFFIXES = (".zip", ".tar.gz", ".tgz", ".tar")


@dataclass(frozen=True)
class FetchResult:
    """What :func:`fetch_release` did."""

    release: str
    path: str  # the release folder
    status: str  # "present" (already verified, nothing downloaded) or "fetched"
    files: int  # files of the release (all verified)
    downloaded: list[str]  # URLs downloaded


def base_url(url: str | None = None) -> str | None:
    """The mirror replacing the official locations: ``url``, else ``$CEVNS_DATA_URL``, else None."""
    url = url or os.environ.get(URL_ENV_VAR) or None
    return url.rstrip("/") if url else None


def release_urls(release: str, url: str | None = None) -> dict[str, str]:
    """Download URL of each artefact: ``{filename: url}`` (one archive, or one per file)."""
    info = _info(release)
    mirror = base_url(url)
    if info["format"] == "files":
        if mirror:
            return {name: f"{mirror}/{release}/{name}" for name in info["files"]}
        return {name: info["url"] + name for name in info["files"]}
    return {info["filename"]: f"{mirror}/{info['filename']}" if mirror else info["url"]}


def _info(release: str) -> dict:
    try:
        return release_info(release)
    except KeyError:
        raise DataError(f"unknown data release {release!r}; known releases: {', '.join(fetchable_releases())}") from None


def _verified(path: Path, expected: str) -> bytes | None:
    """The file's bytes (CRLF normalised to LF where that makes them match) if they have SHA-256 ``expected``."""
    raw = path.read_bytes()
    if hashlib.sha256(raw).hexdigest() == expected:
        return raw
    lf = raw.replace(b"\r\n", b"\n")
    if lf != raw and hashlib.sha256(lf).hexdigest() == expected:
        return lf
    return None


def _present(release: str, target: Path) -> list[str]:
    """Files of ``release`` missing or altered in ``target`` (an unreadable one raises DataError)."""
    info = _info(release)
    todo = []
    for name, expected in info["files"].items():
        path = target / name
        if not path.is_file():
            todo.append(name)
            continue
        try:
            ok = _verified(path, expected) is not None
        except OSError as exc:
            raise DataError(data_mod.unreadable_message(path, exc)) from None
        if not ok:
            todo.append(name)
    return todo


def _offline_message(release: str, url: str, exc: BaseException, target: Path) -> str:
    reason = " ".join(str(exc).split())
    if len(reason) > 160:
        reason = reason[:157] + "..."
    return (f"cannot download the {release} release from {url} ({type(exc).__name__}: {reason}); "
            f"download it manually from there and unpack it into {target}/, "
            f"or set ${URL_ENV_VAR} to a mirror (cevns data fetch --url URL)")


def _retrieve(url: str, fname: str, folder: Path, release: str, target: Path, known_hash: str | None,
              processor=None, progress: bool = False):
    """:func:`pooch.retrieve` with network failures turned into a one-line :class:`DataError`."""
    import pooch
    import requests

    pooch.get_logger().setLevel("WARNING")
    bar = progress and _have_tqdm()
    downloader = pooch.HTTPDownloader(progressbar=bar, timeout=TIMEOUT_S)
    try:
        return pooch.retrieve(url, known_hash=known_hash or None, fname=fname, path=folder, processor=processor,
                              downloader=downloader)
    except requests.exceptions.RequestException as exc:
        raise DataError(_offline_message(release, url, exc, target)) from None
    except ValueError as exc:  # pooch: the archive's SHA-256 does not match (the download was removed)
        if "hash" not in str(exc).lower():
            raise
        raise DataError(f"the {release} archive downloaded from {url} is corrupt (its SHA-256 does not match the "
                        f"registry); nothing was installed: run `cevns data fetch {release}` again") from None


def _have_tqdm() -> bool:
    import importlib.util

    return importlib.util.find_spec("tqdm") is not None and sys.stderr.isatty()


def _unpack(archive: Path, dest: Path) -> None:
    """Unpack ``archive`` into ``dest`` with pooch's processors."""
    import pooch

    name = archive.name.lower()
    processor = pooch.Unzip(extract_dir=str(dest)) if name.endswith(".zip") else pooch.Untar(extract_dir=str(dest))
    processor(str(archive), "download", None)


def _unpack_nested(folder: Path, depth: int = 2) -> None:
    """Unpack archives found inside an unpacked archive (a record holding a zip of the release)."""
    for _ in range(depth):
        nested = [p for p in folder.rglob("*") if p.is_file() and p.name.lower().endswith(_ARCHIVE_SUFFIXES)
                  and not (p.parent / (p.name + ".d")).exists()]
        if not nested:
            return
        for p in nested:
            _unpack(p, p.parent / (p.name + ".d"))


def _stage_from_tree(release: str, tree: Path, names: list[str], stage: Path, source: str) -> None:
    """Copy each of ``names`` from the unpacked ``tree`` into ``stage``, verified; DataError naming the misses."""
    info = _info(release)
    members = [p for p in tree.rglob("*") if p.is_file()]
    by_name: dict[str, list[Path]] = {}
    for p in members:
        by_name.setdefault(p.name, []).append(p)
    by_hash: dict[str, Path] | None = None
    missing, altered = [], []
    for name in names:
        expected = info["files"][name]
        parts = Path(name).parts
        candidates = [p for p in by_name.get(parts[-1], []) if p.parts[-len(parts):] == parts]
        content = next((c for c in (_verified(p, expected) for p in candidates) if c is not None), None)
        if content is None:  # same content under another name (or folder)
            if by_hash is None:
                by_hash = {}
                for p in members:
                    raw = p.read_bytes()
                    by_hash.setdefault(hashlib.sha256(raw).hexdigest(), p)
                    by_hash.setdefault(hashlib.sha256(raw.replace(b"\r\n", b"\n")).hexdigest(), p)
            if expected in by_hash:
                content = _verified(by_hash[expected], expected)
        if content is None:
            (altered if candidates else missing).append(name)
            continue
        out = stage / name
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(content)
    if missing or altered:
        what = []
        if altered:
            what.append(f"{len(altered)} file(s) differ from the published ones ({', '.join(altered[:3])}"
                        f"{', ...' if len(altered) > 3 else ''})")
        if missing:
            what.append(f"{len(missing)} file(s) are not in it ({', '.join(missing[:3])}{', ...' if len(missing) > 3 else ''})")
        raise DataError(f"the {release} archive from {source} does not hold the published release: {'; '.join(what)}; "
                        f"nothing was installed (check the URL, or the registry cevns/releases/{release}.toml)")


def _install(stage: Path, target: Path) -> None:
    """Move the verified staged files into ``target`` (atomic renames, same file system)."""
    if not target.exists():
        os.replace(stage, target)
        return
    for src in sorted(p for p in stage.rglob("*") if p.is_file()):
        dst = target / src.relative_to(stage)
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.replace(src, dst)
    shutil.rmtree(stage, ignore_errors=True)


def fetch_release(release: str, root: Path | None = None, url: str | None = None, progress: bool = False,
                  log: Callable[[str], None] | None = None) -> FetchResult:
    """Download, verify and install ``release`` into ``root`` (default: the data directory).

    Raises :class:`DataError` (one line) when the download fails (offline, unreachable,
    HTTP error), when the archive is corrupt or does not hold the published files; in
    every such case nothing unverified is left in the release folder.
    """
    info = _info(release)
    root = Path(root) if root is not None else data_mod.data_dir()
    target = root / release
    todo = _present(release, target)
    if not todo:
        return FetchResult(release, str(target), "present", len(info["files"]), [])
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"cannot create the data directory {root} ({exc.strerror or exc}): "
                        f"set ${data_mod.ENV_VAR} to a writable folder") from None
    downloads = root / ".downloads" / release
    stage = root / f".{release}.partial"
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir(parents=True)
    urls = release_urls(release, url)
    fetched: list[str] = []
    try:
        if info["format"] == "files":
            for name in todo:
                if log:
                    log(f"downloading {urls[name]}")
                path = Path(_retrieve(urls[name], name, downloads, release, target, None, progress=progress))
                fetched.append(urls[name])
                content = _verified(path, info["files"][name])
                if content is None:
                    path.unlink(missing_ok=True)
                    raise DataError(f"{name} downloaded from {urls[name]} differs from the published {release} file "
                                    f"(SHA-256 mismatch); nothing was installed: run `cevns data fetch {release}` again")
                out = stage / name
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(content)
        else:
            (filename, archive_url), = urls.items()
            if log:
                log(f"downloading {archive_url}")
            archive = Path(_retrieve(archive_url, filename, downloads, release, target, info.get("archive_sha256"),
                                     progress=progress))
            fetched.append(archive_url)
            tree = downloads / "unpacked"
            shutil.rmtree(tree, ignore_errors=True)
            try:
                _unpack(archive, tree)
                _unpack_nested(tree)
            except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError) as exc:
                archive.unlink(missing_ok=True)  # the next fetch downloads it again
                raise DataError(f"the {release} archive downloaded from {archive_url} is corrupt or not a "
                                f"{info['format']} archive ({type(exc).__name__}: {exc}); nothing was installed: "
                                f"run `cevns data fetch {release}` again") from None
            try:
                _stage_from_tree(release, tree, todo, stage, archive_url)
            except DataError:
                archive.unlink(missing_ok=True)
                raise
        sums = "".join(f"{digest}  {name}\n" for name, digest in sorted(info["files"].items()))
        (stage / "SHA256SUMS").write_text(sums)  # `sha256sum -c SHA256SUMS` in the folder re-checks it
        _install(stage, target)
        shutil.rmtree(downloads, ignore_errors=True)  # installed: the downloads are no longer needed
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        shutil.rmtree(downloads / "unpacked", ignore_errors=True)
        for folder in (downloads, root / ".downloads"):  # only where empty (a complete download is kept)
            try:
                folder.rmdir()
            except OSError:
                pass
    left = _present(release, target)
    if left:  # cannot happen unless the folder changed under us
        raise DataError(f"{len(left)} file(s) of {release} failed verification after installing: {', '.join(left[:3])}")
    return FetchResult(release, str(target), "fetched", len(info["files"]), fetched)


def fetch(releases: list[str] | None = None, root: Path | None = None, url: str | None = None, progress: bool = False,
          log: Callable[[str], None] | None = None) -> list[FetchResult]:
    """Fetch several releases (default: those the experiments read); see :func:`fetch_release`."""
    names = list(releases) if releases else list(data_mod.release_names())
    for name in names:
        _info(name)  # unknown names fail before any download
    return [fetch_release(name, root, url, progress, log) for name in names]
