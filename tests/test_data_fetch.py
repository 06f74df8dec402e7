"""``cevns data fetch`` (cevns.data_fetch) against a local HTTP server, and the data-check edge cases.

The server (``http.server`` on 127.0.0.1, in a thread) serves a mirror built at test time
in ``tmp_path`` from the reference copies: ``csi-2017.zip`` (files under a top folder, as a
Zenodo record's archive), ``lar-2020.zip`` (a zip inside the zip) and ``csi-2021/<file>``
(per-file, as arXiv ancillary files). Nothing here reaches the internet.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import io
import json
import os
import shutil
import socket
import tarfile
import threading
import zipfile
from pathlib import Path

import pytest

from cevns import _registry, data, data_fetch
from cevns._registry import RELEASES
from helpers import assert_clean_exit, invoke

XENON = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "xenonnt-8b"


# --------------------------------------------------------------------------- mirror and server


def _zip_folder(src: Path, prefix: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(src.iterdir()):
            zf.write(p, f"{prefix}/{p.name}" if prefix else p.name)
    return buf.getvalue()


def build_mirror(data_root: Path, folder: Path) -> Path:
    """A mirror of the three releases in the layout `cevns data fetch --url` expects."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "csi-2017.zip").write_bytes(_zip_folder(data_root / "csi-2017", "COHERENT-CsI-2017-data-release"))
    inner = _zip_folder(data_root / "lar-2020", "CENNS10AnlA")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:  # the record holds the release as a zip: a zip in the zip
        zf.writestr("COHERENT-LAr-2020-release.zip", inner)
        zf.writestr("README.txt", "record notes\n")
    (folder / "lar-2020.zip").write_bytes(buf.getvalue())
    shutil.copytree(data_root / "csi-2021", folder / "csi-2021")
    return folder


class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # quiet
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.server.requests.append(self.path)  # type: ignore[attr-defined]
        super().do_GET()


@pytest.fixture
def server(tmp_path, data_root):
    """(base URL, mirror folder, list of requested paths) of a server on 127.0.0.1."""
    mirror = build_mirror(data_root, tmp_path / "mirror")
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Handler, directory=str(mirror)))
    httpd.requests = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/", mirror, httpd.requests  # type: ignore[attr-defined]
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def fresh(monkeypatch, tmp_path):
    """No $CEVNS_DATA_DIR: the per-user data directory is tmp_path/xdg/cevns (Linux)."""
    monkeypatch.delenv("CEVNS_DATA_DIR", raising=False)
    monkeypatch.delenv("CEVNS_DATA_URL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg" / "cevns"


def leftovers(root: Path) -> list[str]:
    """Anything in the data directory other than complete release folders."""
    return sorted(p.name for p in root.iterdir() if p.name not in RELEASES) if root.exists() else []


def one_line_error(result) -> str:
    """The error: one line, the last on stderr (after any "downloading URL" progress lines)."""
    assert_clean_exit(result, 2)
    *progress, err = result.stderr.strip().splitlines()
    assert err.startswith("cevns: error: "), result.stderr
    assert all(line.startswith("downloading ") for line in progress), result.stderr
    return err


# --------------------------------------------------------------------------- registry


def test_registry_gives_official_location_and_source():
    for name in _registry.fetchable_releases():
        info = _registry.release_info(name)
        assert info["url"].startswith("https://"), name
        assert info["format"] in ("zip", "tar.gz", "tar", "files"), name
        assert info["source"], name
        assert info["files"], name
        if info["format"] != "files":
            assert info["filename"].endswith((".zip", ".tar.gz", ".tar")), name
    assert "zenodo.org/api/records/1228631" in RELEASES["csi-2017"]["url"]
    assert "zenodo.org/api/records/3903810" in RELEASES["lar-2020"]["url"]
    assert RELEASES["csi-2021"]["url"] == "https://arxiv.org/src/2110.07730v2/anc/"
    assert "20576156" in _registry.release_info("xenonnt-8b")["url"]
    assert "xenonnt-8b" not in RELEASES  # fetched on request only: no experiment reads it yet


@pytest.mark.skipif(not (XENON / "SHA256SUMS").is_file(), reason="no reference copy of xenonnt-8b")
def test_xenon_registry_matches_reference_sha256sums():
    sums = {}
    for line in (XENON / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        sums[name.lstrip("*").removeprefix("./")] = digest
    assert _registry.release_info("xenonnt-8b")["files"] == sums


def test_release_urls_official_and_mirror():
    assert data_fetch.release_urls("csi-2021", None)["brnPE.txt"] == "https://arxiv.org/src/2110.07730v2/anc/brnPE.txt"
    assert data_fetch.release_urls("csi-2017", "http://h/m/") == {"csi-2017.zip": "http://h/m/csi-2017.zip"}
    assert data_fetch.release_urls("csi-2021", "http://h/m")["brnPE.txt"] == "http://h/m/csi-2021/brnPE.txt"


# --------------------------------------------------------------------------- fetch


def test_fetch_then_first_prediction_without_env_var(server, fresh):
    """The README's path: `cevns data fetch`, then `cevns predict` finds the data with no $CEVNS_DATA_DIR."""
    url, _, requests = server
    result = invoke(["data", "fetch", "--url", url])
    assert_clean_exit(result, 0)
    for release in RELEASES:
        assert f"{release}: {len(RELEASES[release]['files'])} files downloaded, verified and installed" in result.stdout
    assert leftovers(fresh) == []  # no archives, no staging folders left behind
    sums = (fresh / "lar-2020" / "SHA256SUMS").read_text().splitlines()
    assert dict(reversed(line.split("  ", 1)) for line in sums) == RELEASES["lar-2020"]["files"]
    assert sorted(requests) == sorted(["/csi-2017.zip", "/lar-2020.zip"]
                                      + [f"/csi-2021/{n}" for n in RELEASES["csi-2021"]["files"]])

    check = invoke(["data", "check", "--json"])
    assert_clean_exit(check, 0)
    assert json.loads(check.stdout)["data_dir"] == str(fresh)

    pred = invoke(["predict", "--experiment", "csi-2021", "--json"])
    assert_clean_exit(pred, 0)
    assert 330 < json.loads(pred.stdout)["cevns_total"] < 350


def test_second_fetch_downloads_nothing(server, fresh, monkeypatch):
    url, _, requests = server
    monkeypatch.setenv("CEVNS_DATA_URL", url)  # the environment variable works like --url
    assert_clean_exit(invoke(["data", "fetch"]), 0)
    n = len(requests)
    again = invoke(["data", "fetch"])
    assert_clean_exit(again, 0)
    assert len(requests) == n
    assert again.stdout.count("already present") == 3


def test_fetch_per_file_release_downloads_only_what_is_missing(server, tmp_path):
    url, _, requests = server
    root = tmp_path / "data"
    data_fetch.fetch(["csi-2021"], root, url)
    (root / "csi-2021" / "brnPE.txt").unlink()
    (root / "csi-2021" / "ninPE.txt").write_text("0 0\n")
    del requests[:]
    [res] = data_fetch.fetch(["csi-2021"], root, url)
    assert res.status == "fetched"
    assert sorted(requests) == ["/csi-2021/brnPE.txt", "/csi-2021/ninPE.txt"]
    assert {s.status for s in data.check_release("csi-2021", root)} == {"ok"}


def test_fetch_tar_gz_archive(server, tmp_path, data_root, monkeypatch):
    """The registry's format picks pooch's Untar processor for a .tar.gz release."""
    url, mirror, _ = server
    with tarfile.open(mirror / "csi-2017.tar.gz", "w:gz") as tf:
        tf.add(data_root / "csi-2017", arcname="csi-2017-v1")
    monkeypatch.setitem(RELEASES["csi-2017"], "format", "tar.gz")
    monkeypatch.setitem(RELEASES["csi-2017"], "filename", "csi-2017.tar.gz")
    [res] = data_fetch.fetch(["csi-2017"], tmp_path / "data", url)
    assert res.status == "fetched"
    assert {s.status for s in data.check_release("csi-2017", tmp_path / "data")} == {"ok"}


def test_corrupt_archive_leaves_nothing(server, fresh):
    url, mirror, _ = server
    (mirror / "csi-2017.zip").write_bytes(b"this is not a zip archive\n" * 100)
    err = one_line_error(invoke(["data", "fetch", "csi-2017", "--url", url]))
    assert "corrupt" in err and "csi-2017" in err
    assert not (fresh / "csi-2017").exists()
    assert leftovers(fresh) == []


def test_archive_with_altered_file_installs_nothing(server, tmp_path, data_root):
    url, mirror, _ = server
    altered = tmp_path / "altered"
    shutil.copytree(data_root / "lar-2020", altered)
    os.chmod(altered, 0o755)
    os.chmod(altered / "cevnspdf.txt", 0o644)
    with open(altered / "cevnspdf.txt", "ab") as fh:
        fh.write(b"1 1 1 1\n")
    (mirror / "lar-2020.zip").write_bytes(_zip_folder(altered, "lar"))
    root = tmp_path / "data"
    with pytest.raises(data.DataError, match=r"differ from the published ones \(cevnspdf.txt\)"):
        data_fetch.fetch(["lar-2020"], root, url)
    assert leftovers(root) == [] and not (root / "lar-2020").exists()


def test_crlf_archive_member_installed_with_lf(server, tmp_path, data_root):
    url, mirror, _ = server
    crlf = tmp_path / "crlf"
    crlf.mkdir()
    for p in (data_root / "csi-2017").iterdir():
        (crlf / p.name).write_bytes(p.read_bytes().replace(b"\n", b"\r\n"))
    (mirror / "csi-2017.zip").write_bytes(_zip_folder(crlf, ""))
    data_fetch.fetch(["csi-2017"], tmp_path / "data", url)
    assert {s.status for s in data.check_release("csi-2017", tmp_path / "data")} == {"ok"}


def test_offline_is_one_line_exit_2(fresh):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    err = one_line_error(invoke(["data", "fetch", "csi-2017", "--url", f"http://127.0.0.1:{port}/"]))
    assert "cannot download the csi-2017 release" in err
    assert "CEVNS_DATA_URL" in err and "unpack it into" in err
    assert not (fresh / "csi-2017").exists() and leftovers(fresh) == []


def test_http_404_is_one_line_exit_2(server, fresh):
    url, mirror, _ = server
    (mirror / "csi-2021" / "brnPE.txt").unlink()
    err = one_line_error(invoke(["data", "fetch", "csi-2021", "--url", url]))
    assert "404" in err and "brnPE.txt" in err
    assert not (fresh / "csi-2021").exists()


def test_unknown_release_is_one_line_exit_2(fresh):
    err = one_line_error(invoke(["data", "fetch", "csi-2099"]))
    assert "csi-2099" in err and "xenonnt-8b" in err


# --------------------------------------------------------------------------- data check


def test_crlf_file_accepted_and_reported(release_copy, monkeypatch):
    root = release_copy("csi-2021")
    monkeypatch.setenv("CEVNS_DATA_DIR", str(root))
    path = root / "csi-2021" / "effCoefficients.txt"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    assert hashlib.sha256(path.read_bytes()).hexdigest() != RELEASES["csi-2021"]["files"]["effCoefficients.txt"]

    report = invoke(["data", "check", "--json"])
    assert_clean_exit(report, 1)  # csi-2017 and lar-2020 are missing from this copy
    info = json.loads(report.stdout)["releases"]["csi-2021"]
    assert info["status"] == "ok" and info["files_ok"] == info["files_total"]
    assert info["line_endings"] == [{"file": "effCoefficients.txt", "path": str(path), "status": "crlf"}]
    human = invoke(["data", "check"])
    assert f"line endings only (CRLF), content verified: {path}" in human.stdout
    assert data.release_file("csi-2021", "effCoefficients.txt") == path
    assert_clean_exit(invoke(["predict", "-e", "csi-2021", "--json"]), 0)


def test_unreadable_file_data_check_one_line_exit_2(release_copy, monkeypatch):
    """Simulated (the tests may run as root, who reads anything): open() fails with EACCES."""
    root = release_copy("csi-2021")
    monkeypatch.setenv("CEVNS_DATA_DIR", str(root))
    victim = root / "csi-2021" / "brnPE.txt"
    real_open = open

    def fake_open(file, *args, **kwargs):
        if Path(file) == victim:
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", fake_open)
    data._sha256.cache_clear()
    err = one_line_error(invoke(["data", "check"]))
    assert f"unreadable data file {victim} (Permission denied)" in err
    err = one_line_error(invoke(["predict", "-e", "csi-2021"]))
    assert "unreadable data file" in err


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file_chmod_000(release_copy, monkeypatch):
    root = release_copy("csi-2021")
    monkeypatch.setenv("CEVNS_DATA_DIR", str(root))
    victim = root / "csi-2021" / "brnPE.txt"
    victim.chmod(0)
    try:
        err = one_line_error(invoke(["data", "check"]))
        assert f"unreadable data file {victim}" in err
    finally:
        victim.chmod(0o644)
