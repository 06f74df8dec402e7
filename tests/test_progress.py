"""Progress bars (issue #11 item 4): drawn on a terminal only, never with --json; the
inference layer reports through a callback, and chunked profiles equal one batch."""

from __future__ import annotations

import io

import numpy as np
import pytest

import cevns.api as api
from cevns.progress import progress_bar, report, stage, wants_bar


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_bar_only_on_a_terminal_and_never_for_json():
    assert wants_bar(False, _Tty()) is True
    assert wants_bar(True, _Tty()) is False
    assert wants_bar(False, io.StringIO()) is False
    with progress_bar("x", stream=io.StringIO()) as cb:
        assert cb is None
    report(None, 1, 2)  # no callback: nothing happens


def test_bar_draws_on_a_terminal_stream():
    tty = _Tty()
    with progress_bar("profile", stream=tty) as cb:
        for k in range(1, 5):
            cb(k, 4)
    assert "profile" in tty.getvalue() and "4/4" in tty.getvalue()


def test_stage_offsets_a_sub_computation():
    seen = []
    cb = stage(lambda d, t: seen.append((d, t)), 3, 5)
    cb(1, 3)
    cb(3, 3)
    assert seen == [(4, 6), (6, 6)]


@pytest.fixture(scope="module")
def nsi(data_root):
    return api._analysis(["csi-2021", "lar-2020"], "deromeri2023", "nsi", None)


def test_chunked_profile_equals_one_batch(nsi):
    grid = np.linspace(-0.1, 0.5, 31)
    seen = []
    chunked = nsi.profile("eps_ee_u", grid, chunk_size=4, progress=lambda d, t: seen.append((d, t)))
    whole = nsi.profile("eps_ee_u", grid, chunk_size=grid.size)
    # equal to round-off of the batched linear algebra (5e-12 measured on chi2 ~ 190)
    np.testing.assert_allclose(chunked["chi2"], whole["chi2"], rtol=1e-12, atol=0)
    assert chunked["best"] == pytest.approx(whole["best"], abs=1e-9)
    assert chunked["chi2_min"] == pytest.approx(whole["chi2_min"], abs=1e-9)
    # 8 chunks of the grid, then the minimiser's step; the bar moves monotonically to its total
    assert [t for _, t in seen] == [9] * 9 and [d for d, _ in seen] == list(range(1, 10))


def test_cli_json_has_no_bar_and_clean_stdout(data_root, monkeypatch):
    """--json: stdout is the JSON alone and stderr has no bar, even on a terminal."""
    import json

    from click.testing import CliRunner

    from cevns import cli

    monkeypatch.setattr(cli, "wants_bar", lambda as_json=False, stream=None: not as_json)
    runner = CliRunner()
    res = runner.invoke(cli.main, ["profile", "-e", "csi-2021", "-p", "cevns_norm", "--range", "0.4:1.6:13", "--json"])
    assert res.exit_code == 0, res.output
    json.loads(res.stdout)
    assert "profile" not in res.stderr and "%" not in res.stderr
    # without --json, on a "terminal": the bar is drawn on stderr, not stdout
    res = runner.invoke(cli.main, ["profile", "-e", "csi-2021", "-p", "cevns_norm", "--range", "0.4:1.6:13"])
    assert res.exit_code == 0, res.output
    assert "cevns_norm: best" in res.stdout and "it/s" not in res.stdout and "step" not in res.stdout
