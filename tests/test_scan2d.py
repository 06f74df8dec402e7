"""scan2d evaluated in chunks with a checkpoint (issue #10): the generic chunk runner
:func:`cevns.inference.scan.evaluate_in_chunks` and ``api.scan2d`` / ``cevns scan2d --checkpoint``."""

from __future__ import annotations

import json

import numpy as np
import pytest

import cevns.api as api
from cevns.errors import ParameterError
from cevns.inference import Analysis
from cevns.inference.scan import evaluate_in_chunks
from helpers import assert_clean_exit, invoke

XS = np.linspace(0.6, 1.4, 9)  # cevns_norm
YS = np.linspace(0.18, 0.32, 8)  # sin2_theta_w
JSON_KEYS = {"experiments", "recipe", "model", "x", "y", "delta_chi2", "chi2_min", "best", "dof", "contours",
             "provenance"}


# ----------------------------------------------------------------------------- generic chunk runner (no data)


def _toy(calls: list[int]):
    def evaluate(p):
        calls.append(p["a"].size)
        return p["a"] ** 2 + p["b"], {"sum": p["a"] + p["b"]}

    return evaluate


def test_evaluate_in_chunks_bounds_chunks_and_matches_one_batch():
    a, b = np.arange(23.0), np.linspace(0, 1, 23)
    calls: list[int] = []
    chi2, extra = evaluate_in_chunks(_toy(calls), {"a": a, "b": b}, ["sum"], "toy", chunk_size=5)
    assert calls == [5, 5, 5, 5, 3]
    np.testing.assert_array_equal(chi2, a**2 + b)
    np.testing.assert_array_equal(extra["sum"], a + b)


def test_evaluate_in_chunks_resumes(tmp_path):
    a, b = np.arange(23.0), np.linspace(0, 1, 23)
    ck = tmp_path / "ck.npz"
    with pytest.raises(KeyboardInterrupt):
        evaluate_in_chunks(_toy([]), {"a": a, "b": b}, ["sum"], "toy", 5, ck, stop_after_chunks=2)
    calls: list[int] = []
    progress: list[tuple[int, int]] = []
    chi2, extra = evaluate_in_chunks(_toy(calls), {"a": a, "b": b}, ["sum"], "toy", 5, ck,
                                     progress=lambda d, t: progress.append((d, t)))
    assert calls == [5, 5, 3], "the two finished chunks must be taken from the checkpoint"
    assert progress == [(k, 5) for k in range(1, 6)]
    np.testing.assert_array_equal(chi2, a**2 + b)
    np.testing.assert_array_equal(extra["sum"], a + b)
    # another configuration (or chunk size) ignores the checkpoint
    calls.clear()
    evaluate_in_chunks(_toy(calls), {"a": a, "b": b}, ["sum"], "other", 5, ck)
    assert calls == [5, 5, 5, 5, 3]


@pytest.mark.parametrize("chunk", [0, -3])
def test_evaluate_in_chunks_rejects_bad_chunk_size(chunk):
    with pytest.raises(ParameterError, match="chunk_size"):
        evaluate_in_chunks(_toy([]), {"a": np.ones(3), "b": np.ones(3)}, [], "toy", chunk)


# ----------------------------------------------------------------------------- api.scan2d on data


def _scan2d(**kw) -> dict:
    return api.scan2d(["lar-2020"], "cevns_norm", XS, "sin2_theta_w", YS, **kw)


@pytest.fixture(scope="module")
def one_batch(data_root) -> np.ndarray:
    """The grid's chi2 from a single batched evaluation (the former implementation)."""
    an = api._analysis(["lar-2020"], None, None, None)  # as api.scan2d builds it
    gx, gy = np.meshgrid(XS, YS, indexing="xy")
    chi2, _ = an.evaluate({"cevns_norm": gx.ravel(), "sin2_theta_w": gy.ravel()})
    return chi2.reshape(gy.shape)


def _chi2(out) -> np.ndarray:
    """The grid's chi2 of a scan2d result (its Delta-chi2 is relative to the minimiser's chi2_min)."""
    return np.array(out["delta_chi2"]) + out["chi2_min"]


def test_scan2d_chunked_equals_one_batch(one_batch):
    out = _scan2d(chunk_size=7)
    assert set(out) == JSON_KEYS
    np.testing.assert_allclose(_chi2(out), one_batch, rtol=0, atol=1e-9)
    default = _scan2d()  # default chunk: the whole 72-point grid in one chunk
    np.testing.assert_allclose(_chi2(default), one_batch, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(np.array(out["delta_chi2"]), np.array(default["delta_chi2"]))


def test_scan2d_resume_after_interruption(one_batch, tmp_path, monkeypatch):
    ck = tmp_path / "scan2d.npz"

    def interrupt(done, total):
        if done == 3:
            raise KeyboardInterrupt("simulated interruption")

    with pytest.raises(KeyboardInterrupt):
        _scan2d(chunk_size=10, checkpoint=str(ck), progress=interrupt)
    assert ck.is_file(), "the checkpoint must survive the interruption"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scan2d.npz"], "temporary files left by the writer"
    n_points: list[int] = []
    real = Analysis.evaluate

    def counting(self, params, *a, **k):
        n_points.append(int(np.size(next(iter(params.values())))))
        return real(self, params, *a, **k)

    monkeypatch.setattr(Analysis, "evaluate", counting)
    # the minimiser's single points (chi2_scalar) after the grid are not grid points: not counted
    monkeypatch.setattr(Analysis, "chi2_scalar", lambda self, v: float(real(self, {k: np.array([x]) for k, x in v.items()})[0][0]))
    progress: list[tuple[int, int]] = []
    out = _scan2d(chunk_size=10, checkpoint=str(ck), progress=lambda d, t: progress.append((d, t)))
    assert sum(n_points) == 72 - 30, f"resumed run evaluated {sum(n_points)} points, expected the 42 left"
    assert progress == [(k, 8) for k in range(1, 9)]
    np.testing.assert_allclose(_chi2(out), one_batch, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(np.array(out["delta_chi2"]), np.array(_scan2d(chunk_size=10)["delta_chi2"]))


def test_scan2d_same_parameter_twice_is_a_user_error(data_root):
    with pytest.raises(ParameterError, match="different parameters"):
        api.scan2d(["lar-2020"], "cevns_norm", XS, "cevns_norm", YS)


def test_cli_scan2d_checkpoint(data_root, tmp_path):
    ck = tmp_path / "ck.npz"
    args = ["scan2d", "-e", "lar-2020", "--x", "cevns_norm:0.6:1.4:9", "--y", "sin2_theta_w:0.18:0.32:8", "--json"]
    plain = invoke(args)
    assert_clean_exit(plain, 0)
    result = invoke([*args, "--checkpoint", str(ck)])
    assert_clean_exit(result, 0)
    assert ck.is_file()
    out, ref = json.loads(result.stdout), json.loads(plain.stdout)
    assert set(out) == set(ref) == JSON_KEYS
    assert out["delta_chi2"] == ref["delta_chi2"]
