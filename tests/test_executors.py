"""The same job on every executor gives the same bytes (issue #12)."""

import json

import numpy as np
import pytest

from cevns.errors import ParameterError
from cevns.inference.executors import check_executor, run_tasks, slurm_cluster, toy_rng
from cevns.inference.frequentist import belt
from cevns.inference.toys import AnalysisToys, GaussianMeanToys


def _square(x):
    return x * x


def test_toy_rng_is_the_spawned_child():
    a = toy_rng(5, 2, 3).random(4)
    child = np.random.SeedSequence(5).spawn(3)[2].spawn(4)[3]
    b = np.random.Generator(np.random.PCG64(child)).random(4)
    assert a.tobytes() == b.tobytes()


def test_run_tasks_orders_by_index():
    got = {}
    run_tasks(_square, [1, 2, 3], got.__setitem__)
    assert got == {0: 1, 1: 4, 2: 9}


def test_executor_errors():
    with pytest.raises(ParameterError, match="unknown executor"):
        check_executor("threads", None, None)
    with pytest.raises(ParameterError, match="--scheduler"):
        check_executor("processes", 2, "tcp://x:8786")
    with pytest.raises(ParameterError, match="--workers"):
        check_executor("dask", 0, None)


@pytest.mark.slow
def test_fc_bytes_identical_across_executors_and_chunks():
    """An FC belt on a recipe likelihood: in-process, 2 processes, dask LocalCluster (2 workers), other chunks."""
    prob = AnalysisToys(("csi-2021",), "atzori2022", "sm", ("sin2_theta_w",), np.linspace(0.17, 0.31, 5))
    ref = json.dumps(belt(prob, 60, ["1sigma"], seed=4, chunk_size=60))
    assert json.dumps(belt(prob, 60, ["1sigma"], seed=4, chunk_size=25)) == ref
    assert json.dumps(belt(prob, 60, ["1sigma"], seed=4, chunk_size=30, executor="processes", workers=2)) == ref
    pytest.importorskip("dask.distributed")
    assert json.dumps(belt(prob, 60, ["1sigma"], seed=4, chunk_size=30, executor="dask", workers=2)) == ref


def test_gaussian_belt_identical_in_processes():
    prob = GaussianMeanToys(np.linspace(-3, 3, 13))
    a = belt(prob, 200, ["90%"], seed=1)
    b = belt(prob, 200, ["90%"], seed=1, chunk_size=70, executor="processes", workers=2)
    assert json.dumps(a) == json.dumps(b)


def test_slurm_cluster_config_builds():
    pytest.importorskip("dask_jobqueue")
    cluster = slurm_cluster(cores=4, memory="8GB", walltime="01:00:00", queue="short", account="coherent")
    try:
        script = cluster.job_script()
        assert "#SBATCH -p short" in script and "#SBATCH -A coherent" in script and "--nthreads 1" in script
    finally:
        cluster.close()


@pytest.mark.slow
def test_scan_on_processes_equals_local(tmp_path):
    import cevns.api as api

    args = ("universal", ["csi-2021"], np.geomspace(1, 1e3, 4), np.geomspace(1e-5, 1e-3, 5))
    a = api.scan(*args, str(tmp_path / "a.csv"), recipe="atzori2022")
    b = api.scan(*args, str(tmp_path / "b.csv"), recipe="atzori2022", executor="processes", workers=2)
    assert (tmp_path / "a.csv").read_text() == (tmp_path / "b.csv").read_text()
    assert a["chi2_min"] == b["chi2_min"]


def test_unreachable_scheduler_is_a_clear_error(monkeypatch):
    """An address where no dask scheduler listens gives one ParameterError naming the fix,
    not a traceback after dask's default 30 s."""
    pytest.importorskip("dask.distributed")
    from cevns.errors import ParameterError
    from cevns.inference import executors

    monkeypatch.setattr(executors, "SCHEDULER_TIMEOUT_S", 1.0)
    with pytest.raises(ParameterError, match="cannot reach the dask scheduler"):
        executors.run_tasks(abs, [1], lambda i, r: None, "dask", None, "tcp://127.0.0.1:9")
