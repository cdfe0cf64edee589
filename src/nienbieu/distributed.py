"""The Dask engine: reading, cleaning and analysis as dask.distributed tasks, for a cluster
beyond this machine (`nienbieu ingest --engine dask [--scheduler tcp://HOST:PORT]`).

The tasks are the local engine's (`pipeline._tasks`, `pipeline.read_and_process`), submitted to
the cluster a window at a time; their results come back here in task order and are stored by
this process alone, so the store is the one the local engine builds, row for row. Without a
scheduler, a `LocalCluster` of worker processes on this machine runs them.

On a remote cluster every worker needs nienbieu (the same version) installed, and the text and
HTML files given on the command line at the same paths (a shared file system): a task names such
a file and its worker reads it. JSONL lines travel inside the tasks.

dask is optional (`pip install 'nienbieu[dask]'`): it is imported only when the engine is made,
and `engine` says plainly when it is missing.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import logging
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from nienbieu import ingest, pipeline
from nienbieu.models import Problem

INSTALL_HINT = "pip install 'nienbieu[dask]'"


class EngineUnavailable(RuntimeError):
    """The Dask engine was asked for where dask.distributed is not installed."""


def engine(scheduler: str | None = None) -> pipeline.Engine:
    """The Dask engine for `pipeline.ingest_paths`: tasks on the cluster of `scheduler`
    (`tcp://HOST:PORT`), or on a `LocalCluster` of `workers` processes when it is None.
    Raises `EngineUnavailable` when dask.distributed is not installed."""
    try:
        import distributed  # noqa: F401  (only to fail here, before any input is read)
    except ImportError as missing:
        raise EngineUnavailable(
            f"the Dask engine needs dask.distributed, which is not installed: {INSTALL_HINT}"
        ) from missing
    return functools.partial(in_order, scheduler=scheduler)


def in_order(
    files: list[Path],
    workers: int,
    segmenter: str | None,
    skipping: pipeline._Skipping | None = None,
    scheduler: str | None = None,
) -> pipeline.Results:
    """`pipeline._in_order`'s contract on a Dask cluster: `read_and_process` over the tasks of
    the files, results in task order with the files done, `TASKS_PER_WORKER` tasks per worker
    thread in flight. Closing the generator early cancels the tasks in flight (and stops a
    `LocalCluster`'s processes)."""
    with _client(scheduler, workers) as client:
        threads = sum(client.nthreads().values()) or 1
        window = pipeline.TASKS_PER_WORKER * threads
        # the futures not yet taken are among the last `window` submitted (one more while the
        # oldest is being taken): what to cancel when the consumer stops early
        submitted: collections.deque[Any] = collections.deque(maxlen=window + 1)

        def submit(pieces: list[ingest.Piece | Problem]) -> Any:
            future = client.submit(pipeline.read_and_process, pieces, segmenter, pure=False)
            submitted.append(future)
            return future

        try:
            yield from pipeline.in_task_order(pipeline._tasks(files, skipping), submit, window)
        except BaseException:
            client.cancel([f for f in submitted if not f.done()])
            raise


@contextlib.contextmanager
def _client(scheduler: str | None, workers: int) -> Iterator[Any]:
    """A client of the scheduler at `scheduler`, or of a new `local_cluster`, closed with the
    cluster on exit."""
    from distributed import Client

    # not the thread's default client: the generator holding it may be closed from another thread
    # than the one that opened it (pipeline._read_ahead), and a default client is a context variable
    if scheduler:
        with Client(scheduler, set_as_default=False) as client:
            yield client
        return
    with local_cluster(workers) as cluster, Client(cluster, set_as_default=False) as client:
        client.run(_as_a_local_worker)
        yield client


def local_cluster(workers: int) -> Any:
    """A scheduler and `workers` single-threaded worker processes (analysis is Python code:
    threads would share one core) on this machine, reachable on the loopback interface only."""
    from distributed import LocalCluster

    return LocalCluster(
        n_workers=max(1, workers),
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        # no dashboard; the scheduler's HTTP endpoints (health, metrics) on a free port, not on
        # 8787, which another cluster may hold
        dashboard_address=None,
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
        # its start-up and shutdown chatter (a heartbeat lost as the scheduler closes first) is not the
        # user's concern; a task's own error comes back through its future
        silence_logs=logging.CRITICAL,
    )


def _as_a_local_worker() -> None:
    """Run on each local worker, as the local engine's run `pipeline._worker_started`: it shares
    the terminal's process group, so Ctrl-C reaches it too and it would print a traceback (the
    main process stops the workers, closing the cluster); and BLAS on one thread, since our own
    processes already fill the cores (`pipeline.one_blas_thread`)."""
    pipeline.one_blas_thread()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
