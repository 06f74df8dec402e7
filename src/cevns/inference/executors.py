"""Where long jobs run: in-process, on local cores, or on a Dask cluster (issue #12).

A job is a list of independent *tasks* (chunks of toys, of scan points, ...), each a
call ``fn(task)`` of a module-level (picklable) function. :func:`run_tasks` hands them
to an executor and gives each result, as it arrives, to ``on_result(index, result)``;
the caller stores results by task index, so the outcome never depends on the executor,
the number of workers or the order in which tasks finish. Random streams are tied to
the work, never to the worker: :func:`toy_rng` derives one generator per
pseudo-experiment from ``numpy.random.SeedSequence(seed)`` and the experiment's index
(``SeedSequence(seed).spawn(...)`` indexed by point and toy), so a result is the same
whatever the chunking.

Executors (never a home-made scheduler):

* ``local``: the tasks run one after the other in this process (default).
* ``processes``: :class:`concurrent.futures.ProcessPoolExecutor` on ``workers`` local cores.
* ``dask``: a :class:`dask.distributed.Client`, on a :class:`~dask.distributed.LocalCluster`
  of ``workers`` single-threaded worker processes, or on the scheduler at ``scheduler``
  (``tcp://host:8786``), e.g. one started by ``dask-jobqueue`` on SLURM
  (:func:`slurm_cluster`, docs/statistics.md).

Every worker limits BLAS to one thread (:func:`cevns.stats.limited_blas_threads`): the
profiling solves are small batched products, and one thread per process is both the
fastest and the reproducible choice.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..errors import ParameterError

EXECUTORS = ("local", "processes", "dask")


def toy_rng(seed: int, point: int, toy: int) -> np.random.Generator:
    """The generator of pseudo-experiment ``toy`` at point ``point``: the child
    ``SeedSequence(seed).spawn(point + 1)[point].spawn(toy + 1)[toy]``, built directly
    from its spawn key (the same stream, without spawning the siblings)."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(int(seed), spawn_key=(int(point), int(toy)))))


#: seconds to wait for an existing dask scheduler before giving up with a clear error
SCHEDULER_TIMEOUT_S = 10.0


def check_executor(executor: str, workers: int | None, scheduler: str | None) -> None:
    """Clear errors for an unknown executor or an invalid worker count."""
    if executor not in EXECUTORS:
        raise ParameterError(f"unknown executor {executor!r}; choose one of {', '.join(EXECUTORS)}")
    if workers is not None and int(workers) < 1:
        raise ParameterError(f"--workers must be at least 1, got {workers}")
    if scheduler is not None and executor != "dask":
        raise ParameterError("--scheduler ADDRESS needs --executor dask")


def _call_limited(fn: Callable[[Any], Any], task: Any) -> Any:
    from ..stats import limited_blas_threads

    with limited_blas_threads(1):
        return fn(task)


def run_tasks(
    fn: Callable[[Any], Any],
    tasks: Sequence[Any],
    on_result: Callable[[int, Any], None],
    executor: str = "local",
    workers: int | None = None,
    scheduler: str | None = None,
) -> None:
    """Run ``fn(task)`` for every task on the chosen executor; ``on_result(i, result)`` is
    called in this process for each finished task (in completion order)."""
    check_executor(executor, workers, scheduler)
    if not tasks:
        return
    if executor == "local":
        for i, t in enumerate(tasks):
            on_result(i, _call_limited(fn, t))
        return
    n_workers = int(workers or os.cpu_count() or 1)
    if executor == "processes":
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor, as_completed

        # forkserver: no inherited threads or locks from the parent (BLAS, dask, tqdm)
        ctx = mp.get_context("forkserver") if "forkserver" in mp.get_all_start_methods() else None
        with ProcessPoolExecutor(max_workers=n_workers, mp_context=ctx) as pool:
            futures = {pool.submit(_call_limited, fn, t): i for i, t in enumerate(tasks)}
            for fut in as_completed(futures):
                on_result(futures[fut], fut.result())
        return
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError:  # pragma: no cover - depends on the environment
        raise ParameterError("--executor dask needs dask.distributed: pip install 'cevns[dask]'") from None
    cluster = None
    if scheduler:
        try:
            client = Client(scheduler, timeout=SCHEDULER_TIMEOUT_S)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ParameterError(f"cannot reach the dask scheduler at {scheduler!r} within {SCHEDULER_TIMEOUT_S:g} s "
                                 f"({type(exc).__name__}); start it (`dask scheduler`) or check the address, or run "
                                 "with --executor processes") from None
    else:
        cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    try:
        futures = client.map(_call_limited, [fn] * len(tasks), list(tasks), pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        for fut in as_completed(futures):
            on_result(index[fut.key], fut.result())
            fut.release()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def slurm_cluster(cores: int = 1, memory: str = "4GB", walltime: str = "02:00:00", queue: str | None = None,
                  account: str | None = None, **kwargs):
    """A ``dask_jobqueue.SLURMCluster`` for cevns jobs: one single-threaded worker per job
    slot (``cores`` processes per job), nothing started until ``cluster.scale(jobs=N)``.

    Connect with ``cevns fc ... --executor dask --scheduler <cluster.scheduler_address>``,
    or ``Client(cluster)`` in Python (docs/statistics.md)."""
    try:
        from dask_jobqueue import SLURMCluster
    except ImportError:  # pragma: no cover - depends on the environment
        raise ParameterError("SLURM clusters need dask-jobqueue: pip install 'cevns[dask]'") from None
    return SLURMCluster(cores=cores, processes=cores, memory=memory, walltime=walltime, queue=queue,
                        account=account, **kwargs)
