"""Locating, verifying and parsing the COHERENT data releases (cevns.data)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np
import pytest

from cevns import _registry, data
from cevns.data import DataError, check_release, data_dir, load_coefficient_sets, load_table, release_file

ARXIV = {"csi-2017": "arXiv:1804.09459", "csi-2021": "arXiv:2110.07730", "lar-2020": "arXiv:2006.12659"}

# One numeric file of each release that the missing/altered tests remove or change.
VICTIM = {"csi-2017": "data_coincidence_beamOn.txt", "csi-2021": "effCoefficients.txt", "lar-2020": "cevnspdf.txt"}


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def statuses(release: str, root: Path) -> dict[str, str]:
    return {s.name: s.status for s in check_release(release, root)}


# --------------------------------------------------------------------------- registry


def test_registry_and_data_module_share_one_dict():
    assert data.RELEASES is _registry.RELEASES


def test_registry_entries_are_well_formed():
    assert list(_registry.RELEASES) == ["csi-2017", "csi-2021", "lar-2020"]
    assert data.release_names() == ["csi-2017", "csi-2021", "lar-2020"]
    for release, info in _registry.RELEASES.items():
        assert info["title"], release
        assert ARXIV[release] in info["published_at"], f"{release}: published_at should name {ARXIV[release]}"
        assert info["files"], release
        for name, digest in info["files"].items():
            assert re.fullmatch(r"[0-9a-f]{64}", digest), f"{release}/{name}: {digest!r} is not a lower-case SHA-256"


@pytest.mark.parametrize("release", list(_registry.RELEASES))
def test_registry_matches_sha256sums_of_reference_copy(data_root, release):
    """The registry must list exactly the files (and hashes) of the release's SHA256SUMS."""
    sums = {}
    for line in (data_root / release / "SHA256SUMS").read_text().splitlines():
        if line.strip():
            digest, name = line.split(maxsplit=1)
            sums[name.lstrip("*")] = digest
    assert _registry.RELEASES[release]["files"] == sums


# --------------------------------------------------------------------------- data_dir


def test_data_dir_honours_env_var(monkeypatch, tmp_path):
    monkeypatch.setenv("CEVNS_DATA_DIR", str(tmp_path / "somewhere"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert data_dir() == tmp_path / "somewhere"


def test_data_dir_expands_user(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("CEVNS_DATA_DIR", "~/coherent")
    assert data_dir() == tmp_path / "coherent"


def test_data_dir_falls_back_to_xdg_data_home(monkeypatch, tmp_path):
    monkeypatch.delenv("CEVNS_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert data_dir() == tmp_path / "xdg" / "cevns"


def test_empty_env_var_counts_as_unset(monkeypatch, tmp_path):
    monkeypatch.setenv("CEVNS_DATA_DIR", "")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert data_dir() == tmp_path / "xdg" / "cevns"


@pytest.mark.parametrize("xdg", [None, ""])
def test_data_dir_falls_back_to_local_share(monkeypatch, tmp_path, xdg):
    monkeypatch.delenv("CEVNS_DATA_DIR", raising=False)
    if xdg is None:
        monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    else:
        monkeypatch.setenv("XDG_DATA_HOME", xdg)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert data_dir() == tmp_path / ".local" / "share" / "cevns"


def test_default_root_is_data_dir(monkeypatch, data_root):
    """Without ``root`` the functions read from $CEVNS_DATA_DIR."""
    monkeypatch.setenv("CEVNS_DATA_DIR", str(data_root))
    assert release_file("csi-2021", "effCoefficients.txt") == data_root / "csi-2021" / "effCoefficients.txt"
    assert set(statuses("csi-2021", None).values()) == {"ok"}


# --------------------------------------------------------------------------- verification


@pytest.mark.parametrize("release", list(_registry.RELEASES))
def test_reference_releases_verify(data_root, release):
    result = check_release(release, data_root)
    assert [s.name for s in result] == list(_registry.RELEASES[release]["files"])
    bad = [(s.name, s.status) for s in result if s.status != "ok"]
    assert not bad, f"{release} files failing verification in {data_root}: {bad}"
    for s in result:
        assert s.release == release
        assert s.path == str(data_root / release / s.name)


@pytest.mark.parametrize("release", list(_registry.RELEASES))
def test_missing_file(release_copy, release):
    root = release_copy(release)
    name = VICTIM[release]
    path = root / release / name
    path.unlink()
    expected = _registry.RELEASES[release]["files"][name]

    with pytest.raises(DataError) as exc_info:
        release_file(release, name, root)
    msg = str(exc_info.value)
    assert "missing" in msg
    assert str(path) in msg, msg
    assert expected in msg, msg
    assert "published at" in msg, msg
    assert ARXIV[release] in msg, msg
    assert "CEVNS_DATA_DIR" in msg, msg

    st = statuses(release, root)
    assert st.pop(name) == "missing"
    assert set(st.values()) == {"ok"}


def test_missing_release_folder(tmp_path):
    """An empty data directory: every file is reported missing, nothing raises."""
    for release, info in _registry.RELEASES.items():
        result = check_release(release, tmp_path)
        assert len(result) == len(info["files"])
        assert {s.status for s in result} == {"missing"}
    with pytest.raises(DataError, match="missing data file"):
        release_file("lar-2020", "cevnspdf.txt", tmp_path)


def test_directory_in_place_of_file_is_missing(release_copy):
    root = release_copy("csi-2021")
    path = root / "csi-2021" / "brnPE.txt"
    path.unlink()
    path.mkdir()
    with pytest.raises(DataError, match="cannot be read: it is a folder"):
        release_file("csi-2021", "brnPE.txt", root)
    assert statuses("csi-2021", root)["brnPE.txt"] == "missing"


@pytest.mark.parametrize("release", list(_registry.RELEASES))
def test_altered_file(release_copy, release):
    root = release_copy(release)
    name = VICTIM[release]
    path = root / release / name
    with open(path, "ab") as fh:
        fh.write(b"\n")
    expected = _registry.RELEASES[release]["files"][name]
    found = sha256_of(path)
    assert found != expected

    with pytest.raises(DataError) as exc_info:
        release_file(release, name, root)
    msg = str(exc_info.value)
    assert "altered" in msg, msg
    assert str(path) in msg, msg
    assert expected in msg, msg
    assert found in msg, msg
    assert ARXIV[release] in msg, msg

    st = statuses(release, root)
    assert st.pop(name) == "altered"
    assert set(st.values()) == {"ok"}


def test_altered_file_detected_after_a_successful_check(release_copy):
    """The hash cache must not hide a change made after a first, successful verification."""
    root = release_copy("csi-2021")
    path = root / "csi-2021" / "scintRespCoefficients.txt"
    assert release_file("csi-2021", "scintRespCoefficients.txt", root) == path
    path.write_bytes(path.read_bytes().replace(b"\n", b"\n\n", 1))
    with pytest.raises(DataError, match="altered"):
        release_file("csi-2021", "scintRespCoefficients.txt", root)


def test_file_sha256(release_copy):
    root = release_copy("csi-2021")
    path = root / "csi-2021" / "ninPE.txt"
    assert data.file_sha256(path) == sha256_of(path) == _registry.RELEASES["csi-2021"]["files"]["ninPE.txt"]


# --------------------------------------------------------------------------- unknown names


@pytest.mark.parametrize(
    "call",
    [
        lambda root: release_file("csi-2099", "brnPE.txt", root),
        lambda root: check_release("csi-2099", root),
        lambda root: load_table("csi-2099", "brnPE.txt", 2, root),
    ],
    ids=["release_file", "check_release", "load_table"],
)
def test_unknown_release(tmp_path, call):
    with pytest.raises(DataError) as exc_info:
        call(tmp_path)
    msg = str(exc_info.value)
    assert "csi-2099" in msg
    for known in _registry.RELEASES:
        assert known in msg, f"the message should list the known releases: {msg}"


@pytest.mark.parametrize("name", ["nope.txt", "SHA256SUMS", "../csi-2017/promptPDF.txt"])
def test_unknown_file_name(tmp_path, name):
    with pytest.raises(DataError, match="not a file of the csi-2021 release"):
        release_file("csi-2021", name, tmp_path)
    with pytest.raises(DataError, match="not a file of the csi-2021 release"):
        load_table("csi-2021", name, 2, tmp_path)


# --------------------------------------------------------------------------- parsing


def test_load_table_csi2021_efficiency_coefficients(data_root):
    table = load_table("csi-2021", "effCoefficients.txt", 4, data_root)
    assert table.shape == (3, 4)
    assert table.dtype == np.float64
    # nominal set, first data line of the file
    np.testing.assert_array_equal(table[0], [1.32045, 0.285979, 10.8646, -0.333322])
    np.testing.assert_array_equal(load_coefficient_sets("csi-2021", "effCoefficients.txt", data_root), table)


def test_load_table_lar2020_cevns_pdf(data_root):
    table = load_table("lar-2020", "cevnspdf.txt", 4, data_root)
    assert table.shape == (960, 4)  # 12 energy x 8 F90 x 10 time bins
    assert len(np.unique(table[:, 0])) == 12
    assert len(np.unique(table[:, 1])) == 8
    assert len(np.unique(table[:, 2])) == 10
    np.testing.assert_array_equal(table[0], [5, 0.525, 0.15, 1.0338])


def test_load_table_wrong_column_count_on_verified_file(data_root):
    """A verified file read with the wrong ``ncols`` fails on its first data line (7)."""
    path = data_root / "csi-2021" / "effCoefficients.txt"
    with pytest.raises(DataError) as exc_info:
        load_table("csi-2021", "effCoefficients.txt", 3, data_root)
    msg = str(exc_info.value)
    assert "malformed line 7" in msg, msg
    assert str(path) in msg, msg
    assert "4 columns, expected 3" in msg, msg


def _first_data_line(path: Path) -> int:
    for lineno, line in enumerate(path.read_text().splitlines(), start=1):
        if line.split("#", 1)[0].strip():
            return lineno
    raise AssertionError(f"no data line in {path}")


def _malform(monkeypatch, path: Path, release: str, new_line: str | None) -> int:
    """Replace (or, for ``None``, drop all data of) ``path`` and register its new hash."""
    lines = path.read_text().splitlines(keepends=True)
    lineno = _first_data_line(path)
    if new_line is None:
        lines = [ln for ln in lines if not ln.split("#", 1)[0].strip()]
    else:
        lines[lineno - 1] = new_line + "\n"
    path.write_text("".join(lines))
    # Hashes are verified before parsing: register the malformed copy's hash so that
    # load_table gets as far as the parser.
    monkeypatch.setitem(_registry.RELEASES[release]["files"], path.name, sha256_of(path))
    return lineno


@pytest.mark.parametrize(
    "bad_line, expected",
    [
        ("1.32045  0.285979 ten -0.333322", "expected 4 numbers"),
        ("1.32045  0.285979 10.8646", "has 3 columns, expected 4"),
        ("1.32045  0.285979 10.8646 -0.333322 7", "has 5 columns, expected 4"),
    ],
    ids=["not-a-number", "too-few-columns", "too-many-columns"],
)
def test_load_table_malformed_line(release_copy, monkeypatch, bad_line, expected):
    root = release_copy("csi-2021")
    path = root / "csi-2021" / "effCoefficients.txt"
    lineno = _malform(monkeypatch, path, "csi-2021", bad_line)
    assert lineno == 7
    assert release_file("csi-2021", "effCoefficients.txt", root) == path  # hash now accepted

    with pytest.raises(DataError) as exc_info:
        load_table("csi-2021", "effCoefficients.txt", 4, root)
    msg = str(exc_info.value)
    assert f"malformed line {lineno} " in msg, msg
    assert str(path) in msg, msg
    assert bad_line.strip() in msg, msg
    assert expected in msg, msg


def test_load_table_line_number_counts_comments(release_copy, monkeypatch):
    """The line number is the file's (comments and blank lines counted), not the data row's."""
    root = release_copy("csi-2021")
    path = root / "csi-2021" / "effCoefficients.txt"
    lines = path.read_text().splitlines(keepends=True)
    assert lines[9].split()[0] == "1.3439"  # second data row, file line 10
    lines[9] = "1.3439  0.285366 9.84596\n"
    path.write_text("".join(lines))
    monkeypatch.setitem(data.RELEASES["csi-2021"]["files"], "effCoefficients.txt", sha256_of(path))
    with pytest.raises(DataError, match=rf"malformed line 10 in {re.escape(str(path))}"):
        load_table("csi-2021", "effCoefficients.txt", 4, root)


def test_load_table_malformed_line_deep_in_large_file(release_copy, monkeypatch):
    root = release_copy("lar-2020")
    path = root / "lar-2020" / "cevnspdf.txt"
    lines = path.read_text().splitlines(keepends=True)
    lines[499] = "5 0.525 nan? 1.0\n"
    path.write_text("".join(lines))
    monkeypatch.setitem(data.RELEASES["lar-2020"]["files"], "cevnspdf.txt", sha256_of(path))
    with pytest.raises(DataError, match=rf"malformed line 500 in {re.escape(str(path))}"):
        load_table("lar-2020", "cevnspdf.txt", 4, root)


def test_load_table_without_data_rows(release_copy, monkeypatch):
    root = release_copy("csi-2021")
    path = root / "csi-2021" / "effCoefficients.txt"
    _malform(monkeypatch, path, "csi-2021", None)
    with pytest.raises(DataError, match=rf"no data rows in {re.escape(str(path))}"):
        load_table("csi-2021", "effCoefficients.txt", 4, root)


def test_load_table_verifies_before_parsing(release_copy):
    """Without a registry change, a malformed file fails the hash check first: "altered"."""
    root = release_copy("csi-2021")
    path = root / "csi-2021" / "effCoefficients.txt"
    lines = path.read_text().splitlines(keepends=True)
    lines[6] = "garbage\n"
    path.write_text("".join(lines))
    with pytest.raises(DataError, match="altered data file"):
        load_table("csi-2021", "effCoefficients.txt", 4, root)
